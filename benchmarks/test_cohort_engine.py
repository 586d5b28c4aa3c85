"""
The cohort engine, ``dose_table``, on 1e6 rows against its floors: the same
arithmetic in raw, allocating numpy on the same arrays; Mosteller for the
power-law formulas; a per-row loop of the scalar pint API for the naive way.

Validation cannot be switched off (a dose is never computed from a bad
input): "clean" is a cohort in which it finds nothing, one min/max pass per
column (whose extremes also decide that every height and weight together is
a body) and per computed BSA and dose; "1% rejected" has one implausible
height in a hundred, so the masks, the filter and the reasons are all built.
"""

import numpy as np
import pyarrow as pa
import pytest
from conftest import best_seconds

from dosecalc import Q_, patient_dose
from dosecalc.cohort import dose_table

ROWS = 1_000_000
LOOP_ROWS = 10_000
DOSE = "75 mg/m^2"


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(20110605)
    height_cm, weight_kg = rng.uniform(140, 200, ROWS), rng.uniform(40, 150, ROWS)
    return pa.table({"patient_id": np.arange(ROWS), "height_cm": height_cm, "weight_kg": weight_kg})


def best_of_both(measured, floor, repeat=15):
    """Best times of ``measured`` and ``floor``, timed alike and interleaved, so neither gets a warmer machine."""
    pairs = [(best_seconds(measured, repeat=1), best_seconds(floor, repeat=1)) for _ in range(repeat)]
    return min(pair[0] for pair in pairs), min(pair[1] for pair in pairs)


def raw_numpy(height_cm, weight_kg):
    # Mosteller BSA, the dose and its equivalents: what dose_table adds, without checks
    bsa_m2 = np.sqrt(height_cm * weight_kg / 3600.0)
    dose_mg = 75.0 * bsa_m2
    return bsa_m2, dose_mg, np.full(len(dose_mg), 75.0), dose_mg / weight_kg


def test_engine_clean_vs_raw_numpy(benchmark, cohort, report_ratio):
    height_cm, weight_kg = cohort["height_cm"].to_numpy(), cohort["weight_kg"].to_numpy()
    dosed, rejects = benchmark(dose_table, cohort, DOSE)
    report_ratio(
        "dose_table 1e6 clean / raw numpy",
        *best_of_both(lambda: dose_table(cohort, DOSE), lambda: raw_numpy(height_cm, weight_kg)),
        "≤ 1.5×",
    )
    assert rejects.num_rows == 0
    np.testing.assert_array_equal(dosed["dose_mg"].to_numpy(), raw_numpy(height_cm, weight_kg)[1])


def test_engine_with_rejects_vs_raw_numpy(benchmark, cohort, report_ratio):
    height_cm = cohort["height_cm"].to_numpy().copy()
    height_cm[::100] = 1.75  # metres in a cm column
    weight_kg = cohort["weight_kg"].to_numpy()
    table = cohort.set_column(1, "height_cm", pa.array(height_cm))
    dosed, rejects = benchmark(dose_table, table, DOSE)
    report_ratio(
        "dose_table 1e6, 1% rejected / raw numpy",
        *best_of_both(lambda: dose_table(table, DOSE), lambda: raw_numpy(height_cm, weight_kg)),
        "≤ 3×",
    )
    assert rejects.num_rows == ROWS // 100 and dosed.num_rows + rejects.num_rows == ROWS


def test_engine_with_rejects_of_every_kind_vs_raw_numpy(benchmark, cohort, report_ratio):
    # 1% rejected, a quarter each: metres in a cm column, a weight past 700 kg, a missing height, and a height and
    # weight each plausible that together are no body (70 cm, 150 kg); the last makes every batch check each pair
    height_cm, weight_kg = cohort["height_cm"].to_numpy().copy(), cohort["weight_kg"].to_numpy().copy()
    height_cm[::400], weight_kg[100::400] = 1.75, 900.0
    height_cm[200::400], weight_kg[200::400] = 70.0, 150.0
    missing = np.zeros(ROWS, bool)
    missing[300::400] = True
    table = cohort.set_column(1, "height_cm", pa.array(height_cm, mask=missing)).set_column(
        2, "weight_kg", pa.array(weight_kg)
    )
    dosed, rejects = benchmark(dose_table, table, DOSE)
    report_ratio(
        "dose_table 1e6, 1% rejected of 4 kinds / raw numpy",
        *best_of_both(lambda: dose_table(table, DOSE), lambda: raw_numpy(height_cm, weight_kg)),
    )
    assert rejects.num_rows == ROWS // 100 and dosed.num_rows + rejects.num_rows == ROWS
    assert len(set(rejects["reason"].to_pylist())) == 4


@pytest.mark.parametrize("method", ["dubois", "boyd"])
def test_power_law_formulas_vs_mosteller(benchmark, cohort, report_ratio, method):
    benchmark(dose_table, cohort, DOSE, method)
    report_ratio(
        f"dose_table 1e6 {method} / mosteller",
        *best_of_both(lambda: dose_table(cohort, DOSE, method), lambda: dose_table(cohort, DOSE)),
        "≤ 2.5×",
    )


def test_engine_vs_scalar_pint_loop(benchmark, cohort, report_ratio):
    # the naive way: one patient_dose per row, the dose parsed once, each row a Quantity
    heights, weights = cohort["height_cm"].to_pylist()[:LOOP_ROWS], cohort["weight_kg"].to_pylist()[:LOOP_ROWS]
    dose, cm, kg = Q_(DOSE), Q_(1.0, "cm").units, Q_(1.0, "kg").units

    def loop():
        return [
            patient_dose(dose, height=Q_(h, cm), weight=Q_(w, kg)).dose.m_as("mg") for h, w in zip(heights, weights)
        ]

    doses_mg = benchmark.pedantic(loop, rounds=3, iterations=1)
    scaled = benchmark.stats["min"] * ROWS / LOOP_ROWS
    engine = best_seconds(lambda: dose_table(cohort, DOSE), repeat=15)
    report_ratio("scalar pint loop (1e4 rows, scaled to 1e6) / dose_table 1e6", scaled, engine, "speed-up ≥ 1000×")
    assert doses_mg == dose_table(cohort.slice(0, LOOP_ROWS), DOSE).dosed["dose_mg"].to_pylist()
