"""API of credit village / township rating (thin: parse, call, shape)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from creditvillage.accounts.http import AuthedRequest
from creditvillage.core.api import AUTHED_GET, AUTHED_POST, NO_CONTROL_CHARS, errors
from creditvillage.rating.villages import selectors, services
from creditvillage.rating.villages.models import CreditRegionApplication
from creditvillage.regions.selectors import access_region

router = Router(tags=["villages"])


class CriterionOut(Schema):
    label: str
    figure: str | None
    required: str
    passed: bool | None


class ApplicationOut(Schema):
    id: int
    region_code: str
    region_name: str
    level: str
    year: int
    requested_grade: str
    status: str
    assessed_grade: str
    granted_grade: str
    figures: dict[str, Any]
    criteria: dict[str, list[CriterionOut]]
    applied_at: dt.datetime
    review_opinion: str
    publicity_starts: dt.date | None
    publicity_ends: dt.date | None
    approval_opinion: str


def _application(a: CreditRegionApplication) -> dict[str, Any]:
    sheet = selectors.application_review_sheet(a)
    return {
        "id": a.pk,
        "region_code": a.region_id,
        "region_name": a.region.name,
        "level": a.level,
        "year": a.year,
        "requested_grade": a.requested_grade,
        "status": a.status,
        "assessed_grade": a.assessed_grade,
        "granted_grade": a.granted_grade,
        "figures": a.figures,
        "criteria": {
            grade: [{**row, "label": str(row["label"])} for row in rows] for grade, rows in sheet["grades"].items()
        },
        "applied_at": a.applied_at,
        "review_opinion": a.review_opinion,
        "publicity_starts": a.publicity_starts,
        "publicity_ends": a.publicity_ends,
        "approval_opinion": a.approval_opinion,
    }


class ApplicationFilters(Schema):
    status: Literal["", "submitted", "publicity", "approved", "rejected"] = ""
    year: int | None = Field(None, ge=2000, le=2100)


@router.get("/credit-applications", response={200: list[ApplicationOut], **errors(*AUTHED_GET)})
def application_list(request: AuthedRequest, filters: Query[ApplicationFilters]) -> list[dict[str, Any]]:
    """Credit village/township applications of regions in the caller's scope, newest 200."""
    queryset = selectors.application_list(actor=request.user, status=filters.status, year=filters.year)
    return [_application(a) for a in queryset[:200]]


@router.get("/credit-applications/{application_id}", response={200: ApplicationOut, **errors(*AUTHED_GET, 404)})
def application_detail(request: AuthedRequest, application_id: int) -> dict[str, Any]:
    """One application with the system's figures beside each criterion; 404 when missing or out of scope."""
    return _application(selectors.access_application(request.user, application_id))


class ApplicationIn(Schema):
    region: str = Field(..., min_length=9, max_length=12, pattern=r"^\d{9}(\d{3})?$")
    year: int = Field(..., ge=2000, le=2100)
    requested_grade: str = Field(..., max_length=8, pattern=r"^[A-Za-z0-9]+$")
    statement: str = Field("", max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
    no_discipline_declared: bool = False


@router.post("/credit-applications", response={201: ApplicationOut, **errors(*AUTHED_POST, 404)})
def application_create(request: AuthedRequest, payload: ApplicationIn) -> Status:
    """A village (township) applies to be named a credit village (township)."""
    region = access_region(request.user, payload.region)
    application = services.credit_application_submit(
        actor=request.user,
        region=region,
        year=payload.year,
        requested_grade=payload.requested_grade,
        statement=payload.statement,
        no_discipline_declared=payload.no_discipline_declared,
    )
    return Status(201, _application(application))


class DecisionIn(Schema):
    approve: bool
    opinion: str = Field(..., min_length=1, max_length=500, pattern=NO_CONTROL_CHARS)


@router.post(
    "/credit-applications/{application_id}/review", response={200: ApplicationOut, **errors(*AUTHED_POST, 404, 409)}
)
def application_review(request: AuthedRequest, application_id: int, payload: DecisionIn) -> dict[str, Any]:
    """The level above reviews against the criteria; passing starts the publicity."""
    application = selectors.access_application(request.user, application_id)
    return _application(
        services.credit_application_review(
            actor=request.user, application=application, approve=payload.approve, opinion=payload.opinion
        )
    )


@router.post(
    "/credit-applications/{application_id}/approval", response={200: ApplicationOut, **errors(*AUTHED_POST, 404, 409)}
)
def application_approval(request: AuthedRequest, application_id: int, payload: DecisionIn) -> dict[str, Any]:
    """County or city approval after the publicity (a different person from the reviewer)."""
    application = selectors.access_application(request.user, application_id)
    return _application(
        services.credit_application_approve(
            actor=request.user, application=application, approve=payload.approve, opinion=payload.opinion
        )
    )
