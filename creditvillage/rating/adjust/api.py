"""API of dynamic adjustment, the negative list and credit repair (thin: parse, call, shape)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from creditvillage.accounts.http import AuthedRequest
from creditvillage.core.api import AUTHED_GET, AUTHED_POST, NO_CONTROL_CHARS, errors
from creditvillage.core.errors import PermissionDenied
from creditvillage.rating.adjust import selectors, services
from creditvillage.rating.adjust.models import RatingAdjustment, RepairApplication
from creditvillage.registry.selectors import access_household

router = Router(tags=["adjust"])


class NegativeEntryItem(Schema):
    id: int
    id_number: str
    name: str
    source: str
    basis: str
    listed_on: dt.date
    expires_on: dt.date
    repaired: bool


class NegativeListOut(Schema):
    count: int
    items: list[NegativeEntryItem]


class NegativeListFilters(Schema):
    include_closed: bool = False


@router.get("/negative-list", response={200: NegativeListOut, **errors(*AUTHED_GET, 403)})
def negative_list(request: AuthedRequest, filters: Query[NegativeListFilters]) -> dict[str, Any]:
    """Negative-list entries (administrators and regulators; ID numbers masked without view_sensitive)."""
    if not selectors.may_manage_negative_list(request.user):
        raise PermissionDenied()
    rows = selectors.negative_entry_rows(actor=request.user, include_closed=filters.include_closed)
    items = [
        {
            "id": r["entry"].pk,
            "id_number": r["id_number"],
            "name": r["name"],
            "source": r["entry"].source,
            "basis": r["entry"].basis,
            "listed_on": r["entry"].listed_on,
            "expires_on": r["entry"].expires_on,
            "repaired": r["entry"].repaired_at is not None,
        }
        for r in rows
    ]
    return {"count": len(items), "items": items}


class HitItem(Schema):
    household_id: int
    number: str
    head_name: str
    region_code: str
    sources: list[str]


@router.get("/negative-list/hits", response={200: list[HitItem], **errors(*AUTHED_GET)})
def negative_list_hits(request: AuthedRequest) -> list[dict[str, Any]]:
    """Households in the caller's scope hit by an active negative-list entry (repaired ones never)."""
    return [
        {
            "household_id": h["household"].pk,
            "number": h["household"].number,
            "head_name": h["household"].head_name,
            "region_code": h["household"].region_id,
            "sources": h["sources"],
        }
        for h in selectors.negative_hits_in_scope(actor=request.user)
    ]


class AdjustmentItem(Schema):
    id: int
    subject_type: str
    subject_id: int
    household_id: int | None
    region_code: str
    source: str
    reason: str
    from_grade: str
    to_grade: str
    occurred_on: dt.date
    created_at: dt.datetime


def _adjustment(a: RatingAdjustment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "subject_type": a.subject_type,
        "subject_id": a.subject_id,
        "household_id": a.household_id,
        "region_code": a.region_code,
        "source": a.source,
        "reason": a.reason,
        "from_grade": a.from_grade,
        "to_grade": a.to_grade,
        "occurred_on": a.occurred_on,
        "created_at": a.created_at,
    }


@router.get("/adjustments", response={200: list[AdjustmentItem], **errors(*AUTHED_GET)})
def adjustment_list(request: AuthedRequest) -> list[dict[str, Any]]:
    """Active downgrades in the caller's scope (none for banks), newest 200."""
    return [_adjustment(a) for a in selectors.adjustment_list(actor=request.user)[:200]]


class DowngradeIn(Schema):
    subject_type: Literal["household", "entity", "collective"]
    subject_id: int = Field(..., ge=1, le=2**62)
    reason: str = Field(..., min_length=1, max_length=500, pattern=NO_CONTROL_CHARS)
    source: Literal["negative_list", "loan_default", "points", "other"]
    to_grade: str | None = Field(None, max_length=8, pattern=r"^[A-Za-z0-9]*$")


class RatingOut(Schema):
    id: int
    grade: str
    version: int
    vetoed: bool
    status: str
    reason: str


@router.post("/adjustments", response={201: RatingOut, **errors(*AUTHED_POST, 404, 409)})
def adjustment_create(request: AuthedRequest, payload: DowngradeIn) -> Status:
    """Downgrade a final rating between cycles (decide; a bank reports loan defaults of consenting households)."""
    rating = services.rating_downgrade(
        actor=request.user,
        subject_type=payload.subject_type,
        subject_id=payload.subject_id,
        reason=payload.reason,
        source=payload.source,
        to_grade=payload.to_grade or None,
    )
    return Status(
        201,
        {
            "id": rating.pk,
            "grade": rating.grade,
            "version": rating.version,
            "vetoed": rating.vetoed,
            "status": rating.status,
            "reason": rating.reason,
        },
    )


class NotificationItem(Schema):
    id: int
    region_code: str
    kind: str
    title: str
    body: str
    household_id: int | None
    created_at: dt.datetime
    read: bool


@router.get("/village-notifications", response={200: list[NotificationItem], **errors(*AUTHED_GET)})
def notification_list(request: AuthedRequest) -> list[dict[str, Any]]:
    """Notifications of the villages the caller operates (downgrades, repair applications, repairs)."""
    return [
        {
            "id": n.pk,
            "region_code": n.region_code,
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "household_id": n.household_id,
            "created_at": n.created_at,
            "read": n.read_at is not None,
        }
        for n in selectors.notification_list(actor=request.user)
    ]


class RepairItem(Schema):
    id: int
    household_id: int
    region_code: str
    status: str
    item: str
    evidence_text: str
    has_evidence_file: bool
    applied_at: dt.datetime
    village_opinion: str
    township_opinion: str
    publicity_starts: dt.date | None
    publicity_ends: dt.date | None
    effective_at: dt.datetime | None


def _repair(r: RepairApplication) -> dict[str, Any]:
    item = r.negative_entry.source if r.negative_entry_id and r.negative_entry else ""
    if not item and r.adjustment_id and r.adjustment:
        item = r.adjustment.get_source_display()
    return {
        "id": r.pk,
        "household_id": r.household_id,
        "region_code": r.region_code,
        "status": r.status,
        "item": item,
        "evidence_text": r.evidence_text,
        "has_evidence_file": bool(r.evidence_file),
        "applied_at": r.applied_at,
        "village_opinion": r.village_opinion,
        "township_opinion": r.township_opinion,
        "publicity_starts": r.publicity_starts,
        "publicity_ends": r.publicity_ends,
        "effective_at": r.effective_at,
    }


class RepairFilters(Schema):
    status: Literal["", "submitted", "village_reviewed", "publicity", "effective", "rejected"] = ""


@router.get("/repairs", response={200: list[RepairItem], **errors(*AUTHED_GET)})
def repair_list(request: AuthedRequest, filters: Query[RepairFilters]) -> list[dict[str, Any]]:
    """Repair applications in the caller's scope (a household its own), newest 200."""
    queryset = selectors.repair_list(actor=request.user, status=filters.status).select_related("adjustment")
    return [_repair(r) for r in queryset[:200]]


@router.get("/repairs/{repair_id}", response={200: RepairItem, **errors(*AUTHED_GET, 404)})
def repair_detail(request: AuthedRequest, repair_id: int) -> dict[str, Any]:
    """One repair application; 404 when missing or outside the caller's scope."""
    return _repair(selectors.access_repair(request.user, repair_id))


class RepairIn(Schema):
    household_id: int = Field(..., ge=1, le=2**62)
    negative_entry_id: int | None = Field(None, ge=1, le=2**62)
    adjustment_id: int | None = Field(None, ge=1, le=2**62)
    evidence_text: str = Field(..., min_length=1, max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")


@router.post("/repairs", response={201: RepairItem, **errors(*AUTHED_POST, 404, 409)})
def repair_create(request: AuthedRequest, payload: RepairIn) -> Status:
    """A household applies for credit repair of one of its negative items (evidence files: on the page)."""
    household = access_household(request.user, payload.household_id)
    application = services.repair_apply(
        actor=request.user,
        household=household,
        negative_entry_id=payload.negative_entry_id,
        adjustment_id=payload.adjustment_id,
        evidence_text=payload.evidence_text,
    )
    return Status(201, _repair(application))


class DecisionIn(Schema):
    approve: bool
    opinion: str = Field(..., min_length=1, max_length=500, pattern=NO_CONTROL_CHARS)


@router.post("/repairs/{repair_id}/village-review", response={200: RepairItem, **errors(*AUTHED_POST, 404, 409)})
def repair_village_review(request: AuthedRequest, repair_id: int, payload: DecisionIn) -> dict[str, Any]:
    """The village's review of a repair application (village operators)."""
    application = selectors.access_repair(request.user, repair_id)
    return _repair(
        services.repair_village_review(
            actor=request.user, application=application, approve=payload.approve, opinion=payload.opinion
        )
    )


@router.post("/repairs/{repair_id}/township-decision", response={200: RepairItem, **errors(*AUTHED_POST, 404, 409)})
def repair_township_decision(request: AuthedRequest, repair_id: int, payload: DecisionIn) -> dict[str, Any]:
    """The township's approval (decide; not the village reviewer): approved applications go to publicity."""
    application = selectors.access_repair(request.user, repair_id)
    return _repair(
        services.repair_township_decide(
            actor=request.user, application=application, approve=payload.approve, opinion=payload.opinion
        )
    )
