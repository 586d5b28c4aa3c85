"""The options shared by several commands, declared once; groups of them as one parameter."""

import dataclasses
import functools
import inspect
import re
import sys
import typing
from typing import Annotated, Optional

import typer

from ..body import WEIGHT_BASES
from ..bsa import BSA_METHODS
from ..errors import ImplausibleInputError
from ..grammar import escaped
from ..renal import ADULT_AGE, CLEARANCE
from ..validation import BSA, HEIGHT, WEIGHT

#: The most digits of a whole number read: Python's own limit of a text read as an int.
_MOST_DIGITS = getattr(sys, "get_int_max_str_digits", lambda: 4300)() or 4300


def whole_number(text: str) -> int:
    """
    An option's whole number as typed: ASCII digits only (Python's int() takes
    "2_8", "+28", " 28" and "٢٨"). Use as ``typer.Option(parser=whole_number)``.
    Its range is the library's, which refuses a number outside it, however many
    digits it has, in one message naming the range.
    """
    if not re.fullmatch("[0-9]+", text):
        raise typer.BadParameter(f"{escaped(text)}: expected a whole number of ASCII digits, such as 28")
    if len(text) > _MOST_DIGITS:  # more than Python reads as a number (or shows in a message) by default
        raise typer.BadParameter(f"{escaped(text)}: expected a whole number of at most {_MOST_DIGITS:,} digits")
    return int(text)


def starting(names):
    """Shell completion: the names that start with what was typed."""
    return lambda incomplete: [name for name in names if name.startswith(incomplete)]


# --- options shared by commands -------------------------------------------------

Height = Annotated[
    Optional[str],
    typer.Option(metavar="LENGTH", help='Height with unit: 175cm, "1.75 m", "5 ft 9 in", 5\'9".', show_default=False),
]
Weight = Annotated[
    Optional[str], typer.Option(metavar="MASS", help='Weight with unit: "70kg", "154 lb".', show_default=False)
]
Sex = Annotated[
    Optional[str],
    typer.Option(
        metavar="f|m",
        help='"f" or "m"; needed by sex-specific formulas (schlich, Cockcroft-Gault) and weight bases other than actual.',
        show_default=False,
    ),
]
Method = Annotated[
    str,
    typer.Option(
        metavar="METHOD",
        autocompletion=starting(BSA_METHODS),
        help=f"BSA formula: {', '.join(BSA_METHODS)}; see `dosecalc methods`.",
    ),
]
#: The BSA formula of a patient's measurements: None where not given (mosteller), refused beside a given --bsa.
BodyMethod = Annotated[
    Optional[str],
    typer.Option(
        "--method",
        metavar="METHOD",
        autocompletion=starting(BSA_METHODS),
        help=f"BSA formula: {', '.join(BSA_METHODS)} (default mosteller); see `dosecalc methods`.",
        show_default=False,
    ),
]
GivenBsa = Annotated[
    Optional[str],
    typer.Option(
        "--bsa", metavar="AREA", help='BSA to use instead of a formula, in m²: "1.9" or "1.9 m2".', show_default=False
    ),
]
Dose = Annotated[
    str,
    typer.Argument(metavar="DOSE", help='Dose with its basis: "75mg/m2", "6.1 mg/kg", "100 mg".', show_default=False),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object (full precision) instead of text.")]

# the safeguards of dose and regimen, applied in this order: --reduce or --level;
# the dose on the --weight-basis weight; --bsa-cap, --max-dose; --round-to, --vials or --bands
WeightBasis = Annotated[
    Optional[str],
    typer.Option(
        metavar="BASIS",
        autocompletion=starting(WEIGHT_BASES),
        help="Weight for BSA and mg/kg doses: actual (the default, ASCO 2012), ideal (Devine), adjusted (IBW + 0.4 × excess), "
        "lesser (of actual and ideal) or lean (Janmahasatian); all but actual need --height and --sex.",
        show_default=False,
    ),
]
BsaCap = Annotated[
    Optional[str], typer.Option(metavar="AREA", help='Cap on the BSA, in m²: "2.0" or "2 m2".', show_default=False)
]
MaxDose = Annotated[
    Optional[str],
    typer.Option(metavar="AMOUNT", help='Maximum dose per administration, with unit: "2mg".', show_default=False),
]
Reduce = Annotated[
    Optional[str],
    typer.Option(metavar="PERCENT", help="Reduce the prescribed dose by this %: 20 for −20 %.", show_default=False),
]
Level = Annotated[
    Optional[str], typer.Option(metavar="LEVEL", help="Dose level of --levels to give: -1.", show_default=False)
]
Levels = Annotated[
    Optional[str],
    typer.Option(
        metavar="FILE",
        help='Dose-level table, CSV (level,dose rows: "-1,65 mg/m^2" or "-1,80 %") or TOML.',
        show_default=False,
    ),
]
RoundTo = Annotated[
    Optional[str], typer.Option(metavar="AMOUNT", help='Round the dose to a step: "5mg".', show_default=False)
]
Vials = Annotated[
    Optional[str],
    typer.Option(metavar="AMOUNTS", help='Round the dose to whole vials or tablets: "100mg,50mg".', show_default=False),
]
Tolerance = Annotated[
    Optional[str],
    typer.Option(
        metavar="PERCENT",
        help="Largest rounding difference in % (default 5, at most 10); beyond it the dose is not rounded (exit 2).",
        show_default=False,
    ),
]
Bands = Annotated[
    Optional[str],
    typer.Option(
        metavar="FILE", help="Band the dose by a band table, CSV or TOML: examples/bands.csv.", show_default=False
    ),
]
BandDeviation = Annotated[
    Optional[str],
    typer.Option(
        metavar="PERCENT",
        help="Most a band may move a dose, in % (default 6, NICE KTT22; at most 10); beyond it the dose is not banded.",
        show_default=False,
    ),
]

Age = Annotated[
    Optional[str], typer.Option(metavar="AGE", help='Age in years: 60 (or "60 years"); 18-120.', show_default=False)
]
CreatinineFloor = Annotated[
    Optional[str],
    typer.Option(
        metavar="CONCENTRATION",
        help='Minimum creatinine: "0.7mg/dL" (or "nccn", NCCN\'s 0.7 mg/dL), applied and reported where the creatinine '
        "is lower; none by default.",
        show_default=False,
    ),
]
AllowOutsideRange = Annotated[
    bool,
    typer.Option(
        "--allow-outside-range", help=f"Report a clearance outside {CLEARANCE.expected} instead of refusing it."
    ),
]
Gfr = Annotated[
    Optional[str], typer.Option(help='GFR for a carboplatin AUC order, absolute: "90 mL/min".', show_default=False)
]
Creatinine = Annotated[
    Optional[str],
    typer.Option(
        metavar="CONCENTRATION",
        help='Serum creatinine with its unit: "1.2mg/dL" or "106umol/L"; a bare number is refused.',
        show_default=False,
    ),
]


# --- groups of options ------------------------------------------------------------


def option_groups(command):
    """
    A command whose parameters include groups of options: a parameter annotated
    with a dataclass (its fields annotated with the options above, each with its
    default) stands for the fields, in its place. Typer and the web layer see
    the options one by one, as if declared in the command (typer has no groups);
    the command receives the dataclass.
    """
    signature = inspect.signature(command)
    hints = typing.get_type_hints(command, include_extras=True)
    groups = {name: hints[name] for name in signature.parameters if dataclasses.is_dataclass(hints.get(name))}
    parameters = []
    for name, parameter in signature.parameters.items():
        if name not in groups:
            parameters.append(parameter.replace(annotation=hints.get(name, parameter.annotation)))
            continue
        fields = typing.get_type_hints(groups[name], include_extras=True)
        parameters += [
            inspect.Parameter(field.name, parameter.kind, default=field.default, annotation=fields[field.name])
            for field in dataclasses.fields(groups[name])
        ]
    names = [parameter.name for parameter in parameters]
    if len(set(names)) < len(names):
        raise TypeError(f"{command.__name__}: an option of a group has the name of another parameter")

    @functools.wraps(command)
    def run(**options):
        for name, group in groups.items():
            given = {
                field.name: options.pop(field.name) for field in dataclasses.fields(group) if field.name in options
            }
            options[name] = group(**given)
        return command(**options)

    run.__signature__ = signature.replace(parameters=parameters)
    run.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
    if "return" in hints:
        run.__annotations__["return"] = hints["return"]
    return run


@dataclasses.dataclass(frozen=True)
class Body:
    """The patient's measurements as typed: ``dose``, ``regimen``, ``plan`` and ``verify``."""

    height: Height = None
    weight: Weight = None
    given_bsa: GivenBsa = None
    method: BodyMethod = None
    sex: Sex = None

    @property
    def bsa_method(self) -> str:
        """The BSA formula: as given, else Mosteller's."""
        return self.method or "mosteller"

    def inputs(self) -> dict:
        """height, weight and bsa read (None where not given); a formula beside a given BSA is refused."""
        from .inputs import read_option

        if self.given_bsa is not None and self.method is not None:  # which was meant? neither is ignored
            raise ImplausibleInputError("method", escaped(self.method), "no BSA formula with a given bsa")

        return {
            "height": read_option(self.height, "height", HEIGHT.unit),
            "weight": read_option(self.weight, "weight", WEIGHT.unit),
            "bsa": read_option(self.given_bsa, "bsa", BSA.unit, bare=True),
        }


@dataclasses.dataclass(frozen=True)
class Patient(Body):
    """The measurements and the kidney function's inputs: ``plan`` and ``verify``."""

    age: Age = None
    creatinine: Creatinine = None
    gfr: Gfr = None

    def inputs(self) -> dict:
        """height, weight, bsa, age, creatinine and gfr read (None where not given)."""
        from .inputs import read_creatinine, read_option

        return {
            **super().inputs(),
            "age": read_option(self.age, "age", ADULT_AGE.unit, bare=True),
            "creatinine": read_creatinine(self.creatinine),
            "gfr": read_option(self.gfr, "gfr", "mL/min"),
        }

    def arguments(self, inputs: dict) -> dict:
        """The patient of :meth:`inputs` as the library's arguments (None where not given)."""
        from .inputs import value_of, years

        return {
            "height": value_of(inputs["height"]),
            "weight": value_of(inputs["weight"]),
            "bsa": value_of(inputs["bsa"]),
            "sex": self.sex,
            "age": years(inputs["age"]),
            "creatinine": value_of(inputs["creatinine"]),
            "gfr": value_of(inputs["gfr"]),
            "method": self.bsa_method,
        }
