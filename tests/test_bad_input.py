"""Hostile and malformed input at the edge: always a clean 4xx with the error body, never a 500,
and a refused write changes nothing."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from creditvillage.accounts import services
from creditvillage.registry.models import Household, Person
from tests.fixtures import World
from tests.scoping import snapshot, snapshot_diff

pytestmark = pytest.mark.django_db

VALIDATE = "/api/v1/identifiers/validate"


def bearer(world: World, username: str = "township_operator") -> Client:
    token, _ = services.token_issue(user=world.users[username])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_error_body(response: object, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.content[:200])  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code


def test_oversized_api_body_is_413(world: World) -> None:
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    body = json.dumps({"kind": "mobile", "value": "13800138000", "padding": padding})
    response = bearer(world).post(VALIDATE, body, content_type="application/json")
    assert_error_body(response, 413, "payload_too_large")
    assert response.json()["details"] == {"max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}


def test_oversized_login_body_is_413_and_no_attempt(world: World) -> None:
    from axes.models import AccessFailureLog

    body = json.dumps({"username": "collector", "password": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = Client().post("/api/v1/auth/token", body, content_type="application/json")
    assert_error_body(response, 413, "payload_too_large")
    assert not AccessFailureLog.objects.exists()


def test_oversized_form_post_is_400_and_changes_nothing(world: World) -> None:
    household = world.household("341502204201")
    client = Client()
    client.force_login(world.users["township_operator"])
    before = snapshot()
    response = client.post(
        f"/households/{household.pk}/edit/",
        {"address": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "reason": "r"},
    )
    assert response.status_code == 400
    assert not snapshot_diff(before, snapshot())


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe\x00garbage", b'{"kind": "mobile", "value": "1"', b"[" * 100_000 + b"]" * 100_000],
    ids=["broken", "not-utf8", "truncated", "deeply-nested"],
)
def test_malformed_json_is_400_with_the_error_body(world: World, body: bytes) -> None:
    response = bearer(world).post(VALIDATE, body, content_type="application/json")
    assert_error_body(response, 400, "bad_request")
    assert response.json()["message"] == "请求体无法解析（应为 JSON）"


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "mobile", "value": "1" * 257},
        {"kind": "mobile", "value": ["13800138000"]},
        {"kind": "mobile", "value": {"$ne": ""}},
        {"kind": ["mobile"], "value": "13800138000"},
    ],
)
def test_wrong_shapes_are_422(world: World, payload: object) -> None:
    response = bearer(world).post(VALIDATE, payload, content_type="application/json")
    assert_error_body(response, 422, "validation_error")
    assert response.json()["details"]["errors"]


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "q=%1b[31m", "grade=%00", "region=%00"])
def test_control_characters_in_queries_are_422(world: World, query: str) -> None:
    # PostgreSQL refuses NUL in text: without the edge check this was a 500 there.
    assert_error_body(bearer(world).get(f"/api/v1/households?{query}"), 422, "validation_error")


@pytest.mark.parametrize("pk", ["99999999999999999999999999", "-1", "0"])
def test_absurd_ids_are_404(world: World, pk: str) -> None:
    assert_error_body(bearer(world).get(f"/api/v1/households/{pk}"), 404, "not_found")


@pytest.mark.parametrize("pk", ["abc", "1.5", "1e3"])
def test_non_integer_ids_are_422(world: World, pk: str) -> None:
    assert_error_body(bearer(world).get(f"/api/v1/households/{pk}"), 422, "validation_error")


def test_another_regions_ids_are_404_and_change_nothing(world: World) -> None:
    household = world.household("341181100201")  # 天长市: outside 横塘岗乡
    person = Person.objects.get(household=household)
    api = bearer(world)
    assert_error_body(api.get(f"/api/v1/households/{household.pk}"), 404, "not_found")

    page = Client()
    page.force_login(world.users["township_operator"])
    before = snapshot()
    edits = [
        (f"/households/{household.pk}/edit/", {"address": "篡改", "phone": "", "reason": "x"}),
        (f"/households/{household.pk}/members/{person.pk}/edit/", {"name": "篡改", "reason": "x"}),
    ]
    # an in-scope household in the URL cannot carry an out-of-scope member
    inside = world.household("341502204201")
    edits.append((f"/households/{inside.pk}/members/{person.pk}/edit/", {"name": "篡改", "reason": "x"}))
    for path, data in edits:
        assert page.post(path, data).status_code == 404, path
    assert not snapshot_diff(before, snapshot())
    assert Household.objects.get(pk=household.pk).address == ""
