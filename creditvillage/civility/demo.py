"""The demo's civility chapter: a closed 2026 round for every village with households.

Each village gets an evaluation group of five (in 周庵村 the ``evaluator`` login and four generated
villagers; elsewhere five generated villagers, whose paper sheets the operators entered — see
``GENERATE_LOGINS``), a deliberation and
a supervision group, every household scored independently by the evaluators not recused from it
(each generated evaluator is a villager: recused from their own household and one recorded
relative's), the six steps of 三议两审一公开 recorded in June 2026, and frozen results. In 周庵村
one evaluator scores systematically high and is flagged, and one household is vetoed by two
evaluators with a written basis (a third household's lone veto does not count).

Fast and deterministic: everything is built with ``bulk_create`` from a seeded generator; the
score arithmetic is the services' (``round_outcome``).
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.accounts.roles import Role
from creditvillage.civility import compute, services
from creditvillage.civility.models import (
    PROCEDURE_STEPS,
    CivilityRound,
    Evaluation,
    EvaluationMark,
    GroupKind,
    GroupMember,
    HouseholdResult,
    ProcedureStep,
    Relative,
    RoundStatus,
    SchemeItem,
    StepKind,
)
from creditvillage.core import audit
from creditvillage.regions.models import Region
from creditvillage.registry.models import Household, Person

if TYPE_CHECKING:
    from creditvillage.demo.steps import DemoContext

CHINA = ZoneInfo("Asia/Shanghai")
YEAR = 2026
ZHOUAN = "341502204201"
EVALUATORS = 5
# The contract's demo has exactly its named logins (demo/tests: User count), so the generated
# evaluators are named villagers whose paper sheets the operators entered; True gives each a login.
GENERATE_LOGINS = False
GENEROUS = 4  # in 周庵村, the fifth evaluator scores high on purpose (the flagged one)
VETO_ITEM = "被列为失信被执行人"
VETO_BASIS = "经查询中国执行信息公开网，户主于2026年3月被列为失信被执行人（执行案号（2026）皖1502执恢123号）"
STEP_DAYS: dict[str, int] = {
    StepKind.PRE_EVALUATION: 2,
    StepKind.VILLAGE_DELIBERATION: 9,
    StepKind.CONFIRMATION: 12,
    StepKind.TOWNSHIP_REVIEW: 16,
    StepKind.SYSTEM_AUDIT: 20,
    StepKind.PUBLICITY: 23,
}
STEP_PEOPLE: dict[str, tuple[int, int, str]] = {
    StepKind.PRE_EVALUATION: (5, 5, "评议小组全体成员"),
    StepKind.VILLAGE_DELIBERATION: (9, 8, "村党组织书记、村两委成员、党员和村民代表、金融村官"),
    StepKind.CONFIRMATION: (31, 26, "村民代表"),
    StepKind.TOWNSHIP_REVIEW: (5, 5, "乡镇信用村建设工作专班"),
    StepKind.SYSTEM_AUDIT: (3, 3, "县信用村建设办公室"),
    StepKind.PUBLICITY: (1, 1, "村务公开栏、村微信群"),
}
# Items a household may have (positive and negative), with how often they occur.
POSITIVE_ODDS = {
    "参加村民会议和村级事务": 0.6,
    "获评“美丽庭院”": 0.2,
    "年内志愿服务4次以上": 0.15,
    "捐款捐物": 0.15,
    "婚事新办或丧事简办": 0.2,
    "调解邻里纠纷": 0.08,
    "带动5户以上农户增收": 0.04,
    "获乡镇级“好媳妇、好婆婆、最美家庭”称号": 0.06,
}
NEGATIVE_ODDS = {
    "乱扔垃圾或焚烧秸秆（每次）": 0.08,
    "经通知后庭院仍脏乱": 0.05,
    "与邻里长期矛盾": 0.04,
    "大操大办或高额彩礼": 0.04,
    "违法建设未整改": 0.02,
}


def build(ctx: DemoContext) -> None:
    villages = list(
        Region.objects.filter(code__in=ctx.archived_village_codes).select_related("parent").order_by("code")
    )
    if not villages:
        return
    version = services.default_version_ensure()
    items = {i.text: i for i in SchemeItem.objects.filter(version=version)}
    rules = services.version_rules(version)
    password = ctx.users["collector"].password  # the demo password, hashed once by the builder
    township_operator = ctx.users.get("township_operator")
    households = _households([v.code for v in villages])
    persons = _heads([v.code for v in villages])

    # Rounds, one per village.
    rounds = CivilityRound.objects.bulk_create(
        CivilityRound(
            region=v,
            year=YEAR,
            scheme_version=version,
            status=RoundStatus.OPEN,
            created_by=township_operator if v.code.startswith("341502204") else None,
        )
        for v in villages
    )

    # Evaluator logins: generated villagers (linked to a head of household by ID number).
    rng = random.Random(f"demo-civility:{ctx.seed}")
    generated: list[tuple[CivilityRound, int, Person]] = []
    for round_ in rounds:
        heads = persons[round_.region_id]
        picks = rng.sample(range(len(heads)), EVALUATORS)
        slots = range(1, EVALUATORS) if round_.region_id == ZHOUAN else range(EVALUATORS)
        generated += [(round_, slot, heads[picks[slot]]) for slot in slots]
    users: list[User | None] = [None] * len(generated)
    if GENERATE_LOGINS:
        users = list(
            User.objects.bulk_create(
                User(username=f"pingyi{round_.region_id[6:]}{slot}", password=password, display_name=person.name)
                for round_, slot, person in generated
            )
        )
        RoleAssignment.objects.bulk_create(
            RoleAssignment(user=user, role=Role.EVALUATOR, region_id=round_.region_id)
            for user, (round_, _slot, _person) in zip(users, generated, strict=True)
        )
    member_rows = [
        GroupMember(
            round=round_,
            group=GroupKind.EVALUATION,
            user=user,
            name=person.name,
            id_number=person.id_number,
            title="评议员" if slot else "评议小组组长",
        )
        for user, (round_, slot, person) in zip(users, generated, strict=True)
    ]
    zhouan_round = next((r for r in rounds if r.region_id == ZHOUAN), None)
    if zhouan_round is not None and "evaluator" in ctx.users:
        member_rows.append(
            GroupMember(
                round=zhouan_round,
                group=GroupKind.EVALUATION,
                user=ctx.users["evaluator"],
                name=ctx.users["evaluator"].display_name,
                title="评议小组组长",
            )
        )
    for round_ in rounds:
        member_rows += [
            GroupMember(
                round=round_, group=GroupKind.DELIBERATION, name=f"{round_.region.name}党组织书记", title="组长"
            ),
            GroupMember(round=round_, group=GroupKind.DELIBERATION, name="金融村官", title="成员"),
            GroupMember(round=round_, group=GroupKind.SUPERVISION, name="村务监督委员会主任", title="组长"),
        ]
    GroupMember.objects.bulk_create(member_rows)
    evaluators: dict[int, list[GroupMember]] = {}
    for m in sorted(member_rows, key=lambda m: (m.round_id, m.title != "评议小组组长", m.pk)):
        if m.group == GroupKind.EVALUATION:
            evaluators.setdefault(m.round_id, []).append(m)

    # Relatives: each generated evaluator has one recorded relative household (the next one).
    relatives = []
    for _round, _slot, person in generated:
        village = households[person.household.region_id]
        index = village.index(person.household_id)
        relatives.append(
            Relative(id_number=person.id_number, household_id=village[(index + 1) % len(village)], relation="兄弟姐妹")
        )
    Relative.objects.bulk_create(relatives)
    recused: dict[int, set[int]] = {
        m.pk: _recused_of(m, generated, relatives) if m.id_number else set() for ms in evaluators.values() for m in ms
    }

    # Evaluations: a latent profile per household, seen by each evaluator with a little noise.
    evaluations: list[tuple[int, int, int, Decimal, int | None, dt.datetime]] = []
    marks: list[tuple[int, list[tuple[int, int, str]]]] = []
    for round_ in rounds:
        members = evaluators[round_.pk]
        generous = members[GENEROUS] if round_.region_id == ZHOUAN else None
        village = households[round_.region_id]
        veto_households = {village[7]: 2, village[19]: 1} if round_.region_id == ZHOUAN else {}
        for household_id in village:
            profile = _profile(rng)
            for m in members:
                if household_id in recused[m.pk]:
                    continue
                ticked = dict(profile)
                if rng.random() < 0.15:  # an evaluator now and then sees one item differently
                    text = rng.choice(list(POSITIVE_ODDS))
                    if text in ticked:
                        del ticked[text]
                    else:
                        ticked[text] = 1
                if m is generous:
                    for text in ("年内志愿服务4次以上", "捐款捐物", "获评“美丽庭院”", "带动5户以上农户增收"):
                        ticked[text] = 1
                    ticked = {t: c for t, c in ticked.items() if t not in NEGATIVE_ODDS}
                mark_rows = [(items[t].pk, c, "") for t, c in ticked.items()]
                vetoers = veto_households.get(household_id, 0)
                if vetoers and members.index(m) < vetoers:
                    mark_rows.append((items[VETO_ITEM].pk, 1, VETO_BASIS))
                score = compute.evaluation_score(rules, {item_id: count for item_id, count, _b in mark_rows})
                submitted = dt.datetime(YEAR, 6, 1, 9, 0, tzinfo=CHINA) + dt.timedelta(minutes=len(evaluations) % 1440)
                entered_by = m.user_id or (
                    township_operator.pk if township_operator and round_.region_id.startswith("341502204") else None
                )
                evaluations.append((round_.pk, m.pk, household_id, score, entered_by, submitted))
                marks.append((len(evaluations) - 1, mark_rows))
    _insert_evaluations(evaluations, marks)

    # Procedure steps, results, flags; then closed.
    steps = []
    for round_ in rounds:
        for kind in PROCEDURE_STEPS[round_.procedure]:
            expected, present, who = STEP_PEOPLE[kind]
            held = dt.date(YEAR, 6, STEP_DAYS[kind])
            steps.append(
                ProcedureStep(
                    round=round_,
                    kind=kind,
                    held_on=held,
                    ends_on=held + dt.timedelta(days=7) if kind == StepKind.PUBLICITY else None,
                    expected=expected,
                    present=present,
                    attendees=who,
                    minutes=f"{round_.region.name}{YEAR}年度乡风文明评议：{StepKind(kind).label}。",
                    recorded_by=township_operator if round_.region_id.startswith("341502204") else None,
                )
            )
    ProcedureStep.objects.bulk_create(steps)
    results: list[HouseholdResult] = []
    flagged_members: list[GroupMember] = []
    if connection.vendor == "postgresql":
        # Rows bulk-inserted a moment ago have no planner statistics: without them each round's
        # outcome query picks nested loops and takes seconds instead of milliseconds.
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE civility_evaluation, civility_evaluationmark, civility_groupmember, civility_relative,"
                " registry_household, registry_person"
            )
    for round_ in rounds:
        outcome = services.round_outcome(round_)
        results += outcome.results
        for m in evaluators[round_.pk]:
            d = outcome.deviations.get(m.pk)
            m.mean_deviation = d.mean if d else None
            m.compared_households = d.households if d else 0
            m.flagged = bool(d and d.flagged)
            flagged_members.append(m)
    HouseholdResult.objects.bulk_create(results, batch_size=2000)
    GroupMember.objects.bulk_update(flagged_members, ["mean_deviation", "compared_households", "flagged"])
    closed_at = dt.datetime(YEAR, 6, 30, 17, 0, tzinfo=CHINA)
    CivilityRound.objects.filter(pk__in=[r.pk for r in rounds]).update(
        status=RoundStatus.CLOSED, closed_at=closed_at, closings=1
    )
    CivilityRound.objects.filter(pk__in=[r.pk for r in rounds if r.region_id.startswith("341502204")]).update(
        closed_by=township_operator
    )
    for round_ in rounds:
        audit.record(
            actor=None,
            action="civility.round_closed",
            target=round_,
            region_code=round_.region_id,
            changes={"status": ["open", "closed"]},
            reason="演示数据",
            channel="system",
        )
    if zhouan_round is not None:
        ctx.notes["civility_evidence"] = _evidence_photos(zhouan_round, households[ZHOUAN][7])
    ctx.notes["civility_rounds"] = {r.region_id: r.pk for r in rounds}
    ctx.notes["civility_flagged"] = [m.pk for m in flagged_members if m.flagged]


def demo_png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A real (decodable) PNG: one colour with a darker diagonal band; no imaging library needed."""
    rows = bytearray()
    for y in range(height):
        rows += b"\0"
        for x in range(width):
            band = abs(x - y * width // height) < width // 10
            rows += bytes(c // 2 if band else c for c in colour)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b"")
    )


EVIDENCE_COLOURS = [(70, 130, 180), (60, 160, 90), (200, 140, 60)]


def _evidence_photos(round_: CivilityRound, vetoed_household: int) -> list[int]:
    """周庵村: an evidence photo on the first sheet of every household (later chapters choose which
    household the ``household`` login acts for) and on the second sheet of the vetoed one, stored
    as ``civility/demo/<evaluation id>.png`` (replaced on a rebuild). Three images, reused."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    images = [demo_png(320, 240, colour) for colour in EVIDENCE_COLOURS]
    chosen: dict[int, int] = {}
    seen: dict[int, int] = {}
    for pk, household_id in (
        Evaluation.objects.filter(round=round_).order_by("household_id", "member_id").values_list("pk", "household_id")
    ):
        seen[household_id] = seen.get(household_id, 0) + 1
        if seen[household_id] == 1 or (household_id == vetoed_household and seen[household_id] == 2):
            chosen[pk] = household_id
    for n, pk in enumerate(chosen):
        name = f"civility/demo/{pk}.png"
        default_storage.delete(name)
        stored = default_storage.save(name, ContentFile(images[n % len(images)]))
        Evaluation.objects.filter(pk=pk).update(photo=stored)
    return list(chosen)


def _insert_evaluations(
    evaluations: list[tuple[int, int, int, Decimal, int | None, dt.datetime]],
    marks: list[tuple[int, list[tuple[int, int, str]]]],
) -> None:
    """Evaluations and their marks as plain rows with explicit ids (no model instances: the ORM's
    per-object cost dominated the chapter), then the id sequences are moved past them."""
    ops = connection.ops
    first_evaluation = (Evaluation.objects.aggregate(n=Max("pk"))["n"] or 0) + 1
    first_mark = (EvaluationMark.objects.aggregate(n=Max("pk"))["n"] or 0) + 1
    evaluation_rows = [
        (
            first_evaluation + index,
            round_id,
            member_id,
            household_id,
            ops.adapt_decimalfield_value(score, 6, 2),
            "",
            "",
            user_id,
            ops.adapt_datetimefield_value(submitted),
            1,
        )
        for index, (round_id, member_id, household_id, score, user_id, submitted) in enumerate(evaluations)
    ]
    mark_rows: list[tuple[int, int, int, int, str]] = []
    for index, rows in marks:
        for item_id, count, basis in rows:
            mark_rows.append((first_mark + len(mark_rows), first_evaluation + index, item_id, count, basis))
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO civility_evaluation (id, round_id, member_id, household_id, score, note, photo,"
            " entered_by_id, submitted_at, version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            evaluation_rows,
        )
        cursor.executemany(
            "INSERT INTO civility_evaluationmark (id, evaluation_id, item_id, count, basis)"
            " VALUES (%s, %s, %s, %s, %s)",
            mark_rows,
        )
        for sql in ops.sequence_reset_sql(no_style(), [Evaluation, EvaluationMark]):
            cursor.execute(sql)


def _households(codes: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {code: [] for code in codes}
    for pk, region_id in (
        Household.objects.filter(region_id__in=codes).order_by("number").values_list("pk", "region_id")
    ):
        out[region_id].append(pk)
    return out


def _heads(codes: list[str]) -> dict[str, list[Person]]:
    out: dict[str, list[Person]] = {code: [] for code in codes}
    heads = (
        Person.objects.filter(household__region_id__in=codes, relation="head")
        .select_related("household")
        .only("pk", "name", "id_number", "household__id", "household__region_id", "household__number")
        .order_by("household__number")
    )
    for person in heads:
        out[person.household.region_id].append(person)
    return out


def _recused_of(
    member: GroupMember, generated: list[tuple[CivilityRound, int, Person]], relatives: list[Relative]
) -> set[int]:
    own = {p.household_id for _r, _s, p in generated if p.id_number == member.id_number}
    return own | {r.household_id for r in relatives if r.id_number == member.id_number}


def _profile(rng: random.Random) -> dict[str, int]:
    ticked = {text: 1 for text, odds in POSITIVE_ODDS.items() if rng.random() < odds}
    for text, odds in NEGATIVE_ODDS.items():
        if rng.random() < odds:
            ticked[text] = rng.randint(1, 2) if "每次" in text else 1
    return ticked
