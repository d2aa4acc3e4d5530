"""POST /api/v1/auth/token and GET /api/v1/me (contract.md, HTTP API v1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from creditvillage.accounts.models import ApiToken, RoleAssignment, User
from tests.fixtures import PASSWORD, World

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token"


def post_token(username: str, password: str) -> tuple[int, dict[str, object]]:
    response = Client().post(TOKEN, {"username": username, "password": password}, content_type="application/json")
    return response.status_code, response.json()


def test_token_for_good_credentials(world: World) -> None:
    before = timezone.now()
    status, body = post_token("collector", PASSWORD)
    assert status == 200
    assert set(body) == {"token", "expires_at"}
    expires_at = parse_datetime(str(body["expires_at"]))
    assert expires_at is not None
    ms = timedelta(milliseconds=1)  # the JSON carries milliseconds
    assert before + settings.API_TOKEN_TTL - ms <= expires_at <= timezone.now() + settings.API_TOKEN_TTL
    token = ApiToken.objects.get(user__username="collector")
    assert abs(token.expires_at - expires_at) < ms
    assert str(body["token"]) not in token.key_hash  # only the hash is kept
    me = Client(HTTP_AUTHORIZATION=f"Bearer {body['token']}").get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == "collector"


def test_token_login_stamps_last_login_and_resets_failures(world: World) -> None:
    assert post_token("collector", "wrong")[0] == 401
    assert AccessAttempt.objects.filter(username="collector").exists()
    assert post_token("collector", PASSWORD)[0] == 200
    assert not AccessAttempt.objects.filter(username="collector").exists()
    assert User.objects.get(username="collector").last_login is not None


@pytest.mark.parametrize(("username", "password"), [("collector", "wrong"), ("nobody-here", PASSWORD)])
def test_bad_credentials_are_401_alike(world: World, username: str, password: str) -> None:
    status, body = post_token(username, password)
    assert status == 401
    assert body == {"code": "invalid_credentials", "message": "用户名或密码错误", "details": {}}
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_no_token(world: World) -> None:
    User.objects.filter(username="collector").update(is_active=False)
    assert post_token("collector", PASSWORD)[0] == 401
    assert not ApiToken.objects.exists()


def test_locked_out_after_the_failure_limit(world: World) -> None:
    statuses = [post_token("evaluator", f"wrong-{i}")[0] for i in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[-1] == 429
    status, body = post_token("evaluator", PASSWORD)
    assert status == 429
    assert body["code"] == "locked_out"
    assert set(body) == {"code", "message", "details"}
    assert not ApiToken.objects.filter(user__username="evaluator").exists()
    assert post_token("collector", PASSWORD)[0] == 200  # others are not locked


@pytest.mark.parametrize(
    "payload",
    [{}, {"username": "collector"}, {"username": "", "password": "x"}, {"username": "a\x00b", "password": "x"}],
)
def test_malformed_token_requests_are_422(world: World, payload: dict[str, str]) -> None:
    response = Client().post(TOKEN, payload, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_me_lists_roles_with_scope_region_codes(world: World) -> None:
    user = world.users["township_operator"]
    RoleAssignment.objects.create(user=user, role="collector", region=world.region("341502204201"))
    RoleAssignment.objects.create(user=user, role="evaluator", region=world.region("341502204202"), is_active=False)
    client = Client()
    client.force_login(user)
    body = client.get("/api/v1/me").json()
    assert body["id"] == user.pk
    assert body["username"] == "township_operator"
    assert [(r["role"], r["region_code"], r["region_name"]) for r in body["roles"]] == [
        ("township_operator", "341502204000", "横塘岗乡"),
        ("collector", "341502204201", "周庵村"),
    ]  # the inactive assignment is not a role
    assert all(r["role_name"] for r in body["roles"])


def test_me_for_a_user_without_roles(world: World) -> None:
    client = Client()
    client.force_login(world.users["nobody"])
    assert client.get("/api/v1/me").json()["roles"] == []


def test_expired_token_is_not_accepted(world: World) -> None:
    status, body = post_token("collector", PASSWORD)
    assert status == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client(HTTP_AUTHORIZATION=f"Bearer {body['token']}").get("/api/v1/me").status_code == 401
