"""Root pytest configuration: test settings and the shared fixtures (tests/fixtures.py)."""

import os

os.environ.setdefault("CV_TESTING", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

pytest_plugins = ["tests.fixtures", "tests.harness"]
