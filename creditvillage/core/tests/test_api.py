"""GET /api/v1/health and the API's common error shapes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from tests.fixtures import World

pytestmark = pytest.mark.django_db


def test_health_names_the_engine_that_answers() -> None:
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": connection.vendor}
    assert connection.vendor in ("sqlite", "postgresql")


def test_health_needs_no_credentials_and_ignores_bad_ones() -> None:
    response = Client(HTTP_AUTHORIZATION="Bearer not-a-token").get("/api/v1/health")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/me"), ("GET", "/api/v1/households"), ("POST", "/api/v1/identifiers/validate")],
)
def test_missing_credentials_answer_the_error_body(method: str, path: str) -> None:
    response = Client().generic(method, path, b"{}", content_type="application/json")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthenticated"
    assert set(body) == {"code", "message", "details"}
    assert body["message"]  # a human message (Chinese by default)


def test_unknown_api_path_answers_json_never_html(world: World) -> None:

    anonymous = Client().get("/api/v1/no-such-thing")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthenticated"
    web = Client()
    web.force_login(world.users["township_operator"])
    known = web.get("/api/v1/health")
    unknown = web.post("/api/v1/households/1/delete", data=b"{}", content_type="application/json")
    assert known.status_code == 200
    assert unknown.status_code == 404
    assert unknown.json() == {
        "code": "not_found",
        "message": "接口不存在",
        "details": {"path": "/api/v1/households/1/delete"},
    }
