"""The built-in presets and the quote arithmetic (seed 001 Tianchang, seed 003 Shuangluan)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditvillage.lending.policies import PRESETS, Tier, quote, rate_cap

TIANCHANG_HOUSEHOLDS = {"A": (100_000, "4.8300"), "AA": (300_000, "4.4850"), "AAA": (500_000, "4.1400")}
TIANCHANG_LEGAL = {"A": 500_000, "AA": 1_000_000, "AAA": 2_000_000}


@pytest.mark.parametrize("grade", ["A", "AA", "AAA"])
def test_tianchang_households_at_base_345(grade: str) -> None:
    line, cap = TIANCHANG_HOUSEHOLDS[grade]
    got = quote(PRESETS["tianchang"], "household", grade, Decimal("3.45"))
    assert got.max_line_yuan == line
    assert got.max_rate_pct == Decimal(cap)


@pytest.mark.parametrize(("grade", "cap"), [("A", "6.0900"), ("AA", "5.6550"), ("AAA", "5.2200")])
def test_tianchang_caps_at_the_old_benchmark_435(grade: str, cap: str) -> None:
    # domain-reference §4.1: "上浮不超过X%" is base × (1 + X%), a percent of the base, not points.
    assert quote(PRESETS["tianchang"], "household", grade, Decimal("4.35")).max_rate_pct == Decimal(cap)


@pytest.mark.parametrize("kind", ["entity", "collective"])
@pytest.mark.parametrize("grade", ["A", "AA", "AAA"])
def test_tianchang_entities_and_collectives(kind: str, grade: str) -> None:
    got = quote(PRESETS["tianchang"], kind, grade, Decimal("3.45"))
    assert got.max_line_yuan == TIANCHANG_LEGAL[grade]
    assert got.max_rate_pct == Decimal(TIANCHANG_HOUSEHOLDS[grade][1])


@pytest.mark.parametrize("grade", ["B", "C", "D", "4A", ""])
def test_tianchang_lower_grades_get_no_line(grade: str) -> None:
    got = quote(PRESETS["tianchang"], "household", grade, Decimal("3.45"))
    assert (got.max_line_yuan, got.max_rate_pct) == (0, None)


@pytest.mark.parametrize(("grade", "line"), [("4A", 150_000), ("5A", 200_000)])
def test_shuangluan_fixed_rate_whatever_the_base(grade: str, line: int) -> None:
    for base in ("3.45", "4.35", "7.5"):
        got = quote(PRESETS["shuangluan"], "household", grade, Decimal(base))
        assert got.max_line_yuan == line
        assert got.max_rate_pct == Decimal("4.75")


@pytest.mark.parametrize("grade", ["1A", "2A", "3A"])
def test_shuangluan_lower_grades_get_no_line(grade: str) -> None:
    assert quote(PRESETS["shuangluan"], "household", grade, Decimal("3.45")).max_line_yuan == 0
    assert PRESETS["shuangluan"].ordinary_rate_pct == Decimal("7.5")


def test_shuangluan_covers_households_only() -> None:
    assert PRESETS["shuangluan"].subject_types == ["household"]
    assert quote(PRESETS["shuangluan"], "entity", "5A", Decimal("3.45")).max_line_yuan == 0


def test_rate_cap_rounds_half_up_to_four_places_in_decimal() -> None:
    # 3.333 × 1.3 = 4.3329; 3.3335 × 1.2 = 4.0002 exactly; never a float on the way.
    assert rate_cap(Tier(1, markup_pct=Decimal("30")), Decimal("3.333")) == Decimal("4.3329")
    assert rate_cap(Tier(1, markup_pct=Decimal("20")), Decimal("3.3335")) == Decimal("4.0002")
    assert rate_cap(Tier(1, markup_pct=Decimal("40")), Decimal("3.45")) == Decimal("4.83")
    assert isinstance(rate_cap(Tier(1, markup_pct=Decimal("40")), Decimal("3.45")), Decimal)
