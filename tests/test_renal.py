"""Creatinine clearance by Cockcroft-Gault, with serum creatinine in mg/dL or µmol/L, a weight basis and a floor."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosecalc import Q_
from dosecalc.errors import (
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)
from dosecalc.renal import (
    SERUM_CREATININE,
    crcl_cockcroft_gault,
    creatinine_mg_dl,
    kidney_function,
    serum_creatinine_mg_dl,
)
from dosecalc.validation import valid

# 1 mg/dL of creatinine (113.12 g/mol) in µmol/L: 10 mg/L / 113.12 g/mol
UMOL_L_PER_MG_DL = 10_000 / 113.12


def ml_min(quantity):
    return quantity.m_as("mL/min")


def crcl(age=60, weight=80, sex="m", serum_creatinine="1.2 mg/dL"):
    return crcl_cockcroft_gault(age=age, weight=weight, sex=sex, serum_creatinine=serum_creatinine)


# --- worked examples ------------------------------------------------------------


@pytest.mark.parametrize(
    "age, weight_kg, sex, creatinine, expected",
    [
        # Cockcroft & Gault, Nephron 1976;16:31, doi:10.1159/000180580: (140 - A) W / (72 SCr), × 0.85 for women.
        # Worked by hand: (140 - 60) × 80 / (72 × 1.2) = 6400 / 86.4
        (60, 80, "male", "1.2 mg/dL", 74.07),
        # (140 - 45) × 65 / (72 × 0.9) × 0.85 = 6175 / 64.8 × 0.85
        (45, 65, "female", "0.9 mg/dL", 81.00),
        # (140 - 65) × 70 / (72 × 1.4) = 5250 / 100.8
        (65, 70, "male", "1.4 mg/dL", 52.08),
        # clinPK test suite (tests/testthat/test_calc_carboplatin_calvert.R), its Cockcroft-Gault step:
        # 90 × 70 / (72 × 1.1) = 79.545
        (50, 70, "male", "1.1 mg/dL", 79.55),
        # transplantr test suite (tests/testthat/test_egfr.R): cockcroft(creat = 88.4, age = 25, sex = "F",
        # weight = 60) -> 81.46; by hand 115 × 60 / 72 × 0.85 = 81.458
        (25, 60, "female", "88.4 µmol/L", 81.46),
    ],
)
def test_worked_examples(age, weight_kg, sex, creatinine, expected):
    assert round(ml_min(crcl(age, weight_kg, sex, creatinine)), 2) == expected


def test_si_units():
    # the SI form divides µmol/L by 88.4 (Cockcroft-Gault as used with SI creatinine): 106.1 µmol/L ≈ 1.2 mg/dL
    assert round(ml_min(crcl(serum_creatinine="106.1 µmol/L")), 1) == 74.1
    assert round(ml_min(crcl(serum_creatinine=Q_(0.1061, "mmol/L"))), 1) == 74.1


def test_creatinine_conversion_by_molar_mass():
    # 1 mg/dL = 10 mg/L ÷ 113.12 g/mol = 88.40 µmol/L, the clinical factor 88.4
    assert serum_creatinine_mg_dl("88.4 umol/L") == pytest.approx(1.0, abs=1e-4)
    assert serum_creatinine_mg_dl(Q_(UMOL_L_PER_MG_DL, "umol/L")) == pytest.approx(1.0, rel=1e-12)
    assert round(UMOL_L_PER_MG_DL, 1) == 88.4


def test_unchecked_conversion_masks_rows():
    # the cohort path converts a column once and masks the implausible rows instead of raising
    values = creatinine_mg_dl(Q_(np.array([88.4, np.nan, 5000.0]), "umol/L"))
    assert values[0] == pytest.approx(1.0, abs=1e-4)
    assert valid(values, SERUM_CREATININE).tolist() == [True, False, False]
    with pytest.raises(UnitError, match="^serum_creatinine=1.2"):
        creatinine_mg_dl(1.2)


def test_women_are_085_of_men():
    # Cockcroft & Gault (1976): women 85 % of the men's estimate
    assert ml_min(crcl(sex="f")) == pytest.approx(0.85 * ml_min(crcl(sex="m")), rel=1e-15)


# --- scalars, arrays and units ----------------------------------------------------


def test_scalar_equals_array():
    ages, weights = np.array([60.0, 45.0, 90.0]), np.array([80.0, 65.0, 50.0])
    sex, creatinine = np.array(["m", "f", "female"]), Q_(np.array([1.2, 0.9, 2.5]), "mg/dL")
    both = crcl(ages, weights, sex, creatinine)
    for i in range(3):
        one = crcl(ages[i], weights[i], sex[i], creatinine[i])
        assert isinstance(one.magnitude, float)
        assert both.magnitude[i] == one.magnitude


@given(
    st.floats(min_value=18, max_value=120),
    st.floats(min_value=30, max_value=250),
    st.floats(min_value=0.11, max_value=19.9),  # off the bounds: a round trip through µmol/L may cross them
    st.sampled_from(["f", "m"]),
)
def test_unit_invariance_mg_dl_and_umol_l(age, weight_kg, creatinine_mg_dl, sex):
    # allow_outside_range: the invariance holds beyond the physiological range too
    by_mass = crcl_cockcroft_gault(
        age=age, weight=weight_kg, sex=sex, serum_creatinine=Q_(creatinine_mg_dl, "mg/dL"), allow_outside_range=True
    )
    by_amount = crcl_cockcroft_gault(
        age=Q_(age * 12, "month"),
        weight=Q_(weight_kg / 0.45359237, "lb"),
        sex=sex,
        serum_creatinine=Q_(creatinine_mg_dl * UMOL_L_PER_MG_DL, "umol/L"),
        allow_outside_range=True,
    )
    assert ml_min(by_amount) == pytest.approx(ml_min(by_mass), rel=1e-9)
    assert ml_min(by_mass) > 0


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize("bare", [1.2, 106, np.array([1.2, 0.9]), "1.2"])
def test_creatinine_without_unit_is_an_error(bare):
    with pytest.raises(UnitError, match="^serum_creatinine=.*(unit|no unit)"):
        crcl(serum_creatinine=bare)


@pytest.mark.parametrize("wrong", ["1.2 mg", "1.2 mg/kg", "1.2 mL/min"])
def test_creatinine_of_another_kind_is_an_error(wrong):
    # read by the grammar's creatinine kind: the message shows what a creatinine looks like
    with pytest.raises(UnitError, match="^serum_creatinine=.*mg/dL"):
        crcl(serum_creatinine=wrong)


@pytest.mark.parametrize("wrong", [Q_(1.2, "mg"), Q_(1.2, "mL/min")])
def test_creatinine_quantity_of_another_kind_is_an_error(wrong):
    with pytest.raises(UnitError, match="^serum_creatinine=.*concentration"):
        crcl(serum_creatinine=wrong)


@pytest.mark.parametrize(
    "creatinine, shown",
    [
        ("25 mg/dL", "25 mg/dL"),
        ("0.05 mg/dL", "0.05 mg/dL"),
        ("88 mg/dL", "88 mg/dL"),  # µmol/L typed as mg/dL: the range in µmol/L is in the message
        ("2000 umol/L", r"2000 µmol/L \(22.6 mg/dL\)"),
        (Q_(float("nan"), "mg/dL"), "nan mg/dL"),
        (Q_(-1, "mg/dL"), "-1 mg/dL"),
    ],
)
def test_implausible_creatinine(creatinine, shown):
    with pytest.raises(ImplausibleInputError, match=rf"^serum_creatinine={shown}.*0\.1-20 mg/dL \(8\.85-1768 µmol/L\)"):
        crcl(serum_creatinine=creatinine)


@pytest.mark.parametrize(
    "creatinine, hint",
    [
        # mg/dL and µmol/L are 88.4 apart: a number implausible in its unit but plausible in the other is the slip
        ("1.2 umol/L", "did you mean 1.2 mg/dL?"),
        ("106 mg/dL", "did you mean 106 µmol/L?"),
        (Q_(88, "mg/dL"), "did you mean 88 µmol/L?"),
    ],
)
def test_swapped_creatinine_units_are_hinted(creatinine, hint):
    with pytest.raises(ImplausibleInputError, match=f"; {re.escape(hint)}$"):
        crcl(serum_creatinine=creatinine)


def test_no_hint_where_no_unit_fits():
    with pytest.raises(ImplausibleInputError) as err:
        crcl(serum_creatinine="2000 umol/L")  # 22.6 mg/dL, and 2000 mg/dL is no creatinine either
    assert err.value.hint is None


@pytest.mark.parametrize("age", [121, 150, 12, 0, -5, float("nan")])
def test_implausible_age(age):
    # over 120 years is implausible; under 18 Cockcroft-Gault (derived in adults) does not apply
    with pytest.raises(ImplausibleInputError, match="^age=.*expected 18-120 years"):
        crcl(age=age)


def test_a_child_is_sent_to_the_bedside_schwartz_formula():
    with pytest.raises(ImplausibleInputError, match=r"^age=12 years: expected 18-120 years; .*\(schwartz-bedside\)"):
        crcl(age=12, weight=40)


# --- weight basis, floor and range of Cockcroft-Gault -------------------------------------------------


@pytest.mark.parametrize(
    "basis, weight_kg",
    [
        # a man of 5 ft 10 in (177.8 cm), 98 kg: Devine IBW 50 + 2.3 × 10 = 73 kg (Drug Intell Clin Pharm 1974;8:650);
        # adjusted 73 + 0.4 × 25 = 83 kg (NCCN Appendix B); lesser of 98 and 73 = 73 kg
        ("actual", 98.0),
        ("ideal", 73.0),
        ("adjusted", 83.0),
        ("lesser", 73.0),
        ("lesser of actual and ideal", 73.0),
    ],
)
def test_weight_basis(basis, weight_kg):
    # Cockcroft-Gault on that weight: (140 − 60) × W / (72 × 1.2) = W × 80 / 86.4
    height = None if basis == "actual" else 177.8  # the actual weight needs no height
    clearance = crcl_cockcroft_gault(
        age=60, weight=98, height=height, sex="m", serum_creatinine="1.2 mg/dL", weight_basis=basis
    )
    assert ml_min(clearance) == pytest.approx(weight_kg * 80 / 86.4, rel=1e-9)


def test_lesser_takes_the_actual_weight_below_ideal_and_ideal_reports_it():
    # a woman of 5 ft 4 in (162.56 cm): Devine IBW 45.5 + 2.3 × 4 = 54.7 kg; she weighs 48 kg
    args = {"age": 70, "weight": 48, "height": 162.56, "sex": "f", "serum_creatinine": "1.0 mg/dL"}
    lesser = kidney_function("cockcroft_gault", weight_basis="lesser", **args)
    assert lesser.dosing_weight.m_as("kg") == 48.0
    assert lesser.ideal_above_actual is True
    ideal = kidney_function("cockcroft_gault", weight_basis="ideal", **args)
    assert ideal.dosing_weight.m_as("kg") == pytest.approx(54.7)  # kept, as before, but reported
    assert ideal.ideal_above_actual is True
    assert "Devine" in ideal.to_dict()["weight_basis_reference"]
    assert "Pharmacotherapy 2012" in lesser.to_dict()["weight_basis_reference"]
    # (140 − 70) × 54.7 / 72 × 0.85 = 45.20 mL/min on the ideal weight, 39.67 on the actual
    assert ml_min(ideal.clearance) == pytest.approx(70 * 54.7 / 72 * 0.85)
    assert ml_min(lesser.clearance) == pytest.approx(70 * 48 / 72 * 0.85)
    del args["height"]  # the actual weight needs no height, and a height given for nothing is refused
    assert kidney_function("cockcroft_gault", **args).ideal_above_actual is None
    with pytest.raises(
        ImplausibleInputError, match="^height=162.56: expected no height for Cockcroft-Gault on the actual weight"
    ):
        kidney_function("cockcroft_gault", height=162.56, **args)


def test_weight_basis_needs_height():
    with pytest.raises(MissingInputError, match="^height is required for creatinine clearance by Cockcroft-Gault"):
        crcl_cockcroft_gault(age=60, weight=98, sex="m", serum_creatinine="1.2 mg/dL", weight_basis="ideal")
    with pytest.raises(ImplausibleInputError, match=r"^height=100 cm: expected 152.4-280 cm \(Devine"):
        crcl_cockcroft_gault(age=60, weight=98, height=100, sex="m", serum_creatinine="1.2 mg/dL", weight_basis="ideal")


def test_nccn_floor_on_cockcroft_gault():
    # NCCN Appendix B: minimum creatinine 0.7 mg/dL. 80 y, 50 kg, woman, 0.4 mg/dL:
    # (140 − 80) × 50 / (72 × 0.7) × 0.85 = 50.60 mL/min instead of (…/ (72 × 0.4)) = 88.54 mL/min
    result = kidney_function(
        "cockcroft_gault", age=80, weight=50, sex="f", serum_creatinine="0.4 mg/dL", creatinine_floor="nccn"
    )
    assert ml_min(result.clearance) == pytest.approx(60 * 50 / (72 * 0.7) * 0.85)
    assert ml_min(result.without_floor) == pytest.approx(60 * 50 / (72 * 0.4) * 0.85)
    assert result.floor_applied is True and result.steps[0] == "creatinine floor 0.7 mg/dL (nccn)"
    assert ml_min(
        crcl_cockcroft_gault(age=80, weight=50, sex="f", serum_creatinine="0.4 mg/dL", creatinine_floor="nccn")
    ) == pytest.approx(ml_min(result.clearance))


def test_age_in_other_units():
    assert ml_min(crcl(age="720 months")) == pytest.approx(ml_min(crcl(age=60)))
    with pytest.raises(UnitError, match="^age="):
        crcl(age="60 kg")


@pytest.mark.parametrize("field", ["age", "weight", "sex", "serum_creatinine"])
def test_missing_input(field):
    inputs = {"age": 60, "weight": 80, "sex": "m", "serum_creatinine": "1.2 mg/dL"}
    inputs[field] = None
    with pytest.raises(MissingInputError, match=f"^{field} is required for creatinine clearance"):
        crcl_cockcroft_gault(**inputs)


def test_unknown_sex_and_implausible_weight():
    with pytest.raises(UnknownNameError, match="sex='unknown'"):
        crcl(sex="unknown")
    with pytest.raises(ImplausibleInputError, match="^weight=800 kg"):
        crcl(weight=800)


def test_inputs_are_keyword_only():
    with pytest.raises(TypeError):
        crcl_cockcroft_gault(60, 80, "m", "1.2 mg/dL")
