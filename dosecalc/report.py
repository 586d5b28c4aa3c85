"""
A cohort run as one self-contained HTML page.

:func:`write_report` draws the distributions of BSA and dose of the dosed
rows, the rejected rows by class of reason, and the run's provenance, into a
single HTML file that needs no network: the figures are PNGs inside the page.
People would rather look at a dose distribution than read 3 million rows.

matplotlib is an optional extra (``pip install "dosecalc[report]"``); the
figures are drawn with its Agg backend, without a display.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from pathlib import Path

import numpy as np
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .dialects import file_format
from .errors import DoseCalcError

__all__ = ["write_report", "require_matplotlib", "HISTOGRAM_COLUMNS"]

#: The columns drawn as histograms: (column, label with unit).
HISTOGRAM_COLUMNS = (("bsa_m2", "BSA [m²]"), ("dose_mg", "dose [mg]"))
_BINS = 60
_EXTRA = "pip install 'dosecalc[report]'"


def require_matplotlib():
    """matplotlib's pyplot on the Agg backend, or a DoseCalcError naming the extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        raise DoseCalcError(f"report: drawing the report needs matplotlib: {_EXTRA}") from None
    return pyplot


def _columns(output: Path):
    """The histogram columns of a run's output (a file or a dataset folder), batch by batch."""
    names = [name for name, _ in HISTOGRAM_COLUMNS]
    if output.is_dir():
        yield from ds.dataset(output, format="parquet").to_batches(columns=names)
    elif file_format(output, "input") == "parquet":
        yield from pq.ParquetFile(output).iter_batches(columns=names)
    else:
        delimiter = "\t" if file_format(output, "input") == "tsv" else ","
        with pcsv.open_csv(
            output,
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(include_columns=names),
        ) as reader:
            yield from reader


def histograms(output: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Counts and bin edges of each histogram column of the output, in two passes: its range, then its counts."""
    low = {name: np.inf for name, _ in HISTOGRAM_COLUMNS}
    high = {name: -np.inf for name, _ in HISTOGRAM_COLUMNS}
    for batch in _columns(output):
        for name in low:
            values = batch[name].to_numpy(zero_copy_only=False)
            values = values[np.isfinite(values)]
            if values.size:
                low[name], high[name] = min(low[name], values.min()), max(high[name], values.max())
    edges = {
        name: np.linspace(low[name], high[name] if high[name] > low[name] else low[name] + 1, _BINS + 1)
        for name in low
        if np.isfinite(low[name])
    }
    counts = {name: np.zeros(_BINS, np.int64) for name in edges}
    for batch in _columns(output):
        for name in edges:
            counts[name] += np.histogram(batch[name].to_numpy(zero_copy_only=False), edges[name])[0]
    return {name: (counts[name], edges[name]) for name in edges}


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figures(pyplot, drawn: dict, reasons: dict) -> list[tuple[str, str]]:
    figures = []
    for name, label in HISTOGRAM_COLUMNS:
        if name not in drawn:
            continue
        counts, edges = drawn[name]
        figure, axes = pyplot.subplots(figsize=(6.4, 3.2))
        axes.stairs(counts, edges, fill=True)
        axes.set_xlabel(label)
        axes.set_ylabel("patients")
        figures.append((f"{label.split(' [')[0]} of the dosed rows", _png(figure)))
        pyplot.close(figure)
    if reasons:
        shown = list(reasons.items())[:12]
        figure, axes = pyplot.subplots(figsize=(6.4, 0.4 + 0.35 * len(shown)))
        axes.barh([reason for reason, _ in shown][::-1], [count for _, count in shown][::-1])
        axes.set_xlabel("rejected rows")
        figures.append(("rejected rows by reason", _png(figure)))
        pyplot.close(figure)
    return figures


def write_report(path, summary) -> Path:
    """
    Write ``summary``'s run as a self-contained HTML page at ``path``.

    Parameters
    ----------
    path : str or path
        The page to write (``report.html``); written under a temporary name
        and renamed when complete.
    summary : CohortSummary
        A run of :func:`~dosecalc.cohort_io.convert_file` or
        :func:`~dosecalc.cohort_io.convert_dataset`; its output is read back
        for the histograms of ``bsa_m2`` and ``dose_mg``.

    Returns
    -------
    Path
        The page.

    Raises
    ------
    DoseCalcError
        If matplotlib is not installed, the output was stdout (it cannot be
        read back), or the page cannot be written.
    """
    pyplot = require_matplotlib()
    if summary.output == "-":
        raise DoseCalcError("report: the output went to stdout and cannot be read back; write it to a file")
    path = Path(path)
    drawn = histograms(Path(summary.output))
    figures = _figures(pyplot, drawn, summary.rejects_by_reason)
    rows = [("rows read", summary.rows_read), ("written", summary.rows_written), ("rejected", summary.rows_rejected)]
    escape = html.escape
    body = [
        "<h1>dosecalc cohort</h1>",
        "<p>Decision support: every dose must be verified by a clinician.</p>",
        "<table>"
        + "".join(f"<tr><th>{escape(label)}</th><td>{value:,}</td></tr>" for label, value in rows)
        + "</table>",
        *(
            f'<h2>{escape(title)}</h2><img alt="{escape(title)}" src="data:image/png;base64,{png}">'
            for title, png in figures
        ),
        "<h2>reasons, counted by class</h2>",
        "<table>"
        + "".join(
            f"<tr><td>{count:,}</td><td>{escape(reason)}</td></tr>"
            for reason, count in summary.rejects_by_reason.items()
        )
        + "</table>",
        "<h2>provenance</h2>",
        f"<pre>{escape(json.dumps(summary.provenance, indent=2, ensure_ascii=False))}</pre>",
    ]
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>dosecalc cohort report</title>'
        "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto}th,td{text-align:left;padding:0 1em 0 0}"
        "img{max-width:100%}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        temporary.write_text(page, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as err:
        raise DoseCalcError(f"report={path}: cannot be written ({err.strerror or err})") from None
    finally:
        if os.path.lexists(temporary):
            temporary.unlink()
    return path
