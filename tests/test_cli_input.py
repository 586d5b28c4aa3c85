"""The command line reads what people type by the grammar, and shows what it read beside what was typed."""

import pytest
from typer.testing import CliRunner

from dosecalc.cli import app

runner = CliRunner()


def rows(output: str) -> dict:
    return {
        line.split("  ")[0]: [cell for cell in line.split("  ")[1:] if cell.strip()]
        for line in output.splitlines()
        if line
    }


def test_a_value_typed_otherwise_than_shown_is_shown_as_typed():
    result = runner.invoke(app, ["dose", "75mg/m2", "--height", "5 ft 9 in", "--weight", "154 lb"])
    assert result.exit_code == 0, result.output
    shown = rows(result.stdout)
    assert [cell.strip() for cell in shown["height"]] == ["175 cm", "from 5 ft 9 in"]  # 69 in × 2.54 = 175.26 cm
    assert [cell.strip() for cell in shown["weight"]] == ["69.9 kg", "from 154 lb"]  # 154 × 0.45359237


def test_a_value_typed_as_shown_has_no_note():
    result = runner.invoke(app, ["bsa", "--height", "175 cm", "--weight", "70 kg"])
    assert [cell.strip() for cell in rows(result.stdout)["height"]] == ["175 cm"]


@pytest.mark.parametrize("option, first, second", [("--bsa", "1.9", "2.5"), ("--height", "175cm", "180cm")])
def test_an_option_given_twice_is_refused(option, first, second):
    result = runner.invoke(app, ["dose", "75mg/m2", option, first, option, second, "--weight", "70kg"])
    assert result.exit_code == 2
    assert f"given twice ({option} ... {option} ...)" in result.stderr


def test_a_given_bsa_far_from_the_computed_one_is_refused():
    # Mosteller of 175 cm, 70 kg: sqrt(175 × 70 / 3600) = 1.84 m²; 2.5 m² is 36 % away
    result = runner.invoke(app, ["dose", "75mg/m2", "--bsa", "2.5", "--height", "175cm", "--weight", "70kg"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --bsa 2.5 m²: expected within 5 % of 1.84 m²")


def test_a_given_bsa_near_the_computed_one_is_shown_beside_it():
    result = runner.invoke(app, ["dose", "75mg/m2", "--bsa", "1.85", "--height", "175cm", "--weight", "70kg"])
    assert result.exit_code == 0, result.output
    shown = rows(result.stdout)
    assert shown["BSA"][0].strip() == "1.85 m²" and shown["computed BSA"][0].strip() == "1.84 m²"


@pytest.mark.parametrize(
    "dose, said",
    [
        ("75–100 mg/m²", "a range, not one dose"),
        ("1·5 mg/kg", "full stop as the decimal point"),
        ("75 mg/m2 per cycle", "dosecalc regimen"),
        ("7\u200b5 mg/m2", "'7\\u200b5 mg/m2'"),
    ],
)
def test_the_misreadings_once_made_are_refused(dose, said):
    result = runner.invoke(app, ["dose", dose, "--bsa", "1.9"])
    assert result.exit_code == 2
    assert said in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "args, code, field",
    [
        (["bsa", "--height", "1.75cm", "--weight", "70kg"], "implausible_input_error", "--height"),
        (["dose", "75–100 mg/m²", "--bsa", "1.9"], "unit_error", "DOSE"),
        (["hed", "50mg/kg", "--species", "zebra"], "unknown_name_error", "--species"),
        (["dose", "6.1mg/kg", "--bsa", "1.9"], "missing_input_error", "--weight"),
    ],
)
def test_with_json_an_error_is_json_on_stdout_too(args, code, field):
    import json
    from pathlib import Path

    jsonschema = pytest.importorskip("jsonschema")
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 2 and result.stderr.startswith("error: ")
    error = json.loads(result.stdout)
    assert (error["code"], error["field"], error["command"]) == (code, field, args[0])
    schema = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "error.schema.json").read_text())
    jsonschema.validate(error, schema)


def test_without_json_an_error_leaves_stdout_empty():
    result = runner.invoke(app, ["bsa", "--height", "1.75cm", "--weight", "70kg"])
    assert result.exit_code == 2 and result.stdout == ""


def test_a_short_option_given_twice_with_its_value_attached_is_refused(tmp_path):
    cohort = tmp_path / "in.csv"
    cohort.write_text("height_cm,weight_kg\n175,70\n", encoding="utf-8")
    result = runner.invoke(
        app, ["cohort", str(cohort), "-o", str(tmp_path / "a.csv"), f"-o{tmp_path / 'b.csv'}", "--dose", "75mg/m2"]
    )
    assert result.exit_code == 2 and "given twice (-o ... -o ...)" in result.stderr
    assert not (tmp_path / "a.csv").exists() and not (tmp_path / "b.csv").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["regimen", "75mg/m2", "--days", "1,8,15", "--cycle", "2_8"],
        ["regimen", "75mg/m2", "--days", "1,8,1_5", "--cycle", "28"],
        ["regimen", "75mg/m2", "--days", "1,8,15", "--cycle", "28", "--cycles", "+6"],
        ["regimen", "75mg/m2", "--days", "1,8,١٥", "--cycle", "28"],
        ["plan", "r-chop-21", "--height", "175cm", "--weight", "70kg", "--cycles", "2_0"],
    ],
)
def test_whole_numbers_are_ascii_digits(args):
    # Python's int() reads "2_8" as 28, "+6" as 6 and "١٥" as 15: a typo of 1,5 would become another schedule
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "whole" in result.stderr


def test_a_lookup_loads_neither_dask_nor_pydantic():
    # pint imports dask.base when dask is installed, typer 0.29 pydantic: neither is needed by a lookup
    import subprocess
    import sys

    code = (
        "import sys\nfrom dosecalc.cli import app\n"
        "try:\n    app(['bsa', '--height', '175cm', '--weight', '70kg'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'pydantic'}), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"
    assert "1.84 m²" in done.stdout
