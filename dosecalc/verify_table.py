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
    each row's unit as text in ``ordered_unit`` ("mg", "mg/m2"; a carboplatin
    order's target AUC as "mg/mL*min").
``height_<unit>``, ``weight_<unit>``, ``sex``
    The patient's measurements today, as :func:`dosecalc.cohort.dose_table`
    reads them (the sex column as one column: beside an ``H`` in any row, the
    ``M`` of a row whose order reads the sex is rejected as ambiguous,
    hombre/mujer); for a carboplatin AUC, the kidney columns
    :meth:`dosecalc.order.Order.for_table` reads (``age_years`` and
    ``creatinine_mg_dl``, or ``gfr_ml_min``, ...). Two columns of one input
    (``height_cm`` and ``height_in``) are refused.
``cycle``, ``day`` (optional)
    Whole numbers: orders in a cycle past the protocol's are flagged, with a
    ``day`` column or without one; with ``day``, orders on a day the protocol
    does not give the drug are flagged.
``baseline_weight_<unit>`` (optional)
    The weight the treatment was planned with: a change of at least the
    threshold is flagged; one that with the row's height describes no body
    rejects the row.
``prior_<unit>`` (optional)
    The exposure to the row's drug before this dose (``prior_mg_m2``), for
    the lifetime limits; an empty cell is no prior exposure. The column names
    no drug: a prior on the row of a drug without a lifetime limit rejects
    the row (whose exposure is it?). With ``patient_id``, the patient's
    earlier orders of the drug in the file (by cycle, day, then row) are
    counted too: the exposure before an order is the largest of its prior
    and each earlier order's prior with the doses from it on, so a prior
    that was not brought up to date (0 at cycle 2, after cycle 1's order in
    the file) does not hide the limit; the row's ``detail`` says so.
``condition`` (optional)
    The patient's named conditions that select a lower lifetime limit
    (``mediastinal-radiotherapy``), as ``conditions`` does for every row:
    empty for none, or names separated by ``,`` or ``;``. With
    ``patient_id``, a condition on any row of a patient is the patient's,
    on every row (the ``detail`` of a row whose own cell is empty says so),
    and a cell that is none rejects every row of its patient.
``patient_id`` (optional)
    Who the order is for: with the column, a row without an id (empty,
    spaces, null) is rejected, ``patient_id is missing``; a drug ordered more
    often on one day than the protocol gives it is flagged
    ``duplicate_order``, and the rows of a
    patient's day that give the patient two values of one input (two
    heights, two sexes) are rejected: which is the patient's? Ids that differ
    only in case, spaces, dashes or invisible characters ("P001", "p001 ") reject
    their rows: one patient or two?

Every other column passes through. Each row is verified, flagged or
rejected, never dropped: ``rows in = verified + flagged + rejected``.
"""

from __future__ import annotations

import datetime
import difflib
import os
import re
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .adjustments import difference_pct
from .carboplatin import AUC
from .cohort import (
    _named_units,
    canonical_name,
    given_numbers,
    read_two_ways,
    sexes_of,
    streamed_sex_codes,
    two_readings_reason,
)
from .doses import DOSE_RANGES, read_dose
from .errors import DoseCalcError, MissingInputError, closest_name
from .frames import is_text, refuse_written_columns
from .grammar import as_compared, escaped, number_slip
from .order import AUC_BASIS
from .units import parse_quantity, quantity, unit
from .validation import HEIGHT, WEIGHT, checked_flag, implausible_bodies, not_a_body, valid
from .verify import (
    ANY_BASIS,
    FLAGS,
    MAX_CYCLE,
    VERDICTS,
    Setting,
    above_maximum_kernel,
    above_maximum_reason,
    capped_order_reason,
    condition_names,
    explains_kernel,
    known_conditions,
    lifetime_kernel,
    limit_of,
    match_drug,
    maximum_of,
    not_comparable_reason,
    schedule_flag,
    to_limit_kernel,
    tolerance_setting,
    verdict_codes,
    verification_plan,
    weight_change_kernel,
    weight_change_setting,
)

__all__ = ["VERIFY_COLUMNS", "VerifiedTable", "verify_file", "verify_table"]

#: The columns :func:`verify_table` adds to each verified or flagged row, in order.
VERIFY_COLUMNS = (
    "row",
    "computed_dose",
    "ordered_dose",
    "dose_unit",
    "difference_pct",
    "verdict",
    "flags",
    "detail",
    "weight_change_pct",
    "bsa_m2",
    "ok",
)


class VerifiedTable(NamedTuple):
    """
    :func:`verify_table`'s result: every input row checked or rejected.

    Attributes
    ----------
    checked : pyarrow.Table
        Every order that could be read and dosed, in input order, with
        :data:`VERIFY_COLUMNS`; ``ok`` is True where it is within tolerance
        with nothing flagged.
    rejected : pyarrow.Table
        Rows that could not be read or dosed, with ``row`` and ``reason``.
    not_ordered : pyarrow.Table
        The doses the protocol gives on a patient's day and nobody ordered
        (``patient_id``, ``cycle``, ``day``, ``drug``, ``note``); with
        ``patient_id`` and ``day`` columns, else empty. Not rows of the input.
    tolerance, weight_change : Setting
        The settings used, with their sources.
    provenance : dict or None
        A file run's record (:func:`verify_file`), as written with its
        files; None for a table.
    """

    checked: pa.Table
    rejected: pa.Table
    not_ordered: pa.Table
    tolerance: Setting
    weight_change: Setting
    provenance: dict | None = None

    @property
    def verified(self) -> pa.Table:
        """The orders within tolerance with nothing flagged."""
        return self.checked.filter(self.checked["ok"])

    @property
    def flagged(self) -> pa.Table:
        """The orders outside the tolerance, flagged, or not verifiable: what a pharmacist must look at."""
        return self.checked.filter(pc.invert(self.checked["ok"]))

    def summary(self) -> dict:
        """
        Rows by outcome (rows = verified + flagged + rejected), by verdict
        (``not_ordered``: the doses due and not ordered, which are no rows) and
        by flag, with the settings and their sources (and a file run's
        ``provenance``).
        """
        verdicts = self.checked["verdict"].combine_chunks()
        counts = np.bincount(verdicts.indices.to_numpy(zero_copy_only=False), minlength=len(VERDICTS))
        verified = int(pc.sum(self.checked["ok"]).as_py() or 0)
        flags = self.checked["flags"].combine_chunks()
        sets = np.bincount(flags.indices.to_numpy(zero_copy_only=False), minlength=len(flags.dictionary))
        flagged = dict.fromkeys(FLAGS, 0)
        for names, count in zip(flags.dictionary.to_pylist(), sets.tolist()):
            for code in filter(None, names.split(";")):
                flagged[code] += count
        return {
            "rows": self.checked.num_rows + self.rejected.num_rows,
            "verified": verified,
            "flagged": self.checked.num_rows - verified,
            "rejected": self.rejected.num_rows,
            "verdicts": {
                verdict: self.not_ordered.num_rows if verdict == "not_ordered" else int(count)
                for verdict, count in zip(VERDICTS, counts)
            },
            "flags": flagged,
            "tolerance": self.tolerance.to_dict(),
            "weight_change": self.weight_change.to_dict(),
            **({} if self.provenance is None else {"provenance": self.provenance}),
        }

    @property
    def ok(self) -> bool:
        """Nothing flagged, nothing rejected, nothing due left unordered."""
        return (
            self.rejected.num_rows == 0
            and self.not_ordered.num_rows == 0
            and bool(pc.all(self.checked["ok"]).as_py() is not False)
        )


def _column_unit(suffix: str, column: str, kind: str):
    """The unit named by a column-name suffix ("mg_m2" -> mg/m², "kg"), read by the grammar."""
    expression = re.sub(r"_per_|_", "/", suffix)
    return parse_quantity(f"1 {expression}", column, kind=kind).units


def _one(names, prefix: str) -> str | None:
    """The one column named ``<prefix>`` or ``<prefix>_<unit>``, None if there is none; two are refused."""
    found = [name for name in names if canonical_name(name).startswith(prefix + "_") or canonical_name(name) == prefix]
    if len(found) > 1:
        raise DoseCalcError(f"several {prefix} columns: {', '.join(found)}; keep one")
    return found[0] if found else None


def _names_kind(name: str, kind: str) -> bool:
    """
    Whether a column's name says it holds ``kind`` in a unit the engine reads (``height_in``,
    ``age_years``), by the engine's own tests: the column the dose computation reads.
    """
    if kind == "sex":
        return canonical_name(name) == kind
    if kind in _KIDNEY:  # the kidney's: a closed table of units
        from .renal_table import _named

        return _named(kind, name) is not None
    return _named_units(name, kind) is not None


def _refuse_two_of_a_kind(names) -> None:
    """Refuse two columns of one of the patient's inputs (``height_cm`` and ``height_in``): which is the patient's?"""
    for kind in ("height", "weight", "sex", *_KIDNEY):
        found = [name for name in names if _names_kind(name, kind)]
        if found:  # a "Height" beside height_cm is a second height, whatever its unit (as a cohort's)
            found += [name for name in names if canonical_name(name) == kind and name not in found]
        if len(found) > 1:
            raise DoseCalcError(f"several {kind} columns: {', '.join(found)}; keep one")


def _numbers(column: str, values, decimal_comma: bool = False) -> np.ndarray:
    """A column's numbers (:func:`dosecalc.cohort.given_numbers`); a column of another type is refused by its name."""
    try:
        return given_numbers(values, decimal_comma)
    except DoseCalcError as err:  # "column holds bool, not numbers": which column?
        raise DoseCalcError(f"{column}: {err}") from None


def _numbers_in(table: pa.Table, column: str, prefix: str, kind: str, base: str, decimal_comma: bool = False):
    """A numeric column named ``<prefix>_<unit>``, in ``base``; NaN where a cell is missing or not a number."""
    units = _column_unit(canonical_name(column).removeprefix(prefix + "_"), column, kind)
    return quantity(_numbers(column, table[column], decimal_comma), units).m_as(unit(base))


class _Texts:
    """Texts for some rows (why a row is rejected, why an order is not verifiable), kept once each, coded per row."""

    def __init__(self, n: int):
        self.code = np.full(n, -1, np.int32)
        self.texts: list[str] = []

    @property
    def given(self) -> np.ndarray:
        return self.code >= 0

    @property
    def none(self) -> bool:
        """Whether no row has a text: one pass, no mask."""
        return not self.texts

    def add(self, rows, texts) -> None:
        """Give ``rows`` (indices) a text each, or one text for all; rows that have one keep theirs."""
        rows = np.asarray(rows, dtype=np.int64)
        fresh = self.code[rows] < 0
        if isinstance(texts, str):
            if fresh.any():
                self.code[rows[fresh]] = len(self.texts)
                self.texts.append(texts)
            return
        chosen = [text for text, keep in zip(texts, fresh.tolist()) if keep]
        self.code[rows[fresh]] = len(self.texts) + np.arange(len(chosen), dtype=np.int32)
        self.texts.extend(chosen)

    def column(self, keep: np.ndarray | None) -> pa.Array:
        """The texts of the rows of ``keep`` (all rows if None), dictionary-encoded; null where a row has none."""
        codes = self.code if keep is None else self.code[keep]
        return pa.DictionaryArray.from_arrays(_indices(codes, pa.int32()), pa.array(self.texts or [""], pa.string()))


def _indices(codes: np.ndarray, kind: pa.DataType) -> pa.Array:
    """Dictionary indices, null where a code is negative; most columns are all null or have none."""
    missing = codes < 0
    if not missing.any():
        return pa.array(codes, kind)
    if missing.all():
        return pa.nulls(codes.size, kind)
    return pa.array(np.maximum(codes, 0), kind, mask=missing)


class _Ordered(NamedTuple):
    amount: np.ndarray  # in the basis of each row, NaN where unreadable
    basis: np.ndarray  # index of each row's basis in ``bases``, -1 where unreadable
    bases: tuple  # basis labels ("mg", "mg/m**2", "units")

    def code(self, basis: str) -> int:
        return self.bases.index(basis) if basis in self.bases else -2


def _ordered(table: pa.Table, rejects: _Texts, decimal_comma: bool = False) -> _Ordered:
    names = table.column_names
    if "ordered" in names:
        also = [
            name
            for name in names
            if canonical_name(name).startswith("ordered_") and canonical_name(name) != "ordered_unit"
        ]
        if also:  # two readings of one dose: which is the order? never one of them silently
            raise DoseCalcError(
                f"{', '.join(also)} and ordered (with ordered_unit): both give the ordered dose; keep one"
            )
        if "ordered_unit" not in names:
            raise MissingInputError(
                "ordered_unit", "an 'ordered' column: each row's unit as text, or name it ordered_mg"
            )
        encoded = pc.dictionary_encode(
            pc.cast(table["ordered_unit"], pa.string()), null_encoding="encode"
        ).combine_chunks()
        factors: list[float] = []
        codes: list[int] = []
        bases: list[str] = []
        unreadable: list[str | None] = []
        for text in encoded.dictionary.to_pylist():
            try:
                reading = parse_quantity(f"1 {text}", "ordered_unit", kind=("dose", "auc"))
                basis = (  # a carboplatin order as its target AUC, as --ordered carboplatin=5mg/mL*min
                    AUC_BASIS
                    if reading.check("[mass] * [time] / [length] ** 3")
                    else read_dose(reading, "ordered_unit", allowed=ANY_BASIS)[1]
                )
            except (DoseCalcError, TypeError) as err:
                factors.append(np.nan)
                codes.append(-1)
                unreadable.append(
                    "ordered_unit is missing" if text is None or not text.strip() else _unit_refused(text, err)
                )
                continue
            factors.append(reading.m_as(unit(basis)))
            bases += [] if basis in bases else [basis]
            codes.append(bases.index(basis))
            unreadable.append(None)
        index = encoded.indices.to_numpy(zero_copy_only=False)
        basis = np.asarray(codes, np.int8)[index]
        for code, text in enumerate(unreadable):
            if text is not None:
                rejects.add(np.flatnonzero(index == code), text)
        column, factor = "ordered", np.asarray(factors)[index]
    else:
        columns = [name for name in names if canonical_name(name).startswith("ordered_")]
        if len(columns) != 1:
            found = f"{len(columns)}: {', '.join(columns)}" if columns else "none"
            raise MissingInputError(
                "an ordered dose column", f"verifying orders: one named ordered_mg, ordered_mg_m2, … ({found})"
            )
        column = columns[0]
        reading = quantity(1.0, _column_unit(canonical_name(column).removeprefix("ordered_"), column, "dose"))
        bases = [read_dose(reading, column, allowed=ANY_BASIS)[1]]
        basis, factor = np.zeros(table.num_rows, np.int8), reading.m_as(unit(bases[0]))
    amount = _numbers(column, table[column], decimal_comma)
    # "1.500": 1.5, or 1500 where the full stop separates thousands; with a decimal comma, "1,500"
    two = read_two_ways(table[column], decimal_comma)
    if two is not None and two.any():
        rows = np.flatnonzero(two)
        rejects.add(
            rows, [two_readings_reason(column, cell) for cell in table[column].take(pa.array(rows)).to_pylist()]
        )
        amount = np.where(two, np.nan, amount)
    if not np.all(factor == 1.0):  # a column in mg needs no product
        amount = amount * factor
    if len(bases) == 1:  # one basis: every readable row is in it
        readable = valid(amount, _RANGES[bases[0]]) & (basis == 0)
    else:
        readable = np.zeros(table.num_rows, bool)
        for code, label in enumerate(bases):
            readable |= (basis == code) & valid(amount, _RANGES[label])
    bad = np.flatnonzero(~readable & (basis >= 0) & (True if two is None else ~two))  # those said already
    if bad.size:
        cells = table[column].take(pa.array(bad)).to_pylist()
        texts = []
        for row, cell in zip(bad.tolist(), cells):
            if (
                cell is None
                or (isinstance(cell, float) and np.isnan(cell))
                or (isinstance(cell, str) and not cell.strip())
            ):
                texts.append(f"{column} is missing")
            elif np.isnan(amount[row]):
                slip = number_slip(cell.strip(" ")) if isinstance(cell, str) and not decimal_comma else None
                shown = escaped(cell) if isinstance(cell, str) else f"{cell!s}"
                number = "a number with a decimal comma, such as 92,5" if decimal_comma else "a number"
                texts.append(f"{column}={shown}: expected {number}" + ("" if slip is None else f"; {slip}"))
            else:
                texts.append(f"{column}={cell!s}: expected {_RANGES[bases[basis[row]]].expected}")
        rejects.add(bad, texts)
    if readable.all():
        return _Ordered(amount, basis, tuple(bases))
    return _Ordered(np.where(readable, amount, np.nan), np.where(readable, basis, -1).astype(np.int8), tuple(bases))


def _unit_refused(text: str, err: Exception) -> str:
    """Why a cell of ``ordered_unit`` is not a dose unit, with the lower-case spelling where that is one."""
    hint = getattr(err, "hint", None) or ""
    if not hint and text != text.lower():
        try:
            parse_quantity(f"1 {text.lower()}", "ordered_unit", kind="dose")
            hint = f"did you mean {text.lower()!r}? (units are case-sensitive)"
        except DoseCalcError:
            pass
    return (
        f"ordered_unit={text!r}: expected a dose unit such as mg, mg/m2, mg/kg, units or units/m2, or an AUC in mg/mL*min"
        + (f"; {hint}" if hint else "")
    )


def _flags_column(flags: dict[str, np.ndarray], keep: np.ndarray | None) -> pa.Array:
    """The codes of each row's flags joined by ';' ('' for none), dictionary-encoded by the set of flags."""
    codes = list(flags)
    bits = np.zeros(next(iter(flags.values())).size, np.uint8)
    for position, code in enumerate(codes):
        if flags[code].any():  # most flags are raised nowhere
            bits |= flags[code].view(np.uint8) << position
    names = [
        ";".join(code for position, code in enumerate(codes) if word >> position & 1) for word in range(1 << len(codes))
    ]
    return pa.DictionaryArray.from_arrays(pa.array(bits if keep is None else bits[keep]), pa.array(names, pa.string()))


def _whole_numbers(
    table: pa.Table, column: str, high, rejects: _Texts, decimal_comma: bool = False
) -> np.ndarray | None:
    """A cycle or day column as whole numbers (0 where a cell is not one, in range; those rows rejected)."""
    if column not in table.column_names:
        return None
    given = table[column]
    if pa.types.is_integer(given.type) and given.null_count == 0:
        values = given.to_numpy()
        whole = values >= 1
    else:
        numbers = _numbers(column, given, decimal_comma)
        with np.errstate(invalid="ignore"):
            whole = (numbers >= 1) & (numbers == np.floor(numbers)) & (numbers < 2**53)
        if is_text(given.type):  # written as a whole number: "2" or "2.0", not "2e0"
            written = pc.match_substring_regex(pc.utf8_trim(given, " "), r"^[0-9]+([.,]0+)?$")
            whole &= pc.fill_null(written, False).to_numpy(zero_copy_only=False)
        values = np.where(whole, numbers, 0).astype(np.int64)
    if high is not None:
        whole &= values <= high
    bad = np.flatnonzero(~whole)
    if bad.size:
        expected = "a whole number ≥ 1" if high is None else f"a whole number, 1-{high:,}"
        cells = given.take(pa.array(bad)).to_pylist()
        rejects.add(
            bad,
            [
                f"{column} is missing"
                if _blank_cell(cell)
                else f"{column}={escaped(cell) if isinstance(cell, str) else cell}: expected {expected}"
                for cell in cells
            ],
        )
        values = np.where(whole, values, 0)
    return values


def _blank_cell(cell) -> bool:
    """Whether a cell holds nothing: missing, empty or ASCII spaces alone (said "is missing", not "=: expected")."""
    return cell is None or (isinstance(cell, str) and not cell.strip(" "))


def _prior_checked(table: pa.Table, rejects: _Texts, decimal_comma: bool = False) -> np.ndarray | None:
    """Reject rows whose prior exposure is given but not a number from 0 to the highest dose of its basis, as for
    one patient's --prior (1e9 mg/m² is a slip, not an exposure); an empty cell is none. The numbers read (NaN
    where a cell is none or not a number), None without a prior column."""
    column = _one(table.column_names, "prior")
    if column is None:
        return None
    units = _column_unit(canonical_name(column).removeprefix("prior_"), column, "dose")
    rng = DOSE_RANGES[read_dose(quantity(1.0, units), column, allowed=ANY_BASIS)[1]]
    cells = pc.utf8_trim(pc.cast(table[column], pa.string()), " ")  # spaces only: a no-break space is no blank
    empty = pc.fill_null(pc.equal(cells, ""), True).to_numpy(zero_copy_only=False)
    prior = _numbers(column, table[column], decimal_comma)
    with np.errstate(invalid="ignore"):
        in_range = (prior >= 0) & (quantity(prior, units).m_as(unit(rng.unit)) <= rng.high)
        bad = np.flatnonzero(~empty & ~in_range)
    if bad.size:
        texts = cells.take(pa.array(bad)).to_pylist()
        expected = f"an exposure of 0-{rng.high:g} {rng.label}, or an empty cell for none"
        rejects.add(bad, [f"{column}={text}: expected {expected}" for text in texts])
    return prior


#: The names of the column of each row's conditions, one at most.
CONDITION_COLUMNS = ("condition", "conditions")


def _refuse_near_misses(names) -> None:
    """
    Refuse a column named nearly as an optional input a verification reads, which it would pass over unread: a
    prior exposure as ``priors_mg_m2`` or ``cumulative_mg_m2`` (its lifetime limit checked without it), a
    condition as ``conditon`` or ``mediastinal_radiotherapy`` (the standard limit applied instead of the lower).
    """
    for name in names:
        key = canonical_name(name)
        if key in CONDITION_COLUMNS or key == "prior" or key.startswith("prior_"):
            continue
        if key.startswith(("prior", "cumulative", "previous_dose", "previous_exposure")):
            raise DoseCalcError(
                f"orders: a column named {escaped(name)} is read as nothing; a prior exposure is "
                "prior_<unit> (prior_mg_m2, prior_mg, prior_units)"
            )
        if (
            key in ("cond", "conds")
            or "radiotherap" in key
            or max(difflib.SequenceMatcher(None, key, name).ratio() for name in CONDITION_COLUMNS) >= 0.85
        ):
            raise DoseCalcError(
                f"orders: a column named {escaped(name)} is read as nothing; a patient's conditions are in a "
                "column named condition"
            )


def _by_mask(rows: np.ndarray, mask: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """``rows`` by their value of ``mask``: each distinct value's rows (few: sets of conditions), in input order."""
    values = mask[rows]
    if not values.any():  # no condition given on any row: most files
        return [(rows, 0)]
    return [(rows[values == value], int(value)) for value in np.unique(values).tolist()]


class _Conditions(NamedTuple):
    """Each row's named conditions as a bit mask of ``names`` (the patient's, with ``patient_id``), and its own."""

    names: list[str]
    mask: np.ndarray  # the patient's: its rows' conditions together
    own: np.ndarray  # the row's cell's

    def of(self, mask: int, given: tuple) -> tuple[str, ...]:
        """The conditions ``given`` for every row and those of ``mask``."""
        return tuple(dict.fromkeys((*given, *(name for bit, name in enumerate(self.names) if mask >> bit & 1))))


def _conditions_read(table: pa.Table, plan, patients, rejects: _Texts) -> _Conditions:
    """
    Each row's conditions from its ``condition`` cell: empty (none), or condition names separated by commas
    or semicolons, each exactly as :func:`dosecalc.verify.verify` knows it. A condition is the patient's: with
    ``patient_id``, a condition on any row of a patient applies to every row of the patient (a vincristine row
    may leave the cell empty), and a cell that is none rejects every row of its patient (which limit is the
    patient's?); without it, its own row. Without the column, no row has a condition.
    """
    found = [name for name in table.column_names if canonical_name(name) in CONDITION_COLUMNS]
    if len(found) > 1:
        raise DoseCalcError(f"several condition columns: {', '.join(found)}; keep one")
    if not found:
        return _Conditions([], np.zeros(table.num_rows, np.int64), np.zeros(table.num_rows, np.int64))
    column, names = found[0], condition_names(plan)
    cells = pc.dictionary_encode(pc.cast(table[column], pa.string()), null_encoding="encode").combine_chunks()
    index = cells.indices.to_numpy(zero_copy_only=False)
    own = np.zeros(table.num_rows, np.int64)
    refused = np.zeros(table.num_rows, bool)
    reasons: list[str | None] = [None] * table.num_rows
    for code, text in enumerate(cells.dictionary.to_pylist()):
        parts = [] if text is None or not text.strip(" ") else re.split(r" *[,;] *", text.strip(" "))
        rows = np.flatnonzero(index == code)
        unknown = [part for part in parts if part not in names]
        if not unknown:
            own[rows] = sum(1 << names.index(part) for part in dict.fromkeys(parts))
            continue
        close = closest_name(unknown[0], names) if unknown[0] else None
        reason = (
            f"{column}={escaped(text)} is not known; expected empty (none), or one or more of: {', '.join(names)}, "
            "separated by ',' or ';'" + (f"; did you mean {close!r}?" if close else "")
        )
        refused[rows] = True
        for row in rows.tolist():
            reasons[row] = reason
    mask = own.copy()
    if patients is not None:
        known = patients.code >= 0
        each = np.zeros(int(patients.code.max(initial=-1)) + 1, np.int64)
        np.bitwise_or.at(each, patients.code[known], own[known])
        mask[known] = each[patients.code[known]]
        named = np.flatnonzero(refused & known)
        if named.size:  # every row of such a patient, with the cell that made it
            first = dict(zip(patients.code[named[::-1]].tolist(), named[::-1].tolist()))  # each patient's first
            ids = table["patient_id"]
            rows = np.flatnonzero(np.isin(patients.code, list(first)))
            for row in rows.tolist():
                if not refused[row]:
                    at = first[int(patients.code[row])]
                    reasons[row] = f"patient_id={escaped(str(ids[row].as_py()))}: {reasons[at]}"
            refused[rows] = True
    rows = np.flatnonzero(refused)
    if rows.size:
        rejects.add(rows, [reasons[row] for row in rows.tolist()])
    return _Conditions(names, mask, own)


def verify_table(
    protocol_or_order,
    orders,
    *,
    tolerance=None,
    weight_change=None,
    conditions=(),
    method="mosteller",
    row_offset: int = 0,
    decimal_comma: bool = False,
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
    decimal_comma : bool, default False
        Numbers written as text are written ``92,5``, as
        :func:`dosecalc.cohort.dose_table` reads them; a number holding a "."
        is then refused.

    Returns
    -------
    VerifiedTable
        ``checked`` (each input column, then :data:`VERIFY_COLUMNS`: ``row``,
        the ``computed_dose`` and ``ordered_dose`` in ``dose_unit``,
        ``difference_pct``, ``verdict``, ``flags`` as codes joined by ";",
        ``detail`` (why an order is not verifiable, or the maximum an order is
        above: too high, within the tolerance or not), ``weight_change_pct``
        and ``bsa_m2``, null where they do not apply, and ``ok``), split into
        ``verified`` and ``flagged``; and ``rejected`` (each input column,
        ``row`` and ``reason``); in input order.

    Raises
    ------
    DoseCalcError
        If the table cannot be verified at all: no drug or ordered-dose
        column, a column's unit outside the grammar, a setting outside its
        range.
    """
    decimal_comma = checked_flag(decimal_comma, "decimal_comma")
    plan = verification_plan(protocol_or_order, None)
    tolerance = tolerance_setting(tolerance)
    threshold = weight_change_setting(weight_change)
    conditions = known_conditions(plan, conditions)
    try:
        table = pa.table(orders)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise DoseCalcError(f"orders: {'; '.join(map(str, err.args))}; give each column one type") from None
    from .renal_table import _names  # loaded for a table: one patient's verification needs none of it

    names = _names(table)  # two columns named alike are refused: which would be the order's?
    refuse_written_columns(names, (*VERIFY_COLUMNS, "reason"))  # "Row", " verdict" too
    spelled = [name for name in names if canonical_name(name) == "drug"]  # "Drug", " drug ": read as the others are
    if len(spelled) > 1:
        raise DoseCalcError(f"several drug columns: {', '.join(map(escaped, spelled))}; keep one")
    if not spelled:
        raise MissingInputError("a drug column", "verifying orders")
    drug_column = spelled[0]
    _refuse_two_of_a_kind(names)  # the file's, not each row's: before a row is read
    n = table.num_rows
    rejects, details = _Texts(n), _Texts(n)
    ordered = _ordered(table, rejects, decimal_comma)
    day = _whole_numbers(table, "day", plan.cycle_days, rejects, decimal_comma)
    cycle = _whole_numbers(table, "cycle", MAX_CYCLE, rejects, decimal_comma)
    _refuse_near_misses(names)
    nested = [item for item in table.schema if pa.types.is_nested(item.type)]
    if nested:  # an order is one value a cell: a list of drugs or of priors is none (and no CSV holds it)
        raise DoseCalcError(f"orders: column {nested[0].name!r} holds {nested[0].type}; expected one value a cell")
    prior = _prior_checked(table, rejects, decimal_comma)
    baseline_column = _one(names, "baseline_weight")
    weight_column = next((name for name in names if _names_kind(name, "weight")), None)  # one at most: refused above
    change = None
    if baseline_column is not None:
        if weight_column is None:
            raise MissingInputError("a weight column", "the weight change from baseline_weight")
        baseline = _numbers_in(table, baseline_column, "baseline_weight", "weight", "kg", decimal_comma)
        bad = np.flatnonzero(~valid(baseline, WEIGHT))
        if bad.size:
            cells = table[baseline_column].take(pa.array(bad)).to_pylist()
            unit_text = canonical_name(baseline_column).removeprefix("baseline_weight").removeprefix("_")
            rejects.add(
                bad,
                [
                    f"{baseline_column} is missing"
                    if _blank_cell(cell)
                    else f"{baseline_column}={escaped(cell)}: expected the number alone: its unit, {unit_text}, is "
                    "in the column's name"
                    if isinstance(cell, str) and np.isnan(value) and unit_text
                    else f"{baseline_column}={cell!s}: expected {WEIGHT.expected}"
                    for cell, value in zip(cells, baseline[bad].tolist())
                ],
            )
        _refuse_no_baseline_bodies(table, names, baseline_column, baseline, rejects, decimal_comma)
        weight = _numbers_in(table, weight_column, "weight", "weight", "kg", decimal_comma)
        with np.errstate(invalid="ignore", divide="ignore"):  # a baseline of 0 is rejected above
            change, changed = weight_change_kernel(weight, baseline, threshold.value)

    # which order of the plan each row's drug is: once per distinct name (and day, where it decides)
    drugs = pc.dictionary_encode(pc.cast(table[drug_column], pa.string()), null_encoding="encode").combine_chunks()
    name_index = drugs.indices.to_numpy(zero_copy_only=False)
    names_matched = [match_drug(name, plan, None) for name in drugs.dictionary.to_pylist()]
    item = np.array([-1 if index is None else index for index, _, _ in names_matched] + [-1], np.int16)[name_index]
    verdict = np.array(
        [-1 if index is not None else _VERDICT_CODE[str(why)] for index, why, _ in names_matched] + [-1], np.int8
    )[name_index]
    for code, (index, not_matched, because) in enumerate(names_matched):
        if index is not None:
            continue
        rows = name_index == code
        groups: list[tuple[np.ndarray, int | None]] = [(rows, None)]
        if not_matched == "ambiguous" and day is not None:
            groups = [(rows & (day == one_day), int(one_day)) for one_day in np.unique(day[rows & (day > 0)])]
        for group, one_day in groups:
            index, not_matched, because = match_drug(drugs.dictionary[code].as_py(), plan, one_day)
            if index is not None:
                item[group], verdict[group] = index, -1
            else:
                verdict[group] = _VERDICT_CODE[str(not_matched)]
                details.add(np.flatnonzero(group), str(because))

    patients = None if "patient_id" not in names or n == 0 else _patients(table["patient_id"])
    row_conditions = _conditions_read(table, plan, patients, rejects)
    if prior is not None:  # a drug with a limit under a condition of any row has a limit
        _refuse_priors_without_limit(table, prior, item, plan, (*conditions, *row_conditions.names), rejects)
    # the other orders' rows are checked as bodies as they are dosed; a carboplatin AUC reads no height
    auc = [index for index, entry in enumerate(plan.items) if entry.order.is_auc]
    if auc:
        _refuse_no_bodies(table, names, weight_column, np.flatnonzero(np.isin(item, auc)), rejects, decimal_comma)
    computed = np.full(n, np.nan)
    bsa = np.full(n, np.nan)
    limit_bsa = np.full(n, np.nan)  # the BSA a dose's mg are counted per m² by against a lifetime limit
    weight_kg = None  # each row's actual weight [kg], read once where an order doses on another
    before_cap, before_rounding = _Lazy(n), _Lazy(n)
    above = np.zeros(n, bool)  # where an order is above its order's maximum (maximum_of)
    exposure = _Exposure(n)
    # the patient's columns an order reads: the body, and the kidney's for a carboplatin AUC (Calvert)
    measured = [
        name
        for name in names
        if canonical_name(name).startswith(("height_", "weight_"))
        or canonical_name(name) == "sex"
        or canonical_name(name).split("_")[0] in _KIDNEY
    ]
    # an input column of bool or dates is the file's error, not each row's; a column named like one but in no
    # unit the engine reads (age_group, creatinine_date) passes through, as every other column
    inputs = [name for name in measured if any(_names_kind(name, kind) for kind in ("height", "weight", *_KIDNEY))]
    for name in inputs:
        _numbers(name, table[name].slice(0, 0))
    inputs += [name for name in measured if canonical_name(name) == "sex"]
    usable = None if rejects.none else ~rejects.given
    sex_column = next((name for name in names if _names_kind(name, "sex")), None)  # one at most: refused above
    # the file's sex column is one column, whichever rows an order reads: an H on a paclitaxel row makes the M of
    # a carboplatin row ambiguous (hombre/mujer), as in a cohort's batches; each order's rows are read apart below
    with streamed_sex_codes():
        if sex_column is not None:  # the H of any row, seen before an order reads its own rows
            sexes = sexes_of(table, sex_column)
            # a sex given that is none (banana, an M beside an H) is refused as it is for one patient, whether
            # the row's order reads it or not; a missing one is refused only where it is read
            cells = table[sex_column]
            given = ~np.asarray(pc.fill_null(pc.equal(pc.utf8_trim(pc.cast(cells, pa.string()), " "), ""), True), bool)
            unknown = np.flatnonzero(given & ~sexes.known)
            if unknown.size:
                rejects.add(unknown, sexes.reasons(unknown).to_pylist())
                usable = ~rejects.given
        for index, entry in enumerate(plan.items):
            rows = np.flatnonzero(item == index if usable is None else (item == index) & usable)  # in input order
            if rows.size == 0:
                continue
            order = entry.order
            codes = ordered.basis[rows]
            in_basis, absolute = (codes == ordered.code(order.basis), codes == ordered.code(order.amount_unit))
            if (
                not order.is_auc and ordered.code(AUC_BASIS) >= 0
            ):  # an AUC doses carboplatin only: refused, as for one patient
                rejects.add(
                    rows[codes == ordered.code(AUC_BASIS)],
                    f"{entry.label}: ordered as an AUC ({unit(AUC_BASIS):~P}), which gives no dose of this drug; "
                    f"order it in {order.amount_unit} or {order.dose.units:~P}",
                )
            computed[rows[in_basis]] = order.prescribed.magnitude
            for code in np.unique(codes[~in_basis & ~absolute]).tolist():
                other = rows[codes == code]
                verdict[other] = _VERDICT_CODE["not_comparable"]
                details.add(other, not_comparable_reason(f"{unit(ordered.bases[code]):~P}", order, entry.label))
            try:
                dosed, rejected = order.for_table(
                    table.select(measured).take(pa.array(rows)), method=method, decimal_comma=decimal_comma
                )
            except MissingInputError as err:
                verdict[rows[absolute]] = _VERDICT_CODE["missing_input"]
                # an orders file's columns are found by their names alone: no mapping to offer
                details.add(rows[absolute], str(err).removesuffix(", or map one"))
                continue
            # a column no row can be dosed by (bool heights): the file's, as in a cohort run
            except DoseCalcError as err:
                raise DoseCalcError(f"{entry.label}: {err}") from None
            rejects.add(
                rows[rejected["row"].to_numpy() - 1],
                [f"{entry.label}: {text}" for text in rejected["reason"].to_pylist()],
            )
            # the dosed rows, in order: all of them when none was rejected
            dosed_rows = rows if dosed.num_rows == rows.size else rows[dosed["row"].to_numpy() - 1]
            column = "bsa_uncapped_m2" if "bsa_uncapped_m2" in dosed.column_names else "bsa_m2"
            bsa[dosed_rows] = dosed[column].to_numpy(zero_copy_only=False)
            limit_bsa[dosed_rows] = bsa[dosed_rows]
            if "dosing_weight_kg" in dosed.column_names and weight_column is not None:
                # on an ideal (or adjusted) weight, the body's BSA where smaller, as one patient's is
                # (OrderDose.limit_bsa): Mosteller's at the actual weight, BSA ∝ √W (Mosteller 1987; the
                # formulas of a lower power of W give a larger body BSA, so this one never undercounts)
                if weight_kg is None:
                    weight_kg = _numbers_in(table, weight_column, "weight", "weight", "kg", decimal_comma)
                dosing = dosed["dosing_weight_kg"].to_numpy(zero_copy_only=False)
                with np.errstate(invalid="ignore", divide="ignore"):
                    body = bsa[dosed_rows] * np.sqrt(weight_kg[dosed_rows] / dosing)
                limit_bsa[dosed_rows] = np.fmin(bsa[dosed_rows], body)
            final = dosed[f"final_dose_{order.amount_unit}"].to_numpy(zero_copy_only=False)
            on_amount = ordered.basis[dosed_rows] == ordered.code(order.amount_unit)
            if on_amount.all():
                computed[dosed_rows] = final
            else:
                computed[dosed_rows[on_amount]] = final[on_amount]
                # an order per m², kg or AUC where a cap lowered the patient's dose: not verified (as for one patient)
                caps = _caps(dosed)
                capped = in_basis[np.searchsorted(rows, dosed_rows)] & caps.any(axis=0)
                if capped.any():
                    lowered = dosed_rows[capped]
                    computed[lowered] = np.nan
                    verdict[lowered] = _VERDICT_CODE["not_comparable"]
                    caps_named = np.asarray(list(_CAP_COLUMNS.values()))
                    details.add(
                        lowered,
                        [
                            capped_order_reason(
                                f"{order.dose.units:~P}",
                                caps_named[applied].tolist(),
                                f"{dose:.4g} {order.amount_unit}",
                                order.amount_unit,
                            )
                            for applied, dose in zip(caps[:, capped].T, final[capped].tolist())
                        ],
                    )
            maximum = maximum_of(order)
            if maximum is not None:
                # the amount each order gives its patient: as ordered, or in the order's basis times the patient's BSA,
                # weight or GFR + 25, the dose before rounding over the prescribed dose (not where a cap lowered it)
                per_basis = np.isfinite(computed[dosed_rows]) & ~on_amount
                amount = np.where(on_amount, ordered.amount[dosed_rows], np.nan)
                if per_basis.any():
                    calculated = dosed[f"dose_{order.amount_unit}"].to_numpy(zero_copy_only=False)
                    amount[per_basis] = (
                        ordered.amount[dosed_rows[per_basis]] * calculated[per_basis] / order.prescribed.magnitude
                    )
                over = np.asarray(above_maximum_kernel(amount, maximum.amount))
                if over.any():
                    above[dosed_rows[over]] = True
                    # an order in the amount unit: one reason for all (its amount is the ordered column's); else each
                    # with the amount it gives its patient
                    as_amount = over & on_amount
                    if as_amount.any():
                        details.add(dosed_rows[as_amount], above_maximum_reason(maximum))
                    per_patient = over & ~on_amount
                    if per_patient.any():
                        details.add(
                            dosed_rows[per_patient],
                            [
                                above_maximum_reason(maximum, f"{value:.4g} {order.amount_unit}")
                                for value in amount[per_patient].tolist()
                            ],
                        )
            if "dose_uncapped_mg" in dosed.column_names:
                before_cap.values[dosed_rows] = dosed["dose_uncapped_mg"].to_numpy(zero_copy_only=False)
            if any(getattr(order, measure) is not None for measure in ("round_to", "vials", "bands")):
                calculated = dosed[f"dose_{order.amount_unit}"].to_numpy(zero_copy_only=False)
                before_rounding.values[dosed_rows] = np.where(calculated != final, calculated, np.nan)
            for some, of_patient in _by_mask(rows, row_conditions.mask):
                limit = limit_of(plan, entry.drug, row_conditions.of(of_patient, conditions))
                if limit is not None:
                    exposure.add(
                        some,
                        entry.drug,
                        limit,
                        *_exposures(table, some, ordered, limit, limit_bsa[some], decimal_comma),
                    )
                if of_patient and limit is not None:  # a condition of the patient's other rows that lowers it
                    for mine, own in _by_mask(some, row_conditions.own):
                        if limit_of(plan, entry.drug, row_conditions.of(own, conditions)) is not limit:
                            details.add(
                                mine,
                                f"{entry.drug}: the lifetime limit under {limit.condition}, "
                                f"{limit.amount.magnitude:g} {limit.amount.units:~P}, as the patient's other rows "
                                "give it",
                            )

    if patients is not None:  # one patient's day, two heights: which is the patient's? none of its rows is verified
        if patients.code.min() < 0:  # whose order? no patient's day, duplicates or doses due could be checked
            rejects.add(np.flatnonzero(patients.code < 0), "patient_id is missing")
        _refuse_ids_alike(table["patient_id"], patients, rejects)
        visit = inputs + ([] if baseline_column is None else [baseline_column])
        _refuse_disagreeing(table, visit, patients, day, cycle, rejects, decimal_comma)
        if prior is not None:
            drugs = sorted({entry.drug for entry in plan.items})  # two orders of a drug: one exposure
            of_item = np.array([drugs.index(entry.drug) for entry in plan.items] + [-1], np.int64)
            _refuse_falling_priors(table, prior, patients, of_item[item], drugs, day, cycle, rejects)
    keep = ~rejects.given
    comparable = keep & ~np.isnan(computed)
    with np.errstate(invalid="ignore"):
        difference = difference_pct(computed, ordered.amount)
    verdict = np.where(comparable, verdict_codes(difference, tolerance.value), verdict)
    verdict[comparable & above] = _VERDICT_CODE["too_high"]
    outside = np.flatnonzero(comparable & (verdict > 0))
    explained: dict[str, np.ndarray] = {}
    for name, lazy in (("cap_explains", before_cap), ("rounding_explains", before_rounding)):
        explained[name] = np.zeros(n, bool)
        if lazy.filled is None:
            continue
        before = lazy.filled
        rows = outside[~np.isnan(before[outside])]  # a step that changed the dose of these rows
        explained[name][rows] = explains_kernel(before[rows], computed[rows], ordered.amount[rows], tolerance.value)
    with np.errstate(invalid="ignore"):
        flags = {
            "weight_change": np.zeros(n, bool) if change is None else np.asarray(changed),
            **explained,
            "lifetime_limit": exposure.reached(patients, cycle, day, keep, details),
            "lifetime_unchecked": exposure.unchecked(keep, ordered, details),
            "not_scheduled": _off_schedule(plan, item, day, cycle, details),
            "duplicate_order": _duplicates(patients, item, day, cycle, plan),
        }
    flagged = np.zeros(n, bool)
    for mask in flags.values():
        flagged |= mask
    missing = _not_ordered(table, patients, item, day, cycle, plan)
    columns = {
        "computed_dose": computed,
        "ordered_dose": ordered.amount,
        "difference_pct": difference,
        "weight_change_pct": change,  # None without a baseline weight: a column of nulls
        "bsa_m2": bsa,
    }
    return _tables(
        table,
        keep,
        keep & (verdict == 0) & ~flagged,
        columns,
        verdict,
        ordered,
        flags,
        details,
        rejects,
        row_offset,
        tolerance,
        threshold,
        missing,
    )


#: The columns of a dosed table that say a cap lowered a row's dose, and the cap's name.
_CAP_COLUMNS = {"gfr_capped": "GFR cap", "bsa_capped": "BSA cap", "dose_capped": "max dose"}


def _caps(dosed: pa.Table) -> np.ndarray:
    """Which cap (a row of :data:`_CAP_COLUMNS` each) lowered each dosed row's dose."""
    return np.array(
        [
            dosed[name].to_numpy(zero_copy_only=False).astype(bool)
            if name in dosed.column_names
            else np.zeros(dosed.num_rows, bool)
            for name in _CAP_COLUMNS
        ]
    )


class _Lazy:
    """A float column allocated (NaN) when first written: most orders have no cap and no rounding."""

    def __init__(self, n: int):
        self.n = n
        self.filled: np.ndarray | None = None

    @property
    def values(self) -> np.ndarray:
        if self.filled is None:
            self.filled = np.full(self.n, np.nan)
        return self.filled


#: The kidney inputs a column may hold (:data:`dosecalc.renal_table.KIDNEY_INPUTS`).
_KIDNEY = ("age", "creatinine", "gfr")

#: The range of an ordered dose in each basis: a dose, or a carboplatin target AUC.
_RANGES = {**DOSE_RANGES, AUC_BASIS: AUC}

#: Each verdict's code in the batch: its position in VERDICTS.
_VERDICT_CODE = {verdict: code for code, verdict in enumerate(VERDICTS)}


def _given_days(plan) -> np.ndarray:
    """``[order, day]``: whether each order of the protocol is given on each day of the cycle; a last row, no order, on all."""
    given = np.zeros((len(plan.items) + 1, plan.cycle_days + 1), bool)
    given[-1, :] = True
    for index, entry in enumerate(plan.items):
        given[index, list(entry.days)] = True
    return given


def _refuse_no_bodies(
    table: pa.Table, names, weight_column: str | None, rows: np.ndarray, rejects: _Texts, decimal_comma: bool
):
    """Reject those of ``rows`` whose height and weight (each plausible) together describe no body, whatever
    their order reads (a carboplatin AUC reads no height): the visit's measurements, as for one patient."""
    height_column = next((name for name in names if _names_kind(name, "height")), None)
    if height_column is None or weight_column is None or rows.size == 0:
        return
    taken = table.take(pa.array(rows))
    height_cm = _numbers_in(taken, height_column, "height", "height", "cm", decimal_comma)
    weight_kg = _numbers_in(taken, weight_column, "weight", "weight", "kg", decimal_comma)
    each = np.flatnonzero(valid(height_cm, HEIGHT) & valid(weight_kg, WEIGHT))
    no_body = each[implausible_bodies(height_cm[each], weight_kg[each])]
    if no_body.size:
        rejects.add(rows[no_body], not_a_body(height_cm[no_body], weight_kg[no_body]))


def _refuse_no_baseline_bodies(
    table: pa.Table, names, baseline_column: str, baseline_kg: np.ndarray, rejects: _Texts, decimal_comma: bool
):
    """Reject the rows whose baseline weight (plausible) with the row's height describes no body, as a current
    weight is rejected: 0.2 kg at 175 cm is a slip, and a weight change from it (+34900 %) none of the patient's."""
    height_column = next((name for name in names if _names_kind(name, "height")), None)
    if height_column is None:
        return
    height_cm = _numbers_in(table, height_column, "height", "height", "cm", decimal_comma)
    each = np.flatnonzero(valid(height_cm, HEIGHT) & valid(baseline_kg, WEIGHT))
    no_body = each[implausible_bodies(height_cm[each], baseline_kg[each])]
    if no_body.size:
        named = f"{height_column}, {baseline_column}="  # the columns read, not the current weight's
        reasons = not_a_body(height_cm[no_body], baseline_kg[no_body])
        rejects.add(no_body, [named + reason.removeprefix("height, weight=") for reason in reasons])


def _refuse_priors_without_limit(
    table: pa.Table, prior: np.ndarray, item: np.ndarray, plan, conditions: tuple, rejects: _Texts
):
    """
    Reject the rows of a drug without a lifetime limit (under the conditions given) whose prior cell holds an
    exposure, as one patient's prior of such a drug is refused: the prior column names no drug, so 520 mg/m² on
    a vincristine row is vincristine's, checked against nothing, or another drug's written on the wrong row.
    ``prior``: the column's numbers (:func:`_prior_checked`), NaN where a cell is empty or refused already.
    """
    given = ~np.isnan(prior)
    if not given.any():
        return
    column = _one(table.column_names, "prior")
    limited = [limit_of(plan, entry.drug, conditions) is not None for entry in plan.items]
    drugs = sorted({entry.drug for entry, has in zip(plan.items, limited) if has})
    where = f"the protocol {plan.name}" if plan.name else "the order"
    instead = (
        f"give a prior on the rows of {', '.join(drugs)} only"
        if drugs
        else f"leave it empty: no drug of {where} has a lifetime limit in dosecalc"
    )
    for index, entry in enumerate(plan.items):
        rows = np.flatnonzero((item == index) & given) if not limited[index] else np.empty(0, np.intp)
        if rows.size == 0:
            continue
        cells = pc.utf8_trim(pc.cast(table[column].take(pa.array(rows)), pa.string()), " ").to_pylist()
        rejects.add(
            rows,
            [
                f"{column}={cell} on a {entry.drug} row: dosecalc has no lifetime limit for {entry.drug}, and "
                f"the prior column names no drug: whose exposure is it? {instead} (check {entry.drug}'s against "
                "the label)"
                for cell in cells
            ],
        )


def _off_schedule(plan, item: np.ndarray, day, cycle, details: _Texts) -> np.ndarray:
    """Where a drug is ordered in a cycle past the protocol's (with a day or without), or on a day its order does
    not give it; each such row's detail says which, as a single order's flag does."""
    off = np.zeros(item.size, bool)
    if cycle is not None and plan.cycles is not None:
        off |= (item >= 0) & (cycle > plan.cycles)
    if day is not None and any(entry.days is not None for entry in plan.items):
        given = _given_days(plan)
        slot = item.astype(np.intp)
        slot[slot < 0] = len(plan.items)  # no order: the last row, given on every day
        slot *= given.shape[1]
        slot += day
        off |= ~given.ravel().take(slot)
    rows = np.flatnonzero(off)
    if rows.size:  # a text for each drug, cycle and day met: few, whatever the rows
        keys = np.stack([item[rows]] + [np.zeros(rows.size, np.int64) if v is None else v[rows] for v in (cycle, day)])
        unique, inverse = np.unique(keys, axis=1, return_inverse=True)
        # a cycle or day of 0 is a rejected row's (not a whole number in range): no flag, no text
        flags = [schedule_flag(plan.items[drug], plan, cycle_ or None, day_ or None) for drug, cycle_, day_ in unique.T]
        said = [
            (row, flags[code].message) for row, code in zip(rows.tolist(), np.ravel(inverse).tolist()) if flags[code]
        ]
        if said:
            details.add([row for row, _ in said], [text for _, text in said])
    return off


def _exposures(
    table: pa.Table, rows: np.ndarray, ordered: _Ordered, limit, bsa_m2: np.ndarray, decimal_comma: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """This dose of each row and its prior exposure (``prior_<unit>``, empty: none), in the lifetime limit's unit;
    NaN where this dose is no exposure (a target AUC) or does not convert."""
    this = np.full(rows.size, np.nan)
    codes = ordered.basis[rows]
    amount = ordered.amount[rows]
    for code in np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(ordered.bases))).tolist():
        if ordered.bases[code] == AUC_BASIS:  # a target AUC is no exposure: no lifetime limit counts it
            continue
        same = codes == code
        if same.all():  # every order in one unit: most files
            this = to_limit_kernel(amount, ordered.bases[code], limit.amount, bsa_m2)
        else:
            this[same] = to_limit_kernel(amount[same], ordered.bases[code], limit.amount, bsa_m2[same])
    prior = np.zeros(rows.size)
    column = _one(table.column_names, "prior")
    if column is not None:
        reading = _column_unit(canonical_name(column).removeprefix("prior_"), column, "dose")
        given = _numbers(column, table[column].take(pa.array(rows)), decimal_comma)
        prior = np.where(np.isnan(given), 0.0, to_limit_kernel(given, f"{reading}", limit.amount, bsa_m2))
    return this, prior


class _Exposure:
    """
    The exposure of each row of a drug with a lifetime limit: this dose and the prior one, in the limit's unit,
    and where it reaches the limit once the file's own earlier orders of the drug for the patient are counted.
    """

    def __init__(self, n: int):
        self.this, self.prior, self.limit = np.full(n, np.nan), np.zeros(n), np.full(n, np.nan)
        self.drug = np.full(n, -1, np.int64)
        self.drugs: list[tuple[str, str]] = []  # (drug, the limit's unit) by code

    def add(self, rows: np.ndarray, drug: str, limit, this: np.ndarray, prior: np.ndarray) -> None:
        key = (drug, f"{limit.amount.units:~P}")
        if key not in self.drugs:
            self.drugs.append(key)
        self.drug[rows], self.this[rows], self.prior[rows] = self.drugs.index(key), this, prior
        self.limit[rows] = limit.amount.magnitude

    def unchecked(self, keep: np.ndarray, ordered: _Ordered, details: _Texts) -> np.ndarray:
        """Where a drug with a limit was ordered in a unit this dose could not be counted in (mg against a limit
        per m², without a BSA): never "ok" unchecked; each row's detail says so."""
        auc = ordered.code(AUC_BASIS)
        rows = np.flatnonzero(keep & (self.drug >= 0) & np.isnan(self.this) & (ordered.basis != auc))
        for row in rows.tolist():
            drug, units = self.drugs[self.drug[row]]
            details.add(
                [row],
                f"{drug}: this dose cannot be counted against the lifetime limit of {self.limit[row]:g} {units} "
                "without a BSA: give height and weight",
            )
        flagged = np.zeros(keep.size, bool)
        flagged[rows] = True
        return flagged

    def reached(self, patients, cycle, day, keep: np.ndarray, details: _Texts) -> np.ndarray:
        r"""
        Where this dose reaches the lifetime limit, with the exposure before it: the largest of the row's prior
        and, for each earlier order of the drug for the patient in the file (by cycle, day, then row), that
        order's prior and the doses from it on, as the file's earlier orders may be given before this one:

        .. math:: E_i = \max_{j \le i}\Big(P_j + \sum_{j \le k < i} D_k\Big)

        A prior that already counts them changes nothing; a stale one (0 on cycle 2, after a cycle 1 ordered
        in the file) is counted up, and the row says so. Rows rejected (``keep`` False) count for nothing.
        """
        rows = np.flatnonzero(keep & (self.drug >= 0))
        before = self.prior.copy()
        key = None if patients is None else patients.code[rows].astype(np.int64) * len(self.drugs) + self.drug[rows]
        if key is not None and rows.size > 1 and not bool((key[1:] > key[:-1]).all()):  # else one order a patient
            # and drug, in order (most files): no earlier order of its drug to count
            zeros = np.zeros(rows.size, np.int64)
            visit = [zeros if values is None else values[rows] for values in (cycle, day)]
            rows = rows[np.lexsort((rows, visit[1], visit[0], self.drug[rows], patients.code[rows]))]
            group = np.ones(rows.size, bool)  # where a patient's orders of a drug start
            group[1:] = (patients.code[rows][1:] != patients.code[rows][:-1]) | (
                self.drug[rows][1:] != self.drug[rows][:-1]
            )
            group_of = np.cumsum(group) - 1
            doses = np.nan_to_num(self.this[rows])
            earlier = np.cumsum(doses) - doses  # the doses before each row, from the file's first row
            earlier -= earlier[group][group_of]  # from its group's first row
            best = self.prior[rows] - earlier
            shift = 1
            while shift < rows.size:  # a running maximum within each group, by doubling steps
                same = group_of[shift:] == group_of[:-shift]
                best[shift:] = np.where(same, np.maximum(best[shift:], best[:-shift]), best[shift:])
                shift *= 2
            before[rows] = np.maximum(self.prior[rows], best + earlier)
        with np.errstate(invalid="ignore"):
            reached = np.asarray(lifetime_kernel(before, self.this, self.limit)[1]) & ~np.isnan(self.this) & keep
        counted = np.flatnonzero(keep & (before > self.prior))
        if counted.size:
            details.add(
                counted,
                [
                    f"{drug}: {before[row]:.4g} {units} before this order, counting the patient's earlier {drug} "
                    f"orders in this file (its prior gives {self.prior[row]:.4g} {units})"
                    for row in counted.tolist()
                    for drug, units in [self.drugs[self.drug[row]]]
                ],
            )
        return reached


class _Patients(NamedTuple):
    code: np.ndarray  # each row's patient, numbered from 0 in order of appearance; -1 for a missing id
    first: np.ndarray  # each patient's first row
    change: np.ndarray  # where a run of rows of one patient starts
    starts: np.ndarray  # the first row of each run
    per_run: np.ndarray  # each run's patient


def _patients(ids: pa.ChunkedArray) -> _Patients:
    """
    Each row's patient as a code, by runs of equal ids: a file sorted by
    patient (each run's id above the last) needs no hash; otherwise each
    run's id is hashed once, not each order's.
    """
    ids = ids.chunk(0) if ids.num_chunks == 1 else ids.combine_chunks()
    if pa.types.is_null(ids.type) or pa.types.is_dictionary(ids.type):  # every id missing; a categorical column
        ids = ids.cast(pa.string() if pa.types.is_null(ids.type) else ids.type.value_type)
    n = len(ids)
    change = np.ones(n, bool)
    if n > 1:
        change[1:] = pc.fill_null(pc.not_equal(ids.slice(1), ids.slice(0, n - 1)), True).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(change)
    firsts = ids.take(pa.array(starts))
    runs = len(firsts)
    run = np.cumsum(change, dtype=np.int32)
    run -= 1
    blank = _blank_ids(firsts)  # a run's rows share its id: each run's looked at once
    if blank.any():  # an id of spaces is none: no patient "" whose rows are merged (and two heights refused)
        firsts = pc.if_else(pa.array(blank), pa.nulls(runs, firsts.type), firsts)
    elif ids.null_count == 0 and (runs < 2 or pc.all(pc.less(firsts.slice(0, runs - 1), firsts.slice(1))).as_py()):
        return _Patients(run, starts, change, starts, np.arange(runs))  # sorted by patient: each run another, no hash
    codes = pc.dictionary_encode(firsts).indices
    per_run = np.where(
        codes.is_null().to_numpy(zero_copy_only=False), -1, codes.fill_null(0).to_numpy(zero_copy_only=False)
    ).astype(np.int32)
    known = np.flatnonzero(per_run >= 0)
    _, at = np.unique(per_run[known], return_index=True)  # each code's first run: codes are given in that order
    return _Patients(per_run[run], starts[known[at]], change, starts, per_run)


#: What an id is compared without: spaces of any kind (a tab, a no-break space: RE2's ``\s`` is ASCII's alone),
#: invisible characters (a zero-width space, the combining grapheme joiner) and control characters (DEL, U+001F).
_NOT_OF_AN_ID = r"[\s\p{Z}\p{Cf}\p{Cc}\x{034F}]"


def _blank_ids(ids: pa.Array) -> np.ndarray:
    """Where an id names no one: empty, or only spaces and invisible characters (:data:`_NOT_OF_AN_ID`, as ids
    alike are compared: ``" "``, ``"\\u00a0"``, ``"\\u200b"``), or NaN in a column of numbers; False where null (a
    missing id is already none)."""
    if is_text(ids.type):
        if pc.all(pc.string_is_ascii(ids)).as_py() and not _holds_ascii_space(ids):  # blank only if empty
            blank = pc.equal(pc.binary_length(ids), 0)
        else:
            blank = pc.match_substring_regex(ids, f"^{_NOT_OF_AN_ID}*$")  # one match a run: no string built
        return pc.fill_null(blank, False).to_numpy(zero_copy_only=False)
    if pa.types.is_floating(ids.type):
        return pc.fill_null(pc.is_nan(ids), False).to_numpy(zero_copy_only=False)
    return np.zeros(len(ids), bool)


def _text_bytes(texts: pa.Array) -> np.ndarray:
    """The bytes of a text array's characters, as one numpy view: no string built."""
    _, offsets_buffer, data = texts.buffers()
    if data is None or len(texts) == 0:
        return np.zeros(0, np.uint8)
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, width)[texts.offset : texts.offset + len(texts) + 1]
    return np.frombuffer(data, np.uint8)[offsets[0] : offsets[-1]]


def _holds_ascii_space(texts: pa.Array) -> bool:
    """Whether any text holds an ASCII space, tab, line break or other control character (DEL): one pass over
    the bytes, no string built."""
    characters = _text_bytes(texts)
    return bool(((characters <= 0x20) | (characters == 0x7F)).any())


def _id_shown(text: str) -> str:
    """An id as typed, and beyond ASCII with its code points too: a Cyrillic А is shown apart from a Latin A."""
    shown = escaped(text)
    return shown if shown == ascii(text) else f"{shown} ({ascii(text)})"


def _refuse_ids_alike(ids: pa.ChunkedArray, patients: _Patients, rejects: _Texts) -> None:
    """
    Reject every row of the patients whose ids differ only in case, spaces, invisible characters or
    a character's compatibility form ("P001", "p001 ", "P\u200b001", fullwidth "Ｐ001"): one patient
    written two ways would have each way's visits checked apart (a falling prior, two heights on one day,
    a duplicate order unseen), and two patients so named are the file to correct as well.
    """
    if patients.first.size < 2:
        return
    firsts = ids.combine_chunks().take(pa.array(patients.first))  # each patient's id, in the order of its code
    if pa.types.is_dictionary(firsts.type):
        firsts = firsts.cast(firsts.type.value_type)
    if not is_text(firsts.type):  # whole numbers: one way to write each
        return
    if pc.all(pc.string_is_ascii(firsts)).as_py() and not _holds_ascii_space(firsts):
        # no compatibility form, Unicode space, format character or look-alike letter is ASCII
        folded = pc.ascii_lower(firsts)
        characters = _text_bytes(firsts)
        if ((characters == ord("-")) | (characters == ord("_"))).any():  # "DL-2001", "DL_2001" and "DL2001" alike
            folded = pc.replace_substring_regex(folded, "[-_]", "")
    else:  # as a person compares them (grammar.as_compared), one text at a time: non-ASCII ids are few
        folded = pa.array([None if text is None else as_compared(text) for text in firsts.to_pylist()], pa.string())
    key = pc.dictionary_encode(folded).indices.to_numpy(zero_copy_only=False)
    counts = np.bincount(key)
    for alike in np.flatnonzero(counts > 1).tolist():
        codes = np.flatnonzero(key == alike)
        written = " and ".join(_id_shown(str(firsts[int(code)].as_py())) for code in codes[:2])
        rejects.add(
            np.flatnonzero(np.isin(patients.code, codes)),
            f"patient_id {written} differ only in case, spaces, dashes, invisible characters or look-alike "
            "letters: one patient or two? write each patient's id one way",
        )


def _visit_values(table: pa.Table, column: str, decimal_comma: bool) -> np.ndarray:
    """A column's values as one visit's rows are compared: numbers, or a sex as 1 (female) or 0 ("F" and
    "female" are one sex); NaN where missing or unreadable (no second value; refused row by row elsewhere)."""
    if canonical_name(column) == "sex":
        sexes = sexes_of(table, column)
        return np.where(sexes.known, sexes.female.astype(float), np.nan)
    return _numbers(column, table[column], decimal_comma).astype(float)


def _refuse_disagreeing(table: pa.Table, inputs, patients: _Patients, day, cycle, rejects: _Texts, decimal_comma):
    """
    Reject every row of a patient's visit (one cycle and day, where the file
    has them) whose rows give the patient two values of one input (heights
    175 and 165, sexes F and M): which is the patient's? A missing cell is no
    second value. Where each patient's rows are one run of one visit (a day's
    export), neighbouring rows are compared, one pass a column; a column that
    may disagree, or another file, is sorted by visit and checked visit by visit.
    """
    n = patients.code.size
    if not inputs or n < 2 or not (patients.code >= 0).any():
        return
    read = {column: _visit_values(table, column, decimal_comma) for column in inputs}
    boundary = patients.change.copy()  # where a visit starts
    for part in (cycle, day):
        if part is not None:
            boundary[1:] |= part[1:] != part[:-1]
    runs = patients.starts.size
    if patients.first.size == runs and int(np.count_nonzero(boundary)) == runs:  # a run a patient, a visit a run
        inner = ~boundary[1:]  # neighbours of one visit
        maybe = [column for column in inputs if ((read[column][1:] != read[column][:-1]) & inner).any()]  # NaN: below
        if not maybe:
            return
        inputs = maybe
    # visits in order of patient, cycle and day: sorted by each in turn (a product of codes could pass int64)
    parts = [part for part in (day, cycle) if part is not None] + [patients.code]
    order = np.lexsort(parts)
    new = np.zeros(n, bool)
    new[0] = True
    for part in parts:
        new[1:] |= part[order][1:] != part[order][:-1]
    starts = np.flatnonzero(new)
    sizes = np.diff(np.r_[starts, n])
    known = patients.code >= 0  # a row without a patient is no one's
    for column in inputs:
        values = read[column][order]
        with np.errstate(invalid="ignore"):
            apart = np.fmin.reduceat(values, starts) < np.fmax.reduceat(values, starts)
        for group in np.flatnonzero(apart & (sizes > 1)).tolist():
            rows = order[starts[group] : starts[group] + sizes[group]]
            rows = rows[known[rows]]
            if rows.size == 0:
                continue
            cells = table[column].take(pa.array(rows)).to_pylist()
            given = ", ".join(escaped(str(cell)) for cell in dict.fromkeys(cells) if cell is not None)
            patient = escaped(str(table["patient_id"][int(rows[0])].as_py()))
            visit = " on one day" if day is not None else ""
            rejects.add(
                rows,
                f"patient_id={patient}: the patient's rows{visit} give {column} {given}; "
                "which is the patient's? correct the file",
            )


def _refuse_falling_priors(
    table: pa.Table, given: np.ndarray, patients: _Patients, drug: np.ndarray, drugs: list, day, cycle, rejects: _Texts
):
    """
    Reject a patient's two visits (cycle, then day) where the later gives a smaller prior exposure to a drug
    than the earlier (540 mg/m² of doxorubicin before cycle 2, none before cycle 3): an exposure only grows, so
    one of them is wrong; and two rows of one visit that give the drug two priors. An empty cell is none. ``given``: the prior column's numbers (:func:`_prior_checked`);
    ``drug``: each row's drug as a code into ``drugs`` (-1 for a drug not in the plan), the exposures of one drug compared
    with each other only (a vincristine row holds no prior of doxorubicin). A file in order of patient, drug
    and visit is compared row by row, any other sorted first.
    """
    column = _one(table.column_names, "prior")
    if column is None or cycle is None or patients.code.size < 2:
        return
    prior = np.nan_to_num(given, nan=0.0)
    parts = [part for part in (day, cycle) if part is not None] + [drug, patients.code]
    order = np.lexsort(parts)
    code, of, value = patients.code[order], drug[order], prior[order]
    later = np.zeros(prior.size - 1, bool)
    for part in parts[:-2]:
        later |= part[order][1:] != part[order][:-1]
    same = (code[1:] == code[:-1]) & (code[1:] >= 0) & (of[1:] == of[:-1]) & (of[1:] >= 0)
    for at in np.flatnonzero(same & ~later & (value[1:] != value[:-1])).tolist():  # one visit, two priors
        earlier, row = int(order[at]), int(order[at + 1])
        shown = ", ".join(
            "none" if cell in (None, "") else str(cell) for cell in table[column].take([earlier, row]).to_pylist()
        )
        visit = f"cycle {cycle[row]}" + ("" if day is None else f" day {day[row]}")
        patient = escaped(str(table["patient_id"][row].as_py()))
        rejects.add(
            [earlier, row],
            f"patient_id={patient}: the {drugs[drug[row]]} rows of {visit} give {column} "
            f"{shown}; which is the patient's? correct the file",
        )
    falls = np.flatnonzero(same & later & (value[1:] < value[:-1]))
    for at in falls.tolist():
        earlier, row = int(order[at]), int(order[at + 1])
        cells = [table[column][index].as_py() for index in (earlier, row)]
        visits = [
            f"{'none' if cell in (None, '') else cell} at cycle {cycle[index]}"
            + ("" if day is None else f" day {day[index]}")
            for cell, index in zip(cells, (earlier, row))
        ]
        patient = escaped(str(table["patient_id"][row].as_py()))
        rejects.add(
            [earlier, row],
            f"patient_id={patient}: {column} {visits[0]}, then {visits[1]}; an exposure only grows: correct the file",
        )


def _duplicates(patients: _Patients | None, item: np.ndarray, day, cycle, plan) -> np.ndarray:
    """Where a patient's drug is ordered more often on a day than the protocol gives it."""
    n = item.size
    if patients is None or n == 0:
        return np.zeros(n, bool)
    patient = patients.code
    # a patient's drug ordered once in the table cannot be a duplicate: count (patient, order) pairs first
    width = len(plan.items) + 1
    pair = patient.astype(np.int32 if patients.first.size * width < 2**31 else np.int64)
    pair *= width
    pair += item
    pair += 1
    every = bool(item.min() >= 0 and patient.min() >= 0)  # each row names its patient and an order
    known = None if every else (item >= 0) & (patient >= 0)
    if known is not None:
        pair[~known] = 0  # no patient or no order: never counted
    duplicate = np.zeros(n, bool)
    seen = np.zeros(int(pair.max()) + 1, bool)
    seen[pair] = True
    if int(np.count_nonzero(seen[1:])) == (n if known is None else int(np.count_nonzero(known))):  # most days
        return duplicate
    counts = np.bincount(pair)
    counts[0] = 0
    candidates = np.flatnonzero(counts[pair] > 1)
    if candidates.size:
        key = pair[candidates].astype(np.int64)  # times each day (cycle) code: no overflow
        for part in (day, cycle):
            if part is not None:  # each distinct day (cycle) as a small code, so that the key stays an int64
                codes = np.unique(part[candidates], return_inverse=True)[1].ravel()
                key = key * (int(codes.max()) + 1) + codes
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        per_day = np.array([entry.times_per_day for entry in plan.items])[item[candidates]]
        duplicate[candidates] = counts[inverse.ravel()] > per_day
    return duplicate


def _not_ordered(table: pa.Table, patients: _Patients | None, item: np.ndarray, day, cycle, plan) -> pa.Table:
    """
    The doses the protocol gives on a patient's day and nobody ordered: one
    row per patient, cycle, day and order (``patient_id``, ``cycle``, ``day``,
    ``drug``, ``note``). Needs ``patient_id`` and ``day``; a day in a cycle
    past the protocol's gives nothing.
    """
    schema = pa.schema(
        [
            ("patient_id", table["patient_id"].type if "patient_id" in table.column_names else pa.string()),
            ("cycle", pa.int64()),
            ("day", pa.int64()),
            ("drug", pa.string()),
            ("note", pa.string()),
        ]
    )
    if patients is None or day is None or all(entry.days is None for entry in plan.items):
        return schema.empty_table()
    patient = patients.code
    whole = bool(patient.min() >= 0 and day.min() > 0)  # every row names its patient and a day of the cycle
    rows = None if whole else np.flatnonzero((patient >= 0) & (day > 0))
    p, d, it = (values if rows is None else values[rows] for values in (patient, day, item))
    c = None if cycle is None else cycle if rows is None else cycle[rows]
    # a visit: one patient on one cycle and day (most files: one visit per patient, found without a sort)
    each = _visit_of_each(patients, p if rows is not None else None, d, c)
    if each is not None:
        visit, first, (visit_day, visit_cycle) = p, patients.first, each
        if rows is None:  # every patient has a row
            visits = np.arange(first.size)
        else:
            present = np.zeros(first.size, bool)
            present[p] = True
            visits = np.flatnonzero(present)
    else:
        rows = np.arange(item.size) if rows is None else rows
        key = np.stack([p, np.zeros(p.size, np.int64) if c is None else c, d])
        _, where, inverse = np.unique(key, axis=1, return_index=True, return_inverse=True)
        visit = inverse.ravel()
        visits = np.arange(where.size)
        visit_day, first = d[where], rows[where]
        visit_cycle = np.zeros(where.size, np.int64) if c is None else c[where]
    orders = len(plan.items)
    flat = np.zeros((int(visit.max(initial=-1)) + 1) * orders, bool)
    every_drug = bool(it.min(initial=0) >= 0)  # every row's drug is an order of the protocol
    some = None if every_drug else it >= 0
    slot = np.multiply(visit if some is None else visit[some], orders, dtype=np.int64)
    slot += it if some is None else it[some]
    flat[slot] = True
    ordered = flat.reshape(-1, orders)
    every = visits.size == visit_day.size  # every patient has a visit: no subsetting
    due = np.ascontiguousarray(_given_days(plan)[:orders].T)[visit_day if every else visit_day[visits]]
    if cycle is not None and plan.cycles is not None:
        due &= ((visit_cycle if every else visit_cycle[visits]) <= plan.cycles)[:, None]
    due &= ~(ordered if every else ordered[visits])
    at, index = np.nonzero(due)
    at = visits[at]
    return pa.table(
        {
            "patient_id": table["patient_id"].take(pa.array(first[at])),
            "cycle": pa.array(visit_cycle[at]) if cycle is not None else pa.nulls(at.size, pa.int64()),
            "day": pa.array(visit_day[at]),
            "drug": pa.array([plan.items[i].drug for i in index.tolist()], pa.string()),
            "note": pa.array([plan.items[i].note for i in index.tolist()], pa.string()),
        },
        schema=schema,
    )


def _visit_of_each(patients: _Patients, p: np.ndarray | None, d: np.ndarray, c: np.ndarray | None):
    """
    Each patient's day and cycle (zeros without a cycle column) when every
    patient has one visit, else None. ``p``: the patient of each row of ``d``
    and ``c``; None when they are every row, whose runs of one patient are then
    checked first, each along its rows, and the patients by their runs.
    """
    size = patients.first.size
    parts = [d] if c is None else [d, c]
    codes = p
    if p is None:
        for values in parts:  # a value changes only where a run starts
            if not patients.change[np.flatnonzero(values[1:] != values[:-1]) + 1].all():
                return None
        codes, parts = patients.per_run, [values[patients.starts] for values in parts]
    each = []
    for values in parts:
        visit = np.zeros(size, np.int64)
        visit[codes] = values
        if (visit[codes] != values).any():
            return None
        each.append(visit)
    return each[0], np.zeros(size, np.int64) if c is None else each[1]


def _unit_labels(ordered: _Ordered, keep: np.ndarray | None) -> pa.Array:
    """Each row's ordered unit as dosecalc writes it ("mg", "mg/m²"), null where unreadable; dictionary-encoded."""
    codes = ordered.basis if keep is None else ordered.basis[keep]
    shown = [f"{unit(label):~P}" for label in ordered.bases] or [""]
    return pa.DictionaryArray.from_arrays(_indices(codes, pa.int8()), pa.array(shown, pa.string()))


def _floats(values: np.ndarray) -> pa.Array:
    """Floats as Arrow, null where NaN (none is computed from a NaN); without a copy when none is."""
    if values.size == 0 or not np.isnan(values.min()):  # min is NaN where any value is: one pass, no mask
        return pa.array(values)
    missing = np.isnan(values)
    return pa.nulls(values.size, pa.float64()) if missing.all() else pa.array(values, mask=missing)


def _tables(
    table, keep, ok, columns, verdict, ordered, flags, details, rejects, row_offset, tolerance, threshold, missing
) -> VerifiedTable:
    rows = np.arange(row_offset + 1, row_offset + 1 + table.num_rows, dtype=np.int64)
    every = keep.all()
    chosen = None if every else keep

    def picked(values):
        return values if every else values[keep]

    added = {
        "row": pa.array(picked(rows)),
        "computed_dose": _floats(picked(columns["computed_dose"])),
        "ordered_dose": _floats(picked(columns["ordered_dose"])),
        "dose_unit": _unit_labels(ordered, chosen),
        "difference_pct": _floats(picked(columns["difference_pct"])),
        "verdict": pa.DictionaryArray.from_arrays(pa.array(picked(verdict)), pa.array(list(VERDICTS), pa.string())),
        "flags": _flags_column(flags, chosen),
        "detail": details.column(chosen),
        "weight_change_pct": pa.nulls(int(keep.sum()), pa.float64())
        if columns["weight_change_pct"] is None
        else _floats(picked(columns["weight_change_pct"])),
        "bsa_m2": _floats(picked(columns["bsa_m2"])),
        "ok": pa.array(picked(ok)),
    }
    checked = table if every else table.filter(pa.array(keep))
    for name, column in added.items():
        checked = checked.append_column(name, column)
    rejected = (
        table.filter(pa.array(~keep))
        .append_column("row", pa.array(rows[~keep]))
        .append_column("reason", rejects.column(~keep).cast(pa.string()))
    )
    return VerifiedTable(checked, rejected, missing, tolerance, threshold)


def verify_file(
    protocol_or_order,
    orders,
    output,
    *,
    rejects=None,
    tolerance=None,
    weight_change=None,
    conditions=(),
    method="mosteller",
    reading=None,
    command=None,
) -> VerifiedTable:
    """
    Verify a file of orders (CSV or Parquet, one row per ordered dose) and
    write each order with its verdict.

    Parameters
    ----------
    protocol_or_order
        As for :func:`verify_table`.
    orders : str or path
        The orders file; every CSV column is read as text and each number by
        dosecalc's grammar of numbers. ``"-"`` reads CSV from stdin.
    output : str or path
        Where to write the checked orders (``.csv`` or ``.parquet``): every
        verified and flagged row, with :data:`VERIFY_COLUMNS`.
    rejects : str or path, optional
        Where to write the rejected rows, with ``row`` and ``reason``.
    tolerance, weight_change, conditions, method
        As for :func:`verify_table`.
    reading : dosecalc.cohort_io.Reading, optional
        The CSV dialect (delimiter, decimal comma, encoding) or the sheet of a spreadsheet,
        as :func:`dosecalc.cohort_io.read_file` takes it.
    command : str, optional
        The command line of the run, for its provenance.

    Returns
    -------
    VerifiedTable
        Also written: each file's provenance (:func:`dosecalc.provenance.run_record`: dosecalc's
        version, the command, the protocol or order, the settings with their sources, the formulas,
        the orders file's SHA-256, the rows by outcome), in a Parquet file's key-value metadata
        (:data:`dosecalc.provenance.METADATA_KEY`) or beside a CSV file as ``<name>.json``.

    Raises
    ------
    DoseCalcError
        If the file cannot be read or holds no order, an output is the input or cannot be
        written (nothing is left behind), or as :func:`verify_table`.
    """
    from .cohort_io import (
        Reading,
        _checked_paths,
        _input_file,
        placed_together,
        read_file,
        refuse_empty_names,
        written_file,
    )
    from .dialects import separator_hint
    from .provenance import Digest

    started, start = datetime.datetime.now(datetime.timezone.utc), time.perf_counter()
    reading = reading or Reading()
    refuse_empty_names(orders=orders, output=output, rejects=rejects)
    reading.refuse_unused([Path(os.fspath(orders))])  # a delimiter of a Parquet file: refused, never recorded as used
    with _input_file(orders) as source:  # "-": stdin, copied to a file
        targets = [Path(output)] + ([] if rejects is None else [Path(rejects)])
        _checked_paths(source, targets[0], None if rejects is None else targets[1], "orders")
        digest = Digest([source])
        schema, batches = read_file(source, reading)
        hint = separator_hint(schema.names, reading.dialect(source).delimiter)
        if hint is not None:
            raise DoseCalcError(f"orders={source}: {hint}")
        table = pa.Table.from_batches(list(batches), schema)
        if table.num_rows == 0:  # nothing verified is no "every order within tolerance": a truncated export?
            raise DoseCalcError(f"orders={orders}: holds no order (its header alone); nothing to verify")
        result = verify_table(
            protocol_or_order,
            table,
            tolerance=tolerance,
            weight_change=weight_change,
            conditions=conditions,
            method=method,
            decimal_comma=reading.decimal_comma,
        )
        options = {
            "conditions": list(conditions),
            "method": method,
            "output": os.fspath(output),
            "rejects": None if rejects is None else os.fspath(rejects),
            **reading.dialect(source).to_dict(),
            "sheet": reading.sheet,
        }
        record, rows, reasons = _record(
            protocol_or_order, result, command, options, (os.fspath(orders), digest), start, started
        )
        files = list(zip(("output", "rejects"), targets, (result.checked, result.rejected)))
        # both files in place, or neither: the output last, so that rejects which cannot be put in place leave no
        # output (a script that looks for the verified orders must not find a failed run's), as a cohort run writes
        with placed_together() as placing:
            for role, target, written in reversed(files):
                with written_file(
                    target, written.schema, role=role, record=lambda: record(rows, reasons), placing=placing
                ) as writer:
                    writer.write(written)
        # the record also for an output on stdout, which has no sidecar; read before a copy of stdin is removed
        return result._replace(provenance=record(rows, reasons))


def _record(protocol_or_order, result: VerifiedTable, command, options: dict, orders: tuple, start, started):
    """
    The provenance of a day's orders run (:class:`dosecalc.cohort_io._Record`), its rows by outcome and
    reasons; ``orders`` is the orders file's path as given and its :class:`~dosecalc.provenance.Digest`.
    """
    from .cohort_io import _Record
    from .protocol import Protocol
    from .provenance import order_formulas, protocol_record, reasons_by_class

    planned = [entry.order for entry in verification_plan(protocol_or_order, None).items]
    what = (  # a protocol's own cycles: a day's orders plan none (None: given until progression)
        {"protocol": protocol_record(protocol_or_order, protocol_or_order.cycles)}
        if isinstance(protocol_or_order, Protocol)
        else {"order": planned[0].to_dict()}
    )
    settings = {**what, "tolerance": result.tolerance.to_dict(), "weight_change": result.weight_change.to_dict()}
    formulas = order_formulas(planned, options["method"])
    record = _Record(command, {**settings, **options}, formulas, [orders[0]], orders[1], start, started)
    summary = result.summary()
    rows = {
        "rows_read": summary["rows"],
        "rows_written": result.checked.num_rows,
        "rows_rejected": summary["rejected"],
        "rows_verified": summary["verified"],
        "rows_flagged": summary["flagged"],
        "not_ordered": result.not_ordered.num_rows,
    }
    return record, rows, reasons_by_class(result.rejected["reason"]) if result.rejected.num_rows else {}
