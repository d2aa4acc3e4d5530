"""Figures the system computes for a village or township, and the assessment against the criteria.

Defaults are VIL-DEFAULT (domain-reference §1.6): AAA ≥80% households rated A or above, NPL ≤1%,
collective ≥AA; AA ≥70%, ≤2%, ≥A; A ≥60%, ≤3%, any; every grade needs coverage ≥90% and no
serious disciplinary case. Township: credit villages ≥50% of its villages and NPL ≤3%.
Figures with no data (no loans yet) are shown as such and their criterion is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from creditvillage.core.scope import code_range, significant_prefix
from creditvillage.rating.selectors import current_household_ratings, current_rating
from creditvillage.rating.villages.models import (
    CreditRegionApplication,
    CreditRegionCriteria,
    CreditRegionLevel,
    CreditRegionStatus,
)
from creditvillage.regions.models import Region
from creditvillage.registry.models import Collective, Household, VillageProfile

GRADE_ORDER = ("AAA", "AA", "A", "B", "C", "D")


@dataclass(frozen=True)
class Threshold:
    grade: str
    rank: int
    min_credit_share: Decimal | None = None
    min_coverage: Decimal | None = None
    max_npl_ratio: Decimal | None = None
    min_collective_grade: str = ""
    min_credit_village_share: Decimal | None = None
    require_no_discipline: bool = True


D = Decimal
DEFAULTS: dict[str, list[Threshold]] = {
    CreditRegionLevel.VILLAGE: [
        Threshold("AAA", 0, D(80), D(90), D(1), "AA"),
        Threshold("AA", 1, D(70), D(90), D(2), "A"),
        Threshold("A", 2, D(60), D(90), D(3), ""),
    ],
    # A credit township (信用乡镇) is not graded further in the published rules: one grade.
    CreditRegionLevel.TOWNSHIP: [Threshold("A", 0, None, None, D(3), "", D(50))],
}
FIELDS = (
    "min_credit_share",
    "min_coverage",
    "max_npl_ratio",
    "min_collective_grade",
    "min_credit_village_share",
    "require_no_discipline",
)


def thresholds(level: str) -> list[Threshold]:
    """The configured thresholds of a level, best grade first (the defaults when none are stored)."""
    rows = list(CreditRegionCriteria.objects.filter(level=level).order_by("rank", "pk"))
    if not rows:
        return DEFAULTS[level]
    return [Threshold(r.grade, r.rank, **{f: getattr(r, f) for f in FIELDS}) for r in rows]


def _percent(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def npl_ratio(prefix: str) -> Decimal | None:
    """Non-performing share (%) of outstanding loans under ``prefix`` from the lending data; None without loans."""
    try:
        from creditvillage.lending.models import Loan, LoanStatus
    except ImportError:
        return None
    lo, hi = code_range(prefix)
    running = (LoanStatus.DISBURSED, LoanStatus.OVERDUE, LoanStatus.DEFAULTED)
    totals = Loan.objects.filter(region_code__gte=lo, region_code__lte=hi, status__in=running).aggregate(
        total=Sum("principal_outstanding_fen"),
        npl=Sum("principal_outstanding_fen", filter=Q(status=LoanStatus.DEFAULTED) | Q(overdue_days__gt=90)),
    )
    if not totals["total"]:
        return None
    return _percent(int(totals["npl"] or 0), int(totals["total"]))


def village_figures(region: Region) -> dict[str, Any]:
    """Households, coverage, share rated A or above, NPL ratio and the collective's grade of a village."""
    prefix = significant_prefix(region.code)
    households = Household.objects.filter(region_id=region.code)
    registered = region.households_total or households.count()
    archived = households.filter(status__in=("archived", "verified")).count()
    ratings = current_household_ratings(prefix)
    credit = sum(1 for r in ratings.values() if r.credit_subject)
    collective = Collective.objects.filter(region_id=region.code).order_by("pk").first()
    collective_grade = ""
    if collective is not None:
        rating = current_rating(subject_type="collective", subject_id=collective.pk)
        collective_grade = rating.grade if rating is not None else collective.grade
    npl = npl_ratio(prefix)
    return {
        "households": registered,
        "archived": archived,
        "coverage": _str(_percent(archived, registered)),
        "rated": len(ratings),
        "credit_households": credit,
        "credit_share": _str(_percent(credit, registered)),
        "npl_ratio": _str(npl),
        "collective_grade": collective_grade,
        "has_collective": collective is not None,
    }


def township_figures(region: Region, year: int) -> dict[str, Any]:
    """Villages, credit villages (named this year or holding a grade) and NPL ratio of a township."""
    lo, hi = code_range(significant_prefix(region.code))
    villages = Region.objects.filter(code__gte=lo, code__lte=hi, level="village").exclude(code=region.code)
    village_codes = list(villages.values_list("code", flat=True))
    named = set(
        CreditRegionApplication.objects.filter(
            region_id__in=village_codes, level=CreditRegionLevel.VILLAGE, status=CreditRegionStatus.APPROVED, year=year
        ).values_list("region_id", flat=True)
    )
    named |= set(
        VillageProfile.objects.filter(region_id__in=village_codes).exclude(grade="").values_list("region_id", flat=True)
    )
    npl = npl_ratio(significant_prefix(region.code))
    return {
        "villages": len(village_codes),
        "credit_villages": len(named),
        "credit_village_share": _str(_percent(len(named), len(village_codes))),
        "npl_ratio": _str(npl),
    }


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _grade_at_least(grade: str, minimum: str) -> bool:
    if not minimum:
        return True
    if grade not in GRADE_ORDER or minimum not in GRADE_ORDER:
        return False
    return GRADE_ORDER.index(grade) <= GRADE_ORDER.index(minimum)


def _check(label: str, figure: Any, required: str, passed: bool | None) -> dict[str, Any]:
    """``passed`` None: no data, the criterion is skipped (shown as such)."""
    return {"label": label, "figure": figure, "required": required, "passed": passed}


def assess(level: str, figures: dict[str, Any], no_discipline: bool) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """The best grade whose every criterion passes ("" if none), and each grade's criteria rows."""
    rows: dict[str, list[dict[str, Any]]] = {}
    best = ""
    for t in thresholds(level):
        checks = _checks(t, figures, no_discipline)
        rows[t.grade] = checks
        if not best and all(c["passed"] is not False for c in checks):
            best = t.grade
    return best, rows


def _minimum(label: str, figure: str | None, minimum: Decimal | None, unit: str = "%") -> dict[str, Any] | None:
    if minimum is None:
        return None
    passed = None if figure is None else Decimal(figure) >= minimum
    return _check(label, None if figure is None else f"{figure}{unit}", f"≥{minimum}{unit}", passed)


def _checks(t: Threshold, figures: dict[str, Any], no_discipline: bool) -> list[dict[str, Any]]:
    checks = [
        _minimum(_("A级及以上农户占比"), figures.get("credit_share"), t.min_credit_share),
        _minimum(_("建档覆盖率"), figures.get("coverage"), t.min_coverage),
        _minimum(_("信用村占比"), figures.get("credit_village_share"), t.min_credit_village_share),
    ]
    if t.max_npl_ratio is not None:
        npl = figures.get("npl_ratio")
        passed = None if npl is None else Decimal(npl) <= t.max_npl_ratio
        checks.append(
            _check(_("不良贷款率"), _("无贷款数据") if npl is None else f"{npl}%", f"≤{t.max_npl_ratio}%", passed)
        )
    if t.min_collective_grade and "collective_grade" in figures:
        grade = figures["collective_grade"]
        checks.append(
            _check(
                _("村集体经济组织信用等级"),
                grade or _("未评级"),
                f"≥{t.min_collective_grade}",
                _grade_at_least(grade, t.min_collective_grade),
            )
        )
    if t.require_no_discipline:
        checks.append(
            _check(_("本年度无严重违纪案件"), _("已承诺") if no_discipline else _("未承诺"), _("是"), no_discipline)
        )
    return [c for c in checks if c is not None]
