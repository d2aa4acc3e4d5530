"""Reads of credit village/township applications, scoped by the applicant region."""

from __future__ import annotations

from typing import Any

from creditvillage.accounts.roles import Action
from creditvillage.core.scope import Actor, ScopedQuerySet, access
from creditvillage.rating.villages import criteria
from creditvillage.rating.villages.models import CreditRegionApplication


def application_list(
    *, actor: Actor | None, status: str = "", year: int | None = None
) -> ScopedQuerySet[CreditRegionApplication]:
    """Applications of regions the actor may view, newest first."""
    queryset = CreditRegionApplication.objects.visible_to(actor, Action.VIEW).select_related("region")
    if status:
        queryset = queryset.filter(status=status)
    if year:
        queryset = queryset.filter(year=year)
    return queryset.order_by("-applied_at", "-pk")


def access_application(actor: Actor | None, pk: Any) -> CreditRegionApplication:
    """One application, or NotFound (missing and out of scope alike)."""
    return access(CreditRegionApplication.objects.select_related("region"), actor, pk)


def application_review_sheet(application: CreditRegionApplication) -> dict[str, Any]:
    """The stored figures and, per grade, each criterion with the figure beside it."""
    best, rows = criteria.assess(application.level, application.figures, application.no_discipline_declared)
    return {"figures": application.figures, "assessed_grade": best, "grades": rows}


def criteria_table(level: str) -> list[criteria.Threshold]:
    """The thresholds in force for a level (stored, or the defaults)."""
    return criteria.thresholds(level)
