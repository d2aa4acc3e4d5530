"""Campaign and assignment services (采集批次、采集任务分配): writes, one transaction each, audited.

A township or county operator opens a campaign for their region and year with the deadlines of
seed 000 (archives by end of July, civility by end of June, ratings by end of September) unless
given others; village or township operators then assign households to collectors by grid or by
villager group, and move them between collectors with a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from creditvillage.accounts.models import User
from creditvillage.accounts.roles import Action
from creditvillage.collection.models import Assignment, Campaign, CampaignStatus
from creditvillage.core import audit
from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.scope import ScopedQuerySet, access, can, code_range, significant_prefix
from creditvillage.regions.choices import RegionLevel
from creditvillage.regions.models import Grid, Region, VillagerGroup
from creditvillage.registry.models import Household

__all__ = [
    "AssignmentResult",
    "assignment_create_by_grid",
    "assignment_create_by_group",
    "assignment_reassign",
    "campaign_create",
    "default_deadlines",
]

# Campaigns are opened by whoever verifies (乡校核): township operators and admins.
CAMPAIGN_ACTION = Action.VERIFY
# Assigning work to collectors is staff management inside the village or township.
ASSIGN_ACTION = Action.MANAGE_USERS
CAMPAIGN_LEVELS = (RegionLevel.TOWNSHIP, RegionLevel.COUNTY)


def default_deadlines(year: int) -> dict[str, dt.date]:
    """Seed 000's yearly deadlines: civility by 30 June, archives by 31 July, ratings by 30 September."""
    return {
        "civility_due": dt.date(year, 6, 30),
        "archives_due": dt.date(year, 7, 31),
        "ratings_due": dt.date(year, 9, 30),
    }


# --- Campaigns ---


def _validate_campaign(
    region: Region, year: int, name: str, deadlines: dict[str, dt.date], ratio: Decimal | None
) -> None:
    if region.level not in CAMPAIGN_LEVELS:
        raise ValidationFailed(_("采集批次只能按乡镇或县区设立"), {"field": "region"})
    if not 2000 <= year <= 2100:
        raise ValidationFailed(_("年度不正确"), {"field": "year"})
    if not name.strip():
        raise ValidationFailed(_("请填写批次名称"), {"field": "name"})
    for key, day in deadlines.items():
        if day < dt.date(year, 1, 1):
            raise ValidationFailed(_("截止日期不能早于批次年度"), {"field": key})
    if ratio is not None and not Decimal("0") < ratio <= Decimal("1"):
        raise ValidationFailed(_("抽查比例应大于0且不超过1"), {"field": "spot_check_ratio"})


def _ratio(value: Decimal | str | float | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationFailed(_("抽查比例应大于0且不超过1"), {"field": "spot_check_ratio"}) from exc


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    region: Region,
    year: int,
    name: str = "",
    archives_due: dt.date | None = None,
    civility_due: dt.date | None = None,
    ratings_due: dt.date | None = None,
    spot_check_ratio: Decimal | str | float | None = None,
) -> Campaign:
    """Open a campaign for a township or county and a year; missing deadlines take seed 000's defaults.

    Raises NotFound unless the actor may verify in ``region``; ValidationFailed on a bad level,
    year, deadline, ratio or a duplicate name. Writes ``campaign.created`` to the audit log.
    """
    if not can(actor, CAMPAIGN_ACTION, region):
        raise NotFound()
    name = name.strip() or _("%(year)s年%(region)s信用信息采集") % {"year": year, "region": region.name}
    deadlines = {**default_deadlines(year)}
    given = {"archives_due": archives_due, "civility_due": civility_due, "ratings_due": ratings_due}
    deadlines.update({key: day for key, day in given.items() if day is not None})
    ratio = _ratio(spot_check_ratio)
    _validate_campaign(region, year, name, deadlines, ratio)
    if Campaign.objects.filter(region=region, year=year, name=name).exists():
        raise ValidationFailed(_("同一地区同一年度已有同名批次"), {"field": "name"})
    campaign = Campaign(region=region, year=year, name=name, created_by=actor, **deadlines)
    if ratio is not None:
        campaign.spot_check_ratio = ratio
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError as exc:  # a concurrent create with the same name
        raise ValidationFailed(_("同一地区同一年度已有同名批次"), {"field": "name"}) from exc
    audit.record(
        actor=actor,
        action="campaign.created",
        target=campaign,
        region_code=region.code,
        changes={
            "year": year,
            "name": name,
            **{key: day.isoformat() for key, day in deadlines.items()},
            "spot_check_ratio": str(campaign.spot_check_ratio),
        },
        reason=_("设立采集批次"),
    )
    return campaign


# --- Assignments ---


@dataclass
class AssignmentResult:
    """What an assignment call did: households newly assigned and those already with someone."""

    created: list[int] = field(default_factory=list)  # household pks
    already_assigned: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": len(self.created), "already_assigned": len(self.already_assigned), "moved": len(self.moved)}


def _campaign_for_update(actor: User, campaign: Campaign) -> Campaign:
    campaign = access(Campaign.objects.select_for_update(), actor, campaign.pk, Action.VIEW)
    if campaign.status != CampaignStatus.OPEN:
        raise ValidationFailed(_("采集批次已结束，不能再分配任务"), {"field": "campaign"})
    return campaign


def _in_campaign(campaign: Campaign, village_code: str) -> bool:
    lo, hi = code_range(significant_prefix(campaign.region_id))
    return lo <= village_code <= hi


def _check_collector(collector: User, households: list[Household]) -> None:
    """The collector must be able to edit every household handed to them (a collector role over the village)."""
    if not collector.is_active:
        raise ValidationFailed(_("该采集员账号已停用"), {"field": "collector"})
    pks = [h.pk for h in households]
    editable = set(
        Household.objects.visible_to(collector, Action.CHANGE).filter(pk__in=pks).values_list("pk", flat=True)
    )
    if editable != set(pks):
        raise ValidationFailed(
            _("该采集员无权采集这些农户"), {"field": "collector", "households": len(pks) - len(editable)}
        )


def _assign(
    *,
    actor: User,
    campaign: Campaign,
    households: ScopedQuerySet[Household],
    collector: User,
    target: Grid | VillagerGroup,
    kind: str,
) -> AssignmentResult:
    campaign = _campaign_for_update(actor, campaign)
    if not can(actor, ASSIGN_ACTION, target) or not _in_campaign(campaign, target.village_id):
        raise NotFound()
    rows = list(households.visible_to(actor, ASSIGN_ACTION).order_by("pk"))
    if not rows:
        raise ValidationFailed(_("没有可分配的农户"), {"field": kind})
    _check_collector(collector, rows)
    taken = set(
        Assignment.objects.filter(campaign=campaign, household__in=[h.pk for h in rows]).values_list(
            "household_id", flat=True
        )
    )
    result = AssignmentResult(already_assigned=sorted(taken))
    new = [
        Assignment(
            campaign=campaign,
            household=h,
            collector=collector,
            grid_id=h.grid_id,
            group_id=h.group_id,
            assigned_by=actor,
        )
        for h in rows
        if h.pk not in taken
    ]
    try:
        with transaction.atomic():
            Assignment.objects.bulk_create(new)
    except IntegrityError as exc:  # another operator assigned one of them in the meantime
        raise ValidationFailed(_("部分农户刚被他人分配，请刷新后重试"), {"field": kind}) from exc
    result.created = [a.household_id for a in new]
    audit.record(
        actor=actor,
        action="assignment.created",
        target=campaign,
        region_code=target.village_id,
        changes={
            kind: target.pk,
            "collector": collector.pk,
            "households": result.created,
            "already_assigned": result.already_assigned,
        },
        reason=_("按%(kind)s分配采集任务") % {"kind": _("网格") if kind == "grid" else _("村民小组")},
    )
    return result


@transaction.atomic
def assignment_create_by_grid(*, actor: User, campaign: Campaign, grid: Grid, collector: User) -> AssignmentResult:
    """Assign every household of ``grid`` not yet assigned in ``campaign`` to ``collector``.

    Households already assigned stay with their collector (listed in ``already_assigned``). Raises
    NotFound if the actor may not manage the grid's village or the grid lies outside the campaign;
    ValidationFailed if the collector may not edit those households. Audited as ``assignment.created``.
    """
    households = Household.objects.all().filter(grid=grid, region_id=grid.village_id)
    return _assign(actor=actor, campaign=campaign, households=households, collector=collector, target=grid, kind="grid")


@transaction.atomic
def assignment_create_by_group(
    *, actor: User, campaign: Campaign, group: VillagerGroup, collector: User
) -> AssignmentResult:
    """Assign every household of a villager group (村民小组) not yet assigned in ``campaign`` to ``collector``.

    Same rules and audit as :func:`assignment_create_by_grid`.
    """
    households = Household.objects.all().filter(group=group, region_id=group.village_id)
    return _assign(
        actor=actor, campaign=campaign, households=households, collector=collector, target=group, kind="group"
    )


@transaction.atomic
def assignment_reassign(
    *,
    actor: User,
    campaign: Campaign,
    collector: User,
    reason: str,
    household_ids: list[int] | None = None,
    from_collector: User | None = None,
) -> AssignmentResult:
    """Move assignments of ``campaign`` to ``collector``: the listed households, or all of ``from_collector``'s.

    Needs a reason. Only assignments the actor may manage move; naming none of them is NotFound.
    Writes one ``assignment.reassigned`` audit event per village with the old collector of each household.
    """
    if not reason.strip():
        raise ValidationFailed(_("请填写调整原因"), {"field": "reason"})
    if household_ids is None and from_collector is None:
        raise ValidationFailed(_("请选择要调整的农户或原采集员"), {"field": "households"})
    campaign = _campaign_for_update(actor, campaign)
    assignments = Assignment.objects.visible_to(actor, ASSIGN_ACTION).filter(campaign=campaign)
    if household_ids is not None:
        assignments = assignments.filter(household_id__in=household_ids)
    if from_collector is not None:
        assignments = assignments.filter(collector=from_collector)
    rows = list(assignments.select_for_update().select_related("household").order_by("pk"))
    if not rows:
        raise NotFound()
    rows = [a for a in rows if a.collector_id != collector.pk]
    _check_collector(collector, [a.household for a in rows])
    by_village: dict[str, dict[str, Any]] = {}
    for assignment in rows:
        entry = by_village.setdefault(assignment.household.region_id, {})
        entry[str(assignment.household_id)] = [assignment.collector_id, collector.pk]
    Assignment.objects.filter(pk__in=[a.pk for a in rows]).update(collector=collector, assigned_by=actor)
    for village, changes in sorted(by_village.items()):
        audit.record(
            actor=actor,
            action="assignment.reassigned",
            target=campaign,
            region_code=village,
            changes={"collector": changes},
            reason=reason.strip(),
        )
    return AssignmentResult(moved=[a.household_id for a in rows])
