"""Regimen arithmetic, with the IMGN901 worked example."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosecalc import Q_, Regimen, patient_dose
from dosecalc.errors import (
    DoseCalcError,
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)
from dosecalc.grammar import escaped

# ImmunoGen press release, 5 June 2011 (ASCO 2011, abstract 8013): lorvotuzumab mertansine
# (IMGN901) "75 mg/m²/week (225 mg/m² or 6.1 mg/kg over 3 weeks in a 4-week cycle)".
# 225 / 37 kg/m² (adult human Km, FDA 2005 Table 1) = 6.08 mg/kg.
IMGN901 = Regimen("75 mg/m^2", days=[1, 8, 15], cycle_days=28)


def test_imgn901_three_ways():
    assert IMGN901.per_administration.m_as("mg/m**2") == 75.0
    assert IMGN901.per_cycle.m_as("mg/m**2") == 225.0
    assert IMGN901.dose_intensity.m_as("mg/m**2/week") == 56.25
    per_kg = IMGN901.per_cycle_mg_per_kg(km=37).m_as("mg/kg")
    assert per_kg == pytest.approx(6.081, abs=5e-4)
    assert round(per_kg, 1) == 6.1
    assert IMGN901.per_cycle_mg_per_kg().m_as("mg/kg") == per_kg  # default: adult human


@pytest.mark.parametrize(
    "build",
    [
        lambda: Regimen.weekly("75 mg/m^2/week", weeks=3, cycle_weeks=4),
        lambda: Regimen.weekly("75 mg/m^2", weeks=3, cycle_weeks=4),
        lambda: Regimen.parse("75 mg/m^2/week × 3 weeks every 4 weeks"),
        lambda: Regimen.parse("75 mg/m2/week x 3 weeks of a 4-week cycle"),
        lambda: Regimen.parse("75 mg/m²/wk for 3 weeks q 4 weeks"),
        # the release's own words: "75 mg/m²/week (... over 3 weeks in a 4-week cycle)", "given weekly for
        # three weeks in a 4-week cycle" (the number in digits)
        lambda: Regimen.parse("75 mg/m²/week over 3 weeks in a 4-week cycle"),
        lambda: Regimen.parse("75 mg/m2 weekly for 3 weeks in a 4-week cycle"),
        lambda: Regimen.parse("75 mg/m2/week, weekly for 3 weeks in a 4-week cycle"),
        lambda: Regimen.parse("225 mg/m2 per cycle weekly for 3 weeks in a 4-week cycle"),
    ],
)
def test_weekly_spellings_build_the_same_regimen(build):
    regimen = build()
    assert regimen.days == (1, 8, 15)
    assert regimen.cycle_days == 28
    assert regimen.per_cycle.m_as("mg/m**2") == 225.0


def test_cumulative():
    assert IMGN901.cumulative(6).m_as("mg/m**2") == 1350.0


def test_for_patient():
    # BSA 2.0 m² (Mosteller, 180 cm, 80 kg): 150 mg per administration, 450 mg per cycle
    patient = IMGN901.for_patient(height=180, weight=80)
    assert patient.per_administration.dose.m_as("mg") == pytest.approx(150.0)
    assert patient.per_cycle.m_as("mg") == pytest.approx(450.0)
    assert patient.dose_intensity.m_as("mg/week") == pytest.approx(112.5)
    assert patient.cumulative(4).m_as("mg") == pytest.approx(1800.0)
    assert patient.per_administration.bsa_method == "mosteller"
    by_bsa = IMGN901.for_patient(bsa=Q_(1.9, "m**2"))
    assert by_bsa.per_cycle.m_as("mg") == pytest.approx(427.5)
    assert by_bsa.per_administration.bsa_method == "given"


def test_for_patient_takes_patient_dose_options():
    # CHOP vincristine 1.4 mg/m² on day 1 of 21, at most 2 mg (Coiffier et al., N Engl J Med 2002;346:235):
    # for 1.9 m², 2.66 mg capped at 2 mg per administration and per cycle
    capped = Regimen("1.4 mg/m^2", days=[1], cycle_days=21).for_patient(bsa=1.9, max_dose="2 mg")
    assert capped.per_cycle.m_as("mg") == 2.0
    assert capped.per_administration.max_dose_applied is True
    # BSA from the ideal weight (Devine: 5 ft 10 in man, 73 kg), capped at 2.0 m²
    regimen = Regimen("75 mg/m^2", days=[1, 8, 15], cycle_days=28)
    ideal = regimen.for_patient(height=177.8, weight=98, sex="m", weight_basis="ideal")
    assert ideal.per_administration.dosing_weight.m_as("kg") == pytest.approx(73.0)
    assert ideal.per_cycle.m_as("mg") == pytest.approx(3 * 75 * (177.8 * 73.0 / 3600) ** 0.5)
    assert regimen.for_patient(bsa=2.4, bsa_cap=2.0).per_cycle.m_as("mg") == pytest.approx(3 * 150.0)


def test_mg_per_kg_regimen():
    regimen = Regimen("6.1 mg/kg", days=[1], cycle_days=21)
    assert regimen.per_cycle_mg_per_kg().m_as("mg/kg") == pytest.approx(6.1)
    assert regimen.for_patient(weight=70).per_cycle.m_as("mg") == pytest.approx(427.0)
    assert regimen.dose_intensity.m_as("mg/kg/week") == pytest.approx(6.1 / 3)


@given(
    st.floats(min_value=0.1, max_value=5000),
    st.lists(st.integers(min_value=1, max_value=42), min_size=1, max_size=10, unique=True),
    st.integers(min_value=0, max_value=14),
    st.integers(min_value=1, max_value=12),
)
def test_arithmetic_properties(dose_mg_m2, days, extra_days, cycles):
    days = sorted(days)
    regimen = Regimen(Q_(dose_mg_m2, "mg/m**2"), days=days, cycle_days=days[-1] + extra_days)
    per_cycle = regimen.per_cycle.m_as("mg/m**2")
    assert per_cycle == pytest.approx(dose_mg_m2 * len(days))
    assert regimen.dose_intensity.m_as("mg/m**2/week") == pytest.approx(per_cycle * 7 / regimen.cycle_days)
    assert regimen.cumulative(cycles).m_as("mg/m**2") == pytest.approx(per_cycle * cycles)
    patient = regimen.for_patient(bsa=2.0)
    assert patient.per_cycle.m_as("mg") == pytest.approx(2.0 * per_cycle)
    assert patient.per_administration.dose.m_as("mg") == patient_dose(regimen.per_administration, bsa=2.0).dose.m_as(
        "mg"
    )


def test_bad_regimens():
    with pytest.raises(UnitError, match="dose"):
        Regimen(75, days=[1, 8, 15], cycle_days=28)
    with pytest.raises(UnitError, match="not a rate"):
        Regimen("75 mg/m^2/week", days=[1, 8, 15], cycle_days=28)
    with pytest.raises(ImplausibleInputError, match="days"):
        Regimen("75 mg/m^2", days=[1, 8, 30], cycle_days=28)
    with pytest.raises(ImplausibleInputError, match="days"):
        Regimen("75 mg/m^2", days=[8, 1], cycle_days=28)
    with pytest.raises(ImplausibleInputError, match="days"):
        Regimen("75 mg/m^2", days=[0, 7], cycle_days=28)
    with pytest.raises(ImplausibleInputError, match="cycle_days"):
        Regimen("75 mg/m^2", days=[1], cycle_days=-28)
    with pytest.raises(ImplausibleInputError, match="cycles"):
        IMGN901.cumulative(0)
    with pytest.raises(ImplausibleInputError, match="^cycle_days='28': expected a whole number"):
        Regimen("75 mg/m^2", days=[1], cycle_days="28")
    with pytest.raises(DoseCalcError, match="regimen"):
        Regimen.parse("75 mg/m^2 sometimes")
    with pytest.raises(UnitError, match="dose"):
        Regimen("100 mg", days=[1], cycle_days=21).per_cycle_mg_per_kg()


@pytest.mark.parametrize("day", [1.5, "1", float("nan"), float("inf"), None, True])
def test_a_day_is_a_whole_number(day):
    with pytest.raises(ImplausibleInputError, match="^days=.*expected a whole number from 1 to 365"):
        Regimen("75 mg/m^2", days=[day], cycle_days=28)


def test_constructor_takes_weeks_or_text():
    by_weeks = Regimen("75 mg/m^2/week", weeks=3, cycle_weeks=4)
    by_text = Regimen("75 mg/m^2/week × 3 weeks every 4 weeks")
    for regimen in (by_weeks, by_text):
        assert (regimen.days, regimen.cycle_days) == ((1, 8, 15), 28)
        assert regimen.per_cycle.m_as("mg/m**2") == 225.0
    with pytest.raises(DoseCalcError, match="not both"):
        Regimen("75 mg/m^2", days=[1], weeks=3, cycle_weeks=4)
    with pytest.raises(ImplausibleInputError, match="days"):
        Regimen("75 mg/m^2", days=[], cycle_days=28)


def test_a_daily_rate_is_daily_administrations():
    # "75 mg/m²/day × 3 weeks every 4 weeks": 75 mg/m² on each of days 1-21 (by hand: 21 × 75 = 1575 mg/m²)
    regimen = Regimen("75 mg/m²/day × 3 weeks every 4 weeks")
    assert regimen.days == tuple(range(1, 22)) and regimen.cycle_days == 28
    assert regimen.per_administration.m_as("mg/m**2") == 75.0
    assert regimen.per_cycle.m_as("mg/m**2") == 1575.0
    # a weekly rate: weekly administrations (the IMGN901 release: 75 mg/m² weekly × 3 of 4 = 225 mg/m²)
    assert Regimen("75 mg/m2/week × 3 weeks every 4 weeks").per_cycle.m_as("mg/m**2") == 225.0


def test_a_dose_per_cycle_is_a_cycle_total():
    # the IMGN901 release states the same dose as 225 mg/m² per cycle, given on days 1, 8, 15 of 28
    regimen = Regimen("225 mg/m2 per cycle", days=[1, 8, 15], cycle_days=28)
    assert regimen.per_administration.m_as("mg/m**2") == 75.0
    assert regimen.per_cycle.m_as("mg/m**2") == 225.0


@pytest.mark.parametrize("arguments", [{"days": [1, 8, 15]}, {"weeks": 3}])
def test_a_cycle_length_is_never_assumed(arguments):
    with pytest.raises(MissingInputError, match="^cycle_(days|weeks) is required for a regimen"):
        Regimen("75 mg/m2", **arguments)


def test_a_rate_per_other_time_is_refused():
    with pytest.raises(UnitError, match="per day or per week"):
        Regimen("75 mg/m2/month × 3 weeks every 4 weeks")


@pytest.mark.parametrize(
    "arguments, said",
    [
        ({"dose": "75 mg/m2/day per cycle × 3 weeks every 4 weeks"}, "a rate or a total per cycle, not both"),
        ({"dose": "75 mg/m2 × 3 weeks every 4 days"}, "expected a text like"),
        ({"dose": "75 mg/m2 × 99999 weeks every 99999 weeks"}, "expected a text like"),
        ({"dose": "75 mg/m2", "days": [1], "cycle_days": 10**30}, "from 1 to 365"),
        ({"dose": "7" + " " * 10_000 + "y"}, "at most 200 characters"),  # no quadratic scan of the spaces
    ],
)
def test_contradictory_or_absurd_regimens_are_refused(arguments, said):
    with pytest.raises(DoseCalcError, match=re.escape(said)):
        Regimen(**arguments)


def test_a_cumulative_dose_of_absurdly_many_cycles_is_refused():
    with pytest.raises(ImplausibleInputError, match="from 1 to 1,000"):
        Regimen("75 mg/m2", days=[1], cycle_days=21).cumulative(10**20)


@pytest.mark.parametrize(
    "text",
    [
        "75 mg/m2 × 3 weeks every 4 weeks",
        # temozolomide with radiotherapy is written "75 mg/m² × 6 weeks": daily, 42 doses, not 6 weekly ones
        "75 mg/m2 × 6 weeks every 10 weeks",
        "75 mg/m^2 for 3 weeks q 4 weeks",
        "225 mg/m2 per cycle × 3 weeks every 4 weeks",  # a cycle total over 3 weeks: daily or weekly?
    ],
)
def test_a_regimen_text_without_a_rate_is_refused(text):
    with pytest.raises(UnitError, match=r"^regimen='.*': expected a rate per week or per day") as caught:
        Regimen.parse(text)
    assert escaped(text) in str(caught.value)
    with pytest.raises(UnitError, match="per week or per day"):
        Regimen(text)


def test_a_frequency_says_how_often_a_dose_without_a_rate_is_given():
    # temozolomide with radiotherapy, "75 mg/m² daily": 42 doses over 6 weeks, by hand 42 × 75 = 3150 mg/m²
    daily = Regimen.parse("75 mg/m2 daily for 6 weeks every 10 weeks")
    assert daily.days == tuple(range(1, 43)) and daily.per_cycle.m_as("mg/m**2") == 3150.0


@pytest.mark.parametrize(
    "text", ["75 mg/m2/day weekly for 3 weeks every 4 weeks", "75 mg/m2/week daily for 3 weeks every 4 weeks"]
)
def test_a_frequency_that_contradicts_the_rate_is_refused(text):
    with pytest.raises(UnitError, match=r"expected a rate and a frequency that agree"):
        Regimen.parse(text)


def test_a_regimen_text_with_its_rate_is_read():
    # ImmunoGen release, 5 June 2011 (../shared/reference, ASCO 2011 abstract 8013): IMGN901 "given weekly for
    # three weeks in a 4-week cycle", "75 mg/m²/week (225 mg/m² ... over 3 weeks in a 4-week cycle)"
    weekly = Regimen.parse("75 mg/m^2/week × 3 weeks every 4 weeks")
    assert (weekly.days, weekly.cycle_days, weekly.per_cycle.m_as("mg/m**2")) == ((1, 8, 15), 28, 225.0)
    # the same regimen by its keywords, with the frequency they do not say by themselves
    assert Regimen("75 mg/m^2", weeks=3, cycle_weeks=4, frequency="weekly").days == (1, 8, 15)
    # daily: 75 mg/m² on days 1-42 of a 10-week cycle, by hand 42 × 75 = 3150 mg/m²
    daily = Regimen.parse("75 mg/m2/day × 6 weeks every 10 weeks")
    assert daily.administrations_per_cycle == 42 and daily.per_cycle.m_as("mg/m**2") == 3150.0


# --- keywords: how often is said, never assumed ------------------------------------------------------------

_NO_RATE = (
    "expected a rate per week or per day with weeks= ('75 mg/m2/week', '75 mg/m2/day'), or frequency='weekly' "
    "or frequency='daily'; a dose without /week or /day does not say how often it is given"
)


@pytest.mark.parametrize(
    "dose, weeks, cycle_weeks",
    [
        # temozolomide with radiotherapy, 75 mg/m² over 6 weeks: 42 daily doses (Stupp et al. 2005), not 6
        ("75 mg/m2", 6, 10),
        ("75 mg/m^2", 3, 4),
        # a cycle total over 3 weeks: shared over 3 weekly or 21 daily doses?
        ("225 mg/m2 per cycle", 3, 4),
    ],
)
def test_weeks_without_a_rate_or_a_frequency_are_refused(dose, weeks, cycle_weeks):
    with pytest.raises(UnitError) as caught:
        Regimen(dose, weeks=weeks, cycle_weeks=cycle_weeks)
    assert str(caught.value) == f"dose={escaped(dose)}: {_NO_RATE}"


def test_weeks_with_a_quantity_without_a_rate_are_refused():
    with pytest.raises(UnitError, match=re.escape(_NO_RATE)):
        Regimen(Q_(75, "mg/m**2"), weeks=6, cycle_weeks=10)


def test_a_frequency_says_how_often_with_weeks():
    # temozolomide with radiotherapy: 75 mg/m² daily for 6 weeks, by hand 42 × 75 = 3150 mg/m²
    daily = Regimen("75 mg/m2", weeks=6, cycle_weeks=10, frequency="daily")
    assert daily.days == tuple(range(1, 43)) and daily.per_cycle.m_as("mg/m**2") == 3150.0
    # IMGN901: 225 mg/m² per cycle, weekly for 3 weeks of 4 = 75 mg/m² on days 1, 8, 15
    total = Regimen("225 mg/m2 per cycle", weeks=3, cycle_weeks=4, frequency="weekly")
    assert total.days == (1, 8, 15) and total.per_administration.m_as("mg/m**2") == 75.0
    # a rate says it alone, and a frequency that agrees with it changes nothing
    assert Regimen("75 mg/m2/week", weeks=3, cycle_weeks=4, frequency="weekly").days == (1, 8, 15)


@pytest.mark.parametrize("frequency", ["Weekly", "weekly ", "weekly\n", "week", "biweekly", 7, None])
def test_a_frequency_is_read_exactly(frequency):
    if frequency is None:
        with pytest.raises(UnitError, match=re.escape(_NO_RATE)):
            Regimen("75 mg/m2", weeks=3, cycle_weeks=4, frequency=frequency)
        return
    with pytest.raises(UnknownNameError, match=r"^frequency=.* is not known; expected one of: weekly, daily"):
        Regimen("75 mg/m2", weeks=3, cycle_weeks=4, frequency=frequency)


def test_a_frequency_that_contradicts_the_rate_or_the_days_is_refused():
    with pytest.raises(UnitError, match=r"^frequency='weekly': expected a rate and a frequency that agree"):
        Regimen("75 mg/m2/day", weeks=3, cycle_weeks=4, frequency="weekly")
    with pytest.raises(DoseCalcError, match=r"^frequency='weekly': applies to weeks and cycle_weeks"):
        Regimen("75 mg/m2", days=[1, 8, 15], cycle_days=28, frequency="weekly")
    with pytest.raises(DoseCalcError, match="a regimen text says how often in its own words"):
        Regimen("75 mg/m2/week × 3 weeks every 4 weeks", frequency="weekly")


# --- a regimen text: words separated by one ASCII space each ------------------------------------------------

_TEXT_EXPECTED = (
    "expected a text like '75 mg/m^2/week × 3 weeks every 4 weeks': a dose, optionally 'weekly' or 'daily', "
    "'×' (or 'x', '*', 'for', 'over'), the weeks ('3 weeks') and the cycle ('every 4 weeks', 'q 4 weeks', "
    "'of a 4-week cycle', 'in a 4-week cycle'), each word after one ASCII space "
    "(at most 52 weeks of a cycle of at most 52 weeks)"
)


@pytest.mark.parametrize(
    "text",
    [
        "75 mg/m2/week\t×\t3\tweeks\tevery\t4\tweeks",
        "75 mg/m2/week\n× 3 weeks every 4 weeks",
        "75 mg/m2/week × 3 weeks every 4 weeks\n",
        "75 mg/m2/week\r\n× 3 weeks every 4 weeks",
        "75 mg/m2/week\u00a0× 3 weeks every 4 weeks",  # no-break space
        "75 mg/m2/week × 3 weeks\u2003every 4 weeks",  # em space
        "75 mg/m2/week × 3\u3000weeks every 4 weeks",  # ideographic space
        "75 mg/m2/week × 3 weeks every\u20094 weeks",  # thin space: between a number and its unit only
        "75 mg/m2/week×3weeksq4weeks",
        "75 mg/m2/week ×3 weeks every 4 weeks",
        "75 mg/m2/week × 3 weeks every 4 - - - weeks",
        "75 mg/m2/week × 3 weeks of a 4 - week cycle",
        "75 mg/m2/week × 3 weeks every each 4 weeks",
        "75 mg/m2/week × 3 weeks every a 4 weeks",
        "75 mg/m2/week × 3 weeks every 4 weekscycle",
        "75 mg/m2/week × 3 weeks every 4 weeks cycles",
        "75 mg/m2/week  × 3 weeks every 4 weeks",
        "75 mg/m2/week × 3 weeks  every 4 weeks",
        " 75 mg/m2/week × 3 weeks every 4 weeks",
        "75 mg/m2/week × 3 weeks every 4 weeks ",
        "75 mg/m2/week X 3 weeks every 4 weeks",
        "75 mg/m2/week × 3 Weeks Every 4 Weeks",
    ],
)
def test_a_regimen_text_outside_its_grammar_is_refused_as_typed(text):
    for read in (Regimen, Regimen.parse):
        with pytest.raises(DoseCalcError) as caught:
            read(text)
        assert str(caught.value) == f"regimen={escaped(text)}: {_TEXT_EXPECTED}"


@pytest.mark.parametrize(
    "text, dose",
    [
        ("75 mg/m2 WEEKLY for 3 weeks every 4 weeks", "75 mg/m2 WEEKLY"),
        ("75 mg/m2/week , weekly for 3 weeks every 4 weeks", "75 mg/m2/week ,"),
        ("75 mg/m2/week,weekly for 3 weeks every 4 weeks", "75 mg/m2/week,weekly"),
    ],
)
def test_a_frequency_outside_the_grammar_is_left_in_the_dose_and_refused_there(text, dose):
    with pytest.raises(UnitError, match=rf"^dose={re.escape(escaped(dose))}: expected a number with a unit"):
        Regimen.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "75 mg/m2/week × 3 weeks every 4 weeks",
        "75 mg/m2/week x 3 weeks every 4 weeks",
        "75 mg/m2/week * 3 weeks every 4 weeks",
        "75 mg/m2/week for 3 wks q 4 wks",
        "75 mg/m2/wk over 3 wk every 4 wk",
        "75 mg/m2/week over 3 weeks of a 4-week cycle",
        "75 mg/m2/week for 3 weeks in a 4-week cycle",
        "75 mg/m2 weekly × 3 weeks every 4 weeks",
        "75 mg/m2/week, weekly × 3 weeks every 4 weeks",
        "75\u00a0mg/m2/week × 3 weeks every 4 weeks",  # the dose's own gap, as the dose grammar reads it
    ],
)
def test_a_regimen_text_of_its_grammar_is_read(text):
    regimen = Regimen.parse(text)
    assert (regimen.days, regimen.cycle_days, regimen.per_cycle.m_as("mg/m**2")) == ((1, 8, 15), 28, 225.0)


def test_an_eight_week_cycle_takes_its_article():
    assert Regimen.parse("75 mg/m2/week × 3 weeks of an 8-week cycle").cycle_days == 56


@pytest.mark.parametrize("text", ["225 mg/m2 per cycle\n", "225 mg/m2  per cycle", "225 mg/m2 per cycle\t"])
def test_a_cycle_total_is_read_whole(text):
    # "$" matched before a final line break, and the dose's trailing spaces were the grammar's: both refused
    with pytest.raises(UnitError, match=r"^dose="):
        Regimen(text, days=[1, 8, 15], cycle_days=28)


def test_a_cycle_total_with_a_slash():
    for text in ("225 mg/m2/cycle", "225 mg/m2 / cycle"):
        assert Regimen(text, days=[1, 8, 15], cycle_days=28).per_administration.m_as("mg/m**2") == 75.0


# --- a day is a whole number, and a boolean is none ---------------------------------------------------------


@pytest.mark.parametrize("day", [np.True_, np.False_, np.bool_(True)])
def test_a_numpy_bool_is_not_a_day(day):
    with pytest.raises(ImplausibleInputError) as caught:
        Regimen("75 mg/m2", days=[day, 8], cycle_days=28)
    assert str(caught.value) == f"days={bool(day)}: expected a whole number from 1 to 365"


def test_an_array_of_booleans_is_not_days():
    with pytest.raises(ImplausibleInputError) as caught:
        Regimen("75 mg/m2", days=np.array([True, False, True]), cycle_days=28)
    assert str(caught.value) == "days=[True, False, True]: expected whole numbers from 1 to 365, not booleans"
    with pytest.raises(ImplausibleInputError, match="not booleans"):
        Regimen("75 mg/m2", days=np.array(True), cycle_days=28)


@pytest.mark.parametrize(
    "arguments, field",
    [
        ({"days": [1], "cycle_days": np.True_}, "cycle_days"),
        ({"days": [1], "cycle_days": np.array(True)}, "cycle_days"),
        ({"weeks": np.True_, "cycle_weeks": 4, "frequency": "weekly"}, "weeks"),
        ({"weeks": 1, "cycle_weeks": np.True_, "frequency": "weekly"}, "cycle_weeks"),
    ],
)
def test_a_numpy_bool_is_no_count_of_a_schedule(arguments, field):
    with pytest.raises(ImplausibleInputError, match=rf"^{field}=True: expected a whole number from 1 to"):
        Regimen("75 mg/m2", **arguments)


def test_a_numpy_bool_is_no_count_of_cycles():
    with pytest.raises(ImplausibleInputError, match=r"^cycles=True: expected a whole number from 1 to 1,000"):
        IMGN901.cumulative(np.True_)


def test_days_are_a_sequence():
    with pytest.raises(ImplausibleInputError, match=r"^days=8: expected a sequence of days"):
        Regimen("75 mg/m2", days=8, cycle_days=28)
    with pytest.raises(ImplausibleInputError, match=r"^days='1,8': expected a sequence of days"):
        Regimen("75 mg/m2", days="1,8", cycle_days=28)
    assert Regimen("75 mg/m2", days=np.array([1, 8, 15]), cycle_days=28).days == (1, 8, 15)
