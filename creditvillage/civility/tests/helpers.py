"""Building blocks for the civility tests: evaluators, a round, marks by item text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.civility import services
from creditvillage.civility.models import PROCEDURE_STEPS, CivilityRound, GroupKind, GroupMember, SchemeItem
from creditvillage.registry.models import Household
from tests.fixtures import World

ZHOUAN = "341502204201"


def evaluator(username: str, village: str = ZHOUAN) -> User:
    user = User.objects.create_user(username=username, password="x-unused-1", display_name=username)
    RoleAssignment.objects.create(user=user, role="evaluator", region_id=village)
    return user


def open_round(
    world: World, *, evaluators: int = 3, village: str = ZHOUAN, year: int = 2026
) -> tuple[CivilityRound, list[GroupMember]]:
    operator = world.users["township_operator"] if village.startswith("341502204") else world.users["admin"]
    round_ = services.round_create(
        actor=operator,
        region_code=village,
        year=year,
        scheme_version=services.default_version_ensure(),
        reason="年度评议",
    )
    members = []
    for i in range(evaluators):
        user = (
            world.users["evaluator"]
            if i == 0 and village == ZHOUAN
            else evaluator(f"ev{village[-3:]}{year}{i}", village)
        )
        members.append(
            services.member_add(
                actor=operator, round=round_, group=GroupKind.EVALUATION, user=user, reason="组建评议小组"
            )
        )
    return round_, members


def user_of(member: GroupMember) -> User:
    assert member.user is not None
    return member.user


def item(round_: CivilityRound, text: str) -> SchemeItem:
    return SchemeItem.objects.get(version=round_.scheme_version, text=text)


def score(
    member: GroupMember, household: Household, *texts: str, basis: str = "", counts: dict[str, int] | None = None
) -> Decimal:
    assert member.user is not None
    marks = {}
    for text in texts:
        it = item(member.round, text)
        marks[it.pk] = services.MarkInput((counts or {}).get(text, 1), basis if it.kind == "veto" else "")
    evaluation = services.evaluation_submit(actor=member.user, round=member.round, household=household, marks=marks)
    return evaluation.score


def record_all_steps(world: World, round_: CivilityRound) -> None:
    operator = world.users["township_operator"]
    for offset, kind in enumerate(PROCEDURE_STEPS[round_.procedure]):
        services.step_record(
            actor=operator,
            round=round_,
            kind=kind,
            held_on=dt.date(2026, 6, 1) + dt.timedelta(days=offset * 3),
            ends_on=dt.date(2026, 6, 1) + dt.timedelta(days=offset * 3 + 7),
            expected=9,
            present=8,
            attendees="张三、李四等8人",
            minutes="会议纪要",
        )
