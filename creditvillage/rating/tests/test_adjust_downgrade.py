"""Dynamic adjustment: a downgrade writes a new final version, supersedes the old, notifies, audits."""

from __future__ import annotations

import pytest

from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.rating.adjust.models import RatingAdjustment, VillageNotification
from creditvillage.rating.adjust.services import rating_downgrade
from creditvillage.rating.models import Rating, RatingNotification, RatingStatus
from creditvillage.rating.selectors import current_rating
from creditvillage.registry.models import Household
from tests.fixtures import World

from .adjust_helpers import final_rating

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"


def test_a_loan_default_vetoes_to_the_lowest_grade_with_a_new_version(world: World) -> None:
    household = world.household(ZHOUAN, 0)
    old = final_rating(household, "AA")
    new = rating_downgrade(
        actor=world.users["township_operator"],
        subject_type="household",
        subject_id=household.pk,
        reason="贷款逾期90天以上（金安农商行报送）",
        source="loan_default",
    )
    old.refresh_from_db()
    assert (old.status, new.status, new.grade, new.version, new.supersedes_id) == (
        RatingStatus.SUPERSEDED,
        RatingStatus.FINAL,
        "D",
        2,
        old.pk,
    )
    assert new.vetoed is True
    assert new.credit_subject is False
    assert new.reason == "贷款逾期90天以上（金安农商行报送）"
    assert current_rating(subject_type="household", subject_id=household.pk) == new
    assert Household.objects.get(pk=household.pk).grade == "D"
    adjustment = RatingAdjustment.objects.get()
    assert (adjustment.from_grade, adjustment.to_grade, adjustment.source) == ("AA", "D", "loan_default")
    notice = VillageNotification.objects.get()
    assert (notice.region_code, notice.kind, notice.household_id) == (ZHOUAN, "downgrade", household.pk)
    assert notice.title == "信用等级由AA调整为D"
    assert RatingNotification.objects.filter(household_id=household.pk, kind="downgrade").count() == 1
    event = AuditEvent.objects.get(action="rating.downgraded")
    assert event.changes["grade"] == ["AA", "D"]
    assert event.reason == "贷款逾期90天以上（金安农商行报送）"
    assert event.actor == world.users["township_operator"]


def test_point_deductions_drop_one_grade_and_to_grade_is_respected(world: World) -> None:
    household = world.household(ZHOUAN, 1)
    final_rating(household, "AAA")
    first = rating_downgrade(
        actor=world.users["admin"],
        subject_type="household",
        subject_id=household.pk,
        reason="严重扣分",
        source="points",
    )
    assert (first.grade, first.vetoed, first.credit_subject) == ("AA", False, True)
    second = rating_downgrade(
        actor=world.users["admin"],
        subject_type="household",
        subject_id=household.pk,
        reason="再次严重扣分",
        source="other",
        to_grade="B",
    )
    assert (second.grade, second.version, second.credit_subject) == ("B", 3, False)
    assert Rating.objects.filter(subject_id=household.pk, status=RatingStatus.FINAL).count() == 1


@pytest.mark.parametrize(
    ("persona", "village"),
    [
        ("village_operator", ZHOUAN),  # no decide
        ("collector", ZHOUAN),
        ("household", ZHOUAN),
        ("sibling_township_operator", ZHOUAN),  # decide, but another township
        ("regulator", ZHOUAN),
        ("bank_officer", "341502204202"),  # lend, but no consent from that household
    ],
)
def test_refused_downgrades_change_nothing(world: World, persona: str, village: str) -> None:
    household = world.household(village, 0)
    old = final_rating(household, "AA")
    with pytest.raises(NotFound):
        rating_downgrade(
            actor=world.users[persona],
            subject_type="household",
            subject_id=household.pk,
            reason="x",
            source="loan_default",
        )
    old.refresh_from_db()
    assert old.status == RatingStatus.FINAL
    assert Rating.objects.count() == 1
    assert not RatingAdjustment.objects.exists()
    assert not AuditEvent.objects.filter(action="rating.downgraded").exists()


def test_a_bank_reports_a_default_of_a_consenting_household(world: World) -> None:
    household = world.household(ZHOUAN, 0)  # consented to the fixture bank
    final_rating(household, "A")
    new = rating_downgrade(
        actor=world.users["bank_officer"],
        subject_type="household",
        subject_id=household.pk,
        reason="贷款违约",
        source="loan_default",
    )
    assert new.grade == "D"
    # ...but a bank may not downgrade for anything else.
    with pytest.raises(NotFound):
        rating_downgrade(
            actor=world.users["bank_officer"],
            subject_type="household",
            subject_id=household.pk,
            reason="扣分",
            source="points",
            to_grade="D",
        )
    assert Rating.objects.filter(subject_id=household.pk).count() == 2


def test_validation_refusals(world: World) -> None:
    household = world.household(ZHOUAN, 0)
    final_rating(household, "B")
    actor = world.users["township_operator"]
    with pytest.raises(ValidationFailed):
        rating_downgrade(actor=actor, subject_type="household", subject_id=household.pk, reason=" ", source="points")
    with pytest.raises(ValidationFailed):
        rating_downgrade(actor=actor, subject_type="household", subject_id=household.pk, reason="r", source="rumour")
    with pytest.raises(ValidationFailed):  # not a downgrade
        rating_downgrade(
            actor=actor, subject_type="household", subject_id=household.pk, reason="r", source="other", to_grade="AA"
        )
    with pytest.raises(ValidationFailed):  # unknown grade
        rating_downgrade(
            actor=actor, subject_type="household", subject_id=household.pk, reason="r", source="other", to_grade="Z"
        )
    with pytest.raises(NotFound):  # no final rating at all
        rating_downgrade(
            actor=actor, subject_type="household", subject_id=world.household(ZHOUAN, 1).pk, reason="r", source="other"
        )
    assert Rating.objects.count() == 1
    assert not RatingAdjustment.objects.exists()
