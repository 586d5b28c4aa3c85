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

Height and weight together (:func:`plausible_body`) must also describe a
body: BMI = weight / height² between 3 kg/m² and an upper bound that grows
with height, 60 kg/m² up to 100 cm and rising linearly to 200 kg/m² at
150 cm and above. The bounds come from documented extremes, not percentiles:

- the upper bound at adult heights admits the heaviest documented man, Jon
  Brower Minnoch, about 635 kg at about 185 cm (BMI ≈ 186) [1]_;
- at lengths of children (≤ 100 cm), the WHO weight-for-length standards put
  +3 SD below 21 kg/m² (100 cm: about 20 kg) [2]_: 60 kg/m² is about three
  times that, and still refuses 80 kg at 69 cm (inches typed as centimetres),
  175 kg at 70 cm (height and weight swapped);
- the lower bound admits a 25 cm, 0.25 kg preterm infant (BMI 4.0), a 50 cm,
  3.5 kg newborn (14) and an adult of BMI 10, and refuses a newborn's weight
  with an adult's height (3.5 kg at 180 cm, BMI 1.1).

References
----------
.. [1] Guinness World Records, "Heaviest man ever": Jon Brower Minnoch,
   estimated at more than 635 kg in 1978, about 185 cm tall.
.. [2] WHO Multicentre Growth Reference Study Group, "WHO Child Growth
   Standards: length/height-for-age, weight-for-age, weight-for-length,
   weight-for-height and body mass index-for-age," World Health
   Organization, Geneva, 2006.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .errors import ImplausibleInputError, UnknownNameError
from .units import is_quantity, magnitude, parse_quantity, registry, unit

__all__ = [
    "Range",
    "HEIGHT",
    "WEIGHT",
    "BSA",
    "checked",
    "checked_scalar",
    "checked_body",
    "Body",
    "same_length",
    "hint_choice",
    "valid",
    "is_female",
    "plausible_body",
    "implausible_bodies",
    "check_body",
    "not_a_body",
    "check_given_bsa",
    "common_index",
    "checked_flag",
]


def checked_flag(value, field: str) -> bool:
    """
    A yes-or-no setting: True or False (numpy's too). Any other value is
    refused, never read by its truth: the text ``"no"`` or ``"false"`` is
    true in Python, and ``decimal_comma="no"`` would read 1.705 as 1705.

    Raises
    ------
    ImplausibleInputError
        For anything but a boolean.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ImplausibleInputError(field, repr(value), "True or False")


@dataclass(frozen=True)
class Range:
    """A plausible closed interval for a field, in the field's base unit.

    ``low == 0`` means "strictly positive": zero itself is rejected, and the
    range reads "(0, 50000] mg/m²". A low bound written with an exponent reads
    as an interval, "[1e-09, 50000] mg/m²" ("1e-09-50000" would read as one
    number); any other as "20-280 cm".
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
        low, high = f"{self.low:g}", f"{self.high:g}"
        if "e" in low:
            return f"[{low}, {high}] {self.label}"
        return f"{low}-{high} {self.label}"


HEIGHT = Range("height", "cm", 20.0, 280.0, "cm", ("m", "in", "mm", "cm"))
WEIGHT = Range("weight", "kg", 0.2, 700.0, "kg", ("lb", "g", "kg"))
BSA = Range("bsa", "m**2", 0.02, 7.0, "m²", ())


#: BMI bounds [kg/m²] of a body (see the module docstring): low, and high at
#: and below the first height [cm] rising linearly to the second at and above.
BODY_BMI_LOW = 3.0
BODY_BMI_HIGH = ((100.0, 60.0), (150.0, 200.0))


def _bmi_high(height_cm):
    (short_cm, short_bmi), (tall_cm, tall_bmi) = BODY_BMI_HIGH
    slope = (tall_bmi - short_bmi) / (tall_cm - short_cm)
    return np.clip(short_bmi + (np.asarray(height_cm, dtype=float) - short_cm) * slope, short_bmi, tall_bmi)


def plausible_body(height_cm, weight_kg):
    r"""
    Where height [cm] and weight [kg] together describe a body that people
    have had (see the module docstring): a bool or bool array.

    .. math:: 3 \le \frac{W \cdot 10^4}{H^2} \le \min(200, \max(60, 60 + 2.8 (H - 100)))

    with W in [kg] and H in [cm]; weight and height are compared as
    :math:`W \cdot 10^4` against the bounds times :math:`H^2` (no division).
    """
    height = np.asarray(height_cm, dtype=float)
    weight_1e4 = np.asarray(weight_kg, dtype=float) * 1e4
    square = height * height
    return (weight_1e4 >= BODY_BMI_LOW * square) & (weight_1e4 <= _bmi_high(height) * square)


# The bounds as w / h² [kg/cm²], a hair inside, so that the rounding of a ratio never passes a pair the exact
# comparison of plausible_body would refuse.
_RATIO_LOW = BODY_BMI_LOW * 1e-4 * (1.0 + 1e-12)
_RATIO_HIGH = 1e-4 * (1.0 - 1e-12)


def implausible_bodies(height_cm, weight_kg) -> np.ndarray:
    """
    The flat indexes (of height and weight broadcast together) of the pairs
    that describe no body, by :func:`plausible_body`; empty when all do.

    Few passes for the common case. The bounds are monotonic in each value
    (and stay so as rounded), so when the shortest height with the heaviest
    weight and the tallest with the lightest are bodies, every pair is:
    the extremes decide. Else the ratio :math:`W/H^2`, its minimum against
    the lower bound and its maximum against the upper bound at the shortest
    height (the bound never falls as the height rises); only the pairs
    outside that envelope are compared with their own bounds. NaN is no
    body.
    """
    height, weight = np.broadcast_arrays(
        np.atleast_1d(np.asarray(height_cm, dtype=float)), np.atleast_1d(np.asarray(weight_kg, dtype=float))
    )
    height, weight = height.ravel(), weight.ravel()
    if height.size == 0:
        return np.empty(0, np.intp)
    if _corners_are_bodies(_extremes(height), _extremes(weight)):
        return np.empty(0, np.intp)
    with np.errstate(all="ignore"):  # a zero or infinite value gives an infinite or NaN ratio: outside
        # a NaN height (missing: its column's to reject) leaves the lowest upper bound, 60 kg/m²
        high = _RATIO_HIGH * np.fmax(_bmi_high(height.min()), BODY_BMI_HIGH[0][1])
        ratio = height * height
        np.divide(weight, ratio, out=ratio)
        if ratio.min() >= _RATIO_LOW and ratio.max() <= high:  # NaN fails both
            return np.empty(0, np.intp)
        doubtful = np.flatnonzero(~((ratio >= _RATIO_LOW) & (ratio <= high)))
        return doubtful[~plausible_body(height[doubtful], weight[doubtful])]


def check_body(height_cm, weight_kg) -> None:
    """
    Raise unless height [cm] and weight [kg] together describe a body.

    Raises
    ------
    ImplausibleInputError
        Naming both values, with a hint where a slip explains them: height
        and weight swapped, or inches typed as centimetres.
    """
    bad = implausible_bodies(height_cm, weight_kg)
    if bad.size == 0:
        return
    first = int(bad[0])
    height, weight = (np.ravel(values)[first : first + 1] for values in np.broadcast_arrays(height_cm, weight_kg))
    where = f"[{first}]" if np.broadcast(height_cm, weight_kg).ndim else ""
    ((value, expected, hint),) = _not_a_body(height.astype(float), weight.astype(float))
    raise ImplausibleInputError(f"height, weight{where}", value, expected, hint)


def not_a_body(height_cm, weight_kg) -> list[str]:
    """
    :func:`check_body`'s message for each pair of the arrays ``height_cm`` and
    ``weight_kg`` (pairs that describe no body): a column's reasons at once.
    """
    # the error's own layout, filled for each pair: no error built a pair
    layouts = {
        with_hint: str(ImplausibleInputError("height, weight", "{0}", "{1}", "{2}" if with_hint else None))
        for with_hint in (False, True)
    }
    return [
        layouts[hint is not None].format(value, expected, hint)
        for value, expected, hint in _not_a_body(np.asarray(height_cm, float), np.asarray(weight_kg, float))
    ]


def _not_a_body(height_cm: np.ndarray, weight_kg: np.ndarray) -> list[tuple[str, str, str | None]]:
    """For each pair: the values as shown, the bounds expected at that height, and the slip that explains them."""
    with np.errstate(all="ignore"):
        swapped = plausible_body(weight_kg, height_cm) & (HEIGHT.low <= weight_kg) & (weight_kg <= HEIGHT.high)
        inches = plausible_body(height_cm * 2.54, weight_kg) & (height_cm * 2.54 <= HEIGHT.high)
        highs = _bmi_high(height_cm)
    low = f"{BODY_BMI_LOW:g}"
    parts = []
    for height, weight, high, is_swapped, is_inches in zip(
        height_cm.tolist(), weight_kg.tolist(), highs.tolist(), swapped.tolist(), inches.tolist()
    ):
        shown, bmi = f"{height:g}", weight / (height / 100.0) ** 2
        hint = (
            "were height and weight swapped?"
            if is_swapped
            else f"was the height {shown} in ({height * 2.54:.0f} cm)?"
            if is_inches
            else None
        )
        parts.append(
            (
                f"{shown} cm, {weight:g} kg (BMI {bmi:.3g} kg/m²)",
                f"a body: BMI {low}-{high:.0f} kg/m² at {shown} cm (documented extremes, dosecalc.validation)",
                hint,
            )
        )
    return parts


#: How far a given BSA may differ from the one computed from height and weight.
GIVEN_BSA_TOLERANCE_PCT = 5.0


def check_bsa_of_a_body(bsa_m2, height_cm=None, weight_kg=None) -> None:
    r"""
    Raise when a given BSA and the one measurement given beside it (a weight
    alone, or a height alone) describe no body: the height that gives that
    BSA with the weight by Mosteller's formula [1]_,

    .. math:: H = 3600\,BSA^2 / W \qquad (W = 3600\,BSA^2 / H)

    with H in [cm], W in [kg] and BSA in [m²], is no height of
    :data:`HEIGHT` (no weight of :data:`WEIGHT`), or with the weight no body
    (:func:`plausible_body`). 1.9 m² at 7 kg needs a height of 1856 cm: one
    of the two is wrong, and a dose per kg or per m² on it would be too.

    References
    ----------
    .. [1] R. D. Mosteller, "Simplified calculation of body-surface area,"
       N. Engl. J. Med., vol. 317, no. 17, p. 1098, 1987,
       doi:10.1056/NEJM198710223171717

    Raises
    ------
    ImplausibleInputError
    """
    if (height_cm is None) == (weight_kg is None):
        return
    bsa = np.asarray(bsa_m2, dtype=float)
    given = np.asarray(weight_kg if height_cm is None else height_cm, dtype=float)
    with np.errstate(all="ignore"):
        implied = 3600.0 * bsa * bsa / given
    height, weight = (implied, given) if height_cm is None else (given, implied)
    rng = HEIGHT if height_cm is None else WEIGHT
    with np.errstate(invalid="ignore"):
        bad = ~(valid(implied, rng) & plausible_body(height, weight))
    if np.any(bad):
        first = int(np.flatnonzero(np.atleast_1d(bad))[0])
        at = (
            np.ravel(np.broadcast_to(bsa, np.shape(bad)))[first],
            np.ravel(np.broadcast_to(given, np.shape(bad)))[first],
        )
        measured, needed = ("weight", "height") if height_cm is None else ("height", "weight")
        unit, needed_unit = ("kg", "cm") if height_cm is None else ("cm", "kg")
        raise ImplausibleInputError(
            "bsa",
            f"{at[0]:g} m²",
            f"the BSA of a body of the {measured} given, {at[1]:g} {unit}: by Mosteller's formula it needs a "
            f"{needed} of {np.ravel(np.broadcast_to(implied, np.shape(bad)))[first]:.4g} {needed_unit}, "
            f"which no body of that {measured} has; check which of the two is wrong",
        )


def check_given_bsa(given_m2, computed_m2, method_label: str) -> None:
    """
    Raise when a given BSA differs from the one computed from the same
    patient's height and weight by more than 5 %: one of the three is wrong.

    Raises
    ------
    ImplausibleInputError
    """
    given, computed = np.asarray(given_m2, dtype=float), np.asarray(computed_m2, dtype=float)
    differs = np.abs(given - computed) > computed * GIVEN_BSA_TOLERANCE_PCT / 100.0
    if np.any(differs):
        first = int(np.flatnonzero(np.atleast_1d(differs))[0])
        shown, expected = float(np.ravel(given)[first]), float(np.ravel(computed)[first])
        raise ImplausibleInputError(
            "bsa",
            f"{shown:g} m²",
            f"within {GIVEN_BSA_TOLERANCE_PCT:g} % of {expected:.2f} m², the BSA of the height and weight given "
            f"({method_label}); check which of the three is wrong",
        )


def pandas_series(values, index, name: str):
    """``values`` as a pandas Series on ``index`` (pandas is loaded only when a Series came in)."""
    import pandas as pd

    return pd.Series(np.asarray(values, dtype=float), index=index, name=name)


def valid(values, rng: Range, within=None):
    """
    Boolean mask of the values inside ``rng`` (NaN is never inside); with
    ``within``, a bool array of their shape, ANDed into it in place (a
    batch's one mask of its rows, no mask a column).
    """
    if within is None:
        inside = values >= rng.low
    else:
        inside = np.logical_and(within, values >= rng.low, out=within)
    inside &= values <= rng.high
    if rng.low == 0:
        inside &= values > 0
    return inside


def _extremes(values) -> tuple[float, float] | None:
    # min/max propagate NaN, so one pass of each decides for a whole column; None for an empty one
    return None if values.size == 0 else (values.min(), values.max())


def _within(extremes: tuple[float, float] | None, rng: Range) -> bool:
    if extremes is None:
        return True
    low, high = extremes
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
    return _read(value, rng, field or rng.field)[0]


def _read(value, rng: Range, field: str):
    """:func:`checked`'s values, and their lowest and highest (None if there are none)."""
    if isinstance(value, str):
        value = parse_quantity(value, field)
    values = magnitude(value, rng.unit, field)
    extremes = _extremes(values)
    if not _within(extremes, rng):
        _refuse(value, values, rng, field)
    return values, extremes


#: Values looked at a block at a time for the first one outside a range: a slip is found without a pass
#: over a whole column of a million (the cohort engine's fast path gives up at the first).
_BLOCK = 1 << 16


def _first_outside(values, rng: Range) -> int:
    """The flat index of the first of ``values`` outside ``rng``; there is one."""
    flat = np.ravel(values)
    blocks = (flat[start : start + _BLOCK] for start in range(0, flat.size, _BLOCK))
    return next(
        index * _BLOCK + int(np.argmax(outside))
        for index, block in enumerate(blocks)
        if (outside := ~valid(block, rng)).any()
    )


def _number(value: float) -> str:
    """
    A number as it was most likely typed: to 15 significant digits (0.1 + 0.2
    reads 0.3), or the shortest text that reads back as the same double where
    that is shorter (a subnormal 1e-320 reads 1e-320, not 9.99988867182683e-321).
    """
    digits, shortest = f"{value:.15g}", repr(value)
    return shortest if len(shortest) < len(digits) else digits


def _refuse(value, values, rng: Range, field: str):
    """Raise for the first of ``values`` (``value`` read) outside ``rng``, shown as given, with a hint at the slip."""
    first = _first_outside(values, rng)
    if is_quantity(value):
        given, given_units = float(np.ravel(value.magnitude)[first]), value.units
        shown = f"{_number(given)} {given_units:~P}"
    else:
        given, given_units = float(np.ravel(values)[first]), unit(rng.unit)
        shown = f"{_number(given)} {rng.symbol or format(given_units, '~P')}"
    where = f"[{first}]" if np.ndim(values) else ""
    raise ImplausibleInputError(f"{field}{where}", shown, rng.expected, _hint(given, given_units, rng))


def checked_body(height, weight):
    """
    Height and weight as :func:`checked` gives each (plain numbers in [cm]
    and [kg]), and together a body, as :func:`check_body` demands, in fewer
    passes: the lowest and highest values that the range checks read also
    decide the body check for a whole column when the shortest height with
    the heaviest weight, and the tallest with the lightest, are bodies (see
    :func:`implausible_bodies`); only otherwise is each pair checked.

    Returns
    -------
    Body
        ``height_cm``, ``weight_kg`` (float or ndarray) and the lowest and
        highest of each (``heights``, ``weights``; None if there are none).

    Raises
    ------
    UnitError, ImplausibleInputError
        As :func:`checked` and :func:`check_body`, in that order.
    """
    height_cm, heights = _read(height, HEIGHT, HEIGHT.field)
    weight_kg, weights = _read(weight, WEIGHT, WEIGHT.field)
    same_length(height=height_cm, weight=weight_kg)
    if not _corners_are_bodies(heights, weights):
        check_body(height_cm, weight_kg)
    return Body(height_cm, weight_kg, heights, weights)


class Body(NamedTuple):
    """A height and weight checked together (:func:`checked_body`), with the extremes that were read."""

    height_cm: Any
    weight_kg: Any
    heights: tuple[float, float] | None  # lowest and highest, None if there are none
    weights: tuple[float, float] | None


def _corners_are_bodies(heights: tuple[float, float] | None, weights: tuple[float, float] | None) -> bool:
    """Whether the shortest height with the heaviest weight, and the tallest with the lightest, are bodies."""
    if heights is None or weights is None:
        return True
    with np.errstate(invalid="ignore"):  # a NaN is no body
        return bool(plausible_body(heights[::-1], weights).all())


def same_length(**values) -> None:
    """
    Raise unless the given arrays (None and scalars aside) have one shape:
    three heights and two weights are a slip, not two patients, and a (2, 1)
    array with a (3,) one would pair every value with every other.

    Raises
    ------
    ImplausibleInputError
        Naming the fields and their shapes.
    """
    shapes = {name: np.shape(value) for name, value in values.items() if value is not None and np.ndim(value)}
    if len(set(shapes.values())) > 1:
        given = ", ".join(f"{shape[0] if len(shape) == 1 else shape} {name}" for name, shape in shapes.items())
        raise ImplausibleInputError(", ".join(shapes), given, "arrays of one length, one value per patient")


def common_index(**values):
    """
    The index of the pandas Series among ``values`` (None without one), so that
    a Series in gives a Series out with its index (pvlib's habit).

    Raises
    ------
    ImplausibleInputError
        If two Series have different indexes: they are never paired by position.
    """
    indexes = {
        name: value.index
        for name, value in values.items()
        if type(value).__name__ == "Series" and hasattr(value, "index")
    }
    if not indexes:
        return None
    (first_name, first), *others = indexes.items()
    for name, index in others:
        if not first.equals(index):
            raise ImplausibleInputError(
                f"{first_name}, {name}",
                "Series with different indexes",
                "Series with one index (align them first: they are never paired by position)",
            )
    return first


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
    return UnknownNameError(field, np.ravel(np.asarray(sex, dtype=object))[index], _FEMALE + _MALE)


def _sex_code(text: str) -> bool | None:
    """True for female, False for male, None for anything else: spaces around it are forgiven, no other character."""
    return _SEX_OF.get(text.strip(" ").lower())


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
        code = _sex_code(str(spelling))
        if code is None:  # every value before this one is known
            raise _unknown_sex(sex, field, first)
        same = flat == spelling
        unread &= ~same
        if code:
            female |= same
    else:  # more spellings than scans: the rest's distinct ones, by sorting
        rest = np.flatnonzero(unread)
        spellings, which = np.unique(flat[rest], return_inverse=True)
        codes = [_sex_code(text) for text in spellings.tolist()]
        unknown = np.array([code is None for code in codes])[which]
        if unknown.any():
            raise _unknown_sex(sex, field, rest[np.argmax(unknown)])
        female[rest] = np.array([bool(code) for code in codes])[which]
    return female.reshape(texts.shape)
