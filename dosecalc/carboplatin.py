r"""
Carboplatin by the Calvert formula, with the FDA's cap on the GFR.

.. math:: D_{mg} = AUC \times (GFR + 25)

The GFR enters capped at 125 mL/min, as the FDA recommended when creatinine
assays were standardised (IDMS) and low creatinine values could overestimate
it; the maximum dose is then :math:`AUC \times 150` mg: 900 mg at AUC 6,
750 mg at AUC 5, 600 mg at AUC 4 (NCCN Chemotherapy Order Templates,
Appendix B, 2020).

Note: some software calls :math:`AUC \times (1.2\,GFR + 20)` "Calvert"; that
is not the published formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._version import __version__
from .adjustments import cap_kernel
from .errors import DoseCalcError, MissingInputError
from .renal import COCKCROFT_GAULT_1976, cockcroft_gault_inputs, cockcroft_gault_kernel
from .results import Result, scalar_or_array
from .units import magnitude, quantity
from .validation import Range, checked

__all__ = ["carboplatin_dose", "CarboplatinDose", "calvert_kernel", "AUC", "GFR", "GFR_CAP_ML_MIN", "CALVERT_1989"]

#: Target AUC of carboplatin [mg/mL·min]: regimens use 2-7; 1-10 is accepted.
AUC = Range("auc", "mg/mL*min", 1.0, 10.0, "mg/mL·min")

#: An absolute GFR [mL/min]: above zero, at most 250 (hyperfiltration).
GFR = Range("gfr", "mL/min", 0.0, 250.0, "mL/min")

#: The FDA-recommended cap on the GFR in the Calvert formula [mL/min].
GFR_CAP_ML_MIN = 125.0

#: Non-renal clearance of carboplatin in the Calvert formula [mL/min].
_NON_RENAL_ML_MIN = 25.0

CALVERT_1989 = "Calvert AH et al. J Clin Oncol 1989;7:1748-56. doi:10.1200/JCO.1989.7.11.1748"
GIVEN = "given"
COCKCROFT_GAULT = "cockcroft_gault"

_ABSOLUTE_GFR = (
    "an absolute GFR in mL/min; a GFR per 1.73 m² must first be multiplied by the patient's BSA / 1.73 m²"
)


def calvert_kernel(auc, gfr_ml_min):
    """Dose [mg] = AUC [mg/mL·min] × (GFR [mL/min] + 25), Calvert et al. (1989); see :func:`carboplatin_dose`."""
    return auc * (gfr_ml_min + _NON_RENAL_ML_MIN)


@dataclass(frozen=True)
class CarboplatinDose(Result):
    """
    A carboplatin dose and how it was obtained.

    Attributes
    ----------
    dose : Quantity
        The dose, at the capped GFR. [mg]
    dose_uncapped : Quantity
        The dose at the GFR as given or estimated. [mg]
    auc : Quantity
        The target AUC. [mg/mL·min]
    gfr : Quantity
        The GFR used in the formula, after the cap. [mL/min]
    gfr_uncapped : Quantity
        The GFR as given or estimated by Cockcroft-Gault. [mL/min]
    gfr_source : str
        ``"given"`` or ``"cockcroft_gault"``.
    gfr_cap : Quantity or None
        The cap on the GFR; None when disabled. [mL/min]
    cap_applied : bool or ndarray of bool
        Where the cap lowered the GFR.
    age, weight, serum_creatinine, sex
        The Cockcroft-Gault inputs, normalised to [years], [kg], [mg/dL] and
        "female"/"male"; None when the GFR was given.
    formula, reference, gfr_reference : str
        The dose formula and the citations of it and of the GFR estimate.
    version : str
        The dosecalc version that computed it.
    """

    dose: Any
    dose_uncapped: Any
    auc: Any
    gfr: Any
    gfr_uncapped: Any
    gfr_source: str
    gfr_cap: Any
    cap_applied: Any
    age: Any = None
    weight: Any = None
    serum_creatinine: Any = None
    sex: Any = None
    formula: str = "calvert"
    reference: str = CALVERT_1989
    gfr_reference: str | None = None
    version: str = __version__


def _cockcroft_gault_given(age, weight, sex, serum_creatinine) -> bool:
    return any(value is not None for value in (age, weight, sex, serum_creatinine))


def carboplatin_dose(
    *, auc, gfr=None, age=None, weight=None, sex=None, serum_creatinine=None, gfr_cap=GFR_CAP_ML_MIN
) -> CarboplatinDose:
    r"""
    Carboplatin dose by the Calvert formula [1]_, GFR capped at 125 mL/min [2]_.

    .. math::
        D_{mg} = AUC \times (\min(GFR, GFR_{cap}) + 25)

    with AUC in [mg/mL·min], GFR in [mL/min] and 25 mL/min the non-renal
    clearance. The GFR is given (measured, e.g. by ⁵¹Cr-EDTA as in [1]_) or
    estimated by Cockcroft-Gault (:func:`dosecalc.crcl_cockcroft_gault`) from
    age, weight, sex and serum creatinine.

    Parameters
    ----------
    auc : numeric or Quantity
        Target AUC; plain numbers in [mg/mL·min]. 1-10.
    gfr : numeric or Quantity, optional
        Absolute GFR; plain numbers in [mL/min]. Not per 1.73 m².
    age, weight, sex, serum_creatinine : optional
        The Cockcroft-Gault inputs, instead of ``gfr`` (see
        :func:`dosecalc.crcl_cockcroft_gault`).
    gfr_cap : numeric, Quantity or None, default 125
        Cap on the GFR; plain numbers in [mL/min]. None disables it.

    Returns
    -------
    CarboplatinDose
        The dose [mg], the GFR used and as given or estimated, whether the
        cap applied, and the inputs normalised.

    Raises
    ------
    DoseCalcError
        If both ``gfr`` and Cockcroft-Gault inputs are given.
    MissingInputError
        If neither is given, or a Cockcroft-Gault input is missing.
    ImplausibleInputError
        If AUC is outside 1-10 mg/mL·min, a GFR outside (0, 250] mL/min
        (an estimate is checked only when no cap applies), or a
        Cockcroft-Gault input implausible.
    UnitError
        If a unit is wrong (e.g. a GFR per 1.73 m²).

    References
    ----------
    .. [1] A. H. Calvert et al., "Carboplatin dosage: prospective evaluation
       of a simple formula based on renal function," J. Clin. Oncol., vol. 7,
       no. 11, pp. 1748-1756, 1989, doi:10.1200/JCO.1989.7.11.1748.
    .. [2] National Comprehensive Cancer Network, "Chemotherapy Order
       Templates, Appendix B: Carboplatin Dosing in Adults," 2020, after the
       FDA's 2010 recommendation: maximum dose = AUC × (125 + 25) mg.

    Examples
    --------
    AUC 5 and a GFR of 90 mL/min: 5 × (90 + 25) = 575 mg. AUC 6 and a GFR of
    140 mL/min: capped at 6 × 150 = 900 mg.

    >>> float(carboplatin_dose(auc=5, gfr=90).dose.m_as("mg"))
    575.0
    >>> result = carboplatin_dose(auc=6, gfr="140 mL/min")
    >>> float(result.dose.m_as("mg")), bool(result.cap_applied)
    (900.0, True)
    """
    auc_value = checked(auc, AUC)
    cap_ml_min = np.inf if gfr_cap is None else checked(gfr_cap, GFR, "gfr_cap")
    estimated = _cockcroft_gault_given(age, weight, sex, serum_creatinine)
    if gfr is not None and estimated:
        raise DoseCalcError(
            "give gfr or the Cockcroft-Gault inputs (age, weight, sex, serum_creatinine), not both"
        )
    if gfr is not None:
        gfr_ml_min, source, normalised = checked(magnitude(gfr, "mL/min", "gfr", _ABSOLUTE_GFR), GFR), GIVEN, {}
    elif estimated:
        inputs = cockcroft_gault_inputs(age, weight, sex, serum_creatinine)
        gfr_ml_min, source = cockcroft_gault_kernel(*inputs), COCKCROFT_GAULT
        if gfr_cap is None:  # uncapped, an estimate enters the dose as it is
            checked(gfr_ml_min, GFR, "gfr (Cockcroft-Gault estimate)")
        normalised = {
            "age": quantity(inputs.age_years, "year"),
            "weight": quantity(inputs.weight_kg, "kg"),
            "serum_creatinine": quantity(inputs.serum_creatinine_mg_dl, "mg/dL"),
            "sex": scalar_or_array(np.where(inputs.female, "female", "male")),
            "gfr_reference": COCKCROFT_GAULT_1976,
        }
    else:
        raise MissingInputError("gfr", "the carboplatin dose (or age, weight, sex and serum_creatinine)")

    used_ml_min, applied = cap_kernel(gfr_ml_min, cap_ml_min)
    return CarboplatinDose(
        dose=quantity(calvert_kernel(auc_value, used_ml_min), "mg"),
        dose_uncapped=quantity(calvert_kernel(auc_value, gfr_ml_min), "mg"),
        auc=quantity(auc_value, "mg/mL*min"),
        gfr=quantity(used_ml_min, "mL/min"),
        gfr_uncapped=quantity(gfr_ml_min, "mL/min"),
        gfr_source=source,
        gfr_cap=None if gfr_cap is None else quantity(cap_ml_min, "mL/min"),
        cap_applied=applied,
        **normalised,
    )
