from __future__ import annotations

from typing import Any

from django import template

from creditvillage.core.money import format_yuan

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)


@register.filter
def yuan(fen: int | None) -> str:
    return format_yuan(fen)
