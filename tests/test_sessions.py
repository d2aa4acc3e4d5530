"""C10 — sessions and tokens end when they should (reliability.md (c) C10), on a controlled clock.

* idle for more than 30 minutes → log in again (Django's sliding SESSION_COOKIE_AGE);
* more than 12 hours after login → log in again even while active (SessionTimeoutMiddleware);
* a session cookie replayed after logout is worthless (pages redirect, the API answers 401);
* a disabled user is out on the next request, by session and by bearer token;
* an API token is refused after API_TOKEN_TTL, and at once when revoked.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from creditvillage.accounts import services
from creditvillage.accounts.models import ApiToken, User
from tests.fixtures import PASSWORD, World

pytestmark = pytest.mark.django_db

PAGE = "/households/"
ME = "/api/v1/me"
IDLE = timedelta(seconds=settings.SESSION_COOKIE_AGE)
ABSOLUTE = timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)


def test_the_configured_limits_are_the_goals() -> None:
    assert IDLE == timedelta(minutes=30)
    assert ABSOLUTE == timedelta(hours=12)
    assert settings.SESSION_SAVE_EVERY_REQUEST  # the idle timeout slides with activity
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def login(username: str = "township_operator") -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    return client


def signed_in(client: Client) -> bool:
    """True if both doors still see the session: the page renders and the API answers 200."""
    page = client.get(PAGE)
    api = client.get(ME)
    assert (page.status_code == 200) == (api.status_code == 200), (page.status_code, api.status_code)
    if page.status_code != 200:
        assert page.status_code == 302
        assert page["Location"].startswith("/login/")
        assert api.status_code == 401
        assert api.json()["code"] == "unauthenticated"
    return page.status_code == 200


def test_idle_session_expires_after_30_minutes(world: World) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = login()
        assert signed_in(client)
        clock.shift(IDLE - timedelta(minutes=1))
        assert signed_in(client)  # activity renews the idle window
        clock.shift(IDLE - timedelta(minutes=1))
        assert signed_in(client)
        clock.shift(IDLE + timedelta(seconds=1))
        assert not signed_in(client)


def test_active_session_ends_after_12_hours(world: World) -> None:
    step = timedelta(minutes=20)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = login()
        assert signed_in(client)
        elapsed = timedelta(0)
        while elapsed + step <= ABSOLUTE:
            clock.shift(step)
            elapsed += step
            assert signed_in(client), f"signed out after {elapsed} of activity"
        clock.shift(step)
        elapsed += step
        assert not signed_in(client), f"still signed in after {elapsed}"
        # Logging in again starts a fresh 12 hours.
        client = login()
        assert signed_in(client)


def test_cookie_replayed_after_logout_is_worthless(world: World) -> None:
    client = login()
    assert signed_in(client)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value

    assert client.post("/logout/").status_code == 302
    assert not signed_in(client)

    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert not signed_in(replay)


def test_disabled_user_is_out_on_the_next_request(world: World) -> None:
    client = login()
    token, _ = services.token_issue(user=world.users["township_operator"])
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert signed_in(client)
    assert bearer.get(ME).status_code == 200

    User.objects.filter(username="township_operator").update(is_active=False)

    assert not signed_in(client)
    response = bearer.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    # And a disabled user cannot get a new token either.
    again = Client().post(
        "/api/v1/auth/token", {"username": "township_operator", "password": PASSWORD}, content_type="application/json"
    )
    assert again.status_code == 401


def test_api_token_expires_after_its_ttl(world: World) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        response = Client().post(
            "/api/v1/auth/token", {"username": "collector", "password": PASSWORD}, content_type="application/json"
        )
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        bearer = Client(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
        token = ApiToken.objects.get(user__username="collector")
        assert token.expires_at - timezone.now() == settings.API_TOKEN_TTL
        clock.shift(settings.API_TOKEN_TTL - timedelta(seconds=1))
        assert bearer.get(ME).status_code == 200
        clock.shift(timedelta(seconds=2))
        response = bearer.get(ME)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"


def test_revoked_token_is_refused_at_once(world: World) -> None:
    user = world.users["collector"]
    first, _ = services.token_issue(user=user)
    second, _ = services.token_issue(user=user)
    other, _ = services.token_issue(user=world.users["evaluator"])
    assert Client(HTTP_AUTHORIZATION=f"Bearer {first}").get(ME).status_code == 200

    assert services.token_revoke_all(user=user) == 2

    for raw in (first, second):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(ME)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
    assert Client(HTTP_AUTHORIZATION=f"Bearer {other}").get(ME).status_code == 200  # only that user's tokens


def test_only_the_hash_of_a_token_is_stored(world: World) -> None:
    raw, _ = services.token_issue(user=world.users["collector"])
    stored = ApiToken.objects.get(user=world.users["collector"])
    assert raw not in stored.key_hash
    assert len(stored.key_hash) == 64
    assert Client(HTTP_AUTHORIZATION=f"Bearer {stored.key_hash}").get(ME).status_code == 401


def test_the_12_hours_count_from_login_not_from_the_first_page(world: World) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = login()
        elapsed = timedelta(minutes=25)  # logged in, then a first page only 25 minutes later
        clock.shift(elapsed)
        assert signed_in(client)
        while elapsed + timedelta(minutes=20) <= ABSOLUTE:
            clock.shift(timedelta(minutes=20))
            elapsed += timedelta(minutes=20)
            assert signed_in(client)
        clock.shift(timedelta(minutes=20))
        assert not signed_in(client), f"still signed in {elapsed + timedelta(minutes=20)} after login"


def test_token_login_creates_no_session(world: World) -> None:
    response = Client().post(
        "/api/v1/auth/token", {"username": "collector", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
