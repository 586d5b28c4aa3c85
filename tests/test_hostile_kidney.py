"""Kidney tables and carboplatin orders under hostile input: spreadsheet exports, frames with their own
labels, values at the edges of each range, and the published numbers checked by hand."""

import pathlib
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosecalc import Q_, carboplatin_dose
from dosecalc.errors import DoseCalcError, ImplausibleInputError, UnitError, UnknownNameError
from dosecalc.order import Order
from dosecalc.protocol import PROTOCOL_DIR, read_protocol
from dosecalc.renal import kidney_function, measured_gfr
from dosecalc.renal_table import kidney_table

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
AUC5 = "5 mg/mL*min"


# --- frames keep their labels ---------------------------------------------------------------


@pytest.mark.parametrize("index", [pd.RangeIndex(5, 8), pd.Index(["a", "b", "c"])])
def test_an_order_over_a_pandas_frame_aligns_by_its_labels(index):
    # a rejected first row: results numbered by position would put row 2's dose on row 1's patient
    frame = pd.DataFrame(
        {"age_years": [17, 60, 70], "sex": ["f", "m", "m"], "weight_kg": [80, 60, 70], "creatinine_mg_dl": 1.0},
        index=index,
    )
    dosed, rejects = Order("carboplatin", AUC5).for_table(frame)
    assert dosed.index.tolist() == index[1:].tolist() and rejects.index.tolist() == index[:1].tolist()
    assert "__index_level_0__" not in dosed.columns
    # Cockcroft-Gault (1976) by hand: (140 - 60) × 60 / 72 = 66.67 mL/min; Calvert (1989): 5 × (66.67 + 25)
    doses = frame.assign(dose=dosed["final_dose_mg"])["dose"]
    assert np.isnan(doses.iloc[0]) and doses.iloc[1] == pytest.approx(5 * (80 * 60 / 72 + 25))
    assert doses.iloc[2] == pytest.approx(5 * (70 * 70 / 72 + 25))


def test_a_dose_order_over_a_pandas_frame_keeps_its_labels():
    frame = pd.DataFrame({"height_cm": [180, 10, 160], "weight_kg": [80, 70, 60]}, index=["p1", "p2", "p3"])
    dosed, rejects = Order("doxorubicin", "50 mg/m2").for_table(frame)
    assert dosed.index.tolist() == ["p1", "p3"] and rejects.index.tolist() == ["p2"]
    assert dosed.loc["p1", "final_dose_mg"] == pytest.approx(100.0)  # Mosteller: sqrt(180 × 80 / 3600) = 2 m²


# --- the kidney columns of a protocol's table ------------------------------------------------


def test_a_protocol_maps_the_kidney_columns_for_carboplatin_only():
    # the paclitaxel order reads the body; the mapped age and creatinine are carboplatin's
    protocol = read_protocol(PROTOCOL_DIR / "carboplatin-paclitaxel.toml")
    table = {"height_cm": [175], "weight_kg": [80], "sex": ["m"], "Age": [60], "SCr": [106.0]}
    schedule, rejects = protocol.for_table(
        table,
        column_map={"age": "Age", "creatinine": "SCr"},
        column_units={"age": "years", "creatinine": "umol/L"},
        cycles=1,
    )
    assert rejects.num_rows == 0
    doses = dict(zip(schedule["drug"].to_pylist(), schedule["dose"].to_pylist()))
    # 106 µmol/L × 113.12 g/mol = 1.1991 mg/dL; Cockcroft-Gault: 80 × 80 / (72 × 1.1991) mL/min; Calvert: AUC 5
    creatinine_mg_dl = 106 * 113.12 / 10_000
    assert doses["carboplatin"] == pytest.approx(5 * (80 * 80 / (72 * creatinine_mg_dl) + 25))
    assert doses["paclitaxel"] == pytest.approx(175 * np.sqrt(175 * 80 / 3600))


def test_a_kidney_column_mapped_to_no_column_is_refused():
    with pytest.raises(UnknownNameError, match="SCr"):
        Order("paclitaxel", "175 mg/m2").for_table(
            {"height_cm": [175], "weight_kg": [80]}, column_map={"creatinine": "SCr"}
        )


# --- values at the edges: the message says why ------------------------------------------------


def test_an_estimate_just_above_250_is_shown_above_it():
    # Cockcroft-Gault (1976) by hand: (140 - 18) × 147.541 / 72 = 250.0000278 mL/min: refused, and shown so
    patient = {"age_years": [18], "sex": ["m"], "weight_kg": [147.541], "creatinine_mg_dl": [1.0]}
    _, rejects = kidney_table(patient)
    assert rejects["reason"].to_pylist()[0].startswith("crcl (Cockcroft-Gault)=250.00003 mL/min: expected (0, 250]")
    with pytest.raises(ImplausibleInputError, match=r"=250\.00003 mL/min"):
        kidney_function("cockcroft-gault", age=18, sex="m", weight=147.541, serum_creatinine="1 mg/dL")
    _, rejects = Order("carboplatin", AUC5).for_table(patient)
    assert "250.00003 mL/min" in rejects["reason"].to_pylist()[0]


def test_the_creatinine_range_in_umol_l_is_the_one_accepted():
    # 0.1 mg/dL × 10,000 / 113.12 g/mol = 8.840 µmol/L: 8.84 is refused (0.099998 mg/dL), 8.85 accepted;
    # 20 mg/dL = 1768.03 µmol/L: 1768 accepted (the clearance at 8.85 µmol/L, 888 mL/min, reported, not refused)
    table = {"age_years": [60] * 3, "sex": ["m"] * 3, "weight_kg": [80] * 3, "creatinine_umol_l": [8.84, 8.85, 1768]}
    estimated, rejects = kidney_table(table, allow_outside_range=True)
    assert estimated["row"].to_pylist() == [2, 3] and rejects["row"].to_pylist() == [1]
    assert "expected 0.1-20 mg/dL (8.85-1768 µmol/L)" in rejects["reason"].to_pylist()[0]
    with pytest.raises(
        ImplausibleInputError, match=r"8\.84 µmol/L \(0\.099998 mg/dL\): expected 0\.1-20 mg/dL \(8\.85-1768"
    ):
        kidney_function("cockcroft-gault", age=60, sex="m", weight=80, serum_creatinine="8.84 umol/L")


def test_a_creatinine_floor_just_above_1_5_mg_dl_is_shown_above_it():
    # 133 µmol/L × 113.12 / 10,000 = 1.5045 mg/dL: above the 1.5 mg/dL a floor may be; 132.6 µmol/L = 1.49997 mg/dL
    with pytest.raises(
        ImplausibleInputError, match=r"133 µmol/L \(1\.504 mg/dL\): expected 0\.1-1\.5 mg/dL \(8\.85-132\.6"
    ):
        Order("carboplatin", AUC5, creatinine_floor="133 umol/L")
    assert Order("carboplatin", AUC5, creatinine_floor="132.6 umol/L").creatinine_floor.m_as("mg/dL") < 1.5


# --- table and patient, row by row, in every unit a column may carry -------------------------

AGE_COLUMNS = {"age_years": "year", "age_months": "month"}
CREATININE_COLUMNS = {"creatinine_mg_dl": "mg/dL", "creatinine_umol_l": "umol/L"}
WEIGHT_COLUMNS = {"weight_kg": "kg", "weight_lb": "lb"}


@st.composite
def carboplatin_orders(draw):
    options = {"policy": draw(st.sampled_from(["fda", "addikd"]))}
    options["gfr_cap"] = draw(st.sampled_from(["policy", None, "100 mL/min"]))
    options["max_dose"] = draw(st.sampled_from([None, "600 mg", "300 mg"]))
    measure = draw(
        st.sampled_from(
            [
                None,
                ("vials", "450 mg, 150 mg"),
                ("vials", "150 mg, 50 mg, 10 mg"),
                ("round_to", "100 mg"),
                ("round_to", "25 mg"),
            ]
        )
    )
    if measure is not None:
        options[measure[0]] = measure[1]
        options["tolerance_pct"] = draw(st.sampled_from([5, 10]))
    options["creatinine_floor"] = draw(st.sampled_from([None, "nccn", "62 umol/L"]))
    options["allow_outside_range"] = draw(st.booleans())
    if options["policy"] == "fda":
        options["weight_basis"] = draw(st.sampled_from(["actual", "lesser", "adjusted"]))
    auc = draw(st.sampled_from([1, 4, 5, 6, 10]))
    return Order("carboplatin", f"{auc} mg/mL*min", **options)


@settings(max_examples=200, deadline=None)
@given(
    carboplatin_orders(),
    st.sampled_from(sorted(AGE_COLUMNS)),
    st.sampled_from(sorted(CREATININE_COLUMNS)),
    st.sampled_from(sorted(WEIGHT_COLUMNS)),
    st.lists(
        st.tuples(
            st.floats(min_value=200, max_value=1500),  # age in months: 16.7-125 years
            st.sampled_from(["m", "f", "F", "Male", "x", ""]),
            st.floats(min_value=0.05, max_value=25),  # creatinine in mg/dL, written in the column's unit
            st.floats(min_value=140, max_value=200),
            st.floats(min_value=30, max_value=260),  # weight in kg, written in the column's unit
        ),
        max_size=5,
    ),
)
def test_a_carboplatin_table_in_any_unit_equals_for_patient(order, age_name, creatinine_name, weight_name, rows):
    age_unit, creatinine_unit, weight_unit = (
        AGE_COLUMNS[age_name],
        CREATININE_COLUMNS[creatinine_name],
        WEIGHT_COLUMNS[weight_name],
    )
    ages = [Q_(months, "month").m_as(age_unit) for months, *_ in rows]
    creatinines = [
        Q_(mg_dl, "mg/dL").m_as("mg/dL") if creatinine_unit == "mg/dL" else mg_dl * 88.4 for *_, mg_dl, _, _ in rows
    ]
    weights = [Q_(kg, "kg").m_as(weight_unit) for *_, kg in rows]
    table = pa.table(
        {
            age_name: pa.array(ages, pa.float64()),
            "sex": pa.array([row[1] for row in rows], pa.string()),
            creatinine_name: pa.array(creatinines, pa.float64()),
            "height_cm": pa.array([row[3] for row in rows], pa.float64()),
            weight_name: pa.array(weights, pa.float64()),
        }
    )
    dosed, rejects = order.for_table(table)
    assert dosed.num_rows + rejects.num_rows == len(rows)
    final = dict(zip(dosed["row"].to_pylist(), dosed["final_dose_mg"].to_pylist()))
    gfr = dict(zip(dosed["row"].to_pylist(), dosed["calvert_gfr_ml_min"].to_pylist()))
    for number, (age, creatinine, weight, row) in enumerate(zip(ages, creatinines, weights, rows), start=1):
        patient = {
            "age": Q_(age, age_unit),
            "sex": row[1] or None,
            "creatinine": Q_(creatinine, creatinine_unit),
            "height": row[3],
            "weight": Q_(weight, weight_unit),
        }
        if number in final:
            one = order.for_patient(**patient)
            # one patient's eGFR is computed as a column of one (numpy's power on a float and on an array may
            # differ in the last bit), so the GFR and the dose are the table's to the bit
            assert gfr[number] == one.patient.gfr.m_as("mL/min")
            assert final[number] == one.dose.m_as("mg")
        else:
            with pytest.raises(DoseCalcError):
                order.for_patient(**patient)


# --- a target AUC as templates write it -----------------------------------------------------


@pytest.mark.parametrize("dose", ["5 mg/mL/min", "5mg/ml/min", "AUC 5", "5 mg/(mL*min)", "5 mg min/mL"])
def test_a_mistyped_target_auc_is_refused_with_the_auc_spellings(dose):
    # mg/mL/min is a concentration per minute, not an AUC (mg/mL × min): refused, never reinterpreted
    with pytest.raises(UnitError, match=r"expected a target AUC in mg/mL × min, such as '5 mg/mL\*min'"):
        Order("carboplatin", dose)


@pytest.mark.parametrize("dose", ["5 mg/mL*min", "5 mg·min/mL", "5 mg*min/mL", "5 mg/mL·min"])
def test_a_target_auc_in_its_spellings(dose):
    # Calvert (1989): 5 × (90 + 25) = 575 mg
    assert Order("carboplatin", dose).for_patient(gfr=90).dose.m_as("mg") == 575.0


# --- a GFR reported outside the range still gives a number ----------------------------------


@pytest.mark.parametrize("gfr_cap", ["policy", None])
@pytest.mark.parametrize("gfr", [1e308, 1e300, 39_976.0])
def test_a_gfr_whose_calvert_dose_is_absurd_is_refused_even_with_the_override(gfr_cap, gfr):
    # allow_outside_range reports a GFR above 250 mL/min, but no dose above dosecalc's bound on any dose,
    # 200,000 mg, comes from it: 5 × (39,976 + 25) = 200,005 mg; 5 × (1e300 + 25) = 5e300 mg (it was printed);
    # 1e308 overflows to infinity
    order = Order("carboplatin", AUC5, gfr_cap=gfr_cap, allow_outside_range=True)
    expected = "expected a GFR whose Calvert dose, AUC × (GFR + 25), is at most 200,000 mg"
    with pytest.raises(ImplausibleInputError, match=f"^{re.escape(f'gfr={gfr:g} mL/min: {expected}')}$"):
        order.for_patient(gfr=gfr)
    dosed, rejects = order.for_table({"gfr_ml_min": [gfr, 90.0, 39_975.0, -1.0]})
    # 5 × (90 + 25) = 575 mg; 5 × (39,975 + 25) = 200,000 mg is the bound itself (capped by the policy: 750 mg)
    assert dosed["row"].to_pylist() == [2, 3]
    assert dosed["final_dose_mg"].to_pylist() == [575.0, 750.0 if gfr_cap == "policy" else 200_000.0]
    assert rejects["reason"].to_pylist() == [
        f"gfr_ml_min={gfr:g} mL/min: {expected}",
        "gfr_ml_min=-1 mL/min: expected (0, 250] mL/min",
    ]


def test_a_column_unit_outside_the_grammar_is_shown_as_typed():
    # L/h is no unit of the grammar's clearances: refused, and the message shows 'L/h', not the '1 L/h' it was read in
    with pytest.raises(UnitError, match=r"^column_units\['gfr'\]='L/h': expected"):
        Order("carboplatin", AUC5).for_table({"GFR": [5.4]}, column_map={"gfr": "GFR"}, column_units={"gfr": "L/h"})
    with pytest.raises(UnitError, match=r"^column_units\['creatinine'\]='mg/dL\\u200b'"):
        kidney_table(
            {"age_years": [60], "sex": ["m"], "weight_kg": [80], "SCr": [1.1]},
            column_map={"creatinine": "SCr"},
            column_units={"creatinine": "mg/dL\u200b"},
        )


def test_a_kidney_column_beside_carboplatin_on_another_weight():
    # the order's 'lesser' weight is Cockcroft-Gault's: the CKD-EPI column beside it uses no weight
    order = Order("carboplatin", AUC5, weight_basis="lesser")
    patient = {"age_years": [60], "sex": ["f"], "height_cm": [160], "weight_kg": [90], "creatinine_mg_dl": [0.8]}
    dosed, rejects = order.for_table(patient, kidney_function="ckd-epi-2021")
    assert rejects.num_rows == 0
    # Devine (1974): ideal weight of a woman of 160 cm = 45.5 + 2.3 × (160 / 2.54 − 60) = 52.39 kg, less than 90 kg;
    # Cockcroft-Gault (1976): (140 − 60) × 52.39 / (72 × 0.8) × 0.85
    ideal_kg = 45.5 + 2.3 * (160 / 2.54 - 60)
    assert dosed["crcl_weight_kg"].to_pylist() == [pytest.approx(ideal_kg)]
    assert dosed["calvert_gfr_ml_min"].to_pylist() == [pytest.approx(80 * ideal_kg / 57.6 * 0.85)]
    # CKD-EPI 2021 (Inker et al. 2021), a woman: 142 × (0.8 / 0.7)^−1.200 × 0.9938^60 × 1.012 per 1.73 m²
    expected = 142 * (0.8 / 0.7) ** -1.2 * 0.9938**60 * 1.012
    assert dosed["egfr_ckd_epi_2021_ml_min_173m2"].to_pylist() == [pytest.approx(expected)]


def test_a_kidney_column_beside_a_dose_joins_the_reasons_each_once():
    table = {
        "height_cm": [180, 10, 180, 10, 180],
        "weight_kg": [80, 80, None, None, 80],
        "age_years": [60, 60, 60, 17, 17],
        "sex": ["m"] * 5,
        "creatinine_mg_dl": [1.2] * 5,
    }
    dosed, rejects = Order("doxorubicin", "50 mg/m2").for_table(table, kidney_function="cockcroft-gault")
    assert dosed["row"].to_pylist() == [1]
    reasons = dict(zip(rejects["row"].to_pylist(), rejects["reason"].to_pylist()))
    assert reasons[2] == "height_cm=10 cm: expected 20-280 cm; did you mean 10 in?"  # the dose's alone
    assert reasons[3] == "weight_kg is missing"  # the dose's and the estimate's, once
    assert reasons[4].split("; ") == [
        "height_cm=10 cm: expected 20-280 cm",
        "did you mean 10 in?",
        "weight_kg is missing",
        "age_years=17 years: expected 18-120 years",
        "Cockcroft-Gault is for 18-120 years: use the bedside Schwartz formula (schwartz-bedside)",
    ]
    assert reasons[5].startswith("age_years=17 years: expected 18-120 years")  # the estimate's alone


def test_a_measured_gfr_per_173_m2_is_not_de_indexed_by_a_bsa_that_needs_the_sex():
    # Schlich's BSA is sex-specific; a measured GFR comes without a sex: the method is refused, not 'sex is required'
    order = Order("carboplatin", AUC5)
    with pytest.raises(ImplausibleInputError, match=r"^bsa_method=schlich: expected a BSA formula without sex"):
        order.for_patient(gfr="90 mL/min/1.73m2", height=165, weight=60, method="schlich")
    with pytest.raises(ImplausibleInputError, match=r"^bsa_method=schlich: expected a BSA formula without sex"):
        order.for_table({"gfr_ml_min_1_73m2": [90], "height_cm": [165], "weight_kg": [60]}, method="schlich")


# --- the equations, checked by hand on both sides of each branch ------------------------------


def test_ckd_epi_2021_below_and_at_kappa_by_hand():
    # Inker et al., N Engl J Med 2021;385:1737, doi:10.1056/NEJMoa2102953 (kidney.org states the same):
    # 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 [women]; κ 0.7/0.9, α −0.241/−0.302.
    # woman 40 y, 0.5 mg/dL: 142 × (0.5/0.7)^−0.241 × 0.9938^40 × 1.012 = 121.52
    # man 30 y, 0.7 mg/dL: 142 × (0.7/0.9)^−0.302 × 0.9938^30 = 127.12
    # at κ (woman 0.7, man 0.9), both powers are 1: 142 × 0.9938^60 (× 1.012)
    table = {"age_years": [40, 30, 60, 60], "sex": ["f", "m", "f", "m"], "creatinine_mg_dl": [0.5, 0.7, 0.7, 0.9]}
    estimated, rejects = kidney_table(table, "ckd-epi-2021")
    assert rejects.num_rows == 0
    assert estimated["egfr_ckd_epi_2021_ml_min_173m2"].to_pylist() == [
        pytest.approx(142 * (0.5 / 0.7) ** -0.241 * 0.9938**40 * 1.012, rel=1e-12),
        pytest.approx(142 * (0.7 / 0.9) ** -0.302 * 0.9938**30, rel=1e-12),
        pytest.approx(142 * 0.9938**60 * 1.012, rel=1e-12),
        pytest.approx(142 * 0.9938**60, rel=1e-12),
    ]
    assert [round(value, 2) for value in estimated["egfr_ckd_epi_2021_ml_min_173m2"].to_pylist()[:2]] == [
        121.52,
        127.12,
    ]


def test_cockcroft_gault_with_the_nccn_floor_and_calvert_at_the_fda_cap_by_hand():
    # Cockcroft & Gault, Nephron 1976;16:31: (140 − 70) × 60 / (72 × 0.7) × 0.85 = 70.83 mL/min at the NCCN floor
    # (0.7 mg/dL for a creatinine of 0.5; 99.17 mL/min without it); Calvert et al. 1989: AUC 5 × (70.83 + 25) = 479.2 mg
    patient = {"age_years": [70], "sex": ["f"], "weight_kg": [60], "creatinine_mg_dl": [0.5]}
    dosed, _ = Order("carboplatin", AUC5, creatinine_floor="nccn").for_table(patient)
    crcl = 70 * 60 / (72 * 0.7) * 0.85
    assert dosed["crcl_cockcroft_gault_ml_min"].to_pylist() == [pytest.approx(crcl, rel=1e-12)]
    assert dosed["creatinine_floor_applied"].to_pylist() == [True]
    assert dosed["final_dose_mg"].to_pylist() == [pytest.approx(5 * (crcl + 25), rel=1e-12)]
    # without the floor the estimate is 70 × 60 / 36 × 0.85 = 99.17 mL/min: 5 × (99.17 + 25) = 620.8 mg
    dosed, _ = Order("carboplatin", AUC5).for_table(patient)
    assert dosed["final_dose_mg"].to_pylist() == [pytest.approx(5 * (70 * 60 / 36 * 0.85 + 25), rel=1e-12)]
    # the FDA's cap, 125 mL/min (NCCN 2018): at AUC 1 and 10 the most is 1 × 150 = 150 mg and 10 × 150 = 1500 mg
    for auc, most in ((1, 150.0), (10, 1500.0)):
        dosed, _ = Order("carboplatin", f"{auc} mg/mL*min").for_table({"gfr_ml_min": [125.0, 200.0, 250.0]})
        assert dosed["final_dose_mg"].to_pylist() == [most] * 3


# --- a protocol file's amounts carry their unit -----------------------------------------------


@pytest.mark.parametrize(
    "entry", [{"max_dose": 700}, {"round_to": 10}, {"vials": [450, "150 mg"]}, {"dose": 5}, {"creatinine_floor": 0.7}]
)
def test_a_protocol_files_bare_amount_is_refused(entry):
    # the protocol schema asks for text with a unit: 'max_dose = 700' was read as 700 mg, a unit it never said
    with pytest.raises(UnitError, match="with a unit"):
        Order.from_entry({"drug": "carboplatin", "dose": AUC5, **entry})


def test_a_protocol_files_gfr_cap_may_be_a_number_in_ml_min():
    # the schema documents a plain gfr_cap in mL/min: 100 -> AUC 5 × (100 + 25) = 625 mg at most
    order = Order.from_entry({"drug": "carboplatin", "dose": AUC5, "gfr_cap": 100})
    assert order.for_patient(gfr=140).dose.m_as("mg") == 625.0


# --- a value per 1.73 m² is in its range too ---------------------------------------------------


def test_a_gfr_per_173_m2_above_250_is_reported_when_the_override_accepts_it():
    # 260 mL/min/1.73 m² × 1.4907 m² / 1.73 = 224.0 mL/min (Mosteller, 160 cm, 50 kg): refused without the
    # override; with it, reported outside the range although the absolute GFR lies inside
    table = {"gfr_ml_min_1_73m2": [260.0, 200.0], "height_cm": [160, 160], "weight_kg": [50, 50]}
    _, rejects = Order("carboplatin", AUC5).for_table(table)
    assert rejects["row"].to_pylist() == [1]
    dosed, _ = Order("carboplatin", AUC5, allow_outside_range=True).for_table(table)
    assert dosed["gfr_outside_range"].to_pylist() == [True, False]
    bsa = np.sqrt(160 * 50 / 3600)
    assert dosed["gfr_uncapped_ml_min"].to_pylist()[0] == pytest.approx(260 * bsa / 1.73, rel=1e-12)
    one = measured_gfr("260 mL/min/1.73m2", height=160, weight=50, allow_outside_range=True)
    assert bool(one.outside_range)


def test_an_egfr_per_173_m2_above_250_is_refused_though_its_absolute_value_is_not():
    # bedside Schwartz (2009): 0.413 × 150 / 0.24 = 258.1 mL/min/1.73 m², de-indexed by sqrt(150 × 30 / 3600) =
    # 1.118 m² to 166.8 mL/min: per 1.73 m² outside (0, 250], refused as a measured GFR of 258 per 1.73 m² is
    table = {"age_years": [10, 10], "height_cm": [150, 150], "weight_kg": [30, 30], "creatinine_mg_dl": [0.24, 0.5]}
    estimated, rejects = kidney_table(table, "schwartz-bedside")
    assert estimated["row"].to_pylist() == [2] and rejects["reason"].to_pylist()[0].startswith(
        "egfr (bedside Schwartz)=258.1 mL/min/1.73 m²: expected (0, 250] mL/min/1.73 m²"
    )
    with pytest.raises(ImplausibleInputError, match=r"=258\.1 mL/min/1\.73 m²"):
        kidney_function("schwartz-bedside", age=10, height=150, weight=30, serum_creatinine="0.24 mg/dL")
    estimated, _ = kidney_table(table, "schwartz-bedside", allow_outside_range=True)
    assert estimated["egfr_schwartz_bedside_outside_range"].to_pylist() == [True, False]
    assert estimated["egfr_schwartz_bedside_ml_min"].to_pylist()[0] == pytest.approx(
        0.413 * 150 / 0.24 * np.sqrt(150 * 30 / 3600) / 1.73, rel=1e-12
    )


@pytest.mark.parametrize("row_offset", [-1, 1.5, "3", True, None])
def test_a_row_offset_is_a_whole_number_of_rows(row_offset):
    # -1 numbered the first row 0; 1.5 and "3" failed inside Arrow and numpy, not with the field's name
    with pytest.raises(ImplausibleInputError, match="^row_offset="):
        Order("carboplatin", AUC5).for_table({"gfr_ml_min": [90.0]}, row_offset=row_offset)
    with pytest.raises(ImplausibleInputError, match="^row_offset="):
        kidney_table(
            {"age_years": [60], "sex": ["m"], "weight_kg": [70], "creatinine_mg_dl": [1.0]}, row_offset=row_offset
        )


def test_a_row_offset_may_be_a_numpy_integer():
    dosed, _ = Order("carboplatin", AUC5).for_table({"gfr_ml_min": [90.0]}, row_offset=np.int64(65_536))
    assert dosed["row"].to_pylist() == [65_537]


@pytest.mark.parametrize("gfr_cap", [None, "none", " None "])
def test_no_gfr_cap_is_written_alike_for_one_patient_and_an_order(gfr_cap):
    # Calvert (1989) without the cap: 5 × (140 + 25) = 825 mg, for carboplatin_dose as for an Order
    assert carboplatin_dose(auc=5, gfr=140, gfr_cap=gfr_cap).dose.m_as("mg") == 825.0
    assert Order("carboplatin", AUC5, gfr_cap=gfr_cap).for_patient(gfr=140).dose.m_as("mg") == 825.0


@pytest.mark.parametrize(
    ("dose", "shown"),
    [("0 mg/mL*min", "0 mg/mL·min"), ("11 mg·min/mL", "11 mg/mL·min"), (Q_(1, "mg*h/mL"), "60 mg/mL·min (1 mg·h/mL)")],
)
def test_an_auc_refused_is_shown_in_the_ranges_spelling(dose, shown):
    # one spelling in one line: the value as the range says it (1 mg·h/mL = 60 mg/mL·min), never 'mg·min/mL'
    with pytest.raises(ImplausibleInputError) as raised:
        Order("carboplatin", dose)
    assert str(raised.value) == f"dose={shown}: expected 1-10 mg/mL·min"
    with pytest.raises(ImplausibleInputError, match=r"^auc=0 mg/mL·min: expected 1-10 mg/mL·min$"):
        carboplatin_dose(auc=0, gfr=90)


# --- one spelling, and one dose per patient ----------------------------------------------------


def test_an_age_refused_is_said_in_years_as_its_range():
    # 'age_years=16 yr: expected 18-120 years' mixed pint's 'yr' with the range's 'years'; the scalar path says years
    table = {"age_years": [16], "sex": ["f"], "weight_kg": [55], "creatinine_mg_dl": [0.7]}
    _, rejects = kidney_table(table)
    assert rejects["reason"].to_pylist()[0].startswith("age_years=16 years: expected 18-120 years")
    with pytest.raises(ImplausibleInputError, match="^age=16 years: expected 18-120 years"):
        kidney_function("cockcroft-gault", age=16, sex="f", weight=55, serum_creatinine="0.7 mg/dL")


@pytest.mark.parametrize("name", ["dose_mg_per_m2", "dose_mg", "Dose (mg/m²)"])
def test_a_carboplatin_order_refuses_a_dose_column(name):
    # the order's AUC or the row's dose: which is the patient's? as for any order, one of them
    with pytest.raises(
        DoseCalcError, match=re.escape(f"a dose was given and the input has a dose column {name!r}; give one")
    ):
        Order("carboplatin", AUC5).for_table({"gfr_ml_min": [90.0], name: [75.0]})


def test_an_unnamed_order_writes_no_drug_column():
    # nothing to name (the command line's --dose): no column of nulls, which Parquet could not type from a null
    # dictionary; a named order writes its drug
    table = {"height_cm": [180], "weight_kg": [80], "age_years": [60], "sex": ["m"], "creatinine_mg_dl": [1.2]}
    dosed, _ = Order(None, "50 mg/m2").for_table(table, kidney_function="cockcroft-gault")
    assert "drug" not in dosed.column_names and dosed["final_dose_mg"].to_pylist() == [pytest.approx(100.0)]
    dosed, _ = Order("doxorubicin", "50 mg/m2").for_table(table)
    assert dosed["drug"].to_pylist() == ["doxorubicin"]


def test_a_creatinine_hint_writes_the_number_as_the_file_does():
    # 1,1 µmol/L is 0.0124 mg/dL: refused; 1,1 mg/dL is plausible, said with the file's decimal comma
    table = {"age_years": ["60"], "sex": ["m"], "weight_kg": ["80"], "creatinine_umol_l": ["1,1"]}
    _, rejects = kidney_table(table, decimal_comma=True)
    assert rejects["reason"].to_pylist()[0].endswith("; did you mean 1,1 mg/dL?")
    _, rejects = kidney_table({**table, "creatinine_umol_l": ["1.1"]})
    assert rejects["reason"].to_pylist()[0].endswith("; did you mean 1.1 mg/dL?")


def test_two_sex_columns_are_ambiguous():
    # 'sex' and 'Sex' read alike: the first was taken, and Cockcroft-Gault differs by 15 % between them
    table = {"age_years": [60], "sex": ["m"], "Sex": ["f"], "weight_kg": [70], "creatinine_mg_dl": [1.0]}
    with pytest.raises(DoseCalcError, match="several sex columns: sex, Sex"):
        kidney_table(table)
    with pytest.raises(DoseCalcError, match="several sex columns: sex, Sex"):
        Order("carboplatin", AUC5).for_table(table)
    estimated, _ = kidney_table(table, column_map={"sex": "Sex"})
    # mapped: the woman's, (140 − 60) × 70 / 72 × 0.85 = 66.11 mL/min
    assert estimated["crcl_cockcroft_gault_ml_min"].to_pylist() == [pytest.approx(80 * 70 / 72 * 0.85)]


def test_an_unknown_bsa_method_is_refused_by_an_order_that_does_not_use_it():
    # a measured GFR in mL/min needs no BSA; 'mostellar' is still a typo, never passed over
    order = Order("carboplatin", AUC5)
    with pytest.raises(UnknownNameError, match="mostellar"):
        order.for_patient(gfr=90, method="mostellar")
    with pytest.raises(UnknownNameError, match="mostellar"):
        order.for_table({"gfr_ml_min": [90.0]}, method="mostellar")


@pytest.mark.parametrize(
    "column", ["crcl_ml_min", "CrCl (mL/min)", "clcr_ml_min", "egfr", "eGFR (mL/min/1.73m2)", "measured_gfr_ml_min"]
)
def test_a_kidney_function_column_the_dose_would_not_read_is_refused(column):
    # the file's CrCl of 30 mL/min was passed by while Cockcroft-Gault gave 66.1 mL/min: 5 × (66.1 + 25) = 455.6 mg
    # instead of the 5 × (30 + 25) = 275 mg the file's value means (Calvert 1989)
    table = {"age_years": [60], "sex": ["f"], "weight_kg": [70.0], "creatinine_mg_dl": [1.0], column: [30.0]}
    with pytest.raises(
        DoseCalcError, match=f"^column {re.escape(repr(column))} looks like the patients' kidney function"
    ):
        Order("carboplatin", AUC5).for_table(table)
    with pytest.raises(DoseCalcError, match="it reads 'gfr_ml_min'"):
        Order("carboplatin", AUC5).for_table({"gfr_ml_min": [90.0], column: [30.0]})
    # a dose that reads no kidney function passes the column by, as any other
    dosed, _ = Order(None, "75 mg/m2").for_table({"height_cm": [170.0], "weight_kg": [70.0], column: [30.0]})
    assert dosed[column].to_pylist() == [30.0]


# --- a height and weight that describe no body, on the kidney's paths ------------------------------------

NO_BODIES = {"height_cm": [55.0, 100.0, 165.0], "weight_kg": [30.0, 150.0, 60.0]}  # BMI 99, 150; 22 kg/m²


def test_a_height_and_weight_that_describe_no_body_are_refused_wherever_both_are_read():
    # 55 cm with 30 kg (BMI 99: inches typed as cm) is refused by dose and bsa; by every kidney path too
    no_body = r"^height, weight=55 cm, 30 kg \(BMI 99.2 kg/m²\): expected a body"
    patient = {"age": 55, "sex": "f", "serum_creatinine": "1 mg/dL"}
    with pytest.raises(ImplausibleInputError, match=no_body):
        kidney_function("ckd-epi-2021", **patient, height="55 cm", weight="30 kg")  # its de-indexing BSA
    with pytest.raises(ImplausibleInputError, match=no_body):
        carboplatin_dose(auc=AUC5, gfr="90 mL/min/1.73m2", height="55 cm", weight="30 kg")
    with pytest.raises(ImplausibleInputError, match=r"^height, weight=100 cm, 150 kg .*swapped"):
        kidney_function("cockcroft-gault", **patient, height="100 cm", weight="150 kg", weight_basis="lean")
    # the table refuses those rows with the same words, and doses the third (CKD-EPI 2021 de-indexed by its BSA)
    table = pa.table(NO_BODIES | {"age_years": [55] * 3, "sex": ["f"] * 3, "creatinine_mg_dl": [1.0] * 3})
    dosed, rejects = Order("carboplatin", AUC5, policy="addikd").for_table(table)
    assert rejects["row"].to_pylist() == [1, 2]
    assert rejects["reason"][0].as_py().startswith("height, weight=55 cm, 30 kg (BMI 99.2 kg/m²): expected a body")
    one = carboplatin_dose(auc=AUC5, policy="addikd", **patient, height="165 cm", weight="60 kg")
    assert dosed["final_dose_mg"].to_pylist() == [pytest.approx(one.dose.m_as("mg"))]
    estimated = kidney_table(table, "cockcroft-gault", weight_basis="lean")
    assert estimated.rejects["row"].to_pylist() == [1, 2]


def test_verification_and_a_plan_refuse_a_patient_who_is_no_body():
    from dosecalc.protocol import load_protocol
    from dosecalc.verify import verify
    from dosecalc.verify_table import verify_table

    protocol = load_protocol("carboplatin-paclitaxel")
    patient = {"sex": "f", "age": 60, "creatinine": "1.0 mg/dL"}
    # its carboplatin AUC reads no height: the patient's measurements are checked as one body all the same
    with pytest.raises(ImplausibleInputError, match=r"^height, weight=55 cm, 30 kg"):
        verify(protocol, {"carboplatin": "300 mg"}, height="55 cm", weight="30 kg", **patient)
    with pytest.raises(ImplausibleInputError, match=r"^height, weight=55 cm, 30 kg"):
        protocol.for_patient(height="55 cm", weight="30 kg", **patient)
    orders = pa.table(
        {"drug": ["carboplatin"] * 3, "ordered_mg": [300.0] * 3, "age_years": [60] * 3, "sex": ["f"] * 3}
        | {"creatinine_mg_dl": [1.0] * 3}
        | NO_BODIES
    )
    result = verify_table(protocol, orders)
    assert result.rejected["row"].to_pylist() == [1, 2]
    assert result.checked["row"].to_pylist() == [3]


def test_a_plan_with_a_carboplatin_order_by_addikd_shows_the_bsa_that_de_indexed_its_gfr(tmp_path):
    # the BSA of a carboplatin dose has no cap: the schedule takes it as it is (a crash before)
    path = tmp_path / "t.toml"
    path.write_text(
        'name = "T"\ncycle_days = 21\ncycles = 2\n'
        '[[order]]\ndrug = "carboplatin"\ndose = "5 mg/mL*min"\ndays = [1]\npolicy = "addikd"\n'
    )
    protocol = read_protocol(path)
    schedule = protocol.for_patient(height="165 cm", weight="70 kg", age=60, sex="f", creatinine="1 mg/dL")
    # Mosteller (1987): sqrt(165 × 70 / 3600) m²
    assert schedule.bsa.m_as("m**2") == pytest.approx((165 * 70 / 3600) ** 0.5)
