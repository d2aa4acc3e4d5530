"""Campaign API: open a campaign, assign by grid or villager group, progress, a collector's list, quality.

Registered beside ``collection.api`` in ``creditvillage/api.py`` (``api.add_router("", campaigns_router)``).
Out of scope answers 404 like missing; 403 only when the caller holds the action nowhere.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.models import User
from creditvillage.accounts.roles import Action
from creditvillage.collection import campaigns as services
from creditvillage.collection import progress as selectors
from creditvillage.collection import quality
from creditvillage.collection.progress import Counts, ProgressRow
from creditvillage.core.api import AUTHED_GET, AUTHED_POST, NO_CONTROL_CHARS, errors
from creditvillage.core.errors import NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.scope import access
from creditvillage.regions.models import Grid, VillagerGroup
from creditvillage.regions.selectors import access_region

router = Router(tags=["collection"])

REGION = Field("", max_length=12, pattern=r"^(\d{2,12})?$", description="区划代码（2/4/6/9/12 位）")
Stage = Literal["", "returned", "not_started", "draft", "submitted", "done"]


def _require(request: AuthedRequest, *actions: str) -> None:
    if not any(request.user.has_action(action) for action in actions):
        raise PermissionDenied()


# --- Schemas ---


class CountsOut(Schema):
    total: int
    not_started: int
    draft: int
    submitted: int
    returned: int
    done: int
    percent: int


class ProgressRowOut(Schema):
    key: str
    label: str
    village: str
    closed: bool | None
    counts: CountsOut


class ProgressOut(Schema):
    campaign_id: int
    region_code: str
    archives_due: dt.date | None
    days_left: int | None
    total: CountsOut
    villages: list[ProgressRowOut]
    grids: list[ProgressRowOut]
    collectors: list[ProgressRowOut]


class RegionFilter(Schema):
    region: str = REGION


class StageFilter(Schema):
    stage: Stage = ""


class WorkItemOut(Schema):
    household_id: int
    number: str
    head_name: str
    village: str
    grid: str
    stage: str
    submission_id: int | None
    reasons: dict[str, str]


class WorklistOut(Schema):
    campaign_id: int
    days_left: int | None
    counts: CountsOut
    items: list[WorkItemOut]


class FlagOut(Schema):
    code: str
    label: str
    detail: str


class HouseholdQualityOut(Schema):
    household_id: int
    number: str
    head_name: str
    completeness_percent: int
    flags: list[FlagOut]


class VillageQualityOut(Schema):
    village_code: str
    completeness_percent: int
    flagged: int
    flag_counts: dict[str, int]
    households: list[HouseholdQualityOut]


class VillageQualityItem(Schema):
    village_code: str
    name: str
    households: int
    completeness_percent: int
    flagged: int
    flag_counts: dict[str, int]


class CampaignIn(Schema):
    region: str = Field(..., max_length=12, pattern=r"^\d{6,12}$")
    year: int = Field(..., ge=2000, le=2100)
    name: str = Field("", max_length=100, pattern=NO_CONTROL_CHARS)
    archives_due: dt.date | None = None
    civility_due: dt.date | None = None
    ratings_due: dt.date | None = None
    spot_check_ratio: Decimal | None = Field(None, gt=0, le=1)


class CampaignOut(Schema):
    id: int
    region_code: str
    year: int
    name: str
    archives_due: dt.date | None
    civility_due: dt.date | None
    ratings_due: dt.date | None
    spot_check_ratio: Decimal


class AssignIn(Schema):
    by: Literal["grid", "group"]
    place_id: int = Field(..., ge=1, le=2**31 - 1, description="网格或村民小组的编号")
    collector_id: int = Field(..., ge=1, le=2**31 - 1)


class AssignOut(Schema):
    created: int
    already_assigned: int


# --- Helpers ---


def _counts(c: Counts) -> dict[str, int]:
    return {**{k: getattr(c, k) for k in CountsOut.model_fields if k != "percent"}, "percent": c.percent}


def _row(row: ProgressRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "village": row.village,
        "closed": row.closed,
        "counts": _counts(row.counts),
    }


# --- Endpoints ---


@router.post("/collection/campaigns", response={200: CampaignOut, **errors(*AUTHED_POST, 404)})
def campaign_create(request: AuthedRequest, payload: CampaignIn) -> dict[str, Any]:
    """Open a campaign for a township or county; missing deadlines take seed 000's (June/July/September ends)."""
    _require(request, services.CAMPAIGN_ACTION)
    region = access_region(request.user, payload.region)
    campaign = services.campaign_create(actor=request.user, region=region, **payload.dict(exclude={"region"}))
    campaign.refresh_from_db()
    return {
        "id": campaign.pk,
        "region_code": campaign.region_id,
        "year": campaign.year,
        "name": campaign.name,
        "archives_due": campaign.archives_due,
        "civility_due": campaign.civility_due,
        "ratings_due": campaign.ratings_due,
        "spot_check_ratio": campaign.spot_check_ratio,
    }


@router.post("/collection/campaigns/{campaign_id}/assignments", response={200: AssignOut, **errors(*AUTHED_POST, 404)})
def assignment_create(request: AuthedRequest, campaign_id: int, payload: AssignIn) -> dict[str, int]:
    """Assign every not-yet-assigned household of a grid or villager group to a collector."""
    _require(request, services.ASSIGN_ACTION)
    campaign = selectors.access_campaign(request.user, campaign_id)
    collector = User.objects.filter(pk=payload.collector_id, is_active=True).first()
    if collector is None:
        raise ValidationFailed(_("采集员不存在"), {"field": "collector_id"})
    if payload.by == "grid":
        grid = access(Grid.objects.all(), request.user, payload.place_id, services.ASSIGN_ACTION)
        result = services.assignment_create_by_grid(
            actor=request.user, campaign=campaign, grid=grid, collector=collector
        )
    else:
        group = access(VillagerGroup.objects.all(), request.user, payload.place_id, services.ASSIGN_ACTION)
        result = services.assignment_create_by_group(
            actor=request.user, campaign=campaign, group=group, collector=collector
        )
    return {"created": len(result.created), "already_assigned": len(result.already_assigned)}


@router.get(
    "/collection/campaigns/{campaign_id}/progress", response={200: ProgressOut, **errors(*AUTHED_GET, 403, 404)}
)
def campaign_progress(request: AuthedRequest, campaign_id: int, filters: Query[RegionFilter]) -> dict[str, Any]:
    """Progress per village, grid and collector (counts the caller may see), against the archives deadline."""
    _require(request, Action.VIEW_STATS)
    campaign = selectors.access_campaign(request.user, campaign_id)
    progress = selectors.campaign_progress(actor=request.user, campaign=campaign, region=filters.region)
    return {
        "campaign_id": campaign.pk,
        "region_code": progress.region.code,
        "archives_due": campaign.archives_due,
        "days_left": progress.days_left,
        "total": _counts(progress.total),
        "villages": [_row(r) for r in progress.villages],
        "grids": [_row(r) for r in progress.grids],
        "collectors": [_row(r) for r in progress.collectors],
    }


@router.get(
    "/collection/campaigns/{campaign_id}/my-assignments",
    response={200: WorklistOut, **errors(*AUTHED_GET, 403, 404)},
)
def assignment_mine(request: AuthedRequest, campaign_id: int, filters: Query[StageFilter]) -> dict[str, Any]:
    """The caller's own households in the campaign: returned first, then to do, submitted, done."""
    _require(request, Action.CHANGE)
    campaign = selectors.access_campaign(request.user, campaign_id)
    worklist = selectors.collector_worklist(actor=request.user, campaign=campaign, stage=filters.stage)
    return {
        "campaign_id": campaign.pk,
        "days_left": worklist.days_left,
        "counts": _counts(worklist.counts),
        "items": [
            {
                "household_id": i.household_pk,
                "number": i.number,
                "head_name": i.head_name,
                "village": i.village,
                "grid": i.grid,
                "stage": i.stage,
                "submission_id": i.submission_pk,
                "reasons": i.reasons,
            }
            for i in worklist.items
        ],
    }


@router.get(
    "/collection/campaigns/{campaign_id}/quality",
    response={200: list[VillageQualityItem], **errors(*AUTHED_GET, 403, 404)},
)
def campaign_quality(request: AuthedRequest, campaign_id: int, filters: Query[RegionFilter]) -> list[dict[str, Any]]:
    """Completeness and flag counts per village of the campaign (villages the caller may view)."""
    _require(request, Action.CHANGE, Action.VERIFY, Action.AUDIT)
    campaign = selectors.access_campaign(request.user, campaign_id)
    rows = quality.campaign_quality(actor=request.user, campaign=campaign, region=filters.region)
    return [
        {
            "village_code": r.code,
            "name": r.name,
            "households": r.households,
            "completeness_percent": r.completeness.percent,
            "flagged": r.flagged,
            "flag_counts": r.flag_counts,
        }
        for r in rows
    ]


@router.get(
    "/collection/campaigns/{campaign_id}/quality/{village_code}",
    response={200: VillageQualityOut, **errors(*AUTHED_GET, 403, 404)},
)
def village_quality(request: AuthedRequest, campaign_id: int, village_code: str) -> dict[str, Any]:
    """Per-household completeness and flags in one village; ID numbers are never part of a flag."""
    _require(request, Action.CHANGE, Action.VERIFY, Action.AUDIT)
    campaign = selectors.access_campaign(request.user, campaign_id)
    if len(village_code) > 12:
        raise NotFound()
    report = quality.village_quality(actor=request.user, campaign=campaign, village=village_code)
    return {
        "village_code": report.village.code,
        "completeness_percent": report.completeness.percent,
        "flagged": report.flagged,
        "flag_counts": report.flag_counts,
        "households": [
            {
                "household_id": h.household_pk,
                "number": h.number,
                "head_name": h.head_name,
                "completeness_percent": h.completeness.percent,
                "flags": [{"code": f.code, "label": f.label, "detail": f.detail} for f in h.flags],
            }
            for h in report.households
        ],
    }
