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
