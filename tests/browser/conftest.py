"""Browser tests: pytest-playwright driving Debian's Chromium against pytest-django's live_server.

``playwright install`` cannot download browsers here (stack-notes.md §4), so the session's browser
is the system Chromium; ``CV_CHROMIUM`` points elsewhere if needed. ``DJANGO_ALLOW_ASYNC_UNSAFE``
is set by the root conftest: Playwright's sync API runs an event loop in the test thread.
Screenshots of the key pages go to ``test-artifacts/screenshots/<name>.png`` (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures import PASSWORD, World, build_world

CHROMIUM = os.environ.get("CV_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():  # fail loudly: a skipped browser suite proves nothing
        raise RuntimeError(f"Chromium not found at {CHROMIUM}; run scripts/system-deps.sh or set CV_CHROMIUM")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # An English-speaking browser on purpose: the platform must still answer in Chinese (ADR 0008).
    return {**browser_context_args, "viewport": DESKTOP, "locale": "en-US", "accept_downloads": True}


@pytest.fixture(autouse=True)
def _short_action_timeout(page: Page) -> None:
    page.set_default_timeout(10_000)  # fail in seconds, not Playwright's default 30 s


@pytest.fixture
def site(live_server: Any, transactional_db: None) -> World:
    """The personas' world (tests/fixtures.py), committed so the live server's thread sees it."""
    return build_world()


@pytest.fixture
def url(live_server: Any) -> str:
    """The live server's root URL (pytest-base-url's session-scoped ``base_url`` stays unused)."""
    return str(live_server.url)


def login(page: Page, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def assert_fits_the_screen(page: Page) -> None:
    """Nothing on the page is wider than the viewport (no sideways scrolling on a phone)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"], f"page is {width}px wide on a {viewport['width']}px screen"
