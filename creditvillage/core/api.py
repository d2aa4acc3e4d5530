from __future__ import annotations

from typing import Any

from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["core"])

# Text parameters that reach the database must not carry control characters: PostgreSQL refuses
# NUL in text outright (a 500 rather than a clean 422), and none of our identifiers contain any.
NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f]*$"


class ErrorOut(Schema):
    """Every error of the API: ``{"code": "<stable_snake_case>", "message": "<Chinese>", "details": {...}}``."""

    code: str
    message: str
    details: dict[str, Any]


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation may give, for its ``response=`` declaration.

    400 unparseable body · 401 no valid credentials · 403 refused (e.g. a session POST without
    its CSRF token) · 404 missing or outside the caller's scope · 413 body too large ·
    422 invalid parameters · 429 locked out.
    """
    return dict.fromkeys(statuses, ErrorOut)


# What every operation behind authentication may answer besides its own errors.
AUTHED_GET = (401, 422)
AUTHED_POST = (400, 401, 403, 413, 422)


class HealthOut(Schema):
    status: str
    database: str


@router.get("/health", auth=None, response=HealthOut)
def health(request: HttpRequest) -> dict[str, str]:
    """Liveness and which database engine answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok", "database": "postgresql" if connection.vendor == "postgresql" else connection.vendor}
