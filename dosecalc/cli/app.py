"""The Typer application, its global options and the plain-output rule."""

import os
import sys
from typing import Annotated

import typer

from .._version import __version__


def plain_stdout() -> bool:
    # no colour or box drawing off a terminal or under NO_COLOR (no-color.org)
    return bool(os.environ.get("NO_COLOR")) or not sys.stdout.isatty()


app = typer.Typer(
    name="dosecalc",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None if plain_stdout() else "rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)



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

