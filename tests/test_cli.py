"""
The ``dosecalc`` command line through its real entry points: typer's CliRunner
for every command, the pinned ``--json`` schema, each class of bad input
(exit 2, one line on stderr naming the option), subprocess runs of the
installed console script and of ``python -m dosecalc``, plain output off a
terminal and under NO_COLOR, and the import budget of a lookup.
"""

import json
import math
import os
import pty
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from strategies import bodies
from typer.testing import CliRunner

import dosecalc
from dosecalc.bsa import BSA_METHODS
from dosecalc.cli import app
from dosecalc.cli.output import figures as _figures
from dosecalc.conversions import SPECIES

runner = CliRunner()

IMGN901 = ["75mg/m2", "--height", "175cm", "--weight", "70kg"]
# Mosteller (1987) by hand: sqrt(175 * 70 / 3600) m²
MOSTELLER_175_70 = math.sqrt(175 * 70 / 3600)


def run(*args, env=None):
    return runner.invoke(app, list(args), env=env)


def run_json(*args):
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def console_script() -> str:
    return shutil.which("dosecalc") or str(Path(sys.executable).with_name("dosecalc"))


# --- entry points and help -----------------------------------------------------


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"dosecalc {dosecalc.__version__}"


@pytest.mark.parametrize(
    "command", ["bsa", "dose", "convert", "hed", "regimen", "crcl", "carboplatin", "methods", "species", "cohort"]
)
def test_help_shows_examples(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout and f"dosecalc {command}" in result.stdout


def test_top_level_help_lists_commands_and_examples():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("bsa", "dose", "convert", "hed", "regimen", "crcl", "carboplatin", "methods", "species", "cohort"):
        assert command in result.stdout
    assert "dosecalc dose 75mg/m2 --height 175cm --weight 70kg" in result.stdout


def test_installed_console_script_runs_a_lookup_and_rejects_bad_input():
    script = console_script()
    done = subprocess.run([script, "dose", *IMGN901, "--json"], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    # 75 mg/m² × Mosteller BSA of 175 cm, 70 kg
    assert report["results"]["dose"]["value"] == pytest.approx(75 * MOSTELLER_175_70, rel=1e-12)

    bad = subprocess.run([script, "bsa", "--height", "1.75cm", "--weight", "70kg"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.strip() == "error: --height 1.75 cm: expected 20-280 cm; did you mean 1.75 m?"


def test_python_dash_m_runs_the_same_app():
    done = subprocess.run(
        [sys.executable, "-m", "dosecalc", "regimen", "75mg/m2", "--days", "1,8,15", "--cycle", "28"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "225 mg/m²" in done.stdout and "56.25 mg/m²/week" in done.stdout
    version = subprocess.run(
        [sys.executable, "-m", "dosecalc", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == f"dosecalc {dosecalc.__version__}"


# --- bsa -------------------------------------------------------------------------


def test_bsa_mosteller_exact_case():
    # Mosteller (1987) by hand: sqrt(180 * 80 / 3600) = 2.0 m²
    result = run("bsa", "--height", "180cm", "--weight", "80kg")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split() == ["BSA", "2.00", "m²", "Mosteller"]
    assert "doi:10.1056/NEJM198710223171717" in result.stdout


@pytest.mark.parametrize("height", ["5 ft 9 in", "5'9\"", "5ft9in", "69 in", "175.26 cm", "1.7526 m"])
def test_bsa_reads_height_as_people_type_it(height):
    report = run_json("bsa", "--height", height, "--weight", "70kg")
    assert report["inputs"]["height"] == {"given": height, "value": pytest.approx(175.26), "unit": "cm"}
    # Mosteller (1987) by hand: sqrt(175.26 * 70 / 3600)
    assert report["results"]["bsa"]["value"] == pytest.approx(math.sqrt(175.26 * 70 / 3600), rel=1e-12)


def test_bsa_says_from_what_a_value_was_converted():
    result = run("bsa", "--height", "5 ft 9 in", "--weight", "154 lb")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert lines["height"].split() == ["height", "175", "cm", "from", "5", "ft", "9", "in"]
    # 154 lb × 0.45359237 kg/lb = 69.85 kg
    assert lines["weight"].split() == ["weight", "69.9", "kg", "from", "154", "lb"]


@pytest.mark.parametrize("method", ["dubois", "Du Bois", "haycock", "boyd"])
def test_bsa_method_equals_the_library(method):
    report = run_json("bsa", "--height", "170cm", "--weight", "75kg", "--method", method)
    key = report["method"]["name"]
    expected = dosecalc.bsa(170, 75, method=key).m_as("m**2")
    assert report["results"]["bsa"] == {"value": expected, "unit": "m²"}
    assert report["method"]["reference"] == BSA_METHODS[key].reference


def test_bsa_all_lists_every_formula_and_needs_sex_for_schlich():
    result = run("bsa", "--height", "170cm", "--weight", "75kg", "--method", "all")
    assert result.exit_code == 0
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line}
    for key in BSA_METHODS:
        assert key in rows
    # admiral test suite, 75 kg / 170 cm (research notes §1): Du Bois 1.864, Boyd 1.905 m²
    assert rows["dubois"].endswith("1.86 m²")
    assert rows["boyd"].endswith("1.91 m²")
    assert rows["schlich"].endswith("needs --sex")


def test_bsa_all_json_with_sex():
    report = run_json("bsa", "--height", "170cm", "--weight", "75kg", "--method", "all", "--sex", "f")
    assert set(report["results"]) == set(BSA_METHODS)
    assert [item["name"] for item in report["methods"]] == list(BSA_METHODS)
    assert report["inputs"]["sex"] == {"given": "f", "value": "female", "unit": None}
    expected = dosecalc.bsa(170, 75, method="schlich", sex="f").m_as("m**2")
    assert report["results"]["schlich"]["value"] == expected


@settings(max_examples=25)
@given(bodies())
def test_bsa_json_is_full_precision_and_text_is_rounded(body):
    height_cm, weight_kg = body
    height, weight = f"{height_cm!r} cm", f"{weight_kg!r} kg"
    expected = dosecalc.bsa(height, weight).m_as("m**2")
    assert run_json("bsa", "--height", height, "--weight", weight)["results"]["bsa"]["value"] == expected
    text = run("bsa", "--height", height, "--weight", weight).stdout
    # to 2 decimals, or 3 figures below 1 m² (0.0234 m² is not "0.02")
    assert text.splitlines()[0].split()[1] == (f"{expected:.2f}" if expected >= 1 else f"{expected:.3g}")


# --- dose ------------------------------------------------------------------------


def test_dose_imgn901_patient():
    result = run("dose", *IMGN901)
    assert result.exit_code == 0
    lines = [line.split() for line in result.stdout.splitlines()]
    # 75 mg/m² × 1.8447 m² = 138.3 mg; 138.3 mg / 70 kg = 1.98 mg/kg
    assert lines[0] == ["dose", "138", "mg", "75", "mg/m²", "×", "BSA", "1.84", "m²"]
    assert lines[1] == ["per", "m²", "75", "mg/m²", "as", "prescribed"]
    assert lines[2] == ["per", "kg", "1.98", "mg/kg", "138", "mg", "÷", "70", "kg"]
    assert ["BSA", "1.84", "m²", "Mosteller"] in lines


def test_dose_with_and_without_spaces_agree():
    assert (
        run_json("dose", "75 mg/m2", "--height", "175 cm", "--weight", "70 kg")["results"]
        == run_json("dose", *IMGN901)["results"]
    )


def test_dose_with_given_bsa():
    report = run_json("dose", "75mg/m2", "--bsa", "1.9")
    # 75 mg/m² × 1.9 m² = 142.5 mg
    assert report["results"]["dose"] == {"value": pytest.approx(142.5), "unit": "mg"}
    assert report["method"] == {"name": "given", "label": "given", "reference": None}
    assert report["inputs"]["bsa"] == {"given": "1.9", "value": 1.9, "unit": "m²"}
    assert run_json("dose", "75mg/m2", "--bsa", "1.9 m²")["results"]["dose"]["value"] == pytest.approx(142.5)


def test_dose_per_kg_in_pounds():
    report = run_json("dose", "6.1 mg/kg", "--weight", "154 lb")
    # 6.1 mg/kg × (154 × 0.45359237 kg)
    assert report["results"]["dose"]["value"] == pytest.approx(6.1 * 154 * 0.45359237)
    assert report["method"] is None and "bsa" not in report["results"]


def test_flat_dose():
    result = run("dose", "100mg")
    assert result.exit_code == 0
    assert result.stdout.split() == ["dose", "100", "mg", "flat", "dose,", "as", "prescribed"]


# --- convert and hed ------------------------------------------------------------


def test_convert_imgn901_per_cycle_to_mg_per_kg():
    # ImmunoGen, ASCO 2011 abstract 8013: 225 mg/m² per cycle is 6.1 mg/kg (Km 37, FDA 2005 Table 1)
    result = run("convert", "225mg/m2", "--to", "mg/kg")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split() == [
        "dose",
        "6.08",
        "mg/kg",
        "from",
        "225",
        "mg/m²",
        "÷",
        "Km",
        "37",
        "kg/m²",
    ]
    report = run_json("convert", "225mg/m2", "--to", "mg/kg")
    assert report["results"]["dose"] == {"value": pytest.approx(225 / 37, rel=1e-15), "unit": "mg/kg"}
    assert report["km"]["species"] == "human" and report["km"]["value"] == 37
    assert "July 2005, Table 1" in report["km"]["reference"]


def test_convert_rat_mg_per_kg_to_mg_per_m2():
    # FDA (2005) Table 1: rat Km 6, so 10 mg/kg = 60 mg/m²
    report = run_json("convert", "10 mg/kg", "--to", "mg/m²", "--species", "rat")
    assert report["results"]["dose"] == {"value": 60.0, "unit": "mg/m²"}


def test_convert_rate_with_given_km():
    # 75 mg/m²/week ÷ 25 kg/m² (FDA 2005 child Km) = 3 mg/kg/week
    report = run_json("convert", "75 mg/m2/week", "--to", "mg/kg", "--km", "25")
    assert report["results"]["dose"] == {"value": 3.0, "unit": "mg/kg/week"}
    assert report["km"] == {"species": None, "label": None, "value": 25.0, "unit": "kg/m²", "reference": None}


def test_convert_a_daily_rate_keeps_its_day():
    # 225 mg/m² a day ÷ 37 kg/m² (FDA 2005, adult) = 6.081 mg/kg a day, read as typed: not 1575 mg/m² a week
    report = run_json("convert", "225mg/m2/day", "--to", "mg/kg")
    assert report["inputs"]["dose"] == {"given": "225mg/m2/day", "value": 225.0, "unit": "mg/m²/d"}
    assert report["results"]["dose"]["unit"] == "mg/kg/d"  # in the order written, not sorted by name
    assert report["results"]["dose"]["value"] == pytest.approx(225 / 37)
    assert "from 225 mg/m²/d" in run("convert", "225mg/m2/day", "--to", "mg/kg").stdout


@pytest.mark.parametrize(
    "args, shown",
    [
        (
            ["hed", "50mg/kg/day", "--species", "rat"],
            "DOSE '50mg/kg/day': expected a dose per administration, not a rate",
        ),
        (["convert", "10mg/kg", "--to", "mg/kg"], "DOSE '10mg/kg': expected a dose in mg/m²"),
        (["convert", "1e9 mg/m2", "--to", "mg/kg"], "DOSE '1e9 mg/m2': expected [1e-09, 50000] mg/m²"),
        # an AUC and a dose in units, refused after they were read, shown as typed
        (["dose", "1.500 mg·min/mL", "--bsa", "2"], "DOSE '1.500 mg·min/mL': expected a dose in mg/m², mg/kg or mg"),
        (["regimen", "10units/m2", "--days", "1,15", "--cycle", "28"], "DOSE '10units/m2': expected a dose in mg here"),
        # a rate of the other basis: per day or per week, never "mg/kg/week" for a rate typed per day
        (
            ["convert", "225mg/m2/day", "--to", "mg/m2"],
            "DOSE '225mg/m2/day': expected a dose in mg/kg, per day or per week",
        ),
    ],
)
def test_a_refused_dose_of_a_conversion_is_shown_as_typed(args, shown):
    result = run(*args)
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {shown}")


def test_hed_rat():
    # FDA (2005) §V.A: HED = 50 mg/kg × 6 / 37 = 8.1 mg/kg
    result = run("hed", "50mg/kg", "--species", "rat")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split() == [
        "HED",
        "8.11",
        "mg/kg",
        "from",
        "50",
        "mg/kg",
        "×",
        "Km",
        "6",
        "÷",
        "Km",
        "37",
    ]
    report = run_json("hed", "50mg/kg", "--species", "rats")
    assert report["results"]["hed"] == {"value": pytest.approx(50 * 6 / 37, rel=1e-15), "unit": "mg/kg"}
    assert report["km"]["species"] == "rat" and report["human_km"]["value"] == 37


# --- regimen ---------------------------------------------------------------------


def test_regimen_imgn901():
    # ImmunoGen, ASCO 2011 abstract 8013: 75 mg/m² on days 1, 8, 15 of 28 is
    # 225 mg/m² (6.1 mg/kg) per cycle; 225 mg/m² over 4 weeks is 56.25 mg/m²/week
    result = run("regimen", "75mg/m2", "--days", "1,8,15", "--cycle", "28")
    assert result.exit_code == 0
    rows = {line[:20].strip(): line[20:].split() for line in result.stdout.splitlines()}
    assert rows["per cycle"] == ["225", "mg/m²", "6.08", "mg/kg"]
    assert rows["dose intensity"] == ["56.25", "mg/m²/week", "1.52", "mg/kg/week"]
    assert rows["per administration"] == ["75", "mg/m²", "2.03", "mg/kg"]


def test_regimen_json_with_patient_and_cycles():
    report = run_json(*shlex.split("regimen 75mg/m2 --days 1,8,15 --cycle 28 --cycles 6 --height 175cm --weight 70kg"))
    results = report["results"]
    assert results["per_cycle"] == {"value": 225.0, "unit": "mg/m²"}
    assert results["per_cycle_equivalent"] == {"value": pytest.approx(225 / 37, rel=1e-15), "unit": "mg/kg"}
    assert results["dose_intensity"] == {"value": 56.25, "unit": "mg/m²/week"}
    assert results["cumulative"] == {"value": 1350.0, "unit": "mg/m²"}
    assert results["patient_per_cycle"]["value"] == pytest.approx(3 * 75 * MOSTELLER_175_70, rel=1e-12)
    assert results["patient_cumulative"]["value"] == pytest.approx(6 * 3 * 75 * MOSTELLER_175_70, rel=1e-12)
    assert results["patient_dose_intensity"] == {
        "value": pytest.approx(3 * 75 * MOSTELLER_175_70 / 4),
        "unit": "mg/week",
    }
    assert report["inputs"]["days"] == {"given": "1,8,15", "value": [1, 8, 15], "unit": "day"}
    assert report["inputs"]["cycle"] == {"given": "28", "value": 28, "unit": "day"}
    assert report["method"]["name"] == "mosteller" and report["km"]["value"] == 37


def test_flat_regimen_has_no_km_equivalent():
    report = run_json("regimen", "100mg", "--days", "1", "--cycle", "21")
    assert set(report["results"]) == {"per_administration", "per_cycle", "dose_intensity"}
    assert report["km"] is None and report["method"] is None


# --- methods and species --------------------------------------------------------


def test_methods_lists_every_formula_with_reference():
    result = run("methods")
    assert result.exit_code == 0
    for key, entry in BSA_METHODS.items():
        assert key in result.stdout and entry.reference in result.stdout
    report = run_json("methods")
    assert [item["name"] for item in report["methods"]] == list(BSA_METHODS)
    assert {
        "name": "schlich",
        "label": BSA_METHODS["schlich"].label,
        "reference": BSA_METHODS["schlich"].reference,
        "needs": ["height", "weight", "sex"],
    } in report["methods"]


def test_species_lists_the_fda_table():
    result = run("species")
    assert result.exit_code == 0
    # FDA (2005) Table 1: rat Km 6, reference weight 0.15 kg, BSA 0.025 m²
    assert next(line for line in result.stdout.splitlines() if line.startswith("rat ")).split() == [
        "rat",
        "Rat",
        "6",
        "0.15",
        "0.025",
    ]
    report = run_json("species")
    assert [item["name"] for item in report["species"]] == list(SPECIES)
    assert report["species"][0] == {
        "name": "human",
        "label": "Human (adult)",
        "km": {"value": 37.0, "unit": "kg/m²"},
        "reference_weight": {"value": 60.0, "unit": "kg"},
        "bsa": {"value": 1.62, "unit": "m²"},
    }
    assert "July 2005, Table 1" in report["reference"]


# --- the JSON schema, pinned --------------------------------------------------------

# the safeguard steps of dose and regimen (pinned in test_cli_safeguards.py)
STEPS = ("modification", "patient_dose", "rounding", "band")

SCHEMAS = {
    ("bsa", "--height", "175cm", "--weight", "70kg"): ({"method"}, {"height", "weight"}, {"bsa"}),
    ("bsa", "--height", "175cm", "--weight", "70kg", "--method", "all"): (
        {"methods"},
        {"height", "weight"},
        set(BSA_METHODS) - {"schlich"},
    ),
    ("dose", *IMGN901): (
        {"method", *STEPS},
        {"dose", "height", "weight"},
        {"dose", "bsa", "dose_per_m2", "dose_per_kg"},
    ),
    ("convert", "225mg/m2", "--to", "mg/kg"): ({"km"}, {"dose"}, {"dose"}),
    ("hed", "50mg/kg", "--species", "rat"): ({"km", "human_km"}, {"dose"}, {"hed"}),
    ("regimen", "75mg/m2", "--days", "1,8,15", "--cycle", "28", "--cycles", "6", "--bsa", "1.9"): (
        {"km", "method", *STEPS},
        {"dose", "bsa", "days", "cycle", "cycles"},
        {
            "per_administration",
            "per_cycle",
            "dose_intensity",
            "cumulative",
            "per_administration_equivalent",
            "per_cycle_equivalent",
            "dose_intensity_equivalent",
            "bsa",
            "patient_per_administration",
            "patient_per_cycle",
            "patient_dose_intensity",
            "patient_cumulative",
        },
    ),
}


@pytest.mark.parametrize("args", SCHEMAS, ids=lambda args: " ".join(args[:2]))
def test_json_schema(args):
    extra_keys, input_names, result_names = SCHEMAS[args]
    report = run_json(*args)
    assert set(report) == {"command", "dosecalc_version", "inputs", "results"} | extra_keys
    assert report["command"] == args[0] and report["dosecalc_version"] == dosecalc.__version__
    assert set(report["inputs"]) == input_names
    for item in report["inputs"].values():
        assert set(item) == {"given", "value", "unit"} and isinstance(item["given"], str)
    assert set(report["results"]) == result_names
    for item in report["results"].values():
        assert set(item) == {"value", "unit"} and isinstance(item["value"], float) and isinstance(item["unit"], str)
    for name in ("method", "km", "human_km"):
        if report.get(name) is not None:
            expected = (
                {"name", "label", "reference"}
                if name == "method"
                else {"species", "label", "value", "unit", "reference"}
            )
            assert set(report[name]) == expected
    for item in report.get("methods", []):
        assert set(item) == {"name", "label", "reference"}


@pytest.mark.parametrize("command", ["methods", "species"])
def test_json_schema_of_listings(command):
    report = run_json(command)
    assert set(report) == {"command", "dosecalc_version", command} | ({"reference"} if command == "species" else set())


# --- bad input: exit 2, one line on stderr naming the option --------------------------

BAD_INPUT = [
    # unknown unit
    ("bsa --height '175 cmm' --weight 70kg", "--height '175 cmm'", "such as '175 cm'"),
    # unit of the wrong kind
    ("bsa --height 70kg --weight 70kg", "--height '70kg'", "'kg' gives a body weight, not a height"),
    # implausible value, with the core's hint
    ("bsa --height 1.75cm --weight 70kg", "--height 1.75 cm", "did you mean 1.75 m?"),
    ("dose 75mg/m2 --height 175cm --weight 70g", "--weight 70 g", "did you mean 70 lb?"),
    ("dose 75mg/m2 --bsa 19", "--bsa 19 m²", "0.02-7 m²"),
    ("dose 75g/m2 --bsa 1.9", "DOSE '75g/m2'", "mg/m²"),  # as typed
    # unknown method or species: the valid names are listed
    ("bsa --height 175cm --weight 70kg --method foo", "--method 'foo'", "mosteller, dubois"),
    ("hed 50mg/kg --species zebra", "--species 'zebra'", "rat"),
    ("regimen 75mg/m2 --days 1 --cycle 21 --method foo", "--method 'foo'", "dubois"),
    ("convert 225mg/m2 --to mg/kg --species unicorn", "--species 'unicorn'", "mouse"),
    ("bsa --height 175cm --weight 70kg --sex x", "--sex 'x'", "female"),
    ("convert 225mg/m2 --to mg", "--to 'mg'", "mg/kg, mg/m2"),
    # a Km factor given two ways
    ("convert 225mg/m2 --to mg/kg --species rat --km 37", "--species rat and --km 37", "only one of"),
    ("hed 50mg/kg --species rat --km 6", "--species rat and --km 6", "only one of --species, --km"),
    # missing required input
    ("bsa --weight 70kg", "--height is required", "Mosteller"),
    ("dose 5mg/kg --height 175cm", "--weight is required", "mg/kg"),
    ("bsa --height 175cm --weight 70kg --method schlich", "--sex is required", "Schlich"),
    ("dose 75mg/m2", "--weight is required", "BSA"),
    ("hed 50mg/kg", "--species is required", "--km"),
    # a bare number: its unit is never guessed
    ("bsa --height 175 --weight 70kg", "--height '175'", "with a unit"),
    ("dose 75 --bsa 1.9", "DOSE '75'", "with a unit"),
    # regimen schedule
    ("regimen 75mg/m2 --days 1,8,x --cycle 28", "--days '1,8,x'", "1,8,15"),
    ("regimen 75mg/m2 --days 1,8,15 --cycle 7", "--days '1,8,15'", "7-day cycle"),
    ("regimen 75mg/m2 --days 1,8,15 --cycle 0", "--cycle 0", "a whole number from 1 to 365"),
]


def check_bad_input(command_line: str, names: str, expected: str) -> None:
    """The command line (split as a shell would) exits 2, with one line on stderr that starts
    ``error: names`` and holds ``expected``, and nothing on stdout."""
    result = run(*shlex.split(command_line))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {names}"), line
    assert expected in line, line


@pytest.mark.parametrize("command_line, names, expected", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_exits_2_with_one_line_naming_the_option(command_line, names, expected):
    check_bad_input(command_line, names, expected)


@pytest.mark.parametrize(
    "args",
    [
        ["regimen", "75mg/m2", "--days", "1,8,15"],  # missing --cycle
        ["regimen", "75mg/m2", "--days", "1,8,15", "--cycle", "abc"],  # not an integer
        ["bsa", "--height", "175cm", "--weight", "70kg", "--bogus"],  # unknown option
        ["convert", "225mg/m2"],  # missing --to
        ["frobnicate"],  # unknown command
    ],
)
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# --- display ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, shown",
    [
        (138.34964763236658, "138"),
        (6.081081081081082, "6.08"),
        (56.25, "56.25"),  # exact in 4 figures: shown whole
        (6.1, "6.1"),  # no trailing zero (ISMP error-prone notations)
        (1.0, "1"),
        (0.5, "0.5"),  # leading zero kept
        (2490.2935, "2490"),  # the integer part is never rounded away
        (0.0123456, "0.0123"),
    ],
)
def test_display_rounding(value, shown):
    assert _figures(value) == shown


BOX_DRAWING = set("─│╭╮╰╯┏┓┗┛━┃")


def test_plain_output_off_a_terminal():
    result = run("bsa", "--height", "175cm", "--weight", "70kg", "--method", "all")
    assert "\x1b[" not in result.stdout and not BOX_DRAWING & set(result.stdout)
    assert all(line == line.rstrip() for line in result.stdout.splitlines())


def _on_a_terminal(*args, env):
    """Run the console script with stdout on a pseudo-terminal; return what it wrote."""
    primary, secondary = pty.openpty()
    with subprocess.Popen([console_script(), *args], stdout=secondary, stderr=subprocess.PIPE, env=env) as process:
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait()
    os.close(primary)
    return process.returncode, b"".join(chunks).decode()


@pytest.mark.parametrize("no_color", ["", "1"])
def test_no_color_on_a_terminal(no_color):
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm-256color", "NO_COLOR": no_color}
    env.pop("FORCE_COLOR", None)
    code, shown = _on_a_terminal("bsa", "--height", "175cm", "--weight", "70kg", "--method", "all", env=env)
    assert code == 0 and "1.84 m²" in shown
    styled = "\x1b[" in shown or bool(BOX_DRAWING & set(shown))
    assert styled is not bool(no_color)


# --- start-up: a lookup imports no dataframe library --------------------------------------

HEAVY = ("pyarrow", "pandas", "polars", "distributed")
# pint imports dask.base wherever dask is installed, and with some dask releases dask.array too
# (pint.compat); dosecalc never loads the rest for a lookup
HEAVY_MODULES = ("dosecalc.cohort", "dosecalc.dask", "dask.dataframe")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
IN_PROCESS = """
import json, sys
from dosecalc.cli import app
try:
    app({args!r}, prog_name="dosecalc")
except SystemExit as done:
    assert done.code in (0, None), done.code
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {heavy!r} or name in {modules!r})), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["bsa", "--height", "175cm", "--weight", "70kg"],
        ["bsa", "--height", "175cm", "--weight", "70kg", "--json"],
        ["dose", *IMGN901],
        ["regimen", "75mg/m2", "--days", "1,8,15", "--cycle", "28"],
        # the clinical safeguards (tests/test_cli_safeguards.py)
        ["crcl", "--age", "60", "--weight", "80kg", "--sex", "m", "--creatinine", "1.2mg/dL"],
        ["carboplatin", "--auc", "5", "--gfr", "90mL/min", "--json"],
        ["dose", "1000mg/m2", "--bsa", "1.3", "--bands", str(EXAMPLES / "bands.csv"), "--reduce", "10"],
        [
            "dose",
            "75mg/m2",
            "--height",
            "178cm",
            "--weight",
            "98kg",
            "--sex",
            "m",
            "--weight-basis",
            "ideal",
            "--bsa-cap",
            "2",
            "--max-dose",
            "200mg",
            "--vials",
            "100mg,50mg",
            "--tolerance",
            "10",
        ],
        ["regimen", "75mg/m2", "--days", "1,8,15", "--cycle", "28", "--bsa", "1.9", "--round-to", "5mg"],
    ],
)
def test_lookup_does_not_import_dataframe_libraries(args):
    code = IN_PROCESS.format(args=args, heavy=set(HEAVY), modules=set(HEAVY_MODULES))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


# --- the README's command-line examples print what they show --------------------------

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_examples():
    """Each ``$ dosecalc ...`` of the README's ```console blocks, with the output shown under it."""
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    examples = []
    for block in re.findall(r"^```console\n(.*?)^```", text, flags=re.M | re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, shown = chunk.partition("\n")
            examples.append((command, shown.rstrip("\n")))
    return examples


@pytest.mark.parametrize("command, shown", _readme_examples())
def test_readme_cli_examples_print_what_they_show(command, shown):
    program, *args = shlex.split(command)
    assert program == "dosecalc"
    assert run(*args).output.rstrip("\n") == shown


@pytest.mark.parametrize("target", ["ug/kg", "g/kg", "mg/cm2"])
def test_convert_refuses_a_target_it_would_answer_in_another_scale(target):
    # the answer is in mg/kg or mg/m²; a µg/kg target must not be answered in mg/kg
    result = run("convert", "75mg/m2", "--to", target)
    assert result.exit_code == 2
    assert "--to" in result.stderr and "mg/kg, mg/m2" in result.stderr
