"""Helpers shared by server-rendered views."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = 25) -> Page:
    """A page of ``queryset``; junk page numbers fall back to the first or last page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
