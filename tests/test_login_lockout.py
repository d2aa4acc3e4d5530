"""C8 — login brute force (reliability.md (c) C8 and (d) "Rate limiting").

50 concurrent wrong passwords on one account, each request on its own thread with its own
database connection, through the API token door and through the login page. The account must
lock with at most ``AXES_FAILURE_LIMIT`` attempts having reached password checking; the right
password is refused during the cool-off; another account behind the same IP is untouched; every
attempt leaves an audit row (axes' AccessFailureLog).

"Evaluated" is measured directly: ``User.check_password`` is wrapped with a thread-safe counter,
so an attempt counts only if it reached the password hash.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from creditvillage.accounts.models import ApiToken, LoginThrottle, User

pytestmark = pytest.mark.django_db(transaction=True)

CONCURRENT = 50
LIMIT = settings.AXES_FAILURE_LIMIT
VICTIM = "victim_operator"
BYSTANDER = "bystander_operator"
PASSWORD = "cv-test-password-1"
API = "/api/v1/auth/token"
LOGIN = "/login/"


class EvaluationCounter:
    """Counts calls of ``User.check_password`` per username, from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def __getitem__(self, username: str) -> int:
        return self.counts[username]


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> EvaluationCounter:
    counter = EvaluationCounter()
    original = User.check_password

    def counting(self: User, raw_password: str | None) -> bool:
        with counter.lock:
            counter.counts[self.get_username()] += 1
        return original(self, raw_password)

    monkeypatch.setattr(User, "check_password", counting)
    return counter


@pytest.fixture
def accounts(settings: object) -> tuple[User, User]:
    # A real (slow) hash widens the race window the way production does: Argon2 first.
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    victim = User.objects.create_user(username=VICTIM, password=PASSWORD)
    bystander = User.objects.create_user(username=BYSTANDER, password=PASSWORD)
    return victim, bystander


def api_attempt(username: str, password: str) -> tuple[int, dict[str, object] | str]:
    response = Client().post(API, {"username": username, "password": password}, content_type="application/json")
    body: dict[str, object] | str
    try:
        body = response.json()
    except ValueError:
        body = response.content.decode(errors="replace")
    return response.status_code, body


def web_attempt(username: str, password: str) -> tuple[int, dict[str, object] | str]:
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": password})
    logged_in = "_auth_user_id" in client.session
    return response.status_code, {"logged_in": logged_in, "html": response.content.decode(errors="replace")}


def hammer(attempt: Callable[[str, str], tuple[int, object]], n: int = CONCURRENT) -> list[tuple[int, object]]:
    """``n`` wrong-password attempts on VICTIM released together by a barrier, one connection each."""
    barrier = threading.Barrier(n)
    results: list[tuple[int, object]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcome = attempt(VICTIM, f"wrong-password-{i}")
            with lock:
                results.append(outcome)
        except BaseException as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    assert len(results) == n
    return results


def test_api_50_concurrent_wrong_passwords_lock_after_at_most_5_evaluated(
    accounts: tuple[User, User], evaluations: EvaluationCounter
) -> None:
    results = hammer(api_attempt)

    statuses = Counter(status for status, _body in results)
    print(f"C8 api: {CONCURRENT} concurrent -> {evaluations[VICTIM]} evaluated, statuses {dict(statuses)}")
    assert 1 <= evaluations[VICTIM] <= LIMIT
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[429] >= CONCURRENT - LIMIT
    codes = Counter(body["code"] for _status, body in results if isinstance(body, dict))
    assert codes == Counter({"invalid_credentials": statuses[401], "locked_out": statuses[429]})

    # Locked: the right password is refused, and checking it does not even reach the hash.
    before = evaluations[VICTIM]
    status, body = api_attempt(VICTIM, PASSWORD)
    assert status == 429
    assert isinstance(body, dict)
    assert body["code"] == "locked_out"
    assert set(body) == {"code", "message", "details"}
    assert evaluations[VICTIM] == before
    assert not ApiToken.objects.filter(user__username=VICTIM).exists()

    # Another account behind the same IP address is not locked.
    status, body = api_attempt(BYSTANDER, PASSWORD)
    assert status == 200, body
    assert ApiToken.objects.filter(user__username=BYSTANDER).count() == 1

    # Every attempt is audited: one failure-log row per attempt, the counter says all of them.
    assert AccessFailureLog.objects.filter(username=VICTIM).count() == CONCURRENT + 1
    assert AccessFailureLog.objects.filter(username=VICTIM, locked_out=True).count() >= CONCURRENT - LIMIT
    assert AccessAttempt.objects.get(username=VICTIM).failures_since_start == CONCURRENT + 1
    assert not AccessAttempt.objects.filter(username=BYSTANDER).exists()


def test_login_page_50_concurrent_wrong_passwords_lock_after_at_most_5_evaluated(
    accounts: tuple[User, User], evaluations: EvaluationCounter
) -> None:
    results = hammer(web_attempt)

    statuses = Counter(status for status, _body in results)
    print(f"C8 web: {CONCURRENT} concurrent -> {evaluations[VICTIM]} evaluated, statuses {dict(statuses)}")
    assert 1 <= evaluations[VICTIM] <= LIMIT
    # The form answers 200 with an error while unlocked; axes' lockout page answers 429.
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[429] >= CONCURRENT - LIMIT
    assert not any(body["logged_in"] for _status, body in results if isinstance(body, dict))

    # Locked: the right password shows the lockout page and creates no session.
    before = evaluations[VICTIM]
    status, body = web_attempt(VICTIM, PASSWORD)
    assert status == 429
    assert isinstance(body, dict)
    assert not body["logged_in"]
    assert "锁定" in str(body["html"])
    assert evaluations[VICTIM] == before

    status, body = web_attempt(BYSTANDER, PASSWORD)
    assert status == 302
    assert isinstance(body, dict)
    assert body["logged_in"]

    assert AccessFailureLog.objects.filter(username=VICTIM).count() == CONCURRENT + 1


def test_lock_lifts_after_the_cool_off(accounts: tuple[User, User], evaluations: EvaluationCounter) -> None:
    # The LIMIT-th failure is still checked, and its answer already says "locked".
    statuses = [api_attempt(VICTIM, f"wrong-{i}")[0] for i in range(LIMIT)]
    assert statuses == [401] * (LIMIT - 1) + [429]
    assert api_attempt(VICTIM, PASSWORD)[0] == 429
    assert evaluations[VICTIM] == LIMIT

    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=5), tick=False):
        status, body = api_attempt(VICTIM, PASSWORD)
    assert status == 200, body
    assert evaluations[VICTIM] == LIMIT + 1
    # A success resets the failure count: the next wrong password is evaluated again (not locked).
    assert api_attempt(VICTIM, "wrong-again")[0] == 401
    assert LoginThrottle.objects.get(username=VICTIM).claimed == 1


def test_unknown_username_is_throttled_too(db: None, evaluations: EvaluationCounter) -> None:
    # No such user: nothing to hash against, but the attempts still count and lock the name.
    statuses = [api_attempt("no_such_user", f"x{i}")[0] for i in range(LIMIT + 3)]
    assert statuses == [401] * (LIMIT - 1) + [429] * 4
    assert evaluations["no_such_user"] == 0
    assert AccessFailureLog.objects.filter(username="no_such_user").count() == LIMIT + 3


def test_operator_reset_unlocks_the_account(accounts: tuple[User, User], evaluations: EvaluationCounter) -> None:
    from axes.utils import reset

    for i in range(LIMIT + 2):
        api_attempt(VICTIM, f"wrong-{i}")
    assert api_attempt(VICTIM, PASSWORD)[0] == 429
    assert LoginThrottle.objects.get(username=VICTIM).claimed == LIMIT

    reset(username=VICTIM)  # what `manage.py axes_reset_username` and the admin do

    assert LoginThrottle.objects.get(username=VICTIM).claimed == 0
    assert api_attempt(VICTIM, PASSWORD)[0] == 200
