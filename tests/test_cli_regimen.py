"""dosecalc regimen on the command line: a cycle total, and refusals as typed."""

import json

import pytest
from typer.testing import CliRunner

from dosecalc import Regimen
from dosecalc.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_regimen_takes_a_cycle_total_as_the_library_does():
    # ImmunoGen release, 5 June 2011 (ASCO 2011 abstract 8013): IMGN901 "225 mg/m² ... over 3 weeks in a
    # 4-week cycle", 75 mg/m²/week: 225 / 3 = 75 mg/m² on each of days 1, 8 and 15
    args = ("regimen", "225 mg/m2 per cycle", "--days", "1,8,15", "--cycle", "28")
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "give it to a regimen" not in result.output
    rows = {line.split("  ")[0]: line for line in result.stdout.splitlines()}
    assert "75 mg/m²" in rows["per administration"] and "225 mg/m²" in rows["per cycle"]
    data = json.loads(run(*args, "--json").stdout)
    library = Regimen("225 mg/m2 per cycle", days=[1, 8, 15], cycle_days=28)
    assert data["results"]["per_administration"]["value"] == library.per_administration.m_as("mg/m**2") == 75.0
    assert data["results"]["per_cycle"]["value"] == 225.0
    assert data["inputs"]["dose"] == {"given": "225 mg/m2 per cycle", "value": 75.0, "unit": "mg/m²"}
    # with a patient and a reduction: (225 / 3) × 0.8 = 60 mg/m² each, × BSA 2.0 m² (180 cm, 80 kg) = 120 mg
    data = json.loads(run(*args, "--reduce", "20", "--height", "180cm", "--weight", "80kg", "--json").stdout)
    assert data["results"]["patient_per_administration"]["value"] == pytest.approx(120.0)
    assert data["results"]["patient_per_cycle"]["value"] == pytest.approx(360.0)


@pytest.mark.parametrize(
    "args, shown",
    [
        (("225 mg/m2/day per cycle", "--days", "1,8,15", "--cycle", "28"), "DOSE '225 mg/m2/day per cycle': "),
        (("225 mg/m2 per cycle", "--days", "1,8,35", "--cycle", "28"), "--days '1,8,35': "),
        (("75 mg/m2", "--days", "8,1", "--cycle", "28"), "--days '8,1': "),
        (("75 mg/m2 per cycle\u200b", "--days", "1", "--cycle", "28"), "\\u200b"),
    ],
)
def test_regimen_refusals_show_the_text_as_typed(args, shown):
    result = run("regimen", *args)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert shown in line, line


@pytest.mark.parametrize(
    "args, shown",
    [
        # Cockcroft-Gault is for adults; 6570 days is 17.99 years, shown as typed, not as 17.9876796714579 years
        (
            ("carboplatin-paclitaxel", "--sex", "f", "--age", "6570 days", "--creatinine", "0.8mg/dL"),
            "--age '6570 days': expected 18-120 years",
        ),
        (("abvd", "--prior", "bleomycin=100mg"), "prior bleomycin='100mg': expected an exposure in units"),
        (("abvd", "--prior", "doxorubicin=5mg/m2/day"), "prior doxorubicin='5mg/m2/day': expected a dose per"),
        (("r-chop-21", "--height", "300cm"), "--height '300cm': expected 20-280 cm"),
    ],
)
def test_plan_refusals_show_the_text_as_typed(args, shown):
    body = () if "--height" in args else ("--height", "165cm")
    result = run("plan", *args, *body, "--weight", "60kg")
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert shown in line, line
