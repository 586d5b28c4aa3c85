"""Whole cohorts: ``cohort``."""

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..adjustments import read_band_table
from ..errors import DoseCalcError, UnknownNameError
from ..grammar import bare_number
from ..provenance import top_reasons
from .app import app
from .inputs import bad_input, one_measure, option_step
from .options import (
    AsJson,
    Bands,
    BsaCap,
    MaxDose,
    Method,
    Reduce,
    RoundTo,
    Tolerance,
    Vials,
    WeightBasis,
)
from .output import print_json, print_rows


@app.command("cohort")
def cohort_command(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUT...",
            help="Patient CSV or Parquet file; or folders, globs or several files: a dataset.",
            show_default=False,
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Output file (.csv or .parquet); for a dataset (or a name ending in /), a new Parquet folder.",
            show_default=False,
        ),
    ],
    dose: Annotated[
        Optional[str], typer.Option(help='Dose for every row: "75mg/m2" (else a dose column).', show_default=False)
    ] = None,
    method: Method = "mosteller",
    rejects: Annotated[
        Optional[str],
        typer.Option(help="Write the rejected rows, with row number and reason, here.", show_default=False),
    ] = None,
    column_map: Annotated[
        Optional[list[str]],
        typer.Option("--map", help="Column for an input: height=Ht (repeatable).", show_default=False),
    ] = None,
    height_unit: Annotated[
        Optional[str], typer.Option(help='Unit of a mapped height column: "in".', show_default=False)
    ] = None,
    weight_unit: Annotated[
        Optional[str], typer.Option(help='Unit of a mapped weight column: "lb".', show_default=False)
    ] = None,
    weight_basis: WeightBasis = None,
    flag_obesity: Annotated[
        bool, typer.Option(help="Add an obese column (BMI ≥ 30 kg/m²); the dose is not changed.")
    ] = False,
    bsa_cap: BsaCap = None,
    max_dose: MaxDose = None,
    reduce: Reduce = None,
    round_to: RoundTo = None,
    vials: Vials = None,
    tolerance: Tolerance = None,
    bands: Bands = None,
    engine: Annotated[
        str, typer.Option(help="Run a dataset in this process (local) or on a Dask cluster (dask).")
    ] = "local",
    scheduler: Annotated[
        Optional[str],
        typer.Option(help="Dask scheduler address, with --engine dask; default: a local cluster.", show_default=False),
    ] = None,
    workers: Annotated[int, typer.Option(help="Workers of the local Dask cluster.")] = 2,
    delimiter: Annotated[
        Optional[str],
        typer.Option(help='CSV delimiter: ",", ";", "tab" or "|" (default "," and tab for .tsv).', show_default=False),
    ] = None,
    decimal_comma: Annotated[bool, typer.Option(help="Numbers are written with a decimal comma: 1,75.")] = False,
    encoding: Annotated[str, typer.Option(help="Text encoding of a CSV: utf-8, latin-1 or cp1252.")] = "utf-8",
    sheet: Annotated[
        Optional[str], typer.Option(help="Sheet of an .xlsx input (default: the first).", show_default=False)
    ] = None,
    report: Annotated[
        Optional[str],
        typer.Option(
            help="Write a self-contained HTML report here: BSA and dose histograms, rejects by reason, provenance.",
            show_default=False,
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """
    Dose a whole cohort file: every row converted or rejected with a reason.
    Exit 0 when all rows converted, 3 when some were rejected (the output is
    still written), 2 when the input is unusable. The safeguards of `dosecalc
    dose` apply to every row, in the same order, each adding its columns; a
    row they cannot apply to (no sex for --weight-basis ideal, rounding
    outside the tolerance) is rejected with the reason.

    \b
    Examples:
      dosecalc cohort patients.csv -o dosed.csv --dose 75mg/m2 --rejects rejects.csv
      dosecalc cohort extract.csv -o dosed.parquet --map height=Ht --height-unit in --map weight=Wt --weight-unit lb
      dosecalc cohort patients.csv -o dosed.csv --dose 1.4mg/m2 --max-dose 2mg --round-to 0.1mg
      dosecalc cohort "registry/*.parquet" -o dosed/ --dose 75mg/m2 --rejects rejects/ --engine dask
      dosecalc cohort export.csv -o dosed.csv --dose 75mg/m2 --delimiter ";" --decimal-comma --encoding cp1252
      dosecalc cohort clinic.xlsx --sheet Patients -o dosed.parquet --dose 75mg/m2
      cat patients.csv | dosecalc cohort - -o - --dose 75mg/m2 > dosed.csv
      dosecalc cohort patients.parquet -o dosed.parquet --dose 75mg/m2 --report report.html

    A folder, a glob, several files or an output ending in / make a dataset: the output and the
    rejects are then Parquet folders, with each rejected row's file and row.
    """
    from .. import cohort_io  # pyarrow: loaded only for a cohort

    units = {name: text for name, text in (("height", height_unit), ("weight", weight_unit)) if text}
    with bad_input(_COHORT_OPTIONS, guess=False):
        one_measure(round_to, vials, bands, tolerance)
        if engine not in ENGINES:
            raise UnknownNameError("--engine", engine, ENGINES)
        if scheduler is not None and engine != "dask":
            raise DoseCalcError(f"--scheduler {scheduler}: runs --engine dask, not --engine {engine}")
        columns = _column_map(column_map or [])
        if report is not None:  # before the run: a missing extra or stdout output is known now
            from ..report import require_matplotlib

            require_matplotlib()
            if output == "-":
                raise DoseCalcError("--report: the output goes to stdout and cannot be read back; write it to a file")
        band_table = None
        if bands is not None:
            with option_step("--bands", bands):
                band_table = read_band_table(bands)
        safeguards = {
            "weight_basis": weight_basis,
            "bsa_cap": _bare_number(bsa_cap),
            "max_dose": max_dose,
            "reduction_pct": _bare_number(reduce),
            "round_to": round_to,
            "vials": vials,
            "tolerance_pct": _bare_number(tolerance),
            "bands": band_table,
            "flag_obesity": flag_obesity or None,
        }
        common = {
            "dose": dose,
            "method": method,
            "column_map": columns or None,
            "column_units": units or None,
            "delimiter": delimiter,
            "decimal_comma": decimal_comma,
            "encoding": encoding,
            **{name: value for name, value in safeguards.items() if value is not None},
        }
        # one file (or a missing one, which convert_file reports as such; or stdin), not a folder or glob, to a file
        named = Path(inputs[0])
        one_file = (
            len(inputs) == 1
            and (inputs[0] == "-" or named.is_file() or not (named.is_dir() or set("*?[") & set(inputs[0])))
            and not output.endswith((os.sep, "/"))
            and engine == "local"
            and scheduler is None
        )
        with _terminable(), _progress() as (progress, fraction):
            common["command"] = "dosecalc cohort"
            if one_file:
                summary = cohort_io.convert_file(
                    inputs[0], output, rejects_path=rejects, progress=progress, fraction=fraction, sheet=sheet, **common
                )
            elif engine == "dask":
                from .. import (
                    dask,  # dask and distributed: loaded only for --engine dask
                )

                summary = dask.convert_dataset(
                    inputs,
                    output,
                    rejects_dir=rejects,
                    progress=progress,
                    scheduler=scheduler,
                    workers=workers,
                    **common,
                )
            else:
                summary = cohort_io.convert_dataset(inputs, output, rejects_dir=rejects, progress=progress, **common)
        if report is not None:
            from ..report import write_report

            write_report(report, summary)
    # with the dosed rows on stdout, the summary goes to stderr
    with contextlib.redirect_stdout(sys.stderr) if output == "-" else contextlib.nullcontext():
        if as_json:
            print_json("cohort", summary=summary.to_dict())
        else:
            print_rows(
                ("rows read", f"{summary.rows_read:,}", ""),
                ("written", f"{summary.rows_written:,}", "stdout" if output == "-" else str(summary.output)),
                ("rejected", f"{summary.rows_rejected:,}", _rejected_where(summary)),
                *(("", f"{count:,}", reason) for reason, count in top_reasons(summary.rejects_by_reason)),
                ("time", f"{summary.seconds:.2f} s", ""),
            )
    if summary.rows_rejected:
        raise typer.Exit(code=3)


#: The drivers of a dataset: this process, or a Dask cluster.
ENGINES = ("local", "dask")

# the cohort's options by the engine's fields; its other fields are columns, and stay as they are
_COHORT_OPTIONS = {
    "dose": "--dose",
    "method": "--method",
    "weight_basis": "--weight-basis",
    "bsa_cap": "--bsa-cap",
    "max_dose": "--max-dose",
    "reduction_pct": "--reduce",
    "round_to": "--round-to",
    "strengths": "--vials",
    "tolerance_pct": "--tolerance",
    "engine": "--engine",
    "workers": "--workers",
    "column_map": "--map",
    "delimiter": "--delimiter",
    "encoding": "--encoding",
    "sheet": "--sheet",
    "report": "--report",
    **{f"column_units[{name!r}]": f"--{name}-unit" for name in ("height", "weight")},
    **{f"column for {name}": f"--map {name}" for name in ("height", "weight", "dose", "sex")},
}


def _rejected_where(summary) -> str:
    if not summary.rows_rejected:
        return ""
    return f"to {summary.rejects}" if summary.rejects else "add --rejects FILE for each row and why"


def _bare_number(text: str | None):
    # "2.0" -> 2.0, taken by the library in the option's documented unit; "2 m2" stays text
    number = None if text is None else bare_number(text)
    return text if number is None else number


def _column_map(pairs: list[str]) -> dict[str, str]:
    columns: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise DoseCalcError(f"--map {pair!r}: expected input=column, such as height=Ht")
        name, column = name.strip(), column.strip()
        if name in columns:
            raise DoseCalcError(f"--map {pair}: {name} is mapped to {columns[name]} already; map it once")
        columns[name] = column
    return columns


@contextlib.contextmanager
def _terminable():
    """SIGTERM (kill, a batch system's time limit) as an exit, as Ctrl-C is: the temporary files are removed."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread handles signals
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _progress():
    """
    A progress bar on a terminal (stderr): rows read, percent and time left (by bytes read for CSV, rows for
    Parquet), time taken. Yields the callbacks for rows and for the share read; (None, None) off a terminal.
    """
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None, None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        SpinnerColumn(),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TextColumn("left"),
        TimeRemainingColumn(),
        TextColumn("taken"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("cohort", total=None, rows=0)  # no total until the first share: a pulsing bar
        yield (lambda rows: bar.update(task, rows=rows)), (lambda share: bar.update(task, total=1.0, completed=share))
