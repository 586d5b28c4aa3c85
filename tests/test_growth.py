"""
Height for age by the WHO tables: the z-scores reproduce the tables' own SD
columns, the flag limits (±6 SD) bound the heights the bedside Schwartz eGFR
takes, and the scalar and table paths refuse alike.

WHO Child Growth Standards, length/height-for-age (WHO, Geneva 2006): girls
at 48 months M = 102.7312 cm, S = 0.04193, -3 SD 89.8 cm, +3 SD 115.7 cm;
boys at 12 months (length) M = 75.7488 cm, S = 0.03137, -2 SD 71.0 cm.
WHO growth reference 5-19 years, height-for-age (de Onis et al., Bull World
Health Organ 2007;85:660-7, doi:10.2471/BLT.07.043497): boys at 120 months
M = 137.7795 cm, S = 0.04626, -3 SD 118.658 cm, +2 SD 150.527 cm; girls at
216 months +4 SD 189.495 cm. Flags |z| > 6: WHO Anthro (2011) and WHO
AnthroPlus (2009) manuals.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosecalc.errors import ImplausibleInputError
from dosecalc.growth import height_for_age_bounds, height_for_age_z, implausible_height_for_age
from dosecalc.renal import kidney_function
from dosecalc.renal_table import kidney_table


@pytest.mark.parametrize(
    "height_cm, age_years, sex, z",
    [
        (89.8, 4.0, "f", -3.0),  # WHO 2006, girls 48 months, -3 SD (to the table's 0.1 cm)
        (115.7, 4.0, "f", 3.0),
        (71.0, 1.0, "m", -2.0),  # WHO 2006, boys 12 months (recumbent length), -2 SD
        (118.658, 10.0, "m", -3.0),  # WHO 2007, boys 120 months, -3 SD
        (150.527, 10.0, "m", 2.0),
        (189.495, 18.0, "f", 4.0),  # WHO 2007, girls 216 months, +4 SD
    ],
)
def test_z_scores_reproduce_the_who_tables_sd_columns(height_cm, age_years, sex, z):
    # the tables round their SD columns to 0.1 cm (2006) or 0.001 cm (2007)
    assert height_for_age_z(height_cm, age_years, sex) == pytest.approx(z, abs=0.03)


def test_the_bounds_are_six_sd_of_either_sex():
    # at 4 years the girls' heights spread wider than the boys': 102.7312 (1 ± 6 x 0.04193) against
    # 103.3273 (1 ± 6 x 0.04059), so both bounds are the girls'
    low, high = height_for_age_bounds(4.0)
    assert low == pytest.approx(102.7312 * (1 - 6 * 0.04193), rel=1e-12)
    assert high == pytest.approx(102.7312 * (1 + 6 * 0.04193), rel=1e-12)
    assert high > 103.3273 * (1 + 6 * 0.04059)
    # between two months, between their bounds
    lows, highs = height_for_age_bounds(np.array([4.0, 4.0 + 1 / 24, 4.0 + 1 / 12]))
    assert lows[0] < lows[1] < lows[2] and highs[0] < highs[1] < highs[2]


@given(st.floats(1.0, 18.0))
def test_the_medians_rise_with_age_inside_the_bounds(age_years):
    low, high = height_for_age_bounds(age_years)
    for sex in ("f", "m"):
        months, medians = _months_and_medians(sex)
        median = float(np.interp(age_years * 12, months, medians))
        later = float(np.interp(min(age_years + 0.25, 18.0) * 12, months, medians))
        assert later >= median  # children grow, to 18 years
        assert not implausible_height_for_age(median, age_years)
        assert low < median < high


def _months_and_medians(sex):
    from dosecalc.growth import _table

    months, median_cm, _ = _table()[sex]
    return months, median_cm


def test_schwartz_refuses_a_height_no_child_of_the_age_has():
    # 150 cm typed for 105 cm at 4 years: eGFR 0.413 x 150 / 0.4 = 155 where 108 is right
    with pytest.raises(ImplausibleInputError) as refused:
        kidney_function("schwartz-bedside", age=4, serum_creatinine="0.4 mg/dL", height="150 cm")
    assert str(refused.value) == (
        "height=150 cm: expected 76.9-128.5 cm at 4 years, within 6 SD of the WHO median height of either sex "
        "(a height no child of that age has: a slip of an input?)"
    )
    right = kidney_function("schwartz-bedside", age=4, serum_creatinine="0.4 mg/dL", height="105 cm")
    assert right.egfr_ml_min_173m2 == pytest.approx(0.413 * 105 / 0.4)  # Schwartz 2009, bedside


def test_a_table_rejects_the_rows_the_scalar_path_refuses():
    table = {
        "patient_id": ["A", "B", "C", "D"],
        "age_years": [4.0, 4.0, 17.0, 17.0],
        "height_cm": [150.0, 105.0, 60.0, 170.0],
        "creatinine_mg_dl": [0.4, 0.4, 0.8, 0.8],
    }
    result = kidney_table(table, "schwartz-bedside")
    assert result.estimated["patient_id"].to_pylist() == ["B", "D"]
    reasons = dict(zip(result.rejects["row"].to_pylist(), result.rejects["reason"].to_pylist()))
    for row in (1, 3):
        with pytest.raises(ImplausibleInputError) as refused:
            kidney_function(
                "schwartz-bedside",
                age=table["age_years"][row - 1],
                serum_creatinine=f"{table['creatinine_mg_dl'][row - 1]} mg/dL",
                height=table["height_cm"][row - 1],
            )
        assert reasons[row] == str(refused.value)
