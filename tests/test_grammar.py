"""The closed input grammar: what is read, what is refused and why, and its properties."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dosecalc
from dosecalc import Q_, parse_quantity, patient_dose
from dosecalc.errors import UnitError
from dosecalc.grammar import LABELS, VOCABULARY, accepted_spellings, escaped, read

# --- what is read ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind, unit, value",
    [
        ("75 mg/m2", "dose", "mg/m**2", 75.0),
        ("75\u00a0mg/m²", "dose", "mg/m**2", 75.0),  # no-break space
        ("75\u2009mg/m^2", "dose", "mg/m**2", 75.0),  # thin space
        ("75 mg / m2", "dose", "mg/m**2", 75.0),
        ("075 mg", "dose", "mg", 75.0),  # the same number on every path: 75, never 0 or 7.5
        ("1e3 mg", "dose", "mg", 1000.0),
        ("10 units/m2", "dose", "units/m**2", 10.0),  # bleomycin (ABVD): never converted to mg
        ("2500 units/m²", "dose", "units/m**2", 2500.0),  # pegaspargase
        ("6.1 mg/kg", "dose", "mg/kg", 6.1),
        ("75 mg/m2/day", "dose", "mg/m**2/day", 75.0),
        ("5 ft 9 in", "height", "in", 69.0),
        ("5'9\"", "height", "in", 69.0),
        ("5′9″", "height", "in", 69.0),
        ("5 ft 9", "height", "in", 69.0),
        ("1 m 75 cm", "height", "cm", 175.0),
        ("11 st 4 lb", "weight", "lb", 158.0),  # 11 × 14 + 4
        ("154 lb 4 oz", "weight", "oz", 2468.0),  # 154 × 16 + 4
        ("106 umol/L", "creatinine", "umol/L", 106.0),
        ("1.2 mg/dL", "creatinine", "mg/dL", 1.2),
        ("90 mL/min/1.73 m2", "gfr", "mL/min/m**2", 90 / 1.73),  # per 1.73 m²
        ("5 mg/mL·min", "auc", "mg*min/mL", 5.0),
        ("60 years", "age", "year", 60.0),
        ("80 %", "percent", "percent", 80.0),
        ("80 percent", "percent", "percent", 80.0),
    ],
)
def test_read(text, kind, unit, value):
    assert parse_quantity(text, kind=kind).m_as(unit) == pytest.approx(value, rel=1e-12)


def test_the_worked_example_reads_as_stated():
    # IMGN901 (ImmunoGen release, 5 June 2011): 75 mg/m² weekly × 3 of a 4-week cycle = 225 mg/m² per cycle
    regimen = dosecalc.Regimen("75 mg/m²/week × 3 weeks every 4 weeks")
    assert regimen.per_cycle.m_as("mg/m**2") == 225.0
    assert round(regimen.per_cycle_mg_per_kg().m_as("mg/kg"), 1) == 6.1  # 225 / 37 (FDA 2005 adult Km)


# --- what is refused, and the message -------------------------------------------

REFUSED = [
    # (text, kind, what the message must say)
    ("75–100 mg/m²", "dose", "a range, not one dose"),
    ("75-100 mg/m2", "dose", "a range, not one dose"),
    ("75 to 100 mg/m2", "dose", "a range, not one dose"),
    ("1·5 mg/kg", "dose", "full stop as the decimal point"),
    ("1,5 mg/kg", "dose", "no thousands separator"),
    ("1,000 mg", "dose", "no thousands separator"),
    ("1_000 mg", "dose", "a number with a unit"),
    ("7\u200b5 mg/m2", "dose", "U+200B (ZERO WIDTH SPACE)"),
    ("75 mg/m2\u00ad", "dose", "U+00AD (SOFT HYPHEN)"),
    ("75 mg/m2 per cycle", "dose", "a dose 'per cycle' is a cycle total"),
    ("75 mg/m2/cycle", "dose", "a dose 'per cycle' is a cycle total"),
    ("75 mg/m2/%", "dose", "never scales a dose"),
    ("75 mg/m2/degree", "dose", "never scales a dose"),
    ("½ mg", "dose", "U+00BD"),
    ("75 mg/m²×3", "dose", "a number with a unit"),
    ("2*3 mg", "dose", "a number with a unit"),
    ("(75) mg", "dose", "a number with a unit"),
    ("pi mg", "dose", "a number is missing"),
    ("-75 mg/m2", "dose", "without a sign"),
    ("±75 mg/m2", "dose", "U+00B1"),
    ("nan mg/m2", "dose", "a finite number"),
    ("inf mg", "dose", "a finite number"),
    ("1e400 mg", "dose", "a finite number"),
    (".5 mg", "dose", "leading zero"),
    ("5. mg", "dose", "leading zero"),
    ("75", "dose", "the unit is missing"),
    ("mg", "dose", "a number is missing"),
    ("5 gr", "dose", "grain or gram"),
    ("5 cc", "dose", "write mL"),
    ("10 U/m2", "dose", "'U' is misread as 0, 4 or cc"),
    # Amneal/FDA letter, 5 July 2016: 1000 IU of bleomycin (Ph. Eur.) = 1 USP unit, a thousandfold apart
    ("10000 IU/m2", "dose", "a USP unit of bleomycin is 1,000 IU"),
    ("2500 international units/m2", "dose", "'IU' is misread as IV or 10"),
    ("15000 IU", "drug_mass", "a USP unit of bleomycin is 1,000 IU"),
    ("10 U/m2", "dose", "a number with a unit"),
    ("10 U", "dose", "write units"),
    ("80 pct", "percent", "a number with a unit"),
    ("75 mg/sqm", "dose", "did you mean '75 mg/m2'?"),
    ("70 kilos", "weight", "did you mean '70 kg'?"),
    ("70 KG", "weight", "did you mean '70 kg'?"),
    ("5 ft 12 in", "height", "the second part below 12"),
    ("11 st 14 lb", "weight", "the second part below 14"),
    ("154 lb 16 oz", "weight", "the second part below 16"),
    ("70 kg", "height", "'kg' gives a body weight, not a height"),
    ("1.2 mg", "creatinine", "not a creatinine concentration"),
    ("10 mg/kg/month", "dose", "per day or per week"),
    ("19000 cm2", "bsa", "a number with a unit"),
]


@pytest.mark.parametrize("text, kind, said", REFUSED)
def test_refused_with_the_field_the_text_and_the_reason(text, kind, said):
    with pytest.raises(UnitError) as caught:
        parse_quantity(text, "the_field", kind=kind)
    message = str(caught.value)
    assert message.startswith(f"the_field={escaped(text)}: expected ")
    assert said in message
    assert caught.value.field == "the_field"


def test_invisible_characters_are_escaped_in_the_message():
    with pytest.raises(UnitError, match=r"^dose='7\\u200b5 mg/m2'"):
        patient_dose("7\u200b5 mg/m2", bsa=1.9)


def test_user_text_never_reaches_pints_parser(monkeypatch):
    # pint's expression parser evaluates arithmetic and drops what it does not know: never called with text
    # dosecalc's own unit expressions are built once (cached); a text then only picks one
    registry = dosecalc.units.registry()
    parse_quantity("1 mg/m2", kind="dose").m_as("mg/m**2")
    handed = []
    for name in ("parse_expression", "parse_units", "parse_unit_name"):
        original = getattr(registry, name)
        monkeypatch.setattr(
            registry,
            name,
            lambda *args, _original=original, **kwargs: handed.append(args) or _original(*args, **kwargs),
        )
    read.cache_clear()
    quantity = parse_quantity("76 mg/m2", kind="dose")
    assert handed == []
    assert quantity.magnitude == 76.0


def test_bool_is_not_a_number():
    with pytest.raises(UnitError, match="not True or False"):
        dosecalc.bsa(True, 70)


# --- properties ----------------------------------------------------------------

VALID = ["75 mg/m2", "6.1 mg/kg", "175 cm", "5 ft 9 in", "70 kg", "1.2 mg/dL", "90 mL/min", "80 %", "1.9 m2"]
# the characters the grammar reads: digits, the point, the gaps and those of every unit's spelling
# (an inserted "c" turns "mg" into "mcg", another unit read as written: not a foreign character)
GRAMMAR_ALPHABET = "".join(
    sorted(
        set("0123456789. \u00a0\u2009\u202f").union(*(spelling for kind in VOCABULARY.values() for spelling in kind))
    )
)
# characters outside the grammar, visible or not
FOREIGN = st.sampled_from(
    list("\u200b\u200c\u200d\u2060\ufeff\u00ad–—−·×½¼²³⁰!#$&()*+,;:<=>?@[\\]^_`{|}~\t\n")
) | st.characters(blacklist_categories=("Cs",), blacklist_characters=GRAMMAR_ALPHABET)


@given(st.sampled_from(VALID), st.data())
def test_inserting_a_foreign_character_never_changes_a_value(text, data):
    expected = parse_quantity(text)
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    char = data.draw(FOREIGN)
    changed = text[:position] + char + text[position:]
    try:
        got = parse_quantity(changed)
    except UnitError:
        return
    # read at all: then it is the same quantity (a spelling such as "mg/m²" for "mg/m2")
    assert got.to(expected.units).magnitude == pytest.approx(expected.magnitude, rel=1e-12)


@pytest.mark.parametrize("kind", list(VOCABULARY))
def test_every_spelling_of_the_vocabulary_reads_to_its_unit(kind):
    for spelling, expression in VOCABULARY[kind].items():
        quantity = parse_quantity(f"2 {spelling}", kind=kind)
        assert quantity.magnitude == 2.0
        assert quantity.units == dosecalc.units.unit(expression)


@given(
    st.floats(min_value=0.001, max_value=1e5, allow_nan=False, allow_infinity=False),
    st.sampled_from(["mg/m2", "mg/kg", "mg", "units/m2", "mg/m2/week", "cm", "kg", "mg/dL", "%"]),
)
def test_a_rendered_quantity_reads_back_equal(number, unit):
    quantity = parse_quantity(f"{number!r} {unit}")
    rendered = f"{quantity.magnitude!r} {unit}"
    assert parse_quantity(rendered) == quantity


@given(st.floats(min_value=0.001, max_value=1e5, allow_nan=False, allow_infinity=False))
def test_a_number_reads_the_same_on_every_path(number):
    text = f"{number!r}"
    assert parse_quantity(f"{text} mg/m2").m_as("mg/m**2") == float(text)
    assert (
        patient_dose(f"{text} mg", bsa=1.9).dose.m_as("mg") == pytest.approx(float(text), rel=1e-12)
        or float(text) > 2e5
    )
    assert dosecalc.grammar.bare_number(text) == float(text)


def test_a_quantity_passes_through():
    dose = Q_(75, "mg/m**2")
    assert parse_quantity(dose) is dose


def test_the_readme_lists_the_vocabulary():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for kind in VOCABULARY:
        assert f"| `{kind}` | {LABELS[kind]} | {accepted_spellings(kind)} |" in readme


# --- numbers from code ---------------------------------------------------------


def test_a_series_in_gives_a_series_out_on_its_index():
    pd = pytest.importorskip("pandas")
    height = pd.Series([175.0, 160.0], index=["p7", "p9"])
    weight = pd.Series([70.0, 60.0], index=["p7", "p9"])
    area = dosecalc.bsa(height, weight)
    assert list(area.index) == ["p7", "p9"] and area.name == "bsa_m2"
    assert area["p9"] == pytest.approx((160 * 60 / 3600) ** 0.5, rel=1e-15)  # Mosteller by hand


def test_series_of_different_indexes_are_never_paired_by_position():
    pd = pytest.importorskip("pandas")
    with pytest.raises(dosecalc.ImplausibleInputError, match="never paired by position"):
        dosecalc.bsa(pd.Series([175.0, 160.0], index=["a", "b"]), pd.Series([70.0, 60.0], index=["b", "a"]))


def test_shapes_that_would_broadcast_are_refused():
    with pytest.raises(dosecalc.ImplausibleInputError, match="one value per patient"):
        dosecalc.bsa(np.array([[175.0], [160.0]]), np.array([70.0, 60.0, 80.0]))


@pytest.mark.parametrize(
    "height_cm, weight_kg, hint",
    [(70, 175, "swapped"), (69, 80, "was the height 69 in"), (180, 3.5, None)],
)
def test_a_height_and_weight_no_person_has_had_are_refused(height_cm, weight_kg, hint):
    with pytest.raises(dosecalc.ImplausibleInputError, match="^height, weight=") as caught:
        dosecalc.bsa(height_cm, weight_kg)
    assert caught.value.hint is None if hint is None else hint in caught.value.hint


@pytest.mark.parametrize(
    "height_cm, weight_kg",
    # a 25 cm, 0.25 kg preterm infant; a 50 cm, 3.5 kg newborn; an adult of BMI 10; the heaviest documented man
    [(25, 0.25), (50, 3.5), (170, 28.9), (185, 635)],
)
def test_the_documented_extremes_are_admitted(height_cm, weight_kg):
    assert dosecalc.bsa(height_cm, weight_kg).m_as("m**2") > 0


@pytest.mark.parametrize(
    "text, kind",
    # digits of other scripts look like ASCII ones (৪ is a Bengali four, not an 8): never read
    [
        ("৪0 mg/m2", "dose"),
        ("７５ mg/m2", "dose"),
        ("٢٠ %", "percent"),
        ("５ ft ９ in", "height"),
        ("1 m ৭5 cm", "height"),
    ],
)
def test_digits_of_other_scripts_are_refused(text, kind):
    with pytest.raises(UnitError, match="DIGIT"):
        parse_quantity(text, kind=kind)


@pytest.mark.parametrize(
    "text, kind",
    # spelled alike, meaning 10× to 1000× else: no "did you mean"
    [
        ("75 mg/ml", "dose"),
        ("75 mg/cm2", "dose"),
        ("1.2 mg/L", "creatinine"),
        ("0.106 mmol/L", "creatinine"),
        ("90 L/min", "gfr"),
        ("90 mL/min/m2", "gfr"),
        ("19000 cm2", "bsa"),
    ],
)
def test_no_hint_changes_the_meaning(text, kind):
    with pytest.raises(UnitError) as caught:
        parse_quantity(text, kind=kind)
    assert "did you mean" not in str(caught.value)


def test_a_whole_part_too_long_for_any_body_is_refused_not_a_crash():
    with pytest.raises(UnitError, match=r"… \(5,005 characters\)"):
        parse_quantity("1" * 5000 + " ft 1", kind="height")


@pytest.mark.parametrize("char", ["\u3164", "\u2800", "\u20dd", "\u0903", "\u202e"])
def test_blank_and_combining_characters_are_escaped(char):
    assert f"\\u{ord(char):04x}" in escaped(f"1.9{char}")


@pytest.mark.parametrize(
    "weight",
    # True inside a list or an object array, text in an array: never read as 1 or by float() ("1_75", "৪0")
    [[70, True], np.array([True], dtype=object), np.array(["70"]), ["70 kg", 80], np.array(["1_75"])],
)
def test_bools_and_text_inside_arrays_are_refused(weight):
    with pytest.raises(UnitError, match="^weight="):
        patient_dose("2 mg/kg", weight=weight)


def test_patient_dose_never_pairs_series_by_position():
    pd = pytest.importorskip("pandas")
    height = pd.Series([170.0, 180.0], index=[4, 3])
    weight = pd.Series([70.0, 80.0], index=[3, 4])
    with pytest.raises(dosecalc.ImplausibleInputError, match="never paired by position"):
        patient_dose("75 mg/m2", height=height, weight=weight)


@pytest.mark.parametrize(
    "text, number", [("1e-400 cm", "1e-400"), ("1.5e-330 mg/m2", "1.5e-330"), ("2E-999 kg", "2E-999")]
)
def test_a_number_below_any_double_is_refused_not_read_as_zero(text, number):
    # below the smallest subnormal double (4.9e-324, IEEE 754 binary64): float() reads it as 0
    assert float(number) == 0.0
    with pytest.raises(UnitError, match=rf"\({number} is below any double, read as 0\)$"):
        parse_quantity(text)


def test_zero_and_the_smallest_double_are_read():
    assert parse_quantity("0 mg").m_as("mg") == 0.0  # zero as typed: refused later as zero
    assert parse_quantity("0.0e-400 mg").m_as("mg") == 0.0
    assert parse_quantity("5e-324 mg").m_as("mg") == 5e-324  # the smallest subnormal double


@pytest.mark.parametrize(
    "text, point, thousands",
    [
        ("1.500 mg", "1.5", "1500"),
        ("2.250 mg/m2", "2.25", "2250"),
        ("100.000 mg", "100", "100000"),
        ("1.000 g", "1", "1000"),
        ("01.500 mg", "1.5", "1500"),  # leading zeros aside, the same number
    ],
)
def test_an_amount_that_reads_a_thousandfold_apart_is_refused(text, point, thousands):
    # "1.500 mg" is 1.5 mg with a decimal point, 1500 mg with a full stop between thousands (the continental
    # European convention, as on an export of its records): both plausible doses, neither guessed
    with pytest.raises(
        UnitError,
        match=rf"a full stop is the decimal point or a thousands separator: write .* as {point} or as {thousands}$",
    ):
        patient_dose(text, bsa=1.9)
    with pytest.raises(UnitError, match=rf"as {point} or as {thousands}$"):
        patient_dose("75 mg/m2", bsa=1.9, max_dose=text.split()[0] + " mg")


@pytest.mark.parametrize(
    "text", ["1.125 mg", "0.125 mg", "0.500 mg", "12.50 mg", "1000.500 mg", "1.500e3 mg", "1.5 mg"]
)
def test_an_amount_of_one_reading_is_read(text):
    # no trailing zero to drop, a zero whole part (never thousands), or a fourth whole digit: one number
    assert parse_quantity(text).m_as("mg") == float(text.split()[0])


@given(st.integers(1, 999), st.integers(0, 99), st.sampled_from(["mg", "mg/m2", "units/m2", "mg/kg"]))
def test_no_amount_of_three_decimals_ending_in_zero_is_read(whole, hundredths, unit):
    with pytest.raises(UnitError, match="a thousands separator"):
        parse_quantity(f"{whole}.{hundredths:02d}0 {unit}")


def test_a_measurement_of_three_decimals_is_read():
    # a height or weight is no amount of drug: its range catches a thousandfold slip
    assert parse_quantity("1.750 m").m_as("cm") == pytest.approx(175.0)
    assert parse_quantity("70.500 kg").m_as("kg") == 70.5
