"""
Plausibility of inputs: documented human ranges, checks and the hints.

A dose is never computed from NaN, an infinite, zero, negative or absurd
input. The scalar path raises :class:`ImplausibleInputError`; the cohort path
asks :func:`valid` for a mask and sends the rejected rows to the rejects.

The ranges admit a preterm neonate and the heaviest adults on record:

- height 20-280 cm: an extremely preterm infant at 22 weeks' gestation is about
  25-30 cm long; the tallest recorded adult measured 272 cm.
- weight 0.2-700 kg: surviving preterm infants weigh from about 0.25 kg; the
  heaviest recorded adult weighed about 635 kg.
- BSA 0.02-7 m²: Mosteller's BSA of a 25 cm, 0.25 kg infant is 0.04 m²;
  the heaviest adults reach about 6 m².
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ImplausibleInputError, UnknownNameError
from .units import is_quantity, magnitude, parse_quantity, registry, unit

__all__ = ["Range", "HEIGHT", "WEIGHT", "BSA", "checked", "checked_scalar", "same_length", "hint_choice", "valid", "is_female"]


@dataclass(frozen=True)
class Range:
    """A plausible closed interval for a field, in the field's base unit.

    ``low == 0`` means "strictly positive": zero itself is rejected.
    ``hint_units`` are the units a slip most likely meant, tried in order;
    ``symbol`` shows plain numbers' unit where pint's symbol would puzzle
    (pint writes a year "a").
    """

    field: str
    unit: str
    low: float
    high: float
    label: str
    hint_units: tuple[str, ...] = ()
    symbol: str | None = None

    @property
    def expected(self) -> str:
        if self.low == 0:
            return f"(0, {self.high:g}] {self.label}"
        return f"{self.low:g}-{self.high:g} {self.label}"


HEIGHT = Range("height", "cm", 20.0, 280.0, "cm", ("m", "in", "mm", "cm"))
WEIGHT = Range("weight", "kg", 0.2, 700.0, "kg", ("lb", "g", "kg"))
BSA = Range("bsa", "m**2", 0.02, 7.0, "m²", ())


def valid(values, rng: Range):
    """Boolean mask of the values inside ``rng`` (NaN is never inside)."""
    inside = (values >= rng.low) & (values <= rng.high)
    if rng.low == 0:
        inside &= values > 0
    return inside


def _all_valid(values, rng: Range) -> bool:
    # min/max propagate NaN, so one pass of each decides for a whole column
    if values.size == 0:
        return True
    low, high = values.min(), values.max()
    return bool(low >= rng.low and high <= rng.high and (rng.low != 0 or low > 0))


def hint_choice(given, values, rng: Range):
    """
    For each number as given, the index in ``rng.hint_units`` of the first
    other unit in which it would be plausible, or ``len(rng.hint_units)`` for
    none: the rule behind "did you mean 1.75 m?", for one value or a column.

    ``values`` are the same numbers in ``rng.unit`` as they were read.
    """
    given, values = np.atleast_1d(given), np.atleast_1d(values)
    choice = np.full(given.shape, len(rng.hint_units))
    for index, candidate in reversed(list(enumerate(rng.hint_units))):
        with np.errstate(over="ignore", invalid="ignore"):  # past float's range: inf, never plausible
            in_base = registry().Quantity(given, unit(candidate)).m_as(unit(rng.unit))
            choice[valid(in_base, rng) & ~np.isclose(in_base, values)] = index
    return choice


def _hint(given_magnitude: float, given_units, rng: Range) -> str | None:
    actual = registry().Quantity(given_magnitude, given_units).m_as(unit(rng.unit))
    index = hint_choice(given_magnitude, actual, rng)[0]
    if index == len(rng.hint_units):
        return None
    return f"did you mean {given_magnitude:g} {unit(rng.hint_units[index]):~P}?"


def checked(value, rng: Range, field: str | None = None):
    """
    Return ``value`` in ``rng.unit`` as float(s), or raise if any is implausible.

    Parameters
    ----------
    value : numeric, str or Quantity
        Plain numbers are taken in ``rng.unit``.
    rng : Range
        The plausible range.
    field : str, optional
        Name for messages; defaults to ``rng.field``.

    Raises
    ------
    UnitError
        If the unit is of the wrong dimension.
    ImplausibleInputError
        If any value is NaN, infinite, zero, negative or outside the range; the
        message gives the first such value as given, with a hint at the slip.
    """
    field = field or rng.field
    if isinstance(value, str):
        value = parse_quantity(value, field)
    values = magnitude(value, rng.unit, field)
    if _all_valid(values, rng):
        return values
    first = np.flatnonzero(~valid(np.atleast_1d(values), rng))[0]
    if is_quantity(value):
        given, given_units = float(np.ravel(value.magnitude)[first]), value.units
        shown = f"{given:g} {given_units:~P}"
    else:
        given, given_units = float(np.ravel(values)[first]), unit(rng.unit)
        shown = f"{given:g} {rng.symbol or format(given_units, '~P')}"
    where = f"[{first}]" if np.ndim(values) else ""
    raise ImplausibleInputError(f"{field}{where}", shown, rng.expected, _hint(given, given_units, rng))


def same_length(**values) -> None:
    """
    Raise unless the given arrays (None and scalars aside) broadcast together:
    three heights and two weights are a slip, not two patients.

    Raises
    ------
    ImplausibleInputError
        Naming the fields and their lengths.
    """
    shapes = {name: np.shape(value) for name, value in values.items() if value is not None and np.ndim(value)}
    try:
        np.broadcast_shapes(*shapes.values())
    except ValueError:
        given = ", ".join(f"{shape[0] if len(shape) == 1 else shape} {name}" for name, shape in shapes.items())
        raise ImplausibleInputError(", ".join(shapes), given, "arrays of one length, one value per patient") from None


def checked_scalar(value, rng: Range, field: str | None = None) -> float:
    """
    As :func:`checked`, for an option that takes one value (a tolerance, a
    reduction): a float.

    Raises
    ------
    ImplausibleInputError
        If ``value`` is an array, or as :func:`checked`.
    """
    values = checked(value, rng, field)
    if values.ndim:
        shown = f"{values.tolist()} {rng.symbol or format(unit(rng.unit), '~P')}"
        raise ImplausibleInputError(field or rng.field, shown, f"one value in {rng.expected}")
    return float(values)


_FEMALE = ("f", "female", "woman", "w")
_MALE = ("m", "male", "man")
_SEX_OF = {**dict.fromkeys(_FEMALE, True), **dict.fromkeys(_MALE, False)}

#: Distinct spellings read by a scan each (a column holds a few: "F", "m",
#: "female"); any further ones are found by sorting what is left.
_SPELLINGS_SCANNED = 16


def _unknown_sex(sex, field: str, index: int) -> UnknownNameError:
    # the value as given (None, NaN, 1), not its text
    return UnknownNameError(field, np.ravel(np.asarray(sex, dtype=object))[index], ("f", "female", "m", "male"))


def is_female(sex, field: str = "sex"):
    """
    Return True where ``sex`` is female, False where male.

    Accepts ``"f"``/``"female"`` and ``"m"``/``"male"`` in any case, as a string
    or an array of strings. Anything else is an error, never a default.

    Each distinct spelling is classified once: 1e6 values of a few spellings
    cost a comparison per spelling, not a lower-casing of each value.

    Raises
    ------
    UnknownNameError
        At the first value that is neither female nor male.
    """
    texts = np.asarray(sex, dtype=str)
    flat = texts.ravel()
    female, unread = np.zeros(flat.size, bool), np.ones(flat.size, bool)
    for _ in range(_SPELLINGS_SCANNED):
        if not unread.any():
            break
        first = int(np.argmax(unread))
        spelling = flat[first]
        code = _SEX_OF.get(str(spelling).strip().lower())
        if code is None:  # every value before this one is known
            raise _unknown_sex(sex, field, first)
        same = flat == spelling
        unread &= ~same
        if code:
            female |= same
    else:  # more spellings than scans: the rest's distinct ones, by sorting
        rest = np.flatnonzero(unread)
        spellings, which = np.unique(flat[rest], return_inverse=True)
        codes = np.array([_SEX_OF.get(text.strip().lower(), -1) for text in spellings.tolist()], dtype=int)[which]
        if (codes < 0).any():
            raise _unknown_sex(sex, field, rest[np.argmax(codes < 0)])
        female[rest] = codes == 1
    return female.reshape(texts.shape)
