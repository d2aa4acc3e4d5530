"""A whole rating cycle with time frozen: open → batch → notice → objection corrected → final."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from creditvillage.core.errors import DomainError, NotFound
from creditvillage.core.models import AuditEvent
from creditvillage.rating import selectors, services
from creditvillage.rating.models import (
    CycleStatus,
    Notice,
    NoticeStatus,
    Objection,
    ObjectionStatus,
    Rating,
    RatingNotification,
    RatingStatus,
    ReviewLevel,
)
from creditvillage.registry.models import Household
from tests.fixtures import World

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"
HUANGDUN = "341502204202"
T0 = dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.UTC)


def _second_operator(world: World):  # a reviewer other than the one who publishes
    from creditvillage.accounts.models import RoleAssignment, User

    user = User.objects.create_user(username="reviewer", password="x-password-1", display_name="复核人")
    RoleAssignment.objects.create(user=user, role="township_operator", region=world.region("341502204"))
    return user


def test_full_cycle(world: World) -> None:
    operator = world.users["township_operator"]
    reviewer = _second_operator(world)
    household_user = world.users["household"]
    own = world.household(ZHOUAN, 0)
    with time_machine.travel(T0, tick=False) as clock:
        cycle = services.cycle_open(actor=operator, region_code="341502204000", year=2026)
        with pytest.raises(DomainError):  # one live cycle per region and year
            services.cycle_open(actor=operator, region_code="341502204000", year=2026)
        with pytest.raises(NotFound):  # another township's operator cannot open one here
            services.cycle_open(actor=world.users["other_township_operator"], region_code="341502204000", year=2026)

        run = services.cycle_run(actor=operator, cycle=cycle)
        assert run.subjects == 6  # 3 households in each of 周庵村 and 黄墩村
        assert Rating.objects.filter(cycle=cycle, status=RatingStatus.PRELIMINARY).count() == 6
        review = selectors.cycle_review(operator, cycle)
        assert [v.code for v in review] == [ZHOUAN, HUANGDUN]
        assert sum(v.total for v in review) == 6

        report = services.notices_publish(actor=operator, cycle=cycle)
        assert [n.region_id for n in report.notices] == [ZHOUAN, HUANGDUN]
        cycle.refresh_from_db()
        assert cycle.status == CycleStatus.PUBLISHED
        notice = Notice.objects.get(cycle=cycle, region_id=ZHOUAN)
        assert notice.ends_at - notice.starts_at == dt.timedelta(days=7)
        assert notice.subjects == 3
        assert selectors.notice_from_token(selectors.notice_token(notice)) == notice

        # The household objects to its own rating: the rating is withheld (异议中).
        rating = Rating.objects.get(cycle=cycle, household_id=own.pk)
        bank = world.users["bank_officer"]  # the household consented to the bank
        assert [r.pk for r in selectors.rating_list(bank)] == [rating.pk]
        objection = services.objection_file(
            actor=household_user, notice=notice, rating=rating, text="家庭收入漏报了养殖收入", items=["income"]
        )
        rating.refresh_from_db()
        assert rating.status == RatingStatus.OBJECTED
        assert list(selectors.rating_list(bank)) == []  # withheld from the bank
        assert [r.status for r in selectors.rating_list(household_user)] == [RatingStatus.OBJECTED]
        assert objection.due_at == T0 + dt.timedelta(days=20)
        # Nobody may object to another household's rating through their own login.
        other = Rating.objects.get(cycle=cycle, household_id=world.household(ZHOUAN, 1).pk)
        with pytest.raises(NotFound):
            services.objection_file(actor=household_user, notice=notice, rating=other, text="不是我家的评定")

        # The window closes: finalising 周庵村 is refused while the objection is open, 黄墩村 goes through.
        clock.move_to(T0 + dt.timedelta(days=7, minutes=1))
        with pytest.raises(DomainError):
            services.objection_file(actor=household_user, notice=notice, rating=rating, text="再提一次异议")
        assert selectors.notice_from_token(selectors.notice_token(notice)) is None  # expired: no longer shown
        result = services.cycle_finalise(actor=operator, cycle=cycle)
        assert result.villages == [HUANGDUN]
        assert ZHOUAN in result.blocked
        assert Rating.objects.get(cycle=cycle, household_id=own.pk).status == RatingStatus.OBJECTED

        # The publisher may not decide; another reviewer corrects it to AA: a new version.
        with pytest.raises(DomainError):
            services.objection_decide(actor=operator, objection=objection, outcome="corrected", reason="x", grade="AA")
        decision = services.objection_decide(
            actor=reviewer,
            objection=objection,
            outcome="corrected",
            reason="核实养殖收入后更正",
            grade="AA",
            score=Decimal("85.5"),
        )
        rating.refresh_from_db()
        assert rating.status == RatingStatus.SUPERSEDED
        assert rating.grade != ""
        assert rating.version == 1
        new = decision.new_rating
        assert new is not None
        assert (new.grade, new.version, new.supersedes_id, new.status) == ("AA", 2, rating.pk, RatingStatus.PRELIMINARY)
        assert RatingNotification.objects.filter(household_id=own.pk, rating=new).count() == 1

        # The objector escalates once; the township (not the first reviewer) upholds the correction.
        services.objection_escalate(actor=household_user, objection=objection, reason="希望乡镇再核实一次")
        objection.refresh_from_db()
        assert (objection.status, objection.level) == (ObjectionStatus.OPEN, ReviewLevel.TOWNSHIP)
        with pytest.raises(DomainError):
            services.objection_escalate(actor=household_user, objection=objection, reason="第二次申请复议")
        with pytest.raises(DomainError):  # the first reviewer may not review again
            services.objection_decide(actor=reviewer, objection=objection, outcome="upheld", reason="维持更正")
        services.objection_decide(
            actor=world.users["admin"], objection=objection, outcome="upheld", reason="维持村级更正结论"
        )
        assert Objection.objects.get(pk=objection.pk).decisions.count() == 2

        result = services.cycle_finalise(actor=operator, cycle=cycle)
        assert result.villages == [ZHOUAN]
        assert result.ratings == 3
        cycle.refresh_from_db()
        assert cycle.status == CycleStatus.FINAL
        assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.FINALISED
        # Only final ratings count, and the registry shows them.
        current = selectors.current_rating(subject_type="household", subject_id=own.pk)
        assert current is not None
        assert current.grade == "AA"
        assert current.pk == new.pk
        assert Household.objects.get(pk=own.pk).grade == "AA"
        for household in world.households[HUANGDUN]:
            final = Rating.objects.get(cycle=cycle, household_id=household.pk, status=RatingStatus.FINAL)
            assert Household.objects.get(pk=household.pk).grade == final.grade
        history = selectors.rating_history(household_user, subject_type="household", subject_id=own.pk)
        assert [(r.version, r.status) for r in history] == [(2, "final"), (1, "superseded")]

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "rating.cycle_opened",
        "rating.cycle_run",
        "rating.notice_published",
        "rating.objection_filed",
        "rating.objection_corrected",
        "rating.objection_escalated",
        "rating.objection_upheld",
        "rating.village_finalised",
        "rating.cycle_finalised",
    } <= actions


def test_a_villager_objects_through_the_public_link(world: World) -> None:
    operator = world.users["township_operator"]
    with time_machine.travel(T0, tick=False):
        cycle = services.cycle_open(actor=operator, region_code="341502204", year=2026)
        services.cycle_run(actor=operator, cycle=cycle)
        notice = services.notices_publish(actor=operator, cycle=cycle, villages=[ZHOUAN]).notices[0]
        path = selectors.notice_public_path(notice)
        object_path = selectors.notice_public_path(notice, "rating:notice-object")
        client = Client()
        page = client.get(path)
        assert page.status_code == 200
        rating = Rating.objects.filter(cycle=cycle, region_code=ZHOUAN).order_by("pk").first()
        assert rating is not None
        refused = client.post(object_path, {"rating": rating.pk, "name": "李四", "phone": "123", "text": "x"})
        assert refused.status_code == 200
        assert Objection.objects.count() == 0
        ok = client.post(
            object_path,
            {"rating": rating.pk, "name": "李四", "phone": "13912345678", "text": "该户长期拖欠村集体承包费"},
        )
        assert ok.status_code == 302
        objection = Objection.objects.get()
        assert (objection.objector_kind, objection.objector_phone, objection.filed_by) == (
            "villager",
            "13912345678",
            None,
        )
        assert Client().get("/rating/p/?t=not-a-token").status_code == 403


def test_the_batch_is_the_scoring_engines_and_its_errors_propagate(world: World) -> None:
    from creditvillage.rating.models import RatingRun
    from creditvillage.scoring.batch import resolve_version
    from creditvillage.scoring.models import ModelVersion, VersionStatus

    operator = world.users["township_operator"]
    cycle = services.cycle_open(actor=operator, region_code="341502204000", year=2026)
    active = resolve_version(None)
    run = services.cycle_run(actor=operator, cycle=cycle)
    assert (run.model_code, run.model_version) == (active.model.code, active.number)
    assert set(Rating.objects.filter(run=run).values_list("model_code", flat=True)) == {active.model.code}
    # No active model: the batch fails visibly and writes nothing (no stand-in score).
    ModelVersion.objects.filter(pk=active.pk).update(status=VersionStatus.RETIRED)
    with pytest.raises(DomainError):
        services.cycle_run(actor=operator, cycle=cycle)
    assert RatingRun.objects.filter(cycle=cycle).count() == 1
    assert Rating.objects.filter(cycle=cycle, status=RatingStatus.PRELIMINARY).count() == run.subjects
