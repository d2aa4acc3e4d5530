"""The kernel: exact points, bins on both sides of every edge, every shipped grade scheme's
thresholds on both sides, vetoes, explanations that add up, next-grade paths, and one subject
scored exactly like a batch (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditvillage.scoring import defaults, engine

WORKED = {  # domain-reference.md §1.3 worked example (2 workers: the example's 3 points)
    "head_age": 45,
    "head_education": "senior",
    "workers": 2,
    "residence_years": 20,
    "net_income_wan": 12,
    "net_assets_wan": 60,
    "debt_ratio_pct": 35,
    "income_stability": "stable",
    "land_mu": 30,
    "insured": 1,
    "loan_record": "good",
    "fee_record": "on_time",
    "bank_account": 1,
    "civility_score": 26,
}


def household(scheme: str = "tianchang") -> engine.CompiledModel:
    spec = defaults.spec(defaults.HOUSEHOLD)
    spec["scheme"] = defaults.scheme_spec(scheme)
    return engine.compile_spec(spec)


def test_worked_example_scores_87_aa_under_s1_and_aaa_under_bachu() -> None:
    s1 = engine.evaluate_one(household(), WORKED)
    assert (s1["score"], s1["grade"], s1["credit_subject"], s1["vetoed"]) == (87.0, "AA", True, False)
    assert [b["points"] for b in s1["blocks"]] == [13.0, 19.0, 9.0, 20.0, 26.0]
    s2 = engine.evaluate_one(household("bachu"), WORKED)
    assert (s2["score"], s2["grade"]) == (87.0, "AAA")


def test_three_workers_score_four_points_by_the_rule_table() -> None:
    result = engine.evaluate_one(household(), {**WORKED, "workers": 3})
    assert next(r for r in result["breakdown"] if r["indicator"] == "workers")["points"] == 4.0
    assert result["score"] == 88.0


@pytest.mark.parametrize(
    ("field", "value", "points"),
    [
        ("net_income_wan", 20, 10),  # [20, ∞) includes 20
        ("net_income_wan", 19.99, 8),
        ("net_income_wan", 3, 4),
        ("net_income_wan", 2.99, 2),
        ("debt_ratio_pct", 30, 7),  # (−∞, 30] includes 30
        ("debt_ratio_pct", 30.01, 5),
        ("debt_ratio_pct", 70, 2),
        ("debt_ratio_pct", 70.01, 0),
        ("head_age", 25, 5),
        ("head_age", 24, 3),
        ("head_age", 55, 5),
        ("head_age", 56, 3),
        ("head_age", 65, 3),
        ("head_age", 66, 1),
        ("head_age", None, 0),
        ("residence_years", None, 3),  # missing_points
        ("civility_score", 31.5, 30),  # linear, capped
        ("civility_score", None, 24),
        ("head_education", "bachelor", 3),
        ("head_education", "doctor", 0),  # unknown category → missing points
    ],
)
def test_indicator_bins_on_both_sides_of_each_edge(field: str, value: Any, points: float) -> None:
    cm = household()
    result = engine.evaluate_one(cm, {**WORKED, field: value})
    code = next(i.code for i in cm.indicators if i.source_field == field)
    assert next(r for r in result["breakdown"] if r["indicator"] == code)["points"] == points


def single_indicator_model(scheme: str) -> engine.CompiledModel:
    return engine.compile_spec(
        {
            "model": "T",
            "version": 1,
            "combine": "sum",
            "blocks": [
                {
                    "code": "b",
                    "cap": 100,
                    "indicators": [
                        {"code": "x", "source_field": "x", "kind": "linear", "cap": 100, "scale": 1},
                    ],
                }
            ],
            "vetoes": [{"code": "v", "source_field": "veto_npl"}],
            "scheme": defaults.scheme_spec(scheme),
        }
    )


SCHEME_CASES = [
    (code, grade, Decimal(str(min_score)), grades[i + 1][0], credit, grades[i + 1][2])
    for code, _name, _veto, grades, _d in defaults.SCHEMES
    for i, (grade, min_score, credit) in enumerate(grades)
    if min_score is not None
]


@pytest.mark.parametrize(("scheme", "grade", "threshold", "below", "credit", "below_credit"), SCHEME_CASES)
def test_every_shipped_scheme_threshold_on_both_sides(
    scheme: str, grade: str, threshold: Decimal, below: str, credit: bool, below_credit: bool
) -> None:
    cm = single_indicator_model(scheme)
    at = engine.evaluate_one(cm, {"x": threshold})
    under = engine.evaluate_one(cm, {"x": threshold - Decimal("0.01")})
    assert (at["grade"], at["credit_subject"]) == (grade, credit)
    assert (under["grade"], under["credit_subject"]) == (below, below_credit)


@pytest.mark.parametrize("scheme", [s[0] for s in defaults.SCHEMES])
def test_a_veto_sends_the_top_score_to_the_veto_grade(scheme: str) -> None:
    cm = single_indicator_model(scheme)
    result = engine.evaluate_one(cm, {"x": 100, "v": True})
    veto_grade = next(s[2] for s in defaults.SCHEMES if s[0] == scheme)
    assert (result["grade"], result["credit_subject"], result["vetoed"]) == (veto_grade, False, True)
    assert result["vetoes"][0]["code"] == "v"
    assert result["next_grade"] == {
        "grade": None,
        "reachable": False,
        "reason": "vetoed",
        "vetoes": ["v"],
        "changes": [],
    }


def test_blocks_add_up_to_the_score_and_indicators_to_their_block() -> None:
    cm = household()
    rich = {**WORKED, "workers": 5, "head_education": "college", "civility_score": 40}
    result = engine.evaluate_one(cm, rich)
    assert sum(b["points"] for b in result["blocks"]) == result["score"]
    for block in result["blocks"]:
        raw = sum(r["points"] for r in result["breakdown"] if r["block"] == block["block"])
        assert raw == block["raw"]
        assert block["points"] == min(block["raw"], block["cap"])
    basics = result["blocks"][0]
    assert (basics["raw"], basics["points"]) == (15.0, 15.0)


def test_next_grade_path_lifts_the_grade_when_applied() -> None:
    cm = household()
    low = {**WORKED, "civility_score": 10, "loan_record": "none", "net_income_wan": 4}
    result = engine.evaluate_one(cm, low)
    assert result["grade"] == "B"
    path = result["next_grade"]
    assert path["grade"] == "A"
    assert path["reachable"]
    changed = dict(low)
    for change in path["changes"]:
        ind = next(i for i in cm.indicators if i.code == change["indicator"])
        changed[ind.source_field] = change["to"]
    after = engine.evaluate_one(cm, changed)
    assert after["grade"] == "A"
    assert after["score"] - result["score"] == pytest.approx(sum(c["points_gained"] for c in path["changes"]))


def test_top_grade_has_no_next_grade() -> None:
    cm = single_indicator_model("tianchang")
    assert engine.evaluate_one(cm, {"x": 95})["next_grade"] is None


def test_village_criteria_model_takes_the_lowest_criterion() -> None:
    cm = engine.compile_spec(defaults.spec(defaults.VILLAGE))
    base = {
        "coverage_pct": 95,
        "civility_done_pct": 100,
        "credit_share_pct": 85,
        "npl_ratio_pct": 0.5,
        "collective_grade": "AA",
    }
    assert engine.evaluate_one(cm, base)["grade"] == "AAA"
    assert engine.evaluate_one(cm, {**base, "npl_ratio_pct": 2})["grade"] == "AA"
    assert engine.evaluate_one(cm, {**base, "collective_grade": "B"})["grade"] == "A"  # any collective grade for A
    assert engine.evaluate_one(cm, {**base, "collective_grade": "A", "credit_share_pct": 79.9})["grade"] == "AA"
    assert engine.evaluate_one(cm, {**base, "coverage_pct": 89})["grade"] == "不达标"
    assert engine.evaluate_one(cm, {**base, "veto_discipline": True})["grade"] == "不予评定"


def test_strict_evaluation_names_unknown_indicators_and_categories() -> None:
    from creditvillage.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        engine.evaluate_one(household(), {"head_agee": 3, "head_education": "phd", "workers": "many"}, strict=True)
    assert caught.value.details["indicators"] == {
        "head_agee": "unknown_indicator",
        "head_education": "unknown_category",
        "workers": "not_a_number",
    }


# ------------------------------------------------------------------------------------------
# Single vs batch: identical on random models and random archives
# ------------------------------------------------------------------------------------------

points_st = st.integers(min_value=-500, max_value=3000).map(lambda c: Decimal(c) / 100)


@st.composite
def random_model(draw: Any) -> dict[str, Any]:
    blocks = []
    k = 0
    for b in range(draw(st.integers(1, 4))):
        indicators = []
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(st.sampled_from(["bins", "categories", "linear"]))
            ind: dict[str, Any] = {"code": f"i{k}", "source_field": f"f{k}", "kind": kind}
            if kind == "bins":
                edges = sorted(set(draw(st.lists(st.integers(-50, 150), min_size=0, max_size=5))))
                ind["bins"] = [{"upper": e, "points": draw(points_st)} for e in edges] + [
                    {"upper": None, "points": draw(points_st)}
                ]
                ind["closed"] = draw(st.sampled_from(["left", "right"]))
            elif kind == "categories":
                n = draw(st.integers(1, 4))
                ind["categories"] = {f"c{j}": draw(points_st) for j in range(n)}
            else:
                ind["scale"] = draw(st.sampled_from([0.5, 1, 2, 0.3]))
                ind["cap"] = draw(st.integers(0, 40))
            if kind != "linear" and draw(st.booleans()):
                ind["cap"] = draw(st.integers(0, 30))
            ind["missing_points"] = draw(points_st)
            indicators.append(ind)
            k += 1
        cap = draw(st.integers(1, 60))
        blocks.append({"code": f"b{b}", "cap": cap, "floor": draw(st.integers(0, cap)), "indicators": indicators})
    mins = sorted(set(draw(st.lists(st.integers(-20, 150), min_size=1, max_size=5))), reverse=True)
    grades = [{"code": f"G{i}", "min_score": m, "credit_subject": draw(st.booleans())} for i, m in enumerate(mins)]
    grades.append({"code": "LOW", "min_score": None, "credit_subject": False})
    return {
        "model": "R",
        "version": 1,
        "combine": draw(st.sampled_from(["sum", "min"])),
        "blocks": blocks,
        "vetoes": [{"code": "v1", "source_field": "veto_npl"}, {"code": "v2", "source_field": "veto_civility"}],
        "scheme": {"code": "r", "veto_grade": "VETO", "grades": grades},
    }


value_st = st.one_of(
    st.none(),
    st.integers(-60, 160),
    st.floats(-60, 160, allow_nan=False).map(lambda f: round(f, 2)),
    st.sampled_from(["c0", "c1", "c2", "c3", "zz", ""]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=random_model(), data=st.data())
def test_one_subject_is_scored_exactly_as_in_the_batch(spec: dict[str, Any], data: Any) -> None:
    cm = engine.compile_spec(spec)
    n = data.draw(st.integers(1, 12))
    rows = []
    for _ in range(n):
        row: dict[str, Any] = {}
        for ind in cm.indicators:
            value = data.draw(value_st)
            if ind.kind != "categories" and isinstance(value, str):
                value = None
            row[ind.source_field] = value
        row["veto_npl"] = data.draw(st.booleans().map(lambda b: b and data.draw(st.integers(0, 4)) == 0))
        row["veto_civility"] = False
        rows.append(row)
    columns, vetoes = engine.columns_from_rows(cm, rows)
    batch = engine.kernel(cm, columns, vetoes)
    lean = engine.score_columns(cm, columns, vetoes)
    assert np.array_equal(lean[0], batch.total)
    assert np.array_equal(lean[1], batch.grade)
    assert np.array_equal(lean[2], batch.credit)
    assert np.array_equal(lean[3], batch.vetoed)
    for i, row in enumerate(rows):
        one = engine.evaluate_one(cm, row)
        assert one["score"] == round(int(batch.total[i]) / 100, 2)
        assert one["grade"] == cm.grades[int(batch.grade[i])]
        assert one["credit_subject"] == bool(batch.credit[i])
        assert one["vetoed"] == bool(batch.vetoed[i])
        assert [r["points"] for r in one["breakdown"]] == [round(int(p) / 100, 2) for p in batch.points[i]]
        if cm.combine == "sum":
            assert round(sum(Decimal(str(b["points"])) for b in one["blocks"]), 2) == Decimal(str(one["score"]))


def test_the_blocked_kernel_equals_one_pass_over_many_rows() -> None:
    cm = household()
    rng = np.random.default_rng(3)
    n = engine.BLOCK_ROWS * 2 + 17
    columns: dict[str, np.ndarray] = {}
    for ind in cm.indicators:
        if ind.kind == "categories":
            columns[ind.code] = rng.integers(0, len(ind.categories) + 1, n)
        else:
            values = rng.uniform(-5, 120, n)
            values[rng.random(n) < 0.05] = np.nan
            columns[ind.code] = values
    vetoes = {"negative_list": rng.random(n) < 0.01}
    whole = engine._kernel(cm, columns, vetoes)
    blocked = engine.kernel(cm, columns, vetoes)
    lean = engine.score_columns(cm, columns, vetoes)
    for name in ("points", "blocks", "total", "vetoed", "grade", "credit"):
        assert np.array_equal(getattr(whole, name), getattr(blocked, name)), name
    assert np.array_equal(lean[0], whole.total)
    assert np.array_equal(lean[1], whole.grade)
