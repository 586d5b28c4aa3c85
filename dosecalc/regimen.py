r"""
Regimen arithmetic: per administration, per cycle, dose intensity, cumulative.

For a dose :math:`d` given on :math:`n` days of a cycle of :math:`L` days:

.. math::
    D_{cycle} = n\,d, \qquad
    DI = \frac{D_{cycle}}{L / 7} \ \text{per week}, \qquad
    D_{cum}(k) = k\,D_{cycle}

Dose intensity is the dose per unit time over the cycle, in per-week units
(Hryniuk and Bush, J. Clin. Oncol. 2:1281, 1984, doi:10.1200/JCO.1984.2.11.1281).

The worked example is lorvotuzumab mertansine (IMGN901) in multiple myeloma:
75 mg/m² weekly for 3 weeks of a 4-week cycle is 225 mg/m², or 6.1 mg/kg, per
cycle (ImmunoGen press release on ASCO 2011 abstract 8013, 5 June 2011), and
56.25 mg/m²/week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .conversions import to_mg_per_kg
from .doses import PER_KG, PER_M2, dose_basis, read_dose
from .errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError
from .grammar import escaped
from .patient import ACTUAL, PatientDose, patient_dose
from .units import is_quantity, parse_quantity, quantity, registry, unit

__all__ = ["Regimen", "RegimenDose", "cycle_total"]

_DAYS_PER_WEEK = 7.0
_TEXT = re.compile(
    r"^\s*(?P<dose>.+?)(?:\s*,?\s+(?P<often>weekly|daily))?\s*(?:×|x|\*|for|over)\s*(?P<weeks>[0-9]{1,3})\s*"
    r"(?:weeks?|wks?)\s*"
    r"(?:every|of|in|q)\s*(?:an?\s+|each\s+)?(?P<cycle>[0-9]{1,3})[\s-]*(?:weeks?|wks?)(?:\s*cycles?)?\s*$",
    re.IGNORECASE,
)


#: Upper bounds of a schedule: a cycle of at most a year (and so at most 52
#: weeks and 365 dosing days), at most 1,000 cycles (77 years of 28-day
#: cycles): beyond them a number is a slip, not a regimen.
_MOST = {"cycle_days": 365, "cycle_weeks": 52, "weeks": 52, "days": 365, "cycles": 1000}


def _positive_int(value, field: str) -> int:
    try:  # text, NaN and infinity are not whole numbers either
        whole = not isinstance(value, (bool, str)) and int(value) == value and 1 <= value <= _MOST[field]
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        shown = repr(value) if isinstance(value, str) else value
        raise ImplausibleInputError(field, shown, f"a whole number from 1 to {_MOST[field]:,}")
    return int(value)


# a text that means to be a schedule: refused as one when it is not read as one
_SCHEDULE_WORDS = re.compile(r"(?:×|\bx\b|\*|\bfor\b|\bover\b).*\b(?:weeks?|wks?|days?)\b", re.IGNORECASE)

#: How often a regimen's text says its dose is given, and the rate that says the same.
_OFTEN = {"weekly": "week", "daily": "day"}

#: The longest regimen text read (its pattern would take quadratic time on pages of spaces).
_LONGEST_TEXT = 200


# "225 mg/m2 per cycle": a cycle total, shared out over the cycle's dosing days
_PER_CYCLE = re.compile(r"^(?P<dose>.+?)(?: per cycle|/cycle)$")


def cycle_total(dose) -> bool:
    """
    Whether ``dose`` is a text of a cycle total, "225 mg/m2 per cycle" (or
    "/cycle"), which :class:`Regimen` shares equally over the dosing days.

    Examples
    --------
    >>> cycle_total("225 mg/m2 per cycle"), cycle_total("75 mg/m2")
    (True, False)
    """
    return isinstance(dose, str) and _PER_CYCLE.match(dose) is not None


def _administration(dose):
    """``(dose of one administration, "day" | "week" | None)``: a rate per day is
    the dose of each daily administration, a rate per week of each weekly one."""
    if isinstance(dose, str):
        dose = parse_quantity(dose, "dose", kind="dose")
    if not is_quantity(dose) or not dose_basis(dose)[1]:
        return dose, None
    for period in ("day", "week"):
        per_period = dose * registry().Quantity(1.0, unit(period))
        if dose_basis(per_period)[0] is not None and not dose_basis(per_period)[1]:
            return per_period.to(unit(dose_basis(per_period)[0])), period
    raise UnitError("dose", f"{dose:~P}", "a dose per administration, or a rate per day or per week")


@dataclass(frozen=True)
class RegimenDose:
    """
    A regimen's absolute doses for one patient (or arrays of patients).

    Attributes
    ----------
    per_administration : PatientDose
        The dose of each administration, with BSA, formula and equivalents.
    administrations_per_cycle : int
    cycle_days : int
    per_cycle : Quantity
        [mg] per cycle.
    dose_intensity : Quantity
        [mg/week] over the cycle.
    """

    per_administration: PatientDose
    administrations_per_cycle: int
    cycle_days: int
    per_cycle: Any
    dose_intensity: Any

    def cumulative(self, cycles: int):
        """Absolute dose [mg] over ``cycles`` full cycles."""
        return self.per_cycle * _positive_int(cycles, "cycles")


class Regimen:
    """
    A dose given on fixed days of a repeating cycle.

    Parameters
    ----------
    dose : str or Quantity
        The dose of one administration, in mg/m², mg/kg or mg; with ``weeks``
        also a weekly rate ("75 mg/m^2/week"); or a whole regimen as text,
        "75 mg/m^2/week × 3 weeks every 4 weeks" (see :meth:`parse`).
    days : sequence of int, default (1,)
        The days of the cycle on which it is given (day 1 is the first).
    cycle_days : int
        The cycle length in days; defaults to the last dosing day.
    weeks, cycle_weeks : int, optional
        Instead of ``days`` and ``cycle_days``: given weekly for ``weeks``
        weeks of a ``cycle_weeks``-week cycle.

    Raises
    ------
    UnitError
        If the dose has no basis, is a rate without ``weeks``, or, in a
        regimen text, is not a rate per week or per day (how often is never
        assumed).
    ImplausibleInputError
        If a day is not a whole number in 1..cycle_days, is repeated, or the
        dose is implausible.

    Examples
    --------
    IMGN901, 75 mg/m² on days 1, 8 and 15 of a 28-day cycle:

    >>> r = Regimen("75 mg/m^2", days=[1, 8, 15], cycle_days=28)
    >>> r.per_cycle.m_as("mg/m**2"), r.dose_intensity.m_as("mg/m**2/week")
    (225.0, 56.25)
    >>> round(r.per_cycle_mg_per_kg().m_as("mg/kg"), 2)
    6.08
    >>> Regimen("75 mg/m^2/week", weeks=3, cycle_weeks=4).days
    (1, 8, 15)
    >>> Regimen("75 mg/m^2/week × 3 weeks every 4 weeks").cycle_days
    28
    """

    def __init__(self, dose, days=None, cycle_days=None, *, weeks=None, cycle_weeks=None):
        if isinstance(dose, str) and len(dose) > _LONGEST_TEXT:
            raise ImplausibleInputError(
                "dose", f"{len(dose):,} characters", f"a regimen of at most {_LONGEST_TEXT} characters"
            )
        text = _TEXT.match(dose) if isinstance(dose, str) and days is None and weeks is None else None
        if text is None and isinstance(dose, str) and days is None and weeks is None and _SCHEDULE_WORDS.search(dose):
            raise DoseCalcError(
                f"regimen={dose!r}: expected a text like '75 mg/m^2/week × 3 weeks every 4 weeks' "
                "(at most 52 weeks of a cycle of at most 52 weeks)"
            )
        if text:
            dose, weeks, cycle_weeks = text["dose"], int(text["weeks"]), int(text["cycle"])
        total = _PER_CYCLE.match(dose) if isinstance(dose, str) else None
        dose_text = dose
        if total:
            dose = total["dose"]
        period = None
        if weeks is not None or cycle_weeks is not None:
            if days is not None or cycle_days is not None:
                raise DoseCalcError("give days and cycle_days, or weeks and cycle_weeks, not both")
            weeks = _positive_int(weeks, "weeks")
            if cycle_weeks is None:
                raise MissingInputError("cycle_weeks", "a regimen (a cycle length is never assumed)")
            cycle_days = 7 * _positive_int(cycle_weeks, "cycle_weeks")
            dose, period = _administration(dose)
            if period is not None and total:
                raise UnitError("dose", dose_text, "a rate or a total per cycle, not both")
            often = _OFTEN.get(text["often"].lower()) if text and text["often"] else None
            if often is not None and period is not None and often != period:
                raise UnitError(
                    "regimen",
                    escaped(text.string),
                    f"a rate and a frequency that agree ('75 mg/m2/week weekly', '75 mg/m2/day daily'): "
                    f"{text['often']} is given once a {often}, the dose is per {period}",
                )
            period = period or often
            if period is None and text:
                # "75 mg/m2 × 6 weeks" does not say how often: temozolomide's 75 mg/m² daily with
                # radiotherapy is written so (42 doses, not 6); a frequency is never guessed
                raise UnitError(
                    "regimen",
                    escaped(text.string),
                    "a rate per week or per day, such as '75 mg/m2/week × 3 weeks every 4 weeks' (weekly) or "
                    "'75 mg/m2/day × 3 weeks every 4 weeks' (daily); a dose without /week or /day does not say "
                    "how often it is given",
                )
            if period is None and not total:
                period = "week"  # weeks=: "given weekly", the dose of each weekly administration
            days = list(range(1, 7 * weeks + 1)) if period == "day" else [1 + 7 * week for week in range(weeks)]
        if cycle_days is None:
            raise MissingInputError("cycle_days", "a regimen (a cycle length is never assumed)")
        days = [_positive_int(day, "days") for day in ((1,) if days is None else days)]
        self._amount, self.basis = read_dose(dose)
        if total:
            self._amount = self._amount / len(days)
        if not days:
            raise ImplausibleInputError("days", "[]", "at least one dosing day")
        if sorted(set(days)) != days:
            raise ImplausibleInputError("days", days, "distinct days in increasing order")
        self.days = tuple(days)
        self.cycle_days = _positive_int(cycle_days, "cycle_days")
        if days[-1] > self.cycle_days:
            raise ImplausibleInputError("days", days, f"days within the {self.cycle_days}-day cycle")

    @classmethod
    def weekly(cls, dose_per_week, weeks: int, cycle_weeks: int):
        """
        A weekly dose for ``weeks`` weeks of a ``cycle_weeks``-week cycle;
        the same as ``Regimen(dose_per_week, weeks=..., cycle_weeks=...)``.

        Parameters
        ----------
        dose_per_week : str or Quantity
            A rate such as "75 mg/m^2/week", or the dose of each weekly
            administration such as "75 mg/m^2".

        Examples
        --------
        >>> Regimen.weekly("75 mg/m^2/week", weeks=3, cycle_weeks=4).days
        (1, 8, 15)
        """
        return cls(dose_per_week, weeks=weeks, cycle_weeks=cycle_weeks)

    @classmethod
    def parse(cls, text: str):
        """
        Read "75 mg/m^2/week × 3 weeks every 4 weeks" (also "x 3 weeks of a
        4-week cycle", "for 3 weeks q 4 weeks", "over 3 weeks in a 4-week
        cycle"). The dose is a rate: per week (weekly administrations) or per
        day (daily ones), or says so ("75 mg/m^2 weekly for 3 weeks ...",
        "..., daily for ..."; a rate and a word that disagree are refused);
        "75 mg/m^2 × 3 weeks every 4 weeks" does not say how often and is
        refused.

        Raises
        ------
        UnitError
            If the dose is not a rate per week or per day.

        Examples
        --------
        >>> Regimen.parse("75 mg/m^2/week × 3 weeks every 4 weeks").cycle_days
        28
        """
        if not isinstance(text, str) or not _TEXT.match(text):
            raise DoseCalcError(f"regimen={text!r}: expected a text like '75 mg/m^2/week × 3 weeks every 4 weeks'")
        return cls(text)

    def __repr__(self):
        return f"Regimen({self.per_administration:~P}, days={list(self.days)}, cycle_days={self.cycle_days})"

    @property
    def per_administration(self):
        """The dose of one administration, in its basis."""
        return quantity(self._amount, self.basis)

    @property
    def administrations_per_cycle(self) -> int:
        return len(self.days)

    @property
    def per_cycle(self):
        """The dose of one cycle, in its basis."""
        return quantity(self._amount * len(self.days), self.basis)

    @property
    def dose_intensity(self):
        """The dose per week over the cycle (e.g. [mg/m²/week])."""
        weeks = self.cycle_days / _DAYS_PER_WEEK
        return quantity(self._amount * len(self.days) / weeks, self.basis + "/week")

    def per_cycle_mg_per_kg(self, km=None, species=None):
        """
        The per-cycle dose in mg/kg, by a Km factor for a mg/m² regimen
        (default adult human, 37 kg/m²; see :func:`dosecalc.to_mg_per_kg`).

        Raises
        ------
        UnitError
            For a flat (mg) regimen, which has no per-kg equivalent without a
            patient.
        """
        if self.basis == PER_KG:
            return self.per_cycle
        if self.basis != PER_M2:
            raise UnitError("dose", f"{self.per_administration:~P}", "a dose in mg/m² or mg/kg")
        return to_mg_per_kg(self.per_cycle, km=km, species=species)

    def cumulative(self, cycles: int):
        """The dose over ``cycles`` full cycles, in its basis."""
        return self.per_cycle * _positive_int(cycles, "cycles")

    def for_patient(
        self,
        height=None,
        weight=None,
        bsa=None,
        method="mosteller",
        sex=None,
        *,
        weight_basis=ACTUAL,
        bsa_cap=None,
        max_dose=None,
    ) -> RegimenDose:
        """
        The absolute doses of this regimen for a patient, as
        :func:`dosecalc.patient_dose` computes them, with the same options
        (weight basis, BSA cap, maximum dose per administration).

        Examples
        --------
        >>> r = Regimen("75 mg/m^2", days=[1, 8, 15], cycle_days=28)
        >>> round(r.for_patient(bsa=1.9).per_cycle.m_as("mg"), 1)
        427.5
        """
        each = patient_dose(
            self.per_administration,
            height=height,
            weight=weight,
            bsa=bsa,
            method=method,
            sex=sex,
            weight_basis=weight_basis,
            bsa_cap=bsa_cap,
            max_dose=max_dose,
        )
        per_cycle = each.dose * len(self.days)
        return RegimenDose(
            per_administration=each,
            administrations_per_cycle=len(self.days),
            cycle_days=self.cycle_days,
            per_cycle=per_cycle,
            dose_intensity=quantity(per_cycle.m_as(unit("mg")) / (self.cycle_days / _DAYS_PER_WEEK), "mg/week"),
        )
