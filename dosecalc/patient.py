"""
A patient's absolute dose from a dose per m², per kg or flat.

One patient or arrays of patients run the same code; every result says what
produced it (basis, BSA formula and reference, inputs, version).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ._version import __version__
from .bsa import BSA_METHODS, bsa_magnitude, bsa_method
from .doses import BASIS_LABELS, FLAT, PER_KG, PER_M2, read_dose
from .errors import MissingInputError
from .units import quantity
from .validation import BSA, HEIGHT, WEIGHT, checked

__all__ = ["PatientDose", "patient_dose"]

GIVEN = "given"


@dataclass(frozen=True)
class PatientDose:
    """
    A patient's dose and how it was obtained.

    Attributes
    ----------
    dose : Quantity
        The absolute dose. [mg]
    bsa : Quantity or None
        The body-surface area used or computed. [m²]
    dose_per_m2 : Quantity or None
        The dose per m² of this patient's BSA. [mg/m²]
    dose_per_kg : Quantity or None
        The dose per kg of this patient's weight. [mg/kg]
    bsa_method : str or None
        The BSA formula (a key of ``BSA_METHODS``), ``"given"`` when the BSA
        was supplied, None when no BSA was involved.
    basis : str
        The basis of the prescribed dose: ``"mg/m**2"``, ``"mg/kg"`` or ``"mg"``.
    prescribed : Quantity
        The prescribed dose, in its basis.
    height, weight : Quantity or None
        The inputs used, normalised to [cm] and [kg].
    version : str
        The dosecalc version that computed it.
    """

    dose: Any
    bsa: Any
    dose_per_m2: Any
    dose_per_kg: Any
    bsa_method: str | None
    basis: str
    prescribed: Any
    height: Any = None
    weight: Any = None
    version: str = __version__

    @property
    def bsa_reference(self) -> str | None:
        """The citation of the BSA formula used, if one was."""
        entry = BSA_METHODS.get(self.bsa_method or "")
        return entry.reference if entry else None

    def to_dict(self) -> dict:
        """Plain data for JSON: each quantity as ``{"value", "unit"}``."""
        out = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if hasattr(value, "m_as"):
                magnitude = np.asarray(value.magnitude)
                value = {
                    "value": magnitude.tolist(),
                    "unit": f"{value.units:~P}",
                }
            out[field.name] = value
        out["basis"] = BASIS_LABELS[self.basis]
        out["bsa_reference"] = self.bsa_reference
        return out


def _quantity(magnitude, expression):
    return None if magnitude is None else quantity(magnitude, expression)


def _per_body(amount, basis, target, dose_mg, body):
    # the prescribed amount itself in its own basis (no round trip), else mg / body size
    if basis == target:
        return amount
    return None if body is None else dose_mg / body


def patient_dose(dose, height=None, weight=None, bsa=None, method="mosteller", sex=None):
    r"""
    The absolute dose for a patient, with its equivalents per m² and per kg.

    .. math::
        D_{mg} = D_{mg/m^2} \cdot BSA \quad\text{or}\quad
        D_{mg} = D_{mg/kg} \cdot W \quad\text{or}\quad D_{mg} = D_{flat}

    Parameters
    ----------
    dose : str or Quantity
        The prescribed dose per administration, in mg/m², mg/kg or mg (any
        mass unit for the drug). A bare number is an error: its basis is
        unknown.
    height : numeric or Quantity, optional
        Standing height; plain numbers in [cm].
    weight : numeric or Quantity, optional
        Body weight; plain numbers in [kg]. Required for a mg/kg dose.
    bsa : numeric or Quantity, optional
        The BSA to use; plain numbers in [m²]. Overrides the formula.
    method : str, default "mosteller"
        BSA formula when ``bsa`` is not given (see ``BSA_METHODS``).
    sex : str, optional
        Required by sex-specific BSA formulas.

    Returns
    -------
    PatientDose
        ``dose`` [mg], ``bsa`` [m²], ``dose_per_m2``, ``dose_per_kg`` (None
        where the input for them is missing) and ``bsa_method``.

    Raises
    ------
    UnitError
        If the dose has no basis or a wrong unit.
    MissingInputError
        If the basis needs an input that was not given (weight for mg/kg;
        BSA or height and weight for mg/m²).
    ImplausibleInputError
        If an input is NaN, non-positive or implausible.

    Examples
    --------
    IMGN901 at 75 mg/m² for a 175 cm, 70 kg patient (Mosteller BSA 1.84 m²):

    >>> round(patient_dose("75 mg/m^2", height=175, weight=70).dose.m_as("mg"), 1)
    138.3
    """
    amount, basis = read_dose(dose)
    method = bsa_method(method)
    height_cm = None if height is None else checked(height, HEIGHT)
    weight_kg = None if weight is None else checked(weight, WEIGHT)

    if bsa is not None:
        bsa_m2, used_method = checked(bsa, BSA), GIVEN
    elif basis == PER_M2 or (weight_kg is not None and (height_cm is not None or not BSA_METHODS[method].needs_height)):
        bsa_m2, used_method = bsa_magnitude(method, height_cm, weight_kg, sex), method
    else:
        bsa_m2, used_method = None, None

    if basis == PER_M2:
        dose_mg = amount * bsa_m2
    elif basis == PER_KG:
        if weight_kg is None:
            raise MissingInputError("weight", "a dose in mg/kg")
        dose_mg = amount * weight_kg
    else:
        dose_mg = amount

    return PatientDose(
        dose=_quantity(dose_mg, FLAT),
        bsa=_quantity(bsa_m2, "m**2"),
        dose_per_m2=_quantity(_per_body(amount, basis, PER_M2, dose_mg, bsa_m2), PER_M2),
        dose_per_kg=_quantity(_per_body(amount, basis, PER_KG, dose_mg, weight_kg), PER_KG),
        bsa_method=used_method,
        basis=basis,
        prescribed=_quantity(amount, basis),
        height=_quantity(height_cm, "cm"),
        weight=_quantity(weight_kg, "kg"),
    )
