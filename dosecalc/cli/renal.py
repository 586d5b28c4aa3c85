"""Kidney function and carboplatin: ``crcl`` and ``carboplatin``."""

import contextlib
from typing import Annotated

import typer

from ..adjustments import TOLERANCE
from ..carboplatin import (
    AUC,
    CALVERT_1989,
    CARBOPLATIN_POLICIES,
    GFR,
    carboplatin_dose,
    policy_key,
)
from ..doses import FLAT
from ..errors import DoseCalcError, MissingInputError, as_typed
from ..grammar import bare_number
from ..renal import (
    ADULT_AGE,
    CLEARANCE,
    CREATININE_FLOORS,
    INDEXED_GFR,
    RENAL_FORMULAS,
    SERUM_CREATININE,
    creatinine_floor_mg_dl,
    is_per_area,
    kidney_function,
    renal_formula_key,
)
from ..units import parse_quantity, quantity
from ..validation import BSA, HEIGHT, WEIGHT
from .app import app
from .inputs import (
    Input,
    bad_input,
    named,
    one_measure,
    one_of,
    option_step,
    read_creatinine,
    read_option,
    texts_of,
    value_of,
    years,
)
from .options import (
    AllowOutsideRange,
    AsJson,
    Creatinine,
    CreatinineFloor,
    Height,
    MaxDose,
    Method,
    RoundTo,
    Sex,
    Tolerance,
    Vials,
    Weight,
)
from .output import (
    bsa_row,
    figures,
    input_rows,
    inputs_json,
    print_json,
    print_rows,
    results_json,
    rounding_note,
    show,
)

_CALVERT = ("Calvert", "dose [mg] = AUC [mg/mL·min] × (GFR [mL/min] + 25)", CALVERT_1989)
_FORMULA_NAMES = ", ".join(name.replace("_", "-") for name in RENAL_FORMULAS)

Age = Annotated[
    str | None,
    typer.Option(
        metavar="AGE", help='Age in years: 60 (or "60 years"); 18-120, 1-18 for schwartz-bedside.', show_default=False
    ),
]
Formula = Annotated[
    str | None,
    typer.Option(
        metavar="FORMULA",
        help=f"Kidney-function estimate: {_FORMULA_NAMES}; cockcroft-gault when not given.",
        show_default=False,
    ),
]
KidneyWeightBasis = Annotated[
    str | None,
    typer.Option(
        "--weight-basis",
        metavar="BASIS",
        help="Cockcroft-Gault's weight: actual (the default, as the paper), ideal, adjusted, lesser "
        "(of actual and ideal) or lean; all but actual need --height.",
        show_default=False,
    ),
]
KidneyBsa = Annotated[
    str | None,
    typer.Option(
        "--bsa",
        metavar="AREA",
        help='BSA that turns an eGFR per 1.73 m² into mL/min, in m²: "1.9"; or give --height and --weight.',
        show_default=False,
    ),
]


def _formula_json(key: str) -> dict | None:
    if key == "calvert":
        label, equation, reference = _CALVERT
    elif key in RENAL_FORMULAS:  # a GFR given is not estimated: None
        label, equation, reference = RENAL_FORMULAS[key][:3]
    else:
        return None
    return {"name": key, "label": label, "equation": equation, "reference": reference}


def _formula_note(key: str) -> str:
    label, equation, _ = _CALVERT if key == "calvert" else RENAL_FORMULAS[key][:3]
    return f"{label}: {equation}"


def _read_floor(text: str | None) -> Input | None:
    """--creatinine-floor: a named floor ("nccn") or a creatinine with its unit."""
    if text is None:
        return None
    number = bare_number(text)
    # the library reads the text: a name exactly as typed, a name it is not refused as one (" nccn", "NCCN"),
    # else a concentration with its unit
    floor_mg_dl, source = creatinine_floor_mg_dl(text if number is None else number)
    if source != "given":
        unit_of = SERUM_CREATININE.unit
        return None if floor_mg_dl is None else Input(text, quantity(floor_mg_dl, unit_of), unit_of)
    given = number if number is not None else parse_quantity(text, "creatinine_floor", kind="creatinine")
    return Input(text, given, SERUM_CREATININE.unit, quantity(floor_mg_dl, SERUM_CREATININE.unit))


def _read_gfr(text: str | None) -> Input | None:
    """--gfr in mL/min, or per 1.73 m² (shown as given, de-indexed by the library)."""
    item = read_option(text, "gfr", GFR.unit)
    if item is not None and is_per_area(item.quantity):
        return Input(item.text, item.quantity, None, item.quantity)
    return item


def _kidney_inputs(age, weight, height, bsa, creatinine, creatinine_floor) -> dict[str, Input | None]:
    return {
        "age": read_option(age, "age", ADULT_AGE.unit, bare=True),
        "weight": read_option(weight, "weight", WEIGHT.unit),
        "height": read_option(height, "height", HEIGHT.unit),
        "bsa": read_option(bsa, "bsa", BSA.unit, bare=True),
        "creatinine": read_creatinine(creatinine),
        "creatinine_floor": _read_floor(creatinine_floor),
    }


def _kidney_arguments(inputs: dict[str, Input | None], sex, weight_basis, allow_outside_range, method) -> dict:
    """The estimate's inputs as library arguments (None where not given); a named floor by its name."""
    floor = inputs["creatinine_floor"]
    name = None if floor is None else floor.text  # a named floor as typed, read exactly by _read_floor
    return {
        "age": years(inputs["age"]),
        "sex": sex,
        "serum_creatinine": value_of(inputs["creatinine"]),
        "weight": value_of(inputs["weight"]),
        "height": value_of(inputs["height"]),
        "bsa": value_of(inputs["bsa"]),
        "weight_basis": weight_basis or "actual",
        "creatinine_floor": name if name in CREATININE_FLOORS else value_of(floor),
        "allow_outside_range": allow_outside_range,
        "bsa_method": method,
    }


def _described(inputs, sex, *, formula=None, key=None, weight_basis=None, record=None, floor_text=None, allow=False):
    described = inputs_json(inputs, sex)
    if formula is not None:
        described["formula"] = named(formula, key)
    if weight_basis is not None:
        described["weight_basis"] = named(weight_basis, record.weight_basis)
    if floor_text is not None and inputs["creatinine_floor"] is None:  # "none"
        described["creatinine_floor"] = named(floor_text, None)
    if allow:
        described["allow_outside_range"] = named("--allow-outside-range", None)
    return described


def _per_173(value) -> str:
    return f"{figures(float(value))} {INDEXED_GFR.symbol}"


def _kidney_rows(record, what: str) -> list:
    """The rows of a kidney-function record beyond its value: BSA, weight, floor, range."""
    rows = []
    if record.bsa is not None:
        rows.append(bsa_row(record.bsa, record.bsa_method))
    if record.weight_basis not in (None, "actual"):
        note = ": the ideal weight is above the actual one" if record.ideal_above_actual else ""
        rows.append(("dosing weight", show(record.dosing_weight), f"{record.weight_basis} body weight{note}"))
    if record.creatinine_floor is not None:
        source = "NCCN" if record.creatinine_floor_policy == "nccn" else "given"
        if record.floor_applied:
            measured = record.without_floor
            shown = _per_173(measured) if record.clearance is None else show(measured)
            note = f"{source}: applied to creatinine {show(record.serum_creatinine)}; without it {what} {shown}"
        else:
            note = f"{source}: not applied"
        rows.append(("creatinine floor", show(record.creatinine_floor), note))
    if record.outside_range:
        rows.append(("range", f"outside {CLEARANCE.expected}", "--allow-outside-range: reported, not refused"))
    return rows


@app.command("crcl")
def crcl_command(
    age: Age = None,
    weight: Weight = None,
    sex: Sex = None,
    creatinine: Creatinine = None,
    formula: Formula = None,
    height: Height = None,
    bsa: KidneyBsa = None,
    method: Method = "mosteller",
    weight_basis: KidneyWeightBasis = None,
    creatinine_floor: CreatinineFloor = None,
    allow_outside_range: AllowOutsideRange = False,
    as_json: AsJson = False,
) -> None:
    """
    Kidney function: creatinine clearance in mL/min by Cockcroft-Gault (the
    default), or eGFR by CKD-EPI 2021 (adults) or bedside Schwartz (children)
    in mL/min/1.73 m², de-indexed to mL/min by the BSA (--bsa, or --height and
    --weight). Creatinine in mg/dL or µmol/L (88.4 µmol/L = 1 mg/dL).

    \b
    Examples:
      dosecalc crcl --age 60 --weight 80kg --sex m --creatinine 1.2mg/dL
      dosecalc crcl --age 45 --weight 65kg --sex f --creatinine 80umol/L --json
      dosecalc crcl --formula ckd-epi-2021 --age 55 --sex m --creatinine 1.2mg/dL --bsa 1.9
      dosecalc crcl --age 80 --weight 50kg --sex f --creatinine 0.4mg/dL --creatinine-floor 0.7mg/dL
    """
    with bad_input():
        key = renal_formula_key(formula or "cockcroft_gault")
        inputs = _kidney_inputs(age, weight, height, bsa, creatinine, creatinine_floor)
        with as_typed(texts_of(inputs)):  # an input refused shown as typed: --age '2weeks'
            record = kidney_function(key, **_kidney_arguments(inputs, sex, weight_basis, allow_outside_range, method))
        described = _described(
            inputs,
            sex,
            formula=formula,
            key=key,
            weight_basis=weight_basis,
            record=record,
            floor_text=creatinine_floor,
            allow=allow_outside_range,
        )
    entry = RENAL_FORMULAS[key]
    if entry.indexed:
        results = {
            "egfr": {"value": float(record.egfr_ml_min_173m2), "unit": INDEXED_GFR.symbol},
            **results_json({"gfr": record.clearance}),
        }
        value_rows = [("eGFR", _per_173(record.egfr_ml_min_173m2), _formula_note(key))]
        if record.clearance is not None:
            value_rows.append(("GFR", show(record.clearance), "de-indexed: eGFR × BSA / 1.73 m²"))
        else:  # per 1.73 m² is no dose's GFR: say how to get mL/min
            value_rows.append(("GFR", "not in mL/min", "per 1.73 m² only: give --bsa, or --height and --weight"))
    else:
        results = results_json({"crcl": record.clearance})
        value_rows = [("CrCl", show(record.clearance), _formula_note(key))]
    if as_json:
        print_json(
            "crcl", inputs=described, results=results, formula=_formula_json(key), kidney_function=record.to_dict()
        )
        return
    print_rows(
        *value_rows,
        *_kidney_rows(record, "eGFR" if entry.indexed and record.clearance is None else value_rows[-1][0]),
        *input_rows(inputs, described, skip=("creatinine_floor", "bsa")),
        references=(entry.reference, record.creatinine_floor_reference if record.floor_applied else None),
    )


@app.command("carboplatin")
def carboplatin_command(
    auc: Annotated[str, typer.Option(metavar="AUC", help="Target AUC in mg/mL·min: 5 (1-10).", show_default=False)],
    gfr: Annotated[
        str | None,
        typer.Option(
            metavar="GFR",
            help='Measured GFR with unit: "90mL/min", or "90 mL/min/1.73m2" with --bsa (or --height and --weight); '
            "or give the estimate's inputs.",
            show_default=False,
        ),
    ] = None,
    age: Age = None,
    weight: Weight = None,
    sex: Sex = None,
    creatinine: Creatinine = None,
    policy: Annotated[
        str,
        typer.Option(
            metavar="fda|addikd",
            help="GFR policy: fda (Cockcroft-Gault, GFR capped at 125 mL/min; FDA, NCCN) or addikd (CKD-EPI 2021 "
            "de-indexed by the BSA, not capped; ADDIKD, eviQ 2022).",
        ),
    ] = "fda",
    formula: Annotated[
        str | None,
        typer.Option(
            metavar="FORMULA",
            help="Estimate instead of the policy's: cockcroft-gault or ckd-epi-2021.",
            show_default=False,
        ),
    ] = None,
    height: Height = None,
    bsa: KidneyBsa = None,
    method: Method = "mosteller",
    weight_basis: KidneyWeightBasis = None,
    creatinine_floor: CreatinineFloor = None,
    gfr_cap: Annotated[
        str | None,
        typer.Option(metavar="GFR", help="Cap on the GFR in mL/min, instead of the policy's: 125.", show_default=False),
    ] = None,
    no_gfr_cap: Annotated[bool, typer.Option("--no-gfr-cap", help="Use the GFR uncapped.")] = False,
    max_dose: MaxDose = None,
    round_to: RoundTo = None,
    vials: Vials = None,
    tolerance: Tolerance = None,
    allow_outside_range: AllowOutsideRange = False,
    as_json: AsJson = False,
) -> None:
    """
    Carboplatin dose in mg by the Calvert formula, AUC × (GFR + 25). The GFR
    is measured (--gfr) or estimated by the policy: fda (the default),
    Cockcroft-Gault capped at 125 mL/min, at most 900 mg at AUC 6; addikd,
    CKD-EPI 2021 × BSA / 1.73 m², not capped. Then --max-dose, and --round-to
    or --vials within --tolerance, never above the cap's maximum.

    \b
    Examples:
      dosecalc carboplatin --auc 5 --gfr 90mL/min
      dosecalc carboplatin --auc 6 --age 60 --weight 80kg --sex m --creatinine 1.2mg/dL
      dosecalc carboplatin --auc 5 --gfr "90 mL/min/1.73m2" --bsa 1.9
      dosecalc carboplatin --auc 5 --policy addikd --age 60 --sex f --creatinine 1.0mg/dL --height 165cm --weight 70kg
      dosecalc carboplatin --auc 6 --gfr 140mL/min --no-gfr-cap --vials 450mg,150mg,50mg
    """
    with bad_input():
        one_of(("--gfr-cap", gfr_cap), ("--no-gfr-cap", "" if no_gfr_cap else None))
        one_measure(round_to, vials, None, tolerance)
        estimate = [
            f"--{name} {text}"
            for name, text in (
                ("age", age),
                ("sex", sex),
                ("creatinine", creatinine),
                ("weight-basis", weight_basis),
                ("creatinine-floor", creatinine_floor),
                ("formula", formula),
            )
            if text is not None
        ]
        key = renal_formula_key(formula or CARBOPLATIN_POLICIES[policy_key(policy)].gfr_formula)
        entry = RENAL_FORMULAS[key]
        options = "--age, --weight, --sex, --creatinine" if entry.needs_weight else "--age, --sex, --creatinine"
        if gfr is not None and estimate:
            raise DoseCalcError(
                f"--gfr {gfr} and {' '.join(estimate)}: expected --gfr or the {entry.label} inputs ({options}), not both"
            )
        if gfr is None and not estimate and weight is None:
            needs = (
                "--age, --weight, --sex and --creatinine"
                if entry.needs_weight
                else "--age, --sex, --creatinine and a BSA"
            )
            raise MissingInputError("gfr", f"the carboplatin dose (or {needs})")
        inputs = {
            "auc": read_option(auc, "auc", AUC.unit, bare=True),
            "gfr": _read_gfr(gfr),
            **_kidney_inputs(age, weight, height, bsa, creatinine, creatinine_floor),
            "gfr_cap": read_option(gfr_cap, "gfr_cap", GFR.unit, bare=True),
            "max_dose": read_option(max_dose, "max_dose", FLAT),
            "round_to": read_option(round_to, "step", FLAT),
            "tolerance": read_option(tolerance, "tolerance_pct", TOLERANCE.unit, bare=True),
        }
        cap = {"gfr_cap": None} if no_gfr_cap else {} if gfr_cap is None else {"gfr_cap": value_of(inputs["gfr_cap"])}
        kidney = _kidney_arguments(inputs, sex, weight_basis, allow_outside_range, method)
        safeguards = {
            "max_dose": value_of(inputs["max_dose"]),
            "round_to": value_of(inputs["round_to"]),
            "vials": vials,
        }
        if tolerance is not None:
            safeguards["tolerance_pct"] = value_of(inputs["tolerance"])
        step: contextlib.AbstractContextManager
        if vials is not None:
            step = option_step("--vials", vials)
        elif round_to is not None:
            step = option_step("--round-to", round_to)
        else:
            step = contextlib.nullcontext()
        with step, as_typed(texts_of(inputs)):
            result = carboplatin_dose(
                auc=value_of(inputs["auc"]),
                gfr=value_of(inputs["gfr"]),
                policy=policy,
                gfr_formula=formula,
                **kidney,
                **cap,
                **safeguards,
            )
        record = result.kidney_function
        described = _described(
            inputs,
            sex,
            formula=formula,
            key=key,
            weight_basis=weight_basis,
            record=record,
            floor_text=creatinine_floor,
            allow=allow_outside_range,
        )
        if no_gfr_cap:
            described["gfr_cap"] = named("--no-gfr-cap", None)
        if policy != "fda":
            described["policy"] = named(policy, result.policy)
        if vials is not None:
            described["vials"] = {"given": vials, "value": result.rounding.strengths.m_as("mg").tolist(), "unit": "mg"}
    if as_json:
        results = {
            "dose": result.dose,
            "dose_uncapped": result.dose_uncapped,
            "gfr": result.gfr,
            "gfr_uncapped": result.gfr_uncapped,
            "gfr_cap": result.gfr_cap,
        }
        print_json(
            "carboplatin",
            inputs=described,
            results=results_json(results),
            formula=_formula_json(result.formula),
            gfr_formula=_formula_json(result.gfr_source),
            carboplatin_dose=result.to_dict(),
        )
        return
    print_rows(
        *_dose_rows(result),
        ("GFR", show(result.gfr_uncapped), _gfr_note(result)),
        *_kidney_rows(record, "GFR"),
        _cap_row(result, no_gfr_cap),
        ("policy", result.policy, _policy_note(result)),
        *input_rows(
            inputs,
            described,
            skip=("gfr", "gfr_cap", "bsa", "creatinine_floor", "max_dose", "round_to", "tolerance"),
            labels={"auc": "AUC"},
        ),
        references=tuple(
            dict.fromkeys(
                (
                    result.reference,
                    result.gfr_reference,
                    result.policy_reference,
                    record.creatinine_floor_reference if record.floor_applied else None,
                )
            )
        ),
    )


def _policy_note(result) -> str:
    """The policy's label, with what the options changed of it: the GFR's source and the cap."""
    notes = [result.policy_label]
    if result.gfr_source == "given":
        notes.append("the GFR given by --gfr, not estimated")
    elif result.gfr_source != CARBOPLATIN_POLICIES[result.policy].gfr_formula:
        notes.append(f"the GFR by {RENAL_FORMULAS[result.gfr_source].label}, set by --formula")
    if result.gfr_cap_source == "none":
        notes.append("the cap turned off by --no-gfr-cap")
    elif result.gfr_cap_source == "given":
        notes.append("the cap set by --gfr-cap")
    return "; ".join(notes)


def _gfr_note(result) -> str:
    record = result.kidney_function
    if result.gfr_source == "given":
        given = "given"
        if record.egfr_ml_min_173m2 is not None:
            given += f": {_per_173(record.egfr_ml_min_173m2)} × BSA / 1.73 m²"
        return given
    note = _formula_note(result.gfr_source)
    if record.egfr_ml_min_173m2 is not None:
        note = f"{_per_173(record.egfr_ml_min_173m2)} × BSA / 1.73 m², {note}"
    return note


def _cap_row(result, no_gfr_cap: bool) -> tuple[str, str, str]:
    if result.gfr_cap is None:
        return (
            "GFR cap",
            "none",
            "--no-gfr-cap: the GFR enters uncapped" if no_gfr_cap else f"{result.policy}: not capped",
        )
    if result.cap_applied:
        return "GFR cap", show(result.gfr_cap), f"applied: the dose uses GFR {show(result.gfr)}"
    return "GFR cap", show(result.gfr_cap), "not applied"


def _dose_rows(result) -> list:
    """The dose to give, then how it came from the Calvert dose: the cap, the maximum dose, the rounding."""
    rows = []
    changed = result.rounding is not None or bool(result.max_dose_applied)
    rows.append(("dose", show(result.dose), _change_note(result) if changed else _formula_note(result.formula)))
    if changed:
        rows.append(("Calvert", show(result.dose_calvert), _formula_note(result.formula)))
    if result.cap_applied:
        rows.append(("uncapped", show(result.dose_uncapped), f"at GFR {show(result.gfr_uncapped)}"))
    return rows


def _change_note(result) -> str:
    notes = []
    if result.max_dose_applied:
        notes.append(f"capped at the max dose, {show(result.max_dose)}")
    if result.rounding is not None:
        notes.append(rounding_note(result.rounding))
    return "; ".join(notes)
