"""The options shared by several commands, declared once."""

import re
from typing import Annotated, Optional

import typer

from ..body import WEIGHT_BASES
from ..bsa import BSA_METHODS
from ..grammar import escaped


def whole_number(text: str) -> int:
    """
    An option's whole number as typed: ASCII digits only (Python's int() takes
    "2_8", "+28", " 28" and "٢٨"). Use as ``typer.Option(parser=whole_number)``.
    """
    if not re.fullmatch("[0-9]{1,9}", text):
        raise typer.BadParameter(f"{escaped(text)}: expected a whole number of ASCII digits, such as 28")
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

Age = Annotated[
    Optional[str], typer.Option(metavar="AGE", help='Age in years: 60 (or "60 years"); 18-120.', show_default=False)
]
Creatinine = Annotated[
    Optional[str],
    typer.Option(
        metavar="CONCENTRATION",
        help='Serum creatinine with its unit: "1.2mg/dL" or "106umol/L"; a bare number is refused.',
        show_default=False,
    ),
]
