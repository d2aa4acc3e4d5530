"""The daily job of dynamic adjustment: expire 5-year-old negative items, make due repairs effective."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from creditvillage.rating.adjust.services import negative_items_expire, repairs_complete_due


def run_daily(today: dt.date | None = None) -> dict[str, Any]:
    """Both daily steps; each is its own transaction and idempotent (safe to run twice)."""
    counts: dict[str, Any] = dict(negative_items_expire(today=today))
    counts["repairs_effective"] = repairs_complete_due(today=today)
    return counts


@task()
def expire_negative_items(today: str | None = None) -> dict[str, Any]:
    """Scheduled daily (cron or a systemd timer enqueues it, or runs ``creditvillage expire_negative_items``)."""
    return run_daily(dt.date.fromisoformat(today) if today else None)
