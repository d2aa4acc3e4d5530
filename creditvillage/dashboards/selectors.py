"""Aggregates for dashboards and home pages, computed only over the actor's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Sum

from creditvillage.accounts.roles import Action
from creditvillage.core.scope import Actor, code_range, significant_prefix
from creditvillage.lending import selectors as lending_selectors
from creditvillage.lending.models import CreditLine, LineStatus, Loan
from creditvillage.regions.models import Region
from creditvillage.regions.selectors import access_region, region_children, root_regions
from creditvillage.registry.choices import ArchiveStatus
from creditvillage.registry.models import Household

# Grades that make a household a credit subject (信用户) under the shipped grade schemes.
CREDIT_SUBJECT_GRADES = frozenset({"A", "AA", "AAA", "3A", "4A", "5A"})
GRADE_ORDER = ["AAA", "AA", "A", "B", "C", "D", "5A", "4A", "3A", "2A", "1A"]


def stats_overview(*, actor: Actor | None, region: str | None = None) -> dict[str, Any]:
    """The programme's headline counts for the actor's scope (or a region inside it).

    Figures for parts not built yet (credit, loans, points, coupons, events) are zero.
    """
    queryset = Household.objects.visible_to(actor, Action.VIEW_STATS)
    lo, hi = code_range("")
    if region:
        scope = access_region(actor, region)
        lo, hi = code_range(significant_prefix(scope.code))
        queryset = queryset.filter(region_id__gte=lo, region_id__lte=hi)
    by_status: dict[str, int] = {}
    by_grade: dict[str, int] = {}
    for row in queryset.order_by().values("status", "grade").annotate(n=Count("pk")):
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        if row["grade"]:
            by_grade[row["grade"]] = by_grade.get(row["grade"], 0) + row["n"]
    total = sum(by_status.values())
    verified = by_status.get(ArchiveStatus.VERIFIED, 0)
    archived = verified + by_status.get(ArchiveStatus.ARCHIVED, 0)
    grade_distribution = {g: by_grade[g] for g in sorted(by_grade, key=_grade_key)}
    return {
        "households": total,
        "archived": archived,
        "verified": verified,
        "rated": sum(by_grade.values()),
        "credit_subjects": sum(n for g, n in by_grade.items() if g in CREDIT_SUBJECT_GRADES),
        "grade_distribution": grade_distribution,
        # Lending: credit granted and used, loans outstanding, NPL (lending.selectors.overview_figures).
        **lending_selectors.overview_figures(actor=actor, lo=lo, hi=hi),
        "points_issued": 0,
        "coupons_redeemed": 0,
        "events_open": 0,
        "events_closed": 0,
    }


def _grade_key(grade: str) -> tuple[int, str]:
    return (GRADE_ORDER.index(grade) if grade in GRADE_ORDER else len(GRADE_ORDER), grade)


def children_overview(*, actor: Actor | None, regions: list[Any]) -> dict[str, dict[str, int]]:
    """Households, archived and verified per child region, in one grouped query."""
    if not regions:
        return {}
    depth = len(significant_prefix(regions[0].code))
    queryset = Household.objects.visible_to(actor, Action.VIEW_STATS)
    lo = min(code_range(significant_prefix(r.code))[0] for r in regions)
    hi = max(code_range(significant_prefix(r.code))[1] for r in regions)
    out: dict[str, dict[str, int]] = {r.code: {"households": 0, "archived": 0, "verified": 0} for r in regions}
    rows = (
        queryset.filter(region_id__gte=lo, region_id__lte=hi)
        .order_by()
        .values("region_id", "status")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        code = row["region_id"][:depth].ljust(12, "0")
        if code not in out:
            continue
        out[code]["households"] += row["n"]
        if row["status"] in (ArchiveStatus.ARCHIVED, ArchiveStatus.VERIFIED):
            out[code]["archived"] += row["n"]
        if row["status"] == ArchiveStatus.VERIFIED:
            out[code]["verified"] += row["n"]
    return out


def children_lending(*, actor: Actor | None, regions: list[Any]) -> dict[str, dict[str, int]]:
    """Credit granted and used, loans outstanding and NPL (fen) per child region, in two grouped queries.

    The rules of ``lending.selectors.lending_figures`` (live lines; ``RUNNING_LOANS``; ``NPL_Q``),
    counted over what the actor's ``view_stats`` reaches.
    """
    if not regions:
        return {}
    depth = len(significant_prefix(regions[0].code))
    lo = min(code_range(significant_prefix(r.code))[0] for r in regions)
    hi = max(code_range(significant_prefix(r.code))[1] for r in regions)
    keys = ("granted_fen", "used_fen", "outstanding_fen", "npl_fen")
    out: dict[str, dict[str, int]] = {r.code: dict.fromkeys(keys, 0) for r in regions}
    lines = (
        CreditLine.objects.visible_to(actor, Action.VIEW_STATS)
        .filter(region_code__gte=lo, region_code__lte=hi)
        .exclude(status=LineStatus.CLOSED)
        .order_by()
        .values("region_code")
        .annotate(granted=Sum("limit_fen"), used=Sum("used_fen"))
    )
    loans = (
        Loan.objects.visible_to(actor, Action.VIEW_STATS)
        .filter(region_code__gte=lo, region_code__lte=hi, status__in=lending_selectors.RUNNING_LOANS)
        .order_by()
        .values("region_code")
        .annotate(
            outstanding=Sum("principal_outstanding_fen"),
            npl=Sum("principal_outstanding_fen", filter=lending_selectors.NPL_Q),
        )
    )
    for row in lines:
        if (code := row["region_code"][:depth].ljust(12, "0")) in out:
            out[code]["granted_fen"] += row["granted"] or 0
            out[code]["used_fen"] += row["used"] or 0
    for loan_row in loans:
        if (code := loan_row["region_code"][:depth].ljust(12, "0")) in out:
            out[code]["outstanding_fen"] += loan_row["outstanding"] or 0
            out[code]["npl_fen"] += loan_row["npl"] or 0
    return out


def villages_awaiting_verification(*, actor: Actor | None, limit: int = 10) -> list[dict[str, Any]]:
    """Villages with archives waiting for township verification (乡校核): status archived, most first.

    Only households the actor may verify count; two queries whatever the number of villages.
    """
    rows = list(
        Household.objects.visible_to(actor, Action.VERIFY)
        .filter(status=ArchiveStatus.ARCHIVED)
        .order_by()
        .values("region_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "region_id")[:limit]
    )
    regions = Region.objects.visible_to(actor).in_bulk([row["region_id"] for row in rows])
    return [{"region": regions[row["region_id"]], "count": row["n"]} for row in rows if row["region_id"] in regions]


def region_overview(*, actor: Actor | None, region: Region | None, stats: dict[str, Any] | None) -> dict[str, Any]:
    """What the home and region pages show under the stat cards: children with coverage, chart data.

    ``stats`` is the region's ``stats_overview`` (None when the actor may not see statistics,
    in which case no children are listed either). Chart data are ``[label, value]`` pairs.
    """
    children: list[Region] = []
    if stats is not None:
        # No home region (a superuser holds no role): start from the top of the tree.
        children = region_children(actor, region) if region is not None else root_regions(actor)
    child_stats = children_overview(actor=actor, regions=children)
    lending = children_lending(actor=actor, regions=children) if stats and stats["credit_granted_yuan"] else {}
    coverage: list[dict[str, Any]] = [
        {"region": child, **child_stats[child.code], "lending": lending.get(child.code)} for child in children
    ]
    charts: dict[str, Any] = {}
    if stats and stats["grade_distribution"]:
        charts["grades"] = {"kind": "grades", "data": [[grade, n] for grade, n in stats["grade_distribution"].items()]}
    if any(row["households"] for row in coverage):
        charts["coverage"] = {
            "kind": "coverage",
            "data": [
                [row["region"].name, round(row["archived"] * 100 / row["households"]) if row["households"] else 0]
                for row in coverage
            ],
        }
    if lending and any(row["granted_fen"] for row in lending.values()):
        # 万元 with two decimals, as numbers for the chart (the table beside it has the exact yuan).
        charts["credit"] = {
            "kind": "credit",
            "data": [
                [row["region"].name, row["lending"]["granted_fen"] / 1_000_000, row["lending"]["used_fen"] / 1_000_000]
                for row in coverage
                if row["lending"] and (row["lending"]["granted_fen"] or row["lending"]["outstanding_fen"])
            ],
        }
    return {"region": region, "stats": stats, "coverage": coverage, "charts": charts}
