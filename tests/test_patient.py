"""A patient's absolute dose from mg/m², mg/kg or a flat dose."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import bodies

from dosecalc import BSA_METHODS, Q_, PatientDose, bsa, patient_dose
from dosecalc.errors import (
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)


def test_per_m2_dose_with_computed_bsa():
    # 75 mg/m² (IMGN901, ImmunoGen 2011) × Mosteller BSA of 180 cm, 80 kg (exactly 2.0 m²) = 150 mg
    result = patient_dose("75 mg/m^2", height=180, weight=80)
    assert isinstance(result, PatientDose)
    assert result.dose.m_as("mg") == pytest.approx(150.0)
    assert result.bsa.m_as("m**2") == 2.0
    assert result.dose_per_m2.m_as("mg/m**2") == 75.0
    assert result.dose_per_kg.m_as("mg/kg") == pytest.approx(150 / 80)
    assert result.bsa_method == "mosteller"
    assert "Mosteller" in result.bsa_reference


def test_per_m2_dose_with_given_bsa():
    result = patient_dose(Q_(75, "mg/m**2"), bsa=Q_(1.9, "m**2"))
    assert result.dose.m_as("mg") == pytest.approx(142.5)
    assert result.bsa_method == "given"
    assert result.dose_per_kg is None  # no weight, no per-kg equivalent


def test_per_kg_dose():
    # 6.1 mg/kg (IMGN901 per cycle) × 70 kg = 427 mg
    result = patient_dose("6.1 mg/kg", height=175, weight=70)
    assert result.dose.m_as("mg") == pytest.approx(427.0)
    assert result.dose_per_kg.m_as("mg/kg") == 6.1
    assert result.dose_per_m2.m_as("mg/m**2") == pytest.approx(427.0 / bsa(175, 70).m_as("m**2"))
    assert patient_dose("6.1 mg/kg", weight=70).bsa is None


def test_flat_dose():
    result = patient_dose("2 mg", height=180, weight=80)
    assert result.dose.m_as("mg") == 2.0
    assert result.dose_per_m2.m_as("mg/m**2") == pytest.approx(1.0)
    assert result.dose_per_kg.m_as("mg/kg") == pytest.approx(0.025)


def test_method_choice_and_units():
    result = patient_dose("75 mg/m2", height="5 ft 9 in", weight="154 lb", method="dubois")
    assert result.bsa_method == "dubois"
    assert result.bsa.m_as("m**2") == pytest.approx(bsa(175.26, 69.85322498, method="dubois").m_as("m**2"))
    assert result.height.m_as("cm") == pytest.approx(175.26)


def test_microgram_doses():
    assert patient_dose("1500 ug/m^2", bsa=2.0).dose.m_as("mg") == pytest.approx(3.0)


def test_arrays_of_patients():
    heights = np.array([180.0, 160.0, 150.0])
    weights = np.array([80.0, 60.0, 45.0])
    result = patient_dose("75 mg/m^2", height=heights, weight=weights)
    assert result.dose.magnitude.shape == (3,)
    for i in range(3):
        one = patient_dose("75 mg/m^2", height=heights[i], weight=weights[i])
        assert result.dose.magnitude[i] == one.dose.magnitude


def test_to_dict_is_plain_data():
    data = patient_dose("75 mg/m^2", height=180, weight=80).to_dict()
    assert data["dose"] == {"value": pytest.approx(150.0), "unit": "mg"}
    assert data["bsa"] == {"value": 2.0, "unit": "m²"}
    assert data["basis"] == "mg/m²"
    assert data["bsa_method"] == "mosteller"
    assert data["version"]


@given(
    bodies(),
    st.floats(min_value=0.01, max_value=5000),
    st.sampled_from([m for m, e in BSA_METHODS.items() if not e.needs_sex]),
)
def test_unit_invariance_and_consistency(body, dose_mg_m2, method):
    height_cm, weight_kg = body
    metric = patient_dose(Q_(dose_mg_m2, "mg/m**2"), height=height_cm, weight=weight_kg, method=method)
    imperial = patient_dose(
        Q_(dose_mg_m2 * 0.3048**2, "mg/ft**2"),
        height=Q_(height_cm / 2.54, "in"),
        weight=Q_(weight_kg / 0.45359237, "lb"),
        method=method,
    )
    assert imperial.dose.m_as("mg") == pytest.approx(metric.dose.m_as("mg"), rel=1e-9)
    # the equivalents are consistent with the absolute dose
    assert metric.dose_per_kg.m_as("mg/kg") * weight_kg == pytest.approx(metric.dose.m_as("mg"), rel=1e-12)
    assert metric.dose.m_as("mg") > 0


@given(st.floats(min_value=2, max_value=300), st.floats(min_value=0.01, max_value=100))
def test_per_kg_round_trip(weight_kg, dose_mg_kg):
    result = patient_dose(Q_(dose_mg_kg, "mg/kg"), weight=weight_kg)
    back = patient_dose(result.dose, weight=weight_kg)
    assert back.dose_per_kg.m_as("mg/kg") == pytest.approx(dose_mg_kg, rel=1e-12)


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize("dose", [75, 75.0, np.float64(75), [75], np.array([75.0])])
def test_bare_number_dose_is_an_error(dose):
    with pytest.raises(UnitError, match="dose.*no basis"):
        patient_dose(dose, height=175, weight=70)


@pytest.mark.parametrize("dose", [None, b"75 mg/m2", True, {"dose": "75 mg/m2"}])
def test_a_dose_neither_text_nor_quantity_is_not_called_a_bare_number(dose):
    with pytest.raises(UnitError, match="as text with its unit, or a Quantity") as refused:
        patient_dose(dose, height=175, weight=70)
    assert "bare number" not in str(refused.value)


@pytest.mark.parametrize("dose", ["75 kg", "75 mg/m", "75 percent", "75 m^2"])
def test_wrong_dose_units(dose):
    with pytest.raises((UnitError, ImplausibleInputError), match="dose"):
        patient_dose(dose, height=175, weight=70)


def test_mass_unit_slip_is_caught():
    # 75 g/m² is 75,000 mg/m²: absurd, with the hint
    with pytest.raises(ImplausibleInputError, match="did you mean 75 mg/m²"):
        patient_dose("75 g/m^2", bsa=1.9)


def test_rate_is_not_a_dose():
    with pytest.raises(UnitError, match="not a rate"):
        patient_dose("75 mg/m^2/week", bsa=1.9)


@pytest.mark.parametrize(
    "dose", [Q_(-75, "mg/m**2"), "0 mg/m^2", Q_(float("nan"), "mg/m**2"), Q_(float("inf"), "mg/m**2")]
)
def test_non_positive_or_non_finite_dose(dose):
    with pytest.raises(ImplausibleInputError, match="dose"):
        patient_dose(dose, bsa=1.9)


@pytest.mark.parametrize("dose", ["-75 mg/m^2", "nan mg/m^2", "inf mg/m^2"])
def test_a_sign_or_a_word_for_a_number_is_outside_the_grammar(dose):
    with pytest.raises(UnitError, match=r"^dose='(-75|nan|inf) mg/m\^2'"):
        patient_dose(dose, bsa=1.9)


def test_missing_inputs():
    with pytest.raises(MissingInputError, match="weight"):
        patient_dose("6.1 mg/kg", height=175)
    with pytest.raises(MissingInputError, match="height"):
        patient_dose("75 mg/m^2", weight=70)


def test_implausible_bsa_and_body():
    with pytest.raises(ImplausibleInputError, match="bsa"):
        patient_dose("75 mg/m^2", bsa=19)
    with pytest.raises(ImplausibleInputError, match="height.*did you mean 1.75 m"):
        patient_dose("75 mg/m^2", height=Q_(1.75, "cm"), weight=70)
    with pytest.raises(UnknownNameError, match="method"):
        patient_dose("75 mg/m^2", height=175, weight=70, method="guess")


def test_absurd_product_of_plausible_inputs_is_refused():
    # 5,000 mg/kg (a toxicology limit dose) and 700 kg are each inside their ranges; 3.5 kg of drug is not
    with pytest.raises(ImplausibleInputError, match=r"^dose=3500000 mg: expected \(0, 200000\] mg"):
        patient_dose("5000 mg/kg", weight=700)
    assert patient_dose("5000 mg/kg", weight=700, check_absolute=False).dose.m_as("mg") == 3.5e6


def test_arrays_of_different_lengths_name_their_fields():
    with pytest.raises(ImplausibleInputError, match=r"^height, weight=3 height, 2 weight"):
        patient_dose("75 mg/m^2", height=[170, 180, 190], weight=[70, 80])


def test_a_dose_in_units_stays_in_units():
    # bleomycin 10 units/m² (ABVD) × 1.9 m² = 19 units; per kg of 70 kg: 19 / 70 units/kg; never mg
    result = patient_dose("10 units/m2", bsa=1.9, weight=70)
    assert result.dose.m_as("units") == pytest.approx(19.0)
    assert result.dose_per_m2.m_as("units/m**2") == 10.0
    assert result.dose_per_kg.m_as("units/kg") == pytest.approx(19 / 70)
    assert result.to_dict()["basis"] == "units/m²"
    assert not result.dose.check("[mass]")
    # a maximum in mg for a dose in units is refused, never compared
    with pytest.raises(UnitError):
        patient_dose("10 units/m2", bsa=1.9, max_dose="15 mg")
    assert patient_dose("10 units/m2", bsa=1.9, max_dose="15 units").dose.m_as("units") == 15.0


def test_a_height_and_weight_no_body_has_had():
    # swapped: 70 cm and 175 kg is a BMI of 357 kg/m²
    with pytest.raises(ImplausibleInputError, match="swapped"):
        patient_dose("75 mg/m2", height=70, weight=175)
    # inches typed as centimetres: 69 cm and 80 kg is a BMI of 168 kg/m²; 69 in is 175 cm
    with pytest.raises(ImplausibleInputError, match="69 in"):
        patient_dose("75 mg/m2", height=69, weight=80)
    # the documented extremes pass: a 50 cm, 3.5 kg newborn; 185 cm and 635 kg
    assert patient_dose("75 mg/m2", height=50, weight=3.5).dose.m_as("mg") > 0
    assert patient_dose("1 mg/kg", height=185, weight=635).dose.m_as("mg") == pytest.approx(635.0)
    # the cohort engine rejects such rows itself
    assert patient_dose("75 mg/m2", height=70, weight=175, check_absolute=False).dose.m_as("mg") > 0


def test_a_given_bsa_is_checked_against_height_and_weight():
    # Mosteller: sqrt(175 × 70 / 3600) = 1.845 m²; 1.9 m² is within 5 % (3.0 %), 2.5 m² is not (35 %)
    result = patient_dose("75 mg/m2", height=175, weight=70, bsa=1.9)
    assert result.bsa.m_as("m**2") == 1.9 and result.bsa_method == "given"
    assert result.bsa_computed.m_as("m**2") == pytest.approx(math.sqrt(175 * 70 / 3600))
    with pytest.raises(ImplausibleInputError, match="1.84 m²"):
        patient_dose("75 mg/m2", height=175, weight=70, bsa=2.5)
    assert patient_dose("75 mg/m2", bsa=2.5).bsa_computed is None


@pytest.mark.parametrize(
    "given, said",
    [
        # Mosteller 1987, BSA = sqrt(H W / 3600): the height 1.9 m² needs at 7 kg is 3600 × 1.9² / 7 = 1857 cm
        (
            {"weight": 7},
            "the BSA of a body of the weight given, 7 kg: by Mosteller's formula it needs a height of 1857 cm",
        ),
        (
            {"weight": 150, "bsa": 0.1},
            "a body of the weight given, 150 kg: by Mosteller's formula it needs a height of 0.24 cm",
        ),
        # 3600 × 1.9² / 20 = 649.8 kg at 20 cm: a weight, but with that height no body (BMI 16,245)
        ({"height": 20}, "a body of the height given, 20 cm: by Mosteller's formula it needs a weight of 649.8 kg"),
        (
            {"height": 280, "bsa": 0.2},
            "the height given, 280 cm: by Mosteller's formula it needs a weight of 0.5143 kg",
        ),
    ],
)
def test_a_given_bsa_beside_one_measurement_must_be_a_bodys(given, said):
    # 1.9 m² with 7 kg gave 142.5 mg (20.4 mg/kg) as if one of them were not mistyped
    arguments = {"bsa": 1.9, **given}
    with pytest.raises(ImplausibleInputError) as refused:
        patient_dose("75 mg/m2", **arguments)
    assert said in str(refused.value) and str(refused.value).endswith("check which of the two is wrong")
    assert str(refused.value).startswith(f"bsa={arguments['bsa']:g} m²: expected ")


def test_a_given_bsa_beside_one_plausible_measurement_is_kept():
    # 1.9 m² at 70 kg needs 185.7 cm; at 175 cm, 74.3 kg; a neonate's 0.25 m² at 3.5 kg, 64.3 cm
    assert patient_dose("75 mg/m2", bsa=1.9, weight=70).dose.m_as("mg") == pytest.approx(142.5)
    assert patient_dose("75 mg/m2", bsa=1.9, height=175).dose.m_as("mg") == pytest.approx(142.5)
    assert patient_dose("75 mg/m2", bsa=0.25, weight=3.5).dose.m_as("mg") == pytest.approx(18.75)
    with pytest.raises(ImplausibleInputError, match="weight given, 7 kg"):  # in an array, the row that is none
        patient_dose("75 mg/m2", bsa=[1.9, 1.9], weight=[70, 7])


@pytest.mark.parametrize("text", ["75mg/m2/day", "75 mg/m^2/week"])
def test_a_rate_refused_as_a_dose_is_shown_as_typed(text):
    # not as pint prints it ("75.0 mg/d/m²"): the text the user can find and fix
    with pytest.raises(UnitError) as caught:
        patient_dose(text, bsa=1.8)
    assert str(caught.value) == f"dose='{text}': expected a dose per administration, not a rate"


@pytest.mark.parametrize("dose", ["5 mg/kg", "100 mg", "10 units/kg"])
def test_a_bsa_cap_on_a_dose_not_per_m2_is_refused(dose):
    # a capped BSA changes no dose in mg/kg or mg: it was reported "applied" beside an unchanged dose
    from dosecalc.order import Order

    with pytest.raises(ImplausibleInputError, match="^bsa_cap=1.5 m²: expected no BSA cap for a dose in "):
        patient_dose(dose, height=175, weight=70, bsa_cap=Q_(1.5, "m**2"))
    with pytest.raises(ImplausibleInputError, match="^bsa_cap=1.5 m²: expected no BSA cap for a dose in "):
        Order(None, dose, bsa_cap=1.5)
