"""Collecting: start, save a draft, submit, self-declare and the village's confirmation."""

from __future__ import annotations

import pytest

from creditvillage.collection import services
from creditvillage.collection.models import Campaign, Submission, SubmissionState
from creditvillage.collection.tests.conftest import HUANGDUN, ZHOUAN, archive_with, new_id
from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.registry.choices import Channel
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def test_start_copies_the_current_archive_and_is_idempotent(world: World, campaign: Campaign) -> None:
    household = world.household(ZHOUAN, 1)
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, household=household)
    assert submission.state == SubmissionState.DRAFT
    assert submission.collector == collector
    assert submission.region_id == ZHOUAN
    assert submission.base == submission.data
    assert [m["name"] for m in submission.base["members"]] == [household.head_name]
    assert submission.base["household"]["phone"] == household.phone
    assert submission.base_version == household.version
    again = services.submission_start(actor=collector, campaign=campaign, household=household)
    assert again.pk == submission.pk
    assert AuditEvent.objects.filter(action="submission.started", target_id=str(submission.pk)).count() == 1


def test_start_refused_out_of_scope_or_without_change(world: World, campaign: Campaign) -> None:
    for name in ("collector", "evaluator", "auditor", "household", "sibling_township_operator"):
        with pytest.raises(NotFound):
            services.submission_start(actor=world.users[name], campaign=campaign, household=world.household(HUANGDUN))
    other = Campaign.objects.create(region=world.region("341502101"), year=2026, name="木厂镇")
    with pytest.raises(NotFound):  # the household is outside the other township's campaign
        services.submission_start(actor=world.users["admin"], campaign=other, household=world.household(ZHOUAN))
    assert not Submission.objects.exists()


def test_draft_keeps_partial_data_but_rejects_bad_values(world: World, campaign: Campaign) -> None:
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, household=world.household(ZHOUAN, 1))
    data = archive_with(submission.data, phone="12345", address="周庵村 8 号")
    with pytest.raises(ValidationFailed) as exc:
        services.submission_save_draft(actor=collector, submission=submission, data=data, expected_version=1)
    assert exc.value.details["fields"] == {"household.phone": exc.value.details["fields"]["household.phone"]}
    submission.refresh_from_db()
    assert submission.version == 1
    assert submission.data["household"]["address"] == ""
    data["household"]["phone"] = "13912345678"
    data["members"].append({"name": "李四", "id_number": "", "relation": ""})  # incomplete: fine in a draft
    saved = services.submission_save_draft(actor=collector, submission=submission, data=data, expected_version=1)
    assert saved.version == 2
    assert saved.data["household"]["address"] == "周庵村 8 号"
    assert saved.data["members"][1]["name"] == "李四"
    event = AuditEvent.objects.get(action="submission.draft_saved")
    assert "household.address" in event.changes["fields"][1]


def test_stale_version_is_a_conflict(world: World, campaign: Campaign) -> None:
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, household=world.household(ZHOUAN, 1))
    services.submission_save_draft(actor=collector, submission=submission, data=submission.data, expected_version=1)
    with pytest.raises(services.Conflict):
        services.submission_save_draft(
            actor=collector, submission=submission, data=archive_with(submission.data, address="x"), expected_version=1
        )
    submission.refresh_from_db()
    assert submission.version == 2
    assert submission.data["household"]["address"] == ""


def test_submit_requires_a_complete_archive(world: World, campaign: Campaign) -> None:
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, household=world.household(ZHOUAN, 1))
    two_heads = archive_with(
        submission.data,
        members=[*submission.data["members"], {"name": "王五", "id_number": new_id(1), "relation": "head"}],
    )
    with pytest.raises(ValidationFailed) as exc:
        services.submission_submit(actor=collector, submission=submission, expected_version=1, data=two_heads)
    assert "members" in exc.value.details["fields"]
    taken = world.household(ZHOUAN, 2).members.get().id_number
    other_households_id = archive_with(
        submission.data,
        members=[*submission.data["members"], {"name": "王五", "id_number": taken, "relation": "child"}],
    )
    with pytest.raises(ValidationFailed) as exc:
        services.submission_submit(actor=collector, submission=submission, expected_version=1, data=other_households_id)
    assert list(exc.value.details["fields"]) == ["members.1.id_number"]
    submission.refresh_from_db()
    assert submission.state == SubmissionState.DRAFT
    assert submission.version == 1
    good = archive_with(
        submission.data,
        members=[*submission.data["members"], {"name": "王五", "id_number": new_id(1), "relation": "child"}],
    )
    done = services.submission_submit(actor=collector, submission=submission, expected_version=1, data=good)
    assert done.state == SubmissionState.SUBMITTED
    assert done.submitted_at is not None
    assert done.collector == collector
    assert len(done.data["members"]) == 2
    with pytest.raises(services.InvalidTransition):  # submitted: no longer editable
        services.submission_save_draft(actor=collector, submission=done, data=good, expected_version=done.version)


def test_self_declaration_needs_the_village_confirmation(world: World, campaign: Campaign) -> None:
    own = world.household(ZHOUAN, 0)
    user = world.users["household"]
    base = services.archive.archive_data(own)
    data = archive_with(base, main_business="养鸡")
    with pytest.raises(NotFound):  # another household's archive
        services.submission_declare(actor=user, campaign=campaign, household=world.household(ZHOUAN, 1), data=data)
    submission = services.submission_declare(actor=user, campaign=campaign, household=own, data=data)
    assert submission.self_declared
    assert submission.channel == Channel.SELF_DECLARED
    assert submission.state == SubmissionState.SUBMITTED
    assert not submission.counts
    with pytest.raises(services.InvalidTransition):
        services.submission_verify(
            actor=world.users["township_operator"], submission=submission, expected_version=submission.version
        )
    with pytest.raises(NotFound):  # the household cannot confirm itself
        services.submission_confirm_self_declared(actor=user, submission=submission, expected_version=None)
    confirmed = services.submission_confirm_self_declared(
        actor=world.users["village_operator"], submission=submission, expected_version=submission.version
    )
    assert confirmed.counts
    assert confirmed.confirmed_by == world.users["village_operator"]
    verified = services.submission_verify(
        actor=world.users["township_operator"], submission=confirmed, expected_version=confirmed.version
    )
    own.refresh_from_db()
    assert verified.state == SubmissionState.VERIFIED
    assert own.main_business == "养鸡"
    assert own.channel == Channel.SELF_DECLARED
    assert AuditEvent.objects.filter(action="submission.self_declared_confirmed").count() == 1
