from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def roles(request: HttpRequest) -> dict[str, Any]:
    """The logged-in user's roles as 'role · region' labels, for the page header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": []}

    def labels() -> list[str]:
        return [
            f"{a.get_role_display()} · {a.region.name}"
            for a in user.role_assignments.filter(is_active=True).select_related("region").order_by("pk")
        ]

    return {"user_roles": labels}
