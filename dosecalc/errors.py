"""
The one exception tree of dosecalc.

Every error is a :class:`DoseCalcError`, itself a :class:`ValueError`, so a
caller can catch one class. Like ``pint.errors``, the fields are attributes and
the message is built from them: it names the field, the value with its unit and
what was expected, with a hint at the likely slip where there is one.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Mapping


class DoseCalcError(ValueError):
    """Base of every dosecalc error: bad input never passes silently."""

    # the fields a subclass sets (see _with_fields); absent on a plain DoseCalcError
    field: str
    value: object
    expected: str
    hint: str | None

    def _with_fields(self, message: str, **fields):
        # each field an attribute, and all of them, in the order __init__
        # takes them, kept to rebuild the error by pickle
        self._fields = tuple(fields.values())
        self.__dict__.update(fields)
        super().__init__(message)

    @property
    def code(self) -> str:
        """The class as a name for programs: ``"unit_error"``, ``"implausible_input_error"``, ``"dosecalc_error"``."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__.replace("DoseCalc", "Dosecalc")).lower()

    def to_dict(self) -> dict:
        """
        The error for programs (``schemas/error.schema.json``): ``code``,
        ``field``, ``value`` (as given, unquoted, invisible characters
        escaped), ``expected``, ``hint`` (null where the class has none) and
        ``message``.
        """
        fields = self.__dict__
        expected = fields.get("expected")
        if expected is None and "valid" in fields:
            expected = "one of: " + ", ".join(map(str, fields["valid"]))
        if expected is None and "needed_for" in fields:
            expected = f"a value: required for {fields['needed_for']}"
        # a value shown quoted in the message is given without its quotes (invisible characters still escaped)
        text = {
            name: None if fields.get(name) is None else getattr(fields[name], "unquoted", str(fields[name]))
            for name in ("field", "value", "hint")
        }
        return {
            "code": self.code,
            **text,
            "expected": None if expected is None else str(expected),
            "message": str(self),
        }

    def __reduce__(self):
        # rebuilt from the fields, so that an error raised on a Dask worker
        # arrives whole (the default would call __init__ with the message alone)
        fields = getattr(self, "_fields", None)
        return (type(self), fields) if fields is not None else super().__reduce__()


class UnitError(DoseCalcError):
    """A unit is missing, unknown or of the wrong kind for the field.

    Parameters
    ----------
    field : str
        The parameter or column the value was given for.
    value : object
        The value as given (text or quantity).
    expected : str
        What the field accepts, e.g. ``"a length such as '175 cm'"``.
    """

    def __init__(self, field: str, value: object, expected: str):
        self._with_fields(f"{field}={value!s}: expected {expected}", field=field, value=value, expected=expected)


class ImplausibleInputError(DoseCalcError):
    """A value is NaN, infinite, zero, negative or outside its plausible range.

    Parameters
    ----------
    field : str
        The parameter or column the value was given for.
    value : object
        The offending value with its unit, as given.
    expected : str
        The accepted range, e.g. ``"20-280 cm"``.
    hint : str, optional
        The likely slip, e.g. ``"did you mean 1.75 m?"``.
    """

    def __init__(self, field: str, value: object, expected: str, hint: str | None = None):
        message = f"{field}={value!s}: expected {expected}" + (f"; {hint}" if hint else "")
        self._with_fields(message, field=field, value=value, expected=expected, hint=hint)


class UnknownNameError(DoseCalcError):
    """A method, species or option name is not one dosecalc knows.

    The message lists the valid names and, for a text close to one of them
    (:func:`difflib.get_close_matches`, ratio at least 0.6, case ignored), adds
    it as the hint: ``method='mostellar' is not known; expected one of: ...;
    did you mean 'mosteller'?``. A value that is not text (a missing cell, a
    number) gets no hint.
    """

    valid: tuple
    #: Whether the closest valid name is offered as the hint.
    guesses = True

    def __init__(self, field: str, value: object, valid):
        valid = tuple(dict.fromkeys(valid))  # each name once
        # every valid name is ASCII: a look-alike (U+2010 for "-", a Cyrillic "а") is shown escaped, "r\u2010chop-21"
        shown = ascii(value) if all(str(name).isascii() for name in valid) else repr(value)
        nearest = closest_name(value, valid) if self.guesses else None
        hint = None if nearest is None else f"did you mean {nearest!r}?"
        self._with_fields(
            f"{field}={shown} is not known; expected one of: {', '.join(map(str, valid))}"
            + (f"; {hint}" if hint else ""),
            field=field,
            value=value,
            valid=valid,
        )
        # derived from the fields: not an argument, so pickle rebuilds it
        self.hint = hint


class UnguessedNameError(UnknownNameError):
    """
    A name that is none of those accepted, listed; never with the closest as
    a hint, because the name closest in spelling is another thing, not a slip
    of the one meant: another drug (idarubicin beside daunorubicin), another
    encoding (UTF-16 beside UTF-8).
    """

    guesses = False

    @property
    def code(self) -> str:
        """As any unknown name's: ``"unknown_name_error"``."""
        return "unknown_name_error"


class UnknownDrugError(UnguessedNameError):
    """A drug name that is none of the drugs accepted, listed, with no hint."""


def closest_name(value: object, valid) -> str | None:
    """The valid name closest to a text, case and surrounding spaces ignored, or None.

    Examples
    --------
    >>> closest_name("Mostellar", ("mosteller", "dubois"))
    'mosteller'
    >>> closest_name("xyz", ("mosteller", "dubois")) is None
    True
    """
    if not isinstance(value, str):
        return None
    names = {str(name).lower(): str(name) for name in valid}
    close = difflib.get_close_matches(value.strip().lower(), list(names), n=1, cutoff=0.6)
    return names[close[0]] if close else None


class MissingInputError(DoseCalcError):
    """An input that the requested calculation needs was not given."""

    needed_for: str

    def __init__(self, field: str, needed_for: str):
        self._with_fields(f"{field} is required for {needed_for}", field=field, needed_for=needed_for)


class UsageError(DoseCalcError):
    """The command line was not used as its help says: an unknown option or
    command, a missing option, an option's value of the wrong type.

    Parameters
    ----------
    message : str
        The command line parser's message, e.g. ``"No such option: --hieght"``.
    field : str, optional
        The option or argument concerned, e.g. ``"--hieght"``, where there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        self._with_fields(message, field=field)
        self._fields = (message, field)  # the arguments of __init__, to rebuild the error by pickle


@contextlib.contextmanager
def as_typed(texts: Mapping[str, str | None]):
    """
    A :class:`UnitError` or :class:`ImplausibleInputError` about one field of ``texts`` (field: the text it was
    read from, None where none was) shows the text as typed, invisible characters escaped, not the value read
    from it: ``age='6570 days'``, not ``age=17.9876796714579 years``; ``dose='92mg/day'``, not ``92.0 mg/d``.
    """
    try:
        yield
    except (UnitError, ImplausibleInputError) as err:
        text = texts.get(getattr(err, "field", None) or "")
        if text is None or type(err) not in (UnitError, ImplausibleInputError):
            raise
        raise with_text_as_typed(err, text) from None


def with_text_as_typed(err: UnitError | ImplausibleInputError, text: str) -> UnitError | ImplausibleInputError:
    """``err``, about a value read from ``text``, showing the text as typed (invisible characters escaped)."""
    from .grammar import escaped  # the grammar's own escaping; it imports nothing of dosecalc

    if isinstance(err, ImplausibleInputError):
        return ImplausibleInputError(err.field, escaped(text), err.expected, err.hint)
    return UnitError(err.field, escaped(text), err.expected)
