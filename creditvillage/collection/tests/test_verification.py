"""Verifying: whole and field by field, return with reasons, lock and reopen, village closure, conflicts."""

from __future__ import annotations

from typing import Any

import pytest

from creditvillage.collection import archive, services
from creditvillage.collection.models import (
    ArchiveSnapshot,
    Campaign,
    ImmutableError,
    Submission,
    SubmissionState,
    VillageClosure,
)
from creditvillage.collection.tests.conftest import ZHOUAN, archive_with, new_id
from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.registry.models import Asset, Household, Income, Person
from creditvillage.registry.services import household_update
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def submitted(world: World, campaign: Campaign, index: int = 1, **changes: Any) -> Submission:
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, household=world.household(ZHOUAN, index))
    data = archive_with(submission.data, **changes)
    return services.submission_submit(actor=collector, submission=submission, expected_version=1, data=data)


FULL: dict[str, Any] = {
    "address": "周庵村 12 号",
    "main_business": "水稻",
    "assets": [{"kind": "housing", "description": "砖混", "quantity": "1", "unit": "套", "value_fen": 30_000_000}],
    "incomes": [
        {"year": 2025, "source": "planting", "amount_fen": 4_000_000},
        {"year": 2025, "source": "wages", "amount_fen": 2_000_000},
    ],
}


def test_verify_applies_the_archive_writes_a_snapshot_and_locks(world: World, campaign: Campaign) -> None:
    household = world.household(ZHOUAN, 1)
    head = household.members.get()
    members = [
        {**archive.archive_data(household)["members"][0], "political_status": "party_member"},
        {"name": "王小", "id_number": new_id(2), "relation": "child", "education": "college"},
    ]
    submission = submitted(world, campaign, members=members, **FULL)
    operator = world.users["township_operator"]
    diff_keys = {d["key"] for d in archive.diff(submission.base, submission.data)}
    assert {"household.address", f"member.{head.id_number}.political_status", "assets", "incomes"} <= diff_keys
    verified = services.submission_verify(actor=operator, submission=submission, expected_version=submission.version)
    household.refresh_from_db()
    head.refresh_from_db()
    assert verified.state == SubmissionState.VERIFIED
    assert verified.verified_by == operator
    assert household.status == "verified"
    assert household.verified_at == verified.verified_at
    assert household.address == "周庵村 12 号"
    assert household.member_count == 2
    assert household.annual_income_fen == 6_000_000
    assert household.assets_value_fen == 30_000_000
    assert head.political_status == "party_member"
    child = Person.objects.get(id_number=new_id(2))
    assert (child.household_id, child.education, child.sex) == (household.pk, "college", "female")
    assert Asset.objects.filter(household=household).count() == 1
    assert Income.objects.filter(household=household).count() == 2
    snapshot = ArchiveSnapshot.objects.get(submission=verified)
    assert snapshot.data == verified.data
    assert snapshot.subject_id == household.pk
    with pytest.raises(ImmutableError):
        snapshot.save()
    with pytest.raises(ImmutableError):
        snapshot.delete()
    # Locked: neither edits nor a second verification.
    with pytest.raises(services.InvalidTransition):
        services.submission_save_draft(
            actor=world.users["collector"], submission=verified, data=verified.data, expected_version=verified.version
        )
    with pytest.raises(services.InvalidTransition):
        services.submission_verify(actor=operator, submission=verified, expected_version=verified.version)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"submission.verified", "household.verified", "household.updated", "person.added"} <= actions


def test_verify_field_by_field_keeps_the_rest_as_it_was(world: World, campaign: Campaign) -> None:
    household = world.household(ZHOUAN, 1)
    submission = submitted(world, campaign, address="新地址", main_business="养鱼")
    operator = world.users["township_operator"]
    with pytest.raises(ValidationFailed):
        services.submission_verify(
            actor=operator, submission=submission, expected_version=submission.version, fields=["household.grade"]
        )
    verified = services.submission_verify(
        actor=operator, submission=submission, expected_version=submission.version, fields=["household.address"]
    )
    household.refresh_from_db()
    assert (household.address, household.main_business) == ("新地址", "")
    assert verified.data["household"]["main_business"] == ""
    event = AuditEvent.objects.get(action="submission.verified")
    assert event.changes["accepted_fields"] == [None, ["household.address"]]


def test_verify_and_return_need_the_verify_action_in_scope(world: World, campaign: Campaign) -> None:
    submission = submitted(world, campaign, address="新地址")
    for name in ("collector", "village_operator", "auditor", "sibling_township_operator", "regulator"):
        with pytest.raises(NotFound):
            services.submission_verify(actor=world.users[name], submission=submission, expected_version=None)
        with pytest.raises(NotFound):
            services.submission_return(
                actor=world.users[name], submission=submission, expected_version=None, reasons={"_all": "x"}
            )
    submission.refresh_from_db()
    assert submission.state == SubmissionState.SUBMITTED
    assert submission.version == 2
    assert Household.objects.get(submissions=submission).address == ""


def test_return_with_reasons_then_resubmit(world: World, campaign: Campaign) -> None:
    submission = submitted(world, campaign, address="错的地址")
    operator = world.users["township_operator"]
    with pytest.raises(ValidationFailed):
        services.submission_return(
            actor=operator,
            submission=submission,
            expected_version=submission.version,
            reasons={"household.address": " "},
        )
    returned = services.submission_return(
        actor=operator,
        submission=submission,
        expected_version=submission.version,
        reasons={"household.address": "门牌号不对"},
    )
    assert returned.state == SubmissionState.RETURNED
    assert returned.return_reasons == {"household.address": "门牌号不对"}
    collector = world.users["collector"]
    fixed = services.submission_submit(
        actor=collector,
        submission=returned,
        expected_version=returned.version,
        data=archive_with(returned.data, address="周庵村 3 号"),
    )
    assert fixed.state == SubmissionState.SUBMITTED
    assert fixed.return_reasons == {}
    assert AuditEvent.objects.get(action="submission.returned").reason == "门牌号不对"


def test_reopen_needs_a_reason_and_unlocks(world: World, campaign: Campaign) -> None:
    operator = world.users["township_operator"]
    submission = submitted(world, campaign, address="A")
    verified = services.submission_verify(actor=operator, submission=submission, expected_version=submission.version)
    with pytest.raises(ValidationFailed):
        services.submission_reopen(actor=operator, submission=verified, expected_version=verified.version, reason=" ")
    with pytest.raises(NotFound):
        services.submission_reopen(
            actor=world.users["collector"], submission=verified, expected_version=verified.version, reason="x"
        )
    reopened = services.submission_reopen(
        actor=operator, submission=verified, expected_version=verified.version, reason="户主申请更正"
    )
    assert reopened.state == SubmissionState.REOPENED
    assert reopened.reopen_reason == "户主申请更正"
    again = services.submission_submit(
        actor=world.users["collector"],
        submission=reopened,
        expected_version=reopened.version,
        data=archive_with(reopened.data, address="B"),
    )
    final = services.submission_verify(actor=operator, submission=again, expected_version=again.version)
    assert Household.objects.get(submissions=final).address == "B"
    assert ArchiveSnapshot.objects.filter(submission=final).count() == 2
    assert [s.data["household"]["address"] for s in ArchiveSnapshot.objects.order_by("pk")] == ["A", "B"]


def test_village_closes_only_when_every_submission_is_verified(world: World, campaign: Campaign) -> None:
    operator = world.users["township_operator"]
    village = world.region(ZHOUAN)
    with pytest.raises(services.InvalidTransition):  # nothing collected yet
        services.village_close(actor=operator, campaign=campaign, village=village)
    first = submitted(world, campaign, 1, address="A")
    second = submitted(world, campaign, 2, address="B")
    services.submission_verify(actor=operator, submission=first, expected_version=first.version)
    with pytest.raises(services.InvalidTransition) as exc:
        services.village_close(actor=operator, campaign=campaign, village=village)
    assert exc.value.details == {"pending": 1}
    with pytest.raises(NotFound):
        services.village_close(actor=world.users["village_operator"], campaign=campaign, village=village)
    assert not VillageClosure.objects.exists()
    second = services.submission_verify(actor=operator, submission=second, expected_version=second.version)
    closure = services.village_close(actor=operator, campaign=campaign, village=village)
    assert closure.is_closed
    assert closure.closed_by == operator
    with pytest.raises(services.InvalidTransition):  # no new collection in a closed village
        services.submission_start(actor=world.users["collector"], campaign=campaign, household=world.household(ZHOUAN))
    services.submission_reopen(actor=operator, submission=second, expected_version=second.version, reason="更正")
    closure.refresh_from_db()
    assert not closure.is_closed
    assert closure.reopen_reason == "更正"


def test_an_archive_changed_since_the_submission_is_a_conflict_until_rebased(world: World, campaign: Campaign) -> None:
    operator = world.users["township_operator"]
    household = world.household(ZHOUAN, 1)
    submission = submitted(world, campaign, address="采集的地址")
    # Meanwhile someone edits the archive directly (or an import writes it).
    household_update(actor=operator, household=household, changes={"main_business": "导入的产业"}, reason="导入")
    with pytest.raises(services.ArchiveConflict) as exc:
        services.submission_verify(actor=operator, submission=submission, expected_version=submission.version)
    assert exc.value.details["fields"] == ["household.main_business"]
    submission.refresh_from_db()
    assert submission.state == SubmissionState.SUBMITTED
    conflicts = services.submission_rebase(
        actor=world.users["collector"], submission=submission, expected_version=submission.version
    )
    assert conflicts == []
    submission.refresh_from_db()
    assert submission.data["household"]["main_business"] == "导入的产业"  # the edit is kept
    assert submission.data["household"]["address"] == "采集的地址"  # and so is the collector's
    services.submission_verify(actor=operator, submission=submission, expected_version=submission.version)
    household.refresh_from_db()
    assert (household.address, household.main_business) == ("采集的地址", "导入的产业")


def test_rebase_reports_fields_both_sides_changed(world: World, campaign: Campaign) -> None:
    operator = world.users["township_operator"]
    household = world.household(ZHOUAN, 1)
    submission = submitted(world, campaign, address="采集的地址")
    household_update(actor=operator, household=household, changes={"address": "手工的地址"}, reason="更正")
    conflicts = services.submission_rebase(actor=operator, submission=submission, expected_version=submission.version)
    assert conflicts == ["household.address"]
    assert AuditEvent.objects.get(action="submission.rebased").changes == {"conflicts": [None, ["household.address"]]}


def test_household_check_unchanged(world: World) -> None:
    household = world.household(ZHOUAN, 1)
    seen_at, seen_version = household.updated_at, household.version
    services.household_check_unchanged(household=household, seen_updated_at=seen_at, seen_version=seen_version)
    household_update(actor=world.users["township_operator"], household=household, changes={"address": "x"}, reason="r")
    with pytest.raises(services.ArchiveConflict):
        services.household_check_unchanged(household=household, seen_version=seen_version)
    with pytest.raises(services.ArchiveConflict):
        services.household_check_unchanged(household=household, seen_updated_at=seen_at)


def test_ratings_read_the_latest_snapshot(world: World, campaign: Campaign) -> None:
    from creditvillage.collection import selectors

    operator = world.users["township_operator"]
    submission = submitted(world, campaign, address="第一版")
    first = services.submission_verify(actor=operator, submission=submission, expected_version=submission.version)
    household_id = first.subject_id
    assert household_id is not None
    reopened = services.submission_reopen(
        actor=operator, submission=first, expected_version=first.version, reason="更正"
    )
    again = services.submission_submit(
        actor=world.users["collector"],
        submission=reopened,
        expected_version=reopened.version,
        data=archive_with(reopened.data, address="第二版"),
    )
    services.submission_verify(actor=operator, submission=again, expected_version=again.version)
    latest = selectors.latest_snapshot_data([household_id])
    assert latest[household_id]["household"]["address"] == "第二版"
    mine = selectors.latest_snapshot(actor=operator, household_id=household_id)
    assert mine is not None
    assert mine.data["household"]["address"] == "第二版"
    assert selectors.latest_snapshot(actor=world.users["sibling_township_operator"], household_id=household_id) is None
    assert selectors.latest_snapshot_data([household_id], campaign_id=campaign.pk + 1) == {}
