"""Credit village / township rating: figures beside the criteria, four eyes, publicity, approval, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from creditvillage.core.errors import NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.rating.villages.criteria import assess, village_figures
from creditvillage.rating.villages.models import CreditRegionApplication, CreditRegionStatus
from creditvillage.rating.villages.selectors import application_list, application_review_sheet
from creditvillage.rating.villages.services import (
    credit_application_approve,
    credit_application_review,
    credit_application_submit,
    criteria_update,
)
from creditvillage.registry.models import Collective, Household, VillageProfile
from tests.fixtures import World

from .adjust_helpers import extra_user, final_rating

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"
HUANGDUN = "341502204202"
YEAR = 2026


def rate_village(world: World, code: str, grades: list[str]) -> None:
    for household, grade in zip(world.households[code], grades, strict=True):
        final_rating(household, grade)


def submit(world: World, code: str = ZHOUAN, grade: str = "A") -> CreditRegionApplication:
    return credit_application_submit(
        actor=world.users["village_operator"],
        region=world.region(code),
        year=YEAR,
        requested_grade=grade,
        statement="全村建档率100%，信用户占比高",
        no_discipline_declared=True,
    )


def end_publicity(application: CreditRegionApplication) -> None:
    CreditRegionApplication.objects.filter(pk=application.pk).update(publicity_ends=timezone.localdate())


def test_figures_are_computed_and_shown_beside_each_criterion(world: World) -> None:
    rate_village(world, ZHOUAN, ["AAA", "A", "B"])  # 2 of 3 households rated A or above
    figures = village_figures(world.region(ZHOUAN))
    assert figures == {
        "households": 3,
        "archived": 3,
        "coverage": "100.00",
        "rated": 3,
        "credit_households": 2,
        "credit_share": "66.67",
        "npl_ratio": None,  # no loans: the criterion is skipped
        "collective_grade": "",
        "has_collective": False,
    }
    grade, rows = assess("village", figures, no_discipline=True)
    assert grade == "A"  # 66.67% ≥ 60%; AA needs 70%
    aa = {row["label"]: row for row in rows["AA"]}
    assert aa["A级及以上农户占比"] == {
        "label": "A级及以上农户占比",
        "figure": "66.67%",
        "required": "≥70%",
        "passed": False,
    }
    assert aa["不良贷款率"]["passed"] is None
    assert aa["不良贷款率"]["figure"] == "无贷款数据"
    assert assess("village", figures, no_discipline=False)[0] == ""


def test_collective_grade_counts(world: World) -> None:
    rate_village(world, ZHOUAN, ["AAA", "AAA", "AA"])
    Collective.objects.create(
        region=world.region(ZHOUAN),
        name="周庵村股份经济合作社",
        uscc="N2341502MF0000001X",
        legal_rep_name="张三",
        grade="A",
    )
    grade, _rows = assess("village", village_figures(world.region(ZHOUAN)), no_discipline=True)
    assert grade == "AA"  # 100% would be AAA, but AAA needs the collective at AA or above


def test_the_full_village_flow(world: World) -> None:
    rate_village(world, ZHOUAN, ["AAA", "AA", "A"])
    VillageProfile.objects.create(region=world.region(ZHOUAN))
    Collective.objects.create(
        region=world.region(ZHOUAN),
        name="周庵村股份经济合作社",
        uscc="N2341502MF0000001X",
        legal_rep_name="张三",
        grade="AA",
    )
    application = submit(world, grade="AAA")
    assert application.assessed_grade == "AAA"
    sheet = application_review_sheet(application)
    assert sheet["figures"]["credit_share"] == "100.00"
    assert all(row["passed"] is not False for row in sheet["grades"]["AAA"])
    credit_application_review(
        actor=world.users["township_operator"], application=application, approve=True, opinion="指标属实，同意上报"
    )
    application.refresh_from_db()
    assert application.status == CreditRegionStatus.PUBLICITY
    assert application.publicity_ends == timezone.localdate() + dt.timedelta(days=7)
    with pytest.raises(ValidationFailed):  # publicity not over
        credit_application_approve(actor=world.users["admin"], application=application, approve=True, opinion="同意")
    end_publicity(application)
    credit_application_approve(actor=world.users["admin"], application=application, approve=True, opinion="同意命名")
    application.refresh_from_db()
    assert (application.status, application.granted_grade) == (CreditRegionStatus.APPROVED, "AAA")
    assert VillageProfile.objects.get(region_id=ZHOUAN).grade == "AAA"
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["credit_application.submitted", "credit_application.reviewed", "credit_application.approved"]


def test_granted_grade_is_at_most_what_was_met(world: World) -> None:
    rate_village(world, ZHOUAN, ["AAA", "A", "B"])
    application = submit(world, grade="AAA")
    assert application.assessed_grade == "A"
    credit_application_review(
        actor=world.users["township_operator"], application=application, approve=True, opinion="ok"
    )
    end_publicity(application)
    credit_application_approve(actor=world.users["admin"], application=application, approve=True, opinion="ok")
    application.refresh_from_db()
    assert application.granted_grade == "A"


def test_criteria_not_met_cannot_pass_review(world: World) -> None:
    rate_village(world, ZHOUAN, ["B", "C", "A"])
    application = submit(world)
    with pytest.raises(ValidationFailed):
        credit_application_review(
            actor=world.users["township_operator"], application=application, approve=True, opinion="ok"
        )
    application.refresh_from_db()
    assert application.status == CreditRegionStatus.SUBMITTED
    credit_application_review(
        actor=world.users["township_operator"], application=application, approve=False, opinion="未达标"
    )
    application.refresh_from_db()
    assert application.status == CreditRegionStatus.REJECTED


def test_the_same_person_cannot_review_and_approve(world: World) -> None:
    rate_village(world, ZHOUAN, ["AAA", "AA", "A"])
    application = submit(world)
    credit_application_review(actor=world.users["admin"], application=application, approve=True, opinion="ok")
    end_publicity(application)
    with pytest.raises(ValidationFailed) as caught:
        credit_application_approve(actor=world.users["admin"], application=application, approve=True, opinion="ok")
    assert caught.value.details == {"rule": "different_person"}
    application.refresh_from_db()
    assert application.status == CreditRegionStatus.PUBLICITY
    assert not AuditEvent.objects.filter(action="credit_application.approved").exists()


def test_levels_are_enforced(world: World) -> None:
    rate_village(world, ZHOUAN, ["AAA", "AA", "A"])
    with pytest.raises(NotFound):  # a collector does not apply for the village
        credit_application_submit(
            actor=world.users["collector"], region=world.region(ZHOUAN), year=YEAR, requested_grade="A"
        )
    with pytest.raises(NotFound):  # nor an operator of another village
        credit_application_submit(
            actor=world.users["village_operator"], region=world.region(HUANGDUN), year=YEAR, requested_grade="A"
        )
    application = submit(world)
    with pytest.raises(ValidationFailed):  # one live application per year
        submit(world)
    for persona in ("village_operator", "sibling_township_operator", "regulator", "collector"):
        with pytest.raises(NotFound):
            credit_application_review(actor=world.users[persona], application=application, approve=True, opinion="ok")
    credit_application_review(
        actor=world.users["township_operator"], application=application, approve=True, opinion="ok"
    )
    end_publicity(application)
    for persona in ("township_operator", "village_operator", "auditor"):  # approval is the county's or city's
        with pytest.raises(NotFound):
            credit_application_approve(actor=world.users[persona], application=application, approve=True, opinion="ok")
    application.refresh_from_db()
    assert application.status == CreditRegionStatus.PUBLICITY
    assert [a.pk for a in application_list(actor=world.users["village_operator"])] == [application.pk]
    assert list(application_list(actor=world.users["sibling_township_operator"])) == []


def test_a_township_applies_against_its_villages(world: World) -> None:
    township = world.region("341502204")
    for code in (ZHOUAN, HUANGDUN):
        VillageProfile.objects.create(region=world.region(code), grade="A" if code == ZHOUAN else "")
    application = credit_application_submit(
        actor=world.users["township_operator"],
        region=township,
        year=YEAR,
        requested_grade="A",
        no_discipline_declared=True,
    )
    assert application.figures == {
        "villages": 2,
        "credit_villages": 1,
        "credit_village_share": "50.00",
        "npl_ratio": None,
    }
    assert application.assessed_grade == "A"
    with pytest.raises(NotFound):  # a township does not review itself
        credit_application_review(
            actor=world.users["township_operator"], application=application, approve=True, opinion="ok"
        )
    reviewer = extra_user("county_reviewer", "admin", world, "341502")
    credit_application_review(actor=reviewer, application=application, approve=True, opinion="ok")
    end_publicity(application)
    credit_application_approve(actor=world.users["admin"], application=application, approve=True, opinion="同意")
    application.refresh_from_db()
    assert (application.status, application.granted_grade) == (CreditRegionStatus.APPROVED, "A")


def test_criteria_are_configurable_and_audited(world: World) -> None:
    rate_village(world, ZHOUAN, ["AAA", "A", "B"])
    with pytest.raises(PermissionDenied):
        criteria_update(actor=world.users["township_operator"], level="village", grade="AA", values={}, reason="r")
    row = criteria_update(
        actor=world.users["admin"],
        level="village",
        grade="AA",
        values={"min_credit_share": Decimal("65"), "min_collective_grade": ""},
        reason="本县放宽",
    )
    assert row.min_credit_share == Decimal("65")
    grade, _rows = assess("village", village_figures(world.region(ZHOUAN)), no_discipline=True)
    assert grade == "AA"
    event = AuditEvent.objects.get(action="credit_criteria.updated")
    assert event.changes == {"min_collective_grade": ["A", ""], "min_credit_share": ["70.00", "65.00"]}
    with pytest.raises(ValidationFailed):
        criteria_update(
            actor=world.users["admin"], level="village", grade="AA", values={"min_coverage": Decimal("120")}, reason="r"
        )
    assert Household.objects.count() == 18
