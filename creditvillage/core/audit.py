"""The audit writer used by every service that changes archives, ratings, points or money."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from creditvillage.core.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def diff(old: Mapping[str, Any], new: Mapping[str, Any], fields: Iterable[str] | None = None) -> dict[str, Any]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    names = fields if fields is not None else sorted(set(old) | set(new))
    return {
        name: [_plain(old.get(name)), _plain(new.get(name))]
        for name in names
        if _plain(old.get(name)) != _plain(new.get(name))
    }


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    region_code: str = "",
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
    channel: str = "",
) -> AuditEvent:
    """Write one audit event; call inside the service's transaction so it commits with the change."""
    label = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        label = getattr(actor, "display_name", "") or actor.get_username()
    return AuditEvent.objects.create(
        actor=actor if label else None,
        actor_label=label or "system",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        region_code=region_code,
        changes=dict(changes or {}),
        reason=reason,
        channel=channel,
    )
