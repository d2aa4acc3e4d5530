from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from creditvillage.civility import selectors, services
from creditvillage.civility.models import (
    CivilityRound,
    CivilityScheme,
    Evaluation,
    GroupKind,
    GroupMember,
    HouseholdResult,
    ProcedureKind,
    SchemeItem,
    SchemeVersion,
    StepKind,
)
from creditvillage.civility.tests.helpers import (
    ZHOUAN,
    item,
    open_round,
    record_all_steps,
    score,
    user_of,
)
from creditvillage.core.errors import NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.registry.models import Person
from tests.fixtures import World, make_id_number

pytestmark = pytest.mark.django_db
D = Decimal
ATTEND = "参加村民会议和村级事务"  # +1
GAMBLING = "参与赌博被查处"  # −3
DEFAULTER = "被列为失信被执行人"  # veto


# --- Schemes --------------------------------------------------------------------------------------------------


def test_default_scheme_is_shipped_active_with_eight_dimensions(world: World) -> None:
    version = services.default_version_ensure()
    assert version.status == "active"
    assert version.number == 1
    table = selectors.version_table(version)
    assert [d["dimension"].name for d in table["dimensions"]] == [
        "遵纪守法", "家庭和谐", "邻里友善", "关心集体", "爱护环境", "致富带富", "热心公益", "移风易俗",
    ]  # fmt: skip
    assert SchemeItem.objects.filter(version=version).exclude(kind="veto").count() == 21
    assert len(table["vetoes"]) == 8
    assert table["max_score"] == D("30")


def rows(*extra: services.ItemRow) -> list[services.ItemRow]:
    return [
        services.ItemRow("孝老爱亲", "positive", "获评孝老爱亲模范", D("2")),
        services.ItemRow("孝老爱亲", "negative", "不赡养父母", D("3")),
        services.ItemRow("", "veto", "被列为失信被执行人", D("0"), source="法院"),
        *extra,
    ]


def test_scheme_built_from_rows_versioned_and_frozen_once_active(world: World) -> None:
    admin = world.users["admin"]
    draft = services.scheme_create(actor=admin, code="wuwei", name="无为四维", reason="县里方案")
    services.scheme_version_update(
        actor=admin, version=draft, rows=rows(), base_per_dimension=D("5"), dimension_floor=D("0"),
        bonus_cap=D("4"), reason="录入清单",
    )  # fmt: skip
    services.scheme_version_activate(actor=admin, version=draft, reason="启用")
    draft.refresh_from_db()
    assert draft.status == "active"
    assert draft.items.count() == 3
    assert draft.dimensions.count() == 1
    with pytest.raises(ValidationFailed):
        services.scheme_version_update(
            actor=admin, version=draft, rows=rows(), base_per_dimension=D("3"), dimension_floor=D("0"),
            bonus_cap=None, reason="改",
        )  # fmt: skip
    v2 = services.scheme_version_new(actor=admin, scheme=draft.scheme, reason="修订")
    assert v2.number == 2
    assert v2.items.count() == 3
    assert v2.base_per_dimension == D("5")
    services.scheme_version_update(
        actor=admin, version=v2, rows=rows(services.ItemRow("孝老爱亲", "positive", "照料老人", D("1"))),
        base_per_dimension=D("5"), dimension_floor=D("0"), bonus_cap=D("4"), reason="加一项",
    )  # fmt: skip
    services.scheme_version_activate(actor=admin, version=v2, reason="启用新版")
    statuses = dict(SchemeVersion.objects.filter(scheme=draft.scheme).values_list("number", "status"))
    assert statuses == {1: "retired", 2: "active"}
    event = AuditEvent.objects.filter(action="civility.version_updated", target_id=str(v2.pk)).get()
    assert event.reason == "加一项"
    assert len(event.changes["items"][0]) == 3
    assert len(event.changes["items"][1]) == 4


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (services.ItemRow("", "positive", "无维度", D("1")), "dimension"),
        (services.ItemRow("孝老爱亲", "bonus", "类型错", D("1")), "kind"),
        (services.ItemRow("孝老爱亲", "positive", "", D("1")), "text"),
        (services.ItemRow("孝老爱亲", "negative", "零分", D("0")), "points"),
        (services.ItemRow("孝老爱亲", "negative", "太多", D("101")), "points"),
        (services.ItemRow("", "veto", "否决带分", D("2")), "points"),
        (services.ItemRow("孝老爱亲", "positive", "按次加分", D("1"), per_case=True), "per_case"),
        (services.ItemRow("孝老爱亲", "positive", "获评孝老爱亲模范", D("1")), "text"),  # duplicate
    ],
)
def test_bad_rows_refused_and_nothing_written(world: World, row: services.ItemRow, field: str) -> None:
    admin = world.users["admin"]
    draft = services.scheme_create(actor=admin, code="bad", name="坏方案", reason="试")
    with pytest.raises(ValidationFailed) as exc:
        services.scheme_version_update(
            actor=admin, version=draft, rows=rows(row), base_per_dimension=D("3"), dimension_floor=D("0"),
            bonus_cap=None, reason="录入",
        )  # fmt: skip
    assert [p["field"] for p in exc.value.details["problems"]] == [field]
    assert exc.value.details["problems"][0]["row"] == 4
    assert draft.items.count() == 0
    assert draft.dimensions.count() == 0


def test_only_configure_may_build_schemes(world: World) -> None:
    for name in ("township_operator", "evaluator", "village_operator"):
        with pytest.raises(PermissionDenied):
            services.scheme_create(actor=world.users[name], code=f"x{name}", name="x", reason="x")
    assert not CivilityScheme.objects.filter(code__startswith="x").exists()


def xlsx(lines: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, line in enumerate([["维度", "类型", "评议内容", "分值", "按次计", "数据来源"], *line_list(lines)]):
        for c, value in enumerate(line):
            sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def line_list(lines: list[list[Any]]) -> list[list[Any]]:
    return lines


def test_xlsx_upload_all_or_nothing(world: World) -> None:
    admin = world.users["admin"]
    good: list[list[Any]] = [
        ["遵纪守法", "加分", "普法示范户", 1, "", ""],
        ["遵纪守法", "扣分", "乱扔垃圾（每次）", -1, "是", ""],
        ["", "一票否决", "失信被执行人", "", "", "法院"],
    ]
    version = services.scheme_import_xlsx(
        actor=admin, data=xlsx(good), code="tongcheng", name="铜城镇5类25项", base_per_dimension=D("5"),
        dimension_floor=D("0"), bonus_cap=D("5"), reason="镇里细则",
    )  # fmt: skip
    assert version.is_draft
    assert version.items.count() == 3
    negative = version.items.get(kind="negative")
    assert negative.points == D("1")
    assert negative.per_case
    bad = [*good, ["遵纪守法", "加分", "", 1, "", ""], ["家庭和谐", "奖励", "好媳妇", "两分", "", ""]]
    with pytest.raises(ValidationFailed) as exc:
        services.scheme_import_xlsx(
            actor=admin, data=xlsx(bad), code="tongcheng", name="", base_per_dimension=D("5"),
            dimension_floor=D("0"), bonus_cap=D("5"), reason="再导",
        )  # fmt: skip
    problems = {(p["row"], p["field"]) for p in exc.value.details["problems"]}
    assert problems == {(5, "text"), (6, "kind"), (6, "points")}
    version.refresh_from_db()
    assert version.items.count() == 3  # untouched
    with pytest.raises(ValidationFailed):
        services.scheme_import_xlsx(
            actor=admin, data=b"not a workbook", code="tongcheng", name="", base_per_dimension=D("5"),
            dimension_floor=D("0"), bonus_cap=None, reason="坏文件",
        )  # fmt: skip


# --- Rounds, recusal, scores ------------------------------------------------------------------------------------


def test_evaluation_scores_and_audits_old_and_new(world: World) -> None:
    round_, members = open_round(world)
    household = world.household(ZHOUAN, 1)
    assert score(members[0], household, ATTEND) == D("25.00")
    assert score(members[0], household, ATTEND, GAMBLING) == D("22.00")
    evaluation = Evaluation.objects.get(member=members[0], household=household)
    assert evaluation.version == 2
    events = list(AuditEvent.objects.filter(action="civility.evaluation_submitted").order_by("pk"))
    assert len(events) == 2
    assert events[1].changes["score"] == ["25.00", "22.00"]
    assert events[1].actor_id == world.users["evaluator"].pk


def test_recused_from_own_household_and_relatives(world: World) -> None:
    round_, members = open_round(world)
    me = members[1]
    own = world.household(ZHOUAN, 0)
    relative = world.household(ZHOUAN, 2)
    # The evaluator is the head of household 0 (linked by ID number)
    head = Person.objects.get(household=own, relation="head")
    me.id_number = head.id_number
    me.save()
    services.relative_record(
        actor=world.users["village_operator"],
        id_number=head.id_number,
        household=relative,
        relation="兄弟",
        reason="登记亲属",
    )
    for household in (own, relative):
        with pytest.raises(services.Recused):
            score(me, household, ATTEND)
    assert not Evaluation.objects.filter(member=me).exists()
    assert score(me, world.household(ZHOUAN, 1), ATTEND) == D("25.00")
    states = {row["household"].pk: row["state"] for row in selectors.households_to_score(user_of(me), me)}
    assert states == {own.pk: "recused", relative.pk: "recused", world.household(ZHOUAN, 1).pk: "done"}
    # a user acting for a household (household role) is recused from it too
    services.relative_record  # noqa: B018
    other = members[2]
    from creditvillage.accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=user_of(other), role="household", region_id=ZHOUAN, household=own)
    with pytest.raises(services.Recused):
        score(other, own, ATTEND)


def test_member_add_named_person_with_valid_id_and_operator_enters_paper_sheet(world: World) -> None:
    round_, _members = open_round(world, evaluators=1)
    operator = world.users["village_operator"]
    with pytest.raises(ValidationFailed):
        services.member_add(actor=operator, round=round_, group="evaluation", name="王五", id_number="123", reason="x")
    named = services.member_add(
        actor=operator, round=round_, group="evaluation", name="王五",
        id_number=make_id_number("341502", dt.date(1968, 3, 3), 77), reason="村民代表",
    )  # fmt: skip
    evaluation = services.evaluation_submit(
        actor=operator, round=round_, household=world.household(ZHOUAN, 1), member=named,
        marks={item(round_, ATTEND).pk: services.MarkInput()}, reason="纸质评议表录入",
    )  # fmt: skip
    assert evaluation.score == D("25.00")
    assert evaluation.entered_by == operator
    # an evaluator cannot enter someone else's sheet
    with pytest.raises(NotFound):
        services.evaluation_submit(
            actor=world.users["evaluator"], round=round_, household=world.household(ZHOUAN, 2), member=named, marks={}
        )
    # an evaluator without the role cannot join the evaluation group
    with pytest.raises(ValidationFailed):
        services.member_add(actor=operator, round=round_, group="evaluation", user=world.users["collector"], reason="x")


def test_out_of_scope_and_outside_the_village_refused(world: World) -> None:
    round_, members = open_round(world)
    with pytest.raises(NotFound):
        score(members[0], world.household("341502204202", 0), ATTEND)  # sibling village
    with pytest.raises(NotFound):
        services.round_create(
            actor=world.users["other_township_operator"], region_code=ZHOUAN, year=2025,
            scheme_version=services.default_version_ensure(), reason="x",
        )  # fmt: skip
    with pytest.raises(NotFound):
        services.step_record(
            actor=world.users["sibling_township_operator"], round=round_, kind=StepKind.PRE_EVALUATION,
            held_on=dt.date(2026, 6, 1), expected=5, present=5, attendees="x", minutes="x",
        )  # fmt: skip
    assert CivilityRound.objects.count() == 1


def test_items_of_another_scheme_counts_and_veto_basis_validated(world: World) -> None:
    round_, members = open_round(world)
    household = world.household(ZHOUAN, 1)
    foreign = services.scheme_create(actor=world.users["admin"], code="other", name="其他", reason="x")
    services.scheme_version_update(
        actor=world.users["admin"], version=foreign, rows=rows(), base_per_dimension=D("3"),
        dimension_floor=D("0"), bonus_cap=None, reason="x",
    )  # fmt: skip
    bad_marks = [
        {foreign.items.first().pk: services.MarkInput()},  # type: ignore[union-attr]
        {item(round_, ATTEND).pk: services.MarkInput(count=2)},
        {item(round_, DEFAULTER).pk: services.MarkInput(basis="  ")},
    ]
    for marks in bad_marks:
        with pytest.raises(ValidationFailed):
            services.evaluation_submit(actor=user_of(members[0]), round=round_, household=household, marks=marks)
    assert not Evaluation.objects.exists()


def close(world: World, round_: CivilityRound) -> CivilityRound:
    record_all_steps(world, round_)
    return services.round_close(actor=world.users["township_operator"], round=round_, reason="评议结束")


def test_trimmed_mean_three_vs_four_evaluators(world: World) -> None:
    round_, members = open_round(world, evaluators=4)
    h1, h2 = world.household(ZHOUAN, 1), world.household(ZHOUAN, 2)
    # household 1: three evaluators → plain mean of 25, 24, 21
    score(members[0], h1, ATTEND)
    score(members[1], h1)
    score(members[2], h1, GAMBLING)
    # household 2: four evaluators → 30 (capped) and 21 dropped, mean of 25 and 24
    score(members[0], h2, ATTEND)
    score(members[1], h2)
    score(members[2], h2, GAMBLING)
    score(
        members[3],
        h2,
        *["获县级及以上“好媳妇、好婆婆、最美家庭”称号", "带动5户以上农户增收", "捐款捐物", ATTEND, "获评“美丽庭院”"],
    )
    close(world, round_)
    results = dict(HouseholdResult.objects.filter(round=round_).values_list("household_id", "score"))
    assert results == {h1.pk: D("23.33"), h2.pk: D("24.50")}
    assert Evaluation.objects.get(member=members[3], household=h2).score == D("30.00")


def test_flagged_evaluator_recorded_at_close(world: World) -> None:
    from creditvillage.registry.models import Household

    extra = [
        Household.objects.create(region_id=ZHOUAN, number=f"ZA{i:04d}", head_name=f"户{i}", member_count=1)
        for i in range(5)
    ]
    round_, members = open_round(world, evaluators=4)
    generous = members[3]
    for household in extra:
        score(members[0], household)
        score(members[1], household)
        score(members[2], household)
        score(generous, household, ATTEND, "捐款捐物", "带动5户以上农户增收", "获评“美丽庭院”")  # 29
    detail = selectors.round_detail(world.users["township_operator"], round_)
    assert [p.member.pk for p in detail["flagged"]] == [generous.pk]  # live while open
    close(world, round_)
    flags = dict(GroupMember.objects.filter(round=round_, group="evaluation").values_list("pk", "flagged"))
    assert flags == {members[0].pk: False, members[1].pk: False, members[2].pk: False, generous.pk: True}
    generous.refresh_from_db()
    assert generous.mean_deviation == D("5.00")
    assert generous.compared_households == 5


def test_veto_needs_two_evaluators_and_basis(world: World) -> None:
    round_, members = open_round(world, evaluators=3)
    one, two = world.household(ZHOUAN, 1), world.household(ZHOUAN, 2)
    basis = "2026年5月经天长市人民法院列入失信被执行人名单"
    score(members[0], one, DEFAULTER, basis=basis)  # a single evaluator: not enough
    score(members[1], one)
    score(members[0], two, DEFAULTER, basis=basis)
    score(members[1], two, DEFAULTER, basis=basis)
    close(world, round_)
    vetoes = selectors.household_civility_vetoes("341502204")
    assert vetoes == {two.pk: f"{DEFAULTER}：{basis}"}


def test_procedure_steps_gate_close_in_order_with_quorum(world: World) -> None:
    round_, members = open_round(world)
    score(members[0], world.household(ZHOUAN, 1))
    operator = world.users["township_operator"]
    with pytest.raises(ValidationFailed) as exc:
        services.round_close(actor=operator, round=round_, reason="结束")
    assert exc.value.details["missing_steps"] == PROCEDURE_3_2_1
    # out of order
    with pytest.raises(ValidationFailed):
        services.step_record(
            actor=operator, round=round_, kind=StepKind.VILLAGE_DELIBERATION, held_on=dt.date(2026, 6, 1),
            expected=5, present=5, attendees="x", minutes="x",
        )  # fmt: skip
    services.step_record(
        actor=operator, round=round_, kind=StepKind.PRE_EVALUATION, held_on=dt.date(2026, 6, 1),
        expected=5, present=5, attendees="评议小组5人", minutes="初评",
    )  # fmt: skip
    services.step_record(
        actor=operator, round=round_, kind=StepKind.VILLAGE_DELIBERATION, held_on=dt.date(2026, 6, 3),
        expected=7, present=6, attendees="审议小组", minutes="审议",
    )  # fmt: skip
    # confirmation needs more than two thirds present: 6 of 9 is not enough
    with pytest.raises(ValidationFailed) as exc:
        services.step_record(
            actor=operator, round=round_, kind=StepKind.CONFIRMATION, held_on=dt.date(2026, 6, 5),
            expected=9, present=6, attendees="村民代表", minutes="确认",
        )  # fmt: skip
    assert "present" in exc.value.details["fields"]
    with pytest.raises(ValidationFailed):
        services.round_close(actor=operator, round=round_, reason="结束")
    record_all_steps(world, round_)
    services.round_close(actor=operator, round=round_, reason="结束")
    round_.refresh_from_db()
    assert round_.status == "closed"
    with pytest.raises(services.RoundClosed):
        score(members[0], world.household(ZHOUAN, 2))


PROCEDURE_3_2_1 = [
    "pre_evaluation", "village_deliberation", "confirmation", "township_review", "system_audit", "publicity",
]  # fmt: skip


def test_four_two_procedure_has_its_own_steps(world: World) -> None:
    round_ = services.round_create(
        actor=world.users["township_operator"], region_code="341502204202", year=2026,
        scheme_version=services.default_version_ensure(), procedure=ProcedureKind.FOUR_TWO, reason="四议两公开",
    )  # fmt: skip
    assert services.missing_steps(round_)[0] == "branch_proposal"
    assert len(services.missing_steps(round_)) == 6


def test_selectors_feed_scoring_from_latest_closed_round(world: World) -> None:
    h1 = world.household(ZHOUAN, 1)
    assert selectors.household_civility_scores("341502204") == {}
    old, members = open_round(world, year=2025)
    score(members[0], h1, GAMBLING)
    close(world, old)
    assert selectors.household_civility_scores("341502204") == {h1.pk: D("21.00")}
    new, members_new = open_round(world, year=2026)
    score(members_new[0], h1, ATTEND)
    # still open: scoring keeps reading the closed 2025 round
    assert selectors.household_civility_scores("3415") == {h1.pk: D("21.00")}
    close(world, new)
    assert selectors.household_civility_scores("341502204201") == {h1.pk: D("25.00")}
    assert selectors.household_civility_scores("341502204", year=2025) == {h1.pk: D("21.00")}
    assert selectors.household_civility_scores("341181") == {}


def test_photo_validated_and_stored(world: World, settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    round_, members = open_round(world, evaluators=1)
    household = world.household(ZHOUAN, 1)
    fake = SimpleUploadedFile("x.jpg", b"MZ not an image", content_type="image/jpeg")
    with pytest.raises(ValidationFailed):
        services.evaluation_submit(actor=user_of(members[0]), round=round_, household=household, marks={}, photo=fake)
    png = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
    evaluation = services.evaluation_submit(
        actor=user_of(members[0]), round=round_, household=household, marks={}, photo=png
    )
    assert str(evaluation.photo.name).endswith(".png")
    assert evaluation.photo.size == 72
    big = SimpleUploadedFile("b.jpg", b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024), content_type="image/jpeg")
    with pytest.raises(ValidationFailed):
        services.evaluation_submit(actor=user_of(members[0]), round=round_, household=household, marks={}, photo=big)


def test_member_in_group_kinds(world: World) -> None:
    round_, _members = open_round(world, evaluators=1)
    services.member_add(
        actor=world.users["village_operator"], round=round_, group=GroupKind.DELIBERATION, name="村书记", title="组长",
        reason="审议小组",
    )  # fmt: skip
    detail = selectors.round_detail(world.users["regulator"], round_)
    assert [m.name for m in detail["groups"]["deliberation"]] == ["村书记"]
