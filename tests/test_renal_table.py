"""Kidney function and carboplatin for tables: row by row as the scalar path, rejects with its reasons."""

import math
import pathlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosecalc import Q_
from dosecalc.errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError
from dosecalc.order import Order
from dosecalc.protocol import PROTOCOL_DIR, read_protocol
from dosecalc.renal import kidney_function
from dosecalc.renal_table import estimate_columns, kidney_table

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
UMOL_L_PER_MG_DL = 10_000 / 113.12  # creatinine's molar mass: 1 mg/dL = 88.4 µmol/L
AUC5 = "5 mg/mL*min"


def column(result, name):
    return result[name].to_pylist()


# --- published and worked values, in a table -------------------------------------------


def test_cockcroft_gault_worked_examples():
    # Cockcroft & Gault, Nephron 1976;16:31, doi:10.1159/000180580: (140 − A) W / (72 SCr), × 0.85 for women.
    # (140 − 60) × 80 / (72 × 1.2) = 74.07; (140 − 45) × 65 / (72 × 0.9) × 0.85 = 81.00;
    # clinPK's test suite (test_calc_carboplatin_calvert.R): 90 × 70 / (72 × 1.1) = 79.545
    table = {
        "age_years": [60, 45, 50],
        "sex": ["male", "female", "M"],
        "weight_kg": [80, 65, 70],
        "creatinine_mg_dl": [1.2, 0.9, 1.1],
    }
    estimated, rejects = kidney_table(table)
    assert rejects.num_rows == 0
    assert [round(v, 2) for v in column(estimated, "crcl_cockcroft_gault_ml_min")] == [74.07, 81.00, 79.55]
    assert column(estimated, "row") == [1, 2, 3]


def test_cockcroft_gault_in_umol_l():
    # transplantr's test suite (tests/testthat/test_egfr.R): cockcroft(creat = 88.4, age = 25, sex = "F",
    # weight = 60) -> 81.46; by hand 115 × 60 / (72 × 88.4 / 88.4) × 0.85 = 81.458
    estimated, _ = kidney_table({"age_years": [25], "sex": ["F"], "weight_kg": [60], "creatinine_umol_l": [88.4]})
    assert round(column(estimated, "crcl_cockcroft_gault_ml_min")[0], 2) == 81.46


def test_ckd_epi_2021_by_hand_and_de_indexed():
    # Inker et al., N Engl J Med 2021;385:1737, doi:10.1056/NEJMoa2102953: man, 55 y, 1.2 mg/dL:
    # 142 × (1.2/0.9)^−1.2 × 0.9938^55 = 71.42; woman, 50 y, 1.0 mg/dL: × 1.012 branch = 68.63.
    # De-indexed (ADDIKD 2022) by Mosteller's BSA: sqrt(180 × 81 / 3600) = 2.01246 m² -> × 2.01246 / 1.73
    table = {
        "age_years": [55, 50],
        "sex": ["m", "f"],
        "height_cm": [180, 180],
        "weight_kg": [81, 81],
        "creatinine_mg_dl": [1.2, 1.0],
    }
    estimated, _ = kidney_table(table, "ckd-epi-2021")
    egfr = column(estimated, "egfr_ckd_epi_2021_ml_min_173m2")
    assert egfr == [pytest.approx(71.418, abs=1e-3), pytest.approx(68.633, abs=1e-3)]
    bsa = math.sqrt(180 * 81 / 3600)
    assert column(estimated, "egfr_ckd_epi_2021_ml_min") == [pytest.approx(e * bsa / 1.73, rel=1e-12) for e in egfr]


def test_ckd_epi_2021_without_a_body_is_per_173_m2_only():
    estimated, _ = kidney_table({"age_years": [55], "sex": ["m"], "creatinine_mg_dl": [1.2]}, "ckd-epi-2021")
    assert estimated.column_names[-1] == "egfr_ckd_epi_2021_ml_min_173m2"


def test_schwartz_bedside_published():
    # transplantr's test suite (tests/testthat/test_egfr.R): schwartz_US(creat = 0.6, height = 101) -> 69.5
    # (Schwartz et al., J Am Soc Nephrol 2009;20:629, doi:10.1681/ASN.2008030287: 0.413 × 101 / 0.6 = 69.52)
    estimated, _ = kidney_table({"age_years": [5], "height_cm": [101], "creatinine_mg_dl": [0.6]}, "schwartz-bedside")
    assert round(column(estimated, "egfr_schwartz_bedside_ml_min_173m2")[0], 1) == 69.5


def test_carboplatin_order_published():
    # clinPK's test case (male, 50 y, 70 kg, creatinine 1.1 mg/dL): Cockcroft-Gault 79.545 mL/min; Calvert et al.,
    # J Clin Oncol 1989;7:1748: AUC 5 × (79.545 + 25) = 522.73 mg. Measured 140 mL/min under the FDA cap
    # (NCCN 2018): 5 × (125 + 25) = 750 mg.
    dosed, _ = Order("carboplatin", AUC5).for_table(
        {"age_years": [50], "sex": ["male"], "weight_kg": [70], "creatinine_mg_dl": [1.1]}
    )
    assert round(column(dosed, "final_dose_mg")[0], 2) == 522.73
    assert column(dosed, "gfr_source") == ["cockcroft_gault"] and column(dosed, "carboplatin_policy") == ["fda"]
    dosed, _ = Order("carboplatin", AUC5).for_table({"gfr_ml_min": [140, 90]})
    assert column(dosed, "final_dose_mg") == [750.0, 575.0]  # 5 × (90 + 25) = 575
    assert column(dosed, "gfr_capped") == [True, False] and column(dosed, "gfr_source") == ["given", "given"]


def test_carboplatin_addikd_by_hand():
    # ADDIKD (eviQ 2022): CKD-EPI 2021 × BSA / 1.73, no cap. Man 55 y, 1.2 mg/dL: 71.418; 180 cm, 81 kg:
    # Mosteller 2.01246 m² -> 83.08 mL/min; AUC 5 × (83.08 + 25) = 540.4 mg
    order = Order("carboplatin", AUC5, policy="addikd")
    table = {"age_years": [55], "sex": ["m"], "height_cm": [180], "weight_kg": [81], "creatinine_mg_dl": [1.2]}
    dosed, _ = order.for_table(table)
    gfr = 71.4178 * math.sqrt(180 * 81 / 3600) / 1.73
    assert column(dosed, "final_dose_mg")[0] == pytest.approx(5 * (gfr + 25), rel=1e-5)
    assert column(dosed, "bsa_m2") == [pytest.approx(math.sqrt(180 * 81 / 3600))]
    one = order.for_patient(age=55, sex="m", height=180, weight=81, creatinine="1.2 mg/dL")
    np.testing.assert_array_max_ulp(column(dosed, "final_dose_mg")[0], one.dose.m_as("mg"), maxulp=4)


# --- the scalar path, row by row ---------------------------------------------------------

cells = st.one_of(st.none(), st.floats(min_value=-1, max_value=900, allow_nan=False))
ages = st.one_of(st.none(), st.sampled_from([0.5, 1.0, 5.0, 17.9, 18.0, 45.0, 80.0, 120.0, 121.0]), cells)
creatinines = st.one_of(st.none(), st.sampled_from([0.0, 0.1, 0.3, 0.7, 1.0, 2.5, 20.0, 88.0]), cells)
sexes = st.sampled_from(["m", "f", "M ", "female", "U", "", None])
heights = st.one_of(st.sampled_from([10.0, 100.0, 150.0, 170.0, 190.0]), cells)
weights = st.one_of(st.sampled_from([0.1, 20.0, 45.0, 70.0, 150.0, 700.0]), cells)
rows_of = st.lists(st.tuples(ages, sexes, creatinines, heights, weights), min_size=0, max_size=6)


def _scalar(formula, row, *, unit, basis, floor, allow, body):
    age, sex, creatinine, height, weight = row
    inputs = {
        "age": age,
        "sex": sex if formula != "schwartz_bedside" else None,
        "serum_creatinine": None if creatinine is None else Q_(creatinine, unit),
        "creatinine_floor": floor,
        "allow_outside_range": allow,
    }
    if formula == "cockcroft_gault":
        inputs.update(weight=weight, weight_basis=basis, height=height if basis != "actual" else None)
    elif body:
        inputs.update(height=height, weight=weight)
    elif formula == "schwartz_bedside":
        inputs.update(height=height)
    if inputs["sex"] == "" or (inputs["sex"] is None and formula != "schwartz_bedside"):
        inputs["sex"] = None
    return kidney_function(formula, **inputs)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["cockcroft_gault", "ckd_epi_2021", "schwartz_bedside"]),
    rows_of,
    st.sampled_from(["mg/dL", "umol/L"]),
    st.sampled_from(["actual", "lesser", "ideal"]),
    st.sampled_from([None, "nccn", "0.8 mg/dL"]),
    st.booleans(),
    st.booleans(),
)
def test_kidney_table_equals_kidney_function_row_by_row(formula, rows, unit, basis, floor, allow, body):
    if formula != "cockcroft_gault":
        basis = "actual"
    if formula == "schwartz_bedside" and floor == "nccn":
        floor = None
    name = "creatinine_mg_dl" if unit == "mg/dL" else "creatinine_umol_l"
    table = {
        "age_years": pa.array([r[0] for r in rows], pa.float64()),
        "sex": pa.array([r[1] for r in rows], pa.string()),
        name: pa.array([r[2] for r in rows], pa.float64()),
        "height_cm": pa.array([r[3] for r in rows], pa.float64()),
        "weight_kg": pa.array([r[4] for r in rows], pa.float64()),
    }
    if not body and formula != "cockcroft_gault":
        table.pop("weight_kg")
    estimated, rejects = kidney_table(
        table, formula, weight_basis=basis, creatinine_floor=floor, allow_outside_range=allow
    )
    assert estimated.num_rows + rejects.num_rows == len(rows)
    value = estimate_columns(formula, basis, bsa=body)[1 if body and formula != "cockcroft_gault" else 0]
    values = dict(zip(column(estimated, "row"), column(estimated, value)))
    reasons = dict(zip(column(rejects, "row"), column(rejects, "reason")))
    for number, row in enumerate(rows, start=1):
        options = {"unit": unit, "basis": basis, "floor": floor, "allow": allow, "body": body}
        if body and formula != "cockcroft_gault" and None in (row[3], row[4]):
            # the table de-indexes every row by its height and weight columns: a missing cell is missing, not skipped
            assert "is missing" in reasons[number]
            continue
        if number in values:
            one = _scalar(formula, row, **options)
            expected = one.clearance.m_as("mL/min") if value.endswith("_ml_min") else one.egfr_ml_min_173m2
            # numpy's power on arrays (SIMD) and on one float may differ in the last bit
            np.testing.assert_array_max_ulp(values[number], expected, maxulp=2)
        else:
            with pytest.raises(DoseCalcError) as raised:
                _scalar(formula, row, **options)
            expected_text = getattr(raised.value, "expected", None)
            if expected_text is not None and not isinstance(raised.value, MissingInputError):
                assert expected_text in reasons[number]


@st.composite
def carboplatin_orders(draw):
    options = {"policy": draw(st.sampled_from(["fda", "addikd"]))}
    if draw(st.booleans()):
        options["gfr_cap"] = draw(st.sampled_from([None, "100 mL/min", 140]))
    if draw(st.booleans()):
        options["max_dose"] = draw(st.sampled_from(["700 mg", "400 mg"]))
    measure = draw(st.sampled_from(["none", "step", "vials"]))
    if measure == "step":
        options.update(round_to=draw(st.sampled_from(["10 mg", "50 mg"])), tolerance_pct=5)
    elif measure == "vials":
        options.update(vials="450 mg, 150 mg, 50 mg", tolerance_pct=10)
    options["creatinine_floor"] = draw(st.sampled_from([None, "nccn"]))
    if options["policy"] == "fda" and draw(st.booleans()):
        options["weight_basis"] = "lesser"
    options["allow_outside_range"] = draw(st.booleans())
    return Order("carboplatin", f"{draw(st.sampled_from([4, 5, 6]))} mg/mL*min", **options)


patients = st.lists(
    st.tuples(
        st.floats(min_value=15, max_value=100),
        st.sampled_from(["m", "f", "U"]),
        st.floats(min_value=0.05, max_value=3),
        st.floats(min_value=140, max_value=200),
        st.floats(min_value=35, max_value=200),
    ),
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(carboplatin_orders(), patients)
def test_carboplatin_for_table_equals_for_patient_row_by_row(order, rows):
    table = {
        "age_years": [r[0] for r in rows],
        "sex": [r[1] for r in rows],
        "creatinine_mg_dl": [r[2] for r in rows],
        "height_cm": [r[3] for r in rows],
        "weight_kg": [r[4] for r in rows],
    }
    dosed, rejects = order.for_table(pa.table(table, schema=_SCHEMA))
    assert dosed.num_rows + rejects.num_rows == len(rows)
    final = dict(zip(column(dosed, "row"), column(dosed, "final_dose_mg")))
    for number, (age, sex, creatinine, height, weight) in enumerate(rows, start=1):
        patient = {"age": age, "sex": sex, "creatinine": Q_(creatinine, "mg/dL"), "height": height, "weight": weight}
        if number in final:
            # within a few ulps: numpy's power on arrays (SIMD) and on one float may differ in the last bit
            np.testing.assert_array_max_ulp(final[number], order.for_patient(**patient).dose.m_as("mg"), maxulp=4)
        else:
            with pytest.raises(DoseCalcError):
                order.for_patient(**patient)


_SCHEMA = pa.schema(
    [(name, pa.float64()) for name in ("age_years",)]
    + [("sex", pa.string())]
    + [(name, pa.float64()) for name in ("creatinine_mg_dl", "height_cm", "weight_kg")]
)


@settings(max_examples=60, deadline=None)
@given(carboplatin_orders(), st.lists(st.floats(min_value=-10, max_value=400), max_size=6))
def test_carboplatin_of_a_measured_gfr_equals_for_patient(order, gfrs):
    dosed, rejects = order.for_table({"gfr_ml_min": pa.array(gfrs, pa.float64())})
    assert dosed.num_rows + rejects.num_rows == len(gfrs)
    final = dict(zip(column(dosed, "row"), column(dosed, "final_dose_mg")))
    for number, gfr in enumerate(gfrs, start=1):
        if number in final:
            assert final[number] == order.for_patient(gfr=gfr).dose.m_as("mg")  # the same arithmetic: no power
        else:
            with pytest.raises(DoseCalcError):
                order.for_patient(gfr=gfr)


# --- the protocol of carboplatin and paclitaxel -----------------------------------------


def test_protocol_for_table_schedules_carboplatin_paclitaxel():
    protocol = read_protocol(PROTOCOL_DIR / "carboplatin-paclitaxel.toml")
    table = {
        "patient_id": ["a", "b"],
        "height_cm": [175, 160],
        "weight_kg": [80, 60],
        "sex": ["m", "f"],
        "age_years": [60, 16],  # b is a child: Cockcroft-Gault refuses her, so she has no plan
        "creatinine_mg_dl": [1.2, 0.6],
    }
    schedule, rejects = protocol.for_table(table)
    # 6 cycles × 2 drugs on day 1, for patient a only
    assert schedule.num_rows == 12 and set(column(schedule, "patient_id")) == {"a"}
    assert column(rejects, "row") == [2] and column(rejects, "drug") == ["carboplatin"]
    assert "bedside Schwartz" in column(rejects, "reason")[0]
    doses = {drug: dose for drug, dose in zip(column(schedule, "drug"), column(schedule, "dose")) if dose}
    # paclitaxel 175 mg/m² × sqrt(175 × 80 / 3600) = 345.1 mg; carboplatin AUC 5 × ((140 − 60) × 80 / (72 × 1.2) + 25)
    assert doses["paclitaxel"] == pytest.approx(175 * math.sqrt(175 * 80 / 3600))
    assert doses["carboplatin"] == pytest.approx(5 * (6400 / 86.4 + 25))
    one = protocol.for_patient(height=175, weight=80, sex="m", age=60, creatinine="1.2 mg/dL")
    assert doses["carboplatin"] == one.doses[1].dose.m_as("mg")  # Cockcroft-Gault: no power, the same arithmetic


# --- attacks --------------------------------------------------------------------------------


def test_umol_l_in_a_mg_dl_column_is_refused_with_a_hint():
    _, rejects = kidney_table({"age_years": [60], "sex": ["m"], "weight_kg": [80], "creatinine_mg_dl": [106]})
    assert column(rejects, "reason") == [
        "creatinine_mg_dl=106 mg/dL: expected 0.1-20 mg/dL (8.85-1768 µmol/L); did you mean 106 µmol/L?"
    ]
    _, rejects = kidney_table({"age_years": [60], "sex": ["m"], "weight_kg": [80], "creatinine_umol_l": [1.2]})
    assert column(rejects, "reason")[0].endswith("did you mean 1.2 mg/dL?")


def test_two_columns_of_one_name_are_refused():
    names = ["age_years", "age_years", "sex", "weight_kg", "creatinine_mg_dl"]
    table = pa.Table.from_arrays(
        [pa.array([60.0]), pa.array([61.0]), pa.array(["m"]), pa.array([80.0]), pa.array([1.2])], names=names
    )
    with pytest.raises(DoseCalcError, match="2 columns named 'age_years'"):
        kidney_table(table)


def test_two_creatinine_columns_are_ambiguous():
    table = {"age_years": [60], "sex": ["m"], "weight_kg": [80], "creatinine_mg_dl": [1.2], "creatinine_umol_l": [106]}
    with pytest.raises(DoseCalcError, match="several creatinine columns"):
        kidney_table(table)


@pytest.mark.parametrize("name", ["creatinine", "creatinine_mmol_l", "Creatinine (mg%)"])
def test_a_creatinine_column_without_a_known_unit_is_refused(name):
    with pytest.raises(UnitError, match="creatinine_mg_dl, creatinine_umol_l"):
        kidney_table({"age_years": [60], "sex": ["m"], "weight_kg": [80], name: [1.2]})


@pytest.mark.parametrize("name", ["Creatinine (µmol/L)", "creatinine_\u03bcmol_l", "CREATININE_UMOL_L"])
def test_creatinine_column_names_in_umol_l(name):
    # 106.08 µmol/L = 1.2 mg/dL (× 113.12 g/mol / 10,000): 80 × 80 / 86.4 mL/min
    estimated, _ = kidney_table({"age_years": [60], "sex": ["m"], "weight_kg": [80], name: [106.08]})
    assert column(estimated, "crcl_cockcroft_gault_ml_min") == [pytest.approx(6400 / 86.4, rel=1e-4)]


def test_age_in_months_for_children():
    # bedside Schwartz (2009) for a child of 60 months (5 years), 101 cm, 0.6 mg/dL: 0.413 × 101 / 0.6 = 69.52
    estimated, rejects = kidney_table(
        {"age_months": [60, 6], "height_cm": [101, 65], "creatinine_mg_dl": [0.6, 0.3]}, "schwartz-bedside"
    )
    assert column(estimated, "egfr_schwartz_bedside_ml_min_173m2") == [pytest.approx(0.413 * 101 / 0.6)]
    assert column(rejects, "reason") == ["age_months=6 months: expected 1-18 years (bedside Schwartz: children)"]


def test_a_column_mapped_with_its_unit():
    table = {"Age": [60], "Gender": ["m"], "Wt": [80], "SCr": [106.08]}
    estimated, _ = kidney_table(
        table,
        column_map={"age": "Age", "sex": "Gender", "weight": "Wt", "creatinine": "SCr"},
        column_units={"age": "years", "weight": "kg", "creatinine": "umol/L"},
    )
    # 106.08 µmol/L = 1.2 mg/dL: 80 × 80 / 86.4
    assert column(estimated, "crcl_cockcroft_gault_ml_min") == [pytest.approx(6400 / 86.4, rel=1e-4)]
    with pytest.raises(UnitError):
        kidney_table(table, column_map={"creatinine": "SCr"}, column_units={"creatinine": "mg"})


def test_swapped_age_and_weight_and_creatinine_zero():
    table = {"age_years": [80, 60], "sex": ["f", "m"], "weight_kg": [200, 80], "creatinine_mg_dl": [1.0, 0]}
    table["age_years"][0], table["weight_kg"][0] = 200, 80  # age and weight swapped
    _, rejects = kidney_table(table)
    assert column(rejects, "reason") == [
        "age_years=200 years: expected 18-120 years",
        "creatinine_mg_dl=0 mg/dL: expected 0.1-20 mg/dL (8.85-1768 µmol/L)",
    ]


def test_sex_spellings_and_an_unknown_sex():
    table = {
        "age_years": [60] * 4,
        "sex": ["M ", "female", "U", None],
        "weight_kg": [80] * 4,
        "creatinine_mg_dl": [1.2] * 4,
    }
    estimated, rejects = kidney_table(table)
    assert column(estimated, "row") == [1, 2]
    assert column(estimated, "crcl_cockcroft_gault_ml_min") == [
        pytest.approx(6400 / 86.4),
        pytest.approx(6400 / 86.4 * 0.85),
    ]
    assert column(rejects, "reason") == [
        "sex='U' is not known; expected one of: f, female, woman, w, m, male, man",
        "sex is missing",
    ]


def test_an_adult_formula_refuses_a_child_and_names_the_one_that_fits():
    _, rejects = kidney_table({"age_years": [17.9], "sex": ["f"], "weight_kg": [55], "creatinine_mg_dl": [0.7]})
    assert column(rejects, "reason") == [
        "age_years=17.9 years: expected 18-120 years; "
        "Cockcroft-Gault is for 18-120 years: use the bedside Schwartz formula (schwartz-bedside)"
    ]
    _, rejects = kidney_table({"age_years": [30], "height_cm": [170], "creatinine_mg_dl": [0.7]}, "schwartz-bedside")
    assert column(rejects, "reason")[0].endswith("use the CKD-EPI 2021 formula (ckd-epi-2021)")


def test_missing_cells_and_text_cells():
    table = {
        "age_years": ["60", "", "sixty"],
        "sex": ["m", "m", "m"],
        "weight_kg": ["80", "80", None],
        "creatinine_mg_dl": ["1,2", "1.2", "1.2"],
    }
    _, rejects = kidney_table(table)
    assert column(rejects, "reason") == [
        "creatinine_mg_dl='1,2': expected a number; a full stop is the decimal point, without thousands separators ('1,5' is 1.5 or 15?), and a file of decimal commas is read with --decimal-comma (decimal_comma= in Python)",
        "age_years is missing",
        "age_years='sixty': expected a number; weight_kg is missing",
    ]
    estimated, rejects = kidney_table(table, decimal_comma=True)
    assert column(estimated, "row") == [1]


def test_all_rows_rejected_and_an_empty_table_keep_the_columns():
    table = {"age_years": [5.0, 200.0], "sex": ["m", "f"], "weight_kg": [20.0, 70.0], "creatinine_mg_dl": [0.5, 1.0]}
    estimated, rejects = kidney_table(table)
    assert estimated.num_rows == 0 and rejects.num_rows == 2
    assert estimated.column_names[-2:] == ["row", "crcl_cockcroft_gault_ml_min"]
    dosed, rejects = Order("carboplatin", AUC5, round_to="10 mg").for_table(pa.table(table))
    assert dosed.num_rows == 0 and rejects.num_rows == 2 and "final_dose_mg" in dosed.column_names
    empty = pa.table({name: pa.array([], pa.float64()) for name in ("age_years", "weight_kg", "creatinine_mg_dl")})
    empty = empty.append_column("sex", pa.array([], pa.string()))
    dosed, rejects = Order("carboplatin", AUC5).for_table(empty)
    assert dosed.num_rows == rejects.num_rows == 0


def test_an_estimate_above_250_is_refused_even_under_the_fda_cap():
    # a woman of 18, 700 kg, creatinine 0.1 mg/dL: (140 − 18) × 700 / 7.2 × 0.85 = 10,081.9 mL/min: a slip, no GFR
    table = {"age_years": [18], "sex": ["f"], "weight_kg": [700], "creatinine_mg_dl": [0.1]}
    _, rejects = Order("carboplatin", AUC5).for_table(table)
    assert column(rejects, "reason")[0].startswith("crcl (Cockcroft-Gault)=10081.9 mL/min: expected (0, 250] mL/min")
    dosed, _ = Order("carboplatin", AUC5, allow_outside_range=True).for_table(table)
    assert column(dosed, "final_dose_mg") == [750.0]  # capped at 125 mL/min: 5 × 150
    assert column(dosed, "crcl_cockcroft_gault_outside_range") == [True]


def test_a_measured_gfr_out_of_range_and_both_sources():
    _, rejects = Order("carboplatin", AUC5).for_table({"gfr_ml_min": [300, 0]})
    reasons = column(rejects, "reason")
    assert reasons[0].startswith("gfr_ml_min=300 mL/min: expected (0, 250] mL/min; a value this high")
    assert reasons[1] == "gfr_ml_min=0 mL/min: expected (0, 250] mL/min"
    with pytest.raises(DoseCalcError, match="which is the patients' kidney function"):
        Order("carboplatin", AUC5).for_table({"gfr_ml_min": [90], "creatinine_mg_dl": [1.0]})


def test_the_creatinine_floor_is_reported():
    # NCCN 2018: a floor of 0.7 mg/dL. 0.4 mg/dL -> 0.7: (140 − 80) × 50 / (72 × 0.7) × 0.85 = 50.60 mL/min
    table = {"age_years": [80, 60], "sex": ["f", "m"], "weight_kg": [50, 80], "creatinine_mg_dl": [0.4, 1.2]}
    estimated, _ = kidney_table(table, creatinine_floor="nccn")
    assert column(estimated, "creatinine_floor_applied") == [True, False]
    assert column(estimated, "crcl_cockcroft_gault_ml_min")[0] == pytest.approx(60 * 50 / (72 * 0.7) * 0.85)


def test_kidney_function_column_on_any_order():
    # doxorubicin 50 mg/m² (no kidney setting changes it), with the Cockcroft-Gault column beside it
    order = Order("doxorubicin", "50 mg/m2")
    table = {
        "height_cm": [180, 170],
        "weight_kg": [80, 70],
        "sex": ["m", "f"],
        "age_years": [60, 17],
        "creatinine_mg_dl": [1.2, 0.8],
    }
    dosed, rejects = order.for_table(table, kidney_function="cockcroft-gault")
    assert column(dosed, "row") == [1]
    assert column(dosed, "crcl_cockcroft_gault_ml_min") == [pytest.approx(6400 / 86.4)]
    assert column(dosed, "final_dose_mg") == [pytest.approx(50 * 2.0)]  # sqrt(180 × 80 / 3600) = 2.0 m²
    assert column(rejects, "row") == [2] and "schwartz-bedside" in column(rejects, "reason")[0]
    # a row the dose and the estimate both refuse says each reason once
    dosed, rejects = order.for_table({**table, "weight_kg": [80, None]}, kidney_function="cockcroft-gault")
    assert column(rejects, "reason")[0].count("weight_kg is missing") == 1


def test_an_input_column_named_as_an_output_is_refused():
    table = {"age_years": [60], "sex": ["m"], "weight_kg": [80], "creatinine_mg_dl": [1.2], "height_cm": [180]}
    for order in (Order("doxorubicin", "50 mg/m2"), Order("carboplatin", AUC5)):
        with pytest.raises(DoseCalcError, match="crcl_cockcroft_gault_ml_min"):
            order.for_table({**table, "crcl_cockcroft_gault_ml_min": [500]}, kidney_function="cockcroft-gault")
    with pytest.raises(DoseCalcError, match="'final_dose_mg'"):
        Order("carboplatin", AUC5).for_table({**table, "final_dose_mg": [1]})
    with pytest.raises(DoseCalcError, match="'dose_rounded_mg'"):
        Order("carboplatin", AUC5, round_to="10 mg").for_table({**table, "dose_rounded_mg": [1]})


def test_row_offset_and_frames():
    table = pd.DataFrame(
        {"age_years": [60, 17], "sex": ["m", "f"], "weight_kg": [80, 55], "creatinine_mg_dl": [1.2, 0.7]}
    )
    dosed, rejects = Order("carboplatin", AUC5).for_table(table, row_offset=100)
    assert dosed["row"].tolist() == [101] and rejects["row"].tolist() == [102]
    body = table.assign(height_cm=[180, 160])
    dosed, rejects = Order("doxorubicin", "50 mg/m2").for_table(body, row_offset=100, kidney_function="cockcroft-gault")
    assert dosed["row"].tolist() == [101] and rejects["row"].tolist() == [102]
    estimated, rejects = kidney_table(table.set_axis(["p1", "p2"]), row_offset=7)
    assert rejects["row"].tolist() == [9]
    assert estimated.index.tolist() == ["p1"] and rejects.index.tolist() == ["p2"]  # pandas in, pandas out


def test_engine_options_and_numeric_inputs():
    order = Order("carboplatin", AUC5)
    table = {"age_years": ["60"], "sex": ["m"], "weight_kg": ["80"], "creatinine_mg_dl": ["1,2"]}
    dosed, _ = order.for_table(table, decimal_comma=True, numeric_inputs=True)
    assert dosed["creatinine_mg_dl"].type == pa.float64() and column(dosed, "creatinine_mg_dl") == [1.2]
    with pytest.raises(DoseCalcError, match="no engine option"):
        order.for_table(table, max_dose="700 mg")


def test_settings_a_carboplatin_order_cannot_use_are_refused():
    with pytest.raises(ImplausibleInputError, match="^formula="):
        Order("carboplatin", AUC5, formula="schwartz-bedside")
    with pytest.raises(ImplausibleInputError, match="^weight_basis="):
        Order("carboplatin", AUC5, policy="addikd", weight_basis="ideal")
    with pytest.raises(ImplausibleInputError, match="^policy="):
        Order("doxorubicin", "50 mg/m2", policy="fda")
    with pytest.raises(ImplausibleInputError, match="^gfr_cap="):
        Order("carboplatin", AUC5, gfr_cap="300 mL/min")
    with pytest.raises(MissingInputError, match="height and weight columns"):
        Order("carboplatin", AUC5, policy="addikd").for_table(
            {"age_years": [55], "sex": ["m"], "creatinine_mg_dl": [1.2]}
        )


def test_lesser_of_actual_and_ideal_weight_in_dose_and_cohorts():
    # Devine (1974): a man of 180 cm: 50 + 2.3 × (180/2.54 − 60) = 75.0 kg; the lesser of 70 kg (actual) and 75.0: 70
    # (Winter et al., Pharmacotherapy 2012;32:604). 1 mg/kg -> 70 mg; a man of 180 cm and 90 kg -> 75.0 mg
    order = Order("drug-x", "1 mg/kg", weight_basis="lesser")
    dosed, _ = order.for_table({"height_cm": [180, 180], "weight_kg": [70, 90], "sex": ["m", "m"]})
    ideal = 50 + 2.3 * (180 / 2.54 - 60)
    assert column(dosed, "final_dose_mg") == [pytest.approx(70.0), pytest.approx(ideal)]
    assert order.for_patient(height=180, weight=90, sex="m").dose.m_as("mg") == pytest.approx(ideal)
    # Cockcroft-Gault on the lesser weight for carboplatin: (140 − 60) × 75.0 / (72 × 1.2)
    carboplatin = Order("carboplatin", AUC5, weight_basis="lesser")
    table = {"age_years": [60], "sex": ["m"], "height_cm": [180], "weight_kg": [90], "creatinine_mg_dl": [1.2]}
    dosed, _ = carboplatin.for_table(table)
    assert column(dosed, "crcl_weight_kg") == [pytest.approx(ideal)]
    assert column(dosed, "final_dose_mg") == [pytest.approx(5 * (80 * ideal / 86.4 + 25))]
    step = carboplatin.for_patient(age=60, sex="m", height=180, weight=90, creatinine="1.2 mg/dL").steps[1]
    assert "Cockcroft-Gault on the lesser weight, 74.99 kg" in step.change


def test_protocol_files_carry_the_kidney_settings():
    order = Order.from_entry(
        {
            "drug": "carboplatin",
            "dose": AUC5,
            "policy": "addikd",
            "creatinine_floor": "nccn",
            "gfr_cap": "none",
            "allow_outside_range": False,
        }
    )
    assert (order.policy, order.formula, order.creatinine_floor, order.gfr_cap) == (
        "addikd",
        "ckd_epi_2021",
        "nccn",
        None,
    )
    assert order.to_dict()["policy"] == "addikd"
    with pytest.raises(ImplausibleInputError):
        Order.from_entry({"drug": "carboplatin", "dose": AUC5, "allow_outside_range": "yes"})
    capped = Order.from_options("carboplatin", AUC5, gfr_cap="110", creatinine_floor="0.8mg/dL")
    assert capped.gfr_cap.m_as("mL/min") == 110 and capped.creatinine_floor.m_as("mg/dL") == 0.8
    assert Order.from_options("carboplatin", AUC5, no_gfr_cap=True).gfr_cap is None
    # the cap off: AUC 6 × (140 + 25) = 990 mg
    assert Order("carboplatin", "6 mg/mL*min", gfr_cap=None).for_patient(gfr=140).dose.m_as("mg") == 990


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["cockcroft-gault", "ckd-epi-2021"]), patients, st.sampled_from([None, "nccn"]))
def test_a_kidney_column_beside_any_dose_is_the_estimate_and_the_dose(formula, rows, floor):
    # dosed = the rows both the dose and the estimate accept, each value as each alone gives it
    table = pa.table(
        {
            "age_years": [r[0] for r in rows],
            "sex": [r[1] for r in rows],
            "creatinine_mg_dl": [r[2] for r in rows],
            "height_cm": [r[3] for r in rows],
            "weight_kg": [r[4] for r in rows],
        },
        schema=_SCHEMA,
    )
    order = Order("doxorubicin", "50 mg/m2", creatinine_floor=floor)
    dosed, rejects = order.for_table(table, kidney_function=formula)
    alone, _ = Order("doxorubicin", "50 mg/m2").for_table(table)
    estimated, _ = kidney_table(table, formula, creatinine_floor=floor)
    assert dosed.num_rows + rejects.num_rows == len(rows)
    assert set(column(dosed, "row")) == set(column(alone, "row")) & set(column(estimated, "row"))
    name = estimate_columns(formula)[-1]
    by_row = dict(zip(column(estimated, "row"), column(estimated, name)))
    doses = dict(zip(column(alone, "row"), column(alone, "final_dose_mg")))
    for number, value, dose in zip(column(dosed, "row"), column(dosed, name), column(dosed, "final_dose_mg")):
        assert (value, dose) == (by_row[number], doses[number])


@settings(max_examples=60, deadline=None)
@given(
    carboplatin_orders(),
    st.lists(st.tuples(st.floats(min_value=-10, max_value=400), st.floats(10, 250), st.floats(1, 200)), max_size=6),
)
def test_carboplatin_of_a_gfr_per_173_m2_equals_for_patient(order, rows):
    # a lab's GFR per 1.73 m², de-indexed by the patient's Mosteller BSA (ADDIKD 2022): × BSA / 1.73
    table = {
        "gfr_ml_min_1_73m2": pa.array([r[0] for r in rows], pa.float64()),
        "height_cm": pa.array([r[1] for r in rows], pa.float64()),
        "weight_kg": pa.array([r[2] for r in rows], pa.float64()),
    }
    dosed, rejects = order.for_table(table)
    assert dosed.num_rows + rejects.num_rows == len(rows)
    final = dict(zip(column(dosed, "row"), column(dosed, "final_dose_mg")))
    for number, (gfr, height, weight) in enumerate(rows, start=1):
        patient = {"gfr": Q_(gfr, "mL/min/standard_bsa"), "height": height, "weight": weight}
        if number in final:
            assert final[number] == order.for_patient(**patient).dose.m_as("mg")  # the same arithmetic
        else:
            with pytest.raises(DoseCalcError):
                order.for_patient(**patient)


def test_a_gfr_per_173_m2_by_hand():
    # 90 mL/min/1.73 m² × Mosteller sqrt(170 × 70 / 3600) = 1.8181 m² / 1.73 = 94.58 mL/min; AUC 5 × 119.58 = 597.9 mg
    order = Order("carboplatin", AUC5)
    dosed, _ = order.for_table({"GFR (mL/min/1.73m²)": [90], "height_cm": [170], "weight_kg": [70]})
    bsa = math.sqrt(170 * 70 / 3600)
    assert column(dosed, "final_dose_mg") == [pytest.approx(5 * (90 * bsa / 1.73 + 25))]
    mapped, _ = order.for_table(
        {"eGFR": [90], "height_cm": [170], "weight_kg": [70]},
        column_map={"gfr": "eGFR"},
        column_units={"gfr": "mL/min/1.73m2"},
    )
    assert column(mapped, "final_dose_mg") == column(dosed, "final_dose_mg")
    with pytest.raises(MissingInputError, match="a height column"):
        order.for_table({"gfr_ml_min_1_73m2": [90], "weight_kg": [70]})
