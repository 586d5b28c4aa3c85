"""Carboplatin by the Calvert formula, with the FDA's 125 mL/min cap on the GFR."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosecalc import Q_
from dosecalc.carboplatin import CarboplatinDose, carboplatin_dose
from dosecalc.errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError
from dosecalc.renal import crcl_cockcroft_gault


def mg(quantity):
    return quantity.m_as("mg")


aucs = st.floats(min_value=1, max_value=10)
gfrs = st.floats(min_value=1, max_value=250)


# --- published and worked examples -------------------------------------------------


def test_calvert_formula():
    # Calvert et al., J Clin Oncol 1989;7:1748, doi:10.1200/JCO.1989.7.11.1748: dose = AUC × (GFR + 25).
    # Worked example: AUC 5, GFR 90 mL/min -> 5 × 115 = 575 mg
    result = carboplatin_dose(auc=5, gfr=90)
    assert isinstance(result, CarboplatinDose)
    assert mg(result.dose) == 575.0
    assert result.cap_applied is False
    assert result.gfr_source == "given"
    assert result.formula == "calvert" and "10.1200/JCO.1989.7.11.1748" in result.reference


@pytest.mark.parametrize("auc, maximum_mg", [(6, 900), (5, 750), (4, 600)])
def test_fda_cap_maximum_doses(auc, maximum_mg):
    # NCCN Chemotherapy Order Templates, Appendix B (2020), after the FDA: GFR capped at 125 mL/min,
    # maximum dose = AUC × (125 + 25): AUC 6 -> 900 mg, AUC 5 -> 750 mg, AUC 4 -> 600 mg
    result = carboplatin_dose(auc=auc, gfr=200)
    assert mg(result.dose) == maximum_mg
    assert result.cap_applied is True
    assert result.gfr.m_as("mL/min") == 125.0
    assert result.gfr_uncapped.m_as("mL/min") == 200.0
    assert mg(result.dose_uncapped) == auc * 225


def test_cap_is_configurable_and_can_be_disabled():
    assert mg(carboplatin_dose(auc=6, gfr=140, gfr_cap=None).dose) == 6 * 165  # 990 mg
    assert carboplatin_dose(auc=6, gfr=140, gfr_cap=None).gfr_cap is None
    assert mg(carboplatin_dose(auc=6, gfr=140, gfr_cap="130 mL/min").dose) == 6 * 155
    assert carboplatin_dose(auc=6, gfr=125).cap_applied is False  # at the cap, not above it


def test_gfr_estimated_by_cockcroft_gault():
    # clinPK's test case (male, 50 y, 70 kg, creatinine 1.1 mg/dL): Cockcroft-Gault 79.545 mL/min.
    # With the published Calvert formula, AUC 5 -> 5 × (79.545 + 25) = 522.73 mg
    # (clinPK's own 577.27 comes from AUC × (1.2 GFR + 20), which is not Calvert's formula).
    result = carboplatin_dose(auc=5, age=50, weight=70, sex="male", serum_creatinine="1.1 mg/dL")
    assert round(mg(result.dose), 2) == 522.73
    assert result.gfr_source == "cockcroft_gault"
    assert "10.1159/000180580" in result.gfr_reference
    assert result.gfr.m_as("mL/min") == pytest.approx(
        crcl_cockcroft_gault(age=50, weight=70, sex="m", serum_creatinine="1.1 mg/dL").m_as("mL/min")
    )
    # the inputs, normalised
    assert result.age.m_as("year") == 50 and result.weight.m_as("kg") == 70
    assert result.serum_creatinine.m_as("mg/dL") == pytest.approx(1.1)
    assert result.sex == "male"


def test_estimated_gfr_is_capped_too():
    # a young, heavy man with low creatinine: (140 - 25) × 110 / (72 × 0.6) = 292.8 mL/min -> capped at 125
    result = carboplatin_dose(auc=6, age=25, weight=110, sex="m", serum_creatinine="53 umol/L")
    assert result.cap_applied is True
    assert mg(result.dose) == 900.0


def test_quantities_and_text():
    result = carboplatin_dose(auc=Q_(5, "mg/mL*min"), gfr=Q_(1.5, "mL/s"))  # 90 mL/min
    assert mg(result.dose) == pytest.approx(575.0)
    assert mg(carboplatin_dose(auc="5 mg*min/mL", gfr="90 mL/min").dose) == pytest.approx(575.0)


def test_to_dict_is_plain_data():
    data = carboplatin_dose(auc=6, age=25, weight=110, sex="m", serum_creatinine="53 umol/L").to_dict()
    json.dumps(data)
    assert data["dose"] == {"value": 900.0, "unit": "mg"}
    assert data["cap_applied"] is True
    assert data["gfr_source"] == "cockcroft_gault"
    assert data["sex"] == "male"
    assert data["version"]


# --- properties -----------------------------------------------------------------


@given(aucs, gfrs)
def test_cap_never_raises_the_dose(auc, gfr):
    result = carboplatin_dose(auc=auc, gfr=gfr)
    assert mg(result.dose) <= mg(result.dose_uncapped)
    assert mg(result.dose) <= auc * 150 * (1 + 1e-12)
    assert mg(result.dose) == pytest.approx(auc * (min(gfr, 125) + 25))


def test_scalar_equals_array():
    aucs_array, ages = np.array([4.0, 5.0, 6.0]), np.array([40.0, 60.0, 80.0])
    sex = np.array(["m", "f", "m"])
    both = carboplatin_dose(auc=aucs_array, age=ages, weight=70, sex=sex, serum_creatinine="0.7 mg/dL")
    assert both.cap_applied.tolist() == [True, False, False]
    for i in range(3):
        one = carboplatin_dose(auc=aucs_array[i], age=ages[i], weight=70, sex=sex[i], serum_creatinine="0.7 mg/dL")
        assert both.dose.magnitude[i] == one.dose.magnitude
        assert both.cap_applied[i] == one.cap_applied


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize("auc", [0.5, 11, 0, -5, float("nan"), "60 mg*min/mL"])
def test_auc_outside_1_to_10(auc):
    with pytest.raises(ImplausibleInputError, match="^auc=.*expected 1-10 mg/mL·min"):
        carboplatin_dose(auc=auc, gfr=90)


@pytest.mark.parametrize("gfr", [0, -10, 400, float("nan")])
def test_implausible_gfr(gfr):
    with pytest.raises(ImplausibleInputError, match=r"^gfr=.*expected \(0, 250\] mL/min"):
        carboplatin_dose(auc=5, gfr=gfr)


def test_a_given_gfr_is_checked_before_the_cap():
    # 1000 typed for 100 must not pass quietly as "capped at 125"
    with pytest.raises(ImplausibleInputError, match="^gfr=1000"):
        carboplatin_dose(auc=5, gfr=1000)


def test_uncapped_estimate_is_checked():
    # (140 - 20) × 150 / (72 × 0.5) = 500 mL/min: with no cap it would enter the dose as it is
    with pytest.raises(ImplausibleInputError, match=r"^gfr \(Cockcroft-Gault estimate\)=500"):
        carboplatin_dose(auc=5, age=20, weight=150, sex="m", serum_creatinine="0.5 mg/dL", gfr_cap=None)


def test_gfr_per_173_m2_is_not_an_absolute_gfr():
    with pytest.raises(UnitError, match="^gfr=.*absolute GFR in mL/min"):
        carboplatin_dose(auc=5, gfr=Q_(90, "mL/min/m**2"))


def test_gfr_or_cockcroft_gault_inputs():
    with pytest.raises(DoseCalcError, match="give gfr or the Cockcroft-Gault inputs"):
        carboplatin_dose(auc=5, gfr=90, serum_creatinine="1 mg/dL")
    with pytest.raises(MissingInputError, match="^gfr is required"):
        carboplatin_dose(auc=5)
    with pytest.raises(MissingInputError, match="^sex is required for creatinine clearance"):
        carboplatin_dose(auc=5, age=50, weight=70, serum_creatinine="1.1 mg/dL")
    with pytest.raises(UnitError, match="^serum_creatinine=1.1"):
        carboplatin_dose(auc=5, age=50, weight=70, sex="m", serum_creatinine=1.1)


def test_implausible_cap():
    with pytest.raises(ImplausibleInputError, match="^gfr_cap=0"):
        carboplatin_dose(auc=5, gfr=90, gfr_cap=0)
