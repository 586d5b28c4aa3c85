"""
A day's orders verified at once, by the vectorised engine.

:func:`verify_table` takes one row per ordered dose and gives each order its
independently computed dose, the difference, the verdict and the flags, by
the rules of :func:`dosecalc.verify.verify` (the same kernels), so that a
table's answers are the one-patient answers row by row. The doses are
computed by :meth:`dosecalc.order.Order.for_table` on the rows of each order
of the protocol at once.

Columns
-------
``drug``
    The drug as ordered (matched as :func:`~dosecalc.verify.verify` matches
    it: case aside, generic names only; ``"fluorouracil (bolus)"`` names one
    of two orders of a drug).
``ordered_<unit>`` or ``ordered`` with ``ordered_unit``
    The ordered dose: the unit in the column name (``ordered_mg``,
    ``ordered_mg_m2``, ``ordered_units``), or numbers in ``ordered`` and
    each row's unit as text in ``ordered_unit`` ("mg", "mg/m2").
``height_<unit>``, ``weight_<unit>``, ``sex``
    The patient's measurements today, as :func:`dosecalc.cohort.dose_table`
    reads them.
``cycle``, ``day`` (optional)
    Whole numbers: with ``day``, orders on a day the protocol does not give
    the drug are flagged.
``baseline_weight_<unit>`` (optional)
    The weight the treatment was planned with: a change of at least the
    threshold is flagged.
``prior_<unit>`` (optional)
    The exposure to the row's drug before this dose (``prior_mg_m2``), for
    the lifetime limits; an empty cell is no prior exposure.
``patient_id`` (optional)
    Who the order is for: with it, a drug ordered more often on one day than
    the protocol gives it is flagged ``duplicate_order``.

Every other column passes through. Each row is verified, flagged or
rejected, never dropped: ``rows in = verified + flagged + rejected``.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .cohort import _given_numbers
from .doses import DOSE_RANGES, read_dose
from .errors import DoseCalcError, MissingInputError, UnitError
from .units import parse_quantity, quantity, unit
from .validation import WEIGHT, valid
from .verify import (
    ANY_BASIS,
    FLAGS,
    VERDICTS,
    Setting,
    _known_conditions,
    _limit,
    _match,
    _plan,
    explains_kernel,
    lifetime_kernel,
    tolerance_setting,
    verdict_kernel,
    weight_change_kernel,
    weight_change_setting,
)

__all__ = ["verify_table", "VerifiedTable", "VERIFY_COLUMNS"]

#: The columns :func:`verify_table` adds to each verified or flagged row, in order.
VERIFY_COLUMNS = (
    "row", "computed_dose", "ordered_dose", "dose_unit", "difference_pct", "verdict", "flags", "detail",
    "weight_change_pct", "bsa_m2",
)


class VerifiedTable(NamedTuple):
    """
    :func:`verify_table`'s result: every input row in exactly one table.

    Attributes
    ----------
    verified : pyarrow.Table
        Orders within tolerance with nothing flagged.
    flagged : pyarrow.Table
        Orders outside the tolerance, flagged, or not verifiable.
    rejected : pyarrow.Table
        Rows that could not be read or dosed, with ``row`` and ``reason``.
    tolerance, weight_change : Setting
        The settings used, with their sources.
    """

    verified: pa.Table
    flagged: pa.Table
    rejected: pa.Table
    tolerance: Setting
    weight_change: Setting

    def summary(self) -> dict:
        """Rows by outcome and by verdict, with the settings and their sources."""
        checked = pa.concat_tables([self.verified.select(["verdict"]), self.flagged.select(["verdict"])])
        counts = dict(zip(*np.unique(checked["verdict"].to_numpy(zero_copy_only=False).astype(str), return_counts=True)))
        return {
            "rows": self.verified.num_rows + self.flagged.num_rows + self.rejected.num_rows,
            "verified": self.verified.num_rows,
            "flagged": self.flagged.num_rows,
            "rejected": self.rejected.num_rows,
            "verdicts": {verdict: int(counts.get(verdict, 0)) for verdict in VERDICTS},
            "tolerance": self.tolerance.to_dict(),
            "weight_change": self.weight_change.to_dict(),
        }

    @property
    def ok(self) -> bool:
        """Nothing flagged and nothing rejected."""
        return self.flagged.num_rows == 0 and self.rejected.num_rows == 0


def _canonical(name: str) -> str:
    return "_".join(re.findall(r"[^\W_]+", str(name).lower()))


def _column_unit(suffix: str, column: str, kind: str):
    """The unit named by a column-name suffix ("mg_m2" -> mg/m², "kg"), read by the grammar."""
    expression = re.sub(r"_per_|_", "/", suffix)
    return parse_quantity(f"1 {expression}", column, kind=kind).units


def _one(names, prefix: str, required: bool, needed_for: str) -> str | None:
    found = [name for name in names if _canonical(name).startswith(prefix + "_") or _canonical(name) == prefix]
    if len(found) > 1:
        raise DoseCalcError(f"several {prefix} columns: {', '.join(found)}; keep one")
    if not found and required:
        raise MissingInputError(f"a {prefix} column", needed_for)
    return found[0] if found else None


def _numbers_in(table: pa.Table, column: str, prefix: str, kind: str, base: str):
    """A numeric column named ``<prefix>_<unit>``, in ``base``; NaN where a cell is missing or not a number."""
    units = _column_unit(_canonical(column).removeprefix(prefix + "_"), column, kind)
    return quantity(_given_numbers(table[column]), units).m_as(unit(base))


def _to_limit(values: np.ndarray, basis: str, limit, bsa_m2: np.ndarray) -> np.ndarray:
    """Amounts in ``basis`` in the lifetime limit's unit: as they are, or by the patient's BSA; NaN if neither."""
    one, area, target = quantity(1.0, basis), quantity(1.0, "m**2"), limit.amount
    for candidate, by_bsa in ((one, 1.0), (one / area, 1.0 / bsa_m2), (one * area, bsa_m2)):
        if candidate.dimensionality == target.dimensionality:
            return values * candidate.m_as(target.units) * by_bsa
    return np.full(values.shape, np.nan)


class _Ordered(NamedTuple):
    amount: np.ndarray  # in the basis of each row, NaN where unreadable
    basis: np.ndarray  # the basis label of each row ("mg", "mg/m**2"), "" where unreadable
    reason: np.ndarray  # why a row is unreadable, None where readable


def _ordered(table: pa.Table) -> _Ordered:
    names = table.column_names
    n = table.num_rows
    if "ordered" in names:
        if "ordered_unit" not in names:
            raise MissingInputError("ordered_unit", "an 'ordered' column: each row's unit as text, or name it ordered_mg")
        units = pc.cast(table["ordered_unit"], pa.string())
        encoded = pc.dictionary_encode(units, null_encoding="encode").combine_chunks()
        factors, bases, reasons = [], [], []
        for text in encoded.dictionary.to_pylist():
            try:
                reading = parse_quantity(f"1 {text}", "ordered_unit", kind="dose")
                basis = read_dose(reading, "ordered_unit", allowed=ANY_BASIS)[1]
                factors.append(reading.m_as(unit(basis)))
                bases.append(basis)
                reasons.append(None)
            except (DoseCalcError, TypeError) as err:
                factors.append(np.nan)
                bases.append("")
                reasons.append(f"ordered_unit={text!r}: {err}" if text is not None else "ordered_unit is missing")
        index = encoded.indices.to_numpy(zero_copy_only=False)
        numbers = _given_numbers(table["ordered"]) * np.asarray(factors)[index]
        basis = np.asarray(bases, dtype=object)[index]
        unit_reason = np.asarray(reasons, dtype=object)[index]
        column = "ordered"
    else:
        columns = [name for name in names if _canonical(name).startswith("ordered_")]
        if len(columns) != 1:
            found = f"{len(columns)}: {', '.join(columns)}" if columns else "none"
            raise MissingInputError("an ordered dose column", f"verifying orders: one named ordered_mg, ordered_mg_m2, … ({found})")
        column = columns[0]
        reading = parse_quantity(f"1 {re.sub(r'_per_|_', '/', _canonical(column).removeprefix('ordered_'))}", column, kind="dose")
        one_basis = read_dose(reading, column, allowed=ANY_BASIS)[1]
        numbers = _given_numbers(table[column]) * reading.m_as(unit(one_basis))
        basis = np.full(n, one_basis, dtype=object)
        unit_reason = np.full(n, None, dtype=object)
    reason = unit_reason.copy()
    for one_basis in set(basis.tolist()) - {""}:
        rows = (basis == one_basis) & (unit_reason == None)  # noqa: E711 (elementwise)
        bad = rows & ~valid(numbers, DOSE_RANGES[one_basis])
        given = table[column].to_numpy(zero_copy_only=False)
        for row in np.flatnonzero(bad):
            cell = given[row]
            if cell is None or (isinstance(cell, float) and np.isnan(cell)) or (isinstance(cell, str) and not cell.strip()):
                reason[row] = f"{column} is missing"
            elif np.isnan(numbers[row]):
                reason[row] = f"{column}={cell!s}: expected a number"
            else:
                reason[row] = f"{column}={cell!s}: expected {DOSE_RANGES[one_basis].expected}"
    return _Ordered(np.where(reason == None, numbers, np.nan), np.where(reason == None, basis, ""), reason)  # noqa: E711


def _flags_column(flags: dict[str, np.ndarray], n: int) -> pa.Array:
    """The codes of each row's flags joined by ';' ('' for none), dictionary-encoded by the set of flags."""
    codes = list(flags)
    bits = np.zeros(n, np.int32)
    for position, code in enumerate(codes):
        bits |= np.asarray(flags[code], bool).astype(np.int32) << position
    names = [";".join(code for position, code in enumerate(codes) if word >> position & 1) for word in range(1 << len(codes))]
    return pa.DictionaryArray.from_arrays(pa.array(bits), pa.array(names, pa.string()))


def verify_table(
    protocol_or_order, orders, *, tolerance=None, weight_change=None, conditions=(), method="mosteller",
    row_offset: int = 0,
) -> VerifiedTable:
    """
    Verify a table of ordered doses, one row per ordered dose.

    Parameters
    ----------
    protocol_or_order : Protocol, Order, str or Quantity
        As for :func:`dosecalc.verify.verify`.
    orders : pyarrow.Table, DataFrame or dict of arrays
        One row per ordered dose; columns as the module docstring says.
    tolerance, weight_change, conditions, method
        As for :func:`dosecalc.verify.verify`.
    row_offset : int, default 0
        Rows before this batch; rows are numbered from ``row_offset + 1``.

    Returns
    -------
    VerifiedTable
        ``verified``, ``flagged`` (each input column, then
        :data:`VERIFY_COLUMNS`: ``row``, the ``computed_dose`` and
        ``ordered_dose`` in ``dose_unit``, ``difference_pct``, ``verdict``,
        ``flags`` as codes joined by ";", ``detail`` (why an order is not
        verifiable), ``weight_change_pct`` and
        ``bsa_m2``, null where they do not apply) and ``rejected`` (each input
        column, ``row`` and ``reason``), in input order.

    Raises
    ------
    DoseCalcError
        If the table cannot be verified at all: no drug or ordered-dose
        column, a column's unit outside the grammar, a setting outside its
        range.
    """
    plan = _plan(protocol_or_order, None)
    tolerance = tolerance_setting(tolerance)
    threshold = weight_change_setting(weight_change)
    conditions = _known_conditions(plan, conditions)
    try:
        table = pa.table(orders)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise DoseCalcError(f"orders: {'; '.join(map(str, err.args))}; give each column one type") from None
    names = table.column_names
    taken = [name for name in names if name in VERIFY_COLUMNS + ("reason",)]
    if taken:
        raise DoseCalcError(f"the orders have a column named {taken[0]!r}, which verification writes; rename it")
    if "drug" not in names:
        raise MissingInputError("a drug column", "verifying orders")
    n = table.num_rows
    ordered = _ordered(table)
    reason = ordered.reason.copy()
    day = None if "day" not in names else _given_numbers(table["day"])
    cycle = None if "cycle" not in names else _given_numbers(table["cycle"])
    prior_column = _one(names, "prior", False, "")
    if prior_column is not None:
        cells = pc.utf8_trim_whitespace(pc.cast(table[prior_column], pa.string()))
        empty = pc.fill_null(pc.equal(cells, ""), True).to_numpy(zero_copy_only=False)
        prior = _given_numbers(table[prior_column])
        with np.errstate(invalid="ignore"):
            unreadable = ~empty & ~((prior >= 0) & np.isfinite(prior))
        for row in np.flatnonzero(unreadable & (reason == None)):  # noqa: E711
            reason[row] = f"{prior_column}={cells[row].as_py()}: expected an exposure ≥ 0, or an empty cell for none"
    for label, values, high in (("day", day, plan.cycle_days), ("cycle", cycle, None)):
        if values is None:
            continue
        whole = (values >= 1) & (values == np.floor(values)) & ((values <= high) if high else True)
        for row in np.flatnonzero(~whole & (reason == None)):  # noqa: E711
            expected = "a whole number ≥ 1" if high is None else f"a whole number, 1-{high}"
            reason[row] = f"{label}={table[label][row].as_py()!s}: expected {expected}"

    # which order of the plan each row's drug is: once per distinct name (and day, where it decides)
    drugs = pc.dictionary_encode(pc.cast(table["drug"], pa.string()), null_encoding="encode").combine_chunks()
    name_index = drugs.indices.to_numpy(zero_copy_only=False)
    item = np.full(n, -1)
    verdict = np.full(n, "", dtype=object)
    why = np.full(n, None, dtype=object)
    for code, name in enumerate(drugs.dictionary.to_pylist()):
        rows = name_index == code
        index, not_matched, because = _match(name, plan, None)
        if not_matched == "ambiguous" and day is not None:
            for one_day in np.unique(day[rows & ~np.isnan(day)]):
                on_day = rows & (day == one_day)
                index_day, not_day, because_day = _match(name, plan, int(one_day))
                item[on_day], verdict[on_day], why[on_day] = -1 if index_day is None else index_day, not_day or "", because_day
            continue
        item[rows], verdict[rows], why[rows] = -1 if index is None else index, not_matched or "", because

    computed = np.full(n, np.nan)
    bsa = np.full(n, np.nan)
    explained = {"cap_explains": np.zeros(n, bool), "rounding_explains": np.zeros(n, bool)}
    before_cap, before_rounding = np.full(n, np.nan), np.full(n, np.nan)
    scheduled = np.ones(n, bool)
    lifetime = np.zeros(n, bool)
    weight_column = _one(names, "weight", False, "")
    measured = [
        name for name in names
        if _canonical(name).startswith(("height_", "weight_")) or _canonical(name) == "sex"
    ]
    for index, entry in enumerate(plan.items):
        rows = np.flatnonzero((item == index) & (reason == None))  # noqa: E711
        if rows.size == 0:
            continue
        order = entry.order
        in_basis = ordered.basis[rows] == order.basis
        absolute = ordered.basis[rows] == order.amount_unit
        basis_rows = rows[in_basis]
        computed[basis_rows] = order.prescribed.magnitude
        other = rows[~in_basis & ~absolute]
        verdict[other] = "not_comparable"
        why[other] = [
            f"ordered in {unit(basis):~P}; the protocol doses {entry.label} in {order.dose.units:~P} "
            f"({order.amount_unit} once computed): order it in {order.amount_unit} or {order.dose.units:~P}"
            for basis in ordered.basis[other]
        ]
        subset = table.select(measured).take(pa.array(rows))
        try:
            dosed, rejects = order.for_table(subset, method=method)
        except MissingInputError as err:
            absolute_rows = rows[absolute]
            verdict[absolute_rows], why[absolute_rows] = "missing_input", str(err)
            continue
        except DoseCalcError as err:
            reason[rows] = f"{entry.label}: {err}"
            continue
        rejected_rows = rows[rejects["row"].to_numpy() - 1]
        reason[rejected_rows] = [f"{entry.label}: {text}" for text in rejects["reason"].to_pylist()]
        dosed_rows = rows[dosed["row"].to_numpy() - 1]
        bsa_column = "bsa_uncapped_m2" if "bsa_uncapped_m2" in dosed.column_names else "bsa_m2"
        bsa[dosed_rows] = dosed[bsa_column].to_numpy(zero_copy_only=False)
        is_absolute = ordered.basis[dosed_rows] == order.amount_unit
        final = dosed[f"final_dose_{order.amount_unit}"].to_numpy(zero_copy_only=False)
        computed[dosed_rows[is_absolute]] = final[is_absolute]
        if "dose_uncapped_mg" in dosed.column_names:
            before_cap[dosed_rows] = dosed["dose_uncapped_mg"].to_numpy(zero_copy_only=False)
        if f"final_dose_{order.amount_unit}" != f"dose_{order.amount_unit}":
            calculated = dosed[f"dose_{order.amount_unit}"].to_numpy(zero_copy_only=False)
            before_rounding[dosed_rows] = np.where(calculated != final, calculated, np.nan)
        if entry.days is not None and day is not None:
            scheduled[rows] = np.isin(day[rows], entry.days)
            if cycle is not None and plan.cycles is not None:
                scheduled[rows] &= ~(cycle[rows] > plan.cycles)
        limit = _limit(plan, order.drug, conditions)
        if limit is not None:
            lifetime[rows] = _lifetime(table, rows, ordered, limit, bsa[rows])

    comparable = ~np.isnan(computed) & (reason == None)  # noqa: E711
    difference = np.full(n, np.nan)
    difference[comparable], verdict[comparable] = verdict_kernel(computed[comparable], ordered.amount[comparable], tolerance.value)
    outside = comparable & (verdict != "within_tolerance")
    with np.errstate(invalid="ignore"):
        explained["cap_explains"] = outside & ~np.isnan(before_cap) & explains_kernel(before_cap, computed, ordered.amount, tolerance.value)
        explained["rounding_explains"] = outside & ~np.isnan(before_rounding) & explains_kernel(
            before_rounding, computed, ordered.amount, tolerance.value
        )
    flags = {}
    change = np.full(n, np.nan)
    if _one(names, "baseline_weight", False, "") is not None:
        if weight_column is None:
            raise MissingInputError("a weight column", "the weight change from baseline_weight")
        baseline_column = _one(names, "baseline_weight", False, "")
        baseline = _numbers_in(table, baseline_column, "baseline_weight", "weight", "kg")
        weight = _numbers_in(table, weight_column, "weight", "weight", "kg")
        readable = valid(baseline, WEIGHT)
        for row in np.flatnonzero(~readable & (reason == None)):  # noqa: E711
            reason[row] = f"{baseline_column}={table[baseline_column][row].as_py()!s}: expected {WEIGHT.expected}"
        with np.errstate(invalid="ignore"):
            change, changed = weight_change_kernel(weight, baseline, threshold.value)
        flags["weight_change"] = np.asarray(changed) & readable
        change = np.where(readable & valid(weight, WEIGHT), change, np.nan)
    flags.update(explained)
    flags["lifetime_limit"] = lifetime
    flags["not_scheduled"] = (item >= 0) & ~scheduled
    flags["duplicate_order"] = _duplicates(table, item, day, cycle, plan)
    keep = (reason == None)  # noqa: E711
    flags = {code: np.asarray(mask, bool) & keep for code, mask in flags.items() if code in FLAGS}
    return _tables(table, keep, reason, verdict, why, computed, ordered, difference, flags, change, bsa,
                   row_offset, tolerance, threshold)


def _lifetime(table: pa.Table, rows: np.ndarray, ordered: _Ordered, limit, bsa_m2: np.ndarray) -> np.ndarray:
    """Where this dose with the prior exposure (``prior_<unit>``, empty: none) reaches the lifetime limit."""
    this = np.full(rows.size, np.nan)
    for basis in set(ordered.basis[rows].tolist()) - {""}:
        same = ordered.basis[rows] == basis
        this[same] = _to_limit(ordered.amount[rows][same], basis, limit, bsa_m2[same])
    prior = np.zeros(rows.size)
    column = _one(table.column_names, "prior", False, "")
    if column is not None:
        reading = _column_unit(_canonical(column).removeprefix("prior_"), column, "dose")
        given = _given_numbers(table[column].take(pa.array(rows)))
        prior = np.where(np.isnan(given), 0.0, _to_limit(given, f"{reading}", limit, bsa_m2))
    with np.errstate(invalid="ignore"):
        return np.asarray(lifetime_kernel(prior, this, limit.amount.magnitude)[1]) & ~np.isnan(this)


def _duplicates(table: pa.Table, item: np.ndarray, day, cycle, plan) -> np.ndarray:
    """Where a patient's drug is ordered more often on a day than the protocol gives it."""
    n = table.num_rows
    if "patient_id" not in table.column_names or n == 0:
        return np.zeros(n, bool)
    patient = pc.dictionary_encode(pc.cast(table["patient_id"], pa.string())).combine_chunks().indices.to_numpy(zero_copy_only=False)
    keys = np.stack([
        patient, item,
        np.zeros(n) if day is None else np.nan_to_num(day, nan=-1), np.zeros(n) if cycle is None else np.nan_to_num(cycle, nan=-1),
    ])
    _, inverse, counts = np.unique(keys, axis=1, return_inverse=True, return_counts=True)
    per_day = np.array([entry.times_per_day for entry in plan.items] + [1])[item]
    return (item >= 0) & (counts[inverse.ravel()] > per_day)


def _unit_labels(basis: np.ndarray) -> pa.Array:
    """Each row's ordered unit as dosecalc writes it ("mg", "mg/m²"), null where unreadable."""
    labels, index = np.unique(basis.astype(str), return_inverse=True)
    shown = [None if label == "" else f"{unit(label):~P}" for label in labels.tolist()]
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), pa.array(shown, pa.string())).cast(pa.string())


def _tables(table, keep, reason, verdict, why, computed, ordered, difference, flags, change, bsa, row_offset,
            tolerance, threshold) -> VerifiedTable:
    n = table.num_rows
    rows = np.arange(row_offset + 1, row_offset + 1 + n, dtype=np.int64)
    flagged_any = np.zeros(n, bool)
    for mask in flags.values():
        flagged_any |= mask
    ok = keep & (verdict == "within_tolerance") & ~flagged_any
    columns: dict[str, Any] = {
        "row": pa.array(rows),
        "computed_dose": pa.array(computed, from_pandas=True),
        "ordered_dose": pa.array(ordered.amount, from_pandas=True),
        "dose_unit": _unit_labels(ordered.basis),
        "difference_pct": pa.array(difference, from_pandas=True),
        "verdict": pa.array(verdict.astype(str), pa.string()).dictionary_encode(),
        "flags": _flags_column(flags, n),
        "detail": pa.array(why, pa.string()),
        "weight_change_pct": pa.array(np.asarray(change, dtype=float), from_pandas=True),
        "bsa_m2": pa.array(bsa, from_pandas=True),
    }
    out = table
    for name, column in columns.items():
        out = out.append_column(name, column)
    rejected = table.filter(pa.array(~keep)).append_column("row", pa.array(rows[~keep])).append_column(
        "reason", pa.array(reason[~keep].tolist(), pa.string())
    )
    return VerifiedTable(out.filter(pa.array(ok)), out.filter(pa.array(keep & ~ok)), rejected, tolerance, threshold)
