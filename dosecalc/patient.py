"""
A patient's absolute dose from a dose per m², per kg or flat.

One patient or arrays of patients run the same code; every result says what
produced it (basis, BSA formula and reference, weight basis, caps, inputs,
version).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._version import __version__
from .adjustments import cap_kernel, refuse_caps_taking_too_much
from .body import (
    OBESITY_BMI,
    WEIGHT_BASES,
    bmi_kernel,
    dosing_weight_magnitude,
    weight_basis_key,
)
from .bsa import BSA_METHODS, bsa_magnitude, bsa_method, checked_bsa
from .doses import (
    ABSOLUTE_DOSE,
    BASIS_LABELS,
    DOSE_RANGES,
    FLAT,
    MASS_BASES,
    PER_KG,
    PER_M2,
    UNIT_BASES,
    UNITS,
    UNITS_PER_KG,
    UNITS_PER_M2,
    amount_unit,
    read_dose,
)
from .errors import ImplausibleInputError, MissingInputError
from .results import Result, plain, scalar_or_array
from .units import is_quantity, quantity, unit
from .validation import (
    BSA,
    HEIGHT,
    WEIGHT,
    check_bsa_of_a_body,
    check_given_bsa,
    checked,
    checked_body,
    common_index,
    same_length,
)

__all__ = ["PatientDose", "patient_dose"]

GIVEN = "given"
ACTUAL = "actual"


@dataclass(frozen=True)
class PatientDose(Result):
    """
    A patient's dose and how it was obtained.

    Attributes
    ----------
    dose : Quantity
        The absolute dose, after any cap. [mg], or [units] for a dose in
        units (bleomycin), never converted to mg.
    bsa : Quantity or None
        The body-surface area used or computed, after any BSA cap. [m²]
    dose_per_m2 : Quantity or None
        The dose per m² of this patient's BSA (before a BSA cap). [mg/m² or units/m²]
    dose_per_kg : Quantity or None
        The dose per kg of this patient's dosing weight. [mg/kg or units/kg]
    bsa_method : str or None
        The BSA formula (a key of ``BSA_METHODS``), ``"given"`` when the BSA
        was supplied, None when no BSA was involved.
    basis : str
        The basis of the prescribed dose: ``"mg/m**2"``, ``"mg/kg"``, ``"mg"``,
        ``"units/m**2"``, ``"units/kg"`` or ``"units"``.
    prescribed : Quantity
        The prescribed dose, in its basis.
    height, weight : Quantity or None
        The inputs used, normalised to [cm] and [kg].
    version : str
        The dosecalc version that computed it.
    weight_basis : str
        The weight BSA and mg/kg doses were computed from: ``"actual"``,
        ``"ideal"``, ``"adjusted"`` or ``"lean"`` (see ``WEIGHT_BASES``).
    dosing_weight : Quantity or None
        That weight. [kg]
    bsa_uncapped, bsa_cap : Quantity or None
        The BSA before the cap, and the cap; None when no cap was asked. [m²]
    bsa_cap_applied : bool, ndarray of bool or None
        Where the BSA cap lowered the BSA.
    max_dose : Quantity or None
        The maximum absolute dose per administration asked for. [mg or units]
    max_dose_applied : bool, ndarray of bool or None
        Where it lowered the dose.
    dose_uncapped : Quantity or None
        The dose without any cap; None when no cap was asked. [mg or units]
    bsa_computed : Quantity or None
        Where a BSA was given with height and weight: the BSA they give (by
        the formula asked, or Mosteller's when it needs a sex not given),
        which the given one must be within 5 % of. [m²]
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
    weight_basis: str = ACTUAL
    dosing_weight: Any = None
    bsa_uncapped: Any = None
    bsa_cap: Any = None
    bsa_cap_applied: Any = None
    max_dose: Any = None
    max_dose_applied: Any = None
    dose_uncapped: Any = None
    bsa_computed: Any = None

    @property
    def bsa_reference(self) -> str | None:
        """The citation of the BSA formula used, if one was."""
        entry = BSA_METHODS.get(self.bsa_method or "")
        return entry.reference if entry else None

    @property
    def bmi(self):
        """Body-mass index from height and actual weight [kg/m²]; None without both."""
        if self.height is None or self.weight is None:
            return None
        return quantity(bmi_kernel(self.height.m_as(unit("cm")), self.weight.m_as(unit("kg"))), "kg/m**2")

    @property
    def obese(self):
        """BMI ≥ 30 kg/m², the adult threshold: a flag that never changes the dose; None without BMI."""
        bmi = self.bmi
        return None if bmi is None else scalar_or_array(bmi.m_as(unit("kg/m**2")) >= OBESITY_BMI)

    @property
    def above_actual_weight(self):
        """Where the dosing weight exceeds the actual weight (the ideal or adjusted weight of a patient below
        their ideal weight: sources differ on what to do, so it is said, never changed); None for the actual
        weight, or without one."""
        if self.weight_basis == ACTUAL or self.weight is None or self.dosing_weight is None:
            return None
        return scalar_or_array(self.dosing_weight.m_as(unit("kg")) > self.weight.m_as(unit("kg")))

    @property
    def weight_basis_reference(self) -> str:
        """The citation of the weight basis (ASCO 2012 for actual weight)."""
        return WEIGHT_BASES[self.weight_basis].reference

    def to_dict(self) -> dict:
        """Plain data for JSON: each quantity as ``{"value", "unit"}``."""
        out = super().to_dict()
        out["basis"] = BASIS_LABELS[self.basis]
        out["bsa_reference"] = self.bsa_reference
        out["weight_basis_reference"] = self.weight_basis_reference
        out["bmi"] = plain(self.bmi)
        out["obese"] = self.obese
        out["above_actual_weight"] = self.above_actual_weight
        if self.bsa_computed is None:  # a key only where a BSA was given with height and weight
            del out["bsa_computed"]
        return out


def _quantity(magnitude, expression):
    return None if magnitude is None else quantity(magnitude, expression)


def _per_body(amount, basis, target, dose_mg, body, lowered=None):
    # the prescribed amount itself in its own basis (no round trip) where no cap
    # lowered the dose, else mg / body size
    if basis == target:
        return amount if lowered is None else np.where(lowered, dose_mg / body, amount)
    return None if body is None else dose_mg / body


def cap_text(bsa_cap, max_dose) -> str:
    """The caps of an order as typed, for a refusal: ``"bsa_cap=2 m², max_dose=2 mcg"``."""
    shown = [(name, value) for name, value in (("bsa_cap", bsa_cap), ("max_dose", max_dose)) if value is not None]
    return ", ".join(f"{name}={cap_shown(value)}" for name, value in shown)


def cap_shown(value) -> str:
    """A cap as typed, or a Quantity as ``"2 mg"`` (its magnitude's shortest text)."""
    return f"{value.magnitude:g} {value.units:~P}" if is_quantity(value) else str(value)


def checked_given_bsa(bsa_m2, height_cm, weight_kg, sex, method: str):
    """
    A given BSA [m²] checked against the height and weight beside it: within 5 % of the formula's from both
    (Mosteller's where it needs a sex not given), or a body's with one of them
    (:func:`~dosecalc.validation.check_bsa_of_a_body`). Return the BSA computed from both, None without both.
    """
    check_bsa_of_a_body(bsa_m2, height_cm, weight_kg)
    if height_cm is None or weight_kg is None:
        return None
    compare = "mosteller" if BSA_METHODS[method].needs_sex and sex is None else method
    computed_m2 = bsa_magnitude(compare, height_cm, weight_kg, sex)
    check_given_bsa(bsa_m2, computed_m2, BSA_METHODS[compare].label)
    return computed_m2


def patient_dose(
    dose,
    height=None,
    weight=None,
    bsa=None,
    method="mosteller",
    sex=None,
    *,
    weight_basis=ACTUAL,
    bsa_cap=None,
    max_dose=None,
    check_absolute=True,
):
    r"""
    The absolute dose for a patient, with its equivalents per m² and per kg.

    .. math::
        D_{mg} = D_{mg/m^2} \cdot BSA \quad\text{or}\quad
        D_{mg} = D_{mg/kg} \cdot W \quad\text{or}\quad D_{mg} = D_{flat}

    with W the dosing weight of ``weight_basis`` (BSA is computed from it
    too), then :math:`BSA = \min(BSA, BSA_{cap})` and
    :math:`D = \min(D, D_{max})` when caps are given.

    Parameters
    ----------
    dose : str or Quantity
        The prescribed dose per administration, in mg/m², mg/kg or mg (any
        mass unit for the drug), or in units/m², units/kg or units (a drug
        dosed in units, such as bleomycin: the dose is then in units, never
        converted to mg). A bare number is an error: its basis is unknown.
    height : numeric or Quantity, optional
        Standing height; plain numbers in [cm].
    weight : numeric or Quantity, optional
        Body weight; plain numbers in [kg]. Required for a mg/kg dose.
    bsa : numeric or Quantity, optional
        The BSA to use; plain numbers in [m²]. Overrides the formula.
    method : str, default "mosteller"
        BSA formula when ``bsa`` is not given (see ``BSA_METHODS``).
    sex : str, optional
        Required by sex-specific BSA formulas and by every weight basis but
        actual.
    weight_basis : str, default "actual"
        The weight for BSA and mg/kg doses: ``"actual"``, ``"ideal"``
        (Devine), ``"adjusted"`` (IBW + 0.4 × excess) or ``"lean"``
        (Janmahasatian). Actual weight is the ASCO guideline's (Griggs et al.,
        J Clin Oncol 2012, doi:10.1200/JCO.2011.39.9436): full weight-based
        doses, obese or not.
    bsa_cap : numeric or Quantity, optional
        Cap on the BSA, e.g. 2.0 m²; plain numbers in [m²].
    max_dose : numeric, str or Quantity, optional
        Maximum absolute dose per administration, e.g. "2 mg"; plain numbers
        in [mg] (in [units] for a dose in units).
    check_absolute : bool, default True
        Refuse what only a slip can give: an absolute dose above 200 g
        (plausible inputs multiply to it: 5,000 mg/kg × 700 kg), a height and
        weight no body has had (:func:`dosecalc.validation.plausible_body`),
        a computed BSA outside 0.02-7 m², and a given BSA more than 5 % from
        the one of the height and weight given with it. False is for callers
        that reject such rows themselves, as the cohort engine does.

    Returns
    -------
    PatientDose
        ``dose`` [mg], ``bsa`` [m²], ``dose_per_m2``, ``dose_per_kg`` (None
        where the input for them is missing), ``bsa_method``, the weight
        basis and dosing weight, BMI and the obesity flag, and each cap with
        the uncapped values and where it applied.

    Raises
    ------
    UnitError
        If the dose has no basis or a wrong unit.
    MissingInputError
        If the basis needs an input that was not given (weight for mg/kg;
        BSA or height and weight for mg/m²; height and sex for a weight basis
        other than actual; a BSA for ``bsa_cap``).
    UnknownNameError
        If the method, weight basis or sex is unknown.
    ImplausibleInputError
        If an input or the absolute dose is NaN, non-positive or implausible, or a mg/m² dose has
        both a given ``bsa`` and a weight basis other than actual (the basis
        could not apply).

    Examples
    --------
    IMGN901 at 75 mg/m² for a 175 cm, 70 kg patient (Mosteller BSA 1.84 m²):

    >>> round(patient_dose("75 mg/m^2", height=175, weight=70).dose.m_as("mg"), 1)
    138.3

    Vincristine 1.4 mg/m² for a BSA of 1.9 m², capped at 2 mg:

    >>> result = patient_dose("1.4 mg/m^2", bsa=1.9, max_dose="2 mg")
    >>> result.dose.m_as("mg"), round(result.dose_uncapped.m_as("mg"), 2), result.max_dose_applied
    (2.0, 2.66, True)

    Bleomycin 10 units/m² (ABVD) for a BSA of 1.9 m² is 19 units, in units:

    >>> f"{patient_dose('10 units/m2', bsa=1.9).dose:~P}"
    '19.0 units'
    """
    # Series are paired by their index, never by position (refused where the indexes differ)
    common_index(height=height, weight=weight, bsa=bsa, sex=sex, bsa_cap=bsa_cap, max_dose=max_dose)
    amount, basis = read_dose(dose, allowed=MASS_BASES + UNIT_BASES)
    drug_unit = amount_unit(basis)
    per_m2, per_kg = (PER_M2, PER_KG) if drug_unit == FLAT else (UNITS_PER_M2, UNITS_PER_KG)
    method = bsa_method(method)
    weight_basis = weight_basis_key(weight_basis)
    both, body = height is not None and weight is not None, None
    if check_absolute and both:  # each plausible, and together a body
        body = checked_body(height, weight)
        height_cm, weight_kg = body.height_cm, body.weight_kg
    else:
        height_cm = None if height is None else checked(height, HEIGHT)
        weight_kg = None if weight is None else checked(weight, WEIGHT)
    same_length(dose=amount, height=height_cm, weight=weight_kg, bsa=bsa, sex=sex)
    if weight_basis == ACTUAL:
        dosing_kg = weight_kg
    else:
        dosing_kg = dosing_weight_magnitude(weight_basis, height_cm, weight_kg, sex)

    computed = {}
    if bsa is not None:
        if basis == per_m2 and weight_basis != ACTUAL:
            raise ImplausibleInputError(
                "weight_basis",
                weight_basis,
                "'actual' with a given bsa (a weight basis applies to a BSA computed from height "
                "and weight: give height and weight instead)",
            )
        bsa_m2, used_method = checked(bsa, BSA), GIVEN
        if check_absolute:  # against both measurements, or one of them: 1.9 m² at 7 kg is no body's
            computed_m2 = checked_given_bsa(bsa_m2, height_cm, weight_kg, sex, method)
            if computed_m2 is not None:
                computed["bsa_computed"] = _quantity(computed_m2, "m**2")
    elif basis == per_m2 or (dosing_kg is not None and (height_cm is not None or not BSA_METHODS[method].needs_height)):
        if check_absolute:  # by a weight basis, the dosing weights are not the body's
            bsa_m2 = checked_bsa(method, height_cm, dosing_kg, sex, body if weight_basis == ACTUAL else None)
        else:
            bsa_m2 = bsa_magnitude(method, height_cm, dosing_kg, sex)
        used_method = method
    else:
        bsa_m2, used_method = None, None

    if basis == per_m2:
        dose_mg = amount * bsa_m2
    elif basis == per_kg:
        if dosing_kg is None:
            raise MissingInputError("weight", f"a dose in {BASIS_LABELS[per_kg]}")
        dose_mg = amount * dosing_kg
    else:
        dose_mg = amount

    capped, lowered = {}, None
    bsa_used_m2, final_mg = bsa_m2, dose_mg
    if bsa_cap is not None:
        if basis != per_m2:  # capped, a BSA would change no dose
            shown = f"{bsa_cap:~P}" if is_quantity(bsa_cap) else str(bsa_cap)
            raise ImplausibleInputError(
                "bsa_cap", shown, f"no BSA cap for a dose in {BASIS_LABELS[basis]}: it caps a dose per m²"
            )
        cap_m2 = checked(bsa_cap, BSA, "bsa_cap")
        bsa_used_m2, applied = cap_kernel(bsa_m2, cap_m2)
        final_mg = amount * bsa_used_m2
        capped.update(
            bsa_uncapped=_quantity(bsa_m2, "m**2"), bsa_cap=_quantity(cap_m2, "m**2"), bsa_cap_applied=applied
        )
    if max_dose is not None:
        max_mg = read_dose(max_dose, "max_dose", default=drug_unit, allowed=(drug_unit,))[0]
        final_mg, applied = cap_kernel(final_mg, max_mg)
        capped.update(max_dose=_quantity(max_mg, drug_unit), max_dose_applied=applied)
    if capped:
        lowered = final_mg < dose_mg
        capped["dose_uncapped"] = _quantity(dose_mg, drug_unit)
        if check_absolute:
            field, cap = ("max_dose", max_dose) if max_dose is not None else ("bsa_cap", bsa_cap)
            refuse_caps_taking_too_much(dose_mg, final_mg, drug_unit, field, cap_shown(cap))

    if check_absolute:
        checked(final_mg, ABSOLUTE_DOSE if drug_unit == FLAT else DOSE_RANGES[UNITS])
    weight_quantity = _quantity(weight_kg, "kg")
    return PatientDose(
        dose=_quantity(final_mg, drug_unit),
        bsa=_quantity(bsa_used_m2, "m**2"),
        dose_per_m2=_quantity(_per_body(amount, basis, per_m2, final_mg, bsa_m2, lowered), per_m2),
        dose_per_kg=_quantity(_per_body(amount, basis, per_kg, final_mg, dosing_kg, lowered), per_kg),
        bsa_method=used_method,
        basis=basis,
        prescribed=_quantity(amount, basis),
        height=_quantity(height_cm, "cm"),
        weight=weight_quantity,
        weight_basis=weight_basis,
        dosing_weight=weight_quantity if weight_basis == ACTUAL else _quantity(dosing_kg, "kg"),
        **capped,
        **computed,
    )
