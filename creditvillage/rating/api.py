from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Query, Router, Schema

from creditvillage.accounts.http import AuthedRequest
from creditvillage.core.api import AUTHED_GET, errors
from creditvillage.rating import selectors

router = Router(tags=["rating"])

PAGE_SIZE = 100
MAX_PAGE = 100_000
REGION = Field(None, max_length=12, pattern=r"^\d{2,12}$", description="区划代码（2/4/6/9/12 位）")


class NoticeFilters(Schema):
    region: str | None = REGION


class NoticeItem(Schema):
    id: int
    village_code: str
    kind: str
    version: int
    starts_at: str
    ends_at: str
    public_url: str


class NoticeList(Schema):
    items: list[NoticeItem]


@router.get("/notices", response={200: NoticeList, **errors(*AUTHED_GET, 404)})
def notice_list(request: AuthedRequest, filters: Query[NoticeFilters]) -> dict[str, Any]:
    """Public notices (公示) open now in the caller's scope; ``public_url`` is the printable public page
    (a signed link that expires with the notice)."""
    notices = selectors.notice_list(request.user, filters.region)
    return {
        "items": [
            {
                "id": n.pk,
                "village_code": n.region_id,
                "kind": n.kind,
                "version": n.version,
                "starts_at": n.starts_at.isoformat(),
                "ends_at": n.ends_at.isoformat(),
                "public_url": request.build_absolute_uri(selectors.notice_public_path(n)),
            }
            for n in notices
        ]
    }


class RatingFilters(Schema):
    region: str | None = REGION
    status: Literal["", "preliminary", "final"] = ""
    page: int = Field(1, ge=1, le=MAX_PAGE)


class RatingItem(Schema):
    subject_id: int
    subject_type: str
    region_code: str
    grade: str
    score: float
    status: str
    version: int
    model_version: str


class RatingPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RatingItem]


@router.get("/ratings", response={200: RatingPage, **errors(*AUTHED_GET, 404)})
def rating_list(request: AuthedRequest, filters: Query[RatingFilters]) -> dict[str, Any]:
    """Ratings in the caller's scope (preliminary includes those under objection; a bank officer sees
    consented households only, and never a rating under objection), 100 a page."""
    queryset = selectors.rating_list(request.user, region=filters.region, status=filters.status)
    start = (filters.page - 1) * PAGE_SIZE
    rows = queryset[start : start + PAGE_SIZE]
    return {
        "count": queryset.count(),
        "page": filters.page,
        "page_size": PAGE_SIZE,
        "items": [
            {
                "subject_id": r.subject_id,
                "subject_type": r.subject_type,
                "region_code": r.region_code,
                "grade": r.grade,
                "score": float(r.score),
                "status": r.status,
                "version": r.version,
                "model_version": f"{r.model_code}@{r.model_version}",
            }
            for r in rows
        ],
    }
