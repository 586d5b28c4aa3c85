"""
Verification of ordered doses: each verdict and flag on a hand-computed
example, the settings' sources, refusals, and properties.

BSAs are Mosteller's, sqrt(H W / 3600) (Mosteller, N Engl J Med 1987;
doi:10.1056/NEJM198710223171717); the R-CHOP-21 doses are Coiffier et al.'s
(N Engl J Med 2002; doi:10.1056/NEJMoa011795): rituximab 375, cyclophosphamide
750, doxorubicin 50, vincristine 1.4 (at most 2 mg) and prednisone 40 mg/m².
"""

import json
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dosecalc import Q_
from dosecalc.errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError, UnknownNameError
from dosecalc.order import Order
from dosecalc.protocol import load_protocol
from dosecalc.verify import (
    ASCO_ONS_2016,
    FLAGS,
    NOT_VERIFIABLE,
    TOLERANCE,
    VERDICTS,
    WEIGHT_CHANGE,
    tolerance_setting,
    verify,
    weight_change_setting,
)

RCHOP = load_protocol("r-chop-21")
# 175 cm, 80 kg: BSA = sqrt(175 * 80 / 3600) = sqrt(3.888…) = 1.97203 m²
BSA_175_80 = math.sqrt(175 * 80 / 3600)
# 160 cm, 60 kg: BSA = sqrt(160 * 60 / 3600) = sqrt(2.666…) = 1.63299 m²
BSA_160_60 = math.sqrt(160 * 60 / 3600)


def codes(check):
    return [flag.code for flag in check.flags]


# --- verdicts -------------------------------------------------------------------


def test_within_tolerance_doxorubicin():
    # 50 mg/m² × 1.97203 m² = 98.601 mg; 95 mg is 100 (95 − 98.601) / 98.601 = −3.652 %: within ±5 %
    result = verify(RCHOP, {"doxorubicin": "95 mg"}, height="175 cm", weight="80 kg")
    check = result["doxorubicin"]
    assert_allclose(check.computed.m_as("mg"), 50 * BSA_175_80)
    assert_allclose(check.computed.m_as("mg"), 98.6013, atol=1e-4)
    assert_allclose(check.difference_pct, 100 * (95 - 98.60133) / 98.60133, rtol=1e-5)
    assert_allclose(check.difference_pct, -3.652, atol=1e-3)
    assert check.verdict == "within_tolerance" and check.ok and result.ok


def test_too_high_and_too_low():
    # 50 mg/m² × 1.63299 m² = 81.650 mg; 95 mg is +16.35 %, 70 mg is −14.27 %
    high = verify(RCHOP, {"doxorubicin": "95 mg"}, height=160, weight=60)["doxorubicin"]
    low = verify(RCHOP, {"doxorubicin": "70 mg"}, height=160, weight=60)["doxorubicin"]
    assert_allclose(high.computed.m_as("mg"), 81.6497, atol=1e-4)
    assert high.verdict == "too_high" and not high.ok
    assert_allclose(high.difference_pct, 16.351, atol=1e-3)
    assert low.verdict == "too_low"
    assert_allclose(low.difference_pct, -14.268, atol=1e-3)
    assert "+16.4 %" in high.reason


def test_tolerance_boundary_is_inclusive():
    # a single order 100 mg flat: 105 mg is +5 % (within), 105.1 mg +5.1 % (too high)
    assert verify("100 mg", "105 mg").checks[0].verdict == "within_tolerance"
    assert verify("100 mg", "105.1 mg").checks[0].verdict == "too_high"
    assert verify("100 mg", "94.9 mg").checks[0].verdict == "too_low"
    # at 10 %: 109 mg is within
    assert verify("100 mg", "109 mg", tolerance="10%").checks[0].verdict == "within_tolerance"


def test_ordered_in_the_orders_basis_is_compared_with_the_prescribed_dose():
    # doxorubicin ordered as 50 mg/m²: the protocol's 50 mg/m², 0 %; 45 mg/m² is −10 %
    same = verify(RCHOP, {"doxorubicin": "50 mg/m2"}, height=175, weight=80)["doxorubicin"]
    assert same.verdict == "within_tolerance" and same.difference_pct == 0.0
    assert same.computed.m_as("mg/m**2") == 50.0
    assert verify(RCHOP, {"doxorubicin": "45 mg/m2"}, height=175, weight=80)["doxorubicin"].verdict == "too_low"


def test_an_order_in_the_protocols_basis_needs_the_patient():
    # 50 mg/m² restates the protocol; without height and weight no dose of this patient is checked
    check = verify(RCHOP, {"doxorubicin": "50 mg/m2"})["doxorubicin"]
    assert check.verdict == "missing_input" and "weight" in check.reason and not check.ok


@pytest.mark.parametrize("ordered", ["1.4 mg/m2", "1.08 mg/m2"])
def test_an_order_per_m2_that_a_cap_lowers_is_not_verified(ordered):
    # vincristine 1.4 mg/m² × sqrt(175 × 70 / 3600) = 1.4 × 1.8447 = 2.58 mg, capped at 2 mg (Coiffier 2002,
    # the protocol's max dose): 1.4 mg/m² would give 2.58 mg, 1.08 mg/m² gives 1.99 mg; neither says 2 mg
    check = verify(RCHOP, {"vincristine": ordered}, height=175, weight=70)["vincristine"]
    assert check.verdict == "not_comparable" and not check.ok
    assert check.computed.m_as("mg") == 2.0
    assert check.reason == (
        "ordered in mg/m²; the max dose makes this patient's dose 2 mg, which an order per m² does not say: "
        "order it in mg"
    )


def test_an_order_per_m2_that_a_bsa_cap_lowers_is_not_verified():
    # 190 cm, 100 kg: BSA sqrt(190 × 100 / 3600) = 2.297 m², capped at 1.5 m²: 75 × 1.5 = 112.5 mg
    order = Order.from_options("doxorubicin", "75 mg/m2", bsa_cap="1.5")
    check = verify(order, "75 mg/m2", height=190, weight=100).checks[0]
    assert check.verdict == "not_comparable" and check.computed.m_as("mg") == pytest.approx(112.5)
    assert "the BSA cap makes this patient's dose 112.5 mg" in check.reason


def test_nothing_ordered_without_a_day_is_refused():
    for nothing in ({}, None, []):
        with pytest.raises(MissingInputError, match=r"^ordered is required for verifying orders"):
            verify(RCHOP, nothing, height=175, weight=80)


def test_ordered_in_grams_reads_as_mg():
    # rituximab 375 × 1.97203 = 739.51 mg; 0.74 g = 740 mg, +0.066 %
    check = verify(RCHOP, {"rituximab": "0.74 g"}, height=175, weight=80)["rituximab"]
    assert check.ordered.m_as("mg") == 740.0
    assert_allclose(check.difference_pct, 100 * (740 - 375 * BSA_175_80) / (375 * BSA_175_80))


def test_missing_input():
    # a dose per m² needs a BSA: without the weight it cannot be computed
    check = verify(RCHOP, {"doxorubicin": "95 mg"}, height=175)["doxorubicin"]
    assert check.verdict == "missing_input" and "weight" in check.reason
    assert check.computed is None and check.difference_pct is None


@pytest.mark.parametrize(
    "name, expected",
    [
        ("doxorubicn", "did you mean 'doxorubicin'"),  # a typo
        ("Adriamycin", "write 'doxorubicin'"),  # a brand name
        ("doxorubic\u0456n", "\\u0456"),  # a Cyrillic і: shown escaped, never matched
        ("dox\u200borubicin", "\\u200b"),  # a zero-width space
        ("trastuzumab", "not in the protocol R-CHOP-21"),
    ],
)
def test_not_in_protocol(name, expected):
    check = verify(RCHOP, {name: "95 mg"}, height=175, weight=80).checks[0]
    assert check.verdict == "not_in_protocol"
    assert expected in check.reason


def test_drug_names_match_without_regard_to_case_and_spaces():
    result = verify(RCHOP, {" Doxorubicin ": "98.6 mg", "VINCRISTINE": "2 mg"}, height=175, weight=80)
    assert [check.drug for check in result.checks] == ["doxorubicin", "vincristine"]
    assert result.ok


def test_not_ordered_on_the_day():
    # day 1 of R-CHOP gives all five drugs: four not ordered
    result = verify(RCHOP, {"doxorubicin": "98.6 mg"}, height=175, weight=80, cycle=1, day=1)
    missing = [check.drug for check in result.checks if check.verdict == "not_ordered"]
    assert missing == ["rituximab", "cyclophosphamide", "vincristine", "prednisone"]
    assert not result.ok
    # the computed dose of a drug not ordered is shown: rituximab 375 × 1.97203 = 739.51 mg
    assert_allclose(result["rituximab"].computed.m_as("mg"), 375 * BSA_175_80)
    # day 8 gives none of them: nothing is due
    assert verify(RCHOP, {}, height=175, weight=80, day=8).checks == ()


def test_not_comparable():
    check = verify(RCHOP, {"cyclophosphamide": "20 mg/kg"}, height=175, weight=80)["cyclophosphamide"]
    assert check.verdict == "not_comparable" and check.difference_pct is None
    assert "mg/kg" in check.reason


def test_ambiguous_and_named_orders_of_one_drug():
    # mFOLFOX6 gives fluorouracil twice on day 1: 400 mg/m² bolus and 2400 mg/m² over 46 hours.
    # 175 cm, 70 kg: BSA = sqrt(175 × 70 / 3600) = 1.84466 m²; bolus 737.86 mg, infusion 4427.2 mg
    folfox = load_protocol("mfolfox6")
    bsa = math.sqrt(175 * 70 / 3600)
    result = verify(
        folfox,
        [("fluorouracil (bolus)", "740 mg"), ("fluorouracil", "4400 mg"), ("fluorouracil (infusion)", "4400 mg")],
        height=175,
        weight=70,
    )
    bolus, plain, infusion = result.checks
    assert bolus.note == "IV bolus"
    assert_allclose(bolus.computed.m_as("mg"), 400 * bsa)
    assert plain.verdict == "ambiguous" and "IV bolus" in plain.reason
    assert_allclose(infusion.computed.m_as("mg"), 2400 * bsa)
    assert infusion.verdict == "within_tolerance"


# --- flags ------------------------------------------------------------------------


def test_weight_change_adult_and_child_thresholds():
    # 68 kg against a baseline of 80 kg: 100 (68 − 80) / 80 = −15 % ≥ 10 %
    result = verify(RCHOP, {"vincristine": "2 mg"}, height=170, weight=68, baseline_weight="80 kg")
    assert [flag.code for flag in result.flags] == ["weight_change"]
    assert_allclose(result.weight_change_pct, -15.0)
    assert not result.ok and result["vincristine"].ok
    # 75 kg: −6.25 %: below the adult 10 %, at or above the 5 % common for children
    adult = verify(RCHOP, {"vincristine": "2 mg"}, height=170, weight=75, baseline_weight=80)
    child = verify(RCHOP, {"vincristine": "2 mg"}, height=170, weight=75, baseline_weight=80, weight_change="child")
    assert adult.flags == () and adult.ok
    assert [flag.code for flag in child.flags] == ["weight_change"]
    assert child.weight_change.value == 5.0
    # exactly 10 %: 88 kg against 80 kg is flagged (≥)
    assert verify(RCHOP, {"vincristine": "2 mg"}, height=170, weight=88, baseline_weight=80).flags


def test_cap_explains_a_difference():
    # vincristine 1.4 × 1.63299 = 2.286 mg, capped at 2 mg (Coiffier 2002). 2.3 mg is +15 % of 2 mg,
    # and +0.6 % of the uncapped 2.286 mg: the cap was left out
    check = verify(RCHOP, {"vincristine": "2.3 mg"}, height=160, weight=60)["vincristine"]
    assert check.verdict == "too_high"
    assert_allclose(check.difference_pct, 15.0)
    assert codes(check) == ["cap_explains"]
    values = dict(check.flags[0].values)
    assert_allclose(values["before_cap"].m_as("mg"), 1.4 * BSA_160_60)
    assert "maximum of 2 mg" in check.flags[0].source


def test_rounding_explains_a_difference():
    # doxorubicin 50 mg/m² rounded to 10 mg: 98.601 mg → 100 mg (+1.40 %, within the rounding's 5 %).
    # Verified at 1 %: 98.6 mg is −1.4 % of 100 mg (too low) and within 1 % of 98.601 mg
    order = Order("doxorubicin", "50 mg/m2", round_to="10 mg")
    check = verify(order, "98.6 mg", height=175, weight=80, tolerance="1%").checks[0]
    assert check.computed.m_as("mg") == 100.0
    assert check.verdict == "too_low"
    assert_allclose(check.difference_pct, -1.4)
    assert codes(check) == ["rounding_explains"]
    # at the default 5 % the same order is within tolerance, and nothing is flagged
    assert verify(order, "98.6 mg", height=175, weight=80).ok


def test_lifetime_limit_reached_with_this_dose():
    # 182 cm, 95 kg: BSA = sqrt(182 × 95 / 3600) = 2.19152 m². 110 mg = 50.193 mg/m²;
    # after 500 mg/m²: 550.19 mg/m² ≥ 550 mg/m², the doxorubicin label's limit
    bsa = math.sqrt(182 * 95 / 3600)
    check = verify(RCHOP, {"doxorubicin": "110 mg"}, height=182, weight=95, prior={"doxorubicin": "500 mg/m2"})[
        "doxorubicin"
    ]
    assert check.verdict == "within_tolerance" and codes(check) == ["lifetime_limit"]
    values = dict(check.flags[0].values)
    assert_allclose(values["this_dose"].m_as("mg/m**2"), 110 / bsa)
    assert_allclose(values["total"].m_as("mg/m**2"), 500 + 110 / bsa)
    assert "550 mg/m²" in check.flags[0].message and "Adriamycin" in check.flags[0].source
    # after 400 mg/m²: 450.19, below 550; but reached after mediastinal radiotherapy (limit 400)
    assert verify(RCHOP, {"doxorubicin": "110 mg"}, height=182, weight=95, prior={"doxorubicin": "400 mg/m2"}).ok
    radiotherapy = verify(
        RCHOP,
        {"doxorubicin": "110 mg"},
        height=182,
        weight=95,
        prior={"doxorubicin": "400 mg/m2"},
        conditions=("mediastinal-radiotherapy",),
    )
    assert codes(radiotherapy["doxorubicin"]) == ["lifetime_limit"]
    # a prior in mg is converted by the BSA: 1095.76 mg / 2.19152 m² = 500 mg/m²
    in_mg = verify(
        RCHOP, {"doxorubicin": "110 mg"}, height=182, weight=95, prior={"doxorubicin": f"{500 * bsa:.4f} mg"}
    )
    assert codes(in_mg["doxorubicin"]) == ["lifetime_limit"]


def test_not_scheduled_day_and_cycle():
    # prednisone is given on days 1-5 of R-CHOP-21, not on day 8; and there are 8 cycles, not 9
    check = verify(RCHOP, {"prednisone": "80 mg"}, height=175, weight=80, cycle=1, day=8)["prednisone"]
    assert codes(check) == ["not_scheduled"] and "day 8" in check.flags[0].message
    ninth = verify(RCHOP, {"doxorubicin": "98.6 mg"}, height=175, weight=80, cycle=9, day=1)["doxorubicin"]
    assert codes(ninth) == ["not_scheduled"] and "8 cycles" in ninth.flags[0].message


def test_duplicate_order():
    result = verify(RCHOP, [("doxorubicin", "98.6 mg"), ("Doxorubicin", "98.6 mg")], height=175, weight=80, day=1)
    doubled = [check for check in result.checks if check.drug == "doxorubicin"]
    assert len(doubled) == 2 and all(codes(check) == ["duplicate_order"] for check in doubled)


def test_single_order_from_a_dose():
    # IMGN901 75 mg/m² for 175 cm, 70 kg: 75 × 1.84466 = 138.35 mg (ImmunoGen release, 5 June 2011); 138 mg: −0.25 %
    check = verify("75 mg/m2", "138 mg", height=175, weight=70).checks[0]
    assert check.drug == "dose"
    assert_allclose(check.computed.m_as("mg"), 75 * math.sqrt(175 * 70 / 3600))
    assert check.verdict == "within_tolerance"
    named = verify("75 mg/m2", "138 mg", drug="IMGN901", height=175, weight=70)
    assert named.checks[0].drug == "lorvotuzumab mertansine"  # the sponsor's code read as the INN


def test_carboplatin_auc():
    # Calvert: 5 × (90 + 25) = 575 mg (Calvert et al. 1989, doi:10.1200/JCO.1989.7.11.1748)
    order = Order("carboplatin", "5 mg/mL*min")
    assert verify(order, "575 mg", gfr="90 mL/min").checks[0].difference_pct == 0.0
    assert verify(order, "5 mg/mL*min", gfr="90 mL/min").checks[0].verdict == "within_tolerance"
    assert verify(order, "6 mg/mL*min", gfr="90 mL/min").checks[0].verdict == "too_high"
    assert verify(order, "5 mg/mL*min").checks[0].verdict == "missing_input"  # no kidney function given
    # GFR 150 mL/min capped at 125 (FDA 2010): 5 × (125 + 25) = 750 mg, which the AUC alone does not say
    capped = verify(Order("carboplatin", "5 mg/mL*min", gfr_cap="125 mL/min"), "5 mg/mL*min", gfr="150 mL/min")
    assert capped.checks[0].verdict == "not_comparable" and capped.checks[0].computed.m_as("mg") == 750.0
    assert (
        "the GFR cap makes this patient's dose 750 mg, which an order as an AUC does not say" in capped.checks[0].reason
    )
    # an ordered AUC outside 1-10 is shown as typed, the range in the unit it is written in
    with pytest.raises(ImplausibleInputError, match=r"^ordered carboplatin='50 mg\*min/mL': expected 1-10 mg/mL·min$"):
        verify(order, "50 mg*min/mL")


# --- the order's maximum ---------------------------------------------------------------------

COIFFIER_MAXIMUM = (
    "above the maximum dose of 2 mg (Coiffier et al. 2002: vincristine 1.4 mg/m² up to a maximum of 2 mg)"
)


@pytest.mark.parametrize(
    "ordered, height, weight, tolerance, difference",
    [
        # 1.4 mg/m² × sqrt(175 × 70 / 3600) = 1.4 × 1.84466 = 2.58 mg, capped at 2 mg: 2.09 mg is +4.5 % of 2 mg
        ("2.09 mg", 175, 70, None, 4.5),
        # 2.2 mg is +10 % of 2 mg, at a 10 % tolerance
        ("2.2 mg", 175, 70, "10%", 10.0),
        # 1.4 × sqrt(150 × 47 / 3600) = 1.4 × 1.39940 = 1.95917 mg, not capped: 2.04 mg is +4.125 % of it
        ("2.04 mg", 150, 47, None, 100 * (2.04 / (1.4 * math.sqrt(150 * 47 / 3600)) - 1)),
    ],
)
def test_an_order_above_the_maximum_dose_is_too_high_within_the_tolerance_or_not(
    ordered, height, weight, tolerance, difference
):
    check = verify(RCHOP, {"vincristine": ordered}, height=height, weight=weight, tolerance=tolerance)["vincristine"]
    assert_allclose(check.difference_pct, difference)
    assert check.verdict == "too_high" and not check.ok and codes(check) == []
    assert check.reason.startswith(f"{ordered} is {COIFFIER_MAXIMUM}; ")


@pytest.mark.parametrize(
    "ordered, verdict",
    [
        (Q_(2.0, "mg"), "within_tolerance"),
        (Q_(2.0000000001, "mg"), "within_tolerance"),  # 5e-11 above: 2 mg in binary floats
        (Q_(2.000001, "mg"), "too_high"),  # 5e-7 above: above the maximum, +0.00005 % of the capped 2 mg
        ("2000 mcg", "within_tolerance"),  # 2 mg, written in micrograms
    ],
)
def test_an_order_at_the_maximum_dose_is_not_above_it(ordered, verdict):
    # 175 cm, 70 kg: 2.58 mg capped at 2 mg, as above
    check = verify(RCHOP, {"vincristine": ordered}, height=175, weight=70)["vincristine"]
    assert check.computed.m_as("mg") == 2.0
    assert check.verdict == verdict


def test_an_order_just_above_the_maximum_says_so_to_the_figures_that_show_it():
    # 2.0001 mg against the 2 mg maximum (Coiffier 2002): never "2 mg is above the maximum dose of 2 mg, +0.0 %"
    check = verify(RCHOP, {"vincristine": "2.0001 mg"}, height=175, weight=70)["vincristine"]
    assert check.verdict == "too_high"
    assert check.reason.startswith("2.0001 mg is above the maximum dose of 2 mg")
    assert "; +0.005 % from the computed 2 mg" in check.reason  # 100 × 0.0001 / 2


def test_an_order_per_m2_that_gives_more_than_the_maximum_is_too_high():
    # 150 cm, 45 kg: BSA sqrt(150 × 45 / 3600) = 1.36931 m²; 1.4 mg/m² gives 1.917 mg, not capped. 1.47 mg/m² is
    # +5 % of 1.4 mg/m² (within) and gives 1.47 × 1.36931 = 2.0129 mg, above 2 mg; 1.43 mg/m² gives 1.958 mg
    above = verify(RCHOP, {"vincristine": "1.47 mg/m2"}, height=150, weight=45)["vincristine"]
    assert_allclose(above.difference_pct, 5.0)
    assert above.verdict == "too_high" and not above.ok
    assert above.reason.startswith(f"1.47 mg/m² is 2.013 mg for this patient, {COIFFIER_MAXIMUM}; ")
    below = verify(RCHOP, {"vincristine": "1.43 mg/m2"}, height=150, weight=45)["vincristine"]
    assert below.verdict == "within_tolerance" and below.ok


CARBOPLATIN_PACLITAXEL = load_protocol("carboplatin-paclitaxel")
FDA_MAXIMUM = "above the maximum the GFR cap of 125 mL/min gives, AUC 5 mg/mL·min × (125 + 25) mL/min = 750 mg (FDA"


def test_a_carboplatin_dose_above_the_maximum_of_the_gfr_cap_is_too_high():
    # Cockcroft-Gault (Cockcroft & Gault 1976, doi:10.1159/000180580), 25 years, 60 kg, 0.5 mg/dL, female:
    # (140 − 25) × 60 / (72 × 0.5) × 0.85 = 162.9 mL/min, capped at 125 (FDA 2010): 5 × (125 + 25) = 750 mg.
    # 787 mg is +4.93 % of it, within 5 % and above the 750 mg maximum
    patient = {"height": "165 cm", "weight": "60 kg", "sex": "F", "age": 25, "creatinine": "0.5 mg/dL"}
    check = verify(CARBOPLATIN_PACLITAXEL, {"carboplatin": "787 mg"}, **patient)["carboplatin"]
    assert check.computed.m_as("mg") == 750.0
    assert_allclose(check.difference_pct, 100 * (787 / 750 - 1))
    assert check.verdict == "too_high" and check.reason.startswith(f"787 mg is {FDA_MAXIMUM}")
    assert verify(CARBOPLATIN_PACLITAXEL, {"carboplatin": "750 mg"}, **patient).ok


def test_the_maximum_of_the_gfr_cap_holds_where_the_cap_does_not_lower_the_gfr():
    # GFR 120 mL/min, under the 125 mL/min cap: 5 × (120 + 25) = 725 mg. 760 mg is +4.83 % of it and above
    # 5 × 150 = 750 mg, the most the FDA's cap allows; AUC 5.2 (+4 %) gives 5.2 × 145 = 754 mg, above it too
    order = Order("carboplatin", "5 mg/mL*min")
    check = verify(order, "760 mg", gfr="120 mL/min").checks[0]
    assert check.computed.m_as("mg") == 725.0 and check.verdict == "too_high"
    assert check.reason.startswith(f"760 mg is {FDA_MAXIMUM}")
    auc = verify(order, "5.2 mg/mL*min", gfr="120 mL/min").checks[0]
    assert auc.verdict == "too_high" and auc.reason.startswith(
        f"5.2 mg·min/mL is 754 mg for this patient, {FDA_MAXIMUM}"
    )
    # without a cap there is no such maximum: 760 mg is within 5 % of 725 mg
    assert verify(Order("carboplatin", "5 mg/mL*min", gfr_cap=None), "760 mg", gfr="120 mL/min").ok
    # a cap given to the order: 5 × (100 + 25) = 625 mg, the order's own maximum
    given = verify(Order("carboplatin", "5 mg/mL*min", gfr_cap="100 mL/min"), "640 mg", gfr="120 mL/min").checks[0]
    assert given.verdict == "too_high"
    assert "AUC 5 mg/mL·min × (100 + 25) mL/min = 625 mg (the order's gfr_cap; Calvert AH" in given.reason


def test_a_cycle_past_the_protocols_is_flagged_without_a_day():
    # R-CHOP-21 has 8 cycles: cycle 12 is flagged whether or not a day is given; cycle 8 is not
    for day in (None, 1):
        check = verify(RCHOP, {"doxorubicin": "92 mg"}, height=175, weight=70, cycle=12, day=day)["doxorubicin"]
        assert codes(check) == ["not_scheduled"] and check.flags[0].message == "cycle 12 of a protocol of 8 cycles"
    assert verify(RCHOP, {"doxorubicin": "92 mg"}, height=175, weight=70, cycle=8).ok


# --- settings, sources, output ---------------------------------------------------------


def test_settings_carry_their_sources():
    assert TOLERANCE.value == 5.0 and "doi:10.1200/JOP.2017.025411" in TOLERANCE.source and "6 %" in TOLERANCE.source
    assert WEIGHT_CHANGE["adult"].value == 10.0 and WEIGHT_CHANGE["child"].value == 5.0
    assert "10.1200/JOP.2016.017905" in ASCO_ONS_2016 and "10.1188/17.ONF.31-43" in ASCO_ONS_2016
    assert tolerance_setting("7.5%").value == 7.5 and tolerance_setting(Q_(10, "percent")).value == 10.0
    assert weight_change_setting("child") is WEIGHT_CHANGE["child"]
    assert weight_change_setting("8 %").value == 8.0


@pytest.mark.parametrize("tolerance", ["11%", "0%", "5", "5 mg", "5 %%", "-5%", 12])
def test_tolerance_outside_its_range_or_grammar_is_refused(tolerance):
    with pytest.raises(DoseCalcError) as err:
        verify("100 mg", "100 mg", tolerance=tolerance)
    assert err.value.field == "tolerance"


def test_to_dict_has_every_number_verdict_flag_and_source():
    result = verify(
        RCHOP,
        {"vincristine": "2.3 mg", "doxorubicin": "95 mg"},
        height=160,
        weight=60,
        baseline_weight="70 kg",
        cycle=1,
        day=1,
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["ok"] is False
    assert data["tolerance"]["value"] == 5.0 and "HOPA" not in data["tolerance"]["name"]
    assert "Hematology/Oncology Pharmacy Association" in data["tolerance"]["source"]
    vincristine = data["checks"][0]
    assert vincristine["verdict"] == "too_high" and vincristine["meaning"] == VERDICTS["too_high"]
    assert vincristine["ordered"] == {"given": "2.3 mg", "value": 2.3, "unit": "mg"}
    assert vincristine["computed"] == {"value": 2.0, "unit": "mg"}
    assert [flag["code"] for flag in vincristine["flags"]] == ["cap_explains"]
    assert [step["name"] for step in vincristine["computation"]["steps"]] == ["prescribed", "calculation", "max dose"]
    assert data["flags"][0]["code"] == "weight_change" and data["flags"][0]["meaning"] == FLAGS["weight_change"]
    assert data["summary"]["too_high"] == 2 and data["summary"]["not_ordered"] == 3
    assert data["references"] == [ASCO_ONS_2016]


# --- refusals: bad input is an error, not a verdict -----------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, field",
    [
        ({"ordered": {"doxorubicin": "95"}}, UnitError, "ordered doxorubicin"),  # no unit
        ({"ordered": {"doxorubicin": "95 mg/m2/week"}}, UnitError, "ordered doxorubicin"),  # a rate
        ({"ordered": {"doxorubicin": "9 5 mg"}}, UnitError, "ordered doxorubicin"),  # two numbers
        ({"ordered": {"doxorubicin": "95–100 mg"}}, UnitError, "ordered doxorubicin"),  # a range
        ({"ordered": {"doxorubicin": "-95 mg"}}, UnitError, "ordered doxorubicin"),
        ({"ordered": {"doxorubicin": "95 mg"}, "height": "80 kg", "weight": "175 cm"}, UnitError, "height"),  # swapped
        ({"ordered": {}, "day": 22}, ImplausibleInputError, "day"),  # outside the 21-day cycle
        ({"ordered": {}, "day": 0}, ImplausibleInputError, "day"),
        ({"ordered": {}, "cycle": True}, ImplausibleInputError, "cycle"),
        ({"ordered": {}, "prior": {"epirubicin": "100 mg/m2"}}, UnknownNameError, "prior"),
        ({"ordered": {}, "conditions": ("radiotherapy",)}, UnknownNameError, "conditions"),
        ({"ordered": {}, "weight": None, "baseline_weight": 80}, MissingInputError, "weight"),
        ({"ordered": "95 mg"}, UnitError, "ordered"),  # a protocol needs the drug of each dose
    ],
)
def test_bad_input_is_refused(kwargs, error, field):
    kwargs = {"height": 175, "weight": 80, **kwargs}
    with pytest.raises(error) as err:
        verify(RCHOP, **kwargs)
    assert err.value.field.startswith(field)


# --- properties ---------------------------------------------------------------------------

heights = st.floats(140, 200)
weights = st.floats(40, 150)


@given(height=heights, weight=weights)
def test_computed_doses_always_verify(height, weight):
    schedule = RCHOP.for_patient(height=height, weight=weight, cycles=1)
    ordered = {dose.drug: dose.dose for dose in schedule.doses}
    result = verify(RCHOP, ordered, height=height, weight=weight, cycle=1, day=1)
    assert result.ok, result.summary()
    assert all(check.difference_pct == 0.0 for check in result.checks)


@given(height=heights, weight=weights, percent=st.floats(-60, 60), tolerance=st.floats(1, 10))
def test_a_perturbation_beyond_the_tolerance_always_flags_within_never(height, weight, percent, tolerance):
    # doxorubicin: no cap and no rounding in R-CHOP-21
    assume(abs(abs(percent) - tolerance) > 1e-6)
    computed = 50 * math.sqrt(height * weight / 3600)
    ordered = Q_(computed * (1 + percent / 100), "mg")
    check = verify(RCHOP, {"doxorubicin": ordered}, height=height, weight=weight, tolerance=tolerance)["doxorubicin"]
    assert_allclose(check.difference_pct, percent, atol=1e-9)
    expected = "within_tolerance" if abs(percent) < tolerance else "too_high" if percent > 0 else "too_low"
    assert check.verdict == expected
    assert (check.verdict in ("too_high", "too_low")) == (not check.ok)


def test_not_verifiable_verdicts_are_never_ok():
    for verdict in NOT_VERIFIABLE:
        assert verdict in VERDICTS
    result = verify(RCHOP, {"epirubicin": "100 mg"}, height=175, weight=80)
    assert not result.ok and not result.checks[0].ok


# --- hostile inputs --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["doxorubicin\u00a0", "ｄｏｘｏｒｕｂｉｃｉｎ", "doxorubicin\u00ad", "dоxorubicin"])
def test_lookalike_and_invisible_characters_never_match(name):
    # a no-break space, full-width letters, a soft hyphen, a Cyrillic о: shown escaped, not verified as doxorubicin
    check = verify(RCHOP, {name: "98.6 mg"}, height=175, weight=80).checks[0]
    assert check.verdict == "not_in_protocol"
    assert "\\u" in check.reason or "\\x" in check.reason


def test_spaces_and_tabs_around_a_name_are_a_spreadsheet_export():
    assert verify(RCHOP, {" doxorubicin\t": "98.6 mg"}, height=175, weight=80).ok


def test_drug_units_never_compare_with_mg():
    # ABVD bleomycin 10 units/m² (Blenoxane label): 10 × 1.97203 = 19.72 units for 175 cm, 80 kg
    abvd = load_protocol("abvd")
    in_mg = verify(abvd, {"bleomycin": "19.7 mg"}, height=175, weight=80)["bleomycin"]
    assert in_mg.verdict == "not_comparable"
    in_units = verify(abvd, {"bleomycin": "19.7 units"}, height=175, weight=80, prior={"bleomycin": "390 units"})
    check = in_units["bleomycin"]
    assert_allclose(check.computed.magnitude, 10 * BSA_175_80)
    # 390 + 19.7 = 409.7 units ≥ 400 units, the Blenoxane label's
    assert check.verdict == "within_tolerance" and codes(check) == ["lifetime_limit"]
    assert verify(RCHOP, {"doxorubicin": "95 units"}, height=175, weight=80)["doxorubicin"].verdict == "not_comparable"


def test_swapped_height_and_weight_are_refused():
    with pytest.raises(ImplausibleInputError):
        verify(RCHOP, {"doxorubicin": "95 mg"}, height=80, weight=175)


@pytest.mark.parametrize("name, value", [("age", 60), ("creatinine", "1 mg/dL"), ("gfr", "90 mL/min")])
def test_kidney_inputs_are_refused_where_no_order_reads_them(name, value):
    # age, creatinine and GFR are read by a carboplatin AUC order alone: given for R-CHOP-21 or a single order in
    # mg/m², they were given for a reason no order serves (a protocol chosen by mistake): refused, never ignored
    patient = {"height": "175 cm", "weight": "70 kg", name: value}
    with pytest.raises(ImplausibleInputError, match=f"^{name}=.*: expected no {name}: R-CHOP-21 has no carboplatin"):
        verify(RCHOP, {"doxorubicin": "92 mg"}, **patient)
    with pytest.raises(ImplausibleInputError, match=f"expected no {name}: R-CHOP-21 has no carboplatin AUC order"):
        RCHOP.for_patient(**patient)
    with pytest.raises(ImplausibleInputError, match=f"expected no {name}: the order is no carboplatin AUC"):
        verify("75 mg/m2", {"dose": "138 mg"}, **patient)
    # a protocol with a carboplatin AUC order reads them
    carboplatin = load_protocol("carboplatin-paclitaxel")
    kidney = {"sex": "f", "age": 60, "creatinine": "1 mg/dL"}
    assert verify(carboplatin, {"carboplatin": "460 mg"}, height="165 cm", weight="70 kg", **kidney).checks


def test_an_order_in_another_basis_names_the_bases_it_may_be_ordered_in():
    # mg/kg against the protocol's mg/m²: its basis and mg; against a flat dose in mg: mg alone, said once
    check = verify(RCHOP, {"doxorubicin": "1.3 mg/kg"}, height="175 cm", weight="70 kg")["doxorubicin"]
    assert check.verdict == "not_comparable"
    assert check.reason == (
        "ordered in mg/kg; the protocol doses doxorubicin in mg/m² (mg once computed): order it in mg or mg/m²"
    )
    flat = verify(Order("vincristine", "2 mg"), {"vincristine": "0.03 mg/kg"}, weight="70 kg")["vincristine"]
    assert flat.reason == "ordered in mg/kg; the protocol doses vincristine in mg: order it in mg"


def test_a_refused_ordered_dose_or_prior_is_shown_as_typed():
    # "92mg/day" read is 92.0 mg/d and "1e6mg/m2" 1000000 mg/m²: the message shows what was typed
    patient = {"height": "175 cm", "weight": "70 kg"}
    with pytest.raises(UnitError, match=r"^ordered doxorubicin='92mg/day': expected a dose per administration"):
        verify(RCHOP, {"doxorubicin": "92mg/day"}, **patient)
    with pytest.raises(ImplausibleInputError, match=r"^prior doxorubicin='1e6mg/m2': expected \[1e-09, 50000\] mg/m²"):
        verify(RCHOP, {"doxorubicin": "92 mg"}, prior={"doxorubicin": "1e6mg/m2"}, **patient)
