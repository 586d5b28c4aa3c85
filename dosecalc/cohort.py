"""
Whole cohorts at once: the vectorised batch engine.

:func:`dose_table` doses one batch of patients, a table with one row per
patient, and returns the dosed rows and the rejected rows. It is the one batch
function of every driver: :func:`dosecalc.cohort_io.convert_file` streams a
file through its Arrow form, :func:`dose_batch`, batch by batch, and a Dask
driver maps it over partitions; ``row_offset`` numbers the rows across
batches. This module imports no driver: the drivers import it.

The engine has no formula and no check of its own. It reads each column once
(its unit from its name, converted by pint), masks the implausible rows with
:func:`dosecalc.validation.valid` and computes the rest with
:func:`dosecalc.patient_dose` on whole columns, so its results are the scalar
core's, number for number.

Columns carry their unit in their name: ``height_cm``, ``height_m``,
``height_in``, ``weight_kg``, ``weight_lb``, per-row doses ``dose_mg_m2``,
``dose_mg_kg``, ``dose_mg`` (in units: ``dose_units_m2``, ``dose_units_kg``,
``dose_units``). Case, spaces and brackets are forgiven
(``"Height (cm)"``), and any unit pint knows of the right kind is read
(``weight_g``, ``dose_ug_kg``); a unit is never guessed. Other names are
mapped explicitly, with their unit (``column_map={"height": "Ht"}``,
``column_units={"height": "in"}``). ``sex`` is read by sex-specific formulas;
every other column (``patient_id``, any id) passes through untouched.

A present height, weight or dose column is required in every row: a row with
a missing, non-numeric, NaN, infinite, zero, negative or implausible value is
rejected, with a reason naming the column, and the other rows go through.

The clinical safeguards are keyword options, off by default, read and
checked as one :class:`dosecalc.Order` (the one description of a dose order,
which :meth:`~dosecalc.Order.for_patient` evaluates for one patient) and
applied to whole columns in its order: a percentage reduction of the
prescribed dose (:func:`dosecalc.adjustments.modify_dose`); a weight basis, a
BSA cap and a maximum dose (:func:`dosecalc.patient_dose`); then rounding to
a step or to vial strengths, or dose banding (the kernels of
:mod:`dosecalc.adjustments`). Each adds its columns (:data:`SAFEGUARD_COLUMNS`)
only when it is on; without them the output is exactly the default one. A
row the scalar path would refuse is rejected with a reason: a missing or
unknown sex where the weight basis needs one, a height outside Devine's
range (5 ft and over), a dose that cannot be rounded within the tolerance or lies outside the
band table.

A dose in units (bleomycin's 10 units/m², a flat dose in units) is computed in
units, never converted to mg: its columns say so (``dose_units``,
``dose_units_per_m2``, ``dose_units_per_kg``, ``dose_uncapped_units``), a
maximum dose is in units, and rounding and bands, which are in mg, are refused.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .adjustments import (
    DEFAULT_TOLERANCE_PCT,
    BandTable,
    cap_expected,
    cap_takes_too_much,
    difference_pct,
    modify_dose,
    step_kernel,
    strengths_kernel,
    strengths_mg_of,
)
from .body import WEIGHT_BASES
from .bsa import BSA_METHODS, bsa_method
from .doses import ABSOLUTE_DOSE, BASIS_LABELS, DOSE_RANGES, FLAT, PER_M2, UNITS, UNITS_PER_M2, dose_basis
from .errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError, UnknownNameError
from .frames import as_table, is_text, plain_types, read_frame, refuse_written_columns
from .grammar import (
    DECIMAL_FEET,
    NUMBER_PATTERN,
    THOUSANDS_CELL,
    THOUSANDS_COMMA_CELL,
    escaped,
    number_slip,
    refused_spelling,
    thousands_reading,
    unquoted_escaped,
)
from .order import Order
from .patient import ACTUAL, cap_text, patient_dose
from .units import magnitude, parse_quantity, quantity, unit
from .validation import (
    BSA,
    HEIGHT,
    WEIGHT,
    Range,
    checked_flag,
    hint_choice,
    implausible_bodies,
    is_female,
    not_a_body,
    valid,
)

__all__ = ["dose_table", "dose_batch", "DosedTable", "OUTPUT_COLUMNS", "SAFEGUARD_COLUMNS", "REJECT_COLUMNS", "REJECTS"]

#: The columns :func:`dose_table` adds to each dosed row.
OUTPUT_COLUMNS = ("bsa_m2", "dose_mg", "dose_mg_per_m2", "dose_mg_per_kg", "bsa_method")
#: The columns each safeguard option adds after them, only when it is on, in this order.
SAFEGUARD_COLUMNS = {
    "reduction_pct": ("dose_reduction_pct",),
    "weight_basis": ("dosing_weight_kg", "weight_basis", "above_actual_weight"),
    "flag_obesity": ("obese",),
    "bsa_cap": ("bsa_uncapped_m2", "bsa_capped"),
    "max_dose": ("dose_uncapped_mg", "dose_capped"),
    "round_to": ("dose_rounded_mg", "rounding_difference_pct"),
    "vials": ("dose_rounded_mg", "rounding_difference_pct"),
    "bands": ("dose_banded_mg", "band_deviation_pct", "band"),
}
#: The columns it adds to each rejected row: the 1-based row number and why.
REJECT_COLUMNS = ("row", "reason")
#: Where :func:`dose_table` puts the rejected rows: a table of their own, or in place among the dosed rows.
REJECTS = ("separate", "inline")

_INPUTS = ("height", "weight", "dose", "sex")
# the output's absolute dose, by the dose's unit: a per-row dose column of that name becomes it
_AMOUNT_COLUMNS = ("dose_mg", "dose_units")
# what one administration may be, by the dose's unit, as patient_dose checks it
_ABSOLUTE = {FLAT: ABSOLUTE_DOSE, UNITS: DOSE_RANGES[UNITS]}
_BODY_RANGES = {"height": HEIGHT, "weight": WEIGHT}
# A cell is a number by dosecalc's grammar (ASCII digits, one full stop, an
# exponent; ASCII spaces around), never by Arrow's cast, which also takes
# "+75", ".5", "5.", "inf", "nan" and "1_0": the same text, the same number, on every path.
_NUMBER = f"^{NUMBER_PATTERN}$"


class DosedTable(NamedTuple):
    """The result of :func:`dose_table`: ``len(dosed) + len(rejects)`` rows in."""

    dosed: pa.Table
    rejects: pa.Table


# --- which column holds what, in which unit: resolved once per schema ---------


@dataclass(frozen=True)
class Source:
    """A numeric input read from a column whose numbers are in ``units``."""

    column: str
    units: Any  # pint Unit of the column's numbers
    rng: Range  # plausible range, in the unit the core takes
    narrower: Range | None = None  # a safeguard's narrower range, checked after rng (Devine: 5 ft and over)

    @property
    def label(self) -> str:
        return f"{self.units:~P}"


@dataclass(frozen=True)
class _Plan:
    height: Source | None
    weight: Source | None
    dose_column: Source | None
    dose: Any  # one dose for every row, a Quantity in its basis; None with a dose column
    method: str
    sex: str | None  # the sex column, read only by a sex-specific formula or weight basis
    guards: _Safeguards

    @property
    def sources(self) -> dict[str, Source]:
        """The numeric inputs the table has, by kind."""
        sources = {"height": self.height, "weight": self.weight, "dose": self.dose_column}
        return {kind: source for kind, source in sources.items() if source is not None}


@functools.lru_cache(maxsize=1024)
def canonical_name(name: str) -> str:
    """
    A column's name as the engine compares names: ``"Height (cm)"`` is
    ``"height_cm"``. A name holding an invisible character (a control or
    format character: a zero-width space, a soft hyphen, a tab) is refused,
    never compared with the character dropped: ``"height\u200b_cm"`` is not
    ``height_cm`` by accident.
    """
    text = str(name)
    hidden = next((char for char in text if unicodedata.category(char) in ("Cc", "Cf")), None)
    if hidden is not None:
        raise DoseCalcError(
            f"column {escaped(text)}: its name holds an invisible character (U+{ord(hidden):04X}); rename the column"
        )
    return "_".join(re.findall(r"[^\W_]+", text.lower()))


_PER_ADMINISTRATION = "a dose unit per administration: mg/m2, mg/kg, mg, units/m2, units/kg or units"


def _any_units(text: str, kind: str, field: str):
    """
    The pint Unit of ``text`` by the vocabulary of ``kind`` (an ounce weighs a body, never a drug), a dose's
    rate too ("mg_m2_week"); UnitError for a text that is none of its units.
    """
    expression = re.sub(r"_per_|_", "/", text) if kind == "dose" else text
    return parse_quantity(f"1 {expression}", field, kind=kind).units


def _units(text: str, kind: str, field: str):
    """The pint Unit of ``text`` if it is a unit of ``kind`` (a dose's per administration), else raise UnitError."""
    try:
        units = _any_units(text, kind, field)
    except UnitError:
        such_as = _PER_ADMINISTRATION if kind == "dose" else f"a unit of {kind} such as {_BODY_RANGES[kind].unit}"
        raise UnitError(field, repr(text), f"a known unit, {such_as}") from None
    if kind == "dose" and dose_basis(quantity(1.0, units))[1]:
        raise UnitError(field, text, _PER_ADMINISTRATION)
    return units


def _named_units(column: str, kind: str):
    # the unit in a column's name ("height_in" -> inch), None if it names none of this kind
    suffix = canonical_name(column).removeprefix(kind + "_")
    if suffix == canonical_name(column):
        return None
    try:
        return _units(suffix, kind, column)
    except UnitError:
        return None


#: The inputs a column's name may say it holds ("weight_kg", "age_years"): a column so named is no other input.
NAMED_INPUTS = ("height", "weight", "dose", "sex", "age", "creatinine", "gfr")


def refuse_other_kind(kind: str, column: str) -> None:
    """
    Refuse ``column`` mapped as ``kind`` where its name says it holds another input: ``height_cm`` or a
    bare ``height`` mapped as the weight, ``weight_kg`` as the dose or the age, ``Wt_cm`` as a weight
    (its name ends in a length's unit). A name that begins with ``kind`` is the mapping's own.
    """
    name = canonical_name(column)
    if name == kind or name.startswith(kind + "_"):
        return
    article = "an" if kind[0] in "aeiou" else "a"
    for other in NAMED_INPUTS:
        if other != kind and (name == other or name.startswith(other + "_")):
            raise DoseCalcError(
                f"column_map[{kind!r}]={column!r}: the column's name says it holds the {other}; map {article} {kind} column"
            )
    last = name.rsplit("_", 1)[-1]
    for other in ("height",) if kind == "dose" else ("height", "weight"):  # a dose's own unit may be a mass
        if other != kind and last != name and _named_units(f"{other}_{last}", other) is not None:
            raise DoseCalcError(
                f"column_map[{kind!r}]={column!r}: the column's name ends in a unit of {other} ({last}); "
                f"map {article} {kind} column"
            )


def _refuse_misread_unit(column: str, kind: str) -> None:
    """
    Refuse a column named as ``kind`` in a unit never read as one: a unit of another input (``dose_oz``, an
    ounce weighs a body; ``weight_mg``, ``height_kg``) and, for a dose, an error-prone spelling (``dose_IU_m2``,
    ``dose_U_m2``, ``dose_cc``: ISMP) or a rate (``dose_mg_m2_week``: a row's dose is one administration's).
    A name of ``kind`` whose rest is no unit (``dose_level``) is no input.
    """
    name = canonical_name(column)
    suffix = name.removeprefix(kind + "_")
    if suffix == "unit":  # "dose_unit": an export's unit of another column ("mg/m2"), never a dose of 1 unit
        raise UnitError(
            column,
            "'unit'",
            f"a {kind} column named for its unit ({kind}_<unit>): {column} names the unit of another column; "
            + (
                "rename it, and name the dose column for its unit (dose_mg_m2, dose_units)"
                if kind == "dose"
                else "rename it"
            ),
        )
    if suffix == name or _named_units(column, kind) is not None:
        return
    for other in ("height", "weight", "dose"):
        if other != kind and _named_units(f"{other}_{suffix}", other) is not None:
            raise UnitError(
                column,
                repr(suffix),
                f"a unit of {kind} ({kind}_<unit>): {suffix} measures a {other}; rename the column",
            )
    if kind != "dose":
        return
    why = refused_spelling(suffix.split("_")[0])
    if why is not None:
        raise UnitError(column, repr(suffix), f"a dose unit per administration: {why}; rename the column")
    try:
        rate = dose_basis(quantity(1.0, _any_units(suffix, "dose", column)))[1]
    except UnitError:  # no dose unit at all (dose_level): no input, passed through
        return
    if rate:
        raise UnitError(
            column, repr(suffix), "a dose per administration: a row's dose is one administration's, not a rate"
        )


def refuse_one_column_twice(column_map: dict) -> None:
    """Refuse one column mapped as two inputs: a column holds one of a patient's inputs."""
    for kind, column in column_map.items():
        also = [other for other, same in column_map.items() if same == column and other != kind]
        if column is not None and also:
            raise DoseCalcError(f"column {column!r} is mapped as both {kind} and {also[0]}; map one column to each")


def column_source(kind: str, names, column_map: dict, column_units: dict) -> Source | None:
    """
    The column of ``names`` that holds ``kind`` (``"height"``, ``"weight"``,
    ``"dose"``) and its unit: mapped in ``column_map``, else the one whose name
    carries a unit of that kind; None if the table has none.

    Raises
    ------
    UnitError, UnknownNameError, DoseCalcError
        A column without a unit or of a unit of another kind, a mapped column
        the table lacks, several columns of one kind.
    """
    given_units = column_units.get(kind)
    if kind in column_map:
        if column_map[kind] not in names:
            raise UnknownNameError(f"column for {kind}", column_map[kind], names)
        refuse_other_kind(kind, column_map[kind])
        columns = [column_map[kind]]
    else:
        columns = [
            name
            for name in names
            if _named_units(name, kind) is not None or (given_units and canonical_name(name) == kind)
        ]
        for name in names:
            _refuse_misread_unit(name, kind)
        bare = [name for name in names if canonical_name(name) == kind]
        if columns:  # a "Height" beside height_cm is a second height, whatever its unit: which is the patients'?
            columns += [name for name in bare if name not in columns]
        if len(columns) > 1:
            raise DoseCalcError(
                f"several {kind} columns: {', '.join(columns)}; keep one or map one with column_map (--map)"
            )
        if not columns and bare:
            raise UnitError(bare[0], "a number with no unit", f"a unit in the name ({kind}_...) or in column_units")
        if not columns:
            return None
    column = columns[0]
    named = _named_units(column, kind)
    if given_units is None and named is None:
        raise UnitError(column, "a number with no unit", f"its unit in column_units[{kind!r}] (--{kind}-unit)")
    units = named if given_units is None else _units(given_units, kind, f"column_units[{kind!r}]")
    if named is not None and units != named:
        raise UnitError(f"column_units[{kind!r}]", given_units, f"{named:~P}, as column {column!r} says")
    if kind == "dose":
        basis, _ = dose_basis(quantity(1.0, units))
        assert basis is not None  # a dose unit, checked by _units
        return Source(column, units, DOSE_RANGES[basis])
    return Source(column, units, _BODY_RANGES[kind])


@functools.lru_cache(maxsize=64)
def _plan(names: tuple, dose, method: str, column_map: Any, column_units: Any, options: _Options) -> _Plan:
    column_map, column_units = dict(column_map), dict(column_units)
    twice = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if twice:  # which one would a reader of the output take? (Parquet readers refuse the file)
        raise DoseCalcError(f"the input has {names.count(twice[0])} columns named {twice[0]!r}; rename all but one")
    for key in column_map:
        if key not in _INPUTS:
            raise UnknownNameError("column_map", key, _INPUTS)
    for key, text in column_units.items():  # a unit given for a column the dosing never reads: refused, not unused
        if key not in _INPUTS or (key == "dose" and dose is not None):
            why = "the dose is given for every row, and no dose column is read" if key == "dose" else None
            raise ImplausibleInputError(
                f"column_units[{key!r}]", text, f"no unit: {why or f'this dosing reads no {key} column'}"
            )
    method = bsa_method(method)
    entry = BSA_METHODS[method]
    height, weight, dose_column = (
        column_source(kind, names, column_map, column_units) for kind in ("height", "weight", "dose")
    )
    sources = zip(("height", "weight", "dose"), (height, weight, dose_column))
    read = {kind: None if source is None else source.column for kind, source in sources}
    refuse_one_column_twice(read | {"sex": column_map.get("sex")})
    if dose is not None and dose_column is not None:
        raise DoseCalcError(f"a dose was given and the input has a dose column {dose_column.column!r}; give one")
    if dose is None and dose_column is None:
        raise MissingInputError(
            "dose",
            "a cohort: one dose for every row (75 mg/m^2), or a column dose_mg_m2, dose_mg_kg or dose_mg "
            "(in units: dose_units_m2, dose_units_kg or dose_units)",
        )
    # a per-row dose column: the Order holds the safeguards only, with a nominal dose in the column's basis
    # (1 mg/m²); its checks depend on the basis (the unit of a cap), never on the amount, and each row's dose
    # takes the nominal one's place
    nominal = None if dose_column is None else quantity(1.0, dose_column.rng.unit)
    guards = _safeguards(nominal if dose is None else dose, options)
    basis = guards.order.basis
    if dose is not None:
        dose = guards.order.prescribed  # after the reduction
    # a per-row flat dose named dose_mg (dose_units) becomes the output's, parsed; other names are taken
    flat_dose = dose_column.column if dose_column and dose_column.column in _AMOUNT_COLUMNS else None
    writes = tuple(_in_amount(name, guards.amount) for name in OUTPUT_COLUMNS) + guards.columns + REJECT_COLUMNS
    refuse_written_columns(names, [name for name in writes if name != flat_dose])
    needs_bsa = basis in (PER_M2, UNITS_PER_M2)
    if weight is None and basis not in (FLAT, UNITS):
        raise MissingInputError(
            "a weight column", f"a dose in {BASIS_LABELS[basis]}: name it weight_kg or weight_lb, or map one"
        )
    if height is None and needs_bsa and entry.needs_height:
        raise MissingInputError(
            "a height column", f"BSA by {entry.label}: name it height_cm, height_m or height_in, or map one"
        )
    sexes = [name for name in names if canonical_name(name) == "sex"]
    sex = column_map.get("sex") or next(iter(sexes), None)
    computes_bsa = needs_bsa or (weight is not None and (height is not None or not entry.needs_height))
    if sex is None and entry.needs_sex and computes_bsa:
        raise MissingInputError("a sex column", f"BSA by {entry.label}")
    if sex is not None and sex not in names:
        raise UnknownNameError("column for sex", sex, names)
    height, reads_sex = _guarded(guards, height, weight, sex, computes_bsa)
    reads_sex = reads_sex or entry.needs_sex
    if reads_sex and "sex" not in column_map and len(sexes) > 1:  # which one holds the patients' sex?
        raise DoseCalcError(f"several sex columns: {', '.join(sexes)}; keep one or map one with column_map (--map)")
    return _Plan(height, weight, dose_column, dose, method, sex if reads_sex else None, guards)


def _guarded(guards: _Safeguards, height, weight, sex, computes_bsa: bool) -> tuple[Source | None, bool]:
    """
    Check that the columns the safeguards need are there; return the height
    source checked against the weight basis's heights, and whether the basis
    reads sex.
    """
    order = guards.order
    if order.bsa_cap is not None and not computes_bsa:
        raise MissingInputError("a BSA", "bsa_cap: give height and weight columns")
    entry, by_basis = WEIGHT_BASES[order.weight_basis], order.weight_basis != ACTUAL
    for kind, column, needed, needed_for in (
        ("height", height, by_basis and entry.height_range is not None, entry.label),
        ("weight", weight, by_basis and entry.needs_weight, entry.label),
        ("sex", sex, by_basis and entry.needs_sex, entry.label),
        ("height", height, guards.flag_obesity, "flag_obesity (BMI)"),
        ("weight", weight, guards.flag_obesity, "flag_obesity (BMI)"),
    ):
        if needed and column is None:
            raise MissingInputError(f"a {kind} column", needed_for)
    if by_basis and entry.height_range not in (None, HEIGHT):
        height = dataclasses.replace(height, narrower=entry.height_range)
    return height, by_basis and entry.needs_sex


# --- the safeguards: checked once per plan, applied to each batch -------------


class _Options(NamedTuple):
    """The safeguard options as given to :func:`dose_table`."""

    weight_basis: Any
    bsa_cap: Any
    max_dose: Any
    reduction_pct: Any
    round_to: Any
    vials: Any
    tolerance_pct: Any
    bands: Any
    flag_obesity: bool


class _Measured(NamedTuple):
    """A batch's doses rounded or banded: the columns, which rows fit, and why the others do not."""

    columns: dict
    fits: np.ndarray
    reasons: pa.Array


def formatted_numbers(template: str, values: np.ndarray) -> pa.Array:
    # each value %-formatted, as the scalar messages format one with f"{value:g}"
    return pa.array([template % value for value in values.tolist()], pa.string())


def _nearest_totals(dose_mg: np.ndarray, strengths_mg: np.ndarray, ceiling_mg: float) -> tuple[np.ndarray, np.ndarray]:
    """
    :func:`~dosecalc.adjustments.strengths_kernel`'s totals, and where they
    could be counted: the kernel refuses a batch whose largest dose has too
    many combinations of units, as ``round_dose`` refuses that dose alone.
    """
    countable = np.ones(dose_mg.shape, bool)
    try:
        return strengths_kernel(dose_mg, strengths_mg, ceiling_mg)[0], countable
    except ImplausibleInputError:
        pass
    # whether a dose can be counted rises with the dose: bisect for the smallest that cannot
    doses = np.unique(dose_mg)
    low, high = -1, doses.size - 1
    while high - low > 1:
        middle = (low + high) // 2
        try:
            strengths_kernel(doses[middle : middle + 1], strengths_mg)
            low = middle
        except ImplausibleInputError:
            high = middle
    countable = dose_mg < doses[high]
    rounded = np.zeros_like(dose_mg)
    if countable.any():
        rounded[countable] = strengths_kernel(dose_mg[countable], strengths_mg, ceiling_mg)[0]
    return rounded, countable


@dataclass(frozen=True, eq=False)
class _Rounding:
    """Rounding to a step or to vial strengths, refused outside the tolerance, as ``round_dose`` does."""

    tolerance_pct: float
    ceiling_mg: float  # the maximum dose, or inf
    step_mg: float | None = None
    strengths_mg: np.ndarray | None = None  # descending

    @property
    def measure(self) -> str:
        if self.step_mg is not None:
            return f"a multiple of {self.step_mg:g} mg"
        return (
            "whole units of "
            + ", ".join(f"{strength:g}" for strength in ([] if self.strengths_mg is None else self.strengths_mg))
            + " mg"
        )

    def _rounded(self, dose_mg: np.ndarray, ceiling_mg: float) -> tuple[np.ndarray, np.ndarray]:
        if self.step_mg is not None:
            return step_kernel(dose_mg, self.step_mg, ceiling_mg), np.ones(dose_mg.shape, bool)
        assert self.strengths_mg is not None  # a step or strengths
        return _nearest_totals(dose_mg, self.strengths_mg, ceiling_mg)

    def apply(self, dose_mg: np.ndarray) -> _Measured:
        rounded, countable = self._rounded(dose_mg, self.ceiling_mg)
        difference = difference_pct(dose_mg, rounded)
        fits = countable & ~(np.abs(difference) > self.tolerance_pct)
        misfit = ~fits
        calculated = formatted_numbers("%g", dose_mg[misfit])
        # where the ceiling kept the nearest measure out, the one below it is said as such, as round_dose says it
        nearest = "; the nearest, "
        if np.isfinite(self.ceiling_mg) and misfit.any():
            below = self._rounded(dose_mg[misfit], np.inf)[0] != rounded[misfit]
            nearest = pc.if_else(
                pa.array(below), f"; the nearest at most the ceiling of {self.ceiling_mg:g} mg, ", nearest
            )
        outside = pc.binary_join_element_wise(
            "dose_mg=",
            calculated,
            f" mg: expected a dose within ±{self.tolerance_pct:g} % of {self.measure}",
            nearest,
            formatted_numbers("%g", rounded[misfit]),
            " mg, is ",
            formatted_numbers("%+.1f", difference[misfit]),
            " %: not rounded",
            "",
        )
        too_many = pc.binary_join_element_wise(
            "dose_mg=", calculated, f" mg: too large to count in {self.measure}; round to a step instead", ""
        )
        columns = {"dose_rounded_mg": pa.array(rounded), "rounding_difference_pct": pa.array(difference)}
        return _Measured(columns, fits, pc.if_else(pa.array(countable[misfit]), outside, too_many))


@dataclass(frozen=True, eq=False)
class _Banding:
    """Dose banding by a band table, refused outside it, as ``band_dose`` does."""

    table: BandTable
    ceiling_mg: float = np.inf  # never banded above (a maximum dose)

    def apply(self, dose_mg: np.ndarray) -> _Measured:
        table = self.table
        banding = table.apply(dose_mg, self.ceiling_mg)
        at = np.maximum(banding.band, 0).astype(np.int32)
        names = pa.DictionaryArray.from_arrays(pa.array(at), pa.array(table.names, pa.string()))
        reasons = pa.array(
            [str(ImplausibleInputError("dose_mg", *refusal)) for refusal in banding.refusals], pa.string()
        )
        columns = {
            "dose_banded_mg": pa.array(banding.banded_mg),
            "band_deviation_pct": pa.array(banding.deviation_pct),
            "band": names,
        }
        return _Measured(columns, banding.fits, reasons)


@dataclass(frozen=True)
class _Safeguards:
    """
    An :class:`~dosecalc.order.Order`'s safeguards compiled for whole columns:
    the Order read and checked every option; ``on`` names the options that add
    columns, ``amount`` is the dose's unit ("mg" or "units").
    """

    order: Order
    on: tuple[str, ...]
    measure: _Rounding | _Banding | None
    flag_obesity: bool

    @property
    def amount(self) -> str:
        return self.order.amount_unit

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns these safeguards add, in order."""
        names = (name for option in self.on for name in SAFEGUARD_COLUMNS[option])
        return tuple(dict.fromkeys(_in_amount(name, self.amount) for name in names))

    @property
    def patient_options(self) -> dict:
        """The keyword options of :func:`dosecalc.patient_dose`."""
        order = self.order
        return {"weight_basis": order.weight_basis, "bsa_cap": order.bsa_cap, "max_dose": order.max_dose}

    def patient_columns(self, result, n: int) -> dict:
        """The columns of the steps up to the capped dose, from the core's result."""
        order, columns = self.order, {}
        if order.reduction_pct is not None:
            columns["dose_reduction_pct"] = _column(order.reduction_pct, n)
        if order.weight_basis != ACTUAL:
            columns["dosing_weight_kg"] = _column(result.dosing_weight.m_as(unit("kg")), n)
            columns["weight_basis"] = label_column(result.weight_basis, n)
            columns["above_actual_weight"] = _flags(result.above_actual_weight, n)  # said, never changed
        if self.flag_obesity:
            columns["obese"] = _flags(result.obese, n)
        if order.bsa_cap is not None:
            columns["bsa_uncapped_m2"] = _column(result.bsa_uncapped.m_as(unit("m**2")), n)
            columns["bsa_capped"] = _flags(result.bsa_cap_applied, n)
        if order.max_dose is not None:
            columns[_in_amount("dose_uncapped_mg", self.amount)] = _column(result.dose_uncapped.m_as(self.amount), n)
            columns["dose_capped"] = _flags(result.max_dose_applied, n)
        return columns


def _in_amount(name: str, amount: str) -> str:
    """A dose column's name for a dose in ``amount``: ``dose_mg_per_m2`` is ``dose_units_per_m2`` in units."""
    return re.sub(r"_mg(?=_|$)", f"_{amount}", name)


def measure_of(order: Order, ceiling_mg: float) -> _Rounding | _Banding | None:
    """An Order's rounding or band for whole columns of doses in mg, never rounding above ``ceiling_mg``; None without one."""
    tolerance_pct = DEFAULT_TOLERANCE_PCT if order.tolerance_pct is None else order.tolerance_pct
    if order.round_to is not None:
        return _Rounding(tolerance_pct, ceiling_mg, step_mg=float(order.round_to.m_as("mg")))
    if order.vials is not None:
        return _Rounding(tolerance_pct, ceiling_mg, strengths_mg=strengths_mg_of(order.vials))
    if order.bands is not None:
        return _Banding(order.bands, ceiling_mg)
    return None


def _safeguards(dose, options: _Options) -> _Safeguards:
    """
    The safeguard options as one :class:`~dosecalc.order.Order` of ``dose``,
    which reads and checks them as it does for one patient, compiled for
    whole columns.
    """
    order = Order(
        None,
        dose,
        reduction_pct=options.reduction_pct,
        weight_basis=options.weight_basis,
        bsa_cap=options.bsa_cap,
        max_dose=options.max_dose,
        round_to=options.round_to,
        vials=options.vials,
        bands=options.bands,
        tolerance_pct=options.tolerance_pct,
    )
    # a maximum dose is never rounded past (rounding is in mg: the Order refuses it for a dose in units)
    measure = measure_of(order, np.inf if order.max_dose is None else float(order.max_dose.m_as(order.amount_unit)))
    on = {
        "reduction_pct": order.reduction_pct is not None,
        "weight_basis": order.weight_basis != ACTUAL,
        "flag_obesity": bool(options.flag_obesity),
        "bsa_cap": order.bsa_cap is not None,
        "max_dose": order.max_dose is not None,
        **{name: getattr(order, name) is not None for name in ("round_to", "vials", "bands")},
    }
    return _Safeguards(
        order, tuple(option for option in SAFEGUARD_COLUMNS if on[option]), measure, bool(options.flag_obesity)
    )


# --- reading columns -----------------------------------------------------------


# numbers; or no value at all (null, Parquet's type of an empty column): missing in every row
_NUMERIC_TYPES = (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal, pa.types.is_null)


#: The largest integer a float64 holds exactly, 2**53: beyond it, an integer cell is a code (an EHR's INT64
#: "missing"), not a measurement, and its row is rejected rather than rounded.
EXACT_INTEGER = 2**53


def _point_decimals(text):
    """Text with a decimal comma ("1,75") as Arrow reads numbers ("1.75"); a cell holding a "." is no number then."""
    with_point = pc.match_substring(text, ".")
    return pc.if_else(with_point, pa.scalar("", text.type), pc.replace_substring(text, ",", "."))


def _text_numbers(text, decimal_comma: bool):
    """Text cells as floats; null where a cell is not a number by the grammar (rejected with its reason)."""
    if decimal_comma:
        text = _point_decimals(text)
    trimmed = pc.utf8_trim(text, " ")
    numeric = pc.match_substring_regex(trimmed, _NUMBER)
    return pc.cast(pc.if_else(numeric, trimmed, pa.scalar(None, text.type)), pa.float64())


#: Cells a text column is sampled at for repeats. Where at most half of them are distinct (heights to the
#: 0.1 cm, weights to the 0.1 kg), the grammar reads each distinct text of the column once: a hash a cell costs
#: less than the regex below about 30 % distinct texts (measured on 262,144 cells: 3.8 against 13.3 ms at 2 %,
#: 15.6 against 13.1 ms at 38 %), and a column whose sample is half distinct holds far fewer distinct texts than
#: cells (about two thirds of the sample's size, for cells drawn alike).
TEXT_SAMPLE = 4096


def _texts_repeat(column) -> bool:
    sample = column.slice(0, TEXT_SAMPLE)
    return len(column) > TEXT_SAMPLE and 2 * pc.count_distinct(sample, mode="all").as_py() <= len(sample)


def given_numbers(column, decimal_comma: bool = False) -> np.ndarray:
    """A column's numbers as floats, NaN where a cell is missing, not a number, or an integer beyond 2**53."""
    if pa.types.is_dictionary(column.type) and is_text(column.type.value_type):  # each distinct text read once
        chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
        column = pa.chunked_array(
            [_text_numbers(chunk.dictionary, decimal_comma).take(chunk.indices) for chunk in chunks], pa.float64()
        )
    elif pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if is_text(column.type):
        if _texts_repeat(column):  # each distinct text read once, then given to each of its cells
            encoded = pc.dictionary_encode(column)
            chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
            column = pa.chunked_array(
                [_text_numbers(chunk.dictionary, decimal_comma).take(chunk.indices) for chunk in chunks], pa.float64()
            )
        else:
            column = _text_numbers(column, decimal_comma)
    elif pa.types.is_integer(column.type):
        exact = pc.less_equal(
            column, pa.scalar(EXACT_INTEGER, pa.uint64() if pa.types.is_uint64(column.type) else pa.int64())
        )
        if pa.types.is_signed_integer(column.type):
            exact = pc.and_(exact, pc.greater_equal(column, pa.scalar(-EXACT_INTEGER, pa.int64())))
        column = pc.if_else(exact, pc.cast(column, pa.float64(), safe=False), pa.scalar(None, pa.float64()))
    elif any(test(column.type) for test in _NUMERIC_TYPES):
        column = pc.cast(column, pa.float64())
    else:
        raise DoseCalcError(f"column holds {column.type}, not numbers")
    return column.to_numpy(zero_copy_only=False)


@dataclass
class Column:
    """One numeric input of a batch: as given and in the core's unit."""

    source: Source
    given: np.ndarray  # in the column's unit, NaN where missing or not a number
    values: np.ndarray  # in source.rng.unit
    decimal_comma: bool = False  # text numbers are written 1,75
    two_readings: np.ndarray | None = None  # an amount's cells such as "1.500": 1.5, or 1500 (None: there are none)

    @classmethod
    def read(cls, source: Source, table: pa.Table, decimal_comma: bool = False) -> Column:
        decimal_comma = checked_flag(decimal_comma, "decimal_comma")
        cells = table[source.column]
        if is_text(cells.type) and _texts_repeat(cells):  # each distinct text read once, by both readings below
            cells = pc.dictionary_encode(cells)
        try:
            given = given_numbers(cells, decimal_comma)
        except DoseCalcError as err:
            raise DoseCalcError(f"{source.column}: {err}") from None
        # an amount's cell is read one way only: "1.500" (with a decimal comma, "1,500") is refused
        two = None if source.rng not in _AMOUNTS else read_two_ways(cells, decimal_comma)
        values = _converted(given, source.units, source.rng, source.column)
        return cls(source, given, values, decimal_comma, two if two is not None and two.any() else None)

    def plausible(self, rows=slice(None), within=None) -> np.ndarray:
        """
        Where the values of ``rows`` are inside the source's range, and its
        narrower one; with ``within``, ANDed into that mask in place.
        """
        inside = valid(self.values[rows], self.source.rng, within)
        if self.source.narrower is not None:
            inside = valid(self.values[rows], self.source.narrower, inside)
        if self.in_feet:
            inside &= ~self.fractional_feet(rows)
        if self.two_readings is not None:
            inside &= ~self.two_readings[rows]
        return inside

    @property
    def in_feet(self) -> bool:
        """Whether the column's numbers are feet (``height_ft``)."""
        return self.source.units == unit("foot")

    def fractional_feet(self, rows=slice(None)) -> np.ndarray:
        """
        Where a height in feet has a fractional part: the feet.inches slip
        (5.11 for 5 ft 11 in), refused as :func:`dosecalc.grammar.read`
        refuses "5.11 ft"; whole feet ("6", "6.0") are read. Nowhere in a
        column of another unit.
        """
        given = self.given[rows]
        if not self.in_feet:
            return np.zeros(given.shape, bool)
        with np.errstate(invalid="ignore"):
            return np.isfinite(given) & (given != np.floor(given))

    def reasons(self, table: pa.Table, rows: np.ndarray) -> pa.Array:
        """
        Why each of ``rows`` is rejected for this column; null where it is
        fine. A reason depends on the cell alone: built for this column's
        implausible cells only, each distinct cell once (a column's slips
        repeat: "1.75", "", "NA").
        """
        fine = self.plausible(rows)
        failing = rows[~fine]
        if failing.size == 0:
            return pa.nulls(rows.size, pa.string())
        cells = table[self.source.column].take(pa.array(failing)).combine_chunks()
        if pa.types.is_dictionary(cells.type):  # a categorical column's cells are its text
            cells = cells.cast(cells.type.value_type)
        encoded = pc.dictionary_encode(cells, null_encoding="encode")
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        # the dictionary is in the order cells first occur: the first row of each
        first = np.unique(codes, return_index=True)[1]
        at = np.zeros(rows.size, codes.dtype)
        at[~fine] = codes
        return self._reasons(cells.take(pa.array(first)), failing[first]).take(pa.array(at, mask=fine))

    def _reasons(self, cells: pa.Array, rows: np.ndarray) -> pa.Array:
        """:meth:`reasons` of ``rows``, each implausible, whose cells are ``cells``."""
        source, rng = self.source, self.source.rng
        given, values = self.given[rows], self.values[rows]
        cells_text = pc.cast(cells, pa.string())
        text = pc.utf8_trim(cells_text, " ")
        missing = pc.fill_null(pc.equal(text, ""), True)
        read_as = _point_decimals(text) if self.decimal_comma else text
        slips = pa.array([""] * len(cells), pa.string())
        if pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type):
            number = pc.fill_null(pc.match_substring_regex(read_as, _NUMBER), False)
            # a cell that is not a number is shown as typed, invisible characters escaped (the cells are
            # distinct), with the slip it holds where it is a known one (a range, '1·5', a unit in the cell)
            failing = [
                None if cell is None or is_number else cell
                for cell, is_number in zip(cells_text.to_pylist(), number.to_pylist())
            ]
            shown = [None if cell is None else unquoted_escaped(cell) for cell in failing]
            text = pc.if_else(number, text, pa.array(shown, pa.string()))
            found = [None if cell is None else number_slip(cell.strip(" "), self.decimal_comma) for cell in failing]
            slips = pa.array(["" if slip is None else f"; {slip}" for slip in found], pa.string())
        else:  # a column of numbers by its type
            number = pc.is_valid(cells)
        # an integer past 2**53 (read as NaN): a code such as INT64's "missing", not a measurement
        coded = pa.array(np.isnan(given) & pa.types.is_integer(cells.type))
        expected = f" {source.label}: expected {rng.expected}"
        implausible = pc.binary_join_element_wise(
            f"{source.column}=", text, expected, _hints(text, given, values, rng), "", null_handling="skip"
        )
        a_number = "a number with a decimal comma, such as 1,75" if self.decimal_comma else "a number"
        feet = self.fractional_feet(rows)
        reason = pc.case_when(
            pc.make_struct(missing, pc.invert(number), coded, pa.array(feet)),
            f"{source.column} is missing",
            pc.binary_join_element_wise(f"{source.column}='", text, f"': expected {a_number}", slips, ""),
            pc.binary_join_element_wise(
                f"{source.column}=",
                text,
                f": expected {rng.expected}; an integer beyond ±2**53 is a code, not a measurement",
                "",
            ),
            pc.binary_join_element_wise(f"{source.column}=", text, f" {source.label}: expected {DECIMAL_FEET}", ""),
            implausible,
        )
        if source.narrower is not None:  # checked after rng, as the scalar core does: no hint
            expected = f" {source.label}: expected {source.narrower.expected}"
            narrower = pc.binary_join_element_wise(f"{source.column}=", text, expected, "")
            reason = pc.if_else(pa.array(valid(values, rng) & ~feet), narrower, reason)
        # "1.500" or "1,500" (grammar.THOUSANDS_CELL, THOUSANDS_COMMA_CELL), as the grammar refuses "1.500 mg"
        if self.two_readings is not None:
            two = self.two_readings[rows]
            two_reasons = [
                two_readings_reason(source.column, cell) if both else None
                for cell, both in zip(cells_text.to_pylist(), two.tolist())
            ]
            reason = pc.if_else(pa.array(two), pa.array(two_reasons, pa.string()), reason)
        return reason


#: The ranges of a column of amounts of drug (a dose column), whose cells such as "1.500" have two readings.
_AMOUNTS = tuple(DOSE_RANGES.values())


def two_readings_reason(column: str, cell: str) -> str:
    """Why an amount's cell such as "1.500" is rejected: it has two readings (``grammar.thousands_reading``)."""
    number = cell.strip(" ")
    return f"{column}={number}: expected an amount of one reading; {thousands_reading(number)}"


def read_two_ways(column, decimal_comma: bool = False) -> np.ndarray | None:
    """
    Where a text column's cells are amounts such as "1.500" (:data:`~dosecalc.grammar.THOUSANDS_CELL`), or with
    a decimal comma "1,500" (:data:`~dosecalc.grammar.THOUSANDS_COMMA_CELL`); None for a column of numbers.
    """
    pattern = THOUSANDS_COMMA_CELL if decimal_comma else THOUSANDS_CELL
    masks = []
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        if pa.types.is_dictionary(chunk.type) and is_text(chunk.type.value_type):  # each distinct text once
            found = pc.match_substring_regex(chunk.dictionary, pattern).take(chunk.indices)
        elif is_text(chunk.type):
            found = pc.match_substring_regex(chunk, pattern)
        else:
            return None
        masks.append(pc.fill_null(found, False).to_numpy(zero_copy_only=False))
    return np.concatenate(masks) if masks else np.zeros(0, bool)


def _converted(given: np.ndarray, units, rng: Range, field: str) -> np.ndarray:
    # numbers in ``units`` to the core's unit; one past float's range becomes inf, rejected as implausible
    with np.errstate(over="ignore"):
        return magnitude(quantity(given, units), rng.unit, field)


def _hints(text: pa.Array, given: np.ndarray, values: np.ndarray, rng: Range) -> pa.Array:
    # "; did you mean 1.8 m?" by the core's rule, for a whole column
    choice = hint_choice(given, values, rng)
    endings = pa.array([f" {unit(candidate):~P}?" for candidate in rng.hint_units] + [None], pa.string())
    return pc.binary_join_element_wise("; did you mean ", text, endings.take(pa.array(choice)), "")


class Sexes(NamedTuple):
    """A sex column read once: per row, whether its sex is known and whether it is female."""

    known: np.ndarray
    female: np.ndarray  # False where not known
    reasons: Callable[[np.ndarray], pa.Array]  # why each of the given rows is rejected (null where known)


@dataclass
class SexCodes:
    """What the batches of one streamed input read so far of its sex column: an ``H`` (Spanish *hombre*) seen,
    and whether an ``M`` was read as male (see :func:`sexes_of`); the column's name, once either is."""

    spanish: str | None = None
    m_read_as_male: bool = False
    column: str | None = None

    def __or__(self, other: SexCodes) -> SexCodes:
        """What two inputs read apart (a dataset's pieces on Dask workers) read together."""
        return SexCodes(
            self.spanish or other.spanish, self.m_read_as_male or other.m_read_as_male, self.column or other.column
        )

    def refuse_mixed(self) -> None:
        """
        Raise where one part of an input held an ``H`` and another's ``M`` was read as male: read apart
        (a dataset's pieces side by side), each was read by its own codes; together, that M may be mujer.
        """
        if self.spanish is not None and self.m_read_as_male:
            raise DoseCalcError(
                f"{self.column}: {ascii(self.spanish)} ({_spanish_word(self.spanish)}?) in one part of the input, "
                "and rows of another whose 'M' was read as male: beside it, M may be mujer, a woman; recode the "
                "column as f/m (female/male) and run again"
            )


#: The sex codes of the input being streamed (:func:`streamed_sex_codes`); None for a table read whole.
_STREAMED: contextvars.ContextVar[SexCodes | None] = contextvars.ContextVar("dosecalc_sex_codes", default=None)


@contextlib.contextmanager
def streamed_sex_codes():
    """Read one input's batches as one column of sexes: an ``H`` in one batch makes the ``M`` of the later ones
    ambiguous, and an ``H`` after an ``M`` was read as male stops the run (its outputs are never put in place).
    Inside another (a dataset's files, one after another), the files are one input."""
    outer = _STREAMED.get()
    if outer is not None:
        yield outer
        return
    codes = SexCodes()
    token = _STREAMED.set(codes)
    try:
        yield codes
    finally:
        _STREAMED.reset(token)


def _letters(value: str) -> str:
    """A sex cell as compared for the H/M rule: lower case, without any space (a tab, a no-break space)."""
    return "".join(value.split()).lower()


#: The cells that say a column may be coded in Spanish, hombre/mujer (H/M) or varón/mujer (V/M): an M beside
#: one may be a woman. (A V may as well be Dutch vrouw, a woman, beside M for man: either way, that M is no
#: code to read.) Each with the words its M is read between.
SPANISH_CODES = {
    "h": "H/M is hombre/mujer",
    "hombre": "H/M is hombre/mujer",
    "mujer": "H/M is hombre/mujer",
    "v": "V/M may be varón/mujer",
    "varon": "V/M may be varón/mujer",
    "varón": "V/M may be varón/mujer",
}


def _spanish_word(code: str) -> str:
    """What a code beside M may say of a man: ``"hombre"`` (H) or ``"varón"`` (V)."""
    return "hombre" if SPANISH_CODES[_letters(code)].startswith("H") else "varón"


def spanish_code(value: str) -> bool:
    r"""Whether a sex cell is one of :data:`SPANISH_CODES`, its case and spaces aside ("H", "Hombre", "H\t")."""
    return _letters(value) in SPANISH_CODES


def sexes_of(table: pa.Table, column: str) -> Sexes:
    """
    ``column``'s sexes, each distinct value classified once by
    :func:`dosecalc.validation.is_female`, and why each row whose sex is not
    known is rejected. In a column that also holds an ``H`` (Spanish
    *hombre*), an ``M`` may be *mujer*, a woman: it is refused as ambiguous,
    not read as male; in a streamed input (:func:`streamed_sex_codes`), an
    ``H`` of any earlier batch counts, and one found after an ``M`` was read
    as male is an error.
    """
    cells = table[column]
    if pa.types.is_nested(cells.type):  # a list of sexes is no patient's sex (pyarrow's cast failed unsaid)
        raise DoseCalcError(f"{column}: the column holds {cells.type}; expected one sex a cell")
    if pa.types.is_dictionary(cells.type):  # a categorical column as it is: its indices per row
        encoded = cells.unify_dictionaries().combine_chunks()
        values = pc.cast(encoded.dictionary, pa.string()).to_pylist() + [None]  # and a missing cell
        codes = encoded.indices.fill_null(len(values) - 1).to_numpy(zero_copy_only=False)
    else:
        encoded = pc.dictionary_encode(pc.cast(cells, pa.string()), null_encoding="encode").combine_chunks()
        values = encoded.dictionary.to_pylist()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
    # Spanish exports code hombre/mujer as H/M: beside an H, an M may be a woman
    spanish = next((value for value in values if value is not None and spanish_code(value)), None)
    streamed = _STREAMED.get()
    if streamed is not None:
        if spanish is not None and streamed.m_read_as_male:
            raise DoseCalcError(
                f"{column}: {ascii(spanish)} ({_spanish_word(spanish)}?) after rows whose 'M' was read as male: "
                "beside it, M may be mujer, a woman; recode the column as f/m (female/male) and run again"
            )
        spanish = spanish or streamed.spanish
        streamed.spanish = spanish
        streamed.column = streamed.column or (column if spanish is not None else None)
    reasons: list[str | None] = []
    female: list[bool] = []
    for value in values:
        female.append(False)
        if value is None or not value.strip():
            reasons.append(f"{column} is missing")
            continue
        if spanish is not None and _letters(value) == "m":
            reasons.append(
                f"{column}={ascii(value)} is ambiguous beside {ascii(spanish)} in the same column "
                f"({SPANISH_CODES[_letters(spanish)]}, M a woman); expected f, female, m or male in a column "
                f"without {SPANISH_CODES[_letters(spanish)][0]}"
            )
            continue
        try:
            female[-1] = bool(is_female(value, column))
            reasons.append(None)
        except DoseCalcError as err:
            reasons.append(str(err))
    if streamed is not None and spanish is None:
        used = np.zeros(len(values), bool)
        used[np.unique(codes)] = True
        if any(read and value is not None and _letters(value) == "m" for value, read in zip(values, used)):
            streamed.m_read_as_male, streamed.column = True, streamed.column or column
    texts = pa.array(reasons, pa.string())
    return Sexes(
        np.array([reason is None for reason in reasons], bool)[codes],
        np.array(female, bool)[codes],
        lambda rows: texts.take(pa.array(codes[rows])),
    )


# --- the batch function --------------------------------------------------------


def _column(values, n: int) -> pa.Array:
    if values is None:
        return pa.nulls(n, pa.float64())
    return pa.array(np.broadcast_to(np.asarray(values, dtype=float), (n,)))


def _flags(values, n: int) -> pa.Array:
    return pa.array(np.broadcast_to(np.asarray(values, dtype=bool), (n,)))


def label_column(name: str | None, n: int) -> pa.Array:
    # one name for every row, dictionary-encoded: a byte a row; None as null rows, not a null in
    # the dictionary, which Parquet cannot write (a mg/kg or flat dose has no BSA method)
    if name is None:
        return pa.DictionaryArray.from_arrays(pa.nulls(n, pa.int8()), pa.array([], pa.string()))
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int8)), pa.array([name], pa.string()))


def _cells(column) -> np.ndarray:
    """
    A column's cells as numpy objects, a missing one None: a categorical column decoded first (numpy's
    view of a dictionary column gives a missing cell the value of another category).
    """
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column.to_numpy(zero_copy_only=False)


def _dosed(table: pa.Table, plan: _Plan, values: dict, checked: bool = True) -> tuple[pa.Table, _Measured | None]:
    """
    The rows of ``table``, whose inputs by kind are ``values``, dosed by the
    core on whole columns; and their doses rounded or banded, if asked.
    ``checked``: by the core's checks, which raise at the first row that
    fails any; else (the rows' inputs plausible, each and together) with the
    rows that still give no dose (a BSA or a dose out of range) to reject.
    """
    guards = plan.guards
    amount, reduction_pct = guards.amount, guards.order.reduction_pct
    dose = plan.dose
    if dose is None:  # each row's own dose, modified as the order's would be
        assert plan.dose_column is not None  # a dose or a dose column: the plan has one
        dose = quantity(values["dose"], plan.dose_column.rng.unit)
        if reduction_pct is not None:
            dose = modify_dose(dose, reduction_pct=reduction_pct).modified
    sex = None if plan.sex is None else _cells(table[plan.sex])
    result = patient_dose(
        dose,
        height=values.get("height"),
        weight=values.get("weight"),
        method=plan.method,
        sex=sex,
        check_absolute=checked,
        **guards.patient_options,
    )
    n = table.num_rows
    magnitudes = (
        None if result.bsa is None else result.bsa.m_as(unit("m**2")),
        result.dose.m_as(unit(amount)),
        None if result.dose_per_m2 is None else result.dose_per_m2.m_as(unit(f"{amount}/m**2")),
        None if result.dose_per_kg is None else result.dose_per_kg.m_as(unit(f"{amount}/kg")),
    )
    names = [_in_amount(name, amount) for name in OUTPUT_COLUMNS]
    columns = dict(zip(names, [*(_column(values, n) for values in magnitudes), label_column(result.bsa_method, n)]))
    columns.update(guards.patient_columns(result, n))
    dose_amount = np.broadcast_to(np.asarray(magnitudes[1], dtype=float), (n,))
    measured = None
    if not checked:  # the core's checks of a computed BSA and of the dose, as masks
        computed = result.bsa_uncapped if guards.order.bsa_cap is not None else result.bsa
        measured = _computed_bsa(None if computed is None else np.broadcast_to(computed.m_as(unit("m**2")), (n,)))
        absolute = _absolute(dose_amount, amount)
        if absolute is not None:
            measured = _both(measured, absolute)
    if result.dose_uncapped is not None:  # a cap that takes more than a reduction may, as patient_dose refuses
        # of the full dose: a reduction and a cap together take no more (100 mg −90 %, capped at 1 mg: 1 %)
        share = 1.0 if reduction_pct is None else 1.0 - float(np.asarray(reduction_pct)) / 100.0
        uncapped = np.broadcast_to(np.asarray(result.dose_uncapped.m_as(unit(amount)), dtype=float), (n,)) / share
        too_much = cap_takes_too_much(uncapped, dose_amount)
        if too_much.any():
            caps = cap_text(guards.order.bsa_cap, guards.order.max_dose)
            reasons = [
                f"{caps}: expected {cap_expected(before, after, amount)}"
                for before, after in zip(uncapped[too_much].tolist(), dose_amount[too_much].tolist())
            ]
            measured = _both(measured, _Measured({}, ~too_much, pa.array(reasons, pa.string())))
    if guards.measure is not None:  # rounding and bands are in mg: the Order refuses them for a dose in units
        measured = _both(measured, guards.measure.apply(dose_amount))
        columns.update(measured.columns)
    for name, column in columns.items():
        index = table.schema.get_field_index(name)  # only a per-row dose_mg (dose_units) is already there
        table = table.append_column(name, column) if index < 0 else table.set_column(index, name, column)
    return table, measured


def _computed_bsa(bsa_m2) -> _Measured | None:
    """BSAs a formula computed outside the plausible range from plausible inputs, as ``patient_dose`` refuses them."""
    if bsa_m2 is None:
        return None
    bsa_m2 = np.atleast_1d(bsa_m2)
    if bsa_m2.size == 0 or (bsa_m2.min() >= BSA.low and bsa_m2.max() <= BSA.high):
        return None
    fits = valid(bsa_m2, BSA)
    reasons = pc.binary_join_element_wise(
        "bsa (computed)=", formatted_numbers("%g", bsa_m2[~fits]), f" m²: expected {BSA.expected}", ""
    )
    return _Measured({}, fits, reasons)


def _absolute(dose: np.ndarray, amount: str) -> _Measured | None:
    """Absolute doses that plausible inputs multiplied into an absurd one, as ``patient_dose`` refuses them."""
    rng = _ABSOLUTE[amount]
    if dose.size == 0 or (dose.min() > rng.low and dose.max() <= rng.high):
        return None
    fits = valid(dose, rng)
    reasons = pc.binary_join_element_wise(
        f"dose_{amount}=", formatted_numbers("%g", dose[~fits]), f" {amount}: expected {rng.expected}", ""
    )
    return _Measured({}, fits, reasons)


def _both(first: _Measured | None, second: _Measured) -> _Measured:
    """Rows must pass both; a row failing both gives the first's reason."""
    if first is None:
        return second
    reasons = np.full(first.fits.size, None, object)
    reasons[~second.fits] = second.reasons.to_numpy(zero_copy_only=False)
    reasons[~first.fits] = first.reasons.to_numpy(zero_copy_only=False)
    fits = first.fits & second.fits
    return _Measured({**first.columns, **second.columns}, fits, pa.array(reasons[~fits], pa.string()))


def _not_bodies(values: dict) -> np.ndarray:
    """
    The indexes of the rows whose height and weight (each plausible, in ``values`` by kind) together describe no
    body (:func:`~dosecalc.validation.plausible_body`); none without both.
    """
    if "height" not in values or "weight" not in values:
        return np.empty(0, np.intp)
    return implausible_bodies(values["height"], values["weight"])


def _body_reasons(read: dict, rows: np.ndarray, not_bodies: np.ndarray) -> pa.Array:
    """For ``rows``, the scalar core's message where the inputs are each plausible but not together; else null."""
    reasons = np.full(rows.size, None, object)
    pairs = rows[not_bodies]
    reasons[not_bodies] = not_a_body(read["height"].values[pairs], read["weight"].values[pairs])
    return pa.array(reasons, pa.string())


def _screened(table: pa.Table, plan: _Plan, read: dict, numeric_inputs: bool):
    """
    The rows of a batch in which some value is implausible: where every input
    is plausible and the sex known (one mask, combined in place), those rows
    dosed as the fast path doses (a body each, with a BSA and a dose in range;
    else the rows that are not, masked too), and why each other row is
    rejected, built for those rows only.

    Returns
    -------
    ok, reason, dosed, measured
        The mask of the rows dosed, the reasons of the others (in order),
        and :func:`_dosed`'s result.
    """
    ok = np.ones(table.num_rows, bool)
    for column in read.values():
        column.plausible(within=ok)
    sex_only = np.empty(0, np.intp)  # rows rejected for their sex alone, whose bodies are checked too
    if plan.sex is not None:
        sexes = sexes_of(table, plan.sex)
        known_sex = sexes.known
        sex_only = np.flatnonzero(ok & ~known_sex)
        ok &= known_sex
    kept_table, values = _kept(table, read, ok, numeric_inputs)
    not_bodies = np.empty(0, np.intp)
    try:  # the core's checks, every one of one patient's dose, on the rows whose values are each plausible
        dosed, measured = _dosed(kept_table, plan, values)
    except DoseCalcError:  # some are not bodies, or give a BSA or a dose out of range: those masked, the rest dosed
        bad = _not_bodies(values)  # checked after each value, as the scalar core does
        if bad.size:  # the table filtered again (a float column's values are its cells, not copied)
            not_bodies = np.flatnonzero(ok)[bad]
            ok[not_bodies] = False
            kept_table, values = _kept(table, read, ok, numeric_inputs)
        dosed, measured = _dosed(kept_table, plan, values, checked=False)
    if sex_only.size and "height" in read and "weight" in read:
        pairs = {kind: read[kind].values[sex_only] for kind in ("height", "weight")}
        not_bodies = np.union1d(not_bodies, sex_only[_not_bodies(pairs)])
    rows = np.flatnonzero(~ok)
    reasons = [column.reasons(table, rows) for column in read.values() if not column.plausible(rows).all()]
    if not_bodies.size:
        reasons.append(_body_reasons(read, rows, np.isin(rows, not_bodies, assume_unique=True)))
    if plan.sex is not None:
        reasons.append(sexes.reasons(rows))
    reason = pc.binary_join_element_wise(*reasons, "; ", null_handling="skip") if reasons else pa.array([], pa.string())
    return ok, reason, dosed, measured


def _mask(keep: np.ndarray) -> pa.BooleanArray:
    """``keep`` as an Arrow filter: its bits packed by numpy (Arrow's conversion of a bool array is ten times slower)."""
    bits = np.packbits(keep, bitorder="little")
    return pa.BooleanArray.from_buffers(pa.bool_(), keep.size, [None, pa.py_buffer(bits)])


def _kept(table: pa.Table, read: dict, keep: np.ndarray, numeric_inputs: bool) -> tuple[pa.Table, dict]:
    """
    The rows of ``table`` where ``keep`` is True, and the inputs' values
    there, by kind: the table filtered once, and once the values that are
    not its own cells (read from text or integers, converted from another
    unit). A float column's kept cells are its kept values (no null is
    kept): shared, not copied.
    """
    mask = _mask(keep)
    kept_table = table.filter(mask)
    cells = {
        kind
        for kind, column in read.items()
        if column.values is column.given and pa.types.is_float64(table.schema.field(column.source.column).type)
    }
    others = {kind: column.values for kind, column in read.items() if kind not in cells}
    filtered = pa.table(others).filter(mask) if others else kept_table
    values = {
        kind: (kept_table[column.source.column] if kind in cells else filtered[kind]).to_numpy(zero_copy_only=False)
        for kind, column in read.items()
    }
    if numeric_inputs:  # each numeric input as the number it was read as, in its column's unit
        given = {
            kind: values[kind] if column.given is column.values else column.given[keep] for kind, column in read.items()
        }
        kept_table = _as_numbers(kept_table, read, given)
    return kept_table, values


def _as_numbers(table: pa.Table, read: dict, given: dict) -> pa.Table:
    """``table`` with each numeric input's column of text replaced by ``given``, its numbers as read (in its
    unit); a column of numbers stays as it is (a float32 column's 175.3 is not written 175.3000030517578)."""
    for kind, column in read.items():
        name = column.source.column
        read_as = table.schema.field(name).type
        if pa.types.is_floating(read_as) or pa.types.is_integer(read_as):
            continue
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(given[kind], pa.float64()))
    return table


def reject_rows(table: pa.Table, rows: np.ndarray, reason, row_offset: int) -> pa.Table:
    """The given ``rows`` as they are, numbered from 1 after ``row_offset``, with why."""
    rejected = table.take(pa.array(rows, pa.int64()))
    return rejected.append_column("row", pa.array(row_offset + 1 + rows, pa.int64())).append_column("reason", reason)


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def checked_row_offset(row_offset) -> int:
    """
    The rows before a batch: a whole number, 0 or more (a row is numbered
    from ``row_offset + 1``).

    Raises
    ------
    ImplausibleInputError
        For a negative, fractional, boolean or non-numeric offset.
    """
    if isinstance(row_offset, bool) or not isinstance(row_offset, (int, np.integer)) or row_offset < 0:
        raise ImplausibleInputError(
            "row_offset", repr(row_offset), "a whole number of rows before the batch, 0 or more"
        )
    return int(row_offset)


def dose_table(
    table,
    dose=None,
    method="mosteller",
    *,
    column_map=None,
    column_units=None,
    row_offset=0,
    weight_basis=ACTUAL,
    bsa_cap=None,
    max_dose=None,
    reduction_pct=None,
    round_to=None,
    vials=None,
    tolerance_pct=None,
    bands=None,
    flag_obesity=False,
    rejects="separate",
    decimal_comma=False,
    numeric_inputs=False,
):
    """
    Dose every row of a table of patients; reject the rows that cannot be.

    Parameters
    ----------
    table : DataFrame, LazyFrame, pyarrow.Table, pyarrow.RecordBatch or dict of arrays
        One row per patient: a frame of any library narwhals supports
        (pandas, polars, pyarrow, ...), or anything :func:`pyarrow.table`
        accepts. Numeric columns may hold numbers or text (as read from a CSV
        file); text columns may be categorical, enum, dictionary-encoded,
        string views or large strings. A lazy frame is collected.
    dose : str or Quantity, optional
        The dose for every row: ``"75 mg/m^2"``, ``"1.5 mg/kg"``, ``"100 mg"``,
        ``"10 units/m2"``. Without it, the table needs a per-row dose column.
        The dose and the safeguard options below are one
        :class:`dosecalc.Order`, read and checked as for one patient; with a
        dose column, an Order of the safeguards only (a nominal dose in the
        column's basis, whose amount no check reads), each row's dose in its
        place.
    method : str, default "mosteller"
        BSA formula (see :data:`dosecalc.BSA_METHODS`).
    column_map : dict, optional
        Columns for inputs whose names the engine does not recognise:
        ``{"height": "Ht", "weight": "Wt", "dose": "Dose", "sex": "Gender"}``.
    column_units : dict, optional
        The units of those columns: ``{"height": "in", "weight": "lb"}``.
    row_offset : int, default 0
        Rows before this batch; its rows are numbered from ``row_offset + 1``.
    weight_basis : str, default "actual"
        The weight BSA and mg/kg doses are computed from, as for
        :func:`dosecalc.patient_dose`: ``"actual"``, ``"ideal"``,
        ``"adjusted"`` or ``"lean"``. All but actual need a height and a sex
        column; a row whose sex is missing or unknown is rejected, never
        defaulted, and so is a height outside the basis's range (Devine:
        152.4-280 cm, 5 ft and over). Adds ``dosing_weight_kg`` [kg],
        ``weight_basis`` (dictionary-encoded) and ``above_actual_weight``
        (an ideal or adjusted weight above the actual one: said, never
        changed) unless actual.
    bsa_cap : numeric, str or Quantity, optional
        Cap on the BSA, e.g. 2.0 m²; plain numbers in [m²]. Adds
        ``bsa_uncapped_m2`` [m²] and ``bsa_capped`` (where the cap lowered
        the BSA); ``bsa_m2`` and ``dose_mg`` are then capped.
    max_dose : numeric, str or Quantity, optional
        Maximum absolute dose per administration, e.g. "2 mg"; plain numbers
        in [mg] ([units] for a dose in units). Adds ``dose_uncapped_mg`` [mg]
        (the dose before any cap) and ``dose_capped`` (where this cap lowered
        the dose).
    reduction_pct : numeric or Quantity, optional
        Reduce the prescribed dose by this percentage before dosing (20 for
        −20 %, at most 90 %), as :func:`dosecalc.adjustments.modify_dose`.
        Adds ``dose_reduction_pct`` [%]; ``dose_mg_per_m2`` and
        ``dose_mg_per_kg`` are then the reduced doses.
    round_to : numeric, str or Quantity, optional
        Round each dose (after the caps) to a multiple of this, e.g. "5 mg";
        plain numbers in [mg].
    vials : str, sequence or Quantity, optional
        Round each dose to the nearest total of whole vials or tablets of
        these strengths, e.g. "100 mg, 50 mg". Either rounding adds
        ``dose_rounded_mg`` [mg] and ``rounding_difference_pct`` [%]
        (``dose_mg`` stays the calculated dose); a row whose nearest dose
        lies outside the tolerance is rejected, with a reason naming the
        rounding, not kept unrounded.
    tolerance_pct : numeric or Quantity, optional
        The largest accepted rounding difference, default 5 %, at most 10 %;
        only with ``round_to`` or ``vials``.
    bands : BandTable, str or path, optional
        A band table, or its CSV or TOML file: adds ``dose_banded_mg`` [mg],
        ``band_deviation_pct`` [%] and ``band`` (dictionary-encoded); a row
        whose dose lies outside the table is rejected. One of ``round_to``,
        ``vials`` and ``bands``.
    flag_obesity : bool, default False
        Add ``obese``: BMI from height and actual weight ≥ 30 kg/m². A flag
        only: it never changes a dose.
    decimal_comma : bool, default False
        Numbers given as text are written with a decimal comma, ``"1,75"``
        (European exports); a text cell holding a "." is then no number
        (``"1.750"`` may mean 1750), and its row is rejected.
    numeric_inputs : bool, default False
        The dosed rows' height, weight and dose columns become the numbers
        read from them (float64, in each column's unit), as a file driver
        writes them: text read from a CSV becomes numbers again.
    rejects : {"separate", "inline"}, default "separate"
        ``"inline"`` returns one frame of every input row, in order (with its
        index), instead of two: the dose columns null in a rejected row, and
        ``reason`` null in a dosed one. A per-row dose column named
        ``dose_mg`` (``dose_units``) is the output's dose column, so it is
        null in a rejected row too: a number there would read as a dose that
        was checked, and a cell such as ``"lots"`` is no number. Where the
        dose is why, the reason names it as given (``dose_mg='lots':
        expected a number``); to keep every row's dose as given, name the
        column otherwise (``column_map={"dose": "ordered"}``,
        ``column_units={"dose": "mg"}``: it then passes through untouched)
        or take ``rejects="separate"``, whose rejects hold every input
        column as given.

    Returns
    -------
    DosedTable or frame
        Frames of the caller's kind: pandas for pandas (with the input's
        index labels on each row, so an assignment or a join aligns by
        patient), polars for polars (lazy for lazy), pyarrow for pyarrow and
        for a dict. ``dosed``: the valid rows, every input column untouched,
        plus ``row`` (the row's 1-based position in the input, after
        ``row_offset``, as in the rejects), ``bsa_m2`` [m²], ``dose_mg`` [mg], ``dose_mg_per_m2`` [mg/m²],
        ``dose_mg_per_kg`` [mg/kg] (null where an input for them is absent)
        and ``bsa_method`` (dictionary-encoded); a per-row dose column named
        ``dose_mg`` becomes the parsed ``dose_mg``. Then the columns of the
        safeguards that are on, in the order of :data:`SAFEGUARD_COLUMNS`.
        For a dose in units, each dose column's ``mg`` is ``units``:
        ``dose_units``, ``dose_units_per_m2``, ``dose_units_per_kg``,
        ``dose_uncapped_units``.
        ``rejects``: the other rows, every input column as given, plus
        ``row`` (1-based, counting data rows, not the header) and ``reason``.

    Raises
    ------
    DoseCalcError
        If the table cannot be dosed at all: a dose both given and in a
        column (or neither), a needed column absent or ambiguous, a column
        without a unit, an unknown unit or method; a safeguard option that is
        implausible, or needs a column the table lacks; more than one of
        ``round_to``, ``vials`` and ``bands``.

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

    Vincristine 1.4 mg/m², capped at 2 mg (CHOP), rounded to 0.1 mg:

    >>> dosed, _ = dose_table(
    ...     {"height_cm": [140, 185], "weight_kg": [40, 90]}, dose="1.4 mg/m^2", max_dose="2 mg", round_to="0.1 mg"
    ... )
    >>> [round(mg, 2) for mg in dosed["dose_uncapped_mg"].to_pylist()], dosed["dose_capped"].to_pylist()
    ([1.75, 3.01], [False, True])
    >>> dosed["dose_rounded_mg"].to_pylist()
    [1.7, 2.0]
    """
    if rejects not in REJECTS:
        raise UnknownNameError("rejects", rejects, REJECTS)
    frame = read_frame(table)
    options = {
        "column_map": column_map,
        "column_units": column_units,
        "row_offset": row_offset,
        "weight_basis": weight_basis,
        "bsa_cap": bsa_cap,
        "max_dose": max_dose,
        "reduction_pct": reduction_pct,
        "round_to": round_to,
        "vials": vials,
        "tolerance_pct": tolerance_pct,
        "bands": bands,
        "flag_obesity": flag_obesity,
        "decimal_comma": decimal_comma,
        "numeric_inputs": numeric_inputs,
    }
    result = numbered(dose_batch(frame.table, dose, method, **options), frame.table, row_offset)
    dosed, n = result.dosed, frame.table.num_rows
    rejected = np.asarray(result.rejects["row"].to_numpy(), np.int64) - 1 - row_offset
    numbers = np.asarray(dosed["row"].to_numpy(), np.int64)
    # the dosed rows' positions, for an index or for the inline frame only (None: every row, in order)
    positions = (
        numbers - (1 + row_offset) if rejected.size and (frame.index is not None or rejects == "inline") else None
    )
    if rejects == "inline":
        kept_rows = np.arange(n) if positions is None else positions
        return frame.like(_inline(frame.table, dosed, result.rejects, kept_rows, rejected, row_offset))
    return DosedTable(frame.like(dosed, positions), frame.like(result.rejects, rejected))


def _scattered(column, positions: np.ndarray, n: int) -> pa.ChunkedArray:
    """``column``'s values at ``positions`` of ``n`` rows, null elsewhere."""
    indices = np.zeros(n, np.int64)
    indices[positions] = np.arange(positions.size)
    present = np.zeros(n, bool)
    present[positions] = True
    return column.take(pa.array(indices, mask=~present))


def _inline(
    table: pa.Table, dosed: pa.Table, rejects: pa.Table, positions: np.ndarray, rejected: np.ndarray, row_offset: int
) -> pa.Table:
    """Every row of ``table`` in order: its fields as given, ``row``, the doses (null where rejected), ``reason``."""
    n = table.num_rows
    columns = {name: table[name] for name in table.column_names}
    columns["row"] = pa.array(np.arange(n) + 1 + row_offset)
    computed = [name for name in dosed.column_names if name not in columns or name in _AMOUNT_COLUMNS]
    for name in computed:
        columns[name] = _scattered(dosed[name], positions, n)
    columns["reason"] = _scattered(rejects["reason"], rejected, n)
    return pa.Table.from_pydict(columns)


def numbered(result: DosedTable, table: pa.Table, row_offset: int = 0) -> DosedTable:
    """
    :func:`dose_batch`'s result of ``table`` with each dosed row's number, ``row`` after the input's columns (as
    the rejects have theirs): the dosed rows are a subset, and a row is joined back to its input by it.
    """
    n = table.num_rows
    rejected = np.asarray(result.rejects["row"].to_numpy(), np.int64) - 1 - row_offset
    if rejected.size:
        kept = np.ones(n, bool)
        kept[rejected] = False
        numbers = np.flatnonzero(kept)
        numbers += 1 + row_offset  # in place: the positions become the rows' numbers
    else:  # every row, in order: numbered in one pass
        numbers = np.arange(1 + row_offset, n + 1 + row_offset)
    return DosedTable(result.dosed.add_column(table.num_columns, "row", pa.array(numbers)), result.rejects)


def dose_batch(
    table: pa.Table,
    dose=None,
    method="mosteller",
    *,
    column_map=None,
    column_units=None,
    row_offset=0,
    weight_basis=ACTUAL,
    bsa_cap=None,
    max_dose=None,
    reduction_pct=None,
    round_to=None,
    vials=None,
    tolerance_pct=None,
    bands=None,
    flag_obesity=False,
    decimal_comma=False,
    numeric_inputs=False,
) -> DosedTable:
    """
    :func:`dose_table` on one Arrow table: the batch function of every driver.

    The options are those of :func:`dose_table`. ``dosed`` holds the valid
    rows without ``row`` (a file's rows stay in order, and a driver numbers
    them if it wants); ``rejects`` the others, with ``row`` and ``reason``.
    """
    table = plain_types(as_table(table))
    row_offset = checked_row_offset(row_offset)
    flag_obesity, numeric_inputs = (
        checked_flag(flag_obesity, "flag_obesity"),
        checked_flag(numeric_inputs, "numeric_inputs"),
    )
    if not _hashable(dose):
        raise UnitError("dose", dose, "one dose for every row; per-row doses go in a column")
    options = _Options(
        weight_basis,
        bsa_cap,
        max_dose,
        reduction_pct,
        round_to,
        tuple(vials) if isinstance(vials, list) else vials,
        tolerance_pct,
        bands,
        flag_obesity,
    )
    key = (
        tuple(table.column_names),
        dose,
        method,
        tuple(sorted((column_map or {}).items())),
        tuple(sorted((column_units or {}).items())),
        options,
    )
    plan = _plan(*key) if _hashable(options) else _plan.__wrapped__(*key)  # a Quantity array of vials: not cached
    read = {kind: Column.read(source, table, decimal_comma) for kind, source in plan.sources.items()}
    ok, rows, reason = None, np.empty(0, np.int64), pa.array([], pa.string())
    try:  # the fast path: the core checks whole columns at once, every check of one patient's dose
        if any(column.in_feet and column.fractional_feet().any() for column in read.values()):
            raise DoseCalcError("a height in feet with a fractional part")  # those rows masked and said below
        if any(column.two_readings is not None for column in read.values()):
            raise DoseCalcError("an amount such as 1.500 of two readings")  # those rows masked and said below
        if plan.sex is not None and _STREAMED.get() is not None and not sexes_of(table, plan.sex).known.all():
            raise DoseCalcError("a sex not known")  # an M after a batch's H: read with the stream's codes below
        given = {kind: column.given for kind, column in read.items()}
        values = {kind: column.values for kind, column in read.items()}
        dosed, measured = _dosed(_as_numbers(table, read, given) if numeric_inputs else table, plan, values)
    except DoseCalcError:  # some rows are implausible: mask them, say why (those rows only), dose the rest
        ok, reason, dosed, measured = _screened(table, plan, read, numeric_inputs)
        rows = np.flatnonzero(~ok)
    if measured is not None and not measured.fits.all():
        # doses that cannot be rounded within the tolerance, or lie outside the bands: rejected too
        kept = np.arange(table.num_rows) if ok is None else np.flatnonzero(ok)
        dosed = dosed.filter(_mask(measured.fits))
        rows = np.concatenate([rows, kept[~measured.fits]])
        order = np.argsort(rows, kind="stable")
        rows, reason = rows[order], pa.chunked_array([reason, measured.reasons], pa.string()).take(pa.array(order))
    return DosedTable(dosed, reject_rows(table, rows, reason, row_offset))
