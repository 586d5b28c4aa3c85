"""
``dosecalc verify --orders``: the files a day's orders run reads and writes,
and the files it refuses before anything is written.

R-CHOP-21 doses: Coiffier et al., N Engl J Med 2002, doi:10.1056/NEJMoa011795;
BSA by Mosteller, sqrt(H W / 3600), doi:10.1056/NEJM198710223171717.
"""

import errno
import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from numpy.testing import assert_allclose
from typer.testing import CliRunner

import dosecalc.cli.verify  # noqa: F401  (registers the command until the package imports it)
from dosecalc import __version__
from dosecalc.cli import app
from dosecalc.errors import DoseCalcError, MissingInputError
from dosecalc.protocol import load_protocol
from dosecalc.provenance import METADATA_KEY
from dosecalc.verify import verify
from dosecalc.verify_table import verify_table

RCHOP = load_protocol("r-chop-21")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "orders.csv"


def verify_cli(*args):
    return CliRunner().invoke(app, ["verify", *map(str, args)])


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_rejects_that_cannot_be_put_in_place_leave_no_output(tmp_path, monkeypatch):
    # the rejects file cannot be replaced (an immutable file, chattr +i): the run fails and writes neither file
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "rejects.csv").write_text("an earlier run's rejects\n")
    replace = os.replace

    def refusing(source, target):
        if Path(target).name == "rejects.csv":
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))
        replace(source, target)

    monkeypatch.setattr(os, "replace", refusing)
    line = one_line_error(
        verify_cli("r-chop-21", "--orders", EXAMPLE, "-o", folder / "verified.csv", "--rejects", folder / "rejects.csv")
    )
    assert (
        line
        == f"error: {folder / 'rejects.csv'}: cannot be written (Operation not permitted); nothing was written there"
    )
    assert sorted(path.name for path in folder.iterdir()) == ["rejects.csv"]
    assert (folder / "rejects.csv").read_text() == "an earlier run's rejects\n"


@pytest.mark.parametrize(
    "header, cells, named",
    [
        ("ordered_mg,ordered,ordered_unit", "92,50,mg", "ordered_mg and ordered"),
        ("ordered,ordered_unit,ordered_mg", "50,mg,92", "ordered_mg and ordered"),
        ("ordered,ordered_unit,Ordered (mg/m2)", "92,mg,50", "Ordered (mg/m2) and ordered"),
        ("ordered_mg,ordered", "92,92", "ordered_mg and ordered"),
    ],
)
def test_two_columns_of_the_ordered_dose_refuse_the_file(tmp_path, header, cells, named):
    # doxorubicin 50 mg/m² at sqrt(175 × 70 / 3600) = 1.845 m² is 92.2 mg: 92 in one column and 50 in the other
    # would be verified by whichever was read (50 mg too low, or a wrong 50 passed by a right 92); neither is
    orders = tmp_path / "orders.csv"
    orders.write_text(f"patient_id,drug,{header},height_cm,weight_kg\nP1,doxorubicin,{cells},175,70\n")
    with pytest.raises(DoseCalcError, match="both give the ordered dose; keep one") as raised:
        verify_table(RCHOP, pacsv.read_csv(orders))
    assert str(raised.value).startswith(named)
    line = one_line_error(
        verify_cli("r-chop-21", "--orders", orders, "-o", tmp_path / "v.csv", "--rejects", tmp_path / "r.csv")
    )
    assert named in line and "keep one" in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["orders.csv"]


def test_a_unit_column_of_another_spelling_is_no_second_dose():
    # "Ordered Unit" is not the ordered_unit column verification reads: asked for, not taken for a second dose
    table = pa.table({"drug": ["doxorubicin"], "ordered": [92.0], "Ordered Unit": ["mg"], "height_cm": [175]})
    with pytest.raises(MissingInputError, match="^ordered_unit is required for an 'ordered' column"):
        verify_table(RCHOP, table)


def test_an_ordered_dose_of_two_readings_is_rejected_as_in_a_cohort():
    # "92.000" is 92 with a decimal point and 92000 where the full stop separates thousands: never read as 92
    table = pa.table(
        {
            "patient_id": ["A", "B"],
            "drug": ["doxorubicin"] * 2,
            "ordered_mg": ["92.000", "92.2"],
            "height_cm": ["175"] * 2,
            "weight_kg": ["70"] * 2,
        }
    )
    result = verify_table(RCHOP, table)
    assert result.rejected["reason"].to_pylist() == [
        "ordered_mg=92.000: expected an amount of one reading; a full stop is the decimal point or a thousands "
        "separator: write 92.000 as 92 or as 92000"
    ]
    # doxorubicin 50 mg/m² × sqrt(175 × 70 / 3600) = 92.23 mg: 92.2 mg is within tolerance
    assert result.checked["patient_id"].to_pylist() == ["B"]


# --- carboplatin: the kidney columns reach the Calvert dose -----------------------------------------------------

CARBOPLATIN_PACLITAXEL = load_protocol("carboplatin-paclitaxel")
KIDNEY_ROWS = [
    # By hand: Cockcroft-Gault (Cockcroft & Gault 1976, Nephron 16:31, doi:10.1159/000180580),
    # (140 - 60) × 60 / (72 × 0.8) × 0.85 = 70.83 mL/min; Calvert (Calvert et al. 1989, J Clin Oncol 7:1748,
    # doi:10.1200/JCO.1989.7.11.1748) 5 × (70.83 + 25) = 479.2 mg: 479 mg is right
    {"drug": "carboplatin", "ordered_mg": 479.0, "age_years": 60, "sex": "F", "creatinine_mg_dl": 0.8},
    {"drug": "carboplatin", "ordered_mg": 600.0, "age_years": 60, "sex": "F", "creatinine_mg_dl": 0.8},
    {"drug": "carboplatin", "ordered_mg": 520.0, "age_years": 72, "sex": "M", "creatinine_mg_dl": 1.1},
    {"drug": "carboplatin", "ordered_mg": 700.0, "age_years": 45, "sex": "M", "creatinine_mg_dl": 0.5},
    {"drug": "paclitaxel", "ordered_mg": 290.0, "age_years": 60, "sex": "F", "creatinine_mg_dl": 0.8},
]


def _one_patient(row: dict, kidney: dict):
    return verify(
        CARBOPLATIN_PACLITAXEL,
        [(row["drug"], f"{row['ordered_mg']} mg")],
        height="165 cm",
        weight="60 kg",
        sex=row["sex"],
        **kidney,
    ).checks[0]


@pytest.mark.parametrize(
    "column, kidney",
    [
        ("creatinine_mg_dl", lambda row: {"age": row["age_years"], "creatinine": f"{row['creatinine_mg_dl']} mg/dL"}),
        ("gfr_ml_min", lambda row: {"gfr": f"{row['gfr_ml_min']} mL/min"}),
    ],
)
def test_a_carboplatin_order_in_a_file_is_the_one_patient_verdict_row_by_row(tmp_path, column, kidney):
    rows = [
        {"patient_id": f"P{number}", "height_cm": 165, "weight_kg": 60, **row}
        for number, row in enumerate(KIDNEY_ROWS, start=1)
    ]
    if column == "gfr_ml_min":  # a measured GFR instead: 70.83, 55, 90 and 150 mL/min (above the policy's cap)
        for row, gfr in zip(rows, (70.83, 70.83, 55.0, 150.0, 70.83)):
            del row["creatinine_mg_dl"], row["age_years"]
            row["gfr_ml_min"] = gfr
    result = verify_table(CARBOPLATIN_PACLITAXEL, pa.Table.from_pylist(rows))
    assert result.rejected.num_rows == 0
    checked = result.checked.to_pylist()
    for row, got in zip(rows, checked):
        check = _one_patient(row, kidney(row))
        assert got["verdict"] == check.verdict != "missing_input", (row, got["detail"])
        assert_allclose(got["computed_dose"], check.computed.m_as("mg"), rtol=1e-12)
        assert_allclose(got["difference_pct"], check.difference_pct, rtol=1e-9, atol=1e-9)
        assert got["ok"] == check.ok
    if column == "creatinine_mg_dl":
        assert_allclose(checked[0]["computed_dose"], 5 * ((140 - 60) * 60 / (72 * 0.8) * 0.85 + 25))
        assert [row["verdict"] for row in checked[:2]] == ["within_tolerance", "too_high"]
    # the file run gives the same verdicts, exit 4 for the orders too high
    orders = tmp_path / "orders.csv"
    pacsv.write_csv(pa.Table.from_pylist(rows), orders)
    written = tmp_path / "verified.csv"
    assert verify_cli("carboplatin-paclitaxel", "--orders", orders, "-o", written).exit_code == 4
    assert pacsv.read_csv(written)["verdict"].to_pylist() == [row["verdict"] for row in checked]


def test_a_carboplatin_order_above_the_maximum_of_the_gfr_cap_is_too_high_in_a_file_as_for_one_patient(tmp_path):
    # Cockcroft-Gault (by hand as above), 25 years, 60 kg, 0.5 mg/dL, female: (140 − 25) × 60 / (72 × 0.5) × 0.85 =
    # 162.9 mL/min, capped at 125 (FDA 2010): 5 × (125 + 25) = 750 mg. 787 mg is +4.93 %, within 5 % and above
    # the 750 mg maximum; 750 mg is right
    rows = [
        {"patient_id": f"P{number}", "drug": "carboplatin", "ordered_mg": ordered, "height_cm": 165, "weight_kg": 60}
        | {"age_years": 25, "sex": "F", "creatinine_mg_dl": 0.5}
        for number, ordered in enumerate((787.0, 750.0), start=1)
    ]
    orders, written = tmp_path / "orders.csv", tmp_path / "verified.csv"
    pacsv.write_csv(pa.Table.from_pylist(rows), orders)
    assert verify_cli("carboplatin-paclitaxel", "--orders", orders, "-o", written).exit_code == 4
    checked = pacsv.read_csv(written).to_pylist()
    assert [row["verdict"] for row in checked] == ["too_high", "within_tolerance"]
    assert [row["computed_dose"] for row in checked] == [750.0, 750.0]
    assert checked[0]["detail"] == (
        "above the maximum the GFR cap of 125 mL/min gives, AUC 5 mg/mL·min × (125 + 25) mL/min = 750 mg "
        "(FDA, carboplatin dosing: GFR capped at 125 mL/min (2010); NCCN Chemotherapy Order Templates, Appendix B: "
        "Carboplatin Dosing (2018))"
    )
    for row, got in zip(rows, checked):
        check = _one_patient(row, {"age": row["age_years"], "creatinine": f"{row['creatinine_mg_dl']} mg/dL"})
        assert (got["verdict"], got["ok"]) == (check.verdict, check.ok)


# --- files refused before anything is written ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, cells, refused",
    [
        ("drug,drug,ordered,ordered_unit", "doxorubicin,x,92,mg", "the input has 2 columns named 'drug'; rename all"),
        ("drug,ordered_mg,height_cm,height_cm", "doxorubicin,92,175,175", "2 columns named 'height_cm'"),
    ],
)
def test_a_column_name_twice_refuses_the_file(tmp_path, header, cells, refused):
    orders = tmp_path / "orders.csv"
    orders.write_text(f"patient_id,{header},weight_kg\nP1,{cells},70\n")
    line = one_line_error(
        verify_cli("r-chop-21", "--orders", orders, "-o", tmp_path / "v.csv", "--rejects", tmp_path / "r.csv")
    )
    assert refused in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["orders.csv"]


def test_an_order_a_cap_lowers_leaves_the_duplicates_and_the_doses_not_ordered_found():
    # vincristine 1.4 mg/m² at sqrt(175 × 70 / 3600) = 1.845 m² is 2.58 mg, above its 2 mg maximum (Coiffier 2002):
    # not comparable; P1's doxorubicin, ordered twice on day 1, is still a duplicate, and the three drugs due that
    # day and not ordered are still listed
    rows = [
        {"patient_id": "P1", "drug": drug, "ordered": dose, "ordered_unit": unit, "cycle": 1, "day": 1}
        | {"height_cm": 175, "weight_kg": 70}
        for drug, dose, unit in [("vincristine", 1.4, "mg/m2"), ("doxorubicin", 92, "mg"), ("doxorubicin", 92, "mg")]
    ]
    result = verify_table(RCHOP, pa.Table.from_pylist(rows))
    checked = result.checked.to_pylist()
    assert [(row["verdict"], row["flags"], row["ok"]) for row in checked] == [
        ("not_comparable", "", False),
        ("within_tolerance", "duplicate_order", False),
        ("within_tolerance", "duplicate_order", False),
    ]
    assert sorted(result.not_ordered["drug"].to_pylist()) == ["cyclophosphamide", "prednisone", "rituximab"]


@pytest.mark.parametrize(
    "protocol, columns, cells, refused",
    [
        ("r-chop-21", "height_cm,height_in,weight_kg", "175,80,70", "several height columns: height_cm, height_in"),
        (
            "r-chop-21",
            "height_cm,weight_kg,Weight (lb)",
            "175,70,154",
            "several weight columns: weight_kg, Weight (lb)",
        ),
        ("r-chop-21", "height_cm,weight_kg,sex,Sex", "175,70,F,F", "several sex columns: sex, Sex"),
        # a bare Height (200) beside height_cm (160): verified by 160 before, unseen
        ("r-chop-21", "height_cm,Height,weight_kg", "160,200,60", "several height columns: height_cm, Height"),
        (
            "carboplatin-paclitaxel",
            "height_cm,weight_kg,age_years,sex,creatinine_mg_dl,creatinine_umol_l",
            "165,60,60,F,0.8,70.7",
            "several creatinine columns: creatinine_mg_dl, creatinine_umol_l",
        ),
        (
            "carboplatin-paclitaxel",
            "height_cm,weight_kg,gfr_ml_min,gfr_ml_min_1_73m2",
            "165,60,70,73",
            "several gfr columns: gfr_ml_min, gfr_ml_min_1_73m2",
        ),
    ],
)
def test_two_columns_of_one_input_refuse_the_file_before_anything_is_written(
    tmp_path, protocol, columns, cells, refused
):
    orders = tmp_path / "orders.csv"
    drug = "doxorubicin" if protocol == "r-chop-21" else "carboplatin"
    orders.write_text(f"patient_id,drug,ordered,ordered_unit,{columns}\nA,{drug},92,mg,{cells}\n")
    line = one_line_error(
        verify_cli(protocol, "--orders", orders, "-o", tmp_path / "v.csv", "--rejects", tmp_path / "r.csv")
    )
    assert line == f"error: {refused}; keep one"  # no column_map: an option of Python, not of this command
    assert sorted(path.name for path in tmp_path.iterdir()) == ["orders.csv"]


def test_a_column_that_only_begins_like_an_input_is_no_second_one():
    # age_years is the age; age_group holds no age in a unit: it passes through
    table = pa.table(
        {
            "drug": ["paclitaxel"],
            "ordered_mg": [290.0],
            "height_cm": [165],
            "weight_kg": [60],
            "height_source": ["tape"],
        }
        | {"age_years": [60], "age_group": ["60-69"], "weight_change_note": ["none"]}
    )
    result = verify_table(CARBOPLATIN_PACLITAXEL, table)
    assert result.checked["verdict"].to_pylist() == ["within_tolerance"]


@pytest.mark.parametrize("column", ["ordered", "height_cm", "cycle", "day", "baseline_weight_kg", "prior_mg_m2"])
def test_a_column_of_bool_is_refused_by_its_name(tmp_path, column):
    # cells true and false are no doses, heights or days: the file is refused naming the column, as a cohort run does
    values = {
        "patient_id": ["A", "B"],
        "drug": ["doxorubicin", "doxorubicin"],
        "ordered": [92.0, 92.0],
        "ordered_unit": ["mg", "mg"],
        "height_cm": [175.0, 175.0],
        "weight_kg": [70.0, 70.0],
        "cycle": [1, 1],
        "day": [1, 1],
        "baseline_weight_kg": [70.0, 70.0],
        "prior_mg_m2": [0.0, 0.0],
    }
    values[column] = [True, False]
    orders = tmp_path / "orders.parquet"
    pq.write_table(pa.table(values), orders)
    result = verify_cli("r-chop-21", "--orders", orders, "-o", tmp_path / "v.csv", "--json")
    assert result.exit_code == 2, result.output
    message = json.loads(result.stdout)["message"]
    assert message.endswith(f"{column}: column holds bool, not numbers")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["orders.parquet"]


def test_a_file_of_decimal_commas_is_read_with_decimal_comma(tmp_path):
    # doxorubicin 50 mg/m² × sqrt(175.5 × 70.5 / 3600) = 50 × 1.8539 = 92.69 mg: "92,7" is 92.7 mg, within 5 %
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "patient_id;drug;ordered;ordered_unit;height_cm;weight_kg;baseline_weight_kg;prior_mg_m2;cycle;day\n"
        "B;doxorubicin;92,7;mg;175,5;70,5;70,5;100,5;1;1\n"
        "C;doxorubicin;92.7;mg;175,5;70,5;70,5;;1;1\n"
    )
    files = ("--orders", orders, "-o", tmp_path / "v.csv", "--rejects", tmp_path / "r.csv", "--delimiter", ";")
    refused = verify_cli("r-chop-21", *files)  # the reason advises the option verify has
    assert refused.exit_code == 4 and "--decimal-comma" in pacsv.read_csv(tmp_path / "r.csv")["reason"][0].as_py()
    read = verify_cli("r-chop-21", *files, "--decimal-comma")
    assert read.exit_code == 4, read.output  # C's "92.7" in a file of decimal commas is refused, never read
    verified = pacsv.read_csv(tmp_path / "v.csv").to_pylist()
    assert [row["patient_id"] for row in verified] == ["B"] and verified[0]["verdict"] == "within_tolerance"
    assert_allclose(verified[0]["computed_dose"], 50 * math.sqrt(175.5 * 70.5 / 3600))
    assert_allclose(verified[0]["ordered_dose"], 92.7)
    reason = pacsv.read_csv(tmp_path / "r.csv")["reason"].to_pylist()
    assert reason == ["ordered='92.7': expected a number with a decimal comma, such as 92,5"]
    # "2,000 mg" of vincristine: 2 mg with a decimal comma, 2000 mg in an English export: refused, never read as 2
    orders.write_text(
        "patient_id;drug;ordered;ordered_unit;height_cm;weight_kg;cycle;day\nD;vincristine;2,000;mg;175,5;70,5;1;1\n"
    )
    assert verify_cli("r-chop-21", *files, "--decimal-comma").exit_code == 4
    assert not pacsv.read_csv(tmp_path / "v.csv").num_rows
    assert pacsv.read_csv(tmp_path / "r.csv")["reason"].to_pylist() == [
        "ordered=2,000: expected an amount of one reading; a comma is the decimal comma or a thousands separator: "
        "write 2,000 as 2 or as 2000"
    ]


def test_decimal_comma_is_for_an_orders_file():
    line = one_line_error(
        verify_cli(
            "r-chop-21", "--height", "175cm", "--weight", "70kg", "--ordered", "doxorubicin=92mg", "--decimal-comma"
        )
    )
    assert "--decimal-comma are for a day's orders: give --orders" in line


# --- provenance ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["csv", "parquet"])
def test_the_verified_orders_carry_their_provenance(tmp_path, ending):
    output, rejects = tmp_path / f"verified.{ending}", tmp_path / "rejects.csv"
    result = verify_cli("r-chop-21", "--orders", EXAMPLE, "-o", output, "--rejects", rejects, "--tolerance", "7%")
    assert result.exit_code == 4, result.output
    if ending == "parquet":
        record = json.loads(pq.read_metadata(output).metadata[METADATA_KEY.encode()])
        assert not (tmp_path / "verified.parquet.json").exists()
    else:
        record = json.loads((tmp_path / "verified.csv.json").read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "rejects.csv.json").read_text(encoding="utf-8")) == record
    assert record["dosecalc_version"] == __version__ and record["command"] == "dosecalc verify"
    assert record["inputs"] == [{"path": str(EXAMPLE), "sha256": hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()}]
    # the example's accounting (tests/test_cli_verify.py): 41 rows, 23 verified, 13 flagged, 5 rejected
    counts = ("rows_read", "rows_written", "rows_rejected", "rows_verified", "rows_flagged", "not_ordered")
    assert [record[name] for name in counts] == [41, 36, 5, 23, 13, 2]
    assert sum(record["rejects_by_reason"].values()) == 5
    options = record["options"]
    assert (options["tolerance"]["value"], options["weight_change"]["value"]) == (7.0, 10.0)
    assert options["tolerance"]["source"].startswith("given (7 %)")
    assert options["protocol"]["name"] == "R-CHOP-21" and len(options["protocol"]["sha256"]) == 64
    assert (options["method"], options["output"], options["rejects"]) == ("mosteller", str(output), str(rejects))
    assert [formula["name"] for formula in record["formulas"]] == ["mosteller"]


def test_a_carboplatin_order_as_its_auc_is_the_one_patient_verdict(tmp_path):
    # AUC 5 for Cockcroft-Gault 70.83 mL/min (by hand above): within tolerance; AUC 6 is +20 %; a measured GFR of
    # 150 mL/min is capped (5 × (125 + 25) = 750 mg, the policy's cap), which an order as an AUC does not say
    rows = [
        {"drug": "carboplatin", "ordered": 5.0, "ordered_unit": "mg/mL*min", "creatinine_mg_dl": 0.8},
        {"drug": "carboplatin", "ordered": 6.0, "ordered_unit": "mg/mL·min", "creatinine_mg_dl": 0.8},
        {"drug": "carboplatin", "ordered": 5.0, "ordered_unit": "mg/mL*min", "gfr_ml_min": 150.0},
    ]
    for row in rows:
        row |= {"height_cm": 165, "weight_kg": 60, "sex": "F"} | (
            {"age_years": 60} if "creatinine_mg_dl" in row else {}
        )
    checked = []
    for row in rows:  # a GFR and a creatinine in one file are refused: a file of each
        got = verify_table(CARBOPLATIN_PACLITAXEL, pa.Table.from_pylist([row])).checked.to_pylist()[0]
        kidney = {"gfr": "150 mL/min"} if "gfr_ml_min" in row else {"age": 60, "creatinine": "0.8 mg/dL"}
        check = verify(
            CARBOPLATIN_PACLITAXEL,
            [("carboplatin", f"{row['ordered']} {row['ordered_unit']}")],
            height="165 cm",
            weight="60 kg",
            sex="F",
            **kidney,
        ).checks[0]
        assert (got["verdict"], got["ok"]) == (check.verdict, check.ok)
        assert got["dose_unit"] == "mg·min/mL"
        checked.append(got)
    assert [row["verdict"] for row in checked] == ["within_tolerance", "too_high", "not_comparable"]
    assert_allclose(checked[1]["difference_pct"], 20.0)
    assert "GFR cap makes this patient's dose 750 mg" in checked[2]["detail"]


@pytest.mark.parametrize(
    "drug, ordered, reason",
    [
        ("paclitaxel", 5.0, "paclitaxel (IV over 3 hours): ordered as an AUC (mg·min/mL), which gives no dose"),
        ("carboplatin", 12.0, "ordered=12.0: expected 1-10 mg/mL·min"),
    ],
)
def test_an_auc_that_doses_nothing_is_rejected(drug, ordered, reason):
    # one patient's verification refuses these (exit 2): the row is rejected, never verified
    row = {"drug": drug, "ordered": ordered, "ordered_unit": "mg/mL*min", "height_cm": 165, "weight_kg": 60}
    row |= {"age_years": 60, "sex": "F", "creatinine_mg_dl": 0.8}
    result = verify_table(CARBOPLATIN_PACLITAXEL, pa.Table.from_pylist([row]))
    assert result.checked.num_rows == 0 and result.rejected["reason"].to_pylist()[0].startswith(reason)
    with pytest.raises(DoseCalcError):
        verify(
            CARBOPLATIN_PACLITAXEL,
            [(drug, f"{ordered} mg/mL*min")],
            height="165 cm",
            weight="60 kg",
            age=60,
            sex="F",
            creatinine="0.8 mg/dL",
        )


def test_verified_orders_on_stdout_leave_it_to_them(tmp_path):
    # -o -: the CSV alone on stdout, the summary on stderr (as dosecalc cohort's)
    for options in ((), ("--json",)):
        result = verify_cli("r-chop-21", "--orders", EXAMPLE, "-o", "-", *options)
        assert result.exit_code == 4, result.output
        rows = pacsv.read_csv(pa.py_buffer(result.stdout.encode())).to_pylist()
        assert len(rows) == 36 and rows[0]["verdict"] == "within_tolerance"  # the example's 36 checked orders
        summary = json.loads(result.stderr)["summary"] if options else result.stderr
        assert (summary["rows"] == 41) if options else ("written" in summary and "stdout" in summary)
    # --rejects -: the example's five rejects alone on stdout
    result = verify_cli("r-chop-21", "--orders", EXAMPLE, "-o", tmp_path / "v.csv", "--rejects", "-")
    assert result.exit_code == 4, result.output
    rejected = pacsv.read_csv(pa.py_buffer(result.stdout.encode()))
    assert rejected["row"].to_pylist() == [17, 30, 31, 32, 33] and "rejects" in result.stderr


def test_orders_from_stdin(tmp_path):
    # --orders -: the example read from stdin gives the example's counts; its provenance names "-" and its SHA-256
    output = tmp_path / "verified.csv"
    result = CliRunner().invoke(
        app, ["verify", "r-chop-21", "--orders", "-", "-o", str(output), "--json"], input=EXAMPLE.read_bytes()
    )
    assert result.exit_code == 4, result.output
    summary = json.loads(result.stdout)["summary"]
    assert (summary["rows"], summary["verified"], summary["flagged"], summary["rejected"]) == (41, 23, 13, 5)
    record = json.loads((tmp_path / "verified.csv.json").read_text(encoding="utf-8"))
    assert record["inputs"] == [{"path": "-", "sha256": hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()}]
    refused = CliRunner().invoke(app, ["verify", "r-chop-21", "--orders", "-", "-o", str(output)], input="a;b\n1;2\n")
    assert "orders=-: its header is one column, 'a;b'" in one_line_error(refused)


def test_an_orders_file_of_no_order_is_refused(tmp_path):
    # a header alone (a truncated export) verifies nothing: never "every order within tolerance", exit 0
    orders = tmp_path / "orders.csv"
    orders.write_text("patient_id,drug,ordered_mg,height_cm,weight_kg\n")
    line = one_line_error(verify_cli("r-chop-21", "--orders", orders, "-o", tmp_path / "v.csv"))
    assert line == f"error: orders={orders}: holds no order (its header alone); nothing to verify"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["orders.csv"]


def test_the_json_summary_carries_the_provenance_also_for_stdout(tmp_path):
    output = tmp_path / "verified.csv"
    to_file = verify_cli("r-chop-21", "--orders", EXAMPLE, "-o", output, "--json")
    record = json.loads((tmp_path / "verified.csv.json").read_text(encoding="utf-8"))
    assert json.loads(to_file.stdout)["summary"]["provenance"] == record
    to_stdout = verify_cli("r-chop-21", "--orders", EXAMPLE, "-o", "-", "--json")  # no sidecar beside stdout
    provenance = json.loads(to_stdout.stderr)["summary"]["provenance"]
    assert provenance["inputs"] == record["inputs"] and provenance["options"]["output"] == "-"
    assert (provenance["rows_read"], provenance["rows_written"]) == (41, 36)


def test_a_patient_id_is_shown_escaped_in_the_summary(tmp_path):
    # a newline in an id would break the summary's lines; a file without a cycle column says no "cycle None"
    orders = tmp_path / "orders.csv"
    orders.write_text('patient_id,drug,ordered_mg,height_cm,weight_kg,day\n"A\nB",doxorubicin,92,175,70,1\n')
    result = verify_cli("r-chop-21", "--orders", orders, "-o", tmp_path / "v.csv")
    assert result.exit_code == 4, result.output
    shown = [line for line in result.stdout.splitlines() if line.startswith("not ordered") and ":" in line]
    assert len(shown) == 4 and all(line.endswith("(day 1)") and "A\\x0aB: " in line for line in shown)


# --- one patient's rows that disagree on the patient ----------------------------------------------------------------


def _visit(patient, drug, dose, height=175.0, weight=70.0, sex="F", day=1):
    return {"patient_id": patient, "drug": drug, "ordered_mg": dose, "height_cm": height, "weight_kg": weight} | {
        "sex": sex,
        "day": day,
    }


@pytest.mark.parametrize("sort", [False, True])
def test_a_patients_rows_that_disagree_on_the_patient_are_rejected(sort):
    # P1's vincristine row says 165 cm: at 175 cm doxorubicin 50 × 1.845 = 92.2 mg, at 165 cm 89.6 mg; both rows
    # would pass on their own numbers, but one of them is not the patient: every row of P1's day is rejected
    rows = [
        _visit("P1", "doxorubicin", 92.0),
        _visit("P2", "doxorubicin", 92.0),
        _visit("P1", "vincristine", 2.0, height=165.0),
        _visit("P1", "rituximab", 692.0, sex=None),  # a missing sex is no second sex
        _visit("P2", "vincristine", 2.0, sex="f"),  # F and f are one sex
        _visit("P3", "doxorubicin", 92.0, day=1),
        _visit("P3", "doxorubicin", 90.0, weight=68.0, day=8),  # another day, another weight: no disagreement
        _visit("P4", "doxorubicin", 92.0),
        _visit("P4", "vincristine", 2.0, sex="M"),
    ]
    if sort:  # sorted by patient, as exports are: each patient's rows one run
        rows = sorted(rows, key=lambda row: row["patient_id"])
    result = verify_table(RCHOP, pa.Table.from_pylist(rows))
    rejected = {(row["patient_id"], row["drug"]): row["reason"] for row in result.rejected.to_pylist()}
    assert sorted(rejected) == [
        ("P1", "doxorubicin"),
        ("P1", "rituximab"),
        ("P1", "vincristine"),
        ("P4", "doxorubicin"),
        ("P4", "vincristine"),
    ]
    assert rejected["P1", "rituximab"] == (
        "patient_id='P1': the patient's rows on one day give height_cm '175.0', '165.0'; "
        "which is the patient's? correct the file"
    )
    assert rejected["P4", "vincristine"].startswith("patient_id='P4': the patient's rows on one day give sex 'F', 'M'")
    assert sorted(result.checked["patient_id"].to_pylist()) == ["P2", "P2", "P3", "P3"]


def test_a_days_export_of_one_visit_a_patient_is_checked_along_its_rows():
    # 5 patients × 5 drugs, sorted: each patient's rows agree but for the last patient's weight
    rows = [_visit(f"P{p}", drug, 1.0) for p in range(5) for drug in ORDERED_ON_DAY_1]
    rows[-1]["weight_kg"] = 71.0
    result = verify_table(RCHOP, pa.Table.from_pylist(rows))
    assert result.rejected["patient_id"].to_pylist() == ["P4"] * 5
    assert "give weight_kg '70.0', '71.0'" in result.rejected["reason"][0].as_py()


ORDERED_ON_DAY_1 = ["rituximab", "cyclophosphamide", "doxorubicin", "vincristine", "prednisone"]


def test_the_kidney_inputs_are_the_engines():
    from dosecalc.renal_table import KIDNEY_INPUTS
    from dosecalc.verify_table import _KIDNEY

    assert _KIDNEY == KIDNEY_INPUTS


def test_one_patients_verification_loads_no_file_reader():
    # the verify command reads a file with --orders only: one patient's check imports neither
    code = (
        "import sys; from typer.testing import CliRunner; from dosecalc.cli import app; "
        "r = CliRunner().invoke(app, ['verify', 'r-chop-21', '--height', '175cm', '--weight', '70kg', "
        "'--ordered', 'doxorubicin=92mg']); "
        "print(r.exit_code, 'dosecalc.verify_table' in sys.modules, 'dosecalc.cohort_io' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "False", "False"]


def test_a_missing_height_column_says_what_to_name_it_and_offers_no_mapping():
    # an orders file has no column mapping: "or map one" (Python's column_map) would send the user nowhere
    table = pa.table(
        {"patient_id": ["A"], "drug": ["doxorubicin"], "ordered_mg": [92.0], "Ht": [175.0], "weight_kg": [70.0]}
    )
    flagged = verify_table(load_protocol("r-chop-21"), table).flagged
    assert flagged["verdict"].to_pylist() == ["missing_input"]
    assert flagged["detail"].to_pylist() == [
        "a height column is required for BSA by Mosteller: name it height_cm, height_m or height_in"
    ]


def test_columns_named_like_inputs_in_no_unit_pass_through():
    # age_group (text) and creatinine_date (a date) are no kidney inputs: they pass through, never refuse the file
    import datetime

    table = pa.table(
        {
            "patient_id": ["A"],
            "drug": ["doxorubicin"],
            "ordered_mg": [92.0],
            "height_cm": [175.0],
            "weight_kg": [70.0],
            "age_group": [True],
            "creatinine_date": [datetime.date(2026, 12, 1)],
        }
    )
    result = verify_table(load_protocol("r-chop-21"), table)
    # doxorubicin 50 mg/m² × sqrt(175 × 70 / 3600) = 92.23 mg (Mosteller, N Engl J Med 1987;317:1098)
    assert result.verified["verdict"].to_pylist() == ["within_tolerance"]
    assert result.verified["creatinine_date"].to_pylist() == [datetime.date(2026, 12, 1)]


def test_one_sex_spelled_two_ways_in_a_visit_is_one_sex():
    # "F" and "female" on one patient's rows of one day say the same: no disagreement
    table = pa.table(
        {
            "patient_id": ["A", "A"],
            "drug": ["doxorubicin", "vincristine"],
            "ordered_mg": [92.0, 2.0],
            "sex": ["F", "female"],
            "height_cm": [175.0, 175.0],
            "weight_kg": [70.0, 70.0],
        }
    )
    result = verify_table(load_protocol("r-chop-21"), table)
    assert result.rejected.num_rows == 0
    assert sorted(result.verified["drug"].to_pylist()) == ["doxorubicin", "vincristine"]


def test_visits_far_apart_in_cycle_and_day_are_told_apart():
    # cycles up to 9 digits are accepted: a visit is the patient, the cycle and the day, each compared as it is
    cycles = [1, 999_999_999, 1, 999_999_999]
    table = pa.table(
        {
            "patient_id": ["A", "A", "B", "B"],
            "drug": ["doxorubicin"] * 4,
            "ordered_mg": [92.0, 92.0, 92.0, 92.0],
            "cycle": cycles,
            "day": [1, 1, 1, 1],
            "height_cm": [175.0, 170.0, 175.0, 175.0],  # A's two visits differ: two visits, not one disagreeing
            "weight_kg": [70.0, 70.0, 70.0, 70.0],
        }
    )
    result = verify_table(load_protocol("r-chop-21"), table)
    assert result.rejected.num_rows == 0
    # beyond 9 digits, as on the command line, a cycle is a slip
    beyond = verify_table(load_protocol("r-chop-21"), table.set_column(3, "cycle", pa.array([1, 2**52, 1, 1])))
    assert beyond.rejected["reason"].to_pylist() == [f"cycle={2**52}: expected a whole number, 1-999,999,999"]
    # beyond 9 digits, as on the command line, a cycle is a slip
    beyond = verify_table(load_protocol("r-chop-21"), table.set_column(3, "cycle", pa.array([1, 2**52, 1, 1])))
    assert beyond.rejected["reason"].to_pylist() == [f"cycle={2**52}: expected a whole number, 1-999,999,999"]


_TERMINATED = """
import os, signal, sys
import dosecalc.cohort_io as cohort_io
from dosecalc.cli import app

real = cohort_io.PolarsCsvWriter.write

def write(self, table):  # the first table written, then: kill
    os.kill(os.getpid(), signal.SIGTERM)
    return real(self, table)

cohort_io.PolarsCsvWriter.write = write
app(["verify", "r-chop-21", "--orders", "orders.csv", "-o", "v.csv", "--rejects", "r.csv"], prog_name="dosecalc")
"""


def test_a_terminated_verification_leaves_nothing(tmp_path):
    # SIGTERM (kill, a batch system's time limit) ends verify --orders as Ctrl-C does: no output, no temporary file
    import signal
    import subprocess
    import sys

    (tmp_path / "orders.csv").write_text(
        "patient_id,drug,ordered,ordered_unit,height_cm,weight_kg\nA,doxorubicin,92,mg,175,70\n"
    )
    done = subprocess.run([sys.executable, "-c", _TERMINATED], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["orders.csv"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--orders", "", "-o", "v.csv"], "orders='': an empty name; expected a file name, or - for stdin"),
        (["--orders", str(EXAMPLE), "-o", ""], "output='': an empty name; expected a file name, or - for stdout"),
    ],
)
def test_an_empty_name_is_refused_not_read_as_the_working_folder(tmp_path, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    assert one_line_error(verify_cli("r-chop-21", *arguments)) == f"error: {message}"
    assert list(tmp_path.iterdir()) == []
