r"""
What a pharmacist does to a calculated dose: caps, rounding, banding and
dose-level modifications, each reported next to the dose it changed.

- Caps: a BSA cap (e.g. 2.0 m²) and a maximum absolute dose per
  administration (e.g. vincristine 2 mg). :math:`x_{capped} = \min(x, cap)`:
  a cap never raises a value.
- Rounding: to a step (5 mg) or to the nearest total of whole vials or tablets
  of given strengths (100 mg, 50 mg), only within a tolerance (default ±5 %,
  at most ±10 %); outside it the dose is not rounded and the call fails.
- Banding: a band table maps a calculated dose to the standard dose of its
  band, only within a deviation (default ±6 %, at most ±10 %): NHS England's
  national bands lie within 6 % of the calculated dose for standard
  chemotherapy and 10 % for biological drugs (NICE, Key therapeutic topic
  KTT22, after NHS England's guide to its dose-banding tables). A band whose
  dose lies more than 10 % from a dose of its band is refused with its
  table; a dose its band moves by more than the deviation is not banded.
- Dose levels: a percentage reduction, or a named level from a regimen's
  level table (a percentage of the full dose, or a dose).

Band and level tables are small CSV or TOML files; every value carries its
unit, in the cell ("1900 mg") or in the column name (``dose_mg``).

Scalars and arrays run the same code; the ``*_kernel`` functions take
magnitudes in [mg] for the cohort engine, which masks rows where a public
function would raise.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ._version import __version__
from .doses import BASIS_LABELS, FLAT, MASS_BASES, UNIT_BASES, dose_basis, read_dose
from .errors import (
    DoseCalcError,
    ImplausibleInputError,
    MissingInputError,
    UnguessedNameError,
    UnitError,
    UnknownNameError,
)
from .grammar import NUMBER_PATTERN, escaped, number_slip
from .results import Result, scalar_or_array
from .text_files import load_toml, regular_file
from .units import is_quantity, magnitude, parse_quantity, quantity, unit
from .validation import BSA, Range, checked, checked_scalar

__all__ = [
    "Capped",
    "cap_bsa",
    "cap_dose",
    "cap_kernel",
    "RoundedDose",
    "round_dose",
    "step_kernel",
    "strengths_kernel",
    "difference_pct",
    "TOLERANCE",
    "DEFAULT_TOLERANCE_PCT",
    "BandTable",
    "Banding",
    "BandedDose",
    "BAND_DEVIATION",
    "DEFAULT_BAND_DEVIATION_PCT",
    "band_table",
    "read_band_table",
    "band_dose",
    "LevelTable",
    "ModifiedDose",
    "level_table",
    "read_level_table",
    "modify_dose",
    "REDUCTION",
    "CAP_KEEPS_PCT",
    "LEVEL_SHARE",
]

DEFAULT_TOLERANCE_PCT = 5.0
TOLERANCE = Range("tolerance_pct", "percent", 0.0, 10.0, "%")

#: The largest deviation of a band's dose from the calculated dose, by default
#: and at most [%]: NICE Key therapeutic topic KTT22, "Chemotherapy dose
#: standardisation" (evidence context): the national dose bands "lie within 6%
#: of the patient's calculated dose for standard chemotherapy drugs and 10% for
#: biological drugs" (after NHS England, how to use the NHS England dose
#: banding tables).
DEFAULT_BAND_DEVIATION_PCT = 6.0
BAND_DEVIATION = Range("band_deviation_pct", "percent", 0.0, 10.0, "%")

#: A reduction of more than 90 % is no longer a dose: omit it instead. One of less than 1 % reduces nothing a
#: protocol asks for, and is a fraction typed for a percentage (0.2 for 20 %): refused, as the two disagree.
REDUCTION = Range("reduction_pct", "percent", 1.0, 90.0, "% (a positive reduction: 20 for −20 %, not 0.2)")

#: A dose level as a share of the full dose: a level table only reduces, and
#: by at most :data:`REDUCTION`'s 90 % (a level of less is no longer a dose).
LEVEL_SHARE = Range("level", "percent", 100.0 - REDUCTION.high, 100.0, "% of the full dose")
_LEVEL_VALUE = "a share of the full dose, such as '80 %', or a dose, such as '65 mg/m^2'"

# Combinations of units enumerated for vial/tablet totals: far above any
# real preparation, low enough to answer in milliseconds.
_MAX_COMBINATIONS = 1_000_000


def _mg(value, field: str):
    """A flat dose in [mg] as float(s): a Quantity of mass, text, or plain mg."""
    return read_dose(value, field, default=FLAT, allowed=(FLAT,))[0]


def _at(field: str, values, index: int) -> str:
    # "dose" for a scalar, "dose[3]" for the fourth of an array
    return field if np.ndim(values) == 0 else f"{field}[{index}]"


def _first(mask):
    # index of the first True of a boolean mask, or None
    hits = np.flatnonzero(np.ravel(mask))
    return int(hits[0]) if hits.size else None


# --- caps ---------------------------------------------------------------------


@dataclass(frozen=True)
class Capped(Result):
    """
    A value and its cap.

    Attributes
    ----------
    capped : Quantity
        :math:`\\min(x, cap)`, the value to use.
    uncapped : Quantity
        The value as calculated.
    cap : Quantity
    applied : bool or ndarray of bool
        Where the cap lowered the value.
    version : str
    """

    capped: Any
    uncapped: Any
    cap: Any
    applied: Any
    version: str = __version__


def cap_kernel(values, cap):
    """``(min(values, cap), values > cap)`` on magnitudes."""
    return np.minimum(values, cap), scalar_or_array(values > cap)


#: The least share of a dose [%] a cap may keep: a cap takes at most what a reduction may (:data:`REDUCTION`,
#: 90 %). A cap that takes more (a maximum of 2 mcg typed for 2 mg, a BSA cap of 0.02 m²) is a slip, and so
#: is the dose it would cut (1.4 mg/kg of vincristine capped at 2 mg): each refused, never given.
CAP_KEEPS_PCT = 100.0 - REDUCTION.high


def cap_takes_too_much(uncapped, capped) -> np.ndarray:
    """Where a cap leaves less than :data:`CAP_KEEPS_PCT` of the dose (magnitudes in one unit)."""
    with np.errstate(invalid="ignore"):
        # within a relative billionth of the bound is at it (16.15 mg of 161.5 mg is 10 %, in floats a hair less)
        return np.asarray(capped, dtype=float) < np.asarray(uncapped, dtype=float) * (
            CAP_KEEPS_PCT / 100.0 / _CEILING_SLACK
        )


def cap_expected(uncapped, capped, unit_text: str, modified: bool = False) -> str:
    """What a cap (with a modification: the two together) that takes more than a reduction may is refused
    against, for one dose."""
    what = "a modification and caps that keep" if modified else "a cap that keeps"
    return (
        f"{what} at least {CAP_KEEPS_PCT:g} % of the dose of {uncapped:.4g} {unit_text} (it leaves "
        f"{capped:.4g} {unit_text}), as a reduction takes at most {REDUCTION.high:g} %; is the cap's unit or the "
        "dose's mistyped?"
    )


def refuse_caps_taking_too_much(
    uncapped, capped, unit_text: str, field: str, shown: str, modified: bool = False
) -> None:
    """Raise where caps leave less of a dose (magnitudes in ``unit_text``) than a reduction may, naming the first
    such dose: the refusal of one patient's dose, ``field`` the cap as typed (``shown``)."""
    too_much = np.atleast_1d(cap_takes_too_much(uncapped, capped))
    if too_much.any():
        first = int(np.flatnonzero(too_much)[0])
        before = float(np.ravel(np.broadcast_to(uncapped, too_much.shape))[first])
        after = float(np.ravel(np.broadcast_to(capped, too_much.shape))[first])
        raise ImplausibleInputError(field, shown, cap_expected(before, after, unit_text, modified))


#: Relative slack on a maximum dose: a dose within a billionth of it is at it (2.0000000001 mg, a float's
#: rendering of 2 mg, is not above a 2 mg maximum).
_CEILING_SLACK = 1.0 + 1e-9


def above_ceiling_kernel(values, ceiling) -> np.ndarray:
    """Where magnitudes are above their ceiling (one unit) by more than a relative billionth; never below a NaN."""
    return np.asarray(values, dtype=float) > np.asarray(ceiling, dtype=float) * _CEILING_SLACK


def cap_bsa(bsa, cap) -> Capped:
    r"""
    Cap a body-surface area.

    .. math:: BSA_{capped} = \min(BSA, BSA_{cap})

    Parameters
    ----------
    bsa : numeric or Quantity
        Body-surface area; plain numbers in [m²].
    cap : numeric or Quantity
        The cap, e.g. 2.0 m²; plain numbers in [m²].

    Returns
    -------
    Capped
        ``capped``, ``uncapped`` and ``cap`` [m²], and where it ``applied``.

    Raises
    ------
    ImplausibleInputError
        If the BSA or the cap is outside 0.02-7 m².

    Examples
    --------
    >>> result = cap_bsa(2.2, 2.0)
    >>> float(result.capped.m_as("m**2")), bool(result.applied)
    (2.0, True)
    """
    bsa_m2, cap_m2 = checked(bsa, BSA), checked(cap, BSA, "bsa_cap")
    capped_m2, applied = cap_kernel(bsa_m2, cap_m2)
    return Capped(quantity(capped_m2, "m**2"), quantity(bsa_m2, "m**2"), quantity(cap_m2, "m**2"), applied)


def cap_dose(dose, max_dose) -> Capped:
    r"""
    Cap an absolute dose per administration.

    .. math:: D_{capped} = \min(D, D_{max})

    Parameters
    ----------
    dose : numeric, str or Quantity
        The calculated dose; plain numbers in [mg].
    max_dose : numeric, str or Quantity
        The maximum per administration, e.g. "2 mg" for vincristine; plain
        numbers in [mg].

    Returns
    -------
    Capped
        ``capped``, ``uncapped`` and ``cap`` [mg], and where it ``applied``.

    Raises
    ------
    UnitError
        If a value is not a mass.
    ImplausibleInputError
        If a value is NaN, non-positive or absurd.

    Examples
    --------
    Vincristine 1.4 mg/m² for a BSA of 1.9 m² is 2.66 mg, capped at 2 mg:

    >>> float(cap_dose("2.66 mg", max_dose="2 mg").capped.m_as("mg"))
    2.0
    """
    dose_mg, max_mg = _mg(dose, "dose"), _mg(max_dose, "max_dose")
    capped_mg, applied = cap_kernel(dose_mg, max_mg)
    # as a patient's dose refuses it: 1e-9 mg typed for a maximum of 1 mg, or of 1 g
    shown = max_dose if isinstance(max_dose, str) else f"{np.max(max_mg):g} mg"
    refuse_caps_taking_too_much(dose_mg, capped_mg, "mg", "max_dose", shown)
    return Capped(quantity(capped_mg, "mg"), quantity(dose_mg, "mg"), quantity(max_mg, "mg"), applied)


# --- rounding -----------------------------------------------------------------


@dataclass(frozen=True)
class RoundedDose(Result):
    """
    A dose rounded to a practical measure.

    Attributes
    ----------
    calculated : Quantity
        The dose as calculated. [mg]
    rounded : Quantity
        The dose to give. [mg]
    difference_pct : float or ndarray
        :math:`100\\,(D_{rounded} - D_{calculated}) / D_{calculated}`. [%]
    method : str
        ``"step"`` or ``"strengths"``.
    tolerance_pct : float
        The largest difference accepted. [%]
    step : Quantity or None
        The step rounded to. [mg]
    strengths : Quantity or None
        The vial or tablet strengths, largest first. [mg]
    counts : ndarray of int or None
        Units of each strength in the rounded dose (last axis: strengths).
    version : str
    """

    calculated: Any
    rounded: Any
    difference_pct: Any
    method: str
    tolerance_pct: float
    step: Any = None
    strengths: Any = None
    counts: Any = None
    version: str = __version__


def difference_pct(calculated, rounded):
    """Percentage difference of ``rounded`` from ``calculated``."""
    return (rounded - calculated) / calculated * 100.0


def step_kernel(dose_mg, step_mg, ceiling_mg=np.inf):
    """
    Round to the nearest multiple of ``step_mg``, halves up; down instead where
    that would exceed ``ceiling_mg`` (a maximum dose is never rounded past).
    """
    # + 1e-9 step: a decimal half such as 1.15 / 0.1 = 11.499999999999998 rounds up;
    # round(…, 9): 12 × 0.1 is 1.2, not 1.2000000000000002 (1e-9 mg is below any measure)
    nearest = np.round(np.floor(dose_mg / step_mg + 0.5 + 1e-9) * step_mg, 9)
    below = np.round(np.floor(dose_mg / step_mg + 1e-9) * step_mg, 9)
    return np.where(nearest > ceiling_mg, below, nearest)


def _totals(strengths_mg, upper_mg):
    # Every total of whole units up to upper_mg, ascending, each with the
    # fewest units that make it: a dynamic programme over the strengths.
    totals, counts = np.zeros(1), np.zeros((1, 0), dtype=int)
    for strength in strengths_mg:
        most = upper_mg // strength + 1  # checked before any array of that size is made
        if totals.size * most > _MAX_COMBINATIONS:
            raise ImplausibleInputError(
                "strengths",
                f"{strength:g} mg",
                f"strengths that make {upper_mg:g} mg from fewer units",
                "round to a step instead",
            )
        units = np.arange(int(most))
        sums = np.round(totals[:, None] + units * strength, 9).ravel()
        new_counts = np.hstack([np.repeat(counts, units.size, axis=0), np.tile(units, totals.size)[:, None]])
        keep = sums <= upper_mg
        sums, new_counts = sums[keep], new_counts[keep]
        order = np.lexsort((new_counts.sum(axis=1), sums))
        first = np.unique(sums[order], return_index=True)[1]
        totals, counts = sums[order][first], new_counts[order][first]
    return totals, counts


def strengths_kernel(dose_mg, strengths_mg, ceiling_mg=np.inf):
    """
    The nearest total of whole units of ``strengths_mg`` (descending) to each
    dose, halves up, and the units of each strength; the total just below
    where the nearest would exceed ``ceiling_mg`` (a maximum dose).
    """
    # the nearest total above a dose is at most one smallest unit above it (initial: no dose at all)
    totals, counts = _totals(strengths_mg, float(np.max(dose_mg, initial=0.0)) + float(np.min(strengths_mg)))
    above = np.clip(np.searchsorted(totals, dose_mg), 1, totals.size - 1)
    up = (totals[above] - dose_mg <= dose_mg - totals[above - 1]) & (totals[above] <= ceiling_mg)
    nearest = np.where(up, above, above - 1)
    return totals[nearest], counts[nearest]


def strengths_mg_of(strengths):
    """Vial or tablet strengths in [mg], unique and descending, from "100mg, 50mg",
    ``[Q_(100, "mg"), "50 mg"]`` or ``Q_([100, 50], "mg")``."""
    if isinstance(strengths, str):
        items = strengths.split(",")
        if any(not item.strip(" ") for item in items):  # "100mg,,50mg": the whole text named, not its empty part
            raise UnitError("strengths", escaped(strengths), "strengths separated by single commas: '100mg,50mg'")
    elif is_quantity(strengths) or not hasattr(strengths, "__iter__"):
        items = [strengths]
    else:
        items = list(strengths)
    if not items:
        raise MissingInputError("strengths", "rounding to vial or tablet strengths")
    return np.unique(np.concatenate([np.ravel(_mg(item, "strengths")) for item in items]))[::-1]


def round_dose(dose, *, step=None, strengths=None, tolerance_pct=DEFAULT_TOLERANCE_PCT, ceiling=None) -> RoundedDose:
    r"""
    Round a dose to a step, or to whole vials or tablets, within a tolerance.

    .. math::
        D_{rounded} = s \left\lfloor D / s + \tfrac12 \right\rfloor
        \quad\text{or}\quad
        D_{rounded} = \operatorname*{arg\,min}_{T = \sum_i n_i S_i} |T - D|,
        \ n_i \in \mathbb{N}

    and the result is refused unless
    :math:`|D_{rounded} - D| \le \tau D`. Halves round up; among equal totals
    of strengths the one with the fewest units is reported.

    Parameters
    ----------
    dose : numeric, str or Quantity
        The calculated dose; plain numbers in [mg].
    step : numeric, str or Quantity, optional
        Round to a multiple of this, e.g. "5 mg"; plain numbers in [mg].
    strengths : str, sequence or Quantity, optional
        Vial or tablet strengths, e.g. "100 mg, 50 mg" or
        ``[Q_(100, "mg"), Q_(50, "mg")]``; plain numbers in [mg].
    tolerance_pct : numeric or Quantity, default 5
        The largest accepted difference; plain numbers in [%]. At most 10 %.
    ceiling : numeric, str or Quantity, optional
        Never round above this, e.g. the maximum dose that capped ``dose``:
        where the nearest measure exceeds it, the one just below is taken
        (still within the tolerance, or refused); plain numbers in [mg].

    Returns
    -------
    RoundedDose
        The calculated and rounded doses [mg], the difference [%], the method,
        and the units of each strength.

    Raises
    ------
    DoseCalcError
        If neither or both of ``step`` and ``strengths`` are given.
    ImplausibleInputError
        If the rounded dose differs from the calculated one by more than the
        tolerance (the message gives the nearest and its difference), the
        dose is above ``ceiling``, or an input is implausible (tolerance
        outside (0, 10] %).
    UnitError
        If a dose, step or strength is not a mass.

    Examples
    --------
    138 mg to a 5 mg step, and 138 mg from 100 mg and 50 mg vials (150 mg is
    +8.7 %, refused at ±5 % but accepted at ±10 %):

    >>> float(round_dose("138 mg", step="5 mg").rounded.m_as("mg"))
    140.0
    >>> r = round_dose("138 mg", strengths="100 mg, 50 mg", tolerance_pct=10)
    >>> float(r.rounded.m_as("mg")), r.counts.tolist()
    (150.0, [1, 1])
    """
    dose_mg = _mg(dose, "dose")
    ceiling_mg = np.inf if ceiling is None else _mg(ceiling, "ceiling")
    doses, ceilings = np.broadcast_arrays(np.atleast_1d(dose_mg), np.atleast_1d(ceiling_mg))
    over = _first(above_ceiling_kernel(doses, ceilings))
    if over is not None:  # a dose above its maximum is capped first: rounded, it would stay above it
        raise ImplausibleInputError(
            _at("dose", dose_mg, over),
            f"{doses[over]:g} mg",
            f"at most the ceiling of {ceilings[over]:g} mg: cap the dose first",
        )
    tolerance = checked_scalar(tolerance_pct, TOLERANCE)
    if (step is None) == (strengths is None):
        raise DoseCalcError("give step or strengths to round to, one of them")
    if step is not None:
        step_mg = _mg(step, "step")

        def rounding(ceilings_mg):
            return step_kernel(dose_mg, step_mg, ceilings_mg), None

        what = f"a multiple of {step_mg:g} mg"
        measure = {"method": "step", "step": quantity(step_mg, "mg")}
    else:
        strengths_mg = strengths_mg_of(strengths)

        def rounding(ceilings_mg):
            return strengths_kernel(dose_mg, strengths_mg, ceilings_mg)

        what = "whole units of " + ", ".join(f"{s:g}" for s in strengths_mg) + " mg"
        measure = {"method": "strengths", "strengths": quantity(strengths_mg, "mg")}
    rounded_mg, counts = rounding(ceiling_mg)
    if counts is not None:
        measure["counts"] = counts
    difference = difference_pct(dose_mg, rounded_mg)
    outside = _first(np.abs(difference) > tolerance)
    if outside is not None:
        calculated, nearest = np.ravel(dose_mg)[outside], np.ravel(rounded_mg)[outside]
        # where the ceiling kept the nearest measure out, the one below it is said as such
        unbounded = np.ravel(rounding(np.inf)[0])[outside]
        below = "" if unbounded == nearest else f" at most the ceiling of {np.ravel(ceilings)[outside]:g} mg"
        raise ImplausibleInputError(
            _at("dose", dose_mg, outside),
            f"{calculated:g} mg",
            f"a dose within ±{tolerance:g} % of {what}",
            f"the nearest{below}, {nearest:g} mg, is {np.ravel(difference)[outside]:+.1f} %: not rounded",
        )
    return RoundedDose(
        calculated=quantity(dose_mg, "mg"),
        rounded=quantity(rounded_mg, "mg"),
        difference_pct=scalar_or_array(difference),
        tolerance_pct=tolerance,
        **measure,
    )


# --- band and level tables: rows from CSV or TOML -------------------------------


def _read_rows(path, table: str) -> list[dict]:
    # CSV: a header row, then rows; lines starting with "#" are comments.
    # TOML: an array of tables named ``table`` ([[bands]], [[levels]]).
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".toml"):
        raise UnknownNameError("table file type", suffix or path.name, (".csv", ".toml"))
    try:
        if suffix == ".toml":
            rows = load_toml(path).get(table)
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise DoseCalcError(f"{path}: expected an array of tables [[{table}]]")
            return rows
        # utf-8-sig: a spreadsheet's byte-order mark is not part of the first header
        regular_file(path, str(path))
        with path.open(newline="", encoding="utf-8-sig") as file:
            lines = [line for line in file if line.strip() and not line.lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError) as err:
        raise DoseCalcError(f"{path}: cannot be read ({err})") from None
    header = next(csv.reader(lines[:1]), [])
    other = next((mark for mark in (";", "\t", "|") if len(header) == 1 and mark in header[0]), None)
    if other is not None:  # "lower_mg;upper_mg;dose_mg" read as one column: say so, not "lower is required"
        raise DoseCalcError(
            f"{path.name}: its header, {escaped(header[0])}, is one column holding {other!r}; a table's cells are separated by commas"
        )
    # a header's name is matched whatever its case ("Dose" is dose); its unit ("dose_mg_m2") is read as typed
    names = [_header_name(name) for name in header]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # "dose,Dose" would keep one of two cells unseen
        raise DoseCalcError(
            f"{path.name}: its header names {', '.join(map(escaped, repeated))} more than once; keep one"
        )
    rows = []
    for number, row in enumerate(csv.DictReader(lines[1:], fieldnames=names), start=1):
        if None in row:  # more cells than headers: "65,5" is a decimal comma, never 65
            raise DoseCalcError(
                f"{path.name} row {number}: {len(row) - 1 + len(row[None])} cells under {len(row) - 1} headers "
                "(a decimal comma? write 65.5)"
            )
        # the grammar allows ASCII spaces around a value; any other character stays for it to refuse
        rows.append({key: (value or "").strip(" ") for key, value in row.items()})
    return rows


def _header_name(name: str) -> str:
    """A table header as matched: ASCII spaces around it dropped and its name before any ``_unit`` in lower case."""
    name, underscore, unit_text = name.strip(" ").partition("_")
    return name.lower() + underscore + unit_text


# a level is a share of the full dose or a dose, never a mass or anything else
_LEVEL_KINDS = ("percent", "dose")
# a dose in units is modified like a mass dose: its basis is kept, never converted to mg
_MODIFIED_BASES = MASS_BASES + UNIT_BASES


def _cell_column(row: dict, key: str, field: str) -> str | None:
    """The one column of ``row`` that gives ``key``: ``key`` itself (unit in the value) or ``key_<unit>``."""
    columns = [column for column in row if column == key or column.startswith(key + "_")]
    if len(columns) > 1:
        raise DoseCalcError(f"{field}: columns {', '.join(columns)} all give it; keep one")
    return columns[0] if columns else None


def _unit_in_name(column: str, key: str) -> str:
    """The unit a column's name gives: ``dose_mg_m2`` → ``mg/m2``, an underscore read as "per" as in a cohort's."""
    return re.sub(r"_per_|_", "/", column[len(key) + 1 :])


def _cell(row: dict, key: str, field: str, kind):
    """The quantity of ``kind`` in column ``key`` (unit in the value) or ``key_<unit>``, the one such column."""
    column = _cell_column(row, key, field)
    if column is not None:
        value = row[column]
        if column == key:
            return parse_quantity(value, field, kind=kind)
        unit_in_name = _unit_in_name(column, key)
        text = value if isinstance(value, str) else str(value)
        if not text.strip(" "):
            raise MissingInputError(field, f"a table row (column {column})")
        if not re.fullmatch(NUMBER_PATTERN, text.strip(" ")):  # the cell as typed, not the cell and the unit
            slip = number_slip(text.strip(" "))
            expected = f"the number alone: its unit, {unit_in_name}, is in the column's name"
            if slip is not None and not slip.startswith("the number alone"):
                expected += f"; {slip}"
            raise UnitError(field, escaped(text), expected)
        return parse_quantity(f"{text} {unit_in_name}", field, kind=kind)
    raise MissingInputError(field, "a table row")


# --- banding ------------------------------------------------------------------


class Banding(NamedTuple):
    """Doses [mg] mapped to their bands by :meth:`BandTable.apply`."""

    band: np.ndarray  # each dose's band, -1 outside the table
    banded_mg: np.ndarray  # its band's dose [mg], NaN outside the table
    deviation_pct: np.ndarray  # 100 (banded - dose) / dose [%], NaN outside the table
    fits: np.ndarray  # inside the table and within the table's deviation_pct
    refusals: list[tuple[str, str, str | None]]  # for each dose that does not fit, in order: value, expected, hint


def _beyond(deviation: float, limit: float) -> str:
    """A deviation [%] beyond ``limit``, signed, to the decimals that show it beyond (+6.004, not +6.00)."""
    digits = 2
    text = f"{deviation:+.{digits}f}"
    while abs(float(text)) <= limit and digits < 17:
        digits += 1
        text = f"{deviation:+.{digits}f}"
    return text


#: Relative slack on a deviation limit: a band drawn at exactly 6 % is not refused for a rounding of its ratio.
_DEVIATION_SLACK = 1.0 + 1e-12


@dataclass(frozen=True, eq=False)
class BandTable:
    """
    A validated dose-band table: contiguous bands ``lower <= d < upper`` [mg],
    each with its standard dose, and the largest deviation [%] by which a band
    may move a calculated dose (``deviation_pct``, default 6 %). Build it with
    :func:`band_table` or :func:`read_band_table`.
    """

    lower_mg: np.ndarray
    upper_mg: np.ndarray
    dose_mg: np.ndarray
    names: tuple[str, ...]
    source: str
    deviation_pct: float = DEFAULT_BAND_DEVIATION_PCT

    def index(self, dose_mg):
        """The band of each dose [mg], -1 outside the table."""
        band = np.searchsorted(self.lower_mg, dose_mg, side="right") - 1
        inside = (band >= 0) & (dose_mg < self.upper_mg[np.maximum(band, 0)])
        return np.where(inside, band, -1)

    def apply(self, dose_mg, ceiling_mg=np.inf) -> Banding:
        r"""
        Each dose [mg] (an array) mapped to its band's dose, and the deviation

        .. math:: \Delta = 100\,(D_{band} - D) / D

        A dose fits where it lies in the table and
        :math:`|\Delta| \le` ``deviation_pct``; for each other dose, in order,
        the parts of its refusal (the value, what is expected, the hint), as
        :func:`band_dose` raises it and the cohort engine gives its reason.

        A band is never taken above ``ceiling_mg`` (a maximum dose, as
        rounding never rounds past it): where a dose's band gives more, the
        band below it is taken if it moves the dose within ``deviation_pct``,
        else the dose is refused.
        """
        dose_mg = np.asarray(dose_mg, dtype=float)
        band = self.index(dose_mg)
        above = (band >= 0) & above_ceiling_kernel(self.dose_mg[np.maximum(band, 0)], ceiling_mg)
        over = band.copy()  # the band above the ceiling, named in a refusal
        band = np.where(above, band - 1, band)  # the band below; -1 below the table's first
        above &= (band < 0) | above_ceiling_kernel(self.dose_mg[np.maximum(band, 0)], ceiling_mg)
        inside = (band >= 0) & ~above
        banded_mg = np.where(inside, self.dose_mg[np.maximum(band, 0)], np.nan)
        with np.errstate(invalid="ignore"):
            deviation = difference_pct(dose_mg, banded_mg)
            fits = inside & ~(np.abs(deviation) > self.deviation_pct * _DEVIATION_SLACK)
        within = f"a dose in the band table {self.source}, {self.lower_mg[0]:g}-{self.upper_mg[-1]:g} mg"
        moved = f"a dose within ±{self.deviation_pct:g} % of its band's dose (band table {self.source})"
        refusals: list[tuple[str, str, str | None]] = []
        for index in np.flatnonzero(~fits).tolist():
            value, at = f"{float(dose_mg.flat[index]):g} mg", int(band.flat[index])
            if over.flat[index] != at:  # its band above the maximum, and the band below not taken either
                ceiling = float(np.broadcast_to(ceiling_mg, dose_mg.shape).flat[index])
                hint = (
                    f"band {self.names[over.flat[index]]} gives {self.dose_mg[over.flat[index]]:g} mg, above the "
                    f"maximum of {ceiling:g} mg, and no band below it is within ±{self.deviation_pct:g} %: not banded"
                )
                refusals.append((value, moved, hint))
            elif at < 0:
                refusals.append((value, within, None))
            else:
                shown = _beyond(float(deviation.flat[index]), self.deviation_pct)
                hint = f"band {self.names[at]} gives {self.dose_mg[at]:g} mg, {shown} %: not banded"
                refusals.append((value, moved, hint))
        return Banding(band, banded_mg, deviation, fits, refusals)


def band_table(rows, source: str = "bands", deviation_pct=DEFAULT_BAND_DEVIATION_PCT) -> BandTable:
    r"""
    Build and validate a band table from rows of ``lower``, ``upper``, ``dose``
    (and an optional ``name``), as :func:`read_band_table` reads them.

    A band's dose must lie within 10 % (:data:`BAND_DEVIATION`'s bound, the
    national bands of biological drugs) of every dose of its band:
    :math:`D_{band} \le 1.1\,lower` and :math:`D_{band} \ge 0.9\,upper`; a
    dose that its band moves by more than ``deviation_pct`` (default 6 %, at
    most 10 %; see :data:`DEFAULT_BAND_DEVIATION_PCT`) is not banded
    (:func:`band_dose`).

    Raises
    ------
    UnitError
        If a value has no unit (neither in the value nor in its column name)
        or is not a mass.
    ImplausibleInputError
        If there are no bands, a band is empty, its dose lies outside it or
        more than 10 % from a dose of its band, bands overlap or leave a gap,
        or ``deviation_pct`` is outside (0, 10] %.
    MissingInputError
        If a row lacks a column.
    """
    deviation = checked_scalar(deviation_pct, BAND_DEVIATION)
    if not rows:
        raise ImplausibleInputError(source, "no bands", "at least one band")
    bands = []
    for number, row in enumerate(rows, start=1):
        where = f"{source} row {number}"
        lower, upper, dose = (
            _mg(_cell(row, key, f"{where} {key}", "drug_mass"), f"{where} {key}") for key in ("lower", "upper", "dose")
        )
        if not lower < upper:
            raise ImplausibleInputError(f"{where} upper", f"{upper:g} mg", f"more than lower, {lower:g} mg")
        if not lower <= dose <= upper:
            raise ImplausibleInputError(
                f"{where} dose", f"{dose:g} mg", f"a dose within its band, {lower:g}-{upper:g} mg"
            )
        name = str(row.get("name") or f"{lower:g}-{upper:g} mg")
        bands.append((float(lower), float(upper), float(dose), name, number))
    bands.sort()
    for (_, upper, _, _, before), (lower, _, _, _, number) in zip(bands, bands[1:]):
        if not np.isclose(lower, upper, rtol=1e-9, atol=0.0):
            why = "the bands overlap" if lower < upper else "the bands leave a gap"
            raise ImplausibleInputError(
                f"{source} row {number} lower", f"{lower:g} mg", f"{upper:g} mg, the upper bound of row {before}", why
            )
    for lower, upper, dose, _, number in sorted(bands, key=lambda band: band[4]):
        _check_band_deviation(f"{source} row {number} dose", lower, upper, dose)
    lower_mg, upper_mg, dose_mg = (np.array([band[column] for band in bands]) for column in range(3))
    return BandTable(lower_mg, upper_mg, dose_mg, tuple(band[3] for band in bands), source, deviation)


def _check_band_deviation(field: str, lower: float, upper: float, dose: float) -> None:
    """
    Refuse a band whose dose lies more than :data:`BAND_DEVIATION`'s 10 % from
    a dose of its band: the deviation :math:`100 (D_{band} - d) / d` falls as
    d rises, so its extremes are at ``lower`` and (never reached) ``upper``.
    """
    limit = BAND_DEVIATION.high
    for bound in (lower, upper):
        deviation = float(difference_pct(bound, dose))
        if abs(deviation) > limit * _DEVIATION_SLACK:
            raise ImplausibleInputError(
                field,
                f"{dose:g} mg",
                f"a dose within ±{limit:g} % of every dose of its band, {lower:g}-{upper:g} mg",
                f"it is {deviation:+.1f} % from {bound:g} mg",
            )


def read_band_table(path, deviation_pct=DEFAULT_BAND_DEVIATION_PCT) -> BandTable:
    """
    Read and validate a band table from a CSV or TOML file.

    CSV: a header ``lower,upper,dose[,name]`` with values such as
    ``1150 mg``, or ``lower_mg,upper_mg,dose_mg`` with numbers. TOML: an array
    of tables ``[[bands]]`` with the same keys (``lower = "1150 mg"`` or
    ``lower_mg = 1150``). A dose d is in a band when ``lower <= d < upper``;
    bands must be contiguous, each band's dose within 10 % of the doses of its
    band; a dose that its band moves by more than ``deviation_pct`` (default
    6 %) is not banded. See ``examples/bands.csv``.

    Raises
    ------
    DoseCalcError
        If the file is malformed; and as :func:`band_table`.
    """
    return band_table(_read_rows(path, "bands"), source=Path(path).name, deviation_pct=deviation_pct)


@dataclass(frozen=True)
class BandedDose(Result):
    """
    A dose mapped to its band.

    Attributes
    ----------
    calculated : Quantity
        The dose as calculated. [mg]
    banded : Quantity
        The band's standard dose. [mg]
    deviation_pct : float or ndarray
        :math:`100\\,(D_{band} - D_{calculated}) / D_{calculated}`. [%]
    band : str or ndarray of str
        The band's name.
    band_lower, band_upper : Quantity
        The band's bounds, ``lower <= d < upper``. [mg]
    table : str
        The band table's source (file name).
    version : str
    """

    calculated: Any
    banded: Any
    deviation_pct: Any
    band: Any
    band_lower: Any
    band_upper: Any
    table: str
    version: str = __version__


def band_dose(dose, table, ceiling=None) -> BandedDose:
    r"""
    Map a calculated dose to the standard dose of its band, within the
    table's ``deviation_pct`` (default ±6 %, NICE KTT22).

    .. math:: \Delta = 100\,(D_{band} - D) / D, \quad |\Delta| \le \delta

    Parameters
    ----------
    dose : numeric, str or Quantity
        The calculated dose; plain numbers in [mg].
    table : BandTable, str or path
        A band table, or the path of a CSV or TOML band file.
    ceiling : numeric, str or Quantity, optional
        A maximum dose the band's dose never exceeds (plain numbers in [mg]):
        where the dose's band gives more, the band below it is taken if it is
        within the deviation, else the dose is refused.

    Returns
    -------
    BandedDose
        The calculated and banded doses, the deviation [%] and the band.

    Raises
    ------
    ImplausibleInputError
        If a dose lies outside the table, or its band moves it by more than
        the table's ``deviation_pct`` (the message names the band and the
        deviation).

    Examples
    --------
    >>> table = band_table([{"lower": "1150 mg", "upper": "1250 mg", "dose": "1200 mg"}])
    >>> result = band_dose("1180 mg", table)
    >>> float(result.banded.m_as("mg")), round(float(result.deviation_pct), 2)
    (1200.0, 1.69)
    """
    table = table if isinstance(table, BandTable) else read_band_table(table)
    dose_mg = _mg(dose, "dose")
    banding = table.apply(dose_mg, np.inf if ceiling is None else _mg(ceiling, "ceiling"))
    misfit = _first(~banding.fits)
    if misfit is not None:
        raise ImplausibleInputError(_at("dose", dose_mg, misfit), *banding.refusals[0])
    band, banded_mg = banding.band, table.dose_mg[banding.band]
    return BandedDose(
        calculated=quantity(dose_mg, "mg"),
        banded=quantity(banded_mg, "mg"),
        deviation_pct=scalar_or_array(banding.deviation_pct),
        band=scalar_or_array(np.asarray(table.names)[band]),
        band_lower=quantity(table.lower_mg[band], "mg"),
        band_upper=quantity(table.upper_mg[band], "mg"),
        table=table.source,
    )


# --- dose levels --------------------------------------------------------------


def _level_name(name) -> str:
    """
    A dose level's name as matched: ASCII spaces around it aside, the minus sign (U+2212) of a typeset protocol
    as "-", and a whole number as one (``+1`` is ``1``); any other space or character stays, to match no level.
    A number written two ways (``-01``, ``-1.0``) is refused: beside ``-1`` it would be another level, with its
    own dose.
    """
    text = (str(name) if not isinstance(name, str) else name).strip(" ").replace("−", "-")
    whole = re.fullmatch(r"[+-]?([0-9]+)", text)
    if whole is not None:
        if len(whole[1]) > 1 and whole[1].startswith("0"):
            raise ImplausibleInputError("level", repr(text), "a whole number without leading zeros, such as -1")
        return str(int(text))
    if re.fullmatch(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)", text):
        raise ImplausibleInputError("level", repr(text), "a whole number (-1, -2), or a word")
    return text


@dataclass(frozen=True)
class LevelTable:
    """
    A regimen's dose levels: each name maps to a share of the full dose
    (a Quantity in %) or to a dose (mg/m², mg/kg or mg). Build it with
    :func:`level_table` or :func:`read_level_table`.
    """

    levels: tuple[tuple[str, Any], ...]
    source: str

    def level(self, name):
        """The share or dose of level ``name``; "−1" and "-1" are one name."""
        key = _level_name(name)
        for level_name, value in self.levels:
            if level_name == key:
                return value
        # never the closest as a hint: level 1 is not a slip of level -1, but the opposite dose
        raise UnguessedNameError("level", name, (level_name for level_name, _ in self.levels))


def _shown(amount, basis: str) -> str:
    return f"{np.max(amount):g} {BASIS_LABELS[basis]}"


def _check_full_dose(levels: LevelTable, amount, basis: str) -> None:
    # a table's level 0 is its full dose: a table written for another dose is refused, and a table of doses
    # without it (65 mg/m² at level -1: of which full dose?) could be of any
    full = dict(levels.levels).get("0")
    if full is None:
        if any(not _is_share(value) for _, value in levels.levels):
            raise ImplausibleInputError(
                "levels",
                f"{levels.source} (no level 0)",
                f"a table of doses with its level 0, the full dose ({_shown(amount, basis)} here), that it is checked against",
            )
        return
    if _is_share(full):
        if not np.isclose(float(full.m_as("percent")), 100.0, rtol=0, atol=1e-9):
            raise ImplausibleInputError(
                "levels", f"{levels.source} (level 0: {full:~P})", "a level 0 of 100 %: level 0 is the full dose"
            )
        return
    full_amount, full_basis = read_dose(full, "level 0", allowed=_MODIFIED_BASES)
    if full_basis != basis or not np.allclose(amount, full_amount, rtol=1e-6):
        raise ImplausibleInputError(
            "levels",
            f"{levels.source} (level 0: {full:~P})",
            f"a table whose level 0 is the full dose, {_shown(amount, basis)}",
        )


def _is_share(value) -> bool:
    # a share of the full dose ("80 %") rather than a dose: no drug-mass numerator
    return dose_basis(value)[0] is None


def _distinct(names, field: str):
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated is not None:
        raise ImplausibleInputError(field, repeated, "distinct level names")


def level_table(levels, source: str = "levels") -> LevelTable:
    """
    Build and validate a level table from a mapping (or pairs) of names to a
    share of the full dose ("80 %") or a dose ("65 mg/m^2").

    Raises
    ------
    UnitError
        If a value has no unit, or one that is neither a share nor a dose.
    ImplausibleInputError
        If a share is outside 10-100 %, a dose implausible, a name repeats
        or there are no levels.

    Examples
    --------
    >>> table = level_table({"0": "85 mg/m^2", "-1": "65 mg/m^2", "-2": "50 mg/m^2"})
    >>> float(table.level("−1").m_as("mg/m**2"))
    65.0
    """
    given = list(levels.items() if hasattr(levels, "items") else levels)
    pairs = [(_level_name(name), value) for name, value in given]
    if not pairs:
        raise ImplausibleInputError(source, "no levels", "at least one level")
    _distinct([name for name, _ in pairs], f"{source} level")
    rows = []
    for (name, value), (typed, _) in zip(pairs, given):
        field = f"{source} level {str(typed).strip(' ')}"  # as typed: "+1", as the matched "1" is not
        value = parse_quantity(value, field, kind=_LEVEL_KINDS)
        if _is_share(value):
            checked(magnitude(value, "percent", field, _LEVEL_VALUE), LEVEL_SHARE, field)
        else:
            read_dose(value, field, allowed=_MODIFIED_BASES)
        rows.append((name, value))
    _refuse_rising_levels(rows, dict(pairs), source)
    return LevelTable(tuple(rows), source)


def _refuse_rising_levels(rows: list, typed: dict, source: str) -> None:
    """Refuse a level named by a lower whole number (-2) that gives more than a higher one (-1) in the same unit: a
    lower level is a further reduction (a transposed row would give the reduced patient more). Values are shown
    as ``typed``."""

    def shown(name, value):
        text = typed[name]
        return escaped(text) if isinstance(text, str) else f"{value:~P}"

    numbered = sorted((int(name), name, value) for name, value in rows if re.fullmatch(r"[+-]?[0-9]+", name))
    for (_, lower, low_value), (_, higher, high_value) in itertools.combinations(numbered, 2):
        # in one unit of one kind: 0.1 g/m² at level -1 gives more than 75 mg/m² at level 0
        if low_value.is_compatible_with(high_value) and low_value.m_as(high_value.units) > high_value.magnitude:
            raise ImplausibleInputError(
                f"{source} level {lower}",
                shown(lower, low_value),
                f"at most level {higher}'s {shown(higher, high_value)}: a lower level is a further reduction",
            )


def read_level_table(path) -> LevelTable:
    """
    Read and validate a level table from a CSV or TOML file.

    CSV: a header ``level,dose`` with rows such as ``-1,65 mg/m^2`` or
    ``-1,80 %``, or the unit in the column's name (``level,dose_mg_m2``). TOML: ``[[levels]]`` tables with ``level = "-1"`` and
    ``dose = "80 %"``.

    Raises
    ------
    DoseCalcError
        If the file is malformed; and as :func:`level_table`.
    """
    source = Path(path).name
    pairs = []
    for number, row in enumerate(_read_rows(path, "levels"), start=1):
        name = _level_name(row.get("level", ""))
        if not name:
            raise MissingInputError(f"{source} row {number} level", "a dose-level table")
        field = f"{source} level {name}"
        _cell(row, "dose", field, _LEVEL_KINDS)  # a cell refused as a band table's is
        column = _cell_column(row, "dose", field)
        assert column is not None  # else refused above
        # the cell as typed (and the unit its column's name gives), read and shown as level_table's values
        pairs.append((name, row[column] if column == "dose" else f"{row[column]} {_unit_in_name(column, 'dose')}"))
    return level_table(pairs, source)


@dataclass(frozen=True)
class ModifiedDose(Result):
    """
    A dose after a dose-level modification.

    Attributes
    ----------
    original : Quantity
        The full dose, in its basis.
    modified : Quantity
        The dose to give, in the same basis.
    percent_of_original : float or ndarray
        :math:`100\\,D_{modified} / D_{original}`. [%]
    method : str
        ``"reduction"`` or ``"level"``.
    reduction_pct : float or None
        The reduction asked for. [%]
    level : str or None
        The dose level's name.
    level_table : str or None
        The level table's source.
    version : str
    """

    original: Any
    modified: Any
    percent_of_original: Any
    method: str
    reduction_pct: Any = None
    level: str | None = None
    level_table: str | None = None
    version: str = __version__


def modify_dose(dose, *, reduction_pct=None, level=None, levels=None) -> ModifiedDose:
    r"""
    Apply a dose-level modification: a percentage reduction or a named level.

    .. math::
        D' = D\,(1 - r/100) \quad\text{or}\quad D' = D \cdot p/100
        \quad\text{or}\quad D' = D_{level}

    Parameters
    ----------
    dose : str or Quantity
        The full dose, in mg/m², mg/kg or mg, or in units (units/m², units/kg,
        units: bleomycin). A bare number is an error.
    reduction_pct : numeric or Quantity, optional
        The reduction, positive: 20 for −20 %; plain numbers in [%]. At most
        90 %.
    level : str or int, optional
        A level name of ``levels`` ("-1", "−1" and -1 are one name).
    levels : LevelTable, mapping or path, optional
        The regimen's level table; required with ``level``.

    Returns
    -------
    ModifiedDose
        The original and modified doses, the share of the original [%], and
        what was applied.

    Raises
    ------
    DoseCalcError
        If neither or both of ``reduction_pct`` and ``level`` are given.
    MissingInputError
        If ``level`` is given without ``levels``.
    UnknownNameError
        If the level is not in the table; the message lists the levels.
    UnitError
        If a level's dose is in another basis than the dose.
    ImplausibleInputError
        If the reduction is outside 1-90 %.

    Examples
    --------
    >>> float(modify_dose("85 mg/m^2", reduction_pct=20).modified.m_as("mg/m**2"))
    68.0
    >>> levels = {"0": "85 mg/m^2", "-1": "65 mg/m^2"}
    >>> float(modify_dose("85 mg/m^2", level=-1, levels=levels).modified.m_as("mg/m**2"))
    65.0
    """
    amount, basis = read_dose(dose, allowed=_MODIFIED_BASES)
    if (reduction_pct is None) == (level is None):
        raise DoseCalcError("give reduction_pct or level, one of them")
    table = None
    if reduction_pct is not None:
        reduction = checked_scalar(reduction_pct, REDUCTION)
        modified = amount * (1.0 - reduction / 100.0)
    else:
        if levels is None:
            raise MissingInputError("levels", f"dose level {level!r}")
        if not isinstance(levels, LevelTable):
            levels = read_level_table(levels) if isinstance(levels, (str, os.PathLike)) else level_table(levels)
        reduction, table, value = None, levels.source, levels.level(level)
        if _is_share(value):
            _check_full_dose(levels, amount, basis)
            modified = amount * float(value.m_as(unit("percent"))) / 100.0
        else:
            field = f"level {_level_name(level)}"
            level_amount, level_basis = read_dose(value, field, allowed=_MODIFIED_BASES)
            if level_basis != basis:
                raise UnitError(field, f"{value:~P}", f"a dose in {BASIS_LABELS[basis]}, as the full dose")
            _check_full_dose(levels, amount, basis)
            modified = np.broadcast_to(level_amount, np.shape(amount))
            if np.any(modified > amount):
                raise ImplausibleInputError(
                    field, f"{value:~P}", f"at most the full dose, {_shown(amount, basis)}: a level never raises a dose"
                )
            if np.any(modified < amount * LEVEL_SHARE.low / 100.0):  # 60 µg/m² typed for 60 mg/m²
                raise ImplausibleInputError(
                    field,
                    f"{value:~P}",
                    f"at least {LEVEL_SHARE.low:g} % of the full dose, {_shown(amount, basis)}: a level of less is "
                    "no longer a dose",
                )
    return ModifiedDose(
        original=quantity(amount, basis),
        modified=quantity(modified, basis),
        percent_of_original=scalar_or_array(100.0 * modified / amount),
        method="reduction" if table is None else "level",
        reduction_pct=reduction,
        level=None if table is None else _level_name(level),
        level_table=table,
    )
