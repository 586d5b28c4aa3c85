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

import numpy as np

from .conversions import to_mg_per_kg
from .doses import PER_KG, PER_M2, dose_basis, read_dose
from .errors import DoseCalcError, ImplausibleInputError, MissingInputError, UnitError, UnknownNameError
from .grammar import escaped
from .patient import ACTUAL, PatientDose, patient_dose
from .units import is_quantity, parse_quantity, quantity, registry, unit

__all__ = ["Regimen", "RegimenDose", "cycle_total"]

_DAYS_PER_WEEK = 7.0

# A regimen text is a closed grammar of words separated by one ASCII space each (a tab, a line break, a
# no-break or an em space is none of them, and "×3weeksq4weeks" is not a text of words):
#
#     regimen = dose [[","] " " often] " " by " " weeks " " week-word " " cycle
#     often   = "weekly" | "daily"
#     by      = "×" | "x" | "*" | "for" | "over"
#     cycle   = ("every" | "q") " " number " " week-word | ("of" | "in") " " ("a" | "an") " " number "-week cycle"
#
# The dose is read by the grammar of doses (dosecalc.grammar); it begins and ends with a character
# other than a space, so that no second space hides at its ends.
_WEEK_WORD = "(?:weeks|week|wks|wk)"
_TEXT = re.compile(
    r"(?P<dose>[^ ](?:.*?[^ ])?)(?:,? (?P<often>weekly|daily))? (?:×|x|\*|for|over)"
    rf" (?P<weeks>[0-9]{{1,3}}) {_WEEK_WORD}"
    rf" (?:(?:every|q) (?P<every>[0-9]{{1,3}}) {_WEEK_WORD}|(?:of|in) an? (?P<cycle>[0-9]{{1,3}})-week cycle)"
)
#: What a regimen text is, for the message that refuses one.
_TEXT_EXPECTED = (
    "a text like '75 mg/m^2/week × 3 weeks every 4 weeks': a dose, optionally 'weekly' or 'daily', "
    "'×' (or 'x', '*', 'for', 'over'), the weeks ('3 weeks') and the cycle ('every 4 weeks', 'q 4 weeks', "
    "'of a 4-week cycle', 'in a 4-week cycle'), each word after one ASCII space "
    "(at most 52 weeks of a cycle of at most 52 weeks)"
)


#: Upper bounds of a schedule: a cycle of at most a year (and so at most 52
#: weeks and 365 dosing days), at most 1,000 cycles (77 years of 28-day
#: cycles): beyond them a number is a slip, not a regimen.
_MOST = {"cycle_days": 365, "cycle_weeks": 52, "weeks": 52, "days": 365, "cycles": 1000}


def _boolean(value) -> bool:
    """Whether a value is a boolean: True or False, a NumPy bool, or an array of them (int() reads each as 0 or 1)."""
    return isinstance(value, (bool, np.bool_)) or getattr(getattr(value, "dtype", None), "kind", None) == "b"


def _shown(value):
    """A value as a message shows it: a text as typed (invisible characters escaped), else as it is."""
    return escaped(value) if isinstance(value, str) else value


def _positive_int(value, field: str) -> int:
    try:  # text, NaN, infinity and booleans (True is 1 to int()) are not whole numbers either
        whole = not _boolean(value) and not isinstance(value, str) and int(value) == value
        whole = whole and 1 <= value <= _MOST[field]
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise ImplausibleInputError(field, _shown(value), f"a whole number from 1 to {_MOST[field]:,}")
    return int(value)


def _dosing_days(days) -> list[int]:
    """The days of a cycle as whole numbers; an array of booleans (a mask, not days) is refused whole."""
    if _boolean(days):
        shown = days.tolist() if hasattr(days, "tolist") else days
        raise ImplausibleInputError("days", shown, f"whole numbers from 1 to {_MOST['days']:,}, not booleans")
    if isinstance(days, str) or not hasattr(days, "__iter__"):
        raise ImplausibleInputError("days", _shown(days), "a sequence of days, such as [1, 8, 15]")
    return [_positive_int(day, "days") for day in days]


# A text that means to be a schedule (a "×", a "for", a "weeks", in any case and whatever surrounds it):
# refused as a regimen text when it is not one, rather than read as a dose without a cycle
_SCHEDULE_LIKE = re.compile(
    r"[×*]|(?<![a-z])(?:x|for|over|every|q)(?![a-z])|weeks|wks|weekly|daily|-week", re.IGNORECASE
)

#: How often a regimen's text says its dose is given, and the rate that says the same.
_OFTEN = {"weekly": "week", "daily": "day"}


def _frequency(name) -> str:
    """The period of a frequency= name, exactly as typed: "weekly" a week, "daily" a day."""
    if not isinstance(name, str) or name not in _OFTEN:
        raise UnknownNameError("frequency", name, _OFTEN)
    return _OFTEN[name]


#: The longest regimen text read (its pattern would take quadratic time on pages of spaces).
_LONGEST_TEXT = 200


# "225 mg/m2 per cycle": a cycle total, shared out over the cycle's dosing days. One space before "per", a
# slash with at most one on either side, as the grammar's slashes; the whole text (no line break after it)
_PER_CYCLE = re.compile(r"(?P<dose>.*[^ ])(?: per cycle| ?/ ?cycle)")


def cycle_total(dose) -> bool:
    """
    Whether ``dose`` is a text of a cycle total, "225 mg/m2 per cycle" (or
    "/cycle"), which :class:`Regimen` shares equally over the dosing days.

    Examples
    --------
    >>> cycle_total("225 mg/m2 per cycle"), cycle_total("75 mg/m2")
    (True, False)
    """
    return isinstance(dose, str) and _PER_CYCLE.fullmatch(dose) is not None


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
        also a rate per week or per day ("75 mg/m^2/week", "75 mg/m^2/day");
        a cycle total ("225 mg/m^2 per cycle"), shared equally over the dosing
        days; or a whole regimen as text, "75 mg/m^2/week × 3 weeks every 4
        weeks" (see :meth:`parse`).
    days : sequence of int, default (1,)
        The days of the cycle on which it is given (day 1 is the first).
    cycle_days : int
        The cycle length in days; never assumed.
    weeks, cycle_weeks : int, optional
        Instead of ``days`` and ``cycle_days``: given for ``weeks`` weeks of a
        ``cycle_weeks``-week cycle, as often as the dose's rate says (per week:
        once a week; per day: every day) or ``frequency``.
    frequency : {"weekly", "daily"}, optional
        With ``weeks``, how often a dose without a rate (or a cycle total) is
        given: ``weeks=6`` alone does not say, as temozolomide's 75 mg/m² with
        radiotherapy over 6 weeks is 42 daily doses, not 6 weekly ones
        (Stupp R et al. N Engl J Med 2005;352:987-96,
        doi:10.1056/NEJMoa043330). Read exactly as written.

    Raises
    ------
    UnitError
        If the dose has no basis, is a rate without ``weeks``, or with
        ``weeks`` (or in a regimen text) neither is a rate per week or per day
        nor has a frequency (how often is never assumed), or its rate and its
        frequency disagree.
    ImplausibleInputError
        If a day is not a whole number in 1..cycle_days (True, a NumPy bool
        or an array of them is not), is repeated, or the dose is implausible.
    UnknownNameError
        If ``frequency`` is neither "weekly" nor "daily".
    DoseCalcError
        If a text that means to be a regimen is outside its grammar (see
        :meth:`parse`).

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
    >>> Regimen("75 mg/m^2", weeks=3, cycle_weeks=4, frequency="weekly").days
    (1, 8, 15)
    >>> Regimen("75 mg/m^2/week × 3 weeks every 4 weeks").cycle_days
    28
    """

    def __init__(self, dose, days=None, cycle_days=None, *, weeks=None, cycle_weeks=None, frequency=None):
        if isinstance(dose, str) and len(dose) > _LONGEST_TEXT:
            raise ImplausibleInputError(
                "dose", f"{len(dose):,} characters", f"a regimen of at most {_LONGEST_TEXT} characters"
            )
        as_text = isinstance(dose, str) and days is None and weeks is None and cycle_weeks is None
        text = _TEXT.fullmatch(dose) if as_text else None
        if as_text and text is None and _SCHEDULE_LIKE.search(dose):
            raise DoseCalcError(f"regimen={escaped(dose)}: expected {_TEXT_EXPECTED}")
        often = None if frequency is None else _frequency(frequency)
        if text:
            if frequency is not None:
                raise DoseCalcError(
                    f"regimen={escaped(dose)} and frequency={escaped(str(frequency))}: a regimen text says how "
                    "often in its own words ('75 mg/m2 weekly for 3 weeks every 4 weeks'); give one of them"
                )
            dose, weeks = text["dose"], int(text["weeks"])
            cycle_weeks = int(text["every"] or text["cycle"])
            often = None if text["often"] is None else _OFTEN[text["often"]]
        total = _PER_CYCLE.fullmatch(dose) if isinstance(dose, str) else None
        dose_text = dose
        if total:
            dose = total["dose"]
        if weeks is not None or cycle_weeks is not None:
            if days is not None or cycle_days is not None:
                raise DoseCalcError("give days and cycle_days, or weeks and cycle_weeks, not both")
            weeks = _positive_int(weeks, "weeks")
            if cycle_weeks is None:
                raise MissingInputError("cycle_weeks", "a regimen (a cycle length is never assumed)")
            cycle_days = 7 * _positive_int(cycle_weeks, "cycle_weeks")
            dose, period = _administration(dose)
            if period is not None and total:
                raise UnitError("dose", _shown(dose_text), "a rate or a total per cycle, not both")
            if often is not None and period is not None and often != period:
                said = text["often"] if text else frequency
                raise UnitError(
                    "regimen" if text else "frequency",
                    escaped(text.string if text else frequency),
                    f"a rate and a frequency that agree ('75 mg/m2/week weekly', '75 mg/m2/day daily'): "
                    f"{said} is given once a {often}, the dose is per {period}",
                )
            period = period or often
            if period is None:
                # "75 mg/m2 × 6 weeks" does not say how often: temozolomide's 75 mg/m² daily with
                # radiotherapy is written so (42 doses, not 6), and weeks=6 says no more; a frequency
                # is never guessed, by the text or by its keywords
                if text:
                    raise UnitError(
                        "regimen",
                        escaped(text.string),
                        "a rate per week or per day, such as '75 mg/m2/week × 3 weeks every 4 weeks' (weekly) "
                        "or '75 mg/m2/day × 3 weeks every 4 weeks' (daily); a dose without /week or /day does "
                        "not say how often it is given",
                    )
                raise UnitError(
                    "dose",
                    _shown(dose_text),
                    "a rate per week or per day with weeks= ('75 mg/m2/week', '75 mg/m2/day'), or "
                    "frequency='weekly' or frequency='daily'; a dose without /week or /day does not say how "
                    "often it is given",
                )
            days = list(range(1, 7 * weeks + 1)) if period == "day" else [1 + 7 * week for week in range(weeks)]
        elif frequency is not None:
            raise DoseCalcError(
                f"frequency={escaped(str(frequency))}: applies to weeks and cycle_weeks; days say on which days "
                "the dose is given"
            )
        if cycle_days is None:
            raise MissingInputError("cycle_days", "a regimen (a cycle length is never assumed)")
        days = _dosing_days((1,) if days is None else days)
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
        the same as ``Regimen(dose_per_week, weeks=..., cycle_weeks=..., frequency="weekly")``.

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
        return cls(dose_per_week, weeks=weeks, cycle_weeks=cycle_weeks, frequency="weekly")

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

        The text is a closed grammar, read exactly as typed::

            regimen = dose [[","] " " often] " " by " " N " " week-word " " cycle
            often   = "weekly" | "daily"
            by      = "×" | "x" | "*" | "for" | "over"
            cycle   = ("every" | "q") " " N " " week-word
                    | ("of" | "in") " " ("a" | "an") " " N "-week cycle"
            week-word = "weeks" | "week" | "wks" | "wk"

        each word after exactly one ASCII space, in lower case: a tab, a line
        break, a no-break, em or ideographic space, two spaces, a space at
        either end, "×3" or "4 - weeks" is refused with the text as typed.

        Raises
        ------
        UnitError
            If the dose is not a rate per week or per day.
        DoseCalcError
            If the text is outside the grammar.

        Examples
        --------
        >>> Regimen.parse("75 mg/m^2/week × 3 weeks every 4 weeks").cycle_days
        28
        """
        if not isinstance(text, str) or not _TEXT.fullmatch(text):
            shown = escaped(text) if isinstance(text, str) else repr(text)
            raise DoseCalcError(f"regimen={shown}: expected {_TEXT_EXPECTED}")
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
