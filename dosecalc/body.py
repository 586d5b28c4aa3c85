r"""
Body-size scalars for dosing: BMI, ideal, adjusted and lean body weight, and
the dosing weight for a weight basis.

Each formula takes numeric inputs (float or ndarray, height in [cm], weight in
[kg]) or pint Quantities, and returns a Quantity in [kg] (BMI in [kg/m²]).
Scalars and arrays run the same numpy code; sex-specific branches are
``np.where``. A formula that needs sex never defaults it: a missing sex is a
:class:`~dosecalc.errors.MissingInputError`.

The ``*_kernel`` functions take already-checked magnitudes, for
:func:`dosecalc.patient_dose` and the cohort engine.

The weight bases of :data:`WEIGHT_BASES` choose the weight that BSA and mg/kg
doses (and Cockcroft-Gault) are computed from. Actual weight is the default:
the ASCO guideline [1]_ recommends full, actual-weight-based doses of cytotoxic
chemotherapy regardless of obesity. The Devine-based bases meet patients below
their ideal weight: "ideal" then exceeds the actual weight and "adjusted" too;
:func:`ideal_above_actual` reports where, and "lesser" (the lesser of actual
and ideal weight [2]_) never exceeds what the patient weighs.

Devine's ideal weight [3]_ is 50 kg (men) or 45.5 kg (women) plus 2.3 kg per
inch over 5 ft; it is not defined below 5 ft, and the sources that extend it
disagree: one subtracts 2.3 kg per inch under 5 ft [4]_ (reaching zero at
38 in for a man), others keep the 5-ft weight. A height below 5 ft (152.4 cm)
is therefore refused for the Devine-based bases ("ideal", "adjusted",
"lesser"), with a word to choose another basis ("actual" or "lean").

References
----------
.. [1] J. J. Griggs et al., "Appropriate chemotherapy dosing for obese adult
   patients with cancer: American Society of Clinical Oncology clinical
   practice guideline," J. Clin. Oncol., vol. 30, no. 13, pp. 1553-1561,
   2012, doi:10.1200/JCO.2011.39.9436.
.. [2] M. A. Winter, K. N. Guhr and G. M. Berg, "Impact of various body
   weights and serum creatinine concentrations on the bias and accuracy of
   the Cockcroft-Gault equation," Pharmacotherapy, vol. 32, no. 7,
   pp. 604-612, 2012.
.. [3] B. J. Devine, "Gentamicin therapy," Drug Intell. Clin. Pharm.,
   vol. 8, pp. 650-655, 1974.
.. [4] L. B. Murdaugh, Competence Assessment Tools for Health-System
   Pharmacies, 5th ed., ch. 29, "Medication dosing in patients with renal
   dysfunction." Bethesda, MD: ASHP, 2015.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .errors import MissingInputError, UnknownNameError
from .units import quantity
from .validation import HEIGHT, WEIGHT, Range, checked, is_female

__all__ = [
    "IBW_HEIGHT",
    "OBESITY_BMI",
    "WEIGHT_BASES",
    "WeightBasis",
    "adjusted_body_weight",
    "adjusted_kernel",
    "bmi",
    "bmi_kernel",
    "devine_kernel",
    "dosing_weight",
    "dosing_weight_magnitude",
    "ideal_above_actual",
    "ideal_above_actual_kernel",
    "ideal_body_weight",
    "janmahasatian_kernel",
    "lean_body_weight",
    "weight_basis_key",
]

#: BMI from which an adult is obese [kg/m²] (WHO class I and above).
OBESITY_BMI = 30.0

#: Heights for Devine's ideal weight: from 5 ft (152.4 cm), where Devine (1974)
#: defines it (50 kg or 45.5 kg plus 2.3 kg per inch over 5 ft). Sources
#: disagree below 5 ft (see the module docstring); dosecalc follows the
#: original and refuses, so a shorter patient is dosed by another basis.
#: The low bound is 5 ft less a nanometre, so that 5 ft read through any unit
#: (5 × 30.48 cm is 152.39999999999998 in binary floating point) is admitted.
IBW_HEIGHT = Range(
    "height", "cm", 152.4 - 1e-7, 280.0, "cm (Devine's formula starts at 5 ft; below it use another basis)"
)

_CM_PER_INCH = 2.54
_FIVE_FEET_IN = 60.0
_ADJUSTMENT_FACTOR = 0.4

ASCO_2012 = "Griggs JJ et al. J Clin Oncol 2012;30:1553-61. doi:10.1200/JCO.2011.39.9436"
DEVINE_1974 = "Devine BJ. Drug Intell Clin Pharm 1974;8:650-5"
WINTER_2012 = "Winter MA, Guhr KN, Berg GM. Pharmacotherapy 2012;32:604-12 (lesser of actual and Devine ideal weight)"
JANMAHASATIAN_2005 = "Janmahasatian S et al. Clin Pharmacokinet 2005;44:1051-65. doi:10.2165/00003088-200544100-00004"


# --- the kernels: magnitudes in, no checks ------------------------------------


def bmi_kernel(height_cm, weight_kg):
    """BMI [kg/m²] = W / H², from checked height [cm] and weight [kg]; see :func:`bmi`."""
    return weight_kg / (height_cm / 100.0) ** 2


def devine_kernel(height_cm, female):
    """Devine IBW [kg] from a checked height [cm]; see :func:`ideal_body_weight`."""
    return np.where(female, 45.5, 50.0) + 2.3 * (height_cm / _CM_PER_INCH - _FIVE_FEET_IN)


def adjusted_kernel(ideal_kg, weight_kg):
    """IBW + 0.4 × (W - IBW) [kg] from checked weights [kg]; see :func:`adjusted_body_weight`."""
    return ideal_kg + _ADJUSTMENT_FACTOR * (weight_kg - ideal_kg)


def janmahasatian_kernel(height_cm, weight_kg, female):
    """Janmahasatian LBW [kg] from checked height [cm] and weight [kg]; see :func:`lean_body_weight`."""
    body_mass_index = bmi_kernel(height_cm, weight_kg)
    return 9270.0 * weight_kg / np.where(female, 8780.0 + 244.0 * body_mass_index, 6680.0 + 216.0 * body_mass_index)


# --- the public formulas ------------------------------------------------------


def _female(sex, needed_for: str):
    if sex is None:
        raise MissingInputError("sex", needed_for)
    return is_female(sex)


def _kilograms(magnitude_kg):
    return quantity(magnitude_kg, "kg")


_SEX = """sex : str or array of str
        ``"f"``/``"female"`` or ``"m"``/``"male"``. Required: never defaulted."""

_RAISES = """Raises
    ------
    MissingInputError
        If sex is not given.
    UnknownNameError
        If a sex is neither female nor male.
    ImplausibleInputError
        If height or weight is NaN or implausible (Devine: height 152.4-280 cm,
        5 ft and over)."""


def _documented(formula):
    # the sex parameter and the errors that every sex-specific weight shares
    formula.__doc__ = formula.__doc__.replace("{sex}", _SEX).replace("{raises}", _RAISES)
    return formula


def bmi(height, weight):
    r"""
    Body-mass index.

    .. math:: BMI = W / H^2

    Parameters
    ----------
    height : numeric or Quantity
        Standing height; plain numbers in [cm].
    weight : numeric or Quantity
        Body weight; plain numbers in [kg].

    Returns
    -------
    bmi : Quantity
        Body-mass index. [kg/m²]

    Raises
    ------
    ImplausibleInputError
        If height or weight is NaN, non-positive or outside the human range.

    References
    ----------
    .. [1] World Health Organization, "Obesity: preventing and managing the
       global epidemic," WHO Technical Report Series 894, Geneva, 2000.

    Examples
    --------
    >>> float(bmi(200, 80).m_as("kg/m**2"))
    20.0
    """
    return quantity(bmi_kernel(checked(height, HEIGHT), checked(weight, WEIGHT)), "kg/m**2")


@_documented
def ideal_body_weight(height, sex):
    r"""
    Ideal body weight of an adult by Devine [1]_.

    .. math::
        IBW_{men} = 50 + 2.3\,(H_{in} - 60), \qquad
        IBW_{women} = 45.5 + 2.3\,(H_{in} - 60)

    with :math:`H_{in}` the height in inches (2.54 cm) and IBW in [kg]: 50 kg
    (men) or 45.5 kg (women) at 5 ft, plus 2.3 kg per inch over 5 ft. Devine
    defines it from 5 ft; below it sources disagree (see :mod:`dosecalc.body`)
    and the height is refused.

    Parameters
    ----------
    height : numeric or Quantity
        Standing height; plain numbers in [cm]. 152.4-280 cm (5 ft and over).
    {sex}

    Returns
    -------
    ibw : Quantity
        Ideal body weight. [kg]

    {raises}

    References
    ----------
    .. [1] B. J. Devine, "Gentamicin therapy," Drug Intell. Clin. Pharm.,
       vol. 8, pp. 650-655, 1974.

    Examples
    --------
    A man of 5 ft 10 in: 50 + 2.3 × 10 = 73 kg.

    >>> round(float(ideal_body_weight("5 ft 10 in", "male").m_as("kg")), 6)
    73.0
    """
    female = _female(sex, "ideal body weight (Devine)")
    return _kilograms(devine_kernel(checked(height, IBW_HEIGHT), female))


@_documented
def adjusted_body_weight(height, weight, sex):
    r"""
    Adjusted body weight: ideal weight plus 40 % of the excess [1]_, [2]_.

    .. math:: AdjBW = IBW + 0.4\,(W - IBW)

    with IBW by Devine (:func:`ideal_body_weight`). Meant for patients above
    their ideal weight: for a patient below it, the result exceeds the actual
    weight.

    Parameters
    ----------
    height : numeric or Quantity
        Standing height; plain numbers in [cm]. 152.4-280 cm (5 ft and over).
    weight : numeric or Quantity
        Actual body weight; plain numbers in [kg].
    {sex}

    Returns
    -------
    adjbw : Quantity
        Adjusted body weight. [kg]

    {raises}

    References
    ----------
    .. [1] B. J. Devine, "Gentamicin therapy," Drug Intell. Clin. Pharm.,
       vol. 8, pp. 650-655, 1974.
    .. [2] National Comprehensive Cancer Network, "Chemotherapy Order
       Templates, Appendix B: Carboplatin Dosing in Adults," 2020: "adjusted
       body weight = IBW + 0.4 × (actual weight − IBW)".

    Examples
    --------
    A man of 5 ft 10 in (IBW 73 kg) weighing 98 kg: 73 + 0.4 × 25 = 83 kg.

    >>> round(float(adjusted_body_weight("5 ft 10 in", 98, "m").m_as("kg")), 6)
    83.0
    """
    female = _female(sex, "adjusted body weight (Devine IBW)")
    weight_kg = checked(weight, WEIGHT)
    return _kilograms(adjusted_kernel(devine_kernel(checked(height, IBW_HEIGHT), female), weight_kg))


@_documented
def lean_body_weight(height, weight, sex):
    r"""
    Lean body weight (fat-free mass) by Janmahasatian et al. [1]_.

    .. math::
        LBW_{men} = \frac{9270\, W}{6680 + 216\, BMI}, \qquad
        LBW_{women} = \frac{9270\, W}{8780 + 244\, BMI}

    with W in [kg] and BMI in [kg/m²].

    Parameters
    ----------
    height : numeric or Quantity
        Standing height; plain numbers in [cm].
    weight : numeric or Quantity
        Actual body weight; plain numbers in [kg].
    {sex}

    Returns
    -------
    lbw : Quantity
        Lean body weight. [kg]

    {raises}

    References
    ----------
    .. [1] S. Janmahasatian, S. B. Duffull, S. Ash, L. C. Ward, N. M. Byrne
       and B. Green, "Quantification of lean bodyweight," Clin.
       Pharmacokinet., vol. 44, no. 10, pp. 1051-1065, 2005,
       doi:10.2165/00003088-200544100-00004.

    Examples
    --------
    A man of 80 kg and 200 cm (BMI 20): 9270 × 80 / (6680 + 216 × 20) kg.

    >>> round(float(lean_body_weight(200, 80, "male").m_as("kg")), 3)
    67.418
    """
    female = _female(sex, "lean body weight (Janmahasatian)")
    return _kilograms(janmahasatian_kernel(checked(height, HEIGHT), checked(weight, WEIGHT), female))


# --- weight bases -------------------------------------------------------------


def _actual(height_cm, weight_kg, female):
    return weight_kg


def _ideal(height_cm, weight_kg, female):
    return devine_kernel(height_cm, female)


def _adjusted(height_cm, weight_kg, female):
    return adjusted_kernel(devine_kernel(height_cm, female), weight_kg)


def _lesser(height_cm, weight_kg, female):
    return np.minimum(weight_kg, devine_kernel(height_cm, female))


class WeightBasis(NamedTuple):
    """A weight to dose by: its kernel, label, reference and inputs.

    ``height_range`` is the heights the formula accepts (None: no height).
    """

    kernel: Callable
    label: str
    reference: str
    height_range: Range | None
    needs_weight: bool
    needs_sex: bool
    uses_ideal: bool = False


WEIGHT_BASES: dict[str, WeightBasis] = {
    "actual": WeightBasis(_actual, "actual body weight", ASCO_2012, None, True, False),
    "ideal": WeightBasis(_ideal, "ideal body weight (Devine)", DEVINE_1974, IBW_HEIGHT, False, True, True),
    "adjusted": WeightBasis(
        _adjusted, "adjusted body weight (IBW + 0.4 × excess)", DEVINE_1974, IBW_HEIGHT, True, True, True
    ),
    "lean": WeightBasis(
        janmahasatian_kernel, "lean body weight (Janmahasatian)", JANMAHASATIAN_2005, HEIGHT, True, True
    ),
    "lesser": WeightBasis(
        _lesser, "lesser of actual and ideal body weight (Devine)", WINTER_2012, IBW_HEIGHT, True, True, True
    ),
}

_ALIASES = {
    "total": "actual",
    "tbw": "actual",
    "ibw": "ideal",
    "adjbw": "adjusted",
    "lbw": "lean",
    "ffm": "lean",
    "lesser_of_actual_and_ideal": "lesser",
    "lesser_of_ideal_and_actual": "lesser",
    "lesser_of_tbw_and_ibw": "lesser",
    "lesser_of_ibw_and_tbw": "lesser",
}


#: A weight basis's name as it may be written: ASCII words separated by one space, hyphen or underscore each
#: ("Ideal body weight", "IBW", "lesser-of-actual-and-ideal"); a tab, a no-break space, two spaces or one at
#: either end is no name.
_WEIGHT_BASIS_WORDS = re.compile(r"[A-Za-z]+(?:[ _-][A-Za-z]+)*")


def weight_basis_key(name: str) -> str:
    """Return the canonical name of a weight basis ("IBW" -> "ideal")."""
    if name in WEIGHT_BASES:
        return name
    if not isinstance(name, str) or not _WEIGHT_BASIS_WORDS.fullmatch(name):
        raise UnknownNameError("weight_basis", name, WEIGHT_BASES)
    key = re.sub("[ -]", "_", name.lower())
    key = key.removesuffix("_body_weight").removesuffix("_weight")
    key = _ALIASES.get(key, key)
    if key not in WEIGHT_BASES:
        raise UnknownNameError("weight_basis", name, WEIGHT_BASES)
    return key


def dosing_weight_magnitude(basis: str, height_cm=None, weight_kg=None, sex=None):
    """
    Dosing weight [kg] as float(s) from checked magnitudes, by a canonical
    weight basis: the shared step of :func:`dosing_weight`,
    :func:`dosecalc.patient_dose` and the cohort engine (which masks heights
    outside :data:`IBW_HEIGHT` first for the Devine-based bases).

    Raises
    ------
    MissingInputError
        If the basis needs an input that is None.
    ImplausibleInputError
        If a height lies outside the basis's range (Devine: 152.4-280 cm).
    """
    entry = WEIGHT_BASES[basis]
    if entry.height_range is not None:
        if height_cm is None:
            raise MissingInputError("height", entry.label)
        height_cm = checked(height_cm, entry.height_range)
    if entry.needs_weight and weight_kg is None:
        raise MissingInputError("weight", entry.label)
    female = _female(sex, entry.label) if entry.needs_sex else None
    return entry.kernel(height_cm, weight_kg, female)


def ideal_above_actual_kernel(basis: str, height_cm, weight_kg, female):
    """
    Where a Devine-based basis meets an ideal weight above the actual one
    (checked magnitudes, canonical basis): ``"ideal"`` then gives more than the
    patient weighs, ``"adjusted"`` too (IBW + 0.4 × a negative excess). False
    for the other bases, and where no actual weight is known.
    """
    if not WEIGHT_BASES[basis].uses_ideal or weight_kg is None:
        return np.zeros(np.broadcast_shapes(np.shape(height_cm), np.shape(weight_kg)), bool)
    return devine_kernel(height_cm, female) > weight_kg


@_documented
def ideal_above_actual(height, weight, sex):
    """
    Where the Devine ideal weight exceeds the actual weight: the patients for
    whom the ``"ideal"`` and ``"adjusted"`` bases dose by more than they weigh
    (``"lesser"`` takes the actual weight there).

    Parameters
    ----------
    height : numeric or Quantity
        Standing height; plain numbers in [cm]. 152.4-280 cm (5 ft and over).
    weight : numeric or Quantity
        Actual body weight; plain numbers in [kg].
    {sex}

    Returns
    -------
    bool or ndarray of bool

    {raises}

    Examples
    --------
    A woman of 5 ft 4 in (IBW 54.7 kg) who weighs 48 kg:

    >>> bool(ideal_above_actual("5 ft 4 in", 48, "f"))
    True
    """
    female = _female(sex, "ideal body weight (Devine)")
    above = ideal_above_actual_kernel("ideal", checked(height, IBW_HEIGHT), checked(weight, WEIGHT), female)
    return above.item() if above.ndim == 0 else above


def dosing_weight(height=None, weight=None, basis="actual", sex=None):
    """
    The weight to dose by, for a weight basis.

    Parameters
    ----------
    height : numeric or Quantity, optional
        Standing height; plain numbers in [cm]. Needed by all bases but
        ``"actual"``.
    weight : numeric or Quantity, optional
        Actual body weight; plain numbers in [kg]. Not needed by ``"ideal"``.
    basis : str, default "actual"
        A key of :data:`WEIGHT_BASES`: ``"actual"`` (ASCO 2012), ``"ideal"``
        (Devine), ``"adjusted"`` (IBW + 0.4 × excess), ``"lesser"`` (the
        lesser of actual and ideal) or ``"lean"`` (Janmahasatian); "IBW",
        "AdjBW", "LBW", "TBW" and "lesser of actual and ideal" are
        understood. Where "ideal" or "adjusted" exceeds the actual weight,
        :func:`ideal_above_actual` says so.
    sex : str or array of str, optional
        Required by all bases but ``"actual"``.

    Returns
    -------
    weight : Quantity
        The dosing weight. [kg]

    Raises
    ------
    UnknownNameError
        If the basis is unknown; the message lists the valid names.
    MissingInputError
        If the basis needs an input that was not given.
    ImplausibleInputError
        If an input is implausible.

    Examples
    --------
    >>> round(float(dosing_weight("5 ft 10 in", 98, basis="ideal", sex="m").m_as("kg")), 6)
    73.0
    """
    key = weight_basis_key(basis)
    height_cm = None if height is None else checked(height, HEIGHT)
    weight_kg = None if weight is None else checked(weight, WEIGHT)
    return _kilograms(dosing_weight_magnitude(key, height_cm, weight_kg, sex))
