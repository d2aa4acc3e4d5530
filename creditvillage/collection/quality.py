"""Data quality of a campaign's archives (数据质量): per household and per village, for the township.

Each household's archive is its submission in the campaign when there is one (what the collector
proposes or the township verified), else its current registry archive. The rules themselves are
in ``quality_checks.py``. Reads only, scoped: households and their parts through
``visible_to(actor, "view")``; ID numbers are used for the checks and never shown.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditvillage.accounts.roles import Action
from creditvillage.collection.models import Campaign, SubjectType, Submission
from creditvillage.collection.quality_checks import (
    Burst,
    Completeness,
    archive_completeness,
    archive_fingerprint,
    archive_totals,
    fast_bursts,
    id_inconsistencies,
    identical_groups,
    outliers,
)
from creditvillage.core.errors import NotFound
from creditvillage.core.scope import Actor, code_range, significant_prefix
from creditvillage.regions.choices import RegionLevel
from creditvillage.regions.models import Region
from creditvillage.regions.selectors import access_region
from creditvillage.registry.models import Asset, Household, Income, Person

__all__ = [
    "Flag",
    "HouseholdQuality",
    "VillageQuality",
    "VillageQualitySummary",
    "campaign_quality",
    "village_quality",
]

# Below this share of required fields an archive is flagged as incomplete.
INCOMPLETE_BELOW = 0.8

FLAG_LABELS = {
    "incomplete": gettext_lazy("档案不完整"),
    "identical": gettext_lazy("资产收入与他户完全相同"),
    "fast": gettext_lazy("采集过快"),
    "income_high": gettext_lazy("收入异常偏高"),
    "income_low": gettext_lazy("收入异常偏低"),
    "assets_high": gettext_lazy("资产异常偏高"),
    "assets_low": gettext_lazy("资产异常偏低"),
    "bad_id": gettext_lazy("身份证号码无效"),
    "sex_mismatch": gettext_lazy("身份证号码与性别不符"),
    "birth_date_mismatch": gettext_lazy("身份证号码与出生日期不符"),
}
FLAG_CODES = tuple(FLAG_LABELS)


@dataclass(frozen=True)
class Flag:
    code: str
    detail: str = ""

    @property
    def label(self) -> str:
        return str(FLAG_LABELS[self.code])


@dataclass
class HouseholdQuality:
    household_pk: int
    number: str
    head_name: str
    grid: str
    completeness: Completeness
    flags: list[Flag] = field(default_factory=list)
    from_submission: bool = False


@dataclass
class CollectorBurst:
    collector: str
    burst: Burst


@dataclass
class VillageQuality:
    campaign: Campaign
    village: Region
    households: list[HouseholdQuality]
    completeness: Completeness
    identical: list[list[str]]  # household numbers answering the same
    bursts: list[CollectorBurst]

    @property
    def flag_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(FLAG_CODES, 0)
        for row in self.households:
            for code in {flag.code for flag in row.flags}:
                counts[code] += 1
        return counts

    @property
    def flagged(self) -> int:
        return sum(1 for row in self.households if row.flags)


@dataclass
class VillageQualitySummary:
    code: str
    name: str
    households: int
    completeness: Completeness
    flagged: int
    flag_counts: dict[str, int]


# --- Loading archives ---


def _registry_archives(actor: Actor | None, households: list[Household]) -> dict[int, dict[str, Any]]:
    """The registry archives of ``households`` in the submission shape, in four scoped queries."""
    pks = [h.pk for h in households]
    archives: dict[int, dict[str, Any]] = {
        h.pk: {
            "household": {"address": h.address, "phone": h.phone, "main_business": h.main_business},
            "members": [],
            "assets": [],
            "incomes": [],
        }
        for h in households
    }
    for p in Person.objects.visible_to(actor, Action.VIEW).filter(household_id__in=pks).order_by("pk"):
        archives[p.household_id]["members"].append(
            {
                "name": p.name,
                "id_number": p.id_number,
                "relation": p.relation,
                "political_status": p.political_status,
                "education": p.education,
                "occupation": p.occupation,
            }
        )
    for a in Asset.objects.visible_to(actor, Action.VIEW).filter(household_id__in=pks).order_by("pk"):
        archives[a.household_id]["assets"].append({"kind": a.kind, "quantity": a.quantity, "value_fen": a.value_fen})
    for i in Income.objects.visible_to(actor, Action.VIEW).filter(household_id__in=pks).order_by("pk"):
        archives[i.household_id]["incomes"].append({"source": i.source, "amount_fen": i.amount_fen})
    return archives


def _stated_people(actor: Actor | None, pks: list[int]) -> dict[int, list[tuple[str, str, str, dt.date]]]:
    """Members as the registry states them: (name, id_number, sex, birth_date) per household."""
    people: dict[int, list[tuple[str, str, str, dt.date]]] = defaultdict(list)
    rows = Person.objects.visible_to(actor, Action.VIEW).filter(household_id__in=pks).order_by("pk")
    for p in rows.values_list("household_id", "name", "id_number", "sex", "birth_date"):
        people[p[0]].append((p[1], p[2], p[3], p[4]))
    return people


def _collector_label(submission: Submission) -> str:
    user = submission.collector
    if user is None:
        return "—"
    return str(user.display_name or user.username)


# --- Selectors ---


def _village_in_campaign(actor: Actor | None, campaign: Campaign, code: str) -> Region:
    village = access_region(actor, code)
    lo, hi = code_range(significant_prefix(campaign.region_id))
    if village.level != RegionLevel.VILLAGE or not lo <= village.code <= hi:
        raise NotFound()
    return village


def village_quality(
    *, actor: Actor | None, campaign: Campaign, village: str, today: dt.date | None = None
) -> VillageQuality:
    """Completeness and flags of every household of ``village`` the actor may view, for ``campaign``.

    NotFound if the village is outside the actor's scope or the campaign's region. Flags: incomplete
    archive, identical assets and incomes, implausibly fast submissions, income or asset outliers
    within the village, and ID numbers contradicting the stated sex or birth date.
    """
    region = _village_in_campaign(actor, campaign, village)
    households = list(
        Household.objects.visible_to(actor, Action.VIEW)
        .filter(region_id=region.code)
        .select_related("grid")
        .order_by("number")
    )
    pks = [h.pk for h in households]
    archives = _registry_archives(actor, households)
    submissions = list(
        Submission.objects.visible_to(actor, Action.VIEW)
        .filter(campaign=campaign, subject_type=SubjectType.HOUSEHOLD, household_id__in=pks)
        .select_related("collector")
    )
    from_submission = set()
    for submission in submissions:
        if submission.household_id is not None and submission.data:
            archives[submission.household_id] = submission.data
            from_submission.add(submission.household_id)
    rows = {
        h.pk: HouseholdQuality(
            household_pk=h.pk,
            number=h.number,
            head_name=h.head_name,
            grid=h.grid.name if h.grid else "",
            completeness=archive_completeness(archives[h.pk]),
            from_submission=h.pk in from_submission,
        )
        for h in households
    }
    numbers = {h.pk: h.number for h in households}
    for row in rows.values():
        if row.completeness.share < INCOMPLETE_BELOW:
            row.flags.append(Flag("incomplete", f"{row.completeness.percent}%"))
    identical = identical_groups({pk: archive_fingerprint(archives[pk]) for pk in pks})
    for group in identical:
        for pk in group:
            others = "、".join(numbers[o] for o in group if o != pk)
            rows[pk].flags.append(Flag("identical", others))
    bursts = _flag_bursts(rows, submissions)
    _flag_outliers(rows, archives)
    _flag_ids(rows, _stated_people(actor, pks), today)
    total = sum((row.completeness for row in rows.values()), Completeness(0, 0))
    return VillageQuality(
        campaign=campaign,
        village=region,
        households=[rows[pk] for pk in pks],
        completeness=total,
        identical=[[numbers[pk] for pk in group] for group in identical],
        bursts=bursts,
    )


def _flag_bursts(rows: dict[int, HouseholdQuality], submissions: list[Submission]) -> list[CollectorBurst]:
    by_collector: dict[int | None, list[Submission]] = defaultdict(list)
    for submission in submissions:
        if submission.submitted_at is not None:
            by_collector[submission.collector_id].append(submission)
    found = []
    for group in by_collector.values():
        label = _collector_label(group[0])
        for burst in fast_bursts([s.submitted_at for s in group if s.submitted_at]):
            found.append(CollectorBurst(label, burst))
            detail = _("%(count)s户/%(minutes)s分钟") % {
                "count": burst.count,
                "minutes": round((burst.end - burst.start).total_seconds() / 60),
            }
            for submission in group:
                at = submission.submitted_at
                if at is not None and burst.start <= at <= burst.end and submission.household_id in rows:
                    rows[submission.household_id].flags.append(Flag("fast", detail))
    return sorted(found, key=lambda b: b.burst.start)


def _flag_outliers(rows: dict[int, HouseholdQuality], archives: dict[int, dict[str, Any]]) -> None:
    totals = {pk: archive_totals(archives[pk]) for pk in rows}
    for index, name in ((0, "income"), (1, "assets")):
        for pk, side in outliers({pk: t[index] for pk, t in totals.items()}).items():
            rows[pk].flags.append(Flag(f"{name}_{side}"))


def _flag_ids(
    rows: dict[int, HouseholdQuality], people: dict[int, list[tuple[str, str, str, dt.date]]], today: dt.date | None
) -> None:
    for pk, members in people.items():
        for name, id_number, sex, birth_date in members:
            for code in id_inconsistencies(id_number, sex, birth_date, today=today):
                rows[pk].flags.append(Flag(code, name))


def campaign_quality(*, actor: Actor | None, campaign: Campaign, region: str = "") -> list[VillageQualitySummary]:
    """One line per village of the campaign the actor may view (under ``region`` if given): completeness and flags.

    ``region`` outside the actor's scope is NotFound.
    """
    area = access_region(actor, region) if region else campaign.region
    lo, hi = code_range(significant_prefix(campaign.region_id))
    sub_lo, sub_hi = code_range(area.prefix)
    villages = (
        Region.objects.visible_to(actor, Action.VIEW)
        .filter(level=RegionLevel.VILLAGE, code__gte=max(lo, sub_lo), code__lte=min(hi, sub_hi))
        .filter(code__in=Household.objects.visible_to(actor, Action.VIEW).values("region_id"))
        .order_by("code")
    )
    summaries = []
    for village in villages:
        report = village_quality(actor=actor, campaign=campaign, village=village.code)
        summaries.append(
            VillageQualitySummary(
                code=village.code,
                name=village.name,
                households=len(report.households),
                completeness=report.completeness,
                flagged=report.flagged,
                flag_counts=report.flag_counts,
            )
        )
    return summaries
