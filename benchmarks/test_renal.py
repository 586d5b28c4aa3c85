"""
Kidney function on 1e6-row arrays: ``egfr_ckd_epi_2021`` (checks, floor, de-indexing, record) and the
``renal_kernel`` the cohort engine runs, against the CKD-EPI 2021 equation in raw, allocating numpy; and on
a 1e6-row Arrow table, ``kidney_table`` and a carboplatin order's ``for_table`` (columns read, every row
checked, rejects with reasons) against the kernels alone on the same numbers.
"""

import numpy as np
import pytest
from conftest import best_seconds

from dosecalc import Q_
from dosecalc.renal import egfr_ckd_epi_2021, renal_kernel

ROWS = 1_000_000


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(20211104)
    return rng.uniform(18, 90, ROWS), rng.random(ROWS) < 0.5, rng.uniform(0.4, 3.0, ROWS), rng.uniform(1.4, 2.4, ROWS)


def _raw(age, female, creatinine, bsa):
    kappa = np.where(female, 0.7, 0.9)
    ratio = creatinine / kappa
    egfr = (
        142
        * np.minimum(ratio, 1) ** np.where(female, -0.241, -0.302)
        * np.maximum(ratio, 1) ** -1.2
        * 0.9938**age
        * np.where(female, 1.012, 1.0)
    )
    return egfr * bsa / 1.73


def test_renal_kernel_1e6(benchmark, cohort, report_ratio):
    age, female, creatinine, bsa = cohort
    columns = benchmark(
        renal_kernel, "ckd_epi_2021", age_years=age, female=female, creatinine_mg_dl=creatinine, bsa_m2=bsa
    )
    floor = best_seconds(lambda: _raw(age, female, creatinine, bsa), repeat=3)
    report_ratio("renal_kernel(ckd_epi_2021) 1e6 / raw numpy", benchmark.stats["min"], floor, "≤ 1.5×")
    np.testing.assert_allclose(columns.clearance_ml_min, _raw(age, female, creatinine, bsa), rtol=1e-12)


def test_egfr_ckd_epi_2021_1e6(benchmark, cohort, report_ratio):
    age, female, creatinine, bsa = cohort
    sex = np.where(female, "f", "m")
    creatinine_q = Q_(creatinine, "mg/dL")
    benchmark.pedantic(
        egfr_ckd_epi_2021, kwargs={"age": age, "sex": sex, "serum_creatinine": creatinine_q, "bsa": bsa}, rounds=3
    )
    floor = best_seconds(lambda: _raw(age, female, creatinine, bsa), repeat=3)
    report_ratio("egfr_ckd_epi_2021 1e6 (checked, with record) / raw numpy", benchmark.stats["min"], floor, "≤ 5×")


@pytest.fixture(scope="module")
def table(cohort):
    import pyarrow as pa

    age, female, creatinine, bsa = cohort
    height_cm = np.full(ROWS, 170.0)
    weight_kg = bsa**2 * 3600 / height_cm  # Mosteller: the BSA back from height and weight
    sex = pa.DictionaryArray.from_arrays(pa.array(female.astype(np.int8)), pa.array(["m", "f"]))
    columns = {"age_years": age, "sex": sex, "creatinine_mg_dl": creatinine, "height_cm": height_cm}
    return pa.table({**columns, "weight_kg": weight_kg})


def test_kidney_table_1e6(benchmark, cohort, table, report_ratio):
    from dosecalc.renal_table import kidney_table

    age, female, creatinine, _ = cohort
    bsa = np.sqrt(table["height_cm"].to_numpy() * table["weight_kg"].to_numpy() / 3600)
    estimated, rejects = benchmark.pedantic(kidney_table, args=(table, "ckd-epi-2021"), rounds=3)
    floor = best_seconds(
        lambda: renal_kernel("ckd_epi_2021", age_years=age, female=female, creatinine_mg_dl=creatinine, bsa_m2=bsa),
        repeat=3,
    )
    report_ratio("kidney_table(ckd-epi-2021) 1e6 rows / renal_kernel", benchmark.stats["min"], floor, "≤ 10×")
    assert estimated.num_rows == ROWS and rejects.num_rows == 0


def test_carboplatin_for_table_1e6(benchmark, cohort, table, report_ratio):
    from dosecalc.carboplatin import carboplatin_kernel
    from dosecalc.order import Order

    age, female, creatinine, _ = cohort
    weight_kg = table["weight_kg"].to_numpy()
    order = Order("carboplatin", "5 mg/mL*min")
    dosed, rejects = benchmark.pedantic(order.for_table, args=(table,), rounds=3)

    def raw():
        crcl = renal_kernel(
            "cockcroft_gault", age_years=age, female=female, creatinine_mg_dl=creatinine, weight_kg=weight_kg
        )
        return carboplatin_kernel(5.0, crcl.clearance_ml_min, 125.0)

    floor = best_seconds(raw, repeat=3)
    report_ratio("Order(carboplatin AUC 5).for_table 1e6 rows / kernels", benchmark.stats["min"], floor, "≤ 10×")
    assert dosed.num_rows + rejects.num_rows == ROWS


def test_kidney_table_all_rejected_1e6(benchmark, report_ratio):
    # every row refused for two inputs (a child's age, a creatinine in µmol/L typed in mg/dL): the floor is
    # writing one text per row from its number, the least a reason per row costs
    import pyarrow as pa
    import pyarrow.compute as pc

    from dosecalc.cohort import formatted_numbers
    from dosecalc.renal_table import kidney_table

    rng = np.random.default_rng(20211104)
    age = rng.uniform(2, 17, ROWS)
    creatinine = rng.uniform(40, 120, ROWS)
    sex = pa.DictionaryArray.from_arrays(pa.array((rng.random(ROWS) < 0.5).astype(np.int8)), pa.array(["m", "f"]))
    table = pa.table({"age_years": age, "sex": sex, "weight_kg": np.full(ROWS, 60.0), "creatinine_mg_dl": creatinine})
    estimated, rejects = benchmark.pedantic(kidney_table, args=(table,), rounds=3)
    floor = best_seconds(
        lambda: pc.binary_join_element_wise("age_years=", formatted_numbers("%g", age), " yr: expected 18-120", ""),
        repeat=3,
    )
    report_ratio("kidney_table 1e6 rows all rejected / one text per row", benchmark.stats["min"], floor, "≤ 8×")
    assert estimated.num_rows == 0 and rejects.num_rows == ROWS
    assert rejects["reason"][0].as_py().count("; did you mean") == 1
