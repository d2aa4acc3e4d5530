"""Root pytest configuration: test settings and the shared fixtures (tests/fixtures.py)."""

import os

import pytest

os.environ.setdefault("CV_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

pytest_plugins = ["tests.fixtures", "tests.harness"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # `make test` collects only tests/browser/ for the browser run: a browser test elsewhere would
    # silently run nowhere.
    stray = [i.nodeid for i in items if i.get_closest_marker("browser") and "tests/browser/" not in i.nodeid]
    if stray:
        raise pytest.UsageError(f"browser tests must live in tests/browser/ (make test runs only there): {stray}")
    # The C5 matrix's items are the longest (up to ~1 min each): run them first, so the two xdist
    # workers finish together on short tests instead of one waiting for the other's last long item.
    items.sort(key=lambda item: item.get_closest_marker("matrix") is None)
