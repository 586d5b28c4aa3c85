"""
What a dose quantity is: its basis (per m², per kg or flat) and its range.

A dose's basis is read from the structure of its unit, never from its
dimensionality alone: pint reduces mg/kg to a dimensionless ratio, so a check
of dimensions would take a bare 0.5, a percentage or mg/kg alike. Here the
numerator must be a mass (the drug) or an amount in units (bleomycin,
pegaspargase: a dimension of its own, never converted to mg), and the
denominator an area (the body's surface), a mass (the body's weight) or
nothing, optionally per unit of time.

A dose in units is read only where a caller allows its bases
(:data:`UNIT_BASES`); everywhere else it is refused, never taken as mg.
"""

from __future__ import annotations

import functools
import numbers

from .errors import UnitError
from .grammar import escaped
from .units import is_quantity, own_quantity, parse_quantity, registry, unit
from .validation import Range, checked

__all__ = [
    "PER_M2",
    "PER_KG",
    "FLAT",
    "UNITS_PER_M2",
    "UNITS_PER_KG",
    "UNITS",
    "UNIT_BASES",
    "MASS_BASES",
    "DOSE_RANGES",
    "MIN_DOSE",
    "ABSOLUTE_DOSE",
    "read_dose",
    "rate_period",
    "dose_basis",
    "amount_unit",
    "BASIS_LABELS",
]

PER_M2 = "mg/m**2"
PER_KG = "mg/kg"
FLAT = "mg"
UNITS_PER_M2 = "units/m**2"
UNITS_PER_KG = "units/kg"
UNITS = "units"
MASS_BASES = (PER_M2, PER_KG, FLAT)
UNIT_BASES = (UNITS_PER_M2, UNITS_PER_KG, UNITS)
BASIS_LABELS = {
    PER_M2: "mg/m²",
    PER_KG: "mg/kg",
    FLAT: "mg",
    UNITS_PER_M2: "units/m²",
    UNITS_PER_KG: "units/kg",
    UNITS: "units",
}

#: The smallest dose of any basis, in its own unit: 1e-9 mg/m², mg/kg, mg
#: (1 pg/m², 1 pg/kg, 1 pg) or 1e-9 units (per m², per kg or flat). The
#: smallest doses given to people are first doses of agonist antibodies and
#: T-cell engagers, chosen from the minimal anticipated biological effect
#: level (MABEL), as the inquiry into the TGN1412 trial recommended (Expert
#: Scientific Group on Phase One Clinical Trials, final report, The
#: Stationery Office, 2006) and EMA's guideline asks (Guideline on strategies
#: to identify and mitigate risks for first-in-human and early clinical trials
#: with investigational medicinal products, EMEA/CHMP/SWP/28367/07 Rev. 1,
#: 2017); such first doses are counted in micrograms (blinatumomab's first
#: step is 9 µg/day, trial NCT02910063), millions of times a picogram. A value
#: below the bound is a slip (of a unit, an exponent); below 2.2e-308 a double
#: even loses precision.
MIN_DOSE = 1e-9

# Upper bounds far above any single administration (high-dose methotrexate,
# 12 g/m²; cyclophosphamide conditioning, 60 mg/kg; the 2 g/kg limit dose of
# toxicology), low enough to catch g typed for mg and mg for µg. A maximum
# dose and a rounding step are doses of the flat basis: the same bounds.
DOSE_RANGES = {
    PER_M2: Range("dose", PER_M2, MIN_DOSE, 50_000.0, "mg/m²", ("mg/m**2", "ug/m**2")),
    PER_KG: Range("dose", PER_KG, MIN_DOSE, 5_000.0, "mg/kg", ("mg/kg", "ug/kg")),
    FLAT: Range("dose", FLAT, MIN_DOSE, 200_000.0, "mg", ("mg", "ug")),
    # aldesleukin 600,000 IU/kg; interferon alfa-2b 20 million IU/m² (labels): far above bleomycin's 10-30 units/m²
    UNITS_PER_M2: Range("dose", UNITS_PER_M2, MIN_DOSE, 1e8, "units/m²"),
    UNITS_PER_KG: Range("dose", UNITS_PER_KG, MIN_DOSE, 1e7, "units/kg"),
    UNITS: Range("dose", UNITS, MIN_DOSE, 1e9, "units"),
}

#: The absolute dose of one administration that any calculation may give: a
#: product of plausible inputs can still be absurd (5,000 mg/kg × 700 kg).
#: Above zero only: the smallest dose per kg for the lightest patient
#: (1e-9 mg/kg × 0.2 kg) lies below :data:`MIN_DOSE`, and far above the
#: doubles that lose precision.
ABSOLUTE_DOSE = Range("dose", FLAT, 0.0, 200_000.0, "mg for one administration")

_EXPECTED = "a dose in mg/m², mg/kg or mg, such as '75 mg/m^2', '6.1 mg/kg' or '100 mg'"


@functools.lru_cache(maxsize=256)
def _basis_of(units) -> tuple[str | None, bool]:
    # Split the unit (a UnitsContainer: names and powers, the same in every
    # registry) into numerator and denominator and read their dimensions.
    from pint.util import UnitsContainer

    ureg = registry()
    powers = dict(units)
    numerator = ureg.get_dimensionality(UnitsContainer({k: p for k, p in powers.items() if p > 0}))
    denominator = dict(ureg.get_dimensionality(UnitsContainer({k: -p for k, p in powers.items() if p < 0})))
    amounts: dict[tuple, int] = {(("[mass]", 1),): 0, (("[drug_amount]", 1),): 1}
    amount = amounts.get(tuple(sorted(dict(numerator).items())))
    if amount is None:
        return None, False
    per_time = denominator.pop("[time]", 0) == 1
    body = {(): (FLAT, UNITS), (("[length]", 2),): (PER_M2, UNITS_PER_M2), (("[mass]", 1),): (PER_KG, UNITS_PER_KG)}
    bases = body.get(tuple(sorted(denominator.items())))
    return (None if bases is None else bases[amount]), per_time


def amount_unit(basis: str) -> str:
    """The unit of the absolute dose of a basis: ``"mg"`` or ``"units"``."""
    return UNITS if basis in UNIT_BASES else FLAT


def dose_basis(dose, field: str = "dose") -> tuple[str | None, bool]:
    """
    Return ``(basis, per_time)`` of a dose quantity.

    ``basis`` is :data:`PER_M2`, :data:`PER_KG`, :data:`FLAT` or None when the
    unit is not a dose; ``per_time`` is True for a rate such as mg/m²/week.

    Raises
    ------
    UnitError
        If the quantity belongs to another pint registry.
    """
    return _basis_of(own_quantity(dose, field)._units)


def rate_period(dose) -> str:
    """
    The period of a dose rate: ``"day"`` or ``"week"``, as the grammar reads a rate. A rate keeps its
    period: a dose per day is no dose per week, as how many days of a week it is given is not said.

    Raises
    ------
    UnitError
        For a rate of another period (a Quantity per hour, month or year): how many doses it is, is not said.
    """
    periods = {name for name, power in own_quantity(dose, "dose").unit_items() if power < 0} & {"day", "week"}
    if len(periods) != 1:
        raise UnitError("dose", f"{dose:~P}", "a rate per day or per week (the period it is given in)")
    return periods.pop()


def read_dose(
    dose, field: str = "dose", default: str | None = None, allowed=(PER_M2, PER_KG, FLAT), rate: bool = False
):
    """
    Read a dose and return ``(magnitude, basis)``.

    Parameters
    ----------
    dose : str, Quantity or numeric
        The dose. A plain number is accepted only when ``default`` names its
        basis; otherwise its basis is unknown and it is an error.
    field : str
        Name for messages.
    default : str, optional
        The basis of plain numbers (e.g. :data:`PER_M2`).
    allowed : tuple of str
        The bases the caller accepts.
    rate : bool
        If True the dose must be a rate (per unit of time) and its magnitude is
        returned per week; if False a rate is an error.

    Returns
    -------
    magnitude : float or ndarray
        In ``basis`` units (per week when ``rate``).
    basis : str

    Raises
    ------
    UnitError
        If the basis is unknown, not allowed, or the rate-ness is wrong, or the
        quantity belongs to another pint registry.
    ImplausibleInputError
        If the dose is NaN, below :data:`MIN_DOSE` (zero, negative) or
        absurdly large.
    """
    text = dose if isinstance(dose, str) else None
    if text is not None:
        dose = parse_quantity(text, field)
    if not is_quantity(dose):
        if default is None:
            bare = (
                not isinstance(dose, bool) and isinstance(dose, (numbers.Number, list, tuple)) or hasattr(dose, "dtype")
            )
            why = "a bare number has no basis" if bare else "as text with its unit, or a Quantity"
            raise UnitError(field, dose, f"{_EXPECTED}: {why}")
        return checked(dose, DOSE_RANGES[default], field), default
    basis, per_time = dose_basis(dose, field)
    shown = f"{dose:~P}" if text is None else escaped(text)  # a refused dose as typed
    if basis in UNIT_BASES and basis not in allowed:
        raise UnitError(
            field, shown, "a dose in mg here: a dose in units (bleomycin, pegaspargase) is never converted to mg"
        )
    if basis not in allowed:
        expected = " or ".join(BASIS_LABELS[b] for b in allowed) + (", per day or per week" if rate else "")
        raise UnitError(field, shown, f"a dose in {expected}")
    if per_time != rate:
        why = "a dose rate, such as '75 mg/m^2/week'" if rate else "a dose per administration, not a rate"
        raise UnitError(field, shown, why)
    if rate:
        dose = dose * registry().Quantity(1.0, unit("week"))
    assert basis is not None  # an allowed basis
    return checked(dose, DOSE_RANGES[basis], field), basis
