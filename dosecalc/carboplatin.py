r"""
Carboplatin by the Calvert formula, with the GFR policy a named setting.

.. math:: D_{mg} = AUC \times (GFR + 25)

The GFR is measured and given, or estimated (:mod:`dosecalc.renal`). How it
is estimated and whether it is capped differ between guidelines; each is a
policy of :data:`CARBOPLATIN_POLICIES`, named and cited in every result:

- ``"fda"`` (the default, as the carboplatin label and the NCCN templates):
  Cockcroft-Gault, the GFR capped at 125 mL/min, as the FDA recommended when
  creatinine assays were standardised (IDMS) and low creatinine values could
  overestimate it; the maximum dose is then :math:`AUC \times 150` mg: 900 mg
  at AUC 6, 750 mg at AUC 5, 600 mg at AUC 4 (NCCN Chemotherapy Order
  Templates, Appendix B).
- ``"addikd"``: CKD-EPI 2021 de-indexed by the patient's BSA, no cap
  (ADDIKD, eviQ 2022: "kidney function should not be capped at 125 mL/min
  for use in the Calvert formula").

The dose then takes the safeguards of any dose: a maximum dose, and rounding
to a step or to whole vials within a tolerance (:mod:`dosecalc.adjustments`),
never above the maximum dose nor the cap's maximum :math:`AUC \times (cap + 25)`.

Note: some software calls :math:`AUC \times (1.2\,GFR + 20)` "Calvert"; that
is not the published formula.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from ._version import __version__
from .adjustments import DEFAULT_TOLERANCE_PCT, cap_dose, cap_kernel, round_dose
from .body import weight_basis_key
from .doses import DOSE_RANGES, FLAT
from .errors import (
    DoseCalcError,
    ImplausibleInputError,
    MissingInputError,
    UnknownNameError,
)
from .renal import (
    ADDIKD_2022,
    CLEARANCE,
    NCCN_2018,
    RENAL_FORMULAS,
    SCHWARTZ_BEDSIDE,
    kidney_function,
    measured_gfr,
    outside_text,
    renal_formula_key,
)
from .results import Result
from .units import is_quantity, parse_quantity, quantity, unit
from .validation import Range, checked, checked_scalar, common_index

__all__ = [
    "AUC",
    "CALVERT_1989",
    "CARBOPLATIN_POLICIES",
    "FDA_2010",
    "PLAUSIBLE_DOSE",
    "GFR",
    "GFR_AT_LEAST",
    "GFR_CAP_ML_MIN",
    "MIN_GFR_ML_MIN",
    "CarboplatinDose",
    "CarboplatinPolicy",
    "calvert_kernel",
    "carboplatin_dose",
    "carboplatin_kernel",
    "checked_auc",
    "checked_gfr_minimum",
    "policy_key",
    "POLICY_SPELLINGS",
]

#: Target AUC of carboplatin [mg/mL·min]: regimens use 2-7; 1-10 is accepted.
AUC = Range("auc", "mg/mL*min", 1.0, 10.0, "mg/mL·min")

#: The lowest GFR [mL/min] the Calvert formula is given, measured or
#: estimated. Below it the GFR adds less than 4 % to the formula's non-renal
#: clearance of 25 mL/min (Calvert et al. 1989), so the dose is AUC × 25 to
#: within 4 % whatever the value: a value there is either a slip (a GFR of
#: 60 mL/min written in L/min is 0.06; 1e-300 is an exponent's) or a patient
#: without kidney function, whose carboplatin dose is a clinical decision, not
#: a calculation from a number. Zero and below are refused as they always were.
MIN_GFR_ML_MIN = 1.0

#: An absolute GFR [mL/min] for the Calvert formula: at least
#: :data:`MIN_GFR_ML_MIN`, at most 250 (the physiological bound of
#: :data:`dosecalc.renal.CLEARANCE`); a cap on it likewise.
GFR = Range("gfr", "mL/min", MIN_GFR_ML_MIN, CLEARANCE.high, "mL/min")

#: What a GFR reported above the range (``allow_outside_range``) must still be.
GFR_AT_LEAST = f"at least {MIN_GFR_ML_MIN:g} mL/min"


def checked_gfr_minimum(gfr_ml_min, field: str = "gfr", allow_outside_range: bool = False):
    """
    ``gfr_ml_min`` [mL/min], measured or estimated and already in the
    physiological range of :mod:`dosecalc.renal` (or above it, with
    ``allow_outside_range``), refused below :data:`MIN_GFR_ML_MIN`: no
    override makes 1e-300 mL/min a kidney function.

    Raises
    ------
    ImplausibleInputError
        Naming the first GFR below the minimum, shown to the digits that put
        it below ("0.9999995 mL/min", not "1").
    """
    values = np.asarray(gfr_ml_min, dtype=float)
    low = np.atleast_1d(values < MIN_GFR_ML_MIN)
    if low.any():
        first = int(np.flatnonzero(low)[0])
        where = "" if values.ndim == 0 else f"[{first}]"
        shown = outside_text(float(np.ravel(values)[first]), GFR, "g", 6)
        expected = GFR_AT_LEAST if allow_outside_range else GFR.expected
        raise ImplausibleInputError(f"{field}{where}", f"{shown} mL/min", expected)
    return gfr_ml_min


def checked_auc(auc, field: str = "auc"):
    """
    A target AUC in [mg/mL·min], checked against :data:`AUC`; an AUC refused
    is shown in mg/mL·min, as the range says it ("0 mg/mL·min", not pint's
    "0 mg·min/mL"), with the unit it was given in where that differs.

    Raises
    ------
    UnitError, ImplausibleInputError
        As :func:`dosecalc.validation.checked`.
    """
    try:
        return checked(auc, AUC, field)
    except ImplausibleInputError as err:
        fields = vars(err)
        if isinstance(auc, str):
            auc = parse_quantity(auc, field, kind="auc")
        if np.ndim(getattr(auc, "magnitude", auc)):
            raise
        value = float(auc.m_as(AUC.unit)) if is_quantity(auc) else float(auc)  # a plain number: in mg/mL·min
        shown = f"{value:.15g} {AUC.label}"
        if is_quantity(auc) and auc.units != unit(AUC.unit):
            shown += f" ({float(auc.magnitude):.15g} {auc.units:~P})"
        raise ImplausibleInputError(field, shown, fields["expected"], fields["hint"]) from None


#: The FDA-recommended cap on the GFR in the Calvert formula [mL/min].
GFR_CAP_ML_MIN = 125.0

#: Non-renal clearance of carboplatin in the Calvert formula [mL/min].
_NON_RENAL_ML_MIN = 25.0

CALVERT_1989 = "Calvert AH et al. J Clin Oncol 1989;7:1748-56. doi:10.1200/JCO.1989.7.11.1748"
FDA_2010 = "FDA, carboplatin dosing: GFR capped at 125 mL/min (2010); " + NCCN_2018
GIVEN = "given"
COCKCROFT_GAULT = "cockcroft_gault"


class CarboplatinPolicy(NamedTuple):
    """How a guideline estimates and caps the GFR of the Calvert formula."""

    label: str
    gfr_formula: str  # the estimate, a key of dosecalc.renal.RENAL_FORMULAS
    gfr_cap_ml_min: float | None  # None: no cap
    reference: str


CARBOPLATIN_POLICIES: dict[str, CarboplatinPolicy] = {
    "fda": CarboplatinPolicy(
        "FDA and NCCN: Cockcroft-Gault, GFR capped at 125 mL/min", COCKCROFT_GAULT, GFR_CAP_ML_MIN, FDA_2010
    ),
    "addikd": CarboplatinPolicy(
        "ADDIKD: CKD-EPI 2021 de-indexed by the BSA, GFR not capped", "ckd_epi_2021", None, ADDIKD_2022
    ),
}

#: ``gfr_cap`` left to the policy.
_POLICY = "policy"


def calvert_kernel(auc, gfr_ml_min):
    """Dose [mg] = AUC [mg/mL·min] × (GFR [mL/min] + 25), Calvert et al. (1989); see :func:`carboplatin_dose`."""
    return auc * (gfr_ml_min + _NON_RENAL_ML_MIN)


#: The largest Calvert dose [mg] any GFR may give, even one reported outside the range
#: (``allow_outside_range``): dosecalc's bound on every absolute dose, 200,000 mg.
MAX_CALVERT_MG = DOSE_RANGES[FLAT].high

#: What a GFR reported outside the range (``allow_outside_range``) must still give.
PLAUSIBLE_DOSE = f"a GFR whose Calvert dose, AUC × (GFR + 25), is at most {MAX_CALVERT_MG:,.0f} mg"


def _plausible_calvert(auc, gfr_ml_min):
    """
    The Calvert dose [mg] at the GFR as given or estimated, before any cap:
    a number, or an error for a GFR so large (1e300 mL/min, reported with
    ``allow_outside_range``) that the dose passes :data:`MAX_CALVERT_MG`
    or overflows.

    Raises
    ------
    ImplausibleInputError
        Naming the first GFR whose dose is not plausible.
    """
    with np.errstate(over="ignore"):
        dose_mg = calvert_kernel(auc, gfr_ml_min)
    implausible = ~(np.atleast_1d(dose_mg) <= MAX_CALVERT_MG)
    if implausible.any():
        first = int(np.flatnonzero(implausible)[0])
        field = "gfr" if np.ndim(dose_mg) == 0 else f"gfr[{first}]"
        raise ImplausibleInputError(field, f"{float(np.ravel(gfr_ml_min)[first]):g} mL/min", PLAUSIBLE_DOSE)
    return dose_mg


def carboplatin_kernel(auc, gfr_ml_min, cap_ml_min=np.inf):
    """
    ``(dose [mg], GFR used [mL/min], cap applied)`` from checked AUC and GFR
    (floats or arrays, no per-row Python): the Calvert dose at
    ``min(GFR, cap)``, for the cohort engine and :func:`carboplatin_dose`.

    Examples
    --------
    >>> dose, used, applied = carboplatin_kernel(np.array([5.0, 6.0]), np.array([90.0, 140.0]), 125.0)
    >>> dose.tolist(), used.tolist(), applied.tolist()
    ([575.0, 900.0], [90.0, 125.0], [False, True])
    """
    used, applied = cap_kernel(gfr_ml_min, cap_ml_min)
    return calvert_kernel(auc, used), used, applied


@dataclass(frozen=True)
class CarboplatinDose(Result):
    """
    A carboplatin dose and how it was obtained.

    Attributes
    ----------
    dose : Quantity
        The dose to give: Calvert at the capped GFR, then any maximum dose
        and rounding. [mg]
    dose_uncapped : Quantity
        The Calvert dose at the GFR as given or estimated. [mg]
    auc : Quantity
        The target AUC. [mg/mL·min]
    gfr : Quantity
        The GFR used in the formula, after the cap. [mL/min]
    gfr_uncapped : Quantity
        The GFR as given or estimated (de-indexed where it was per 1.73 m²). [mL/min]
    gfr_source : str
        ``"given"`` or the estimate's formula (``"cockcroft_gault"``,
        ``"ckd_epi_2021"``).
    gfr_cap : Quantity or None
        The cap on the GFR; None when there is none. [mL/min]
    cap_applied : bool or ndarray of bool
        Where the cap lowered the GFR.
    age, weight, serum_creatinine, sex
        The estimate's inputs, normalised to [years], [kg], [mg/dL] and
        "female"/"male"; None when the GFR was given.
    formula, reference, gfr_reference : str
        The dose formula and the citations of it and of the GFR estimate.
    version : str
        The dosecalc version that computed it.
    policy, policy_label, policy_reference : str
        The GFR policy (a key of :data:`CARBOPLATIN_POLICIES`) and its source.
    gfr_cap_source : str
        ``"policy"`` (the policy's cap, or none), ``"given"`` or ``"none"``
        (a cap switched off).
    kidney_function : KidneyFunction
        The GFR's record: formula, creatinine floor, weight basis, BSA,
        de-indexing, physiological range.
    bsa : Quantity or None
        The BSA that de-indexed a GFR per 1.73 m²; ``bsa_method`` its formula
        (``"given"`` when supplied). [m²]
    dose_calvert : Quantity
        The Calvert dose at the capped GFR, before a maximum dose and rounding. [mg]
    max_dose : Quantity or None
        The maximum dose asked for [mg]; ``max_dose_applied`` where it lowered the dose.
    rounding : RoundedDose or None
        The rounding to a step or to vials, within its tolerance.
    steps : tuple of str
        The steps taken, in order.
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
    policy: str = "fda"
    policy_label: str = CARBOPLATIN_POLICIES["fda"].label
    policy_reference: str = FDA_2010
    gfr_cap_source: str = _POLICY
    kidney_function: Any = None
    bsa: Any = None
    bsa_method: str | None = None
    dose_calvert: Any = None
    max_dose: Any = None
    max_dose_applied: Any = None
    rounding: Any = None
    steps: tuple = ()


#: Each spelling of a carboplatin GFR policy that is read, exactly as typed: its key, and the acronym as its
#: source writes it. Nothing else is folded to one of them ("Fda", "FDA ", "fda\n").
POLICY_SPELLINGS: Mapping[str, str] = MappingProxyType(
    {**{key: key for key in CARBOPLATIN_POLICIES}, "FDA": "fda", "ADDIKD": "addikd"}
)


def policy_key(name: str) -> str:
    """The canonical name of a carboplatin GFR policy ("FDA" -> "fda"): the key
    of a spelling of :data:`POLICY_SPELLINGS`, read exactly as typed.

    Raises
    ------
    UnknownNameError
        For any other text, with the closest key as a hint ("FDA ": did you
        mean 'fda'?).
    """
    key = POLICY_SPELLINGS.get(name) if isinstance(name, str) else None
    if key is None:
        raise UnknownNameError("policy", name, CARBOPLATIN_POLICIES)
    return key


def gfr_cap_of(gfr_cap, entry: CarboplatinPolicy):
    """The cap [mL/min] (inf for none) and its source: the policy's (``"policy"``), none, or a GFR given."""
    if isinstance(gfr_cap, str) and gfr_cap == _POLICY:
        return (np.inf if entry.gfr_cap_ml_min is None else entry.gfr_cap_ml_min), _POLICY
    if gfr_cap is None or (isinstance(gfr_cap, str) and gfr_cap.strip().lower() == "none"):  # as an Order reads it
        return np.inf, "none"
    return checked_scalar(gfr_cap, GFR, "gfr_cap"), GIVEN


def _estimate_inputs(formula: str) -> str:
    entry = RENAL_FORMULAS[formula]
    names = ["age", "weight", "sex", "serum_creatinine"] if entry.needs_weight else ["age", "sex", "serum_creatinine"]
    return f"the {entry.label} inputs ({', '.join(names)})"


def carboplatin_dose(
    *,
    auc,
    gfr=None,
    age=None,
    weight=None,
    sex=None,
    serum_creatinine=None,
    gfr_cap=_POLICY,
    policy="fda",
    gfr_formula=None,
    height=None,
    bsa=None,
    bsa_method="mosteller",
    weight_basis="actual",
    creatinine_floor=None,
    allow_outside_range=False,
    max_dose=None,
    round_to=None,
    vials=None,
    tolerance_pct=DEFAULT_TOLERANCE_PCT,
) -> CarboplatinDose:
    r"""
    Carboplatin dose by the Calvert formula [1]_, under a named GFR policy.

    .. math::
        D_{mg} = AUC \times (\min(GFR, GFR_{cap}) + 25)

    with AUC in [mg/mL·min], GFR in [mL/min] and 25 mL/min the non-renal
    clearance. The GFR is given (measured, e.g. by ⁵¹Cr-EDTA as in [1]_;
    in mL/min, or per 1.73 m² with the BSA) or estimated by the policy's
    formula (or ``gfr_formula``). Policies (:data:`CARBOPLATIN_POLICIES`):
    ``"fda"``, Cockcroft-Gault capped at 125 mL/min [2]_; ``"addikd"``,
    CKD-EPI 2021 × BSA / 1.73 m², not capped [3]_.

    Parameters
    ----------
    auc : numeric or Quantity
        Target AUC; plain numbers in [mg/mL·min]. 1-10.
    gfr : numeric, str or Quantity, optional
        A measured GFR: plain numbers in [mL/min]; a Quantity per area (per
        1.73 m²) needs ``bsa`` or ``height`` and ``weight``.
    age, weight, sex, serum_creatinine : optional
        The estimate's inputs, instead of ``gfr`` (see
        :func:`dosecalc.renal.kidney_function`); ``weight`` and ``height``
        also give the BSA where one is needed and not given.
    gfr_cap : numeric, str, Quantity or None, optional
        Cap on the GFR; plain numbers in [mL/min]. By default the policy's
        (125 mL/min for ``"fda"``, none for ``"addikd"``); None or
        ``"none"``: no cap.
    policy : str, default "fda"
        A key of :data:`CARBOPLATIN_POLICIES` (or "FDA", "ADDIKD"), read
        exactly as typed (:data:`POLICY_SPELLINGS`).
    gfr_formula : str, optional
        The estimate instead of the policy's: ``"cockcroft_gault"`` or
        ``"ckd_epi_2021"``. The bedside Schwartz formula is refused: the
        Calvert formula was derived in adults.
    height : numeric or Quantity, optional
        Height; plain numbers in [cm]: for a weight basis, or the BSA.
    bsa : numeric or Quantity, optional
        The BSA that de-indexes a GFR per 1.73 m²; plain numbers in [m²].
    bsa_method : str, default "mosteller"
        The BSA formula when the BSA comes from height and weight.
    weight_basis : str, default "actual"
        Cockcroft-Gault's weight (:data:`dosecalc.body.WEIGHT_BASES`).
    creatinine_floor : None, "nccn" or a concentration, optional
        See :func:`dosecalc.renal.creatinine_floor_mg_dl`.
    allow_outside_range : bool, default False
        Use a GFR above 250 mL/min (then capped, if there is a cap) instead
        of refusing it; one below :data:`MIN_GFR_ML_MIN` (1 mL/min) is
        refused always.
    max_dose : numeric, str or Quantity, optional
        The maximum dose; plain numbers in [mg].
    round_to, vials : optional
        Round to a step ("10 mg") or to whole vials ("450 mg, 150 mg, 50 mg"),
        one of them, within ``tolerance_pct`` (default 5 %, at most 10 %),
        never above the maximum dose or the cap's maximum.

    Returns
    -------
    CarboplatinDose

    Raises
    ------
    DoseCalcError
        If both ``gfr`` and an estimate's inputs are given, or both
        ``round_to`` and ``vials``.
    MissingInputError
        If neither is given, an estimate's input is missing, or a BSA is
        needed and neither it nor height and weight are given.
    UnknownNameError
        If the policy, formula, weight basis or BSA method is unknown.
    ImplausibleInputError
        If AUC is outside 1-10 mg/mL·min, a GFR or estimate outside
        1-250 mL/min (the cap too), an input implausible, a BSA given with an absolute
        GFR or for Cockcroft-Gault, or the rounding outside its tolerance.
    UnitError
        If a unit is wrong (e.g. a GFR per 1.73 m² without a BSA).

    References
    ----------
    .. [1] A. H. Calvert et al., "Carboplatin dosage: prospective evaluation
       of a simple formula based on renal function," J. Clin. Oncol., vol. 7,
       no. 11, pp. 1748-1756, 1989, doi:10.1200/JCO.1989.7.11.1748.
    .. [2] National Comprehensive Cancer Network, "Chemotherapy Order
       Templates, Appendix B: Carboplatin Dosing," 2018, after the FDA's 2010
       recommendation: maximum dose = AUC × (125 + 25) mg.
    .. [3] G. Sandhu et al., "International Consensus Guideline for
       Anticancer Drug Dosing in Kidney Dysfunction (ADDIKD)," eviQ, Cancer
       Institute NSW, 2022.

    Examples
    --------
    AUC 5 and a GFR of 90 mL/min: 5 × (90 + 25) = 575 mg. AUC 6 and a GFR of
    140 mL/min: capped at 6 × 150 = 900 mg.

    >>> float(carboplatin_dose(auc=5, gfr=90).dose.m_as("mg"))
    575.0
    >>> result = carboplatin_dose(auc=6, gfr="140 mL/min")
    >>> float(result.dose.m_as("mg")), bool(result.cap_applied)
    (900.0, True)

    ADDIKD: CKD-EPI 2021 for a man of 55 years, creatinine 1.2 mg/dL,
    71.4 mL/min/1.73 m², × 1.9 m² / 1.73 m² = 78.4 mL/min; AUC 5:

    >>> result = carboplatin_dose(auc=5, policy="addikd", age=55, sex="m", serum_creatinine="1.2 mg/dL", bsa=1.9)
    >>> round(float(result.dose.m_as("mg")), 1), result.gfr_cap
    (517.2, None)
    """
    common_index(
        auc=auc, gfr=gfr, age=age, weight=weight, sex=sex, serum_creatinine=serum_creatinine, height=height, bsa=bsa
    )
    auc_value = checked_auc(auc)
    key = policy_key(policy)
    entry = CARBOPLATIN_POLICIES[key]
    cap_ml_min, cap_source = gfr_cap_of(gfr_cap, entry)
    formula = renal_formula_key(gfr_formula or entry.gfr_formula)
    if formula == SCHWARTZ_BEDSIDE:
        raise ImplausibleInputError(
            "gfr_formula",
            gfr_formula or formula,  # as typed
            "an adult estimate (cockcroft-gault or ckd-epi-2021): the Calvert formula was derived in adults",
        )
    basis = weight_basis_key(weight_basis)
    given = {
        "age": age,
        "sex": sex,
        "serum_creatinine": serum_creatinine,
        "creatinine_floor": creatinine_floor,
        "weight_basis": None if basis == "actual" else basis,
    }
    estimated = [name for name, value in given.items() if value is not None]
    if gfr is not None and estimated:
        raise DoseCalcError(f"give gfr or {_estimate_inputs(formula)}, not both: {', '.join(estimated)} given with gfr")

    body = {"height": height, "weight": weight, "bsa": bsa, "bsa_method": bsa_method}
    if gfr is not None:
        record, normalised = measured_gfr(gfr, **body, allow_outside_range=allow_outside_range), {}
    elif estimated or weight is not None:
        estimate = RENAL_FORMULAS[formula]
        if estimate.indexed and bsa is None and (height is None or weight is None):
            raise MissingInputError("bsa", f"de-indexing {estimate.label}: give bsa, or height and weight")
        record = kidney_function(
            formula,
            age=age,
            sex=sex,
            serum_creatinine=serum_creatinine,
            **body,
            weight_basis=basis,
            creatinine_floor=creatinine_floor,
            allow_outside_range=allow_outside_range,
        )
        normalised = {
            "age": record.age,
            "weight": record.weight,
            "serum_creatinine": record.serum_creatinine,
            "sex": record.sex,
            "gfr_reference": record.reference,
        }
    else:
        raise MissingInputError("gfr", f"the carboplatin dose (or {_estimate_inputs(formula)})")

    field = "gfr" if gfr is not None else f"{'crcl' if formula == COCKCROFT_GAULT else 'egfr'} ({record.label})"
    gfr_ml_min = checked_gfr_minimum(record.clearance.m_as("mL/min"), field, allow_outside_range)
    uncapped_mg = _plausible_calvert(auc_value, gfr_ml_min)
    calvert_mg, used_ml_min, applied = carboplatin_kernel(auc_value, gfr_ml_min, cap_ml_min)
    guards: dict[str, Any] = {}
    final_mg, steps = calvert_mg, [f"GFR: {record.label}", f"policy {key}"]
    steps.append("no GFR cap" if cap_ml_min == np.inf else f"GFR cap {cap_ml_min:g} mL/min ({cap_source})")
    steps.append("Calvert")
    ceiling_mg = np.inf if cap_ml_min == np.inf else calvert_kernel(auc_value, cap_ml_min)
    if max_dose is not None:
        capped = cap_dose(quantity(final_mg, "mg"), max_dose)
        final_mg = capped.capped.m_as("mg")
        ceiling_mg = np.minimum(ceiling_mg, capped.cap.m_as("mg"))
        guards.update(max_dose=capped.cap, max_dose_applied=capped.applied)
        steps.append("maximum dose")
    if round_to is not None or vials is not None:
        ceiling = None if np.all(np.isinf(ceiling_mg)) else quantity(ceiling_mg, "mg")
        rounding = round_dose(
            quantity(final_mg, "mg"), step=round_to, strengths=vials, tolerance_pct=tolerance_pct, ceiling=ceiling
        )
        final_mg = rounding.rounded.m_as("mg")
        guards["rounding"] = rounding
        steps.append(f"rounded to {rounding.method}")

    return CarboplatinDose(
        dose=quantity(final_mg, "mg"),
        dose_uncapped=quantity(uncapped_mg, "mg"),
        auc=quantity(auc_value, "mg/mL*min"),
        gfr=quantity(used_ml_min, "mL/min"),
        gfr_uncapped=quantity(gfr_ml_min, "mL/min"),
        gfr_source=GIVEN if record.formula == "measured" else record.formula,
        gfr_cap=None if cap_ml_min == np.inf else quantity(cap_ml_min, "mL/min"),
        cap_applied=applied,
        policy=key,
        policy_label=entry.label,
        policy_reference=entry.reference,
        gfr_cap_source=cap_source,
        kidney_function=record,
        bsa=record.bsa,
        bsa_method=record.bsa_method,
        dose_calvert=quantity(calvert_mg, "mg"),
        steps=tuple(steps),
        **guards,
        **normalised,
    )
