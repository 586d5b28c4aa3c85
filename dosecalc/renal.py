r"""
Kidney function: creatinine clearance by Cockcroft and Gault, eGFR by
CKD-EPI 2021 and by the bedside Schwartz formula, or a measured GFR.

Serum creatinine is given with its unit, mass (mg/dL) or amount (µmol/L)
concentration, never as a bare number: 1.1 could be mg/dL or a typo for
µmol/L, two doses apart by a factor of 88. An amount concentration is
multiplied by creatinine's molar mass (C₄H₇N₃O, 113.12 g/mol), which gives
the clinical factor 1 mg/dL = 88.4 µmol/L.

Each estimate is a named formula of :data:`RENAL_FORMULAS`; each policy a
named setting with its source:

- Creatinine floor (:data:`CREATININE_FLOORS`): none by default; ``"nccn"``,
  0.7 mg/dL, which the NCCN suggests for abnormally low creatinine (elderly or
  cachectic patients) to avoid overestimating the clearance [1]_; or a value
  given. Where it raises the creatinine, the result says so and keeps the
  estimate at the creatinine as measured.
- Weight basis of Cockcroft-Gault: actual weight as in the paper, or a key of
  :data:`dosecalc.body.WEIGHT_BASES` (ideal, adjusted, lesser of actual and
  ideal, lean).
- De-indexing: CKD-EPI and Schwartz give mL/min per 1.73 m² of body surface;
  multiplied by the patient's BSA / 1.73 m² they give mL/min, the absolute
  GFR a dose needs (ADDIKD [2]_).
- Physiological range (:data:`CLEARANCE`, :data:`INDEXED_GFR`): an estimate
  or a GFR outside (0, 250] mL/min (or per 1.73 m²) is refused unless
  ``allow_outside_range=True``, which reports it with ``outside_range``.
  The bound lies above every published threshold of glomerular
  hyperfiltration, 90.7-175 mL/min/1.73 m² in 405 studies [3]_, and above the
  95th percentile of measured GFR in 3317 healthy potential kidney donors,
  198 − 0.943 × age mL/min uncorrected for BSA (181 mL/min at 18 years)
  [4]_. A higher estimate comes from a slip in an input (pounds as kg,
  µmol/L as mg/dL) or a formula outside its population (Cockcroft-Gault on
  the actual weight of a very obese patient).
- Populations: Cockcroft-Gault and CKD-EPI are adult formulas (18-120 years);
  the bedside Schwartz formula is for children (1-18 years). Each refuses the
  other's patients and names the formula that fits.

The ``*_kernel`` functions and :func:`renal_kernel` take checked magnitudes
(numpy arrays or floats) for the cohort engine, which masks the rows outside
the ranges of :func:`renal_ranges` and :data:`CLEARANCE` first.

References
----------
.. [1] National Comprehensive Cancer Network, "Chemotherapy Order Templates,
   Appendix B: Carboplatin Dosing," 2018: "consider using a minimum Cr of
   0.7 mg/dL to avoid overestimation of CrCl."
.. [2] G. Sandhu, J. Adattini, E. Armstrong Gordon, N. O'Neill et al.,
   "International Consensus Guideline for Anticancer Drug Dosing in Kidney
   Dysfunction (ADDIKD)," eviQ, Cancer Institute NSW, 2022.
.. [3] F. Cachat, C. Combescure, M. Cauderay, E. Girardin and H. Chehade, "A
   systematic review of glomerular hyperfiltration assessment and definition
   in the medical literature," Clin. J. Am. Soc. Nephrol., vol. 10, no. 3,
   pp. 382-389, 2015, doi:10.2215/CJN.03080314.
.. [4] H. A. Chakkera et al., "Comparison of high glomerular filtration rate
   thresholds for identifying hyperfiltration," Nephrol. Dial. Transplant.,
   vol. 35, no. 6, pp. 1017-1026, 2020, doi:10.1093/ndt/gfy332.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from ._version import __version__
from .body import WEIGHT_BASES, ideal_above_actual_kernel, weight_basis_key
from .bsa import BSA_METHODS, bsa_magnitude
from .bsa import bsa_method as bsa_method_key
from .errors import (
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)
from .growth import check_height_for_age
from .results import Result, scalar_or_array
from .units import (
    is_quantity,
    magnitude,
    own_quantity,
    parse_quantity,
    quantity,
    registry,
    unit,
)
from .validation import (
    BSA,
    HEIGHT,
    WEIGHT,
    Range,
    check_body,
    checked,
    checked_body,
    checked_flag,
    common_index,
    is_female,
    same_length,
    valid,
)

__all__ = [
    "ADDIKD_2022",
    "ADULT_AGE",
    "CHILD_AGE",
    "CLEARANCE",
    "COCKCROFT_GAULT_1976",
    "CREATININE_FLOOR",
    "CREATININE_FLOORS",
    "CREATININE_MOLAR_MASS_G_MOL",
    "INDEXED_GFR",
    "INKER_2021",
    "NCCN_2018",
    "RANGE_SOURCES",
    "RENAL_FORMULAS",
    "RENAL_FORMULA_SPELLINGS",
    "SCHWARTZ_2009",
    "SERUM_CREATININE",
    "STANDARD_BSA_M2",
    "CockcroftGaultInputs",
    "KidneyFunction",
    "RenalColumns",
    "RenalFormula",
    "absolute_gfr",
    "bsa_for_gfr",
    "ckd_epi_2021_kernel",
    "cockcroft_gault_inputs",
    "cockcroft_gault_kernel",
    "crcl_cockcroft_gault",
    "creatinine_floor_kernel",
    "creatinine_floor_mg_dl",
    "creatinine_mg_dl",
    "de_index_kernel",
    "egfr_ckd_epi_2021",
    "egfr_schwartz_bedside",
    "is_per_area",
    "kidney_function",
    "measured_gfr",
    "outside_text",
    "renal_formula_key",
    "renal_kernel",
    "renal_ranges",
    "schwartz_bedside_kernel",
    "serum_creatinine_mg_dl",
    "sexless_bsa_method",
]

#: Creatinine, C₄H₇N₃O [g/mol]: 10 mg/L ÷ 113.12 g/mol = 88.4 µmol/L.
CREATININE_MOLAR_MASS_G_MOL = 113.12

#: The body surface that eGFR is indexed to [m²].
STANDARD_BSA_M2 = 1.73

#: Cockcroft-Gault was derived in adults (18-92 years), CKD-EPI 2021 in adults
#: (18 and over); children need another estimate (or a measured GFR). Over 120
#: years is implausible.
ADULT_AGE = Range("age", "year", 18.0, 120.0, "years", symbol="years")

#: The bedside Schwartz formula was derived in children of 1-16 years with CKD;
#: it is used up to 18.
CHILD_AGE = Range("age", "year", 1.0, 18.0, "years (bedside Schwartz: children)", symbol="years")

#: Physiological bounds of serum creatinine (0.1-20 mg/dL; in µmol/L 8.840-1768.0, said inward: 8.85-1768).
SERUM_CREATININE = Range("serum_creatinine", "mg/dL", 0.1, 20.0, "mg/dL (8.85-1768 µmol/L)")

#: A creatinine floor: floors in use lie at 0.6-1.0 mg/dL (NCCN: 0.7); one
#: above 1.5 mg/dL would replace abnormal results, not low ones.
CREATININE_FLOOR = Range("creatinine_floor", "mg/dL", 0.1, 1.5, "mg/dL (8.85-132.6 µmol/L)")

#: An absolute clearance or GFR [mL/min]: above zero, at most 250 (see the module).
CLEARANCE = Range("gfr", "mL/min", 0.0, 250.0, "mL/min")

#: A GFR per 1.73 m² of body surface, in [mL/min/1.73 m²] (magnitudes only:
#: pint has no unit "per 1.73 m²").
INDEXED_GFR = Range("gfr", "mL/min/m**2", 0.0, 250.0, "mL/min/1.73 m²", symbol="mL/min/1.73 m²")

COCKCROFT_GAULT_1976 = "Cockcroft DW, Gault MH. Nephron 1976;16:31-41. doi:10.1159/000180580"
INKER_2021 = "Inker LA et al. N Engl J Med 2021;385:1737-49. doi:10.1056/NEJMoa2102953"
SCHWARTZ_2009 = "Schwartz GJ et al. J Am Soc Nephrol 2009;20:629-37. doi:10.1681/ASN.2008030287"
NCCN_2018 = "NCCN Chemotherapy Order Templates, Appendix B: Carboplatin Dosing (2018)"
ADDIKD_2022 = "Sandhu G et al. International Consensus Guideline for Anticancer Drug Dosing in Kidney Dysfunction (ADDIKD). eviQ, Cancer Institute NSW, 2022"
RANGE_SOURCES = (
    "Cachat F et al. Clin J Am Soc Nephrol 2015;10:382-9. doi:10.2215/CJN.03080314",
    "Chakkera HA et al. Nephrol Dial Transplant 2020;35:1017-26. doi:10.1093/ndt/gfy332",
)

#: Named creatinine floors [mg/dL]: None for no floor.
CREATININE_FLOORS = {"none": None, "nccn": 0.7}
# a floor's text that holds no digit is a name, never a concentration
_HAS_DIGIT = re.compile("[0-9]")
_FLOOR_SOURCES = {"none": None, "nccn": NCCN_2018, "given": None}

_CREATININE_UNITS = "a creatinine concentration with its unit, such as '1.1 mg/dL' or '97 µmol/L'"
_ABSOLUTE_GFR = (
    "an absolute GFR in mL/min; a GFR per 1.73 m² is multiplied by the patient's BSA / 1.73 m²: "
    "give bsa (or height and weight)"
)
_OUT_OF_RANGE_HINT = (
    "a value this high comes from a slip in an input (weight in lb as kg? creatinine in µmol/L as mg/dL?) "
    "or a formula outside its population; allow_outside_range (--allow-outside-range) reports it"
)


@functools.cache
def _molar_mass():
    return registry().Quantity(CREATININE_MOLAR_MASS_G_MOL, unit("g/mol"))


@functools.cache
def _per_area():
    return unit("mL/min/m**2").dimensionality


# --- creatinine -----------------------------------------------------------------


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
        serum_creatinine = parse_quantity(serum_creatinine, field, kind="creatinine")
    if not is_quantity(serum_creatinine):
        raise UnitError(field, serum_creatinine, f"{_CREATININE_UNITS}: a bare number has no unit")
    mass_concentration = own_quantity(serum_creatinine, field)
    if mass_concentration.dimensionality == unit("mol/L").dimensionality:  # µmol/L × g/mol
        mass_concentration = mass_concentration * _molar_mass()
    try:
        return np.asarray(mass_concentration.m_as(unit("mg/dL")), dtype=float)
    except TypeError:  # pint.DimensionalityError is a TypeError
        raise UnitError(field, f"{serum_creatinine:~P}", _CREATININE_UNITS) from None


def serum_creatinine_mg_dl(serum_creatinine, field: str = "serum_creatinine", rng: Range = SERUM_CREATININE):
    """
    Serum creatinine in [mg/dL] as float(s), as :func:`creatinine_mg_dl`,
    checked against ``rng`` (:data:`SERUM_CREATININE`).

    Raises
    ------
    UnitError
        If the value has no unit or one that is not a concentration.
    ImplausibleInputError
        If a value is NaN or outside 0.1-20 mg/dL: shown in mg/dL, with its
        value as typed when given in µmol/L, and the other unit as a hint
        where the number would be plausible in it (1.2 µmol/L: "did you mean
        1.2 mg/dL?"; 106 mg/dL: "did you mean 106 µmol/L?").
    """
    mg_dl = creatinine_mg_dl(serum_creatinine, field)
    try:
        return checked(mg_dl, rng, field)
    except ImplausibleInputError as err:
        raise _swapped_units(err, serum_creatinine, mg_dl, rng) from None


def _fields(err: ImplausibleInputError) -> tuple[str, object, str]:
    """The field, value and expectation an ImplausibleInputError was built from."""
    fields = vars(err)
    return fields["field"], fields["value"], fields["expected"]


def _swapped_units(err: ImplausibleInputError, given, mg_dl, rng: Range) -> ImplausibleInputError:
    # mg/dL and µmol/L are 88.4 apart: a number plausible in the other unit is the likely slip
    field, value, expected = _fields(err)
    if isinstance(given, str):
        given = parse_quantity(given, field, kind="creatinine")
    first = int(np.flatnonzero(~valid(np.atleast_1d(mg_dl), rng))[0])
    number = float(np.ravel(given.magnitude)[first])
    by_amount = given.dimensionality == unit("mol/L").dimensionality
    in_mg_dl = outside_text(float(np.ravel(mg_dl)[first]), rng, "g", 3)
    shown = f"{number:g} {given.units:~P} ({in_mg_dl} mg/dL)" if by_amount else value
    other, other_mg_dl = ("mg/dL", number) if by_amount else ("µmol/L", number / (10_000 / CREATININE_MOLAR_MASS_G_MOL))
    hint = f"did you mean {number:g} {other}?" if valid(np.array([other_mg_dl]), rng)[0] else None
    return ImplausibleInputError(field, shown, expected, hint)


def creatinine_floor_mg_dl(creatinine_floor) -> tuple[float | None, str]:
    """
    A creatinine floor in [mg/dL] and the name of its source.

    Parameters
    ----------
    creatinine_floor : None, str or Quantity
        None or ``"none"``: no floor; ``"nccn"``: 0.7 mg/dL (each name read
        exactly as typed: not "NCCN", nor " nccn"); or a concentration with
        its unit ("0.8 mg/dL", "62 µmol/L"), 0.1-1.5 mg/dL.

    Returns
    -------
    (floor_mg_dl, source) : (float or None, str)
        ``source`` is ``"none"``, ``"nccn"`` or ``"given"``.

    Raises
    ------
    UnitError, ImplausibleInputError
        If a given floor has no unit, a wrong one or lies outside 0.1-1.5 mg/dL.
    UnknownNameError
        If a text without a number is not a name of :data:`CREATININE_FLOORS`.
    """
    if creatinine_floor is None:
        return None, "none"
    if isinstance(creatinine_floor, str) and creatinine_floor in CREATININE_FLOORS:  # a name exactly as typed
        return CREATININE_FLOORS[creatinine_floor], creatinine_floor
    if isinstance(creatinine_floor, str) and not _HAS_DIGIT.search(creatinine_floor):
        # no number to read: a name was meant (" nccn", "NCCN"), refused as one, the closest as its hint
        raise UnknownNameError("creatinine_floor", creatinine_floor, CREATININE_FLOORS)
    floor = serum_creatinine_mg_dl(creatinine_floor, "creatinine_floor", CREATININE_FLOOR)
    if floor.ndim:
        raise ImplausibleInputError("creatinine_floor", f"{floor.tolist()} mg/dL", "one floor for every patient")
    return float(floor), "given"


def creatinine_floor_kernel(creatinine_mg_dl, floor_mg_dl=None):
    """``(max(SCr, floor), SCr < floor)`` on magnitudes [mg/dL]; no floor: the creatinine as it is."""
    if floor_mg_dl is None:
        return creatinine_mg_dl, np.zeros(np.shape(creatinine_mg_dl), bool)
    return np.maximum(creatinine_mg_dl, floor_mg_dl), creatinine_mg_dl < floor_mg_dl


# --- the kernels: checked magnitudes in, no checks ------------------------------


def cockcroft_gault_kernel(age_years, weight_kg, serum_creatinine_mg_dl, female):
    """CrCl [mL/min] = (140 - A) W / (72 SCr) (× 0.85 for women), from checked
    inputs in [years], [kg] and [mg/dL]; see :func:`crcl_cockcroft_gault`."""
    return (140.0 - age_years) * weight_kg / (72.0 * serum_creatinine_mg_dl) * np.where(female, 0.85, 1.0)


def ckd_epi_2021_kernel(age_years, serum_creatinine_mg_dl, female):
    """eGFR [mL/min/1.73 m²] by CKD-EPI 2021, from checked inputs in [years]
    and [mg/dL]; see :func:`egfr_ckd_epi_2021`. One patient is computed as a
    column of one: numpy's power on a float and on an array may differ in the
    last bit, and one patient's eGFR is then the table's."""
    shape = np.broadcast(age_years, serum_creatinine_mg_dl, female).shape
    age_years, serum_creatinine_mg_dl, female = np.atleast_1d(age_years, serum_creatinine_mg_dl, female)
    kappa = np.where(female, 0.7, 0.9)
    alpha = np.where(female, -0.241, -0.302)
    ratio = serum_creatinine_mg_dl / kappa
    egfr = (
        142.0
        * np.minimum(ratio, 1.0) ** alpha
        * np.maximum(ratio, 1.0) ** -1.200
        * 0.9938**age_years
        * np.where(female, 1.012, 1.0)
    )
    return egfr.reshape(shape)[()]


def schwartz_bedside_kernel(height_cm, serum_creatinine_mg_dl):
    """eGFR [mL/min/1.73 m²] = 0.413 H / SCr, from checked height [cm] and
    creatinine [mg/dL]; see :func:`egfr_schwartz_bedside`."""
    return 0.413 * height_cm / serum_creatinine_mg_dl


def de_index_kernel(gfr_ml_min_173, bsa_m2):
    """GFR [mL/min] = GFR [mL/min/1.73 m²] × BSA [m²] / 1.73 m²; one past float's range is inf (then refused)."""
    with np.errstate(over="ignore"):
        return gfr_ml_min_173 * bsa_m2 / STANDARD_BSA_M2


# --- the formulas ---------------------------------------------------------------


class RenalFormula(NamedTuple):
    """A kidney-function estimate: its label, equation, reference, the ages
    it fits, whether it is per 1.73 m², and the formula for the other ages."""

    label: str
    equation: str
    reference: str
    ages: Range
    indexed: bool
    needs_weight: bool
    needs_height: bool
    instead: str


COCKCROFT_GAULT, CKD_EPI_2021, SCHWARTZ_BEDSIDE = "cockcroft_gault", "ckd_epi_2021", "schwartz_bedside"
MEASURED = "measured"

RENAL_FORMULAS: dict[str, RenalFormula] = {
    COCKCROFT_GAULT: RenalFormula(
        "Cockcroft-Gault",
        "CrCl [mL/min] = (140 − age [years]) × weight [kg] / (72 × creatinine [mg/dL]), × 0.85 for women",
        COCKCROFT_GAULT_1976,
        ADULT_AGE,
        False,
        True,
        False,
        SCHWARTZ_BEDSIDE,
    ),
    CKD_EPI_2021: RenalFormula(
        "CKD-EPI 2021",
        "eGFR [mL/min/1.73 m²] = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 [women]; "
        "κ 0.7 (women), 0.9 (men); α −0.241 (women), −0.302 (men)",
        INKER_2021,
        ADULT_AGE,
        True,
        False,
        False,
        SCHWARTZ_BEDSIDE,
    ),
    SCHWARTZ_BEDSIDE: RenalFormula(
        "bedside Schwartz",
        "eGFR [mL/min/1.73 m²] = 0.413 × height [cm] / creatinine [mg/dL]",
        SCHWARTZ_2009,
        CHILD_AGE,
        True,
        False,
        True,
        CKD_EPI_2021,
    ),
}

# "ckd-epi" and "schwartz" alone are not aliases: CKD-EPI 2009 (with race) and the original Schwartz
# (1976, k = 0.55 for Jaffe creatinine, a third above the bedside 0.413) are other equations
_FORMULA_ALIASES = {"cg": COCKCROFT_GAULT}


def _formula_spellings() -> dict[str, str]:
    # Every spelling of a formula read, each exactly: its key with its words joined by "_", "-" or " "
    # ("ckd_epi_2021", "ckd-epi-2021", "ckd epi 2021"), "cg", and "Cockcroft-Gault" as its authors' names are
    # written. Nothing else is folded to one of them: not a capital ("CKD-EPI 2021"), a space around it
    # ("ckd-epi-2021\n") or between its words ("ckd\u00a0epi\u20032021").
    spellings = {"Cockcroft-Gault": COCKCROFT_GAULT}
    for name, key in {**{key: key for key in RENAL_FORMULAS}, **_FORMULA_ALIASES}.items():
        for joiner in ("_", "-", " "):
            spellings[name.replace("_", joiner)] = key
    return spellings


#: Each spelling of a kidney-function formula that is read, and its key of :data:`RENAL_FORMULAS`.
RENAL_FORMULA_SPELLINGS: Mapping[str, str] = MappingProxyType(_formula_spellings())


def renal_formula_key(name: str) -> str:
    """
    The canonical name of a kidney-function formula ("ckd-epi-2021" ->
    "ckd_epi_2021"): the key of a spelling of :data:`RENAL_FORMULA_SPELLINGS`,
    read exactly as typed.

    Raises
    ------
    UnknownNameError
        For any other text, listing the command line's names, with the closest
        as a hint ("CKD-EPI 2021": did you mean 'ckd-epi-2021'?).
    """
    key = RENAL_FORMULA_SPELLINGS.get(name) if isinstance(name, str) else None
    if key is None:
        raise UnknownNameError("formula", name, [k.replace("_", "-") for k in RENAL_FORMULAS])
    return key


def renal_ranges(formula: str, weight_basis: str = "actual", bsa: bool = False) -> dict[str, Range]:
    """
    The input ranges of a formula, by field: what the scalar path checks and
    the cohort engine masks (then the result against :data:`CLEARANCE`, or
    :data:`INDEXED_GFR` per 1.73 m² when there is no BSA).

    Examples
    --------
    >>> sorted(renal_ranges("schwartz_bedside"))
    ['age', 'height', 'serum_creatinine']
    """
    entry = RENAL_FORMULAS[renal_formula_key(formula)]
    ranges = {"age": entry.ages, "serum_creatinine": SERUM_CREATININE}
    if entry.needs_weight:
        ranges["weight"] = WEIGHT
        basis = WEIGHT_BASES[weight_basis_key(weight_basis)]
        if basis.height_range is not None:
            ranges["height"] = basis.height_range
    if entry.needs_height:
        ranges["height"] = HEIGHT
    if bsa:
        ranges["bsa"] = BSA
    return ranges


class RenalColumns(NamedTuple):
    """What :func:`renal_kernel` computes, as magnitudes."""

    estimate: Any  # the formula's value: [mL/min] (Cockcroft-Gault) or [mL/min/1.73 m²]
    clearance_ml_min: Any  # absolute [mL/min]; None for a per-1.73 m² formula without a BSA
    creatinine_mg_dl: Any  # the creatinine used, after the floor
    floor_applied: Any  # where the floor raised the creatinine
    dosing_weight_kg: Any  # Cockcroft-Gault's weight; None for the others


def renal_kernel(
    formula,
    *,
    age_years=None,
    female=None,
    creatinine_mg_dl=None,
    weight_kg=None,
    height_cm=None,
    bsa_m2=None,
    floor_mg_dl=None,
    weight_basis="actual",
) -> RenalColumns:
    """
    A kidney-function estimate from checked magnitudes: creatinine floor,
    formula, weight basis (Cockcroft-Gault) and de-indexing by the BSA, on
    floats or whole columns with no per-row Python. The scalar path
    (:func:`kidney_function`) checks its inputs, then calls this.

    Parameters
    ----------
    formula : str
        A key of :data:`RENAL_FORMULAS`.
    age_years, creatinine_mg_dl, weight_kg, height_cm, bsa_m2 : float or ndarray
        Inside the ranges of :func:`renal_ranges`.
    female : bool or ndarray of bool
        From :func:`dosecalc.validation.is_female`.
    floor_mg_dl : float, optional
        A creatinine floor (:func:`creatinine_floor_mg_dl`).
    weight_basis : str, default "actual"
        A key of :data:`dosecalc.body.WEIGHT_BASES` (Cockcroft-Gault only).

    Examples
    --------
    >>> columns = renal_kernel("ckd_epi_2021", age_years=np.array([55.0, 40.0]), female=np.array([False, True]),
    ...                        creatinine_mg_dl=np.array([1.2, 0.5]), floor_mg_dl=0.7)
    >>> np.round(columns.estimate, 1).tolist(), columns.floor_applied.tolist()
    ([71.4, 112.1], [False, True])
    """
    key = renal_formula_key(formula)
    used_mg_dl, applied = creatinine_floor_kernel(creatinine_mg_dl, floor_mg_dl)
    dosing_kg = None
    if key == COCKCROFT_GAULT:
        basis = weight_basis_key(weight_basis)
        dosing_kg = weight_kg if basis == "actual" else WEIGHT_BASES[basis].kernel(height_cm, weight_kg, female)
        estimate = cockcroft_gault_kernel(age_years, dosing_kg, used_mg_dl, female)
        return RenalColumns(estimate, estimate, used_mg_dl, applied, dosing_kg)
    if key == CKD_EPI_2021:
        estimate = ckd_epi_2021_kernel(age_years, used_mg_dl, female)
    else:
        estimate = schwartz_bedside_kernel(height_cm, used_mg_dl)
    clearance = None if bsa_m2 is None else de_index_kernel(estimate, bsa_m2)
    return RenalColumns(estimate, clearance, used_mg_dl, applied, dosing_kg)


# --- results --------------------------------------------------------------------


@dataclass(frozen=True)
class KidneyFunction(Result):
    """
    A kidney-function estimate (or a measured GFR) and how it was obtained.

    Attributes
    ----------
    clearance : Quantity or None
        The absolute clearance or GFR, the value a dose uses: Cockcroft-Gault
        as it is, an eGFR × BSA / 1.73 m²; None for an eGFR without a BSA.
        [mL/min]
    formula : str
        A key of :data:`RENAL_FORMULAS`, or ``"measured"``.
    egfr_ml_min_173m2 : float, ndarray or None
        The estimate per 1.73 m² (CKD-EPI, Schwartz, a measured GFR given
        so); ``to_dict`` gives it as ``{"value", "unit": "mL/min/1.73 m²"}``.
        [mL/min/1.73 m²]
    bsa : Quantity or None
        The BSA that de-indexed it [m²]; ``bsa_method`` ``"given"`` or the
        formula that computed it from height and weight.
    age, sex, weight, height, serum_creatinine
        The inputs, normalised to [years], "female"/"male", [kg], [cm] and
        [mg/dL] (the creatinine as measured); None where not used.
    weight_basis : str or None
        Cockcroft-Gault's weight basis, and ``dosing_weight`` that weight [kg].
    ideal_above_actual : bool, ndarray or None
        Where a Devine-based weight basis met an ideal weight above the
        actual one (an ideal weight then exceeds what the patient weighs).
    creatinine_floor : Quantity or None
        The floor [mg/dL]; ``creatinine_floor_policy`` its name (``"none"``,
        ``"nccn"``, ``"given"``) and ``creatinine_floor_reference`` its source.
    floor_applied : bool or ndarray
        Where the floor raised the creatinine; ``creatinine_used`` [mg/dL] is
        the creatinine the formula used and ``without_floor`` the estimate at
        the creatinine as measured (same unit as the estimate), None when the
        floor changed nothing.
    outside_range : bool or ndarray
        Where the estimate lies outside the physiological range (only with
        ``allow_outside_range=True``; otherwise such an estimate is refused).
    steps : tuple of str
        The steps taken, in order.
    version : str
        The dosecalc version that computed it.
    """

    clearance: Any
    formula: str
    egfr_ml_min_173m2: Any = None
    bsa: Any = None
    bsa_method: str | None = None
    age: Any = None
    sex: Any = None
    weight: Any = None
    height: Any = None
    serum_creatinine: Any = None
    weight_basis: str | None = None
    dosing_weight: Any = None
    ideal_above_actual: Any = None
    creatinine_floor: Any = None
    creatinine_floor_policy: str = "none"
    creatinine_floor_reference: str | None = None
    creatinine_used: Any = None
    floor_applied: Any = False
    without_floor: Any = None
    outside_range: Any = False
    steps: tuple = ()
    version: str = __version__

    @property
    def label(self) -> str:
        return "measured GFR" if self.formula == MEASURED else RENAL_FORMULAS[self.formula].label

    @property
    def equation(self) -> str | None:
        return None if self.formula == MEASURED else RENAL_FORMULAS[self.formula].equation

    @property
    def reference(self) -> str | None:
        return None if self.formula == MEASURED else RENAL_FORMULAS[self.formula].reference

    def to_dict(self) -> dict:
        """Plain data for JSON: each quantity as ``{"value", "unit"}``, a GFR per
        1.73 m² as ``{"value", "unit": "mL/min/1.73 m²"}``; with the formula's
        label, equation and reference, the references of the weight basis and
        the BSA formula, and the physiological range with its sources."""
        out = super().to_dict()
        for name in ("egfr_ml_min_173m2",) + (("without_floor",) if self.clearance is None else ()):
            if out[name] is not None and not isinstance(out[name], dict):
                out[name] = {"value": out[name], "unit": INDEXED_GFR.symbol}
        out.update(
            label=self.label,
            equation=self.equation,
            reference=self.reference,
            weight_basis_reference=None if self.weight_basis is None else WEIGHT_BASES[self.weight_basis].reference,
            bsa_reference=BSA_METHODS[self.bsa_method].reference if self.bsa_method in BSA_METHODS else None,
            physiological_range=CLEARANCE.expected,
            physiological_range_sources=list(RANGE_SOURCES),
        )
        return out


def _shown(value) -> str:
    """A value as a message shows it: "80 kg", not "80.0 kilogram"."""
    if is_quantity(value) and np.ndim(value.magnitude) == 0:
        return f"{float(value.magnitude):g} {value.units:~P}"
    return str(value)


def _at(field: str, values, index: int) -> str:
    return field if np.ndim(values) == 0 else f"{field}[{index}]"


def outside_text(value: float, rng: Range, kind: str = "f", digits: int = 1) -> str:
    """
    A value as a message shows it: to ``digits`` (decimals for ``kind``
    "f", significant digits for "g"), or, for a value outside ``rng``, to as
    many more as show it outside: 250.00003 mL/min is refused, and "250.0"
    would read as accepted.

    Examples
    --------
    >>> outside_text(250.0000278, CLEARANCE), outside_text(90.04, CLEARANCE)
    ('250.00003', '90.0')
    """
    text = f"{value:.{digits}{kind}}"
    outside = not valid(np.array([value]), rng)[0]
    while outside and np.isfinite(value) and valid(np.array([float(text)]), rng)[0] and digits < 17:
        digits += 1
        text = f"{value:.{digits}{kind}}"
    return text


def _in_range(values, rng: Range, field: str, allow: bool):
    """Where ``values`` lie above ``rng``; refused unless ``allow``. A value that is
    NaN, infinite, zero or negative is refused always: no override makes it a clearance."""
    values = np.asarray(values, dtype=float)
    above = (values > rng.high) & np.isfinite(values)
    refused = ~valid(values, rng) & ~(above & checked_flag(allow, "allow_outside_range"))
    if refused.any():
        first = int(np.flatnonzero(np.ravel(refused))[0])
        value = float(np.ravel(values)[first])
        shown = f"{outside_text(value, rng)} {rng.symbol or rng.unit}"
        hint = _OUT_OF_RANGE_HINT if value > rng.high else None
        raise ImplausibleInputError(_at(field, values, first), shown, rng.expected, hint)
    return scalar_or_array(above)


def _age_years(age, formula: str):
    """Age in [years] inside the formula's population, or an error naming the formula that fits."""
    entry = RENAL_FORMULAS[formula]
    try:
        return checked(age, entry.ages)
    except ImplausibleInputError as err:
        other = RENAL_FORMULAS[entry.instead]
        years = magnitude(age, "year", "age")
        fits = np.atleast_1d(valid(years, other.ages) & ~valid(years, entry.ages))
        if not fits.any():
            raise
        name = entry.instead.replace("_", "-")
        raise ImplausibleInputError(
            *_fields(err),
            f"{entry.label} is for {entry.ages.low:g}-{entry.ages.high:g} years: use the {other.label} formula ({name})",
        ) from None


def bsa_for_gfr(bsa=None, height=None, weight=None, bsa_method="mosteller", sex=None):
    """
    The BSA [m²] that de-indexes a GFR per 1.73 m², and its source: a BSA
    given (``"given"``), or one computed from height and weight by
    ``bsa_method`` (:func:`dosecalc.bsa`; ``sex`` for the formulas that
    need it); ``(None, None)`` without either.

    Raises
    ------
    ImplausibleInputError, UnknownNameError, MissingInputError
        For an implausible BSA, height or weight, or an unknown BSA method.
    """
    if bsa is not None:
        return checked(bsa, BSA), "given"
    if height is None or weight is None:
        return None, None
    method = bsa_method_key(bsa_method)
    body = checked_body(height, weight)  # each plausible, and together a body
    return bsa_magnitude(method, body.height_cm, body.weight_kg, sex), method


def _refuse_unused(key: str, basis: str, *, sex, weight, height, bsa) -> None:
    """An input the formula would not use is an error, never ignored: it was
    given for a reason the formula does not serve."""
    entry = RENAL_FORMULAS[key]
    unused = []
    if key == SCHWARTZ_BEDSIDE:
        unused.append(("sex", sex, "no sex: the bedside Schwartz formula has none"))
    if not entry.indexed:
        unused.append(("bsa", bsa, f"no BSA for {entry.label}: it gives mL/min already"))
        if WEIGHT_BASES[basis].height_range is None:
            unused.append(
                (
                    "height",
                    height,
                    (f"no height for {entry.label} on the actual weight (a weight basis such as 'ideal' uses one)"),
                )
            )
    elif bsa is not None:
        unused.append(("weight", weight, "no weight with a given bsa: the BSA is given"))
        if key == CKD_EPI_2021:
            unused.append(("height", height, "no height with a given bsa: the BSA is given"))
    elif key == CKD_EPI_2021 and (height is None) != (weight is None):
        missing = "height" if height is None else "weight"
        raise MissingInputError(missing, f"the BSA that de-indexes {entry.label} (height and weight, or bsa)")
    for field, value, expected in unused:
        if value is not None:
            raise ImplausibleInputError(field, _shown(value), expected)


def _steps(floor_policy, floor_mg_dl, formula, basis, bsa_m2, allow) -> tuple:
    steps = []
    if floor_mg_dl is not None:
        steps.append(f"creatinine floor {floor_mg_dl:g} mg/dL ({floor_policy})")
    steps.append(formula if basis in (None, "actual") else f"{formula} on the {basis} weight")
    if bsa_m2 is not None:
        steps.append("de-indexed: × BSA / 1.73 m²")
    steps.append("physiological range " + CLEARANCE.expected + (": reported, not refused" if allow else ""))
    return tuple(steps)


def kidney_function(
    formula,
    *,
    age=None,
    sex=None,
    serum_creatinine=None,
    weight=None,
    height=None,
    bsa=None,
    bsa_method="mosteller",
    weight_basis="actual",
    creatinine_floor=None,
    allow_outside_range=False,
) -> KidneyFunction:
    """
    Kidney function by a named formula, with its settings reported.

    Parameters
    ----------
    formula : str
        ``"cockcroft_gault"``, ``"ckd_epi_2021"`` or ``"schwartz_bedside"``
        (hyphens are understood). No default: sources disagree.
    age : numeric or Quantity
        Age; plain numbers in [years]. Adults 18-120 years; children 1-18
        (Schwartz).
    sex : str or array of str
        ``"f"``/``"female"`` or ``"m"``/``"male"`` (not needed by Schwartz).
    serum_creatinine : str or Quantity
        With its unit, mg/dL or µmol/L. A bare number is an error.
    weight : numeric or Quantity, optional
        Actual body weight; plain numbers in [kg] (Cockcroft-Gault).
    height : numeric or Quantity, optional
        Height; plain numbers in [cm] (Schwartz, and Cockcroft-Gault on a
        Devine-based or lean weight).
    bsa : numeric or Quantity, optional
        The BSA that turns an eGFR per 1.73 m² into mL/min; plain numbers in
        [m²]. Not used by Cockcroft-Gault (already in mL/min). For an eGFR
        without it, height and weight give it by ``bsa_method``.
    bsa_method : str, default "mosteller"
        The BSA formula for an eGFR with height and weight (see
        :data:`dosecalc.BSA_METHODS`); reported as ``bsa_method``.
    weight_basis : str, default "actual"
        Cockcroft-Gault's weight: a key of :data:`dosecalc.body.WEIGHT_BASES`.
    creatinine_floor : None, "nccn" or a concentration, optional
        See :func:`creatinine_floor_mg_dl`. None by default.
    allow_outside_range : bool, default False
        Report an estimate outside (0, 250] mL/min (or per 1.73 m²) instead
        of refusing it.

    Returns
    -------
    KidneyFunction

    Raises
    ------
    MissingInputError, UnitError, UnknownNameError, ImplausibleInputError
        For a missing, unitless, unknown or implausible input, an age outside
        the formula's population (the message names the formula that fits),
        a weight basis or BSA that the formula cannot use, or an estimate
        outside the physiological range.

    Examples
    --------
    >>> result = kidney_function("ckd-epi-2021", age=55, sex="m", serum_creatinine="1.2 mg/dL", bsa=2.0)
    >>> round(result.egfr_ml_min_173m2, 1), round(result.clearance.m_as("mL/min"), 1)
    (71.4, 82.6)
    """
    key = renal_formula_key(formula)
    entry = RENAL_FORMULAS[key]
    basis = weight_basis_key(weight_basis)
    if not entry.needs_weight and basis != "actual":
        raise ImplausibleInputError("weight_basis", basis, f"'actual' for {entry.label}, which uses no weight")
    _refuse_unused(key, basis, sex=sex, weight=weight, height=height, bsa=bsa)
    # Series of different indexes are different patients' rows: never paired by position
    common_index(age=age, sex=sex, serum_creatinine=serum_creatinine, weight=weight, height=height, bsa=bsa)
    needed_for = f"creatinine clearance by {entry.label}" if key == COCKCROFT_GAULT else f"eGFR by {entry.label}"
    required = {"age": age, "serum_creatinine": serum_creatinine}
    if key != SCHWARTZ_BEDSIDE:
        required["sex"] = sex
    if entry.needs_weight:
        required["weight"] = weight
    ranges = renal_ranges(key, basis)
    if "height" in ranges:
        required["height"] = height
    for field, value in required.items():
        if value is None:
            raise MissingInputError(field, needed_for)

    age_years = _age_years(age, key)
    creatinine = serum_creatinine_mg_dl(serum_creatinine)
    female = None if key == SCHWARTZ_BEDSIDE else is_female(sex)
    weight_kg = checked(weight, WEIGHT) if entry.needs_weight else None
    height_cm = checked(height, ranges["height"]) if "height" in ranges else None
    if weight_kg is not None and height_cm is not None:  # a weight basis's height: together a body
        check_body(height_cm, weight_kg)
    if key == SCHWARTZ_BEDSIDE:  # the eGFR is proportional to the height: one that children of the age have
        check_height_for_age(height_cm, age_years)
    bsa_m2, bsa_source = bsa_for_gfr(bsa, height, weight, bsa_method, sex) if entry.indexed else (None, None)
    same_length(age=age_years, sex=female, serum_creatinine=creatinine, weight=weight_kg, height=height_cm, bsa=bsa_m2)
    floor_mg_dl, floor_policy = creatinine_floor_mg_dl(creatinine_floor)
    if floor_policy == "nccn" and entry.ages is CHILD_AGE:
        raise ImplausibleInputError(
            "creatinine_floor", "nccn", "a floor given as a value: the NCCN floor is for adults", None
        )

    columns = renal_kernel(
        key,
        age_years=age_years,
        female=female,
        creatinine_mg_dl=creatinine,
        weight_kg=weight_kg,
        height_cm=height_cm,
        bsa_m2=bsa_m2,
        floor_mg_dl=floor_mg_dl,
        weight_basis=basis,
    )
    field = f"{'crcl' if key == COCKCROFT_GAULT else 'egfr'} ({entry.label})"
    # an eGFR per 1.73 m² in its range, and once de-indexed the clearance in its own, as a measured GFR is checked
    outside = _in_range(columns.estimate, INDEXED_GFR, field, allow_outside_range) if entry.indexed else False
    if columns.clearance_ml_min is not None:
        absolute = _in_range(columns.clearance_ml_min, CLEARANCE, field, allow_outside_range)
        outside = scalar_or_array(np.asarray(outside) | np.asarray(absolute))

    without = None
    if np.any(columns.floor_applied):  # the estimate at the creatinine as measured
        measured = renal_kernel(
            key,
            age_years=age_years,
            female=female,
            creatinine_mg_dl=creatinine,
            weight_kg=weight_kg,
            height_cm=height_cm,
            bsa_m2=bsa_m2,
            weight_basis=basis,
        )
        if measured.clearance_ml_min is None:
            without = scalar_or_array(measured.estimate)
        else:
            without = quantity(measured.clearance_ml_min, "mL/min")
    by_basis = entry.needs_weight and basis != "actual"
    return KidneyFunction(
        clearance=None if columns.clearance_ml_min is None else quantity(columns.clearance_ml_min, "mL/min"),
        formula=key,
        egfr_ml_min_173m2=scalar_or_array(columns.estimate) if entry.indexed else None,
        bsa=None if bsa_m2 is None else quantity(bsa_m2, "m**2"),
        bsa_method=bsa_source,
        age=quantity(age_years, "year"),
        sex=None if female is None else scalar_or_array(np.where(female, "female", "male")),
        weight=None if weight_kg is None else quantity(weight_kg, "kg"),
        height=None if height_cm is None else quantity(height_cm, "cm"),
        serum_creatinine=quantity(creatinine, "mg/dL"),
        weight_basis=basis if entry.needs_weight else None,
        dosing_weight=None if columns.dosing_weight_kg is None else quantity(columns.dosing_weight_kg, "kg"),
        ideal_above_actual=scalar_or_array(ideal_above_actual_kernel(basis, height_cm, weight_kg, female))
        if by_basis
        else None,
        creatinine_floor=None if floor_mg_dl is None else quantity(floor_mg_dl, "mg/dL"),
        creatinine_floor_policy=floor_policy,
        creatinine_floor_reference=_FLOOR_SOURCES[floor_policy],
        creatinine_used=quantity(columns.creatinine_mg_dl, "mg/dL"),
        floor_applied=scalar_or_array(columns.floor_applied),
        without_floor=without,
        outside_range=outside,
        steps=_steps(
            floor_policy, floor_mg_dl, key, basis if entry.needs_weight else None, bsa_m2, allow_outside_range
        ),
    )


def measured_gfr(
    gfr, *, bsa=None, height=None, weight=None, bsa_method="mosteller", allow_outside_range=False
) -> KidneyFunction:
    """
    A measured GFR (⁵¹Cr-EDTA, ⁹⁹ᵐTc-DTPA, iohexol or iothalamate clearance)
    as a :class:`KidneyFunction`.

    Parameters
    ----------
    gfr : str, numeric or Quantity
        Absolute, in [mL/min] (plain numbers), or per area ("90 mL/min/1.73 m²"
        once the unit grammar reads it, or a Quantity per m²) with ``bsa``.
    bsa : numeric or Quantity, optional
        The BSA to de-index a GFR per area; plain numbers in [m²]. Or
        ``height`` and ``weight``, by ``bsa_method`` (default Mosteller).
    allow_outside_range : bool, default False
        Report a GFR outside (0, 250] mL/min instead of refusing it.

    Raises
    ------
    UnitError
        If the GFR is per area and no BSA is given, or not a flow.
    ImplausibleInputError
        If the GFR or the BSA is implausible, or a BSA (or height and
        weight) comes with an absolute GFR.

    Examples
    --------
    >>> float(measured_gfr(90).clearance.m_as("mL/min"))
    90.0
    """
    if isinstance(gfr, str):
        gfr = parse_quantity(gfr, "gfr", kind="gfr")
    common_index(gfr=gfr, bsa=bsa, height=height, weight=weight)
    for field, value in (("bsa", bsa), ("height", height), ("weight", weight)):
        if value is not None and not is_per_area(gfr):
            raise ImplausibleInputError(
                field, _shown(value), f"no {field} with an absolute gfr: it is in mL/min already"
            )
    if bsa is not None and (height is not None or weight is not None):
        raise ImplausibleInputError("bsa", bsa, "bsa or height and weight, not both")
    if bsa is None and (height is None) != (weight is None):
        raise MissingInputError("height" if height is None else "weight", "the BSA that de-indexes a GFR per 1.73 m²")
    if bsa is None and height is not None:
        sexless_bsa_method(bsa_method)
    bsa_m2, bsa_source = bsa_for_gfr(bsa, height, weight, bsa_method)
    clearance_ml_min, per_173 = absolute_gfr(gfr, bsa_m2, allow_outside_range=allow_outside_range)
    outside = _in_range(clearance_ml_min, CLEARANCE, "gfr", allow_outside_range)
    if per_173 is not None:  # accepted above 250 per 1.73 m² only by the override: reported so
        outside = scalar_or_array(np.asarray(outside) | (np.asarray(per_173) > INDEXED_GFR.high))
    return KidneyFunction(
        clearance=quantity(clearance_ml_min, "mL/min"),
        formula=MEASURED,
        egfr_ml_min_173m2=None if per_173 is None else scalar_or_array(per_173),
        bsa=None if bsa_m2 is None else quantity(bsa_m2, "m**2"),
        bsa_method=bsa_source,
        outside_range=outside,
        steps=("measured GFR",) + (("de-indexed: × BSA / 1.73 m²",) if per_173 is not None else ()),
    )


def sexless_bsa_method(bsa_method) -> str:
    """The BSA method that de-indexes a measured GFR, one that needs no sex (a measured GFR comes without one)."""
    method = bsa_method_key(bsa_method)
    if BSA_METHODS[method].needs_sex:
        raise ImplausibleInputError(
            "bsa_method",
            method,
            f"a BSA formula without sex to de-index a measured GFR per 1.73 m² ({BSA_METHODS[method].label} needs one)",
        )
    return method


def is_per_area(value) -> bool:
    """True for a Quantity of flow per area (a GFR per 1.73 m²), False otherwise."""
    return is_quantity(value) and own_quantity(value, "gfr").dimensionality == _per_area()


def absolute_gfr(gfr, bsa_m2=None, field: str = "gfr", allow_outside_range: bool = False):
    """
    An absolute GFR in [mL/min] and, for one given per area, the value per
    1.73 m² (else None).

    A plain number is in [mL/min]. A Quantity per area (mL/min/m², or
    mL/min per 1.73 m²) is de-indexed: × BSA, which ``bsa_m2`` (checked, [m²])
    must give. A GFR per area is checked against :data:`INDEXED_GFR`; the
    caller checks the absolute one.

    Raises
    ------
    UnitError
        If a GFR per area comes without a BSA, or the value is not a flow.
    ImplausibleInputError
        If a GFR per 1.73 m² is outside (0, 250].
    """
    if isinstance(gfr, str):
        gfr = parse_quantity(gfr, field, kind="gfr")
    if is_per_area(gfr):
        per_173 = np.asarray(gfr.m_as(unit("mL/min/m**2")), dtype=float) * STANDARD_BSA_M2
        _in_range(per_173, INDEXED_GFR, field, allow_outside_range)
        if bsa_m2 is None:
            shown = f"{gfr:~P}" if np.ndim(gfr.magnitude) else f"{float(gfr.magnitude):g} {gfr.units:~P}"
            raise UnitError(field, shown, _ABSOLUTE_GFR)
        return de_index_kernel(per_173, bsa_m2), per_173
    return magnitude(gfr, "mL/min", field, _ABSOLUTE_GFR), None


# --- the named estimates --------------------------------------------------------


class CockcroftGaultInputs(NamedTuple):
    """The checked inputs of Cockcroft-Gault, in the formula's units."""

    age_years: object
    weight_kg: object
    serum_creatinine_mg_dl: object
    female: object


def cockcroft_gault_inputs(age=None, weight=None, sex=None, serum_creatinine=None) -> CockcroftGaultInputs:
    """
    Check and normalise the inputs of :func:`crcl_cockcroft_gault` (actual
    weight, no floor).

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
        age_years=_age_years(age, COCKCROFT_GAULT),
        weight_kg=checked(weight, WEIGHT),
        serum_creatinine_mg_dl=serum_creatinine_mg_dl(serum_creatinine),
        female=is_female(sex),
    )


def crcl_cockcroft_gault(
    *,
    age=None,
    weight=None,
    sex=None,
    serum_creatinine=None,
    height=None,
    weight_basis="actual",
    creatinine_floor=None,
    allow_outside_range=False,
):
    r"""
    Creatinine clearance by Cockcroft and Gault [1]_.

    .. math::
        CrCl = \frac{(140 - A)\, W}{72\, S_{Cr}} \times
        \begin{cases} 0.85 & \text{women} \\ 1 & \text{men} \end{cases}

    with age A in [years], weight W in [kg], serum creatinine
    :math:`S_{Cr}` in [mg/dL] and CrCl in [mL/min]. The weight is the actual
    weight, as in the paper, unless ``weight_basis`` names another (ideal,
    adjusted, lesser of actual and ideal, lean; see
    :data:`dosecalc.body.WEIGHT_BASES`).

    Parameters
    ----------
    age : numeric or Quantity
        Age; plain numbers in [years]. 18-120 years: an adult formula.
    weight : numeric or Quantity
        Actual body weight; plain numbers in [kg].
    sex : str or array of str
        ``"f"``/``"female"`` or ``"m"``/``"male"``. Required: never defaulted.
    serum_creatinine : str or Quantity
        With its unit, mg/dL or µmol/L (1 mg/dL = 88.4 µmol/L). A bare
        number is an error.
    height : numeric or Quantity, optional
        Height; plain numbers in [cm]. Needed by every weight basis but actual.
    weight_basis : str, default "actual"
        A key of :data:`dosecalc.body.WEIGHT_BASES`.
    creatinine_floor : None, "nccn" or a concentration, optional
        See :func:`creatinine_floor_mg_dl`; :func:`kidney_function` reports
        where it applied.
    allow_outside_range : bool, default False
        Return an estimate above 250 mL/min instead of refusing it.

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
        If a sex or weight basis is unknown.
    ImplausibleInputError
        If age is outside 18-120 years (a child: the message names the
        bedside Schwartz formula), creatinine outside 0.1-20 mg/dL, weight
        implausible, or the estimate above 250 mL/min.

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
    return kidney_function(
        COCKCROFT_GAULT,
        age=age,
        sex=sex,
        serum_creatinine=serum_creatinine,
        weight=weight,
        height=height,
        weight_basis=weight_basis,
        creatinine_floor=creatinine_floor,
        allow_outside_range=allow_outside_range,
    ).clearance


def egfr_ckd_epi_2021(
    *,
    age=None,
    sex=None,
    serum_creatinine=None,
    bsa=None,
    height=None,
    weight=None,
    bsa_method="mosteller",
    creatinine_floor=None,
    allow_outside_range=False,
) -> KidneyFunction:
    r"""
    eGFR by the CKD-EPI 2021 creatinine equation, without race [1]_.

    .. math::
        eGFR = 142 \times \min(S_{Cr}/\kappa, 1)^{\alpha}
        \times \max(S_{Cr}/\kappa, 1)^{-1.200} \times 0.9938^{A}
        \times 1.012\,[\text{women}]

    with :math:`\kappa` 0.7 (women) or 0.9 (men), :math:`\alpha` −0.241
    (women) or −0.302 (men), serum creatinine :math:`S_{Cr}` in [mg/dL]
    (IDMS-standardised), age A in [years] and eGFR in [mL/min/1.73 m²].
    With the patient's BSA it is de-indexed to [mL/min] [2]_:

    .. math:: GFR = eGFR \times BSA / 1.73\ \mathrm{m^2}

    Parameters
    ----------
    age : numeric or Quantity
        Age; plain numbers in [years]. 18-120 years: an adult formula.
    sex : str or array of str
        ``"f"``/``"female"`` or ``"m"``/``"male"``. Required: never defaulted.
    serum_creatinine : str or Quantity
        With its unit, mg/dL or µmol/L. A bare number is an error.
    bsa : numeric or Quantity, optional
        The patient's BSA; plain numbers in [m²]. Without it (or height and
        weight), ``clearance`` is None and only the value per 1.73 m² is given.
    height, weight : numeric or Quantity, optional
        Instead of ``bsa``: the BSA by ``bsa_method`` (default Mosteller);
        plain numbers in [cm] and [kg].
    creatinine_floor : None, "nccn" or a concentration, optional
        See :func:`creatinine_floor_mg_dl`.
    allow_outside_range : bool, default False
        Report an estimate outside (0, 250] instead of refusing it.

    Returns
    -------
    KidneyFunction
        ``egfr_ml_min_173m2`` [mL/min/1.73 m²] and, with a BSA, ``clearance``
        [mL/min].

    Raises
    ------
    MissingInputError, UnitError, UnknownNameError
        For a missing or unitless input or an unknown sex.
    ImplausibleInputError
        If age is outside 18-120 years (a child: the message names the
        bedside Schwartz formula), creatinine outside 0.1-20 mg/dL, the BSA
        implausible, or the estimate outside the physiological range.

    References
    ----------
    .. [1] L. A. Inker et al., "New creatinine- and cystatin C-based
       equations to estimate GFR without race," N. Engl. J. Med., vol. 385,
       no. 19, pp. 1737-1749, 2021, doi:10.1056/NEJMoa2102953.
    .. [2] G. Sandhu et al., "International Consensus Guideline for
       Anticancer Drug Dosing in Kidney Dysfunction (ADDIKD)," eviQ, Cancer
       Institute NSW, 2022.

    Examples
    --------
    A man of 55 years with creatinine 1.2 mg/dL:
    142 × (1.2/0.9)^−1.2 × 0.9938^55 = 71.4 mL/min/1.73 m².

    >>> round(egfr_ckd_epi_2021(age=55, sex="m", serum_creatinine="1.2 mg/dL").egfr_ml_min_173m2, 1)
    71.4
    """
    return kidney_function(
        CKD_EPI_2021,
        age=age,
        sex=sex,
        serum_creatinine=serum_creatinine,
        bsa=bsa,
        height=height,
        weight=weight,
        bsa_method=bsa_method,
        creatinine_floor=creatinine_floor,
        allow_outside_range=allow_outside_range,
    )


def egfr_schwartz_bedside(
    *,
    age=None,
    height=None,
    serum_creatinine=None,
    bsa=None,
    weight=None,
    bsa_method="mosteller",
    creatinine_floor=None,
    allow_outside_range=False,
) -> KidneyFunction:
    r"""
    eGFR of a child by the bedside Schwartz formula [1]_.

    .. math:: eGFR = 0.413 \times H / S_{Cr}

    with height H in [cm], serum creatinine :math:`S_{Cr}` in [mg/dL]
    (enzymatic, IDMS-traceable, as in the CKiD study) and eGFR in
    [mL/min/1.73 m²]. Derived in children of 1-16 years with chronic kidney
    disease; accepted for 1-18 years. The age is required to keep adults out.

    Parameters
    ----------
    age : numeric or Quantity
        Age; plain numbers in [years]. 1-18 years.
    height : numeric or Quantity
        Height; plain numbers in [cm].
    serum_creatinine : str or Quantity
        With its unit, mg/dL or µmol/L. A bare number is an error.
    bsa : numeric or Quantity, optional
        The child's BSA, to de-index to [mL/min]; plain numbers in [m²].
    weight : numeric or Quantity, optional
        Instead of ``bsa``: with the height, the BSA by ``bsa_method``
        (default Mosteller); plain numbers in [kg].
    creatinine_floor : None, "nccn" or a concentration, optional
        See :func:`creatinine_floor_mg_dl`; a value only: the NCCN floor is
        for adults.
    allow_outside_range : bool, default False
        Report an estimate outside (0, 250] instead of refusing it.

    Returns
    -------
    KidneyFunction

    Raises
    ------
    MissingInputError, UnitError
        For a missing or unitless input.
    ImplausibleInputError
        If age is outside 1-18 years (an adult: the message names CKD-EPI
        2021), height or creatinine implausible, or the estimate outside the
        physiological range.

    References
    ----------
    .. [1] G. J. Schwartz et al., "New equations to estimate GFR in children
       with CKD," J. Am. Soc. Nephrol., vol. 20, no. 3, pp. 629-637, 2009,
       doi:10.1681/ASN.2008030287.

    Examples
    --------
    A child of 101 cm with creatinine 0.6 mg/dL: 0.413 × 101 / 0.6.

    >>> round(egfr_schwartz_bedside(age=5, height=101, serum_creatinine="0.6 mg/dL").egfr_ml_min_173m2, 2)
    69.52
    """
    return kidney_function(
        SCHWARTZ_BEDSIDE,
        age=age,
        height=height,
        serum_creatinine=serum_creatinine,
        bsa=bsa,
        weight=weight,
        bsa_method=bsa_method,
        creatinine_floor=creatinine_floor,
        allow_outside_range=allow_outside_range,
    )
