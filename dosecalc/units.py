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
import re
from typing import TYPE_CHECKING

import numpy as np

from .errors import UnitError
from .results import scalar_or_array

if TYPE_CHECKING:
    import pint

__all__ = ["ureg", "Q_", "registry", "parse_quantity", "unit", "quantity", "magnitude", "is_quantity", "own_quantity"]

# Spellings pint lacks that people type ("wk", "kgs"), and the symbols
# clinicians write: mL and dL, not pint's ml and dl; yr, not pint's "a".
_EXTRA_DEFINITIONS = (
    "@alias week = wk",
    "@alias kilogram = kgs",
    "liter = decimeter ** 3 = L = l = litre",
    "year = 365.25 * day = yr = a = julian_year",
)


@functools.cache
def registry():
    """Return the shared :class:`pint.UnitRegistry`, building it on first call."""
    import pint

    try:
        ureg = pint.UnitRegistry(cache_folder=":auto:")
    except OSError:  # no writable cache directory: build without the cache
        ureg = pint.UnitRegistry()
    for definition in _EXTRA_DEFINITIONS:
        ureg.define(definition)
    ureg.formatter.default_format = "~P"
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
            field, f"{value:~P}",
            "a quantity of dosecalc's unit registry, built with dosecalc.Q_ or given as text "
            "(quantities of two pint registries don't mix)",
        )
    return value


# --- reading what people type -------------------------------------------------

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
# 5'9", 5′9″, 5' 9'' -> 5 ft 9 in
_FEET_MARK = re.compile(rf"({_NUMBER})\s*(?:'(?!')|′|’)")
_INCH_MARK = re.compile(rf"({_NUMBER})\s*(?:\"|″|”|'')")
# m2, cm2, m² -> m**2 (pint reads "m2" as nothing sensible)
_SQUARED = re.compile(r"(?<![A-Za-z])(m|cm|mm|in|ft)(?:2|²)(?![\w*^])")
_SUPERSCRIPTS = str.maketrans({"²": "**2", "³": "**3"})
# "mL/min/1.73 m**2": pint would divide by 1.73 and multiply by m**2; group it
_NUMBER_IN_DENOMINATOR = re.compile(rf"/\s*({_NUMBER})\s*([A-Za-z]+(?:\*\*\d+)?)")
# "5 ft 9 in", "1 m 75 cm", "154 lb 4 oz": a sum of number-word pairs
_PAIR = rf"({_NUMBER})\s*([A-Za-z]+)"
_COMPOUND = re.compile(rf"^\s*{_PAIR}(?:\s+|\s*,\s*)?(?:{_PAIR}\s*)+$")
_PAIRS = re.compile(_PAIR)
# "5 ft 9": the inches may be left unnamed after feet
_FEET_BARE_INCHES = re.compile(rf"^\s*({_NUMBER})\s*(ft|feet|foot)\s*({_NUMBER})\s*$")
# "1,5 mg": a decimal comma (1.5 mg) or a thousands separator (pint reads 15 mg)?
_DIGIT_COMMA_DIGIT = re.compile(r"\d\s*,\s*\d")
# "70 kg 2", "70 2 kg": pint multiplies what stands side by side (140 kg),
# "1.2.3 kg" too (1.2 × .3)
_SIDE_BY_SIDE_NUMBER = re.compile(rf"[\w.)]\s+{_NUMBER}|\d\.\d*\.|\.\d+\.")
# "kg": pint reads a unit alone as 1 kg
_LEADING_NUMBER = re.compile(rf"^\(*\s*(?:{_NUMBER}|[-+]?(?:nan|inf))", re.IGNORECASE)


def _normalise(text: str) -> str:
    # "^" is pint's "**", written out first so that "m^2" groups as "m**2" does
    text = text.strip().replace("×", "*").replace("·", "*").replace("^", "**")
    text = _FEET_MARK.sub(r"\1 ft ", text)
    text = _INCH_MARK.sub(r"\1 in ", text)
    text = _SQUARED.sub(r"\1**2", text)
    text = text.translate(_SUPERSCRIPTS)
    text = _NUMBER_IN_DENOMINATOR.sub(r"/(\1*\2)", text)
    bare = _FEET_BARE_INCHES.match(text)
    if bare:
        text = f"{bare[1]} ft {bare[3]} in"
    return text.strip()


def parse_quantity(text: str, field: str = "value"):
    """
    Read a quantity as people type it.

    Accepts pint's grammar plus the spellings clinicians use: ``"175 cm"``,
    ``"5 ft 9 in"``, ``"5'9\\""``, ``"154 lb"``, ``"75 mg/m2"``, ``"75 mg/m²"``,
    ``"75mg/m^2/week"``, ``"1.9 m2"``. A sequence of number-unit pairs of one
    dimension (``"5 ft 9 in"``, ``"1 m 75 cm"``) is their sum; plain pint would
    read it as the product, an area.

    Parameters
    ----------
    text : str
        The value with its unit.
    field : str, optional
        The name of the input, for messages.

    Returns
    -------
    quantity : pint.Quantity

    Raises
    ------
    UnitError
        If the text has no unit (a unit is never guessed), an unknown unit,
        pairs of different dimensions, no number ("kg", which pint reads as
        1 kg), a comma between digits (a decimal comma or a thousands
        separator?) or numbers side by side that pint would multiply
        ("70 kg 2", "1.2.3 kg"); or a quantity of another registry.

    Examples
    --------
    >>> parse_quantity("5 ft 9 in").to("cm")
    <Quantity(175.26, 'centimeter')>
    """
    if is_quantity(text):
        return own_quantity(text, field)
    if not isinstance(text, str):
        raise UnitError(field, text, "text with a unit, such as '175 cm'")
    if _DIGIT_COMMA_DIGIT.search(text):
        raise UnitError(field, repr(text), "a number with a decimal point and no thousands separator: "
                        "'1,5' is 1.5 with a decimal comma, 15 to pint")
    ureg = registry()
    normalised = _normalise(text)
    compound = _COMPOUND.match(normalised)
    if not compound and _SIDE_BY_SIDE_NUMBER.search(normalised):
        raise UnitError(field, repr(text), "one number with its unit (pint multiplies numbers side by side)")
    try:
        if compound:
            parts = [ureg.Quantity(float(number), word) for number, word in _PAIRS.findall(normalised)]
            total = parts[0]
            for part in parts[1:]:
                total = total + part.to(total.units)
            return total
        quantity = ureg.Quantity(normalised)
    except Exception as err:  # pint's UndefinedUnitError, DimensionalityError, parse errors
        raise UnitError(field, repr(text), f"a number with a known unit ({err}){_case_hint(text)}") from None
    if not is_quantity(quantity) or quantity.units == ureg.dimensionless or not _LEADING_NUMBER.match(normalised):
        raise UnitError(field, repr(text), f"a number with a unit, such as {_example(field)}")
    return quantity


def _case_hint(text: str) -> str:
    # "70 KG", "75 MG/M2": units are case-sensitive (Mg is a megagram), so suggest, never accept
    lower = text.lower()
    if lower == text:
        return ""
    try:
        parse_quantity(lower)
    except UnitError:
        return ""
    return f"; did you mean {lower!r}? (units are case-sensitive)"


_EXAMPLES = {
    "height": "'175 cm', '1.75 m' or '5 ft 9 in'",
    "weight": "'70 kg' or '154 lb'",
    "dose": "'75 mg/m^2', '6.1 mg/kg' or '100 mg'",
    "animal_dose": "'50 mg/kg'",
    "bsa": "'1.9 m^2'",
    "gfr": "'90 mL/min'",
    "max_dose": "'2 mg'",
    "round_to": "'5 mg'",
    "step": "'5 mg'",
    "vials": "'100 mg, 50 mg'",
    "strengths": "'100 mg, 50 mg'",
}


def _example(field: str) -> str:
    # what a unit looks like for this field ("--height", "height[3]" and "HEIGHT" are height)
    key = field.lstrip("-").split("[")[0].lower().replace("-", "_")
    return _EXAMPLES.get(key, "'175 cm' or '75 mg/m^2'")


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
    if is_quantity(value):
        own_quantity(value, field)
        target = unit(default_unit)
        try:
            return np.asarray(value.m_as(target), dtype=float)
        except Exception:  # pint.DimensionalityError
            raise UnitError(
                field, f"{value:~P}", expected or f"a quantity convertible to {target:~P}"
            ) from None
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise UnitError(field, repr(value), expected or f"a number in {default_unit}") from None
