"""The array kernels the cohort engine runs: the same numbers as the scalar path, and the same refusals as its masks."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosecalc import Q_
from dosecalc.carboplatin import AUC, carboplatin_dose, carboplatin_kernel
from dosecalc.errors import ImplausibleInputError
from dosecalc.growth import implausible_height_for_age
from dosecalc.renal import (
    CLEARANCE,
    INDEXED_GFR,
    ckd_epi_2021_kernel,
    cockcroft_gault_kernel,
    kidney_function,
    renal_kernel,
    renal_ranges,
    schwartz_bedside_kernel,
)
from dosecalc.validation import valid

patients = st.fixed_dictionaries(
    {
        "formula": st.sampled_from(["cockcroft_gault", "ckd_epi_2021", "schwartz_bedside"]),
        "age": st.one_of(st.floats(1, 120), st.floats(-5, 130)),  # mostly plausible, sometimes not
        "sex": st.sampled_from(["f", "m"]),
        "creatinine": st.one_of(st.floats(0.3, 5), st.floats(0.01, 25)),
        "weight": st.one_of(st.floats(30, 150), st.floats(0.1, 800)),
        "height": st.floats(10, 300),
        "bsa": st.one_of(st.none(), st.floats(0.01, 8)),
        "basis": st.sampled_from(["actual", "ideal", "adjusted", "lesser", "lean"]),
        "floor": st.sampled_from([None, 0.7, 1.0]),
    }
)


def _call(p):
    cg = p["formula"] == "cockcroft_gault"
    return kidney_function(
        p["formula"],
        age=p["age"],
        sex=None if p["formula"] == "schwartz_bedside" else p["sex"],
        serum_creatinine=Q_(p["creatinine"], "mg/dL"),
        weight=p["weight"] if cg else None,
        height=p["height"] if p["formula"] == "schwartz_bedside" or (cg and p["basis"] != "actual") else None,
        bsa=None if cg else p["bsa"],
        weight_basis=p["basis"] if cg else "actual",
        creatinine_floor=None if p["floor"] is None else Q_(p["floor"], "mg/dL"),
    )


def _columns(p, n=1):
    cg = p["formula"] == "cockcroft_gault"
    ranges = renal_ranges(p["formula"], p["basis"] if cg else "actual", bsa=not cg and p["bsa"] is not None)
    given_values = {
        "age": p["age"],
        "serum_creatinine": p["creatinine"],
        "weight": p["weight"],
        "height": p["height"],
        "bsa": p["bsa"],
    }
    inputs_ok = np.all([valid(np.full(n, given_values[field]), rng) for field, rng in ranges.items()], axis=0)
    if p["formula"] == "schwartz_bedside" and inputs_ok.all():  # a height children of the age have (WHO)
        inputs_ok &= ~implausible_height_for_age(np.full(n, p["height"]), np.full(n, p["age"]))
    columns = renal_kernel(
        p["formula"],
        age_years=np.full(n, p["age"]),
        female=np.full(n, p["sex"] == "f"),
        creatinine_mg_dl=np.full(n, p["creatinine"]),
        weight_kg=np.full(n, p["weight"]),
        height_cm=np.full(n, p["height"]),
        bsa_m2=None if cg or p["bsa"] is None else np.full(n, p["bsa"]),
        floor_mg_dl=p["floor"],
        weight_basis=p["basis"] if cg else "actual",
    )
    with np.errstate(all="ignore"):  # rows outside the ranges may compute nonsense: they are masked
        if columns.clearance_ml_min is None:
            result_ok = valid(columns.estimate, INDEXED_GFR)
        elif cg:
            result_ok = valid(columns.clearance_ml_min, CLEARANCE)
        else:  # an eGFR per 1.73 m² is in its range before it is de-indexed, and after
            result_ok = valid(columns.estimate, INDEXED_GFR) & valid(columns.clearance_ml_min, CLEARANCE)
    return columns, inputs_ok & result_ok


@given(patients)
def test_scalar_equals_kernel_and_refuses_exactly_the_masked_rows(p):
    with np.errstate(all="ignore"):
        columns, ok = _columns(p, n=3)
    try:
        result = _call(p)
    except ImplausibleInputError:
        assert not ok.any()
        return
    assert ok.all()
    # numpy's power on arrays (SIMD) and on one float may differ in the last bit
    if result.clearance is not None:
        expected = np.broadcast_to(result.clearance.m_as("mL/min"), columns.clearance_ml_min.shape)
        np.testing.assert_array_max_ulp(columns.clearance_ml_min, expected, maxulp=2)
    if result.egfr_ml_min_173m2 is not None:
        expected = np.broadcast_to(result.egfr_ml_min_173m2, columns.estimate.shape)
        np.testing.assert_array_max_ulp(columns.estimate, expected, maxulp=2)
    assert np.all(columns.floor_applied == result.floor_applied)


def test_kernels_on_columns_by_hand():
    # Cockcroft & Gault (1976): (140 − 60) × 80 / (72 × 1.2) = 74.07; Inker (2021): 142 × (1.2/0.9)^−1.2 × 0.9938^55
    # = 71.42; Schwartz (2009): 0.413 × 101 / 0.6 = 69.52
    np.testing.assert_allclose(
        cockcroft_gault_kernel(np.array([60.0]), np.array([80.0]), np.array([1.2]), np.array([False])), [6400 / 86.4]
    )
    np.testing.assert_allclose(
        ckd_epi_2021_kernel(np.array([55.0, 55.0]), np.array([1.2, 1.2]), np.array([False, True])),
        [71.4178, 71.4178 * 1.012 * (0.9 / 0.7) ** -1.2],
        rtol=1e-5,
    )
    np.testing.assert_allclose(schwartz_bedside_kernel(np.array([101.0]), np.array([0.6])), [0.413 * 101 / 0.6])


def test_kernel_runs_a_million_rows_without_python_per_row():
    n = 1_000_000
    rng = np.random.default_rng(1)
    columns = renal_kernel(
        "ckd_epi_2021",
        age_years=rng.uniform(18, 90, n),
        female=rng.random(n) < 0.5,
        creatinine_mg_dl=rng.uniform(0.4, 3, n),
        bsa_m2=rng.uniform(1.4, 2.4, n),
        floor_mg_dl=0.7,
    )
    assert columns.clearance_ml_min.shape == (n,) and np.isfinite(columns.clearance_ml_min).all()


# the Calvert formula is given a GFR of 1-250 mL/min (carboplatin.GFR)
@given(st.floats(1, 10), st.floats(1, 250), st.sampled_from([None, 125.0, 100.0]))
def test_calvert_kernel_equals_the_scalar_dose(auc, gfr, cap):
    dose, used, applied = carboplatin_kernel(np.array([auc]), np.array([gfr]), np.inf if cap is None else cap)
    result = carboplatin_dose(auc=auc, gfr=gfr, gfr_cap=cap)
    assert dose[0] == result.dose.m_as("mg") and used[0] == result.gfr.m_as("mL/min")
    assert bool(applied[0]) == result.cap_applied
    assert valid(np.array([auc]), AUC).all()


@pytest.mark.parametrize(
    "formula, basis", [("cockcroft_gault", "ideal"), ("cockcroft_gault", "actual"), ("schwartz_bedside", "actual")]
)
def test_ranges_name_what_the_scalar_path_checks(formula, basis):
    ranges = renal_ranges(formula, basis)
    assert set(ranges) >= {"age", "serum_creatinine"}
    assert ("height" in ranges) == (basis != "actual" or formula == "schwartz_bedside")
    assert ranges["age"].low == (1.0 if formula == "schwartz_bedside" else 18.0)
