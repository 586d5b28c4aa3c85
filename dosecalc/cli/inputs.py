"""Reading options: each text parsed once at the edge, kept beside its value; errors as one line naming the option."""

import contextlib
import math
import re
from dataclasses import dataclass
from typing import Any, overload

import typer

from ..doses import PER_KG, PER_M2, dose_basis, rate_period
from ..errors import DoseCalcError, ImplausibleInputError, UnitError, UnknownNameError
from ..grammar import bare_number, escaped
from ..renal import ADULT_AGE, SERUM_CREATININE, is_per_area, serum_creatinine_mg_dl
from ..units import magnitude, parse_quantity, quantity, registry, unit
from .output import capturing, json_command, print_json, quantity_json, show

# --- reading options ------------------------------------------------------------


@dataclass(frozen=True)
class Input:
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
        return self.quantity.to(unit(f"{basis}/{rate_period(self.quantity)}" if per_time else basis))

    def to_json(self) -> dict:
        return {"given": self.text, **quantity_json(self.normalised)}

    def row(self, label: str) -> tuple[str, str, str]:
        """``label, value read, "from <text as typed>"``: the text is shown whenever it
        differs from the value shown in any way, invisible characters escaped."""
        shown = show(self.normalised)
        if self.text == shown:
            return label, shown, ""
        typed = escaped(self.text) if escaped(self.text)[1:-1] != self.text else self.text
        return label, shown, f"from {typed}"


@overload
def read_option(text: str, field: str, base: str | None = None, bare: bool = False) -> Input: ...
@overload
def read_option(text: None, field: str, base: str | None = None, bare: bool = False) -> None: ...
@overload
def read_option(text: str | None, field: str, base: str | None = None, bare: bool = False) -> Input | None: ...
def read_option(text: str | None, field: str, base: str | None = None, bare: bool = False) -> Input | None:
    """Parse an option; with ``bare`` a plain number is taken in ``base``, the
    option's documented unit (BSA in m², Km in kg/m²)."""
    if text is None:
        return None
    if bare and (number := bare_number(text)) is not None:
        return Input(text, registry().Quantity(number, unit(base)), base)
    value = parse_quantity(text, field)
    if base is not None and is_per_area(value):
        # a GFR per 1.73 m² is shown as given; the library de-indexes it by the BSA (renal.absolute_gfr)
        return Input(text, value, None, value)
    return Input(text, value, base)


def read_creatinine(text: str | None) -> Input | None:
    """--creatinine, normalised to mg/dL by creatinine's molar mass. A bare
    number goes to the library as a number, which refuses it: its unit
    (mg/dL or µmol/L, a factor 88.4 apart) is never guessed."""
    if text is None:
        return None
    number = bare_number(text)
    given = parse_quantity(text, "serum_creatinine") if number is None else number
    mg_dl = serum_creatinine_mg_dl(given)
    return Input(text, given, SERUM_CREATININE.unit, quantity(mg_dl, SERUM_CREATININE.unit))


def years(item: Input | None):
    # age to the library as plain years, so that its messages read "130 years"
    return None if item is None else magnitude(item.quantity, ADULT_AGE.unit, "age")


def value_of(item: Input | None):
    return None if item is None else item.quantity


def read_days(text: str) -> list[int]:
    """Days as typed: ASCII digits separated by commas (int() would take "1_5", "+15", " 15" and "١٥")."""
    days = text.split(",")
    if not all(re.fullmatch("[0-9]{1,4}", day) for day in days):
        raise ImplausibleInputError("days", escaped(text), "whole days separated by commas, such as 1,8,15")
    return [int(day) for day in days]


def target_basis(text: str) -> str:
    # mg/kg or mg/m² in any spelling; not another scale (µg/kg would be answered in mg/kg)
    try:
        target = parse_quantity(f"1 {text}", "to")
        basis, per_time = dose_basis(target)
    except UnitError:
        basis, per_time = None, False
    if basis not in (PER_KG, PER_M2) or per_time or not math.isclose(target.m_as(unit(basis)), 1.0):
        raise UnknownNameError("to", text, ("mg/kg", "mg/m2"))
    return basis


def print_error(message: str) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(Text.assemble(("error:", "bold red"), " ", message))


OPTION_NAMES = {
    "dose": "DOSE",
    "animal_dose": "DOSE",
    "cycle_days": "--cycle",
    "serum_creatinine": "--creatinine",
    "reduction_pct": "--reduce",
    "tolerance_pct": "--tolerance",
    "step": "--round-to",
    "strengths": "--vials",
    "conditions": "--condition",
    "gfr_formula": "--formula",  # the estimate carboplatin's GFR is of
}


def option_message(err: DoseCalcError, names: dict = OPTION_NAMES, guess: bool = True) -> str:
    """The core's message with its field named as the option: ``--height 1.75 cm: ...``; the
    option of a field is in ``names`` or, with ``guess``, ``--field``."""
    text = str(err)
    field = getattr(err, "field", None)
    if not field or not text.startswith(field):
        return text
    option = option_name(field, names, guess)
    if option is None or option == field:
        return text
    rest = text[len(field) :]
    return option + (" " + rest[1:] if rest.startswith("=") else rest)


def option_name(field: str | None, names: dict = OPTION_NAMES, guess: bool = True) -> str | None:
    """The option of a library field: in ``names`` or, with ``guess``, ``--field``; else the field."""
    if not field:
        return field
    return names.get(field) or (guess and field.isidentifier() and "--" + field.replace("_", "-")) or field


def texts_of(inputs: dict) -> dict[str, str | None]:
    """Each option's text as typed (None where not given), from ``{field: Input}``, for :func:`as_typed`."""
    return {name: None if item is None else item.text for name, item in inputs.items()}


@contextlib.contextmanager
def option_step(option: str, given: str):
    """Name a step's option in its errors: a message about the calculated dose,
    or a table's row, gets ``--vials 100mg,50mg: `` in front."""
    try:
        yield
    except DoseCalcError as err:
        message = option_message(err, {**OPTION_NAMES, "dose": "calculated dose"})
        if message.startswith("--"):
            raise
        raise DoseCalcError(f"{option} {given}: {message}") from None


@contextlib.contextmanager
def step_options(options: dict[str, tuple[str, str | None]]):
    """
    Name the option of a library step that failed (``err.step``, see :func:`option_step`), by the step:
    ``{"rounding": ("--round-to", "5mg")}``; a step whose option was not given keeps its error.
    """
    try:
        yield
    except DoseCalcError as err:
        name, given = options.get(str(getattr(err, "step", None)), (None, None))
        if name is None or given is None:
            raise
        with option_step(name, given):
            raise


def one_of(*options: tuple[str, str | None]) -> None:
    """Refuse options that exclude each other: ``--reduce 20 and --level -1``."""
    given = [f"{name} {text}".strip() for name, text in options if text is not None]
    if len(given) > 1:
        raise DoseCalcError(f"{' and '.join(given)}: expected only one of {', '.join(name for name, _ in options)}")


def one_measure(round_to: str | None, vials: str | None, bands: str | None, tolerance: str | None) -> None:
    """Refuse rounding and banding together, and a tolerance without rounding."""
    one_of(("--round-to", round_to), ("--vials", vials), ("--bands", bands))
    if tolerance is not None and round_to is None and vials is None:
        raise DoseCalcError(f"--tolerance {tolerance}: applies to rounding; give --round-to or --vials")


@contextlib.contextmanager
def bad_input(names: dict = OPTION_NAMES, guess: bool = True):
    """Turn a DoseCalcError into one line on stderr, its field named as the option (see
    :func:`option_message`), and exit code 2; inside :func:`~dosecalc.cli.output.captured`, raise it."""
    try:
        yield
    except DoseCalcError as err:
        if capturing():
            raise
        command = json_command()
        if command is not None:
            # a program reading --json gets the error as JSON on stdout too (schemas/error.schema.json)
            error = err.to_dict()
            print_json(command, **{**error, "field": option_name(error["field"], names, guess)})
        print_error(option_message(err, names, guess))
        raise typer.Exit(code=2) from None


def named(given: str, value) -> dict:
    """An input without a unit: a name or a file."""
    return {"given": given, "value": value, "unit": None}
