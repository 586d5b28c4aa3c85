"""
The ``dosecalc`` command line: a thin shell over the library.

Each command reads its options as text, parses them once at the edge
(:func:`dosecalc.units.parse_quantity`), calls the library and prints the
result: for people, a few aligned lines or a compact table with a unit on every
number, the formula used and, where a value was converted, from what (BSA to
2 decimals, other values to 3 significant figures, 4 when that is exact); for
scripts, with ``--json``, one JSON object at full precision. Colour and box
drawing only on a terminal without ``NO_COLOR``.

Exit codes: 0 success; 2 bad input or usage, with one line on stderr naming
the option, the value and what was expected; 3 a cohort with rejected rows.

JSON schema
-----------
Every ``--json`` object has ``"command"`` (the command's name) and
``"dosecalc_version"``. The lookups (``bsa``, ``dose``, ``convert``, ``hed``,
``regimen``) add:

``"inputs"``
    The options given: ``{name: {"given": text as typed, "value": normalised
    value, "unit": unit or null}}``. Height in cm, weight in kg, BSA in m²,
    Km in kg/m², a dose in its basis (mg/m², mg/kg or mg; per week for a
    rate), ``days`` a list and ``cycle`` a number of days, ``sex`` as
    ``"female"`` or ``"male"``.
``"results"``
    ``{name: {"value": number, "unit": unit}}`` at full precision.

and, by command:

- ``bsa``: results ``bsa`` [m²]; ``"method"``: ``{"name", "label",
  "reference"}`` of the formula. With ``--method all``: results keyed by
  method name, and ``"methods"``, the list of those formulas (a sex-specific
  formula without ``--sex`` is listed without a result).
- ``dose``: results ``dose`` [mg], the dose to give (after every step
  below), and, where their inputs were given, ``bsa`` [m²] (after a BSA cap),
  ``dose_per_m2``, ``dose_per_kg`` (of the calculated dose, per m² of BSA and
  per kg of dosing weight); ``"method"``: the BSA formula, with name
  ``"given"`` when ``--bsa`` was given, null when no BSA was used; and the
  steps (see below): ``"modification"``, ``"patient_dose"``, ``"rounding"``,
  ``"band"``.
- ``convert``: results ``dose``; ``"km"``: ``{"species", "label", "value",
  "unit", "reference"}`` (species, label and reference null for a given
  ``--km``).
- ``hed``: results ``hed`` [mg/kg]; ``"km"`` of the animal, ``"human_km"``.
- ``regimen``: results ``per_administration``, ``per_cycle``,
  ``dose_intensity`` (per week) and, with ``--cycles``, ``cumulative``, in the
  dose's basis; ``per_administration_equivalent``, ``per_cycle_equivalent``,
  ``dose_intensity_equivalent`` in the other basis by the adult human Km
  (absent for a flat dose, and ``"km"`` null); with a patient, ``bsa`` [m²]
  where one was used and ``patient_per_administration``,
  ``patient_per_cycle``, ``patient_dose_intensity``, ``patient_cumulative``
  [mg]; ``"km"``; ``"method"`` as for ``dose`` (null without a patient);
  the steps as for ``dose``, ``"patient_dose"`` being one administration's
  (null without a patient). A modification changes the regimen's own doses.
- ``crcl``: results ``crcl`` [mL/min]; inputs ``age``, ``weight``, ``sex`` and
  ``creatinine`` (normalised to mg/dL by creatinine's molar mass);
  ``"formula"``: ``{"name", "label", "equation", "reference"}``.
- ``carboplatin``: results ``dose`` and ``dose_uncapped`` [mg], ``gfr`` (the
  GFR used, after the cap) and ``gfr_uncapped`` [mL/min], ``gfr_cap`` (absent
  under ``--no-gfr-cap``, whose input ``gfr_cap`` has value null);
  ``"formula"`` (Calvert) and ``"gfr_formula"`` (Cockcroft-Gault, null for a
  given ``--gfr``); ``"carboplatin_dose"``, the library's
  ``CarboplatinDose.to_dict()`` (``cap_applied``, ``gfr_source``, the
  normalised inputs, references, version).
- ``methods``: ``"methods"``, a list of ``{"name", "label", "reference",
  "needs"}``.
- ``species``: ``"species"``, a list of ``{"name", "label", "km",
  "reference_weight", "bsa"}`` (the last three ``{"value", "unit"}``), and
  ``"reference"``.
- ``cohort``: ``"summary"``, the library's ``CohortSummary.to_dict()``.

Safeguards (``dose`` and ``regimen``)
--------------------------------------
A patient's dose goes through these steps, in this order, each recorded in
the JSON by the library's own ``to_dict()`` (null when not asked for):

1. ``"modification"``: ``--reduce`` or ``--level`` (from ``--levels``) changes
   the prescribed dose (``ModifiedDose``: original, modified,
   percent_of_original, reduction_pct or level and level_table).
2. ``"patient_dose"``: the dose calculated from the modified prescription on
   the ``--weight-basis`` weight, then the BSA capped (``--bsa-cap``), then
   the dose capped (``--max-dose``) (``PatientDose``: weight_basis and its
   reference, dosing_weight, bmi, obese (BMI ≥ 30, a flag that never changes
   the dose), each cap with the uncapped value and whether it applied,
   the normalised inputs and the version). A cap never raises a dose.
3. ``"rounding"`` (``--round-to`` or ``--vials``, within ``--tolerance``) or
   ``"band"`` (``--bands``), one of them, on the capped dose
   (``RoundedDose``: calculated, rounded, difference_pct, tolerance_pct,
   step or strengths and counts; ``BandedDose``: calculated, banded,
   deviation_pct, band and its bounds, table). Rounding outside the tolerance
   is refused (exit 2), never applied.

The inputs of these options are listed like the others; ``weight_basis`` and
``level`` with their canonical name as value, ``levels`` and ``bands`` with
the absolute path of the file, ``vials`` with the strengths in mg (a list).

Examples
--------
``dosecalc dose 75mg/m2 --height 175cm --weight 70kg --json`` prints::

    {"command": "dose", "dosecalc_version": "0.1.0",
     "inputs": {"dose": {"given": "75mg/m2", "value": 75.0, "unit": "mg/m²"},
                "height": {"given": "175cm", "value": 175.0, "unit": "cm"},
                "weight": {"given": "70kg", "value": 70.0, "unit": "kg"}},
     "results": {"dose": {"value": 138.34964763236658, "unit": "mg"},
                 "bsa": {"value": 1.8446619684315546, "unit": "m²"},
                 "dose_per_m2": {"value": 75.0, "unit": "mg/m²"},
                 "dose_per_kg": {"value": 1.9764235376052368, "unit": "mg/kg"}},
     "method": {"name": "mosteller", "label": "Mosteller",
                "reference": "Mosteller RD. N Engl J Med 1987;317:1098. doi:10.1056/NEJM198710223171717"},
     "modification": null,
     "patient_dose": {"dose": {"value": 138.34964763236658, "unit": "mg"}, ...,
                      "weight_basis": "actual", "dosing_weight": {"value": 70.0, "unit": "kg"}, ...,
                      "bmi": {"value": 22.857142857142858, "unit": "kg/m²"}, "obese": false},
     "rounding": null, "band": null}
"""

import contextlib
import functools
import json
import math
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ._version import __version__
from .adjustments import band_dose, modify_dose, read_band_table, read_level_table, round_dose
from .body import WEIGHT_BASES
from .bsa import BSA_METHODS, bsa, bsa_method
from .carboplatin import AUC, CALVERT_1989, COCKCROFT_GAULT, GFR, carboplatin_dose
from .conversions import FDA_2005, KM, SPECIES, hed, km_factor, species_name, to_mg_per_kg, to_mg_per_m2
from .doses import BASIS_LABELS, FLAT, PER_KG, PER_M2, dose_basis
from .errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError, UnknownNameError
from .patient import ACTUAL, GIVEN, patient_dose
from .regimen import Regimen
from .renal import ADULT_AGE, COCKCROFT_GAULT_1976, SERUM_CREATININE, crcl_cockcroft_gault, serum_creatinine_mg_dl
from .results import plain
from .units import magnitude, parse_quantity, quantity, registry, unit
from .validation import BSA, HEIGHT, WEIGHT, is_female

__all__ = ["app"]


def _plain_stdout() -> bool:
    # no colour or box drawing off a terminal or under NO_COLOR (no-color.org)
    return bool(os.environ.get("NO_COLOR")) or not sys.stdout.isatty()


app = typer.Typer(
    name="dosecalc",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None if _plain_stdout() else "rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


# --- reading options ------------------------------------------------------------


@dataclass(frozen=True)
class _Input:
    """An option as typed and as parsed; ``base`` is the unit it is shown in
    (None for a dose: its basis); ``converted``, the normalised value where
    pint alone cannot convert it (creatinine in µmol/L to mg/dL)."""

    text: str
    quantity: Any
    base: str | None = None
    converted: Any = None

    @property
    def normalised(self):
        if self.converted is not None:
            return self.converted
        if self.base is not None:
            return self.quantity.to(unit(self.base))
        basis, per_time = dose_basis(self.quantity)
        return self.quantity.to(unit(basis + "/week" if per_time else basis))

    def to_json(self) -> dict:
        return {"given": self.text, **_quantity_json(self.normalised)}

    def row(self, label: str) -> tuple[str, str, str]:
        converted = self.quantity.units != self.normalised.units
        return label, _show(self.normalised), f"from {self.text}" if converted else ""


def _read(text: str | None, field: str, base: str | None = None, bare: bool = False) -> _Input | None:
    """Parse an option; with ``bare`` a plain number is taken in ``base``, the
    option's documented unit (BSA in m², Km in kg/m²)."""
    if text is None:
        return None
    if bare and (number := _number(text)) is not None:
        return _Input(text, registry().Quantity(number, unit(base)), base)
    return _Input(text, parse_quantity(text, field), base)


def _number(text: str) -> float | None:
    """A bare number as typed, else None."""
    try:
        return float(text)
    except ValueError:
        return None


def _read_creatinine(text: str | None) -> _Input | None:
    """--creatinine, normalised to mg/dL by creatinine's molar mass. A bare
    number goes to the library as a number, which refuses it: its unit
    (mg/dL or µmol/L, a factor 88.4 apart) is never guessed."""
    if text is None:
        return None
    number = _number(text)
    given = parse_quantity(text, "serum_creatinine") if number is None else number
    mg_dl = serum_creatinine_mg_dl(given)
    return _Input(text, given, SERUM_CREATININE.unit, quantity(mg_dl, SERUM_CREATININE.unit))


def _years(item: _Input | None):
    # age to the library as plain years, so that its messages read "130 years"
    return None if item is None else magnitude(item.quantity, ADULT_AGE.unit, "age")


def _value(item: _Input | None):
    return None if item is None else item.quantity


def _days(text: str) -> list[int]:
    try:
        return [int(day) for day in text.split(",")]
    except ValueError:
        raise ImplausibleInputError("days", repr(text), "whole days separated by commas, such as 1,8,15") from None


def _target_basis(text: str) -> str:
    # mg/kg or mg/m² in any spelling; not another scale (µg/kg would be answered in mg/kg)
    try:
        target = parse_quantity(f"1 {text}", "to")
        basis, per_time = dose_basis(target)
    except UnitError:
        basis, per_time = None, False
    if basis not in (PER_KG, PER_M2) or per_time or not math.isclose(target.m_as(unit(basis)), 1.0):
        raise UnknownNameError("to", text, ("mg/kg", "mg/m2"))
    return basis


# --- JSON -----------------------------------------------------------------------


def _quantity_json(quantity) -> dict:
    return {"value": float(quantity.magnitude), "unit": f"{quantity.units:~P}"}


def _inputs_json(inputs: dict[str, _Input | None], sex: str | None = None) -> dict:
    out = {name: item.to_json() for name, item in inputs.items() if item is not None}
    if sex is not None:
        out["sex"] = {"given": sex, "value": "female" if is_female(sex) else "male", "unit": None}
    return out


def _results_json(results: dict) -> dict:
    return {name: _quantity_json(quantity) for name, quantity in results.items() if quantity is not None}


def _method_json(key: str | None) -> dict | None:
    if key is None:
        return None
    if key == GIVEN:
        return {"name": GIVEN, "label": "given", "reference": None}
    entry = BSA_METHODS[key]
    return {"name": key, "label": entry.label, "reference": entry.reference}


def _km_json(km: float, species: str | None) -> dict:
    return {
        "species": species,
        "label": SPECIES[species].label if species else None,
        "value": km,
        "unit": f"{unit(KM.unit):~P}",
        "reference": FDA_2005 if species else None,
    }


def _print_json(command: str, **content) -> None:
    typer.echo(json.dumps({"command": command, "dosecalc_version": __version__, **content}, ensure_ascii=False))


# --- human output ---------------------------------------------------------------


def _figures(value: float) -> str:
    """3 significant figures (4 when that is exact: 56.25), the integer part
    never rounded, no trailing zero (ISMP list of error-prone notations)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = max(0, 2 - math.floor(math.log10(abs(value))))
    if math.isclose(value, round(value, decimals + 1), rel_tol=1e-12):
        decimals += 1
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _show(quantity) -> str:
    return f"{_figures(float(quantity.magnitude))} {quantity.units:~P}"


def _percent(value: float) -> str:
    """A signed percentage: "+1.23 %", "−1.8 %", "0 %"."""
    sign = "−" if value < 0 else "+" if value > 0 else ""
    return f"{sign}{_figures(abs(float(value)))} %"


def _show_bsa(quantity) -> str:
    return f"{float(quantity.m_as(unit(BSA.unit))):.2f} {unit(BSA.unit):~P}"


def _print(*blocks: tuple[list[str] | None, list]) -> None:
    """Print blocks of ``(headers or None, rows)``: rich tables on a terminal,
    else aligned plain text with no colour and no box drawing."""
    blocks = [(headers, [row for row in rows if row is not None]) for headers, rows in blocks]
    if _plain_stdout():
        texts = []
        for headers, rows in blocks:
            block = ([headers] if headers else []) + rows
            widths = [max(len(cell) for cell in column) for column in zip(*block)]
            texts.append("\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in block))
        typer.echo("\n\n".join(texts))
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    for number, (headers, rows) in enumerate(blocks):
        if number:
            console.line()
        table = Table(show_header=headers is not None, box=box.SIMPLE_HEAD if headers else None, pad_edge=False, show_edge=False)
        width = len(headers or rows[0])
        for index, header in enumerate(headers or [""] * width):
            table.add_column(header, style="bold" if index == 0 and width > 1 else None)
        for row in rows:
            table.add_row(*map(Text, row))
        console.print(table)


def _print_rows(*rows: tuple[str, str, str] | None, table: tuple[list[str], list] | None = None, references: tuple = ()) -> None:
    """Print an optional table, aligned ``label  value  note`` lines, and references."""
    cited = [[f"reference: {reference}"] for reference in references if reference]
    _print(*([table] if table else []), (None, list(rows)), *([(None, cited)] if cited else []))


def _method_row(key: str | None):
    if key in (None, GIVEN):
        return None
    entry = BSA_METHODS[key]
    return "formula", entry.label, entry.reference


def _km_row(km: float, species: str | None, label: str = "Km"):
    return label, f"{_figures(km)} {unit(KM.unit):~P}", SPECIES[species].label if species else "given"


def _bsa_row(area, key: str | None):
    if area is None:
        return None
    return "BSA", _show_bsa(area), "given" if key == GIVEN else BSA_METHODS[key].label


def _error(message: str) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(Text.assemble(("error:", "bold red"), " ", message))


_OPTION_NAMES = {
    "dose": "DOSE",
    "animal_dose": "DOSE",
    "cycle_days": "--cycle",
    "serum_creatinine": "--creatinine",
    "reduction_pct": "--reduce",
    "tolerance_pct": "--tolerance",
    "step": "--round-to",
    "strengths": "--vials",
}


def _message(err: DoseCalcError, names: dict = _OPTION_NAMES, guess: bool = True) -> str:
    """The core's message with its field named as the option: ``--height 1.75 cm: ...``; the
    option of a field is in ``names`` or, with ``guess``, ``--field``."""
    text = str(err)
    field = getattr(err, "field", None)
    if not field or not text.startswith(field):
        return text
    option = names.get(field) or (guess and field.isidentifier() and "--" + field.replace("_", "-"))
    if not option:
        return text
    rest = text[len(field):]
    return option + (" " + rest[1:] if rest.startswith("=") else rest)


@contextlib.contextmanager
def _step(option: str, given: str):
    """Name a step's option in its errors: a message about the calculated dose,
    or a table's row, gets ``--vials 100mg,50mg: `` in front."""
    try:
        yield
    except DoseCalcError as err:
        message = _message(err, {**_OPTION_NAMES, "dose": "calculated dose"})
        if message.startswith("--"):
            raise
        raise DoseCalcError(f"{option} {given}: {message}") from None


def _one_of(*options: tuple[str, str | None]) -> None:
    """Refuse options that exclude each other: ``--reduce 20 and --level -1``."""
    given = [f"{name} {text}".strip() for name, text in options if text is not None]
    if len(given) > 1:
        raise DoseCalcError(f"{' and '.join(given)}: expected only one of {', '.join(name for name, _ in options)}")


def _one_measure(round_to: str | None, vials: str | None, bands: str | None, tolerance: str | None) -> None:
    """Refuse rounding and banding together, and a tolerance without rounding."""
    _one_of(("--round-to", round_to), ("--vials", vials), ("--bands", bands))
    if tolerance is not None and round_to is None and vials is None:
        raise DoseCalcError(f"--tolerance {tolerance}: applies to rounding; give --round-to or --vials")


@contextlib.contextmanager
def _bad_input(names: dict = _OPTION_NAMES, guess: bool = True):
    """Turn a DoseCalcError into one line on stderr, its field named as the option (see
    :func:`_message`), and exit code 2."""
    try:
        yield
    except DoseCalcError as err:
        _error(_message(err, names, guess))
        raise typer.Exit(code=2) from None


# --- options shared by commands -------------------------------------------------

Height = Annotated[Optional[str], typer.Option(help="Height with unit: 175cm, \"1.75 m\", \"5 ft 9 in\", 5'9\".", show_default=False)]
Weight = Annotated[Optional[str], typer.Option(help='Weight with unit: "70kg", "154 lb".', show_default=False)]
Sex = Annotated[Optional[str], typer.Option(help='"f" or "m"; needed by sex-specific formulas (schlich, Cockcroft-Gault) and weight bases other than actual.', show_default=False)]
Method = Annotated[str, typer.Option(help="BSA formula; see `dosecalc methods`.")]
GivenBsa = Annotated[Optional[str], typer.Option("--bsa", help='BSA to use instead of a formula, in m²: "1.9" or "1.9 m2".', show_default=False)]
Dose = Annotated[str, typer.Argument(metavar="DOSE", help='Dose with its basis: "75mg/m2", "6.1 mg/kg", "100 mg".', show_default=False)]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object (full precision) instead of text.")]

# the safeguards of dose and regimen, applied in this order: --reduce or --level;
# the dose on the --weight-basis weight; --bsa-cap, --max-dose; --round-to, --vials or --bands
WeightBasis = Annotated[Optional[str], typer.Option(
    help="Weight for BSA and mg/kg doses: actual (the default, ASCO 2012), ideal (Devine), adjusted (IBW + 0.4 × excess) "
    "or lean (Janmahasatian); all but actual need --height and --sex.", show_default=False)]
BsaCap = Annotated[Optional[str], typer.Option(help='Cap on the BSA, in m²: "2.0" or "2 m2".', show_default=False)]
MaxDose = Annotated[Optional[str], typer.Option(help='Maximum dose per administration, with unit: "2mg".', show_default=False)]
Reduce = Annotated[Optional[str], typer.Option(help="Reduce the prescribed dose by this %: 20 for −20 %.", show_default=False)]
Level = Annotated[Optional[str], typer.Option(help="Dose level of --levels to give: -1.", show_default=False)]
Levels = Annotated[Optional[str], typer.Option(
    help='Dose-level table, CSV (level,dose rows: "-1,65 mg/m^2" or "-1,80 %") or TOML.', show_default=False)]
RoundTo = Annotated[Optional[str], typer.Option(help='Round the dose to a step: "5mg".', show_default=False)]
Vials = Annotated[Optional[str], typer.Option(help='Round the dose to whole vials or tablets: "100mg,50mg".', show_default=False)]
Tolerance = Annotated[Optional[str], typer.Option(
    help="Largest rounding difference in % (default 5, at most 10); beyond it the dose is not rounded (exit 2).", show_default=False)]
Bands = Annotated[Optional[str], typer.Option(help="Band the dose by a band table, CSV or TOML: examples/bands.csv.", show_default=False)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dosecalc {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """
    Unit-aware oncology dosing: BSA, patient doses, mg/m² ↔ mg/kg, HED, regimens,
    creatinine clearance and carboplatin; caps, rounding, bands and dose levels.

    Values take their unit, with or without a space: "75mg/m2", "175 cm", "5 ft 9 in", "154 lb".
    Every command has --json. dosecalc is decision support: a clinician must verify every dose.

    \b
    Examples:
      dosecalc dose 75mg/m2 --height 175cm --weight 70kg
      dosecalc bsa --height "5 ft 9 in" --weight "154 lb" --method all
      dosecalc convert 225mg/m2 --to mg/kg
      dosecalc hed 50mg/kg --species rat
      dosecalc regimen 75mg/m2 --days 1,8,15 --cycle 28 --cycles 6
      dosecalc dose 1.4mg/m2 --bsa 1.9 --max-dose 2mg
      dosecalc crcl --age 60 --weight 80kg --sex m --creatinine 1.2mg/dL
      dosecalc carboplatin --auc 5 --gfr 90mL/min
      dosecalc cohort patients.csv -o dosed.csv --dose 75mg/m2
    """


# --- commands -------------------------------------------------------------------


@app.command("bsa")
def bsa_command(
    height: Height = None,
    weight: Weight = None,
    method: Annotated[str, typer.Option(help='BSA formula (see `dosecalc methods`), or "all" for every formula.')] = "mosteller",
    sex: Sex = None,
    as_json: AsJson = False,
) -> None:
    """
    Body-surface area in m².

    \b
    Examples:
      dosecalc bsa --height 175cm --weight 70kg
      dosecalc bsa --height "5 ft 9 in" --weight "154 lb" --method dubois
      dosecalc bsa --height 165cm --weight 60kg --method all --sex f
    """
    with _bad_input():
        inputs = {"height": _read(height, "height", HEIGHT.unit), "weight": _read(weight, "weight", WEIGHT.unit)}
        keys = list(BSA_METHODS) if method.strip().lower() == "all" else [bsa_method(method)]
        areas = {}
        for key in keys:
            try:
                areas[key] = bsa(_value(inputs["height"]), _value(inputs["weight"]), method=key, sex=sex)
            except MissingInputError as err:
                if len(keys) == 1 or err.field != "sex":
                    raise
        described = _inputs_json(inputs, sex)
    if len(keys) == 1:
        (key,) = keys
        if as_json:
            _print_json("bsa", inputs=described, results=_results_json({"bsa": areas[key]}), method=_method_json(key))
            return
        _print_rows(("BSA", _show_bsa(areas[key]), BSA_METHODS[key].label), *_input_rows(inputs, described), _method_row(key))
        return
    if as_json:
        _print_json("bsa", inputs=described, results=_results_json(areas), methods=[_method_json(key) for key in keys])
        return
    rows = [[key, BSA_METHODS[key].label, _show_bsa(areas[key]) if key in areas else "needs --sex"] for key in keys]
    _print_rows(*_input_rows(inputs, described), table=(["method", "formula", "BSA"], rows))


def _input_rows(inputs: dict[str, _Input | None], described: dict, skip=(), labels=None) -> list:
    rows = [item.row((labels or {}).get(name, name)) for name, item in inputs.items() if item is not None and name not in skip]
    if "sex" in described:
        rows.append(("sex", described["sex"]["value"], ""))
    return rows


@app.command("dose")
def dose_command(
    dose: Dose,
    height: Height = None,
    weight: Weight = None,
    given_bsa: GivenBsa = None,
    method: Method = "mosteller",
    sex: Sex = None,
    weight_basis: WeightBasis = None,
    bsa_cap: BsaCap = None,
    max_dose: MaxDose = None,
    reduce: Reduce = None,
    level: Level = None,
    levels: Levels = None,
    round_to: RoundTo = None,
    vials: Vials = None,
    tolerance: Tolerance = None,
    bands: Bands = None,
    as_json: AsJson = False,
) -> None:
    """
    A patient's absolute dose in mg, from mg/m², mg/kg or flat mg, with its
    equivalents per m² and per kg and the BSA used. Safeguards apply in this
    order: --reduce or --level; the dose on the --weight-basis weight;
    --bsa-cap, then --max-dose; then --round-to, --vials or --bands.

    \b
    Examples:
      dosecalc dose 75mg/m2 --height 175cm --weight 70kg
      dosecalc dose 75mg/m2 --bsa 1.9
      dosecalc dose "6.1 mg/kg" --weight "154 lb"
      dosecalc dose 1.4mg/m2 --bsa 1.9 --max-dose 2mg
      dosecalc dose 75mg/m2 --height 190cm --weight 110kg --bsa-cap 2.0 --round-to 5mg
      dosecalc dose 1000mg/m2 --bsa 1.18 --bands examples/bands.csv
      dosecalc dose 85mg/m2 --bsa 1.9 --reduce 20
    """
    with _bad_input():
        guards = _Safeguards(weight_basis, bsa_cap, max_dose, reduce, level, levels, round_to, vials, tolerance, bands)
        inputs = _patient_inputs(dose, height, weight, given_bsa)
        steps = guards.patient_steps(inputs, guards.modify(inputs["dose"].quantity), method, sex)
        described = {**_inputs_json(inputs, sex), **guards.inputs_json(steps)}
    result = steps.patient
    if as_json:
        results = {"dose": steps.dose, "bsa": result.bsa, "dose_per_m2": result.dose_per_m2, "dose_per_kg": result.dose_per_kg}
        _print_json("dose", inputs=described, results=_results_json(results), method=_method_json(result.bsa_method), **steps.to_json())
        return
    _print_rows(
        *_step_rows(steps, "dose"),
        *_equivalent_rows(steps),
        _bsa_row(result.bsa, result.bsa_method),
        *_input_rows(inputs, described, skip=("dose", "bsa")),
        *_weight_rows(result),
        _method_row(result.bsa_method),
        _weight_basis_row(result),
    )


def _patient_inputs(dose: str, height, weight, given_bsa) -> dict[str, _Input | None]:
    return {
        "dose": _read(dose, "dose"),
        "height": _read(height, "height", HEIGHT.unit),
        "weight": _read(weight, "weight", WEIGHT.unit),
        "bsa": _read(given_bsa, "bsa", BSA.unit, bare=True),
    }


def _patient_arguments(inputs: dict[str, _Input | None]) -> dict:
    """height, weight and bsa as library arguments (None where not given)."""
    return {name: _value(inputs[name]) for name in ("height", "weight", "bsa")}


# --- safeguards: the steps of a patient's dose ------------------------------------


@dataclass(frozen=True)
class _Steps:
    """A patient's dose step by step: the modification, the calculation with
    its caps (a PatientDose; None for a regimen without a patient), then the
    rounding or the band."""

    modification: Any
    patient: Any
    rounding: Any = None
    band: Any = None

    @property
    def dose(self):
        """The dose to give [mg]: the last step's."""
        if self.rounding is not None:
            return self.rounding.rounded
        if self.band is not None:
            return self.band.banded
        return self.patient.dose

    def to_json(self) -> dict:
        return {
            "modification": plain(self.modification),
            "patient_dose": plain(self.patient),
            "rounding": plain(self.rounding),
            "band": plain(self.band),
        }


def _prescribed(inputs: dict, modification):
    """The prescribed dose after step 1 (--reduce or --level), in its basis."""
    return inputs["dose"].quantity if modification is None else modification.modified


def _named(given: str, value) -> dict:
    """An input without a unit: a name or a file."""
    return {"given": given, "value": value, "unit": None}


@dataclass(frozen=True)
class _Safeguards:
    """The safeguard options of ``dose`` and ``regimen`` as typed, and the
    steps they ask for (see "Safeguards" in the module docstring)."""

    weight_basis: str | None
    bsa_cap: str | None
    max_dose: str | None
    reduce: str | None
    level: str | None
    levels: str | None
    round_to: str | None
    vials: str | None
    tolerance: str | None
    bands: str | None

    def __post_init__(self):
        _one_of(("--reduce", self.reduce), ("--level", self.level))
        _one_measure(self.round_to, self.vials, self.bands, self.tolerance)
        if self.levels is not None and self.level is None:
            raise MissingInputError("level", f"a dose level of --levels {self.levels}")

    @functools.cached_property
    def read(self) -> dict[str, _Input | None]:
        return {
            "bsa_cap": _read(self.bsa_cap, "bsa_cap", BSA.unit, bare=True),
            "max_dose": _read(self.max_dose, "max_dose", FLAT),
            "reduce": _read(self.reduce, "reduction_pct", "percent", bare=True),
            "round_to": _read(self.round_to, "step", FLAT),
            "tolerance": _read(self.tolerance, "tolerance_pct", "percent", bare=True),
        }

    @property
    def about_patient(self) -> bool:
        """Whether an option of steps 2 and 3, about a patient's dose, was given."""
        return any(text is not None for text in (self.weight_basis, self.bsa_cap, self.max_dose, self.round_to, self.vials, self.bands))

    def modify(self, prescribed):
        """Step 1: the ModifiedDose of --reduce or --level; None without them."""
        if self.reduce is not None:
            return modify_dose(prescribed, reduction_pct=self.read["reduce"].quantity)
        if self.level is None:
            return None
        table = None
        if self.levels is not None:
            with _step("--levels", self.levels):
                table = read_level_table(self.levels)
        with _step("--level", self.level):
            return modify_dose(prescribed, level=self.level, levels=table)

    def patient_steps(self, inputs: dict, modification, method: str, sex: str | None) -> _Steps:
        """Steps 2 and 3: the patient's dose with its caps, then rounded or banded."""
        options = {"weight_basis": self.weight_basis, "bsa_cap": _value(self.read["bsa_cap"]), "max_dose": _value(self.read["max_dose"])}
        result = patient_dose(
            _prescribed(inputs, modification), **_patient_arguments(inputs), method=method, sex=sex,
            **{name: value for name, value in options.items() if value is not None},
        )
        rounding = band = None
        if self.round_to is not None or self.vials is not None:
            tolerance = {} if self.tolerance is None else {"tolerance_pct": self.read["tolerance"].quantity}
            with _step(*(("--round-to", self.round_to) if self.vials is None else ("--vials", self.vials))):
                rounding = round_dose(
                    result.dose, step=_value(self.read["round_to"]), strengths=self.vials, ceiling=result.max_dose, **tolerance
                )
        elif self.bands is not None:
            with _step("--bands", self.bands):
                band = band_dose(result.dose, self.bands)
        return _Steps(modification, result, rounding, band)

    def inputs_json(self, steps: _Steps) -> dict:
        """The safeguard options given, as ``{"given", "value", "unit"}``."""
        out = {name: item.to_json() for name, item in self.read.items() if item is not None}
        if self.weight_basis is not None:
            out["weight_basis"] = _named(self.weight_basis, steps.patient.weight_basis)
        if self.level is not None:
            out["level"] = _named(self.level, steps.modification.level)
        for name, path in (("levels", self.levels), ("bands", self.bands)):
            if path is not None:
                out[name] = _named(path, os.path.abspath(path))
        if self.vials is not None:
            out["vials"] = {"given": self.vials, **plain(steps.rounding.strengths)}
        return out


def _calculation(result, bsa=None) -> str:
    """How a PatientDose's dose is calculated: "75 mg/m² × BSA 1.84 m²" (at ``bsa``
    when given: the BSA before its cap)."""
    if result.basis == FLAT:
        return "flat dose, as prescribed"
    size = f"BSA {_show_bsa(result.bsa if bsa is None else bsa)}" if result.basis == PER_M2 else _show(result.dosing_weight)
    return f"{_show(result.prescribed)} × {size}"


def _modification_row(modification) -> tuple[str, str, str]:
    if modification.method == "reduction":
        return "reduced", _show(modification.modified), f"{_show(modification.original)} {_percent(-modification.reduction_pct)}"
    share = f"{_figures(modification.percent_of_original)} % of {_show(modification.original)}"
    return f"level {modification.level}", _show(modification.modified), f"{modification.level_table}: {share}"


def _last_step(steps: _Steps) -> str | None:
    """How the rounding or band changed the calculated dose; None without them."""
    if steps.rounding is not None:
        rounding = steps.rounding
        if rounding.method == "step":
            measure = f"a {_show(rounding.step)} step"
        else:
            measure = " + ".join(f"{count} × {_show(strength)}" for count, strength in zip(rounding.counts, rounding.strengths) if count)
        within = f"within ±{_figures(rounding.tolerance_pct)} %"
        return f"{_show(rounding.calculated)} rounded to {measure}: {_percent(rounding.difference_pct)}, {within}"
    if steps.band is not None:
        band = steps.band
        return f"{_show(band.calculated)} in band {band.band} of {band.table}: {_percent(band.deviation_pct)}"
    return None


def _step_rows(steps: _Steps, label: str) -> list[tuple[str, str, str]]:
    """The dose to give (as ``label``), then each step: modification,
    calculation, caps, rounding or band."""
    rows = [] if steps.modification is None else [_modification_row(steps.modification)]
    result = steps.patient
    if result is None:
        return rows
    calculated = f"capped at the max dose, {_show(result.max_dose)}" if result.max_dose_applied else _calculation(result)
    last = _last_step(steps)
    if last is not None:
        rows.append(("calculated", _show(result.dose), calculated))
    if result.bsa_cap_applied or result.max_dose_applied:
        rows.append(("uncapped", _show(result.dose_uncapped), _calculation(result, result.bsa_uncapped)))
    if result.bsa_cap is not None:
        applied = f"applied: BSA {_show_bsa(result.bsa_uncapped)} capped" if result.bsa_cap_applied else "not applied"
        rows.append(("BSA cap", _show_bsa(result.bsa_cap), applied))
    if result.max_dose is not None:
        rows.append(("max dose", _show(result.max_dose), "applied" if result.max_dose_applied else "not applied"))
    return [(label, _show(steps.dose), last or calculated), *rows]


def _equivalent_rows(steps: _Steps) -> list[tuple[str, str, str]]:
    """The calculated dose per m² of BSA and per kg of dosing weight, as the
    library reports them (a capped dose per m² of the uncapped BSA)."""
    result = steps.patient
    capped = result.bsa_cap_applied or result.max_dose_applied
    size = {
        PER_M2: None if result.bsa is None else f"BSA {_show_bsa(result.bsa if result.bsa_uncapped is None else result.bsa_uncapped)}",
        PER_KG: None if result.dosing_weight is None else _show(result.dosing_weight),
    }
    rows = []
    for basis, label, amount in ((PER_M2, "per m²", result.dose_per_m2), (PER_KG, "per kg", result.dose_per_kg)):
        if amount is not None:
            if basis == result.basis and not capped:
                note = "as prescribed" if steps.modification is None else "as modified"
            else:
                note = f"{_show(result.dose)} ÷ {size[basis]}"
            rows.append((label, _show(amount), note))
    return rows


def _weight_rows(result) -> list[tuple[str, str, str]]:
    """The dosing weight where it is not the actual weight, and the BMI with the obesity flag."""
    rows = []
    if result.weight_basis != ACTUAL and result.dosing_weight is not None:
        rows.append(("dosing weight", _show(result.dosing_weight), WEIGHT_BASES[result.weight_basis].label))
    if result.bmi is not None:
        rows.append(("BMI", _show(result.bmi), "obese (≥ 30 kg/m²): flagged; the dose is not changed" if result.obese else ""))
    return rows


def _weight_basis_row(result):
    if result.dosing_weight is None:
        return None
    return "weight basis", WEIGHT_BASES[result.weight_basis].label, result.weight_basis_reference


@app.command("convert")
def convert_command(
    dose: Annotated[str, typer.Argument(metavar="DOSE", help='Dose in mg/m² or mg/kg (or per week): "225mg/m2", "10 mg/kg".', show_default=False)],
    to: Annotated[str, typer.Option(help='The basis to convert to: "mg/kg" or "mg/m2".', show_default=False)],
    species: Annotated[Optional[str], typer.Option(help="Species whose Km factor to use (default human); see `dosecalc species`.", show_default=False)] = None,
    km: Annotated[Optional[str], typer.Option(help='Km factor in kg/m² instead of a species: "25" or "25 kg/m2".', show_default=False)] = None,
    as_json: AsJson = False,
) -> None:
    """
    Convert a dose between mg/m² and mg/kg by a population Km factor (FDA 2005):
    mg/m² = Km × mg/kg.

    \b
    Examples:
      dosecalc convert 225mg/m2 --to mg/kg
      dosecalc convert 10mg/kg --to mg/m2 --species rat
      dosecalc convert "75 mg/m2/week" --to mg/kg --km 25
    """
    with _bad_input():
        _one_of(("--species", species), ("--km", km))
        inputs = {"dose": _read(dose, "dose"), "km": _read(km, "km", KM.unit, bare=True)}
        convert = to_mg_per_kg if _target_basis(to) == PER_KG else to_mg_per_m2
        converted = convert(inputs["dose"].quantity, km=_value(inputs["km"]), species=species)
        factor = km_factor(_value(inputs["km"]), species)
        key = None if km is not None else species_name(species or "human")
        described = _inputs_json(inputs)
    if as_json:
        _print_json("convert", inputs=described, results=_results_json({"dose": converted}), km=_km_json(factor, key))
        return
    operator = "÷" if convert is to_mg_per_kg else "×"
    how = f"from {_show(inputs['dose'].normalised)} {operator} Km {_figures(factor)} {unit(KM.unit):~P}"
    _print_rows(("dose", _show(converted), how), _km_row(factor, key), references=(FDA_2005 if key else None,))


@app.command("hed")
def hed_command(
    dose: Annotated[str, typer.Argument(metavar="DOSE", help='The animal dose: "50mg/kg" (or mg/m²).', show_default=False)],
    species: Annotated[Optional[str], typer.Option(help="The animal species; see `dosecalc species`.", show_default=False)] = None,
    km: Annotated[Optional[str], typer.Option(help="The animal's Km factor in kg/m², for a species not in the table.", show_default=False)] = None,
    as_json: AsJson = False,
) -> None:
    """
    Human-equivalent dose in mg/kg of an animal dose, by body-surface-area
    scaling (FDA 2005): HED = animal dose × Km animal / Km human.

    \b
    Examples:
      dosecalc hed 50mg/kg --species rat
      dosecalc hed 30mg/kg --species dog --json
    """
    with _bad_input():
        if species is None and km is None:
            raise MissingInputError("species", "a human-equivalent dose (or give --km)")
        _one_of(("--species", species), ("--km", km))
        inputs = {"dose": _read(dose, "animal_dose"), "km": _read(km, "km", KM.unit, bare=True)}
        equivalent = hed(inputs["dose"].quantity, species=species, km=_value(inputs["km"]))
        animal_km = km_factor(_value(inputs["km"]), species)
        key = None if km is not None else species_name(species)
        human_km = km_factor(species="human")
        described = _inputs_json(inputs)
    if as_json:
        _print_json(
            "hed", inputs=described, results=_results_json({"hed": equivalent}),
            km=_km_json(animal_km, key), human_km=_km_json(human_km, "human"),
        )
        return
    given = inputs["dose"].normalised
    if dose_basis(given)[0] == PER_KG:
        how = f"from {_show(given)} × Km {_figures(animal_km)} ÷ Km {_figures(human_km)}"
    else:
        how = f"from {_show(given)} ÷ Km {_figures(human_km)}"
    _print_rows(("HED", _show(equivalent), how), _km_row(animal_km, key), _km_row(human_km, "human", "human Km"), references=(FDA_2005,))


@app.command("regimen")
def regimen_command(
    dose: Dose,
    days: Annotated[str, typer.Option(help="Dosing days of the cycle, day 1 first: 1,8,15.", show_default=False)],
    cycle: Annotated[int, typer.Option(help="Cycle length in days: 28.", show_default=False)],
    cycles: Annotated[Optional[int], typer.Option(help="Number of cycles, for the cumulative dose.", show_default=False)] = None,
    height: Height = None,
    weight: Weight = None,
    given_bsa: GivenBsa = None,
    method: Method = "mosteller",
    sex: Sex = None,
    weight_basis: WeightBasis = None,
    bsa_cap: BsaCap = None,
    max_dose: MaxDose = None,
    reduce: Reduce = None,
    level: Level = None,
    levels: Levels = None,
    round_to: RoundTo = None,
    vials: Vials = None,
    tolerance: Tolerance = None,
    bands: Bands = None,
    as_json: AsJson = False,
) -> None:
    """
    Regimen arithmetic: per administration, per cycle, dose intensity per week,
    the mg/kg (or mg/m²) equivalent by the adult human Km, the cumulative dose
    and, given height and weight (or --bsa), the patient's doses in mg.
    --reduce or --level changes the regimen's doses; the other safeguards
    apply to each of the patient's administrations, as in `dosecalc dose`.

    \b
    Examples:
      dosecalc regimen 75mg/m2 --days 1,8,15 --cycle 28
      dosecalc regimen 75mg/m2 --days 1,8,15 --cycle 28 --cycles 6 --height 175cm --weight 70kg
      dosecalc regimen 85mg/m2 --days 1 --cycle 14 --reduce 20 --bsa 1.9 --round-to 5mg
    """
    with _bad_input():
        method = bsa_method(method)
        guards = _Safeguards(weight_basis, bsa_cap, max_dose, reduce, level, levels, round_to, vials, tolerance, bands)
        inputs = _patient_inputs(dose, height, weight, given_bsa)
        steps = _Steps(guards.modify(inputs["dose"].quantity), None)
        schedule = Regimen(_prescribed(inputs, steps.modification), days=_days(days), cycle_days=cycle)
        prescribed = _schedule_doses(schedule.per_administration, schedule, cycles)
        equivalents, factor = {}, None
        if schedule.basis != FLAT:
            convert = to_mg_per_kg if schedule.basis == PER_M2 else to_mg_per_m2
            equivalents = {name: convert(prescribed[name]) for name in ("per_administration", "per_cycle", "dose_intensity")}
            factor = km_factor()
        patient, area, method_key = {}, None, None
        if guards.about_patient or any(value is not None for value in _patient_arguments(inputs).values()):
            steps = guards.patient_steps(inputs, steps.modification, method, sex)
            # the patient's regimen: each administration's dose to give, in mg, on the same days
            doses = Regimen(steps.dose, days=schedule.days, cycle_days=schedule.cycle_days)
            patient = _schedule_doses(doses.per_administration, doses, cycles)
            area, method_key = steps.patient.bsa, steps.patient.bsa_method
        described = {**_inputs_json(inputs, sex), **guards.inputs_json(steps)}
        described["days"] = {"given": days, "value": list(schedule.days), "unit": "day"}
        described["cycle"] = {"given": str(cycle), "value": schedule.cycle_days, "unit": "day"}
        if cycles is not None:
            described["cycles"] = {"given": str(cycles), "value": cycles, "unit": None}
    km = None if factor is None else _km_json(factor, "human")
    if as_json:
        results = {
            **prescribed,
            **{f"{name}_equivalent": quantity for name, quantity in equivalents.items()},
            "bsa": area,
            **{f"patient_{name}": quantity for name, quantity in patient.items()},
        }
        _print_json("regimen", inputs=described, results=_results_json(results), km=km, method=_method_json(method_key), **steps.to_json())
        return
    columns = {BASIS_LABELS[schedule.basis]: prescribed}
    if equivalents:
        columns[f"≈ {BASIS_LABELS[PER_KG if schedule.basis == PER_M2 else PER_M2]}"] = equivalents
    if patient:
        columns["patient"] = patient
    rows = [
        [f"{label}, {cycles} cycles" if name == "cumulative" else label]
        + [_show(doses[name]) if name in doses else "" for doses in columns.values()]
        for name, label in _SCHEDULE_LABELS.items()
        if name in prescribed
    ]
    _print_rows(
        ("schedule", f"days {', '.join(map(str, schedule.days))}", f"of a {schedule.cycle_days}-day cycle"),
        None if factor is None else _km_row(factor, "human", "≈ by Km"),
        *_step_rows(steps, "patient dose"),
        _bsa_row(area, method_key),
        *_input_rows(inputs, described, skip=("dose", "bsa")),
        *([] if steps.patient is None else _weight_rows(steps.patient)),
        _method_row(method_key),
        None if steps.patient is None else _weight_basis_row(steps.patient),
        table=(["", *columns], rows),
        references=(None if factor is None else FDA_2005,),
    )


_SCHEDULE_LABELS = {
    "per_administration": "per administration",
    "per_cycle": "per cycle",
    "dose_intensity": "dose intensity",
    "cumulative": "cumulative",
}


def _schedule_doses(per_administration, plan, cycles: int | None) -> dict:
    """The doses of a Regimen (in its basis) or a RegimenDose (in mg)."""
    doses = {"per_administration": per_administration, "per_cycle": plan.per_cycle, "dose_intensity": plan.dose_intensity}
    if cycles is not None:
        doses["cumulative"] = plan.cumulative(cycles)
    return doses


# --- renal function and carboplatin ---------------------------------------------

Age = Annotated[Optional[str], typer.Option(help='Age in years: 60 (or "60 years"); 18-120.', show_default=False)]
Creatinine = Annotated[Optional[str], typer.Option(
    help='Serum creatinine with its unit: "1.2mg/dL" or "106umol/L"; a bare number is refused.', show_default=False)]

# name: (label, equation, reference); the names are the library's (CarboplatinDose.formula, .gfr_source)
_FORMULAS = {
    COCKCROFT_GAULT: (
        "Cockcroft-Gault",
        "CrCl [mL/min] = (140 − age [years]) × weight [kg] / (72 × creatinine [mg/dL]), × 0.85 for women",
        COCKCROFT_GAULT_1976,
    ),
    "calvert": ("Calvert", "dose [mg] = AUC [mg/mL·min] × (GFR [mL/min] + 25)", CALVERT_1989),
}


def _formula_json(key: str) -> dict | None:
    if key not in _FORMULAS:  # a GFR given, not estimated
        return None
    label, equation, reference = _FORMULAS[key]
    return {"name": key, "label": label, "equation": equation, "reference": reference}


def _formula_note(key: str) -> str:
    label, equation, _ = _FORMULAS[key]
    return f"{label}: {equation}"


def _renal_inputs(age, weight, creatinine) -> dict[str, _Input | None]:
    return {
        "age": _read(age, "age", ADULT_AGE.unit, bare=True),
        "weight": _read(weight, "weight", WEIGHT.unit),
        "creatinine": _read_creatinine(creatinine),
    }


def _renal_arguments(inputs: dict[str, _Input | None], sex: str | None) -> dict:
    """The Cockcroft-Gault inputs as library arguments (None where not given)."""
    return {"age": _years(inputs["age"]), "weight": _value(inputs["weight"]), "sex": sex, "serum_creatinine": _value(inputs["creatinine"])}


@app.command("crcl")
def crcl_command(
    age: Age = None,
    weight: Weight = None,
    sex: Sex = None,
    creatinine: Creatinine = None,
    as_json: AsJson = False,
) -> None:
    """
    Creatinine clearance in mL/min by Cockcroft-Gault (adults), from age,
    weight, sex and serum creatinine in mg/dL or µmol/L (88.4 µmol/L = 1 mg/dL).

    \b
    Examples:
      dosecalc crcl --age 60 --weight 80kg --sex m --creatinine 1.2mg/dL
      dosecalc crcl --age 45 --weight 65kg --sex f --creatinine 80umol/L --json
    """
    with _bad_input():
        inputs = _renal_inputs(age, weight, creatinine)
        clearance = crcl_cockcroft_gault(**_renal_arguments(inputs, sex))
        described = _inputs_json(inputs, sex)
    if as_json:
        _print_json("crcl", inputs=described, results=_results_json({"crcl": clearance}), formula=_formula_json(COCKCROFT_GAULT))
        return
    _print_rows(
        ("CrCl", _show(clearance), _formula_note(COCKCROFT_GAULT)),
        *_input_rows(inputs, described),
        references=(_FORMULAS[COCKCROFT_GAULT][2],),
    )


@app.command("carboplatin")
def carboplatin_command(
    auc: Annotated[str, typer.Option(help="Target AUC in mg/mL·min: 5 (1-10).", show_default=False)],
    gfr: Annotated[Optional[str], typer.Option(
        help='Absolute GFR with unit: "90mL/min" (not per 1.73 m²); or give --age, --weight, --sex and --creatinine.',
        show_default=False)] = None,
    age: Age = None,
    weight: Weight = None,
    sex: Sex = None,
    creatinine: Creatinine = None,
    gfr_cap: Annotated[Optional[str], typer.Option(help="Cap on the GFR in mL/min: 125 (the default, FDA).", show_default=False)] = None,
    no_gfr_cap: Annotated[bool, typer.Option("--no-gfr-cap", help="Use the GFR uncapped.")] = False,
    as_json: AsJson = False,
) -> None:
    """
    Carboplatin dose in mg by the Calvert formula, AUC × (GFR + 25), the GFR
    given or estimated by Cockcroft-Gault and capped at 125 mL/min (FDA): at
    most 900 mg at AUC 6.

    \b
    Examples:
      dosecalc carboplatin --auc 5 --gfr 90mL/min
      dosecalc carboplatin --auc 6 --age 60 --weight 80kg --sex m --creatinine 1.2mg/dL
      dosecalc carboplatin --auc 6 --gfr 140mL/min --no-gfr-cap
    """
    with _bad_input():
        _one_of(("--gfr-cap", gfr_cap), ("--no-gfr-cap", "" if no_gfr_cap else None))
        estimate = [f"--{name} {text}" for name, text in (("age", age), ("weight", weight), ("sex", sex), ("creatinine", creatinine)) if text is not None]
        if gfr is not None and estimate:
            raise DoseCalcError(
                f"--gfr {gfr} and {' '.join(estimate)}: expected --gfr or the Cockcroft-Gault inputs "
                "(--age, --weight, --sex, --creatinine), not both"
            )
        if gfr is None and not estimate:
            raise MissingInputError("gfr", "the carboplatin dose (or --age, --weight, --sex and --creatinine)")
        renal = _renal_inputs(age, weight, creatinine)
        inputs = {"auc": _read(auc, "auc", AUC.unit, bare=True), "gfr": _read(gfr, "gfr", GFR.unit), **renal,
                  "gfr_cap": _read(gfr_cap, "gfr_cap", GFR.unit, bare=True)}
        cap = {"gfr_cap": None} if no_gfr_cap else {} if gfr_cap is None else {"gfr_cap": _value(inputs["gfr_cap"])}
        result = carboplatin_dose(auc=_value(inputs["auc"]), gfr=_value(inputs["gfr"]), **_renal_arguments(renal, sex), **cap)
        described = _inputs_json(inputs, sex)
        if no_gfr_cap:
            described["gfr_cap"] = _named("--no-gfr-cap", None)
    if as_json:
        results = {"dose": result.dose, "dose_uncapped": result.dose_uncapped, "gfr": result.gfr,
                   "gfr_uncapped": result.gfr_uncapped, "gfr_cap": result.gfr_cap}
        _print_json(
            "carboplatin", inputs=described, results=_results_json(results), formula=_formula_json(result.formula),
            gfr_formula=_formula_json(result.gfr_source), carboplatin_dose=result.to_dict(),
        )
        return
    if result.gfr_cap is None:
        cap_row = ("GFR cap", "none", "--no-gfr-cap: the GFR enters uncapped")
    else:
        cap_row = ("GFR cap", _show(result.gfr_cap), f"applied: the dose uses GFR {_show(result.gfr)}" if result.cap_applied else "not applied")
    _print_rows(
        ("dose", _show(result.dose), _formula_note(result.formula)),
        ("uncapped", _show(result.dose_uncapped), f"at GFR {_show(result.gfr_uncapped)}") if result.cap_applied else None,
        ("GFR", _show(result.gfr_uncapped), "given" if result.gfr_reference is None else _formula_note(result.gfr_source)),
        cap_row,
        *_input_rows(inputs, described, skip=("gfr", "gfr_cap"), labels={"auc": "AUC"}),
        references=(result.reference, result.gfr_reference),
    )


@app.command("methods")
def methods_command(as_json: AsJson = False) -> None:
    """
    The BSA formulas, with what they need and their references.

    \b
    Example:
      dosecalc methods
    """
    listed = []
    for key, entry in BSA_METHODS.items():
        needs = ["height", "weight"] if entry.needs_height else ["weight"]
        listed.append({**_method_json(key), "needs": needs + (["sex"] if entry.needs_sex else [])})
    if as_json:
        _print_json("methods", methods=listed)
        return
    rows = [[item["name"], item["label"], ", ".join(item["needs"]), item["reference"]] for item in listed]
    _print((["method", "formula", "needs", "reference"], rows))


@app.command("species")
def species_command(as_json: AsJson = False) -> None:
    """
    The Km factors (body weight / BSA, kg/m²) of FDA (2005) Table 1.

    \b
    Example:
      dosecalc species
    """
    units = {"km": f"{unit(KM.unit):~P}", "reference_weight": f"{unit(WEIGHT.unit):~P}", "bsa": f"{unit(BSA.unit):~P}"}
    listed = [
        {
            "name": key,
            "label": row.label,
            "km": {"value": float(row.km), "unit": units["km"]},
            "reference_weight": {"value": row.reference_weight_kg, "unit": units["reference_weight"]},
            "bsa": {"value": row.bsa_m2, "unit": units["bsa"]},
        }
        for key, row in SPECIES.items()
    ]
    if as_json:
        _print_json("species", species=listed, reference=FDA_2005)
        return
    headers = ["name", "species", f"Km [{units['km']}]", f"ref. weight [{units['reference_weight']}]", f"BSA [{units['bsa']}]"]
    rows = [[item["name"], item["label"], *(f"{item[name]['value']:g}" for name in units)] for item in listed]
    _print(([*headers], rows), (None, [[f"reference: {FDA_2005}"]]))


@app.command("cohort")
def cohort_command(
    inputs: Annotated[list[str], typer.Argument(
        metavar="INPUT...", help="Patient CSV or Parquet file; or folders, globs or several files: a dataset.", show_default=False)],
    output: Annotated[str, typer.Option(
        "--output", "-o", help="Output file (.csv or .parquet); for a dataset (or a name ending in /), a new Parquet folder.",
        show_default=False)],
    dose: Annotated[Optional[str], typer.Option(help='Dose for every row: "75mg/m2" (else a dose column).', show_default=False)] = None,
    method: Method = "mosteller",
    rejects: Annotated[Optional[str], typer.Option(help="Write the rejected rows, with row number and reason, here.", show_default=False)] = None,
    column_map: Annotated[Optional[list[str]], typer.Option("--map", help="Column for an input: height=Ht (repeatable).", show_default=False)] = None,
    height_unit: Annotated[Optional[str], typer.Option(help='Unit of a mapped height column: "in".', show_default=False)] = None,
    weight_unit: Annotated[Optional[str], typer.Option(help='Unit of a mapped weight column: "lb".', show_default=False)] = None,
    weight_basis: WeightBasis = None,
    flag_obesity: Annotated[bool, typer.Option(help="Add an obese column (BMI ≥ 30 kg/m²); the dose is not changed.")] = False,
    bsa_cap: BsaCap = None,
    max_dose: MaxDose = None,
    reduce: Reduce = None,
    round_to: RoundTo = None,
    vials: Vials = None,
    tolerance: Tolerance = None,
    bands: Bands = None,
    engine: Annotated[str, typer.Option(help="Run a dataset in this process (local) or on a Dask cluster (dask).")] = "local",
    scheduler: Annotated[Optional[str], typer.Option(
        help="Dask scheduler address, with --engine dask; default: a local cluster.", show_default=False)] = None,
    workers: Annotated[int, typer.Option(help="Workers of the local Dask cluster.")] = 2,
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

    A folder, a glob, several files or an output ending in / make a dataset: the output and the
    rejects are then Parquet folders, with each rejected row's file and row.
    """
    from .cohort import convert_dataset, convert_file  # pyarrow: loaded only for a cohort

    units = {name: text for name, text in (("height", height_unit), ("weight", weight_unit)) if text}
    with _bad_input(_COHORT_OPTIONS, guess=False):
        _one_measure(round_to, vials, bands, tolerance)
        if scheduler is not None and engine != "dask":
            raise DoseCalcError(f"--scheduler {scheduler}: runs --engine dask, not --engine {engine}")
        columns = _column_map(column_map or [])
        band_table = None
        if bands is not None:
            with _step("--bands", bands):
                band_table = read_band_table(bands)
        safeguards = {
            "weight_basis": weight_basis, "bsa_cap": _bare_number(bsa_cap), "max_dose": max_dose,
            "reduction_pct": _bare_number(reduce), "round_to": round_to, "vials": vials,
            "tolerance_pct": _bare_number(tolerance), "bands": band_table, "flag_obesity": flag_obesity or None,
        }
        common = {
            "dose": dose, "method": method, "column_map": columns or None, "column_units": units or None,
            **{name: value for name, value in safeguards.items() if value is not None},
        }
        # one file (or a missing one, which convert_file reports as such), not a folder or glob, to a file
        named = Path(inputs[0])
        one_file = (
            len(inputs) == 1 and (named.is_file() or not (named.is_dir() or set("*?[") & set(inputs[0])))
            and not output.endswith((os.sep, "/")) and engine == "local" and scheduler is None
        )
        with _terminable(), _progress() as progress:
            if one_file:
                summary = convert_file(inputs[0], output, rejects_path=rejects, progress=progress, **common)
            else:
                summary = convert_dataset(
                    inputs, output, rejects_dir=rejects, progress=progress,
                    engine=engine, scheduler=scheduler, workers=workers, **common,
                )
    if as_json:
        _print_json("cohort", summary=summary.to_dict())
    else:
        _print_rows(
            ("rows read", f"{summary.rows_read:,}", ""),
            ("written", f"{summary.rows_written:,}", str(summary.output)),
            ("rejected", f"{summary.rows_rejected:,}", _rejected_where(summary)),
            ("time", f"{summary.seconds:.2f} s", ""),
        )
    if summary.rows_rejected:
        raise typer.Exit(code=3)


# the cohort's options by the engine's fields; its other fields are columns, and stay as they are
_COHORT_OPTIONS = {
    "dose": "--dose", "method": "--method", "weight_basis": "--weight-basis", "bsa_cap": "--bsa-cap",
    "max_dose": "--max-dose", "reduction_pct": "--reduce", "round_to": "--round-to", "strengths": "--vials",
    "tolerance_pct": "--tolerance", "engine": "--engine", "workers": "--workers", "column_map": "--map",
    **{f"column_units[{name!r}]": f"--{name}-unit" for name in ("height", "weight")},
    **{f"column for {name}": f"--map {name}" for name in ("height", "weight", "dose", "sex")},
}


def _rejected_where(summary) -> str:
    if not summary.rows_rejected:
        return ""
    return f"to {summary.rejects}" if summary.rejects else "add --rejects FILE for each row and why"


def _bare_number(text: str | None):
    # "2.0" -> 2.0, taken by the library in the option's documented unit; "2 m2" stays text
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def _column_map(pairs: list[str]) -> dict[str, str]:
    columns = {}
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
    """A rich progress callback on a terminal (stderr), else None."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.completed:,} rows"), TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("cohort", total=None)
        yield lambda rows_done: bar.update(task, completed=rows_done)
