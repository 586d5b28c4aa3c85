"""
The core's fast path: ``dosecalc.bsa`` on 1e6-row arrays against the same
formula in raw, allocating numpy, and one scalar ``patient_dose`` call. Every
call checks each height and weight, the pair (a body, by the BMI bounds of
``dosecalc.validation``) and the BSA computed: none of it can be switched off.
"""

import numpy as np
import pytest
from conftest import best_seconds

import dosecalc
from dosecalc import Q_

ROWS = 1_000_000


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(20110605)
    return rng.uniform(140, 200, ROWS), rng.uniform(40, 150, ROWS)


def tries(benchmark):
    """As many runs of a floor as the benchmark had rounds: the best of each is taken from as many tries."""
    return benchmark.stats["rounds"]


def test_mosteller_1e6(benchmark, cohort, report_ratio):
    height_cm, weight_kg = cohort
    result = benchmark(dosecalc.bsa, height_cm, weight_kg, method="mosteller")
    floor = best_seconds(lambda: np.sqrt(height_cm * weight_kg / 3600.0), repeat=tries(benchmark))
    report_ratio("bsa(mosteller) 1e6 / raw numpy sqrt", benchmark.stats["min"], floor, "≤ 1.5×")
    np.testing.assert_array_equal(result.m_as("m**2"), np.sqrt(height_cm * weight_kg / 3600.0))


def test_dubois_1e6(benchmark, cohort, report_ratio):
    height_cm, weight_kg = cohort
    benchmark(dosecalc.bsa, height_cm, weight_kg, method="dubois")
    power_floor = best_seconds(
        lambda: 0.007184 * np.power(weight_kg, 0.425) * np.power(height_cm, 0.725), repeat=tries(benchmark)
    )
    exp_log_floor = best_seconds(
        lambda: 0.007184 * np.exp(0.425 * np.log(weight_kg) + 0.725 * np.log(height_cm)), repeat=tries(benchmark)
    )
    report_ratio("bsa(dubois) 1e6 / raw numpy np.power", benchmark.stats["min"], power_floor, "≤ 1.5×")
    report_ratio("bsa(dubois) 1e6 / raw numpy exp/log", benchmark.stats["min"], exp_log_floor)


def test_scalar_patient_dose(benchmark, report_ratio):
    dose, height, weight = Q_(75.0, "mg/m**2"), Q_(175.0, "cm"), Q_(70.0, "kg")
    benchmark(dosecalc.patient_dose, dose, height=height, weight=weight)
    # the floor: one pint multiplication of two quantities, the least a unit-aware call does
    floor = best_seconds(lambda: dose * Q_(1.84, "m**2"), repeat=5, number=2000)
    report_ratio("patient_dose scalar (aim ≤ 120 µs) / one pint multiply", benchmark.stats["min"], floor)
    benchmark.extra_info["patient_dose_us"] = round(benchmark.stats["min"] * 1e6, 1)


def test_scalar_patient_dose_from_text(benchmark, report_ratio):
    # a dose typed as text: read by the grammar once per distinct text (cached), then as with Quantities
    quantities = Q_(75.0, "mg/m**2"), Q_(175.0, "cm"), Q_(70.0, "kg")
    benchmark(dosecalc.patient_dose, "75 mg/m2", height="175 cm", weight="70 kg")
    floor = best_seconds(
        lambda: dosecalc.patient_dose(quantities[0], height=quantities[1], weight=quantities[2]), repeat=5, number=2000
    )
    report_ratio("patient_dose from text (aim ≤ 60 µs) / from Quantities", benchmark.stats["min"], floor)
    benchmark.extra_info["patient_dose_text_us"] = round(benchmark.stats["min"] * 1e6, 1)


def test_reading_one_new_text(benchmark, report_ratio):
    # an uncached reading: the grammar alone, against pint's parser on the same text (which it replaces)
    from dosecalc.grammar import read

    registry = dosecalc.units.registry()
    texts = iter(f"{number} mg/m2" for number in range(10**9))
    benchmark(lambda: read(next(texts), ("dose",)))
    floor = best_seconds(lambda: registry.Quantity("75 mg/m**2"), repeat=5, number=500)
    report_ratio("grammar: one new dose text / pint's parser", benchmark.stats["min"], floor)
