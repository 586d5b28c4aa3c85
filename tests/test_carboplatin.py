"""Carboplatin by the Calvert formula under a named GFR policy (FDA/NCCN cap, ADDIKD), with the safeguards of a dose."""

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosecalc import Q_
from dosecalc.carboplatin import CARBOPLATIN_POLICIES, CarboplatinDose, carboplatin_dose
from dosecalc.errors import (
    DoseCalcError,
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)
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
    # a young man with low creatinine: (140 - 25) × 80 / (72 × 0.6) = 213 mL/min -> capped at 125
    result = carboplatin_dose(auc=6, age=25, weight=80, sex="m", serum_creatinine="53 umol/L")
    assert result.cap_applied is True
    assert mg(result.dose) == 900.0


def test_an_estimate_outside_the_physiological_range_is_refused_even_under_a_cap():
    # a young, heavy man with low creatinine: (140 - 25) × 110 / (72 × 0.6) = 292.8 mL/min: above 250 mL/min,
    # refused (an input slip or a formula outside its population), or used capped only when asked
    args = {"auc": 6, "age": 25, "weight": 110, "sex": "m", "serum_creatinine": "53 umol/L"}
    with pytest.raises(
        ImplausibleInputError, match=r"^crcl \(Cockcroft-Gault\)=29[23]\.\d mL/min: expected \(0, 250\]"
    ):
        carboplatin_dose(**args)
    result = carboplatin_dose(**args, allow_outside_range=True)
    assert mg(result.dose) == 900.0 and result.kidney_function.outside_range is True


def test_quantities_and_text():
    result = carboplatin_dose(auc=Q_(5, "mg/mL*min"), gfr=Q_(1.5, "mL/s"))  # 90 mL/min
    assert mg(result.dose) == pytest.approx(575.0)
    assert mg(carboplatin_dose(auc="5 mg*min/mL", gfr="90 mL/min").dose) == pytest.approx(575.0)


def test_to_dict_is_plain_data():
    data = carboplatin_dose(auc=6, age=25, weight=80, sex="m", serum_creatinine="53 umol/L").to_dict()
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
    with pytest.raises(ImplausibleInputError, match=r"^crcl \(Cockcroft-Gault\)=500"):
        carboplatin_dose(auc=5, age=20, weight=150, sex="m", serum_creatinine="0.5 mg/dL", gfr_cap=None)


def test_gfr_per_173_m2_needs_a_bsa():
    with pytest.raises(UnitError, match="^gfr=.*absolute GFR in mL/min; a GFR per 1.73 m² .*bsa"):
        carboplatin_dose(auc=5, gfr="90 mL/min/1.73 m2")
    with pytest.raises(UnitError, match="^gfr='90 mL/min/m2'"):  # per m², not per 1.73 m²: not a GFR spelling
        carboplatin_dose(auc=5, gfr="90 mL/min/m2", bsa=1.9)


def test_gfr_or_cockcroft_gault_inputs():
    with pytest.raises(
        DoseCalcError, match=r"give gfr or the Cockcroft-Gault inputs \(age, weight, sex, serum_creatinine\)"
    ):
        carboplatin_dose(auc=5, gfr=90, serum_creatinine="1 mg/dL")
    with pytest.raises(MissingInputError, match="^gfr is required"):
        carboplatin_dose(auc=5)
    with pytest.raises(MissingInputError, match="^sex is required for creatinine clearance"):
        carboplatin_dose(auc=5, age=50, weight=70, serum_creatinine="1.1 mg/dL")
    with pytest.raises(UnitError, match="^serum_creatinine=1.1"):
        carboplatin_dose(auc=5, age=50, weight=70, sex="m", serum_creatinine=1.1)


@pytest.mark.parametrize(
    "extra, named",
    [
        ({"weight_basis": "ideal"}, "weight_basis"),
        ({"creatinine_floor": "nccn"}, "creatinine_floor"),
        ({"age": 60}, "age"),
    ],
)
def test_a_given_gfr_with_an_estimate_setting_names_it(extra, named):
    with pytest.raises(DoseCalcError, match=f"not both: {named} given with gfr$"):
        carboplatin_dose(auc=5, gfr=90, **extra)


def test_implausible_cap():
    with pytest.raises(ImplausibleInputError, match="^gfr_cap=0"):
        carboplatin_dose(auc=5, gfr=90, gfr_cap=0)


# --- policies: FDA/NCCN and ADDIKD ---------------------------------------------------------


def test_policies_are_named_and_cited():
    assert set(CARBOPLATIN_POLICIES) == {"fda", "addikd"}
    fda = carboplatin_dose(auc=5, gfr=90)
    assert fda.policy == "fda" and "125 mL/min" in fda.policy_reference and fda.gfr_cap_source == "policy"
    data = carboplatin_dose(auc=5, gfr=90, policy="addikd").to_dict()
    assert data["policy"] == "addikd" and "ADDIKD" in data["policy_reference"] and data["gfr_cap"] is None
    with pytest.raises(UnknownNameError, match="policy='nice'.*fda, addikd"):
        carboplatin_dose(auc=5, gfr=90, policy="nice")


@pytest.mark.parametrize("policy", ["FDA ", " fda", "fda\n", "Fda", "f\u0064a\u00a0", "ADDIKD\t"])
def test_a_policy_is_read_exactly_as_typed(policy):
    # Calvert at GFR 90: 5 × (90 + 25) = 575 mg under either policy; a policy that is none is not read as one
    with pytest.raises(UnknownNameError) as caught:
        carboplatin_dose(auc=5, gfr=90, policy=policy)
    assert str(caught.value).startswith(f"policy={ascii(policy)} is not known; expected one of: fda, addikd; did")


def test_a_policy_by_its_acronym():
    for policy, key in (("FDA", "fda"), ("ADDIKD", "addikd"), ("fda", "fda")):
        assert carboplatin_dose(auc=5, gfr=90, policy=policy).policy == key


def test_addikd_ckd_epi_de_indexed_and_not_capped():
    # ADDIKD (eviQ 2022): CKD-EPI 2021 × BSA / 1.73 m², "not capped at 125 mL/min". A man of 30, creatinine
    # 0.6 mg/dL: 142 × (0.6/0.9)^−0.302 × 0.9938^30 = 134.83 per 1.73 m²; × 2.1 / 1.73 = 163.67 mL/min;
    # Calvert (1989), AUC 5: 5 × (163.67 + 25) = 943.3 mg, above the FDA's 750 mg at AUC 5
    egfr = 142 * (0.6 / 0.9) ** -0.302 * 0.9938**30
    result = carboplatin_dose(auc=5, policy="addikd", age=30, sex="m", serum_creatinine="0.6 mg/dL", bsa=2.1)
    assert result.gfr_source == "ckd_epi_2021" and result.cap_applied is False and result.gfr_cap is None
    assert result.kidney_function.egfr_ml_min_173m2 == pytest.approx(egfr, rel=1e-12)
    assert mg(result.dose) == pytest.approx(5 * (egfr * 2.1 / 1.73 + 25), rel=1e-12)
    assert "10.1056/NEJMoa2102953" in result.gfr_reference
    assert (
        result.policy == "addikd" and "ADDIKD" in result.policy_reference and result.policy_label.startswith("ADDIKD")
    )
    # the FDA policy's cap may be added to the ADDIKD estimate, and is then reported as given
    capped = carboplatin_dose(
        auc=5, policy="addikd", age=30, sex="m", serum_creatinine="0.6 mg/dL", bsa=2.1, gfr_cap=125
    )
    assert mg(capped.dose) == 750.0 and capped.gfr_cap_source == "given"


def test_bsa_from_height_and_weight():
    # Mosteller (1987): sqrt(180 × 81 / 3600) = 2.0125 m²; CKD-EPI 2021, man of 55, 1.2 mg/dL: 71.418 × 2.0125 / 1.73
    result = carboplatin_dose(
        auc=5, policy="addikd", age=55, sex="m", serum_creatinine="1.2 mg/dL", height=180, weight=81
    )
    assert result.bsa.m_as("m**2") == pytest.approx(np.sqrt(180 * 81 / 3600)) and result.bsa_method == "mosteller"
    assert result.gfr.m_as("mL/min") == pytest.approx(71.4178 * np.sqrt(180 * 81 / 3600) / 1.73, rel=1e-5)
    with pytest.raises(MissingInputError, match="^bsa is required for de-indexing CKD-EPI 2021"):
        carboplatin_dose(auc=5, policy="addikd", age=55, sex="m", serum_creatinine="1.2 mg/dL")


def test_gfr_per_173_m2_with_a_bsa():
    # 90 mL/min/1.73 m² × 1.9 / 1.73 = 98.84 mL/min; Calvert AUC 5: 5 × 123.84 = 619.2 mg
    result = carboplatin_dose(auc=5, gfr="90 mL/min/1.73m2", bsa=1.9)
    assert result.gfr.m_as("mL/min") == pytest.approx(90 * 1.9 / 1.73)
    assert mg(result.dose) == pytest.approx(5 * (90 * 1.9 / 1.73 + 25))
    assert result.bsa_method == "given" and result.kidney_function.egfr_ml_min_173m2 == pytest.approx(90.0)
    with pytest.raises(ImplausibleInputError, match="^bsa=1.9: expected no bsa with an absolute gfr"):
        carboplatin_dose(auc=5, gfr="90 mL/min", bsa=1.9)


def test_inputs_a_given_gfr_cannot_use_are_refused():
    with pytest.raises(ImplausibleInputError, match="^weight=70: expected no weight with an absolute gfr"):
        carboplatin_dose(auc=5, gfr="90 mL/min", weight=70)
    with pytest.raises(MissingInputError, match="^height is required for the BSA that de-indexes a GFR per 1.73 m²"):
        carboplatin_dose(auc=5, gfr="90 mL/min/1.73 m2", weight=70)
    # with height and weight: Mosteller sqrt(180 × 81 / 3600) = 2.0125 m², 90 × 2.0125 / 1.73 = 104.70 mL/min
    result = carboplatin_dose(auc=5, gfr="90 mL/min/1.73 m2", height=180, weight=81)
    assert result.gfr.m_as("mL/min") == pytest.approx(90 * np.sqrt(180 * 81 / 3600) / 1.73)


def test_cockcroft_gault_with_floor_and_weight_basis():
    # NCCN Appendix B: adjusted weight and a minimum creatinine of 0.7 mg/dL. A man of 5 ft 10 in, 98 kg (AdjBW 83 kg),
    # 70 y, creatinine 0.5 mg/dL: (140 − 70) × 83 / (72 × 0.7) = 115.28 mL/min; AUC 5: 5 × 140.28 = 701.4 mg
    result = carboplatin_dose(
        auc=5,
        age=70,
        weight=98,
        height=177.8,
        sex="m",
        serum_creatinine="0.5 mg/dL",
        weight_basis="adjusted",
        creatinine_floor="nccn",
    )
    assert mg(result.dose) == pytest.approx(5 * (70 * 83 / (72 * 0.7) + 25))
    assert result.kidney_function.floor_applied is True and result.kidney_function.weight_basis == "adjusted"


def test_schwartz_is_refused_for_calvert():
    # the formula as typed, and the adult ones as they are typed
    with pytest.raises(ImplausibleInputError) as refused:
        carboplatin_dose(auc=5, gfr_formula="schwartz-bedside", age=10, height=140, serum_creatinine="0.5 mg/dL")
    assert str(refused.value) == (
        "gfr_formula=schwartz-bedside: expected an adult estimate (cockcroft-gault or ckd-epi-2021): "
        "the Calvert formula was derived in adults"
    )


def test_an_auc_written_as_protocols_write_it_is_refused_with_its_reading():
    # "AUC5" on a protocol's page: the number and its unit, never a bare "unit is missing"
    with pytest.raises(UnitError) as refused:
        carboplatin_dose(auc="AUC5", gfr=90)
    assert str(refused.value).endswith(": the AUC as its number and unit, '5 mg/mL·min'")


# --- the safeguards of a dose ---------------------------------------------------------------


def test_max_dose():
    # 5 × (120 + 25) = 725 mg, at most 700 mg
    result = carboplatin_dose(auc=5, gfr=120, max_dose="700 mg")
    assert mg(result.dose) == 700.0 and result.max_dose_applied is True
    assert mg(result.dose_calvert) == 725.0


def test_rounding_to_vials_within_tolerance():
    # 5 × (87 + 25) = 560 mg; 10 mg/mL vials of 450, 150 and 50 mg: 550 mg = 450 + 2 × 50, −1.8 %
    result = carboplatin_dose(auc=5, gfr=87, vials="450 mg, 150 mg, 50 mg")
    assert mg(result.dose) == 550.0 and result.rounding.counts.tolist() == [1, 0, 2]
    assert mg(carboplatin_dose(auc=5, gfr=87, round_to="25 mg").dose) == 550.0  # 560 -> 550 (nearest 25)
    with pytest.raises(ImplausibleInputError, match="^dose=560 mg: expected a dose within ±1 %"):
        carboplatin_dose(auc=5, gfr=87, round_to="50 mg", tolerance_pct=1)  # 550 is −1.8 %


def test_rounding_never_exceeds_the_cap_maximum():
    # AUC 6, GFR 200 capped at 125: 900 mg; to a 200 mg step the nearest is 1000 mg (+11 %), and below the
    # cap's maximum 800 mg (−11 %): outside ±10 %, refused rather than rounded up past 900 mg
    with pytest.raises(ImplausibleInputError, match="^dose=900 mg.*the nearest at most the ceiling of 900 mg, 800 mg"):
        carboplatin_dose(auc=6, gfr=200, round_to="200 mg", tolerance_pct=10)
    # AUC 5.9, capped: 5.9 × 150 = 885 mg; to a 10 mg step the nearest is 890 mg, above the cap's maximum: 880 mg
    assert mg(carboplatin_dose(auc=5.9, gfr=200, round_to="10 mg").dose) == 880.0
    # and never above a maximum dose
    assert mg(carboplatin_dose(auc=5, gfr=100, max_dose="623 mg", round_to="10 mg").dose) == 620.0


def test_both_roundings_are_an_error():
    with pytest.raises(DoseCalcError, match="give step or strengths"):
        carboplatin_dose(auc=5, gfr=90, round_to="10 mg", vials="450 mg")


def test_to_dict_names_every_setting():
    data = carboplatin_dose(
        auc=5, age=50, weight=70, sex="m", serum_creatinine="1.1 mg/dL", max_dose="800 mg", round_to="10 mg"
    ).to_dict()
    json.dumps(data)
    for key in (
        "policy",
        "policy_label",
        "policy_reference",
        "gfr_cap_source",
        "kidney_function",
        "dose_calvert",
        "max_dose",
        "rounding",
        "steps",
    ):
        assert key in data
    assert data["kidney_function"]["creatinine_floor_policy"] == "none"
    assert data["steps"][0] == "GFR: Cockcroft-Gault" and data["steps"][-1] == "rounded to step"


@given(
    aucs,
    gfrs,
    st.sampled_from([None, 125.0]),
    st.one_of(st.none(), st.floats(100, 1500)),
    st.sampled_from([None, "10 mg", "50 mg"]),
)
def test_the_dose_never_exceeds_the_maximum_or_the_caps_maximum(auc, gfr, cap, max_dose_mg, step):
    # Calvert (1989) at min(GFR, cap); a maximum dose caps it; rounding (±10 %) never goes above either
    try:
        result = carboplatin_dose(auc=auc, gfr=gfr, gfr_cap=cap, max_dose=max_dose_mg, round_to=step, tolerance_pct=10)
    except ImplausibleInputError as err:  # a rounding outside its tolerance, or a maximum that keeps under 10 %
        calvert = auc * (min(gfr, np.inf if cap is None else cap) + 25)
        assert (err.field == "dose" and "not rounded" in str(err)) or (
            err.field == "max_dose" and max_dose_mg < 0.1 * calvert * (1 + 1e-9)
        )
        return
    ceiling = min(np.inf if max_dose_mg is None else max_dose_mg, np.inf if cap is None else auc * (cap + 25))
    assert mg(result.dose) <= ceiling * (1 + 1e-12)
    assert mg(result.dose_calvert) == pytest.approx(auc * (min(gfr, np.inf if cap is None else cap) + 25))
    assert (
        abs(mg(result.dose) - min(mg(result.dose_calvert), ceiling))
        <= 0.1 * min(mg(result.dose_calvert), ceiling) + 1e-9
    )


@pytest.mark.parametrize("gfr", [math.inf, -math.inf, math.nan])
def test_no_override_makes_an_infinite_gfr_a_dose(gfr):
    # allow_outside_range reports a GFR above 250 mL/min; an infinite one would be an infinite dose without the cap
    with pytest.raises(ImplausibleInputError, match="^gfr="):
        carboplatin_dose(auc=5, gfr=gfr, allow_outside_range=True, gfr_cap=None)
