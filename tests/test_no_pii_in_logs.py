"""C12 — no personal data in logs, 500 pages or error reports (reliability.md (c) C12).

The whole-run guarantee lives in tests/harness.py: every record emitted during the test session
is rendered through the project's handler filters and scanned at the end (checksum-valid ID
numbers, mainland mobiles, tokens, session keys); a finding fails the run. This module proves
the pieces: the scanner finds what it must, ``RedactPIIFilter`` removes it from messages,
arguments and tracebacks, every logger's output passes through the filter, and the paths that
used to carry data into logs (a 500 whose exception quotes an ID number from the request body,
a 404 on a URL holding an ID number, a failed login with a phone number as username, an
oversized body) leave none.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import pytest
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from creditvillage.core.logging import RedactPIIFilter, redact
from tests import harness
from tests.fixtures import World, make_id_number

pytestmark = pytest.mark.django_db

ID = make_id_number("341181", __import__("datetime").date(1985, 6, 15), 7)  # checksum-valid
MOBILE = "13912345678"
TOKEN = "Zp3kQ9xW2mB7nR4tY8vL1cF6hJ0sD5gA2eK9uI3oP7q"  # token_urlsafe(32)-shaped


def render(record: logging.LogRecord) -> str:
    """Format a record the way the project's console handler does (filters, then formatter)."""
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, RedactPIIFilter) for f in handler.filters):
            handler.filter(record)
            assert handler.formatter is not None
            return handler.formatter.format(record)
    raise AssertionError("no root handler applies RedactPIIFilter")


def make_record(msg: str, *args: Any, exc_info: Any = None, stack_info: str | None = None) -> logging.LogRecord:
    record = logging.LogRecord("cv.test", logging.ERROR, __file__, 1, msg, args or None, exc_info)
    record.stack_info = stack_info
    return record


# --- the scanner -------------------------------------------------------------------------------


def test_scanner_finds_what_it_must_and_nothing_else() -> None:
    kinds = [
        kind for kind, _ in harness.scan_text(f"id {ID} tel {MOBILE} auth Bearer {TOKEN} sessionid=abcdef0123456789")
    ]
    assert sorted(kinds) == ["api_token", "bearer_token", "mobile", "resident_id", "session_key"]
    wrong_checksum = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    assert harness.scan_text(f"{wrong_checksum} 1391234567 139123456789 [ID] [MOBILE] Bearer [TOKEN]") == []
    assert harness.scan_text("test_the_scanner_finds_what_it_must_and_no") == []  # a 43-char identifier


# --- the filter --------------------------------------------------------------------------------


def test_redact_removes_ids_mobiles_tokens_and_session_keys() -> None:
    text = redact(f"{ID} {ID.lower()} {MOBILE} Bearer {TOKEN} token={TOKEN} sessionid=abcdef0123456789abcd")
    assert harness.scan_text(text) == []
    assert text.count("[ID]") == 2
    assert "[MOBILE]" in text
    assert "[TOKEN]" in text
    assert "[SESSION]" in text


def test_filter_redacts_arguments_and_keeps_clean_records_intact() -> None:
    record = make_record("lookup %s by %s", ID, MOBILE)
    assert RedactPIIFilter().filter(record)
    assert record.getMessage() == "lookup [ID] by [MOBILE]"

    clean = make_record("households %d", 42)
    RedactPIIFilter().filter(clean)
    assert clean.args == (42,)  # untouched when there is nothing to remove

    broken = make_record("%d %d", "only-one")
    assert RedactPIIFilter().filter(broken)  # a broken format string is let through, not raised


def test_filter_redacts_tracebacks_and_stacks() -> None:
    try:
        raise IntegrityError(f"duplicate key value violates unique constraint\nDETAIL:  Key (id_number)=({ID}) exists.")
    except IntegrityError:
        record = make_record("Internal Server Error: /x", exc_info=sys.exc_info(), stack_info=f"stack with {MOBILE}")
    text = render(record)
    assert "IntegrityError" in text
    assert "[ID]" in text
    assert "[MOBILE]" in text
    assert harness.scan_text(text) == []


def test_every_logger_writes_through_the_filter() -> None:
    # Walk each logger's handlers up the hierarchy, as logging does: none may write unfiltered.
    names = ["django", "django.request", "django.server", "django.security.RequestDataTooBig", "axes", "creditvillage"]
    names += [name for name in logging.root.manager.loggerDict if name.startswith(("creditvillage", "django"))]
    for name in names:
        logger: logging.Logger | None = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                if handler is harness.CAPTURE or type(handler).__module__.startswith("_pytest"):
                    continue
                assert any(isinstance(f, RedactPIIFilter) for f in handler.filters), (name, handler)
            logger = logger.parent if logger.propagate else None


# --- end to end: requests that used to put data into logs --------------------------------------


def crashing_view(request: HttpRequest) -> HttpResponse:
    """Stands in for any bug whose exception quotes request data (e.g. a unique violation)."""
    payload = json.loads(request.body)
    raise IntegrityError(f"DETAIL:  Key (id_number)=({payload['id_number']}) already exists; phone {payload['phone']}")


urlpatterns = [path("crash/", crashing_view), path("", include("creditvillage.urls"))]


@pytest.mark.urls(__name__)
def test_500_page_and_log_carry_no_request_data(world: World) -> None:
    start = len(harness.CAPTURE.records)
    client = Client(raise_request_exception=False)
    body = {"id_number": ID, "phone": MOBILE, "token": TOKEN}
    response = client.post("/crash/", body, content_type="application/json")

    assert response.status_code == 500
    assert harness.scan_text(response.content.decode()) == []
    logged = harness.captured_texts(start)
    errors = [text for name, text in logged if name == "django.request"]
    assert errors, "the 500 was not logged"
    assert "IntegrityError" in errors[0]  # the traceback is there...
    assert "[ID]" in errors[0]  # ...with the number taken out
    assert harness.findings(logged) == []


def test_404_on_a_url_holding_an_id_number_logs_no_id(world: World) -> None:
    start = len(harness.CAPTURE.records)
    client = Client()
    client.force_login(world.users["township_operator"])
    assert client.get(f"/regions/{ID}/").status_code == 404
    assert client.get(f"/api/v1/regions/{ID}").status_code == 404
    logged = harness.captured_texts(start)
    assert any("[ID]" in text for _name, text in logged)
    assert harness.findings(logged) == []


def test_failed_login_with_a_phone_as_username_logs_no_phone(world: World) -> None:
    start = len(harness.CAPTURE.records)
    Client().post("/login/", {"username": MOBILE, "password": "wrong-password"})
    Client().post("/api/v1/auth/token", {"username": MOBILE, "password": "x"}, content_type="application/json")
    assert harness.findings(harness.captured_texts(start)) == []


def test_oversized_body_is_a_clean_413_and_logs_no_data(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    start = len(harness.CAPTURE.records)
    client = Client()
    client.force_login(world.users["township_operator"])
    body = json.dumps({"kind": "resident_id", "value": ID, "padding": "x" * 4096})
    response = client.post("/api/v1/identifiers/validate", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    logged = harness.captured_texts(start)
    assert not [text for name, text in logged if name.startswith("django.security")]  # no ERROR + traceback
    assert harness.findings(logged) == []
