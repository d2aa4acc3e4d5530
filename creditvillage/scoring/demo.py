"""Demo step of the scoring engine: the shipped models are active (migration 0002); the demo
villages' flat indicator rows are computed so that rating runs and explanations read them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from creditvillage.core.scope import significant_prefix
from creditvillage.scoring.batch import ensure_defaults
from creditvillage.scoring.indicators import indicators_refresh

if TYPE_CHECKING:
    from creditvillage.demo.steps import DemoContext


def build(ctx: DemoContext) -> None:
    ensure_defaults()
    counties = sorted({significant_prefix(code)[:6] for code in ctx.archived_village_codes})
    refreshed = 0
    for county in counties:
        refreshed += indicators_refresh(county).households
    ctx.notes["scoring_indicator_rows"] = refreshed
