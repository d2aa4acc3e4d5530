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


def validation_report(*, actor: Actor | None, region: str, year: int | None = None) -> dict[str, Any]:
    """The report for the rating cycle of ``year`` (default: the latest with ratings) under ``region``.

    A cycle is a township's; a region above townships takes that year's cycles of all of them.
    """
    scope = access_region(actor, region)
    lo, hi = code_range(significant_prefix(scope.code))
    years = sorted(
        set(
            Rating.objects.filter(region_code__gte=lo, region_code__lte=hi, cycle__isnull=False)
            .exclude(cycle__status="cancelled")
            .values_list("cycle__year", flat=True)
            .distinct()
        )
    )
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
        by_grade[grade] = {"subjects": n, "defaults": d, "default_rate": round(d / n, 4) if n else None}
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
    }
