"""
Errors as JSON: every refusal of the server has the shape of the command
line's ``--json`` error (``schemas/error.schema.json``), and none carries a
stack trace.

``{"code", "field", "value", "expected", "hint", "message", "command", "dosecalc_version"}``:

- a :class:`~dosecalc.errors.DoseCalcError` (bad input the library refused)
  is a 422 with the library's own field, value as given, what was expected and
  its hint, ``code`` its class (``unit_error``, ``implausible_input_error``,
  ``dosecalc_error`` for a refusal of no finer class); ``field`` is the request's key (``creatinine`` for the library's
  ``serum_creatinine``, as the command line names ``--creatinine``);
- a request the schema refuses (a number where a text with its unit is
  expected, an unknown key, a missing one, not JSON) is a 422 of the same
  shape, code ``request_error``, and so is one the API refuses itself (a
  query parameter, field ``query.<name>``; an option of a file, saying what
  to give instead);
- any other HTTP error keeps its status (404, 405, 413) with code
  ``http_error``; anything unexpected is a 500, code ``internal_error``,
  saying only ``internal error``.

Every refusal carries the command line's exit code in ``Dosecalc-Exit-Code``, as an
answer carries its command's (0, or verify's 4): 2 (bad input or usage) for a 4xx,
1 for a 500 (Python's exit code for an error it did not expect).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from .._version import __version__
from ..cli.inputs import OPTION_NAMES
from ..errors import DoseCalcError

__all__ = ["BAD_INPUT", "EXIT_HEADER", "INTERNAL_ERROR", "error_json", "install", "refusal"]

#: The header of every answer with the command line's exit code: 0, 2 for bad input, 4 for a verification needing attention.
EXIT_HEADER = "Dosecalc-Exit-Code"

#: The command line's exit code for bad input or usage, as click's for a usage error.
BAD_INPUT = 2

#: Python's exit code for an error it did not expect (a traceback): a 500's.
INTERNAL_ERROR = 1

# the library's field names that the command line (and so a request) spells otherwise: --creatinine, DOSE
_REQUEST_KEYS = {field: option.lstrip("-").replace("-", "_").lower() for field, option in OPTION_NAMES.items()}

# what the schema's error types mean to someone typing a value
_EXPECTED = {
    "string_type": (
        "a text: the number with its unit",
        'give the unit, as typed on the command line: "175 cm", "70 kg", "75 mg/m2"',
    ),
    "string_too_long": ("at most 200 characters", None),
    "missing": ("a value", None),
    "extra_forbidden": ("no such key", "/docs lists the keys each endpoint takes"),
    "json_invalid": ("a JSON object", None),
    "model_attributes_type": ("a JSON object", None),
    "int_type": ("a whole number", None),
    "bool_type": ("true or false", None),
    "duplicate_key": ("each key once", None),
    "string_unicode": ("text: a lone UTF-16 surrogate (\\ud800-\\udfff) is no character", None),
}


def error_json(code: str, message: str, field=None, value=None, expected=None, hint=None, command=None) -> dict:
    """The one error shape (see the module docstring)."""
    return {
        "code": code,
        "field": field,
        "value": value,
        "expected": expected,
        "hint": hint,
        "message": message,
        "command": command,
        "dosecalc_version": __version__,
    }


def dosecalc_error_json(err: DoseCalcError, command: str | None = None) -> dict:
    """A library error with its fields (:meth:`~dosecalc.errors.DoseCalcError.to_dict`); those its class lacks are null."""
    fields = err.to_dict()
    field = fields["field"]
    fields["field"] = _REQUEST_KEYS.get(field, field) if field else None
    return error_json(**fields, command=command)


def _as_typed(value, limit: int = 200) -> str:
    # a text as it came, cut to the length of the longest value; anything else as JSON writes it
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, shown escaped
        text = ascii(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _validation_json(err: RequestValidationError) -> dict:
    """The first problem the schema found, in the one shape; ``field`` is its key (path)."""
    problem = err.errors()[0]
    kind = problem.get("type")
    loc = problem.get("loc", ())
    if kind == "json_invalid":  # the body, not a key: where it stops being JSON is said in words
        ctx = problem.get("ctx") or {}
        offset = next((part for part in loc if isinstance(part, int)), None)
        where = (
            f" at line {ctx['line']}, column {ctx['column']}"
            if "line" in ctx
            else ""
            if offset is None
            else f" at character {offset}"
        )
        message = f"body: not JSON: {ctx.get('error', 'decode error')}{where}"
        return error_json("request_error", message, expected=_EXPECTED[kind][0])
    field = ".".join(str(part) for part in loc if part != "body") or None
    expected, hint = _EXPECTED.get(kind, (problem.get("msg"), None))
    said = problem.get("ctx") or {}  # a refusal of the server's own says what is expected, and how, itself
    expected, hint = said.get("expected", expected), said.get("hint", hint)
    value = problem.get("input")
    if isinstance(value, bytes):  # a body that is not JSON, or not sent as JSON
        value, expected = None, "a JSON object, sent with Content-Type: application/json"
    shown = (
        None
        if kind in ("missing", "json_invalid") or value is None or isinstance(value, (dict, list))
        else _as_typed(value)
    )
    return error_json(
        "request_error",
        f"{field or 'body'}: {problem.get('msg')}",
        field=field,
        value=shown,
        expected=expected,
        hint=hint,
    )


def _command(request: Request) -> str | None:
    path = request.url.path
    return path[len("/api/") :] if path.startswith("/api/") else None


def refusal(body: dict, status_code: int, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """An error of the one shape, with the command line's exit code for it in :data:`EXIT_HEADER`."""
    exit_code = INTERNAL_ERROR if status_code >= 500 else BAD_INPUT
    return JSONResponse(body, status_code=status_code, headers={**(headers or {}), EXIT_HEADER: str(exit_code)})


async def _on_dosecalc_error(request: Request, err: DoseCalcError) -> JSONResponse:
    return refusal(dosecalc_error_json(err, _command(request)), 422)


async def _on_validation_error(request: Request, err: RequestValidationError) -> JSONResponse:
    return refusal({**_validation_json(err), "command": _command(request)}, 422)


#: FastAPI's refusal of a body it could not decode as JSON at all (not UTF-8, nested beyond what it reads, a
#: number of more digits than Python reads).
_UNREADABLE_BODY = "There was an error parsing the body"


async def _on_http_error(request: Request, err: HTTPException) -> JSONResponse:
    if err.status_code == 400 and err.detail == _UNREADABLE_BODY:  # bad input, as a body that is not JSON
        unreadable = error_json(
            "request_error",
            "body: not read as JSON: not UTF-8, nested too deep, or a number too long to read",
            expected="a JSON object in UTF-8",
            command=_command(request),
        )
        return refusal(unreadable, 422)
    return refusal(error_json("http_error", str(err.detail)), err.status_code, err.headers)


async def _on_unexpected(request: Request, err: Exception) -> JSONResponse:
    # the server's log has the traceback; the response never does
    return refusal(error_json("internal_error", "internal error"), 500)


def install(app) -> None:
    """Register the handlers on a FastAPI ``app``."""
    app.add_exception_handler(DoseCalcError, _on_dosecalc_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
