"""Body-size scalars (BMI, Devine IBW, adjusted and lean weight) and the weight basis of patient doses."""

import json
import math
import re

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dosecalc import Q_, patient_dose
from dosecalc.body import (
    WEIGHT_BASES,
    adjusted_body_weight,
    bmi,
    dosing_weight,
    ideal_above_actual,
    ideal_body_weight,
    lean_body_weight,
    weight_basis_key,
)
from dosecalc.errors import (
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)
from dosecalc.validation import HEIGHT, check_body, checked, implausible_bodies, is_female, not_a_body, plausible_body


def kg(quantity):
    return quantity.m_as("kg")


heights_cm = st.floats(min_value=152.4, max_value=250)  # Devine: 5 ft and over
weights_kg = st.floats(min_value=30, max_value=300)
sexes = st.sampled_from(["f", "m"])


# --- published and worked examples ----------------------------------------------


def test_bmi():
    # WHO (2000): BMI = W / H²; 80 kg at 2.00 m is 20 kg/m², at 1.60 m 31.25 kg/m²
    assert bmi(200, 80).m_as("kg/m**2") == 20.0
    assert bmi("160 cm", "80 kg").m_as("kg/m**2") == pytest.approx(31.25)


def test_devine_by_hand():
    # Devine, Drug Intell Clin Pharm 1974;8:650: 50 kg (men) / 45.5 kg (women) + 2.3 kg per inch over 5 ft
    assert kg(ideal_body_weight("5 ft 10 in", "male")) == pytest.approx(50 + 2.3 * 10)  # 73.0 kg
    assert kg(ideal_body_weight("5 ft 4 in", "female")) == pytest.approx(45.5 + 2.3 * 4)  # 54.7 kg
    assert kg(ideal_body_weight(Q_(60, "in"), "m")) == pytest.approx(50.0)


def test_devine_against_clinpk():
    # clinPK test suite (InsightRX, tests/testthat/test_calc_ibw.R), Devine with inches = cm / 2.54
    assert kg(ideal_body_weight(160, "female")) == pytest.approx(52.381890, abs=1e-6)
    assert kg(ideal_body_weight(160, "male")) == pytest.approx(56.881890, abs=1e-6)
    assert round(kg(ideal_body_weight(180, "male")), 1) == 75.0


def test_adjusted_body_weight():
    # IBW + 0.4 (TBW - IBW) (NCCN Chemotherapy Order Templates, Appendix B, 2020) by hand: 73 + 0.4 × 25 = 83 kg
    assert kg(adjusted_body_weight("5 ft 10 in", 98, "male")) == pytest.approx(83.0)
    # clinPK test suite (tests/testthat/test_calc_abw.R): (80 kg, 180 cm, male) -> 77.0
    assert round(kg(adjusted_body_weight(180, 80, "male")), 1) == 77.0
    # clinPK's (150 kg, 150 cm, male) -> 88.7 extends Devine's line below 5 ft, where Devine 1974 does not
    # define it and sources disagree: refused
    with pytest.raises(ImplausibleInputError, match="^height=150 cm: expected 152.4-280 cm"):
        adjusted_body_weight(150, 150, "male")


def test_janmahasatian_lean_body_weight():
    # Janmahasatian et al., Clin Pharmacokinet 2005;44:1051, doi:10.2165/00003088-200544100-00004:
    # men 9270 W / (6680 + 216 BMI), women 9270 W / (8780 + 244 BMI). By hand, 80 kg:
    assert kg(lean_body_weight(200, 80, "male")) == pytest.approx(9270 * 80 / (6680 + 216 * 20))  # 67.418
    bmi_30_height_cm = 100 * np.sqrt(80 / 30)
    assert kg(lean_body_weight(bmi_30_height_cm, 80, "male")) == pytest.approx(9270 * 80 / (6680 + 216 * 30))
    assert kg(lean_body_weight(bmi_30_height_cm, 80, "female")) == pytest.approx(9270 * 80 / (8780 + 244 * 30))
    # the same cases rounded in the clinPK test suite (tests/testthat/test_calc_ffm.R): 67, 56, 46 kg
    assert [
        round(kg(lean_body_weight(h, 80, s))) for h, s in [(200, "m"), (bmi_30_height_cm, "m"), (bmi_30_height_cm, "f")]
    ] == [67, 56, 46]


# --- scalars, arrays and units ----------------------------------------------------


def test_scalar_in_scalar_out_and_arrays():
    heights = np.array([160.0, 180.0, 155.0])
    weights = np.array([60.0, 80.0, 150.0])
    sex = np.array(["f", "m", "male"])
    arrays = [
        ideal_body_weight(heights, sex),
        adjusted_body_weight(heights, weights, sex),
        lean_body_weight(heights, weights, sex),
        bmi(heights, weights),
    ]
    for i in range(3):
        scalars = [
            ideal_body_weight(heights[i], sex[i]),
            adjusted_body_weight(heights[i], weights[i], sex[i]),
            lean_body_weight(heights[i], weights[i], sex[i]),
            bmi(heights[i], weights[i]),
        ]
        for array, scalar in zip(arrays, scalars):
            assert isinstance(scalar.magnitude, float)
            assert array.magnitude[i] == scalar.magnitude


@given(heights_cm, weights_kg, sexes)
def test_unit_invariance(height_cm, weight_kg, sex):
    metric = (ideal_body_weight(height_cm, sex), lean_body_weight(height_cm, weight_kg, sex))
    imperial = (
        ideal_body_weight(Q_(height_cm / 2.54, "in"), sex),
        lean_body_weight(Q_(height_cm / 2.54, "in"), Q_(weight_kg / 0.45359237, "lb"), sex),
    )
    assert_allclose([kg(q) for q in imperial], [kg(q) for q in metric], rtol=1e-12)


@given(heights_cm, heights_cm, sexes)
def test_ibw_monotonic_in_height(height_a, height_b, sex):
    low, high = sorted((height_a, height_b))
    assert kg(ideal_body_weight(low, sex)) <= kg(ideal_body_weight(high, sex))


@given(heights_cm, weights_kg, sexes)
def test_adjusted_lies_between_ideal_and_actual(height_cm, weight_kg, sex):
    ideal, adjusted = kg(ideal_body_weight(height_cm, sex)), kg(adjusted_body_weight(height_cm, weight_kg, sex))
    assert min(ideal, weight_kg) - 1e-9 <= adjusted <= max(ideal, weight_kg) + 1e-9
    assert ideal > 0


@given(heights_cm, weights_kg, sexes)
def test_lean_below_actual(height_cm, weight_kg, sex):
    # above a BMI of 12 (men: 9270 < 6680 + 216 BMI) the fat-free mass is less than the weight
    assume(weight_kg / (height_cm / 100) ** 2 > 12.0)
    assert 0 < kg(lean_body_weight(height_cm, weight_kg, sex)) < weight_kg


# --- the dosing weight --------------------------------------------------------


def test_dosing_weight_per_basis():
    height, weight = "5 ft 10 in", 98
    assert kg(dosing_weight(height, weight)) == 98.0  # actual by default (ASCO 2012)
    assert kg(dosing_weight(height, weight, basis="ideal", sex="m")) == pytest.approx(73.0)
    assert kg(dosing_weight(height, weight, basis="adjusted", sex="m")) == pytest.approx(83.0)
    assert kg(dosing_weight(height, weight, basis="lean", sex="m")) == pytest.approx(
        kg(lean_body_weight(height, weight, "m"))
    )
    assert kg(dosing_weight(height, basis="ideal", sex="m")) == pytest.approx(73.0)  # IBW needs no weight
    assert kg(dosing_weight(height, weight, basis="lesser", sex="m")) == pytest.approx(73.0)  # min(98, 73)


def test_lesser_of_actual_and_ideal():
    # Winter et al., Pharmacotherapy 2012;32:604: the lesser of actual and Devine ideal weight.
    # A woman of 5 ft 4 in: Devine IBW 45.5 + 2.3 × 4 = 54.7 kg. At 48 kg the actual weight, at 70 kg the ideal
    assert kg(dosing_weight("5 ft 4 in", 48, basis="lesser", sex="f")) == 48.0
    assert kg(dosing_weight("5 ft 4 in", 70, basis="lesser", sex="f")) == pytest.approx(54.7)
    with pytest.raises(MissingInputError, match="^weight is required for lesser of actual and ideal"):
        dosing_weight("5 ft 4 in", basis="lesser", sex="f")


def test_ideal_above_actual_is_reported():
    # 54.7 kg ideal (above) for 48 kg: the "ideal" basis doses by more than she weighs, and "adjusted" too:
    # 54.7 + 0.4 × (48 − 54.7) = 52.02 kg > 48 kg. The bases keep their values; the flag says so.
    assert ideal_above_actual("5 ft 4 in", 48, "f") is True
    assert ideal_above_actual("5 ft 4 in", 70, "f") is False
    assert ideal_above_actual([162.56, 162.56], [48, 70], ["f", "f"]).tolist() == [True, False]
    assert kg(dosing_weight("5 ft 4 in", 48, basis="ideal", sex="f")) == pytest.approx(54.7)
    assert kg(dosing_weight("5 ft 4 in", 48, basis="adjusted", sex="f")) == pytest.approx(54.7 + 0.4 * (48 - 54.7))


@given(heights_cm, weights_kg, sexes)
def test_lesser_is_the_minimum_and_never_above_actual(height_cm, weight_kg, sex):
    lesser = kg(dosing_weight(height_cm, weight_kg, basis="lesser", sex=sex))
    ideal = kg(ideal_body_weight(height_cm, sex))
    assert lesser == min(weight_kg, ideal)
    assert lesser <= weight_kg
    assert ideal_above_actual(height_cm, weight_kg, sex) == (ideal > weight_kg)


@pytest.mark.parametrize(
    "name, key",
    [
        ("IBW", "ideal"),
        ("Ideal body weight", "ideal"),
        ("AdjBW", "adjusted"),
        ("adjusted-body-weight", "adjusted"),
        ("LBW", "lean"),
        ("TBW", "actual"),
        ("actual", "actual"),
        ("Lean weight", "lean"),
        ("lesser", "lesser"),
        ("lesser of actual and ideal", "lesser"),
        ("Lesser of IBW and TBW", "lesser"),
    ],
)
def test_weight_basis_names(name, key):
    assert weight_basis_key(name) == key
    assert key in WEIGHT_BASES


# --- patient doses by weight basis --------------------------------------------------


def test_patient_dose_actual_weight_is_the_default():
    # ASCO guideline (Griggs et al., J Clin Oncol 2012, doi:10.1200/JCO.2011.39.9436), rec. 1.1:
    # full, actual-weight-based doses regardless of obesity. An obese patient (BMI 40) keeps the full dose.
    default = patient_dose("6.1 mg/kg", height=160, weight=102.4)
    assert default.weight_basis == "actual"
    assert kg(default.dosing_weight) == 102.4
    assert default.dose.m_as("mg") == pytest.approx(6.1 * 102.4)
    assert default.bmi.m_as("kg/m**2") == pytest.approx(40.0)
    assert default.obese is True
    assert "10.1200/JCO.2011.39.9436" in default.weight_basis_reference


def test_obesity_flag_never_changes_the_dose():
    lean, obese = patient_dose("75 mg/m^2", height=180, weight=80), patient_dose("75 mg/m^2", height=180, weight=120)
    assert lean.obese is False and obese.obese is True
    assert obese.dose.m_as("mg") == pytest.approx(75 * np.sqrt(180 * 120 / 3600))
    assert patient_dose("75 mg/m^2", bsa=1.9).obese is None  # no height and weight, no BMI


def test_patient_dose_by_other_weight_bases():
    height_cm, weight_kg = 177.8, 98  # 5 ft 10 in: IBW 73 kg, AdjBW 83 kg (men)
    ideal = patient_dose("6.1 mg/kg", height=height_cm, weight=weight_kg, sex="m", weight_basis="ideal")
    assert ideal.weight_basis == "ideal"
    assert kg(ideal.dosing_weight) == pytest.approx(73.0)
    assert ideal.dose.m_as("mg") == pytest.approx(6.1 * 73.0)
    assert ideal.dose_per_kg.m_as("mg/kg") == 6.1  # per kg of the dosing weight
    assert kg(ideal.weight) == 98.0  # the actual weight as given

    adjusted = patient_dose("75 mg/m^2", height=height_cm, weight=weight_kg, sex="m", weight_basis="AdjBW")
    # BSA from the adjusted weight: Mosteller sqrt(177.8 × 83 / 3600)
    assert adjusted.bsa.m_as("m**2") == pytest.approx(np.sqrt(177.8 * 83.0 / 3600))
    assert adjusted.dose.m_as("mg") == pytest.approx(75 * np.sqrt(177.8 * 83.0 / 3600))
    assert adjusted.dose_per_m2.m_as("mg/m**2") == 75.0

    lean = patient_dose("6.1 mg/kg", height=height_cm, weight=weight_kg, sex="m", weight_basis="lean")
    assert lean.dose.m_as("mg") == pytest.approx(6.1 * kg(lean_body_weight(height_cm, weight_kg, "m")))


def test_patient_dose_weight_basis_on_arrays():
    heights, weights, sex = np.array([160.0, 185.0]), np.array([95.0, 70.0]), np.array(["f", "m"])
    both = patient_dose("6.1 mg/kg", height=heights, weight=weights, sex=sex, weight_basis="adjusted")
    assert both.obese.tolist() == [True, False]
    for i in range(2):
        one = patient_dose("6.1 mg/kg", height=heights[i], weight=weights[i], sex=sex[i], weight_basis="adjusted")
        assert both.dose.magnitude[i] == one.dose.magnitude
        assert both.dosing_weight.magnitude[i] == one.dosing_weight.magnitude


def test_patient_dose_to_dict_names_the_weight():
    data = patient_dose("6.1 mg/kg", height=160, weight=102.4, sex="f", weight_basis="ideal").to_dict()
    json.dumps(data)
    assert data["weight_basis"] == "ideal"
    assert data["dosing_weight"]["unit"] == "kg"
    assert data["dosing_weight"]["value"] == pytest.approx(52.381890, abs=1e-6)
    assert data["obese"] is True
    assert data["bmi"] == {"value": pytest.approx(40.0), "unit": "kg/m²"}
    assert "Devine" in data["weight_basis_reference"]


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: ideal_body_weight(170, None),
        lambda: adjusted_body_weight(170, 90, None),
        lambda: lean_body_weight(170, 90, None),
        lambda: dosing_weight(170, 90, basis="ideal"),
        lambda: patient_dose("6.1 mg/kg", height=170, weight=90, weight_basis="lean"),
    ],
)
def test_missing_sex_is_an_error_never_a_default(call):
    with pytest.raises(MissingInputError, match="^sex is required"):
        call()


def test_unknown_sex():
    with pytest.raises(UnknownNameError, match="sex='x'"):
        ideal_body_weight(170, "x")


# more spellings than is_female scans one by one (16), so the sorted rest is read too; spaces around a
# spelling are forgiven, no other character (a tab, a newline, a no-break space): one rule in both branches
SPELLINGS = [
    pad + word + pad for word in ("f", "F", "female", "Woman", "m", "M", "Male", "man") for pad in ("", " ", "  ")
]
NOT_SPELLINGS = ["x", "", "unknown", "\tf", "m\n", "\u00a0female", "f\u200b"]


@given(st.lists(st.sampled_from(SPELLINGS + NOT_SPELLINGS), max_size=60))
def test_is_female_classifies_each_value_as_its_lower_case_spelling_within_spaces(values):
    codes = [value.strip(" ").lower() for value in values]
    unknown = [i for i, code in enumerate(codes) if code not in ("f", "female", "woman", "w", "m", "male", "man")]
    if unknown:
        with pytest.raises(UnknownNameError, match=f"^sex={re.escape(repr(values[unknown[0]]))} is not known") as err:
            is_female(np.array(values, dtype=object))
        assert err.value.field == "sex"
    else:
        expected = [code in ("f", "female", "woman", "w") for code in codes]
        assert is_female(values).tolist() == expected
        assert is_female(np.array(values)).tolist() == expected
    # each value is read in an array as it is read alone
    for value in set(values):
        alone = value.strip(" ").lower() in ("f", "female", "woman", "w", "m", "male", "man")
        if not alone:
            with pytest.raises(UnknownNameError):
                is_female(value)


def test_a_sex_padded_by_other_whitespace_is_refused_past_the_spellings_scanned_one_by_one():
    # the 17th distinct spelling is read by the sorted branch: a tab around it was forgiven there, not alone
    with pytest.raises(UnknownNameError, match=r"^sex='\\tf' is not known"):
        is_female([*SPELLINGS[:16], "\tf"])
    with pytest.raises(UnknownNameError, match=r"^sex='\\tf' is not known"):
        is_female("\tf")


def test_is_female_keeps_the_shape_and_names_the_value_as_given():
    assert is_female("F").shape == ()
    assert is_female(SPELLINGS * 2).tolist() == [s.strip().lower() in ("f", "female", "woman") for s in SPELLINGS * 2]
    assert is_female([]).tolist() == []
    assert is_female(np.array([["f", "m"], ["Male", " female "]])).tolist() == [[True, False], [False, True]]
    with pytest.raises(UnknownNameError, match="^sex=None is not known"):
        is_female(["f", None, "x"])
    with pytest.raises(UnknownNameError, match="^sex=nan is not known"):
        is_female(np.array(["m", float("nan")], dtype=object))


def test_missing_height_or_weight_for_a_basis():
    with pytest.raises(MissingInputError, match="^height is required for ideal body weight"):
        dosing_weight(weight=90, basis="ideal", sex="f")
    with pytest.raises(MissingInputError, match="^weight is required for adjusted body weight"):
        dosing_weight(height=170, basis="adjusted", sex="f")
    with pytest.raises(MissingInputError, match="^weight is required for actual body weight"):
        dosing_weight(height=170)


def test_devine_starts_at_five_feet():
    # Devine 1974: 50 kg (men), 45.5 kg (women) at 5 ft plus 2.3 kg per inch over it; below 5 ft the sources
    # disagree (Murdaugh, ASHP 2015, subtracts 2.3 kg per inch; others keep the 5-ft weight): refused
    assert kg(ideal_body_weight("5 ft", "m")) == pytest.approx(50.0)
    assert kg(ideal_body_weight("152.4 cm", "f")) == pytest.approx(45.5)
    with pytest.raises(ImplausibleInputError, match=r"^height=59 in: expected 152.4-280 cm \(Devine"):
        ideal_body_weight("4 ft 11 in", "f")
    for basis in ("ideal", "adjusted", "lesser", "IBW"):
        with pytest.raises(ImplausibleInputError, match="^height=150 cm: expected 152.4-280 cm .*another basis"):
            dosing_weight(150, 50, basis=basis, sex="f")
    assert kg(dosing_weight(150, 50, basis="lean", sex="f")) == pytest.approx(9270 * 50 / (8780 + 244 * 50 / 1.5**2))
    # a 100 cm child: the extended line would give 50 - 2.3 × 20.6 = 2.7 kg
    with pytest.raises(ImplausibleInputError, match=r"^height=100 cm: expected 152.4-280 cm \(Devine"):
        ideal_body_weight(100, "m")
    with pytest.raises(ImplausibleInputError, match="^height=100 cm"):
        patient_dose("6.1 mg/kg", height=100, weight=16, sex="m", weight_basis="ideal")


def test_implausible_body_inputs():
    with pytest.raises(ImplausibleInputError, match="^weight=-70 kg"):
        lean_body_weight(170, -70, "m")
    with pytest.raises(ImplausibleInputError, match="^height=1.75 cm.*did you mean 1.75 m"):
        bmi(Q_(1.75, "cm"), 70)
    with pytest.raises(ImplausibleInputError, match=r"^weight\[1\]=nan kg"):
        bmi([170, 180], [70, float("nan")])
    with pytest.raises(UnitError, match="^height="):
        ideal_body_weight("70 kg", "m")


def test_unknown_weight_basis():
    with pytest.raises(UnknownNameError, match="weight_basis='heaviest'.*actual, ideal, adjusted, lean, lesser"):
        patient_dose("6.1 mg/kg", weight=70, weight_basis="heaviest")


def test_weight_basis_cannot_apply_to_a_given_bsa():
    with pytest.raises(ImplausibleInputError, match="weight_basis=ideal.*given bsa") as err:
        patient_dose("75 mg/m^2", bsa=1.9, height=170, sex="f", weight_basis="ideal")
    assert err.value.field == "weight_basis"


# --- height and weight together: the one-pass check is the exact one ------------------------

# BMIs at and about the bounds (3, 60 at 100 cm, 200 from 150 cm), and anywhere
_BMIS = st.sampled_from([3.0, 60.0, 200.0, 172.0]).flatmap(
    lambda bound: st.floats(bound * (1 - 1e-9), bound * (1 + 1e-9))
) | st.floats(0.5, 400.0)


@given(
    st.lists(
        st.tuples(st.floats(15.0, 300.0) | st.sampled_from([math.nan, math.inf, 0.0]), _BMIS),
        min_size=1,
        max_size=30,
    )
)
def test_implausible_bodies_is_plausible_body_exactly(pairs):
    height_cm = np.array([height for height, _ in pairs])
    with np.errstate(all="ignore"):
        weight_kg = np.array([bmi * height * height / 1e4 for height, bmi in pairs])
    expected = np.flatnonzero(~plausible_body(height_cm, weight_kg))
    np.testing.assert_array_equal(implausible_bodies(height_cm, weight_kg), expected)
    first = [] if expected.size == 0 else [int(expected[0])]
    try:
        check_body(height_cm, weight_kg)
        assert first == []
    except ImplausibleInputError as err:
        assert err.field == f"height, weight[{first[0]}]"


@pytest.mark.parametrize("slip", [math.nan, math.inf, 0.0, 1.75, 300.0])
@pytest.mark.parametrize("at", [0, 65_535, 65_536, 150_000, 199_999])
def test_a_column_of_many_blocks_is_checked_in_every_block(slip, at):
    # 200,000 heights: a slip in any block of the 65,536 looked at a time for the first, at its edges, is refused
    # naming its index
    heights = np.full(200_000, 170.0)
    checked(heights, HEIGHT)
    heights[at] = slip
    with pytest.raises(ImplausibleInputError, match=rf"^height\[{at}\]="):
        checked(heights, HEIGHT)


def test_a_body_check_of_one_height_against_several_weights():
    # 170 cm: 70 kg is BMI 24.2; 700 kg is BMI 242, above the 200 kg/m² bound of an adult's height
    with pytest.raises(ImplausibleInputError, match=r"^height, weight\[1\]=170 cm, 700 kg"):
        check_body(170.0, np.array([70.0, 700.0]))
    check_body(170.0, np.array([70.0, 80.0]))


@pytest.mark.parametrize("height_cm, bmi", [(150.0, 200.0), (173.3, 200.0), (280.0, 200.0), (100.0, 60.0), (50.0, 3.0)])
def test_the_one_pass_check_decides_the_bounds_to_the_last_bit(height_cm, bmi):
    # a weight at the bound and one float either side of it: each pair as plausible_body says, alone or in a batch
    # of bodies of that height (where the one-pass envelope is the bound itself)
    edge = bmi * height_cm * height_cm / 1e4
    weights = np.array([np.nextafter(edge, 0.0), edge, np.nextafter(edge, np.inf)])
    heights = np.full(3, height_cm)
    for weight in weights:
        assert implausible_bodies(height_cm, weight).size == (not plausible_body(height_cm, weight))
        batch = np.append(np.full(9, weight), 0.5 * edge)  # and a plainly plausible body
        expected = np.flatnonzero(~plausible_body(np.full(10, height_cm), batch))
        np.testing.assert_array_equal(implausible_bodies(np.full(10, height_cm), batch), expected)
    np.testing.assert_array_equal(
        implausible_bodies(heights, weights), np.flatnonzero(~plausible_body(heights, weights))
    )


@given(st.lists(st.tuples(st.floats(20.0, 280.0), st.floats(0.2, 700.0)), min_size=1, max_size=20))
def test_not_a_body_gives_check_body_s_message_for_each_pair(pairs):
    height_cm, weight_kg = (np.array(values) for values in zip(*pairs))
    bad = implausible_bodies(height_cm, weight_kg)
    messages = not_a_body(height_cm[bad], weight_kg[bad])
    for index, message in zip(bad, messages):
        with pytest.raises(ImplausibleInputError) as err:
            check_body(height_cm[index], weight_kg[index])
        assert message == str(err.value)
