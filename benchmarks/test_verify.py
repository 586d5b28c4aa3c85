"""
A day's orders, 1e6 of them, verified by ``verify_table`` against dosing the
same rows: R-CHOP-21's five drugs, 200,000 patients, one row per ordered dose
(patient_id, drug, ordered_mg, cycle, day, height_cm, weight_kg), sorted by
patient as exports are (an unsorted file costs one hash of the patient ids
more: about 0.2 µs an order on these machines).

The floor doses the rows as a pharmacy system would without verifying them:
the drug of each row looked up once (a dictionary encoding of ``drug``), each
drug's rows taken with all their columns and dosed by its order
(``Order.for_table``; the ordered drug renamed, as the order writes ``drug``). Verification adds reading the ordered doses, the
verdicts and flags (the duplicate check hashes ``patient_id``) and its output
columns. 97 % of the orders are within 3 % of the dose (vincristine's capped
at 2 mg), 3 % are 10-30 % too high.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import best_seconds

from dosecalc.protocol import load_protocol
from dosecalc.verify_table import verify_table

ROWS = 1_000_000
PROTOCOL = load_protocol("r-chop-21")


@pytest.fixture(scope="module")
def orders():
    rng = np.random.default_rng(20161262)
    drugs = np.array([item.order.drug for item in PROTOCOL.orders])
    which = np.tile(np.arange(drugs.size), ROWS // drugs.size)
    height_cm, weight_kg = (
        np.repeat(rng.uniform(140, 200, ROWS // drugs.size), drugs.size),
        np.repeat(rng.uniform(40, 150, ROWS // drugs.size), drugs.size),
    )
    per_m2 = np.array([item.order.dose.magnitude for item in PROTOCOL.orders])[which]
    cap_mg = np.array(
        [np.inf if item.order.max_dose is None else item.order.max_dose.magnitude for item in PROTOCOL.orders]
    )[which]
    error = np.where(rng.random(ROWS) < 0.03, rng.uniform(1.1, 1.3, ROWS), rng.uniform(0.97, 1.03, ROWS))
    return pa.table(
        {
            "patient_id": np.char.add("P-", np.char.zfill((np.arange(ROWS) // drugs.size).astype(str), 6)),
            "drug": drugs[which],
            "ordered_mg": np.minimum(per_m2 * np.sqrt(height_cm * weight_kg / 3600), cap_mg) * error,
            "cycle": np.ones(ROWS, np.int64),
            "day": np.ones(ROWS, np.int64),
            "height_cm": height_cm,
            "weight_kg": weight_kg,
        }
    )


def dose_each_drug(orders):
    encoded = pc.dictionary_encode(orders["drug"]).combine_chunks()
    codes, names = encoded.indices.to_numpy(), encoded.dictionary.to_pylist()
    # the order writes a drug column: the ordered drug goes along under another name (a rename copies nothing)
    rows = orders.rename_columns(["ordered_drug" if name == "drug" else name for name in orders.column_names])
    return [
        item.order.for_table(rows.take(pa.array(np.flatnonzero(codes == names.index(item.order.drug)))))
        for item in PROTOCOL.orders
    ]


def test_verify_1e6_orders_vs_dosing_them(benchmark, orders, report_ratio):
    result = benchmark.pedantic(verify_table, (PROTOCOL, orders), rounds=1, iterations=1)
    pairs = [
        (
            best_seconds(lambda: verify_table(PROTOCOL, orders), repeat=1),
            best_seconds(lambda: dose_each_drug(orders), repeat=1),
        )
        for _ in range(5)
    ]
    report_ratio(
        "verify_table 1e6 orders / dosing the same rows", min(p[0] for p in pairs), min(p[1] for p in pairs), "≤ 1.5×"
    )
    summary = result.summary()
    assert summary["rows"] == ROWS == summary["verified"] + summary["flagged"] + summary["rejected"]
    assert summary["rejected"] == 0
