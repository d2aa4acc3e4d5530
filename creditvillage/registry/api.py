from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Query, Router, Schema

from creditvillage.accounts.http import AuthedRequest
from creditvillage.core import identifiers
from creditvillage.core.api import AUTHED_GET, AUTHED_POST, NO_CONTROL_CHARS, errors
from creditvillage.regions.models import Region
from creditvillage.registry import selectors

router = Router(tags=["registry"])

PAGE_SIZE = 50
MAX_PAGE = 100_000


class HouseholdFilters(Schema):
    region: str | None = Field(None, max_length=12, pattern=r"^\d{2,12}$", description="区划代码（2/4/6/9/12 位）")
    page: int = Field(1, ge=1, le=MAX_PAGE)
    q: str = Field("", max_length=64, pattern=NO_CONTROL_CHARS, description="户主姓名、户编号（有权限者可用身份证号）")
    grade: str = Field("", max_length=8, pattern=r"^[A-Za-z0-9]*$")
    status: Literal["", "collecting", "archived", "verified"] = ""


class HouseholdItem(Schema):
    id: int
    number: str
    region_code: str
    region_name: str
    head_name: str
    member_count: int
    phone: str
    status: str
    grade: str


class HouseholdPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HouseholdItem]


@router.get("/households", response={200: HouseholdPage, **errors(*AUTHED_GET, 404)})
def household_list(request: AuthedRequest, filters: Query[HouseholdFilters]) -> dict[str, Any]:
    """Households in the caller's scope (optionally under ``region``), 50 a page, masked per role."""
    queryset = selectors.household_list(
        actor=request.user,
        region=filters.region,
        search=filters.q,
        grade=filters.grade,
        status=filters.status,
    )
    start = (filters.page - 1) * PAGE_SIZE
    rows = selectors.household_rows(actor=request.user, households=list(queryset[start : start + PAGE_SIZE]))
    return {
        "count": queryset.count(),
        "page": filters.page,
        "page_size": PAGE_SIZE,
        "items": [
            {
                "id": row["household"].pk,
                "number": row["household"].number,
                "region_code": row["household"].region_id,
                "region_name": row["household"].region.name,
                "head_name": row["household"].head_name,
                "member_count": row["household"].member_count,
                "phone": row["phone"],
                "status": row["household"].status,
                "grade": row["household"].grade,
            }
            for row in rows
        ],
    }


@router.get("/households/{household_id}", response={200: dict[str, Any], **errors(*AUTHED_GET, 404)})
def household_detail(request: AuthedRequest, household_id: int) -> dict[str, Any]:
    """A household's archive (一户一档); 404 when missing or outside the caller's scope."""
    return selectors.household_archive(request.user, household_id)


class IdentifierIn(Schema):
    kind: Literal["resident_id", "uscc", "mobile", "division_code"]
    value: str = Field(..., max_length=256)


class IdentifierErrorOut(Schema):
    code: str
    message: str


class IdentifierOut(Schema):
    valid: bool
    normalized: str
    errors: list[IdentifierErrorOut]
    details: dict[str, Any]


@router.post("/identifiers/validate", response={200: IdentifierOut, **errors(*AUTHED_POST)})
def identifier_validate(request: AuthedRequest, payload: IdentifierIn) -> dict[str, Any]:
    """Validate a resident ID, USCC, mobile number or division code, with decoded details."""
    result = identifiers.validate(payload.kind, payload.value)
    details = dict(result.details)
    if payload.kind == "division_code" and result.valid:
        region = Region.objects.filter(pk=result.normalized).only("name").first()
        details["region_name"] = region.name if region else None
    return {
        "valid": result.valid,
        "normalized": result.normalized,
        "errors": [{"code": e.code, "message": str(e.message)} for e in result.errors],
        "details": details,
    }
