from __future__ import annotations

from typing import Any

from ninja import Field, Query, Router, Schema

from creditvillage.accounts.http import AuthedRequest
from creditvillage.core.api import AUTHED_GET, errors
from creditvillage.dashboards import selectors

router = Router(tags=["dashboards"])


class OverviewFilters(Schema):
    region: str | None = Field(None, max_length=12, pattern=r"^\d{2,12}$")


class OverviewOut(Schema):
    households: int
    archived: int
    verified: int
    rated: int
    credit_subjects: int
    grade_distribution: dict[str, int]
    credit_granted_yuan: int
    credit_used_yuan: int
    loans_outstanding_yuan: int
    npl_yuan: int
    npl_ratio: str | None
    points_issued: int
    coupons_redeemed: int
    events_open: int
    events_closed: int


@router.get("/stats/overview", response={200: OverviewOut, **errors(*AUTHED_GET, 404)})
def stats_overview(request: AuthedRequest, filters: Query[OverviewFilters]) -> dict[str, Any]:
    """Headline counts for the caller's scope, or for a region inside it (404 outside)."""
    return selectors.stats_overview(actor=request.user, region=filters.region)
