"""Reopening a closed round, the indicator refresh at close, and the scoped evidence photos."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from creditvillage.civility import selectors, services
from creditvillage.civility.models import CivilityRound, GroupKind, HouseholdResult, RoundStatus
from creditvillage.civility.tests.helpers import ZHOUAN, open_round, record_all_steps, score, user_of
from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.scoring.models import SubjectIndicators
from tests.fixtures import World

pytestmark = pytest.mark.django_db

D = Decimal
ATTEND = "参加村民会议和村级事务"  # +1 → 25.00
GAMBLING = "参与赌博被查处"  # −3 → 21.00
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def client_for(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


def closed_round(world: World, *texts: str) -> CivilityRound:
    round_, members = open_round(world, evaluators=1)
    score(members[0], world.household(ZHOUAN, 1), *texts)
    record_all_steps(world, round_)
    services.round_close(actor=world.users["township_operator"], round=round_, reason="结束")
    round_.refresh_from_db()
    return round_


# --- Reopen -------------------------------------------------------------------------------------------------------


def test_reopen_keeps_results_as_history_and_reclose_recomputes(world: World) -> None:
    round_ = closed_round(world, GAMBLING)
    h1 = world.household(ZHOUAN, 1)
    assert (round_.status, round_.closings) == (RoundStatus.CLOSED, 1)
    assert selectors.household_civility_scores(ZHOUAN) == {h1.pk: D("21.00")}

    services.round_reopen(actor=world.users["township_operator"], round=round_, reason="赌博记录系误登，需更正")
    round_.refresh_from_db()
    assert (round_.status, round_.closings, round_.closed_at) == (RoundStatus.OPEN, 1, None)
    # the frozen results stay, and stay current for scoring until the round closes again
    assert list(HouseholdResult.objects.filter(round=round_).values_list("closing", "score")) == [(1, D("21.00"))]
    assert selectors.household_civility_scores(ZHOUAN) == {h1.pk: D("21.00")}
    event = AuditEvent.objects.filter(action="civility.round_reopened").get()
    assert event.reason == "赌博记录系误登，需更正"
    assert event.changes["status"] == ["closed", "open"]
    assert event.changes["kept_results"] == [None, 1]
    assert event.changes["closed_at"][1] is None
    assert event.changes["closed_at"][0]

    # the evaluator corrects the sheet; the re-close numbers the new results 2 and keeps 1
    member = round_.members.get(group=GroupKind.EVALUATION)
    assert score(member, h1, ATTEND) == D("25.00")
    services.round_close(actor=world.users["village_operator"], round=round_, reason="更正后重新结束")
    round_.refresh_from_db()
    assert (round_.status, round_.closings) == (RoundStatus.CLOSED, 2)
    assert sorted(HouseholdResult.objects.filter(round=round_).values_list("closing", "score")) == [
        (1, D("21.00")),
        (2, D("25.00")),
    ]
    assert selectors.household_civility_scores(ZHOUAN) == {h1.pk: D("25.00")}
    assert [r["score"] for r in selectors.round_results(world.users["regulator"], round_)] == [D("25.00")]
    closed = AuditEvent.objects.filter(action="civility.round_closed").order_by("pk").last()
    assert closed is not None
    assert closed.changes["closings"] == [1, 2]
    assert closed.changes["changed_results"] == [None, [[h1.pk, None, ["25.00", False]]]]


def test_reopen_needs_decide_a_reason_and_a_closed_round(world: World) -> None:
    round_ = closed_round(world, GAMBLING)
    # the village operator closes rounds but may not reopen them; others in or out of scope: as missing
    for name in ("village_operator", "evaluator", "regulator", "auditor", "other_township_operator", "household"):
        with pytest.raises(NotFound):
            services.round_reopen(actor=world.users[name], round=round_, reason="想改")
    with pytest.raises(ValidationFailed):
        services.round_reopen(actor=world.users["township_operator"], round=round_, reason="  ")
    round_.refresh_from_db()
    assert (round_.status, round_.closings) == (RoundStatus.CLOSED, 1)
    assert not AuditEvent.objects.filter(action="civility.round_reopened").exists()
    services.round_reopen(actor=world.users["admin"], round=round_, reason="更正")
    with pytest.raises(services.RoundOpen):
        services.round_reopen(actor=world.users["township_operator"], round=round_, reason="再次")
    assert AuditEvent.objects.filter(action="civility.round_reopened").count() == 1


def test_reopen_page_and_round_page_history(world: World) -> None:
    round_ = closed_round(world, GAMBLING)
    page = client_for(world, "township_operator").get(f"/civility/rounds/{round_.pk}/")
    assert 'data-testid="reopen"' in page.content.decode()
    village_page = client_for(world, "village_operator").get(f"/civility/rounds/{round_.pk}/")
    assert 'data-testid="reopen"' not in village_page.content.decode()
    assert client_for(world, "village_operator").get(f"/civility/rounds/{round_.pk}/reopen/").status_code == 404
    client = client_for(world, "township_operator")
    empty = client.post(f"/civility/rounds/{round_.pk}/reopen/", {"reason": ""})
    assert empty.status_code == 200
    assert CivilityRound.objects.get(pk=round_.pk).status == RoundStatus.CLOSED
    done = client.post(f"/civility/rounds/{round_.pk}/reopen/", {"reason": "审议发现评分依据有误"})
    assert done.status_code == 302
    body = client.get(f"/civility/rounds/{round_.pk}/").content.decode()
    assert 'data-testid="reopened"' in body
    assert 'data-testid="history"' in body
    assert "21.00" in body


# --- Indicators refreshed at close --------------------------------------------------------------------------------


def test_close_refreshes_the_village_indicators(world: World) -> None:
    from creditvillage.scoring.indicators import indicators_refresh

    h1, other_village = world.household(ZHOUAN, 1), "341502204202"
    indicators_refresh("341502204", subject_types=("household",))
    row = SubjectIndicators.objects.get(subject_type="household", subject_id=h1.pk)
    assert (row.civility_score, row.veto_civility) == (None, False)
    before_other = dict(
        SubjectIndicators.objects.filter(region_code=other_village).values_list("subject_id", "computed_at")
    )

    round_, members = open_round(world, evaluators=2)
    veto = round_.scheme_version.items.filter(kind="veto").order_by("position").first().text  # type: ignore[union-attr]
    for m in members:
        score(m, h1, GAMBLING, veto, basis="派出所处罚决定书")
    record_all_steps(world, round_)
    services.round_close(actor=world.users["township_operator"], round=round_, reason="结束")

    row = SubjectIndicators.objects.get(subject_type="household", subject_id=h1.pk)
    assert (row.civility_score, row.veto_civility) == (21.0, True)
    # only the round's village was recomputed
    assert (
        dict(SubjectIndicators.objects.filter(region_code=other_village).values_list("subject_id", "computed_at"))
        == before_other
    )
    event = AuditEvent.objects.get(action="civility.round_closed")
    assert event.changes["indicators_refreshed"] == [None, len(world.households[ZHOUAN])]

    # reopened and re-closed with the veto withdrawn: the indicators follow again
    services.round_reopen(actor=world.users["township_operator"], round=round_, reason="否决依据不足")
    for m in members:
        score(m, h1, ATTEND)
    services.round_close(actor=world.users["township_operator"], round=round_, reason="重新结束")
    row = SubjectIndicators.objects.get(subject_type="household", subject_id=h1.pk)
    assert (row.civility_score, row.veto_civility) == (25.0, False)


# --- Evidence photos ----------------------------------------------------------------------------------------------


@pytest.fixture
def evidence_round(world: World, settings: object, tmp_path: object) -> tuple[CivilityRound, int]:
    """周庵村's round: the household login's own household has one photo from the evaluator;
    the auditor sits in the supervision group."""
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    round_, members = open_round(world, evaluators=2)
    own = world.household(ZHOUAN, 0)  # the fixture's household login
    evaluation = services.evaluation_submit(
        actor=user_of(members[1]), round=round_, household=own, marks={}, note="入户核实",
        photo=SimpleUploadedFile("p.png", PNG, content_type="image/png"),
    )  # fmt: skip
    services.member_add(
        actor=world.users["township_operator"], round=round_, group=GroupKind.SUPERVISION,
        user=world.users["auditor"], name="督查", reason="监督",
    )  # fmt: skip
    return round_, evaluation.pk


def test_evidence_page_and_photo_for_reviewers_and_the_household(
    world: World, evidence_round: tuple[CivilityRound, int]
) -> None:
    round_, evaluation_pk = evidence_round
    own = world.household(ZHOUAN, 0)
    page_path = f"/civility/rounds/{round_.pk}/households/{own.pk}/evidence/"
    photo_path = f"/civility/rounds/{round_.pk}/evidence/{evaluation_pk}/photo/"
    for name, reviewer in (("township_operator", True), ("admin", True), ("auditor", True), ("household", False)):
        client = client_for(world, name)
        page = client.get(page_path)
        assert page.status_code == 200, name
        body = page.content.decode()
        assert photo_path in body
        # reviewers see who scored what; the household does not
        assert ("入户核实" in body) is reviewer, name
        photo = client.get(photo_path)
        assert photo.status_code == 200, name
        assert photo["Content-Type"] == "image/png"
        assert photo["X-Content-Type-Options"] == "nosniff"
        assert b"".join(photo.streaming_content) == PNG  # type: ignore[attr-defined]
    # the round page links the evidence for a reviewer
    assert page_path in client_for(world, "township_operator").get(f"/civility/rounds/{round_.pk}/").content.decode()
    # the household's home page links its own evidence
    assert page_path in client_for(world, "household").get("/civility/").content.decode()


def test_evidence_refused_as_missing_out_of_scope(world: World, evidence_round: tuple[CivilityRound, int]) -> None:
    round_, evaluation_pk = evidence_round
    own, neighbour = world.household(ZHOUAN, 0), world.household(ZHOUAN, 1)
    page_path = f"/civility/rounds/{round_.pk}/households/{own.pk}/evidence/"
    photo_path = f"/civility/rounds/{round_.pk}/evidence/{evaluation_pk}/photo/"
    # not listed: the village operator, the evaluators, the regulator, other townships, a bank
    for name in ("village_operator", "evaluator", "regulator", "other_township_operator", "bank_officer", "nobody"):
        client = client_for(world, name)
        assert client.get(page_path).status_code == 404, name
        assert client.get(photo_path).status_code == 404, name
    # the household sees its own evidence only
    household = client_for(world, "household")
    assert household.get(f"/civility/rounds/{round_.pk}/households/{neighbour.pk}/evidence/").status_code == 404
    # a household outside the round's village, a photo id of another round, a missing one
    outside = world.household("341502204202", 0)
    reviewer = client_for(world, "township_operator")
    assert reviewer.get(f"/civility/rounds/{round_.pk}/households/{outside.pk}/evidence/").status_code == 404
    assert reviewer.get(f"/civility/rounds/{round_.pk + 999}/evidence/{evaluation_pk}/photo/").status_code == 404
    assert reviewer.get(f"/civility/rounds/{round_.pk}/evidence/99999999/photo/").status_code == 404
    # a deliberation member whose grants no longer cover the village sees nothing
    services.member_add(
        actor=world.users["township_operator"], round=round_, group=GroupKind.DELIBERATION,
        user=world.users["other_township_operator"], name="外乡", reason="误加",
    )  # fmt: skip
    assert client_for(world, "other_township_operator").get(page_path).status_code == 404


def test_no_public_media_url(world: World, evidence_round: tuple[CivilityRound, int]) -> None:
    round_, evaluation_pk = evidence_round
    evaluation = round_.evaluations.get(pk=evaluation_pk)
    anonymous = Client()
    assert anonymous.get(f"/civility/rounds/{round_.pk}/evidence/{evaluation_pk}/photo/").status_code == 302
    assert anonymous.get(f"/media/{evaluation.photo.name}").status_code == 404
    assert anonymous.get(f"/{evaluation.photo.name}").status_code == 404
