from __future__ import annotations

from decimal import Decimal

import pytest

from creditvillage.civility import compute

D = Decimal


def rules(bonus_cap: str | None = "6") -> compute.VersionRules:
    items = {
        1: compute.ItemRule(1, "positive", 10, D("2"), False),
        2: compute.ItemRule(2, "positive", 11, D("1"), False),
        3: compute.ItemRule(3, "negative", 10, D("3"), False),
        4: compute.ItemRule(4, "negative", 11, D("1"), True),
        5: compute.ItemRule(5, "veto", None, D("0"), False),
        6: compute.ItemRule(6, "positive", 12, D("5"), False),
    }
    return compute.VersionRules(D("3"), D("0"), D(bonus_cap) if bonus_cap else None, (10, 11, 12), items)


def test_base_plus_and_minus() -> None:
    assert compute.evaluation_score(rules(), {}) == D("9.00")
    assert compute.evaluation_score(rules(), {1: 1}) == D("11.00")
    assert compute.evaluation_score(rules(), {1: 1, 2: 1, 3: 1}) == D("9.00")


def test_dimension_never_below_floor_and_per_case() -> None:
    # dimension 11: 3 − 1×5 cases → floored at 0 (not −2)
    assert compute.evaluation_score(rules(), {4: 5}) == D("6.00")
    assert compute.evaluation_score(rules(), {4: 2}) == D("7.00")
    # a count on an item not scored per case counts once
    assert compute.evaluation_score(rules(), {3: 4}) == D("6.00")


def test_bonus_cap_limits_total_and_veto_has_no_points() -> None:
    assert compute.evaluation_score(rules("6"), {1: 1, 2: 1, 6: 1}) == D("15.00")  # 9 + 8 capped at 9 + 6
    assert compute.evaluation_score(rules(None), {1: 1, 2: 1, 6: 1}) == D("17.00")
    assert compute.evaluation_score(rules(), {5: 1}) == D("9.00")


def test_trimmed_mean_three_and_four() -> None:
    assert compute.trimmed_mean([D(20), D(24), D(30)]) == D("24.67")  # 3: plain mean
    assert compute.trimmed_mean([D(20), D(24), D(26), D(30)]) == D("25.00")  # 4: drop 20 and 30
    assert compute.trimmed_mean([D(10), D(24), D(25), D(26), D(30)]) == D("25.00")
    assert compute.trimmed_mean([D("24.5")]) == D("24.50")
    with pytest.raises(ValueError, match="no scores"):
        compute.trimmed_mean([])


def test_deviations_flag_systematic_outlier_only() -> None:
    rows = []
    for household in range(6):
        rows += [(household, 1, D(24)), (household, 2, D(25)), (household, 3, D(24)), (household, 9, D(29))]
    result = compute.deviations(rows, threshold=D(2), min_households=5)
    assert result[9].flagged
    assert result[9].mean == D("5.00")
    assert result[9].households == 6
    assert not result[1].flagged
    assert result[1].mean == D("-1.00")
    assert not result[2].flagged
    assert result[2].mean == D("1.00")
    # the same outlier on too few households is not flagged
    few = compute.deviations(rows[:16], threshold=D(2), min_households=5)
    assert not few[9].flagged
    assert few[9].households == 4


def test_veto_needs_two_evaluators_with_basis() -> None:
    assert compute.veto_outcome([(5, 1, "法院名单")]) == (None, "")
    assert compute.veto_outcome([(5, 1, "法院名单"), (5, 2, "  ")]) == (None, "")
    assert compute.veto_outcome([(5, 1, "法院名单"), (6, 2, "法院名单")]) == (None, "")
    assert compute.veto_outcome([(5, 1, "法院名单"), (5, 2, "法院名单")]) == (5, "法院名单")
    assert compute.veto_outcome([(5, 1, "甲"), (5, 2, "乙")]) == (5, "甲；乙")
