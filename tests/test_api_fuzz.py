"""C18 — schemathesis over the OpenAPI schema (reliability.md (c) C18).

Every operation of ``/api/v1/openapi.json`` is fuzzed in-process through the WSGI application,
once with a township operator's bearer token and once without credentials. Checks:

* ``not_a_server_error`` — no 5xx, whatever the input (oversize strings, bad codes, huge page
  numbers, NUL and non-UTF-8 bytes …);
* ``status_code_conformance`` and ``response_schema_conformance`` — every answer is declared in
  the schema and has the declared shape (errors included: ``{"code", "message", "details"}``);
* ``ignored_auth`` — an operation that declares authentication refuses requests without it or
  with a made-up token (no auth bypass).

Bounded: at most 25 examples per operation and scenario.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, response_schema_conformance, status_code_conformance

from creditvillage.accounts import services
from tests.fixtures import World

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, ignored_auth]
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure here is a failure in CI
    suppress_health_check=list(HealthCheck),
)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open() -> Iterator[None]:
    # A real WSGI request closes the database connection when it finishes, which would end the
    # test's transaction. Django's test client unhooks this signal the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def operator_token(world: World) -> str:
    token, _expires = services.token_issue(user=world.users["township_operator"])
    return token


@schema.parametrize()
@FUZZ
def test_fuzz_as_township_operator(case: Any, operator_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {operator_token}"}, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_fuzz_unauthenticated(case: Any, world: World) -> None:
    case.call_and_validate(checks=CHECKS)


# --- a deterministic complement: every parameter × a list of hostile values --------------------

HOSTILE = [
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\u202e",
    "🙂",
    "٣٤١٥",  # non-ASCII digits (str.isdigit() says yes)
    "３４１５０２",  # full-width digits
    "x" * 10_000,
    "9" * 40,
    "-1",
    "0",
    "1e308",
    "NaN",
    "../../etc/passwd",
    "' OR 1=1 --",
    " ",
    "",
]
RAW_QUERY_VALUES = ["%FF%FE", "%C0%80", "%ED%A0%80"]  # invalid UTF-8 as it arrives on the wire
BENIGN = {
    "code": "341502204",
    "household_id": "1",
    "region": "341502",
    "page": "1",
    "kind": "mobile",
    "value": "13800138000",
    "username": "township_operator",
    "password": "wrong",
}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    from creditvillage.api import api

    raw = api.get_openapi_schema()
    return [(method.upper(), path, op) for path, ops in raw["paths"].items() for method, op in ops.items()]


def _body_fields(op: dict[str, Any]) -> list[str]:
    from creditvillage.api import api

    content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {}).get("$ref", "")
    if not ref:
        return []
    component = api.get_openapi_schema()["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return list(component.get("properties", {}))


def _reaches_the_api(path_info: str) -> bool:
    """Whether a path routes to an API operation (an encoded "/" in a path value may not)."""
    from django.urls import Resolver404, resolve

    try:
        return resolve(path_info).namespace == "api-v1"
    except Resolver404:
        return False


def test_hostile_values_in_every_parameter_never_5xx(operator_token: str) -> None:
    from urllib.parse import quote

    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {operator_token}")
    sent = 0
    for method, path, op in _operations():
        params = [(p["name"], p["in"]) for p in op.get("parameters", [])]
        fields = _body_fields(op)
        targets = [(name, where) for name, where in params] + [(name, "body") for name in fields]
        for name, where in targets:
            values: list[tuple[str, bool]] = [(v, False) for v in HOSTILE]
            if where in ("query", "path"):
                values += [(v, True) for v in RAW_QUERY_VALUES]
            for value, raw in values:
                url = path
                query: list[str] = []
                for pname, pwhere in params:
                    chosen = value if pname == name else BENIGN.get(pname, "1")
                    encoded = chosen if (raw and pname == name) else quote(chosen, safe="")
                    if pwhere == "path":
                        url = url.replace("{" + pname + "}", encoded or "%20")
                    else:
                        query.append(f"{pname}={encoded}")
                full = url + ("?" + "&".join(query) if query else "")
                body = {f: (value if f == name else BENIGN.get(f, "x")) for f in fields}
                response = client.generic(method, full, json.dumps(body) if fields else b"", "application/json")
                sent += 1
                assert response.status_code < 500, (method, full[:120], name, repr(value[:20]), response.status_code)
                if response.status_code >= 400 and _reaches_the_api(response.wsgi_request.path_info):
                    assert set(response.json()) == {"code", "message", "details"}, (method, full[:120])
    assert sent > 100
