"""
The HTTP API: the command line's commands as JSON endpoints.

Each endpoint is one command of ``dosecalc`` run in-process: ``POST
/api/dose`` with ``{"dose": "75 mg/m2", "height": "175 cm", "weight": "70
kg"}`` answers exactly what ``dosecalc dose 75mg/m2 --height 175cm --weight
70kg --json`` prints (the schemas in ``schemas/``). A request's keys are the
command's options with ``_`` for ``-`` (``bsa`` for ``--bsa``, ``max_dose``
for ``--max-dose``, ``no_gfr_cap`` for ``--no-gfr-cap``, the argument by its
name: ``dose``, ``protocol``); their descriptions and defaults are the
options' own, read from the command. Values are texts read by the same
grammar, a number with its unit, so ``"height": 175`` is refused, as
``--height 175`` is; ``cycle`` and ``cycles`` are JSON integers,
``no_gfr_cap`` a boolean, and an option given more than once (``--prior``,
``--condition``) a list of texts.

Every answer carries the command's exit code in the header
``Dosecalc-Exit-Code``: ``verify`` answers 200 with ``"ok": false`` and 4
there when an order needs attention, as the command exits 4 after its JSON;
a refusal (422) has 2 there, as the command exits 2 for bad input.

The commands without options are GETs: ``/api/methods``, ``/api/species``
and ``/api/protocols`` (``protocol list``).

Only the options listed for an endpoint are taken; an unknown key is refused,
and so is any query parameter (``/api/dose?bsa=2.5``): a request's values are
the keys of its JSON body only. The body is JSON in UTF-8 without a byte-order
mark (RFC 8259, 8.1).
A request never makes the server read a path: the options naming a file
(``--levels``, ``--bands``, ``verify --orders``), and those of such a file
only (``--level``, a level of ``--levels``; ``--band-deviation``; ``--orders``'
``--output``, ``--rejects``, ``--delimiter``, ``--encoding``), are not offered
(a request giving one is refused saying so, and what to give instead), and
``plan`` and ``verify`` take a protocol by its name in the library shipped
with dosecalc, not a file. No answer holds a path of the server: a protocol's
``file`` is its file's name (``abvd.toml``).
"""

import codecs
import inspect
import json
import typing
from collections.abc import Callable, Mapping
from pathlib import PurePath
from types import MappingProxyType
from typing import Annotated, Any, NamedTuple

import typer
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    create_model,
)

from ..errors import UnknownNameError
from .errors import EXIT_HEADER

__all__ = ["ENDPOINTS", "EXIT_HEADER", "Endpoint", "router"]


# a value as typed: a number with its unit, or a name; longer is not a value
Text = Annotated[str, StringConstraints(max_length=200)]

_PATIENT = ("height", "weight", "given_bsa", "method", "sex")
_SAFEGUARDS = ("weight_basis", "bsa_cap", "max_dose", "reduce", "round_to", "vials", "tolerance")
_RENAL = ("age", "weight", "sex", "creatinine")
# the estimate's options after its inputs, as crcl and carboplatin take them
_ESTIMATE = ("height", "bsa", "method", "weight_basis", "creatinine_floor")


class Endpoint(NamedTuple):
    """A command over HTTP: its module of :mod:`dosecalc.cli`, its function, the
    parameters taken (none: a GET), and for a parameter that names something on
    the server, the function listing the names it may take."""

    module: str
    function: str
    names: tuple[str, ...] = ()
    choices: Mapping[str, Callable[[], tuple[str, ...]]] = MappingProxyType({})


def _protocols() -> tuple[str, ...]:
    from ..protocol import protocol_names

    return protocol_names()


ENDPOINTS = {
    "bsa": Endpoint("lookup", "bsa_command", ("height", "weight", "method", "sex")),
    "dose": Endpoint("dose", "dose_command", ("dose", *_PATIENT, *_SAFEGUARDS)),
    "convert": Endpoint("lookup", "convert_command", ("dose", "to", "species", "km")),
    "hed": Endpoint("lookup", "hed_command", ("dose", "species", "km")),
    "regimen": Endpoint("dose", "regimen_command", ("dose", "days", "cycle", "cycles", *_PATIENT, *_SAFEGUARDS)),
    "crcl": Endpoint("renal", "crcl_command", (*_RENAL, "formula", *_ESTIMATE, "allow_outside_range")),
    "carboplatin": Endpoint(
        "renal",
        "carboplatin_command",
        (
            "auc",
            "gfr",
            *_RENAL,
            "policy",
            "formula",
            *_ESTIMATE,
            "gfr_cap",
            "no_gfr_cap",
            "max_dose",
            "round_to",
            "vials",
            "tolerance",
            "allow_outside_range",
        ),
    ),
    # a protocol by its name in the library shipped with dosecalc, never a path on the server
    "plan": Endpoint(
        "protocol",
        "plan_command",
        ("protocol", *_PATIENT, "age", "creatinine", "gfr", "cycles", "prior", "condition", "equivalence"),
        {"protocol": _protocols},
    ),
    # one patient's ordered doses; not a day's orders file (--orders, --output, --rejects)
    "verify": Endpoint(
        "verify",
        "verify_command",
        (
            "protocol",
            "ordered",
            "dose",
            "drug",
            *_PATIENT,
            "age",
            "creatinine",
            "gfr",
            "weight_basis",
            "bsa_cap",
            "max_dose",
            "round_to",
            "cycle",
            "day",
            "baseline_weight",
            "weight_change",
            "prior",
            "condition",
            "tolerance",
        ),
        {"protocol": _protocols},
    ),
    "methods": Endpoint("lookup", "methods_command"),
    "species": Endpoint("lookup", "species_command"),
    "protocols": Endpoint("protocol", "protocol_list_command"),
}

# the command line's options that name a file, and those of such a file only: a request never makes the server read
# a file, so each is refused saying why and what to give instead (expected, hint)
_LEVEL_INSTEAD = (
    "reduce, the reduction in % (20 for -20 %), or the level's dose as dose",
    "a dose level needs its regimen's level table, which only the command line reads: "
    "dosecalc dose DOSE --level LEVEL --levels FILE",
)
_BANDS_INSTEAD = (
    "round_to or vials, to round the dose",
    "dose banding needs a band table, which only the command line reads: dosecalc dose DOSE --bands FILE",
)
_ORDERS_INSTEAD = (
    "one patient's ordered doses as ordered, with the patient's measurements",
    "a day's orders file is verified by the command line: dosecalc verify --orders FILE",
)
NOT_OFFERED = {
    "levels": ("a dose-level table is a file", *_LEVEL_INSTEAD),
    "level": ("a dose level is read from its level table (levels), a file", *_LEVEL_INSTEAD),
    "bands": ("a dose-band table is a file", *_BANDS_INSTEAD),
    "band_deviation": ("a band deviation is a band table's (bands), a file", *_BANDS_INSTEAD),
    "orders": ("a day's orders are a file", *_ORDERS_INSTEAD),
    "output": ("an output is a day's orders' (orders), a file", *_ORDERS_INSTEAD),
    "rejects": ("a rejects file is a day's orders' (orders), a file", *_ORDERS_INSTEAD),
    "delimiter": ("a delimiter is a day's orders' (orders), a file", *_ORDERS_INSTEAD),
    "encoding": ("an encoding is a day's orders' (orders), a file", *_ORDERS_INSTEAD),
    "decimal_comma": ("a decimal comma is a day's orders' (orders), a file", *_ORDERS_INSTEAD),
}

# at most this many values for an option given more than once (--prior, --condition)
MAX_REPEATS = 20
_TYPES: dict[Any, Any] = {
    str: Text,
    int: StrictInt,
    bool: StrictBool,
    list[str]: Annotated[list[Text], Field(max_length=MAX_REPEATS)],
}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _key(name: str, info) -> str:
    """The request key of a command's parameter: its long option without dashes."""
    # typer takes Option("--bsa", help=...) in an Annotated type as a declaration given as the default
    declared = (getattr(info, "default", None), *(getattr(info, "param_decls", None) or ()))
    options = [decl for decl in declared if isinstance(decl, str) and decl.startswith("--")]
    return options[0][2:].replace("-", "_") if options else name


def _request_model(
    endpoint: str, command, names: tuple[str, ...], choices=None
) -> tuple[type[BaseModel], dict[str, str]]:
    """A pydantic model of the command's parameters ``names`` (types, defaults
    and help read from its typer annotations; a key of ``choices`` described by
    its names) and the map of request key to parameter name."""
    hints = typing.get_type_hints(command, include_extras=True)
    signature = inspect.signature(command)
    fields: dict[str, Any] = {}
    keys: dict[str, str] = {}
    for name in names:
        base, info = typing.get_args(hints[name])[:2]
        optional = type(None) in typing.get_args(base)
        kind = next(arg for arg in typing.get_args(base) if arg is not type(None)) if optional else base
        annotation = _TYPES[kind] | None if optional else _TYPES[kind]
        default = signature.parameters[name].default
        key = _key(name, info)
        description = getattr(info, "help", None)
        if key in (choices or {}):
            description = f"One of: {', '.join(choices[key]())} (by name; not a file)."
        fields[key] = (
            annotation,
            Field(... if default is inspect.Parameter.empty else default, description=description),
        )
        keys[key] = name
    model = create_model(f"{endpoint.capitalize()}Request", __base__=_Request, **fields)
    return model, keys


# each endpoint's keys of NOT_OFFERED: the options of its command that name a file, or belong to one
_UNOFFERED: dict[str, dict[str, tuple[str, str, str]]] = {}


def _unoffered(command, offered: tuple[str, ...]) -> dict[str, tuple[str, str, str]]:
    """The command's options of :data:`NOT_OFFERED` that the endpoint does not take, by request key."""
    hints = typing.get_type_hints(command, include_extras=True)
    keys = set()
    for name in inspect.signature(command).parameters:
        declared = typing.get_args(hints.get(name))
        keys.add(_key(name, declared[1] if len(declared) > 1 else None))
    return {key: NOT_OFFERED[key] for key in sorted(keys - set(offered)) if key in NOT_OFFERED}


def _files_by_name(payload):
    """The command's JSON with each ``"file"`` (a protocol's, which the command line gives as its path) by its file's
    name: a request takes a protocol by its name, and the server's folders are no business of whoever asks."""
    if isinstance(payload, list):
        return [_files_by_name(item) for item in payload]
    if not isinstance(payload, dict):
        return payload
    return {
        key: PurePath(value).name if key == "file" and isinstance(value, str) else _files_by_name(value)
        for key, value in payload.items()
    }


def _summary(command) -> str:
    """The command's help up to its examples, in one paragraph."""
    text = inspect.getdoc(command) or ""
    return " ".join(text.split("\b")[0].split())


def _route(endpoint: str, spec: Endpoint):
    from importlib import import_module

    from ..cli import output

    command = getattr(import_module(f"dosecalc.cli.{spec.module}"), spec.function)

    def answer(**options) -> JSONResponse:
        # on the event loop: one calculation at a time, a few milliseconds each
        code = 0
        with output.captured() as payloads:
            try:
                command(**options, as_json=True)
            except typer.Exit as done:  # after its JSON: verify's 4, "needs attention", is an answer
                if not payloads:
                    raise
                code = done.exit_code
        return JSONResponse(_files_by_name(payloads[0]), headers={EXIT_HEADER: str(code)})

    async def listing() -> JSONResponse:
        return answer()

    async def run(request: BaseModel) -> JSONResponse:
        given = request.model_dump(exclude_unset=True)
        for key, listed in spec.choices.items():  # a name, its case aside, as the library reads a protocol's
            if key in given and given[key].lower() not in listed():
                raise UnknownNameError(key, given[key], listed())
        return answer(**{keys[key]: value for key, value in given.items()})

    _UNOFFERED[endpoint] = _unoffered(command, spec.names)
    if spec.names:
        model, keys = _request_model(endpoint, command, spec.names, spec.choices)
        run.__annotations__["request"] = model  # the body FastAPI reads, validates and describes
    function = run if spec.names else listing
    function.__name__ = f"{endpoint}_endpoint"
    return function, _summary(command)


class _Twice(ValueError):
    def __init__(self, key: str):
        self.key = key


def _once(pairs: list) -> dict:
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise _Twice(key)
    return dict(pairs)


def _refused(kind: str, loc: tuple, msg: str, value=None, **said) -> RequestValidationError:
    """A refusal of the request in the schema's terms; ``said`` (``expected``, ``hint``, ``error``) its words."""
    return RequestValidationError([{"type": kind, "loc": loc, "msg": msg, "input": value, "ctx": said}])


def _query_refused(request: Request, endpoint: str) -> RequestValidationError | None:
    """A query parameter, which no endpoint reads: refused rather than ignored, named as sent (percent-encoded)."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    if not query:
        return None
    name, _, value = next((pair for pair in query.split("&") if pair), "").partition("=")
    takes_body = request.method == "POST"
    return _refused(
        "query_not_read",
        ("query", name) if name else ("query",),
        "not read: a query parameter" if name else f"not read: a query string ({query!r})",
        value,
        expected="no query parameters" + (": the request's values are the keys of its JSON body" if takes_body else ""),
        hint="/docs lists the keys each endpoint takes" if takes_body else f"GET /api/{endpoint} takes no parameters",
    )


class _Route(APIRoute):
    """A route that refuses what its endpoint would otherwise leave unread or read
    otherwise than sent: a query parameter, a byte-order mark or another encoding
    than UTF-8, a JSON object giving a key twice (parsers disagree on which value
    counts: the last, the first, or an error, so none is taken), and an option of
    a file (:data:`NOT_OFFERED`), said as such rather than as an unknown key."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def checked(request: Request):
            query_refused = _query_refused(request, self.name)
            if query_refused is not None:
                raise query_refused
            body = await request.body()  # kept by the request: read once
            where = None
            if body.startswith(codecs.BOM_UTF8):  # RFC 8259, 8.1: never added; refused as UTF-16 is, not skipped
                raise _refused(
                    "json_invalid",
                    ("body",),
                    "a byte-order mark",
                    error="a byte-order mark (U+FEFF) at byte 0 (JSON is exchanged in UTF-8 without one, RFC 8259)",
                )
            # json.loads reads UTF-16 and UTF-32 too (found by their NUL bytes, which JSON in UTF-8 never holds
            # unescaped); JSON is exchanged in UTF-8 (RFC 8259, 8.1)
            try:
                body.decode("utf-8")
                not_utf8 = body.find(b"\x00")
            except UnicodeDecodeError as err:
                not_utf8 = err.start
            if not_utf8 >= 0:
                said = {"error": f"byte {not_utf8} is not UTF-8 (JSON is exchanged in UTF-8, RFC 8259)"}
                raise RequestValidationError(
                    [{"type": "json_invalid", "loc": ("body",), "msg": "not UTF-8", "ctx": said}]
                ) from None
            parsed = None
            try:
                parsed = json.loads(body or b"null", object_pairs_hook=_once)
            except _Twice as twice:
                raise RequestValidationError(
                    [{"type": "duplicate_key", "loc": ("body", twice.key), "msg": "given twice", "input": None}]
                ) from None
            except json.JSONDecodeError as err:
                where = err
            except (ValueError, RecursionError):
                pass  # not JSON: the framework's own reading says so
            given: dict = parsed if isinstance(parsed, dict) else {}
            for key, value in given.items():
                if key in _UNOFFERED.get(self.name, {}):  # a file's option: why not, and what instead
                    what, expected, hint = _UNOFFERED[self.name][key]
                    raise _refused(
                        "not_offered",
                        ("body", key),
                        f"not offered over HTTP: {what}, and a request never makes the server read a file",
                        value,
                        expected=expected,
                        hint=hint,
                    )
            try:
                return await handler(request)
            except RequestValidationError as refused:
                # the framework's location of a JSON error is its offset, as if it were a key: the body, at a line and column
                problem = refused.errors()[0] if refused.errors() else {}
                if where is None or problem.get("type") != "json_invalid":
                    raise
                ctx = {"error": where.msg, "line": where.lineno, "column": where.colno}
                raise RequestValidationError([{**problem, "loc": ("body",), "ctx": ctx}]) from None

        return checked


def _router() -> APIRouter:
    from ..json_models import SCHEMAS

    api = APIRouter(prefix="/api", route_class=_Route)
    for endpoint, spec in ENDPOINTS.items():
        run, summary = _route(endpoint, spec)
        ok: dict[str, Any] = {
            "description": f"What `dosecalc {spec.function.removesuffix('_command').replace('_', ' ')} --json` prints."
        }
        if endpoint in SCHEMAS:
            ok["model"] = SCHEMAS[endpoint]
        api.add_api_route(
            f"/{endpoint}",
            run,
            methods=["POST" if spec.names else "GET"],
            name=endpoint,
            summary=f"dosecalc {endpoint}",
            description=summary,
            responses={
                200: ok,
                422: {"model": SCHEMAS["error"], "description": "Bad input: what `--json` prints for it."},
            },
        )
    return api


router = _router()
