"""
Every command's ``--json`` output against its schema file in ``schemas/``.

The schema files are generated from :mod:`dosecalc.json_models`; these tests
check that the files are what the models give, that each file is a valid
JSON Schema (draft 2020-12), that each command's output validates against its
file, and that the schemas refuse what no command may print (a negative dose,
a missing unit, an unknown key).
"""

import copy
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dosecalc.cli import app
from dosecalc.protocol import PROTOCOL_DIR

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT / "schemas"
EXAMPLES = ROOT / "examples"
NAMES = [
    "bsa",
    "dose",
    "convert",
    "hed",
    "regimen",
    "crcl",
    "carboplatin",
    "methods",
    "species",
    "cohort",
    "error",
    "plan",
    "verify",
    "protocol-list",
    "protocol-show",
]
# hand-written schemas of input formats, beside the generated ones of the outputs
INPUT_SCHEMAS = ["protocol"]

runner = CliRunner()

BODY = "--height 175cm --weight 70kg"
IMGN901 = f"75mg/m2 {BODY}"
PATIENT = "--age 60 --weight 80kg --sex m"
CREATININE = "--creatinine 1.2mg/dL"

# each output shape of each command: the command's words, then its options as a shell would split them
OUTPUTS = {
    "bsa": BODY,
    "bsa all formulas": f"{BODY} --method all",
    "bsa all formulas with sex": "--height '5 ft 9 in' --weight '154 lb' --method all --sex f",
    "dose": IMGN901,
    "dose flat": "100mg",
    "dose per kg": "2mg/kg --weight 154lb",
    "dose given bsa and max dose": "1.4mg/m2 --bsa 1.9 --max-dose 2mg",
    "dose reduced and rounded": f"{IMGN901} --reduce 20% --round-to 10mg",
    "dose vials": f"{IMGN901} --vials 100mg,50mg --tolerance 10%",
    "dose band": f"1000mg/m2 --bsa 1.9 --bands {shlex.quote(str(EXAMPLES / 'bands.csv'))}",
    "dose level": f"85mg/m2 --bsa 1.9 --levels {shlex.quote(str(EXAMPLES / 'levels.csv'))} --level -1",
    "dose caps and weight basis": (
        "75mg/m2 --height 175cm --weight 120kg --sex m --weight-basis adjusted --bsa-cap 2.0 --max-dose 140mg"
    ),
    "convert": "225mg/m2 --to mg/kg",
    "convert given km": "225mg/m2 --to mg/kg --km 25",
    "hed": "50mg/kg --species rat",
    "regimen": "75mg/m2 --days 1,8,15 --cycle 28",
    "regimen patient": "75mg/m2 --days 1,8,15 --cycle 28 --cycles 6 --bsa 1.9",
    "regimen flat": "100mg --days 1 --cycle 21",
    "crcl": f"{PATIENT} {CREATININE}",
    "crcl ckd-epi-2021": "--formula ckd-epi-2021 --age 60 --sex f --creatinine 1.0mg/dL",
    "crcl ckd-epi-2021 de-indexed": "--formula ckd-epi-2021 --age 60 --sex f --creatinine 1.0mg/dL --bsa 1.9",
    "crcl schwartz-bedside": "--formula schwartz-bedside --age 8 --height 128cm --creatinine 0.5mg/dL",
    "crcl creatinine floor": f"{PATIENT} --creatinine 0.5mg/dL --creatinine-floor 0.7mg/dL",
    "carboplatin": "--auc 5 --gfr 90mL/min",
    "carboplatin cockcroft-gault": f"--auc 5 {PATIENT} {CREATININE}",
    "carboplatin no cap": "--auc 5 --gfr 150mL/min --no-gfr-cap",
    "carboplatin indexed gfr": "--auc 5 --gfr '90 mL/min/1.73m2' --bsa 1.9",
    "carboplatin addikd": (
        "--auc 5 --policy addikd --age 60 --sex f --creatinine 1.0mg/dL --height 165cm --weight 60kg"
    ),
    "carboplatin rounded": "--auc 5 --gfr 90mL/min --round-to 10mg --max-dose 800mg",
    "methods": "",
    "species": "",
    "plan": f"r-chop-21 {BODY}",
    "plan with prior exposure": f"abvd {BODY} --cycles 6 --prior doxorubicin=150mg/m2",
    "verify": f"r-chop-21 {BODY} --ordered doxorubicin=92mg --ordered vincristine=2mg",
    "verify one order": f"--dose 75mg/m2 --ordered 138mg {BODY}",
    "protocol list": "",
    "protocol show": "r-chop-21",
}
# the outputs of a verification that needs attention (exit 4): a dose too high, a cap left out,
# a drug not in the protocol, a weight changed from the baseline
ATTENTION = {
    "verify too high": f"r-chop-21 {BODY} --ordered doxorubicin=120mg --ordered vincristine=2mg",
    "verify cap left out": f"r-chop-21 {BODY} --ordered vincristine=2.6mg",
    "verify not in protocol": f"r-chop-21 {BODY} --ordered aspirin=100mg",
    "verify weight changed": f"r-chop-21 {BODY} --ordered vincristine=2mg --baseline-weight 80kg",
    # a prior in mg, converted by today's BSA, under a condition's lower limit: reached
    "verify prior and condition": (
        f"r-chop-21 {BODY} --ordered doxorubicin=92mg --prior doxorubicin=700mg --condition mediastinal-radiotherapy"
    ),
}


def schema_name(case: str) -> str:
    """The schema file of a case: its command, ``protocol list`` as ``protocol-list``."""
    words = case.split()
    return "-".join(words[:2]) if words[0] == "protocol" else words[0]


def command_of(case: str) -> list[str]:
    words = case.split()
    return words[:2] if words[0] == "protocol" else words[:1]


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def strict_json(text: str):
    """JSON as the standard defines it: NaN and Infinity refused (Python's json reads them)."""
    return json.loads(text, parse_constant=_refuse_constant)


def validator(name: str):
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def run_json(command: str, *args: str, exit_code: int = 0):
    result = runner.invoke(app, [*command.split(), *args, "--json"])
    assert result.exit_code == exit_code, result.output
    return strict_json(result.stdout)


def assert_valid(name: str, document) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(name).iter_errors(document)]
    assert not errors, errors


# --- the files ---------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES + INPUT_SCHEMAS)
def test_schema_file_is_a_valid_json_schema(name):
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_one_schema_file_per_model_and_per_input_format_and_no_other():
    pytest.importorskip("pydantic")
    from dosecalc.json_models import SCHEMAS

    assert list(SCHEMAS) == NAMES
    expected = sorted(f"{name}.schema.json" for name in NAMES + INPUT_SCHEMAS)
    assert sorted(path.name for path in SCHEMA_DIR.glob("*.json")) == expected


def test_schema_files_are_what_the_models_generate():
    pytest.importorskip("pydantic")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_schemas.py"), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr


def test_neither_the_library_nor_the_cli_imports_the_models():
    code = (
        "import sys, dosecalc; assert 'pydantic' not in sys.modules, 'import dosecalc loaded pydantic'; "
        "import dosecalc.cli; assert 'dosecalc.json_models' not in sys.modules, 'the CLI loaded json_models'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# --- each command's output ------------------------------------------------------------


@pytest.mark.parametrize("case", OUTPUTS)
def test_output_validates_against_its_schema(case):
    command = " ".join(command_of(case))
    report = run_json(command, *shlex.split(OUTPUTS[case]))
    assert report["command"] == command
    assert_valid(schema_name(case), report)


@pytest.mark.parametrize("case", ATTENTION)
def test_verification_that_needs_attention_validates_against_its_schema(case):
    report = run_json("verify", *shlex.split(ATTENTION[case]), exit_code=4)
    assert report["verification"]["ok"] is False
    assert_valid("verify", report)


def test_a_protocol_without_a_title_validates_against_its_schema(tmp_path):
    # a file may give no title: "title": null broke the schema, which asked for a text
    path = tmp_path / "untitled.toml"
    path.write_text(
        'name = "t"\ncycle_days = 21\ncycles = 6\n[[order]]\ndrug = "paclitaxel"\ndose = "175 mg/m2"\ndays = [1]\n'
    )
    report = run_json("protocol show", str(path))
    assert report["protocol"]["title"] is None
    assert_valid("protocol-show", report)


def test_cohort_output_validates_against_its_schema(tmp_path):
    # the sample has five bad rows on purpose: exit 3
    report = run_json(
        "cohort",
        str(EXAMPLES / "cohort.csv"),
        "-o",
        str(tmp_path / "dosed.csv"),
        "--dose",
        "75mg/m2",
        "--rejects",
        str(tmp_path / "rejects.csv"),
        exit_code=3,
    )
    assert_valid("cohort", report)
    summary = report["summary"]
    assert (summary["rows_read"], summary["rows_written"], summary["rows_rejected"]) == (36, 31, 5)
    assert sum(summary["rejects_by_reason"].values()) == summary["rows_rejected"]


def test_verify_orders_output_validates_against_its_schema(tmp_path):
    # the sample day's orders hold doses that need attention on purpose: exit 4
    report = run_json(
        "verify",
        "r-chop-21",
        "--orders",
        str(EXAMPLES / "orders.csv"),
        "-o",
        str(tmp_path / "verified.csv"),
        "--rejects",
        str(tmp_path / "rejects.csv"),
        exit_code=4,
    )
    assert_valid("verify", report)
    summary = report["summary"]
    assert summary["rows"] == summary["verified"] + summary["flagged"] + summary["rejected"]


@settings(max_examples=25)
@given(height_cm=st.floats(120, 210), bmi=st.floats(16, 45), dose=st.sampled_from(["75mg/m2", "2mg/kg", "100mg"]))
def test_dose_output_of_any_plausible_patient_validates(height_cm, bmi, dose):
    # an adult of BMI 16-45 kg/m²: weight = BMI × height²
    weight_kg = round(bmi * (height_cm / 100) ** 2, 1)
    report = run_json("dose", dose, "--height", f"{height_cm:.1f}cm", "--weight", f"{weight_kg}kg")
    assert_valid("dose", report)


# --- the schemas refuse what no command may print ---------------------------------------------


def _mutations():
    def negative_dose(report):
        report["results"]["dose"]["value"] = -138.3

    def unit_missing(report):
        del report["results"]["dose"]["unit"]

    def unit_null(report):
        report["results"]["bsa"]["unit"] = None

    def value_as_text(report):
        report["results"]["dose"]["value"] = "138.3"

    def unknown_top_level_key(report):
        report["dose_mg"] = 138.3

    def unknown_result(report):
        report["results"]["dose_mg"] = {"value": 138.3, "unit": "mg"}

    def version_missing(report):
        del report["dosecalc_version"]

    def other_command(report):
        report["command"] = "bsa"

    def step_missing(report):
        del report["rounding"]

    def input_without_given(report):
        del report["inputs"]["height"]["given"]

    def negative_dosing_weight(report):
        report["patient_dose"]["dosing_weight"]["value"] = -70.0

    return [
        negative_dose,
        unit_missing,
        unit_null,
        value_as_text,
        unknown_top_level_key,
        unknown_result,
        version_missing,
        other_command,
        step_missing,
        input_without_given,
        negative_dosing_weight,
    ]


@pytest.mark.parametrize("mutate", _mutations(), ids=lambda mutate: mutate.__name__)
def test_dose_schema_refuses(mutate):
    report = run_json("dose", *shlex.split(IMGN901))
    assert_valid("dose", report)
    broken = copy.deepcopy(report)
    mutate(broken)
    assert not validator("dose").is_valid(broken)


# pint's own formats of units dosecalc spells otherwise: a Greek mu, its dot operator, its default and ** formats
@pytest.mark.parametrize("unit", ["μg/kg", "mg⋅min/mL", "milligram / meter ** 2", "m^2", "mg/m**2", " mg", ""])
def test_units_are_dosecalc_spellings(unit):
    report = run_json("convert", "225mg/m2", "--to", "mg/kg")
    assert_valid("convert", report)
    for place in [("results", "dose"), ("inputs", "dose"), ("km",)]:
        broken = copy.deepcopy(report)
        target = broken
        for key in place:
            target = target[key]
        target["unit"] = unit
        assert not validator("convert").is_valid(broken), (unit, place)


def test_every_unit_printed_is_a_dosecalc_spelling():
    # µ is MICRO SIGN (U+00B5) and · MIDDLE DOT (U+00B7) wherever they appear
    report = run_json("carboplatin", "--auc", "5", "--gfr", "90mL/min")
    assert report["inputs"]["auc"]["unit"] == "mg\u00b7min/mL"
    assert_valid("carboplatin", report)


def test_bsa_schema_refuses_an_unknown_formula_and_a_mixed_shape():
    everyone = run_json("bsa", "--height", "175cm", "--weight", "70kg", "--method", "all")
    unknown = copy.deepcopy(everyone)
    unknown["results"]["mostellar"] = unknown["results"]["mosteller"]
    assert not validator("bsa").is_valid(unknown)
    mixed = copy.deepcopy(everyone)
    mixed["method"] = {"name": "mosteller", "label": "Mosteller", "reference": None}
    assert not validator("bsa").is_valid(mixed)


def test_strict_json_refuses_nan():
    with pytest.raises(ValueError, match="NaN"):
        strict_json('{"value": NaN}')


# --- errors ---------------------------------------------------------------------------

# bad input of each class, with the option the error must name
BAD_INPUT = {
    "unknown unit": ("bsa --height '175 cmm' --weight 70kg", "--height"),
    "missing input": ("dose 75mg/m2 --height 175cm", "--weight"),
    "unknown name": (f"bsa {BODY} --method mostellar", "--method"),
    "implausible value": (f"crcl {PATIENT} --creatinine 0.01mg/dL", "--creatinine"),
    "unknown protocol": (f"plan nosuch {BODY}", "--protocol"),
    "ordered dose without a unit": (f"verify r-chop-21 {BODY} --ordered doxorubicin=95", None),
    "no such cohort file": ("cohort /nonexistent/patients.csv -o dosed.csv --dose 75mg/m2", None),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_an_error_with_json_is_an_error_object_on_stdout(case):
    command, option = BAD_INPUT[case]
    args = shlex.split(command)
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 2, result.output
    error = strict_json(result.stdout)
    assert_valid("error", error)
    assert error["command"] == args[0]
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    if option is not None:
        assert error["field"] == option and option in result.stderr


def test_error_schema_refuses_a_bare_message_and_a_code_that_is_not_a_name():
    error = {
        "code": "unit_error",
        "field": "--height",
        "value": "175 cmm",
        "expected": "a length such as '175 cm'",
        "hint": None,
        "message": "height='175 cmm': expected a length",
        "command": "bsa",
        "dosecalc_version": "0.1.0",
    }
    assert_valid("error", error)
    assert not validator("error").is_valid({"message": error["message"]})
    assert not validator("error").is_valid({**error, "code": "Unit Error"})
    assert not validator("error").is_valid({**error, "stack": "Traceback (most recent call last): ..."})


def _protocol_schema() -> dict:
    return json.loads((SCHEMA_DIR / "protocol.schema.json").read_text(encoding="utf-8"))


def test_protocol_schema_takes_the_kidney_settings_a_carboplatin_order_reads(tmp_path):
    from dosecalc.protocol import read_protocol

    # the settings the loader reads (Order's fields) are the settings the schema allows
    text = (PROTOCOL_DIR / "carboplatin-paclitaxel.toml").read_text(encoding="utf-8")
    settings_text = 'policy = "addikd"\ncreatinine_floor = "0.8 mg/dL"\ngfr_cap = "none"\nallow_outside_range = false\n'
    edited = text.replace('dose = "5 mg/mL*min"', 'dose = "5 mg/mL*min"\n' + settings_text, 1)
    assert edited != text
    path = tmp_path / "carboplatin-addikd.toml"
    path.write_text(edited, encoding="utf-8")
    import tomllib

    jsonschema.validate(tomllib.loads(edited), _protocol_schema())
    carboplatin = next(item.order for item in read_protocol(path).orders if item.order.drug == "carboplatin")
    assert (carboplatin.policy, carboplatin.gfr_cap) == ("addikd", None)


@pytest.mark.parametrize("dose", [".5 mg/m2", "5. mg/m2", "1,5 mg/m2", "-5 mg/m2", "75–100 mg/m2", "\u00a05 mg"])
def test_protocol_schema_refuses_numbers_the_grammar_refuses(dose):
    from dosecalc.errors import DoseCalcError
    from dosecalc.units import parse_quantity

    order = {"drug": "drug-x", "dose": dose, "days": [1]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "cycle_days": 21, "order": [order]}, _protocol_schema())
    with pytest.raises(DoseCalcError):
        parse_quantity(dose, "dose")
