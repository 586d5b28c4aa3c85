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
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .dialects import file_format, written_path
from .errors import DoseCalcError, ImplausibleInputError

__all__ = ["write_report", "checked_report_path", "require_matplotlib", "HISTOGRAM_COLUMNS"]

#: The columns drawn as histograms: (column, label with unit); an order's run draws its dose to give
#: (``final_dose_mg``), a protocol's the BSA and each drug's first dose, one a patient.
HISTOGRAM_COLUMNS = (("bsa_m2", "BSA [m²]"), ("dose_mg", "dose [mg]"))
_BINS = 60
_EXTRA = "pip install 'dosecalc[report]'"
#: A schedule's columns that pick each patient's first administration of a drug.
_SCHEDULE_KEYS = ("drug", "cycle", "day", "time")


#: The endings of a report's file: a page, never a name a cohort's input, output or sidecar has.
REPORT_SUFFIXES = (".html", ".htm")


def checked_report_path(path, inputs=()) -> Path:
    """
    The report's path, checked before a run: a page (``.html``, ``.htm``) in
    a folder that exists and can be written, no device or pipe, and none of
    the run's ``inputs``, so that it can never replace the input, the
    output, the rejects or their provenance sidecars. A symbolic link's
    target is returned: the page replaces that file.

    Raises
    ------
    ImplausibleInputError
        For another ending, a folder's name or a missing folder.
    DoseCalcError
        For a device, a pipe, an input file, or a folder that cannot be written.
    """
    if not os.fspath(path):  # Path("") is the working folder
        raise DoseCalcError("report='': an empty name; expected a page's name ending in .html")
    path = Path(path)
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise ImplausibleInputError("report", str(path), "a page's name ending in .html: the report is an HTML page")
    if path.is_dir():
        raise ImplausibleInputError("report", str(path), "a file name, not a directory")
    if not path.parent.is_dir():
        raise ImplausibleInputError("report", str(path), f"a file in a folder that exists; there is no {path.parent}")
    target = written_path("report", path, inputs)
    try:  # a read-only folder, or one without permission, known before the run writes anything
        with tempfile.TemporaryFile(dir=target.parent):
            pass
    except OSError as err:
        raise DoseCalcError(f"report={path}: cannot be written ({err.strerror or err}); nothing was written") from None
    return target


def require_matplotlib():
    """matplotlib's pyplot on the Agg backend, or a DoseCalcError naming the extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        raise DoseCalcError(f"report: drawing the report needs matplotlib: {_EXTRA}") from None
    return pyplot


def _histograms_of(options: dict, names: list[str]) -> list[tuple[str, str, str, tuple | None]]:
    """
    What a run's report draws, from its options and its output's column ``names``: (title, column, label
    with unit, rows) each, ``rows`` (drug, first day) picking a schedule's first administration of a drug
    to each patient (None: every row).
    """
    protocol = options.get("protocol")
    if protocol is None:
        # an order's dose to give, else the dose; in mg, or in units for a dose in units (bleomycin)
        doses = [f"{kind}_{unit}" for kind in ("final_dose", "dose") for unit in ("mg", "units")]
        dose = next((name for name in doses if name in names), HISTOGRAM_COLUMNS[1][0])
        label = f"{'dose to give' if dose.startswith('final') else 'dose'} [{dose.rsplit('_', 1)[1]}]"
        return [
            (f"{text.split(' [')[0]} of the dosed rows", name, text, None)
            for name, text in (HISTOGRAM_COLUMNS[0], (dose, label))
        ]
    firsts = [(order["drug"], min(order["days"]), order["dose"]["unit"]) for order in protocol["orders"]]
    drawn: list[tuple[str, str, str, tuple | None]] = [
        ("BSA of the patients scheduled", "bsa_m2", HISTOGRAM_COLUMNS[0][1], firsts[0][:2])
    ]
    for drug, day, unit in firsts:  # "mg/m²", "mg·min/mL", "units/m²": the amount given is in mg or units
        amount = unit.split("/")[0].split("·")[0]
        drawn.append((f"first dose of {drug}, cycle 1", "dose", f"{drug} [{amount}]", (drug, day)))
    return drawn


def _output_names(output: Path) -> list[str]:
    """The column names of a run's output (a file or a dataset folder)."""
    if output.is_dir():
        return ds.dataset(output, format="parquet").schema.names
    if file_format(output, "input") == "parquet":
        return pq.read_schema(output).names
    delimiter = "\t" if file_format(output, "input") == "tsv" else ","
    with pcsv.open_csv(output, parse_options=pcsv.ParseOptions(delimiter=delimiter)) as reader:
        return reader.schema.names


def _columns(output: Path, names: list[str]):
    """The columns ``names`` of a run's output (a file or a dataset folder), batch by batch."""
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


def _values(batch, column: str, rows: tuple | None) -> np.ndarray:
    """A batch's values of ``column``, those of a drug's first administration to each patient if ``rows``."""
    # as floats: a column empty in every row (a carboplatin order's bsa_m2) reads back from CSV as nulls
    values = pc.cast(batch[column], pa.float64()).to_numpy(zero_copy_only=False)
    if rows is None:
        return values
    drug, day = rows
    first = (
        (batch["drug"].to_numpy(zero_copy_only=False) == drug)
        & (batch["cycle"].to_numpy(zero_copy_only=False) == 1)
        & (batch["day"].to_numpy(zero_copy_only=False) == day)
        & (batch["time"].to_numpy(zero_copy_only=False) == 1)
    )
    return values[first]


def histograms(output: Path, options: dict | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """
    Counts and bin edges of each histogram of a run's output (see :func:`_histograms_of`), by title,
    in two passes: its range, then its counts.
    """
    names = _output_names(output)
    drawn = [entry for entry in _histograms_of(options or {}, names) if entry[1] in names]
    schedule = any(rows is not None for *_, rows in drawn)
    names = sorted({column for _, column, _, _ in drawn} | (set(_SCHEDULE_KEYS) if schedule else set()))
    low = {title: np.inf for title, *_ in drawn}
    high = {title: -np.inf for title, *_ in drawn}
    for batch in _columns(output, names):
        for title, column, _, rows in drawn:
            values = _values(batch, column, rows)
            values = values[np.isfinite(values)]
            if values.size:
                low[title], high[title] = min(low[title], values.min()), max(high[title], values.max())
    edges = {
        title: np.linspace(low[title], high[title] if high[title] > low[title] else low[title] + 1, _BINS + 1)
        for title in low
        if np.isfinite(low[title])
    }
    counts = {title: np.zeros(_BINS, np.int64) for title in edges}
    for batch in _columns(output, names):
        for title, column, _, rows in drawn:
            if title in edges:
                counts[title] += np.histogram(_values(batch, column, rows), edges[title])[0]
    return {title: (counts[title], edges[title]) for title in edges}


def _labels(output: Path, options: dict) -> dict[str, str]:
    """Each histogram's axis label (with unit), by title."""
    return {title: label for title, _, label, _ in _histograms_of(options, _output_names(output))}


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figures(pyplot, drawn: dict, labels: dict, reasons: dict) -> list[tuple[str, str]]:
    # column names and reasons are text as typed: a "$" is a dollar sign, never the start of mathtext
    with pyplot.rc_context({"text.parse_math": False}):
        return _drawn_figures(pyplot, drawn, labels, reasons)


def _drawn_figures(pyplot, drawn: dict, labels: dict, reasons: dict) -> list[tuple[str, str]]:
    figures = []
    for title, (counts, edges) in drawn.items():
        label = labels[title]
        figure, axes = pyplot.subplots(figsize=(6.4, 3.2))
        axes.stairs(counts, edges, fill=True)
        axes.set_xlabel(label)
        axes.set_ylabel("patients")
        figures.append((title, _png(figure)))
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
        for the histograms of ``bsa_m2`` and ``dose_mg`` (an order's
        ``final_dose_mg``; a protocol's BSA and first dose of each drug, one
        a patient).

    Returns
    -------
    Path
        The page.

    Raises
    ------
    DoseCalcError
        If matplotlib is not installed, the output was stdout (it cannot be
        read back), the path is no page's (see :func:`checked_report_path`),
        or the page cannot be written.
    """
    path = checked_report_path(path)
    pyplot = require_matplotlib()
    if summary.output == "-":
        raise DoseCalcError("report: the output went to stdout and cannot be read back; write it to a file")
    options = summary.provenance.get("options", {})
    drawn = histograms(Path(summary.output), options)
    figures = _figures(pyplot, drawn, _labels(Path(summary.output), options), summary.rejects_by_reason)
    rows = (
        [("rows read", summary.rows_read), ("written", summary.rows_written), ("rejected", summary.rows_rejected)]
        if "protocol" not in options
        else [  # a schedule: patients in, a row per patient, drug and administration out (as the summary says)
            ("patients read", summary.rows_read),
            ("scheduled", summary.rows_written),
            ("rows written", summary.output_rows),
            ("patients rejected", summary.rows_rejected),
            ("rows rejected", summary.rejects_rows),
        ]
    )
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
        raise DoseCalcError(
            f"report={path}: cannot be written ({err.strerror or err}); the run's files were written, the page was not"
        ) from None
    finally:
        if os.path.lexists(temporary):
            temporary.unlink()
    return path
