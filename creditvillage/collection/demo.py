"""The demo's collection chapter: this year's campaign in 横塘岗乡 (contract.md, "Demo").

- the campaign opened by the township operator with seed 000's deadlines;
- every household of the township assigned by grid: 周庵村 to the demo ``collector`` (姜磊) and, for
  its last grid, to a second collector; every other village to a collector of its own (the work
  team member of seed 000's annex 2);
- 黄墩村, 缸窑村 and 金公庙村 verified and closed (snapshots written, households marked verified);
- 周庵村 and the 2023 villages in progress: some verified, some waiting for verification, some
  drafts, the rest not started; four submissions returned with reasons through the service;
- in 凤凰台村 one collector submitted six archives two minutes apart (a quality flag to look at);
- the 2024 villages assigned but not started.

Fast: submissions and snapshots are written with ``bulk_create`` in the states the services would
leave them in; returns and closures go through the services (audited). Deterministic: fixed
timestamps, households taken in number order.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Max

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.accounts.roles import Role
from creditvillage.collection import archive
from creditvillage.collection.campaigns import campaign_create
from creditvillage.collection.models import (
    ArchiveSnapshot,
    Assignment,
    Campaign,
    SubjectType,
    Submission,
    SubmissionState,
)
from creditvillage.collection.services import submission_return, village_close
from creditvillage.core import audit
from creditvillage.registry.choices import ArchiveStatus
from creditvillage.registry.models import Asset, Debt, Household, Income, Insurance, Person

if TYPE_CHECKING:
    from creditvillage.demo.steps import DemoContext

CHINA = ZoneInfo("Asia/Shanghai")
TOWNSHIP = "341502204000"  # 横塘岗乡
ZHOUAN = "341502204201"  # 周庵村
YEAR = 2026
CLOSED = ("黄墩村", "缸窑村", "金公庙村")
# Village → (verified, submitted, draft) shares of its households; the rest are not started.
IN_PROGRESS = {
    "周庵村": (0.45, 0.25, 0.10),
    "凤凰台村": (0.30, 0.20, 0.10),
    "古城寺村": (0.25, 0.15, 0.10),
    "九里冲村": (0.20, 0.15, 0.05),
    "龙王岩村": (0.15, 0.10, 0.05),
}
RETURNS = {
    "周庵村": [
        {"household.phone": "联系电话为空号，请入户核实后重新填写"},
        {"incomes": "种植收入与承包土地面积明显不符，请重新核实"},
        {"_all": "家庭成员信息不全：配偶未登记，请补充后再提交"},
    ],
    "凤凰台村": [{"assets": "住房估值与本村同类住房差距过大，请说明依据"}],
}
FAST_VILLAGE = "凤凰台村"
START = dt.datetime(2026, 5, 6, 9, 0, tzinfo=CHINA)  # collection began after the May Day holiday
SECTION_MODELS: dict[str, Any] = {"assets": Asset, "incomes": Income, "debts": Debt, "insurances": Insurance}


def build(ctx: DemoContext) -> None:
    operator = ctx.users["township_operator"]
    campaign = campaign_create(actor=operator, region=_region(TOWNSHIP), year=YEAR)
    collectors = _collectors(ctx)
    _assign(campaign, operator, collectors)
    households = _households()
    archives = archive_rows(households)
    by_village: dict[str, list[Household]] = {}
    for household in households:
        by_village.setdefault(household.region.name, []).append(household)
    assigned = dict(campaign.assignments.values_list("household_id", "collector_id"))
    for name, rows in sorted(by_village.items()):
        if name in CLOSED:
            plan = (1.0, 0.0, 0.0)
        else:
            plan = IN_PROGRESS.get(name, (0.0, 0.0, 0.0))
        _submissions(campaign, operator, rows, archives, assigned, plan, fast=name == FAST_VILLAGE)
    for name, reasons in RETURNS.items():
        submitted = Submission.objects.filter(
            campaign=campaign, region__name=name, state=SubmissionState.SUBMITTED
        ).order_by("household__number")
        for submission, why in zip(submitted, reasons, strict=False):
            submission_return(actor=operator, submission=submission, expected_version=submission.version, reasons=why)
    for name in CLOSED:
        village_close(actor=operator, campaign=campaign, village=by_village[name][0].region)
    ctx.notes["collection_campaign"] = campaign.pk


def _region(code: str) -> Any:
    from creditvillage.regions.models import Region

    return Region.objects.get(pk=code)


def _collectors(ctx: DemoContext) -> dict[str, list[User]]:
    """Collectors per village code: the demo ``collector`` and a second one in 周庵村, one elsewhere."""
    from creditvillage.demo.data import WORK_TEAMS
    from creditvillage.regions.models import Region

    password = ctx.users["collector"].password  # the demo password's hash, as for the household login
    result: dict[str, list[User]] = {}
    villages = Region.objects.filter(parent_id=TOWNSHIP, level="village").order_by("code")
    new_users, grants = [], []
    for village in villages:
        leader, member = WORK_TEAMS.get(village.name, ("", ""))
        if village.code == ZHOUAN:
            names = [("collector_zhouan2", leader or "周庵村采集员")]
        else:
            names = [(f"collector_{village.code[-3:]}", member or f"{village.name}采集员")]
        for username, display in names:
            user = User(username=username, display_name=display, password=password)
            new_users.append(user)
            grants.append((user, village.code))
        result[village.code] = []
    User.objects.bulk_create(new_users)
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, role=Role.COLLECTOR, region_id=code) for user, code in grants]
    )
    for user, code in grants:
        result[code].append(user)
    result[ZHOUAN].insert(0, ctx.users["collector"])
    return result


def _assign(campaign: Campaign, operator: User, collectors: dict[str, list[User]]) -> None:
    """Assign by grid, as ``assignment_create_by_grid`` would, in one bulk insert and one audit event per village.

    周庵村's last grid goes to its second collector, every other grid to the village's first collector.
    """
    from creditvillage.regions.models import Grid

    last_grid = dict(
        Grid.objects.filter(village__parent_id=TOWNSHIP)
        .values("village_id")
        .annotate(n=Max("number"))
        .values_list("village_id", "n")
    )
    rows = Household.objects.filter(region__parent_id=TOWNSHIP, grid__isnull=False).order_by("region_id", "number")
    assignments = []
    by_village: dict[str, dict[str, list[int]]] = {}
    for pk, village, grid_id, grid_number, group_id in rows.values_list(
        "pk", "region_id", "grid_id", "grid__number", "group_id"
    ):
        people = collectors[village]
        collector = people[1] if len(people) > 1 and grid_number == last_grid.get(village) else people[0]
        assignments.append(
            Assignment(
                campaign=campaign,
                household_id=pk,
                collector=collector,
                grid_id=grid_id,
                group_id=group_id,
                assigned_by=operator,
            )
        )
        by_village.setdefault(village, {}).setdefault(str(collector.pk), []).append(pk)
    Assignment.objects.bulk_create(assignments, batch_size=1000)
    for village, by_collector in sorted(by_village.items()):
        audit.record(
            actor=operator,
            action="assignment.created",
            target=campaign,
            region_code=village,
            changes={"by": "grid", "households": by_collector},
            reason="按网格分配采集任务",
        )


def _households() -> list[Household]:
    return list(
        Household.objects.filter(region__parent_id=TOWNSHIP).select_related("region").order_by("region_id", "number")
    )


def archive_rows(households: list[Household]) -> dict[int, dict[str, Any]]:
    """``archive.archive_data`` for many households at once (same shape, same values), one query per part.

    (``prefetch_related`` spends seconds building a queryset per household; plain value rows do not.)
    """
    out: dict[int, dict[str, Any]] = {
        h.pk: {
            "household": {name: getattr(h, name) for name in archive.HOUSEHOLD_FIELDS},
            "members": [],
            **{section: [] for section in archive.SECTIONS},
        }
        for h in households
    }
    pks = list(out)
    parts: list[tuple[str, Any, tuple[str, ...]]] = [
        ("members", Person, archive.MEMBER_FIELDS),
        *((section, model, archive.SECTIONS[section]) for section, model in SECTION_MODELS.items()),
    ]
    for section, model, fields in parts:
        for row in model.objects.filter(household_id__in=pks).order_by("pk").values("household_id", *fields):
            household_id = row.pop("household_id")
            if section == "assets":
                quantity = row["quantity"]
                row["quantity"] = str(quantity.normalize()) if quantity else "0"
            out[household_id][section].append(row)
    return out


def _submissions(
    campaign: Campaign,
    operator: User,
    households: list[Household],
    archives: dict[int, dict[str, Any]],
    assigned: dict[int, int],
    plan: tuple[float, float, float],
    *,
    fast: bool,
) -> None:
    n = len(households)
    verified_n, submitted_n, draft_n = (round(n * share) for share in plan)
    submissions, verified = [], []
    for index, household in enumerate(households[: verified_n + submitted_n + draft_n]):
        if index < verified_n:
            state = SubmissionState.VERIFIED
        elif index < verified_n + submitted_n:
            state = SubmissionState.SUBMITTED
        else:
            state = SubmissionState.DRAFT
        # An ordinary pace (40 minutes a household, eight a day); the fast village's first six: 2 minutes apart.
        day, slot = divmod(index, 8)
        at = START + dt.timedelta(days=day, minutes=40 * slot)
        if fast and index < 6:
            at = START + dt.timedelta(days=20, minutes=2 * index)
        data = archives[household.pk]
        submission = Submission(
            campaign=campaign,
            region_id=household.region_id,
            subject_type=SubjectType.HOUSEHOLD,
            subject_id=household.pk,
            household=household,
            collector_id=assigned.get(household.pk),
            channel=household.channel,
            state=state,
            data=data,
            base=data,
            base_version=household.version,
            submitted_at=None if state == SubmissionState.DRAFT else at,
            verified_by=operator if state == SubmissionState.VERIFIED else None,
            verified_at=_verified_on(at) if state == SubmissionState.VERIFIED else None,
        )
        submissions.append(submission)
        if state == SubmissionState.VERIFIED:
            verified.append(submission)
    Submission.objects.bulk_create(submissions)
    ArchiveSnapshot.objects.bulk_create(
        [
            ArchiveSnapshot(
                campaign=campaign,
                submission=s,
                region_id=s.region_id,
                subject_type=s.subject_type,
                subject_id=s.subject_id or 0,
                household_id=s.household_id,
                data=s.data,
                verified_by=operator,
                verified_at=s.verified_at or START,
            )
            for s in verified
        ]
    )
    by_day: dict[dt.datetime, list[int]] = {}
    for s in verified:
        by_day.setdefault(s.verified_at or START, []).append(s.household_id or 0)
    for when, pks in sorted(by_day.items()):
        Household.objects.filter(pk__in=pks).update(status=ArchiveStatus.VERIFIED, verified_at=when)


def _verified_on(submitted: dt.datetime) -> dt.datetime:
    """The township verifies three days after submission, at the end of the working day."""
    return (submitted + dt.timedelta(days=3)).replace(hour=17, minute=0)
