r"""
Renal function: creatinine clearance by Cockcroft and Gault.

Serum creatinine is given with its unit, mass (mg/dL) or amount (µmol/L)
concentration, never as a bare number: 1.1 could be mg/dL or a typo for
µmol/L, two doses apart by a factor of 88. An amount concentration is
multiplied by creatinine's molar mass (C₄H₇N₃O, 113.12 g/mol), which gives
the clinical factor 1 mg/dL = 88.4 µmol/L.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from .errors import MissingInputError, UnitError
from .units import is_quantity, own_quantity, parse_quantity, quantity, registry, unit
from .validation import WEIGHT, Range, checked, is_female

__all__ = [
    "crcl_cockcroft_gault",
    "cockcroft_gault_inputs",
    "cockcroft_gault_kernel",
    "serum_creatinine_mg_dl",
    "creatinine_mg_dl",
    "CockcroftGaultInputs",
    "ADULT_AGE",
    "SERUM_CREATININE",
    "CREATININE_MOLAR_MASS_G_MOL",
    "COCKCROFT_GAULT_1976",
]

#: Creatinine, C₄H₇N₃O [g/mol]: 10 mg/L ÷ 113.12 g/mol = 88.4 µmol/L.
CREATININE_MOLAR_MASS_G_MOL = 113.12

#: Cockcroft-Gault was derived in adults (18-92 years); children need another
#: estimate (or a measured GFR). Over 120 years is implausible.
ADULT_AGE = Range("age", "year", 18.0, 120.0, "years", symbol="years")

#: Physiological bounds of serum creatinine (0.1-20 mg/dL, 8.8-1768 µmol/L).
SERUM_CREATININE = Range("serum_creatinine", "mg/dL", 0.1, 20.0, "mg/dL (8.8-1768 µmol/L)")

COCKCROFT_GAULT_1976 = "Cockcroft DW, Gault MH. Nephron 1976;16:31-41. doi:10.1159/000180580"

_CREATININE_UNITS = "a creatinine concentration with its unit, such as '1.1 mg/dL' or '97 µmol/L'"


@functools.cache
def _molar_mass():
    return registry().Quantity(CREATININE_MOLAR_MASS_G_MOL, unit("g/mol"))


def creatinine_mg_dl(serum_creatinine, field: str = "serum_creatinine"):
    """
    Serum creatinine in [mg/dL] as float(s), from any mass or amount
    concentration, unchecked: the cohort engine masks the rows outside
    :data:`SERUM_CREATININE`.

    Parameters
    ----------
    serum_creatinine : str or Quantity
        With its unit: "1.1 mg/dL", "97 µmol/L", "0.097 mmol/L". A bare
        number is an error: its unit is never guessed.

    Raises
    ------
    UnitError
        If the value has no unit or one that is not a concentration.
    """
    if isinstance(serum_creatinine, str):
        serum_creatinine = parse_quantity(serum_creatinine, field)
    if not is_quantity(serum_creatinine):
        raise UnitError(field, serum_creatinine, f"{_CREATININE_UNITS}: a bare number has no unit")
    mass_concentration = own_quantity(serum_creatinine, field)
    if mass_concentration.dimensionality == unit("mol/L").dimensionality:  # µmol/L × g/mol
        mass_concentration = mass_concentration * _molar_mass()
    try:
        return np.asarray(mass_concentration.m_as(unit("mg/dL")), dtype=float)
    except Exception:  # pint.DimensionalityError
        raise UnitError(field, f"{serum_creatinine:~P}", _CREATININE_UNITS) from None


def serum_creatinine_mg_dl(serum_creatinine, field: str = "serum_creatinine"):
    """
    Serum creatinine in [mg/dL] as float(s), as :func:`creatinine_mg_dl`,
    checked against :data:`SERUM_CREATININE`.

    Raises
    ------
    UnitError
        If the value has no unit or one that is not a concentration.
    ImplausibleInputError
        If a value is NaN or outside 0.1-20 mg/dL (shown in mg/dL).
    """
    return checked(creatinine_mg_dl(serum_creatinine, field), SERUM_CREATININE, field)


class CockcroftGaultInputs(NamedTuple):
    """The checked inputs of Cockcroft-Gault, in the formula's units."""

    age_years: object
    weight_kg: object
    serum_creatinine_mg_dl: object
    female: object


def cockcroft_gault_inputs(age=None, weight=None, sex=None, serum_creatinine=None) -> CockcroftGaultInputs:
    """
    Check and normalise the inputs of :func:`crcl_cockcroft_gault`.

    Raises
    ------
    MissingInputError, UnitError, UnknownNameError, ImplausibleInputError
        As :func:`crcl_cockcroft_gault`.
    """
    needed_for = "creatinine clearance by Cockcroft-Gault"
    for field, value in (("age", age), ("weight", weight), ("sex", sex), ("serum_creatinine", serum_creatinine)):
        if value is None:
            raise MissingInputError(field, needed_for)
    return CockcroftGaultInputs(
        age_years=checked(age, ADULT_AGE),
        weight_kg=checked(weight, WEIGHT),
        serum_creatinine_mg_dl=serum_creatinine_mg_dl(serum_creatinine),
        female=is_female(sex),
    )


def cockcroft_gault_kernel(age_years, weight_kg, serum_creatinine_mg_dl, female):
    """CrCl [mL/min] = (140 - A) W / (72 SCr) (× 0.85 for women), from checked
    inputs in [years], [kg] and [mg/dL]; see :func:`crcl_cockcroft_gault`."""
    return (140.0 - age_years) * weight_kg / (72.0 * serum_creatinine_mg_dl) * np.where(female, 0.85, 1.0)


def crcl_cockcroft_gault(*, age=None, weight=None, sex=None, serum_creatinine=None):
    r"""
    Creatinine clearance by Cockcroft and Gault [1]_.

    .. math::
        CrCl = \frac{(140 - A)\, W}{72\, S_{Cr}} \times
        \begin{cases} 0.85 & \text{women} \\ 1 & \text{men} \end{cases}

    with age A in [years], weight W in [kg], serum creatinine
    :math:`S_{Cr}` in [mg/dL] and CrCl in [mL/min]. The weight is the one
    given: actual weight as in the paper, or an adjusted weight (see
    :func:`dosecalc.adjusted_body_weight`) where local practice uses one.

    Parameters
    ----------
    age : numeric or Quantity
        Age; plain numbers in [years]. 18-120 years: an adult formula.
    weight : numeric or Quantity
        Body weight; plain numbers in [kg].
    sex : str or array of str
        ``"f"``/``"female"`` or ``"m"``/``"male"``. Required: never defaulted.
    serum_creatinine : str or Quantity
        With its unit, mg/dL or µmol/L (1 mg/dL = 88.4 µmol/L). A bare
        number is an error.

    Returns
    -------
    crcl : Quantity
        Estimated creatinine clearance. [mL/min]

    Raises
    ------
    MissingInputError
        If an input is not given.
    UnitError
        If serum creatinine has no unit or a wrong one.
    UnknownNameError
        If a sex is neither female nor male.
    ImplausibleInputError
        If age is outside 18-120 years, creatinine outside 0.1-20 mg/dL, or
        weight implausible.

    References
    ----------
    .. [1] D. W. Cockcroft and M. H. Gault, "Prediction of creatinine
       clearance from serum creatinine," Nephron, vol. 16, no. 1, pp. 31-41,
       1976, doi:10.1159/000180580.

    Examples
    --------
    A man of 60 years, 80 kg, creatinine 1.2 mg/dL: 80 × 80 / 86.4 mL/min.

    >>> round(float(crcl_cockcroft_gault(age=60, weight=80, sex="m", serum_creatinine="1.2 mg/dL").m_as("mL/min")), 2)
    74.07
    """
    return quantity(cockcroft_gault_kernel(*cockcroft_gault_inputs(age, weight, sex, serum_creatinine)), "mL/min")
