"""Hypothesis strategies shared by the tests: bodies that people have had."""

from hypothesis import strategies as st


@st.composite
def bodies(draw, min_height_cm=40.0, max_height_cm=250.0, min_bmi=12.0, max_bmi=40.0):
    """(height [cm], weight [kg]) of a plausible body: a BMI of 12-40 kg/m² keeps a body
    plausible when one of the two is then raised by up to 50 % (dosecalc.validation)."""
    height_cm = draw(st.floats(min_value=min_height_cm, max_value=max_height_cm))
    bmi = draw(st.floats(min_value=min_bmi, max_value=max_bmi))
    weight_kg = min(max(bmi * (height_cm / 100.0) ** 2, 0.25), 466.0)
    return height_cm, weight_kg
