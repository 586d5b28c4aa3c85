"""
The closed grammar of what people type: one number and one unit of a known kind.

Every text input of dosecalc (CLI options, cohort ``--dose`` and the units in
column names, cells of level and band tables, regimen strings, string
arguments of the library) is read here, and only here. Nothing is evaluated,
stripped, skipped or reinterpreted: a text either matches the grammar exactly
or is refused with the field, the text as typed (invisible characters
escaped) and what the field accepts.

Grammar
-------
::

    reading   = [spaces] (simple | compound) [spaces]
    simple    = number [gap] unit
    compound  = whole [gap] big [gap] number [gap] [small]   (5 ft 9 in, 11 st 4 lb, 154 lb 4 oz, 1 m 75 cm)
    number    = digits ["." digits] [("e" | "E") ["+" | "-"] digits]
    gap       = " " | U+00A0 no-break space | U+2009 thin space | U+202F narrow no-break space
    unit      = one spelling of the field's kind (see ``VOCABULARY``)
    spaces    = one or more ASCII spaces

A number is ASCII digits with at most one full stop; no sign, no thousands
separator, no underscore, no leading or trailing bare decimal point (ISMP:
".5" is misread as 5, "5." as 50). An amount of drug whose number is one to
three digits (leading zeros aside), a full stop and three digits ending in a
zero, without an exponent ("1.500 mg", "2.250 mg/m2") is refused: it is 1.5
where the full stop is the decimal point and 1500 where it separates
thousands, as in much of continental Europe ("1.5 mg" or "1500 mg" says
which). In a compound, the second part is below
one of the first (0 ≤ in < 12, lb < 14 after stones, oz < 16, cm < 100).
Feet are whole: "5.11 ft" or "5.5'" (feet with a fractional part, alone or
first in a compound) is refused as the feet.inches slip (5.11 for 5 ft 11 in);
"6.0 ft" is 6 ft (see ``DECIMAL_FEET``).

Doses are ``amount [/ body] [/ time]``: an amount (mg, g, mcg, µg, μg, ug,
ng; or units, unit), optionally per m² or per kg of
body weight, optionally per day or week (a rate, where the caller takes one).
A slash may have one ASCII space on either side. The abbreviations ISMP lists
as error-prone ("U", "IU", "cc", "gr", a bare decimal point) are refused with
the reason [1]_; an international unit is also not every label's unit (a USP
unit of bleomycin is 1,000 IU [2]_).

References
----------
.. [1] Institute for Safe Medication Practices, "ISMP's list of error-prone
   abbreviations, symbols, and dose designations," 2021: "U" and "IU" misread,
   "cc" for mL, "gr" (grain) for gram, trailing and missing leading zeros.
.. [2] Amneal Biosciences, Dear Health Care Provider letter with the FDA on the
   temporary importation of Bleomycin Sulfate Powder for Injection, 15,000 IU,
   5 July 2016: "1000 IU of Bleomycin Sulfate Powder for Injection = 1 unit of
   Bleomycin Sulfate USP".
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "Reading",
    "read",
    "KINDS",
    "VOCABULARY",
    "NUMBER_PATTERN",
    "DECIMAL_FEET",
    "fractional_feet",
    "escaped",
    "unquoted_escaped",
    "bare_number",
    "number_slip",
    "NUMBER_SLIPS",
    "refused_spelling",
    "THOUSANDS_CELL",
    "THOUSANDS_COMMA_CELL",
    "thousands_reading",
    "GrammarError",
    "LOOK_ALIKE",
    "as_compared",
]


#: The lower-case Cyrillic and Greek letters a text is compared as the Latin letter their capitals (or they)
#: look like ("АB-2" with a Cyrillic А is "AB-2" on a screen), and the sharp s as "ss", as Unicode case folding
#: writes it ("STRASSE"). For telling two texts apart only (ids, notes): a text is always kept as typed.
LOOK_ALIKE = str.maketrans(
    {
        **dict(zip("авесԁеһіјкӏмнорԛѕтхуԝ", "abecdehijklmhopqstxyw")),
        **dict(zip("αβεζηικμνορτυχ", "abezhikmnoptyx")),  # as their capitals look: Ν is N, Υ is Y
        "օ": "o",  # Armenian oh (Օ)
        "ı": "i",  # the dotless i of Turkish
        "ɑ": "a",  # the Latin alpha (Ɑ)
        "ß": "ss",
    }
)


def as_compared(text: str) -> str:
    """
    A text as two are compared to tell whether a person would take them for one: its compatibility form
    (NFKC: fullwidth letters, ligatures), lower case, look-alike letters as Latin (:data:`LOOK_ALIKE`), any
    decimal digit as its ASCII digit (Arabic-Indic ٢ as 2), and without dashes, underscores, spaces or invisible
    characters. ``"bоlus"`` (a Cyrillic о) is ``"bolus"``, ``"DL-2001"`` is ``"dl2001"``.
    """
    folded = unicodedata.normalize("NFKC", text).lower().translate(LOOK_ALIKE)
    kept = []
    for character in folded:
        category = unicodedata.category(character)
        if category == "Nd":
            kept.append(str(unicodedata.decimal(character)))
        elif not (
            category in ("Pd", "Zs", "Zl", "Zp", "Cf", "Cc") or character.isspace() or character in "\u2212_\u034f"
        ):
            kept.append(character)
    return "".join(kept)


class GrammarError(ValueError):
    """A text outside the grammar: ``expected`` says what is accepted."""

    def __init__(self, text: str, expected: str):
        self.text = text
        self.expected = expected
        super().__init__(f"{escaped(text)}: expected {expected}")


@dataclass(frozen=True)
class Reading:
    """
    A text read by the grammar.

    Attributes
    ----------
    text : str
        The text exactly as typed.
    number : float
        The number (for a compound, the total in ``unit``).
    unit : str
        The unit as a pint expression of dosecalc's own making (never the
        user's text), such as ``"milligram / meter ** 2 / week"``.
    kind : str
        The kind it was read as (``"height"``, ``"dose"``, ...).
    """

    text: str
    number: float
    unit: str
    kind: str


# --- the vocabulary: spelling -> pint expression ---------------------------------

_LENGTH = {
    "cm": "centimeter",
    "m": "meter",
    "mm": "millimeter",
    "in": "inch",
    "inch": "inch",
    "inches": "inch",
    '"': "inch",
    "″": "inch",
    "''": "inch",
    "ft": "foot",
    "feet": "foot",
    "foot": "foot",
    "'": "foot",
    "′": "foot",
}
_BODY_MASS = {
    "kg": "kilogram",
    "kgs": "kilogram",
    "g": "gram",
    "lb": "pound",
    "lbs": "pound",
    "pound": "pound",
    "pounds": "pound",
    "oz": "ounce",
    "st": "stone",
    "stone": "stone",
    "stones": "stone",
}
_DRUG_MASS = {
    "mg": "milligram",
    "g": "gram",
    "mcg": "microgram",
    "µg": "microgram",
    "μg": "microgram",
    "ug": "microgram",
    "ng": "nanogram",
}
# a dimension of its own (see units.py): never converts to mg
_DRUG_UNITS = {"units": "drug_unit", "unit": "drug_unit"}
# m**2 is how Python (and pint) users write a square
_AREA = {"m²": "meter ** 2", "m2": "meter ** 2", "m^2": "meter ** 2", "m**2": "meter ** 2", "sq m": "meter ** 2"}
_PER_BODY = {**_AREA, "kg": "kilogram"}
_PER_TIME = {"day": "day", "d": "day", "week": "week", "wk": "week"}
_AGE = {
    "years": "year",
    "year": "year",
    "y": "year",
    "yr": "year",
    "yrs": "year",
    "months": "month",
    "month": "month",
    "mo": "month",
    "weeks": "week",
    "week": "week",
    "wk": "week",
    "days": "day",
    "day": "day",
    "d": "day",
}
_PERCENT = {"%": "percent", "percent": "percent"}


def _slashed(spellings: dict[str, str]) -> dict[str, str]:
    # "mg/dL" also as "mg / dL", "mg/ dL", "mg /dL"
    out = {}
    for spelling, expression in spellings.items():
        for gap in ("/", " /", "/ ", " / "):
            out[spelling.replace("/", gap)] = expression
    return out


_CREATININE = _slashed(
    {
        "mg/dL": "milligram / deciliter",
        "mg/dl": "milligram / deciliter",
        **{f"{micro}mol/{litre}": "micromole / liter" for micro in ("µ", "μ", "u") for litre in ("L", "l")},
    }
)
_MINUTE = {f"{ml}/min": "milliliter / minute" for ml in ("mL", "ml")}
_INDEXED = {
    f"{ml}/min/1.73{gap}{area}": "milliliter / minute / standard_bsa"
    for ml in ("mL", "ml")
    for gap in ("", " ")
    for area in _AREA
    if area != "sq m"
}
_GFR_ABSOLUTE = _slashed(_MINUTE)
_GFR = _slashed({**_MINUTE, **_INDEXED})
_AUC = _slashed(
    {f"mg/{ml}{times}min": "milligram * minute / milliliter" for ml in ("mL", "ml") for times in ("·", "⋅", "*")}
    | {f"mg{times}min/{ml}": "milligram * minute / milliliter" for ml in ("mL", "ml") for times in ("·", "⋅", "*")}
)
_KM = _slashed({f"kg/{area}": "kilogram / meter ** 2" for area in _AREA})


def _dose_units(rate: bool) -> dict[str, str]:
    out = {}
    for amount, amount_expr in {**_DRUG_MASS, **_DRUG_UNITS}.items():
        for body, body_expr in {"": None, **_PER_BODY}.items():
            for per, per_expr in {"": None, **(_PER_TIME if rate else {})}.items():
                spelling, expression = amount, amount_expr
                if body:
                    spelling, expression = f"{spelling}/{body}", f"{expression} / {body_expr}"
                if per:
                    spelling, expression = f"{spelling}/{per}", f"{expression} / {per_expr}"
                out[spelling] = expression
    return _slashed(out)


#: Each kind's spellings and the pint expression each reads as.
VOCABULARY: dict[str, dict[str, str]] = {
    "height": _LENGTH,
    "weight": _BODY_MASS,
    "dose": _dose_units(rate=True),
    "drug_mass": {**_DRUG_MASS, **_DRUG_UNITS},
    "bsa": _AREA,
    "km": _KM,
    "creatinine": _CREATININE,
    "gfr": _GFR,
    "clearance": _GFR_ABSOLUTE,
    "auc": _AUC,
    "age": _AGE,
    "percent": _PERCENT,
}
KINDS = tuple(VOCABULARY)

# compounds: (kind, big spellings, small spellings, small per big, small may be left out)
_COMPOUNDS = (
    ("height", ("ft", "feet", "foot", "'", "′"), ("in", "inch", "inches", '"', "″", "''"), 12, True),
    ("height", ("m",), ("cm",), 100, False),
    ("weight", ("st", "stone", "stones"), ("lb", "lbs", "pound", "pounds"), 14, True),
    ("weight", ("lb", "lbs", "pound", "pounds"), ("oz",), 16, False),
)

_GAP = "[ \u00a0\u2009\u202f]"
#: A number of the grammar (the pattern, for engines that match whole columns).
NUMBER_PATTERN = r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_NUMBER = NUMBER_PATTERN

#: What a height in feet takes instead of feet with a fractional part (the text after "expected").
DECIMAL_FEET = (
    "whole feet, as feet and inches ('5 ft 11 in'), inches or cm: feet with a fractional part are ambiguous "
    "(5.11 ft is often written for 5 ft 11 in, 180.3 cm, and is 155.8 cm as written)"
)
# Feet are whole: "5.11 ft" is the feet.inches slip, written for 5 ft 11 in (71 in, 180.34 cm) and read as
# 5.11 ft (155.75 cm), a height 13.6 % short and a Mosteller BSA 7.1 % short (the square root of the
# height); "5.5'" may be 5 ft 6 in or 5 ft 5 in. The rule is on the value, not on how it is written:
# "511e-2 ft" is 5.11 ft and refused; "6.0 ft" reads as 6 ft, as it is 6 ft whichever way it was meant,
# and a cohort's number column holds "6" and "6.0" as one value (cohort.py refuses the same cells).
# First in a compound ("5.5 ft 2 in") the feet are refused with the same reason. Feet spelled in
# capitals ("5.11 FT") get this reason rather than "did you mean '5.11 ft'?", a text also refused.
_FEET = "|".join(re.escape(spelling) for spelling in _COMPOUNDS[0][1])
_INCHES = "|".join(re.escape(spelling) for spelling in sorted(_COMPOUNDS[0][2], key=len, reverse=True))
_FEET_READING = re.compile(
    rf" *(?P<feet>{_NUMBER}){_GAP}?(?:{_FEET})(?:{_GAP}?{_NUMBER}{_GAP}?(?:{_INCHES})?)? *", re.IGNORECASE
)


def fractional_feet(number: float) -> bool:
    """Whether a number of feet has a fractional part (refused: see ``DECIMAL_FEET``); infinity and NaN
    are not (they are refused as no finite number)."""
    return math.isfinite(number) and not float(number).is_integer()


_SIMPLE = re.compile(rf" *(?P<number>{_NUMBER}){_GAP}?(?P<unit>\S(?:.*\S)?) *")
_COMPOUND = re.compile(
    rf" *(?P<big>[0-9]{{1,4}}){_GAP}?(?P<big_unit>[^0-9 \u00a0\u2009\u202f]+){_GAP}?"
    rf"(?P<small>{_NUMBER}){_GAP}?(?P<small_unit>[^0-9 \u00a0\u2009\u202f]*) *"
)

# refused with a reason (ISMP's error-prone abbreviations, and meanings that must be explicit)
_REFUSED_UNITS = {
    "gr": "'gr' is grain or gram (ISMP: error-prone); write g or mg",
    "cc": "'cc' is misread as 'u' or '00' (ISMP: error-prone); write mL",
    "U": "'U' is misread as 0, 4 or cc (ISMP: error-prone); write units",
    "u": "'u' is misread as 0, 4 or cc (ISMP: error-prone); write units",
    **dict.fromkeys(
        ("IU", "international units", "international unit"),
        "'IU' is misread as IV or 10 (ISMP: error-prone), and an international unit is not every label's unit: "
        "a USP unit of bleomycin is 1,000 IU (FDA, Dear Health Care Provider letter on imported bleomycin, "
        "Amneal, 2016); write the dose in the units of the label and the protocol (units)",
    ),
}


def refused_spelling(spelling: str) -> str | None:
    """
    Why an amount's spelling is refused whatever its case (ISMP's error-prone "U", "cc", "gr"; "IU"), as in a
    column's name ("dose_IU_m2"); None for any other spelling.
    """
    return next((why for refused, why in _REFUSED_UNITS.items() if refused.lower() == spelling.lower()), None)


_NAMES = {
    "kilos": "kg",
    "kilo": "kg",
    "kilograms": "kg",
    "kilogram": "kg",
    "grams": "g",
    "gram": "g",
    "milligrams": "mg",
    "milligram": "mg",
    "micrograms": "mcg",
    "microgram": "mcg",
    "centimeters": "cm",
    "centimetres": "cm",
    "centimeter": "cm",
    "centimetre": "cm",
    "meters": "m",
    "metres": "m",
    "meter": "m",
    "metre": "m",
    "sqm": "m2",
    "m²s": "m2",
}
_RANGE = re.compile(r"[0-9]\s*(?:[-‐‑‒–—―−~]|to|\.\.\.?|…)\s*\.?[0-9]", re.IGNORECASE)
_PER_CYCLE = re.compile(r"(?:/\s*|\bper\s+)(?:cycles?|course)\b", re.IGNORECASE)
_DIMENSIONLESS_PER = re.compile(r"/\s*(?:%|percent|deg|degree|degrees|rad|radian|turn|°)", re.IGNORECASE)

#: What a field of each kind looks like, for messages.
EXAMPLES = {
    "height": "'175 cm', '1.75 m', '69 in' or '5 ft 9 in'",
    "weight": "'70 kg', '154 lb' or '11 st 2 lb'",
    "dose": "'75 mg/m2', '6.1 mg/kg', '100 mg' or '10 units/m2'",
    "drug_mass": "'2 mg' or '15 units'",
    "bsa": "'1.9 m2'",
    "km": "'37 kg/m2'",
    "creatinine": "'1.2 mg/dL' or '106 umol/L'",
    "gfr": "'90 mL/min' (or '90 mL/min/1.73 m2' with a BSA)",
    "clearance": "'90 mL/min'",
    "auc": "'5 mg/mL·min'",
    "age": "'60 years'",
    "percent": "'5 %'",
}


# letters and symbols that show as nothing (fillers, a blank Braille pattern)
_BLANK = "\u115f\u1160\u3164\uffa0\u2800"
# the longest text a message quotes whole
_SHOWN = 200


class Shown(str):
    """
    A text as a message shows it: quoted, every character that is not plainly
    visible escaped (:func:`escaped`); ``unquoted`` is the same without the
    quotes, as an error's JSON gives the value.
    """

    unquoted: str


def escaped(text: str) -> Shown:
    """
    The text quoted, with every character that is not plainly visible escaped.

    Examples
    --------
    >>> print(escaped("7\\u200b5 mg/m2"))
    '7\\u200b5 mg/m2'
    >>> print(escaped("7\\u200b5 mg/m2").unquoted)
    7\\u200b5 mg/m2
    """
    if len(text) > _SHOWN:
        head, tail = escaped(text[:_SHOWN]), f" … ({len(text):,} characters)"
        shown = Shown(head + tail)
        shown.unquoted = head.unquoted + tail
        return shown
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char == " " or (char.isprintable() and category[0] not in "ZCM" and char not in _BLANK):
            out.append("\\'" if char == "'" else char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    shown = Shown("'" + "".join(out) + "'")
    shown.unquoted = shown[1:-1].replace("\\'", "'")
    return shown


def unquoted_escaped(text: str) -> str:
    """:func:`escaped` without its quotes, for a text shown inside other text (a table cell, a reason)."""
    return escaped(text).unquoted


#: What each kind is called in messages.
LABELS = {
    "height": "a height",
    "weight": "a body weight",
    "dose": "a dose",
    "drug_mass": "a drug amount",
    "bsa": "a body-surface area",
    "km": "a Km factor",
    "creatinine": "a creatinine concentration",
    "gfr": "a clearance (mL/min, or per 1.73 m² with a BSA)",
    "clearance": "a clearance in mL/min",
    "auc": "an AUC",
    "age": "an age",
    "percent": "a percentage",
}


def _accepted(kinds: tuple[str, ...]) -> str:
    if len(kinds) > 3:
        return "a number with a unit, such as '175 cm', '70 kg' or '75 mg/m2'"
    return f"a number with a unit, such as {'; '.join(EXAMPLES[kind] for kind in kinds)}"


def _spellings(kind: str) -> list[str]:
    # the spellings listed in messages: without the spaced-slash variants
    return [s for s in VOCABULARY[kind] if " /" not in s and "/ " not in s]


def accepted_spellings(kind: str) -> str:
    """The accepted unit spellings of a kind, for messages and the README."""
    spellings = _spellings(kind)
    if kind == "dose":
        amounts = ", ".join({**_DRUG_MASS, **_DRUG_UNITS})
        return f"an amount ({amounts}), optionally /m2 (m², m^2, sq m) or /kg, optionally /day or /week"
    return ", ".join(spellings)


# the slips of a number, each a pattern searched for in a refused text
_MIDDLE_DOT = re.compile(r"[0-9][·⋅][0-9]")
_COMMA = re.compile(r"[0-9]\s*,\s*[0-9]")
_BARE_POINT = re.compile(r"(?<![0-9.])\.[0-9]|[0-9]\.(?![0-9])")
_NOT_FINITE = re.compile(r"(?i)\b(?:nan|inf|infinity)\b")
_SIGNED = re.compile(r" *[-+]")
_UNIT_IN_CELL = re.compile(rf" *{_NUMBER} ?[A-Za-z]+(?:/[A-Za-z0-9]+)? *")
_ISMP_POINT = "a leading zero before and a digit after the decimal point (ISMP: '0.5', not '.5' or '5.')"
#: How each slip :func:`number_slip` names begins (none holds a semicolon): a reason's slip is dropped when
#: rejects are counted by class.
NUMBER_SLIPS = (
    "a range is",
    "a full stop is",
    "the character U+",
    "a leading zero",
    "not a finite",
    "a measurement has",
    "the number alone",
)


def _foreign(text: str, allowed: str = "") -> str | None:
    """The first character of ``text`` that is neither printable ASCII nor in ``allowed``, named; else None."""
    char = next((c for c in text if not (c.isascii() and c.isprintable()) and c not in allowed), None)
    if char is None:
        return None
    name = unicodedata.name(char, "a control character" if unicodedata.category(char) == "Cc" else "no name")
    return f"the character U+{ord(char):04X} ({name})"


def number_slip(text: str, decimal_comma: bool = False) -> str | None:
    """
    What a cell of a number column (its unit in the column's name) holds
    instead of a number of the grammar, where it is a known slip; else None.
    The cell is refused either way: the slip is what its message names.

    Examples
    --------
    >>> number_slip("75-100")
    'a range is not one value'
    >>> number_slip("1·5")
    "a full stop is the decimal point ('1·5' is not read as 1.5)"
    >>> number_slip("70 kg")
    "the number alone: a unit in a cell is not read (the column's unit is in its name or its mapping)"
    >>> number_slip("seventy") is None
    True
    """
    if _RANGE.search(text):
        return "a range is not one value"
    if _MIDDLE_DOT.search(text):
        return "a full stop is the decimal point ('1·5' is not read as 1.5)"
    foreign = _foreign(text)
    if foreign is not None:
        return f"{foreign} is not part of a number"
    if not decimal_comma and _COMMA.search(text):
        return (
            "a full stop is the decimal point, without thousands separators ('1,5' is 1.5 or 15?), "
            "and a file of decimal commas is read with --decimal-comma (decimal_comma= in Python)"
        )
    if _BARE_POINT.search(text):
        return _ISMP_POINT
    if _NOT_FINITE.search(text):
        return "not a finite number"
    if _SIGNED.match(text):
        return "a measurement has no sign"
    if _UNIT_IN_CELL.fullmatch(text) or _reads(text):
        return "the number alone: a unit in a cell is not read (the column's unit is in its name or its mapping)"
    return None


def _reads(text: str) -> bool:
    # whether the grammar reads the text as a value with its unit ("5'7\"", "70 kg")
    try:
        read(text)
    except GrammarError:
        return False
    return True


def _why(text: str, kinds: tuple[str, ...], unit_text: str | None) -> str:
    """Why a text is refused: the most specific reason first."""
    accepted = _accepted(kinds)
    if _RANGE.search(text):
        return f"one value: {escaped(text)} is a range, not one dose; {accepted}"
    foreign = _foreign(text, "²µμ′″·⋅\u00a0\u2009\u202f")
    if foreign is not None:
        return f"{accepted}; {foreign} is not part of a number or unit"
    if _MIDDLE_DOT.search(text):
        return f"{accepted}, with a full stop as the decimal point ('1·5' is not read as 1.5)"
    if _COMMA.search(text):
        return f"{accepted}, with a full stop as the decimal point and no thousands separator ('1,5' is 1.5 or 15?)"
    if _BARE_POINT.search(text):
        return f"{accepted}: {_ISMP_POINT}"
    if _NOT_FINITE.search(text):
        return f"{accepted}: a finite number"
    if _SIGNED.match(text):
        return f"{accepted}, without a sign"
    if _PER_CYCLE.search(text):
        return (
            "a dose per administration: a dose 'per cycle' is a cycle total; give it to a regimen "
            "(dosecalc regimen, or Regimen('225 mg/m2 per cycle', days=..., cycle_days=...))"
        )
    if _DIMENSIONLESS_PER.search(text):
        return f"{accepted}: a unit without dimension (cycle, %, degree) never scales a dose"
    if _BARE_NUMBER.fullmatch(text):
        if bare_number(text) is None:
            return f"{accepted}: a finite number"
        return f"{accepted}: the unit is missing (a unit is never guessed)"
    if re.search("^[\u00a0\u2009\u202f]|[\u00a0\u2009\u202f]$", text):
        return f"{accepted}: a no-break or thin space only between the number and its unit"
    if unit_text is None:
        if not re.search(r"[0-9]", text):
            return f"{accepted}: a number is missing"
        written = re.fullmatch(r"(?i)auc\s*[=:]?\s*([0-9]+(?:\.[0-9]+)?)", text.strip(" "))
        if written and "auc" in kinds:  # "AUC5", as protocols write it
            return f"{accepted}: the AUC as its number and unit, '{written[1]} mg/mL·min'"
        if not re.search(r"[^0-9\s.eE+-]", text):
            return f"{accepted}: the unit is missing (a unit is never guessed)"
        return accepted
    amount = unit_text.split("/")[0].strip(" ")  # "U/m2": the amount's spelling is the slip ("u" as typed)
    refused = _REFUSED_UNITS.get(amount) or refused_spelling(amount)
    if refused is not None:
        return f"{accepted}: {refused}"
    if re.search(r"/ ?(?:months?|mo|years?|yr|h|hr|hours?|min)$", unit_text) and "dose" in kinds:
        return f"{accepted}: a rate is per day or per week"
    known = {spelling for kind in kinds for spelling in VOCABULARY[kind]}
    hint = None if re.match(r"[0-9.·⋅]", unit_text) else _hint(unit_text, known)
    if hint:
        return f"{accepted}; did you mean {text.replace(unit_text, hint)!r}?"
    for kind in KINDS:
        if kind not in kinds and unit_text in VOCABULARY[kind]:
            this = LABELS[kinds[0]] if len(kinds) == 1 else "what this field takes"
            return f"{accepted}: {unit_text!r} gives {LABELS[kind]}, not {this}"
    return accepted


def _hint(unit_text: str, known: set[str]) -> str | None:
    """
    A close miss that means the same unit: a long name ("kilos"), a capital
    ("KG": units are case-sensitive, Mg is a megagram), "sqm". Never a unit
    that is only spelled alike (mg/ml for mg/m², mg/L for mg/dL): such a hint
    would change the dose by 10× or more.
    """
    for part in re.split(r"( ?/ ?)", unit_text):
        if part in _NAMES and _NAMES[part] in {p for s in known for p in re.split(r" ?/ ?", s)}:
            candidate = unit_text.replace(part, _NAMES[part])
            if candidate in known:
                return candidate
    for variant in (unit_text.lower(), unit_text.replace("sqm", "m2")):
        if variant != unit_text and variant in known:
            return variant
    return None


def _compound(text: str, kinds: tuple[str, ...]) -> Reading | None:
    match = _COMPOUND.fullmatch(text)
    if not match:
        return None
    for kind, bigs, smalls, per, optional in _COMPOUNDS:
        if kind not in kinds or match["big_unit"] not in bigs:
            continue
        small_unit = match["small_unit"]
        if small_unit not in smalls and not (optional and small_unit == ""):
            continue
        small = float(match["small"])
        if not small < per:
            raise GrammarError(
                text, f"{_accepted((kind,))}: the second part below {per} (one {bigs[0]} is {per} {smalls[0]})"
            )
        expression = VOCABULARY[kind][smalls[0]]
        return Reading(text, int(match["big"]) * per + small, expression, kind)
    return None


@functools.lru_cache(maxsize=4096)
def read(text: str, kinds: tuple[str, ...] = KINDS) -> Reading:
    """
    Read ``text`` by the grammar as one of ``kinds``; cached by text.

    Parameters
    ----------
    text : str
        The text as typed.
    kinds : tuple of str
        The kinds the field accepts (keys of ``VOCABULARY``).

    Returns
    -------
    Reading

    Raises
    ------
    GrammarError
        If the text is outside the grammar; its ``expected`` gives the reason
        and what the field accepts.

    Examples
    --------
    >>> read("75 mg/m2", ("dose",))
    Reading(text='75 mg/m2', number=75.0, unit='milligram / meter ** 2', kind='dose')
    >>> read("5 ft 9 in", ("height",)).number
    69.0
    """
    if not isinstance(text, str):
        raise TypeError("text must be a str")
    feet = _FEET_READING.fullmatch(text) if "height" in kinds else None
    if feet is not None and fractional_feet(float(feet["feet"])):
        raise GrammarError(text, DECIMAL_FEET)
    compound = _compound(text, kinds)
    if compound is not None:
        return compound
    match = _SIMPLE.fullmatch(text)
    unit_text: str | None = match["unit"] if match else None
    if match and unit_text is not None:
        for kind in kinds:
            expression = VOCABULARY[kind].get(unit_text)
            if expression is not None:
                if kind in _AMOUNTS and _THOUSANDS_POINT.fullmatch(match["number"]):
                    raise GrammarError(text, f"{_accepted(kinds)}: {thousands_reading(match['number'])}")
                return Reading(text, _finite(text, match["number"], kinds), expression, kind)
    raise GrammarError(text, _why(text, kinds, unit_text))


#: The kinds that are amounts of a drug, whose numbers are never read across a thousands separator.
_AMOUNTS = ("dose", "drug_mass")
#: One to three digits, a full stop, three digits of which the last is a zero: "1.500" is 1.5 where the full
#: stop is the decimal point, and 1500 where it separates thousands (as in much of continental Europe, "1.500 mg"
#: on an export of its records); either reading is a plausible dose, a thousandfold apart, and each has a form
#: of its own (a trailing zero is what ISMP asks never to write). "0.125", "12.50" and "1.125" are one number.
_THOUSANDS_POINT = re.compile(r"0*[1-9][0-9]{0,2}\.[0-9]{2}0")  # leading zeros aside: "01.500" is "1.500"


#: :data:`_THOUSANDS_POINT` as a pattern of a whole cell (spaces around), for an Arrow column of amounts.
THOUSANDS_CELL = rf"^ *{_THOUSANDS_POINT.pattern} *$"
#: The same with a decimal comma (a file read with ``decimal_comma``): "1,500" is 1.5 where the comma is the
#: decimal mark, and 1500 where it separates thousands (as in English "1,500 mg").
THOUSANDS_COMMA_CELL = THOUSANDS_CELL.replace(r"\.", ",")


def thousands_reading(number: str) -> str:
    """
    The two readings of an amount such as "1.500" (:data:`THOUSANDS_CELL`), or "1,500" in a file of decimal
    commas (:data:`THOUSANDS_COMMA_CELL`), and how to write either.

    >>> thousands_reading("1.500")
    'a full stop is the decimal point or a thousands separator: write 1.500 as 1.5 or as 1500'
    >>> thousands_reading("1,500")
    'a comma is the decimal comma or a thousands separator: write 1,500 as 1,5 or as 1500'
    """
    mark = "," if "," in number else "."
    point, thousands = float(number.replace(",", ".")), int(number.replace(mark, ""))
    named = "a comma is the decimal comma" if mark == "," else "a full stop is the decimal point"
    return f"{named} or a thousands separator: write {number} as {f'{point:g}'.replace('.', mark)} or as {thousands}"


def _finite(text: str, number: str, kinds: tuple[str, ...]) -> float:
    # "1e400" is no number a dose can have (float() reads it as infinity)
    value = float(number)
    if not math.isfinite(value):
        raise GrammarError(text, f"{_accepted(kinds)}: a finite number ({number} is beyond any double)")
    if value == 0 and re.search("[1-9]", re.split("[eE]", number)[0]):  # "1e-400" reads as 0: not what was typed
        raise GrammarError(
            text, f"{_accepted(kinds)}: a number a double holds ({number} is below any double, read as 0)"
        )
    return value


_BARE_NUMBER = re.compile(rf" *({_NUMBER}) *")


def bare_number(text: str) -> float | None:
    """The number of a text that is one number and nothing else, else None."""
    match = _BARE_NUMBER.fullmatch(text)
    return float(match[1]) if match and math.isfinite(float(match[1])) else None
