"""
``dosecalc cohort`` with one order for every patient: a protocol (``--protocol``, every drug, in long
format), carboplatin to a target AUC (``--carboplatin-auc``) and a kidney-function column
(``--kidney-function``). End to end with CliRunner on small files whose doses are computed by hand beside
each assertion; every option that would not be used is refused (exit 2, one line naming it).

R-CHOP-21 as dosecalc/data/protocols/r-chop-21.toml gives it (Coiffier et al., N Engl J Med 2002;346:235,
doi:10.1056/NEJMoa011795): rituximab 375, cyclophosphamide 750, doxorubicin 50, vincristine 1.4 mg/m²
(at most 2 mg) on day 1, prednisone 40 mg/m² on days 1-5, every 21 days, eight cycles. BSA by Mosteller,
sqrt(H W / 3600) (N Engl J Med 1987;317:1098, doi:10.1056/NEJM198710223171717). Carboplatin by Calvert,
AUC × (GFR + 25) (J Clin Oncol 1989;7:1748, doi:10.1200/JCO.1989.7.11.1748), the GFR by Cockcroft-Gault,
(140 − age) × weight / (72 × creatinine), × 0.85 for women (Nephron 1976;16:31, doi:10.1159/000180580),
capped at 125 mL/min under the FDA policy.
"""

import json
import math
import re
import shlex

import pyarrow.csv as pacsv
import pytest
from test_cli import check_bad_input
from typer.testing import CliRunner

from dosecalc.cli import app

runner = CliRunner()

# BSA by Mosteller: 180 × 80 = 14400 -> 2.0 m²; 162 × 50 = 8100 -> 1.5 m²; 150 × 48 = 7200 -> sqrt(2) m²;
# the fourth row's height is in metres in a cm column: rejected, with the hint
PATIENTS = "patient_id,height_cm,weight_kg\nA,180,80\nB,162,50\nC,150,48\nD,1.75,70\n"
BSA = {"A": 2.0, "B": 1.5, "C": math.sqrt(2)}
RCHOP = {"rituximab": 375, "cyclophosphamide": 750, "doxorubicin": 50, "vincristine": 1.4, "prednisone": 40}

# Cockcroft-Gault by hand: E (60, m, 80 kg, 1.2 mg/dL): 80 × 80 / 86.4 = 74.07 mL/min;
# F (50, f, 60 kg, 0.8 mg/dL): 90 × 60 / 57.6 × 0.85 = 79.6875 mL/min;
# G (70, f, 55 kg, 0.5 mg/dL): 70 × 55 / 36 × 0.85 = 90.90 mL/min (64.93 at the 0.7 mg/dL floor);
# H (30, m, 100 kg, 0.6 mg/dL): 110 × 100 / 43.2 = 254.6 mL/min, above the 250 mL/min the range allows
KIDNEYS = (
    "patient_id,age_years,sex,creatinine_mg_dl,height_cm,weight_kg\n"
    "E,60,m,1.2,175,80\nF,50,f,0.8,165,60\nG,70,f,0.5,160,55\nH,30,m,0.6,185,100\n"
)
CRCL = {
    "E": 80 * 80 / (72 * 1.2),
    "F": 90 * 60 / (72 * 0.8) * 0.85,
    "G": 70 * 55 / (72 * 0.5) * 0.85,
    "H": 110 * 100 / (72 * 0.6),
}


def run(*args):
    return runner.invoke(app, [str(arg) for arg in args])


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def cohort(tmp_path, text: str, *options, exit_code=0):
    """Run ``cohort`` on ``text`` with --json; the summary and the dosed rows as dicts."""
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    source = write(tmp_path, "in.csv", text)
    result = run("cohort", source, "-o", out, "--rejects", rejects, *options, "--json")
    assert result.exit_code == exit_code, result.output
    summary = json.loads(result.stdout)["summary"]
    rows = pacsv.read_csv(out).to_pylist()
    rejected = pacsv.read_csv(rejects).to_pylist() if rejects.exists() else []
    return summary, rows, rejected


# --- a protocol for every patient ----------------------------------------------------------------------------


def test_protocol_doses_every_drug_for_every_patient(tmp_path):
    summary, rows, rejected = cohort(tmp_path, PATIENTS, "--protocol", "r-chop-21", "--cycles", "2", exit_code=3)
    # each cycle: four drugs on day 1 and prednisone on days 1-5, nine administrations; two cycles each
    assert len(rows) == 3 * 2 * 9
    for row in rows:
        expected = RCHOP[row["drug"]] * BSA[row["patient_id"]]
        if row["drug"] == "vincristine":
            expected = min(expected, 2.0)  # A: 2.8 mg and B: 2.1 mg capped at 2 mg; C: 1.4 × 1.414 = 1.98 mg
        assert row["dose"] == pytest.approx(expected, rel=1e-12), row
        assert row["dose_unit"] == "mg"
    assert {(row["patient_id"], row["cycle"]) for row in rows} == {(p, c) for p in "ABC" for c in (1, 2)}
    prednisone = [row["day"] for row in rows if row["patient_id"] == "A" and row["drug"] == "prednisone"]
    assert prednisone == [1, 2, 3, 4, 5] * 2
    # D is rejected once per drug, with the hint, and dosed for none: a plan with a drug missing is no plan
    assert {row["patient_id"] for row in rejected} == {"D"}
    assert "did you mean 1.75 m?" in rejected[0]["reason"]
    assert summary["rows_rejected"] == 1


def test_protocol_uses_its_own_number_of_cycles(tmp_path):
    _, rows, _ = cohort(tmp_path, PATIENTS.rsplit("D,", 1)[0], "--protocol", "r-chop-21")
    assert max(row["cycle"] for row in rows) == 8 and len(rows) == 3 * 8 * 9


def test_protocol_file_by_path(tmp_path):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "dosecalc" / "data" / "protocols" / "r-chop-21.toml"
    _, rows, _ = cohort(tmp_path, "height_cm,weight_kg\n180,80\n", "--protocol", path, "--cycles", "1")
    # 180 cm, 80 kg: BSA 2.0 m²; doxorubicin 50 × 2 = 100 mg
    assert [row["dose"] for row in rows if row["drug"] == "doxorubicin"] == [100.0]


# --- carboplatin to a target AUC -----------------------------------------------------------------------------


@pytest.mark.parametrize("auc", ["5", "5 mg/mL·min", "5mg/mL*min", "5 mg*min/mL"])
def test_carboplatin_auc_as_typed_or_pasted(tmp_path, auc):
    summary, rows, rejected = cohort(tmp_path, KIDNEYS, "--carboplatin-auc", auc, exit_code=3)
    doses = {row["patient_id"]: row["final_dose_mg"] for row in rows}
    # Calvert at the FDA cap of 125 mL/min: E 5 × (74.07 + 25) = 495.4 mg; F 5 × (79.6875 + 25) = 523.4 mg;
    # G 5 × (90.90 + 25) = 579.5 mg
    assert doses == pytest.approx({name: 5 * (CRCL[name] + 25) for name in "EFG"}, rel=1e-12)
    # H: 254.6 mL/min is outside 250 mL/min: refused, not capped silently
    assert [row["patient_id"] for row in rejected] == ["H"] and "250" in rejected[0]["reason"]
    assert summary["rows_read"] == 4 and summary["rows_written"] == 3 and summary["rows_rejected"] == 1


def test_carboplatin_outside_the_range_when_allowed(tmp_path):
    _, rows, _ = cohort(tmp_path, KIDNEYS, "--carboplatin-auc", "5", "--allow-outside-range")
    # H: 254.6 mL/min reported, then capped at 125 mL/min: 5 × (125 + 25) = 750 mg
    assert {row["patient_id"]: row["final_dose_mg"] for row in rows}["H"] == pytest.approx(750.0)


def test_carboplatin_floor_vials_and_max_dose(tmp_path):
    options = ["--carboplatin-auc", "5", "--creatinine-floor", "0.7mg/dL", "--max-dose", "550mg"]
    _, rows, _ = cohort(tmp_path, KIDNEYS.replace("H,30,m,0.6", "H,30,m,1.0"), *options)
    doses = {row["patient_id"]: row["final_dose_mg"] for row in rows}
    # G at the floor: 70 × 55 / (72 × 0.7) × 0.85 = 64.93 mL/min -> 5 × 89.93 = 449.7 mg (not 579.5 mg)
    assert doses["G"] == pytest.approx(5 * (70 * 55 / (72 * 0.7) * 0.85 + 25), rel=1e-12)
    # F 523.4 mg stays; H (creatinine 1.0): 110 × 100 / 72 = 152.8 mL/min capped at 125: 750 mg, then 550 mg
    assert doses["F"] == pytest.approx(5 * (CRCL["F"] + 25), rel=1e-12) and doses["H"] == 550.0
    _, rounded, _ = cohort(
        tmp_path, KIDNEYS.replace("H,30,m,0.6", "H,30,m,1.0"), "--carboplatin-auc", "5", "--vials", "150mg,50mg"
    )
    # to whole vials within 5 %: E 495.4 -> 500 mg, F 523.4 -> 500 mg (−4.5 %), G 579.5 -> 600 mg (+3.5 %), H 750 mg
    assert {row["patient_id"]: row["final_dose_mg"] for row in rounded} == {"E": 500, "F": 500, "G": 600, "H": 750}


def test_a_file_without_creatinine_cannot_dose_carboplatin(tmp_path):
    source = write(tmp_path, "in.csv", "height_cm,weight_kg\n175,70\n")
    result = run("cohort", source, "-o", tmp_path / "out.csv", "--carboplatin-auc", "5")
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: an age column is required for creatinine clearance by Cockcroft-Gault"), line
    assert not (tmp_path / "out.csv").exists()


# --- a kidney-function column ----------------------------------------------------------------------------------


def test_kidney_function_column_beside_a_dose(tmp_path):
    _, rows, _ = cohort(
        tmp_path, KIDNEYS, "--dose", "75mg/m2", "--kidney-function", "cockcroft-gault", "--allow-outside-range"
    )
    crcl = {row["patient_id"]: row["crcl_cockcroft_gault_ml_min"] for row in rows}
    assert crcl == pytest.approx(CRCL, rel=1e-12)
    # the dose as without the column: E 175 cm, 80 kg, sqrt(175 × 80 / 3600) m² × 75 mg/m²
    assert rows[0]["final_dose_mg"] == pytest.approx(75 * math.sqrt(175 * 80 / 3600), rel=1e-12)


# --- options the run would not use: refused, one line naming the option --------------------------------------


@pytest.mark.parametrize(
    "options, names, expected",
    [
        ("--protocol r-chop-21 --dose 75mg/m2", "--protocol r-chop-21 and --dose 75mg/m2", "only one of"),
        ("--protocol r-chop-21 --max-dose 2mg", "--max-dose", "the protocol carries each drug's dose"),
        ("--protocol r-chop-21 --round-to 5mg", "--round-to", "the protocol carries"),
        ("--protocol r-chop-21 --weight-basis ideal", "--weight-basis", "the protocol carries"),
        ("--protocol r-chop-21 --carboplatin-auc 5", "--protocol r-chop-21 and --carboplatin-auc 5", "only one of"),
        ("--protocol carboplatin-paclitaxel --policy addikd", "--policy", "the protocol carries"),
        ("--protocol r-chop-21 --kidney-function cockcroft-gault", "--kidney-function", "not to a schedule"),
        ("--protocol rchop", "--protocol 'rchop' is not known", "did you mean 'r-chop-21'?"),
        ("--protocol r-chop-21 --cycles 0", "--cycles 0", "1-100"),
        ("--protocol r-chop-21 --cycles 1000", "--cycles 1000", "1-100"),
        ("--protocol r-chop-21 --cycles -1", "", "--cycles"),
        ("--dose 75mg/m2 --cycles 6", "--cycles 6", "give --protocol"),
        ("--carboplatin-auc 5 --dose 75mg/m2", "--dose 75mg/m2 and --carboplatin-auc 5", "only one of"),
        ("--carboplatin-auc 50", "--carboplatin-auc 50", "1-10 mg/mL·min"),
        ("--carboplatin-auc 0.5", "--carboplatin-auc 0.5", "1-10 mg/mL·min"),
        ("--carboplatin-auc 5mg/m2", "--carboplatin-auc '5mg/m2'", "'mg/m2' gives a dose, not an AUC"),
        ("--carboplatin-auc '5 mg/mL/min'", "--carboplatin-auc '5 mg/mL/min'", "such as '5 mg/mL·min'"),
        ("--carboplatin-auc 'AUC 5'", "--carboplatin-auc 'AUC 5'", "the AUC as its number and unit, '5 mg/mL·min'"),
        ("--carboplatin-auc ５", "--carboplatin-auc '５'", "FULLWIDTH DIGIT FIVE"),
        ("--carboplatin-auc 5 --bsa-cap 2", "--bsa-cap", "not a step of a carboplatin AUC dose"),
        ("--carboplatin-auc 5 --reduce 20", "--reduce", "not a step of a carboplatin AUC dose"),
        ("--carboplatin-auc 5 --policy nice", "--policy 'nice' is not known", "fda, addikd"),
        ("--carboplatin-auc 5 --gfr-cap 100 --no-gfr-cap", "--gfr-cap 100 and --no-gfr-cap", "one of them"),
        ("--carboplatin-auc 5 --creatinine-floor 7mg/dL", "--creatinine-floor 7 mg/dL", "0.1-1.5 mg/dL"),
        ("--dose 75mg/m2 --policy fda", "--policy", "give --carboplatin-auc"),
        ("--dose 75mg/m2 --creatinine-floor 0.7mg/dL", "--creatinine-floor", "or --kidney-function"),
        ("--dose 75mg/m2 --kidney-function mdrd", "--kidney-function 'mdrd' is not known", "ckd-epi-2021"),
        ("--kidney-function ckd-epi-2021", "--kidney-function ckd-epi-2021", "--dose or --carboplatin-auc"),
    ],
    ids=lambda value: value if isinstance(value, str) and value.startswith("--") else "",
)
def test_options_that_do_not_apply_are_refused(tmp_path, options, names, expected):
    source = write(tmp_path, "in.csv", "height_cm,weight_kg\n175,70\n")
    command = f"cohort {shlex.quote(source)} -o {shlex.quote(str(tmp_path / 'out.csv'))} {options}"
    if names:
        check_bad_input(command, names, expected)
    else:  # a usage error of click's: exit 2, the option named
        result = run(*shlex.split(command))
        assert result.exit_code == 2 and expected in result.output
    assert not (tmp_path / "out.csv").exists()


# --- what a run says: patients and rows of a schedule ---------------------------------------------------------


def test_a_schedule_is_counted_by_patient_and_row(tmp_path):
    summary, _, rejected = cohort(tmp_path, PATIENTS, "--protocol", "r-chop-21", "--cycles", "2", exit_code=3)
    # 4 patients: 3 scheduled (3 × 2 cycles × 9 administrations = 54 rows), D rejected for each of 5 drugs
    assert (summary["rows_read"], summary["rows_written"], summary["rows_rejected"]) == (4, 3, 1)
    assert (summary["output_rows"], summary["rejects_rows"]) == (54, 5) and len(rejected) == 5
    assert summary["provenance"]["options"]["protocol"]["name"] == "R-CHOP-21"
    source = write(tmp_path, "in.csv", PATIENTS)
    result = run("cohort", source, "-o", tmp_path / "text.csv", "--protocol", "r-chop-21", "--cycles", "2")
    assert result.exit_code == 3, result.output
    lines = {line.split("  ")[0]: " ".join(line.split()) for line in result.stdout.splitlines() if line.strip()}
    assert lines["patients read"] == "patients read 4"
    assert lines["scheduled"] == f"scheduled 3 54 rows to {tmp_path / 'text.csv'}"
    assert lines["rejected"] == "rejected 1 add --rejects FILE for each row and why"


def test_every_patient_rejected(tmp_path):
    summary, rows, rejected = cohort(
        tmp_path, "height_cm,weight_kg\n1.7,70\n1.8,80\n", "--protocol", "abvd", exit_code=3
    )
    assert rows == [] and summary["rows_written"] == 0 and summary["rows_rejected"] == 2
    # each patient once per drug of ABVD: doxorubicin, bleomycin, vinblastine, dacarbazine
    assert len(rejected) == 2 * 4 and summary["output_rows"] == 0


# --- a protocol with carboplatin: each order reads its own columns ---------------------------------------------

# P and Q as E and F above with heights: paclitaxel 175 mg/m² × sqrt(175 × 80 / 3600) and × sqrt(165 × 60 / 3600);
# carboplatin AUC 5 at Cockcroft-Gault's 74.07 and 79.6875 mL/min (Perren et al., N Engl J Med 2011;365:2484,
# doi:10.1056/NEJMoa1103799, as dosecalc/data/protocols/carboplatin-paclitaxel.toml cites it). K is 12: Cockcroft-Gault
# refuses a child, so K is dosed for neither drug
CARBOPLATIN_PACLITAXEL = (
    "patient_id,age_years,sex,creatinine_mg_dl,height_cm,weight_kg\n"
    "P,60,m,1.2,175,80\nQ,50,f,0.8,165,60\nK,12,f,0.5,150,40\n"
)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_protocol_with_carboplatin(tmp_path, kind):
    import pyarrow.parquet as pq

    source = write(tmp_path, "in.csv", CARBOPLATIN_PACLITAXEL)
    if kind == "parquet":
        pq.write_table(pacsv.read_csv(source), tmp_path / "in.parquet")
        source = str(tmp_path / "in.parquet")
    out, rejects = tmp_path / f"out.{kind}", tmp_path / f"rejects.{kind}"
    options = ["--protocol", "carboplatin-paclitaxel", "--cycles", "1", "--rejects", rejects]
    result = run("cohort", source, "-o", out, *options)
    assert result.exit_code == 3, result.output
    assert "1 row (a patient's drugs)" in result.stdout
    read = pq.read_table if kind == "parquet" else pacsv.read_csv
    doses = {(row["patient_id"], row["drug"]): row["dose"] for row in read(out).to_pylist()}
    assert doses == pytest.approx(
        {
            ("P", "paclitaxel"): 175 * math.sqrt(175 * 80 / 3600),
            ("P", "carboplatin"): 5 * (CRCL["E"] + 25),
            ("Q", "paclitaxel"): 175 * math.sqrt(165 * 60 / 3600),
            ("Q", "carboplatin"): 5 * (CRCL["F"] + 25),
        },
        rel=1e-12,
    )
    (refused,) = read(rejects).to_pylist()
    assert (refused["patient_id"], refused["drug"]) == ("K", "carboplatin") and "schwartz-bedside" in refused["reason"]


@pytest.mark.parametrize(
    "options, field, hint",
    [
        (["--protocol", "rchop"], "--protocol", "did you mean 'r-chop-21'?"),
        (["--carboplatin-auc", "50"], "--carboplatin-auc", None),
        (["--protocol", "r-chop-21", "--cycles", "0"], "--cycles", None),
    ],
)
def test_a_refused_run_with_json_says_so_in_json(tmp_path, options, field, hint):
    source = write(tmp_path, "in.csv", "height_cm,weight_kg\n175,70\n")
    result = run("cohort", source, "-o", tmp_path / "out.csv", *options, "--json")
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)
    assert (error["command"], error["field"], error["hint"]) == ("cohort", field, hint)


def test_kidney_function_column_in_parquet(tmp_path):
    import pyarrow.parquet as pq

    source = write(tmp_path, "in.csv", KIDNEYS)
    out = tmp_path / "out.parquet"
    options = ["--dose", "75mg/m2", "--kidney-function", "cockcroft-gault", "--allow-outside-range"]
    result = run("cohort", source, "-o", out, *options)
    assert result.exit_code == 0, result.output
    dosed = pq.read_table(out)
    # an unnamed order (--dose) writes no drug column; the estimate's column as by hand above
    assert "drug" not in dosed.column_names
    crcl = dict(zip(dosed["patient_id"].to_pylist(), dosed["crcl_cockcroft_gault_ml_min"].to_pylist()))
    assert crcl == pytest.approx(CRCL, rel=1e-12)


def test_carboplatin_refuses_a_dose_column(tmp_path):
    # the AUC is the run's dose: a per-row dose column beside it is refused, never passed by
    source = write(tmp_path, "in.csv", "age_years,sex,creatinine_mg_dl,weight_kg,dose_mg_per_m2\n60,m,1.2,80,75\n")
    command = f"cohort {shlex.quote(source)} -o {shlex.quote(str(tmp_path / 'out.csv'))} --carboplatin-auc 5"
    check_bad_input(command, "a dose was given and the input has a dose column 'dose_mg_per_m2'", "give one")


def test_carboplatin_report(tmp_path):
    source = write(tmp_path, "in.csv", KIDNEYS)
    report = tmp_path / "report.html"
    options = ["--carboplatin-auc", "5", "--allow-outside-range", "--report", report]
    result = run("cohort", source, "-o", tmp_path / "out.csv", *options)
    assert result.exit_code == 0, result.output
    page = report.read_text(encoding="utf-8")
    # the dose to give drawn (no BSA: Cockcroft-Gault needs none), Calvert cited in the provenance
    assert "<h2>dose to give of the dosed rows</h2>" in page and "doi:10.1200/JCO.1989" in page


def test_a_protocol_runs_report_counts_patients_and_rows_as_its_summary_does(tmp_path):
    # carboplatin-paclitaxel: 6 cycles of 2 drugs, a row each: 12 rows for OV-01; X has no weight (both drugs)
    source = tmp_path / "in.csv"
    source.write_text(
        "patient_id,sex,age_years,height_cm,weight_kg,creatinine_mg_dl\nOV-01,F,62,165,68,0.9\nX,F,62,165,,0.9\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.html"
    result = run(
        "cohort",
        source,
        "-o",
        tmp_path / "s.csv",
        "--protocol",
        "carboplatin-paclitaxel",
        "--rejects",
        tmp_path / "r.csv",
        "--report",
        report,
    )
    assert result.exit_code == 3, result.output
    counts = re.findall(r"<tr><th>([^<]*)</th><td>([^<]*)</td></tr>", report.read_text(encoding="utf-8"))
    assert counts[:5] == [
        ("patients read", "2"),
        ("scheduled", "1"),
        ("rows written", "12"),
        ("patients rejected", "1"),
        ("rows rejected", "2"),
    ]


@pytest.mark.parametrize(
    "named", ["in.csv", "out.csv", "out.csv.json", "rejects.csv", "missing/report.html", "folder.html"]
)
def test_a_report_never_replaces_a_file_of_the_run_and_is_checked_before_it(tmp_path, named):
    # --report in.csv replaced the patients' file by the page (exit 0); a missing folder failed after the run
    source = write(tmp_path, "in.csv", KIDNEYS)
    (tmp_path / "folder.html").mkdir()
    result = run(
        "cohort",
        source,
        "-o",
        tmp_path / "out.csv",
        "--rejects",
        tmp_path / "rejects.csv",
        "--carboplatin-auc",
        "5",
        "--report",
        tmp_path / named,
    )
    assert result.exit_code == 2 and result.stderr.startswith(f"error: --report {tmp_path / named}: expected")
    assert (tmp_path / "in.csv").read_text(encoding="utf-8") == KIDNEYS
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "rejects.csv").exists()


def test_mapped_kidney_columns_take_their_units_from_options(tmp_path):
    # an export's own names: creatinine 88.4 µmol/L = 1.0 mg/dL (113.12 g/mol); Cockcroft-Gault (140 − 60) × 70 /
    # (72 × 1.0) × 0.85 = 66.11 mL/min; Calvert 5 × (66.11 + 25) = 455.56 mg
    source = write(tmp_path, "in.csv", "id,Sex,Age,Wt,SCr\nA,F,60,70,88.4\n")
    out = tmp_path / "out.csv"
    maps = ["--map", "creatinine=SCr", "--map", "age=Age", "--map", "weight=Wt", "--map", "sex=Sex"]
    units = ["--weight-unit", "kg", "--age-unit", "years", "--creatinine-unit", "umol/L"]
    result = run("cohort", source, "-o", out, "--carboplatin-auc", "5", *maps, *units)
    assert result.exit_code == 0, result.output
    row = pacsv.read_csv(out).to_pylist()[0]
    creatinine_mg_dl = 88.4 * 113.12 / 10_000  # µmol/L × g/mol → mg/dL: 0.99998
    assert row["final_dose_mg"] == pytest.approx(5 * ((140 - 60) * 70 / (72 * creatinine_mg_dl) * 0.85 + 25), rel=1e-12)
    # without its unit the column is refused, never guessed (mg/dL and µmol/L are 88.4 apart)
    result = run("cohort", source, "-o", out, "--carboplatin-auc", "5", *maps, *units[:4])
    assert result.exit_code == 2 and "SCr" in result.stderr
