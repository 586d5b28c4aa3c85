"""
The one unit registry of dosecalc, and the reading of units people type.

``ureg`` and ``Q_`` are built lazily on first use, so ``import dosecalc`` does
not pay for ``import pint`` and the registry (~0.3 s cold); the registry's
definitions are cached on disk by pint's ``cache_folder``. Two registries'
quantities don't mix (pint docs, "pint in your projects"): use ``dosecalc.Q_``.

Inside dosecalc, quantities carry their unit; at the edges (CSV headers, CLI
options) bare numbers carry it in their name: ``height_cm``, ``weight_kg``.
A string is parsed once at the edge, never in a per-row path.
"""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

import numpy as np

from .errors import UnitError
from .results import scalar_or_array

if TYPE_CHECKING:
    import pint

__all__ = ["ureg", "Q_", "registry", "parse_quantity", "unit", "quantity", "magnitude", "is_quantity", "own_quantity"]

# Spellings pint lacks that people type ("wk", "kgs"), and the symbols
# clinicians write: mL and dL, not pint's ml and dl; yr, not pint's "a".
# The grammar (grammar.py) names units by these; user text never reaches pint.
# mL and dL, not pint's ml and dl; a year of 365.25 days shown as yr; a drug
# amount in units (bleomycin, pegaspargase) is a dimension of its own, never mg;
# the standard BSA of an indexed clearance (mL/min/1.73 m²) is 1.73 m².
_EXTRA_DEFINITIONS = (
    "liter = decimeter ** 3 = L = l = litre",
    "year = 365.25 * day = yr = a = julian_year",
    "drug_unit = [drug_amount] = units",
    "standard_bsa = 1.73 * meter ** 2 = 1.73 m²",
)


#: Whether pint may import dask: pint loads ``dask.base`` whenever dask is
#: installed (~90 ms), only to wrap dask arrays in quantities. A program that
#: never does (the command line) turns it off with :func:`pint_without_dask`.
_PINT_IMPORTS_DASK = [True]


def pint_without_dask() -> None:
    """
    Let pint, when first imported, skip its dask support (dask itself stays
    importable afterwards). For a process that never wraps dask arrays in
    quantities: the command line calls it; a library user need not.
    """
    _PINT_IMPORTS_DASK[0] = False


def _import_pint():
    if _PINT_IMPORTS_DASK[0] or "dask" in sys.modules or "pint" in sys.modules:
        import pint

        return pint
    sys.modules["dask"] = None  # pint's find_spec("dask") then finds nothing
    try:
        import pint
    finally:
        del sys.modules["dask"]
    return pint


@functools.cache
def registry():
    """Return the shared :class:`pint.UnitRegistry`, building it on first call."""
    pint = _import_pint()

    try:
        ureg = pint.UnitRegistry(cache_folder=":auto:")
    except OSError:  # no writable cache directory: build without the cache
        ureg = pint.UnitRegistry()
    for definition in _EXTRA_DEFINITIONS:
        ureg.define(definition)
    ureg.formatter.default_format = "~P"
    # units shown in the order they are written and computed (mg/kg/d), not sorted by name (mg/d/kg)
    ureg.formatter.default_sort_func = None
    return ureg


#: The shared registry and its Quantity class, built when first touched
#: (annotated only, so that __getattr__ answers for them).
ureg: pint.UnitRegistry
Q_: type


def __getattr__(name):
    # PEP 562: ``dosecalc.units.ureg`` and ``Q_`` are built when first touched.
    if name == "ureg":
        return registry()
    if name == "Q_":
        return registry().Quantity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def unit(expression: str):
    """Return the registry's :class:`pint.Unit` for ``expression``, parsed once."""
    return registry().Unit(expression)


def quantity(magnitude, expression: str):
    """
    Wrap a float or ndarray magnitude as a Quantity in ``expression``'s unit.

    A 0-d array or numpy scalar becomes a Python float, so a scalar in gives a
    float out on every path.
    """
    return registry().Quantity(scalar_or_array(magnitude), unit(expression))


def is_quantity(value) -> bool:
    """True when ``value`` is a pint Quantity (of any registry)."""
    return hasattr(value, "units") and hasattr(value, "m_as")


def own_quantity(value, field: str):
    """
    Return ``value``, a Quantity of dosecalc's registry, or raise.

    Two registries' quantities don't mix: where they meet pint raises a bare
    ValueError, and a unit of another registry kept in a cache breaks every
    later lookup. A quantity unpickled in another process belongs to pint's
    application registry unless ``pint.set_application_registry(dosecalc.ureg)``
    was called there.

    Raises
    ------
    UnitError
        If ``value`` belongs to another pint registry.
    """
    if value._REGISTRY is not registry():
        raise UnitError(
            field,
            f"{value:~P}",
            "a quantity of dosecalc's unit registry, built with dosecalc.Q_ or given as text "
            "(quantities of two pint registries don't mix)",
        )
    return value


# --- reading what people type -------------------------------------------------

# the kind of a field named by the library's parameters and the CLI's options
_FIELD_KINDS = {
    "height": "height",
    "weight": "weight",
    "baseline_weight": "weight",
    "dose": "dose",
    "animal_dose": "dose",
    "prescribed": "dose",
    "ordered": "dose",
    "max_dose": "drug_mass",
    "round_to": "drug_mass",
    "step": "drug_mass",
    "vials": "drug_mass",
    "strengths": "drug_mass",
    "bsa": "bsa",
    "bsa_cap": "bsa",
    "km": "km",
    "creatinine": "creatinine",
    "serum_creatinine": "creatinine",
    "creatinine_floor": "creatinine",
    "gfr": "gfr",
    "gfr_cap": "clearance",
    "crcl": "clearance",
    "auc": "auc",
    "age": "age",
    "reduce": "percent",
    "reduction_pct": "percent",
    "tolerance": "percent",
    "tolerance_pct": "percent",
}


def field_kinds(field: str, kind=None) -> tuple[str, ...]:
    """
    The grammar kinds a field accepts: ``kind`` (a name or a tuple of names)
    when given, else the field's own (``"--height"``, ``"height[3]"`` and
    ``"HEIGHT"`` are heights), else every kind.

    Raises
    ------
    UnknownNameError
        If ``kind`` is not a kind of the grammar.
    """
    from .grammar import KINDS

    if kind is None:
        key = field.lstrip("-").split("[")[0].lower().replace("-", "_")
        return (_FIELD_KINDS[key],) if key in _FIELD_KINDS else KINDS
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    for name in kinds:
        if name not in KINDS:
            from .errors import UnknownNameError

            raise UnknownNameError("kind", name, KINDS)
    return kinds


def parse_quantity(text, field: str = "value", kind=None):
    """
    Read a quantity as people type it, by dosecalc's closed grammar.

    One number, an optional space and one unit of the field's kind
    (``"175 cm"``, ``"154 lb"``, ``"75 mg/m2"``, ``"75mg/m²/week"``,
    ``"1.9 m2"``, ``"10 units/m2"``), or a compound of one kind (``"5 ft 9 in"``,
    ``"5'9\""``, ``"11 st 4 lb"``, ``"1 m 75 cm"``). The grammar and the
    vocabulary are in :mod:`dosecalc.grammar`; pint builds the Quantity from
    the number and the unit read, and never sees the text.

    Parameters
    ----------
    text : str or Quantity
        The value with its unit; a Quantity of dosecalc's registry is returned
        as it is.
    field : str, optional
        The name of the input, for messages; it also gives the kind when
        ``kind`` is not given (see :func:`field_kinds`).
    kind : str or tuple of str, optional
        The kind of quantity: ``"height"``, ``"weight"``, ``"dose"``,
        ``"drug_mass"``, ``"bsa"``, ``"km"``, ``"creatinine"``, ``"gfr"``,
        ``"clearance"``, ``"auc"``, ``"age"`` or ``"percent"``.

    Returns
    -------
    quantity : pint.Quantity

    Raises
    ------
    UnitError
        If the text is not in the grammar: it names the field, shows the text
        as typed with invisible characters escaped, and says what is accepted
        and why (a range, a foreign character, a decimal comma, a unit of
        another kind, an ISMP error-prone abbreviation, a dose per cycle, a
        close miss with "did you mean ...?"); or a quantity of another registry.

    Examples
    --------
    >>> parse_quantity("5 ft 9 in", "height").to("cm")
    <Quantity(175.26, 'centimeter')>
    """
    if is_quantity(text):
        return own_quantity(text, field)
    if isinstance(text, bool) or not isinstance(text, str):
        raise UnitError(field, repr(text), f"text with a unit, such as {_example(field, kind)}")
    from .grammar import GrammarError, escaped, read

    kinds = field_kinds(field, kind)
    try:
        reading = read(text, kinds)
    except GrammarError as err:
        raise UnitError(field, escaped(text), err.expected) from None
    return registry().Quantity(reading.number, unit(reading.unit))


def _example(field: str, kind=None) -> str:
    from .grammar import EXAMPLES

    kinds = field_kinds(field, kind)
    return EXAMPLES[kinds[0]] if len(kinds) == 1 else "'175 cm' or '75 mg/m2'"


# --- converting inputs to magnitudes in a documented unit ---------------------


def magnitude(value, default_unit: str, field: str, expected: str | None = None):
    """
    Return ``value`` as a float or float ndarray in ``default_unit``.

    A Quantity is converted (its dimension must match); a string is parsed with
    :func:`parse_quantity`; a plain number or array is taken in ``default_unit``,
    as the parameter's documentation says.

    Raises
    ------
    UnitError
        If the value's unit is of another dimension or registry, or the value
        is not numeric.
    """
    if isinstance(value, str):
        value = parse_quantity(value, field)
    if isinstance(value, np.ma.MaskedArray) or (is_quantity(value) and isinstance(value.magnitude, np.ma.MaskedArray)):
        # np.asarray drops the mask: a masked (missing) value would be dosed as the number under it
        raise UnitError(field, "a masked array", expected or f"numbers in {default_unit}, not a masked array")
    if is_quantity(value):
        own_quantity(value, field)
        target = unit(default_unit)
        try:
            return np.asarray(value.m_as(target), dtype=float)
        except Exception:  # pint.DimensionalityError
            raise UnitError(field, f"{value:~P}", expected or f"a quantity convertible to {target:~P}") from None
    if _holds(value, (bool, np.bool_)):
        raise UnitError(field, _shown(value), expected or f"a number in {default_unit}, not True or False")
    if _holds(value, (str, bytes)):
        # text is read by the grammar one value at a time, with its unit; float() would take "1_75" and "৪0"
        raise UnitError(
            field, _shown(value), expected or f"numbers in {default_unit}, or text one value at a time with its unit"
        )
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise UnitError(field, _shown(value), expected or f"a number in {default_unit}") from None


def _holds(value, types) -> bool:
    """Whether ``value``, a list, tuple, array or Series of them, holds an item of ``types``."""
    if isinstance(value, types):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds(item, types) for item in value)
    array = np.asarray(value) if hasattr(value, "__array__") else None
    if array is None:
        return False
    if array.dtype == np.bool_:
        return np.bool_ in types
    if array.dtype.kind in "US":
        return str in types
    return array.dtype.kind == "O" and any(isinstance(item, types) for item in array.ravel())


def _shown(value) -> str:
    # one line, whatever the value (a Series' repr spans several)
    text = repr(value.tolist() if hasattr(value, "tolist") else value)
    return text if len(text) <= 80 else text[:77] + "..."
