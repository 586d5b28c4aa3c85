"""Whole cohorts: ``cohort``."""

import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..carboplatin import AUC
from ..errors import DoseCalcError, UnknownNameError
from ..grammar import bare_number
from ..order import Order
from ..provenance import top_reasons
from ..renal import renal_formula_key
from ..text_files import refuse_replacing
from ..units import parse_quantity, quantity
from .app import app, terminable
from .dose import read_bands
from .inputs import bad_input, one_measure, one_of
from .options import (
    AllowOutsideRange,
    AsJson,
    BandDeviation,
    Bands,
    BsaCap,
    CreatinineFloor,
    MaxDose,
    Method,
    Reduce,
    RoundTo,
    Tolerance,
    Vials,
    WeightBasis,
    whole_number,
)
from .output import print_json, print_rows
from .protocol import protocol_named


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
    protocol: Annotated[
        Optional[str],
        typer.Option(
            metavar="NAME|FILE",
            help="Dose every drug of a protocol (`dosecalc protocol list`, or a protocol TOML file) for every "
            "patient: one row per patient, drug and administration. The protocol carries each drug's safeguards.",
            show_default=False,
        ),
    ] = None,
    cycles: Annotated[
        Optional[int],
        typer.Option(
            parser=whole_number,
            metavar="N",
            help="With --protocol: the cycles to schedule; default the protocol's.",
            show_default=False,
        ),
    ] = None,
    carboplatin_auc: Annotated[
        Optional[str],
        typer.Option(
            metavar="AUC",
            help="Dose carboplatin by the Calvert formula to this target AUC in mg/mL·min: 5 (1-10). Each row "
            "gives gfr_ml_min (measured), or age_years, sex, creatinine_mg_dl or creatinine_umol_l and weight "
            "(the policy's estimate; with height for ckd-epi-2021).",
            show_default=False,
        ),
    ] = None,
    kidney_function: Annotated[
        Optional[str],
        typer.Option(
            metavar="FORMULA",
            help="Add each row's kidney function: cockcroft-gault (CrCl, mL/min), ckd-epi-2021 or schwartz-bedside "
            "(eGFR per 1.73 m², and mL/min given height and weight), from age_years, sex and creatinine; with "
            "--dose or --carboplatin-auc. A row whose estimate cannot be made is rejected.",
            show_default=False,
        ),
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
    age_unit: Annotated[
        Optional[str], typer.Option(help='Unit of a mapped age column: "years" or "months".', show_default=False)
    ] = None,
    creatinine_unit: Annotated[
        Optional[str],
        typer.Option(help='Unit of a mapped creatinine column: "mg/dL" or "umol/L".', show_default=False),
    ] = None,
    gfr_unit: Annotated[
        Optional[str],
        typer.Option(help='Unit of a mapped measured GFR column: "mL/min" or "mL/min/1.73m2".', show_default=False),
    ] = None,
    dose_unit: Annotated[
        Optional[str],
        typer.Option(
            help='Unit of a mapped per-row dose column, per administration: "mg/m2", "mg/kg", "mg" or "units/m2".',
            show_default=False,
        ),
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
    band_deviation: BandDeviation = None,
    policy: Annotated[
        Optional[str],
        typer.Option(
            metavar="fda|addikd",
            help="With --carboplatin-auc: the GFR policy, as `dosecalc carboplatin --policy` takes it: fda (the "
            "default) or addikd.",
            show_default=False,
        ),
    ] = None,
    formula: Annotated[
        Optional[str],
        typer.Option(
            metavar="FORMULA",
            help="With --carboplatin-auc: the GFR estimate instead of the policy's: cockcroft-gault or ckd-epi-2021.",
            show_default=False,
        ),
    ] = None,
    creatinine_floor: CreatinineFloor = None,
    gfr_cap: Annotated[
        Optional[str],
        typer.Option(
            metavar="GFR",
            help="With --carboplatin-auc: cap on the GFR in mL/min, instead of the policy's: 125.",
            show_default=False,
        ),
    ] = None,
    no_gfr_cap: Annotated[
        bool, typer.Option("--no-gfr-cap", help="With --carboplatin-auc: use each GFR uncapped.")
    ] = False,
    allow_outside_range: AllowOutsideRange = False,
    engine: Annotated[
        str, typer.Option(help="Run a dataset in this process (local) or on a Dask cluster (dask).")
    ] = "local",
    scheduler: Annotated[
        Optional[str],
        typer.Option(help="Dask scheduler address, with --engine dask; default: a local cluster.", show_default=False),
    ] = None,
    workers: Annotated[
        Optional[int],
        typer.Option(help="Workers of the local Dask cluster, with --engine dask (default 2).", show_default=False),
    ] = None,
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

    With --protocol, every drug of a protocol is dosed for every patient,
    one row per patient, drug and administration; a patient who cannot be
    dosed for one drug is dosed for none (rejected, with the drug and the
    reason). With --carboplatin-auc, carboplatin by the Calvert formula, the
    GFR measured or estimated by the policy, capped, then --max-dose and
    --round-to or --vials.

    \b
    Examples:
      dosecalc cohort patients.csv -o dosed.csv --dose 75mg/m2 --rejects rejects.csv
      dosecalc cohort patients.csv -o schedule.csv --protocol r-chop-21 --cycles 6
      dosecalc cohort patients.csv -o dosed.csv --carboplatin-auc 5 --creatinine-floor 0.7mg/dL --vials 450mg,150mg,50mg
      dosecalc cohort patients.csv -o dosed.csv --dose 75mg/m2 --kidney-function ckd-epi-2021
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
    # pyarrow reads the pool when imported; its default on Linux, mimalloc, keeps what each batch freed
    if sys.platform.startswith("linux"):
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    from .. import cohort_io  # pyarrow: loaded only for a cohort

    cohort_io.pyarrow_without_pandas()  # a file run hands pyarrow no pandas object: 0.3 s and 40 MiB not spent
    given_units = {
        "height": height_unit,
        "weight": weight_unit,
        "age": age_unit,
        "creatinine": creatinine_unit,
        "gfr": gfr_unit,
        "dose": dose_unit,
    }
    units = {name: text for name, text in given_units.items() if text}
    # an AUC order's dose is the AUC: the library's field "dose" is --carboplatin-auc
    names = _COHORT_OPTIONS if carboplatin_auc is None else {**_COHORT_OPTIONS, "dose": "--carboplatin-auc"}
    with bad_input(names, guess=False):
        if inputs.count("-") > 1:  # the dataset reader would look for a file named "-"
            raise DoseCalcError("input=-: given twice; stdin can be read once")
        one_measure(round_to, vials, bands, tolerance)
        if engine not in ENGINES:
            raise UnknownNameError("--engine", engine, ENGINES)
        if scheduler is not None and engine != "dask":
            raise DoseCalcError(f"--scheduler {scheduler}: runs --engine dask, not --engine {engine}")
        if workers is not None and engine != "dask":
            raise DoseCalcError(f"--workers {workers}: runs --engine dask, not --engine {engine}")
        columns = _column_map(column_map or [])
        if report is not None:  # before the run: a bad path, a missing extra or stdout output is known now
            from ..report import checked_report_path, require_matplotlib

            checked_report_path(report, [name for name in inputs if name != "-" and Path(name).is_file()])
            require_matplotlib()
            if output == "-":
                raise DoseCalcError("--report: the output goes to stdout and cannot be read back; write it to a file")
        texts: dict[str, Any] = {
            "weight_basis": weight_basis,
            "bsa_cap": bsa_cap,
            "max_dose": max_dose,
            "reduce": reduce,
            "round_to": round_to,
            "vials": vials,
            "tolerance": tolerance,
            "bands": bands,
        }
        kidney = {
            "policy": policy,
            "formula": formula,
            "creatinine_floor": creatinine_floor,
            "gfr_cap": gfr_cap,
            "no_gfr_cap": no_gfr_cap or None,
            "allow_outside_range": allow_outside_range or None,
        }
        _refuse_options_that_do_not_apply(
            dose, protocol, cycles, carboplatin_auc, kidney_function, flag_obesity, texts, kidney
        )
        refuse_replacing(
            {"--bands": bands, "--protocol": protocol}, {"-o": output, "--rejects": rejects, "--report": report}
        )
        texts["bands"] = read_bands(bands, band_deviation)
        if protocol is not None:
            dosing = {"protocol": protocol_named(protocol), "cycles": cycles}
            dosing["protocol"].planned(cycles)  # --cycles 0 or 1000, or none for a protocol without an end
        elif carboplatin_auc is not None or kidney_function is not None:
            dosing = {"order": _order(dose, carboplatin_auc, texts, kidney)}
        else:
            safeguards = {
                "weight_basis": weight_basis,
                "bsa_cap": _bare_number(bsa_cap),
                "max_dose": max_dose,
                "reduction_pct": _bare_number(reduce),
                "round_to": round_to,
                "vials": vials,
                "tolerance_pct": _bare_number(tolerance),
                "bands": texts["bands"],
                "flag_obesity": flag_obesity or None,
            }
            dosing = {"dose": dose, **{name: value for name, value in safeguards.items() if value is not None}}
        if kidney_function is not None:
            try:
                renal_formula_key(kidney_function)
            except UnknownNameError as err:
                raise UnknownNameError("kidney_function", kidney_function, err.valid) from None
            dosing["kidney_function"] = kidney_function
        common = {
            **dosing,
            "method": method,
            "column_map": columns or None,
            "column_units": units or None,
            "delimiter": delimiter,
            "decimal_comma": decimal_comma,
            "encoding": encoding,
            "sheet": sheet,
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
        with terminable(), _progress() as (progress, fraction):
            common["command"] = "dosecalc cohort"
            if one_file:
                summary = cohort_io.convert_file(
                    inputs[0], output, rejects_path=rejects, progress=progress, fraction=fraction, **common
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
                    **({} if workers is None else {"workers": workers}),
                    **common,
                )
            else:
                summary = cohort_io.convert_dataset(inputs, output, rejects_dir=rejects, progress=progress, **common)
        if report is not None:
            from ..report import write_report

            write_report(report, summary)
    # on a stdout closed or full the summary is lost, and said so as the program says it for every command
    _print_summary(summary, output, rejects, protocol is not None, as_json)
    if summary.rows_rejected:
        raise typer.Exit(code=3)


def _print_summary(summary, output: str, rejects: str | None, schedule: bool, as_json: bool) -> None:
    """The summary of a run, as JSON or aligned lines; for a protocol's ``schedule``, its patients and rows."""
    # with the dosed rows or the rejects on stdout, the summary goes to stderr
    with contextlib.redirect_stdout(sys.stderr) if "-" in (output, rejects) else contextlib.nullcontext():
        if as_json:
            print_json("cohort", summary=summary.to_dict())
        else:
            where = "stdout" if output == "-" else str(summary.output)
            counted = (
                [
                    ("rows read", f"{summary.rows_read:,}", ""),
                    ("written", f"{summary.rows_written:,}", where),
                    ("rejected", f"{summary.rows_rejected:,}", _rejected_where(summary)),
                ]
                if not schedule
                else [  # a schedule: patients in, a row per patient, drug and administration out
                    ("patients read", f"{summary.rows_read:,}", ""),
                    ("scheduled", f"{summary.rows_written:,}", f"{_rows(summary.output_rows)} to {where}"),
                    ("rejected", f"{summary.rows_rejected:,}", _rejected_where(summary, summary.rejects_rows)),
                ]
            )
            print_rows(
                *counted,
                *(("", f"{count:,}", reason) for reason, count in top_reasons(summary.rejects_by_reason)),
                ("time", f"{summary.seconds:.2f} s", ""),
            )


def _refuse_options_that_do_not_apply(dose, protocol, cycles, auc, kidney_function, flag_obesity, texts, kidney):
    """An option the run would not use is refused, never ignored: a protocol carries each drug's dose and
    safeguards; an AUC order has no BSA cap, reduction or band; the kidney settings need a kidney estimate."""
    given = {f"--{name.replace('_', '-')}": text for name, text in {**texts, **kidney}.items() if text is not None}
    if flag_obesity:
        given["--flag-obesity"] = ""
    if protocol is not None:
        one_of(("--protocol", protocol), ("--dose", dose), ("--carboplatin-auc", auc))
        if kidney_function is not None:
            raise DoseCalcError(
                f"--kidney-function {kidney_function}: adds a column to one order's rows, not to a schedule; "
                "run it with --dose or --carboplatin-auc"
            )
        if given:
            name = next(iter(given))
            raise DoseCalcError(f"{name}: the protocol carries each drug's dose and safeguards; leave {name} out")
        return
    if cycles is not None:
        raise DoseCalcError(f"--cycles {cycles}: the cycles of a protocol; give --protocol")
    one_of(("--dose", dose), ("--carboplatin-auc", auc))
    if auc is not None:
        refused = [name for name in ("--bsa-cap", "--reduce", "--bands", "--flag-obesity") if name in given]
        if refused:
            raise DoseCalcError(
                f"{refused[0]}: not a step of a carboplatin AUC dose (--max-dose, --round-to or --vials, --tolerance)"
            )
        return
    carboplatin = [name for name in ("--policy", "--formula", "--gfr-cap", "--no-gfr-cap") if name in given]
    if carboplatin:
        raise DoseCalcError(f"{carboplatin[0]}: applies to carboplatin's GFR; give --carboplatin-auc")
    if kidney_function is None:
        estimate = [name for name in ("--creatinine-floor", "--allow-outside-range") if name in given]
        if estimate:
            raise DoseCalcError(
                f"{estimate[0]}: applies to a kidney estimate; give --carboplatin-auc or --kidney-function"
            )
        return
    if dose is None:
        raise DoseCalcError(
            f"--kidney-function {kidney_function}: needs the dose of the run, --dose or --carboplatin-auc "
            "(a dose column is not an order)"
        )
    if flag_obesity:
        raise DoseCalcError("--flag-obesity: not with --kidney-function; run them apart")


def _order(dose, auc, texts: dict, kidney: dict) -> Order:
    """The one order of a run with --carboplatin-auc or --kidney-function: the AUC ("5", "5 mg/mL·min") or the
    dose, with its safeguards and kidney settings as typed."""
    settings = {
        **kidney,
        "no_gfr_cap": bool(kidney["no_gfr_cap"]),
        "allow_outside_range": bool(kidney["allow_outside_range"]),
    }
    if auc is None:
        return Order.from_options(None, dose, **texts, **settings)
    number = bare_number(auc)  # "5": in mg/mL·min, the option's unit; else an AUC by the grammar, never a dose
    target = parse_quantity(auc, "carboplatin_auc", kind="auc") if number is None else quantity(number, AUC.unit)
    return Order.from_options("carboplatin", target, **texts, **settings)


#: The drivers of a dataset: this process, or a Dask cluster.
ENGINES = ("local", "dask")

# the cohort's options by the engine's fields; its other fields are columns, and stay as they are
_COHORT_OPTIONS = {
    "dose": "--dose",
    "protocol": "--protocol",
    "cycles": "--cycles",
    "carboplatin_auc": "--carboplatin-auc",
    "kidney_function": "--kidney-function",
    "policy": "--policy",
    "formula": "--formula",
    "creatinine_floor": "--creatinine-floor",
    "gfr_cap": "--gfr-cap",
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
    **{
        f"column_units[{name!r}]": f"--{name}-unit" for name in ("height", "weight", "age", "creatinine", "gfr", "dose")
    },
    **{
        f"column for {name}": f"--map {name}"
        for name in ("height", "weight", "dose", "sex", "age", "creatinine", "gfr")
    },
}


def _rejected_where(summary, rows: int | None = None) -> str:
    """Where the rejected rows went; for a protocol, ``rows`` rows of them (one per patient and drug)."""
    if not summary.rows_rejected:
        return ""
    if not summary.rejects:
        return "add --rejects FILE for each row and why"
    if rows is None:
        return f"to {summary.rejects}"
    return f"{_rows(rows)} (a patient's drugs) to {summary.rejects}"


def _rows(count: int) -> str:
    return f"{count:,} {'row' if count == 1 else 'rows'}"


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


def _may_be_terminal(stream) -> bool:
    """
    False where rich's ``Console.is_terminal`` is False too: a stream that is not a terminal, with neither
    ``TTY_COMPATIBLE=1`` nor a non-empty ``FORCE_COLOR`` (rich's overrides); True leaves rich to decide.
    """
    if os.environ.get("TTY_COMPATIBLE", "") == "1" or os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return False if isatty is None else bool(isatty())
    except ValueError:  # a closed stream
        return False


@contextlib.contextmanager
def _progress():
    """
    A progress bar on a terminal (stderr): rows read, percent and time left (by bytes read for CSV, rows for
    Parquet), time taken. Yields the callbacks for rows and for the share read; (None, None) off a terminal.
    """
    # rich takes 10 ms to load: not loaded off a terminal, where its answer would be no as well
    if "rich.console" not in sys.modules and not _may_be_terminal(sys.stderr):
        yield None, None
        return
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
