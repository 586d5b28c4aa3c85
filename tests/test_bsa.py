"""BSA formulas against their published equations, and their properties."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from strategies import bodies

from dosecalc import BSA_METHODS, Q_, bsa
from dosecalc.bsa import (
    boyd,
    bsa_magnitude,
    checked_bsa,
    dubois,
    livingston_lee,
    mosteller,
    schlich,
    shuter_aslani,
)
from dosecalc.errors import (
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)
from dosecalc.validation import Body


def m2(quantity):
    return quantity.m_as("m**2")


# Reference values: each formula's published equation evaluated at 75 kg/170 cm,
# 90 kg/185 cm and 80 kg/180 cm, rounded to 3 decimals. The same figures are the
# expected values of two independent implementations' test suites: pharmaverse
# admiral (tests/testthat/test_derive_param_bsa.R) and clinPK
# (tests/testthat/test_calc_bsa.R).
PUBLISHED = [
    # method, weight kg, height cm, BSA m²
    # Mosteller RD, N Engl J Med 1987;317:1098: sqrt(H W / 3600)
    ("mosteller", 75, 170, 1.882),
    ("mosteller", 90, 185, 2.151),
    ("mosteller", 80, 180, 2.000),
    # Du Bois D, Du Bois EF, Arch Intern Med 1916;17:863: 71.84 W^0.425 H^0.725 cm²
    ("dubois", 75, 170, 1.864),
    ("dubois", 90, 185, 2.141),
    ("dubois", 80, 180, 1.996),
    # Haycock GB et al., J Pediatr 1978;93:62: 0.024265 W^0.5378 H^0.3964
    ("haycock", 75, 170, 1.895),
    ("haycock", 90, 185, 2.161),
    ("haycock", 80, 180, 2.007),
    # Gehan EA, George SL, Cancer Chemother Rep 1970;54:225: 0.0235 W^0.51456 H^0.42246
    ("gehan_george", 75, 170, 1.897),
    ("gehan_george", 90, 185, 2.160),
    ("gehan_george", 80, 180, 2.009),
    # Boyd E, The Growth of the Surface Area of the Human Body, 1935 (weight in grams)
    ("boyd", 75, 170, 1.905),
    ("boyd", 90, 185, 2.158),
    ("boyd", 80, 180, 2.007),
    # Fujimoto S et al., Nippon Eiseigaku Zasshi 1968;23:443: 0.008883 W^0.444 H^0.663
    ("fujimoto", 75, 170, 1.819),
    ("fujimoto", 90, 185, 2.086),
    # Takahira H, 1925 (via Fujimoto 1968): 0.007241 W^0.425 H^0.725
    ("takahira", 75, 170, 1.878),
    ("takahira", 90, 185, 2.158),
]


@pytest.mark.parametrize("method, weight_kg, height_cm, expected_m2", PUBLISHED)
def test_published_values(method, weight_kg, height_cm, expected_m2):
    assert round(m2(bsa(height_cm, weight_kg, method=method)), 3) == expected_m2


def test_mosteller_exact():
    # Mosteller (1987) by hand: sqrt(180 * 80 / 3600) = 2.0 m²; sqrt(144 * 100 / 3600) = 2.0 m²
    assert m2(mosteller(180, 80)) == 2.0
    assert m2(mosteller(144, 100)) == 2.0


def test_dubois_original_cm2_form():
    # Du Bois & Du Bois (1916) state A = W^0.425 × H^0.725 × 71.84 in cm²
    expected_cm2 = 80**0.425 * 180**0.725 * 71.84
    assert_allclose(dubois(180, 80).m_as("cm**2"), expected_cm2, rtol=1e-12)


def test_boyd_weight_in_grams():
    # Boyd (1935): A [cm²] = 3.207 H^0.3 Wg^(0.7285 - 0.0188 log10 Wg), Wg in grams
    weight_g = 80_000.0
    expected_cm2 = 3.207 * 180**0.3 * weight_g ** (0.7285 - 0.0188 * np.log10(weight_g))
    assert_allclose(boyd(180, 80).m_as("cm**2"), expected_cm2, rtol=1e-12)
    assert round(m2(boyd(180, 80)), 3) == 2.007  # not 2.084, the grams/kg mix-up


def test_shuter_aslani_equation():
    # Shuter B, Aslani A, Eur J Appl Physiol 2000;82:250: 0.00949 W^0.441 H^0.655
    assert_allclose(m2(shuter_aslani(170, 75)), 0.00949 * 75**0.441 * 170**0.655, rtol=1e-12)
    assert round(m2(shuter_aslani(170, 75)), 4) == 1.8412


def test_schlich_sex_specific():
    # Schlich E et al., Ernährungs Umschau 2010;57:178:
    # women 0.000975482 W^0.46 H^1.08, men 0.000579479 W^0.38 H^1.24
    assert_allclose(m2(schlich(170, 75, "f")), 0.000975482 * 75**0.46 * 170**1.08, rtol=1e-12)
    assert_allclose(m2(schlich(170, 75, "male")), 0.000579479 * 75**0.38 * 170**1.24, rtol=1e-12)
    assert round(m2(schlich(170, 75, "F")), 4) == 1.8224
    assert round(m2(schlich(170, 75, "m")), 4) == 1.7431
    both = schlich([170, 170], [75, 75], ["f", "m"])
    assert_allclose(m2(both), [m2(schlich(170, 75, "f")), m2(schlich(170, 75, "m"))], rtol=0)


def test_livingston_lee_weight_only():
    # Livingston EH, Lee S, Am J Physiol Endocrinol Metab 2001;281:E586:
    # 0.1173 W^0.6466 (W >= 10 kg); 0.1037 W^0.6724 below 10 kg
    assert round(m2(livingston_lee(75)), 4) == 1.9130
    assert_allclose(m2(bsa(weight=80, method="livingston_lee")), 0.1173 * 80**0.6466, rtol=1e-12)
    assert_allclose(m2(bsa(weight=5, method="livingston")), 0.1037 * 5**0.6724, rtol=1e-12)


def test_methods_table_is_complete():
    assert set(BSA_METHODS) == {
        "mosteller",
        "dubois",
        "haycock",
        "gehan_george",
        "boyd",
        "fujimoto",
        "takahira",
        "shuter_aslani",
        "schlich",
        "livingston_lee",
    }
    for name, entry in BSA_METHODS.items():
        assert callable(entry.function) and entry.reference, name
        assert entry.function.__name__ == name


@pytest.mark.parametrize("spelling", ["DuBois", "du bois", "Du Bois", "dubois", "du_bois", "Du Bois & Du Bois"])
def test_method_spellings(spelling):
    assert m2(bsa(180, 80, method=spelling)) == m2(dubois(180, 80))


@pytest.mark.parametrize(
    "spelling", ["dubois\u00a0", " dubois", "dubois\n", "DUBOIS", "du  bois", "du\tbois", "Du\u2003Bois"]
)
def test_a_method_is_read_exactly_as_typed(spelling):
    # never stripped, case-folded or with its spaces collapsed: refused, the closest as its hint
    with pytest.raises(UnknownNameError) as caught:
        bsa(180, 80, method=spelling)
    assert str(caught.value) == (
        f"method={ascii(spelling)} is not known; expected one of: {', '.join(BSA_METHODS)}; did you mean 'dubois'?"
    )


def test_keywords_and_quantities():
    expected = m2(bsa(175, 70))
    assert m2(bsa(height=Q_(1.75, "m"), weight=Q_(70_000, "g"))) == pytest.approx(expected, rel=1e-12)
    assert m2(bsa(weight="70 kg", height="175 cm")) == pytest.approx(expected, rel=1e-12)
    assert m2(bsa("5 ft 9 in", "154 lb")) == pytest.approx(m2(bsa(175.26, 69.853225)), rel=1e-6)


def test_returns_square_metres_for_scalars_and_arrays():
    scalar = bsa(175, 70)
    assert scalar.units == Q_(1, "m**2").units
    assert isinstance(scalar.magnitude, float)
    array = bsa(np.array([175.0, 160.0]), np.array([70.0, 55.0]))
    assert isinstance(array.magnitude, np.ndarray) and array.magnitude.shape == (2,)


# --- properties -----------------------------------------------------------------

methods = st.sampled_from([name for name, entry in BSA_METHODS.items() if not entry.needs_sex])


@given(bodies(), methods)
def test_unit_invariance(body, method):
    height_cm, weight_kg = body
    metric = m2(bsa(height_cm, weight_kg, method=method))
    imperial = m2(bsa(Q_(height_cm / 2.54, "in"), Q_(weight_kg / 0.45359237, "lb"), method=method))
    assert imperial == pytest.approx(metric, rel=1e-12)


# below 1.5: BMI 40 × 1.5 is the 60 kg/m² bound of a child's length, which a rounded weight can pass
@given(bodies(), st.floats(min_value=1.001, max_value=1.45), methods)
def test_monotonic_in_height_and_weight(body, factor, method):
    height_cm, weight_kg = body
    base = m2(bsa(height_cm, weight_kg, method=method))
    assert m2(bsa(weight=weight_kg * factor, height=height_cm, method=method)) > base
    if BSA_METHODS[method].needs_height:
        assert m2(bsa(min(height_cm * factor, 280), weight_kg, method=method)) > base


@given(st.lists(bodies(), min_size=1, max_size=20), st.sampled_from(list(BSA_METHODS)))
def test_scalar_path_equals_array_path(rows, method):
    heights = np.array([h for h, _ in rows])
    weights = np.array([w for _, w in rows])
    sexes = np.array(["f", "m"] * len(rows))[: len(rows)]
    array = m2(bsa(heights, weights, method=method, sex=sexes))
    scalars = [m2(bsa(h, w, method=method, sex=s)) for h, w, s in zip(heights, weights, sexes)]
    np.testing.assert_array_equal(array, scalars)  # exactly, not approximately


# --- bad input ------------------------------------------------------------------


def test_height_in_metres_hint():
    with pytest.raises(ImplausibleInputError, match="height") as err:
        bsa(Q_(1.75, "cm"), 70)
    assert "did you mean 1.75 m?" in str(err.value)
    assert err.value.field == "height"


def test_weight_in_pounds_hint():
    with pytest.raises(ImplausibleInputError, match="weight") as err:
        bsa(175, 1000)
    assert "did you mean 1000 lb?" in str(err.value)


def test_array_error_names_the_element():
    with pytest.raises(ImplausibleInputError, match=r"height\[1\]"):
        bsa([170, 1.8], [70, 80])


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 0.0, -70.0])
def test_non_finite_zero_negative_weight(bad):
    with pytest.raises(ImplausibleInputError, match="weight"):
        bsa(175, bad)


@pytest.mark.parametrize("bad", [float("nan"), 0.0, -175.0, 5000.0])
def test_non_finite_zero_negative_height(bad):
    with pytest.raises(ImplausibleInputError, match="height"):
        bsa(bad, 70)


def test_wrong_dimension_is_unit_error():
    with pytest.raises(UnitError, match="height"):
        bsa(Q_(175, "kg"), 70)
    with pytest.raises(UnitError, match="weight"):
        bsa(175, "70 cm")


def test_unknown_method_lists_valid_names():
    with pytest.raises(UnknownNameError, match="mosteller, dubois") as err:
        bsa(175, 70, method="dubious")
    assert err.value.field == "method"


def test_missing_inputs():
    with pytest.raises(MissingInputError, match="height"):
        bsa(weight=70)
    with pytest.raises(MissingInputError, match="weight"):
        bsa(175)
    with pytest.raises(MissingInputError, match="sex"):
        bsa(175, 70, method="schlich")
    with pytest.raises(UnknownNameError, match="sex"):
        bsa(175, 70, method="schlich", sex="unknown")


def test_preterm_neonate_and_heaviest_adult_are_admitted():
    # a 25 cm, 0.3 kg preterm infant and a 185 cm, 635 kg adult are inside the ranges
    assert 0.04 < m2(bsa(25, 0.3)) < 0.05
    assert 5 < m2(bsa(185, 635)) < 6


def test_arrays_of_different_lengths_name_their_fields():
    # three heights and two weights are a slip, not patients: no numpy broadcast error
    with pytest.raises(
        ImplausibleInputError, match=r"^height, weight=3 height, 2 weight: expected arrays of one length"
    ):
        bsa([170, 180, 190], [70, 80])
    assert bsa([170, 180], 70).magnitude.shape == (2,)  # one value for all is fine


def test_arrays_that_are_no_body_are_refused_at_their_pair():
    # 70 cm and 175 kg is a BMI of 357 kg/m² (swapped); 170 cm and 700 kg, 242 kg/m², above 200 at an adult's height
    with pytest.raises(ImplausibleInputError, match=r"^height, weight\[1\]=70 cm, 175 kg .*swapped"):
        bsa(np.array([170.0, 70.0]), np.array([70.0, 175.0]))
    with pytest.raises(ImplausibleInputError, match=r"^height, weight\[1\]=170 cm, 700 kg"):
        bsa(170.0, np.array([70.0, 700.0]))
    # Mosteller by hand, one height for two weights and a table of bodies: sqrt(H W / 3600)
    np.testing.assert_allclose(m2(bsa(180.0, np.array([80.0, 45.0]))), [2.0, 1.5])
    np.testing.assert_allclose(m2(bsa(np.array([[180.0, 160.0]]), np.array([[80.0, 90.0]]))), [[2.0, 2.0]])


RISING = sorted(key for key, entry in BSA_METHODS.items() if entry.rising)


def body_of(height_cm, weight_kg):
    return Body(height_cm, weight_kg, (height_cm.min(), height_cm.max()), (weight_kg.min(), weight_kg.max()))


@given(
    st.lists(st.tuples(st.floats(20.0, 280.0), st.floats(0.2, 700.0)), min_size=1, max_size=30),
    st.sampled_from(RISING),
)
def test_the_corners_of_a_rising_formula_refuse_what_every_value_would(pairs, method):
    # BSAs above 7 m² (280 cm and 700 kg: Mosteller 7.4 m²) or below 0.02 m² are refused, with the corners or without
    height_cm, weight_kg = (np.array(values) for values in zip(*pairs))
    area_m2 = bsa_magnitude(method, height_cm, weight_kg)
    plausible = bool(((area_m2 >= 0.02) & (area_m2 <= 7.0)).all())
    try:
        result = checked_bsa(method, height_cm, weight_kg, body=body_of(height_cm, weight_kg))
    except ImplausibleInputError as err:
        assert not plausible and err.field.startswith("bsa (computed)")
    else:
        assert plausible
        np.testing.assert_array_equal(result, area_m2)


def test_the_corners_decide_to_the_last_bit():
    # Mosteller by hand: sqrt(252 × 700 / 3600) = sqrt(49) = 7.0 m², the top of the range exactly: accepted;
    # a weight one float above 700 kg gives a BSA above 7.0 m²: refused
    height_cm = np.array([252.0, 180.0])
    weight_kg = np.array([700.0, 80.0])
    assert checked_bsa("mosteller", height_cm, weight_kg, body=body_of(height_cm, weight_kg)).tolist() == [7.0, 2.0]
    weight_kg[0] = np.nextafter(700.0, np.inf)
    with pytest.raises(ImplausibleInputError, match=r"^bsa \(computed\)\[0\]=7"):
        checked_bsa("mosteller", height_cm, weight_kg, body=body_of(height_cm, weight_kg))
