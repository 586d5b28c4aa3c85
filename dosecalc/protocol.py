r"""
Treatment protocols as data: several dose orders, each on its days of a
cycle, a number of cycles, lifetime limits and the sources of all of it.

A :class:`Protocol` is read from a TOML file (format below; JSON Schema in
``schemas/protocol.schema.json``) or built in code. For a patient,
:meth:`Protocol.for_patient` evaluates each :class:`~dosecalc.order.Order`
once (its steps: modification, weight basis, calculation, caps, rounding) and
lays the doses out on the days of each cycle; :meth:`Protocol.for_table` does
the same for a table of patients through the vectorised engine, in long
format. :meth:`Protocol.cumulative` and :meth:`Schedule.cumulative` add up
each drug's exposure and find the cycle at which a lifetime limit would be
reached.

File format
-----------
.. code-block:: toml

    name = "R-CHOP-21"                # required
    title = "Rituximab with CHOP every 21 days"
    cycle_days = 21                   # required: days in a cycle, 1-365
    cycles = 8                        # number of cycles, 1-100; leave out for "until progression"
    references = ["Coiffier B et al. N Engl J Med 2002;346:235-42. doi:10.1056/NEJMoa011795"]
    notes = "Free text shown with the protocol."

    [[order]]                         # one per drug and way of giving it
    drug = "vincristine"              # generic name (INN), lower case; a known code is read as it ("IMGN901")
    dose = "1.4 mg/m2"                # mg/m2, mg/kg, mg, units/m2, units/kg, units; carboplatin: "5 mg/mL*min"
    max_dose = "2 mg"                 # optional safeguards: reduction_pct, level + levels,
                                      # weight_basis, bsa_cap, max_dose, round_to | vials | bands, tolerance_pct
    days = [1]                        # days of the cycle: [1, 8, 15], or "1-21", or "1-5, 15"
    times_per_day = 1                 # 2 for twice daily (the dose is per administration)
    note = "IV push"                  # required when the drug is given twice on one day
    references = { dose = "…", max_dose = "…" }

    [[limit]]                         # optional: a limit besides the library's; the lowest applies
    drug = "doxorubicin"
    amount = "450 mg/m2"
    condition = "standard"            # or a named condition, e.g. "mediastinal-radiotherapy"
    population = "adults"
    source = "…"

Unknown keys, days outside the cycle, a unit outside the grammar, a drug
given twice on one day without a ``note`` for each, and a cycle whose dose
of a drug alone exceeds its lifetime limit (doxorubicin 50 mg/m² on days
1-28, 1400 mg/m²: a day or a dose mistyped) are refused when the file is
read, naming the file, the order and the key.

Lifetime limits
---------------
:data:`LIFETIME_LIMITS` holds the cumulative limits of the product labels,
each with its source: doxorubicin 550 mg/m² (400 mg/m² after mediastinal
radiotherapy), epirubicin 900 mg/m², daunorubicin 550 mg/m² in adults
(400 mg/m² after radiotherapy encompassing the heart), bleomycin 400 units.
Sources disagree on where the anthracycline limits lie (the current
doxorubicin label gives a rising risk, 1-20 % from 300 to 500 mg/m², rather
than one limit) and on equivalence across anthracyclines, so dosecalc sums
each drug alone and converts one into another only by a conversion named in
the call (:data:`ANTHRACYCLINE_EQUIVALENCES`): ``"cog-hematologic"``, the
Children's Oncology Group's substitution by hematologic toxicity
(daunorubicin and epirubicin 1, idarubicin 5, mitoxantrone 4), or
``"feijen-2019"``, by late-onset cardiomyopathy in childhood cancer survivors
(daunorubicin 0.6, epirubicin 0.8, mitoxantrone 10.5; idarubicin not
estimable).
"""

from __future__ import annotations

import difflib
import functools
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ._version import __version__
from .doses import MASS_BASES, UNIT_BASES, read_dose
from .errors import (
    DoseCalcError,
    ImplausibleInputError,
    MissingInputError,
    UnitError,
    UnknownDrugError,
    UnknownNameError,
    as_typed,
)
from .grammar import as_compared, escaped, unquoted_escaped
from .order import ORDER_KEYS, Order, OrderDose, drug_name, modification_step, refuse_unread_kidney
from .patient import ACTUAL
from .results import Result, plain
from .text_files import load_toml
from .units import parse_quantity, quantity, registry
from .validation import checked_body

if TYPE_CHECKING:  # Arrow is loaded by the table path only
    import pyarrow as pa

__all__ = [
    "ANTHRACYCLINE_EQUIVALENCES",
    "LIFETIME_LIMITS",
    "LONG_COLUMNS",
    "MAX_LONG_ROWS",
    "PROTOCOL_DIR",
    "Administration",
    "Cumulative",
    "Equivalence",
    "Exposure",
    "LifetimeLimit",
    "Protocol",
    "ProtocolOrder",
    "ProtocolTable",
    "Schedule",
    "load_protocol",
    "protocol_names",
    "read_days",
    "read_protocol",
    "refuse_near_a_limited_drug",
]

#: The protocols shipped with dosecalc, one TOML file each.
PROTOCOL_DIR = Path(__file__).resolve().parent / "data" / "protocols"

_TOP_KEYS = ("name", "title", "cycle_days", "cycles", "references", "notes", "order", "limit")
_SCHEDULE_KEYS = ("days", "times_per_day", "note")
_LIMIT_KEYS = ("drug", "amount", "condition", "population", "source")
_MAX_CYCLE_DAYS = 365
_MAX_CYCLES = 100
_MAX_TIMES_PER_DAY = 6
# "1-21", "1, 8, 15", "1-5, 15": ASCII digits, hyphen-minus ranges, commas
# ASCII spaces only around the numbers: Python's \s is any Unicode space (an ideographic space, U+001C)
_DAYS = re.compile(r" *[0-9]+(?: *- *[0-9]+)?(?: *, *[0-9]+(?: *- *[0-9]+)?)* *")
_RANGE = re.compile(r"([0-9]+)(?: *- *([0-9]+))?")
STANDARD = "standard"
_BASES = MASS_BASES + UNIT_BASES

#: The most rows :meth:`Protocol.for_table` lays out at once (about 1 GB of Arrow).
MAX_LONG_ROWS = 10_000_000

#: The columns :meth:`Protocol.for_table` adds to the input's, in order.
LONG_COLUMNS = (
    "row",
    "cycle",
    "day",
    "time",
    "drug",
    "note",
    "dose",
    "dose_unit",
    "calculated_dose",
    "bsa_m2",
    "changed_by",
)


# --- lifetime limits ---------------------------------------------------------------

_DOXORUBICIN_LABEL = (
    "Adriamycin (doxorubicin HCl) for injection, prescribing information, Bedford Laboratories, 2013: "
    "the total cumulative dose should not exceed 550 mg/m², or 400 mg/m² with prior mediastinal "
    "radiotherapy; after D. D. Von Hoff et al., Ann. Intern. Med., vol. 91, pp. 710-717, 1979, "
    "doi:10.7326/0003-4819-91-5-710. The current label (Pfizer) gives a risk rising with the dose "
    "(1-20 % from 300 to 500 mg/m²) instead of one limit."
)
_EPIRUBICIN_LABEL = (
    "Ellence (epirubicin HCl) injection, prescribing information, Pfizer: the risk of heart failure "
    "rises steeply above a cumulative dose of 900 mg/m²; exceed it only with extreme caution."
)
_DAUNORUBICIN_LABEL = (
    "Daunorubicin HCl injection, prescribing information (Cerubidine): a total cumulative dose of "
    "550 mg/m² in adults, 400 mg/m² after radiotherapy encompassing the heart."
)
_BLEOMYCIN_LABEL = (
    "Blenoxane (bleomycin for injection, USP), prescribing information, Bristol-Myers Squibb: pulmonary "
    "fibrosis is more frequent above a total dose of 400 units."
)


@dataclass(frozen=True)
class LifetimeLimit(Result):
    """
    A drug's lifetime (cumulative) limit, as data with its source.

    Attributes
    ----------
    drug : str
    amount : Quantity
        The limit, per m² (mg/m²) or absolute (units).
    condition : str
        ``"standard"``, or the named condition that lowers it (e.g.
        ``"mediastinal-radiotherapy"``), selected by name in
        :meth:`Protocol.cumulative`.
    population : str
        Whom the limit is for ("adults", "all").
    source : str
    """

    drug: str
    amount: Any
    condition: str
    population: str
    source: str

    @classmethod
    def from_entry(cls, entry: Mapping, where: str) -> LifetimeLimit:
        """A limit from a protocol file's ``[[limit]]`` table."""
        _known_keys(entry, _LIMIT_KEYS, where)
        for key in ("drug", "amount", "source"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise MissingInputError(f"{where} {key}", "a lifetime limit")
        amount, basis = read_dose(
            parse_quantity(entry["amount"], f"{where} amount", kind="dose"), f"{where} amount", allowed=_BASES
        )
        return cls(
            drug_name(entry["drug"]),
            quantity(amount, basis),
            _name(entry.get("condition", STANDARD), f"{where} condition"),
            _name(entry.get("population", "all"), f"{where} population"),
            entry["source"].strip(),
        )


def _library_limits() -> tuple[LifetimeLimit, ...]:
    rows = (
        ("doxorubicin", "550 mg/m2", STANDARD, "adults", _DOXORUBICIN_LABEL),
        ("doxorubicin", "400 mg/m2", "mediastinal-radiotherapy", "adults", _DOXORUBICIN_LABEL),
        ("epirubicin", "900 mg/m2", STANDARD, "adults", _EPIRUBICIN_LABEL),
        ("daunorubicin", "550 mg/m2", STANDARD, "adults", _DAUNORUBICIN_LABEL),
        ("daunorubicin", "400 mg/m2", "mediastinal-radiotherapy", "adults", _DAUNORUBICIN_LABEL),
        ("bleomycin", "400 units", STANDARD, "all", _BLEOMYCIN_LABEL),
    )
    out = []
    for drug, amount, condition, population, source in rows:
        value, basis = read_dose(amount, allowed=_BASES)
        out.append(LifetimeLimit(drug, quantity(value, basis), condition, population, source))
    return tuple(out)


@functools.cache
def _lifetime_limits() -> tuple[LifetimeLimit, ...]:
    return _library_limits()


#: The library's lifetime limits, from the product labels (see the module docstring); read on
#: first use (PEP 562), so that importing dosecalc does not build the unit registry.
LIFETIME_LIMITS: tuple[LifetimeLimit, ...]


def __getattr__(name):
    if name == "LIFETIME_LIMITS":
        return _lifetime_limits()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_FEIJEN_2019 = (
    'E. A. M. Feijen et al., "Derivation of anthracycline and anthraquinone equivalence ratios to doxorubicin '
    'for late-onset cardiotoxicity," JAMA Oncol., vol. 5, no. 6, pp. 864-871, 2019, doi:10.1001/jamaoncol.2018.6634'
)


@dataclass(frozen=True)
class Equivalence(Result):
    """
    A named conversion of anthracyclines to doxorubicin-equivalent doses:
    mg of doxorubicin per mg of each drug, with its source.
    """

    name: str
    ratios: Mapping[str, float]
    source: str


#: Anthracycline (and anthraquinone) conversions to doxorubicin. Sources disagree: the
#: Children's Oncology Group's substitution by hematologic toxicity counts daunorubicin and
#: epirubicin as doxorubicin and idarubicin ×5, mitoxantrone ×4; by late-onset cardiomyopathy
#: in childhood cancer survivors (Feijen 2019) daunorubicin is 0.6, epirubicin 0.8,
#: mitoxantrone 10.5 and idarubicin not estimable. None is applied unless named.
ANTHRACYCLINE_EQUIVALENCES = {
    "feijen-2019": Equivalence(
        "feijen-2019",
        {"doxorubicin": 1.0, "daunorubicin": 0.6, "epirubicin": 0.8, "mitoxantrone": 10.5},
        f"{_FEIJEN_2019}: mean equivalence ratios for late-onset cardiomyopathy (Table 3); idarubicin not estimable",
    ),
    "cog-hematologic": Equivalence(
        "cog-hematologic",
        {"doxorubicin": 1.0, "daunorubicin": 1.0, "epirubicin": 1.0, "idarubicin": 5.0, "mitoxantrone": 4.0},
        "Children's Oncology Group substitution rules (hematologic toxicity), as reported by " + _FEIJEN_2019,
    ),
}
ANTHRACYCLINES = frozenset(drug for conversion in ANTHRACYCLINE_EQUIVALENCES.values() for drug in conversion.ratios)


def _equivalence(name) -> Equivalence:
    if name not in ANTHRACYCLINE_EQUIVALENCES:
        raise UnknownNameError("equivalence", name, ANTHRACYCLINE_EQUIVALENCES)
    return ANTHRACYCLINE_EQUIVALENCES[name]


def _name(value, field: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", value):
        raise ImplausibleInputError(field, ascii(value), "a name of lower-case ASCII letters, digits and hyphens")
    return value


# --- a protocol ----------------------------------------------------------------------


def _one_line(text) -> bool:
    """Text of one line with no control character (a terminal escape, a NUL): shown as it is."""
    return isinstance(text, str) and bool(text.strip()) and text.isprintable()


def _known_keys(entry, keys, where: str) -> None:
    if not isinstance(entry, Mapping):
        raise DoseCalcError(f"{where}: expected a table of keys, got {type(entry).__name__}")
    unknown = [key for key in entry if key not in keys]
    if unknown:
        raise UnknownNameError(f"{where} key", unknown[0], keys)


def _whole(value, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ImplausibleInputError(field, repr(value), f"a whole number, {low}-{high}")
    return value


def read_days(days, cycle_days: int, field: str = "days") -> tuple[int, ...]:
    """
    Days of a cycle from ``[1, 8, 15]``, ``"1-21"`` or ``"1-5, 15"``: whole
    days within 1 and ``cycle_days``, each once, in order.

    Raises
    ------
    ImplausibleInputError
        If a day is outside the cycle, repeated, a range runs backwards, or
        the text has any other character (an en dash, a "to").
    """
    if isinstance(days, str):
        if not _DAYS.fullmatch(days):
            raise ImplausibleInputError(
                field, ascii(days), "days such as [1, 8, 15], '1-21' or '1-5, 15' (ASCII '-' and ',')"
            )
        listed: list[int] = []
        for match in _RANGE.finditer(days):
            first, last = int(match[1]), int(match[2] or match[1])
            if not 1 <= first <= cycle_days or not 1 <= last <= cycle_days:  # before a range is laid out
                day = first if not 1 <= first <= cycle_days else last
                raise ImplausibleInputError(
                    field,
                    repr(days),
                    f"days within the {cycle_days}-day cycle, 1-{cycle_days}",
                    f"day {day} is outside it",
                )
            if last < first:
                raise ImplausibleInputError(field, repr(days), "ranges from the first day to the last, such as '1-21'")
            listed.extend(range(first, last + 1))
    elif isinstance(days, (list, tuple)) and days:
        listed = [_whole(day, field, 1, cycle_days) for day in days]
    else:
        raise ImplausibleInputError(field, repr(days), "days such as [1, 8, 15] or '1-21'")
    outside = [day for day in listed if not 1 <= day <= cycle_days]
    if outside:
        raise ImplausibleInputError(
            field,
            repr(days),
            f"days within the {cycle_days}-day cycle, 1-{cycle_days}",
            f"day {outside[0]} is outside it",
        )
    repeated = sorted({day for day in listed if listed.count(day) > 1})
    if repeated:
        raise ImplausibleInputError(field, repr(days), "each day once", f"day {repeated[0]} is listed twice")
    return tuple(sorted(listed))


@dataclass(frozen=True)
class ProtocolOrder(Result):
    """
    An order on its days of the cycle.

    Attributes
    ----------
    order : Order
    days : tuple of int
        Days of each cycle the dose is given, from 1.
    times_per_day : int
        Administrations on each of those days (2: twice daily); the order's
        dose is per administration.
    note : str or None
        How it is given ("bolus", "46-hour infusion"): required to tell two
        orders of one drug on one day apart.
    """

    order: Order
    days: tuple[int, ...]
    times_per_day: int = 1
    note: str | None = None

    @property
    def per_cycle(self) -> int:
        """Administrations in a cycle."""
        return len(self.days) * self.times_per_day


@dataclass(frozen=True)
class Protocol:
    """
    A treatment protocol.

    Parameters
    ----------
    name : str
    cycle_days : int
        Days in a cycle.
    cycles : int or None
        Number of cycles planned; None for a protocol given until
        progression (the cycles to plan are then asked for).
    orders : sequence of ProtocolOrder
    limits : sequence of LifetimeLimit, optional
        Lifetime limits besides those of :data:`LIFETIME_LIMITS`; of all the
        limits of a drug that apply, the lowest is used, so a protocol can
        make a limit stricter, never looser.
    references : sequence of str
    title, notes : str, optional
    source : str, optional
        Where the protocol was read from.

    Examples
    --------
    >>> protocol = load_protocol("r-chop-21")
    >>> schedule = protocol.for_patient(height=175, weight=70)
    >>> [(a.day, a.drug, round(a.dose.m_as("mg"), 2)) for a in schedule.administrations if a.cycle == 1 and a.drug == "vincristine"]
    [(1, 'vincristine', 2.0)]
    """

    name: str
    cycle_days: int
    cycles: int | None
    orders: tuple
    limits: Any = None
    references: tuple = ()
    title: str | None = None
    notes: str | None = None
    source: str | None = None

    def __post_init__(self):
        where = self.source or self.name
        object.__setattr__(self, "cycle_days", _whole(self.cycle_days, f"{where} cycle_days", 1, _MAX_CYCLE_DAYS))
        if self.cycles is not None:
            object.__setattr__(self, "cycles", _whole(self.cycles, f"{where} cycles", 1, _MAX_CYCLES))
        orders = tuple(self.orders)
        if not orders:
            raise MissingInputError(f"{where} order", "a protocol (at least one [[order]])")
        for number, item in enumerate(orders, start=1):
            read_days(item.days, self.cycle_days, f"{where} order {number} ({item.order.drug}) days")
        _distinct_on_each_day(orders, where)
        object.__setattr__(self, "orders", orders)
        drugs = {item.order.drug for item in orders}
        for drug in sorted(drugs - {limit.drug for limit in _lifetime_limits()}):
            try:
                refuse_near_a_limited_drug(drug)
            except ImplausibleInputError as err:
                raise _named_error(err, where) from None
        limits = _lifetime_limits() + tuple(self.limits or ())
        object.__setattr__(self, "limits", tuple(limit for limit in limits if limit.drug in drugs))
        _refuse_limits_apart(self.limits, where)
        object.__setattr__(self, "references", tuple(self.references))
        _within_limits(self, where)

    # --- reading ---------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping, source: str = "protocol", base=None) -> Protocol:
        """
        A protocol from the data of a protocol file (see the module docstring);
        the ``levels`` and ``bands`` files of its orders are found relative
        to the directory ``base`` (the protocol file's) when given.
        """
        _known_keys(data, _TOP_KEYS, source)
        for key in ("name", "cycle_days", "order"):
            if key not in data:
                raise MissingInputError(f"{source} {key}", "a protocol")
        if not _one_line(data["name"]) or data["name"] != data["name"].strip(" "):
            raise ImplausibleInputError(
                f"{source} name", ascii(data["name"]), "the protocol's name, one line of text, no space around it"
            )
        cycle_days = _whole(data["cycle_days"], f"{source} cycle_days", 1, _MAX_CYCLE_DAYS)
        entries = data["order"]
        if not isinstance(entries, list):
            raise DoseCalcError(f"{source}: 'order' must be an array of tables, [[order]]")
        orders = []
        for number, entry in enumerate(entries, start=1):
            where = f"{source} order {number}"
            _known_keys(entry, ORDER_KEYS + _SCHEDULE_KEYS, where)
            if "days" not in entry:
                raise MissingInputError(f"{where} days", "an order of a protocol")
            entry = _relative_to(entry, base)
            try:
                order = Order.from_entry({key: value for key, value in entry.items() if key in ORDER_KEYS}, where)
            except DoseCalcError as err:
                drug = entry.get("drug")
                raise _named_error(
                    err, f"{where} ({unquoted_escaped(drug)})" if isinstance(drug, str) else where
                ) from None
            note = entry.get("note")
            if note is not None and (not _one_line(note) or note != note.strip(" ")):
                raise ImplausibleInputError(
                    f"{where} note", ascii(note), "one line of text saying how the dose is given, no space around it"
                )
            orders.append(
                ProtocolOrder(
                    order,
                    read_days(entry["days"], cycle_days, f"{where} ({order.drug}) days"),
                    _whole(entry.get("times_per_day", 1), f"{where} times_per_day", 1, _MAX_TIMES_PER_DAY),
                    note,
                )
            )
        limits = data.get("limit")
        if limits is not None:
            if not isinstance(limits, list):
                raise DoseCalcError(f"{source}: 'limit' must be an array of tables, [[limit]]")
            limits = [LifetimeLimit.from_entry(entry, f"{source} limit {n}") for n, entry in enumerate(limits, start=1)]
        references = data.get("references", [])
        if isinstance(references, str):
            references = [references]
        if not isinstance(references, list) or not all(_one_line(text) for text in references):
            raise ImplausibleInputError(
                f"{source} references", ascii(references), "a list of citations, each one line of text"
            )
        if "title" in data and not _one_line(data["title"]):
            raise ImplausibleInputError(f"{source} title", ascii(data["title"]), "one line of text")
        if "notes" in data and not (
            # lines split at line breaks alone ("\n", "\r\n"): a carriage return inside one would overwrite it
            isinstance(data["notes"], str)
            and all(_one_line(line) or not line for line in data["notes"].replace("\r\n", "\n").split("\n"))
        ):
            raise ImplausibleInputError(
                f"{source} notes", ascii(data["notes"]), "lines of text, without control characters"
            )
        return cls(
            data["name"],
            cycle_days,
            data.get("cycles"),
            tuple(orders),
            limits,
            tuple(references),
            data.get("title"),
            data.get("notes"),
            source,
        )

    # --- evaluating --------------------------------------------------------------

    def planned(self, cycles=None) -> int:
        """
        The number of cycles to plan: ``cycles`` if given, else the
        protocol's.

        Raises
        ------
        MissingInputError
            If neither is given (a protocol given until progression).
        """
        if cycles is not None:
            return _whole(cycles, "cycles", 1, _MAX_CYCLES)
        if self.cycles is None:
            raise MissingInputError("cycles", f"{self.name}, given until progression: the number of cycles to plan")
        return self.cycles

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
        cycles=None,
    ) -> Schedule:
        """
        The schedule for one patient: each order evaluated once
        (:meth:`Order.for_patient`), its dose on each of its days of each
        cycle.

        Parameters
        ----------
        height, weight, bsa, sex, age, creatinine, gfr, method
            As for :meth:`dosecalc.order.Order.for_patient`; age, creatinine
            (or gfr) are needed only by a carboplatin AUC order.
        cycles : int, optional
            Cycles to lay out; default the protocol's.

        Returns
        -------
        Schedule

        Raises
        ------
        DoseCalcError
            As :meth:`Order.for_patient`, naming the drug.
        """
        cycles = self.planned(cycles)
        patient = {
            "height": height,
            "weight": weight,
            "bsa": bsa,
            "sex": sex,
            "age": age,
            "creatinine": creatinine,
            "gfr": gfr,
        }
        without = f"{self.name} has no carboplatin AUC order"
        refuse_unread_kidney((item.order for item in self.orders), without, age=age, creatinine=creatinine, gfr=gfr)
        if height is not None and weight is not None:  # a body, whatever the orders read (an AUC reads no height)
            checked_body(height, weight)
        doses = tuple(_evaluated(item, patient, method) for item in self.orders)
        administrations = tuple(
            Administration(
                cycle,
                day,
                time,
                item.order.drug,
                item.note,
                dose.dose,
                dose.calculated,
                dose.capped,
                dose.rounded,
                index,
            )
            for cycle in range(1, cycles + 1)
            for day in range(1, self.cycle_days + 1)
            for index, (item, dose) in enumerate(zip(self.orders, doses))
            if day in item.days
            for time in range(1, item.times_per_day + 1)
        )
        return Schedule(self, cycles, doses, administrations, _patient_bsa(self.orders, doses))

    def per_cycle(self) -> dict[str, Any]:
        """Each drug's prescribed amount per cycle, in its basis (before any patient's caps and rounding)."""
        totals: dict[str, Any] = {}
        for item in self.orders:
            amount = item.order.prescribed * item.per_cycle
            drug = item.order.drug
            totals[drug] = amount if drug not in totals else _add(totals[drug], amount, drug)
        return totals

    def cumulative(self, cycles=None, prior=None, *, conditions=(), equivalence=None) -> Cumulative:
        """
        Each drug's cumulative prescribed dose after ``cycles`` and, where a
        lifetime limit exists (:data:`LIFETIME_LIMITS`, e.g. doxorubicin's
        550 mg/m² [1]_), the cycle at which it would be reached.

        .. math::
            D_{total}(k) = D_{prior} + k \\, D_{cycle}, \\qquad
            k_{limit} = \\left\\lceil (L - D_{prior}) / D_{cycle} \\right\\rceil

        Parameters
        ----------
        cycles : int, optional
            Default the protocol's number of cycles.
        prior : mapping of str to str or Quantity, optional
            Exposure before this protocol, per drug: ``{"doxorubicin":
            "150 mg/m2"}``, in the basis of the drug's dose.
        conditions : iterable of str
            Named conditions that select lower limits, e.g.
            ``("mediastinal-radiotherapy",)``.
        equivalence : str, optional
            A named anthracycline conversion (a key of
            :data:`ANTHRACYCLINE_EQUIVALENCES`): adds the exposure
            ``"doxorubicin-equivalent (<name>)"``, the anthracyclines of the
            protocol and the prior summed as doxorubicin [mg/m²] against
            doxorubicin's limit; a prior may then name an anthracycline not in
            the protocol. Sources disagree [2]_, so none is applied unless
            named.

        Returns
        -------
        Cumulative
            Per drug: the amount per cycle and in total, the prior, the limit
            that applies and the cycle at which it is reached (0: already
            before the first; None: never, or not comparable without a
            patient, e.g. a limit in units and a dose in units/m²).

        References
        ----------
        .. [1] D. D. Von Hoff et al., "Risk factors for doxorubicin-induced
           congestive heart failure," Ann. Intern. Med., vol. 91, no. 5,
           pp. 710-717, 1979, doi:10.7326/0003-4819-91-5-710 (the 550 mg/m²
           of the doxorubicin label).
        .. [2] E. A. M. Feijen et al., "Derivation of anthracycline and
           anthraquinone equivalence ratios to doxorubicin for late-onset
           cardiotoxicity," JAMA Oncol., vol. 5, no. 6, pp. 864-871, 2019,
           doi:10.1001/jamaoncol.2018.6634.

        Raises
        ------
        UnknownNameError
            If a prior names a drug not in the protocol, or a condition is
            unknown.
        UnitError
            If a prior is not in the basis of the drug's dose.
        """
        cycles = self.planned(cycles)
        return _cumulative(self, self.per_cycle(), cycles, prior, conditions, bsa=None, equivalence=equivalence)

    def for_table(
        self, table, *, method="mosteller", column_map=None, column_units=None, cycles=None, **engine_options
    ) -> ProtocolTable:
        """
        Dose every patient of a table for every order of the protocol, in long
        format: one row per patient, drug and administration.

        Each order is evaluated by :meth:`Order.for_table` (the vectorised
        engine), so each dose equals :meth:`for_patient`'s. A patient who
        cannot be dosed for one drug (an implausible input, a dose that
        cannot be rounded within the tolerance) is dosed for none: a plan
        with a drug missing is not a plan. ``table`` is a frame of any kind
        :func:`dosecalc.dose_table` reads; the schedule is Arrow, its
        ``row`` the patient's position (a pandas index is not carried over:
        join by ``row``). ``engine_options``
        (``decimal_comma``, ``numeric_inputs``) go to each
        :meth:`Order.for_table`.

        Returns
        -------
        ProtocolTable
            ``schedule``: ``row`` (the patient's 1-based input row), the
            input columns, then ``cycle``, ``day``, ``time`` (the
            administration of that day, from 1), ``drug``, ``note``,
            ``dose`` and ``dose_unit`` (the dose to give, after every step),
            ``calculated_dose`` (before rounding or banding), ``bsa_m2`` and
            ``changed_by`` (the modification, a cap that applied with the
            value before it, carboplatin's GFR and its source, as ``plan``
            says them; null where nothing changed the dose); ordered by row,
            cycle, day and the protocol's order.
            ``rejects``: the input columns, ``row``, ``drug`` and ``reason``,
            one row per patient and drug that failed.

        Raises
        ------
        DoseCalcError
            As :meth:`Order.for_table` (a carboplatin AUC order reads the
            kidney function's columns: ``gfr_ml_min``, or ``age_years``,
            ``sex``, ``creatinine_mg_dl`` and the weight).
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        from .frames import read_frame

        cycles = self.planned(cycles)
        table = read_frame(table).table  # a frame of any kind, without its index: ``row`` is each patient
        names = table.column_names
        taken = [name for name in names if name in LONG_COLUMNS]
        if taken:  # which one would a reader of the schedule take?
            raise DoseCalcError(f"the table has a column named {taken[0]!r}, which the schedule writes; rename it")
        rows = table.num_rows * cycles * sum(item.per_cycle for item in self.orders)
        if rows > MAX_LONG_ROWS:
            raise DoseCalcError(
                f"{table.num_rows:,} patients × {cycles} cycles of {self.name} is {rows:,} rows in long format, "
                f"more than {MAX_LONG_ROWS:,}: give fewer patients a batch, or fewer cycles"
            )
        results = [
            item.order.for_table(
                table, method=method, column_map=column_map, column_units=column_units, **engine_options
            )
            for item in self.orders
        ]
        rejects = [
            result.rejects.append_column("drug", pa.array([item.order.drug] * result.rejects.num_rows, pa.string()))
            for item, result in zip(self.orders, results)
        ]
        rejected = np.unique(np.concatenate([r["row"].to_numpy() for r in rejects])) if rejects else np.empty(0)
        rejected_rows = pa.array(rejected, pa.int64())
        kept = [result.dosed.filter(pc.invert(pc.is_in(result.dosed["row"], rejected_rows))) for result in results]
        base = _scheduled_inputs(table, kept)
        n = base.num_rows
        pieces = []
        for index, (item, dosed) in enumerate(zip(self.orders, kept)):
            amount = item.order.amount_unit
            dose, calculated = dosed[f"final_dose_{amount}"], dosed[f"dose_{amount}"]
            changed_by = _changed_by(item.order, dosed)
            for cycle in range(1, cycles + 1):
                for day in item.days:
                    for time in range(1, item.times_per_day + 1):
                        extra = {
                            "cycle": pa.array(np.full(n, cycle, np.int32)),
                            "day": pa.array(np.full(n, day, np.int32)),
                            "time": pa.array(np.full(n, time, np.int32)),
                            "drug": pa.array([item.order.drug] * n, pa.string()),
                            "note": pa.array([item.note] * n, pa.string()),
                            "dose": dose,
                            "dose_unit": pa.array([amount] * n, pa.string()),
                            "calculated_dose": calculated,
                            "bsa_m2": dosed["bsa_m2"],
                            "changed_by": changed_by,
                            "_order": pa.array(np.full(n, index, np.int32)),
                        }
                        piece = base
                        for name, column in extra.items():
                            piece = piece.append_column(name, column)
                        pieces.append(piece)
        schedule = pa.concat_tables(pieces)
        schedule = schedule.sort_by(
            [
                ("row", "ascending"),
                ("cycle", "ascending"),
                ("day", "ascending"),
                ("_order", "ascending"),
                ("time", "ascending"),
            ]
        )
        schedule = schedule.drop_columns(["_order"])
        return ProtocolTable(schedule, pa.concat_tables(rejects).sort_by([("row", "ascending")]))


def _changed_by(order: Order, dosed) -> Any:
    """
    What changed each row's dose on its way from the prescription, as
    ``plan`` says it: the modification, a BSA cap or maximum dose that
    applied (with the value before it), carboplatin's GFR (its source, and
    the cap where it applied); null where nothing did. A rounding or band
    shows as ``calculated_dose`` beside ``dose``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def shown(name):  # as plan shows a number: to 2 decimals, without trailing zeros
        return pc.cast(pc.round(dosed[name], 2), pa.string())

    def where(flag, text):
        return pc.if_else(dosed[flag], text, pa.scalar(None, pa.string()))

    n = dosed.num_rows
    amount = order.amount_unit
    parts = []
    if order.modification is not None:
        parts.append(pa.array([modification_step(order, order.modification).change] * n, pa.string()))
    if "bsa_capped" in dosed.column_names:
        text = pc.binary_join_element_wise("BSA cap (", shown("bsa_uncapped_m2"), " m² → ", shown("bsa_m2"), " m²)", "")
        parts.append(where("bsa_capped", text))
    if order.is_auc:
        gfr = pc.binary_join_element_wise(
            "Calvert at GFR ",
            shown("calvert_gfr_ml_min"),
            " mL/min (",
            pc.cast(dosed["gfr_source"], pa.string()),
            ")",
            "",
        )
        capped = pc.binary_join_element_wise(gfr, ", capped from ", shown("gfr_uncapped_ml_min"), " mL/min", "")
        parts.append(pc.if_else(dosed["gfr_capped"], capped, gfr))
    if "dose_capped" in dosed.column_names:
        unit = f" {amount}"
        text = pc.binary_join_element_wise(
            "max dose (", shown(f"dose_uncapped_{amount}"), unit + " → ", shown(f"dose_{amount}"), unit + ")", ""
        )
        parts.append(where("dose_capped", text))
    if not parts:
        return pa.nulls(n, pa.string())
    # joined pairwise, a null part skipped: pyarrow 26's null_handling="skip" drops the rows whose parts are all null
    joined = parts[0]
    for part in parts[1:]:
        both = pc.binary_join_element_wise(joined, part, "; ")
        joined = pc.if_else(pc.is_null(joined), part, pc.if_else(pc.is_null(part), joined, both))
    return joined


def _scheduled_inputs(table, kept: list) -> Any:
    """
    The scheduled patients' input columns, one version for every order: ``row``,
    then each column as an order read it as numbers (a CSV's text read by the
    order that uses it: carboplatin the creatinine, paclitaxel the height), or
    as given where no order read it.
    """
    import pyarrow as pa

    rows = kept[0]["row"]
    if not all(dosed["row"].equals(rows) for dosed in kept):  # a row joined to another patient is never written
        raise DoseCalcError("the orders of a protocol dosed different patients; nothing is written")
    columns = {"row": rows}
    for field in table.schema:
        read = [dosed[field.name] for dosed in kept if dosed.schema.field(field.name).type != field.type]
        columns[field.name] = read[0] if read else kept[0][field.name]
    return pa.table(columns)


def _relative_to(entry: Mapping, base) -> dict:
    """An order's level and band table files relative to the protocol file's directory."""
    entry = dict(entry)
    for key in ("levels", "bands"):
        if base is not None and isinstance(entry.get(key), str) and not Path(entry[key]).is_absolute():
            entry[key] = str(Path(base) / entry[key])
    return entry


def _patient_bsa(orders, doses) -> Any:
    """
    The patient's BSA before any cap: the first computed on the actual body weight, else the smallest of those
    the orders computed (on an ideal or adjusted weight); None if none did. An order on the ideal weight of a
    light patient computes a larger BSA than the body's, under which the body's mg/m² would be undercounted.
    """
    computed = [dose.bsa_uncapped for dose in doses if dose.bsa_uncapped is not None]
    actual = [
        dose.bsa_uncapped
        for item, dose in zip(orders, doses)
        if dose.bsa_uncapped is not None and item.order.weight_basis == ACTUAL
    ]
    return actual[0] if actual else min(computed, default=None, key=lambda bsa: bsa.m_as("m**2"))


def _drug_bsa(orders, doses, drug: str, default) -> Any:
    """
    The BSA a drug's absolute doses are counted per m² by, against a limit per m²: the smallest of its own
    orders' (:attr:`~dosecalc.order.OrderDose.limit_bsa`: each order's, or the body's where smaller), else the
    patient's (``default``).
    """
    own = [dose.limit_bsa for item, dose in zip(orders, doses) if item.order.drug == drug]
    own = [bsa for bsa in own if bsa is not None]
    return min(own, key=lambda bsa: bsa.m_as("m**2")) if own else default


def _add(total, amount, drug: str):
    if total.units != amount.units:
        raise UnitError(
            f"the {drug} orders",  # the protocol's orders, not an option of the command line
            _amount_text(amount),
            f"a dose in {total.units:~P}, as the drug's other orders: doses in two bases are not summed",
        )
    return total + amount


def _amount_text(value) -> str:
    return f"{value.magnitude:.4g} {value.units:~P}"


#: How alike (:class:`difflib.SequenceMatcher`'s ratio) a name must be to a drug with a lifetime limit to be a
#: slip of it: "doxorubicine" 0.96 and "bleomicin" 0.89, where other drugs of a family stay below
#: (idarubicin and daunorubicin 0.82, epirubicin and idarubicin 0.80).
NEAR_DRUG_RATIO = 0.85
#: The salts a label names a drug with ("doxorubicin hydrochloride"): the same drug and its limit.
_SALTS = {"hydrochloride", "hcl", "citrate", "sulfate", "sulphate", "mesylate", "acetate", "phosphate"}


def refuse_near_a_limited_drug(drug: str) -> None:
    """
    Refuse a drug's name written otherwise than a drug with a lifetime limit that it must be (a slip, or the
    drug with its salt): its order would be verified, and its protocol planned, without the limit, an OK that
    checked no exposure.

    Raises
    ------
    ImplausibleInputError
        Naming the drug to write.
    """
    limited = sorted({limit.drug for limit in _lifetime_limits()})
    words = re.split("[ -]", drug)  # "doxorubicin-hcl" as "doxorubicin hcl"
    for name in limited:
        salt = name in words and set(words) - {name} <= _SALTS
        if salt or difflib.SequenceMatcher(None, drug, name).ratio() >= NEAR_DRUG_RATIO:
            raise ImplausibleInputError(
                "drug",
                repr(drug),
                f"a drug's generic name: {name} has a lifetime limit, never checked for an order named otherwise",
                f"write {name!r}",
            )


def _refuse_limits_apart(limits, where: str) -> None:
    """
    Refuse a drug's limits of two kinds (mg/m² beside mg/kg or mg): each limit is of the kind of the drug's
    first, the label's where the library has one. The lowest is chosen in one unit: "540 mg" beside the label's
    550 mg/m² would otherwise replace it, 540 being the smaller number, and a protocol only adds limits.
    """
    first: dict[str, LifetimeLimit] = {}
    for limit in limits:
        kind = first.setdefault(limit.drug, limit)
        if not limit.amount.is_compatible_with(kind.amount):
            raise UnitError(
                f"{where} limit of {limit.drug}",
                _amount_text(limit.amount),
                f"a limit in {kind.amount.units:~P}, as {'the label' if kind in _lifetime_limits() else 'its first'}"
                f"'s of {_amount_text(kind.amount)}: a protocol adds limits to a drug's, of their kind",
            )


def _within_limits(protocol: Protocol, where: str) -> None:
    """Refuse a protocol whose one cycle already exceeds a drug's lifetime limit without any condition
    (doxorubicin 50 mg/m² on days 1-28 is 1400 mg/m² a cycle; its limit is 550 mg/m²): a slip, never a
    schedule. Only amounts in the limit's unit are compared; mg against mg/m² needs a patient's BSA."""
    for drug, amount in protocol.per_cycle().items():
        limit = _lowest(protocol.limits, drug, ())
        if limit is None:
            continue
        scale = _comparable(amount, limit.amount, None)
        if scale is None or amount.m_as(amount.units) * scale <= limit.amount.m_as(limit.amount.units):
            continue
        given = "; ".join(
            f"order {number}: {_amount_text(item.order.prescribed)} × {item.per_cycle} administrations"
            for number, item in enumerate(protocol.orders, start=1)
            if item.order.drug == drug
        )
        raise ImplausibleInputError(
            f"{where} {drug} per cycle",
            f"{_amount_text(amount)} ({given})",
            f"at most the lifetime limit, {_amount_text(limit.amount)}, in one cycle",
            "is a day or a dose mistyped?",
        )


def _distinct_on_each_day(orders, where: str) -> None:
    """A drug twice on one day only with a note for each, and different notes."""
    seen: dict[tuple[str, int], list] = {}
    for number, item in enumerate(orders, start=1):
        for day in item.days:
            seen.setdefault((item.order.drug, day), []).append((number, item.note))
    for (drug, day), entries in seen.items():
        if len(entries) < 2:
            continue
        notes = [note for _, note in entries]
        # notes a person would take for one ("bolus", "bоlus" with a Cyrillic о) are one note: the drug twice
        if None in notes or len({as_compared(note) for note in notes if note is not None}) < len(notes):
            numbers = " and ".join(str(number) for number, _ in entries)
            raise ImplausibleInputError(
                f"{where} orders {numbers}",
                f"{drug} twice on day {day}",
                'a note for each order saying how it differs ("bolus", "46-hour infusion")',
                "or merge them into one order",
            )


def _evaluated(item: ProtocolOrder, patient: dict, method: str) -> OrderDose:
    try:
        return item.order.for_patient(**patient, method=method)
    except DoseCalcError as err:
        label = str(item.order.drug) if item.note is None else f"{item.order.drug} ({item.note})"
        field = str(getattr(err, "field", ""))
        if isinstance(err, MissingInputError):  # the patient's input, and the order that needs it
            raise MissingInputError(err.field, f"{err.needed_for}, for {label}") from None
        if field.split("[")[0] in _PATIENT_FIELDS or field.startswith("height, weight"):
            raise  # about the patient, not the order: named as the patient's input
        raise _named_error(err, label) from None


# the inputs of a patient: their errors are the patient's, whichever order met them first
_PATIENT_FIELDS = ("height", "weight", "bsa", "sex", "age", "creatinine", "serum_creatinine", "gfr", "method")


def _named_error(err: DoseCalcError, label: str) -> DoseCalcError:
    """The error with ``label`` (the order: file, number, drug) in front of its field, so that the
    message says which order failed."""
    fields = getattr(err, "_fields", None)
    if fields and isinstance(fields[0], str) and fields[0].startswith(label.split(" (")[0]):
        return err  # already named
    if fields and isinstance(fields[0], str):
        return type(err)(f"{label}: {fields[0]}", *fields[1:])
    return DoseCalcError(f"{label}: {err}")


# --- results ---------------------------------------------------------------------------


class Administration(NamedTuple):
    """One administration of a schedule: which cycle, day and time, the drug and the dose to give."""

    cycle: int
    day: int
    time: int
    drug: str
    note: str | None
    dose: Any
    calculated: Any
    capped: bool
    rounded: bool
    order: int  # index of the order in the protocol (and of its OrderDose in the schedule)

    def to_dict(self) -> dict:
        return {name: plain(value) for name, value in self._asdict().items()}


@dataclass(frozen=True)
class Schedule(Result):
    """
    A protocol laid out for one patient.

    Attributes
    ----------
    protocol : Protocol
    cycles : int
    doses : tuple of OrderDose
        Each order of the protocol evaluated for the patient, with its steps.
    administrations : tuple of Administration
        In order of cycle, day and the protocol's order.
    bsa : Quantity or None
        The patient's BSA before any cap: the first order's on the actual
        body weight, else the smallest an order computed. [m²]
    version : str
    """

    protocol: Protocol
    cycles: int
    doses: tuple
    administrations: tuple
    bsa: Any
    version: str = __version__

    def per_cycle(self) -> dict[str, Any]:
        """Each drug's dose to give in one cycle, absolute (mg or units), after caps and rounding."""
        totals: dict[str, Any] = {}
        for item, dose in zip(self.protocol.orders, self.doses):
            amount = dose.dose * item.per_cycle
            totals[item.order.drug] = (
                amount if item.order.drug not in totals else _add(totals[item.order.drug], amount, item.order.drug)
            )
        return totals

    def cumulative(self, prior=None, *, conditions=(), equivalence=None) -> Cumulative:
        """
        As :meth:`Protocol.cumulative`, from this patient's doses to give
        (absolute, after caps and rounding); a limit per m² is compared per
        m² of a BSA before any cap, the smallest the drug's own orders
        computed (else the patient's, :attr:`bsa`), and a prior may be
        absolute or per m².
        """
        orders = self.protocol.orders
        drugs = {item.order.drug for item in orders} | set(dict(prior or {}))
        bsa = {drug: _drug_bsa(orders, self.doses, drug, self.bsa) for drug in drugs}
        return _cumulative(
            self.protocol, self.per_cycle(), self.cycles, prior, conditions, bsa=bsa, equivalence=equivalence
        )

    def to_dict(self) -> dict:
        return {
            "protocol": self.protocol.name,
            "source": self.protocol.source,
            "cycle_days": self.protocol.cycle_days,
            "cycles": self.cycles,
            "bsa": plain(self.bsa),
            "orders": [
                {
                    "drug": item.order.drug,
                    "note": item.note,
                    "days": list(item.days),
                    "times_per_day": item.times_per_day,
                    **dose.to_dict(),
                }
                for item, dose in zip(self.protocol.orders, self.doses)
            ],
            "administrations": [administration.to_dict() for administration in self.administrations],
            "cumulative": self.cumulative().to_dict(),
            "version": self.version,
        }


@dataclass(frozen=True)
class Exposure(Result):
    """
    One drug's cumulative exposure.

    Attributes
    ----------
    drug : str
    per_cycle, prior, total : Quantity
        Per cycle, before the protocol, and prior + cycles × per cycle.
    limit : LifetimeLimit or None
        The lowest limit of the conditions selected; None without one.
    total_as_limit : Quantity or None
        The total in the limit's unit (per m² of the patient's BSA for a
        limit per m² and absolute doses); None where not comparable.
    reached_at_cycle : int or None
        The first cycle after which the total reaches the limit (0: the prior
        already does); None when it never does or cannot be compared.
    within_plan : bool
        Whether that cycle is among those planned.
    note : str or None
        Why a limit could not be compared, if so.
    """

    drug: str
    per_cycle: Any
    prior: Any
    total: Any
    limit: Any
    total_as_limit: Any
    reached_at_cycle: int | None
    within_plan: bool
    note: str | None = None

    @property
    def unchecked(self) -> bool:
        """Whether the drug has a limit its total could not be compared with (mg against mg/m², no BSA)."""
        return self.limit is not None and self.total_as_limit is None


@dataclass(frozen=True)
class Cumulative(Result):
    """
    Each drug's exposure after ``cycles`` cycles; ``conditions`` selected the
    limits; ``equivalence`` names the anthracycline conversion asked for (its
    exposure is ``"doxorubicin-equivalent (<name>)"``), None without one.
    """

    cycles: int
    exposures: tuple
    conditions: tuple
    equivalence: str | None = None
    version: str = __version__

    def __getitem__(self, drug: str) -> Exposure:
        for exposure in self.exposures:
            if exposure.drug == drug:
                return exposure
        raise UnknownNameError("drug", drug, (exposure.drug for exposure in self.exposures))


def _conditions(protocol: Protocol, conditions) -> tuple[str, ...]:
    if isinstance(conditions, str):
        conditions = (conditions,)
    known = sorted({limit.condition for limit in _lifetime_limits() + protocol.limits} - {STANDARD})
    for condition in conditions:
        if condition not in known:
            raise UnknownNameError("condition", condition, known)
    return tuple(conditions)


def _cumulative(
    protocol: Protocol, per_cycle: dict, cycles: int, prior, conditions, bsa, equivalence=None
) -> Cumulative:
    """The exposures of ``per_cycle``; ``bsa``: None, or each drug's BSA (a mapping of drug to BSA or None)."""
    bsa_of = {} if bsa is None else bsa
    conditions = _conditions(protocol, conditions)
    conversion = None if equivalence is None else _equivalence(equivalence)
    prior = dict(prior or {})
    per_cycle = dict(per_cycle)
    for drug, value in prior.items():
        if drug in per_cycle:
            continue
        if conversion is None or drug not in conversion.ratios:
            raise UnknownDrugError("prior", drug, (*per_cycle, *(conversion.ratios if conversion else ())))
        per_cycle[drug] = _prior(value, None, drug, bsa_of.get(drug)) * 0  # a drug before this protocol, not in it
    limits = _lifetime_limits() + protocol.limits
    exposures = [
        _exposure(
            drug,
            amount,
            _prior(prior.get(drug), amount, drug, bsa_of.get(drug)),
            _lowest(limits, drug, conditions),
            cycles,
            bsa_of.get(drug),
        )
        for drug, amount in per_cycle.items()
    ]
    if conversion is not None:
        equivalent = _equivalent(conversion, exposures, bsa_of)
        if equivalent is not None:
            per, given = equivalent
            exposures.append(
                _exposure(
                    f"doxorubicin-equivalent ({conversion.name})",
                    per,
                    given,
                    _lowest(limits, "doxorubicin", conditions),
                    cycles,
                    bsa_of.get("doxorubicin"),  # in mg/m² already: compared as it is
                    note=conversion.source,
                )
            )
    return Cumulative(cycles, tuple(exposures), conditions, None if conversion is None else conversion.name)


def _lowest(limits, drug: str, conditions) -> LifetimeLimit | None:
    """The lowest of a drug's limits that apply under the conditions; None without one."""
    applying = [limit for limit in limits if limit.drug == drug and limit.condition in (STANDARD, *conditions)]
    # in one unit (each of a drug's limits is of one kind: _refuse_limits_apart)
    return min(applying, key=lambda limit: limit.amount.m_as(applying[0].amount.units)) if applying else None


def _exposure(drug, amount, given, limit, cycles: int, bsa, note=None) -> Exposure:
    total = given + amount * cycles
    reached, total_as_limit = None, None
    if limit is not None:
        scale = _comparable(amount, limit.amount, bsa)
        if scale is None:
            note = (
                f"NOT CHECKED: the limit is in {limit.amount.units:~P} and the dose in {amount.units:~P}; "
                "give height and weight (a BSA) to compare them"
            )
        else:
            remaining = limit.amount.m_as(limit.amount.units) - given.m_as(amount.units) * scale
            per = amount.m_as(amount.units) * scale
            if remaining <= 0:
                reached = 0
            elif per > 0:
                reached = math.ceil(remaining / per - 1e-9)
            total_as_limit = quantity(total.m_as(amount.units) * scale, str(limit.amount.units))
    within = reached is not None and reached <= cycles
    return Exposure(drug, amount, given, total, limit, total_as_limit, reached, within, note)


def _equivalent(conversion: Equivalence, exposures, bsa_of: dict):
    """Per cycle and prior in doxorubicin-equivalent mg/m² of the drugs the conversion covers; None if none."""
    covered = [exposure for exposure in exposures if exposure.drug in ANTHRACYCLINES]
    if not covered:
        return None
    missing = [exposure.drug for exposure in covered if exposure.drug not in conversion.ratios]
    if missing:
        raise UnknownNameError(
            f"equivalence {conversion.name} (no ratio for {missing[0]})", missing[0], conversion.ratios
        )
    per, given = quantity(0.0, "mg/m**2"), quantity(0.0, "mg/m**2")
    for exposure in covered:
        ratio = conversion.ratios[exposure.drug]
        per = per + _per_m2(exposure.per_cycle, bsa_of.get(exposure.drug), exposure.drug) * ratio
        given = given + _per_m2(exposure.prior, bsa_of.get(exposure.drug), exposure.drug) * ratio
    return per, given


def _per_m2(value, bsa, drug: str):
    if value.check("[mass] / [length] ** 2"):
        return value.to("mg/m**2")
    if bsa is not None and value.check("[mass]"):
        return (value / bsa).to("mg/m**2")
    raise UnitError(drug, f"{value:~P}", "a dose in mg/m², or in mg with a patient's BSA, for a doxorubicin equivalent")


def _comparable(amount, limit, bsa):
    """The factor from the dose's unit to the limit's: 1, 1/BSA (absolute dose, limit per m²), BSA; None if not comparable."""
    one = registry().Quantity(1.0, amount.units)
    candidates = [one] if bsa is None else [one, one / bsa, one * bsa]
    for candidate in candidates:
        if candidate.dimensionality == limit.dimensionality:
            return float(candidate.m_as(limit.units))
    return None


def _prior(value, amount, drug: str, bsa):
    """A prior exposure in the unit of the drug's per-cycle amount (as given when ``amount`` is None)."""
    if value is None:
        return amount * 0
    field = f"prior {drug}"
    text = value if isinstance(value, str) else None
    with as_typed({field: text}):
        dose_amount, basis = read_dose(
            value if text is None else parse_quantity(text, field, kind="dose"), field, allowed=_BASES
        )
    given = quantity(dose_amount, basis)
    if amount is None:
        return given
    for candidate in [given] if bsa is None else [given, given * bsa, given / bsa]:
        if candidate.dimensionality == amount.dimensionality:
            return candidate.to(amount.units)
    shown = f"{given:~P}" if text is None else escaped(text)  # as typed: '100mg', not 100.0 mg
    raise UnitError(field, shown, f"an exposure in {amount.units:~P}, as the drug's dose")


class ProtocolTable(NamedTuple):
    """:meth:`Protocol.for_table`'s long schedule and the rejected patients."""

    schedule: pa.Table
    rejects: pa.Table


# --- files -------------------------------------------------------------------------------


def read_protocol(path) -> Protocol:
    """
    Read and validate a protocol file (TOML; see the module docstring).

    Raises
    ------
    DoseCalcError
        If the file cannot be read or is not TOML; and every refusal of
        :meth:`Protocol.from_dict`, naming the file.
    """
    shown = unquoted_escaped(os.fspath(path))
    path = Path(path)
    return Protocol.from_dict(load_toml(path, shown), source=path.name, base=path.parent)


def protocol_names() -> tuple[str, ...]:
    """The names of the protocols shipped with dosecalc (their file names without ``.toml``)."""
    return tuple(sorted(path.stem for path in PROTOCOL_DIR.glob("*.toml")))


def load_protocol(name_or_path) -> Protocol:
    """
    A shipped protocol by name (``"r-chop-21"``; case is ignored) or a
    protocol file by path.

    A text ending in ``.toml`` or holding a path separator is a path; any
    other text is a shipped protocol's name, or else a file of that name. A
    shipped name that is also a file here is refused as ambiguous (which
    R-CHOP-21 was meant?); ``./r-chop-21`` names the file.

    Raises
    ------
    UnknownNameError
        If the name is neither a file nor a shipped protocol; the message
        lists those.
    DoseCalcError
        If the name is both a shipped protocol and a file.
    """
    text = str(name_or_path)
    path = Path(text)
    if path.suffix == ".toml" or "/" in text or "\\" in text:
        return read_protocol(text)  # named as given in a refusal ("./abvd", which Path shortens to "abvd")
    names = protocol_names()
    key = text.lower()  # its case aside, a name as typed: "abvd " is no name (nothing typed is stripped)
    if key in names:
        if path.is_file():
            raise DoseCalcError(
                f"protocol {text!r} is both a shipped protocol and a file here; "
                f"give ./{text} for the file, or rename it"
            )
        return read_protocol(PROTOCOL_DIR / f"{key}.toml")
    if path.is_file():
        return read_protocol(text)
    raise UnknownNameError("protocol", text, names)
