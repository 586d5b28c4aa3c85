r"""
Kidney function and carboplatin for a table of patients: each row as
:func:`dosecalc.renal.kidney_function`, :func:`dosecalc.renal.measured_gfr`
and :func:`dosecalc.carboplatin_dose` would compute it, on whole columns.

Columns carry their unit in their name, from a closed table
(:data:`NAMED_UNITS`): ``age_years`` (or ``age_months``),
``creatinine_mg_dl`` or ``creatinine_umol_l`` (both in one table are refused:
which is the patient's?), ``gfr_ml_min`` (a measured GFR) or
``gfr_ml_min_1_73m2`` (one per 1.73 m², de-indexed by the BSA); ``sex``,
and ``height_*`` and ``weight_*`` as :func:`dosecalc.cohort.dose_table` reads
them, where the formula needs them (Cockcroft-Gault: the weight, and the
height for a weight basis other than actual; CKD-EPI 2021: height and weight
for the BSA that de-indexes it; bedside Schwartz: the height). Other names
are mapped (``column_map={"creatinine": "SCr"}``) with their unit
(``column_units={"creatinine": "umol/L"}``). The columns are read, and
their rows rejected with a reason, by the cohort engine's column reader
(:mod:`dosecalc.cohort`): a missing, non-numeric or implausible cell, an
unknown sex.

A row the scalar path would refuse is rejected with the scalar path's
reason: an age outside the formula's population (naming the formula that
fits: a 17.9-year-old is no adult for Cockcroft-Gault), a creatinine outside
0.1-20 mg/dL (with the other unit as a hint where the number would fit it: 88
in a mg/dL column, "did you mean 88 µmol/L?"), an estimate or a GFR outside
the physiological range (0, 250] mL/min, or per 1.73 m² for one given or
estimated so (checked before and after it is de-indexed), unless
``allow_outside_range`` (then reported in ``<estimate>_outside_range``), or a
GFR whose Calvert dose would not be a finite number. A creatinine floor is
reported in ``creatinine_floor_applied``.

The estimate is named by its formula (:func:`estimate_columns`):
``crcl_cockcroft_gault_ml_min`` [mL/min]; ``egfr_ckd_epi_2021_ml_min_173m2``
[mL/min/1.73 m²] and, with height and weight, ``egfr_ckd_epi_2021_ml_min``
[mL/min], de-indexed by the BSA of the actual weight:

.. math:: GFR = eGFR \times BSA / 1.73\ \mathrm{m^2}

(and ``egfr_schwartz_bedside_*`` likewise). The equations, units and
references are those of :mod:`dosecalc.renal`; the Calvert formula,
:math:`D = AUC \times (\min(GFR, GFR_{cap}) + 25)`, that of
:mod:`dosecalc.carboplatin` [1]_.

References
----------
.. [1] A. H. Calvert et al., "Carboplatin dosage: prospective evaluation of a
   simple formula based on renal function," J. Clin. Oncol., vol. 7, no. 11,
   pp. 1748-1756, 1989, doi:10.1200/JCO.1989.7.11.1748.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .body import WEIGHT_BASES, weight_basis_key
from .bsa import BSA_METHODS, bsa_magnitude
from .bsa import bsa_method as bsa_method_key
from .carboplatin import (
    CARBOPLATIN_POLICIES,
    GFR,
    GFR_AT_LEAST,
    MAX_CALVERT_MG,
    MIN_GFR_ML_MIN,
    PLAUSIBLE_DOSE,
    calvert_kernel,
    carboplatin_kernel,
    gfr_cap_of,
    policy_key,
)
from .cohort import (
    Column,
    Source,
    canonical_name,
    checked_row_offset,
    column_source,
    formatted_numbers,
    label_column,
    refuse_one_column_twice,
    refuse_other_kind,
    reject_rows,
    sexes_of,
)
from .errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError, UnknownNameError
from .frames import read_frame, refuse_written_columns
from .grammar import escaped
from .growth import height_for_age_reason, implausible_height_for_age
from .renal import (
    _OUT_OF_RANGE_HINT,
    CHILD_AGE,
    CLEARANCE,
    COCKCROFT_GAULT,
    CREATININE_MOLAR_MASS_G_MOL,
    INDEXED_GFR,
    MEASURED,
    RENAL_FORMULAS,
    SCHWARTZ_BEDSIDE,
    SERUM_CREATININE,
    STANDARD_BSA_M2,
    creatinine_floor_mg_dl,
    creatinine_mg_dl,
    de_index_kernel,
    is_per_area,
    outside_text,
    renal_formula_key,
    renal_kernel,
    sexless_bsa_method,
)
from .units import parse_quantity, quantity, unit
from .validation import Range, checked_flag, implausible_bodies, not_a_body, valid

__all__ = [
    "CARBOPLATIN_COLUMNS",
    "KIDNEY_INPUTS",
    "NAMED_UNITS",
    "KidneyRows",
    "KidneyTable",
    "carboplatin_rows",
    "estimate_columns",
    "gfr_rows",
    "kidney_rows",
    "kidney_table",
    "measured_rows",
    "with_estimate",
    "with_numeric_inputs",
]

#: The kidney inputs a column may hold, as keys of ``column_map`` and ``column_units``.
KIDNEY_INPUTS = ("age", "creatinine", "gfr")

#: The units a kidney column's name may carry (``age_years``, ``creatinine_umol_l``), and the unit each
#: means; a closed table: another unit in the name is refused, never guessed.
NAMED_UNITS = {
    "age": {"years": "year", "months": "month"},
    "creatinine": {"mg_dl": "mg/dL", "umol_l": "umol/L", "µmol_l": "umol/L", "μmol_l": "umol/L"},
    "gfr": {
        "ml_min": "mL/min",
        "ml_min_1_73m2": "mL/min/standard_bsa",
        "ml_min_1_73m²": "mL/min/standard_bsa",
        "ml_min_1_73_m2": "mL/min/standard_bsa",
        "ml_min_173m2": "mL/min/standard_bsa",
    },
}
_BODY_INPUTS = ("height", "weight", "sex")
_ESTIMATE_PREFIX = {
    COCKCROFT_GAULT: "crcl_cockcroft_gault",
    "ckd_epi_2021": "egfr_ckd_epi_2021",
    SCHWARTZ_BEDSIDE: "egfr_schwartz_bedside",
}
FLOOR_COLUMN = "creatinine_floor_applied"
#: The columns :func:`carboplatin_rows` adds, in order.
CARBOPLATIN_COLUMNS = (
    "auc_mg_ml_min",
    "carboplatin_policy",
    "gfr_source",
    "gfr_uncapped_ml_min",
    "calvert_gfr_ml_min",
    "gfr_capped",
    "bsa_m2",
    "dose_mg",
)


def estimate_columns(formula, weight_basis="actual", *, bsa=True, floor=False, allow_outside_range=False):
    """
    The names of the columns an estimate adds, in order.

    Parameters
    ----------
    formula : str
        A key of :data:`dosecalc.renal.RENAL_FORMULAS` (hyphens understood).
    weight_basis : str, default "actual"
        Cockcroft-Gault's weight: another basis adds ``crcl_weight_kg``.
    bsa : bool, default True
        Whether an eGFR is de-indexed (the table has height and weight).
    floor, allow_outside_range : bool
        A creatinine floor adds ``creatinine_floor_applied``; reporting the
        estimates outside the range adds ``<estimate>_outside_range``.

    Examples
    --------
    >>> estimate_columns("ckd-epi-2021")
    ('egfr_ckd_epi_2021_ml_min_173m2', 'egfr_ckd_epi_2021_ml_min')
    """
    key = renal_formula_key(formula)
    prefix = _ESTIMATE_PREFIX[key]
    if RENAL_FORMULAS[key].indexed:
        names = [f"{prefix}_ml_min_173m2"] + ([f"{prefix}_ml_min"] if bsa else [])
    else:
        names = [f"{prefix}_ml_min"] + (["crcl_weight_kg"] if weight_basis_key(weight_basis) != "actual" else [])
    if floor:
        names.append(FLOOR_COLUMN)
    if allow_outside_range:
        names.append(f"{prefix}_outside_range")
    return tuple(names)


class KidneyRows(NamedTuple):
    """
    Kidney function for every row of a batch, as magnitudes.

    ``ok`` is where it could be made; ``reasons`` says why not, one text per
    row where ``ok`` is False, in row order. ``clearance_ml_min`` is the
    absolute value a dose uses (NaN outside ``ok``; None for an eGFR without
    a BSA); ``bsa_m2`` the BSA that de-indexed it (None if none did);
    ``source`` the formula or ``"measured"``; ``columns`` the output columns
    by name, over every row; ``read`` the numeric columns read, by input.
    """

    ok: np.ndarray
    reasons: pa.Array
    clearance_ml_min: np.ndarray | None
    bsa_m2: np.ndarray | None
    source: str
    columns: dict[str, np.ndarray]
    read: dict[str, Any]


class KidneyTable(NamedTuple):
    """The result of :func:`kidney_table`: ``len(estimated) + len(rejects)`` rows in."""

    estimated: Any
    rejects: Any


# --- which column holds what ------------------------------------------------------


def _named(kind: str, name: str) -> str | None:
    """The unit a column's name gives for ``kind`` ("creatinine_umol_l" -> "umol/L"), else None."""
    suffix = canonical_name(name).removeprefix(kind + "_")
    return NAMED_UNITS[kind].get(suffix) if suffix != canonical_name(name) else None


def _kidney_source(kind: str, names, column_map: dict, column_units: dict, rng: Range) -> Source | None:
    """The column of a kidney input and its unit, from the name or ``column_units``; None if absent."""
    given = column_units.get(kind)
    accepted = ", ".join(f"{kind}_{suffix}" for suffix in NAMED_UNITS[kind])
    if kind in column_map:
        if column_map[kind] not in names:
            raise UnknownNameError(f"column for {kind}", column_map[kind], names)
        refuse_other_kind(kind, column_map[kind])
        columns = [column_map[kind]]
    else:
        columns = [name for name in names if _named(kind, name) or (given and canonical_name(name) == kind)]
        if columns:  # a "Creatinine" beside creatinine_mg_dl is a second creatinine, whatever its unit
            columns += [name for name in names if canonical_name(name) == kind and name not in columns]
        if len(columns) > 1:
            raise DoseCalcError(
                f"several {kind} columns: {', '.join(columns)}; which holds the patients' {kind}? "
                "keep one, or map one with column_map (--map)"
            )
        if not columns:
            unread = [name for name in names if canonical_name(name).split("_")[0] == kind]
            if unread:
                raise UnitError(unread[0], "a column without a known unit", f"{accepted}, or its unit in column_units")
            return None
    column = columns[0]
    named = _named(kind, column)
    if given is None and named is None:
        raise UnitError(
            column, "a number with no unit", f"{accepted}, or its unit in column_units[{kind!r}] (--{kind}-unit)"
        )
    units = unit(named) if given is None else _given_units(kind, given)
    if named is not None and units != unit(named):
        raise UnitError(f"column_units[{kind!r}]", given, f"{unit(named):~P}, as column {column!r} says")
    return (_AgeSource if kind == "age" else Source)(column, units, rng)


@dataclasses.dataclass(frozen=True)
class _AgeSource(Source):
    """An age column, its unit said as the age ranges say it ("17 years", not pint's "17 yr")."""

    @property
    def label(self) -> str:
        return {unit("year"): "years", unit("month"): "months"}.get(self.units, super().label)


def _names(table: pa.Table) -> list[str]:
    """The table's column names, each once: of two columns named alike, which would a reader take?"""
    names = table.column_names
    twice = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if twice:
        raise DoseCalcError(f"the input has {names.count(twice[0])} columns named {twice[0]!r}; rename all but one")
    return names


def _given_units(kind: str, text):
    field = f"column_units[{kind!r}]"
    if not isinstance(text, str):
        raise UnitError(field, repr(text), "a unit as text, such as 'umol/L'")
    try:
        return parse_quantity(f"1 {text}", field, kind=kind).units
    except UnitError as err:  # the unit as typed, not the "1 ..." it was read in
        raise UnitError(field, escaped(text), vars(err)["expected"]) from None


def _column_options(column_map, column_units) -> tuple[dict, dict]:
    column_map, column_units = dict(column_map or {}), dict(column_units or {})
    for key in {**column_map, **column_units}:
        if key not in KIDNEY_INPUTS + _BODY_INPUTS:
            raise UnknownNameError("column_map", key, KIDNEY_INPUTS + _BODY_INPUTS)
    refuse_one_column_twice(column_map)
    return column_map, column_units


def _body_source(kind: str, names, column_map: dict, column_units: dict) -> Source | None:
    """A height or weight column, resolved as the cohort engine resolves it."""
    return column_source(kind, names, {k: v for k, v in column_map.items() if k == kind}, column_units)


def _sex_column(names, column_map: dict, needed_for: str) -> str:
    found = [name for name in names if canonical_name(name) == "sex"]
    if "sex" not in column_map and len(found) > 1:  # "sex" and "Sex": which is the patient's?
        raise DoseCalcError(
            f"several sex columns: {', '.join(found)}; which holds the patients' sex? keep one, or map one with column_map"
        )
    sex = column_map.get("sex") or next(iter(found), None)
    if sex is None:
        raise MissingInputError("a sex column", needed_for)
    if sex not in names:
        raise UnknownNameError("column for sex", sex, names)
    return sex


# --- reading and checking ---------------------------------------------------------


class _Check(NamedTuple):
    """One check over every row: where it passes, and the reason (computed only for rows that fail)."""

    passes: np.ndarray
    reasons: Any  # callable(rows) -> pa.Array of reasons (null where it passes)


def _column_check(table: pa.Table, column: Column, extra=None) -> _Check:
    """A column's own check; ``extra(rows, reasons)`` may add a hint to the reasons."""

    def reasons(rows):
        text = column.reasons(table, rows)
        return text if extra is None else extra(rows, text)

    return _Check(column.plausible(), reasons)


def _appended(reasons: pa.Array, where: np.ndarray, hint) -> pa.Array:
    """``reasons`` with "; hint" added where ``where`` (hint: one text, or one per row)."""
    return pc.if_else(pa.array(where), pc.binary_join_element_wise(reasons, hint, "; "), reasons)


def _age(table, source: Source, key: str, decimal_comma: bool) -> tuple[Column, _Check]:
    # as the scalar path: outside the formula's ages, the formula that fits them is named
    entry = RENAL_FORMULAS[key]
    other = RENAL_FORMULAS[entry.instead]
    column = Column.read(source, table, decimal_comma)
    fits_other = valid(column.values, other.ages) & ~valid(column.values, entry.ages)
    hint = (
        f"{entry.label} is for {entry.ages.low:g}-{entry.ages.high:g} years: "
        f"use the {other.label} formula ({entry.instead.replace('_', '-')})"
    )
    return column, _column_check(table, column, lambda rows, text: _appended(text, fits_other[rows], hint))


def _creatinine(table, source: Source, decimal_comma: bool) -> tuple[Column, _Check]:
    # read in the column's unit, checked in mg/dL as the scalar path checks it (88.4 µmol/L = 1 mg/dL)
    as_given = dataclasses.replace(source, rng=Range("serum_creatinine", str(source.units), 0.0, np.inf, ""))
    read = Column.read(as_given, table, decimal_comma)
    mg_dl = creatinine_mg_dl(quantity(read.given, source.units), source.column)
    column = dataclasses.replace(read, source=dataclasses.replace(source, rng=SERUM_CREATININE), values=mg_dl)
    by_amount = source.units.dimensionality == unit("mol/L").dimensionality
    # a number plausible in the other unit is the likely slip, as the scalar path hints
    other_mg_dl = read.given if by_amount else read.given * CREATININE_MOLAR_MASS_G_MOL / 10_000
    swapped = valid(other_mg_dl, SERUM_CREATININE)
    other = "mg/dL" if by_amount else "µmol/L"

    def hint(rows, text):
        number = formatted_numbers("%g", read.given[rows])
        if decimal_comma:  # the number as the file writes it
            number = pc.replace_substring(number, ".", ",")
        guess = pc.binary_join_element_wise("did you mean ", number, f" {other}?", "")
        return _appended(text, swapped[rows] & ~column.plausible(rows), guess)

    return column, _column_check(table, column, hint)


def _sex(table: pa.Table, column: str) -> tuple[np.ndarray, _Check]:
    """Where the sex is female, by :func:`~dosecalc.validation.is_female` on each distinct spelling once, and
    the check that it is known (the engine's reasons, for the rows that fail it): the column as a whole, so
    an M beside an H is refused."""
    sexes = sexes_of(table, column)
    return sexes.female, _Check(sexes.known, lambda rows: sexes.reasons(np.asarray(rows, np.int64)))


def _in_range(values: np.ndarray, rng: Range, allow: bool) -> tuple[np.ndarray, np.ndarray]:
    """(accepted, above): as the scalar path, a value above the range passes only with ``allow``; NaN,
    zero, negative or infinite never."""
    above = (values > rng.high) & np.isfinite(values)
    return valid(values, rng) | (above & checked_flag(allow, "allow_outside_range")), above


def _range_check(table: pa.Table, column: Column, rng: Range, allow: bool) -> tuple[_Check, np.ndarray]:
    """A GFR column's range, as the scalar path: above it only with ``allow``, and then reported."""
    accepted, above = _in_range(column.values, rng, allow)

    def reasons(rows):
        # the column's own reasons take its values within its range: only above it is a value accepted there
        text = _appended(column.reasons(table, rows), above[rows], _OUT_OF_RANGE_HINT)
        return pc.if_else(pa.array(accepted[rows]), pa.scalar(None, pa.string()), text)

    return _Check(accepted, reasons), above


def _value_check(
    values: np.ndarray, rng: Range, field: str, allow: bool, considered: np.ndarray
) -> tuple[_Check, np.ndarray]:
    """A computed value's range (an estimate, a de-indexed GFR), checked in the rows ``considered`` (those
    whose inputs passed)."""
    accepted, above = _in_range(values, rng, allow)
    accepted |= ~considered

    def reasons(rows):
        shown = formatted_numbers("%.1f", values[rows])
        # a value refused whose text reads as accepted (250.00003 as "250.0") is shown to the digits that say why
        misread = np.flatnonzero(~accepted[rows] & valid(pc.cast(shown, pa.float64()).to_numpy(), rng))
        if misread.size:
            exact = [outside_text(value, rng) for value in values[rows][misread].tolist()]
            shown = pc.replace_with_mask(shown, pa.array(np.isin(np.arange(len(rows)), misread)), pa.array(exact))
        text = pc.binary_join_element_wise(
            f"{field}=", shown, f" {rng.symbol or rng.unit}: expected {rng.expected}", ""
        )
        text = _appended(text, above[rows], _OUT_OF_RANGE_HINT)
        return pc.if_else(pa.array(accepted[rows]), pa.scalar(None, pa.string()), text)

    return _Check(accepted, reasons), above


def _together_check(
    checks: list[_Check], failing: Callable[[np.ndarray], np.ndarray], said: Callable[[np.ndarray], list[str]]
) -> _Check:
    """
    A check of inputs together, of the rows whose inputs each pass ``checks``: ``failing(rows)``, the indexes
    into ``rows`` of those that fail it, and ``said(rows)``, the scalar path's message for each of failing rows.
    """
    each = np.ones(checks[0].passes.size, bool)
    for check in checks:
        each &= check.passes
    rows = np.flatnonzero(each)
    passes = np.ones(each.size, bool)
    passes[rows[failing(rows)]] = False

    def reasons(asked: np.ndarray) -> pa.Array:
        texts = np.full(asked.size, None, object)
        fails = ~passes[asked]
        texts[fails] = said(asked[fails])
        return pa.array(texts, pa.string())

    return _Check(passes, reasons)


def _body_check(height_cm: np.ndarray, weight_kg: np.ndarray, checks: list[_Check]) -> _Check:
    """Where the height and weight (each plausible by ``checks``) together describe a body
    (:func:`~dosecalc.validation.plausible_body`), and the scalar path's message where they do not."""
    return _together_check(
        checks,
        lambda rows: implausible_bodies(height_cm[rows], weight_kg[rows]),
        lambda rows: not_a_body(height_cm[rows], weight_kg[rows]),
    )


def _height_for_age_check(height_cm: np.ndarray, age_years: np.ndarray, checks: list[_Check]) -> _Check:
    """Where a child's height (age and height each plausible by ``checks``) is one that children of the age
    have (:func:`~dosecalc.growth.implausible_height_for_age`), and the scalar path's message where it is not."""
    return _together_check(
        checks,
        lambda rows: np.flatnonzero(implausible_height_for_age(height_cm[rows], age_years[rows])),
        lambda rows: [
            str(ImplausibleInputError("height", *height_for_age_reason(height, age)))
            for height, age in zip(height_cm[rows].tolist(), age_years[rows].tolist())
        ],
    )


def _verdict(checks: list[_Check], n: int) -> tuple[np.ndarray, pa.Array]:
    """Where every check passes, and for each other row its checks' reasons joined by "; "."""
    ok = np.ones(n, bool)
    for check in checks:
        ok &= check.passes
    rows = np.flatnonzero(~ok)
    failing = [check.reasons(rows) for check in checks if not check.passes[rows].all()]
    if not failing:
        return ok, pa.array([], pa.string())
    return ok, pc.binary_join_element_wise(*failing, "; ", null_handling="skip")


def _at(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``values`` where ``where``, NaN elsewhere."""
    out = np.full(where.shape, np.nan)
    out[where] = values
    return out


# --- the estimate -----------------------------------------------------------------


def kidney_rows(
    table: pa.Table,
    formula,
    *,
    column_map=None,
    column_units=None,
    weight_basis="actual",
    bsa_method="mosteller",
    creatinine_floor=None,
    allow_outside_range=False,
    decimal_comma=False,
) -> KidneyRows:
    """
    A kidney-function estimate for every row of an Arrow table, as
    :func:`dosecalc.renal.kidney_function` computes it for one patient: the
    batch function of :func:`kidney_table` and of
    :meth:`dosecalc.Order.for_table`.

    The parameters are those of :func:`kidney_table`.

    Raises
    ------
    DoseCalcError
        If the table cannot be read at all (see :func:`kidney_table`).
    """
    key = renal_formula_key(formula)
    entry = RENAL_FORMULAS[key]
    basis = weight_basis_key(weight_basis)
    if not entry.needs_weight and basis != "actual":
        raise ImplausibleInputError("weight_basis", basis, f"'actual' for {entry.label}, which uses no weight")
    floor_mg_dl, floor_policy = creatinine_floor_mg_dl(creatinine_floor)
    if floor_policy == "nccn" and entry.ages is CHILD_AGE:
        raise ImplausibleInputError(
            "creatinine_floor", "nccn", "a floor given as a value: the NCCN floor is for adults"
        )
    method = bsa_method_key(bsa_method)
    column_map, column_units = _column_options(column_map, column_units)
    names = _names(table)
    needed_for = f"creatinine clearance by {entry.label}" if key == COCKCROFT_GAULT else f"eGFR by {entry.label}"

    age = _kidney_source("age", names, column_map, column_units, entry.ages)
    creatinine = _kidney_source("creatinine", names, column_map, column_units, SERUM_CREATININE)
    for column, source, spelled in (
        ("an age column", age, "age_years"),
        ("a creatinine column", creatinine, "creatinine_mg_dl or creatinine_umol_l"),
    ):
        if source is None:
            raise MissingInputError(column, f"{needed_for}: name it {spelled}, or map one")
    assert age is not None and creatinine is not None  # refused above
    height = _body_source("height", names, column_map, column_units)
    weight = _body_source("weight", names, column_map, column_units)
    weight_entry = WEIGHT_BASES[basis]
    needs_height = entry.needs_height or (entry.needs_weight and weight_entry.height_range is not None)
    if entry.needs_weight and weight is None:
        raise MissingInputError("a weight column", f"{needed_for}: name it weight_kg or weight_lb, or map one")
    if needs_height and height is None:
        raise MissingInputError(
            "a height column", f"{needed_for}: name it height_cm, height_m or height_in, or map one"
        )
    de_indexed = entry.indexed and height is not None and weight is not None
    reads_sex = key != SCHWARTZ_BEDSIDE or (de_indexed and BSA_METHODS[method].needs_sex)
    sex_column = _sex_column(names, column_map, needed_for) if reads_sex else None

    n = table.num_rows
    read: dict[str, Column] = {}
    checks: list[_Check] = []
    read["age"], check = _age(table, age, key, decimal_comma)
    checks.append(check)
    read["creatinine"], check = _creatinine(table, creatinine, decimal_comma)
    checks.append(check)
    female = None
    if sex_column is not None:
        female, check = _sex(table, sex_column)
        checks.append(check)
    if entry.needs_weight or de_indexed:
        assert weight is not None
        read["weight"] = Column.read(weight, table, decimal_comma)
        checks.append(_column_check(table, read["weight"]))
    if needs_height or de_indexed:
        assert height is not None
        if entry.needs_weight and weight_entry.height_range is not None:  # the basis's heights (Devine: 5 ft and over)
            height = dataclasses.replace(height, rng=weight_entry.height_range)
        read["height"] = Column.read(height, table, decimal_comma)
        checks.append(_column_check(table, read["height"]))
    if "height" in read and "weight" in read:  # each plausible, and together a body, as the scalar path demands
        checks.append(_body_check(read["height"].values, read["weight"].values, checks))
    if key == SCHWARTZ_BEDSIDE:  # the eGFR is proportional to the height: one that children of the age have
        checks.append(_height_for_age_check(read["height"].values, read["age"].values, checks))
    inputs_ok = np.ones(n, bool)
    for check in checks:
        inputs_ok &= check.passes

    def at_ok(kind):
        return read[kind].values[inputs_ok] if kind in read else None

    female = None if female is None else female[inputs_ok]
    bsa_m2 = None
    if de_indexed:
        sex = None
        if BSA_METHODS[method].needs_sex and female is not None:  # for a BSA formula that reads it
            sex = np.where(female, "f", "m")
        bsa_m2 = bsa_magnitude(method, at_ok("height"), at_ok("weight"), sex)
    estimated = renal_kernel(
        key,
        age_years=at_ok("age"),
        female=None if key == SCHWARTZ_BEDSIDE else female,
        creatinine_mg_dl=at_ok("creatinine"),
        weight_kg=at_ok("weight"),
        height_cm=at_ok("height"),
        bsa_m2=bsa_m2,
        floor_mg_dl=floor_mg_dl,
        weight_basis=basis,
    )
    field = _estimate_field(key)
    # as the scalar path: an eGFR per 1.73 m² in its range, and once de-indexed the clearance in its own
    ranges = [(estimated.estimate, INDEXED_GFR)] if entry.indexed else []
    if estimated.clearance_ml_min is not None:
        ranges.append((estimated.clearance_ml_min, CLEARANCE))
    above = np.zeros(n, bool)
    for value, rng in ranges:
        in_range, value_above = _value_check(_at(value, inputs_ok), rng, field, allow_outside_range, inputs_ok)
        checks.append(in_range)
        above |= value_above
    ok, reasons = _verdict(checks, n)

    names_out = estimate_columns(
        key, basis, bsa=de_indexed, floor=floor_mg_dl is not None, allow_outside_range=allow_outside_range
    )
    values = [_at(estimated.estimate, inputs_ok)]
    if entry.indexed and de_indexed:
        values.append(_at(estimated.clearance_ml_min, inputs_ok))
    if not entry.indexed and basis != "actual":
        values.append(_at(estimated.dosing_weight_kg, inputs_ok))
    if floor_mg_dl is not None:
        values.append(_at(estimated.floor_applied, inputs_ok) == 1)
    if allow_outside_range:
        values.append(above)
    clearance = None if estimated.clearance_ml_min is None else _at(estimated.clearance_ml_min, inputs_ok)
    return KidneyRows(
        ok,
        reasons,
        clearance,
        None if bsa_m2 is None else _at(bsa_m2, inputs_ok),
        key,
        dict(zip(names_out, values)),
        read,
    )


def measured_rows(
    table: pa.Table,
    *,
    column_map=None,
    column_units=None,
    bsa_method="mosteller",
    allow_outside_range=False,
    decimal_comma=False,
) -> KidneyRows | None:
    r"""
    A measured GFR for every row, as :func:`dosecalc.renal.measured_gfr`
    checks one: absolute (``gfr_ml_min``), or per 1.73 m²
    (``gfr_ml_min_1_73m2``) de-indexed by the BSA of the height and weight
    columns by ``bsa_method``, :math:`GFR = GFR_{1.73} \times BSA / 1.73`;
    above zero, at most 250 mL/min (or per 1.73 m²) unless
    ``allow_outside_range``. None without a GFR column.

    Raises
    ------
    DoseCalcError
        For a GFR per 1.73 m² without height and weight columns, or with a
        BSA formula that needs the sex (as the scalar path).
    """
    column_map, column_units = _column_options(column_map, column_units)
    names = _names(table)
    source = _kidney_source("gfr", names, column_map, column_units, CLEARANCE)
    if source is None:
        return None
    if not is_per_area(quantity(1.0, source.units)):
        column = Column.read(source, table, decimal_comma)
        in_range, above = _range_check(table, column, CLEARANCE, allow_outside_range)
        ok, why = _verdict([in_range], table.num_rows)
        columns = {"gfr_outside_range": above} if allow_outside_range else {}
        return KidneyRows(ok, why, np.where(ok, column.values, np.nan), None, MEASURED, columns, {"gfr": column})
    # per 1.73 m²: de-indexed by the BSA, as absolute_gfr does for one patient
    per_m2 = Column.read(
        dataclasses.replace(source, rng=Range("gfr", "mL/min/m**2", 0.0, np.inf, "")), table, decimal_comma
    )
    indexed_source = dataclasses.replace(source, rng=INDEXED_GFR)
    column = dataclasses.replace(per_m2, source=indexed_source, values=per_m2.values * STANDARD_BSA_M2)
    height = _body_source("height", names, column_map, column_units)
    weight = _body_source("weight", names, column_map, column_units)
    if height is None or weight is None:
        missing = "a height column" if height is None else "a weight column"
        raise MissingInputError(missing, f"the BSA that de-indexes the GFR per 1.73 m² in {source.column}")
    method = sexless_bsa_method(bsa_method)
    read = {
        "gfr": column,
        "height": Column.read(height, table, decimal_comma),
        "weight": Column.read(weight, table, decimal_comma),
    }
    indexed, indexed_above = _range_check(table, column, INDEXED_GFR, allow_outside_range)
    checks = [indexed, _column_check(table, read["height"]), _column_check(table, read["weight"])]
    checks.append(_body_check(read["height"].values, read["weight"].values, checks[1:]))
    inputs_ok = np.ones(table.num_rows, bool)
    for check in checks:
        inputs_ok &= check.passes
    bsa_m2 = _at(bsa_magnitude(method, read["height"].values[inputs_ok], read["weight"].values[inputs_ok]), inputs_ok)
    clearance = de_index_kernel(column.values, bsa_m2)
    absolute, above = _value_check(clearance, CLEARANCE, "gfr", allow_outside_range, inputs_ok)
    ok, why = _verdict([*checks, absolute], table.num_rows)
    # accepted above 250 per 1.73 m² only by the override: reported so
    columns = {"gfr_outside_range": above | indexed_above} if allow_outside_range else {}
    return KidneyRows(ok, why, np.where(ok, clearance, np.nan), np.where(ok, bsa_m2, np.nan), MEASURED, columns, read)


#: Words of a column's name that say it holds a kidney function (``crcl_ml_min``, ``eGFR (mL/min)``):
#: a carboplatin dose that would not read such a column refuses it rather than pass it by.
KIDNEY_FUNCTION_WORDS = frozenset({"gfr", "egfr", "mgfr", "crcl", "clcr", "ccr"})


def _refuse_unread_kidney_function(names, used: str | None) -> None:
    """Refuse a column that looks like the patients' kidney function but is not the one read (``used``)."""
    for name in names:
        if name != used and KIDNEY_FUNCTION_WORDS & set(canonical_name(name).split("_")):
            raise DoseCalcError(
                f"column {name!r} looks like the patients' kidney function, which this carboplatin dose "
                f"would not read ({'it reads ' + repr(used) if used else 'it estimates the GFR from creatinine'}): "
                "give a measured GFR as gfr_ml_min (or map it with column_map and column_units), "
                "or rename or drop the column"
            )


def gfr_rows(table: pa.Table, formula, **options) -> KidneyRows:
    """
    The GFR a carboplatin dose uses, for every row: measured (a
    ``gfr_ml_min`` column), or else estimated by ``formula``, with the
    options of :func:`kidney_rows`.

    Raises
    ------
    DoseCalcError
        If the table has both a GFR and a creatinine column (which is the
        patients' kidney function?), or an eGFR cannot be de-indexed (no
        height or weight column).
    """
    measured_options = {
        name: options[name]
        for name in ("column_map", "column_units", "bsa_method", "allow_outside_range", "decimal_comma")
        if name in options
    }
    measured = measured_rows(table, **measured_options)
    column_map, column_units = _column_options(options.get("column_map"), options.get("column_units"))
    creatinine = _kidney_source("creatinine", table.column_names, column_map, column_units, SERUM_CREATININE)
    used = None if measured is None else measured.read["gfr"].source.column
    _refuse_unread_kidney_function(table.column_names, used)
    if measured is not None:
        if creatinine is not None:
            raise DoseCalcError(
                f"a GFR column {measured.read['gfr'].source.column!r} and a creatinine column {creatinine.column!r}: "
                "which is the patients' kidney function for carboplatin? keep one"
            )
        return measured
    rows = kidney_rows(table, formula, **options)
    if rows.clearance_ml_min is None:
        entry = RENAL_FORMULAS[rows.source]
        raise MissingInputError("height and weight columns", f"the BSA that de-indexes {entry.label} to mL/min")
    return rows


def _estimate_field(key: str) -> str:
    """The name a refusal gives an estimate, as :func:`dosecalc.carboplatin_dose` names it."""
    return f"{'crcl' if key == COCKCROFT_GAULT else 'egfr'} ({RENAL_FORMULAS[key].label})"


def _plausible_doses(rows: KidneyRows, auc: float, allow_outside_range: bool = False) -> KidneyRows:
    """
    ``rows`` without those whose GFR the Calvert formula is not given, rejected
    as :func:`dosecalc.carboplatin_dose` refuses them: below
    :data:`~dosecalc.carboplatin.MIN_GFR_ML_MIN` (1 mL/min), or (reported
    outside the range, 1e300 mL/min) giving a dose above
    :data:`~dosecalc.carboplatin.MAX_CALVERT_MG`.
    """
    assert rows.clearance_ml_min is not None
    clearance = rows.clearance_ml_min
    with np.errstate(over="ignore", invalid="ignore"):
        low = rows.ok & (clearance < MIN_GFR_ML_MIN)
        implausible = np.zeros_like(low)
        if calvert_kernel(auc, np.nanmax(clearance, initial=0.0)) > MAX_CALVERT_MG:  # the largest GFR, the largest dose
            implausible = rows.ok & ~(calvert_kernel(auc, clearance) <= MAX_CALVERT_MG)
    if not (low.any() or implausible.any()):
        return rows
    # a measured GFR's column by its name, an estimate as the scalar path names it; no estimate reaches the
    # upper bound (Cockcroft-Gault at most (140 − 18) × 700 kg / (72 × 0.1 mg/dL) = 11,861 mL/min, 118,861 mg
    # at AUC 10)
    field = next(iter(rows.read.values())).source.column if rows.source == MEASURED else _estimate_field(rows.source)
    expected = GFR_AT_LEAST if allow_outside_range else GFR.expected
    low_text = [outside_text(value, GFR, "g", 6) for value in clearance[low].tolist()]
    why_low = pc.binary_join_element_wise(
        f"{field}=", pa.array(low_text, pa.string()), f" mL/min: expected {expected}", ""
    )
    why_large = pc.binary_join_element_wise(
        f"{field}=", formatted_numbers("%g", clearance[implausible]), f" mL/min: expected {PLAUSIBLE_DOSE}", ""
    )
    order = np.argsort(
        np.concatenate([np.flatnonzero(~rows.ok), np.flatnonzero(low), np.flatnonzero(implausible)]), kind="stable"
    )
    reasons = pa.chunked_array([rows.reasons, why_low, why_large], pa.string()).combine_chunks().take(pa.array(order))
    ok = rows.ok & ~low & ~implausible
    bsa_m2 = None if rows.bsa_m2 is None else np.where(ok, rows.bsa_m2, np.nan)
    return rows._replace(ok=ok, reasons=reasons, clearance_ml_min=np.where(ok, clearance, np.nan), bsa_m2=bsa_m2)


def carboplatin_rows(
    table: pa.Table,
    auc: float,
    *,
    policy="fda",
    formula=None,
    gfr_cap="policy",
    **options,
) -> tuple[KidneyRows, dict[str, pa.Array]]:
    r"""
    The Calvert dose for every row whose GFR could be had:
    :math:`D = AUC \times (\min(GFR, GFR_{cap}) + 25)`, as
    :func:`dosecalc.carboplatin_dose` computes it for one patient.

    Parameters
    ----------
    table : pyarrow.Table
    auc : float
        The target AUC, checked [mg/mL·min].
    policy, formula, gfr_cap
        As for :func:`dosecalc.carboplatin_dose` (``gfr_formula`` there):
        ``gfr_cap`` ``"policy"``, None (no cap) or a GFR [mL/min].
    **options
        Those of :func:`kidney_rows`.

    Returns
    -------
    (KidneyRows, dict)
        The GFR's rows, and the columns of :data:`CARBOPLATIN_COLUMNS` for
        the rows where ``ok``.
    """
    key = policy_key(policy)
    entry = CARBOPLATIN_POLICIES[key]
    estimate = renal_formula_key(formula or entry.gfr_formula)
    if estimate == SCHWARTZ_BEDSIDE:
        raise ImplausibleInputError(
            "gfr_formula",
            formula or estimate,  # as typed
            "an adult estimate (cockcroft-gault or ckd-epi-2021): the Calvert formula was derived in adults",
        )
    cap_ml_min, _ = gfr_cap_of(gfr_cap, entry)
    rows = _plausible_doses(gfr_rows(table, estimate, **options), auc, options.get("allow_outside_range", False))
    assert rows.clearance_ml_min is not None  # gfr_rows refuses an eGFR it cannot de-index
    ok = rows.ok
    gfr_ml_min = rows.clearance_ml_min[ok]
    dose_mg, used, applied = carboplatin_kernel(auc, gfr_ml_min, cap_ml_min)
    n = int(ok.sum())
    values = (
        pa.array(np.full(n, auc)),
        label_column(key, n),
        label_column("given" if rows.source == MEASURED else rows.source, n),
        pa.array(gfr_ml_min, pa.float64()),
        pa.array(np.asarray(used, float), pa.float64()),
        pa.array(np.broadcast_to(np.asarray(applied, bool), (n,))),
        pa.nulls(n, pa.float64()) if rows.bsa_m2 is None else pa.array(rows.bsa_m2[ok], pa.float64()),
        pa.array(np.asarray(dose_mg, float), pa.float64()),
    )
    columns = dict(zip(CARBOPLATIN_COLUMNS, values, strict=True))
    return rows, columns


def estimate_arrays(rows: KidneyRows) -> dict[str, pa.Array]:
    """The estimate columns of ``rows`` at the rows where ``ok``, as Arrow."""
    return {
        name: pa.array(values[rows.ok], pa.bool_() if values.dtype == bool else pa.float64())
        for name, values in rows.columns.items()
    }


def with_numeric_inputs(table: pa.Table, read: dict, keep: np.ndarray) -> pa.Table:
    """``table`` (the rows where ``keep``) with each numeric input read as the number it was read as, in its
    column's unit, as a file driver writes it."""
    for column in read.values():
        name = column.source.column
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(column.given[keep], pa.float64()))
    return table


def with_estimate(
    table: pa.Table, dosed: pa.Table, rejects: pa.Table, rows: KidneyRows, row_offset: int = 0, numeric: bool = False
) -> tuple[pa.Table, pa.Table]:
    """
    A dose's dosed and rejected rows of ``table`` (numbered after
    ``row_offset``) with an estimate: its columns added to the dosed rows
    whose estimate could be made (a column the dose wrote already, by the
    same settings, is kept), the other rows rejected with the estimate's
    reason, joined to any reason they had. With ``numeric``, the estimate's
    numeric inputs as the numbers read.
    """
    refuse_written_columns(table.column_names, rows.columns)
    positions = np.asarray(dosed["row"].to_numpy(), np.int64) - 1 - row_offset
    keep = rows.ok[positions]
    kept = positions[keep]
    dosed = dosed.filter(pa.array(keep))
    if numeric:
        dosed = with_numeric_inputs(dosed, rows.read, kept)
    for name, values in rows.columns.items():
        if name not in dosed.column_names:
            dosed = dosed.append_column(
                name, pa.array(values[kept], pa.bool_() if values.dtype == bool else pa.float64())
            )
    n = table.num_rows
    earlier = np.asarray(rejects["row"].to_numpy(), np.int64) - 1 - row_offset
    failed = np.flatnonzero(~rows.ok)
    dose_reasons = _scattered(rejects["reason"], earlier, n)
    estimate_reasons = _scattered(rows.reasons, failed, n)
    both = np.zeros(n, bool)
    both[earlier] = True
    both &= ~rows.ok
    reasons = pc.coalesce(dose_reasons, estimate_reasons)
    if both.any():  # each reason once (a missing weight is the dose's and the estimate's), per distinct pair of texts
        where = pa.array(both)
        first, second = (pc.dictionary_encode(side.filter(where)) for side in (dose_reasons, estimate_reasons))
        codes = first.indices.to_numpy().astype(np.int64) * len(second.dictionary) + second.indices.to_numpy()
        pairs, which = np.unique(codes, return_inverse=True)
        texts = (first.dictionary.to_pylist(), second.dictionary.to_pylist())
        joined = []
        for pair in pairs.tolist():
            parts = texts[0][pair // len(texts[1])].split("; ")
            joined.append(
                "; ".join(parts + [part for part in texts[1][pair % len(texts[1])].split("; ") if part not in parts])
            )
        reasons = pc.replace_with_mask(reasons, where, pa.array(joined, pa.string()).take(pa.array(which)))
    rejected = np.flatnonzero(reasons.is_valid().to_numpy(zero_copy_only=False))
    return dosed, reject_rows(table, rejected, reasons.take(pa.array(rejected, pa.int64())), row_offset)


def _scattered(values, positions: np.ndarray, n: int) -> pa.Array:
    """``values`` (texts) at ``positions`` of a column of ``n``, null elsewhere."""
    index = np.full(n, -1, np.int64)
    index[positions] = np.arange(positions.size)
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return values.cast(pa.string()).take(pa.array(index, mask=index < 0))


def kidney_table(
    table,
    formula="cockcroft-gault",
    *,
    column_map=None,
    column_units=None,
    row_offset=0,
    weight_basis="actual",
    bsa_method="mosteller",
    creatinine_floor=None,
    allow_outside_range=False,
    decimal_comma=False,
    numeric_inputs=False,
) -> KidneyTable:
    """
    Kidney function for every row of a table of patients; reject the rows
    whose estimate cannot be made.

    Parameters
    ----------
    table : DataFrame, pyarrow.Table or dict of arrays
        One row per patient: ``age_years``, ``sex``, ``creatinine_mg_dl`` or
        ``creatinine_umol_l``, and where the formula needs them ``weight_*``
        and ``height_*`` (see the module).
    formula : str, default "cockcroft-gault"
        ``"cockcroft-gault"``, ``"ckd-epi-2021"`` or ``"schwartz-bedside"``.
    column_map, column_units : dict, optional
        Columns for the inputs (``age``, ``creatinine``, ``gfr``, ``height``,
        ``weight``, ``sex``) whose names say no unit, and their units.
    row_offset : int, default 0
        Rows before this batch; its rows are numbered from ``row_offset + 1``.
    weight_basis, bsa_method, creatinine_floor, allow_outside_range
        As for :func:`dosecalc.renal.kidney_function` (``bsa_method`` the
        formula of the BSA that de-indexes an eGFR).
    decimal_comma : bool, default False
        Numbers given as text are written "1,2" (see
        :func:`dosecalc.cohort.dose_table`).
    numeric_inputs : bool, default False
        The estimated rows' numeric inputs as the numbers read (float64, in
        each column's unit).

    Returns
    -------
    KidneyTable
        Frames of the caller's kind. ``estimated``: the rows estimated, every
        input column, ``row`` (1-based, after ``row_offset``) and the columns
        of :func:`estimate_columns`. ``rejects``: the other rows as given,
        ``row`` and ``reason``.

    Raises
    ------
    DoseCalcError
        If the table cannot be read at all: a needed column absent, two
        creatinine columns (mg/dL and µmol/L: which is it?), a column with
        no unit or an unknown one, an unknown formula, weight basis or BSA
        method, a setting the formula cannot use, or a ``row_offset`` that is
        not a whole number, 0 or more.

    Examples
    --------
    Cockcroft-Gault for a man of 60 years, 80 kg, creatinine 1.2 mg/dL:
    80 × 80 / 86.4 = 74.07 mL/min; a woman of 17 years is no adult:

    >>> estimated, rejects = kidney_table(
    ...     {"age_years": [60, 17], "sex": ["m", "f"], "weight_kg": [80, 55], "creatinine_mg_dl": [1.2, 0.7]}
    ... )
    >>> [round(value, 2) for value in estimated["crcl_cockcroft_gault_ml_min"].to_pylist()]
    [74.07]
    >>> rejects["reason"].to_pylist()[0].split("; ")[1]
    'Cockcroft-Gault is for 18-120 years: use the bedside Schwartz formula (schwartz-bedside)'
    """
    row_offset = checked_row_offset(row_offset)
    numeric_inputs = checked_flag(numeric_inputs, "numeric_inputs")
    frame = read_frame(table)
    arrow = frame.table
    rows = kidney_rows(
        arrow,
        formula,
        column_map=column_map,
        column_units=column_units,
        weight_basis=weight_basis,
        bsa_method=bsa_method,
        creatinine_floor=creatinine_floor,
        allow_outside_range=allow_outside_range,
        decimal_comma=decimal_comma,
    )
    columns = estimate_arrays(rows)
    refuse_written_columns(arrow.column_names, (*columns, "row", "reason"))
    positions = np.flatnonzero(rows.ok)
    estimated = arrow.filter(pa.array(rows.ok))
    if numeric_inputs:
        estimated = with_numeric_inputs(estimated, rows.read, rows.ok)
    estimated = estimated.append_column("row", pa.array(positions + 1 + row_offset, pa.int64()))
    for name, values in columns.items():
        estimated = estimated.append_column(name, values)
    rejected = np.flatnonzero(~rows.ok)
    return KidneyTable(
        frame.like(estimated, positions), frame.like(reject_rows(arrow, rejected, rows.reasons, row_offset), rejected)
    )
