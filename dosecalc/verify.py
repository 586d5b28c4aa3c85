r"""
Verification of ordered doses: each recomputed independently from the
patient's current measurements and compared with what was ordered.

:func:`verify` checks one patient's orders against a protocol or one order;
:mod:`dosecalc.verify_table` a day's orders by the vectorised engine, with
the same rules (the kernels below, on magnitudes). Independent verification
of every dose before it is prepared is what the ASCO/ONS standards ask [1]_.

An ordered dose :math:`D_o` is compared with the dose dosecalc computes
independently from the patient's current measurements, :math:`D_c`, in the
same unit:

.. math:: \Delta = 100\,\frac{D_o - D_c}{D_c} \quad [\%]

and is *within tolerance* when :math:`|\Delta| \le \tau`, *too high* when
:math:`\Delta > \tau`, *too low* when :math:`\Delta < -\tau`. An order
above its order's maximum (the maximum dose; for carboplatin under a GFR cap,
AUC × (cap + 25)) is *too high* within the tolerance or not: vincristine
2.09 mg is +4.5 % of a dose capped at 2 mg, and above the 2 mg. Beside the
verdict, flags name what a pharmacist must look at: a weight changed since
the baseline, a cap or a rounding that explains a difference, a lifetime
limit reached, a dose on a day the protocol does not give that drug.

Every default is a named setting with its source (:data:`TOLERANCE` [2]_
[3]_, :data:`WEIGHT_CHANGE` [4]_); none is silent.

References
----------
.. [1] M. N. Neuss et al., "2016 Updated American Society of Clinical
   Oncology/Oncology Nursing Society Chemotherapy Administration Safety
   Standards, Including Standards for Pediatric Oncology," J. Oncol. Pract.,
   vol. 12, no. 12, pp. 1262-1271, 2016, doi:10.1200/JOP.2016.017905; also
   Oncol. Nurs. Forum, vol. 44, no. 1, pp. 31-43, 2017,
   doi:10.1188/17.ONF.31-43. Updated by R. D. Siegel et al., JCO Oncol.
   Pract., 2024, doi:10.1200/OP.24.00216.
.. [2] R. Fahrenbruch, P. Kintzel, A. M. Bott, S. Gilmore and R. Markham,
   "Dose Rounding of Biologic and Cytotoxic Anticancer Agents: A Position
   Statement of the Hematology/Oncology Pharmacy Association," J. Oncol.
   Pract., vol. 14, no. 3, pp. e130-e136, 2018 (HOPA, 2017),
   doi:10.1200/JOP.2017.025411.
.. [3] NHS England, "Standard dose banding of chemotherapy"; NICE, "Key
   therapeutic topic KTT22: dose banding": bands within 6 % of the
   calculated dose.
.. [4] Clinical Oncology Society of Australia, Cancer Council Australia
   Cancer Guidelines Wiki, "How is dosage of cancer therapy calculated for
   adults?": recalculation when weight varies by more than 10 % is common
   practice, without evidence that it should be done.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import protocol as protocol_library  # its LIFETIME_LIMITS are built on first use (units)
from ._version import __version__
from .adjustments import TOLERANCE as _TOLERANCE_RANGE
from .adjustments import above_ceiling_kernel, difference_pct
from .carboplatin import CALVERT_1989, CARBOPLATIN_POLICIES, calvert_kernel, checked_auc
from .doses import MASS_BASES, UNIT_BASES, read_dose
from .errors import ImplausibleInputError, MissingInputError, UnitError, UnknownDrugError, UnknownNameError, as_typed
from .order import AUC_BASIS, POLICY, Order, drug_name, refuse_unread_kidney
from .protocol import STANDARD, Protocol, refuse_near_a_limited_drug
from .results import Result, plain, scalar_or_array
from .units import is_quantity, parse_quantity, quantity, unit
from .validation import WEIGHT, Range, check_body, checked, checked_body, checked_scalar

__all__ = [
    "ASCO_ONS_2016",
    "FLAGS",
    "NOT_VERIFIABLE",
    "OUTSIDE",
    "SINGLE_DOSE",
    "TOLERANCE",
    "VERDICTS",
    "WEIGHT_CHANGE",
    "DrugCheck",
    "Flag",
    "PriorExposure",
    "Setting",
    "Verification",
    "above_maximum_kernel",
    "explains_kernel",
    "lifetime_kernel",
    "to_limit_kernel",
    "tolerance_setting",
    "verdict_codes",
    "verdict_kernel",
    "verify",
    "weight_change_kernel",
    "weight_change_setting",
]

ASCO_ONS_2016 = (
    "Neuss MN et al. 2016 Updated ASCO/ONS Chemotherapy Administration Safety Standards, Including "
    "Standards for Pediatric Oncology. J Oncol Pract 2016;12:1262-71. doi:10.1200/JOP.2016.017905; "
    "Oncol Nurs Forum 2017;44:31-43. doi:10.1188/17.ONF.31-43"
)
HOPA_2017 = (
    "Fahrenbruch R et al. Dose Rounding of Biologic and Cytotoxic Anticancer Agents: A Position Statement "
    "of the Hematology/Oncology Pharmacy Association. J Oncol Pract 2018;14:e130-6. doi:10.1200/JOP.2017.025411"
)
NHS_BANDING = (
    "NHS England standard dose banding; NICE Key therapeutic topic KTT22: bands within 6 % of the calculated dose"
)
COSA_WEIGHT = (
    "Clinical Oncology Society of Australia, Cancer Guidelines Wiki: 'How is dosage of cancer therapy calculated "
    "for adults?': recalculating when weight varies by more than 10 % is common practice (no evidence either way)"
)
PAEDIATRIC_WEIGHT = (
    "Institutional practice in paediatric oncology (e.g. NIH Clinical Center: 10 % in adults, 5 % in children; "
    "APHON Advanced Practice forum, 2022); no guideline sets a threshold"
)


@dataclass(frozen=True)
class Setting(Result):
    """A named value of a verification rule and where it comes from."""

    name: str
    value: float
    unit: str
    source: str


#: The tolerance of a verified dose: ±5 % by default, at most ±10 %. HOPA [2]
#: accepts rounding within 10 % of the ordered dose for routine care (some
#: institutions keep 5 % for curative intent); NHS dose bands stay within 6 %
#: [3]. A difference the rounding policy itself allows must pass verification,
#: so the tolerance is never above HOPA's 10 %.
TOLERANCE = Setting(
    "tolerance_pct",
    5.0,
    "%",
    f"default 5 %, at most 10 %: {HOPA_2017} (within 10 % acceptable; 5 % kept by some for curative intent); "
    f"{NHS_BANDING}",
)

#: Weight-change thresholds from the baseline weight, by population: 10 %
#: for adults (common practice [4]), 5 % commonly for children.
WEIGHT_CHANGE = {
    "adult": Setting("weight_change_pct", 10.0, "%", COSA_WEIGHT),
    "child": Setting("weight_change_pct", 5.0, "%", PAEDIATRIC_WEIGHT),
}

#: A weight change threshold given as a number: above zero, at most 50 %.
_WEIGHT_CHANGE_RANGE = Range("weight_change_pct", "percent", 0.0, 50.0, "%")

#: Each verdict and what it means; the first three are verifiable.
VERDICTS = {
    "within_tolerance": "the ordered dose is within the tolerance of the computed dose",
    "too_high": "the ordered dose is above the computed dose by more than the tolerance, or above the order's maximum",
    "too_low": "the ordered dose is below the computed dose by more than the tolerance",
    "missing_input": "not verifiable: an input the computation needs was not given",
    "not_in_protocol": "not verifiable: the drug is not in the protocol",
    "not_ordered": "not verifiable: the protocol gives this drug on this day and no dose was ordered",
    "not_comparable": "not verifiable: the ordered dose's unit basis cannot be compared with the protocol's",
    "ambiguous": "not verifiable: the protocol has several orders of this drug on this day; name one",
}
OUTSIDE = ("too_high", "too_low")
NOT_VERIFIABLE = ("missing_input", "not_in_protocol", "not_ordered", "not_comparable", "ambiguous")
_CODES = np.array(list(VERDICTS))

#: Each flag and what it asks of the pharmacist.
FLAGS = {
    "weight_change": "the weight changed from the baseline by at least the threshold: recalculate",
    "cap_explains": "the ordered dose matches the dose before the protocol's cap: was the cap left out?",
    "rounding_explains": "the ordered dose matches the dose before the protocol's rounding",
    "lifetime_limit": "the lifetime limit is reached or exceeded with this dose, given the prior exposure",
    "lifetime_unchecked": "the lifetime limit could not be checked: this dose is in mg and the limit per m², and no "
    "BSA is known (give height and weight)",
    "not_scheduled": "the protocol does not give this drug on this cycle and day",
    "duplicate_order": "the drug is ordered more often on this day than the protocol gives it",
}

# a difference within a billionth of a percent of the tolerance is at it (decimal doses in binary floats)
_EPSILON_PCT = 1e-9


def _percent(value, rng: Range, field: str) -> float:
    if isinstance(value, str):
        value = parse_quantity(value, field, kind="percent")
    return checked_scalar(value, rng, field)


def tolerance_setting(tolerance=None) -> Setting:
    """
    The tolerance to verify with: :data:`TOLERANCE` by default, or a value in
    (0, 10] % ("5%", 7.5 or a Quantity in percent) with the same source.

    Raises
    ------
    ImplausibleInputError
        If the tolerance is outside (0, 10] %.
    UnitError
        If a text is not a percentage.
    """
    if tolerance is None:
        return TOLERANCE
    if isinstance(tolerance, Setting):
        return tolerance
    value = _percent(tolerance, _TOLERANCE_RANGE, "tolerance")
    return Setting(
        TOLERANCE.name,
        value,
        "%",
        TOLERANCE.source if value == TOLERANCE.value else f"given ({value:g} %); allowed up to 10 %: {HOPA_2017}",
    )


def weight_change_setting(threshold=None) -> Setting:
    """
    The weight-change threshold: a population name of :data:`WEIGHT_CHANGE`
    (``"adult"``, the default, or ``"child"``), or a value in (0, 50] %.

    Raises
    ------
    UnknownNameError
        If a name is not a population of :data:`WEIGHT_CHANGE`.
    ImplausibleInputError
        If a value is outside (0, 50] %.
    """
    if threshold is None:
        return WEIGHT_CHANGE["adult"]
    if isinstance(threshold, Setting):
        return threshold
    if isinstance(threshold, str) and threshold in WEIGHT_CHANGE:  # a name as typed: " adult\n" is none
        return WEIGHT_CHANGE[threshold]
    if isinstance(threshold, str) and not any(character.isdigit() for character in threshold):
        raise UnknownNameError("weight_change", threshold, (*WEIGHT_CHANGE, "a percentage such as '5%'"))
    value = _percent(threshold, _WEIGHT_CHANGE_RANGE, "weight_change")
    return Setting("weight_change_pct", value, "%", "given")


# --- kernels: magnitudes in, codes and numbers out ------------------------------


def verdict_codes(difference, tolerance_pct: float):
    """The verdict of each difference [%] as its position in :data:`VERDICTS`: 0 within, 1 too high, 2 too low."""
    difference = np.asarray(difference, dtype=float)
    high, low = (difference > tolerance_pct + _EPSILON_PCT, difference < -tolerance_pct - _EPSILON_PCT)
    return high.astype(np.int8) + 2 * low.astype(np.int8)


def verdict_kernel(computed, ordered, tolerance_pct: float):
    """
    ``(difference_pct, verdict)`` of ordered against computed doses in one unit:
    :math:`100 (D_o - D_c) / D_c` and ``"within_tolerance"``, ``"too_high"``
    or ``"too_low"`` (arrays of them for arrays).
    """
    difference = difference_pct(np.asarray(computed, dtype=float), np.asarray(ordered, dtype=float))
    return scalar_or_array(difference), scalar_or_array(_CODES[verdict_codes(difference, tolerance_pct)])


def weight_change_kernel(weight_kg, baseline_kg, threshold_pct: float):
    """``(change_pct, flagged)``: :math:`100 (W - W_0) / W_0` and where :math:`|\\cdot| \\ge` the threshold."""
    weight_kg, baseline_kg = (np.asarray(weight_kg, dtype=float), np.asarray(baseline_kg, dtype=float))
    change = difference_pct(baseline_kg, weight_kg)
    return scalar_or_array(change), scalar_or_array(np.abs(change) >= threshold_pct - _EPSILON_PCT)


def explains_kernel(before, after, ordered, tolerance_pct: float):
    """
    Where a step that changed ``before`` into ``after`` explains the
    difference of an ordered dose: the order is outside the tolerance of
    ``after`` and within it of ``before``.
    """
    before, after, ordered = (np.asarray(value, dtype=float) for value in (before, after, ordered))
    outside = np.abs(difference_pct(after, ordered)) > tolerance_pct + _EPSILON_PCT
    matches = np.abs(difference_pct(before, ordered)) <= tolerance_pct + _EPSILON_PCT
    return scalar_or_array(outside & matches & (before != after))


def above_maximum_kernel(amount, maximum):
    """
    Where an amount is above its maximum (one unit) by more than a relative
    billionth; never where the maximum is NaN (none).
    """
    return scalar_or_array(above_ceiling_kernel(amount, maximum))  # as rounding and bands keep below a maximum


def lifetime_kernel(prior, this_dose, limit):
    """``(total, reached)``: exposure with this dose, and where it reaches the lifetime limit."""
    total = np.asarray(prior, dtype=float) + np.asarray(this_dose, dtype=float)
    return scalar_or_array(total), scalar_or_array(total >= np.asarray(limit, dtype=float) * (1 - 1e-12))


# --- results --------------------------------------------------------------------


@dataclass(frozen=True)
class Flag(Result):
    """
    Something a pharmacist must look at, beside a verdict.

    Attributes
    ----------
    code : str
        A key of :data:`FLAGS`.
    message : str
        What was found, with its numbers.
    values : tuple of (str, value) pairs
        The numbers behind the message (quantities, percentages).
    source : str or None
        The setting's or the limit's source.
    """

    code: str
    message: str
    values: tuple = ()
    source: str | None = None

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "meaning": FLAGS[self.code],
            "message": self.message,
            "values": {name: plain(value) for name, value in self.values},
            "source": self.source,
        }


@dataclass(frozen=True)
class DrugCheck(Result):
    """
    One ordered dose (or one dose the protocol gives and nobody ordered),
    verified.

    Attributes
    ----------
    drug : str
        The protocol's drug; the name as ordered when it is not in the
        protocol.
    verdict : str
        A key of :data:`VERDICTS`.
    ordered : Quantity or None
        The ordered dose as read; None when not ordered.
    ordered_given : str or None
        The ordered dose as typed (text), or its value.
    computed : Quantity or None
        The independently computed dose in the ordered dose's basis: the
        dose to give [mg or units] for an absolute order, the prescribed dose
        after any modification for an order per m² or per kg.
    difference_pct : float or None
        :math:`100 (D_o - D_c) / D_c`. [%]
    flags : tuple of Flag
    reason : str or None
        Why the order could not be verified, or what the verdict means.
    note : str or None
        The protocol order's note (bolus, 46-hour infusion).
    dose : OrderDose or None
        The independent computation, every step with its reference.
    """

    drug: str
    verdict: str
    ordered: Any = None
    ordered_given: Any = None
    computed: Any = None
    difference_pct: float | None = None
    flags: tuple = ()
    reason: str | None = None
    note: str | None = None
    dose: Any = None

    @property
    def ok(self) -> bool:
        """Within tolerance and nothing flagged."""
        return self.verdict == "within_tolerance" and not self.flags

    @property
    def steps(self) -> tuple:
        """The steps of the independent computation (empty without one)."""
        return () if self.dose is None else self.dose.steps

    def to_dict(self) -> dict:
        return {
            "drug": self.drug,
            "note": self.note,
            "verdict": self.verdict,
            "meaning": VERDICTS[self.verdict],
            "ok": self.ok,
            "ordered": None if self.ordered is None else {"given": self.ordered_given, **plain(self.ordered)},
            "computed": plain(self.computed),
            "difference_pct": self.difference_pct,
            "flags": [flag.to_dict() for flag in self.flags],
            "reason": self.reason,
            "computation": None if self.dose is None else self.dose.to_dict(),
        }


@dataclass(frozen=True)
class PriorExposure(Result):
    """
    A drug's exposure before this dose, as given and as counted against its
    lifetime limit: a pharmacist can retrace the total a limit was compared
    with, and the BSA that made an exposure in mg one per m².

    Attributes
    ----------
    drug : str
    given : str or Quantity
        The exposure as typed (text), or its value.
    amount : Quantity
        The exposure as read, in its own basis ("400 mg/m²", "700 mg").
    counted : Quantity or None
        The exposure in the unit of the limit, as the lifetime limit counts
        it; None where no dose of the drug was checked against the limit.
    bsa : Quantity or None
        Today's BSA before any cap (the one the limit check reads), where it
        converted the exposure into the limit's unit (mg to mg/m²); else None.
    limit : LifetimeLimit
        The lowest limit of the drug that applies under the conditions given.
    """

    drug: str
    given: Any
    amount: Any
    limit: Any
    counted: Any = None
    bsa: Any = None


@dataclass(frozen=True)
class Verification(Result):
    """
    Ordered doses verified against an independent computation.

    Attributes
    ----------
    checks : tuple of DrugCheck
        One per ordered dose, then one per dose due and not ordered.
    flags : tuple of Flag
        Flags about the patient rather than one drug (weight change).
    protocol : str or None
        The protocol's name; None for a single order.
    cycle, day : int or None
    tolerance : Setting
    weight_change : Setting
        The weight-change threshold used.
    weight_change_pct : float or None
        :math:`100 (W - W_0) / W_0`, with a baseline weight.
    inputs : tuple of (str, value) pairs
        The patient's inputs as read.
    priors : tuple of PriorExposure
        Each prior exposure given, as given and as counted.
    conditions : tuple of str
        The conditions given, which select lower lifetime limits.
    references : tuple of str
        Why a dose is verified independently (ASCO/ONS standards).
    version : str
    """

    checks: tuple
    flags: tuple
    protocol: str | None
    cycle: int | None
    day: int | None
    tolerance: Setting
    weight_change: Setting
    weight_change_pct: float | None
    inputs: tuple = ()
    priors: tuple = ()
    conditions: tuple = ()
    references: tuple = (ASCO_ONS_2016,)
    version: str = __version__

    @property
    def ok(self) -> bool:
        """Every order within tolerance, every dose due ordered, nothing flagged."""
        return not self.flags and all(check.ok for check in self.checks)

    def __getitem__(self, drug: str) -> DrugCheck:
        for check in self.checks:
            if check.drug == drug:
                return check
        raise UnknownNameError("drug", drug, (check.drug for check in self.checks))

    def summary(self) -> dict[str, int]:
        """The number of checks of each verdict (every verdict, zeros included) and of flagged checks."""
        counts = {verdict: 0 for verdict in VERDICTS}
        for check in self.checks:
            counts[check.verdict] += 1
        counts["flagged"] = sum(bool(check.flags) for check in self.checks) + len(self.flags)
        return counts

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "protocol": self.protocol,
            "cycle": self.cycle,
            "day": self.day,
            "tolerance": self.tolerance.to_dict(),
            "weight_change": {**self.weight_change.to_dict(), "change_pct": self.weight_change_pct},
            "inputs": {name: plain(value) for name, value in self.inputs},
            "priors": [prior.to_dict() for prior in self.priors],
            "conditions": list(self.conditions),
            "checks": [check.to_dict() for check in self.checks],
            "flags": [flag.to_dict() for flag in self.flags],
            "summary": self.summary(),
            "references": list(self.references),
            "version": self.version,
        }


# --- what is verified against ------------------------------------------------------


class _Item(NamedTuple):
    """An order and its schedule: days None for a single order, which has no schedule."""

    order: Order
    days: tuple[int, ...] | None
    times_per_day: int
    note: str | None

    @property
    def drug(self) -> str:
        """The order's drug; ``"dose"`` for an order of an unnamed drug."""
        return self.order.drug or SINGLE_DOSE

    @property
    def label(self) -> str:
        return self.drug if self.note is None else f"{self.drug} ({self.note})"


class _Plan(NamedTuple):
    name: str | None
    items: tuple
    limits: tuple
    cycle_days: int | None
    cycles: int | None


def verification_plan(protocol_or_order, drug: str | None) -> _Plan:
    if isinstance(protocol_or_order, Protocol):
        protocol = protocol_or_order
        items = tuple(_Item(item.order, item.days, item.times_per_day, item.note) for item in protocol.orders)
        return _Plan(protocol.name, items, protocol.limits, protocol.cycle_days, protocol.cycles)
    order = protocol_or_order
    if not isinstance(order, Order):
        if not isinstance(order, str) and not is_quantity(order):
            raise UnitError("protocol_or_order", repr(order), "a Protocol, an Order, or a dose such as '75 mg/m2'")
        order = Order(SINGLE_DOSE if drug is None else drug, order)
    limits = (
        tuple(limit for limit in protocol_library.LIFETIME_LIMITS if limit.drug == order.drug) if order.drug else ()
    )
    if not limits and order.drug:
        refuse_near_a_limited_drug(order.drug)
    return _Plan(None, (_Item(order, None, 1, None),), limits, None, None)


#: Every basis an ordered dose or a prior exposure may be in: mass or drug units, per m², per kg or absolute.
ANY_BASIS = MASS_BASES + UNIT_BASES

#: The name of a single order given as a dose, without a drug.
SINGLE_DOSE = "dose"

_WITH_NOTE = re.compile(r"(?P<drug>[^()]+?)\s*\((?P<note>[^()]+)\)")


def match_drug(name, plan: _Plan, day: int | None) -> tuple[int | None, str | None, str | None]:
    """``(index of the plan's item, verdict, reason)`` for an ordered drug name: an index, or a verdict and why."""
    if not isinstance(name, str):
        return None, "not_in_protocol", f"drug={name!r}: expected a drug's name as text"
    text = name.strip(" \t")  # the spaces and tabs a spreadsheet leaves; any other character stays and is refused
    with_note = _WITH_NOTE.fullmatch(text)
    base, note = (with_note["drug"], with_note["note"].strip()) if with_note else (text, None)
    try:
        key = drug_name(base.lower())
    except ImplausibleInputError as err:
        return None, "not_in_protocol", str(err)
    items = plan.items
    candidates = [index for index, item in enumerate(items) if item.drug.lower() == key]
    if not candidates:
        drugs = sorted({item.drug for item in items})
        close = difflib.get_close_matches(key, [drug.lower() for drug in drugs], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        where = f"the protocol {plan.name}" if plan.name else "the order"
        return (None, "not_in_protocol", f"{name!a} is not in {where} ({', '.join(drugs)}){hint}")
    if note is not None:
        noted = [index for index in candidates if (items[index].note or "").lower() == note.lower()] or [
            index
            for index in candidates
            if re.search(rf"\b{re.escape(note.lower())}\b", (items[index].note or "").lower())
        ]
        if not noted:
            notes = ", ".join(repr(items[index].label) for index in candidates)
            return (None, "not_in_protocol", f"{name!a}: no order of {key} is given so; the protocol has {notes}")
        candidates = noted
    if len(candidates) > 1 and day is not None:
        candidates = [index for index in candidates if day in items[index].days] or candidates
    if len(candidates) > 1:
        labels = " or ".join(repr(items[index].label) for index in candidates)
        return (None, "ambiguous", f"{name!a}: the protocol has {len(candidates)} orders of {key}; name one: {labels}")
    return candidates[0], None, None


# --- one patient ---------------------------------------------------------------------


def _ordered_pairs(ordered, plan: _Plan) -> list[tuple[Any, Any]]:
    """The ordered doses as (drug name, dose) pairs, in the order given."""
    if ordered is None:
        return []
    if isinstance(ordered, Mapping):
        return list(ordered.items())
    if isinstance(ordered, str) or is_quantity(ordered):
        if len(plan.items) > 1:
            raise UnitError(
                "ordered",
                repr(ordered) if isinstance(ordered, str) else f"{ordered:~P}",
                "the ordered dose of each drug: {'doxorubicin': '95 mg', 'vincristine': '2 mg'}",
            )
        return [(plan.items[0].drug, ordered)]
    pairs = []
    for pair in ordered:
        if isinstance(pair, str) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise UnitError("ordered", repr(pair), "(drug, dose) pairs, or a mapping of drug to dose")
        pairs.append(tuple(pair))
    return pairs


def _read_ordered(value, field: str, order: Order):
    """The ordered dose as a Quantity in its basis: a dose per administration, or a carboplatin target AUC."""
    kinds = ("dose", "auc") if order.is_auc else "dose"
    with as_typed({field: value if isinstance(value, str) else None}):  # "92mg/day" refused as typed
        reading = parse_quantity(value, field, kind=kinds) if isinstance(value, str) else value
        if order.is_auc and is_quantity(reading) and reading.check("[mass] * [time] / [length] ** 3"):
            return quantity(checked_auc(reading, field), AUC_BASIS)
        amount, basis = read_dose(reading, field, allowed=ANY_BASIS)
    return quantity(amount, basis)


def _shown(value) -> str:
    return f"{float(value.magnitude):.4g} {value.units:~P}"


def _apart(value: float, other: float) -> str:
    """``value`` to the figures that show it is not ``other``: 2.0001 beside a maximum of 2, never "2"."""
    text = f"{value:.4g}"
    for digits in range(5, 18):
        if float(text) != other or value == other:
            break
        text = f"{value:.{digits}g}"
    return text


class _Evaluated(NamedTuple):
    dose: Any  # OrderDose, or None when an input was missing
    missing: str | None  # why, then


def _evaluate(item: _Item, patient: dict, method: str) -> _Evaluated:
    try:
        return _Evaluated(item.order.for_patient(**patient, method=method), None)
    except MissingInputError as err:
        return _Evaluated(None, str(err))


def _uncapped(dose):
    """The absolute dose before every cap (BSA cap, maximum dose, GFR cap); None where no cap was asked."""
    return getattr(dose.patient, "dose_uncapped", None)


def _step_reference(dose, names) -> str | None:
    return next((step.reference for step in dose.steps if step.name in names and step.applied), None)


def _caps(dose) -> list[str]:
    """The caps that lowered an evaluated order's dose: "BSA cap", "GFR cap", "max dose"."""
    caps = ["GFR cap"] if bool(getattr(dose.patient, "cap_applied", False)) else []
    return caps + [step.name for step in dose.steps if step.applied and step.name in ("BSA cap", "max dose")]


def not_comparable_reason(ordered_units: str, order: Order, label: str) -> str:
    """Why an order in another basis than the protocol's order (mg/kg against mg/m²) is not compared, and the
    bases it may be ordered in: the protocol's and its dose once computed (once where they are one, a flat dose)."""
    basis = f"{order.dose.units:~P}"
    bases = order.amount_unit if basis == order.amount_unit else f"{order.amount_unit} or {basis}"
    computed = "" if basis == order.amount_unit else f" ({order.amount_unit} once computed)"
    return f"ordered in {ordered_units}; the protocol doses {label} in {basis}{computed}: order it in {bases}"


def capped_order_reason(ordered_units: str, caps: list[str], dose: str, amount_unit: str) -> str:
    """
    Why an order in the protocol's own basis (per m², per kg, an AUC) is not
    verified where a cap lowered this patient's dose: the order does not say
    the dose the cap gives, and per m² it may give more (vincristine 1.4 mg/m²
    at 1.85 m² is 2.6 mg, its maximum 2 mg).
    """
    per = "per m²" if "m²" in ordered_units else "per kg" if "/kg" in ordered_units else "as an AUC"
    return (
        f"ordered in {ordered_units}; the {', '.join(caps)} makes this patient's dose {dose}, which an order "
        f"{per} does not say: order it in {amount_unit}"
    )


class Maximum(NamedTuple):
    """The highest dose an order allows and what sets it."""

    amount: float  # in the order's amount unit, mg or units
    named: str  # "the maximum dose of 2 mg (its source)"


def maximum_of(order: Order) -> Maximum | None:
    """
    The highest dose an order allows, whatever the patient: its maximum dose
    and, for a carboplatin AUC under a GFR cap, the Calvert dose at the cap,
    AUC × (cap + 25) (FDA 2010: at most 5 × 150 = 750 mg for AUC 5); the
    lower of them, None without either. An order above it is too high, within
    the tolerance of the computed dose or not.
    """
    maxima = []
    if order.max_dose is not None:
        amount = float(order.max_dose.magnitude)  # in the order's amount unit, as the order reads it
        source = order.reference("max_dose") or "the order's max_dose, given without a source"
        maxima.append(Maximum(amount, f"the maximum dose of {amount:g} {order.amount_unit} ({source})"))
    cap = order.policy_cap_ml_min if order.is_auc else None
    if cap is not None:
        auc = float(order.prescribed.m_as(AUC_BASIS))
        source = (
            CARBOPLATIN_POLICIES[order.policy].reference
            if isinstance(order.gfr_cap, str) and order.gfr_cap == POLICY
            else f"the order's gfr_cap; {CALVERT_1989}"
        )
        amount = float(calvert_kernel(auc, cap))
        maxima.append(
            Maximum(
                amount,
                f"the maximum the GFR cap of {cap:g} mL/min gives, AUC {auc:g} mg/mL·min × ({cap:g} + 25) mL/min "
                f"= {amount:.4g} mg ({source})",
            )
        )
    return min(maxima, key=lambda maximum: maximum.amount) if maxima else None


def above_maximum_reason(maximum: Maximum, for_patient: str | None = None) -> str:
    """
    What an ordered dose above its order's maximum is: "above the maximum
    dose of 2 mg (…)"; an order per m², per kg or as an AUC with the amount it
    gives this patient (``for_patient``, "2.013 mg") first.
    """
    return ("" if for_patient is None else f"{for_patient} for this patient, ") + f"above {maximum.named}"


def _explained(dose, ordered_mg: float, computed_mg: float, tolerance_pct: float, unit_: str) -> list[Flag]:
    flags = []
    uncapped = _uncapped(dose)
    if uncapped is not None and dose.capped:
        before = uncapped.m_as(unit_)
        if explains_kernel(before, computed_mg, ordered_mg, tolerance_pct):
            flags.append(
                Flag(
                    "cap_explains",
                    f"the ordered {ordered_mg:.4g} {unit_} is within {tolerance_pct:g} % of the dose before the cap, "
                    f"{before:.4g} {unit_}; the protocol's dose after the cap is {computed_mg:.4g} {unit_}",
                    (("before_cap", quantity(before, unit_)), ("after_cap", dose.calculated)),
                    _step_reference(dose, ("BSA cap", "max dose")),
                )
            )
    if dose.rounded:
        before = dose.calculated.m_as(unit_)
        if explains_kernel(before, computed_mg, ordered_mg, tolerance_pct):
            flags.append(
                Flag(
                    "rounding_explains",
                    f"the ordered {ordered_mg:.4g} {unit_} is within {tolerance_pct:g} % of the dose before rounding, "
                    f"{before:.4g} {unit_}; the protocol rounds it to {computed_mg:.4g} {unit_}",
                    (("before_rounding", dose.calculated), ("rounded", dose.dose)),
                    _step_reference(dose, ("rounding", "band")),
                )
            )
    return flags


def limit_of(plan: _Plan, drug: str, conditions: tuple):
    limits = [limit for limit in plan.limits if limit.drug == drug and limit.condition in (STANDARD, *conditions)]
    # in one unit: a protocol's limits are of the kind of the label's (dosecalc.protocol refuses others)
    return min(limits, key=lambda limit: limit.amount.m_as(limits[0].amount.units)) if limits else None


def to_limit_kernel(values, units: str, limit, bsa_m2):
    """
    Amounts in ``units`` in the unit of ``limit`` (a Quantity): as they are,
    divided by the BSA [m²] (an absolute dose against a limit per m²) or
    multiplied by it; NaN where neither converts (or no BSA is known: NaN).
    """
    one, area = quantity(1.0, units), quantity(1.0, "m**2")
    for candidate, by_bsa in ((one, 1.0), (one / area, 1.0 / np.asarray(bsa_m2, dtype=float)), (one * area, bsa_m2)):
        if candidate.dimensionality == limit.dimensionality:
            return np.asarray(values, dtype=float) * candidate.m_as(limit.units) * by_bsa
    return np.full(np.shape(values), np.nan)


def _in_unit_of(value, target, bsa):
    """``value`` in the unit of ``target``, or None if it cannot be converted (by the patient's BSA, if known)."""
    converted = to_limit_kernel(value.magnitude, f"{value.units}", target, np.nan if bsa is None else bsa.m_as("m**2"))
    return None if np.isnan(converted) else float(converted)


def _prior_quantity(value, field: str):
    """A prior exposure as a Quantity in its basis: a dose, or none at all (0 mg/m²)."""
    with as_typed({field: value if isinstance(value, str) else None}):
        reading = parse_quantity(value, field, kind="dose") if isinstance(value, str) else value
        if is_quantity(reading) and reading.magnitude == 0:
            return quantity(0.0, read_dose(quantity(1.0, f"{reading.units}"), field, allowed=ANY_BASIS)[1])
        return quantity(*read_dose(reading, field, allowed=ANY_BASIS))


def _lifetime_flag(limit, prior, this_dose, bsa, drug: str) -> tuple[Flag | None, float]:
    """``(flag, prior)``: the flag where this dose with the prior exposure (a Quantity; None: none) reaches the
    limit, None where not; and the prior in the limit's unit, as the limit counted it."""
    prior = quantity(0.0, f"{limit.amount.units}") if prior is None else prior
    prior_value = _in_unit_of(prior, limit.amount, bsa)
    if prior_value is None:
        raise UnitError(
            f"prior {drug}",
            _shown(prior),
            f"an exposure in {limit.amount.units:~P}, as the lifetime limit"
            + ("" if bsa is not None else " (a BSA would convert mg to mg/m²: give height and weight)"),
        )
    this_value = _in_unit_of(this_dose, limit.amount, bsa)
    if this_value is None:  # never "ok" unchecked: 100 mg after 549 mg/m² may reach 550 mg/m²
        message = (
            f"this dose, {_shown(this_dose)}, cannot be counted against the lifetime limit of "
            f"{limit.amount.magnitude:g} {limit.amount.units:~P} without a BSA: give height and weight"
        )
        return Flag("lifetime_unchecked", message, (("limit", limit.amount),), limit.source), prior_value
    unit_ = f"{limit.amount.units:~P}"
    total, reached = lifetime_kernel(prior_value, this_value, limit.amount.magnitude)
    if not reached:
        return None, prior_value
    already = prior_value >= limit.amount.magnitude
    message = (
        f"the prior exposure, {prior_value:.4g} {unit_}, already reaches the lifetime limit of {limit.amount.magnitude:g} {unit_}"
        if already
        else f"{prior_value:.4g} {unit_} before and {this_value:.4g} {unit_} now make {total:.4g} {unit_}, "
        f"reaching the lifetime limit of {limit.amount.magnitude:g} {unit_} ({limit.condition})"
    )
    values = (
        ("prior", quantity(prior_value, unit_)),
        ("this_dose", quantity(this_value, unit_)),
        ("total", quantity(total, unit_)),
        ("limit", limit.amount),
    )
    return Flag("lifetime_limit", message, values, limit.source), prior_value


def schedule_flag(item: _Item, plan: _Plan, cycle: int | None, day: int | None) -> Flag | None:
    """A cycle past the protocol's, with a day or without one; else a day its order does not give the drug."""
    if cycle is not None and plan.cycles is not None and cycle > plan.cycles:
        return Flag("not_scheduled", f"cycle {cycle} of a protocol of {plan.cycles} cycles", (("cycle", cycle),))
    if item.days is None or day is None:
        return None
    if day not in item.days:
        days = ", ".join(str(d) for d in item.days)
        return Flag(
            "not_scheduled", f"{item.label} is given on day {days} of the cycle, not on day {day}", (("day", day),)
        )
    return None


#: The highest cycle read: 9 digits, as the command line's (beyond any count of cycles; 10**30 is a slip).
MAX_CYCLE = 999_999_999


def _whole_number(value, field: str, high: int | None = None) -> int | None:
    if value is None:
        return None
    text = str(value).strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.isascii() and text.isdigit():
        text = int(text)
    if (
        isinstance(text, bool)
        or not isinstance(text, (int, np.integer))
        or text < 1
        or (high is not None and text > high)
    ):
        expected = "a whole number ≥ 1" if high is None else f"a whole number, 1-{high:,}"
        raise ImplausibleInputError(field, repr(value), expected)
    return int(text)


def verify(
    protocol_or_order,
    ordered=None,
    *,
    cycle=None,
    day=None,
    baseline_weight=None,
    prior=None,
    conditions=(),
    tolerance=None,
    weight_change=None,
    drug=None,
    method="mosteller",
    **patient,
) -> Verification:
    r"""
    Verify ordered doses against doses computed independently from the
    patient's current measurements.

    Each ordered dose is compared with the dose dosecalc computes by the
    protocol's order (every step: modification, weight basis, calculation,
    caps, rounding), in the ordered dose's basis. An order in the protocol's
    own basis (per m², per kg, an AUC) is checked for a patient whose dose
    it gives: without the patient's measurements it is ``"missing_input"``,
    and where a cap (the BSA cap, the maximum dose, carboplatin's GFR cap)
    lowers this patient's dose it is ``"not_comparable"`` (vincristine
    1.4 mg/m² at 1.85 m² is 2.6 mg, above its 2 mg maximum: order it in mg):

    .. math:: \Delta = 100\,\frac{D_o - D_c}{D_c}, \qquad
        \text{within tolerance} \iff |\Delta| \le \tau

    An order above the order's maximum (:func:`maximum_of`: the maximum
    dose, and for carboplatin under a GFR cap AUC × (cap + 25), FDA 2010) is
    ``"too_high"`` whether or not it is within the tolerance; one in the
    order's own basis by the amount it gives this patient.

    Independent verification of every dose, from the patient's current
    height and weight, before it is prepared is what the ASCO/ONS
    chemotherapy administration safety standards ask [1]_.

    Parameters
    ----------
    protocol_or_order : Protocol, Order, str or Quantity
        What the doses were ordered by: a protocol, one order, or a dose
        ("75 mg/m2") for a single unnamed order (its check is named ``drug``,
        or ``"dose"``).
    ordered : mapping, sequence of pairs, str or Quantity
        The ordered doses by drug, ``{"doxorubicin": "95 mg", "vincristine":
        "2 mg"}`` (or ``[("doxorubicin", "95 mg"), …]``, where a drug may
        repeat); for one order, the dose alone. An ordered dose is absolute
        (mg, units) and compared with the dose to give, or in the order's own
        basis (mg/m², mg/kg, a carboplatin AUC) and compared with the
        prescribed dose after any modification; another basis is
        ``"not_comparable"``. A protocol with two orders of one drug on a day
        (fluorouracil bolus and infusion) takes ``"fluorouracil (bolus)"``.
    cycle, day : int, optional
        The cycle and the day of the cycle the doses are for. A cycle past
        the protocol's cycles is flagged ``not_scheduled``, with a day or
        without one. With ``day``, a drug ordered on a day the protocol does
        not give it is flagged ``not_scheduled``, and each dose the protocol
        gives that day and nobody ordered is a ``"not_ordered"`` check;
        without it neither is looked for.
    baseline_weight : numeric, str or Quantity, optional
        The weight the treatment was planned with; plain numbers in [kg]. A
        change from it of at least the threshold flags ``weight_change``.
        With the height, it must describe a body, as the current weight must.
    prior : mapping of str to str or Quantity, optional
        Exposure before this dose, per drug (``{"doxorubicin": "300 mg/m2"}``,
        or absolute with a BSA to convert it), for the lifetime limits; each
        kept in ``Verification.priors`` as given and as counted. A prior of a
        drug without a lifetime limit (idarubicin, vincristine) is refused:
        it would be checked against nothing.
    conditions : iterable of str
        Conditions that select a lower lifetime limit
        (``"mediastinal-radiotherapy"``).
    tolerance : str, numeric or Quantity, optional
        The tolerance, (0, 10] %; default 5 % (:data:`TOLERANCE`: HOPA [2]_
        accepts rounding within 10 %; NHS dose bands stay within 6 % [3]_).
    weight_change : str, numeric or Quantity, optional
        The weight-change threshold: ``"adult"`` (10 %, the default) or
        ``"child"`` (5 %) of :data:`WEIGHT_CHANGE` [4]_, or a percentage.
    drug : str, optional
        The drug's name for a single order given as a dose.
    method : str, default "mosteller"
        The BSA formula.
    **patient
        ``height``, ``weight``, ``bsa``, ``sex``, ``age``, ``creatinine``,
        ``gfr``, as :meth:`dosecalc.order.Order.for_patient` takes them.

    Returns
    -------
    Verification
        ``ok``, one :class:`DrugCheck` per ordered dose (then per dose due
        and not ordered), the flags, the settings with their sources;
        ``to_dict()`` has every number.

    Raises
    ------
    DoseCalcError
        For bad input: an implausible measurement (a baseline weight that
        with the height describes no body), an ordered dose or a prior
        outside the grammar, a prior that is no mapping of drug to exposure,
        a tolerance above 10 %, a day outside the cycle, a prior for a drug
        the protocol lacks or one without a lifetime limit. A missing input
        makes a check ``"missing_input"`` instead.

    References
    ----------
    .. [1] M. N. Neuss et al., "2016 Updated American Society of Clinical
       Oncology/Oncology Nursing Society Chemotherapy Administration Safety
       Standards, Including Standards for Pediatric Oncology," J. Oncol.
       Pract., vol. 12, no. 12, pp. 1262-1271, 2016,
       doi:10.1200/JOP.2016.017905; Oncol. Nurs. Forum, vol. 44, no. 1,
       pp. 31-43, 2017, doi:10.1188/17.ONF.31-43.
    .. [2] R. Fahrenbruch et al., "Dose Rounding of Biologic and Cytotoxic
       Anticancer Agents: A Position Statement of the Hematology/Oncology
       Pharmacy Association," J. Oncol. Pract., vol. 14, no. 3,
       pp. e130-e136, 2018, doi:10.1200/JOP.2017.025411.
    .. [3] NICE, "Key therapeutic topic KTT22: dose banding of
       chemotherapy"; NHS England standard dose bands, within 6 % of the
       calculated dose.
    .. [4] Clinical Oncology Society of Australia, Cancer Guidelines Wiki,
       "How is dosage of cancer therapy calculated for adults?" (10 %, as
       common practice); 5 % in children as institutional practice.

    Examples
    --------
    R-CHOP-21 for a 175 cm, 80 kg patient (Mosteller BSA 1.972 m²):
    doxorubicin 50 mg/m² is 98.6 mg; 95 mg is −3.7 %, within 5 %.
    Vincristine 1.4 mg/m² is 2.76 mg, capped at 2 mg: 2.76 mg is too high.

    >>> from dosecalc.protocol import load_protocol
    >>> result = verify(load_protocol("r-chop-21"), {"doxorubicin": "95 mg", "vincristine": "2.76 mg"},
    ...                 height="175 cm", weight="80 kg")
    >>> result["doxorubicin"].verdict, round(result["doxorubicin"].difference_pct, 1)
    ('within_tolerance', -3.7)
    >>> result["vincristine"].verdict, [flag.code for flag in result["vincristine"].flags]
    ('too_high', ['cap_explains'])
    """
    plan = verification_plan(protocol_or_order, drug)
    tolerance = tolerance_setting(tolerance)
    threshold = weight_change_setting(weight_change)
    cycle = _whole_number(cycle, "cycle", MAX_CYCLE)
    day = _whole_number(day, "day", plan.cycle_days)
    conditions = known_conditions(plan, conditions)
    pairs = _ordered_pairs(ordered, plan)
    priors = _checked_priors(plan, prior, conditions)

    kidney = {name: patient.get(name) for name in ("age", "creatinine", "gfr")}
    without = f"{plan.name} has no carboplatin AUC order" if plan.name else "the order is no carboplatin AUC"
    refuse_unread_kidney((item.order for item in plan.items), without, **kidney)
    body = None
    if patient.get("height") is not None and patient.get("weight") is not None:  # whatever the orders read
        body = checked_body(patient["height"], patient["weight"])
    patient_flags, change = [], None
    if baseline_weight is not None:
        if patient.get("weight") is None:
            raise MissingInputError("weight", "the weight change from baseline_weight")
        now, then = (checked(patient["weight"], WEIGHT), checked(baseline_weight, WEIGHT, "baseline_weight"))
        if body is not None:
            _baseline_body(body.height_cm, then)
        change, changed = weight_change_kernel(now, then, threshold.value)
        if changed:
            patient_flags.append(
                Flag(
                    "weight_change",
                    f"the weight, {float(now):.4g} kg, is {change:+.1f} % from the baseline {float(then):.4g} kg "
                    f"(threshold {threshold.value:g} %): recalculate the doses",
                    (
                        ("weight", quantity(now, "kg")),
                        ("baseline_weight", quantity(then, "kg")),
                        ("change_pct", change),
                        ("threshold_pct", threshold.value),
                    ),
                    threshold.source,
                )
            )

    if not pairs and day is None:  # nothing ordered, no day whose doses are due: nothing to verify is never "ok"
        raise MissingInputError("ordered", "verifying orders: the ordered doses, {'doxorubicin': '95 mg', ...}")
    evaluated: dict[int, _Evaluated] = {}

    def evaluated_for(index: int) -> _Evaluated:
        if index not in evaluated:
            evaluated[index] = _evaluate(plan.items[index], patient, method)
        return evaluated[index]

    matches = [(name, value, *match_drug(name, plan, day)) for name, value in pairs]
    counts: dict[int, int] = {}
    for _, _, index, _, _ in matches:
        if index is not None:
            counts[index] = counts.get(index, 0) + 1

    checks = []
    counted: dict[str, tuple] = {}  # each prior as its limit counted it, and the BSA that converted it
    for name, value, index, verdict, reason in matches:
        if index is None:
            checks.append(
                DrugCheck(
                    name if isinstance(name, str) else repr(name), str(verdict), ordered_given=value, reason=reason
                )
            )
            continue
        item = plan.items[index]
        flags = []
        schedule = schedule_flag(item, plan, cycle, day)
        if schedule is not None:
            flags.append(schedule)
        due = item.times_per_day if item.days is None or day is None or day in item.days else 0
        if counts[index] > max(due, 1):
            flags.append(
                Flag(
                    "duplicate_order",
                    f"{item.label} is ordered {counts[index]} times; the protocol gives it {due} time(s) on this day",
                    (("ordered", counts[index]), ("per_day", due)),
                )
            )
        checks.append(
            _checked(item, name, value, evaluated_for(index), tolerance.value, flags, plan, priors, conditions, counted)
        )
    if day is not None:
        ordered_items = {index for _, _, index, _, _ in matches if index is not None}
        for index, item in enumerate(plan.items):
            if (
                index not in ordered_items
                and day in item.days
                and (cycle is None or plan.cycles is None or cycle <= plan.cycles)
            ):
                result = evaluated_for(index)
                checks.append(
                    DrugCheck(
                        item.drug,
                        "not_ordered",
                        computed=None if result.dose is None else result.dose.dose,
                        reason=f"{item.label} is given on day {day} and was not ordered",
                        note=item.note,
                        dose=result.dose,
                    )
                )
    inputs = tuple((name, value) for name, value in patient.items() if value is not None)
    exposures = tuple(
        PriorExposure(drug, given, amount, limit_of(plan, drug, conditions), *counted.get(drug, (None, None)))
        for drug, (given, amount) in priors.items()
    )
    return Verification(
        tuple(checks),
        tuple(patient_flags),
        plan.name,
        cycle,
        day,
        tolerance,
        threshold,
        change,
        inputs + (() if baseline_weight is None else (("baseline_weight", baseline_weight),)),
        exposures,
        conditions,
    )


def _baseline_body(height_cm, baseline_kg) -> None:
    """
    Refuse a baseline weight that with the patient's height describes no
    body, as the current weight is refused: 0.2 kg at 175 cm is a slip, and
    a weight change from it (+34900 %) no change of the patient's.

    Raises
    ------
    ImplausibleInputError
        Naming the height and the baseline weight, with the slip's hint.
    """
    try:
        check_body(height_cm, baseline_kg)
    except ImplausibleInputError as err:
        raise ImplausibleInputError("height, baseline_weight", err.value, err.expected, err.hint) from None


class _NotInPlan(UnknownDrugError):
    """
    A drug named where the plan has no such drug, with the plan's names that
    would be accepted (as :class:`~dosecalc.errors.UnknownDrugError`, never
    the closest as a hint), and what the plan accepts in its place.
    """

    def __init__(self, field: str, value: object, valid, where: str, unnamed: bool = False):
        valid = tuple(valid)
        accepted = (
            f"one of its drugs with a lifetime limit: {', '.join(valid)}"
            if valid
            else "the order's drug named, for its lifetime limit"
            if unnamed
            else "no prior: none of its drugs has a lifetime limit in dosecalc"
        )
        self._with_fields(
            f"{field}={ascii(value)} is not in {where}; expected {accepted}",
            field=field,
            value=value,
            valid=valid,
            where=where,
            unnamed=unnamed,
        )
        # derived from the fields, as the parent's hint: not an argument, so pickle rebuilds them
        self.expected, self.hint = accepted, None


def _checked_priors(plan: _Plan, prior, conditions: tuple) -> dict[str, tuple[Any, Any]]:
    """
    Each prior exposure as ``{drug: (as given, Quantity as read)}``, refused
    unless a lifetime limit of the plan counts it: a prior of a drug without
    one (idarubicin, vincristine) would be read and checked against nothing,
    an OK that checked no exposure. No other drug's name is offered for a
    name not in the plan: idarubicin is not a misspelt doxorubicin.

    Raises
    ------
    UnitError
        If ``prior`` is not a mapping of drug to exposure, or an exposure is
        not one ("300 mg/m2", "700 mg", "0 mg/m2").
    ImplausibleInputError
        If a drug is not named by its generic name, is given twice, is not
        in the plan, or has no lifetime limit under the conditions given.
    """
    if prior is None:
        return {}
    if not isinstance(prior, Mapping):
        shown = repr(prior) if isinstance(prior, str) else f"{prior:~P}" if is_quantity(prior) else repr(prior)
        raise UnitError("prior", shown, "each drug's exposure before this dose: {'doxorubicin': '300 mg/m2'}")
    drugs = {item.drug for item in plan.items}
    limited = sorted(drug for drug in drugs if limit_of(plan, drug, conditions) is not None)
    where = f"the protocol {plan.name}" if plan.name else "the order"
    everywhere = sorted({limit.drug for limit in protocol_library.LIFETIME_LIMITS + tuple(plan.limits)})
    expected = (
        f"a drug of {where} with a lifetime limit ({', '.join(limited)})"
        if limited
        else f"a drug with a lifetime limit in dosecalc ({', '.join(everywhere)})"
    )
    read: dict[str, tuple[Any, Any]] = {}
    for name, value in prior.items():
        try:
            drug = drug_name(name)
        except ImplausibleInputError as err:
            raise ImplausibleInputError("prior", err.value, err.expected, err.hint) from None
        if drug in read:
            raise ImplausibleInputError("prior", drug, "each drug once, with its total exposure")
        if drug not in drugs:
            unnamed = drugs == {SINGLE_DOSE}  # a dose alone, of no drug: its prior cannot be any drug's
            raise _NotInPlan("prior", drug, limited, "the order, which names no drug" if unnamed else where, unnamed)
        if drug not in limited:
            under = [limit.condition for limit in plan.limits if limit.drug == drug and limit.condition != STANDARD]
            why = (
                f"{drug}'s lifetime limit applies with {' or '.join(sorted(set(under)))}, not given"
                if under
                else f"dosecalc has no lifetime limit for {drug}"
            )
            raise ImplausibleInputError(
                "prior", drug, expected, f"{why}, so its prior exposure cannot be checked: check it against the label"
            )
        read[drug] = (value, _prior_quantity(value, f"prior {drug}"))
    return read


def condition_names(plan: _Plan) -> list[str]:
    """The named conditions that select a lower lifetime limit, the library's and the plan's, sorted."""
    return sorted({limit.condition for limit in protocol_library.LIFETIME_LIMITS + tuple(plan.limits)} - {STANDARD})


def known_conditions(plan: _Plan, conditions) -> tuple[str, ...]:
    if isinstance(conditions, str):
        conditions = (conditions,)
    known = condition_names(plan)
    for condition in conditions:
        if condition not in known:
            raise UnknownNameError("conditions", condition, known)
    return tuple(conditions)


def _checked(
    item: _Item,
    name,
    value,
    result: _Evaluated,
    tolerance_pct: float,
    flags: list,
    plan: _Plan,
    priors: dict,
    conditions: tuple,
    counted: dict,
) -> DrugCheck:
    order = item.order
    field = f"ordered {item.label}"
    ordered = _read_ordered(value, field, order)
    given = value if isinstance(value, str) else _shown(ordered)
    common = {"ordered": ordered, "ordered_given": given, "note": item.note, "dose": result.dose}
    absolute = ordered.units == unit(order.amount_unit)
    if ordered.units == order.dose.units:
        # in the order's own basis: against the prescribed dose (after any modification), for a patient whose
        # dose it gives; never without the patient, nor where a cap (the BSA cap, the maximum dose, the GFR
        # cap) lowers this patient's dose below what the order per m², kg or AUC would give
        if result.dose is None:
            return DrugCheck(item.drug, "missing_input", flags=tuple(flags), reason=result.missing, **common)
        if result.dose.capped:
            return DrugCheck(
                item.drug,
                "not_comparable",
                computed=result.dose.dose,
                flags=tuple(flags),
                reason=capped_order_reason(
                    f"{ordered.units:~P}", _caps(result.dose), _shown(result.dose.dose), order.amount_unit
                ),
                **common,
            )
        computed = order.prescribed
    elif absolute:
        if result.dose is None:
            return DrugCheck(item.drug, "missing_input", flags=tuple(flags), reason=result.missing, **common)
        computed = result.dose.dose
    else:
        return DrugCheck(
            item.drug,
            "not_comparable",
            flags=tuple(flags),
            reason=not_comparable_reason(f"{ordered.units:~P}", order, item.label),
            **common,
        )
    computed_value, ordered_value = (computed.m_as(computed.units), ordered.m_as(computed.units))
    difference, verdict = verdict_kernel(computed_value, ordered_value, tolerance_pct)
    maximum = maximum_of(order)
    above = None
    if maximum is not None and result.dose is not None:
        # the amount the order gives this patient: as ordered, or in the order's basis times this patient's BSA,
        # weight or GFR + 25, the dose before rounding over the prescribed dose (no cap lowered it: see above)
        amount = (
            ordered_value
            if absolute
            else ordered_value * result.dose.calculated.m_as(order.amount_unit) / computed_value
        )
        if above_maximum_kernel(amount, maximum.amount):
            verdict = "too_high"
            above = above_maximum_reason(maximum, None if absolute else f"{amount:.4g} {order.amount_unit}")
    if verdict != "within_tolerance" and result.dose is not None and absolute:
        flags.extend(_explained(result.dose, ordered_value, computed_value, tolerance_pct, order.amount_unit))
    limit = limit_of(plan, item.drug, conditions)
    if limit is not None:
        bsa = None if result.dose is None else result.dose.limit_bsa  # for limits per m²: never undercounted
        prior = priors.get(item.drug)
        lifetime, prior_value = _lifetime_flag(limit, None if prior is None else prior[1], ordered, bsa, item.drug)
        if lifetime is not None:
            flags.append(lifetime)
        if prior is not None and item.drug not in counted:
            converted = prior[1].units != limit.amount.units  # by the BSA: mg against a limit per m²
            counted[item.drug] = (quantity(prior_value, f"{limit.amount.units}"), bsa if converted else None)
    from_computed = f"{difference:+.3g} % from the computed {_shown(computed)} (tolerance ±{tolerance_pct:g} %)"
    if verdict == "within_tolerance":
        reason = None
    elif above is None:
        reason = f"{_shown(ordered)} is {from_computed}"
    else:  # an amount above its maximum, to the figures that show it above (2.0001 mg, not 2 mg)
        assert maximum is not None  # above is said of a maximum
        shown = f"{_apart(ordered_value, maximum.amount)} {order.amount_unit}" if absolute else _shown(ordered)
        reason = f"{shown} is {above}; {from_computed}"
    return DrugCheck(
        item.drug,
        verdict,
        computed=computed,
        difference_pct=float(difference),
        flags=tuple(flags),
        reason=reason,
        **common,
    )
