"""Built-in credit policy presets (差异化授信) and the rate-cap arithmetic.

Data, not code: each preset maps (subject type, grade) to a maximum line in yuan and a rate rule.
A rate rule is either a **markup** — "利率上浮不超过基准利率 X%" read as ``rate ≤ base × (1 + X/100)``
(a percent *of* the base rate, not percentage points; domain-reference §4.1) — or a **fixed** rate
("年利率从 7.5% 下调至 4.75%"). Everything is ``Decimal``; money never passes through a float.
Grades a preset does not list get no line (B/C/D and the like).

* ``tianchang`` (seed 001): households A/AA/AAA 100,000/300,000/500,000 yuan, markup at most
  40%/30%/20%; entities and collectives A/AA/AAA 500,000/1,000,000/2,000,000 (the seed names no
  markup for them: the household markups are used, the bank may lower them in its product).
* ``shuangluan`` (seed 003): households 4A 150,000 and 5A 200,000 at 4.75% (down from the
  ordinary 7.5%); the seed covers farmers only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["PRESETS", "Preset", "Quote", "Tier", "quote", "rate_cap"]

HOUSEHOLD = "household"
ENTITY = "entity"
COLLECTIVE = "collective"
SUBJECT_TYPES = (HOUSEHOLD, ENTITY, COLLECTIVE)
RATE_PLACES = Decimal("0.0001")  # rates are kept to 4 decimal places of a percent


@dataclass(frozen=True)
class Tier:
    """One grade's terms: a maximum line (yuan) and either a markup over the base or a fixed rate."""

    max_line_yuan: int
    markup_pct: Decimal | None = None  # rate ≤ base × (1 + markup/100)
    fixed_rate_pct: Decimal | None = None  # rate ≤ this, whatever the base


@dataclass(frozen=True)
class Preset:
    code: str
    name: str
    source: str
    ordinary_rate_pct: Decimal | None  # the rate a subject without the grade pays, where the seed says
    tiers: dict[tuple[str, str], Tier]

    def grades(self, subject_type: str) -> list[str]:
        return [grade for (kind, grade) in self.tiers if kind == subject_type]

    @property
    def subject_types(self) -> list[str]:
        return [kind for kind in SUBJECT_TYPES if self.grades(kind)]


def _tianchang() -> dict[tuple[str, str], Tier]:
    households = {"A": (100_000, "40"), "AA": (300_000, "30"), "AAA": (500_000, "20")}
    legal = {"A": 500_000, "AA": 1_000_000, "AAA": 2_000_000}
    tiers = {(HOUSEHOLD, g): Tier(line, markup_pct=Decimal(m)) for g, (line, m) in households.items()}
    for kind in (ENTITY, COLLECTIVE):
        for grade, line in legal.items():
            tiers[(kind, grade)] = Tier(line, markup_pct=Decimal(households[grade][1]))
    return tiers


PRESETS: dict[str, Preset] = {
    "tianchang": Preset(
        code="tianchang",
        name="天长市差异化授信",
        source="seed 001: 对A、AA、AAA级信用户分别授予10万元、30万元、50万元，利率上浮不超过基准利率40%、30%、20%",
        ordinary_rate_pct=None,
        tiers=_tianchang(),
    ),
    "shuangluan": Preset(
        code="shuangluan",
        name="双滦区信用奖励",
        source="seed 003: 4A、5A农户贷款额度提高至15万元、20万元，年利率从7.5%下调至4.75%",
        ordinary_rate_pct=Decimal("7.5"),
        tiers={
            (HOUSEHOLD, "4A"): Tier(150_000, fixed_rate_pct=Decimal("4.75")),
            (HOUSEHOLD, "5A"): Tier(200_000, fixed_rate_pct=Decimal("4.75")),
        },
    ),
}


def rate_cap(tier: Tier, base_rate_pct: Decimal) -> Decimal:
    """The highest annual rate (percent) the tier allows at ``base_rate_pct``."""
    if tier.fixed_rate_pct is not None:
        return tier.fixed_rate_pct.quantize(RATE_PLACES)
    markup = tier.markup_pct if tier.markup_pct is not None else Decimal(0)
    return (base_rate_pct * (Decimal(100) + markup) / Decimal(100)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Quote:
    max_line_yuan: int
    max_rate_pct: Decimal | None  # None: no line, so no rate


def quote(preset: Preset, subject_type: str, grade: str, base_rate_pct: Decimal) -> Quote:
    """The line and rate cap a subject of ``grade`` gets under ``preset`` (no line: 0 and None)."""
    tier = preset.tiers.get((subject_type, grade))
    if tier is None or tier.max_line_yuan <= 0:
        return Quote(0, None)
    return Quote(tier.max_line_yuan, rate_cap(tier, base_rate_pct))
