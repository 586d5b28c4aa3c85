"""
The HTTP API through an HTTP client (FastAPI's TestClient, httpx): each
endpoint answers what its command prints with ``--json``, hand-computed values,
every kind of bad input as a 422 naming the field, the body limit, the Host
check, the security headers, no stack trace, and the static page's promises
(no inline script, no asset from the network, the disclaimer, a label for
every input).
"""

import json
import math
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # Starlette's TestClient would rather have httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from typer.testing import CliRunner

from dosecalc.cli import app as cli
from dosecalc.web import api, create_app, serve
from dosecalc.web.hardening import HEADERS
from dosecalc.web.server import is_loopback

STATIC = Path(api.__file__).with_name("static")
BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(), base_url=BASE, raise_server_exceptions=False)


def post(client, endpoint, body):
    return client.post(f"/api/{endpoint}", json=body)


def run_cli(*args):
    result = CliRunner().invoke(cli, [*args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.exit_code in (0, 4) else None


# --- the same answers as --json --------------------------------------------------

SAME = [
    ("bsa", {"height": "175 cm", "weight": "70 kg"}, ["bsa", "--height", "175 cm", "--weight", "70 kg"]),
    (
        "bsa",
        {"height": "5 ft 9 in", "weight": "154 lb", "method": "all", "sex": "f"},
        ["bsa", "--height", "5 ft 9 in", "--weight", "154 lb", "--method", "all", "--sex", "f"],
    ),
    (
        "dose",
        {"dose": "75 mg/m2", "height": "175 cm", "weight": "70 kg"},
        ["dose", "75 mg/m2", "--height", "175 cm", "--weight", "70 kg"],
    ),
    (
        "dose",
        {"dose": "1.4 mg/m2", "bsa": "1.9", "max_dose": "2 mg"},
        ["dose", "1.4 mg/m2", "--bsa", "1.9", "--max-dose", "2 mg"],
    ),
    (
        "dose",
        {"dose": "75mg/m2", "height": "190cm", "weight": "110kg", "bsa_cap": "2.0", "round_to": "5mg"},
        ["dose", "75mg/m2", "--height", "190cm", "--weight", "110kg", "--bsa-cap", "2.0", "--round-to", "5mg"],
    ),
    (
        "dose",
        {"dose": "85mg/m2", "bsa": "1.9", "reduce": "20", "vials": "50mg,10mg"},
        ["dose", "85mg/m2", "--bsa", "1.9", "--reduce", "20", "--vials", "50mg,10mg"],
    ),
    ("convert", {"dose": "225mg/m2", "to": "mg/kg"}, ["convert", "225mg/m2", "--to", "mg/kg"]),
    ("hed", {"dose": "50mg/kg", "species": "rat"}, ["hed", "50mg/kg", "--species", "rat"]),
    (
        "regimen",
        {"dose": "75mg/m2", "days": "1,8,15", "cycle": 28, "cycles": 6, "height": "175cm", "weight": "70kg"},
        [
            "regimen",
            "75mg/m2",
            "--days",
            "1,8,15",
            "--cycle",
            "28",
            "--cycles",
            "6",
            "--height",
            "175cm",
            "--weight",
            "70kg",
        ],
    ),
    (
        "crcl",
        {"age": "60", "weight": "80kg", "sex": "m", "creatinine": "1.2mg/dL"},
        ["crcl", "--age", "60", "--weight", "80kg", "--sex", "m", "--creatinine", "1.2mg/dL"],
    ),
    (
        "carboplatin",
        {"auc": "6", "gfr": "140mL/min", "no_gfr_cap": True},
        ["carboplatin", "--auc", "6", "--gfr", "140mL/min", "--no-gfr-cap"],
    ),
    (
        "plan",
        {"protocol": "r-chop-21", "height": "175cm", "weight": "70kg", "cycles": 6, "prior": ["doxorubicin=150mg/m2"]},
        [
            "plan",
            "r-chop-21",
            "--height",
            "175cm",
            "--weight",
            "70kg",
            "--cycles",
            "6",
            "--prior",
            "doxorubicin=150mg/m2",
        ],
    ),
    ("plan", {"protocol": "mfolfox6", "bsa": "1.9"}, ["plan", "mfolfox6", "--bsa", "1.9"]),
    (
        "verify",
        {
            "protocol": "r-chop-21",
            "height": "175cm",
            "weight": "80kg",
            "ordered": ["doxorubicin=95mg", "vincristine=2mg"],
        },
        [
            "verify",
            "r-chop-21",
            "--height",
            "175cm",
            "--weight",
            "80kg",
            "--ordered",
            "doxorubicin=95mg",
            "--ordered",
            "vincristine=2mg",
        ],
    ),
    (
        "verify",
        {
            "protocol": "r-chop-21",
            "height": "170cm",
            "weight": "68kg",
            "baseline_weight": "80kg",
            "cycle": 4,
            "day": 1,
            "ordered": ["doxorubicin=120mg"],
        },
        [
            "verify",
            "r-chop-21",
            "--height",
            "170cm",
            "--weight",
            "68kg",
            "--baseline-weight",
            "80kg",
            "--cycle",
            "4",
            "--day",
            "1",
            "--ordered",
            "doxorubicin=120mg",
        ],
    ),
    (
        "verify",
        {"dose": "75mg/m2", "height": "175cm", "weight": "70kg", "ordered": ["138mg"], "tolerance": "5%"},
        [
            "verify",
            "--dose",
            "75mg/m2",
            "--height",
            "175cm",
            "--weight",
            "70kg",
            "--ordered",
            "138mg",
            "--tolerance",
            "5%",
        ],
    ),
]


def _as_options(endpoint, body):
    """The command line of a request: the argument first, then each key as its option."""
    args = [endpoint, *(body[name] for name in ("dose", "protocol") if name in body and endpoint != "verify")]
    for key, value in body.items():
        if key in ("dose", "protocol") and endpoint != "verify":
            continue
        option = "--" + key.replace("_", "-")
        if value is True:
            args.append(option)
        elif isinstance(value, list):
            args += [part for item in value for part in (option, item)]
        else:
            args += [option, str(value)]
    return args


# the options of crcl, carboplatin and plan beyond the estimate's inputs, each as the command takes it
_ADDIKD = {"age": "60", "sex": "f", "creatinine": "1.0mg/dL", "height": "165cm", "weight": "70kg"}
_CG = {"age": "60", "weight": "80kg", "sex": "m", "creatinine": "1.2mg/dL"}
for _endpoint, _body in [
    ("carboplatin", {"auc": "5", "gfr": "90 mL/min/1.73m2", "bsa": "1.9"}),
    ("carboplatin", {"auc": "5", "policy": "addikd", **_ADDIKD}),
    ("carboplatin", {"auc": "5", "formula": "ckd-epi-2021", **_ADDIKD, "method": "dubois"}),
    ("carboplatin", {"auc": "6", **_CG, "height": "175cm", "weight_basis": "ideal"}),
    (
        "carboplatin",
        {
            "auc": "6",
            "age": "80",
            "weight": "50kg",
            "sex": "f",
            "creatinine": "0.4mg/dL",
            "creatinine_floor": "0.7mg/dL",
        },
    ),
    ("carboplatin", {"auc": "6", "gfr": "140mL/min", "no_gfr_cap": True, "max_dose": "800 mg"}),
    ("carboplatin", {"auc": "5", "gfr": "90mL/min", "round_to": "10mg", "tolerance": "5"}),
    ("carboplatin", {"auc": "6", "gfr": "140mL/min", "no_gfr_cap": True, "vials": "450mg,150mg,50mg"}),
    (
        "carboplatin",
        {"auc": "5", "age": "60", "weight": "80kg", "sex": "m", "creatinine": "0.1mg/dL", "allow_outside_range": True},
    ),
    ("crcl", {"formula": "ckd-epi-2021", "age": "55", "sex": "m", "creatinine": "1.2mg/dL", "bsa": "1.9"}),
    (
        "crcl",
        {
            "formula": "ckd-epi-2021",
            "age": "55",
            "sex": "m",
            "creatinine": "1.2mg/dL",
            "height": "175cm",
            "weight": "70kg",
            "method": "dubois",
        },
    ),
    ("crcl", {**_CG, "height": "175cm", "weight_basis": "adjusted", "creatinine_floor": "nccn"}),
    ("crcl", {"age": "60", "weight": "80kg", "sex": "m", "creatinine": "0.1mg/dL", "allow_outside_range": True}),
    (
        "plan",
        {
            "protocol": "r-chop-21",
            "height": "175cm",
            "weight": "70kg",
            "prior": ["epirubicin=250mg/m2"],
            "equivalence": "feijen-2019",
        },
    ),
]:
    SAME.append((_endpoint, _body, _as_options(_endpoint, _body)))


@pytest.mark.parametrize(("endpoint", "body", "args"), SAME, ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(SAME)])
def test_endpoint_answers_what_json_prints(client, endpoint, body, args):
    code, printed = run_cli(*args)
    assert printed is not None, code
    response = post(client, endpoint, body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == printed
    assert response.headers["dosecalc-exit-code"] == str(code)


def test_dose_by_hand(client):
    payload = post(client, "dose", {"dose": "75 mg/m2", "height": "175 cm", "weight": "70 kg"}).json()
    # Mosteller (1987) by hand: sqrt(175 × 70 / 3600) = 1.84466 m²; 75 mg/m² × 1.84466 m² = 138.35 mg
    assert math.isclose(payload["results"]["bsa"]["value"], math.sqrt(175 * 70 / 3600))
    assert math.isclose(payload["results"]["dose"]["value"], 75 * math.sqrt(175 * 70 / 3600))
    assert payload["results"]["dose"]["unit"] == "mg"
    # the text as typed beside the value read
    assert payload["inputs"]["height"] == {"given": "175 cm", "value": 175.0, "unit": "cm"}


def test_carboplatin_and_crcl_by_hand(client):
    # Calvert (1989): 5 × (90 + 25) = 575 mg
    assert post(client, "carboplatin", {"auc": "5", "gfr": "90 mL/min"}).json()["results"]["dose"][
        "value"
    ] == pytest.approx(575)
    # Cockcroft-Gault (1976): (140 − 60) × 80 / (72 × 1.2) = 74.07 mL/min
    crcl = post(client, "crcl", {"age": "60", "weight": "80 kg", "sex": "m", "creatinine": "1.2 mg/dL"}).json()
    assert crcl["results"]["crcl"]["value"] == pytest.approx((140 - 60) * 80 / (72 * 1.2))


def test_the_key_an_error_asks_for_is_taken(client):
    per_area = {"auc": "5", "gfr": "90 mL/min/1.73m2"}
    refused = assert_error(post(client, "carboplatin", per_area), "unit_error", "gfr")
    assert "give bsa (or height and weight)" in refused["expected"]
    for patient in ({"bsa": "1.9"}, {"height": "175 cm", "weight": "70 kg"}):
        answer = post(client, "carboplatin", {**per_area, **patient})
        assert answer.status_code == 200, answer.text
    # de-indexed by the BSA, then Calvert (1989): 5 × (90 × 1.9 / 1.73 + 25) = 619.22 mg
    dose = post(client, "carboplatin", {**per_area, "bsa": "1.9"}).json()["results"]["dose"]["value"]
    assert dose == pytest.approx(5 * (90 * 1.9 / 1.73 + 25))


@pytest.mark.parametrize(
    ("endpoint", "args"), [("methods", ["methods"]), ("species", ["species"]), ("protocols", ["protocol", "list"])]
)
def test_get_endpoints_answer_what_json_prints(client, endpoint, args):
    code, printed = run_cli(*args)
    assert code == 0
    # a protocol's file by its name: the command line gives its path on this machine, the server none of its own
    for listed in printed.get("protocols", ()):
        listed["file"] = Path(listed["file"]).name
    assert client.get(f"/api/{endpoint}").json() == printed


def test_verify_by_hand(client):
    # R-CHOP-21 doxorubicin 50 mg/m² × Mosteller sqrt(175 × 80 / 3600) = 1.972 m² = 98.60 mg (Coiffier 2002)
    computed = 50 * math.sqrt(175 * 80 / 3600)
    response = post(
        client,
        "verify",
        {"protocol": "r-chop-21", "height": "175 cm", "weight": "80 kg", "ordered": ["doxorubicin=120mg"]},
    )
    assert response.headers["dosecalc-exit-code"] == "4"  # needs attention, as the command exits 4
    check = response.json()["verification"]["checks"][0]
    assert check["verdict"] == "too_high"
    assert check["computed"]["value"] == pytest.approx(computed)
    # (120 − 98.60) / 98.60 = +21.7 %
    assert check["difference_pct"] == pytest.approx(100 * (120 - computed) / computed)
    assert check["ordered"]["given"] == "120mg"


def test_verify_takes_no_orders_file(client):
    body = {"protocol": "r-chop-21", "orders": "examples/orders.csv", "output": "/tmp/out.csv"}
    assert_error(post(client, "verify", body), "request_error", "orders")


def test_plan_by_hand(client):
    plan = post(client, "plan", {"protocol": "r-chop-21", "height": "175 cm", "weight": "70 kg"}).json()["schedule"]
    doses = {order["drug"]: order["dose"] for order in plan["orders"]}
    area = math.sqrt(175 * 70 / 3600)  # Mosteller (1987): 1.84466 m²
    # R-CHOP-21 (Coiffier 2002): rituximab 375 mg/m², doxorubicin 50 mg/m²; vincristine 1.4 mg/m² = 2.58 mg, capped at 2 mg
    assert doses["rituximab"]["value"] == pytest.approx(375 * area)
    assert doses["doxorubicin"]["value"] == pytest.approx(50 * area)
    assert doses["vincristine"] == {"value": 2.0, "unit": "mg"}


@pytest.mark.parametrize(
    "name",
    [
        "/etc/passwd",
        "../examples/protocols/abvd",
        "examples/protocols/abvd.toml",
        "abvd.toml",
        "~/abvd",
        "R-CHOP-21\x00",
        "r-chop-21 ",
    ],
)
@pytest.mark.parametrize("endpoint", ["plan", "verify"])
def test_a_protocol_is_taken_by_its_shipped_name_only(client, name, endpoint):
    body = assert_error(
        post(
            client,
            endpoint,
            {"protocol": name, "bsa": "1.9", **({"ordered": ["doxorubicin=95mg"]} if endpoint == "verify" else {})},
        ),
        "unknown_name_error",
        "protocol",
    )
    assert "r-chop-21" in body["expected"]
    assert "root:" not in json.dumps(body)


def test_a_protocols_name_is_read_whatever_its_case_as_on_the_command_line(client):
    # "ABVD" is the protocol the command line's `dosecalc plan ABVD` plans: the same answer
    upper, lower = (post(client, "plan", {"protocol": name, "bsa": "1.9"}) for name in ("ABVD", "abvd"))
    assert upper.status_code == lower.status_code == 200
    assert upper.json()["schedule"] == lower.json()["schedule"]


def test_a_request_takes_the_commands_options():
    description = create_app().openapi()
    keys = {
        path: set(
            description["components"]["schemas"][
                item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
            ]["properties"]
        )
        for path, item in description["paths"].items()
        if "post" in item
    }
    assert set(keys) == {f"/api/{name}" for name, endpoint in api.ENDPOINTS.items() if endpoint.names}
    assert {"/api/methods", "/api/species", "/api/protocols"} <= {
        path for path, item in description["paths"].items() if "get" in item
    }
    assert keys["/api/bsa"] == {"height", "weight", "method", "sex"}
    # --bsa is "bsa", --max-dose "max_dose"; no option naming a file (--levels, --bands), nor --levels' --level
    assert {"dose", "bsa", "max_dose", "round_to", "vials"} <= keys["/api/dose"]
    assert not {"levels", "level", "bands", "given_bsa", "as_json"} & set().union(*keys.values())
    assert keys["/api/carboplatin"] >= {"auc", "gfr", "gfr_cap", "no_gfr_cap"}
    assert keys["/api/plan"] >= {"protocol", "height", "weight", "age", "creatinine", "cycles", "prior", "condition"}
    assert keys["/api/verify"] >= {
        "protocol",
        "dose",
        "ordered",
        "baseline_weight",
        "cycle",
        "day",
        "tolerance",
        "weight_change",
    }
    assert not {"orders", "output", "rejects"} & keys["/api/verify"]


# the options naming a file on the server, not offered (README "Web page and HTTP API"), and those
# of such a file only: --level is a level of --levels, --band-deviation is --bands' own; --output,
# --rejects, --delimiter and --encoding are verify --orders' own
_FILE_OPTIONS = {
    "dose": {"levels", "level", "bands", "band_deviation"},
    "regimen": {"levels", "level", "bands", "band_deviation"},
    "verify": {"orders", "output", "rejects", "delimiter", "encoding", "decimal_comma"},
}


def _request_schemas():
    description = create_app().openapi()
    schemas = description["components"]["schemas"]
    return {
        path.removeprefix("/api/"): schemas[
            item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        ]
        for path, item in description["paths"].items()
        if "post" in item
    }


@pytest.mark.parametrize("endpoint", [name for name, spec in api.ENDPOINTS.items() if spec.names])
def test_every_option_of_the_command_is_a_key(endpoint):
    # README: "A request's keys are the options without their dashes, - as _"; none missing, none more
    import typer.main

    spec = api.ENDPOINTS[endpoint]
    command = typer.main.get_command(cli)
    for word in spec.function.removesuffix("_command").split("_"):
        command = command.commands[word]
    shown = set()
    for param in command.params:  # what --help lists
        if getattr(param, "hidden", False):
            continue
        long = [opt for opt in param.opts if opt.startswith("--")]
        shown.add(long[0][2:].replace("-", "_") if long else param.name)
    expected = shown - {"json"} - _FILE_OPTIONS.get(endpoint, set())
    assert set(_request_schemas()[endpoint]["properties"]) == expected


# --- bad input: 422 naming the field ---------------------------------------------


def assert_error(response, code, field, status=422):
    assert response.status_code == status, response.text
    # the command line's exit code for it: 2 for bad input or usage, 1 for an error Python did not expect
    assert response.headers["Dosecalc-Exit-Code"] == ("1" if status == 500 else "2")
    body = response.json()
    assert set(body) == {"code", "field", "value", "expected", "hint", "message", "command", "dosecalc_version"}
    assert body["code"] == code
    assert body["field"] == field
    text = response.text
    assert "Traceback" not in text and ".py" not in text
    return body


@pytest.mark.parametrize(
    ("endpoint", "content"),
    [
        ("dose", b'{"dose": "75 mg/m2", "height": "1.75 cm", "weight": "70 kg"}'),  # refused by the library
        ("dose", b'{"dose": "75 mg/m2", "hieght": "175 cm", "weight": "70 kg"}'),  # unknown key
        ("dose", b'{"dose": "75 mg/m2", "height": 175, "weight": "70 kg"}'),  # a number without its unit
        ("dose", b'{"height": "175 cm", "weight": "70 kg"}'),  # missing
        ("dose", b'{"dose": "75 mg/m2", "height": "175 cm", "weight": "70 kg"'),  # not JSON
        ("bsa", b'{"height": "175 cm", "height": "1.75 m", "weight": "70 kg"}'),  # a key twice
        ("plan", b'{"protocol": "/etc/passwd", "bsa": "1.9"}'),  # not a shipped protocol
        ("bsa", b'{"height": "\xff175 cm", "weight": "70 kg"}'),  # not UTF-8
        ("carboplatin", '{"auc": "5", "gfr": "90 mL/min"}'.encode("utf-16")),  # JSON, but in UTF-16
        ("bsa", b"[" * 5000 + b"]" * 5000),  # nested beyond what the JSON reader reads
    ],
)
def test_a_refusal_carries_the_commands_exit_code_2(client, endpoint, content):
    # README: every answer carries the command's exit code; the command exits 2 for bad input
    response = client.post(f"/api/{endpoint}", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.headers["dosecalc-exit-code"] == "2"
    assert response.json()["code"] in ("request_error", "implausible_input_error", "unknown_name_error")


def test_implausible_value_names_field_value_expected_hint(client):
    body = assert_error(
        post(client, "dose", {"dose": "75 mg/m2", "height": "1.75 cm", "weight": "70 kg"}),
        "implausible_input_error",
        "height",
    )
    assert body["value"] == "1.75 cm"
    assert body["expected"] == "20-280 cm"
    assert body["hint"] == "did you mean 1.75 m?"
    assert body["command"] == "dose"


def test_library_field_is_named_as_the_request_key(client):
    # the library's serum_creatinine is the request's creatinine (the CLI's --creatinine)
    body = assert_error(
        post(client, "crcl", {"age": "60", "weight": "80 kg", "sex": "m", "creatinine": "1.2"}),
        "unit_error",
        "creatinine",
    )
    assert body["value"] == "1.2"
    assert "unit" in body["expected"]


def test_unknown_name_lists_the_valid_ones(client):
    body = assert_error(
        post(client, "bsa", {"height": "175 cm", "weight": "70 kg", "method": "mostellar"}),
        "unknown_name_error",
        "method",
    )
    assert "mosteller" in body["expected"]


@pytest.mark.parametrize(
    ("body", "field", "expected"),
    [
        ({"dose": "75 mg/m2", "height": 175, "weight": "70 kg"}, "height", "a text: the number with its unit"),
        ({"dose": "75 mg/m2", "hieght": "175 cm", "weight": "70 kg"}, "hieght", "no such key"),
        ({"height": "175 cm", "weight": "70 kg"}, "dose", "a value"),
        ({"dose": "75 mg/m2", "bsa": "1" * 201}, "bsa", "at most 200 characters"),
        ({"dose": ["75 mg/m2"], "bsa": "1.9"}, "dose", "a text: the number with its unit"),
    ],
)
def test_schema_refusals(client, body, field, expected):
    refused = assert_error(post(client, "dose", body), "request_error", field)
    assert refused["expected"] == expected


@pytest.mark.parametrize(
    ("endpoint", "body", "field", "hint"),
    [
        # a dose level needs its table, a file: refused whatever is given with it, never left to the library's
        # "levels is required", a key no request can give
        ("dose", {"dose": "85 mg/m2", "bsa": "1.9", "level": "-1"}, "level", "--levels FILE"),
        ("regimen", {"dose": "85 mg/m2", "days": "1", "bsa": "1.9", "level": "-1"}, "level", "--levels FILE"),
        ("dose", {"dose": "75 mg/m2", "bsa": "1.9", "levels": "/etc/passwd", "level": "-1"}, "levels", "--levels FILE"),
        (
            "dose",
            {"dose": "85 mg/m2", "bsa": "1.9", "levels": {"0": "85 mg/m2", "-1": "65 mg/m2"}},
            "levels",
            "--levels",
        ),
        ("dose", {"dose": "75 mg/m2", "bsa": "1.9", "bands": "examples/bands.csv"}, "bands", "--bands FILE"),
        ("dose", {"dose": "75 mg/m2", "bsa": "1.9", "band_deviation": "5"}, "band_deviation", "--bands FILE"),
        ("verify", {"protocol": "r-chop-21", "orders": "examples/orders.csv"}, "orders", "--orders FILE"),
        ("verify", {"protocol": "r-chop-21", "bsa": "1.9", "rejects": "/tmp/r.csv"}, "rejects", "--orders FILE"),
    ],
)
def test_an_option_of_a_file_is_refused_saying_what_instead(client, endpoint, body, field, hint):
    refused = assert_error(post(client, endpoint, body), "request_error", field)
    assert refused["message"].startswith(f"{field}: not offered over HTTP: ")
    assert "a request never makes the server read a file" in refused["message"]
    assert hint in refused["hint"]
    assert refused["value"] == (body[field] if isinstance(body[field], str) else None)
    assert refused["command"] == endpoint


def test_a_dose_level_says_to_give_a_reduction_or_the_levels_dose(client):
    refused = assert_error(
        post(client, "dose", {"dose": "85 mg/m2", "bsa": "1.9", "level": "-1"}), "request_error", "level"
    )
    assert refused["expected"] == "reduce, the reduction in % (20 for -20 %), or the level's dose as dose"
    assert "level table" in refused["message"] and "levels" in refused["message"]
    # what it says to give instead is taken: level -1 of 85 → 65 mg/m² is the dose 65 mg/m²
    assert post(client, "dose", {"dose": "65 mg/m2", "bsa": "1.9"}).status_code == 200


# each endpoint with a request it answers
_ANSWERED = {endpoint: body for endpoint, body, _ in reversed(SAME)}


@pytest.mark.parametrize("endpoint", list(api.ENDPOINTS))
@pytest.mark.parametrize("query", ["bsa=2.5&reduce=50", "dose=75%20mg%2Fm2", "reduce", "&bsa=2.5", "=1"])
def test_a_query_parameter_is_refused_never_ignored(client, endpoint, query):
    # /api/dose?bsa=2.5&reduce=50 answered the body's BSA, unreduced: a value sent is read or refused
    spec = api.ENDPOINTS[endpoint]
    url = f"/api/{endpoint}?{query}"
    response = client.post(url, json=_ANSWERED[endpoint]) if spec.names else client.get(url)
    name, _, value = query.lstrip("&").partition("&")[0].partition("=")
    refused = assert_error(response, "request_error", f"query.{name}" if name else "query")
    assert refused["value"] == value
    assert refused["expected"].startswith("no query parameters")
    assert refused["command"] == endpoint
    if not spec.names:
        assert refused["hint"] == f"GET /api/{endpoint} takes no parameters"


def test_without_a_query_the_same_request_is_answered(client):
    assert post(client, "dose", {"dose": "75 mg/m2", "bsa": "1.9"}).status_code == 200
    assert client.post("/api/dose?", json={"dose": "75 mg/m2", "bsa": "1.9"}).status_code == 200  # "?": no query
    assert client.get("/api/methods").status_code == 200


def test_whole_numbers_and_flags_are_json_types(client):
    refused = assert_error(
        post(client, "regimen", {"dose": "75mg/m2", "days": "1,8,15", "cycle": "28"}), "request_error", "cycle"
    )
    assert refused["expected"] == "a whole number"
    refused = assert_error(
        post(client, "carboplatin", {"auc": "5", "gfr": "90 mL/min", "no_gfr_cap": "yes"}),
        "request_error",
        "no_gfr_cap",
    )
    assert refused["expected"] == "true or false"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (
            b'{"dose": "75 mg/m2", "bsa": "1.9"}',
            "text/plain",
        ),  # a form of another site can send this without a preflight
        (b"dose=75+mg%2Fm2&bsa=1.9", "application/x-www-form-urlencoded"),
        (b"[1, 2]", "application/json"),
        (b'"75 mg/m2"', "application/json"),
        (b"", "application/json"),
    ],
)
def test_not_a_json_object_is_refused(client, content, content_type):
    response = client.post("/api/dose", content=content, headers={"content-type": content_type})
    assert_error(response, "request_error", None)


@pytest.mark.parametrize("content", [b'{"dose": "75 mg/m2", "bsa": "1.9"', b"\xff\xfe\x00", b'{"dose": NaN}'])
def test_a_body_that_does_not_parse_is_400(client, content):
    response = client.post("/api/dose", content=content, headers={"content-type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("http_error", "request_error")
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("content", "where"),
    [
        # cut before its "}": the 58 characters end at line 1, column 58, so the parser stops at column 59
        (b'{"dose": "75 mg/m2", "height": "175 cm", "weight": "70 kg"', "line 1, column 59"),
        (b'{"dose": "75 mg/m2",\n "height": 175 cm}', "line 2, column 16"),
    ],
)
def test_malformed_json_is_the_body_at_a_line_and_column(client, content, where):
    response = client.post("/api/dose", content=content, headers={"content-type": "application/json"})
    body = assert_error(response, "request_error", None)  # the body, not a key named by an offset
    assert body["message"] == f"body: not JSON: Expecting ',' delimiter at {where}"
    assert body["expected"] == "a JSON object"
    assert body["value"] is None


def test_a_key_given_twice_is_refused(client):
    # JSON parsers differ on which of the two counts; none is taken
    content = b'{"height": "175 cm", "height": "1.75 m", "weight": "70 kg"}'
    body = assert_error(
        client.post("/api/bsa", content=content, headers={"content-type": "application/json"}),
        "request_error",
        "height",
    )
    assert body["expected"] == "each key once"


@pytest.mark.parametrize(
    "content",
    [
        b'{"height": "\\ud800 cm", "weight": "70 kg"}',
        b'{"protocol": "abvd", "bsa": "1.9", "prior": ["doxorubicin=1\\udfffmg/m2"]}',
    ],
)
def test_a_lone_surrogate_is_refused_and_shown_escaped(client, content):
    endpoint = "plan" if b"protocol" in content else "bsa"
    response = client.post(f"/api/{endpoint}", content=content, headers={"content-type": "application/json"})
    body = assert_error(response, "request_error", response.json()["field"])
    assert body["field"] in ("height", "prior.0")
    assert "\\ud" in body["value"] and "surrogate" in body["expected"]


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 30_000 + b"]" * 30_000,
        b'{"dose": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
        b'{"dose": "75 mg/m2", "bsa": "1.9", "cycles": ' + b"9" * 5_000 + b"}",
    ],
)
def test_deep_or_huge_json_is_refused_without_a_trace(client, content):
    # bad input, as any body that is not JSON: a 422 of the one error shape
    response = client.post("/api/dose", content=content, headers={"content-type": "application/json"})
    body = assert_error(response, "request_error", None)
    assert body["message"].startswith("body: not read as JSON") and body["expected"] == "a JSON object in UTF-8"


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "175 * 2 cm",
        "175 cm; weight=1",
        "1e400 cm",
        "nan cm",
        "-175 cm",
        "175 cm\u202e",
        "175\u200bcm",
        "<script>alert(1)</script>",
        "{{7*7}} cm",
        "175 meter ** 2",
    ],
)
def test_input_is_read_never_evaluated(client, text):
    response = post(client, "bsa", {"height": text, "weight": "70 kg"})
    body = assert_error(response, response.json().get("code"), "height")
    assert body["code"] in ("unit_error", "implausible_input_error")
    assert body["value"] is not None


@given(st.text(max_size=40))
def test_any_text_is_an_answer_or_a_422(text):
    response = post(
        TestClient(create_app(), base_url=BASE, raise_server_exceptions=False),
        "bsa",
        {"height": text, "weight": "70 kg"},
    )
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert response.json()["field"] in ("height", None)
    else:
        assert response.json()["inputs"]["height"]["given"] == text


# values of every kind an endpoint reads, plausible and not, and any text
_SAMPLES = [
    "175 cm",
    "70 kg",
    "1.9",
    "75 mg/m2",
    "6.1 mg/kg",
    "100 mg",
    "10 units/m2",
    "5",
    "0",
    "-1",
    "1e-300mg",
    "1e300 mg",
    "100mg,50mg",
    "f",
    "m",
    "all",
    "ideal",
    "20",
    "5%",
    "child",
    "1,8,15",
    "r-chop-21",
    "abvd",
    "carboplatin-paclitaxel",
    "1.2 mg/dL",
    "106 umol/L",
    "90 mL/min",
    "60",
    "doxorubicin=95mg",
    "vincristine=1e300mg",
    "=5mg",
    "mediastinal-radiotherapy",
]
_TEXT = st.one_of(st.sampled_from(_SAMPLES), st.text(max_size=20))
_BY_TYPE = {
    "string": _TEXT,
    "integer": st.integers(-2, 10**6),
    "boolean": st.booleans(),
    "array": st.lists(_TEXT, min_size=1, max_size=3),
}


def _request_keys():
    description = create_app().openapi()
    schemas = description["components"]["schemas"]
    keys = {}
    for path, item in description["paths"].items():
        if "post" in item:
            name = item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
            keys[path] = {
                key: next(kind["type"] for kind in prop.get("anyOf", [prop]) if kind.get("type") != "null")
                for key, prop in schemas[name]["properties"].items()
            }
    return keys


_KEYS = _request_keys()


@given(st.data())
def test_no_request_is_a_500(client, data):
    path = data.draw(st.sampled_from(sorted(_KEYS)))
    body = {key: data.draw(_BY_TYPE[kind]) for key, kind in _KEYS[path].items() if data.draw(st.booleans())}
    response = client.post(path, json=body)
    assert response.status_code in (200, 422), (path, body, response.text)
    if response.status_code == 422:
        assert response.json()["message"]


# --- hardening ------------------------------------------------------------------


def test_body_over_the_limit_is_413(client):
    body = {"dose": "75 mg/m2", "bsa": "1.9", "padding": "x" * 70_000}
    assert_error(post(client, "dose", body), "http_error", None, status=413)


def test_chunked_body_over_the_limit_is_413(client):
    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"dose": "75 mg/m2", "x": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/dose", content=chunks(), headers={"content-type": "application/json"})
    assert_error(response, "http_error", None, status=413)


def test_a_small_limit_is_kept():
    small = TestClient(create_app(max_body_bytes=64), base_url=BASE)
    assert small.post("/api/bsa", json={"height": "175 cm", "weight": "70 kg"}).status_code == 200
    assert (
        small.post(
            "/api/bsa", json={"height": "175 cm", "weight": "70 kg", "method": "mosteller", "sex": "f"}
        ).status_code
        == 413
    )


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:8765",
        "localhost:8765",
        "[::1]:8765",
        "localhost",
        "[::1]",
        "LocalHost:8765",  # a name whatever its case, as DNS compares names
        "127.0.0.1:1",
        "127.0.0.1:65535",
    ],
)
def test_loopback_host_is_served(client, host):
    assert client.get("/", headers={"host": host}).status_code == 200


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8765",
        "127.0.0.1.evil.example",
        "192.168.1.5:8765",
        "",
        "localhost:8765:80",
        "127.0.0.1@evil.example",
        "[::1",
        "localhost.",
        "127.0.0.1:http",
        # a name followed by anything but a port, or a port that is none: no name of this server
        "[::1]evil.example",
        "[::1]evil.example:8765",
        "[::1]:evil",
        "[::1]:8765]",
        "[[::1]]",
        "::1",  # an IPv6 address without its brackets: "::1:8765" would be a port or an address
        "127.0.0.1:99999999999999999999",
        "127.0.0.1:65536",
        "127.0.0.1:0",
        "127.0.0.1:08765",
        "127.0.0.1:",
        "127.0.0.1:+80",
        "127.0.0.1:80 80",
        ":8765",
    ],
)
def test_other_host_is_refused(client, host):
    # DNS rebinding: a page of evil.example resolving its name to 127.0.0.1 sends Host: evil.example
    response = client.post("/api/dose", json={"dose": "75 mg/m2", "bsa": "1.9"}, headers={"host": host})
    body = assert_error(response, "http_error", "host", status=400)
    assert "127.0.0.1" in body["expected"]
    assert response.headers["content-security-policy"] == HEADERS["content-security-policy"]


@pytest.mark.parametrize("host", [b"127.0.0.1:\xb2", b"127.0.0.1:80\xb9", b"localhost:\xd9\xa8\xd9\xa0"])
def test_a_port_in_other_digits_is_refused(host):
    # a Host header's bytes read as Latin-1: "²" and "¹" are digits to str.isdigit, a port is ASCII digits only;
    # the UTF-8 of Arabic-Indic "٨٠" is no port either. The bytes as the server receives them (a test client
    # re-encodes a header), to the Host check alone
    import asyncio

    from dosecalc.web.hardening import LOOPBACK_HOSTS, HostCheck

    statuses = []

    async def served(scope, receive, send):
        statuses.append(200)

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    check = HostCheck(served, LOOPBACK_HOSTS)
    asyncio.run(check({"type": "http", "method": "GET", "path": "/", "headers": [(b"host", host)]}, receive, send))
    assert statuses == [400]
    asyncio.run(
        check({"type": "http", "method": "GET", "path": "/", "headers": [(b"host", b"127.0.0.1:80")]}, receive, send)
    )
    assert statuses == [400, 200]


@pytest.mark.parametrize(
    ("started_on", "served", "refused"),
    [
        (
            "192.168.1.5",
            ["192.168.1.5", "192.168.1.5:9000", "localhost:9000"],
            ["192.168.1.5.evil.example", "192.168.1.50"],
        ),
        ("fe80::1", ["[fe80::1]:8765", "[FE80::1]"], ["fe80::1", "[fe80::1]x", "[fe80::2]:8765"]),
        ("[fe80::1]", ["[fe80::1]:8765"], ["fe80::1:8765"]),
    ],
)
def test_the_address_the_server_was_started_on_is_served(started_on, served, refused):
    from dosecalc.web.hardening import LOOPBACK_HOSTS

    app = TestClient(create_app(hosts=(started_on, *LOOPBACK_HOSTS)), base_url=BASE)
    for host in served:
        assert app.get("/", headers={"host": host}).status_code == 200, host
    for host in refused:
        assert_error(app.get("/", headers={"host": host}), "http_error", "host", status=400)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
        ("GET", "/static/page.js"),
        ("GET", "/nothing"),
        ("GET", "/api/dose"),
        ("POST", "/api/dose"),
    ],
)
def test_security_headers_on_every_response(client, method, path):
    response = client.request(method, path, json={} if method == "POST" else None)
    for name, value in HEADERS.items():
        assert response.headers[name] == value
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "default-src 'none'" in policy


def test_unexpected_error_is_500_without_a_trace(monkeypatch):
    from dosecalc.cli import output

    def broken():
        raise RuntimeError("secret detail /home/user/file.py line 3")

    monkeypatch.setattr(output, "captured", broken)
    response = TestClient(create_app(), base_url=BASE, raise_server_exceptions=False).post(
        "/api/bsa", json={"height": "175 cm", "weight": "70 kg"}
    )
    body = assert_error(response, "internal_error", None, status=500)
    assert body["message"] == "internal error"
    assert "secret" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static//etc/passwd",
        "/static/page.js%00.html",
        "/static/.",
        "/api/../app.py",
        "/..%5capp.py",
    ],
)
def test_paths_outside_the_static_folder_are_404(client, path):
    response = client.get(path)
    assert_error(response, "http_error", None, status=response.status_code)
    assert response.status_code in (404, 400)
    assert "import" not in response.text


def test_refusals_of_http_carry_the_exit_code_of_a_usage_error(client):
    assert_error(client.get("/api/no-such-command"), "http_error", None, status=404)
    assert_error(client.get("/api/dose"), "http_error", None, status=405)  # a command is a POST
    refused = TestClient(create_app(), base_url="http://evil.example").get("/")
    assert_error(refused, "http_error", "host", status=400)


def test_static_files_have_their_types(client):
    assert (
        client.get("/static/page.js").headers["content-type"].startswith(("text/javascript", "application/javascript"))
    )
    assert client.get("/static/page.css").headers["content-type"].startswith("text/css")
    assert client.get("/").headers["content-type"].startswith("text/html")


# --- the page and the API's description -------------------------------------------


def test_static_files_load_nothing_from_the_network():
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name, not a fetch
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), path.name
        assert "@import" not in text and "url(" not in text, path.name


@pytest.mark.parametrize("page", ["index.html", "docs.html"])
def test_pages_have_no_inline_script_or_style(page):
    html = (STATIC / page).read_text(encoding="utf-8")
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all('src="/static/' in attributes and not body.strip() for attributes, body in scripts)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no onclick= and the like


def test_page_offers_every_weight_basis_of_the_library(client):
    from dosecalc import WEIGHT_BASES

    html = client.get("/").text
    select = re.search(r'<select id="weight_basis".*?</select>', html, re.DOTALL).group(0)
    # "" is the API's default, actual: not sent
    assert set(re.findall(r'<option value="([^"]*)"', select)) == {"", *WEIGHT_BASES} - {"actual"}


def test_page_has_the_disclaimer_and_a_label_for_every_input(client):
    html = client.get("/").text
    assert "dosecalc is decision support: every dose must be verified by a clinician." in html
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', html)
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    radios = set(re.findall(r'<label class="choice"><input[^>]*\sid="([^"]+)"', html))
    assert ids and set(ids) <= labelled | radios
    assert 'name="viewport"' in html


def test_openapi_and_docs_work_offline(client):
    description = client.get("/openapi.json").json()
    assert description["info"]["title"] == "dosecalc"
    assert {f"/api/{name}" for name in api.ENDPOINTS} <= set(description["paths"])
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert '<script src="/static/docs.js"' in docs.text
    assert client.get("/redoc").status_code == 404


# --- serve ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.org", False),
        ("", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.fixture
def launched(monkeypatch):
    """uvicorn's run, recorded instead of run; the address is checked."""
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    return calls


@pytest.fixture
def started(launched, monkeypatch):
    """uvicorn's run, recorded; any address taken (another machine's, a port in use here)."""
    from dosecalc.web import server

    monkeypatch.setattr(server, "check_address", lambda host, port: None)
    return launched


@pytest.fixture
def listening():
    """A port of 127.0.0.1 that something listens on."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_serve_on_loopback_is_quiet(started, capsys):
    serve()
    app, options = started[0]
    assert options["host"] == "127.0.0.1" and options["port"] == 8765
    assert capsys.readouterr().err == ""
    assert TestClient(app, base_url="http://evil.example").get("/").status_code == 400


@pytest.mark.parametrize(("host", "header"), [("127.0.0.2", "127.0.0.2:8765"), ("::1", "[::1]:8765")])
def test_serve_on_another_loopback_address_serves_that_address(started, capsys, host, header):
    # the page opened by the address it was started on: http://127.0.0.2:8765/ was refused as another host
    serve(host=host)
    app, _ = started[0]
    assert capsys.readouterr().err == ""  # loopback: no warning
    client = TestClient(app, base_url=BASE)
    assert client.get("/", headers={"host": header}).status_code == 200
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200
    assert client.get("/", headers={"host": "127.0.0.3:8765"}).status_code == 400


def test_serve_elsewhere_warns_on_stderr(started, capsys):
    serve(host="0.0.0.0", port=9000)
    app, options = started[0]
    assert options["host"] == "0.0.0.0" and options["port"] == 9000
    err = capsys.readouterr().err
    assert err.startswith("warning: serving on 0.0.0.0:9000") and "no login" in err
    assert "any Host header is served" in err  # on every address, the machine's own names are not known
    assert TestClient(app, base_url="http://192.168.1.5:9000").get("/").status_code == 200


def test_serve_on_one_address_checks_that_host(started, capsys):
    serve(host="192.168.1.5")
    app, _ = started[0]
    err = capsys.readouterr().err
    assert "warning" in err and "any Host header" not in err
    assert TestClient(app, base_url="http://192.168.1.5:8765").get("/").status_code == 200
    assert TestClient(app, base_url="http://evil.example:8765").get("/").status_code == 400


@pytest.fixture
def serve_command():
    # the command registers itself on the application when its module is imported
    from dosecalc.cli import serve as _command  # noqa: F401

    return lambda *args: CliRunner().invoke(cli, ["serve", *args])


def test_serve_command_defaults_to_loopback(started, serve_command):
    result = serve_command()
    assert result.exit_code == 0, result.output
    assert started[0][1]["host"] == "127.0.0.1" and started[0][1]["port"] == 8765
    assert "warning" not in result.output


def test_serve_command_elsewhere_warns(started, serve_command):
    result = serve_command("--host", "0.0.0.0", "--port", "9000")
    assert result.exit_code == 0
    assert started[0][1]["host"] == "0.0.0.0" and started[0][1]["port"] == 9000
    assert "warning: serving on 0.0.0.0:9000" in result.stderr


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_serve_command_refuses_a_bad_port(started, serve_command, port):
    assert serve_command("--port", port).exit_code == 2
    assert started == []


def test_two_host_headers_are_refused(client):
    response = client.get("/", headers=[("host", "127.0.0.1"), ("host", "evil.example")])
    assert_error(response, "http_error", "host", status=400)


def test_serve_command_on_a_port_in_use_is_refused(launched, serve_command, listening):
    # one line, exit 2 (bad input), as any unusable option; uvicorn never started
    result = serve_command("--port", str(listening))
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: --port {listening}: in use on 127.0.0.1; stop what listens there or give another port\n"
    )
    assert result.stdout == ""
    assert launched == []


def test_serve_on_a_port_in_use_raises_before_starting(launched, listening, capsys):
    from dosecalc.errors import UsageError

    with pytest.raises(UsageError, match=f"--port {listening}: in use") as refused:
        serve(host="0.0.0.0", port=listening)  # every address includes 127.0.0.1
    assert refused.value.field == "--port"
    assert capsys.readouterr().err == ""  # not the warning for an address that is not served
    assert launched == []


def test_serve_command_on_another_machines_address_is_refused(launched, serve_command):
    result = serve_command("--host", "192.0.2.1")  # TEST-NET-1 (RFC 5737): no machine's address
    assert result.exit_code == 2
    assert result.stderr == "error: --host 192.0.2.1: not an address of this machine\n"
    assert launched == []


def test_serve_command_exits_2_when_uvicorn_cannot_start(started, serve_command, monkeypatch):
    import uvicorn

    def taken_meanwhile(app, **options):
        raise SystemExit(3)  # uvicorn's STARTUP_FAILURE: the port taken after it was checked

    monkeypatch.setattr(uvicorn, "run", taken_meanwhile)
    assert serve_command().exit_code == 2  # dosecalc's 3 means rows rejected


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-16-le"])
def test_json_in_another_encoding_than_utf8_is_refused(client, encoding):
    # RFC 8259 (8.1): JSON exchanged between systems is UTF-8; Python's json reads UTF-16 and UTF-32 too
    content = '{"auc": "5", "gfr": "90 mL/min"}'.encode(encoding)
    body = assert_error(
        client.post("/api/carboplatin", content=content, headers={"content-type": "application/json"}),
        "request_error",
        None,
    )
    assert "is not UTF-8 (JSON is exchanged in UTF-8, RFC 8259)" in body["message"]


@pytest.mark.parametrize("endpoint", ["carboplatin", "plan"])
def test_a_byte_order_mark_is_refused(client, endpoint):
    # RFC 8259 (8.1): a byte-order mark is not to be added, and may be ignored; the server ignores nothing sent
    body = {"auc": "5", "gfr": "90 mL/min"} if endpoint == "carboplatin" else {"protocol": "abvd", "bsa": "1.9"}
    content = "\ufeff".encode() + json.dumps(body).encode()
    refused = assert_error(
        client.post(f"/api/{endpoint}", content=content, headers={"content-type": "application/json"}),
        "request_error",
        None,
    )
    assert refused["message"].startswith("body: not JSON: a byte-order mark (U+FEFF) at byte 0")
    assert post(client, endpoint, body).status_code == 200  # the same body without it


def test_a_cycle_beyond_nine_digits_is_refused_as_on_the_command_line(client):
    body = {"protocol": "r-chop-21", "height": "175 cm", "weight": "70 kg", "ordered": ["doxorubicin=92mg"]}
    refused = assert_error(post(client, "verify", body | {"cycle": 10**30}), "implausible_input_error", "cycle")
    assert refused["expected"] == "a whole number, 1-999,999,999"


def test_a_plan_names_its_protocol_not_a_path_of_the_server(client):
    body = post(client, "plan", {"protocol": "abvd", "height": "175 cm", "weight": "70 kg"}).json()
    assert body["inputs"]["protocol"] == {"given": "abvd", "value": "ABVD", "unit": None}


# --- no path of the server in any answer ----------------------------------------------

_REPOSITORY = str(Path(api.__file__).resolve().parents[2])


def _answers(client):
    """Every endpoint's answer to a request it answers, and refusals of each kind, with the API's description."""
    for endpoint, body in _ANSWERED.items():
        yield endpoint, post(client, endpoint, body)
    for endpoint, spec in api.ENDPOINTS.items():
        if not spec.names:
            yield endpoint, client.get(f"/api/{endpoint}")
    yield "openapi", client.get("/openapi.json")
    yield "plan", post(client, "plan", {"protocol": "no-such-protocol", "bsa": "1.9"})
    yield "plan", post(client, "plan", {"protocol": "abvd", "bsa": "1.9", "prior": ["nothing=5mg"]})
    yield "verify", post(client, "verify", {"protocol": "abvd", "bsa": "1.9", "ordered": ["doxorubicin=1e9mg"]})
    yield "dose", post(client, "dose", {"dose": "75 mg/m2", "height": "1.75 cm", "weight": "70 kg"})
    yield "missing", client.get("/api/no-such-command")


def _strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_no_answer_holds_a_path_of_the_server(client):
    import sys

    # /api/protocols gave each protocol's file as /work/.../examples/protocols/abvd.toml
    for endpoint, response in _answers(client):
        for folder in {_REPOSITORY, sys.prefix, str(Path.home())}:
            assert folder not in response.text, (endpoint, folder)
        assert not [text for text in _strings(response.json()) if text.startswith("/") and Path(text).exists()], (
            endpoint
        )


def test_a_listed_protocol_names_its_file_by_its_name(client):
    listed = client.get("/api/protocols").json()["protocols"]
    assert {entry["file"] for entry in listed} == {f"{entry['name']}.toml" for entry in listed}
