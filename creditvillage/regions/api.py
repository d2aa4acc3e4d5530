from __future__ import annotations

from ninja import Router, Schema

from creditvillage.accounts.http import AuthedRequest
from creditvillage.core.api import AUTHED_GET, errors
from creditvillage.regions import selectors

router = Router(tags=["regions"])


class RegionChildOut(Schema):
    code: str
    name: str
    level: str


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None
    is_illustrative: bool
    children: list[RegionChildOut]


@router.get("/regions/{code}", response={200: RegionOut, **errors(*AUTHED_GET, 404)})
def region_detail(request: AuthedRequest, code: str) -> dict[str, object]:
    """A region and its visible children; 404 when missing or outside the caller's scope."""
    region = selectors.access_region(request.user, code)
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent_code": region.parent_id,
        "is_illustrative": region.is_illustrative,
        "children": [
            {"code": c.code, "name": c.name, "level": c.level} for c in selectors.region_children(request.user, region)
        ],
    }
