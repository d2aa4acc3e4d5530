"""Collection API: the township's verification queue and its two decisions (verify, return).

Campaign progress lives in A1's endpoints; Excel import in ``collection.imports``.
"""

from __future__ import annotations

from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.collection import selectors, services
from creditvillage.collection.models import Submission
from creditvillage.core.api import AUTHED_GET, AUTHED_POST, NO_CONTROL_CHARS, errors
from creditvillage.core.errors import ValidationFailed

router = Router(tags=["collection"])

PAGE_SIZE = 50
MAX_PAGE = 100_000
MAX_REASONS = 200
State = Literal["", "draft", "submitted", "returned", "verified", "spot_checked", "reopened"]


class SubmissionFilters(Schema):
    campaign: int | None = Field(None, ge=1, le=2**31 - 1)
    state: State = ""
    village: str | None = Field(None, max_length=12, pattern=r"^\d{2,12}$", description="区划代码（2/4/6/9/12 位）")
    page: int = Field(1, ge=1, le=MAX_PAGE)


class SubmissionItem(Schema):
    id: int
    campaign_id: int
    region_code: str
    region_name: str
    household_id: int | None
    household_number: str
    head_name: str
    subject_type: str = "household"
    subject_id: int | None = None
    subject_name: str = ""
    subject_code: str = ""
    state: str
    state_display: str
    channel: str
    self_declared: bool
    confirmed: bool
    collector: str
    submitted_at: str | None
    verified_at: str | None
    version: int


class SubmissionPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[SubmissionItem]


class DiffRow(Schema):
    key: str
    label: str
    old: Any = None
    new: Any = None
    reason: str = ""


class SubmissionDetail(SubmissionItem):
    return_reasons: dict[str, str]
    reopen_reason: str
    diff: list[DiffRow]


def _item(s: Submission) -> dict[str, Any]:
    household = s.household
    return {
        "id": s.pk,
        "campaign_id": s.campaign_id,
        "region_code": s.region_id,
        "region_name": s.region.name,
        "household_id": s.household_id,
        "household_number": household.number if household else "",
        "head_name": household.head_name if household else "",
        "subject_type": s.subject_type,
        "subject_id": s.subject_id,
        "subject_name": s.subject_label,
        "subject_code": s.subject_code,
        "state": s.state,
        "state_display": str(s.get_state_display()),
        "channel": s.channel,
        "self_declared": s.self_declared,
        "confirmed": s.counts,
        "collector": str(s.collector) if s.collector else "",
        "submitted_at": s.submitted_at.isoformat() if s.submitted_at else None,
        "verified_at": s.verified_at.isoformat() if s.verified_at else None,
        "version": s.version,
    }


def _detail(request: AuthedRequest, s: Submission) -> dict[str, Any]:
    return {
        **_item(s),
        "return_reasons": s.return_reasons or {},
        "reopen_reason": s.reopen_reason,
        "diff": selectors.submission_diff(s, actor=request.user),
    }


@router.get("/collection/submissions", response={200: SubmissionPage, **errors(*AUTHED_GET, 404)})
def submission_list(request: AuthedRequest, filters: Query[SubmissionFilters]) -> dict[str, Any]:
    """Submissions in the caller's scope, 50 a page; filter by campaign, state and village (乡校核队列)."""
    campaign = selectors.access_campaign(request.user, filters.campaign) if filters.campaign else None
    queryset = selectors.submission_list(
        actor=request.user, campaign=campaign, state=filters.state, village=filters.village or ""
    )
    start = (filters.page - 1) * PAGE_SIZE
    return {
        "count": queryset.count(),
        "page": filters.page,
        "page_size": PAGE_SIZE,
        "items": [_item(s) for s in queryset[start : start + PAGE_SIZE]],
    }


@router.get("/collection/submissions/{submission_id}", response={200: SubmissionDetail, **errors(*AUTHED_GET, 404)})
def submission_detail(request: AuthedRequest, submission_id: int) -> dict[str, Any]:
    """One submission with its field-by-field diff against the previous verified archive."""
    return _detail(request, selectors.access_submission(request.user, submission_id))


class VerifyIn(Schema):
    version: int = Field(..., ge=1, description="the version read (optimistic check)")
    fields: list[str] | None = Field(None, max_length=500, description="accept only these diff keys")
    note: str = Field("", max_length=200, pattern=NO_CONTROL_CHARS)


class ReturnIn(Schema):
    version: int = Field(..., ge=1)
    reasons: dict[str, str] = Field(..., description='{"<diff key>" or "_all": "原因"}')


@router.post(
    "/collection/submissions/{submission_id}/verify",
    response={200: SubmissionDetail, **errors(*AUTHED_POST, 404, 409)},
)
def submission_verify(request: AuthedRequest, submission_id: int, payload: VerifyIn) -> dict[str, Any]:
    """Verify (乡校核) whole or only the listed fields; 409 on a stale version or a changed archive."""
    submission = selectors.access_submission(request.user, submission_id, Action.VERIFY)
    done = services.submission_verify(
        actor=request.user,
        submission=submission,
        expected_version=payload.version,
        fields=payload.fields,
        note=payload.note,
    )
    return _detail(request, selectors.access_submission(request.user, done.pk))


@router.post(
    "/collection/submissions/{submission_id}/return",
    response={200: SubmissionDetail, **errors(*AUTHED_POST, 404, 409)},
)
def submission_return(request: AuthedRequest, submission_id: int, payload: ReturnIn) -> dict[str, Any]:
    """Return to the collector with reasons per field; 409 on a stale version or a wrong state."""
    submission = selectors.access_submission(request.user, submission_id, Action.VERIFY)
    if len(payload.reasons) > MAX_REASONS:
        raise ValidationFailed(_("退回原因过多"), {"field": "reasons"})
    done = services.submission_return(
        actor=request.user, submission=submission, expected_version=payload.version, reasons=payload.reasons
    )
    return _detail(request, selectors.access_submission(request.user, done.pk))
