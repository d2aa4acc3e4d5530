"""Credit repair: apply → village review → township approval (another person) → publicity → effective."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.rating.adjust.models import RatingAdjustment, RepairApplication, RepairStatus
from creditvillage.rating.adjust.selectors import (
    adjustment_list,
    negative_hits_in_scope,
    publicity_list,
    repairable_items,
)
from creditvillage.rating.adjust.services import (
    rating_downgrade,
    repair_apply,
    repair_complete,
    repair_township_decide,
    repair_village_review,
    repairs_complete_due,
)
from creditvillage.rating.models import NegativeListEntry, Rating, RatingStatus
from creditvillage.rating.selectors import current_rating, negative_hits
from creditvillage.registry.models import Household
from tests.fixtures import World

from .adjust_helpers import engine_grade, extra_user, final_rating, list_member

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def vetoed(world: World, settings: object, tmp_path: object) -> tuple[Household, NegativeListEntry, Rating]:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    household = world.household(ZHOUAN, 0)  # the `household` persona's own; consented to the bank
    final_rating(household, "AA", score="85")
    entry = list_member(household)
    new = rating_downgrade(
        actor=None,
        subject_type="household",
        subject_id=household.pk,
        reason="命中负面清单：失信被执行人名单",
        source="negative_list",
        negative_entry=entry,
    )
    return household, entry, new


def apply(world: World, household: Household, entry: NegativeListEntry) -> RepairApplication:
    return repair_apply(
        actor=world.users["household"],
        household=household,
        negative_entry_id=entry.pk,
        evidence_text="已全部履行判决，法院已出具结案证明。",
        evidence_file=SimpleUploadedFile("结案证明.png", PNG, content_type="image/png"),
    )


def test_the_full_repair_flow_restores_the_grade_and_hides_the_item(world: World, vetoed: tuple) -> None:
    household, entry, downgraded = vetoed
    assert repairable_items(household=household)[0]["pk"] == entry.pk
    application = apply(world, household, entry)
    assert application.status == RepairStatus.SUBMITTED
    assert str(application.evidence_file.name).endswith(".png")
    repair_village_review(
        actor=world.users["village_operator"], application=application, approve=True, opinion="经村评议小组复核属实"
    )
    with pytest.raises(ValidationFailed):  # not yet: the township has not approved
        repair_complete(actor=world.users["township_operator"], application=application)
    repair_township_decide(
        actor=world.users["township_operator"], application=application, approve=True, opinion="同意"
    )
    application.refresh_from_db()
    today = timezone.localdate()
    assert (application.status, application.publicity_starts, application.publicity_ends) == (
        RepairStatus.PUBLICITY,
        today,
        today + dt.timedelta(days=7),
    )
    # In publicity: the public list shows the masked name only, nothing of the item.
    public = publicity_list(actor=world.users["village_operator"])
    assert public == [{"name": "户*1", "region_code": ZHOUAN, "starts": today, "ends": today + dt.timedelta(days=7)}]
    with pytest.raises(ValidationFailed):  # the publicity has not ended
        repair_complete(actor=world.users["township_operator"], application=application)
    with time_machine.travel(today + dt.timedelta(days=7, hours=12), tick=False):
        assert repairs_complete_due() == 1
    application.refresh_from_db()
    entry.refresh_from_db()
    assert application.status == RepairStatus.EFFECTIVE
    assert entry.repaired_at is not None
    rating = current_rating(subject_type="household", subject_id=household.pk)
    assert rating is not None
    assert application.new_rating == rating
    rescored = engine_grade(household)  # the engine, no longer vetoed by the repaired entry
    assert rescored != "D"
    assert (rating.grade, rating.vetoed, rating.version, rating.supersedes_id) == (rescored, False, 3, downgraded.pk)
    assert Household.objects.get(pk=household.pk).grade == rescored
    # Gone from the active list, the hits, the public list and anything a bank sees.
    assert negative_hits(ZHOUAN)["household"] == {}
    assert negative_hits_in_scope(actor=world.users["township_operator"]) == []
    assert publicity_list(actor=world.users["village_operator"]) == []
    assert list(adjustment_list(actor=world.users["bank_officer"])) == []
    assert list(adjustment_list(actor=world.users["township_operator"])) == []
    assert [a.pk for a in adjustment_list(actor=world.users["township_operator"], include_closed=True)] == [
        RatingAdjustment.objects.get().pk
    ]
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    for step in (
        "repair.applied",
        "repair.village_reviewed",
        "repair.township_decided",
        "negative_entry.repaired",
        "rating.rescored",
        "repair.effective",
    ):
        assert step in actions


def test_the_same_person_cannot_approve_at_two_levels(world: World, vetoed: tuple) -> None:
    household, entry, _rating = vetoed
    both = extra_user("both_levels", "township_operator", world, "341502204")
    application = apply(world, household, entry)
    repair_village_review(actor=both, application=application, approve=True, opinion="属实")
    with pytest.raises(ValidationFailed) as caught:
        repair_township_decide(actor=both, application=application, approve=True, opinion="同意")
    assert caught.value.details == {"rule": "different_person"}
    application.refresh_from_db()
    assert application.status == RepairStatus.VILLAGE_REVIEWED
    assert application.township_approver is None
    assert not AuditEvent.objects.filter(action="repair.township_decided").exists()


@pytest.mark.parametrize(
    "persona", ["collector", "evaluator", "bank_officer", "sibling_township_operator", "household"]
)
def test_village_review_is_for_village_operators_in_scope(world: World, vetoed: tuple, persona: str) -> None:
    household, entry, _rating = vetoed
    application = apply(world, household, entry)
    with pytest.raises((NotFound, ValidationFailed)):
        repair_village_review(actor=world.users[persona], application=application, approve=True, opinion="属实")
    application.refresh_from_db()
    assert application.status == RepairStatus.SUBMITTED


def test_township_approval_needs_decide(world: World, vetoed: tuple) -> None:
    household, entry, _rating = vetoed
    application = apply(world, household, entry)
    repair_village_review(actor=world.users["village_operator"], application=application, approve=True, opinion="属实")
    for persona in ("village_operator", "sibling_township_operator", "regulator", "household"):
        with pytest.raises(NotFound):
            repair_township_decide(actor=world.users[persona], application=application, approve=True, opinion="同意")
    application.refresh_from_db()
    assert application.status == RepairStatus.VILLAGE_REVIEWED


def test_rejection_at_the_village_ends_the_application(world: World, vetoed: tuple) -> None:
    household, entry, downgraded = vetoed
    application = apply(world, household, entry)
    repair_village_review(
        actor=world.users["village_operator"], application=application, approve=False, opinion="材料不全"
    )
    application.refresh_from_db()
    assert application.status == RepairStatus.REJECTED
    with pytest.raises(ValidationFailed):
        repair_township_decide(
            actor=world.users["township_operator"], application=application, approve=True, opinion="x"
        )
    assert current_rating(subject_type="household", subject_id=household.pk) == downgraded
    # A new application may be filed after a rejection.
    assert apply(world, household, entry).status == RepairStatus.SUBMITTED


def test_application_refusals(world: World, vetoed: tuple) -> None:
    household, entry, _rating = vetoed
    other = world.household(ZHOUAN, 1)
    text = "已全部履行判决，法院已出具结案证明。"
    with pytest.raises(NotFound):  # another household's user
        repair_apply(actor=world.users["household"], household=other, negative_entry_id=entry.pk, evidence_text=text)
    with pytest.raises(NotFound):  # operators do not apply for a household
        repair_apply(
            actor=world.users["village_operator"], household=household, negative_entry_id=entry.pk, evidence_text=text
        )
    with pytest.raises(ValidationFailed):
        repair_apply(
            actor=world.users["household"], household=household, negative_entry_id=entry.pk, evidence_text="短"
        )
    fake = SimpleUploadedFile("x.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationFailed):
        repair_apply(
            actor=world.users["household"],
            household=household,
            negative_entry_id=entry.pk,
            evidence_text=text,
            evidence_file=fake,
        )
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationFailed):
        repair_apply(
            actor=world.users["household"],
            household=household,
            negative_entry_id=entry.pk,
            evidence_text=text,
            evidence_file=exe,
        )
    unrelated = list_member(other)
    with pytest.raises(NotFound):  # an entry that does not hit this household
        repair_apply(
            actor=world.users["household"], household=household, negative_entry_id=unrelated.pk, evidence_text=text
        )
    apply(world, household, entry)
    with pytest.raises(ValidationFailed):  # one open application per item
        apply(world, household, entry)
    assert RepairApplication.objects.count() == 1
    assert AuditEvent.objects.filter(action="repair.applied").count() == 1


def test_repair_of_a_loan_default_adjustment(world: World, settings: object, tmp_path: object) -> None:
    household = world.household(ZHOUAN, 0)
    final_rating(household, "A", score="72")
    rating_downgrade(
        actor=world.users["bank_officer"],
        subject_type="household",
        subject_id=household.pk,
        reason="贷款违约",
        source="loan_default",
    )
    adjustment = RatingAdjustment.objects.get()
    items = repairable_items(household=household)
    assert items == [
        {"kind": "adjustment", "pk": adjustment.pk, "label": f"贷款违约（{adjustment.occurred_on:%Y-%m-%d}）"}
    ]
    application = repair_apply(
        actor=world.users["household"],
        household=household,
        adjustment_id=adjustment.pk,
        evidence_text="贷款本息已全部结清，银行出具结清证明。",
    )
    repair_village_review(actor=world.users["village_operator"], application=application, approve=True, opinion="属实")
    repair_township_decide(
        actor=world.users["township_operator"], application=application, approve=True, opinion="同意"
    )
    RepairApplication.objects.filter(pk=application.pk).update(publicity_ends=timezone.localdate())
    repair_complete(actor=world.users["township_operator"], application=application)
    adjustment.refresh_from_db()
    assert adjustment.repaired_at is not None
    rating = current_rating(subject_type="household", subject_id=household.pk)
    assert rating is not None
    assert (rating.grade, rating.vetoed, rating.status) == (engine_grade(household), False, RatingStatus.FINAL)
    assert Rating.objects.filter(subject_id=household.pk).count() == 3
