"""Test-run harness, registered from the root conftest (``pytest_plugins``).

1. **A file-backed SQLite test database.** Django's default SQLite test database is in memory
   with a shared cache, where a second connection gets "database table is locked" at once
   instead of waiting. Concurrency tests (C1–C4, C8) need real connections that queue the way
   the production file database does (WAL, busy timeout, ``BEGIN IMMEDIATE``), so on SQLite the
   test database is a file in a private temporary directory (one per pytest process, so runs
   in the same checkout never share it). PostgreSQL is unaffected.

2. **A session-wide log scan (reliability.md C12).** A handler on the root logger records every
   log record emitted during the run, from every logger and thread, rendered the way the
   project's own handlers would write it (their filters, i.e. ``RedactPIIFilter``, applied). At
   the end the text is scanned for checksum-valid resident ID numbers, mainland mobile numbers,
   bearer/API tokens and session keys; any finding fails the run, with the logger names and a
   masked excerpt (the value itself is never printed).
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# --------------------------------------------------------------------------------------------
# 1. SQLite test database on a file
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> Iterator[None]:
    from django.conf import settings

    tmpdir: Path | None = None
    for alias, db in settings.DATABASES.items():
        if db["ENGINE"] != "django.db.backends.sqlite3":
            continue
        tmpdir = tmpdir or Path(tempfile.mkdtemp(prefix="cv-test-db-"))
        db.setdefault("TEST", {})["NAME"] = str(tmpdir / f"test_{alias}.sqlite3")
    yield
    if tmpdir is not None:
        shutil.rmtree(tmpdir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# 2. Log capture and PII scan
# --------------------------------------------------------------------------------------------

RESIDENT_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
BEARER = re.compile(r"(?i)\bbearer\s+(?!\[TOKEN\])[A-Za-z0-9._~+/=-]{8,}")
# secrets.token_urlsafe(32): 43 URL-safe characters; require mixed classes to skip identifiers.
_U = "[A-Za-z0-9_-]"
URLSAFE_TOKEN = re.compile(rf"(?<!{_U})(?={_U}*\d)(?={_U}*[a-z])(?={_U}*[A-Z]){_U}{{43}}(?!{_U})")
SESSION_KEY = re.compile(r"(?i)(?:sessionid|csrftoken)[\"'=:\s]+(?!\[SESSION\])[A-Za-z0-9]{16,}")


@dataclass(frozen=True)
class Finding:
    kind: str
    logger: str
    excerpt: str  # masked


def _mask(value: str) -> str:
    return value[:3] + "*" * max(len(value) - 7, 3) + value[-4:] if len(value) > 7 else "***"


def scan_text(text: str) -> list[tuple[str, str]]:
    """``(kind, value)`` for every piece of personal data or secret found in ``text``."""
    from creditvillage.core.identifiers import validate_resident_id

    found: list[tuple[str, str]] = []
    for match in RESIDENT_ID_CANDIDATE.finditer(text):
        if validate_resident_id(match.group()).valid:
            found.append(("resident_id", match.group()))
    found += [("mobile", m.group()) for m in MOBILE.finditer(text)]
    found += [("bearer_token", m.group()) for m in BEARER.finditer(text)]
    found += [("api_token", m.group()) for m in URLSAFE_TOKEN.finditer(text)]
    found += [("session_key", m.group()) for m in SESSION_KEY.finditer(text)]
    return found


class CaptureAllHandler(logging.Handler):
    """Keeps the rendered text of every record that reaches the root logger's handlers."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.records: list[tuple[str, str]] = []
        self._records_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a broken record must not break the run; keep what we can
            text = f"{record.msg!r} {record.args!r}"
        with self._records_lock:
            self.records.append((record.name, text))


CAPTURE = CaptureAllHandler()


def install_capture() -> None:
    """Attach the capture handler to the root logger, with the filters the configured handlers use."""
    root = logging.getLogger()
    if CAPTURE in root.handlers:
        return
    for handler in root.handlers:
        for record_filter in handler.filters:
            if record_filter not in CAPTURE.filters:
                CAPTURE.addFilter(record_filter)
    root.addHandler(CAPTURE)


def captured_texts(start: int = 0) -> list[tuple[str, str]]:
    return list(CAPTURE.records[start:])


def findings(records: list[tuple[str, str]]) -> list[Finding]:
    return [Finding(kind, logger, _mask(value)) for logger, text in records for kind, value in scan_text(text)]


def pytest_sessionstart(session: pytest.Session) -> None:
    install_capture()


@pytest.fixture(autouse=True)
def _keep_log_capture_installed() -> None:
    # A test that reconfigures logging (dictConfig replaces the root's handlers) must not
    # silently switch the scan off for the rest of the run.
    install_capture()


_session_findings: list[Finding] = []


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _session_findings[:] = findings(CAPTURE.records)
    if _session_findings and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    total = len(CAPTURE.records)
    if not _session_findings:
        terminalreporter.write_line(f"C12 log scan: {total} log records scanned, 0 ID numbers, mobiles or tokens")
        return
    terminalreporter.section("C12 log scan: personal data or secrets in logs", red=True)
    for finding in _session_findings[:50]:
        terminalreporter.write_line(f"{finding.kind:13} {finding.logger:40} {finding.excerpt}")
    terminalreporter.write_line(f"{len(_session_findings)} findings in {total} records: the run fails", red=True)
