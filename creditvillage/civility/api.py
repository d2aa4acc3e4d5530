from __future__ import annotations

from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema

from creditvillage.accounts.http import AuthedRequest
from creditvillage.civility import selectors
from creditvillage.core.api import AUTHED_GET, errors

router = Router(tags=["civility"])


class RoundFilters(Schema):
    region: str | None = Field(None, max_length=12, pattern=r"^\d{2,12}$", description="区划代码（2/4/6/9/12 位）")
    year: int | None = Field(None, ge=2000, le=2100)


class RoundItem(Schema):
    id: int
    region_code: str
    region_name: str
    year: int
    scheme: str
    scheme_version: int
    procedure: str
    status: str
    closed_at: str | None


class RoundResult(Schema):
    household_id: int
    household_number: str
    head_name: str
    score: Decimal
    evaluators: int
    vetoed: bool
    veto_basis: str


class RoundResults(Schema):
    round: RoundItem
    items: list[RoundResult]


def _item(round_: Any) -> dict[str, Any]:
    return {
        "id": round_.pk,
        "region_code": round_.region_id,
        "region_name": round_.region.name,
        "year": round_.year,
        "scheme": round_.scheme_version.scheme.name,
        "scheme_version": round_.scheme_version.number,
        "procedure": round_.procedure,
        "status": round_.status,
        "closed_at": round_.closed_at.isoformat() if round_.closed_at else None,
    }


@router.get("/civility/rounds", response={200: list[RoundItem], **errors(*AUTHED_GET, 404)})
def round_list(request: AuthedRequest, filters: Query[RoundFilters]) -> list[dict[str, Any]]:
    """Civility rounds (乡风文明评议轮次) in the caller's scope, optionally under ``region`` and of ``year``."""
    rounds = selectors.round_list(actor=request.user, region=filters.region, year=filters.year)
    return [_item(r) for r in rounds]


@router.get("/civility/rounds/{round_id}/results", response={200: RoundResults, **errors(*AUTHED_GET, 404)})
def round_results(request: AuthedRequest, round_id: int) -> dict[str, Any]:
    """A round's per-household results (trimmed mean, evaluators, veto and basis); empty until it closes."""
    round_ = selectors.access_round(request.user, round_id)
    return {"round": _item(round_), "items": selectors.round_results(request.user, round_)}
