"""Kidney function and carboplatin: ``crcl`` and ``carboplatin``."""

from typing import Annotated, Optional

import typer

from ..carboplatin import AUC, CALVERT_1989, COCKCROFT_GAULT, GFR, carboplatin_dose
from ..errors import DoseCalcError, MissingInputError
from ..renal import ADULT_AGE, COCKCROFT_GAULT_1976, crcl_cockcroft_gault
from ..validation import WEIGHT
from .app import app
from .inputs import (
    Input,
    bad_input,
    named,
    one_of,
    read_creatinine,
    read_option,
    value_of,
    years,
)
from .options import Age, AsJson, Creatinine, Sex, Weight
from .output import input_rows, inputs_json, print_json, print_rows, results_json, show

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


def _renal_inputs(age, weight, creatinine) -> dict[str, Input | None]:
    return {
        "age": read_option(age, "age", ADULT_AGE.unit, bare=True),
        "weight": read_option(weight, "weight", WEIGHT.unit),
        "creatinine": read_creatinine(creatinine),
    }


def _renal_arguments(inputs: dict[str, Input | None], sex: str | None) -> dict:
    """The Cockcroft-Gault inputs as library arguments (None where not given)."""
    return {"age": years(inputs["age"]), "weight": value_of(inputs["weight"]), "sex": sex, "serum_creatinine": value_of(inputs["creatinine"])}


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
    with bad_input():
        inputs = _renal_inputs(age, weight, creatinine)
        clearance = crcl_cockcroft_gault(**_renal_arguments(inputs, sex))
        described = inputs_json(inputs, sex)
    if as_json:
        print_json("crcl", inputs=described, results=results_json({"crcl": clearance}), formula=_formula_json(COCKCROFT_GAULT))
        return
    print_rows(
        ("CrCl", show(clearance), _formula_note(COCKCROFT_GAULT)),
        *input_rows(inputs, described),
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
    with bad_input():
        one_of(("--gfr-cap", gfr_cap), ("--no-gfr-cap", "" if no_gfr_cap else None))
        estimate = [f"--{name} {text}" for name, text in (("age", age), ("weight", weight), ("sex", sex), ("creatinine", creatinine)) if text is not None]
        if gfr is not None and estimate:
            raise DoseCalcError(
                f"--gfr {gfr} and {' '.join(estimate)}: expected --gfr or the Cockcroft-Gault inputs "
                "(--age, --weight, --sex, --creatinine), not both"
            )
        if gfr is None and not estimate:
            raise MissingInputError("gfr", "the carboplatin dose (or --age, --weight, --sex and --creatinine)")
        renal = _renal_inputs(age, weight, creatinine)
        inputs = {"auc": read_option(auc, "auc", AUC.unit, bare=True), "gfr": read_option(gfr, "gfr", GFR.unit), **renal,
                  "gfr_cap": read_option(gfr_cap, "gfr_cap", GFR.unit, bare=True)}
        cap = {"gfr_cap": None} if no_gfr_cap else {} if gfr_cap is None else {"gfr_cap": value_of(inputs["gfr_cap"])}
        result = carboplatin_dose(auc=value_of(inputs["auc"]), gfr=value_of(inputs["gfr"]), **_renal_arguments(renal, sex), **cap)
        described = inputs_json(inputs, sex)
        if no_gfr_cap:
            described["gfr_cap"] = named("--no-gfr-cap", None)
    if as_json:
        results = {"dose": result.dose, "dose_uncapped": result.dose_uncapped, "gfr": result.gfr,
                   "gfr_uncapped": result.gfr_uncapped, "gfr_cap": result.gfr_cap}
        print_json(
            "carboplatin", inputs=described, results=results_json(results), formula=_formula_json(result.formula),
            gfr_formula=_formula_json(result.gfr_source), carboplatin_dose=result.to_dict(),
        )
        return
    if result.gfr_cap is None:
        cap_row = ("GFR cap", "none", "--no-gfr-cap: the GFR enters uncapped")
    else:
        cap_row = ("GFR cap", show(result.gfr_cap), f"applied: the dose uses GFR {show(result.gfr)}" if result.cap_applied else "not applied")
    print_rows(
        ("dose", show(result.dose), _formula_note(result.formula)),
        ("uncapped", show(result.dose_uncapped), f"at GFR {show(result.gfr_uncapped)}") if result.cap_applied else None,
        ("GFR", show(result.gfr_uncapped), "given" if result.gfr_reference is None else _formula_note(result.gfr_source)),
        cap_row,
        *input_rows(inputs, described, skip=("gfr", "gfr_cap"), labels={"auc": "AUC"}),
        references=(result.reference, result.gfr_reference),
    )

