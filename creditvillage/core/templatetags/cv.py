"""Template helpers loaded everywhere (settings: TEMPLATES builtins)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditvillage.core.models import AuditEvent
from creditvillage.core.money import format_yuan

register = template.Library()

# What an audit action means, in the words of the programme (unknown actions show their code).
AUDIT_ACTIONS = {
    "household.updated": gettext_lazy("修改档案"),
    "household.created": gettext_lazy("新建档案"),
    "household.verified": gettext_lazy("乡镇校核"),
    "household.returned": gettext_lazy("退回修改"),
    "household.read_by_bank": gettext_lazy("银行查阅档案"),
    "household.exported": gettext_lazy("导出"),
    "stats.exported": gettext_lazy("导出统计"),
    "person.updated": gettext_lazy("修改家庭成员"),
    "person.created": gettext_lazy("新增家庭成员"),
}


@register.filter
def get_item(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)


@register.filter
def yuan(fen: int | None) -> str:
    return format_yuan(fen)


@register.filter
def wan(yuan_amount: int | None) -> str:
    """Whole yuan → 万元 with two decimals and thousands separators: ``12345600`` → ``"1,234.56"``."""
    if yuan_amount is None:
        return "—"
    return f"{Decimal(yuan_amount) / 10_000:,.2f}"


@register.filter
def fen_wan(fen: int | None) -> str:
    """Fen → 万元 with two decimals: ``123456789`` → ``"123.46"`` (the unit is in the column head)."""
    if fen is None:
        return "—"
    return f"{Decimal(fen) / 1_000_000:,.2f}"


@register.filter
def ratio_percent(ratio: str | Decimal | None) -> str:
    """A ratio as a decimal string (``"0.0123"``, the API's form) → a percent with two decimals (``"1.23"``)."""
    if ratio in (None, ""):
        return "—"
    return f"{Decimal(str(ratio)) * 100:.2f}"


@register.filter
def has_action(user: Any, action: str) -> bool:
    """``{% if user|has_action:"export" %}``: whether the user holds the action anywhere."""
    check = getattr(user, "has_action", None)
    return bool(check and check(action))


@register.filter
def percent(part: int | None, whole: int | None) -> int:
    """``{{ archived|percent:households }}`` → 0–100 (0 when there is nothing to divide)."""
    if not whole:
        return 0
    return round((part or 0) * 100 / whole)


@register.filter
def iso_datetime(value: str | datetime | None) -> str:
    """An ISO timestamp (as the archive selectors return them) in local time, ``2026-11-24 09:30``."""
    if not value:
        return ""
    moment: datetime
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return str(formats.date_format(moment, "Y-m-d H:i"))


@register.filter
def iso_date(value: str | None) -> str:
    """``1970-01-01`` stays as it is; anything else (a masked ``1970年``) too. Empty → ``—``."""
    return value or "—"


@register.filter
def audit_action(action: str) -> str:
    return str(AUDIT_ACTIONS.get(action, action))


def _display(field: models.Field[Any, Any] | None, value: Any) -> str:
    if value is None or value == "":
        return _("（空）")
    if value == "***":
        return "***"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.ForeignKey):
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    return str(value)


@register.simple_tag
def audit_changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """``[(field label, old, new), ...]`` for an audit event's ``changes`` (``{field: [old, new]}``)."""
    try:
        model: type[models.Model] | None = apps.get_model(event.target_type)
    except (LookupError, ValueError):
        model = None
    rows = []
    for name, values in (event.changes or {}).items():
        field = None
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
        label = str(getattr(field, "verbose_name", name))
        if isinstance(values, list | tuple) and len(values) == 2:
            rows.append((label, _display(field, values[0]), _display(field, values[1])))  # type: ignore[arg-type]
        else:
            rows.append((label, "", _display(field, values)))  # type: ignore[arg-type]
    return rows


@register.inclusion_tag("partials/main_nav.html", takes_context=True)
def main_nav(context: template.Context) -> dict[str, Any]:
    """The main menu entries (core/nav.py) this user may use, the current one marked."""
    from django.urls import NoReverseMatch, reverse

    from creditvillage.core.nav import NAV

    request = context.get("request")
    user = getattr(request, "user", None)
    path = getattr(request, "path", "")
    entries = []
    for entry in NAV:
        if not any(has_action(user, action) for action in entry.actions):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:  # an app still without its home page; core/tests/test_nav.py fails on it
            continue
        entries.append({"label": entry.label, "url": url, "current": path.startswith(entry.prefix)})
    return {"entries": entries}
