r"""
Population conversions between mg/m² and mg/kg by Km factors, and the
human-equivalent dose (HED) of an animal dose.

The Km factor of a species is its body weight divided by its body-surface area
[kg/m²], so that

.. math:: D_{mg/m^2} = K_m \, D_{mg/kg}

Doses normalised to surface area are taken as equivalent across species, hence

.. math:: HED_{mg/kg} = D_{animal, mg/kg} \times K_{m,animal} / K_{m,human}

All Km values and reference weights are those of Table 1 of the FDA guidance
[1]_; the child's factor is given there "for reference only".

References
----------
.. [1] U.S. Food and Drug Administration, Center for Drug Evaluation and
   Research, "Guidance for Industry: Estimating the Maximum Safe Starting Dose
   in Initial Clinical Trials for Therapeutics in Adult Healthy Volunteers,"
   July 2005, Table 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from .doses import PER_KG, PER_M2, dose_basis, rate_period, read_dose
from .errors import DoseCalcError, MissingInputError, UnknownNameError
from .results import scalar_or_array
from .units import is_quantity, parse_quantity, quantity
from .validation import Range, checked

__all__ = [
    "FDA_2005",
    "KM_FACTORS",
    "SPECIES",
    "Species",
    "SPECIES_SPELLINGS",
    "km_factor",
    "species_name",
    "to_mg_per_kg",
    "to_mg_per_m2",
    "hed",
]

FDA_2005 = (
    "FDA CDER. Guidance for Industry: Estimating the Maximum Safe Starting Dose in "
    "Initial Clinical Trials for Therapeutics in Adult Healthy Volunteers. July 2005, Table 1"
)


class Species(NamedTuple):
    """A row of FDA (2005) Table 1."""

    label: str
    km: int  # [kg/m²]
    reference_weight_kg: float
    bsa_m2: float


SPECIES: Mapping[str, Species] = MappingProxyType(
    {
        "human": Species("Human (adult)", 37, 60.0, 1.62),
        "human_child": Species("Human (child)", 25, 20.0, 0.80),
        "mouse": Species("Mouse", 3, 0.02, 0.007),
        "hamster": Species("Hamster", 5, 0.08, 0.016),
        "rat": Species("Rat", 6, 0.15, 0.025),
        "ferret": Species("Ferret", 7, 0.30, 0.043),
        "guinea_pig": Species("Guinea pig", 8, 0.40, 0.05),
        "rabbit": Species("Rabbit", 12, 1.8, 0.15),
        "dog": Species("Dog", 20, 10.0, 0.50),
        "monkey": Species("Monkey (rhesus, cynomolgus)", 12, 3.0, 0.25),
        "marmoset": Species("Marmoset", 6, 0.35, 0.06),
        "squirrel_monkey": Species("Squirrel monkey", 7, 0.60, 0.09),
        "baboon": Species("Baboon", 20, 12.0, 0.60),
        "micro_pig": Species("Micro-pig", 27, 20.0, 0.74),
        "mini_pig": Species("Mini-pig", 35, 40.0, 1.14),
    }
)

# Other names of a species, each spelled as its keys are (words joined by "_", " " or "-")
_ALIASES = {
    "adult": "human",
    "human_adult": "human",
    "adult_human": "human",
    "child": "human_child",
    "child_human": "human_child",
    "rhesus": "monkey",
    "rhesus_monkey": "monkey",
    "cynomolgus": "monkey",
    "cynomolgus_monkey": "monkey",
    "macaque": "monkey",
    "mice": "mouse",
    "rats": "rat",
    "minipig": "mini_pig",
    "micropig": "micro_pig",
    "guineapig": "guinea_pig",
}


def _spellings() -> dict[str, str]:
    # Every spelling of a species read, each exactly: a key or an alias with its words joined by "_", " " or
    # "-" ("guinea_pig", "guinea pig", "guinea-pig"), and the name as Table 1 writes it ("Guinea pig",
    # "Mini-pig"), with a hyphen for its space ("Guinea-pig"). Nothing else is folded to one of them: not
    # a capital ("RAT"), a space around it ("rat\n") or between its words ("guinea\u2003pig").
    spellings = {}
    for name, key in {**{key: key for key in SPECIES}, **_ALIASES}.items():
        for joiner in ("_", " ", "-"):
            spellings[name.replace("_", joiner)] = key
    for key, row in SPECIES.items():
        if "(" not in row.label:  # "Human (adult)" and "Monkey (rhesus, cynomolgus)" are labels, not names
            spellings[row.label] = spellings[row.label.replace(" ", "-")] = key
    return spellings


#: Each spelling of a species that is read, and its key of :data:`SPECIES`.
SPECIES_SPELLINGS: Mapping[str, str] = MappingProxyType(_spellings())

KM = Range("km", "kg/m**2", 1.0, 100.0, "kg/m²")


def species_name(name: str) -> str:
    """
    Return the canonical species key ("Guinea pig" -> "guinea_pig"): the key
    of a spelling of :data:`SPECIES_SPELLINGS`, read exactly as typed.

    Raises
    ------
    UnknownNameError
        For any other text, with the closest key as a hint ("RAT", "rat\\n":
        did you mean 'rat'?).
    """
    key = SPECIES_SPELLINGS.get(name) if isinstance(name, str) else None
    if key is None:
        raise UnknownNameError("species", name, SPECIES)
    return key


class _KmTable(dict):
    # a plain dict of the canonical names that also answers to their spellings:
    # KM_FACTORS["guinea pig"], KM_FACTORS["Guinea pig"], KM_FACTORS["human adult"] (SPECIES_SPELLINGS)
    def __missing__(self, name):
        return self[species_name(name)]

    def __contains__(self, name):
        return isinstance(name, str) and name in SPECIES_SPELLINGS

    def get(self, name, default=None):
        return self[name] if name in self else default

    def _read_only(self, *args, **kwargs):
        # a regulatory table: a changed Km would change every later dose silently
        raise TypeError("KM_FACTORS is FDA (2005) Table 1 and read-only; pass km=... for another factor")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only


#: Km factors [kg/m²] of FDA (2005) Table 1, by species.
KM_FACTORS: dict[str, int] = _KmTable((name, row.km) for name, row in SPECIES.items())


def km_factor(km=None, species=None):
    """
    Resolve a Km factor [kg/m²] from ``km`` or ``species`` (default: adult human, 37).

    A float, or an ndarray for an array of ``km``.

    Raises
    ------
    DoseCalcError
        If both are given.
    UnknownNameError
        If the species is unknown; the message lists the valid names.
    ImplausibleInputError
        If a ``km`` is outside 1-100 kg/m².
    """
    if km is not None and species is not None:
        raise DoseCalcError(f"km={km} and species={species!r}: give km or species, not both")
    if km is not None:
        return scalar_or_array(checked(km, KM))
    return float(KM_FACTORS[species_name(species or "human")])


def _convert(dose, from_basis: str, to_basis: str, factor: float, field: str):
    # One dose, per administration or a rate (of its own period, :func:`~dosecalc.doses.rate_period`),
    # from one basis to another
    if isinstance(dose, str):
        dose = parse_quantity(dose, field)
    rate = is_quantity(dose) and dose_basis(dose, field)[1]
    period = rate_period(dose) if rate else None  # a rate per day or week, before its magnitude is read
    magnitude, _ = read_dose(dose, field, default=from_basis, allowed=(from_basis,), rate=rate)
    if period is None:
        return quantity(magnitude * factor, to_basis)
    per_period = magnitude / quantity(1.0, "week").m_as(period)  # read_dose gives a rate per week
    return quantity(per_period * factor, f"{to_basis}/{period}")


def to_mg_per_kg(dose, km=None, species=None):
    r"""
    Convert a dose in mg/m² to mg/kg by a population Km factor.

    .. math:: D_{mg/kg} = D_{mg/m^2} / K_m

    Parameters
    ----------
    dose : numeric, str or Quantity
        Dose per body-surface area; plain numbers in [mg/m²]. A rate
        gives a rate of its own period (mg/m²/day: mg/kg/day).
    km : numeric or Quantity, optional
        Km factor; plain numbers in [kg/m²]. 1-100.
    species : str, optional
        A key of :data:`KM_FACTORS`; default ``"human"`` (Km 37).

    Returns
    -------
    dose : Quantity
        [mg/kg] (or [mg/kg/day], [mg/kg/week]).

    Raises
    ------
    UnitError
        If the dose is in another basis (mg/kg, a flat mg) or a quantity of
        another registry.
    ImplausibleInputError
        If the dose is NaN, non-positive or absurd, or ``km`` outside 1-100.
    UnknownNameError
        If the species is unknown; the message lists the valid names.
    DoseCalcError
        If both ``km`` and ``species`` are given.

    References
    ----------
    FDA (2005) guidance, Table 1 (cited in full in :mod:`dosecalc.conversions`).

    Examples
    --------
    IMGN901: 225 mg/m² per cycle is 6.08 mg/kg in an adult.

    >>> round(to_mg_per_kg("225 mg/m^2").m_as("mg/kg"), 2)
    6.08
    """
    return _convert(dose, PER_M2, PER_KG, 1.0 / km_factor(km, species), "dose")


def to_mg_per_m2(dose, km=None, species=None):
    r"""
    Convert a dose in mg/kg to mg/m² by a population Km factor.

    .. math:: D_{mg/m^2} = K_m \, D_{mg/kg}

    Parameters
    ----------
    dose : numeric, str or Quantity
        Dose per body weight; plain numbers in [mg/kg]. A rate gives a rate
        of its own period (mg/kg/day: mg/m²/day).
    km : numeric or Quantity, optional
        Km factor; plain numbers in [kg/m²]. 1-100.
    species : str, optional
        A key of :data:`KM_FACTORS`; default ``"human"`` (Km 37).

    Returns
    -------
    dose : Quantity
        [mg/m²] (or [mg/m²/day], [mg/m²/week]).

    Raises
    ------
    UnitError, ImplausibleInputError, UnknownNameError, DoseCalcError
        As :func:`to_mg_per_kg`; a dose in mg/m², a flat mg or a bare ratio
        is in another basis.

    References
    ----------
    FDA (2005) guidance, Table 1 (cited in full in :mod:`dosecalc.conversions`).

    Examples
    --------
    >>> to_mg_per_m2("10 mg/kg", species="rat").m_as("mg/m**2")
    60.0
    """
    return _convert(dose, PER_KG, PER_M2, km_factor(km, species), "dose")


def hed(animal_dose, species=None, km=None, human_km=37):
    r"""
    Human-equivalent dose of an animal dose, by body-surface-area scaling.

    .. math:: HED_{mg/kg} = D_{animal} \times K_{m,animal} / K_{m,human}

    A dose given in mg/m² is already surface-normalised: its HED in mg/kg is
    :math:`D_{mg/m^2} / K_{m,human}`.

    Parameters
    ----------
    animal_dose : numeric, str or Quantity
        The animal's dose; plain numbers in [mg/kg]; mg/m² accepted.
    species : str
        A key of :data:`KM_FACTORS` (required unless ``km`` is given).
    km : numeric or Quantity, optional
        The animal's Km factor [kg/m²], for a species not in the table.
    human_km : numeric, default 37
        The human Km factor (25 for a child).

    Returns
    -------
    hed : Quantity
        [mg/kg].

    Raises
    ------
    MissingInputError
        If neither ``species`` nor ``km`` is given.
    UnitError
        If the dose is neither mg/kg nor mg/m², or a rate.
    ImplausibleInputError
        If the dose is NaN, non-positive or absurd, or a Km outside 1-100.
    UnknownNameError
        If the species is unknown; the message lists the valid names.

    References
    ----------
    FDA (2005) guidance, section V.A and Table 1 (cited in full in :mod:`dosecalc.conversions`).

    Examples
    --------
    A rat NOAEL of 50 mg/kg: 50 × 6 / 37 = 8.1 mg/kg.

    >>> round(hed("50 mg/kg", "rat").m_as("mg/kg"), 1)
    8.1
    """
    if species is None and km is None:
        raise MissingInputError("species", "a human-equivalent dose (or give km)")
    animal_km = km_factor(km, species)
    human = km_factor(km=human_km)
    magnitude, basis = read_dose(animal_dose, "animal_dose", default=PER_KG, allowed=(PER_KG, PER_M2))
    if basis == PER_KG:
        magnitude = magnitude * animal_km
    return quantity(magnitude / human, PER_KG)
