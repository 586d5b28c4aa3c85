"""Caps, rounding, banding and dose levels: what a pharmacist does to a calculated dose."""

import itertools
import json
import pathlib
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosecalc import Q_, dose_table, patient_dose
from dosecalc.adjustments import (
    BandTable,
    band_dose,
    band_table,
    cap_bsa,
    cap_dose,
    level_table,
    modify_dose,
    read_band_table,
    read_level_table,
    round_dose,
    strengths_mg_of,
)
from dosecalc.errors import (
    DoseCalcError,
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)
from dosecalc.grammar import escaped

EXAMPLE_BANDS = pathlib.Path(__file__).resolve().parents[1] / "examples" / "bands.csv"


def mg(quantity):
    return quantity.m_as("mg")


doses_mg = st.floats(min_value=1, max_value=5000)
tolerances_pct = st.floats(min_value=0.5, max_value=10)


# --- caps -----------------------------------------------------------------------


def test_vincristine_max_dose():
    # CHOP: vincristine 1.4 mg/m², maximum 2 mg (Coiffier et al., N Engl J Med 2002;346:235,
    # doi:10.1056/NEJMoa011795). For 1.9 m²: 1.4 × 1.9 = 2.66 mg, capped at 2 mg.
    result = cap_dose("2.66 mg", max_dose="2 mg")
    assert (mg(result.capped), mg(result.uncapped), mg(result.cap), result.applied) == (2.0, 2.66, 2.0, True)
    assert cap_dose(1.5, max_dose=2).applied is False  # plain numbers in mg
    assert mg(cap_dose("1500 ug", max_dose="2 mg").capped) == 1.5


def test_bsa_cap():
    result = cap_bsa(2.2, 2.0)
    assert result.capped.m_as("m**2") == 2.0 and result.uncapped.m_as("m**2") == 2.2 and result.applied is True
    assert cap_bsa(Q_(1.8, "m**2"), 2.0).applied is False


def test_patient_dose_with_max_dose():
    # the CHOP vincristine example through patient_dose
    result = patient_dose("1.4 mg/m^2", bsa=1.9, max_dose="2 mg")
    assert mg(result.dose) == 2.0
    assert mg(result.dose_uncapped) == pytest.approx(2.66)
    assert result.max_dose_applied is True
    assert mg(result.max_dose) == 2.0
    assert result.bsa_cap is None and result.bsa_cap_applied is None
    # what the patient receives per m² of their BSA
    assert result.dose_per_m2.m_as("mg/m**2") == pytest.approx(2.0 / 1.9)
    assert result.prescribed.m_as("mg/m**2") == 1.4


def test_patient_dose_with_bsa_cap():
    # Mosteller BSA of 190 cm, 110 kg: sqrt(190 × 110 / 3600) = 2.409 m², capped at 2.0 m²
    result = patient_dose("75 mg/m^2", height=190, weight=110, bsa_cap=2.0)
    assert result.bsa.m_as("m**2") == 2.0
    assert result.bsa_uncapped.m_as("m**2") == pytest.approx(np.sqrt(190 * 110 / 3600))
    assert result.bsa_cap_applied is True
    assert mg(result.dose) == 150.0
    assert mg(result.dose_uncapped) == pytest.approx(75 * np.sqrt(190 * 110 / 3600))
    assert result.dose_per_m2.m_as("mg/m**2") == pytest.approx(150 / np.sqrt(190 * 110 / 3600))
    data = result.to_dict()
    json.dumps(data)
    assert data["bsa_cap_applied"] is True and data["bsa_uncapped"]["unit"] == "m²"
    assert data["dose_uncapped"]["value"] == pytest.approx(180.71, abs=0.01)


def test_caps_that_do_not_apply_leave_the_dose_exact():
    result = patient_dose("75 mg/m^2", height=180, weight=80, bsa_cap=2.2, max_dose="500 mg")
    assert (result.bsa_cap_applied, result.max_dose_applied) == (False, False)
    assert mg(result.dose) == mg(result.dose_uncapped) == 150.0
    assert result.dose_per_m2.m_as("mg/m**2") == 75.0


def test_patient_caps_on_arrays():
    heights, weights = np.array([190.0, 160.0]), np.array([110.0, 55.0])
    both = patient_dose("75 mg/m^2", height=heights, weight=weights, bsa_cap=2.0, max_dose="140 mg")
    assert both.bsa_cap_applied.tolist() == [True, False]
    assert both.max_dose_applied.tolist() == [True, False]
    for i in range(2):
        one = patient_dose("75 mg/m^2", height=heights[i], weight=weights[i], bsa_cap=2.0, max_dose="140 mg")
        assert both.dose.magnitude[i] == one.dose.magnitude
        assert both.dose_per_m2.magnitude[i] == one.dose_per_m2.magnitude


@given(doses_mg, doses_mg)
def test_capping_never_raises_a_dose(dose, cap):
    if min(dose, cap) < 0.1 * dose / (1 + 1e-9):  # a cap that keeps less than a reduction may (10 %): refused
        with pytest.raises(ImplausibleInputError, match="expected a cap that keeps at least 10 % of the dose"):
            cap_dose(dose, max_dose=cap)
        return
    result = cap_dose(dose, max_dose=cap)
    assert mg(result.capped) <= dose
    assert mg(result.capped) == min(dose, cap)


@given(st.floats(min_value=0.5, max_value=3.0), st.floats(min_value=1.0, max_value=3.0), doses_mg)
def test_patient_caps_never_raise_a_dose(bsa, bsa_cap, max_dose):
    uncapped = patient_dose("75 mg/m^2", bsa=bsa)
    kept = min(75.0 * min(bsa, bsa_cap), max_dose)
    if kept < 0.1 * mg(uncapped.dose):  # a cap that takes more than a reduction may (90 %) is refused
        with pytest.raises(ImplausibleInputError, match="expected a cap that keeps at least 10 % of the dose"):
            patient_dose("75 mg/m^2", bsa=bsa, bsa_cap=bsa_cap, max_dose=max_dose)
        return
    capped = patient_dose("75 mg/m^2", bsa=bsa, bsa_cap=bsa_cap, max_dose=max_dose)
    assert mg(capped.dose) <= mg(uncapped.dose) == mg(capped.dose_uncapped)
    assert mg(capped.dose) <= max_dose


def test_a_cap_that_takes_more_than_a_reduction_may_is_refused():
    # 85 mg/m² × 1.9 m² = 161.5 mg; a maximum of 1e-9 mg (typed for 1 mg? for 1 g?) gave 0.000000001 mg, exit 0
    with pytest.raises(ImplausibleInputError) as refused:
        patient_dose("85 mg/m^2", bsa=1.9, max_dose="1e-9 mg")
    assert str(refused.value) == (
        "max_dose=1e-9 mg: expected a cap that keeps at least 10 % of the dose of 161.5 mg (it leaves 1e-09 mg), "
        "as a reduction takes at most 90 %; is the cap's unit or the dose's mistyped?"
    )
    with pytest.raises(ImplausibleInputError, match=r"^bsa_cap=0.02: .*of the dose of 161.5 mg \(it leaves 1.7 mg\)"):
        patient_dose("85 mg/m^2", bsa=1.9, bsa_cap=0.02)
    # at 10 % it is kept: 16.15 mg of 161.5 mg; vincristine's 2 mg of 2.66 mg (Coiffier 2002) as ever
    assert patient_dose("85 mg/m^2", bsa=1.9, max_dose="16.15 mg").dose.m_as("mg") == pytest.approx(16.15)
    assert patient_dose("1.4 mg/m^2", bsa=1.9, max_dose="2 mg").dose.m_as("mg") == 2.0
    # a table's row is rejected with the reason, the others dosed
    # (1.4 mg/kg × 70 kg = 98 mg, capped at 5 mg: 5.1 % kept; × 3 kg = 4.2 mg, under the cap)
    dosed, rejects = dose_table({"height_cm": [175, 50], "weight_kg": [70, 3]}, "1.4 mg/kg", max_dose="5 mg")
    assert dosed["dose_mg"].to_pylist() == [pytest.approx(4.2)]
    assert rejects["row"].to_pylist() == [1]
    assert rejects["reason"].to_pylist() == [
        "max_dose=5 mg: expected a cap that keeps at least 10 % of the dose of 98 mg (it leaves 5 mg), as a "
        "reduction takes at most 90 %; is the cap's unit or the dose's mistyped?"
    ]


def test_bad_caps():
    with pytest.raises(UnitError, match=r"^max_dose='2 mg/m\^2'.*gives a dose, not a drug amount"):
        cap_dose("2.66 mg", max_dose="2 mg/m^2")
    with pytest.raises(ImplausibleInputError, match="^bsa_cap=20 m²"):
        cap_bsa(2.2, 20)
    with pytest.raises(ImplausibleInputError, match="^bsa_cap=2.0: expected no BSA cap for a dose in mg/kg"):
        patient_dose("6.1 mg/kg", weight=70, bsa_cap=2.0)
    with pytest.raises(ImplausibleInputError, match="^max_dose=-2 mg"):
        patient_dose("1.4 mg/m^2", bsa=1.9, max_dose=Q_(-2, "mg"))
    with pytest.raises(UnitError, match="^max_dose='-2 mg'.*without a sign"):
        patient_dose("1.4 mg/m^2", bsa=1.9, max_dose="-2 mg")


# --- rounding -------------------------------------------------------------------


def test_round_to_step():
    # by hand: 138.3 mg to 5 mg is 140 mg, +1.23 %
    result = round_dose("138.3 mg", step="5 mg")
    assert (mg(result.calculated), mg(result.rounded), result.method) == (138.3, 140.0, "step")
    assert result.difference_pct == pytest.approx((140 - 138.3) / 138.3 * 100)
    assert mg(result.step) == 5.0 and result.tolerance_pct == 5.0
    assert mg(round_dose(137.5, step=5).rounded) == 140.0  # halves up
    assert mg(round_dose("1.15 mg", step="0.1 mg").rounded) == 1.2  # decimal halves up, no float noise


def test_round_to_vials():
    # carboplatin 10 mg/mL vials of 450, 150 and 50 mg. By hand: 560 mg -> 550 mg = 450 + 2 × 50 (3 vials,
    # fewer than 150 × 3 + 50 × 2 or 11 × 50), -1.8 %
    result = round_dose("560 mg", strengths="450 mg, 150 mg, 50 mg")
    assert mg(result.rounded) == 550.0
    assert mg(result.strengths).tolist() == [450.0, 150.0, 50.0]
    assert result.counts.tolist() == [1, 0, 2]
    assert result.method == "strengths"
    # 575 mg lies halfway between 550 and 600 mg: halves up, 600 = 450 + 150
    assert round_dose("575 mg", strengths=[Q_(50, "mg"), "150 mg", 450]).counts.tolist() == [1, 1, 0]


def test_rounding_no_doses():
    none = Q_(np.array([]), "mg")
    by_vials = round_dose(none, strengths="450 mg, 150 mg, 50 mg")
    assert by_vials.rounded.magnitude.shape == (0,) and by_vials.counts.shape == (0, 3)
    assert round_dose(none, step="5 mg").rounded.magnitude.shape == (0,)


def test_round_to_tablets_with_mixed_strengths():
    # capecitabine tablets of 500 and 150 mg: 1950 mg = 3 × 500 + 3 × 150 exactly
    result = round_dose("1950 mg", strengths="500 mg, 150 mg")
    assert mg(result.rounded) == 1950.0 and result.counts.tolist() == [3, 3] and result.difference_pct == 0.0


def test_rounding_is_refused_outside_the_tolerance():
    # 138 mg from 100 and 50 mg vials: the nearest, 150 mg, is +8.7 %: refused at ±5 %, accepted at ±10 %
    with pytest.raises(
        ImplausibleInputError,
        match=r"^dose=138 mg: expected a dose within ±5 % of whole units of 100, 50 mg; the nearest, 150 mg, is \+8.7 %: not rounded",
    ):
        round_dose("138 mg", strengths="100 mg, 50 mg")
    assert mg(round_dose("138 mg", strengths="100 mg, 50 mg", tolerance_pct=10).rounded) == 150.0
    with pytest.raises(ImplausibleInputError, match=r"^dose\[1\]=40 mg.*multiple of 100 mg.*-100.0 %"):
        round_dose(np.array([100.0, 40.0]), step=100, tolerance_pct="10 %")


def test_rounding_arrays_equal_scalars():
    doses = np.array([138.3, 560.0, 1949.0])
    both = round_dose(doses, strengths="450 mg, 150 mg, 50 mg, 10 mg")
    assert both.counts.shape == (3, 4)
    for i in range(3):
        one = round_dose(doses[i], strengths="450 mg, 150 mg, 50 mg, 10 mg")
        assert both.rounded.magnitude[i] == one.rounded.magnitude
        assert both.counts[i].tolist() == one.counts.tolist()
    json.dumps(both.to_dict())


@given(doses_mg, st.sampled_from([0.5, 1, 2.5, 5, 10, 25, 50]), tolerances_pct)
def test_step_rounding_never_moves_more_than_the_tolerance(dose, step, tolerance):
    try:
        result = round_dose(dose, step=step, tolerance_pct=tolerance)
    except ImplausibleInputError:
        # refused: then the nearest multiple is outside the tolerance
        assert abs(round(dose / step) * step - dose) > tolerance / 100 * dose * (1 - 1e-9)
        return
    assert abs(mg(result.rounded) - dose) <= tolerance / 100 * dose * (1 + 1e-9)
    assert abs(mg(result.rounded) - dose) <= step / 2 * (1 + 1e-9)
    assert mg(result.rounded) / step == pytest.approx(round(mg(result.rounded) / step))


@given(
    st.floats(min_value=20, max_value=1200),
    st.lists(st.sampled_from([10, 25, 40, 50, 100, 150, 450]), min_size=1, max_size=3, unique=True),
    tolerances_pct,
)
def test_vial_rounding_is_the_nearest_total_within_the_tolerance(dose, strengths, tolerance):
    # brute force: every total of up to 130 units of each strength
    bound = dose * 1.1 + max(strengths)
    totals = {
        sum(n * s for n, s in zip(counts, strengths))
        for counts in itertools.product(*(range(int(bound // s) + 1) for s in strengths))
    }
    best = min(abs(total - dose) for total in totals)
    try:
        result = round_dose(dose, strengths=strengths, tolerance_pct=tolerance)
    except ImplausibleInputError:
        assert best > tolerance / 100 * dose * (1 - 1e-9)
        return
    assert abs(mg(result.rounded) - dose) == pytest.approx(best)
    assert abs(result.difference_pct) <= tolerance
    assert mg(result.rounded) == pytest.approx(float(np.dot(result.counts, mg(result.strengths))))


def test_bad_rounding_inputs():
    with pytest.raises(ImplausibleInputError, match=r"^tolerance_pct=15 %: expected \(0, 10\] %"):
        round_dose("138 mg", step="5 mg", tolerance_pct=15)
    with pytest.raises(ImplausibleInputError, match="^tolerance_pct=0"):
        round_dose("138 mg", step="5 mg", tolerance_pct=0)
    with pytest.raises(ImplausibleInputError, match=r"^tolerance_pct=\[5.0, 10.0\] %: expected one value in \(0, 10\]"):
        round_dose("138 mg", step="5 mg", tolerance_pct=[5, 10])
    with pytest.raises(DoseCalcError, match="give step or strengths"):
        round_dose("138 mg")
    with pytest.raises(DoseCalcError, match="give step or strengths"):
        round_dose("138 mg", step="5 mg", strengths="50 mg")
    with pytest.raises(UnitError, match="^strengths='100'"):
        round_dose("138 mg", strengths="100, 50")
    with pytest.raises(UnitError, match="^step='5 mL'"):
        round_dose("138 mg", step="5 mL")
    with pytest.raises(UnitError, match=r"^dose='138 mg/m\^2': expected a dose in mg"):  # as typed
        round_dose("138 mg/m^2", step="5 mg")
    with pytest.raises(MissingInputError, match="^strengths is required"):
        round_dose("138 mg", strengths=[])
    with pytest.raises(ImplausibleInputError, match="^strengths=.*fewer units"):
        round_dose("50000 mg", strengths="0.01 mg, 0.013 mg")


# --- banding --------------------------------------------------------------------


def test_example_band_table():
    table = read_band_table(EXAMPLE_BANDS)
    assert isinstance(table, BandTable) and table.source == "bands.csv"
    # gemcitabine 1000 mg/m² × 1.18 m² = 1180 mg is in the 1150-1250 mg band: 1200 mg, +1.69 %
    result = band_dose("1180 mg", table)
    assert mg(result.banded) == 1200.0
    assert result.band == "1150-1250 mg"
    assert result.deviation_pct == pytest.approx((1200 - 1180) / 1180 * 100)
    assert (mg(result.band_lower), mg(result.band_upper)) == (1150.0, 1250.0)
    json.dumps(result.to_dict())


def test_band_bounds_are_half_open():
    # lower <= d < upper: 1250 mg is in the 1250-1350 band, 1249.9 mg in the one below
    assert mg(band_dose(1250, EXAMPLE_BANDS).banded) == 1300.0
    assert mg(band_dose(1249.9, EXAMPLE_BANDS).banded) == 1200.0
    both = band_dose(np.array([1150.0, 2449.0]), EXAMPLE_BANDS)
    assert mg(both.banded).tolist() == [1200.0, 2400.0]
    assert both.band.tolist() == ["1150-1250 mg", "2350-2450 mg"]


def test_example_bands_stay_within_five_percent():
    # every dose in a band is within 4.4 % of the band's dose (NHS England bands: within 6 %, NICE KTT22)
    table = read_band_table(EXAMPLE_BANDS)
    doses = np.linspace(table.lower_mg[0], table.upper_mg[-1] - 1e-6, 5001)
    assert np.max(np.abs(band_dose(doses, table).deviation_pct)) <= 4.4


@pytest.mark.parametrize("dose", ["1100 mg", "2450 mg", "3 g"])
def test_dose_outside_the_table(dose):
    with pytest.raises(ImplausibleInputError, match="^dose=.*a dose in the band table bands.csv, 1150-2450 mg"):
        band_dose(dose, EXAMPLE_BANDS)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_band_tables_in_csv_with_units_in_cells_and_toml(tmp_path):
    csv_path = write(
        tmp_path, "cells.csv", "lower,upper,dose,name\n1.15 g,1250 mg,1200 mg,A\n1250 mg,1350 mg,1300 mg,B\n"
    )
    toml_path = write(
        tmp_path,
        "bands.toml",
        '[[bands]]\nlower = "1150 mg"\nupper = "1250 mg"\ndose = "1200 mg"\n\n'
        "[[bands]]\nlower_mg = 1250\nupper_mg = 1350\ndose_mg = 1300\n",
    )
    assert band_dose("1300 mg", csv_path).band == "B"
    assert mg(band_dose("1300 mg", toml_path).banded) == 1300.0
    assert (
        mg(band_dose("1200 mg", band_table([{"lower_g": "1.15", "upper_g": "1.25", "dose_g": "1.2"}])).banded) == 1200.0
    )


@pytest.mark.parametrize(
    "text, error, message",
    [
        ("lower,upper,dose\n1150,1250,1200\n", UnitError, "^cells.csv row 1 lower='1150'"),
        (
            "lower_mg,upper_mg,dose_mg\n1150,1250,1200\n1240,1350,1300\n",
            ImplausibleInputError,
            "^cells.csv row 2 lower=1240 mg: expected 1250 mg, the upper bound of row 1; the bands overlap",
        ),
        (
            "lower_mg,upper_mg,dose_mg\n1150,1250,1200\n1260,1350,1300\n",
            ImplausibleInputError,
            "^cells.csv row 2 lower=1260 mg.*the bands leave a gap",
        ),
        (
            "lower_mg,upper_mg,dose_mg\n1150,1250,1300\n",
            ImplausibleInputError,
            "^cells.csv row 1 dose=1300 mg: expected a dose within its band, 1150-1250 mg",
        ),
        ("lower_mg,upper_mg,dose_mg\n1250,1150,1200\n", ImplausibleInputError, "^cells.csv row 1 upper=1150 mg"),
        ("lower_mg,upper_ml,dose_mg\n1150,1250,1200\n", UnitError, "^cells.csv row 1 upper="),
        ("lower_mg,dose_mg\n1150,1200\n", MissingInputError, "^cells.csv row 1 upper is required"),
        ("lower_mg,upper_mg,dose_mg\n", ImplausibleInputError, "^cells.csv=no bands"),
        (
            "lower_mg,upper_mg,dose_mg\n1150,1250,-1200\n",
            UnitError,
            "^cells.csv row 1 dose='-1200': .*a measurement has no sign",
        ),
    ],
)
def test_invalid_band_tables(tmp_path, text, error, message):
    with pytest.raises(error, match=message):
        read_band_table(write(tmp_path, "cells.csv", text))


def test_invalid_band_files(tmp_path):
    with pytest.raises(UnitError, match="^bands.toml row 1 lower=1150"):
        read_band_table(write(tmp_path, "bands.toml", "[[bands]]\nlower = 1150\nupper = 1250\ndose = 1200\n"))
    with pytest.raises(DoseCalcError, match="not valid TOML"):
        read_band_table(write(tmp_path, "broken.toml", "[[bands]\n"))
    with pytest.raises(DoseCalcError, match=r"array of tables \[\[bands\]\]"):
        read_band_table(write(tmp_path, "other.toml", "[bands]\nlower = '1 mg'\n"))
    with pytest.raises(UnknownNameError, match="table file type='.xlsx'"):
        read_band_table(tmp_path / "bands.xlsx")
    with pytest.raises(DoseCalcError, match="cannot be read"):
        read_band_table(tmp_path / "missing.csv")


# --- dose levels ------------------------------------------------------------------


def test_percentage_reduction():
    # by hand: oxaliplatin 85 mg/m² reduced by 20 % is 68 mg/m², by 25 % 63.75 mg/m²
    result = modify_dose("85 mg/m^2", reduction_pct=20)
    assert result.modified.m_as("mg/m**2") == pytest.approx(68.0)
    assert (result.method, result.reduction_pct, result.percent_of_original) == ("reduction", 20.0, pytest.approx(80.0))
    assert modify_dose("85 mg/m^2", reduction_pct="25 %").modified.m_as("mg/m**2") == pytest.approx(63.75)
    json.dumps(result.to_dict())


LEVELS = {"0": "85 mg/m^2", "-1": "65 mg/m^2", "-2": "50 mg/m^2"}


def test_named_levels():
    result = modify_dose("85 mg/m^2", level="−1", levels=LEVELS)  # a typographic minus is the same name
    assert result.modified.m_as("mg/m**2") == 65.0
    assert (result.method, result.level, result.level_table) == ("level", "-1", "levels")
    assert result.percent_of_original == pytest.approx(100 * 65 / 85)
    shares = level_table({"-1": "80 %", "-2": "60 percent"})
    assert modify_dose("1000 mg", level=-2, levels=shares).modified.m_as("mg") == pytest.approx(600.0)


def test_level_files(tmp_path):
    csv_path = write(tmp_path, "levels.csv", "# FOLFOX oxaliplatin\nlevel,dose\n0,85 mg/m^2\n-1,65 mg/m^2\n")
    toml_path = write(tmp_path, "levels.toml", '[[levels]]\nlevel = "-1"\ndose = "80 %"\n')
    assert modify_dose("85 mg/m^2", level=-1, levels=csv_path).modified.m_as("mg/m**2") == 65.0
    assert modify_dose("85 mg/m^2", level="-1", levels=str(toml_path)).modified.m_as("mg/m**2") == pytest.approx(68.0)
    assert read_level_table(csv_path).source == "levels.csv"


def test_levels_on_arrays():
    doses = Q_(np.array([100.0, 150.0]), "mg")
    both = modify_dose(doses, reduction_pct=20)
    assert mg(both.modified).tolist() == pytest.approx([80.0, 120.0])
    assert modify_dose(Q_(np.array([85.0, 85.0]), "mg/m**2"), level=-1, levels=LEVELS).modified.m_as(
        "mg/m**2"
    ).tolist() == [65.0, 65.0]


def test_a_dose_in_units_is_modified_in_units():
    # ABVD bleomycin 10 units/m² (Bonadonna 1975; the label doses bleomycin in units, never mg):
    # −20 % is 10 × 0.8 = 8 units/m²; a level of 7.5 units/m² is taken as written
    reduced = modify_dose("10 units/m2", reduction_pct=20)
    assert reduced.modified.m_as("drug_unit/m**2") == pytest.approx(8.0)
    assert reduced.percent_of_original == pytest.approx(80.0)
    levels = {"0": "10 units/m2", "-1": "7.5 units/m2"}
    assert modify_dose("10 units/m2", level=-1, levels=levels).modified.m_as("drug_unit/m**2") == 7.5
    assert modify_dose("10 units/m2", level=-1, levels={"0": "100 %", "-1": "75 %"}).modified.m_as(
        "drug_unit/m**2"
    ) == pytest.approx(7.5)
    # a level in mg for a dose in units is another drug's table, never a conversion
    with pytest.raises(UnitError, match="level -1"):
        modify_dose("10 units/m2", level=-1, levels={"-1": "7.5 mg/m2"})
    with pytest.raises(
        ImplausibleInputError,
        match=r"^levels=.*level 0: 10.0 mg/m²\): expected a table whose level 0 is the full dose, 10 units/m²$",
    ):
        modify_dose("10 units/m2", level=-1, levels={"0": "10 mg/m2", "-1": "75 %"})


def test_bad_modifications(tmp_path):
    with pytest.raises(ImplausibleInputError, match=r"^reduction_pct=-20 %: expected 1-90 % \(a positive reduction"):
        modify_dose("85 mg/m^2", reduction_pct=-20)
    with pytest.raises(ImplausibleInputError, match="^reduction_pct=100 %"):
        modify_dose("85 mg/m^2", reduction_pct=100)
    with pytest.raises(ImplausibleInputError, match=r"^reduction_pct=\[20.0, 25.0\] %: expected one value"):
        modify_dose("85 mg/m^2", reduction_pct=[20, 25])
    with pytest.raises(DoseCalcError, match="give reduction_pct or level"):
        modify_dose("85 mg/m^2", reduction_pct=20, level=-1, levels=LEVELS)
    with pytest.raises(MissingInputError, match="^levels is required for dose level -1"):
        modify_dose("85 mg/m^2", level=-1)
    with pytest.raises(UnknownNameError, match="level=-3 is not known; expected one of: 0, -1, -2"):
        modify_dose("85 mg/m^2", level=-3, levels=LEVELS)
    with pytest.raises(UnitError, match=r"^level -1=65(\.0)? mg/m².*a dose in mg/kg"):
        modify_dose("6 mg/kg", level=-1, levels=LEVELS)
    with pytest.raises(UnitError, match="^dose=85: expected"):
        modify_dose(85, reduction_pct=20)
    with pytest.raises(ImplausibleInputError, match=r"^levels level \+1=120 %: expected 10-100 % of the full dose"):
        level_table({"+1": "120 %"})
    with pytest.raises(UnitError, match="^levels level -1='65 m'"):
        level_table({"-1": "65 m"})
    with pytest.raises(UnitError, match="^levels level -1=65"):
        level_table({"-1": 65})
    with pytest.raises(ImplausibleInputError, match="^levels level=-1: expected distinct level names"):
        level_table([("-1", "80 %"), ("−1", "70 %")])
    with pytest.raises(ImplausibleInputError, match="^levels.csv level=-1: expected distinct"):
        read_level_table(write(tmp_path, "levels.csv", "level,dose\n-1,80 %\n-1,70 %\n"))
    with pytest.raises(MissingInputError, match="^levels.csv row 1 level is required"):
        read_level_table(write(tmp_path, "levels.csv", "level,dose\n,80 %\n"))


def test_rounding_never_passes_a_maximum_dose():
    # vincristine capped at 2 mg (CHOP): a 0.3 mg step would round 2 mg up to 2.1 mg;
    # with the cap as ceiling it rounds down to 1.8 mg (−10 %, within a 10 % tolerance)
    assert round_dose("2 mg", step="0.3 mg", tolerance_pct=10).rounded.m_as("mg") == pytest.approx(2.1)
    assert round_dose("2 mg", step="0.3 mg", tolerance_pct=10, ceiling="2 mg").rounded.m_as("mg") == pytest.approx(1.8)
    # 146 mg from 100, 50 and 10 mg vials: 150 mg nearest, 140 mg under a 146 mg ceiling
    assert round_dose("146 mg", strengths="100mg,50mg,10mg").rounded.m_as("mg") == 150
    assert round_dose("146 mg", strengths="100mg,50mg,10mg", ceiling="146 mg").rounded.m_as("mg") == 140
    with pytest.raises(ImplausibleInputError, match="not rounded"):
        round_dose("2 mg", step="0.3 mg", ceiling="2 mg")  # 1.8 mg is −10 %: outside ±5 %


@given(st.floats(min_value=0.5, max_value=5000), st.floats(min_value=0.05, max_value=50))
def test_rounding_under_a_ceiling_stays_under_it(dose_mg, step_mg):
    try:
        rounded = round_dose(dose_mg, step=step_mg, tolerance_pct=10, ceiling=dose_mg).rounded.m_as("mg")
    except ImplausibleInputError:
        return
    assert rounded <= dose_mg + 1e-9


def test_a_level_table_never_raises_the_dose_nor_serves_another_full_dose():
    # the table's level 0 is its full dose (85 mg/m², oxaliplatin): a prescription of 40 mg/m²
    # is not the dose it was written for, and a −1 level of 65 mg/m² would raise it by 62.5 %
    levels = {"0": "85 mg/m^2", "-1": "65 mg/m^2"}
    with pytest.raises(ImplausibleInputError, match=r"^levels=levels \(level 0: 85.0 mg/m²\)"):
        modify_dose("40 mg/m^2", level=-1, levels=levels)
    with pytest.raises(ImplausibleInputError, match="level high.*never raises"):  # a named level above the full dose
        modify_dose("40 mg/m^2", level="high", levels={"0": "40 mg/m^2", "high": "65 mg/m^2"})
    # a table of doses without its level 0 could be of any full dose: refused, not applied to 40 mg/m²
    with pytest.raises(ImplausibleInputError, match=r"^levels=levels \(no level 0\): expected a table of doses"):
        modify_dose("40 mg/m^2", level=-1, levels={"-1": "35 mg/m^2"})
    # a table of shares is of any full dose; its level 0 is all of it
    assert modify_dose("40 mg/m^2", level=-1, levels={"-1": "80 %"}).modified.m_as("mg/m**2") == 32.0
    with pytest.raises(ImplausibleInputError, match=r"level 0: 85.0 %\): expected a level 0 of 100 %"):
        modify_dose("40 mg/m^2", level=0, levels={"0": "85 %", "-1": "65 %"})
    assert modify_dose("85 mg/m^2", level=-1, levels=levels).modified.m_as("mg/m**2") == 65.0


@pytest.mark.parametrize(
    "text, said",
    [
        ("level,dose_mg/m2\n0,85\n-1,65,5\n", "3 cells under 2 headers (a decimal comma?"),  # 65,5 is never 65
        ("level,dose,dose_mg_m2\n0,85 mg/m^2,85\n-1,65 mg/m^2,40\n", "columns dose, dose_mg_m2 all give it"),
        ("level,dose\n0,85 mg/m^2\n-1,65\tmg/m^2\n", "U+0009"),  # a tab is not a space of the grammar
    ],
)
def test_level_tables_that_would_be_misread_are_refused(tmp_path, text, said):
    path = tmp_path / "levels.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DoseCalcError, match=re.escape(said)):
        modify_dose("85 mg/m^2", level=-1, levels=read_level_table(path))


def test_a_spreadsheets_byte_order_mark_is_not_part_of_the_header(tmp_path):
    path = tmp_path / "levels.csv"
    path.write_bytes("\ufefflevel,dose\n0,85 mg/m^2\n-1,65 mg/m^2\n".encode())
    assert modify_dose("85 mg/m^2", level=-1, levels=read_level_table(path)).modified.m_as("mg/m**2") == 65.0


def test_a_share_level_of_a_table_written_for_another_dose_is_refused(tmp_path):
    path = tmp_path / "levels.csv"
    path.write_text("level,dose\n0,85 mg/m^2\n-1,80 %\n", encoding="utf-8")
    with pytest.raises(ImplausibleInputError, match="level 0 is the full dose, 100 mg/m²"):
        modify_dose("100 mg/m^2", level=-1, levels=read_level_table(path))


def test_tiny_strengths_are_refused_before_any_array_is_made():
    # 1 ng, above the smallest dose (1e-9 mg): 142.5 mg is 1.4e8 of them, past the 1e6 combinations counted
    with pytest.raises(ImplausibleInputError, match="round to a step instead"):
        round_dose("142.5 mg", strengths=["1e-6 mg", "100 mg"])


@pytest.mark.parametrize("text", ["100mg,,50mg", "100mg,50mg,", ",100mg", "100mg, ,50mg"])
def test_strengths_with_an_empty_part_are_refused_as_typed(text):
    with pytest.raises(UnitError) as caught:
        strengths_mg_of(text)
    assert (
        str(caught.value) == f"strengths={escaped(text)}: expected strengths separated by single commas: '100mg,50mg'"
    )


def test_a_dose_above_its_ceiling_is_refused_not_rounded_below_the_dose_yet_above_the_ceiling():
    # 139 mg under a 100 mg ceiling was rounded to 135 mg, above the ceiling it promises never to pass
    with pytest.raises(ImplausibleInputError, match=r"^dose=139 mg: expected at most the ceiling of 100 mg"):
        round_dose(139, step=5, ceiling=100)
    assert round_dose(100, step=5, ceiling=100).rounded.m_as("mg") == 100.0  # at the ceiling: not above


def test_a_rounding_refused_under_a_ceiling_says_the_nearest_is_the_one_below_it():
    # carboplatin AUC 6 at GFR 124 mL/min: 894 mg, at most 900 mg (AUC 6 × (125 + 25)); 1000 mg lies above the
    # ceiling, so the nearest multiple kept is 0 mg: said as the nearest at most the ceiling, not as "the nearest"
    with pytest.raises(ImplausibleInputError) as refused:
        round_dose("894 mg", step="1000 mg", tolerance_pct=10, ceiling="900 mg")
    assert refused.value.hint == "the nearest at most the ceiling of 900 mg, 0 mg, is -100.0 %: not rounded"
    with pytest.raises(ImplausibleInputError) as plain:
        round_dose("140 mg", step="100 mg", tolerance_pct=10, ceiling="140 mg")
    assert plain.value.hint == "the nearest, 100 mg, is -28.6 %: not rounded"


def test_a_lower_level_that_gives_more_is_refused():
    # level -2 at 80 mg/m² above level -1's 50 mg/m²: a transposed row would give the further-reduced patient more
    with pytest.raises(ImplausibleInputError, match=r"^levels level -2='80 mg/m2': expected at most level -1's "):
        level_table({"0": "85 mg/m2", "-1": "50 mg/m2", "-2": "80 mg/m2"})
    with pytest.raises(ImplausibleInputError, match="a lower level is a further reduction"):
        level_table({"0": "100 %", "-1": "60 %", "-2": "80 %"})
    # in another unit (a share beside a dose) levels are not compared; names that are not numbers neither
    assert level_table({"0": "85 mg/m2", "-1": "90 %", "-2": "50 mg/m2"}).level("-1") is not None
    assert level_table({"full": "85 mg/m2", "reduced": "90 mg/m2"}).level("reduced") is not None


@pytest.mark.parametrize(
    "name, text",
    [
        ("levels.csv", "level,dose\n0,85 mg/m2\n-1,65mg/m²\n-2,80 mg/m2\n"),
        ("levels.toml", '[[levels]]\nlevel = "-1"\ndose = "65mg/m²"\n[[levels]]\nlevel = "-2"\ndose = "80 mg/m2"\n'),
    ],
)
def test_a_level_files_refusal_shows_its_cells_as_typed(tmp_path, name, text):
    # the file's own text, as a table given in Python shows it: not pint's "80.0 mg/m²"
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ImplausibleInputError) as refused:
        read_level_table(tmp_path / name)
    assert str(refused.value) == (
        f"{name} level -2='80 mg/m2': expected at most level -1's '65mg/m²': a lower level is a further reduction"
    )


def test_a_level_files_unit_may_be_in_its_column_name(tmp_path):
    # dose_mg_m2, as a cohort's columns are named: an underscore read as "per"
    (tmp_path / "levels.csv").write_text("level,dose_mg_m2\n0,85\n-1,65\n-2,50\n")
    table = read_level_table(tmp_path / "levels.csv")
    assert table.level("-1").m_as("mg/m**2") == 65.0
    (tmp_path / "levels.csv").write_text("level,dose_mg_m2\n0,85\n-1,65\n-2,80\n")
    with pytest.raises(
        ImplausibleInputError, match=r"^levels.csv level -2='80 mg/m2': expected at most level -1's '65 mg/m2'"
    ):
        read_level_table(tmp_path / "levels.csv")


def test_a_level_files_headers_match_whatever_their_case_and_once(tmp_path):
    # a spreadsheet's "Level,Dose" is the table's level,dose; the unit in a name is read as typed ("MG" is refused)
    path = tmp_path / "levels.csv"
    path.write_text("Level, Dose \n0,85 mg/m2\n-1,65 mg/m2\n")
    assert read_level_table(path).level("-1").m_as("mg/m**2") == 65.0
    path.write_text("LEVEL,Dose_mg_m2\n0,85\n-1,65\n")
    assert read_level_table(path).level("-1").m_as("mg/m**2") == 65.0
    path.write_text("level,Dose_MG_m2\n0,85\n-1,65\n")
    with pytest.raises(UnitError, match=r"'85 MG/m2'.*did you mean '85 mg/m2'"):
        read_level_table(path)
    # two columns of one name, whatever their case, would keep one cell unseen (csv.DictReader keeps the last)
    for header in ("level,dose,dose", "level,dose,Dose", "level,Level,dose"):
        path.write_text(f"{header}\n0,85 mg/m2,85 mg/m2\n")
        with pytest.raises(
            DoseCalcError, match=r"^levels.csv: its header names '(dose|level)' more than once; keep one"
        ):
            read_level_table(path)
    bands = tmp_path / "bands.csv"
    bands.write_text("Lower_mg,Upper_mg,Dose_mg\n1150,1250,1200\n")
    assert read_band_table(bands).dose_mg.tolist() == [1200.0]
    bands.write_text("lower_mg,upper_mg,dose_mg,dose_mg\n1150,1250,1200,1300\n")
    with pytest.raises(DoseCalcError, match="its header names 'dose_mg' more than once"):
        read_band_table(bands)


def test_a_level_number_is_written_one_way():
    # "-1" and "-01" (or "-1.0") were two levels with two doses; "+1" is level 1; a level asked for is never
    # offered the closest as a hint: level 1 is not a slip of level -1
    for name, expected in (("-01", "a whole number without leading zeros"), ("-1.0", "a whole number (-1, -2)")):
        with pytest.raises(ImplausibleInputError, match=re.escape(f"level={name!r}: expected {expected}")):
            level_table({"0": "85 mg/m2", "-1": "65 mg/m2", name: "50 mg/m2"})
    with pytest.raises(ImplausibleInputError, match=re.escape("level='-1.5': expected a whole number")):
        level_table({"0": "100 %", "-1": "80 %", "-1.5": "90 %"})
    table = level_table({"0": "85 mg/m2", "-1": "65 mg/m2", "+1": "85 mg/m2"})
    assert table.level("1") is table.level("+1")
    with pytest.raises(UnknownNameError) as refused:
        level_table({"0": "85 mg/m2", "-1": "65 mg/m2"}).level("1")
    assert str(refused.value) == "level='1' is not known; expected one of: 0, -1"
    # ASCII spaces around a name aside, any other character stays: a tab matches no level
    assert table.level(" -1").m_as("mg/m**2") == 65.0
    with pytest.raises(UnknownNameError, match=r"level='-1\\t' is not known"):
        table.level("-1\t")


def test_a_level_below_a_tenth_of_the_full_dose_is_refused(tmp_path):
    # 60 µg/m² typed for 60 mg/m²: 0.08 % of the full dose; a level keeps at least 10 %, as a reduction is at most 90 %
    with pytest.raises(ImplausibleInputError, match=r"expected at least 10 % of the full dose, 75 mg/m²"):
        modify_dose("75 mg/m^2", level=-1, levels={"0": "75 mg/m^2", "-1": "60 µg/m^2"})
    with pytest.raises(ImplausibleInputError, match=r"level -1=5 %: expected 10-100 % of the full dose"):
        level_table({"0": "100 %", "-1": "5 %"})
    assert modify_dose("75 mg/m^2", level=-1, levels={"-1": "10 %"}).modified.m_as("mg/m**2") == 7.5
    assert modify_dose("75 mg/m^2", level=-1, levels={"0": "75 mg/m^2", "-1": "7.5 mg/m^2"}).percent_of_original == 10
    # levels in two units of one kind are compared: 0.1 g/m² is 100 mg/m², more than level 0's 75 mg/m²
    with pytest.raises(ImplausibleInputError, match=r"level -1='0.1 g/m2': expected at most level 0's '75 mg/m2'"):
        level_table({"0": "75 mg/m2", "-1": "0.1 g/m2"})


def test_a_band_table_cell_is_refused_as_typed(tmp_path):
    # a cell of a dose_mg column is the number alone; its refusal shows the cell, not the cell and the column's unit
    cells = tmp_path / "cells.csv"
    cells.write_text("lower_mg,upper_mg,dose_mg\n1150,1250,1200mg\n")
    with pytest.raises(UnitError, match=r"^cells.csv row 1 dose='1200mg': expected the number alone: its unit, mg"):
        read_band_table(cells)
    cells.write_text("lower_mg,upper_mg,dose_mg\n1150,1250,\n")
    with pytest.raises(
        MissingInputError, match=r"^cells.csv row 1 dose is required for a table row \(column dose_mg\)"
    ):
        read_band_table(cells)
    # a file of semicolons is said to be one, not "lower is required"
    cells.write_text("lower_mg;upper_mg;dose_mg\n1150;1250;1200\n")
    with pytest.raises(
        DoseCalcError, match=r"^cells.csv: its header, 'lower_mg;upper_mg;dose_mg', is one column holding ';'"
    ):
        read_band_table(cells)


def test_a_reduction_and_caps_together_keep_a_tenth_of_the_full_dose():
    # 100 mg reduced by 90 % (10 mg) and capped at 1 mg is 1 % of the prescription: each alone passed its own
    # check; together refused, for one patient and a table alike; cap_dose, public, refuses as the order does
    from dosecalc.order import Order

    order = Order("drug-x", "100 mg", reduction_pct=90, max_dose="1 mg")
    with pytest.raises(ImplausibleInputError) as refused:
        order.for_patient()
    assert str(refused.value) == (
        "max_dose=1 mg: expected a modification and caps that keep at least 10 % of the dose of 100 mg (it leaves "
        "1 mg), as a reduction takes at most 90 %; is the cap's unit or the dose's mistyped?"
    )
    dosed, rejects = order.for_table({"height_cm": [175.0], "weight_kg": [70.0]})
    assert dosed.num_rows == 0 and rejects["reason"].to_pylist() == [
        "max_dose=1 mg: expected a modification and caps that keep at least 10 % of the dose of 100 mg (it leaves "
        "1 mg), as a reduction takes at most 90 %; is the cap's unit or the dose's mistyped?"
    ]
    assert Order("drug-x", "100 mg", reduction_pct=50, max_dose="40 mg").for_patient().dose.m_as("mg") == 40.0
    with pytest.raises(ImplausibleInputError, match=r"^max_dose=1e-9 mg: expected a cap that keeps at least 10 %"):
        cap_dose("100 mg", "1e-9 mg")
