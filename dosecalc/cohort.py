"""
Whole cohorts at once: the vectorised batch engine.

:func:`dose_table` doses one batch of patients, a table with one row per
patient, and returns the dosed rows and the rejected rows. It is the one batch
function of every driver: :func:`dosecalc.cohort_io.convert_file` streams a
file through it batch by batch, and a Dask driver maps it over partitions;
``row_offset`` numbers the rows across batches.

The engine has no formula and no check of its own. It reads each column once
(its unit from its name, converted by pint), masks the implausible rows with
:func:`dosecalc.validation.valid` and computes the rest with
:func:`dosecalc.patient_dose` on whole columns, so its results are the scalar
core's, number for number.

Columns carry their unit in their name: ``height_cm``, ``height_m``,
``height_in``, ``weight_kg``, ``weight_lb``, per-row doses ``dose_mg_m2``,
``dose_mg_kg``, ``dose_mg``. Case, spaces and brackets are forgiven
(``"Height (cm)"``), and any unit pint knows of the right kind is read
(``weight_g``, ``dose_ug_kg``); a unit is never guessed. Other names are
mapped explicitly, with their unit (``column_map={"height": "Ht"}``,
``column_units={"height": "in"}``). ``sex`` is read by sex-specific formulas;
every other column (``patient_id``, any id) passes through untouched.

A present height, weight or dose column is required in every row: a row with
a missing, non-numeric, NaN, infinite, zero, negative or implausible value is
rejected, with a reason naming the column, and the other rows go through.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .bsa import BSA_METHODS, bsa_method
from .doses import DOSE_RANGES
from .doses import BASIS_LABELS, FLAT, PER_M2, dose_basis, read_dose
from .errors import DoseCalcError, MissingInputError, UnitError, UnknownNameError
from .patient import patient_dose
from .units import magnitude, parse_quantity, quantity, unit
from .validation import HEIGHT, WEIGHT, Range, is_female, valid

__all__ = ["dose_table", "DosedTable", "OUTPUT_COLUMNS", "REJECT_COLUMNS", "convert_file", "CohortSummary"]

#: The columns :func:`dose_table` adds to each dosed row.
OUTPUT_COLUMNS = ("bsa_m2", "dose_mg", "dose_mg_per_m2", "dose_mg_per_kg", "bsa_method")
#: The columns it adds to each rejected row: the 1-based row number and why.
REJECT_COLUMNS = ("row", "reason")

_INPUTS = ("height", "weight", "dose", "sex")
_BODY_RANGES = {"height": HEIGHT, "weight": WEIGHT}
# A number as Arrow's string -> float64 cast reads it (fast_float's grammar);
# the fallback for batches the cast refuses, so both agree on what is a number.
_NUMBER = r"^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf|infinity|nan(?:\(\w*\))?)$"


def __getattr__(name):
    # PEP 562: the file driver lives in cohort_io, which imports this engine.
    if name in ("convert_file", "CohortSummary"):
        from . import cohort_io

        return getattr(cohort_io, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class DosedTable(NamedTuple):
    """The result of :func:`dose_table`: ``len(dosed) + len(rejects)`` rows in."""

    dosed: pa.Table
    rejects: pa.Table


# --- which column holds what, in which unit: resolved once per schema ---------


@dataclass(frozen=True)
class _Source:
    """A numeric input read from a column whose numbers are in ``units``."""

    column: str
    units: Any  # pint Unit of the column's numbers
    rng: Range  # plausible range, in the unit the core takes

    @property
    def label(self) -> str:
        return f"{self.units:~P}"


@dataclass(frozen=True)
class _Plan:
    height: _Source | None
    weight: _Source | None
    dose_column: _Source | None
    dose: Any  # one dose for every row, a Quantity in its basis; None with a dose column
    method: str
    sex: str | None  # the sex column, read only by a sex-specific formula

    @property
    def sources(self) -> dict[str, _Source]:
        """The numeric inputs the table has, by kind."""
        sources = {"height": self.height, "weight": self.weight, "dose": self.dose_column}
        return {kind: source for kind, source in sources.items() if source is not None}


def _canonical(name: str) -> str:
    # "Height (cm)" -> "height_cm"
    return "_".join(re.findall(r"[^\W_]+", str(name).lower()))


def _units(text: str, kind: str, field: str):
    """The pint Unit of ``text`` if it is a unit of ``kind``, else raise UnitError."""
    expression = re.sub(r"_per_|_", "/", text) if kind == "dose" else text
    try:
        units = parse_quantity(f"1 {expression}", field).units
    except UnitError:
        raise UnitError(field, repr(text), f"a known unit of {kind}") from None
    if kind == "dose":
        basis, per_time = dose_basis(quantity(1.0, units))
        if basis is None or per_time:
            raise UnitError(field, text, "a dose unit per administration: mg/m2, mg/kg or mg")
    elif units.dimensionality != unit(_BODY_RANGES[kind].unit).dimensionality:
        raise UnitError(field, text, f"a unit of {kind}, such as {_BODY_RANGES[kind].unit}")
    return units


def _named_units(column: str, kind: str):
    # the unit in a column's name ("height_in" -> inch), None if it names none of this kind
    suffix = _canonical(column).removeprefix(kind + "_")
    if suffix == _canonical(column):
        return None
    try:
        return _units(suffix, kind, column)
    except UnitError:
        return None


def _source(kind: str, names, column_map: dict, column_units: dict) -> _Source | None:
    given_units = column_units.get(kind)
    if kind in column_map:
        if column_map[kind] not in names:
            raise UnknownNameError(f"column for {kind}", column_map[kind], names)
        columns = [column_map[kind]]
    else:
        columns = [
            name for name in names
            if _named_units(name, kind) is not None or (given_units and _canonical(name) == kind)
        ]
        if len(columns) > 1:
            raise DoseCalcError(f"several {kind} columns: {', '.join(columns)}; keep one or map one with column_map")
        bare = [name for name in names if _canonical(name) == kind]
        if not columns and bare:
            raise UnitError(bare[0], "a number with no unit", f"a unit in the name ({kind}_...) or in column_units")
        if not columns:
            return None
    column = columns[0]
    named = _named_units(column, kind)
    if given_units is None and named is None:
        raise UnitError(column, "a number with no unit", f"its unit in column_units[{kind!r}]")
    units = named if given_units is None else _units(given_units, kind, f"column_units[{kind!r}]")
    if named is not None and units != named:
        raise UnitError(f"column_units[{kind!r}]", given_units, f"{named:~P}, as column {column!r} says")
    if kind == "dose":
        basis, _ = dose_basis(quantity(1.0, units))
        return _Source(column, units, DOSE_RANGES[basis])
    return _Source(column, units, _BODY_RANGES[kind])


@functools.lru_cache(maxsize=64)
def _plan(names: tuple, dose, method: str, column_map: tuple, column_units: tuple) -> _Plan:
    column_map, column_units = dict(column_map), dict(column_units)
    for key in {**column_map, **column_units}:
        if key not in _INPUTS:
            raise UnknownNameError("column_map", key, _INPUTS)
    method = bsa_method(method)
    entry = BSA_METHODS[method]
    height, weight, dose_column = (
        _source(kind, names, column_map, column_units) for kind in ("height", "weight", "dose")
    )
    # a per-row flat dose named dose_mg becomes the output's dose_mg, parsed; other names are taken
    flat_dose = "dose_mg" if dose_column and dose_column.column == "dose_mg" else None
    taken = [name for name in names if name in OUTPUT_COLUMNS + REJECT_COLUMNS and name != flat_dose]
    if taken:
        raise DoseCalcError(f"the input has a column named {taken[0]!r}, which dosecalc writes; rename it")
    if dose is not None and dose_column is not None:
        raise DoseCalcError(f"a dose was given and the input has a dose column {dose_column.column!r}; give one")
    if dose is None and dose_column is None:
        raise MissingInputError(
            "dose", "a cohort: give one (dose='75 mg/m^2') or a column dose_mg_m2, dose_mg_kg or dose_mg"
        )
    if dose is not None:
        amount, basis = read_dose(dose)
        dose = quantity(amount, basis)
    else:
        basis, _ = dose_basis(quantity(1.0, dose_column.units))
    needs_bsa = basis == PER_M2
    if weight is None and basis != FLAT:
        raise MissingInputError(
            "a weight column", f"a dose in {BASIS_LABELS[basis]}: name it weight_kg or weight_lb, or map one"
        )
    if height is None and needs_bsa and entry.needs_height:
        raise MissingInputError(
            "a height column", f"BSA by {entry.label}: name it height_cm, height_m or height_in, or map one"
        )
    sex = column_map.get("sex") or next((name for name in names if _canonical(name) == "sex"), None)
    computes_bsa = needs_bsa or (weight is not None and (height is not None or not entry.needs_height))
    if sex is None and entry.needs_sex and computes_bsa:
        raise MissingInputError("a sex column", f"BSA by {entry.label}")
    if sex is not None and sex not in names:
        raise UnknownNameError("column for sex", sex, names)
    return _Plan(height, weight, dose_column, dose, method, sex if entry.needs_sex else None)


# --- reading columns -----------------------------------------------------------


def _given_numbers(column) -> np.ndarray:
    """A column's numbers as floats, NaN where a cell is missing or not a number."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        try:
            column = pc.cast(column, pa.float64())
        except pa.ArrowInvalid:  # a cell that is not a number: those cells become null
            trimmed = pc.utf8_trim_whitespace(column)
            numeric = pc.match_substring_regex(trimmed, _NUMBER, ignore_case=True)
            column = pc.cast(pc.if_else(numeric, trimmed, pa.scalar(None, column.type)), pa.float64())
    elif pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_decimal(column.type):
        column = pc.cast(column, pa.float64())
    else:
        raise DoseCalcError(f"column holds {column.type}, not numbers")
    return column.to_numpy(zero_copy_only=False)


@dataclass
class _Column:
    """One numeric input of a batch: as given and in the core's unit."""

    source: _Source
    given: np.ndarray  # in the column's unit, NaN where missing or not a number
    values: np.ndarray  # in source.rng.unit

    @classmethod
    def read(cls, source: _Source, table: pa.Table) -> _Column:
        try:
            given = _given_numbers(table[source.column])
        except DoseCalcError as err:
            raise DoseCalcError(f"{source.column}: {err}") from None
        values = magnitude(quantity(given, source.units), source.rng.unit, source.column)
        return cls(source, given, values)

    def reasons(self, table: pa.Table, rows: np.ndarray) -> pa.Array:
        """Why each of ``rows`` is rejected for this column; null where it is fine."""
        source, rng = self.source, self.source.rng
        given, values = self.given[rows], self.values[rows]
        text = pc.utf8_trim_whitespace(pc.cast(table[source.column].take(pa.array(rows)), pa.string()))
        missing = pc.fill_null(pc.equal(text, ""), True)
        number = pc.fill_null(pc.match_substring_regex(text, _NUMBER, ignore_case=True), False)
        expected = f" {source.label}: expected {rng.expected}"
        implausible = pc.binary_join_element_wise(
            f"{source.column}=", text, expected, _hints(text, given, values, rng), "", null_handling="skip"
        )
        reason = pc.case_when(
            pc.make_struct(missing, pc.invert(number)),
            f"{source.column} is missing",
            pc.binary_join_element_wise(f"{source.column}='", text, "': expected a number", ""),
            implausible,
        )
        return pc.if_else(pa.array(valid(values, rng)), pa.scalar(None, pa.string()), reason)


def _hints(text: pa.Array, given: np.ndarray, values: np.ndarray, rng: Range) -> pa.Array:
    # "; did you mean 1.8 m?": the first hint unit in which the number as given
    # would be plausible (the vectorised form of validation's hint)
    choice = np.full(len(given), len(rng.hint_units))
    for index, candidate in reversed(list(enumerate(rng.hint_units))):
        in_range = magnitude(quantity(given, candidate), rng.unit, rng.field)
        choice[valid(in_range, rng) & ~np.isclose(in_range, values)] = index
    endings = pa.array([f" {unit(candidate):~P}?" for candidate in rng.hint_units] + [None], pa.string())
    return pc.binary_join_element_wise("; did you mean ", text, endings.take(pa.array(choice)), "")


def _sex_known(table: pa.Table, column: str) -> tuple[np.ndarray, pa.Array]:
    # classify each distinct value once with the core's is_female: known mask, reasons
    encoded = pc.dictionary_encode(pc.cast(table[column], pa.string()), null_encoding="encode").combine_chunks()
    reasons = []
    for value in encoded.dictionary.to_pylist():
        try:
            is_female(value, column)
            reasons.append(None)
        except DoseCalcError as err:
            reasons.append(str(err))
    per_row = pa.array(reasons, pa.string()).take(encoded.indices)
    return per_row.is_null().to_numpy(zero_copy_only=False), per_row


# --- the batch function --------------------------------------------------------


def _column(values, n: int) -> pa.Array:
    if values is None:
        return pa.nulls(n, pa.float64())
    return pa.array(np.broadcast_to(np.asarray(values, dtype=float), (n,)))


def _dosed(table: pa.Table, plan: _Plan, read: dict, keep: np.ndarray | None = None) -> pa.Table:
    """The rows where ``keep`` is True (all rows if None), dosed by the core on whole columns."""
    if keep is not None:
        table = table.filter(pa.array(keep))
    values = {kind: column.values if keep is None else column.values[keep] for kind, column in read.items()}
    dose = plan.dose if plan.dose is not None else quantity(values["dose"], plan.dose_column.rng.unit)
    sex = None if plan.sex is None else table[plan.sex].to_numpy(zero_copy_only=False)
    result = patient_dose(dose, height=values.get("height"), weight=values.get("weight"), method=plan.method, sex=sex)
    n = table.num_rows
    magnitudes = (
        None if result.bsa is None else result.bsa.m_as("m**2"),
        result.dose.m_as("mg"),
        None if result.dose_per_m2 is None else result.dose_per_m2.m_as("mg/m**2"),
        None if result.dose_per_kg is None else result.dose_per_kg.m_as("mg/kg"),
    )
    method = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int8)), pa.array([result.bsa_method], pa.string()))
    for name, column in zip(OUTPUT_COLUMNS, [*(_column(values, n) for values in magnitudes), method]):
        index = table.schema.get_field_index(name)  # only a per-row dose_mg is already there
        table = table.append_column(name, column) if index < 0 else table.set_column(index, name, column)
    return table


def _rejects(table: pa.Table, rows: np.ndarray, reasons: list, row_offset: int) -> pa.Table:
    """The given ``rows`` as they are, numbered from 1 after ``row_offset``, with their joined reasons."""
    reason = pc.binary_join_element_wise(*reasons, "; ", null_handling="skip") if reasons else pa.array([], pa.string())
    rejected = table.take(pa.array(rows, pa.int64()))
    return rejected.append_column("row", pa.array(row_offset + 1 + rows, pa.int64())).append_column("reason", reason)


def dose_table(table, dose=None, method="mosteller", *, column_map=None, column_units=None, row_offset=0) -> DosedTable:
    """
    Dose every row of a table of patients; reject the rows that cannot be.

    Parameters
    ----------
    table : pyarrow.Table, pyarrow.RecordBatch, DataFrame or dict of arrays
        One row per patient; anything :func:`pyarrow.table` accepts (pandas
        or polars DataFrames, dicts of arrays). Numeric columns may hold
        numbers or text (as read from a CSV file).
    dose : str or Quantity, optional
        The dose for every row: ``"75 mg/m^2"``, ``"1.5 mg/kg"``, ``"100 mg"``.
        Without it, the table needs a per-row dose column.
    method : str, default "mosteller"
        BSA formula (see :data:`dosecalc.BSA_METHODS`).
    column_map : dict, optional
        Columns for inputs whose names the engine does not recognise:
        ``{"height": "Ht", "weight": "Wt", "dose": "Dose", "sex": "Gender"}``.
    column_units : dict, optional
        The units of those columns: ``{"height": "in", "weight": "lb"}``.
    row_offset : int, default 0
        Rows before this batch; its rows are numbered from ``row_offset + 1``.

    Returns
    -------
    DosedTable
        ``dosed``: the valid rows, every input column untouched, plus
        ``bsa_m2`` [m²], ``dose_mg`` [mg], ``dose_mg_per_m2`` [mg/m²],
        ``dose_mg_per_kg`` [mg/kg] (null where an input for them is absent)
        and ``bsa_method`` (dictionary-encoded); a per-row dose column named
        ``dose_mg`` becomes the parsed ``dose_mg``. ``rejects``: the other rows,
        every input column as given, plus ``row`` (1-based, counting data
        rows, not the header) and ``reason``.

    Raises
    ------
    DoseCalcError
        If the table cannot be dosed at all: a dose both given and in a
        column (or neither), a needed column absent or ambiguous, a column
        without a unit, an unknown unit or method.

    Examples
    --------
    >>> dosed, rejects = dose_table(
    ...     {"patient_id": ["a", "b", "c"], "height_in": [69, 70, 1.75], "weight_lb": [154, 176, 160]},
    ...     dose="75 mg/m^2",
    ... )
    >>> [round(mg, 1) for mg in dosed.column("dose_mg").to_pylist()]
    [138.3, 148.9]
    >>> rejects.column("reason").to_pylist()
    ['height_in=1.75 in: expected 20-280 cm; did you mean 1.75 m?']
    """
    table = pa.table(table)
    try:
        hash(dose)
    except TypeError:
        raise UnitError("dose", dose, "one dose for every row; per-row doses go in a column") from None
    plan = _plan(
        tuple(table.column_names), dose, method,
        tuple(sorted((column_map or {}).items())), tuple(sorted((column_units or {}).items())),
    )
    read = {kind: _Column.read(source, table) for kind, source in plan.sources.items()}
    try:  # the fast path: the core checks whole columns at once
        return DosedTable(_dosed(table, plan, read), _rejects(table, np.empty(0, np.int64), [], row_offset))
    except DoseCalcError:
        pass
    # some rows are implausible: mask them, say why, dose the rest
    ok = np.ones(table.num_rows, bool)
    for column in read.values():
        ok &= valid(column.values, column.source.rng)
    if plan.sex is not None:
        sex_known, sex_reasons = _sex_known(table, plan.sex)
        ok &= sex_known
    rows = np.flatnonzero(~ok)
    reasons = [column.reasons(table, rows) for column in read.values()
               if not valid(column.values[rows], column.source.rng).all()]
    if plan.sex is not None:
        reasons.append(sex_reasons.take(pa.array(rows)))
    return DosedTable(_dosed(table, plan, read, ok), _rejects(table, rows, reasons, row_offset))
