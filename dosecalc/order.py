r"""
One drug's dose order, evaluated by the same steps in the same order for one
patient and for a table of patients.

An :class:`Order` is a dose rule: the drug, the prescribed dose and its basis
(mg/m², mg/kg, flat mg, units/m², units/kg, units, or a carboplatin target
AUC), and the safeguards a pharmacist applies to it. Built once (in code, from
a protocol file, from command-line options), it is evaluated by
:meth:`Order.for_patient` for one patient and by :meth:`Order.for_table` for
a table, through the vectorised engine :func:`dosecalc.cohort.dose_table`,
with the same numbers row by row.

The steps, in this order, each recorded with its value before and after, what
changed and why, and its reference:

1. ``prescribed``: the dose as prescribed.
2. ``modification``: a percentage reduction, or a named dose level of a
   level table (:func:`dosecalc.modify_dose`).
3. ``weight basis``: the weight the BSA and a per-kg dose are computed from
   (actual unless asked: ASCO 2012).
4. ``calculation``: the dose × BSA, × dosing weight, or flat
   (:func:`dosecalc.patient_dose`); for carboplatin the Calvert formula
   (:func:`dosecalc.carboplatin_dose`).
5. ``BSA cap``: :math:`BSA = \min(BSA, BSA_{cap})`.
6. ``max dose``: :math:`D = \min(D, D_{max})`, e.g. vincristine 2 mg.
7. ``rounding`` (to a step or to whole vials, within a tolerance) or
   ``band`` (the standard dose of a band table).

.. math::
    D = \operatorname{round}\Big(\min\big(D' \cdot \min(BSA, BSA_{cap}),\ D_{max}\big)\Big),
    \qquad D' = D_{prescribed}\,(1 - r/100)

(per kg: :math:`D' \cdot W`, W the weight basis's; flat: :math:`D'`; carboplatin:
:math:`AUC \times (\min(GFR, 125) + 25)` [3]_). Weight-based doses use the actual weight
unless a weight basis is asked for [1]_; the BSA is Mosteller's unless another formula is
asked for [2]_.

References
----------
.. [1] J. J. Griggs et al., "Appropriate chemotherapy dosing for obese adult patients with
   cancer: American Society of Clinical Oncology clinical practice guideline," J. Clin.
   Oncol., vol. 30, no. 13, pp. 1553-1561, 2012, doi:10.1200/JCO.2011.39.9436.
.. [2] R. D. Mosteller, "Simplified calculation of body-surface area," N. Engl. J. Med.,
   vol. 317, no. 17, p. 1098, 1987, doi:10.1056/NEJM198710223171717.
.. [3] A. H. Calvert et al., "Carboplatin dosage: prospective evaluation of a simple formula
   based on renal function," J. Clin. Oncol., vol. 7, no. 11, pp. 1748-1756, 1989,
   doi:10.1200/JCO.1989.7.11.1748.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ._version import __version__
from .adjustments import (
    REDUCTION,
    TOLERANCE,
    BandTable,
    LevelTable,
    band_dose,
    cap_dose,
    cap_expected,
    cap_takes_too_much,
    level_table,
    modify_dose,
    read_band_table,
    read_level_table,
    refuse_caps_taking_too_much,
    round_dose,
    strengths_mg_of,
)
from .body import WEIGHT_BASES, weight_basis_key
from .bsa import BSA_METHODS, bsa_magnitude, bsa_method
from .carboplatin import (
    CALVERT_1989,
    CARBOPLATIN_POLICIES,
    GFR,
    calvert_kernel,
    carboplatin_dose,
    checked_auc,
    policy_key,
)
from .doses import BASIS_LABELS, FLAT, MASS_BASES, UNIT_BASES, amount_unit, read_dose
from .errors import (
    DoseCalcError,
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownNameError,
)
from .grammar import bare_number, escaped
from .patient import ACTUAL, GIVEN, cap_shown, cap_text, checked_given_bsa, patient_dose
from .renal import RENAL_FORMULAS, SCHWARTZ_BEDSIDE, creatinine_floor_mg_dl, is_per_area, renal_formula_key
from .results import Result, plain
from .units import is_quantity, parse_quantity, quantity
from .validation import BSA, HEIGHT, WEIGHT, checked, checked_flag, checked_scalar

if TYPE_CHECKING:  # Arrow is loaded by the table path only: a lookup does not pay for it
    import pyarrow as pa

__all__ = [
    "MASS_DOSED",
    "REFERENCE_KEYS",
    "UNIT_DOSED",
    "Order",
    "OrderDose",
    "OrderTable",
    "Step",
    "drug_name",
    "refuse_unread_kidney",
]

#: What an order's references may justify, by step.
REFERENCE_KEYS = ("dose", "modification", "weight_basis", "bsa_cap", "max_dose", "rounding")

#: The basis of a carboplatin order: a target AUC.
AUC_BASIS = "mg/mL*min"
#: ``gfr_cap`` left to the carboplatin policy.
POLICY = "policy"

#: Drugs their labels dose in units (USP or international units), never in mg: a dose of
#: one of them in mg is refused (bleomycin was written "10 mg/m²" in 1975, in its old potency measure).
UNIT_DOSED = ("bleomycin", "pegaspargase", "asparaginase", "aldesleukin", "interferon alfa-2b")
#: Drugs their labels dose in mg, whose lifetime limits (:mod:`dosecalc.protocol`) are in mg/m²: a dose of one
#: of them in units is refused (the limit could not count it).
MASS_DOSED = ("doxorubicin", "epirubicin", "daunorubicin")

# Brand and trivial names a lifetime limit or a protocol would miss: the generic name is asked for.
_GENERIC = {
    "adriamycin": "doxorubicin",
    "hydroxydaunorubicin": "doxorubicin",
    "hydroxydaunomycin": "doxorubicin",
    "doxil": "doxorubicin (liposomal doxorubicin is another drug: name it 'liposomal doxorubicin')",
    "ellence": "epirubicin",
    "pharmorubicin": "epirubicin",
    "cerubidine": "daunorubicin",
    "daunomycin": "daunorubicin",
    "rubidomycin": "daunorubicin",
    "blenoxane": "bleomycin",
    "oncovin": "vincristine",
    "velban": "vinblastine",
    "dtic": "dacarbazine",
    "paraplatin": "carboplatin",
    "taxol": "paclitaxel",
    "eloxatin": "oxaliplatin",
    "5-fu": "fluorouracil",
    "5fu": "fluorouracil",
    "folinic acid": "leucovorin",
    "calcium folinate": "leucovorin",
    "revlimid": "lenalidomide",
    "rituxan": "rituximab",
    "mabthera": "rituximab",
    "cytoxan": "cyclophosphamide",
    "endoxan": "cyclophosphamide",
    "decadron": "dexamethasone",
}
# Sponsors' codes of drugs that have an INN, keyed by the INN: IMGN901 is ImmunoGen's code of
# lorvotuzumab mertansine (ImmunoGen press release, 5 June 2011: "IMGN901 (lorvotuzumab mertansine)").
_CODES = {"IMGN901": "lorvotuzumab mertansine"}
_GENERIC_NAME = re.compile(r"[a-z][a-z0-9]*(?:[ -][a-z0-9]+)*")
_CODE_NAME = re.compile(r"[A-Z]+-?[0-9]+[A-Z0-9]*")


def drug_name(name) -> str:
    """
    A drug's name as dosecalc keys it: the generic name in lower-case ASCII
    letters, digits, single spaces and hyphens ("doxorubicin"), or a code name
    in capitals and digits as written ("ABC123"). A sponsor's code of a drug
    with an INN is read as the INN: "IMGN901" (in any case) is "lorvotuzumab
    mertansine".

    Examples
    --------
    >>> drug_name("IMGN901"), drug_name("lorvotuzumab mertansine")
    ('lorvotuzumab mertansine', 'lorvotuzumab mertansine')

    Raises
    ------
    ImplausibleInputError
        If the name is empty, has another character (visible or not), is not
        in lower case, or is a brand or trivial name (the generic name is asked
        for, so that a lifetime limit is never missed for a spelling).
    """
    if not isinstance(name, str) or not name.strip():
        raise ImplausibleInputError("drug", repr(name), "a drug's generic name, such as 'doxorubicin'")
    if name.upper() in _CODES:
        return _CODES[name.upper()]
    if _CODE_NAME.fullmatch(name):
        return name
    if name.strip().lower() in _GENERIC:
        raise ImplausibleInputError("drug", repr(name), "the generic name", f"write {_GENERIC[name.strip().lower()]!r}")
    if not _GENERIC_NAME.fullmatch(name.lower()):
        raise ImplausibleInputError(
            "drug", ascii(name), "a generic name of lower-case ASCII letters, digits, single spaces and hyphens"
        )
    if name != name.lower():
        raise ImplausibleInputError("drug", repr(name), "a generic name in lower case", f"write {name.lower()!r}")
    return name


def _is_policy(value) -> bool:
    return isinstance(value, str) and value == POLICY


def _fmt(value, digits: int = 4) -> str:
    if is_quantity(value):
        return f"{float(value.magnitude):.{digits}g} {value.units:~P}"
    return f"{float(value):.{digits}g}"


def _read_order_dose(dose):
    """The prescribed dose as ``(Quantity, basis)``: a dose per administration, or a target AUC."""
    try:
        amount, basis = read_dose(dose, allowed=MASS_BASES + UNIT_BASES)
        return quantity(amount, basis), basis
    except UnitError as dose_error:
        try:
            value = parse_quantity(dose, "dose", kind="auc") if isinstance(dose, str) else dose
        except UnitError as auc_error:
            # an AUC written so ("AUC 5") or its units mistyped (mg/mL and min): the AUC's error says how to write it
            text = dose.lower() if isinstance(dose, str) else ""
            if "auc" in text or all(part in text for part in ("mg", "ml", "min")):
                raise UnitError(
                    "dose",
                    auc_error.value,
                    "a target AUC in mg/mL × min, such as '5 mg/mL*min' or '5 mg·min/mL' "
                    "('mg/mL/min', as some templates write it, reads as a rate per minute)",
                ) from None
            raise dose_error from None
        if not is_quantity(value) or not value.check("[mass] * [time] / [length] ** 3"):
            raise dose_error from None
        return quantity(checked_auc(value, "dose"), AUC_BASIS), AUC_BASIS


def _references(references) -> tuple[tuple[str, str], ...]:
    if references is None:
        return ()
    if isinstance(references, str):
        references = {"dose": references}
    if isinstance(references, Mapping):
        pairs = list(references.items())
    else:
        pairs = [tuple(pair) for pair in references]
    out = []
    for key, text in pairs:
        if key not in REFERENCE_KEYS:
            raise UnknownNameError("references", key, REFERENCE_KEYS)
        if not isinstance(text, str) or not text.strip():
            raise ImplausibleInputError(f"references.{key}", repr(text), "a citation as text")
        out.append((key, text.strip()))
    return tuple(out)


@dataclass(frozen=True)
class Step(Result):
    """
    One step of an order's evaluation.

    Attributes
    ----------
    name : str
        ``"prescribed"``, ``"modification"``, ``"weight basis"``,
        ``"calculation"``, ``"BSA cap"``, ``"max dose"``, ``"rounding"`` or
        ``"band"``.
    before, after : Quantity or None
        The value before and after the step (a dose, or for ``weight basis``
        the weight); ``before`` is None for ``prescribed``.
    change : str
        What changed and why, or why nothing did ("not applied: …").
    reference : str or None
        What justifies the step: the order's reference for it, else the
        formula's.
    applied : bool
        Whether the step changed the value.
    """

    name: str
    before: Any
    after: Any
    change: str
    reference: str | None = None
    applied: bool = True


@dataclass(frozen=True)
class OrderDose(Result):
    """
    An order evaluated for one patient.

    Attributes
    ----------
    drug : str
    dose : Quantity
        The dose to give, after every step. [mg or units]
    calculated : Quantity
        The dose before rounding or banding (after the caps).
    steps : tuple of Step
        Every step in order, with its values and reasons.
    modification : ModifiedDose or None
    patient : PatientDose or CarboplatinDose
        The calculation step's result (with the caps for a PatientDose).
    rounding : RoundedDose or None
    band : BandedDose or None
    capped : bool
        Whether a cap lowered the dose: the BSA cap, the maximum dose, or
        carboplatin's GFR cap.
    order : Order
    version : str
    """

    drug: str | None
    dose: Any
    calculated: Any
    steps: tuple
    modification: Any
    patient: Any
    rounding: Any
    band: Any
    capped: bool
    order: Any
    version: str = __version__

    @property
    def rounded(self) -> bool:
        """Whether a rounding or a band changed the calculated dose."""
        return any(step.applied for step in self.steps if step.name in ("rounding", "band"))

    @property
    def bsa_uncapped(self):
        """The patient's BSA before any cap (a carboplatin dose's, which de-indexed its GFR, has none); None if the
        order computed none."""
        bsa = getattr(self.patient, "bsa", None)
        uncapped = getattr(self.patient, "bsa_uncapped", None)
        return bsa if uncapped is None else uncapped

    @property
    def limit_bsa(self):
        """
        The BSA this dose's mg are counted per m² by against a lifetime limit: the smaller of the order's own
        (before any cap) and the body's, on its actual weight. An order on the ideal weight of a light patient
        computes a larger BSA than the body's, under which the body's exposure per m² would be undercounted;
        sources count a cumulative dose by either, so the one that never undercounts is taken.
        """
        own, patient = self.bsa_uncapped, self.patient
        if own is None or getattr(patient, "weight_basis", ACTUAL) == ACTUAL or patient.height is None:
            return own
        method = patient.bsa_method if patient.bsa_method in BSA_METHODS else "mosteller"
        if BSA_METHODS[method].needs_sex:  # the sex it read is not kept: Mosteller's, as a given BSA is checked
            method = "mosteller"
        body = quantity(bsa_magnitude(method, patient.height.m_as("cm"), patient.weight.m_as("kg")), "m**2")
        return body if body < own else own


def refuse_unread_kidney(orders, without: str, **kidney) -> None:
    """
    Age, creatinine and GFR are read by a carboplatin AUC order alone: given to orders of which none is one
    (a protocol, a single order), they are refused, never ignored (they were given for a reason no order
    serves). ``without`` says so of the orders: "R-CHOP-21 has no carboplatin AUC order".

    Raises
    ------
    ImplausibleInputError
        Naming the first such input.
    """
    if any(order.is_auc for order in orders):
        return
    for name, value in kidney.items():
        if value is not None:
            shown = escaped(value) if isinstance(value, str) else str(value)
            raise ImplausibleInputError(name, shown, f"no {name}: {without}, and only one reads it")


class OrderTable(NamedTuple):
    """
    An order evaluated for a table: :func:`dosecalc.cohort.dose_table`'s dosed
    and rejected rows, the dosed rows with ``drug`` and the dose to give after
    every step, ``final_dose_mg`` (``final_dose_units`` for a dose in units),
    last. Frames of the caller's kind (Arrow for Arrow or a dict of arrays;
    pandas with the input's index labels on their rows).
    """

    dosed: Any
    rejects: Any


@dataclass(frozen=True)
class Order:
    """
    One drug's dose order.

    Parameters
    ----------
    drug : str or None
        The generic name, lower case ("doxorubicin"); see :func:`drug_name`.
        None for a dose of no named drug (a protocol names each).
    dose : str or Quantity
        The dose per administration: mg/m², mg/kg, mg, units/m², units/kg,
        units; or, for carboplatin, a target AUC ("5 mg/mL*min").
    reduction_pct : numeric or Quantity, optional
        A reduction of the prescribed dose (20 for −20 %, at most 90 %).
    level : str or int, optional
        A named dose level of ``levels`` ("-1"); one of ``reduction_pct`` and
        ``level``.
    levels : LevelTable, mapping or path, optional
        The level table; required with ``level``.
    weight_basis : str, default "actual"
        The weight the BSA and a per-kg dose are computed from (see
        :data:`dosecalc.WEIGHT_BASES`).
    bsa_cap : numeric, str or Quantity, optional
        Cap on the BSA; plain numbers in [m²].
    max_dose : str or Quantity, optional
        Maximum absolute dose per administration ("2 mg" for vincristine).
    round_to : str or Quantity, optional
        Round to a multiple of this ("5 mg").
    vials : str, sequence or Quantity, optional
        Round to whole vials or tablets of these strengths ("100 mg, 50 mg").
    bands : BandTable, str or path, optional
        Map the dose to its band's standard dose. One of ``round_to``,
        ``vials`` and ``bands``.
    tolerance_pct : numeric or Quantity, optional
        The largest rounding difference accepted, default 5 %, at most 10 %;
        only with ``round_to`` or ``vials``.
    references : str or mapping, optional
        The citations that justify the order, keyed by what they justify
        (:data:`REFERENCE_KEYS`: ``dose``, ``modification``, ``weight_basis``,
        ``bsa_cap``, ``max_dose``, ``rounding``); a string cites the dose.
    policy : str, optional
        A carboplatin AUC order's GFR policy, a key of
        :data:`dosecalc.CARBOPLATIN_POLICIES`: ``"fda"`` (the default;
        Cockcroft-Gault, GFR capped at 125 mL/min) or ``"addikd"`` (CKD-EPI
        2021 de-indexed by the BSA, not capped).
    formula : str, optional
        A carboplatin order's GFR estimate instead of the policy's:
        ``"cockcroft-gault"`` or ``"ckd-epi-2021"``. For a carboplatin order,
        ``weight_basis`` is Cockcroft-Gault's weight.
    creatinine_floor : None, "nccn" or a concentration, optional
        The creatinine floor of every estimate (none by default; ``"nccn"``,
        0.7 mg/dL): see :func:`dosecalc.renal.creatinine_floor_mg_dl`.
    gfr_cap : "policy", None or a GFR, default "policy"
        A carboplatin order's cap on the GFR: the policy's, none (None or
        ``"none"``), or one given ("125 mL/min"; plain numbers in [mL/min]).
    allow_outside_range : bool, default False
        Report an estimate or GFR above 250 mL/min instead of refusing it
        (then capped, where there is a cap).

    Every value is read and checked when the order is built: a bad unit, a
    level the table lacks or two roundings are refused at once, not at the
    first patient.

    Raises
    ------
    UnitError, ImplausibleInputError, MissingInputError, UnknownNameError,
    DoseCalcError
        As the library functions of each step raise them.

    Examples
    --------
    Vincristine 1.4 mg/m² capped at 2 mg (R-CHOP, Coiffier et al. 2002) for a
    BSA of 1.9 m²: 1.4 × 1.9 = 2.66 mg, capped at 2 mg.

    >>> order = Order("vincristine", "1.4 mg/m^2", max_dose="2 mg")
    >>> float(order.for_patient(bsa=1.9).dose.m_as("mg"))
    2.0
    """

    drug: str | None
    dose: Any
    reduction_pct: Any = None
    level: Any = None
    levels: Any = None
    weight_basis: str = ACTUAL
    bsa_cap: Any = None
    max_dose: Any = None
    round_to: Any = None
    vials: Any = None
    bands: Any = None
    tolerance_pct: Any = None
    references: Any = ()
    policy: Any = None
    formula: Any = None
    creatinine_floor: Any = None
    gfr_cap: Any = POLICY
    allow_outside_range: bool = False
    modification: Any = field(init=False, repr=False, compare=False)
    basis: str = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        if self.drug is not None:  # an unnamed drug: the command line's `dose`
            put("drug", drug_name(self.drug))
        dose, basis = _read_order_dose(self.dose)
        put("dose", dose)
        put("basis", basis)
        if self.reduction_pct is not None and self.level is not None:
            raise DoseCalcError("give reduction_pct or level, one of them")
        if self.reduction_pct is not None:
            put("reduction_pct", checked_scalar(self.reduction_pct, REDUCTION))
        if self.level is not None:
            if self.levels is None:
                raise MissingInputError("levels", f"dose level {self.level!r}")
            if not isinstance(self.levels, LevelTable):
                put(
                    "levels",
                    read_level_table(self.levels)
                    if isinstance(self.levels, (str, os.PathLike))
                    else level_table(self.levels),
                )
        elif self.levels is not None:
            raise MissingInputError("level", "a level table (which of its levels?)")
        put("weight_basis", weight_basis_key(self.weight_basis))
        if self.bsa_cap is not None:
            put("bsa_cap", quantity(checked_scalar(self.bsa_cap, BSA, "bsa_cap"), BSA.unit))
            if basis != AUC_BASIS and not basis.endswith("/m**2"):  # capped, a BSA would change no dose
                raise ImplausibleInputError(
                    "bsa_cap",
                    f"{self.bsa_cap:~P}",
                    f"no BSA cap for a dose in {BASIS_LABELS[basis]}: it caps a dose per m²",
                )
        drug_unit = self.amount_unit
        if self.max_dose is not None:
            put("max_dose", self._flat(self.max_dose, "max_dose"))
        measures = [name for name in ("round_to", "vials", "bands") if getattr(self, name) is not None]
        if len(measures) > 1:
            raise DoseCalcError(f"give one of round_to, vials and bands, not {' and '.join(measures)}")
        if self.round_to is not None:
            if drug_unit != FLAT:
                raise UnitError(
                    "round_to", self.round_to, f"a dose in mg: rounding is to mg, this dose is in {drug_unit}"
                )
            put("round_to", self._flat(self.round_to, "round_to"))
        if self.vials is not None:
            if drug_unit != FLAT:
                raise UnitError(
                    "vials", self.vials, f"a dose in mg: vial strengths are masses, this dose is in {drug_unit}"
                )
            put("vials", tuple(quantity(strength, FLAT) for strength in strengths_mg_of(self.vials)))
        if self.bands is not None:
            if drug_unit != FLAT:
                raise UnitError(
                    "bands", self.bands, f"a dose in mg: band tables are in mg, this dose is in {drug_unit}"
                )
            if not isinstance(self.bands, BandTable):
                put("bands", read_band_table(self.bands))
        if self.tolerance_pct is not None:
            if self.round_to is None and self.vials is None:
                raise MissingInputError("round_to or vials", "a rounding tolerance")
            put("tolerance_pct", checked_scalar(self.tolerance_pct, TOLERANCE))
        put("references", _references(self.references))
        if self.drug in UNIT_DOSED and drug_unit != "units":
            raise UnitError(
                "dose", _fmt(dose), f"a dose in units: {self.drug} is dosed in units (its label), which are not mg"
            )
        if self.drug in MASS_DOSED and drug_unit == "units":
            raise UnitError(
                "dose", _fmt(dose), f"a dose in mg: {self.drug} is dosed in mg (its label), which are not units"
            )
        if basis == AUC_BASIS:
            if self.drug != "carboplatin":
                whose = "an unnamed drug's" if self.drug is None else f"{self.drug}'s"
                raise UnitError(
                    "dose",
                    _fmt(dose),
                    f"a dose in mg/m², mg/kg or mg: a target AUC (Calvert) is carboplatin's, not {whose}; "
                    "order carboplatin by name",
                )
            if self.bsa_cap is not None:
                raise ImplausibleInputError(
                    "bsa_cap",
                    self.bsa_cap,
                    "none for a carboplatin AUC order: its dose follows the GFR, not the body size",
                )
            for name in ("reduction_pct", "level"):
                if getattr(self, name) is not None:
                    raise ImplausibleInputError(
                        name,
                        getattr(self, name),
                        "none for a carboplatin AUC order: order the reduced target AUC itself "
                        "('4 mg/mL*min' for AUC 5 reduced by 20 %)",
                    )
        self._kidney_settings(put)
        # a level table written for another dose is refused now, not at the first patient
        put("modification", _modified(self))

    def _kidney_settings(self, put) -> None:
        """Read and check the kidney settings: the GFR policy, estimate and cap (carboplatin orders), the
        creatinine floor and the physiological range (every estimate)."""
        checked_flag(self.allow_outside_range, "allow_outside_range")
        floor_mg_dl, floor_policy = creatinine_floor_mg_dl(self.creatinine_floor)
        if floor_policy == "given":
            put("creatinine_floor", quantity(floor_mg_dl, "mg/dL"))
        else:  # no floor, or one by name ("nccn")
            put("creatinine_floor", None if floor_mg_dl is None else floor_policy)
        if not self.is_auc:
            given = {
                "policy": self.policy is not None,
                "formula": self.formula is not None,
                "gfr_cap": not _is_policy(self.gfr_cap),
            }
            for name in (name for name, is_given in given.items() if is_given):
                raise ImplausibleInputError(
                    name,
                    getattr(self, name),
                    "none for an order not by AUC: it is a setting of carboplatin's Calvert dose",
                )
            return
        policy = policy_key("fda" if self.policy is None else self.policy)
        formula = renal_formula_key(self.formula or CARBOPLATIN_POLICIES[policy].gfr_formula)
        if formula == SCHWARTZ_BEDSIDE:
            raise ImplausibleInputError(
                "formula",
                self.formula,
                "an adult estimate (cockcroft-gault or ckd-epi-2021): the Calvert formula was derived in adults",
            )
        if self.weight_basis != ACTUAL and not RENAL_FORMULAS[formula].needs_weight:
            raise ImplausibleInputError(
                "weight_basis", self.weight_basis, f"'actual' for {RENAL_FORMULAS[formula].label}, which uses no weight"
            )
        put("policy", policy)
        put("formula", formula)
        if _is_policy(self.gfr_cap):
            put("gfr_cap", POLICY)
        elif self.gfr_cap is None or (isinstance(self.gfr_cap, str) and self.gfr_cap.strip().lower() == "none"):
            put("gfr_cap", None)
        else:
            cap = _option(self.gfr_cap, "gfr_cap", GFR.unit) if isinstance(self.gfr_cap, str) else self.gfr_cap
            put("gfr_cap", quantity(checked_scalar(cap, GFR, "gfr_cap"), GFR.unit))

    @property
    def gfr_cap_ml_min(self):
        """A carboplatin order's GFR cap for :func:`dosecalc.carboplatin_dose`: "policy", None or [mL/min]."""
        return self.gfr_cap if self.gfr_cap is None or _is_policy(self.gfr_cap) else self.gfr_cap.m_as(GFR.unit)

    def _flat(self, value, field):
        drug_unit = self.amount_unit
        amount = read_dose(value, field, default=drug_unit, allowed=(drug_unit,))[0]
        if np.ndim(amount):  # one per patient would be a column, not an order's setting
            raise ImplausibleInputError(
                field, f"{np.asarray(amount).tolist()} {drug_unit}", f"one value in {drug_unit}"
            )
        return quantity(amount, drug_unit)

    # --- what the order is -----------------------------------------------------

    @property
    def amount_unit(self) -> str:
        """The unit of the absolute dose: "mg" or "units"."""
        return amount_unit(self.basis)

    @property
    def is_auc(self) -> bool:
        """Whether this is a carboplatin order by target AUC."""
        return self.basis == AUC_BASIS

    def reference(self, key: str) -> str | None:
        """The order's citation for ``key`` (a :data:`REFERENCE_KEYS` entry), or None."""
        return dict(self.references).get(key)

    @property
    def prescribed(self):
        """The dose after the modification, in its basis."""
        modification = self.modification
        return self.dose if modification is None else modification.modified

    # --- building ---------------------------------------------------------------

    @classmethod
    def from_options(
        cls,
        drug,
        dose,
        *,
        weight_basis=None,
        bsa_cap=None,
        max_dose=None,
        reduce=None,
        level=None,
        levels=None,
        round_to=None,
        vials=None,
        tolerance=None,
        bands=None,
        policy=None,
        formula=None,
        creatinine_floor=None,
        gfr_cap=None,
        no_gfr_cap=False,
        allow_outside_range=False,
    ) -> Order:
        """
        An order from command-line option texts as typed (None where not
        given): ``--weight-basis``, ``--bsa-cap`` (a bare number in m²),
        ``--max-dose``, ``--reduce`` (a bare number in %), ``--level``,
        ``--levels``, ``--round-to``, ``--vials``, ``--tolerance`` (a bare
        number in %), ``--bands``; and the kidney settings ``--policy``,
        ``--formula``, ``--creatinine-floor``, ``--gfr-cap`` (a bare number in
        mL/min) or ``--no-gfr-cap``, ``--allow-outside-range``. Level and band
        tables may be given read (a LevelTable, a BandTable) or as paths.

        Raises
        ------
        DoseCalcError
            If both ``gfr_cap`` and ``no_gfr_cap`` are given, or as :class:`Order`.
        """
        no_gfr_cap = checked_flag(no_gfr_cap, "no_gfr_cap")
        if gfr_cap is not None and no_gfr_cap:
            raise DoseCalcError(f"--gfr-cap {gfr_cap} and --no-gfr-cap: give one of them")
        return cls(
            drug,
            dose,
            reduction_pct=_option(reduce, "reduction_pct", "percent"),
            level=level,
            levels=levels,
            weight_basis=ACTUAL if weight_basis is None else weight_basis,
            bsa_cap=_option(bsa_cap, "bsa_cap", BSA.unit),
            max_dose=max_dose,
            round_to=round_to,
            vials=vials,
            bands=bands,
            tolerance_pct=_option(tolerance, "tolerance_pct", "percent"),
            policy=policy,
            formula=formula,
            creatinine_floor=creatinine_floor,
            gfr_cap=None if no_gfr_cap else POLICY if gfr_cap is None else _option(gfr_cap, "gfr_cap", GFR.unit),
            allow_outside_range=allow_outside_range,
        )

    @classmethod
    def from_entry(cls, entry: Mapping, source: str = "order") -> Order:
        """
        An order from a protocol file's ``[[order]]`` table (keys as the
        parameters of :class:`Order`; a protocol's own keys, such as
        ``days``, are the caller's). See :mod:`dosecalc.protocol`.
        """
        keys = ORDER_KEYS
        unknown = [key for key in entry if key not in keys]
        if unknown:
            raise UnknownNameError(f"{source} key", unknown[0], keys)
        if "drug" not in entry or "dose" not in entry:
            raise MissingInputError(f"{source} {'drug' if 'drug' not in entry else 'dose'}", "an order")
        values = {key: entry[key] for key in keys if key in entry}
        for key, value in values.items():
            if key == "allow_outside_range":
                if not isinstance(value, bool):
                    raise ImplausibleInputError(f"{source} {key}", repr(value), "true or false")
                continue
            if isinstance(value, bool) or (
                key not in ("level", "references", "vials") and isinstance(value, (list, dict))
            ):
                raise ImplausibleInputError(f"{source} {key}", repr(value), "text with a unit, such as '2 mg'")
            # a file's amount is text with its unit: a bare 700 could be mg or units, and is never given one
            amounts = value if key == "vials" and isinstance(value, list) else [value]
            if key in _AMOUNT_KEYS and any(isinstance(amount, (int, float)) for amount in amounts):
                raise UnitError(
                    f"{source} {key}", repr(value), "text with a unit, such as '2 mg' (a unit is never guessed)"
                )
        return cls(**values)

    def to_dict(self) -> dict:
        """Plain data for JSON: each value as read, references by key."""
        return {
            "drug": self.drug,
            "dose": plain(self.dose),
            "basis": self.basis,
            "reduction_pct": self.reduction_pct,
            "level": None if self.level is None else str(self.level),
            "levels": None if self.levels is None else self.levels.source,
            "weight_basis": self.weight_basis,
            "bsa_cap": plain(self.bsa_cap),
            "max_dose": plain(self.max_dose),
            "round_to": plain(self.round_to),
            "vials": None if self.vials is None else [plain(strength) for strength in self.vials],
            "bands": None if self.bands is None else self.bands.source,
            "tolerance_pct": self.tolerance_pct,
            "references": dict(self.references),
            "policy": self.policy,
            "formula": self.formula,
            "creatinine_floor": plain(self.creatinine_floor),
            "gfr_cap": plain(self.gfr_cap),
            "allow_outside_range": self.allow_outside_range,
        }

    # --- evaluating -------------------------------------------------------------

    def for_patient(
        self,
        *,
        height=None,
        weight=None,
        bsa=None,
        sex=None,
        age=None,
        creatinine=None,
        gfr=None,
        method="mosteller",
    ) -> OrderDose:
        """
        Evaluate the order for one patient, step by step.

        Parameters
        ----------
        height, weight : numeric, str or Quantity, optional
            Plain numbers in [cm] and [kg].
        bsa : numeric, str or Quantity, optional
            A given BSA [m²], instead of the formula.
        sex : str, optional
            For sex-specific BSA formulas, weight bases and Cockcroft-Gault.
        age, creatinine, gfr : optional
            For a carboplatin AUC order: the GFR given (plain numbers in
            [mL/min]; per 1.73 m² with bsa, or height and weight), or age
            [years], sex and serum creatinine for the order's estimate
            (Cockcroft-Gault with the weight, and the height for a weight
            basis; CKD-EPI 2021 with bsa, or height and weight). Ignored by
            other orders.
        method : str, default "mosteller"
            The BSA formula (see :data:`dosecalc.BSA_METHODS`).

        Returns
        -------
        OrderDose
            The dose to give, the calculated dose and every step.

        Raises
        ------
        MissingInputError
            If an input the order needs is missing.
        ImplausibleInputError
            If an input is implausible, or the dose cannot be rounded within
            the tolerance or lies outside the band table; such an error has
            ``step`` ``"rounding"`` or ``"band"``.
        """
        patient = {
            "height": height,
            "weight": weight,
            "bsa": bsa,
            "sex": sex,
            "age": age,
            "creatinine": creatinine,
            "gfr": gfr,
        }
        for name, value in patient.items():
            if not isinstance(value, str) and np.ndim(getattr(value, "magnitude", value)) > 0:
                raise ImplausibleInputError(
                    name, repr(value), "one patient's value; a table of patients goes to for_table"
                )
        method = bsa_method(method)  # an unknown BSA formula is refused, also by an order that may not use it
        steps = [Step("prescribed", None, self.dose, "as prescribed", self.reference("dose"))]
        modification = self.modification
        if modification is not None:
            steps.append(modification_step(self, modification))
        if self.is_auc:
            patient, calculated, capped = self._carboplatin(
                steps,
                height=height,
                weight=weight,
                bsa=bsa,
                sex=sex,
                age=age,
                creatinine=creatinine,
                gfr=gfr,
                method=method,
            )
        else:
            patient = patient_dose(
                self.prescribed,
                height=height,
                weight=weight,
                bsa=bsa,
                method=method,
                sex=sex,
                weight_basis=self.weight_basis,
                bsa_cap=self.bsa_cap,
                max_dose=self.max_dose,
            )
            steps.extend(_calculation_steps(self, patient))
            calculated = patient.dose
            capped = bool(patient.bsa_cap_applied) or bool(patient.max_dose_applied)
        if modification is not None and capped:
            _refuse_reduced_and_capped(self, modification, patient, calculated)
        rounding = band = None
        dose = calculated
        if self.round_to is not None or self.vials is not None:
            tolerance = {} if self.tolerance_pct is None else {"tolerance_pct": self.tolerance_pct}
            with _in_step("rounding"):
                rounding = round_dose(
                    calculated, step=self.round_to, strengths=self.vials, ceiling=_ceiling(self, patient), **tolerance
                )
            dose = rounding.rounded
            steps.append(_rounding_step(self, rounding))
        elif self.bands is not None:
            with _in_step("band"):
                band = band_dose(calculated, self.bands, ceiling=_ceiling(self, patient))
            dose = band.banded
            steps.append(
                Step(
                    "band",
                    calculated,
                    dose,
                    f"band {band.band} of {band.table} ({_fmt(band.band_lower)} to {_fmt(band.band_upper)}): "
                    f"{float(band.deviation_pct):+.2f} %",
                    self.reference("rounding"),
                    bool(band.banded != band.calculated),
                )
            )
        return OrderDose(self.drug, dose, calculated, tuple(steps), modification, patient, rounding, band, capped, self)

    def _carboplatin(self, steps, *, height, weight, bsa, sex, age, creatinine, gfr, method):
        if gfr is not None and creatinine is not None:
            raise DoseCalcError(
                "give gfr or creatinine for carboplatin, not both: which is the patient's kidney function?"
            )
        result = carboplatin_dose(
            auc=self.prescribed,
            policy=self.policy,
            gfr_formula=self.formula,
            gfr_cap=self.gfr_cap_ml_min,
            allow_outside_range=self.allow_outside_range,
            bsa_method=method,
            **self._renal_inputs(
                height=height, weight=weight, bsa=bsa, sex=sex, age=age, creatinine=creatinine, gfr=gfr, method=method
            ),
        )
        record = result.kidney_function
        source = "given" if gfr is not None else record.label
        if record.weight_basis not in (None, ACTUAL):
            source += f" on the {record.weight_basis} weight, {_fmt(record.dosing_weight)}"
        change = (
            f"Calvert: AUC {_fmt(self.prescribed)} × (GFR {_fmt(result.gfr)} + 25 mL/min); "
            f"GFR {_fmt(result.gfr_uncapped)} ({source}), policy {result.policy}"
        )
        if result.cap_applied:
            change += f", capped at {_fmt(result.gfr_cap)}"
        if np.any(record.floor_applied):
            change += f", creatinine floor {_fmt(record.creatinine_floor)} applied"
        reference = "; ".join(filter(None, (CALVERT_1989, result.gfr_reference, result.policy_reference)))
        steps.append(Step("calculation", self.prescribed, result.dose, change, self.reference("dose") or reference))
        dose, capped = result.dose, bool(result.cap_applied)
        if self.max_dose is not None:
            cap = cap_dose(dose, self.max_dose)
            steps.append(_max_dose_step(self, dose, cap.capped, bool(cap.applied)))
            dose, capped = cap.capped, capped or bool(cap.applied)
        return result, dose, capped

    def _renal_inputs(self, *, height, weight, bsa, sex, age, creatinine, gfr, method="mosteller") -> dict:
        """What :func:`dosecalc.carboplatin_dose` takes of a patient's inputs: a GFR (with the body that
        de-indexes one per 1.73 m²), or the estimate's inputs, and none that the GFR does not use. A BSA given
        with height and weight is the one used, once checked against them as a dose's is (within 5 %): 2.5 m²
        beside 165 cm and 70 kg (1.79 m²) de-indexed a GFR into a dose 29 % too high."""
        if bsa is not None:
            _checked_given_bsa(bsa, height, weight, sex, method)
        body = {"bsa": bsa} if bsa is not None else {"height": height, "weight": weight}
        if gfr is not None:
            per_area = is_per_area(parse_quantity(gfr, "gfr", kind="gfr") if isinstance(gfr, str) else gfr)
            return {"gfr": gfr, **(body if per_area else {})}
        inputs = {"age": age, "sex": sex, "serum_creatinine": creatinine, "creatinine_floor": self.creatinine_floor}
        if not RENAL_FORMULAS[self.formula].needs_weight:
            return {**inputs, **body}
        if WEIGHT_BASES[self.weight_basis].height_range is not None:
            inputs["height"] = height
        return {**inputs, "weight": weight, "weight_basis": self.weight_basis}

    def for_table(
        self,
        table,
        *,
        method="mosteller",
        column_map=None,
        column_units=None,
        row_offset=0,
        kidney_function=None,
        **engine_options,
    ) -> OrderTable:
        """
        Evaluate the order for every row of a table by the vectorised engine.

        Parameters
        ----------
        table : pyarrow.Table, pandas or polars DataFrame, or dict of arrays
            One row per patient, columns named with their units
            (``height_cm``, ``weight_kg``, ``sex``), as
            :func:`dosecalc.cohort.dose_table` reads them; no dose column:
            the order gives the dose. A carboplatin AUC order reads the
            kidney columns of :mod:`dosecalc.renal_table`: ``gfr_ml_min``
            (measured; ``gfr_ml_min_1_73m2`` per 1.73 m², with height and
            weight for the BSA), or ``age_years``, ``sex``, ``creatinine_mg_dl`` or
            ``creatinine_umol_l`` and the weight (Cockcroft-Gault) or height
            and weight (CKD-EPI 2021, de-indexed by the BSA of ``method``).
        method, column_map, column_units, row_offset
            As for :func:`dosecalc.cohort.dose_table`; ``column_map`` and
            ``column_units`` also take ``age``, ``creatinine`` and ``gfr``.
        kidney_function : str, optional
            ``"cockcroft-gault"``, ``"ckd-epi-2021"`` or
            ``"schwartz-bedside"``: add the estimate's columns
            (:func:`dosecalc.renal_table.estimate_columns`) to the dosed rows,
            with the order's creatinine floor and range setting (and, for a
            carboplatin order, its Cockcroft-Gault weight basis for
            Cockcroft-Gault; else the actual weight), and reject the rows whose
            estimate cannot be made.
        **engine_options
            ``decimal_comma`` and ``numeric_inputs``, as for
            :func:`dosecalc.cohort.dose_batch`.

        Returns
        -------
        OrderTable
            Frames of the caller's kind, as :func:`dosecalc.cohort.dose_table`
            returns them (Arrow for Arrow or a dict of arrays; pandas with the
            input's index labels on their rows, so that an assignment aligns
            by patient). ``dosed``: the engine's dosed rows and columns
            (``row``, the 1-based input row, among them), then ``drug`` and
            ``final_dose_mg`` (``final_dose_units`` for a dose in units), the
            dose to give after every step, equal to :meth:`for_patient`'s
            ``dose`` row by row. A carboplatin order's dosed rows have the
            estimate's columns, then ``auc_mg_ml_min``,
            ``carboplatin_policy``, ``gfr_source``, ``gfr_uncapped_ml_min``,
            ``calvert_gfr_ml_min`` (after the cap), ``gfr_capped``,
            ``bsa_m2`` (the BSA that de-indexed an eGFR, else null),
            ``dose_mg`` (the Calvert dose after any maximum dose), then the
            columns of its maximum dose and rounding or band as the engine
            names them. ``rejects``: the rejected rows with ``row`` and
            ``reason``.

        Raises
        ------
        DoseCalcError
            As :func:`dosecalc.cohort.dose_table` and
            :func:`dosecalc.renal_table.kidney_rows`; for an engine option
            other than ``decimal_comma`` and ``numeric_inputs``, or a
            ``row_offset`` that is not a whole number, 0 or more.
        """
        import pyarrow as pa

        from .cohort import checked_row_offset, column_source, dose_table
        from .frames import refuse_written_columns
        from .renal_table import KIDNEY_INPUTS, kidney_rows, with_estimate

        unknown = [name for name in engine_options if name not in ENGINE_OPTIONS]
        if unknown:
            raise DoseCalcError(
                f"for_table: {unknown[0]!r} is no engine option (expected {' or '.join(ENGINE_OPTIONS)}); "
                "the order holds the safeguards"
            )
        row_offset = checked_row_offset(row_offset)
        method = bsa_method(method)  # an unknown BSA formula is refused, also by an order that may not use it
        frame = _frame(table)
        arrow = frame.table
        written = (("drug",) if self.drug is not None else ()) + (f"final_dose_{self.amount_unit}",)
        refuse_written_columns(arrow.column_names, written)
        decimal_comma = checked_flag(engine_options.get("decimal_comma", False), "decimal_comma")
        numeric = checked_flag(engine_options.get("numeric_inputs", False), "numeric_inputs")
        kidney = {
            "column_map": column_map,
            "column_units": column_units,
            "bsa_method": method,
            "creatinine_floor": self.creatinine_floor,
            "allow_outside_range": self.allow_outside_range,
            "decimal_comma": decimal_comma,
        }
        if self.is_auc:
            dose_column = column_source("dose", arrow.column_names, {}, {})
            if dose_column is not None:  # which dose is the patient's: the order's AUC or the row's?
                raise DoseCalcError(
                    f"a dose was given and the input has a dose column {dose_column.column!r}; give one"
                )
            dosed, rejects = self._carboplatin_table(arrow, method, row_offset, kidney, numeric)
        else:
            options = {
                "weight_basis": self.weight_basis,
                "bsa_cap": self.bsa_cap,
                "max_dose": self.max_dose,
                "round_to": self.round_to,
                "vials": self.vials,
                "bands": self.bands,
                "tolerance_pct": self.tolerance_pct,
            }
            # the kidney columns are the estimate's (or, in a protocol, another order's): the engine reads the body
            engine_map, engine_units = (
                {k: v for k, v in (given or {}).items() if k not in KIDNEY_INPUTS}
                for given in (column_map, column_units)
            )
            unread = [v for k, v in (column_map or {}).items() if k in KIDNEY_INPUTS and v not in arrow.column_names]
            if unread:
                raise UnknownNameError("column_map", unread[0], arrow.column_names)
            dosed, rejects = dose_table(
                arrow,
                dose=self.prescribed,
                method=method,
                column_map=engine_map,
                column_units=engine_units,
                row_offset=row_offset,
                **engine_options,
                **{name: value for name, value in options.items() if value is not None},
            )
        if kidney_function is not None:
            # a carboplatin order's weight basis is Cockcroft-Gault's: an estimate without a weight has none
            by_weight = self.is_auc and RENAL_FORMULAS[renal_formula_key(kidney_function)].needs_weight
            rows = kidney_rows(
                arrow, kidney_function, weight_basis=self.weight_basis if by_weight else ACTUAL, **kidney
            )
            dosed, rejects = with_estimate(arrow, dosed, rejects, rows, row_offset, numeric)
        amount = self.amount_unit
        final = (
            "dose_rounded_mg"
            if self.round_to is not None or self.vials is not None
            else "dose_banded_mg"
            if self.bands is not None
            else f"dose_{amount}"
        )
        dosed, rejects = self._refuse_caps_taking_too_much(arrow, dosed, rejects, row_offset)
        if self.drug is not None:  # an unnamed order (the command line's dose) has no drug to name
            n = dosed.num_rows
            drug = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int8)), pa.array([self.drug], pa.string()))
            dosed = dosed.append_column("drug", drug)
        dosed = dosed.append_column(f"final_dose_{amount}", dosed[final])
        return OrderTable(*(frame.like(part, _positions(frame, part, row_offset)) for part in (dosed, rejects)))

    def _refuse_caps_taking_too_much(self, table, dosed, rejects, row_offset: int):
        """
        The dosed rows whose modification and caps together leave less of the full dose than a reduction may
        (as :meth:`for_patient` refuses them), moved to the rejects with the reason, the input's cells as given.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        amount = self.amount_unit
        uncapped_name = f"dose_uncapped_{amount}"
        if uncapped_name not in dosed.column_names or dosed.num_rows == 0:
            return dosed, rejects
        share = 1.0 if self.modification is None else float(np.asarray(self.modification.percent_of_original)) / 100
        full = dosed[uncapped_name].to_numpy(zero_copy_only=False) / share
        left = dosed[f"dose_{amount}"].to_numpy(zero_copy_only=False)
        bad = np.asarray(cap_takes_too_much(full, left))
        if not bad.any():
            return dosed, rejects
        numbers = dosed["row"].to_numpy(zero_copy_only=False)[bad]
        caps = cap_text(self.bsa_cap, self.max_dose)
        moved = table.take(pa.array(numbers - 1 - row_offset)).append_column("row", pa.array(numbers, pa.int64()))
        moved = moved.append_column(
            "reason",
            pa.array(
                [
                    f"{caps}: expected {cap_expected(before, after, amount, modified=share != 1.0)}"
                    for before, after in zip(full[bad].tolist(), left[bad].tolist())
                ],
                pa.string(),
            ),
        )
        together = pa.concat_tables([rejects, moved.cast(rejects.schema)])
        rejects = together.take(pc.sort_indices(together["row"]))
        return dosed.filter(pa.array(~bad)), rejects

    def _carboplatin_table(self, table: pa.Table, method: str, row_offset: int, kidney: dict, numeric: bool):
        """A carboplatin order's dosed and rejected rows: the GFR, Calvert, the maximum dose and the rounding
        or band, by the steps of :meth:`for_patient`."""
        import pyarrow as pa

        from .adjustments import cap_kernel
        from .cohort import measure_of, reject_rows
        from .frames import refuse_written_columns
        from .renal_table import carboplatin_rows, estimate_arrays, with_numeric_inputs

        auc = float(checked_auc(self.prescribed, "dose"))
        estimate = {} if not RENAL_FORMULAS[self.formula].needs_weight else {"weight_basis": self.weight_basis}
        rows, columns = carboplatin_rows(
            table, auc, policy=self.policy, formula=self.formula, gfr_cap=self.gfr_cap_ml_min, **kidney, **estimate
        )
        dosed = table.filter(pa.array(rows.ok))
        if numeric:
            dosed = with_numeric_inputs(dosed, rows.read, rows.ok)
        written = {**estimate_arrays(rows), **columns}
        dose_mg = columns["dose_mg"].to_numpy()
        ceiling_mg = np.inf if self.max_dose is None else self.max_dose.m_as("mg")
        if self.max_dose is not None:
            capped_mg, applied = cap_kernel(dose_mg, ceiling_mg)
            written.update(
                dose_mg=pa.array(capped_mg, pa.float64()),
                dose_uncapped_mg=pa.array(dose_mg, pa.float64()),
                dose_capped=pa.array(np.broadcast_to(applied, dose_mg.shape)),
            )
            dose_mg = capped_mg
        if self.policy_cap_ml_min is not None:  # rounding never passes the cap's maximum, AUC × (cap + 25)
            ceiling_mg = min(ceiling_mg, calvert_kernel(auc, self.policy_cap_ml_min))
        measure = measure_of(self, ceiling_mg)
        positions = np.flatnonzero(rows.ok)
        failed, reasons = np.flatnonzero(~rows.ok), rows.reasons
        if measure is not None:
            measured = measure.apply(dose_mg)
            written.update(measured.columns)
            written = {name: column.filter(pa.array(measured.fits)) for name, column in written.items()}
            dosed = dosed.filter(pa.array(measured.fits))
            failed = np.concatenate([failed, positions[~measured.fits]])
            reasons = pa.chunked_array([reasons, measured.reasons], pa.string()).combine_chunks()
            positions = positions[measured.fits]
            order = np.argsort(failed, kind="stable")
            failed, reasons = failed[order], reasons.take(pa.array(order))
        refuse_written_columns(table.column_names, (*written, "row", "reason"))
        dosed = dosed.append_column("row", pa.array(positions + 1 + row_offset, pa.int64()))
        for name, column in written.items():
            dosed = dosed.append_column(name, column)
        return dosed, reject_rows(table, failed, reasons, row_offset)

    @property
    def policy_cap_ml_min(self) -> float | None:
        """A carboplatin order's GFR cap [mL/min] as it applies (the policy's, or one given); None for none."""
        if _is_policy(self.gfr_cap):
            return CARBOPLATIN_POLICIES[self.policy].gfr_cap_ml_min
        return None if self.gfr_cap is None else self.gfr_cap.m_as(GFR.unit)


@contextlib.contextmanager
def _in_step(name: str):
    """Mark an error raised by a step with the step's name (``err.step``), for callers that name its option."""
    try:
        yield
    except DoseCalcError as err:
        setattr(err, "step", name)  # noqa: B010 (an attribute of this error only, not of its class)
        raise


def _ceiling(order: Order, patient):
    """What rounding never exceeds: the maximum dose and, for carboplatin, AUC × (GFR cap + 25)."""
    ceilings = (
        []
        if order.max_dose is None
        else [order.max_dose.m_as("mg") if order.amount_unit == FLAT else order.max_dose.magnitude]
    )
    if order.is_auc and getattr(patient, "gfr_cap", None) is not None:
        ceilings.append(calvert_kernel(order.prescribed.m_as(AUC_BASIS), patient.gfr_cap.m_as("mL/min")))
    return None if not ceilings else quantity(min(ceilings), order.amount_unit)


def _modified(order: Order):
    """The ModifiedDose of an order's reduction or level; None without one."""
    if order.reduction_pct is not None:
        return modify_dose(order.dose, reduction_pct=order.reduction_pct)
    if order.level is not None:
        return modify_dose(order.dose, level=order.level, levels=order.levels)
    return None


#: The options :meth:`Order.for_table` passes to the engine: the order holds every safeguard.
ENGINE_OPTIONS = ("decimal_comma", "numeric_inputs")

#: The keys of an ``[[order]]`` table that :meth:`Order.from_entry` reads.
ORDER_KEYS = (
    "drug",
    "dose",
    "reduction_pct",
    "level",
    "levels",
    "weight_basis",
    "bsa_cap",
    "max_dose",
    "round_to",
    "vials",
    "bands",
    "tolerance_pct",
    "references",
    "policy",
    "formula",
    "creatinine_floor",
    "gfr_cap",
    "allow_outside_range",
)


#: The keys of an ``[[order]]`` table whose values are amounts with a unit, as the protocol schema says.
_AMOUNT_KEYS = ("dose", "max_dose", "round_to", "vials", "creatinine_floor")


def _frame(table):
    """The table as an Arrow :class:`~dosecalc.frames.Frame`, which hands results back in the caller's kind of frame
    with the labels of their rows (a pandas index, never a column of it)."""
    from .frames import read_frame

    try:
        return read_frame(table)
    except TypeError as err:
        raise DoseCalcError(
            f"table: {err}; give a pyarrow Table, a pandas or polars DataFrame or a dict of columns"
        ) from None


def _positions(frame, part: pa.Table, row_offset: int) -> np.ndarray | None:
    """The input positions of a result's rows, from its 1-based ``row``, for a frame with an index to label them
    (None for one without: nothing to label)."""
    return None if frame.index is None else np.asarray(part["row"].to_numpy(), np.int64) - 1 - row_offset


def _option(text, field: str, base: str):
    """An option's text: a bare number in the option's documented unit ``base``, else a quantity read by the
    grammar for ``field``; None stays None."""
    if text is None:
        return None
    number = bare_number(text)
    return parse_quantity(text, field) if number is None else quantity(number, base)


# --- the steps, described --------------------------------------------------------


def modification_step(order: Order, modification) -> Step:
    """The step of an order's modification: its reduction or level, and what justifies it."""
    if modification.method == "reduction":
        change = f"reduced by {modification.reduction_pct:g} %"
        reference = order.reference("modification")
    else:
        change = f"level {modification.level} of {modification.level_table}: {float(modification.percent_of_original):.4g} % of the full dose"
        reference = order.reference("modification") or modification.level_table
    return Step("modification", modification.original, modification.modified, change, reference)


def _calculation_steps(order: Order, result) -> list[Step]:
    steps = []
    if result.weight_basis != ACTUAL:
        entry = WEIGHT_BASES[result.weight_basis]
        steps.append(
            Step(
                "weight basis",
                result.weight,
                result.dosing_weight,
                f"{entry.label} instead of the actual weight",
                order.reference("weight_basis") or entry.reference,
            )
        )
    bsa_before = result.bsa if result.bsa_uncapped is None else result.bsa_uncapped
    if result.basis.endswith("/m**2"):
        method = "given" if result.bsa_method == GIVEN else BSA_METHODS[result.bsa_method].label
        how = f"{_fmt(result.prescribed)} × BSA {float(bsa_before.m_as('m**2')):.4g} m² ({method})"
        reference = None if result.bsa_method == GIVEN else BSA_METHODS[result.bsa_method].reference
    elif result.basis.endswith("/kg"):
        how = f"{_fmt(result.prescribed)} × {_fmt(result.dosing_weight)} ({result.weight_basis} weight)"
        reference = WEIGHT_BASES[result.weight_basis].reference
    else:
        how, reference = f"flat dose, as {'prescribed' if order.modification is None else 'modified'}", None
    uncapped = result.dose if result.dose_uncapped is None else result.dose_uncapped
    steps.append(Step("calculation", result.prescribed, uncapped, how, order.reference("dose") or reference))
    at_capped_bsa = uncapped
    if result.bsa_cap is not None:
        applied = bool(result.bsa_cap_applied)
        at_capped_bsa = (
            quantity(result.prescribed.magnitude * result.bsa.m_as("m**2"), amount_unit(result.basis))
            if applied
            else uncapped
        )
        bsa_text = f"BSA {float(result.bsa_uncapped.m_as('m**2')):.4g} m²"
        change = (
            f"{bsa_text} capped at {_fmt(result.bsa_cap)}"
            if applied
            else f"not applied: {bsa_text} is within the cap {_fmt(result.bsa_cap)}"
        )
        steps.append(Step("BSA cap", uncapped, at_capped_bsa, change, order.reference("bsa_cap"), applied))
    if result.max_dose is not None:
        steps.append(_max_dose_step(order, at_capped_bsa, result.dose, bool(result.max_dose_applied)))
    return steps


def _refuse_reduced_and_capped(order: Order, modification, patient, capped) -> None:
    """Refuse a modification and caps that together leave less of the full dose than a reduction may alone
    (:data:`~dosecalc.adjustments.CAP_KEEPS_PCT`): 100 mg reduced by 90 % and capped at 1 mg is 1 % of it."""
    uncapped = getattr(patient, "dose_uncapped", None) or patient.dose  # a carboplatin dose before its maximum
    share = float(np.asarray(modification.percent_of_original)) / 100.0
    unit_text = order.amount_unit
    field, cap = ("max_dose", order.max_dose) if order.max_dose is not None else ("bsa_cap", order.bsa_cap)
    full, left = float(uncapped.m_as(unit_text)) / share, float(capped.m_as(unit_text))
    refuse_caps_taking_too_much(full, left, unit_text, field, cap_shown(cap), modified=True)


def _checked_given_bsa(bsa, height, weight, sex, method: str) -> None:
    """A BSA given beside height and weight, or one of them, as :func:`dosecalc.patient_dose` checks it."""
    height_cm = None if height is None else checked(height, HEIGHT)
    weight_kg = None if weight is None else checked(weight, WEIGHT)
    checked_given_bsa(checked(bsa, BSA), height_cm, weight_kg, sex, method)


def _max_dose_step(order: Order, before, after, applied: bool) -> Step:
    change = (
        f"capped at the maximum dose, {_fmt(order.max_dose)}"
        if applied
        else f"not applied: within the maximum dose, {_fmt(order.max_dose)}"
    )
    return Step("max dose", before, after, change, order.reference("max_dose"), applied)


def _rounding_step(order: Order, rounding) -> Step:
    if rounding.method == "step":
        measure = f"a multiple of {_fmt(rounding.step)}"
    else:
        measure = " + ".join(
            f"{count} × {_fmt(strength)}" for count, strength in zip(rounding.counts, rounding.strengths) if count
        )
    change = f"rounded to {measure}: {float(rounding.difference_pct):+.2f} %, within ±{rounding.tolerance_pct:g} %"
    applied = bool(rounding.rounded != rounding.calculated)
    return Step("rounding", rounding.calculated, rounding.rounded, change, order.reference("rounding"), applied)
