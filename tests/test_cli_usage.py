"""
How the command line refuses what it cannot run: an unknown name with the
closest valid one as its hint ("did you mean 'mosteller'?") in Python, on the
command line and in a cohort run; and a usage error (an unknown option or
command, a missing option, a value of the wrong type) as one line on stderr
naming the help to read, exit code 2, and the JSON error on stdout with --json.
"""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dosecalc
from dosecalc import UnknownNameError, bsa
from dosecalc.cli import app
from dosecalc.errors import UsageError, closest_name

runner = CliRunner()

ROOT = Path(__file__).resolve().parents[1]
METHODS = "mosteller, dubois, haycock, gehan_george, boyd, fujimoto, takahira, shuter_aslani, schlich, livingston_lee"


def run(*args):
    return runner.invoke(app, [str(arg) for arg in args])


def error_schema() -> dict:
    return json.loads((ROOT / "schemas" / "error.schema.json").read_text(encoding="utf-8"))


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


# --- usage errors: one line, exit 2 ---------------------------------------------


USAGE_ERRORS = [
    # an unknown option
    (
        ["bsa", "--height", "170cm", "--weight", "70kg", "--foo"],
        "No such option: --foo (see dosecalc bsa --help)",
        "bsa",
        "--foo",
    ),
    # a required option missing
    (
        ["regimen", "75mg/m2", "--days", "1,8"],
        "Missing option '--cycle'. (see dosecalc regimen --help)",
        "regimen",
        "--cycle",
    ),
    # a required argument missing
    (["dose", "--bsa", "1.9"], "Missing argument 'DOSE'. (see dosecalc dose --help)", "dose", "DOSE"),
    # an unknown command, of the program and of a group
    (["frobnicate"], "No such command 'frobnicate'. (see dosecalc --help)", None, None),
    (
        ["protocol", "shw"],
        "No such command 'shw'. Did you mean 'show'? (see dosecalc protocol --help)",
        "protocol",
        None,
    ),
    # not an integer for an integer option
    (
        ["plan", "r-chop-21", "--bsa", "1.9", "--cycles", "x"],
        "Invalid value for '--cycles': 'x': expected a whole number of ASCII digits, such as 28 "
        "(see dosecalc plan --help)",
        "plan",
        "--cycles",
    ),
    # a whole number longer than Python reads as one
    (
        ["plan", "r-chop-21", "--bsa", "1.9", "--cycles", "1" * 4301],
        f"Invalid value for '--cycles': '{'1' * 200}' … (4,301 characters): expected a whole number of at most "
        "4,300 digits (see dosecalc plan --help)",
        "plan",
        "--cycles",
    ),
    # an option without its value
    (
        ["bsa", "--weight", "70kg", "--height"],
        "Option '--height' requires an argument. (see dosecalc bsa --help)",
        "bsa",
        "--height",
    ),
    # an option given twice
    (
        ["bsa", "--height", "170cm", "--height", "180cm", "--weight", "70kg"],
        "Invalid value for '--height': given twice (--height ... --height ...): give it once (see dosecalc bsa --help)",
        "bsa",
        "--height",
    ),
]


_PLAN = ["plan", "r-chop-21", "--bsa", "1.9"]
_VERIFY = ["verify", "r-chop-21", "--bsa", "1.9", "--ordered", "vincristine=2mg"]


@pytest.mark.parametrize(
    ("command", "option", "expected", "nine_nines_outside"),
    [
        (_PLAN, "--cycles", "1-100", True),
        (_VERIFY, "--cycle", "1-999,999,999", False),
        (_VERIFY, "--day", "1-21", True),
    ],
)
@pytest.mark.parametrize("beyond", ["1000000000", "1000000000000000", "9" * 4300])
def test_a_whole_number_outside_its_range_is_refused_by_the_range_however_long(
    command, option, expected, nine_nines_outside, beyond
):
    # one refusal for every number outside the range: a digit more is no other kind of mistake
    for number in ["999999999", beyond] if nine_nines_outside else [beyond]:
        result = run(*command, option, number)
        assert result.exit_code == 2
        assert result.stderr == f"error: {option} {number}: expected a whole number, {expected}\n"


@pytest.mark.parametrize("args, message, command, field", USAGE_ERRORS)
def test_a_usage_error_is_one_line_and_exit_2(args, message, command, field):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""


@pytest.mark.parametrize("args, message, command, field", USAGE_ERRORS)
def test_with_json_a_usage_error_is_json_on_stdout_too(args, message, command, field):
    jsonschema = pytest.importorskip("jsonschema")
    # --json last, but before an option left without its value (which would take it as the value)
    with_json = [*args[:-1], "--json", args[-1]] if args[-1] == "--height" else [*args, "--json"]
    result = run(*with_json)
    assert result.exit_code == 2
    assert result.stderr == f"error: {message}\n"
    report = json.loads(result.stdout)
    assert report == {
        "command": command,
        "dosecalc_version": dosecalc.__version__,
        "code": "usage_error",
        "field": field,
        "value": None,
        "hint": None,
        "expected": None,
        "message": message,
    }
    jsonschema.validate(report, error_schema())


def test_json_after_a_double_dash_is_an_argument_not_the_option():
    result = run("bsa", "--height", "170cm", "--weight", "70kg", "--foo", "--", "--json")
    assert result.exit_code == 2
    assert result.stderr == "error: No such option: --foo (see dosecalc bsa --help)\n"
    assert result.stdout == ""


def test_the_installed_program_names_its_own_help():
    # python -m dosecalc: click finds the program's name itself, not the test runner's
    result = subprocess.run(
        [sys.executable, "-m", "dosecalc", "bsa", "--height", "170cm", "--weight", "70kg", "--foo"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == "error: No such option: --foo (see dosecalc bsa --help)\n"
    assert result.stdout == ""


def test_a_usage_error_pickles_whole():
    error = UsageError("No such option: --foo (see dosecalc bsa --help)", "--foo")
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), vars(again)) == (str(error), vars(error))
    assert again.code == "usage_error" and again.field == "--foo"


# --- help and version are no errors ---------------------------------------------


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_still_shows(flag):
    result = run("bsa", flag)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: dosecalc bsa [OPTIONS]\n")
    assert "--height LENGTH" in result.stdout and result.stderr == ""


def test_version_still_shows():
    result = run("--version")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"dosecalc {dosecalc.__version__}\n", "")


@pytest.mark.parametrize(
    "args, usage",
    [
        ([], "Usage: dosecalc [OPTIONS] COMMAND [ARGS]..."),
        (["protocol"], "Usage: dosecalc protocol [OPTIONS] COMMAND [ARGS]..."),
    ],
)
def test_a_group_without_arguments_shows_its_help(args, usage):
    result = run(*args)
    assert result.exit_code == 2  # as click: no command given
    assert result.output.startswith(usage + "\n") and "Commands:" in result.output
    assert "error:" not in result.output
