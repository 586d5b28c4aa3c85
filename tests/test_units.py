"""Reading what people type, and the shared registry."""

import subprocess
import sys

import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dosecalc
from dosecalc import Q_, parse_quantity, ureg
from dosecalc.errors import UnitError


@pytest.mark.parametrize(
    "text, unit, expected",
    [
        ("175 cm", "cm", 175.0),
        ("1.75 m", "cm", 175.0),
        ("5 ft 9 in", "cm", 175.26),  # a sum, not pint's product (45 ft·in, an area)
        ("5'9\"", "cm", 175.26),
        ("5′9″", "cm", 175.26),
        ("5 ft 9", "cm", 175.26),
        ("5ft9in", "cm", 175.26),
        ("69 in", "cm", 175.26),
        ("1 m 75 cm", "cm", 175.0),
        ("70 kg", "kg", 70.0),
        ("154 lb", "kg", 69.85322498),
        ("154 lbs", "kg", 69.85322498),
        ("75 mg/m^2", "mg/m**2", 75.0),
        ("75 mg/m²", "mg/m**2", 75.0),
        ("75 mg/m2", "mg/m**2", 75.0),
        ("75mg/m2", "mg/m**2", 75.0),
        ("6.1 mg/kg", "mg/kg", 6.1),
        ("75 mg/m^2/week", "mg/m**2/week", 75.0),
        ("75 mg/m2/wk", "mg/m**2/week", 75.0),
        ("1.9 m²", "m**2", 1.9),
        ("1.9 m2", "m**2", 1.9),
        ("100 mcg", "mg", 0.1),
        ("1.9m2", "m**2", 1.9),
        ("90 mL/min/1.73 m2", "mL/min/m**2", 90 / 1.73),  # per 1.73 m²: not (90/1.73) mL/min × m²
        ("90 mL/min/1.73m²", "mL/min/m**2", 90 / 1.73),
        ("90 mL/min/1.73m^2", "mL/min/m**2", 90 / 1.73),  # not 90 / 1.73² (the caret once escaped the grouping)
        ("90 mL/min/1.73 m^2", "mL/min/m**2", 90 / 1.73),
    ],
)
def test_parse_what_people_type(text, unit, expected):
    assert parse_quantity(text).m_as(unit) == pytest.approx(expected, rel=1e-9)


def test_mg_per_kg_stays_mg_per_kg():
    dose = parse_quantity("6.1 mg/kg")
    assert dict(dose.units._units) == {"milligram": 1, "kilogram": -1}
    assert dose.m_as("mg/kg") == pytest.approx(6.1)


@pytest.mark.parametrize("text", ["175", "", "abc", "5 ft 9 kg", "12 furlongz", "75 mg/m^"])
def test_unparseable_or_unitless_is_an_error(text):
    with pytest.raises(UnitError, match="height"):
        parse_quantity(text, field="height")


@pytest.mark.parametrize(
    "text, pint_reads",
    [
        ("1,5 mg/m^2", "15 mg/m**2"),  # a decimal comma: ten times the dose
        ("65,5 kg", "655 kg"),  # inside the weight range
        ("1,000 mg", "1000 mg"),  # a thousands separator, or 1.000 with a decimal comma?
        ("70 kg 2", "140 kg"),  # numbers side by side multiply
        ("70 2 kg", "140 kg"),
        ("2 m 2", "4 m"),
        ("1.2.3 kg", "0.36 kg"),  # 1.2 × .3
        ("kg", "1 kg"),  # a unit alone: no number was typed
        ("mg/m^2", "1 mg/m**2"),
    ],
)
def test_what_pint_would_misread_is_an_error(text, pint_reads):
    assert ureg.Quantity(text) == ureg.Quantity(pint_reads)  # what the registry alone makes of it
    with pytest.raises(UnitError, match="^dose="):
        parse_quantity(text, field="dose")


def test_one_registry():
    assert dosecalc.ureg is ureg
    assert Q_ is ureg.Quantity
    assert parse_quantity("1 m")._REGISTRY is ureg


@given(st.integers(min_value=1, max_value=8), st.integers(min_value=0, max_value=11))
def test_feet_and_inches_in_every_spelling(feet, inches):
    expected = (feet * 12 + inches) * 2.54
    for text in (f"{feet} ft {inches} in", f"{feet}'{inches}\"", f"{feet} ft {inches}", f"{feet}′ {inches}″"):
        assert parse_quantity(text).m_as("cm") == pytest.approx(expected, rel=1e-12)


def test_import_is_lazy():
    # import dosecalc does not import pint or build the registry
    code = "import sys, dosecalc; print('pint' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


OTHER_REGISTRY = pint.UnitRegistry()


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda q: parse_quantity(q("175 cm"), "height"), "height"),
        (lambda q: dosecalc.bsa(q("175 cm"), 70), "height"),
        (lambda q: dosecalc.patient_dose(q("75 mg/m**2"), bsa=1.9), "dose"),
        (lambda q: dosecalc.patient_dose("75 mg/m^2", bsa=q("1.9 m**2")), "bsa"),
        (lambda q: dosecalc.patient_dose("1.4 mg/m^2", bsa=1.9, max_dose=q("2 mg")), "max_dose"),
        (lambda q: dosecalc.to_mg_per_kg(q("225 mg/m**2")), "dose"),
        (lambda q: dosecalc.Regimen(q("75 mg/m**2"), days=[1, 8, 15], cycle_days=28), "dose"),
        (
            lambda q: dosecalc.crcl_cockcroft_gault(age=60, weight=80, sex="m", serum_creatinine=q("1.2 mg/dL")),
            "serum_creatinine",
        ),
        (lambda q: dosecalc.carboplatin_dose(auc=5, gfr=q("90 mL/min")), "gfr"),
    ],
)
def test_a_quantity_of_another_registry_is_a_unit_error(call, field):
    # pint raises a bare ValueError where two registries meet: dosecalc names the field instead
    with pytest.raises(UnitError, match=f"^{field}=.*dosecalc's unit registry") as err:
        call(OTHER_REGISTRY.Quantity)
    assert err.value.field == field
    # and leaves no trace: a foreign unit once cached made every later dose in that unit fail
    assert dosecalc.patient_dose(Q_(75, "mg/m**2"), bsa=Q_(2.0, "m**2")).dose.m_as("mg") == 150.0
    assert call(Q_) is not None


@pytest.mark.parametrize("text, meant", [("70 KG", "70 kg"), ("75 MG/M2", "75 mg/m2"), ("175 CM", "175 cm")])
def test_capitals_are_refused_with_a_hint_never_read(text, meant):
    # units are case-sensitive (Mg is a megagram): a capitalised unit is suggested, not guessed
    with pytest.raises(UnitError, match=f"did you mean '{meant}'"):
        parse_quantity(text)


@pytest.mark.parametrize("masked", [False, True])
def test_a_masked_array_is_refused_never_read_under_its_mask(masked):
    # np.asarray drops the mask: the masked (missing) height of the second patient was dosed as 160 cm
    import numpy as np

    from dosecalc import Q_, patient_dose
    from dosecalc.errors import UnitError

    heights = np.ma.masked_array([175.0, 160.0], [False, masked])
    for height in (heights, Q_(heights, "cm")):
        with pytest.raises(UnitError, match="^height=a masked array: expected numbers in cm, not a masked array"):
            patient_dose("75 mg/m2", height=height, weight=70)
