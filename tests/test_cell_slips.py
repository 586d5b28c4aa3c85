"""
A cell of a number column that is no number of the grammar rejects its row, and its reason names
the slip where it is a known one: a range, '1·5', '1,5', '.5' (ISMP), a sign, NaN, a unit in the
cell, a foreign character. The slip never changes what is refused, and rejects are counted by
class without it.
"""

import math
import re

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dosecalc
from dosecalc.grammar import NUMBER_PATTERN, NUMBER_SLIPS, escaped, number_slip
from dosecalc.protocol import load_protocol
from dosecalc.provenance import reason_class
from dosecalc.renal_table import kidney_table
from dosecalc.verify_table import verify_table

UNIT = "the number alone: a unit in a cell is not read (the column's unit is in its name or its mapping)"
COMMA = (
    "a full stop is the decimal point, without thousands separators ('1,5' is 1.5 or 15?), "
    "and a file of decimal commas is read with --decimal-comma (decimal_comma= in Python)"
)
ISMP = "a leading zero before and a digit after the decimal point (ISMP: '0.5', not '.5' or '5.')"


@pytest.mark.parametrize(
    "cell, slip",
    [
        ("75-100", "a range is not one value"),
        ("70–80", "a range is not one value"),  # an en dash
        ("70 to 80", "a range is not one value"),
        ("1·5", "a full stop is the decimal point ('1·5' is not read as 1.5)"),
        ("1,5", COMMA),
        ("1,500", COMMA),  # a thousands separator, or 1.5?
        (".5", ISMP),  # ISMP's list of error-prone abbreviations: ".5" is misread as 5
        ("70.", ISMP),  # and "5." as 50
        ("-70", "a measurement has no sign"),
        ("+70", "a measurement has no sign"),
        ("nan", "not a finite number"),
        ("Infinity", "not a finite number"),
        ("70 kg", UNIT),
        ("154 lb", UNIT),  # in a weight_kg column: never converted, never read as 154 kg
        ("70kg", UNIT),
        ("5'7\"", UNIT),  # feet and inches in a cm column
        ("7\u200b0", "the character U+200B (ZERO WIDTH SPACE) is not part of a number"),
        ("７０", "the character U+FF17 (FULLWIDTH DIGIT SEVEN) is not part of a number"),
        ("70\u00a0", "the character U+00A0 (NO-BREAK SPACE) is not part of a number"),
        ("seventy", None),
        ("0x46", None),
        ("1_000", None),
        ("N/A", None),
    ],
)
def test_the_slip_a_cell_holds(cell, slip):
    assert number_slip(cell) == slip


def test_a_decimal_comma_is_no_slip_in_a_file_read_with_decimal_commas():
    assert number_slip("1,5", decimal_comma=True) is None
    assert number_slip("75-100", decimal_comma=True) == "a range is not one value"


@given(st.text(max_size=12))
def test_every_slip_begins_as_listed_and_holds_no_semicolon(text):
    slip = number_slip(text)
    if slip is not None:
        assert slip.startswith(NUMBER_SLIPS) and ";" not in slip
    # a number of the grammar is no slip: number_slip is asked only of refused cells, and never finds one there
    if re.fullmatch(NUMBER_PATTERN, text):
        assert slip is None


CELLS = ["75-100", "1·5", "1,5", ".5", "-70", "nan", "70 kg", "7\u200b0", "seventy"]


def test_a_cohort_names_each_slip_and_rejects_each_row():
    table = {"patient_id": [f"p{i}" for i in range(len(CELLS) + 1)], "height_cm": ["170"] * (len(CELLS) + 1)}
    table["weight_kg"] = ["70", *CELLS]
    result = dosecalc.dose_table(table, "75 mg/m2")
    # Mosteller (N Engl J Med 1987;317:1098): 75 mg/m² × sqrt(170 cm × 70 kg / 3600)
    assert result.dosed["dose_mg"].to_pylist() == pytest.approx([75 * math.sqrt(170 * 70 / 3600)], rel=1e-12)
    assert result.rejects["row"].to_pylist() == list(range(2, len(CELLS) + 2))
    for cell, reason in zip(CELLS, result.rejects["reason"].to_pylist()):
        slip = number_slip(cell)
        shown = escaped(cell)
        assert reason == f"weight_kg={shown}: expected a number" + ("" if slip is None else f"; {slip}")
        assert reason_class(reason) == "weight_kg: expected a number"  # counted as one class


def test_the_summary_counts_slips_as_one_class(tmp_path):
    from typer.testing import CliRunner

    from dosecalc.cli import app

    source = tmp_path / "in.csv"
    source.write_text("patient_id,height_cm,weight_kg\nA,-170,70\nB,170 cm,70\nC,170,70\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["cohort", str(source), "-o", str(tmp_path / "o.csv"), "--dose", "75mg/m2"])
    assert result.exit_code == 3, result.output
    assert "2       height_cm: expected a number\n" in result.stdout


def test_a_kidney_table_names_the_slip():
    table = {"age_years": ["60-65"], "sex": ["F"], "weight_kg": ["70"], "creatinine_mg_dl": ["1·0"]}
    _, rejects = kidney_table(table)
    assert rejects["reason"].to_pylist() == [
        "age_years='60-65': expected a number; a range is not one value; "
        "creatinine_mg_dl='1·0': expected a number; a full stop is the decimal point ('1·5' is not read as 1.5)"
    ]


def test_a_verified_order_column_names_the_slip_with_the_cell_escaped():
    table = pa.table(
        {
            "drug": ["doxorubicin", "doxorubicin"],
            "ordered_mg": ["92-95", "9\u200b2"],
            "height_cm": [175, 175],
            "weight_kg": [80, 80],
        }
    )
    rejected = verify_table(load_protocol("r-chop-21"), table).rejected
    assert rejected["reason"].to_pylist() == [
        "ordered_mg='92-95': expected a number; a range is not one value",
        "ordered_mg='9\\u200b2': expected a number; the character U+200B (ZERO WIDTH SPACE) is not part of a number",
    ]


@given(
    position=st.integers(0, 3),
    char=st.characters(blacklist_categories=("Cs",)).filter(lambda c: not (c.isascii() and c.isprintable())),
)
def test_a_foreign_character_in_a_cell_rejects_the_row_and_is_named(position, char):
    cell = "70.5"[:position] + char + "70.5"[position:]
    result = dosecalc.dose_table({"height_cm": ["170"], "weight_kg": [cell]}, "75 mg/m2")
    assert result.dosed.num_rows == 0
    (reason,) = result.rejects["reason"].to_pylist()
    between_digits = {"a range is not one value", "a full stop is the decimal point ('1·5' is not read as 1.5)"}
    assert f"U+{ord(char):04X}" in reason or reason.split("; ", 1)[1] in between_digits
