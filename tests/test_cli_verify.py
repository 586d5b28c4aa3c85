"""
``dosecalc verify``: exit codes, the text and the --json output, a day's
orders file, and refusals.

Doses by hand: Mosteller BSA sqrt(H W / 3600) (doi:10.1056/NEJM198710223171717);
R-CHOP-21 as Coiffier et al. 2002 (doi:10.1056/NEJMoa011795).
"""

import csv
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dosecalc.cli.verify  # noqa: F401  (registers the command until the package imports it)
from dosecalc.cli import app
from dosecalc.cli.output import captured
from dosecalc.cli.verify import NEEDS_ATTENTION, verify_command
from dosecalc.errors import DoseCalcError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "orders.csv"
runner = CliRunner()
PATIENT = ["--height", "175cm", "--weight", "80kg"]


def run(*args):
    return runner.invoke(app, ["verify", *args])


def test_all_within_tolerance_exits_0():
    # doxorubicin 50 × 1.97203 = 98.60 mg (95 mg: −3.65 %); vincristine 2.76 mg capped at 2 mg
    result = run("r-chop-21", *PATIENT, "--ordered", "doxorubicin=95mg", "--ordered", "vincristine=2mg")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert "98.6 mg" in result.output and "−3.65 %" in result.output
    assert "doi:10.1200/JOP.2017.025411" in result.output and "doi:10.1200/JOP.2016.017905" in result.output


def test_outside_or_flagged_exits_4():
    # 160 cm, 60 kg: doxorubicin 81.65 mg, 95 mg is +16.4 %; vincristine 2.3 mg against the 2 mg cap
    result = run(
        "r-chop-21",
        "--height",
        "160cm",
        "--weight",
        "60kg",
        "--ordered",
        "doxorubicin=95mg",
        "--ordered",
        "vincristine=2.3mg",
    )
    assert result.exit_code == NEEDS_ATTENTION == 4
    assert "TOO HIGH" in result.output and "+16.4 %" in result.output and "before the cap" in result.output
    # within tolerance, but the weight changed by −15 % from the baseline
    flagged = run(
        "r-chop-21",
        "--height",
        "170cm",
        "--weight",
        "68kg",
        "--baseline-weight",
        "80kg",
        "--ordered",
        "vincristine=2mg",
    )
    assert flagged.exit_code == 4 and "weight change" in flagged.output and "-15.0 %" in flagged.output


def test_single_order_with_dose():
    # IMGN901 75 mg/m² for 175 cm, 70 kg: 75 × 1.84466 = 138.35 mg; 138 mg is −0.25 %
    result = run("--dose", "75mg/m2", "--height", "175cm", "--weight", "70kg", "--ordered", "138mg")
    assert result.exit_code == 0 and "138 mg" in result.output
    capped = run("--dose", "1.4mg/m2", "--bsa", "1.9", "--max-dose", "2mg", "--ordered", "2.66mg")
    assert capped.exit_code == 4 and "before the cap" in capped.output


def test_json_has_every_number_verdict_and_flag():
    result = run(
        "r-chop-21",
        "--height",
        "160cm",
        "--weight",
        "60kg",
        "--ordered",
        "doxorubicin=95mg",
        "--cycle",
        "1",
        "--day",
        "1",
        "--json",
    )
    assert result.exit_code == 4
    data = json.loads(result.output)
    assert data["command"] == "verify"
    assert data["inputs"]["height"] == {"given": "160cm", "value": 160.0, "unit": "cm"}
    verification = data["verification"]
    doxorubicin = verification["checks"][0]
    assert doxorubicin["verdict"] == "too_high"
    assert doxorubicin["computed"]["value"] == pytest.approx(50 * math.sqrt(160 * 60 / 3600))
    assert doxorubicin["difference_pct"] == pytest.approx(100 * (95 / (50 * math.sqrt(160 * 60 / 3600)) - 1))
    assert verification["tolerance"]["value"] == 5.0 and "Hematology/Oncology" in verification["tolerance"]["source"]
    assert verification["summary"]["not_ordered"] == 4


def test_web_capture_gets_the_json_object():
    with captured() as payloads:
        verify_command(
            protocol="r-chop-21", height="175 cm", weight="80 kg", ordered=["doxorubicin=98.6mg"], as_json=True
        )
    assert payloads[0]["verification"]["ok"] is True


def test_orders_file(tmp_path):
    output, rejects = tmp_path / "verified.csv", tmp_path / "rejects.csv"
    result = run("r-chop-21", "--orders", str(EXAMPLE), "-o", str(output), "--rejects", str(rejects), "--json")
    assert result.exit_code == 4
    summary = json.loads(result.output)["summary"]
    assert (summary["rows"], summary["verified"], summary["flagged"], summary["rejected"]) == (41, 23, 13, 5)
    with output.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 36 and rows[7]["verdict"] == "too_high" and rows[8]["flags"] == "cap_explains"
    with rejects.open(newline="") as file:
        rejected = list(csv.DictReader(file))
    assert [row["row"] for row in rejected] == ["17", "30", "31", "32", "33"] and "1.68 m" in rejected[0]["reason"]


def test_orders_file_all_verified_exits_0(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text("patient_id,drug,ordered_mg,height_cm,weight_kg\nA,doxorubicin,98.6,175,80\n", encoding="utf-8")
    result = run("r-chop-21", "--orders", str(orders), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.output
    assert "verified" in result.output


@pytest.mark.parametrize(
    "args, expected",
    [
        (["r-chop-21", *PATIENT], "--ordered"),
        ([*PATIENT, "--ordered", "doxorubicin=95mg"], "a protocol (NAME|FILE) or --dose"),
        (["r-chop-21", "--dose", "75mg/m2", *PATIENT, "--ordered", "95mg"], "one of them"),
        (["r-chop-21", *PATIENT, "--ordered", "95mg"], "drug=dose"),
        (["r-chop-21", *PATIENT, "--ordered", "doxorubicin=95"], "unit"),
        (["r-chop-21", *PATIENT, "--ordered", "doxorubicin=95 mg/m2/day"], "ordered doxorubicin"),
        (["r-chop-21", *PATIENT, "--ordered", "doxorubicin=95mg", "--tolerance", "12%"], "--tolerance"),
        (["r-chop-21", *PATIENT, "--ordered", "doxorubicin=95mg", "--tolerance", "12"], "--tolerance '12'"),
        (["r-chop-21", *PATIENT, "--ordered", "doxorubicin=95mg", "--day", "22"], "--day"),
        (["r-chop-21", *PATIENT, "--ordered", "doxorubicin=95mg", "--max-dose", "2mg"], "single order"),
        (["r-chop-21", "--height", "80kg", "--weight", "175cm", "--ordered", "doxorubicin=95mg"], "--height"),
        (["r-chop-21", *PATIENT, "--ordered", "doxorubicin=95mg", "--prior", "doxorubicin"], "--prior"),
        # the option as typed, --condition, never the library's field (conditions)
        (["r-chop-21", *PATIENT, "--ordered", "doxorubicin=95mg", "--condition", "mediastinal rt"], "--condition 'med"),
        (["r-chop-21", "--orders", str(EXAMPLE)], "--output"),
        (["r-chop-21", "--orders", str(EXAMPLE), "-o", "x.csv", *PATIENT], "--height"),
        (["r-chop-21", "--orders", str(EXAMPLE), "-o", str(EXAMPLE)], "is the input file"),
        (["r-chop-21", "--orders", "missing.csv", "-o", "x.csv"], "no such file"),
        (["no-such-protocol", *PATIENT, "--ordered", "doxorubicin=95mg"], "r-chop-21"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, expected):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert expected in result.output


def test_bad_input_raised_under_capture():
    with captured(), pytest.raises(DoseCalcError):
        verify_command(protocol="r-chop-21", height="175 cm", weight="80 kg", ordered=["doxorubicin=95"], as_json=True)


def test_orders_file_of_a_spreadsheet_export(tmp_path):
    # ';'-separated: refused with the hint, read with --delimiter ';'
    orders = tmp_path / "orders.csv"
    orders.write_text("patient_id;drug;ordered_mg;height_cm;weight_kg\nA;doxorubicin;98.6;175;80\n", encoding="utf-8")
    refused = run("r-chop-21", "--orders", str(orders), "-o", str(tmp_path / "out.csv"))
    assert refused.exit_code == 2 and "--delimiter ';'" in refused.output
    read = run("r-chop-21", "--orders", str(orders), "-o", str(tmp_path / "out.csv"), "--delimiter", ";")
    assert read.exit_code == 0, read.output
    # an output dosecalc cannot write is refused, nothing is written
    xlsx = run("r-chop-21", "--orders", str(orders), "-o", str(tmp_path / "out.xlsx"), "--delimiter", ";")
    assert xlsx.exit_code == 2 and ".xlsx" in xlsx.output and not (tmp_path / "out.xlsx").exists()


# --- orders per m² that a cap lowers; the --ordered texts -----------------------------------------

PATIENT_175_70 = ("--height", "175cm", "--weight", "70kg")


def test_vincristine_per_m2_above_its_maximum_is_not_ok():
    # 1.4 mg/m² × sqrt(175 × 70 / 3600) = 2.58 mg; R-CHOP's vincristine is capped at 2 mg (Coiffier 2002)
    result = run("r-chop-21", *PATIENT_175_70, "--ordered", "vincristine=1.4mg/m2", "--json")
    assert result.exit_code == 4, result.output
    check = json.loads(result.stdout)["verification"]["checks"][0]
    assert check["verdict"] == "not_comparable" and check["ok"] is False
    assert "the max dose makes this patient's dose 2 mg" in check["reason"]


def test_an_order_per_m2_without_the_patient_is_missing_input():
    result = run("r-chop-21", "--ordered", "doxorubicin=50mg/m2", "--json")
    assert result.exit_code == 4, result.output
    assert json.loads(result.stdout)["verification"]["checks"][0]["verdict"] == "missing_input"


def test_a_dose_alone_with_drug_is_that_drugs_order():
    # doxorubicin 50 mg/m² × 1.8447 m² = 92.23 mg; 92 mg is −0.25 %
    result = run("--dose", "50mg/m2", "--drug", "doxorubicin", *PATIENT_175_70, "--ordered", "92mg", "--json")
    assert result.exit_code == 0, result.output
    check = json.loads(result.stdout)["verification"]["checks"][0]
    assert check["drug"] == "doxorubicin" and check["verdict"] == "within_tolerance"


@pytest.mark.parametrize("text", ["doxorubicin=92mg,vincristine=2mg", "doxorubicin==92mg", "doxorubicin=92mg=92mg"])
def test_an_ordered_text_with_two_signs_is_a_usage_error(text):
    result = run("r-chop-21", *PATIENT_175_70, "--ordered", text)
    assert result.exit_code == 2 and result.stdout == ""
    assert (
        result.stderr
        == f"error: --ordered '{text}': expected drug=dose, such as doxorubicin=95mg (one per --ordered)\n"
    )


def test_a_drug_name_with_an_invisible_character_is_shown_escaped():
    result = run("r-chop-21", *PATIENT_175_70, "--ordered", "doxorubicin\n=92mg")
    assert result.exit_code == 4
    assert "doxorubicin\\x0a" in result.stdout and "doxorubicin\n " not in result.stdout


# --- the order's maximum; a cycle past the protocol's ------------------------------------------------------------


@pytest.mark.parametrize(
    "ordered, tolerance, difference",
    [
        # 1.4 mg/m² × 1.84466 m² = 2.58 mg, capped at 2 mg (Coiffier 2002): 2.09 mg is +4.5 %, 2.2 mg +10 %
        ("vincristine=2.09mg", [], 4.5),
        ("vincristine=2.2mg", ["--tolerance", "10%"], 10.0),
    ],
)
def test_vincristine_above_its_maximum_within_the_tolerance_exits_4(ordered, tolerance, difference):
    result = run("r-chop-21", *PATIENT_175_70, "--ordered", ordered, *tolerance, "--json")
    assert result.exit_code == 4, result.output
    check = json.loads(result.stdout)["verification"]["checks"][0]
    assert check["verdict"] == "too_high" and check["ok"] is False
    assert check["difference_pct"] == pytest.approx(difference)
    assert "above the maximum dose of 2 mg (Coiffier et al. 2002" in check["reason"]
    text = run("r-chop-21", *PATIENT_175_70, "--ordered", ordered, *tolerance).stdout
    row = next(line for line in text.splitlines() if line.startswith("vincristine"))
    # within the tolerance, yet too high: the text says why, as the JSON does
    assert "TOO HIGH" in row and "above the maximum dose of 2 mg (Coiffier et al. 2002" in row


def test_carboplatin_above_the_maximum_of_the_gfr_cap_exits_4():
    # Cockcroft-Gault (140 − 25) × 60 / (72 × 0.5) × 0.85 = 162.9 mL/min, capped at 125 (FDA 2010):
    # 5 × (125 + 25) = 750 mg; 787 mg is +4.93 %, within 5 % and above the 750 mg maximum
    patient = ("--height", "165cm", "--weight", "60kg", "--sex", "f", "--age", "25", "--creatinine", "0.5mg/dL")
    result = run("carboplatin-paclitaxel", *patient, "--ordered", "carboplatin=787mg", "--json")
    assert result.exit_code == 4, result.output
    check = json.loads(result.stdout)["verification"]["checks"][0]
    assert check["verdict"] == "too_high" and check["computed"] == {"value": 750.0, "unit": "mg"}
    assert "AUC 5 mg/mL·min × (125 + 25) mL/min = 750 mg (FDA, carboplatin dosing" in check["reason"]
    assert run("carboplatin-paclitaxel", *patient, "--ordered", "carboplatin=750mg").exit_code == 0


def test_a_cycle_past_the_protocols_exits_4_without_a_day(tmp_path):
    # doxorubicin 50 × 1.84466 = 92.23 mg: 92 mg is right, but R-CHOP-21 has 8 cycles, not 12
    result = run("r-chop-21", *PATIENT_175_70, "--ordered", "doxorubicin=92mg", "--cycle", "12")
    assert result.exit_code == 4, result.output
    assert "cycle 12 of a protocol of 8 cycles" in result.stdout
    assert run("r-chop-21", *PATIENT_175_70, "--ordered", "doxorubicin=92mg", "--cycle", "8").exit_code == 0
    # a day's orders with a cycle column and no day column: the same
    orders = tmp_path / "orders.csv"
    orders.write_text("patient_id,drug,ordered_mg,cycle,height_cm,weight_kg\nA,doxorubicin,92,12,175,70\n")
    assert run("r-chop-21", "--orders", str(orders), "-o", str(tmp_path / "out.csv")).exit_code == 4
    with (tmp_path / "out.csv").open(newline="") as file:
        assert [row["flags"] for row in csv.DictReader(file)] == ["not_scheduled"]


def test_the_text_shows_each_value_read_beside_its_text_and_how_each_dose_was_computed():
    result = run("r-chop-21", "--height", "5 ft 9 in", "--weight", "154 lb", "--ordered", "doxorubicin=92mg")
    lines = result.stdout.splitlines()
    # 5 ft 9 in = 175.26 cm, 154 lb = 69.85 kg (0.45359237 kg/lb); Mosteller sqrt(175.26 × 69.85 / 3600) = 1.844 m²
    assert ["height", "175", "cm", "from", "5", "ft", "9", "in"] in [line.split() for line in lines]
    assert ["weight", "69.9", "kg", "from", "154", "lb"] in [line.split() for line in lines]
    assert any(line.split() == "doxorubicin 50 mg/m² × BSA 1.844 m² (Mosteller)".split() for line in lines)


def test_the_text_of_a_carboplatin_order_shows_its_kidney_function_and_cap():
    # Cockcroft-Gault (140 − 25) × 60 / (72 × 0.5) × 0.85 = 162.9 mL/min, capped at 125 (FDA 2010): 750 mg
    patient = ("--height", "165cm", "--weight", "60kg", "--sex", "f", "--age", "25", "--creatinine", "0.5mg/dL")
    text = run("carboplatin-paclitaxel", *patient, "--ordered", "carboplatin=750mg").stdout
    assert "creatinine  0.5 mg/dL  from 0.5mg/dL" in text
    assert "GFR 162.9 mL/min (Cockcroft-Gault), policy fda, capped at 125 mL/min" in text


def test_a_bare_tolerance_is_in_percent_as_for_dose():
    # doxorubicin 50 mg/m² × 1.84466 m² = 92.23 mg; 100 mg is +8.42 %: within 10 %, beyond the default 5 %
    ordered = ("--ordered", "doxorubicin=100mg", "--json")
    bare, with_unit = (run("r-chop-21", *PATIENT_175_70, *ordered, "--tolerance", text) for text in ("10", "10%"))
    assert bare.exit_code == with_unit.exit_code == 0
    assert json.loads(bare.stdout)["verification"] == json.loads(with_unit.stdout)["verification"]
    assert run("r-chop-21", *PATIENT_175_70, *ordered).exit_code == 4


def test_an_ordered_dose_not_written_drug_dose_names_its_field_in_json():
    result = run("r-chop-21", *PATIENT_175_70, "--ordered", "doxorubicin:92mg", "--json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    # the value as typed, without the message's quotes
    assert (error["field"], error["value"]) == ("--ordered", "doxorubicin:92mg")
    assert error["expected"].startswith("drug=dose")


@pytest.mark.parametrize("option", [["--delimiter", ";"], ["--encoding", "cp1252"]])
def test_a_reading_option_an_orders_file_does_not_use_is_refused(tmp_path, option):
    import pyarrow as pa
    import pyarrow.parquet as pq

    orders = tmp_path / "orders.parquet"
    pq.write_table(
        pa.table({"patient_id": ["A"], "drug": ["doxorubicin"], "ordered_mg": [92.0], "height_cm": [175.0]}), orders
    )
    result = run("r-chop-21", "--orders", str(orders), "-o", str(tmp_path / "v.csv"), *option)
    assert result.exit_code == 2 and "applies to a CSV file" in result.output
    assert not (tmp_path / "v.csv").exists()


def test_a_single_orders_rounding_that_fails_names_round_to_as_dose_does():
    # 1.4 mg/m² × sqrt(180 × 80 / 3600) = 2.8 mg: the nearest 0.5 mg step, 3 mg, is +7.1 %, beyond 5 %
    options = ("--dose", "1.4mg/m2", "--height", "180cm", "--weight", "80kg", "--round-to", "0.5mg")
    verified = run(*options, "--ordered", "2.8mg")
    dosed = CliRunner().invoke(
        app, ["dose", "1.4mg/m2", "--height", "180cm", "--weight", "80kg", "--round-to", "0.5mg"]
    )
    assert verified.exit_code == dosed.exit_code == 2
    assert verified.stderr == dosed.stderr
    assert verified.stderr.startswith("error: --round-to 0.5mg: calculated dose 2.8 mg:")


def test_a_single_orders_text_shows_its_own_options_as_typed():
    result = run(
        "--dose",
        "1.4mg/m2",
        "--height",
        "190cm",
        "--weight",
        "110kg",
        "--max-dose",
        "5mg",
        "--round-to",
        "0.1mg",
        "--bsa-cap",
        "1.9",
        "--sex",
        "F",
        "--ordered",
        "2.7mg",
    )
    rows = [line.split() for line in result.stdout.splitlines()]
    for row in (
        ["sex", "female", "from", "F"],
        ["dose", "1.4", "mg/m²", "from", "1.4mg/m2"],
        ["max", "dose", "5", "mg", "from", "5mg"],
    ):
        assert row in rows
    assert ["round", "to", "0.1", "mg", "from", "0.1mg"] in rows and ["BSA", "cap", "1.9", "m²", "from", "1.9"] in rows


@pytest.mark.parametrize("threshold, flagged", [("10", True), ("10%", True), ("15 %", False), ("child", True)])
def test_a_bare_weight_change_threshold_is_in_percent_as_the_tolerance_is(threshold, flagged):
    # 70 kg against a baseline of 80 kg: −12.5 %, flagged at 10 % (and the child's 5 %), not at 15 %
    result = run(
        *PATIENT_175_70,
        "r-chop-21",
        "--baseline-weight",
        "80kg",
        "--ordered",
        "doxorubicin=92mg",
        "--weight-change",
        threshold,
    )
    assert result.exit_code == (4 if flagged else 0), result.output
    assert ("-12.5 % from the baseline" in result.output) is flagged
    refused = run(*PATIENT_175_70, "r-chop-21", "--ordered", "doxorubicin=92mg", "--weight-change", "60")
    assert refused.exit_code == 2 and "--weight-change '60': expected (0, 50] %" in refused.stderr
