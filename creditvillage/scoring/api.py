from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema

from creditvillage.accounts.http import AuthedRequest
from creditvillage.core.api import AUTHED_GET, AUTHED_POST, errors
from creditvillage.scoring import selectors

router = Router(tags=["scoring"])


class EvaluateIn(Schema):
    model: str = Field(..., max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="模型代码，如 HH-DEFAULT")
    indicators: dict[str, Any] = Field(
        default_factory=dict, description="指标取值：键为指标代码或来源字段，否决项为 true/false"
    )


class BreakdownOut(Schema):
    indicator: str
    name: str
    block: str
    value: Any
    points: float


class BlockOut(Schema):
    block: str
    name: str
    cap: float
    raw: float
    points: float


class VetoOut(Schema):
    code: str
    name: str
    basis: str


class EvaluateOut(Schema):
    model: str
    model_version: int
    score: float
    grade: str
    credit_subject: bool
    vetoed: bool
    vetoes: list[VetoOut]
    breakdown: list[BreakdownOut]
    blocks: list[BlockOut]
    next_grade: dict[str, Any] | None


@router.post("/scoring/evaluate", response={200: EvaluateOut, **errors(*AUTHED_POST, 404)})
def evaluate(request: AuthedRequest, payload: EvaluateIn) -> dict[str, Any]:
    """Score one set of indicator values with the model's active version: points per indicator and
    block, vetoes, grade, and the cheapest changes that would lift the grade (operators and up)."""
    return selectors.evaluate(request.user, model_code=payload.model, indicators=payload.indicators)


class ModelsOut(Schema):
    items: list[dict[str, Any]]


@router.get("/scoring/models", response={200: ModelsOut, **errors(*AUTHED_GET, 403)})
def models(request: AuthedRequest) -> dict[str, Any]:
    """The scoring models with their codes, versions, indicators and grade schemes (operators and up)."""
    return {"items": selectors.models_payload(request.user)}
