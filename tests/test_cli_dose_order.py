"""dose and regimen as shells over Order: the steps the library records, doses in units."""

import json

import pytest
from typer.testing import CliRunner

from dosecalc.cli import app
from dosecalc.order import Order

runner = CliRunner()


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_dose_json_is_the_orders_evaluation():
    # 75 mg/m² reduced 20 % → 60 mg/m² × 1.9 m² = 114 mg; capped at 110 mg; to a 5 mg step: 110 mg
    args = ("dose", "75mg/m2", "--bsa", "1.9", "--reduce", "20", "--max-dose", "110mg", "--round-to", "5mg")
    report = run_json(*args)
    order = Order.from_options(None, "75mg/m2", reduce="20", max_dose="110mg", round_to="5mg")
    result = order.for_patient(bsa=1.9)
    assert report["results"]["dose"]["value"] == result.dose.m_as("mg") == 110.0
    assert report["modification"] == result.modification.to_dict()
    assert report["patient_dose"] == result.patient.to_dict()
    assert report["rounding"] == result.rounding.to_dict()


def test_dose_in_units():
    # bleomycin-style 10 units/m² × 1.9 m² = 19 units, capped at 15 units; never mg
    report = run_json("dose", "10units/m2", "--bsa", "1.9", "--max-dose", "15units")
    assert report["results"]["dose"] == {"value": 15.0, "unit": "units"}
    assert report["inputs"]["max_dose"] == {"given": "15units", "value": 15.0, "unit": "units"}
    assert report["patient_dose"]["dose_uncapped"]["value"] == pytest.approx(19.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("dose", "10units/m2", "--bsa", "1.9", "--max-dose", "15mg"), "--max-dose"),
        (("dose", "10units/m2", "--bsa", "1.9", "--round-to", "1units"), "--round-to"),
        (("dose", "10units/m2", "--bsa", "1.9", "--vials", "15units"), "--vials"),
        (("dose", "5mg/mL*min", "--bsa", "1.9"), "carboplatin"),
    ],
)
def test_dose_refusals(args, message):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2
    assert message in result.stderr


def test_regimen_patient_doses_are_the_orders():
    # 85 mg/m² −20 % = 68 mg/m² × 1.9 m² = 129.2 mg → 130 mg (5 mg step) on day 1 of 14; 6 cycles: 780 mg
    report = run_json(
        "regimen",
        "85mg/m2",
        "--days",
        "1",
        "--cycle",
        "14",
        "--cycles",
        "6",
        "--reduce",
        "20",
        "--bsa",
        "1.9",
        "--round-to",
        "5mg",
    )
    assert report["results"]["per_administration"]["value"] == pytest.approx(68.0)
    assert report["results"]["patient_per_administration"]["value"] == 130.0
    assert report["results"]["patient_cumulative"]["value"] == pytest.approx(780.0)
    assert report["rounding"]["rounded"]["value"] == 130.0
