"""
Feet are whole: "5.11 ft" (the feet.inches slip for 5 ft 11 in) is refused, never read as 5.11 ft.

1 ft = 0.3048 m and 1 in = 0.0254 m exactly: the international yard and pound agreement of 1959
(US National Bureau of Standards, "Refinement of values for the yard and the pound", Federal
Register 24:5348, 1 July 1959), so 1 ft = 30.48 cm and 1 in = 2.54 cm in every value below.
"""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import dosecalc
from dosecalc import parse_quantity
from dosecalc.cli import app
from dosecalc.errors import UnitError
from dosecalc.grammar import DECIMAL_FEET, VOCABULARY, escaped, fractional_feet

CM_PER_FOOT = 30.48  # 1959 international yard and pound agreement: 1 ft = 0.3048 m exactly
CM_PER_INCH = 2.54  # the same agreement: 1 in = 0.0254 m exactly

FEET = ("ft", "feet", "foot", "'", "′")
INCHES = ("in", "inch", "inches", '"', "″", "''")
GAPS = ("", " ", "\u00a0", "\u2009", "\u202f")  # none, space, no-break, thin, narrow no-break


def cm(text: str) -> float:
    return parse_quantity(text, "height").m_as("cm")


def test_the_spellings_tested_are_every_spelling_of_feet_and_inches():
    # a spelling of feet added to the grammar is then tested here too
    assert set(FEET) == {s for s, unit in VOCABULARY["height"].items() if unit == "foot"}
    assert set(INCHES) == {s for s, unit in VOCABULARY["height"].items() if unit == "inch"}


# --- refused ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "5.11 ft",  # 5 ft 11 in meant (180.34 cm), 155.75 cm as written
        "5.11'",
        "5.11′",
        "5.11 feet",
        "5.11 foot",
        "5.11ft",
        "5.11 FT",  # not "did you mean '5.11 ft'?", a text also refused
        "5.11 Feet",
        "5.5'",  # 5 ft 6 in, or 5 ft 5 in?
        "5.5 ft",
        "5.10 ft",  # 5 ft 10 in, or 5.1 ft?
        "0.5 ft",
        "5.11\u00a0ft",
        "5.11\u2009ft",
        "5.11\u202f′",
        " 5.11 ft ",
        "511e-2 ft",  # 5.11 ft by an exponent
        "5e-1 ft",
        "5.11e0 ft",
        "5.5 ft 2 in",  # fractional feet first in a compound
        "5.5'2\"",
        "5.5′2″",
        "5.5 ft 2",
        "5.5\u00a0ft\u00a02\u00a0in",
    ],
)
def test_fractional_feet_are_refused_with_the_text_and_what_is_accepted(text):
    with pytest.raises(UnitError) as caught:
        parse_quantity(text, "height")
    assert str(caught.value) == f"height={escaped(text)}: expected {DECIMAL_FEET}"


def test_the_refusal_says_what_to_write_and_both_readings():
    # 5 ft 11 in = 71 × 2.54 = 180.34 cm; 5.11 ft = 5.11 × 30.48 = 155.7528 cm
    assert DECIMAL_FEET.startswith("whole feet, as feet and inches ('5 ft 11 in'), inches or cm")
    assert "180.3 cm" in DECIMAL_FEET and "155.8 cm" in DECIMAL_FEET
    assert round(71 * CM_PER_INCH, 1) == 180.3 and round(5.11 * CM_PER_FOOT, 1) == 155.8


def test_the_library_refuses_fractional_feet():
    with pytest.raises(UnitError, match=r"^height='5\.11 ft': expected whole feet"):
        dosecalc.bsa("5.11 ft", "70 kg")
    with pytest.raises(UnitError, match=r"^height='5\.5\\'': expected whole feet"):
        dosecalc.patient_dose("75 mg/m2", height="5.5'", weight="70 kg")


@pytest.mark.parametrize(
    "text, reason",
    [
        (".5 ft", "a leading zero before and a digit after the decimal point"),  # ISMP, before feet
        ("5. ft", "a leading zero before and a digit after the decimal point"),
        ("1e400 ft", "a finite number"),
    ],
)
def test_a_number_outside_the_grammar_keeps_its_own_reason(text, reason):
    with pytest.raises(UnitError) as caught:
        parse_quantity(text, "height")
    assert reason in str(caught.value) and DECIMAL_FEET not in str(caught.value)


def test_fractional_feet_are_a_height_only():
    # feet in a field of another kind: refused as a unit of another kind, not as fractional feet
    with pytest.raises(UnitError) as caught:
        parse_quantity("5.11 ft", "weight")
    assert "'ft' gives a height, not a body weight" in str(caught.value)


# --- still read -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected_cm",
    [
        ("5 ft 11 in", 180.34),  # 5 × 30.48 + 11 × 2.54
        ("5'11\"", 180.34),
        ("5′11″", 180.34),
        ("5 ft 11", 180.34),
        ("5 ft 11.5 in", 181.61),  # inches may have a fractional part
        ("6 ft 0 in", 182.88),  # 6 × 30.48
        ("5 ft", 152.4),  # 5 × 30.48
        ("5'", 152.4),
        ("6.0 ft", 182.88),  # 6 ft whichever way it was meant
        ("6e0 ft", 182.88),
        ("71 in", 180.34),  # 71 × 2.54
        ("5.5''", 13.97),  # 5.5 inches ('' is inches): 5.5 × 2.54
        ("70.5 in", 179.07),  # 70.5 × 2.54
        ("180 cm", 180.0),
        ("1.8 m", 180.0),
    ],
)
def test_whole_feet_inches_and_cm_are_read(text, expected_cm):
    assert cm(text) == pytest.approx(expected_cm, rel=1e-12)


@given(
    feet=st.integers(3, 7),
    inches=st.integers(0, 11),
    foot=st.sampled_from(FEET),
    inch=st.sampled_from(INCHES + ("",)),
    gaps=st.tuples(*[st.sampled_from(GAPS)] * 3),
)
def test_any_whole_feet_and_inches_read_exactly(feet, inches, foot, inch, gaps):
    text = f"{feet}{gaps[0]}{foot}{gaps[1]}{inches}{gaps[2] if inch else ''}{inch}"
    # 1959 agreement: 30.48 cm per foot, 2.54 cm per inch
    assert cm(text) == pytest.approx(CM_PER_FOOT * feet + CM_PER_INCH * inches, rel=1e-12)
    assert cm(f"{feet}{gaps[0]}{foot}") == pytest.approx(CM_PER_FOOT * feet, rel=1e-12)


@given(
    whole=st.integers(0, 9),
    fraction=st.from_regex(r"[0-9]{0,2}[1-9]", fullmatch=True),
    foot=st.sampled_from(FEET),
    gap=st.sampled_from(GAPS),
    inches=st.sampled_from(["", " 2 in", '2"', " 11", "\u00a011\u00a0inches"]),
)
def test_any_fractional_feet_are_refused(whole, fraction, foot, gap, inches):
    text = f"{whole}.{fraction}{gap}{foot}{inches}"
    with pytest.raises(UnitError) as caught:
        parse_quantity(text, "height")
    assert str(caught.value) == f"height={escaped(text)}: expected {DECIMAL_FEET}"


@given(mantissa=st.integers(1, 9999), exponent=st.integers(1, 3))
def test_feet_by_an_exponent_are_refused_when_fractional(mantissa, exponent):
    text = f"{mantissa}e-{exponent} ft"
    value = mantissa / 10**exponent
    if value.is_integer():
        assert cm(text) == pytest.approx(CM_PER_FOOT * value, rel=1e-12)
    else:
        with pytest.raises(UnitError, match="expected whole feet"):
            parse_quantity(text, "height")


def test_fractional_feet_is_whether_the_value_has_a_fractional_part():
    assert fractional_feet(5.11) and fractional_feet(0.5)
    assert not fractional_feet(5.0) and not fractional_feet(6)
    assert not fractional_feet(math.inf) and not fractional_feet(math.nan)  # refused as no finite number


# --- the command line -------------------------------------------------------------


@pytest.mark.parametrize("height", ["5.11 ft", "5.11'", "5.5 ft 2 in"])
def test_the_cli_refuses_fractional_feet(height):
    result = CliRunner().invoke(app, ["bsa", "--height", height, "--weight", "70kg"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"error: --height {escaped(height)}: expected {DECIMAL_FEET}\n"


def test_the_cli_reads_feet_and_inches():
    result = CliRunner().invoke(app, ["bsa", "--height", "5 ft 11 in", "--weight", "80kg", "--json"])
    assert result.exit_code == 0, result.output
    # Mosteller (N Engl J Med 1987;317:1098): sqrt(180.34 cm × 80 kg / 3600)
    report = json.loads(result.stdout)
    assert report["inputs"]["height"] == {"given": "5 ft 11 in", "value": pytest.approx(180.34), "unit": "cm"}
    assert report["results"]["bsa"]["value"] == pytest.approx(math.sqrt(180.34 * 80 / 3600), rel=1e-12)


# --- a cohort's height_ft column ------------------------------------------------------


def test_a_cohort_rejects_fractional_feet_and_doses_whole_feet():
    table = {"patient_id": ["a", "b", "c", "d"], "height_ft": [5.11, 6, 6.0, 5.5], "weight_kg": [80, 80, 80, 70]}
    result = dosecalc.dose_table(table, "75 mg/m2")
    assert result.dosed["patient_id"].to_pylist() == ["b", "c"]
    # Mosteller (N Engl J Med 1987;317:1098): sqrt(6 × 30.48 cm × 80 kg / 3600) × 75 mg/m²
    assert result.dosed["dose_mg"].to_pylist() == pytest.approx([75 * math.sqrt(6 * CM_PER_FOOT * 80 / 3600)] * 2)
    assert result.rejects["row"].to_pylist() == [1, 4]
    assert result.rejects["reason"].to_pylist() == [
        f"height_ft=5.11 ft: expected {DECIMAL_FEET}",
        f"height_ft=5.5 ft: expected {DECIMAL_FEET}",
    ]


@given(
    heights=st.lists(
        st.one_of(st.integers(4, 7).map(float), st.floats(4, 7, allow_nan=False).filter(lambda f: not f.is_integer())),
        min_size=1,
        max_size=8,
    )
)
def test_a_cohort_of_feet_rejects_the_rows_one_patient_refuses(heights):
    table = {
        "patient_id": [str(i) for i in range(len(heights))],
        "height_ft": heights,
        "weight_kg": [80] * len(heights),
    }
    result = dosecalc.dose_table(table, "75 mg/m2")
    expected_rejected = [i + 1 for i, feet in enumerate(heights) if fractional_feet(feet)]
    assert result.rejects["row"].to_pylist() == expected_rejected
    assert result.dosed.num_rows + result.rejects.num_rows == len(heights)
    for feet, dose in zip([f for f in heights if not fractional_feet(f)], result.dosed["dose_mg"].to_pylist()):
        one = dosecalc.patient_dose("75 mg/m2", height=f"{feet:.0f} ft", weight="80 kg")
        assert dose == pytest.approx(one.dose.m_as("mg"), rel=1e-12)


def test_a_cohort_of_text_cells_rejects_fractional_feet():
    table = {"patient_id": ["a", "b"], "height_ft": ["5.11", "6"], "weight_kg": ["80", "80"]}
    result = dosecalc.dose_table(table, "75 mg/m2")
    assert result.dosed["patient_id"].to_pylist() == ["b"]
    assert result.rejects["reason"].to_pylist() == [f"height_ft=5.11 ft: expected {DECIMAL_FEET}"]


def test_a_kidney_table_rejects_fractional_feet():
    from dosecalc.renal_table import kidney_table

    # CKD-EPI 2021 de-indexed by the row's BSA: its height in feet is read as a cohort reads it
    table = {
        "age_years": [55, 55],
        "sex": ["m", "m"],
        "height_ft": [5.11, 6],
        "weight_kg": [80, 80],
        "creatinine_mg_dl": [1.2, 1.2],
    }
    estimated, rejects = kidney_table(table, "ckd-epi-2021")
    assert estimated.num_rows == 1 and rejects["row"].to_pylist() == [1]
    assert rejects["reason"].to_pylist() == [f"height_ft=5.11 ft: expected {DECIMAL_FEET}"]


def test_the_cohort_command_rejects_fractional_feet(tmp_path):
    source = tmp_path / "feet.csv"
    source.write_text("patient_id,height_ft,weight_kg\nA,5.11,80\nB,6,80\n")
    out, rejects = tmp_path / "dosed.csv", tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        app, ["cohort", str(source), "-o", str(out), "--dose", "75mg/m2", "--rejects", str(rejects)]
    )
    assert result.exit_code == 3, result.output  # 3: some rows rejected
    assert out.read_text().splitlines()[1].startswith("B,6")
    assert f'A,5.11,80,1,"height_ft=5.11 ft: expected {DECIMAL_FEET}"' in rejects.read_text()
