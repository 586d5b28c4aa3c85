r"""
Height for age: whether a child's height is one that children of that age
have, by the WHO growth standards (birth to 5 years) [1]_ and the WHO growth
reference (5 to 19 years) [2]_.

For each month of age and each sex the WHO tables give the median height
:math:`M` [cm] and its coefficient of variation :math:`S`; height is normally
distributed at each age (the Box-Cox power :math:`L` is 1 throughout), so a
height :math:`H`'s z-score is

.. math:: z = \frac{H / M - 1}{S}

WHO flags a height-for-age z-score below -6 or above +6 as a biologically
implausible value: an error of measurement or of entry, to be corrected or
excluded, never analysed [3]_ [4]_. dosecalc refuses such a height where the
height alone sets a child's dose: the bedside Schwartz eGFR is
proportional to it (150 cm typed for 105 cm at 4 years gives an eGFR, and a
carboplatin dose, 43 % higher).

The check needs no sex: a height is refused when it lies outside the flag
limits of both sexes (:func:`height_for_age_bounds`), as the Schwartz formula
reads none. Ages between whole months take the limits interpolated linearly
between the months' (the tables' months are of 30.4375 days: 12 a year).
Below 2 years the standards give recumbent length, from 2 years standing
height, as WHO measures each.

References
----------
.. [1] WHO Multicentre Growth Reference Study Group, "WHO Child Growth
   Standards: Length/height-for-age, weight-for-age, weight-for-length,
   weight-for-height and body mass index-for-age: Methods and development,"
   World Health Organization, Geneva, 2006.
.. [2] M. de Onis, A. W. Onyango, E. Borghi, A. Siyam, C. Nishida and
   J. Siekmann, "Development of a WHO growth reference for school-aged
   children and adolescents," Bull. World Health Organ., vol. 85, no. 9,
   pp. 660-667, 2007, doi:10.2471/BLT.07.043497.
.. [3] World Health Organization, "WHO Anthro for personal computers, version
   3.2.2: Software for assessing growth and development of the world's
   children," Manual, Geneva, 2011 (flags: length/height-for-age z < -6 or
   > +6).
.. [4] World Health Organization, "WHO AnthroPlus for personal computers:
   Software for assessing growth of the world's children and adolescents,"
   Manual, Geneva, 2009 (the same flags from 5 to 19 years).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from .errors import ImplausibleInputError

__all__ = [
    "HEIGHT_FOR_AGE_FLAG",
    "WHO_AGE_MONTHS",
    "check_height_for_age",
    "height_for_age_bounds",
    "height_for_age_reason",
    "height_for_age_z",
    "implausible_height_for_age",
]

#: The WHO flag limit of a height-for-age z-score: beyond ±6, a height no child of that age has.
HEIGHT_FOR_AGE_FLAG = 6.0
#: The ages the WHO tables cover, birth to 19 years. [months]
WHO_AGE_MONTHS = (0, 228)
_TABLE = Path(__file__).with_name("data") / "who_height_for_age.csv"


@functools.cache
def _table() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each sex's months, medians [cm] and coefficients of variation, read once."""
    rows = np.genfromtxt(_TABLE, delimiter=",", names=True, dtype=None, encoding="utf-8")
    return {
        sex: (
            rows["age_months"][rows["sex"] == sex].astype(float),
            rows["median_cm"][rows["sex"] == sex],
            rows["coefficient_of_variation"][rows["sex"] == sex],
        )
        for sex in ("f", "m")
    }


def _months(age_years) -> np.ndarray:
    months = np.asarray(age_years, dtype=float) * 12.0
    low, high = WHO_AGE_MONTHS
    if np.any((months < low) | (months > high)):
        raise ValueError(f"age outside the WHO tables' {low / 12:g}-{high / 12:g} years")
    return months


def height_for_age_z(height_cm, age_years, sex: str):
    r"""
    A height's z-score for its age and sex (``"f"`` or ``"m"``):
    :math:`z = (H / M - 1) / S`, :math:`M` and :math:`S` interpolated
    between the WHO tables' months.

    Parameters
    ----------
    height_cm : float or ndarray
        Length (under 2 years) or standing height. [cm]
    age_years : float or ndarray
        0-19 years. [years]
    sex : str
        ``"f"`` or ``"m"``.

    Examples
    --------
    The WHO 2007 reference median of boys of 10 years (120 months) is
    137.7795 cm, with S = 0.04626:

    >>> round(float(height_for_age_z(137.7795, 10.0, "m")), 6)
    0.0
    >>> round(float(height_for_age_z(137.7795 * (1 + 2 * 0.04626), 10.0, "m")), 6)
    2.0
    """
    months, median_cm, variation = _table()[sex]
    at = _months(age_years)
    median = np.interp(at, months, median_cm)
    return (np.asarray(height_cm, dtype=float) / median - 1.0) / np.interp(at, months, variation)


def height_for_age_bounds(age_years) -> tuple[np.ndarray, np.ndarray]:
    r"""
    The lowest and highest heights [cm] within the flag limits at each age,
    of either sex: :math:`\min_{sex} M (1 - 6 S)` and :math:`\max_{sex} M (1 + 6 S)`.

    Examples
    --------
    At 4 years (48 months; girls M = 102.7312 cm, S = 0.04193; boys
    M = 103.3273 cm, S = 0.04059) the girls' heights spread wider, and both
    bounds are theirs, 102.7312 (1 ± 6 × 0.04193):

    >>> low, high = height_for_age_bounds(4.0)
    >>> round(float(low), 2), round(float(high), 2)
    (76.89, 128.58)
    """
    at = _months(age_years)
    lows, highs = [], []
    for months, median_cm, variation in _table().values():
        median, spread = np.interp(at, months, median_cm), np.interp(at, months, variation)
        lows.append(median * (1.0 - HEIGHT_FOR_AGE_FLAG * spread))
        highs.append(median * (1.0 + HEIGHT_FOR_AGE_FLAG * spread))
    return np.minimum(*lows), np.maximum(*highs)


def implausible_height_for_age(height_cm, age_years) -> np.ndarray:
    """Where a height lies outside :func:`height_for_age_bounds` of its age: beyond ±6 SD for both sexes."""
    low, high = height_for_age_bounds(age_years)
    height = np.asarray(height_cm, dtype=float)
    return (height < low) | (height > high)


def height_for_age_reason(height_cm: float, age_years: float) -> tuple[str, str]:
    """The value and the expectation a refusal of one height at one age says: the bounds to 0.1 cm, rounded
    inward (a height shown inside them is inside them)."""
    low, high = (float(bound) for bound in height_for_age_bounds(age_years))
    years = "year" if age_years == 1 else "years"
    return f"{height_cm:g} cm", (
        f"{math.ceil(low * 10) / 10:.1f}-{math.floor(high * 10) / 10:.1f} cm at {age_years:g} {years}, within "
        f"{HEIGHT_FOR_AGE_FLAG:g} SD of the WHO median height of either sex (a height no child of that age has: "
        "a slip of an input?)"
    )


def check_height_for_age(height_cm, age_years, field: str = "height") -> None:
    """
    Raise unless every height lies within :func:`height_for_age_bounds` of its age.

    Raises
    ------
    ImplausibleInputError
        At the first height outside, naming its row in an array.
    """
    outside = np.atleast_1d(implausible_height_for_age(height_cm, age_years))
    if not outside.any():
        return
    first = int(np.flatnonzero(outside)[0])
    heights, ages = np.broadcast_arrays(np.atleast_1d(height_cm), np.atleast_1d(age_years))
    value, expected = height_for_age_reason(float(heights[first]), float(ages[first]))
    raise ImplausibleInputError(f"{field}[{first}]" if np.ndim(height_cm) else field, value, expected)
