"""Progress of a campaign (采集进度): per village, grid and collector, against the archives deadline.

Reads only; every query starts from ``visible_to``. Counts use ``view_stats`` (aggregates), a
collector's own list uses ``view``. An assignment's state is its household's submission state in
the campaign (no submission yet: *not started*); *done* means verified or spot-checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from creditvillage.accounts.models import User
from creditvillage.accounts.roles import Action
from creditvillage.collection.models import (
    Assignment,
    Campaign,
    SubjectType,
    Submission,
    SubmissionState,
    VillageClosure,
)
from creditvillage.core.scope import Actor, access, code_range, significant_prefix
from creditvillage.regions.models import Grid, Region, VillagerGroup
from creditvillage.regions.selectors import access_region

__all__ = [
    "CampaignProgress",
    "Counts",
    "ProgressRow",
    "WorkItem",
    "Worklist",
    "access_campaign",
    "assignable_collectors",
    "campaign_list",
    "campaign_progress",
    "collector_campaigns",
    "collector_worklist",
    "days_left",
]

DONE = (SubmissionState.VERIFIED, SubmissionState.SPOT_CHECKED)
IN_PROGRESS = (SubmissionState.DRAFT, SubmissionState.REOPENED)
# The order of a collector's cards: what needs them first.
STAGE_ORDER = {"returned": 0, "not_started": 1, "draft": 2, "submitted": 3, "done": 4}


def stage_of(state: str | None) -> str:
    """An assignment's stage from its submission state: not_started, draft, submitted, returned or done."""
    if state is None:
        return "not_started"
    if state in DONE:
        return "done"
    if state in IN_PROGRESS:
        return "draft"
    return str(state)  # submitted, returned


def days_left(due: dt.date | None, today: dt.date | None = None) -> int | None:
    """Whole days from today (Beijing) to the deadline; negative once it has passed."""
    if due is None:
        return None
    return (due - (today or timezone.localdate())).days


# --- Campaigns ---


def campaign_list(*, actor: Actor | None) -> QuerySet[Campaign]:
    """Campaigns the actor may view: those of their region, above it and below it, newest year first."""
    return Campaign.objects.visible_to(actor, Action.VIEW).select_related("region").order_by("-year", "region_id", "pk")


def access_campaign(actor: Actor | None, pk: Any) -> Campaign:
    """The campaign if visible to the actor, else NotFound (missing and out of scope look the same)."""
    return access(Campaign.objects.select_related("region"), actor, pk, Action.VIEW)


def collector_campaigns(*, actor: User) -> QuerySet[Campaign]:
    """Campaigns in which the actor has households assigned to them."""
    mine = Assignment.objects.visible_to(actor, Action.VIEW).filter(collector=actor).values("campaign_id")
    return campaign_list(actor=actor).filter(pk__in=mine)


def assignable_collectors(*, village_code: str) -> QuerySet[User]:
    """Active users with an active collector or village-operator role over ``village_code`` (its own or above).

    Only names the people an operator may pick; the assignment service checks the choice again.
    """
    prefix = significant_prefix(village_code)
    regions = {prefix[:d].ljust(12, "0") for d in (2, 4, 6, 9) if d <= len(prefix)} | {village_code}
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__is_active=True,
            role_assignments__role__in=["collector", "village_operator"],
            role_assignments__region_id__in=regions,
        )
        .distinct()
        .order_by("display_name", "username")
    )


# --- Progress ---


@dataclass
class Counts:
    """Assignments by stage; ``percent`` is the share done (verified), ``submitted_percent`` done or submitted."""

    total: int = 0
    not_started: int = 0
    draft: int = 0
    submitted: int = 0
    returned: int = 0
    done: int = 0

    @property
    def due(self) -> int:
        return self.total - self.done

    @property
    def percent(self) -> int:
        return self.done * 100 // self.total if self.total else 0

    @property
    def submitted_percent(self) -> int:
        return (self.done + self.submitted) * 100 // self.total if self.total else 0

    def add(self, other: Counts) -> None:
        for name in ("total", "not_started", "draft", "submitted", "returned", "done"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class ProgressRow:
    """One line of a progress table: a village, a grid or a collector."""

    key: str
    label: str
    counts: Counts
    village: str = ""  # the village's name, for grid rows
    closed: bool | None = None  # village rows: closed for the campaign


@dataclass
class CampaignProgress:
    campaign: Campaign
    region: Region
    total: Counts
    villages: list[ProgressRow] = field(default_factory=list)
    grids: list[ProgressRow] = field(default_factory=list)
    collectors: list[ProgressRow] = field(default_factory=list)
    days_left: int | None = None

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0 and self.total.due > 0

    @property
    def closed_villages(self) -> int:
        return sum(1 for row in self.villages if row.closed)

    def chart(self) -> dict[str, Any]:
        """Per-village share verified, for the ECharts bar chart (static/js/charts.js, kind ``coverage``)."""
        return {"kind": "coverage", "data": [[row.label, row.counts.percent] for row in self.villages]}


def _state_subquery() -> Subquery:
    return Subquery(
        Submission.objects.filter(
            campaign_id=OuterRef("campaign_id"),
            household_id=OuterRef("household_id"),
            subject_type=SubjectType.HOUSEHOLD,
        ).values("state")[:1]
    )


_COUNT_FIELDS = {
    "total": Count("pk"),
    "not_started": Count("pk", filter=Q(sub_state__isnull=True)),
    "draft": Count("pk", filter=Q(sub_state__in=IN_PROGRESS)),
    "submitted": Count("pk", filter=Q(sub_state=SubmissionState.SUBMITTED)),
    "returned": Count("pk", filter=Q(sub_state=SubmissionState.RETURNED)),
    "done": Count("pk", filter=Q(sub_state__in=DONE)),
}


def _grouped(assignments: QuerySet[Assignment], *fields: str) -> list[tuple[dict[str, Any], Counts]]:
    rows = assignments.values(*fields).annotate(**_COUNT_FIELDS).order_by(*fields)
    return [({f: row[f] for f in fields}, Counts(**{name: row[name] for name in _COUNT_FIELDS})) for row in rows]


def scoped_assignments(
    *, actor: Actor | None, campaign: Campaign, region: Region | None = None
) -> QuerySet[Assignment]:
    """The campaign's assignments the actor may count, under ``region`` if given, with ``sub_state`` annotated."""
    assignments = Assignment.objects.visible_to(actor, Action.VIEW_STATS).filter(campaign=campaign)
    if region is not None:
        lo, hi = code_range(region.prefix)
        assignments = assignments.filter(household__region_id__gte=lo, household__region_id__lte=hi)
    return assignments.annotate(sub_state=_state_subquery())


def campaign_progress(
    *, actor: Actor | None, campaign: Campaign, region: str = "", today: dt.date | None = None
) -> CampaignProgress:
    """Progress of ``campaign`` as the actor may count it: totals and rows per village, grid and collector.

    ``region`` (a code, 2–12 digits) narrows to a subtree; out of scope is NotFound. Village rows
    say whether the village is closed for the campaign (all its submissions verified).
    """
    area = access_region(actor, region) if region else campaign.region
    assignments = scoped_assignments(actor=actor, campaign=campaign, region=area if region else None)
    closed = set(
        VillageClosure.objects.visible_to(actor, Action.VIEW_STATS)
        .filter(campaign=campaign, reopened_at__isnull=True)
        .values_list("village_id", flat=True)
    )
    total = Counts()
    villages = []
    for keys, counts in _grouped(assignments, "household__region_id", "household__region__name"):
        total.add(counts)
        code = keys["household__region_id"]
        villages.append(ProgressRow(code, keys["household__region__name"], counts, closed=code in closed))
    grids = [
        ProgressRow(
            str(keys["household__grid_id"] or ""),
            keys["household__grid__name"] or "",
            counts,
            village=keys["household__region__name"],
        )
        for keys, counts in _grouped(
            assignments,
            "household__region_id",
            "household__region__name",
            "household__grid_id",
            "household__grid__name",
        )
    ]
    collectors = [
        ProgressRow(str(keys["collector_id"]), keys["collector__display_name"] or keys["collector__username"], counts)
        for keys, counts in _grouped(assignments, "collector_id", "collector__display_name", "collector__username")
    ]
    collectors.sort(key=lambda row: (row.counts.percent, row.label))
    return CampaignProgress(
        campaign=campaign,
        region=area,
        total=total,
        villages=villages,
        grids=grids,
        collectors=collectors,
        days_left=days_left(campaign.archives_due, today),
    )


# --- A collector's own list ---


@dataclass
class WorkItem:
    """One household on a collector's list, with its stage and (when returned) the township's reasons."""

    household_pk: int
    number: str
    head_name: str
    village: str
    grid: str
    stage: str
    submission_pk: int | None
    reasons: dict[str, str]


@dataclass
class Worklist:
    campaign: Campaign
    items: list[WorkItem]
    counts: Counts
    days_left: int | None

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0 and self.counts.due > 0


def collector_worklist(*, actor: User, campaign: Campaign, stage: str = "", today: dt.date | None = None) -> Worklist:
    """The households assigned to the actor in ``campaign``: returned first, then to do, then submitted, then done.

    ``stage`` filters the items (the counts always cover the whole list).
    """
    assignments = (
        Assignment.objects.visible_to(actor, Action.VIEW)
        .filter(campaign=campaign, collector=actor)
        .select_related("household__region", "household__grid")
    )
    submissions = {
        s.household_id: s
        for s in Submission.objects.visible_to(actor, Action.VIEW)
        .filter(
            campaign=campaign, subject_type=SubjectType.HOUSEHOLD, household_id__in=assignments.values("household_id")
        )
        .only("pk", "household_id", "state", "return_reasons")
    }
    counts = Counts()
    items = []
    for assignment in assignments:
        household = assignment.household
        submission = submissions.get(household.pk)
        item_stage = stage_of(submission.state if submission else None)
        counts.total += 1
        setattr(counts, item_stage, getattr(counts, item_stage) + 1)
        if stage and item_stage != stage:
            continue
        items.append(
            WorkItem(
                household_pk=household.pk,
                number=household.number,
                head_name=household.head_name,
                village=household.region.name,
                grid=household.grid.name if household.grid else "",
                stage=item_stage,
                submission_pk=submission.pk if submission else None,
                reasons=dict(submission.return_reasons or {}) if submission and item_stage == "returned" else {},
            )
        )
    items.sort(key=lambda item: (STAGE_ORDER[item.stage], item.number))
    return Worklist(campaign=campaign, items=items, counts=counts, days_left=days_left(campaign.archives_due, today))


def campaign_collectors(*, actor: Actor | None, campaign: Campaign) -> QuerySet[User]:
    """Users with an active collector or village-operator role in a region the actor manages, inside the campaign."""
    lo, hi = code_range(campaign.region.prefix)
    regions = Region.objects.visible_to(actor, Action.MANAGE_USERS).filter(code__gte=lo, code__lte=hi).values("code")
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__is_active=True,
            role_assignments__role__in=["collector", "village_operator"],
            role_assignments__region_id__in=regions,
        )
        .distinct()
        .order_by("display_name", "username")
    )


def campaign_places(*, actor: Actor | None, campaign: Campaign) -> tuple[QuerySet[Grid], QuerySet[VillagerGroup]]:
    """Grids and villager groups inside the campaign that the actor may assign (manage_users there)."""
    lo, hi = code_range(campaign.region.prefix)
    grids = Grid.objects.visible_to(actor, Action.MANAGE_USERS).filter(village_id__gte=lo, village_id__lte=hi)
    groups = VillagerGroup.objects.visible_to(actor, Action.MANAGE_USERS).filter(village_id__gte=lo, village_id__lte=hi)
    return (
        grids.select_related("village").order_by("village_id", "number"),
        groups.select_related("village").order_by("village_id", "number"),
    )
