"""Model validation (joint modelling with banks): do grades mean something?

Per rating cycle (year) and region: the default rate by grade, the KS statistic and the AUC of the score
against defaults (a default is a loan defaulted or more than 90 days overdue), and the PSI of the
score distribution against the previous cycle of the same region. numpy, vectorised: a county of
111,000 households is a few arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db.models import Q
from django.utils.translation import gettext as _

from creditvillage.accounts.roles import Action
from creditvillage.core.errors import NotFound
from creditvillage.core.scope import Actor, code_range, significant_prefix
from creditvillage.lending.models import Loan, LoanStatus
from creditvillage.rating.models import Rating, RatingStatus
from creditvillage.regions.selectors import access_region

PSI_EPSILON = 1e-4
DEFAULT_DAYS = 90


def _scores(actor: Actor | None, year: int, lo: str, hi: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(subject ids, scores, grades) of the cycle's household ratings the actor may count."""
    rows = (
        Rating.objects.visible_to(actor, Action.VIEW_STATS)
        .filter(
            cycle__year=year,
            subject_type="household",
            region_code__gte=lo,
            region_code__lte=hi,
            status__in=(RatingStatus.FINAL, RatingStatus.SUPERSEDED),
        )
        .order_by("subject_id", "version", "pk")
        .values_list("subject_id", "score", "grade")
    )
    latest: dict[int, tuple[float, str]] = {}
    for sid, score, grade in rows.iterator(chunk_size=20_000):
        if sid not in latest:  # the cycle's first final rating: what the bank lent on
            latest[sid] = (float(score), grade)
    ids = np.fromiter(latest.keys(), dtype=np.int64, count=len(latest))
    scores = np.fromiter((v[0] for v in latest.values()), dtype=np.float64, count=len(latest))
    return ids, scores, [v[1] for v in latest.values()]


def _defaulted(actor: Actor | None, lo: str, hi: str) -> np.ndarray:
    ids = (
        Loan.objects.visible_to(actor, Action.VIEW_STATS)
        .filter(region_code__gte=lo, region_code__lte=hi)
        .filter(Q(status=LoanStatus.DEFAULTED) | Q(overdue_days__gt=DEFAULT_DAYS))
        .values_list("household_id", flat=True)
        .distinct()
    )
    return np.fromiter(ids, dtype=np.int64)


def ks_auc(scores: np.ndarray, bad: np.ndarray) -> tuple[float | None, float | None]:
    """KS and AUC of ``scores`` (higher = better) separating good from bad; None without both classes."""
    n_bad = int(bad.sum())
    n_good = int(bad.size - n_bad)
    if n_bad == 0 or n_good == 0:
        return None, None
    order = np.argsort(scores, kind="mergesort")
    s, b = scores[order], bad[order]
    # KS over distinct score values: the largest gap of the cumulative shares.
    last = np.r_[s[1:] != s[:-1], True]
    cum_bad = np.cumsum(b)[last] / n_bad
    cum_good = np.cumsum(~b)[last] / n_good
    ks = float(np.max(np.abs(cum_bad - cum_good)))
    # AUC (Mann-Whitney with average ranks for ties): P(good scores above bad).
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    avg_rank = (ends - (counts - 1) / 2.0)[inverse]
    rank_sum_good = float(avg_rank[~b].sum())
    auc = (rank_sum_good - n_good * (n_good + 1) / 2.0) / (n_good * n_bad)
    return round(ks, 4), round(auc, 4)


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float | None:
    """Population stability index of ``actual`` against ``expected``, deciles of ``expected``."""
    if expected.size == 0 or actual.size == 0:
        return None
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    if edges.size < 2:
        edges = np.array([expected.min() - 0.5, expected.max() + 0.5])
    inner = edges[1:-1]
    e = np.bincount(np.searchsorted(inner, expected, side="right"), minlength=inner.size + 1) / expected.size
    a = np.bincount(np.searchsorted(inner, actual, side="right"), minlength=inner.size + 1) / actual.size
    e, a = np.clip(e, PSI_EPSILON, None), np.clip(a, PSI_EPSILON, None)
    return round(float(np.sum((a - e) * np.log(a / e))), 4)


def _years(lo: str, hi: str) -> list[int]:
    return sorted(
        set(
            Rating.objects.filter(region_code__gte=lo, region_code__lte=hi, cycle__isnull=False)
            .exclude(cycle__status="cancelled")
            .values_list("cycle__year", flat=True)
            .distinct()
        )
    )


def cycle_years(*, actor: Actor | None, region: str) -> list[int]:
    """The years with a rating cycle under ``region`` (NotFound out of scope, like a missing region)."""
    scope = access_region(actor, region)
    return _years(*code_range(significant_prefix(scope.code)))


def validation_report(*, actor: Actor | None, region: str, year: int | None = None) -> dict[str, Any]:
    """The report for the rating cycle of ``year`` (default: the latest with ratings) under ``region``.

    A cycle is a township's; a region above townships takes that year's cycles of all of them.
    """
    scope = access_region(actor, region)
    lo, hi = code_range(significant_prefix(scope.code))
    years = _years(lo, hi)
    if year is None and years:
        year = years[-1]
    if year is None or year not in years:
        raise NotFound()
    ids, scores, grades = _scores(actor, year, lo, hi)
    bad = np.isin(ids, _defaulted(actor, lo, hi))
    grade_arr = np.array(grades, dtype=object)
    by_grade: dict[str, dict[str, Any]] = {}
    for grade in sorted(set(grades)):
        mask = grade_arr == grade
        n = int(mask.sum())
        d = int((bad & mask).sum())
        by_grade[grade] = {
            "subjects": n,
            "defaults": d,
            "default_rate": round(d / n, 4) if n else None,
            "mean_score": round(float(scores[mask].mean()), 2) if n else None,
        }
    ks, auc = ks_auc(scores, bad)
    earlier = [y for y in years if y < year]
    previous_psi = None
    if earlier:
        _, prev_scores, _ = _scores(actor, earlier[-1], lo, hi)
        previous_psi = psi(prev_scores, scores)
    return {
        "region_code": scope.code,
        "year": year,
        "previous_year": earlier[-1] if earlier else None,
        "subjects": int(ids.size),
        "defaults": int(bad.sum()),
        "default_rate": round(float(bad.mean()), 4) if ids.size else None,
        "by_grade": by_grade,
        "ks": ks,
        "auc": auc,
        "psi": previous_psi,
        "years": years,
    }


# Thresholds of the usual reading (credit scoring practice): PSI < 0.1 stable, < 0.25 some shift;
# KS ≥ 0.4 strong, ≥ 0.2 usable; AUC ≥ 0.75 good, ≥ 0.6 usable (0.5 is a coin toss).
MIN_DEFAULTS = 10


def readings(report: dict[str, Any]) -> dict[str, str]:
    """One line of plain Chinese per figure of ``validation_report`` (what the number means)."""
    out: dict[str, str] = {}
    ks, auc, psi_value = report.get("ks"), report.get("auc"), report.get("psi")
    if ks is None:
        out["ks"] = _("需要同时有违约户和正常户才能计算。")
    elif ks >= 0.4:
        out["ks"] = _("区分能力强：违约户与正常户的评分分得很开。")
    elif ks >= 0.2:
        out["ks"] = _("区分能力尚可：评分能区分违约户与正常户。")
    else:
        out["ks"] = _("区分能力弱：违约户与正常户的评分差别不大，应复核模型。")
    if auc is None:
        out["auc"] = _("需要同时有违约户和正常户才能计算。")
    elif auc >= 0.75:
        out["auc"] = _("排序能力好：随机抽一户正常户和一户违约户，正常户评分更高的概率较大。")
    elif auc >= 0.6:
        out["auc"] = _("排序能力一般：评分高低与是否违约有一定关系。")
    else:
        out["auc"] = _("排序能力弱：接近随机（0.5），应复核模型。")
    if psi_value is None:
        out["psi"] = _("没有上一轮评定，无法比较评分分布。")
    elif psi_value < 0.1:
        out["psi"] = _("稳定：评分分布与上一轮基本一致。")
    elif psi_value < 0.25:
        out["psi"] = _("略有变化：评分分布与上一轮有一定差异，需关注。")
    else:
        out["psi"] = _("变化显著：评分分布与上一轮差异大，应查明原因并复核模型。")
    ordered = sorted(
        (g for g in report.get("by_grade", {}).values() if g["subjects"] and g["mean_score"] is not None),
        key=lambda g: -g["mean_score"],
    )
    rates = [g["default_rate"] for g in ordered]
    if not report.get("defaults"):
        out["by_grade"] = _("本轮信用主体尚无违约记录，暂无法检验等级的区分作用。")
    elif all(a <= b for a, b in zip(rates, rates[1:], strict=False)):
        out["by_grade"] = _("等级越高违约率越低（或持平）：等级有区分作用。")
    else:
        out["by_grade"] = _("出现高等级违约率高于低等级的情况，应复核等级划分。")
    if report.get("defaults") and report["defaults"] < MIN_DEFAULTS:
        out["sample"] = _("违约样本较少（%(n)s 户），以上指标仅供参考。") % {"n": report["defaults"]}
    return out
