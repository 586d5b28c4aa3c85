"""Km conversions and human-equivalent doses against FDA (2005) Table 1."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosecalc import KM_FACTORS, Q_, SPECIES, hed, to_mg_per_kg, to_mg_per_m2
from dosecalc.errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError, UnknownNameError

# FDA CDER, "Estimating the Maximum Safe Starting Dose in Initial Clinical Trials for
# Therapeutics in Adult Healthy Volunteers", July 2005, Table 1: species, Km factor,
# and the printed "divide animal dose by" column (= 37 / Km, to 1 decimal).
FDA_TABLE_1 = {
    "human": (37, None),
    "human_child": (25, None),
    "mouse": (3, 12.3),
    "hamster": (5, 7.4),
    "rat": (6, 6.2),
    "ferret": (7, 5.3),
    "guinea_pig": (8, 4.6),
    "rabbit": (12, 3.1),
    "dog": (20, 1.8),
    "monkey": (12, 3.1),
    "marmoset": (6, 6.2),
    "squirrel_monkey": (7, 5.3),
    "baboon": (20, 1.8),
    "micro_pig": (27, 1.4),
    "mini_pig": (35, 1.1),
}


def test_km_factors_are_fda_table_1():
    assert KM_FACTORS == {name: km for name, (km, _) in FDA_TABLE_1.items()}


@pytest.mark.parametrize("species", [s for s, (_, divide) in FDA_TABLE_1.items() if divide])
def test_hed_matches_the_printed_divide_by_column(species):
    # HED = animal dose / (divide-by); the table prints 37/Km to one decimal (1.057 as 1.1)
    km, divide_by = FDA_TABLE_1[species]
    assert hed(Q_(100, "mg/kg"), species).m_as("mg/kg") == pytest.approx(100 / divide_by, rel=0.05)
    assert hed(100, species).m_as("mg/kg") == pytest.approx(100 * km / 37, rel=1e-12)


def test_reference_weights_and_areas_give_the_km():
    # Km = reference body weight / BSA (FDA 2005, Table 1 columns); the printed BSAs are rounded,
    # mouse 0.02 / 0.007 = 2.86 and squirrel monkey 0.60 / 0.09 = 6.67 lie farthest (4.8 %) from their Km
    for name, row in SPECIES.items():
        assert row.reference_weight_kg / row.bsa_m2 == pytest.approx(row.km, rel=0.05), name
    assert (SPECIES["human"].reference_weight_kg, SPECIES["human"].bsa_m2) == (60.0, 1.62)
    assert SPECIES["mini_pig"].reference_weight_kg == 40.0


def test_imgn901_per_cycle_in_mg_per_kg():
    # ImmunoGen, 5 June 2011 (ASCO 2011 abstract 8013): 225 mg/m² per cycle "or 6.1 mg/kg";
    # 225 / 37 (adult human Km, FDA 2005 Table 1) = 6.08
    per_kg = to_mg_per_kg("225 mg/m^2")
    assert per_kg.units == Q_(1, "mg/kg").units
    assert per_kg.m_as("mg/kg") == pytest.approx(6.081081, rel=1e-6)
    assert round(per_kg.m_as("mg/kg"), 1) == 6.1


def test_rat_hed_example():
    # FDA (2005) section V.A: HED = animal mg/kg × (animal Km / human Km); rat 50 mg/kg → 8.1 mg/kg
    assert hed("50 mg/kg", "rat").m_as("mg/kg") == pytest.approx(50 * 6 / 37)
    # a dose in mg/m² is already normalised: HED = dose / 37
    assert hed("300 mg/m^2", "rat").m_as("mg/kg") == pytest.approx(300 / 37)


def test_child_and_explicit_km():
    assert to_mg_per_kg(100, species="human_child").m_as("mg/kg") == pytest.approx(4.0)
    assert to_mg_per_kg(100, species="child").m_as("mg/kg") == pytest.approx(4.0)
    assert to_mg_per_kg(100, km=Q_(20, "kg/m**2")).m_as("mg/kg") == pytest.approx(5.0)
    assert to_mg_per_m2("10 mg/kg", species="Guinea pig").m_as("mg/m**2") == pytest.approx(80.0)


def test_arrays_of_km_give_what_each_km_gives():
    # mg/kg = mg/m² / Km (FDA 2005, Table 1): 225 mg/m² at the adult's 37 and the child's 25 kg/m²
    both = to_mg_per_kg("225 mg/m^2", km=[37, 25]).m_as("mg/kg")
    assert both.tolist() == [to_mg_per_kg("225 mg/m^2", km=km).m_as("mg/kg") for km in (37, 25)]
    assert both.tolist() == pytest.approx([225 / 37, 9.0])
    by_km = hed("50 mg/kg", km=Q_([6, 12], "kg/m**2")).m_as("mg/kg")
    assert by_km.tolist() == pytest.approx([50 * 6 / 37, 50 * 12 / 37])
    with pytest.raises(ImplausibleInputError, match=r"^km\[1\]=0 kg/m²"):
        to_mg_per_m2("10 mg/kg", km=[6, 0])


def test_rates_stay_rates():
    weekly = to_mg_per_kg("75 mg/m^2/week")
    assert weekly.m_as("mg/kg/week") == pytest.approx(75 / 37)
    assert to_mg_per_m2("1 mg/kg/day").m_as("mg/m**2/week") == pytest.approx(37 * 7)


def test_a_rate_keeps_its_own_period():
    # 225 mg/m² a day ÷ Km 37 kg/m² (FDA 2005, adult) = 6.081 mg/kg a day; never 42.6 mg/kg a week, which says
    # it is given on all seven days
    daily = to_mg_per_kg("225 mg/m2/day")
    assert daily.units == Q_(1.0, "mg/kg/day").units and daily.magnitude == pytest.approx(225 / 37)
    assert to_mg_per_m2("6.1 mg/kg/day").units == Q_(1.0, "mg/m**2/day").units
    assert to_mg_per_kg("75 mg/m2/week").units == Q_(1.0, "mg/kg/week").units


def test_other_mass_units():
    assert to_mg_per_kg("225000 ug/m^2").m_as("mg/kg") == pytest.approx(225 / 37)
    assert to_mg_per_m2("0.0061 g/kg").m_as("mg/m**2") == pytest.approx(6.1 * 37)


@given(st.floats(min_value=1e-3, max_value=15_000), st.sampled_from(sorted(KM_FACTORS)))
def test_round_trip(dose_mg_m2, species):
    back = to_mg_per_m2(to_mg_per_kg(dose_mg_m2, species=species), species=species)
    assert back.m_as("mg/m**2") == pytest.approx(dose_mg_m2, rel=1e-12)


@given(st.floats(min_value=1e-3, max_value=40_000))
def test_unit_invariance(dose_mg_m2):
    assert to_mg_per_kg(Q_(dose_mg_m2 * 1000, "ug/m**2")).m_as("mg/kg") == pytest.approx(
        to_mg_per_kg(dose_mg_m2).m_as("mg/kg"), rel=1e-12
    )


def test_bad_input():
    with pytest.raises(UnitError, match="dose"):
        to_mg_per_kg("6.1 mg/kg")  # already per kg
    with pytest.raises(UnitError, match="dose"):
        to_mg_per_kg("75 mg")  # a flat dose has no population equivalent
    with pytest.raises(UnitError, match="dose"):
        to_mg_per_m2(Q_(0.5, ""))  # a bare ratio is not mg/kg
    with pytest.raises(ImplausibleInputError, match="dose"):
        to_mg_per_kg(-225)
    with pytest.raises(ImplausibleInputError, match="dose"):
        to_mg_per_kg(float("nan"))
    with pytest.raises(ImplausibleInputError, match="km"):
        to_mg_per_kg(225, km=0)
    with pytest.raises(UnknownNameError, match="species.*mouse, hamster"):
        hed(10, "cat")
    with pytest.raises(MissingInputError, match="species"):
        hed(10)
    with pytest.raises(DoseCalcError, match="not both"):
        to_mg_per_kg(225, km=37, species="human")


def test_species_spellings():
    assert KM_FACTORS["guinea pig"] == KM_FACTORS["Guinea-pig"] == 8
    assert KM_FACTORS["human adult"] == KM_FACTORS["adult"] == 37
    assert KM_FACTORS["human child"] == 25
    assert "mini-pig" in KM_FACTORS and "cat" not in KM_FACTORS
    assert KM_FACTORS.get("cat") is None
    with pytest.raises(UnknownNameError, match="species"):
        KM_FACTORS["cat"]


@pytest.mark.parametrize(
    "spelling", ["rat\n", " rat", "RAT", "guinea\u2003pig", "guinea  pig", "mini\tpig", "Human adult"]
)
def test_a_species_is_read_exactly_as_typed(spelling):
    # never stripped, case-folded or with its spaces collapsed: refused, the closest key as its hint
    with pytest.raises(UnknownNameError, match=rf"^species={re.escape(ascii(spelling))} is not known; expected"):
        hed("50 mg/kg", spelling)
    assert spelling not in KM_FACTORS and KM_FACTORS.get(spelling) is None


def test_a_species_by_table_1s_name():
    # FDA (2005) Table 1 writes "Guinea pig", "Mini-pig": Km 8 and 35
    assert KM_FACTORS["Guinea pig"] == 8 and KM_FACTORS["Mini-pig"] == 35 and KM_FACTORS["Rat"] == 6


def test_the_km_table_is_read_only():
    # FDA (2005) Table 1 is a regulatory constant: a changed entry would change every later HED
    with pytest.raises(TypeError, match="read-only"):
        KM_FACTORS["rat"] = 60
    with pytest.raises(TypeError):
        KM_FACTORS.update(rat=60)
    with pytest.raises(TypeError):
        SPECIES["rat"] = SPECIES["dog"]
    assert hed("50 mg/kg", "rat").m_as("mg/kg") == pytest.approx(50 * 6 / 37)


@pytest.mark.parametrize("rate", [Q_(6, "mg/kg/hour"), Q_(225, "mg/m**2/month"), Q_(225, "mg/m**2/s")])
def test_a_rate_of_another_period_is_refused_not_relabelled_per_week(rate):
    convert = to_mg_per_m2 if "kilogram" in str(rate.units) else to_mg_per_kg
    with pytest.raises(UnitError, match="expected a rate per day or per week"):
        convert(rate)
