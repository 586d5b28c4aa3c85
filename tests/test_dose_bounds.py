"""
The lower bounds of doses, maximum doses, rounding steps and carboplatin GFRs, and the deviation limit of
dose bands.

Mosteller's BSA (Mosteller RD. N Engl J Med 1987;317:1098) of 170 cm and 70 kg is
sqrt(170 × 70 / 3600) = 1.818118... m²; the Calvert dose (Calvert AH et al. J Clin Oncol 1989;7:1748)
is AUC × (GFR + 25) mg.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow.csv as pacsv
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_cli_cohort_orders import run, write

import dosecalc
from dosecalc.adjustments import (
    BAND_DEVIATION,
    DEFAULT_BAND_DEVIATION_PCT,
    band_dose,
    band_table,
    cap_dose,
    read_band_table,
    round_dose,
)
from dosecalc.carboplatin import GFR, MIN_GFR_ML_MIN, carboplatin_dose
from dosecalc.doses import DOSE_RANGES, FLAT, MIN_DOSE, PER_KG, PER_M2, UNITS_PER_M2, read_dose
from dosecalc.errors import ImplausibleInputError
from dosecalc.validation import HEIGHT

# Mosteller 1987: the BSA of 170 cm, 70 kg, by hand
BSA_170_70 = math.sqrt(170 * 70 / 3600)
PATIENTS = "patient_id,height_cm,weight_kg\nA,170,70\nB,160,60\n"


def error_line(result) -> str:
    """The one line of a refusal (exit 2)."""
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    return line


# --- the ranges as they read ----------------------------------------------------------------------


def test_dose_ranges_read_as_intervals_with_their_lower_bound():
    assert MIN_DOSE == 1e-9
    assert DOSE_RANGES[PER_M2].expected == "[1e-09, 50000] mg/m²"
    assert DOSE_RANGES[PER_KG].expected == "[1e-09, 5000] mg/kg"
    assert DOSE_RANGES[FLAT].expected == "[1e-09, 200000] mg"
    assert DOSE_RANGES[UNITS_PER_M2].expected == "[1e-09, 1e+08] units/m²"
    # a bound without an exponent reads as before
    assert HEIGHT.expected == "20-280 cm"
    assert GFR.expected == "1-250 mL/min"


# --- a single dose --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dose, message",
    [
        # a subnormal double is shown as typed, not as 9.99988867182683e-321
        ("1e-320 mg/m2", "dose=1e-320 mg/m²: expected [1e-09, 50000] mg/m²"),
        ("1e-300 mg/m2", "dose=1e-300 mg/m²: expected [1e-09, 50000] mg/m²"),
        ("9.9e-10 mg/kg", "dose=9.9e-10 mg/kg: expected [1e-09, 5000] mg/kg"),
        ("1e-10 mg", "dose=1e-10 mg: expected [1e-09, 200000] mg"),
        ("0 mg/m2", "dose=0 mg/m²: expected [1e-09, 50000] mg/m²"),
    ],
)
def test_an_absurdly_small_dose_is_refused(dose, message):
    with pytest.raises(ImplausibleInputError) as refused:
        dosecalc.patient_dose(dose, height=170, weight=70)
    assert str(refused.value) == message


def test_a_dose_in_units_below_the_bound_is_refused():
    with pytest.raises(ImplausibleInputError) as refused:
        read_dose("1e-10 units/m2", allowed=(UNITS_PER_M2,))
    assert str(refused.value) == "dose=1e-10 units/m²: expected [1e-09, 1e+08] units/m²"


def test_the_smallest_doses_are_dosed():
    # 1 pg/m² × 1.818118 m² (Mosteller 1987) and 1 pg/kg × 70 kg, by hand
    per_m2 = dosecalc.patient_dose("1e-9 mg/m^2", height=170, weight=70)
    assert per_m2.dose.m_as("mg") == pytest.approx(1e-9 * BSA_170_70, rel=1e-12)
    assert per_m2.dose.m_as("mg") == pytest.approx(1.818118685772619e-9, rel=1e-12)
    per_kg = dosecalc.patient_dose("1e-9 mg/kg", height=170, weight=70)
    assert per_kg.dose.m_as("mg") == pytest.approx(7e-8, rel=1e-12)
    assert read_dose("1e-9 units/m2", allowed=(UNITS_PER_M2,))[0] == 1e-9


def test_cli_dose_refuses_an_absurdly_small_dose():
    line = error_line(run("dose", "1e-300 mg/m2", "--height", "170cm", "--weight", "70kg"))
    assert line == "error: DOSE '1e-300 mg/m2': expected [1e-09, 50000] mg/m²"  # as typed


@given(st.floats(min_value=MIN_DOSE, max_value=50_000.0))
def test_a_dose_in_the_range_scales_with_the_bsa(dose_mg_m2):
    result = dosecalc.patient_dose(dosecalc.Q_(dose_mg_m2, "mg/m**2"), height=170, weight=70)
    assert result.dose.m_as("mg") / dose_mg_m2 == pytest.approx(BSA_170_70, rel=1e-12)
    assert result.bsa.m_as("m**2") == pytest.approx(1.818118685772619, rel=1e-12)


# --- maximum dose and rounding step ---------------------------------------------------------------


def test_a_maximum_dose_or_a_step_below_the_bound_is_refused():
    with pytest.raises(ImplausibleInputError) as refused:
        cap_dose("136 mg", max_dose="1e-300 mg")
    assert str(refused.value) == "max_dose=1e-300 mg: expected [1e-09, 200000] mg"
    with pytest.raises(ImplausibleInputError) as refused:
        round_dose("136 mg", step="1e-300 mg")
    assert str(refused.value) == "step=1e-300 mg: expected [1e-09, 200000] mg"


def test_a_maximum_dose_and_a_step_at_the_bound_are_accepted():
    assert cap_dose("1e-9 mg", max_dose="1e-9 mg").capped.m_as("mg") == 1e-9  # a maximum at the bound is one
    # 1.818118... µg to steps of 1 pg: 1818 steps, -0.0065 %, within ±5 %
    rounded = round_dose(f"{1e-6 * BSA_170_70!r} mg", step="1e-9 mg")
    assert rounded.rounded.m_as("mg") == pytest.approx(1.818e-6, rel=1e-12)


@pytest.mark.parametrize(
    "option, message",
    [
        (("--max-dose", "1e-300mg"), "error: --max-dose 1e-300 mg: expected [1e-09, 200000] mg"),
        (("--round-to", "1e-300mg"), "error: --round-to 1e-300 mg: expected [1e-09, 200000] mg"),
    ],
)
def test_cohort_refuses_a_cap_or_step_below_the_bound(tmp_path, option, message):
    source = write(tmp_path, "base.csv", PATIENTS)
    line = error_line(run("cohort", source, "-o", tmp_path / "out.csv", "--dose", "75mg/m2", *option))
    assert line == message
    assert not (tmp_path / "out.csv").exists()


# --- the cohort: one dose, and a dose per row -----------------------------------------------------


@pytest.mark.parametrize("dose", ["1e-320 mg/m2", "1e-300 mg/m2"])
def test_cohort_refuses_an_absurdly_small_dose(tmp_path, dose):
    source = write(tmp_path, "base.csv", PATIENTS)
    line = error_line(run("cohort", source, "-o", tmp_path / "out.csv", "--dose", dose))
    assert line == f"error: --dose {dose.split()[0]} mg/m²: expected [1e-09, 50000] mg/m²"


def test_cohort_rejects_a_row_whose_dose_cell_is_below_the_bound(tmp_path):
    text = "patient_id,height_cm,weight_kg,dose_mg_m2\nA,170,70,1e-9\nC,160,60,1e-320\n"
    source = write(tmp_path, "pd.csv", text)
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    result = run("cohort", source, "-o", out, "--rejects", rejects)
    assert result.exit_code == 3, result.output  # some rows rejected
    (dosed,) = pacsv.read_csv(out).to_pylist()
    assert dosed["patient_id"] == "A"
    assert dosed["dose_mg"] == pytest.approx(1e-9 * BSA_170_70, rel=1e-12)
    (rejected,) = pacsv.read_csv(rejects).to_pylist()
    assert rejected["patient_id"] == "C"
    assert rejected["reason"] == "dose_mg_m2=1e-320 mg/m²: expected [1e-09, 50000] mg/m²"


def test_dose_table_rejects_a_flat_dose_cell_below_the_bound():
    table = {"patient_id": ["A", "B"], "height_cm": [170, 160], "weight_kg": [70, 60], "dose_mg": [1e-300, 100.0]}
    dosed, rejects = dosecalc.dose_table(table, None)
    assert dosed["patient_id"].to_pylist() == ["B"]
    assert dosed["dose_mg"].to_pylist() == [100.0]
    assert rejects["reason"].to_pylist() == ["dose_mg=1e-300 mg: expected [1e-09, 200000] mg"]


# --- carboplatin ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "gfr, message",
    [
        (1e-300, "gfr=1e-300 mL/min: expected 1-250 mL/min"),
        ("0.5 mL/min", "gfr=0.5 mL/min: expected 1-250 mL/min"),
        # shown to the digits that put it below 1 mL/min
        ("0.9999995 mL/min", "gfr=0.9999995 mL/min: expected 1-250 mL/min"),
    ],
)
def test_a_gfr_below_one_ml_min_is_refused(gfr, message):
    with pytest.raises(ImplausibleInputError) as refused:
        carboplatin_dose(auc=5, gfr=gfr)
    assert str(refused.value) == message


def test_a_gfr_below_the_minimum_is_refused_even_with_the_override():
    with pytest.raises(ImplausibleInputError) as refused:
        carboplatin_dose(auc=5, gfr=1e-300, allow_outside_range=True)
    assert str(refused.value) == "gfr=1e-300 mL/min: expected at least 1 mL/min"


def test_an_estimated_clearance_below_the_minimum_is_refused():
    # Cockcroft & Gault (Nephron 1976;16:31): (140 - 120) × 20 kg / (72 × 20 mg/dL) × 0.85 = 0.236111 mL/min
    with pytest.raises(ImplausibleInputError) as refused:
        carboplatin_dose(auc=5, age=120, weight=20, sex="f", serum_creatinine="20 mg/dL")
    assert str(refused.value) == "crcl (Cockcroft-Gault)=0.236111 mL/min: expected 1-250 mL/min"


def test_a_gfr_cap_below_the_minimum_is_refused():
    with pytest.raises(ImplausibleInputError) as refused:
        carboplatin_dose(auc=5, gfr=60, gfr_cap=1e-300)
    assert str(refused.value) == "gfr_cap=1e-300 mL/min: expected 1-250 mL/min"


def test_a_gfr_of_one_ml_min_is_dosed():
    # Calvert 1989: 5 × (1 + 25) = 130 mg
    assert MIN_GFR_ML_MIN == 1.0
    assert carboplatin_dose(auc=5, gfr=1).dose.m_as("mg") == 130.0
    assert carboplatin_dose(auc=5, gfr="1.0001 mL/min").dose.m_as("mg") == pytest.approx(130.0005, rel=1e-12)


def test_cohort_refuses_a_gfr_cap_below_the_minimum(tmp_path):
    source = write(tmp_path, "g.csv", "patient_id,gfr_ml_min\nA,60\nB,100\n")
    line = error_line(
        run("cohort", source, "-o", tmp_path / "out.csv", "--carboplatin-auc", "5", "--gfr-cap", "1e-300")
    )
    assert line == "error: --gfr-cap 1e-300 mL/min: expected 1-250 mL/min"


def test_cohort_rejects_a_row_whose_gfr_is_below_the_minimum(tmp_path):
    source = write(tmp_path, "g.csv", "patient_id,gfr_ml_min\nA,60\nB,1e-300\nC,0.9999995\n")
    out, rejected = tmp_path / "out.csv", tmp_path / "rejected.csv"
    result = run("cohort", source, "-o", out, "--rejects", rejected, "--carboplatin-auc", "5")
    assert result.exit_code == 3, result.output  # some rows rejected
    # Calvert 1989: 5 × (60 + 25) = 425 mg; B and C are refused as carboplatin_dose refuses them
    assert pacsv.read_csv(out).column("dose_mg").to_pylist() == [425.0]
    assert pacsv.read_csv(rejected).column("reason").to_pylist() == [
        "gfr_ml_min=1e-300 mL/min: expected 1-250 mL/min",
        "gfr_ml_min=0.9999995 mL/min: expected 1-250 mL/min",
    ]


def test_a_table_rejects_an_estimated_clearance_below_the_minimum_as_one_patient_is_refused():
    # Cockcroft & Gault (Nephron 1976;16:31): (140 - 120) × 20 kg / (72 × 20 mg/dL) × 0.85 = 0.236111 mL/min;
    # (140 - 60) × 70 / (72 × 1) = 77.78 mL/min, 5 × (77.78 + 25) = 513.89 mg
    order = dosecalc.Order("carboplatin", "5 mg/mL*min", formula="cockcroft_gault", allow_outside_range=True)
    table = {"age_years": [60, 120], "weight_kg": [70, 20], "sex": ["m", "f"], "creatinine_mg_dl": [1.0, 20.0]}
    dosed, rejects = order.for_table(table)
    assert dosed.column("dose_mg").to_pylist() == pytest.approx([5 * (80 * 70 / 72 + 25)], rel=1e-12)
    assert rejects.column("reason").to_pylist() == [
        "crcl (Cockcroft-Gault)=0.236111 mL/min: expected at least 1 mL/min"
    ]


@given(gfr=st.floats(1e-320, 3.0))
def test_the_table_and_one_patient_agree_about_a_gfr_near_the_minimum(gfr):
    order = dosecalc.Order("carboplatin", "5 mg/mL*min")
    dosed, rejects = order.for_table({"gfr_ml_min": [gfr]})
    try:
        expected = order.for_patient(gfr=gfr).dose.m_as("mg")
    except ImplausibleInputError as refused:
        assert rejects.column("reason").to_pylist() == [str(refused).replace("gfr=", "gfr_ml_min=", 1)]
    else:
        assert dosed.column("dose_mg").to_pylist() == [expected]


# --- dose bands -----------------------------------------------------------------------------------

# a band 1700-1900 mg given as 1850 mg: +8.8 % at 1700 mg (within the table's 10 %), -2.6 % at 1900 mg
B1 = [{"lower": "1700 mg", "upper": "1900 mg", "dose": "1850 mg", "name": "B1"}]


def test_the_band_deviation_is_nice_ktt22s():
    # NICE KTT22: bands within 6 % of the calculated dose (standard chemotherapy), 10 % (biological drugs)
    assert DEFAULT_BAND_DEVIATION_PCT == 6.0
    assert BAND_DEVIATION.high == 10.0
    assert band_table(B1).deviation_pct == 6.0


def test_a_band_table_whose_band_dose_is_far_from_its_band_is_refused(tmp_path):
    path = write(tmp_path, "bb.csv", "lower_mg,upper_mg,dose_mg\n1150,2450,1800\n")
    with pytest.raises(ImplausibleInputError) as refused:
        read_band_table(path)
    # (1800 - 1150) / 1150 = +56.5 %
    assert str(refused.value) == (
        "bb.csv row 1 dose=1800 mg: expected a dose within ±10 % of every dose of its band, 1150-2450 mg; "
        "it is +56.5 % from 1150 mg"
    )
    # (1850 - 2450) / 2450 = -24.5 %, from the band's upper bound
    with pytest.raises(ImplausibleInputError, match=r"it is -24\.5 % from 2450 mg$"):
        band_table([{"lower_mg": "1700", "upper_mg": "2450", "dose_mg": "1850"}])


def test_a_band_dose_ten_percent_from_its_bounds_is_accepted():
    # 1100 mg is +10 % from 1000 mg and -8.3 % from 1200 mg; 1101 mg is +10.1 %
    assert band_table([{"lower_mg": "1000", "upper_mg": "1200", "dose_mg": "1100"}]).dose_mg.tolist() == [1100.0]
    with pytest.raises(ImplausibleInputError, match=r"it is \+10\.1 % from 1000 mg$"):
        band_table([{"lower_mg": "1000", "upper_mg": "1200", "dose_mg": "1101"}])


def test_cohort_refuses_the_band_table_of_a_band_that_moves_a_dose_by_a_quarter(tmp_path):
    bands = write(tmp_path, "bb.csv", "lower_mg,upper_mg,dose_mg\n1150,2450,1800\n")
    source = write(tmp_path, "bd.csv", "patient_id,height_cm,weight_kg\nA,170,70\nB,190,110\n")
    line = error_line(run("cohort", source, "-o", tmp_path / "out.csv", "--dose", "1000mg/m2", "--bands", bands))
    assert line.startswith("error: --bands ")
    assert line.endswith(
        "bb.csv row 1 dose=1800 mg: expected a dose within ±10 % of every dose of its band, 1150-2450 mg; "
        "it is +56.5 % from 1150 mg"
    )
    assert not (tmp_path / "out.csv").exists()


def test_a_dose_its_band_moves_beyond_the_deviation_is_not_banded():
    # 166 cm, 64 kg: Mosteller sqrt(166 × 64 / 3600) = 1.717880 m², 1717.88 mg at 1000 mg/m²;
    # 1850 mg is (1850 - 1717.88) / 1717.88 = +7.69 %, beyond ±6 %
    calculated = 1000 * math.sqrt(166 * 64 / 3600)
    with pytest.raises(ImplausibleInputError) as refused:
        band_dose(f"{calculated!r} mg", band_table(B1))
    assert str(refused.value) == (
        "dose=1717.88 mg: expected a dose within ±6 % of its band's dose (band table bands); "
        "band B1 gives 1850 mg, +7.69 %: not banded"
    )
    # within ±10 % when the table allows it
    banded = band_dose(f"{calculated!r} mg", band_table(B1, deviation_pct=10))
    assert banded.banded.m_as("mg") == 1850.0
    assert float(banded.deviation_pct) == pytest.approx((1850 - calculated) / calculated * 100, rel=1e-12)
    assert float(banded.deviation_pct) == pytest.approx(7.690885, rel=1e-6)


def test_a_dose_within_the_deviation_is_banded():
    # 170 cm, 70 kg: 1818.12 mg (Mosteller 1987); 1850 mg is +1.754 %
    banded = band_dose(f"{1000 * BSA_170_70!r} mg", band_table(B1))
    assert banded.banded.m_as("mg") == 1850.0
    assert float(banded.deviation_pct) == pytest.approx((1850 / (1000 * BSA_170_70) - 1) * 100, rel=1e-12)
    assert banded.band == "B1"


def test_a_deviation_just_beyond_the_limit_is_shown_beyond_it():
    # 1745.28 mg: (1850 - 1745.28) / 1745.28 = +6.0002 %: "+6.00" would read as within
    with pytest.raises(ImplausibleInputError, match=r"band B1 gives 1850 mg, \+6\.0002 %: not banded$"):
        band_dose("1745.28 mg", band_table(B1))
    assert float(band_dose("1745.3 mg", band_table(B1)).deviation_pct) == pytest.approx(5.99897, rel=1e-5)


def test_the_band_deviation_setting_is_checked():
    with pytest.raises(ImplausibleInputError) as refused:
        band_table(B1, deviation_pct=11)
    assert str(refused.value) == "band_deviation_pct=11 %: expected (0, 10] %"


def test_cli_dose_refuses_a_dose_its_band_moves_beyond_the_deviation(tmp_path):
    bands = write(tmp_path, "b1.csv", "lower_mg,upper_mg,dose_mg,name\n1700,1900,1850,B1\n")
    line = error_line(run("dose", "1000mg/m2", "--height", "166cm", "--weight", "64kg", "--bands", bands))
    assert line.endswith(
        "1717.88 mg: expected a dose within ±6 % of its band's dose (band table b1.csv); "
        "band B1 gives 1850 mg, +7.69 %: not banded"
    )


def test_apply_gives_the_band_and_the_reason_of_each_dose():
    banding = band_table(B1).apply(np.array([1000.0, 1717.88, 1818.12]))
    assert banding.band.tolist() == [-1, 0, 0]
    assert banding.fits.tolist() == [False, False, True]
    assert banding.banded_mg[1:].tolist() == [1850.0, 1850.0]
    assert math.isnan(banding.banded_mg[0])
    assert banding.refusals == [
        ("1000 mg", "a dose in the band table bands, 1700-1900 mg", None),
        (
            "1717.88 mg",
            "a dose within ±6 % of its band's dose (band table bands)",
            "band B1 gives 1850 mg, +7.69 %: not banded",
        ),
    ]


@given(weight_kg=st.floats(40, 120), height_cm=st.floats(150, 200))
def test_the_cohort_bands_a_dose_as_band_dose_does(weight_kg, height_cm):
    # one table, one patient: banded alike, or refused with the same words
    table = band_table(B1)
    dosed, rejects = dosecalc.dose_table(
        {"height_cm": [height_cm], "weight_kg": [weight_kg]}, "1000 mg/m^2", bands=table
    )
    calculated = 1000 * math.sqrt(height_cm * weight_kg / 3600)  # Mosteller 1987
    try:
        banded = band_dose(f"{calculated!r} mg", table)
    except ImplausibleInputError as refused:
        assert rejects.column("reason").to_pylist() == [str(refused).replace("dose=", "dose_mg=", 1)]
    else:
        assert dosed.column("dose_banded_mg").to_pylist() == [banded.banded.m_as("mg")]
        assert dosed.column("band_deviation_pct").to_pylist() == pytest.approx([float(banded.deviation_pct)])
