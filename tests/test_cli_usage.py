"""
How the command line refuses what it cannot run: an unknown name with the
closest valid one as its hint ("did you mean 'mosteller'?") in Python, on the
command line and in a cohort run.
"""

import json
import pickle
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dosecalc import UnknownNameError, bsa
from dosecalc.cli import app
from dosecalc.errors import closest_name

runner = CliRunner()

ROOT = Path(__file__).resolve().parents[1]
METHODS = "mosteller, dubois, haycock, gehan_george, boyd, fujimoto, takahira, shuter_aslani, schlich, livingston_lee"


def run(*args):
    return runner.invoke(app, [str(arg) for arg in args])


# --- an unknown name and the closest valid one ----------------------------------


def test_a_close_miss_of_a_name_gets_the_closest_valid_one_as_its_hint():
    with pytest.raises(UnknownNameError) as caught:
        bsa(170, 70, method="mostellar")
    error = caught.value
    assert str(error) == (f"method='mostellar' is not known; expected one of: {METHODS}; did you mean 'mosteller'?")
    assert (error.field, error.value, error.hint) == ("method", "mostellar", "did you mean 'mosteller'?")
    assert error.to_dict() == {
        "code": "unknown_name_error",
        "field": "method",
        "value": "mostellar",
        "hint": "did you mean 'mosteller'?",
        "expected": f"one of: {METHODS}",
        "message": str(error),
    }
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and vars(again) == vars(error)


@pytest.mark.parametrize(
    "value, shown, hint",
    [
        ("MOSTELLAR", "'MOSTELLAR'", "; did you mean 'mosteller'?"),  # case ignored
        (" dubios ", "' dubios '", "; did you mean 'dubois'?"),  # spaces around ignored, shown as typed
        ("m\u043esteller", "'m\\u043esteller'", "; did you mean 'mosteller'?"),  # a Cyrillic о: shown escaped
        ("xyz", "'xyz'", ""),  # nothing near: the names alone
        ("", "''", ""),
    ],
)
def test_the_hint_is_the_closest_name_or_none(value, shown, hint):
    with pytest.raises(UnknownNameError) as caught:
        bsa(170, 70, method=value)
    assert str(caught.value) == f"method={shown} is not known; expected one of: {METHODS}{hint}"
    assert caught.value.hint == (hint[2:] or None)


def test_a_value_that_is_not_text_gets_no_hint():
    # a missing cell or a number is no slip of a name: "nan" would be near "man"
    assert str(UnknownNameError("sex", float("nan"), ("f", "female", "m", "male", "man"))) == (
        "sex=nan is not known; expected one of: f, female, m, male, man"
    )
    assert UnknownNameError("level", -3, ("0", "-1", "-2")).hint is None
    assert UnknownNameError("sex", "mann", ("f", "female", "m", "male", "man")).hint == "did you mean 'man'?"


def test_the_closest_name_is_given_as_the_valid_name_is_spelled():
    assert closest_name("height", ("Height_cm", "Weight_kg")) == "Height_cm"
    assert closest_name("weight_k", ("Height_cm", "Weight_kg")) == "Weight_kg"
    assert closest_name("bmi", ("Height_cm", "Weight_kg")) is None
    assert closest_name(None, ("none",)) is None


def test_the_command_line_shows_the_hint():
    result = run("bsa", "--height", "170cm", "--weight", "70kg", "--method", "mostellar")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --method 'mostellar' is not known; expected one of: {METHODS}; did you mean 'mosteller'?\n"
    )
    assert result.stdout == ""
    report = json.loads(run("bsa", "--height", "170cm", "--weight", "70kg", "--method", "mostellar", "--json").stdout)
    assert (report["command"], report["code"], report["field"], report["value"], report["hint"]) == (
        "bsa",
        "unknown_name_error",
        "--method",
        "mostellar",
        "did you mean 'mosteller'?",
    )


def test_a_cohort_run_shows_the_hint(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("patient_id,height_cm,weight_kg\nA,170,70\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    result = run("cohort", source, "-o", output, "--dose", "75mg/m2", "--method", "mostellar")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --method 'mostellar' is not known; expected one of: {METHODS}; did you mean 'mosteller'?\n"
    )
    assert not output.exists()
    report = json.loads(
        run("cohort", source, "-o", output, "--dose", "75mg/m2", "--method", "mostellar", "--json").stdout
    )
    assert (report["command"], report["field"], report["hint"]) == ("cohort", "--method", "did you mean 'mosteller'?")


def test_an_unknown_protocol_gets_the_hint_once():
    result = run("plan", "rchop", "--bsa", "1.9")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --protocol 'rchop' is not known; expected one of: "
        "abvd, carboplatin-paclitaxel, imgn901-rd, mfolfox6, r-chop-21; did you mean 'r-chop-21'?\n"
    )
