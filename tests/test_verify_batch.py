"""
A day's orders verified at once: the example file row by row, the accounting
(rows in = verified + flagged + rejected), the columns' units, and the
property that a table's answers are the one-patient answers.

R-CHOP-21 doses: Coiffier et al., N Engl J Med 2002, doi:10.1056/NEJMoa011795;
BSA by Mosteller, sqrt(H W / 3600), doi:10.1056/NEJM198710223171717.
"""

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dosecalc.errors import DoseCalcError, MissingInputError, UnitError
from dosecalc.protocol import load_protocol
from dosecalc.verify import verify
from dosecalc.verify_table import VERIFY_COLUMNS, verify_table

RCHOP = load_protocol("r-chop-21")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "orders.csv"


def by_row(result):
    rows = {}
    for table in (result.verified, result.flagged):
        for record in table.to_pylist():
            rows[record["row"]] = record
    return rows


def test_example_orders_row_by_row():
    result = verify_table(RCHOP, pacsv.read_csv(EXAMPLE))
    rows = by_row(result)
    summary = result.summary()
    assert summary["rows"] == 41 == summary["verified"] + summary["flagged"] + summary["rejected"]
    assert (summary["verified"], summary["flagged"], summary["rejected"]) == (23, 13, 5)
    assert summary["flags"] == {
        "weight_change": 5,
        "cap_explains": 1,
        "rounding_explains": 0,
        "lifetime_limit": 1,
        "lifetime_unchecked": 0,
        "not_scheduled": 1,
        "duplicate_order": 2,
    }
    # DL-2001, 175 cm, 80 kg (BSA 1.97203 m²): every dose right; doxorubicin 50 × 1.97203 = 98.601 mg
    assert [rows[row]["verdict"] for row in range(1, 6)] == ["within_tolerance"] * 5
    assert_allclose(rows[3]["computed_dose"], 50 * math.sqrt(175 * 80 / 3600))
    # DL-2002, 160 cm, 60 kg (BSA 1.63299 m²): doxorubicin 81.650 mg, 95 ordered: +16.35 %
    assert rows[8]["verdict"] == "too_high" and rows[8]["flags"] == ""
    assert_allclose(rows[8]["difference_pct"], 100 * (95 / (50 * math.sqrt(160 * 60 / 3600)) - 1))
    # vincristine 1.4 × 1.63299 = 2.286 mg, capped at 2 mg; 2.3 mg ordered: +15 %, the cap explains it
    assert (rows[9]["verdict"], rows[9]["flags"]) == ("too_high", "cap_explains")
    assert_allclose(rows[9]["difference_pct"], 15.0)
    # DL-2003: 68 kg against a baseline of 80 kg, −15 %: all five orders flagged
    assert [rows[row]["flags"] for row in (11, 12, 21, 22, 23)] == ["weight_change"] * 5
    assert_allclose(rows[11]["weight_change_pct"], -15.0)
    # DL-2004, 182 cm, 95 kg (BSA 2.19152 m²): 110 mg = 50.19 mg/m² after 500 mg/m² reaches 550 mg/m²
    assert (rows[13]["verdict"], rows[13]["flags"]) == ("within_tolerance", "lifetime_limit")
    # cyclophosphamide ordered as 750 mg/m²: compared with the protocol's 750 mg/m²
    assert (rows[14]["verdict"], rows[14]["dose_unit"], rows[14]["computed_dose"]) == (
        "within_tolerance",
        "mg/m²",
        750.0,
    )
    # DL-2005: prednisone on day 8 (days 1-5 only); a brand name
    assert rows[15]["flags"] == "not_scheduled"
    assert rows[15]["detail"] == "prednisone is given on day 1, 2, 3, 4, 5 of the cycle, not on day 8"  # as for one
    assert rows[16]["verdict"] == "not_in_protocol" and "write 'doxorubicin'" in rows[16]["detail"]
    # DL-2006: 1.68 in a height_cm column: each of the five orders rejected, with the hint
    assert result.rejected["row"].to_pylist() == [17, 30, 31, 32, 33]
    assert "did you mean 1.68 m?" in result.rejected["reason"][0].as_py()
    # DL-2007: doxorubicin ordered twice for one day
    assert rows[18]["flags"] == rows[19]["flags"] == "duplicate_order"
    # DL-2008: mg/kg against a protocol in mg/m²
    assert rows[20]["verdict"] == "not_comparable" and rows[20]["dose_unit"] == "mg/kg"
    # every patient's day-1 drugs are ordered but DL-2004's vincristine, and DL-2005's doxorubicin (as Adriamycin)
    missing = [(m["patient_id"], m["cycle"], m["day"], m["drug"]) for m in result.not_ordered.to_pylist()]
    assert missing == [("DL-2004", 6, 1, "vincristine"), ("DL-2005", 3, 1, "doxorubicin")]
    assert summary["verdicts"]["not_ordered"] == 2 and not result.ok


def test_output_columns_and_order():
    result = verify_table(RCHOP, pacsv.read_csv(EXAMPLE))
    assert result.flagged.column_names[-len(VERIFY_COLUMNS) :] == list(VERIFY_COLUMNS)
    assert result.verified["row"].to_pylist() == sorted(result.verified["row"].to_pylist())
    assert result.rejected.column_names[-2:] == ["row", "reason"]


def test_unit_in_the_column_name():
    # ordered_g: 0.0986 g = 98.6 mg of doxorubicin for 175 cm, 80 kg
    table = {"drug": ["doxorubicin"], "ordered_g": [0.0986], "height_cm": [175], "weight_kg": [80]}
    row = verify_table(RCHOP, table).verified.to_pylist()[0]
    assert row["ordered_dose"] == pytest.approx(98.6) and row["dose_unit"] == "mg"


@pytest.mark.parametrize(
    "table, error",
    [
        ({"drug": ["doxorubicin"], "height_cm": [175], "weight_kg": [80]}, MissingInputError),  # no ordered dose
        ({"ordered_mg": [95], "height_cm": [175], "weight_kg": [80]}, MissingInputError),  # no drug
        ({"drug": ["doxorubicin"], "ordered_mgs": [95], "height_cm": [175], "weight_kg": [80]}, UnitError),
        (
            {"drug": ["x"], "ordered_mg": [1], "ordered_mg_m2": [1], "height_cm": [1], "weight_kg": [1]},
            MissingInputError,
        ),
        ({"drug": ["x"], "ordered": [1], "height_cm": [1], "weight_kg": [1]}, MissingInputError),  # no ordered_unit
        ({"drug": ["x"], "ordered_mg": [1], "verdict": ["ok"]}, DoseCalcError),  # a column verification writes
    ],
)
def test_tables_that_cannot_be_verified(table, error):
    with pytest.raises(error):
        verify_table(RCHOP, table)


def test_unreadable_cells_are_rejected_never_dropped():
    table = {
        "drug": ["doxorubicin"] * 6,
        "ordered": ["95", "abc", "", "95", "-3", "95"],
        "ordered_unit": ["mg", "mg", "mg", "gr", "mg", "mg"],
        "day": [1, 1, 1, 1, 1, 2.5],
        "height_cm": [175] * 6,
        "weight_kg": [80] * 6,
    }
    result = verify_table(RCHOP, pa.table(table))
    assert result.verified.num_rows + result.flagged.num_rows + result.rejected.num_rows == 6
    reasons = dict(zip(result.rejected["row"].to_pylist(), result.rejected["reason"].to_pylist()))
    assert sorted(reasons) == [2, 3, 4, 5, 6]
    assert "ordered='abc': expected a number" in reasons[2] and "ordered is missing" in reasons[3]
    assert "gr" in reasons[4] and "day=2.5" in reasons[6]


# --- batch == one at a time ----------------------------------------------------------

DRUGS = ["rituximab", "cyclophosphamide", "doxorubicin", "vincristine", "prednisone", "Doxorubicin", "epirubicin"]
UNITS = {"mg": 1.0, "mg/m2": None}


@st.composite
def order_rows(draw):
    drug = draw(st.sampled_from(DRUGS))
    height, weight = draw(st.floats(140, 200)), draw(st.floats(40, 150))
    per_m2 = draw(st.booleans()) and drug.lower() in {"doxorubicin", "cyclophosphamide"}
    if per_m2:
        ordered = round(draw(st.floats(30, 900)), 2)
    elif drug.lower() == "vincristine" and draw(st.booleans()):  # about its 2 mg maximum, within 5 % or not
        ordered = round(draw(st.floats(1.8, 2.2)), 2)
    else:
        ordered = round(draw(st.floats(0.5, 2500)), 2)
    return {
        "drug": drug,
        "ordered": ordered,
        "ordered_unit": "mg/m2" if per_m2 else "mg",
        "cycle": draw(st.integers(1, 9)),
        "day": draw(st.integers(1, 21)),
        "height_cm": round(height, 1),
        "weight_kg": round(weight, 1),
        "baseline_weight_kg": round(draw(st.floats(40, 150)), 1),
        "prior_mg_m2": draw(st.one_of(st.none(), st.floats(0, 600).map(lambda x: round(x, 1)))),
    }


def one_at_a_time(row):
    prior = None
    drug = row["drug"].strip().lower()
    if row["prior_mg_m2"] is not None and drug in {item.order.drug for item in RCHOP.orders}:
        # a prior on a row of a drug without a lifetime limit is refused, as the table rejects its row
        prior = {drug: f"{row['prior_mg_m2']} mg/m2"}
    result = verify(
        RCHOP,
        [(row["drug"], f"{row['ordered']} {row['ordered_unit']}")],
        height=row["height_cm"],
        weight=row["weight_kg"],
        cycle=row["cycle"],
        day=row.get("day"),
        baseline_weight=row["baseline_weight_kg"],
        prior=prior,
    )
    check = result.checks[0]
    flags = [flag.code for flag in result.flags] + [flag.code for flag in check.flags]
    return check, flags


@settings(max_examples=40)
@given(rows=st.lists(order_rows(), min_size=1, max_size=12), with_day=st.booleans())
def test_batch_equals_one_at_a_time(rows, with_day):
    if not with_day:  # a file of cycles without days: a cycle past the protocol's is still flagged
        rows = [{name: value for name, value in row.items() if name != "day"} for row in rows]
    table = pa.Table.from_pylist(rows)
    result = verify_table(RCHOP, table)
    got = by_row(result)
    assert len(got) + result.rejected.num_rows == len(rows)
    for number, row in enumerate(rows, start=1):
        if number not in got:
            with pytest.raises(DoseCalcError):
                one_at_a_time(row)
            continue
        check, flags = one_at_a_time(row)
        batch = got[number]
        assert batch["verdict"] == check.verdict
        if check.difference_pct is None:
            assert batch["difference_pct"] is None
        else:
            assert_allclose(batch["difference_pct"], check.difference_pct, rtol=1e-9, atol=1e-9)
            assert_allclose(batch["computed_dose"], check.computed.magnitude, rtol=1e-12)
        assert sorted(filter(None, batch["flags"].split(";"))) == sorted(flags)


def test_batch_is_the_vectorised_engine_at_scale():
    # 10,000 orders: every one accounted for, and doxorubicin's doses equal 50 mg/m² × Mosteller's BSA
    rng = np.random.default_rng(2016)
    n = 10_000
    height, weight = rng.uniform(140, 200, n), rng.uniform(40, 150, n)
    computed = 50 * np.sqrt(height * weight / 3600)
    table = {
        "drug": ["doxorubicin"] * n,
        "ordered_mg": computed * rng.uniform(0.9, 1.1, n),
        "height_cm": height,
        "weight_kg": weight,
    }
    result = verify_table(RCHOP, table)
    assert result.verified.num_rows + result.flagged.num_rows == n and result.rejected.num_rows == 0
    every = pa.concat_tables([result.verified, result.flagged]).sort_by("row")
    assert_allclose(every["computed_dose"].to_numpy(), computed, rtol=1e-12)
    outside = np.abs(table["ordered_mg"] / computed - 1) > 0.05 + 1e-11
    assert (every["verdict"].to_numpy(zero_copy_only=False) != "within_tolerance").sum() == outside.sum()


# --- duplicates and doses not ordered == counting by hand ----------------------------------

ORDERS = {item.order.drug: item for item in RCHOP.orders}


@st.composite
def visit_rows(draw):
    """Orders of a few patients (some ids missing, files sorted by patient or not), days and cycles in and
    out of the protocol, some rows rejected (day 22 of a 21-day cycle; a height in metres)."""
    return {
        "patient_id": draw(st.sampled_from(["P-1", "P-2", "P-3", None])),
        "drug": draw(st.sampled_from([*ORDERS, "Doxorubicin", "epirubicin"])),
        "ordered_mg": 100.0,
        "cycle": draw(st.integers(1, 9)),
        "day": draw(st.sampled_from([1, 1, 1, 2, 8, 22])),
        "height_cm": draw(st.sampled_from([175.0, 175.0, 1.75])),
        "weight_kg": 70.0,
    }


@settings(max_examples=60)
@given(rows=st.lists(visit_rows(), min_size=1, max_size=14), sort=st.booleans())
def test_duplicates_and_not_ordered_are_the_counts_by_hand(rows, sort):
    if sort:  # a file sorted by patient, as exports are (missing ids last)
        rows = sorted(rows, key=lambda row: (row["patient_id"] is None, row["patient_id"] or ""))
    result = verify_table(RCHOP, pa.Table.from_pylist(rows))
    drug = [row["drug"].lower() if row["drug"].lower() in ORDERS else None for row in rows]
    # by hand: a patient's drug on one cycle and day, more often than its order gives it (once a day)
    same = [
        [
            other
            for other in range(len(rows))
            if drug[other] == drug[row]
            and (rows[other]["patient_id"], rows[other]["cycle"], rows[other]["day"])
            == (rows[row]["patient_id"], rows[row]["cycle"], rows[row]["day"])
        ]
        for row in range(len(rows))
    ]
    for record in result.checked.to_pylist():
        row = record["row"] - 1
        duplicate = rows[row]["patient_id"] is not None and drug[row] is not None and len(same[row]) > 1
        assert ("duplicate_order" in record["flags"].split(";")) == duplicate, (row, rows)
    # by hand: each visit (patient, cycle, day of the cycle) of a row that names its patient and a day in the
    # cycle, rejected or not; each drug due that day (cycle 8 at most) and ordered by none of the visit's rows
    visits = {(row["patient_id"], row["cycle"], row["day"]) for row in rows if row["patient_id"] and row["day"] <= 21}
    expected = {
        (patient, cycle, day, name)
        for patient, cycle, day in visits
        for name, item in ORDERS.items()
        if day in item.days
        and cycle <= RCHOP.cycles
        and not any(
            (row["patient_id"], row["cycle"], row["day"], drug[number]) == (patient, cycle, day, name)
            for number, row in enumerate(rows)
        )
    }
    missing = [(m["patient_id"], m["cycle"], m["day"], m["drug"]) for m in result.not_ordered.to_pylist()]
    assert len(missing) == len(set(missing)) and set(missing) == expected


@pytest.mark.parametrize(
    "ids, duplicates, not_ordered",
    [
        (pa.nulls(3, pa.string()), 0, 0),  # no id: no patient, no duplicate, nothing due
        (pa.nulls(3), 0, 0),  # an all-empty column of a Parquet file: type null
        (pa.array(["DL-1", "DL-1", "DL-2"]).dictionary_encode(), 2, 8),  # a categorical id
        (pa.array([7, 7, 8]), 2, 8),  # numeric ids
    ],
)
def test_patient_ids_of_any_type(ids, duplicates, not_ordered):
    # doxorubicin ordered twice for the first patient: a duplicate each; each patient's four other day-1 drugs
    # (rituximab, cyclophosphamide, vincristine, prednisone) not ordered: 2 × 4 = 8
    table = pa.table(
        {
            "patient_id": ids,
            "drug": ["doxorubicin"] * 3,
            "ordered_mg": [98.6] * 3,
            "day": [1, 1, 1],
            "height_cm": [175.0] * 3,
            "weight_kg": [80.0] * 3,
        }
    )
    result = verify_table(RCHOP, table)
    assert result.summary()["flags"]["duplicate_order"] == duplicates
    assert result.not_ordered.num_rows == not_ordered


def test_an_order_per_m2_that_a_cap_lowers_is_not_verified_row_by_row_as_for_one_patient():
    # vincristine 1.4 mg/m²: at 175 cm, 70 kg (BSA 1.8447 m²) 2.58 mg, capped at 2 mg (Coiffier 2002);
    # at 150 cm, 45 kg (BSA sqrt(150 × 45 / 3600) = 1.3693 m²) 1.92 mg, not capped
    table = pa.table(
        {
            "drug": ["vincristine"] * 3,
            "ordered": ["1.4", "1.4", "2"],
            "ordered_unit": ["mg/m2", "mg/m2", "mg"],
            "height_cm": [175, 150, 175],
            "weight_kg": [70, 45, 70],
        }
    )
    result = verify_table(RCHOP, table)
    rows = by_row(result)
    assert rows[1]["verdict"] == "not_comparable" and rows[1]["ok"] is False and rows[1]["computed_dose"] is None
    assert rows[1]["detail"] == (
        "ordered in mg/m²; the max dose makes this patient's dose 2 mg, which an order per m² does not say: "
        "order it in mg"
    )
    assert rows[2]["verdict"] == "within_tolerance" and rows[2]["computed_dose"] == 1.4
    assert rows[3]["verdict"] == "within_tolerance" and rows[3]["computed_dose"] == 2.0
    for row, (height, weight, ordered) in enumerate(
        [(175, 70, "1.4 mg/m2"), (150, 45, "1.4 mg/m2"), (175, 70, "2 mg")], 1
    ):
        one = verify(RCHOP, {"vincristine": ordered}, height=height, weight=weight)["vincristine"]
        assert one.verdict == rows[row]["verdict"]


COIFFIER_MAXIMUM = (
    "above the maximum dose of 2 mg (Coiffier et al. 2002: vincristine 1.4 mg/m² up to a maximum of 2 mg)"
)


def test_an_order_above_the_maximum_dose_is_too_high_row_by_row_as_for_one_patient():
    # vincristine 1.4 mg/m², at most 2 mg (Coiffier 2002). 175 cm, 70 kg: 1.4 × 1.84466 = 2.58 mg, capped at 2 mg;
    # 2.09 mg is +4.5 %, 2 mg (and 2.0000000001 mg) is the maximum. 150 cm, 47 kg: 1.4 × 1.39940 = 1.959 mg,
    # 2.04 mg is +4.1 % and above 2 mg. 150 cm, 45 kg: 1.47 mg/m² (+5 %) gives 1.47 × 1.36931 = 2.013 mg
    table = pa.table(
        {
            "drug": ["vincristine"] * 6,
            "ordered": ["2.09", "2", "2.0000000001", "2.04", "1.47", "1.43"],
            "ordered_unit": ["mg", "mg", "mg", "mg", "mg/m2", "mg/m2"],
            "height_cm": [175, 175, 175, 150, 150, 150],
            "weight_kg": [70, 70, 70, 47, 45, 45],
        }
    )
    rows = by_row(verify_table(RCHOP, table))
    assert [rows[row]["verdict"] for row in range(1, 7)] == [
        "too_high",
        "within_tolerance",
        "within_tolerance",
        "too_high",
        "too_high",
        "within_tolerance",
    ]
    assert [rows[row]["detail"] for row in range(1, 7)] == [
        COIFFIER_MAXIMUM,
        None,
        None,
        COIFFIER_MAXIMUM,
        f"2.013 mg for this patient, {COIFFIER_MAXIMUM}",
        None,
    ]
    assert_allclose(rows[1]["difference_pct"], 4.5)
    assert rows[1]["flags"] == "" and rows[1]["ok"] is False
    for row, (ordered, unit, height, weight) in enumerate(
        zip(*(table[name].to_pylist() for name in ("ordered", "ordered_unit", "height_cm", "weight_kg"))), 1
    ):
        one = verify(RCHOP, {"vincristine": f"{ordered} {unit}"}, height=height, weight=weight)["vincristine"]
        assert one.verdict == rows[row]["verdict"]


def test_a_cycle_past_the_protocols_is_flagged_without_a_day_column():
    # R-CHOP-21 has 8 cycles: cycle 12 is flagged, as for one patient without a day; cycle 8 is not
    table = {"drug": ["doxorubicin"] * 2, "ordered_mg": [92.0] * 2, "cycle": [12, 8]}
    result = verify_table(RCHOP, table | {"height_cm": [175] * 2, "weight_kg": [70] * 2})
    assert result.checked["flags"].to_pylist() == ["not_scheduled", ""]
    assert result.checked["ok"].to_pylist() == [False, True]
    # each flagged row says why, in the words of a single order's flag
    one = verify(RCHOP, {"doxorubicin": "92 mg"}, height=175, weight=70, cycle=12)["doxorubicin"]
    assert (
        result.checked["detail"].to_pylist()
        == [one.flags[0].message, None]
        == ["cycle 12 of a protocol of 8 cycles", None]
    )


def test_a_prior_exposure_is_a_number_from_0_to_the_highest_dose_of_its_basis():
    # as one patient's --prior: 1e9 mg/m² is a slip (µg?), not an exposure that reaches the limit; 540 is one
    table = {
        "drug": ["doxorubicin"] * 4,
        "ordered_mg": [92.0] * 4,
        "height_cm": [175.0] * 4,
        "weight_kg": [70.0] * 4,
        "prior_mg_m2": ["540", "1e9", "-5", ""],
    }
    result = verify_table(RCHOP, table)
    assert result.rejected["row"].to_pylist() == [2, 3]
    assert result.rejected["reason"].to_pylist() == [
        "prior_mg_m2=1e9: expected an exposure of 0-50000 mg/m², or an empty cell for none",
        "prior_mg_m2=-5: expected an exposure of 0-50000 mg/m², or an empty cell for none",
    ]
    assert result.checked["flags"].to_pylist() == ["lifetime_limit", ""]  # 540 + 49.6 mg/m² reaches 550


def test_the_drug_column_is_found_as_the_others_are_and_once():
    # "Drug" or " drug " (a spreadsheet's header) is the drug column, as "Height_cm" is the height's; two are refused
    base = {"ordered_mg": [92.0], "height_cm": [175.0], "weight_kg": [70.0]}
    for header in ("Drug", " drug "):
        result = verify_table(RCHOP, {header: ["doxorubicin"], **base})
        assert result.checked["verdict"].to_pylist() == ["within_tolerance"]
        assert result.checked.column_names[0] == header  # the column keeps its name
    with pytest.raises(DoseCalcError, match="^several drug columns: 'drug', 'Drug'; keep one$"):
        verify_table(RCHOP, {"drug": ["doxorubicin"], "Drug": ["vincristine"], **base})


@pytest.mark.parametrize("shuffled", [False, True])
def test_a_prior_exposure_that_falls_between_visits_rejects_both(shuffled):
    # Q2: 540 mg/m² before cycle 2, none before cycle 3: an exposure only grows, one of them is wrong; Q3's grows
    rows = [("Q2", 2, 540.0), ("Q2", 3, 0.0), ("Q3", 1, None), ("Q3", 2, 50.0)]
    if shuffled:  # another order of rows: sorted by visit before compared
        rows = [rows[i] for i in (3, 1, 2, 0)]
    table = {
        "patient_id": [r[0] for r in rows],
        "drug": ["doxorubicin"] * 4,
        "ordered_mg": [92.0] * 4,
        "cycle": [r[1] for r in rows],
        "height_cm": [175.0] * 4,
        "weight_kg": [70.0] * 4,
        "prior_mg_m2": [r[2] for r in rows],
    }
    result = verify_table(RCHOP, table)
    q2 = sorted(i + 1 for i, r in enumerate(rows) if r[0] == "Q2")
    assert result.rejected["row"].to_pylist() == q2
    assert set(result.rejected["reason"].to_pylist()) == {
        "patient_id='Q2': prior_mg_m2 540.0 at cycle 2, then 0.0 at cycle 3; an exposure only grows: correct the file"
    }
    assert sorted(result.checked["patient_id"].to_pylist()) == ["Q3", "Q3"]


@pytest.mark.parametrize(
    "other, shown",
    [
        ("dl-2001", "'dl-2001'"),  # case
        ("DL-2001 ", "'DL-2001 '"),  # a trailing space of a spreadsheet cell
        ("DL-\u200b2001", "'DL-\\u200b2001'"),  # a zero-width space pasted from a web page
        ("ＤＬ-2001", "'ＤＬ-2001' ('\\uff24\\uff2c-2001')"),  # fullwidth letters of an East Asian input method
        ("DL_2001", "'DL_2001'"),  # an export's underscore for the dash
        ("\u0501L-2001", "'\u0501L-2001' ('\\u0501L-2001')"),  # a Cyrillic komi de, seen as a d
        ("D\u04cf-2001", "'D\u04cf-2001' ('D\\u04cf-2001')"),  # a Cyrillic palochka, seen as an l (lower-case L)
    ],
)
def test_ids_that_differ_only_in_how_they_are_written_reject_their_rows(other, shown):
    # written two ways, a patient's doxorubicin prior falls from 100 mg/m² to none between cycles unseen
    table = pa.table(
        {
            "patient_id": ["DL-2001", other, "DL-2002"],
            "drug": ["doxorubicin"] * 3,
            "ordered_mg": [92.0] * 3,
            "cycle": [2, 3, 2],
            "day": [1, 1, 1],
            "height_cm": [175.0] * 3,
            "weight_kg": [70.0] * 3,
            "prior_mg_m2": ["100", "", "0"],
        }
    )
    result = verify_table(RCHOP, table)
    assert result.rejected["row"].to_pylist() == [1, 2]
    assert set(result.rejected["reason"].to_pylist()) == {
        f"patient_id 'DL-2001' and {shown} differ only in case, spaces, dashes, invisible characters or "
        "look-alike letters: one patient or two? write each patient's id one way"
    }
    assert result.verified["row"].to_pylist() == [3]  # another patient's order is verified
    # one way of writing: the falling prior itself is seen
    same = verify_table(RCHOP, table.set_column(0, "patient_id", pa.array(["DL-2001", "DL-2001", "DL-2002"])))
    assert "an exposure only grows" in same.rejected["reason"][0].as_py()


def test_a_cycle_is_written_as_a_whole_number_and_a_missing_one_is_said_so():
    # "1e0" was cycle 1; an empty cell said "cycle=: expected a whole number"
    rows = {
        "patient_id": ["A", "B", "C", "D", "E"],
        "drug": ["doxorubicin"] * 5,
        "ordered_mg": [92.0] * 5,
        "cycle": ["1e0", "", "2.0", "x\u200b", None],
        "height_cm": [175.0] * 5,
        "weight_kg": [70.0] * 5,
    }
    result = verify_table(RCHOP, pa.table(rows))
    assert result.rejected["row"].to_pylist() == [1, 2, 4, 5]
    assert result.rejected["reason"].to_pylist() == [
        "cycle='1e0': expected a whole number, 1-999,999,999",
        "cycle is missing",
        "cycle='x\\u200b': expected a whole number, 1-999,999,999",
        "cycle is missing",
    ]
    assert result.checked["cycle"].to_pylist() == ["2.0"]


def test_a_baseline_weight_cell_is_refused_for_what_it_is():
    # "154 lb" in a kg column said "expected 0.2-700 kg" though 154 lb is 69.9 kg; an empty cell "=:"; a 0 printed
    # numpy's divide-by-zero warning on stderr
    import warnings

    rows = {
        "patient_id": ["A", "B", "C"],
        "drug": ["doxorubicin"] * 3,
        "ordered_mg": [92.0] * 3,
        "height_cm": [175.0] * 3,
        "weight_kg": [70.0] * 3,
        "baseline_weight_kg": ["154 lb", "0", ""],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = verify_table(RCHOP, pa.table(rows))
    assert result.rejected["reason"].to_pylist() == [
        "baseline_weight_kg='154 lb': expected the number alone: its unit, kg, is in the column's name",
        "baseline_weight_kg=0: expected 0.2-700 kg",
        "baseline_weight_kg is missing",
    ]
