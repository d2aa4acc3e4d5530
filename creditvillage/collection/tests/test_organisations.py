"""Entity and collective archives (新型农业经营主体、村集体): the household lifecycle, reused.

draft → submitted → verified | returned; field-by-field verification; the registry written through
``registry.services.entity_update`` / ``collective_update``; an immutable snapshot; conflicts with
a changed registry row; USCC and ID numbers validated; masking for roles without view_sensitive.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from creditvillage.collection import archive, selectors, services
from creditvillage.collection.models import ArchiveSnapshot, Campaign, Submission, SubmissionState
from creditvillage.collection.tests.conftest import HUANGDUN, make_uscc, new_id
from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.registry.models import BusinessEntity, Collective
from creditvillage.registry.services import entity_update
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def with_entity(data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"entity": {**data["entity"], **changes}}


def submitted_entity(world: World, campaign: Campaign, entity: BusinessEntity, **changes: Any) -> Submission:
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, subject=entity)
    return services.submission_submit(
        actor=collector,
        submission=submission,
        expected_version=submission.version,
        data=with_entity(submission.data, **changes),
    )


def test_start_takes_the_registry_archive_as_base(world: World, campaign: Campaign, entity: BusinessEntity) -> None:
    submission = services.submission_start(actor=world.users["collector"], campaign=campaign, subject=entity)
    assert (submission.subject_type, submission.subject_id, submission.household_id) == ("entity", entity.pk, None)
    assert submission.region_id == entity.region_id
    assert submission.state == SubmissionState.DRAFT
    assert submission.base == submission.data
    assert submission.base["entity"]["uscc"] == entity.uscc
    assert submission.base["entity"]["assets_fen"] == 120_000_000
    assert submission.base["entity"]["founded_on"] == ""
    assert submission.subject_label == "周庵家庭农场"
    assert submission.subject_code == entity.uscc
    again = services.submission_start(actor=world.users["collector"], campaign=campaign, subject=entity)
    assert again.pk == submission.pk


def test_verify_applies_through_the_registry_and_snapshots(
    world: World, campaign: Campaign, entity: BusinessEntity
) -> None:
    submission = submitted_entity(
        world,
        campaign,
        entity,
        kind="cooperative",
        employees="12",
        assets_fen=150_000_000,
        founded_on="2018-04-01",
        phone="13700002222",
    )
    assert submission.state == SubmissionState.SUBMITTED
    assert submission.data["entity"]["employees"] == 12  # normalised to an integer
    diff = {d["key"]: d for d in archive.diff(submission.base, submission.data)}
    assert set(diff) == {
        "entity.kind",
        "entity.employees",
        "entity.assets_fen",
        "entity.founded_on",
        "entity.phone",
    }
    assert diff["entity.kind"]["new"] == "农民专业合作社"
    assert diff["entity.assets_fen"]["old"] == "1,200,000.00"
    assert diff["entity.assets_fen"]["label"] == "资产总额（元）"
    operator = world.users["township_operator"]
    verified = services.submission_verify(actor=operator, submission=submission, expected_version=submission.version)
    entity.refresh_from_db()
    assert verified.state == SubmissionState.VERIFIED
    assert (entity.kind, entity.employees, entity.assets_fen) == ("cooperative", 12, 150_000_000)
    assert entity.founded_on == dt.date(2018, 4, 1)
    assert entity.phone == "13700002222"
    assert entity.status == "verified"
    assert entity.verified_at == verified.verified_at
    assert entity.collected_by == world.users["collector"]
    assert entity.field_provenance["kind"]["by"] == operator.pk
    snapshot = ArchiveSnapshot.objects.get(submission=verified)
    assert (snapshot.subject_type, snapshot.subject_id, snapshot.household_id) == ("entity", entity.pk, None)
    assert snapshot.data == verified.data
    actions = set(AuditEvent.objects.filter(target_id=str(entity.pk)).values_list("action", flat=True))
    assert {"businessentity.updated", "businessentity.verified"} <= actions
    # Locked until reopened.
    with pytest.raises(services.InvalidTransition):
        services.submission_save_draft(
            actor=world.users["collector"], submission=verified, data=verified.data, expected_version=None
        )


def test_field_by_field_verification_keeps_the_rest(world: World, campaign: Campaign, entity: BusinessEntity) -> None:
    submission = submitted_entity(world, campaign, entity, employees=9, debts_fen=0, main_business="水产")
    operator = world.users["township_operator"]
    with pytest.raises(ValidationFailed):
        services.submission_verify(
            actor=operator, submission=submission, expected_version=submission.version, fields=["entity.grade"]
        )
    services.submission_verify(
        actor=operator, submission=submission, expected_version=submission.version, fields=["entity.employees"]
    )
    entity.refresh_from_db()
    assert (entity.employees, entity.debts_fen, entity.main_business) == (9, 10_000_000, "水稻")


def _second_entity(world: World) -> BusinessEntity:
    return BusinessEntity.objects.create(
        region=world.region(HUANGDUN),
        name="黄墩农业公司",
        uscc=make_uscc("91341502", "MA2N00029"),
        kind="enterprise",
        legal_rep_name="黄总",
    )


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"uscc": "93341502MA2N00011X"}, "entity.uscc"),  # wrong check character
        ({"uscc": "93341502MA2N0001"}, "entity.uscc"),  # too short
        ({"legal_rep_id_number": "341502198003030000"}, "entity.legal_rep_id_number"),
        ({"phone": "12345"}, "entity.phone"),
        ({"kind": "bank"}, "entity.kind"),
        ({"assets_fen": -5}, "entity.assets_fen"),
        ({"employees": "many"}, "entity.employees"),
        ({"founded_on": "2018-13-01"}, "entity.founded_on"),
        ({"legal_rep_name": ""}, "entity.legal_rep_name"),  # required on submit
    ],
)
def test_submit_refuses_bad_values(
    world: World, campaign: Campaign, entity: BusinessEntity, changes: dict[str, Any], key: str
) -> None:
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, subject=entity)
    with pytest.raises(ValidationFailed) as caught:
        services.submission_submit(
            actor=collector, submission=submission, expected_version=1, data=with_entity(submission.data, **changes)
        )
    assert key in caught.value.details["fields"]
    submission.refresh_from_db()
    assert (submission.state, submission.version) == (SubmissionState.DRAFT, 1)


def test_draft_may_be_partial_but_what_is_filled_in_must_be_valid(
    world: World, campaign: Campaign, entity: BusinessEntity
) -> None:
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, subject=entity)
    saved = services.submission_save_draft(
        actor=collector,
        submission=submission,
        data=with_entity(submission.data, legal_rep_name="", main_business="稻虾"),
        expected_version=1,
    )
    assert saved.data["entity"]["main_business"] == "稻虾"
    with pytest.raises(ValidationFailed) as caught:
        services.submission_save_draft(
            actor=collector, submission=saved, data=with_entity(saved.data, uscc="XYZ"), expected_version=saved.version
        )
    assert "entity.uscc" in caught.value.details["fields"]


def test_uscc_of_another_subject_is_refused(world: World, campaign: Campaign, entity: BusinessEntity) -> None:
    other = _second_entity(world)
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, subject=entity)
    with pytest.raises(ValidationFailed) as caught:
        services.submission_submit(
            actor=collector,
            submission=submission,
            expected_version=1,
            data=with_entity(submission.data, uscc=other.uscc),
        )
    assert caught.value.details["fields"] == {"entity.uscc": "该统一社会信用代码已登记在其他主体"}


def test_return_with_reasons_then_resubmit(world: World, campaign: Campaign, entity: BusinessEntity) -> None:
    submission = submitted_entity(world, campaign, entity, employees=40)
    returned = services.submission_return(
        actor=world.users["township_operator"],
        submission=submission,
        expected_version=submission.version,
        reasons={"entity.employees": "从业人数与社保登记不符"},
    )
    assert returned.state == SubmissionState.RETURNED
    assert returned.return_reasons == {"entity.employees": "从业人数与社保登记不符"}
    again = services.submission_submit(
        actor=world.users["collector"],
        submission=returned,
        expected_version=returned.version,
        data=with_entity(returned.data, employees=14),
    )
    assert (again.state, again.data["entity"]["employees"], again.return_reasons) == ("submitted", 14, {})


def test_registry_change_since_start_is_a_conflict_until_rebased(
    world: World, campaign: Campaign, entity: BusinessEntity
) -> None:
    submission = submitted_entity(world, campaign, entity, employees=7)
    entity_update(
        actor=world.users["village_operator"], entity=entity, changes={"main_business": "苗木"}, reason="工商变更"
    )
    operator = world.users["township_operator"]
    with pytest.raises(services.ArchiveConflict) as caught:
        services.submission_verify(actor=operator, submission=submission, expected_version=submission.version)
    assert caught.value.details["fields"] == ["entity.main_business"]
    conflicts = services.submission_rebase(
        actor=world.users["collector"], submission=submission, expected_version=submission.version
    )
    assert conflicts == []
    submission.refresh_from_db()
    assert submission.data["entity"]["main_business"] == "苗木"  # the registry's change kept
    assert submission.data["entity"]["employees"] == 7  # and the collector's
    services.submission_verify(actor=operator, submission=submission, expected_version=submission.version)
    entity.refresh_from_db()
    assert (entity.main_business, entity.employees) == ("苗木", 7)


def test_out_of_scope_collector_cannot_start(world: World, campaign: Campaign) -> None:
    other = _second_entity(world)  # in 黄墩村; the collector works in 周庵村
    with pytest.raises(NotFound):
        services.submission_start(actor=world.users["collector"], campaign=campaign, subject=other)
    assert not Submission.objects.filter(subject_type="entity", subject_id=other.pk).exists()


def test_collective_lifecycle(world: World, campaign: Campaign, collective: Collective) -> None:
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, subject=collective)
    assert submission.subject_type == "collective"
    data = {"collective": {**submission.data["collective"], "operating_income_fen": 15_000_000, "members_count": 812}}
    submission = services.submission_submit(actor=collector, submission=submission, expected_version=1, data=data)
    operator = world.users["township_operator"]
    verified = services.submission_verify(actor=operator, submission=submission, expected_version=submission.version)
    collective.refresh_from_db()
    assert (collective.operating_income_fen, collective.members_count, collective.status) == (
        15_000_000,
        812,
        "verified",
    )
    reopened = services.submission_reopen(
        actor=operator, submission=verified, expected_version=verified.version, reason="年报更正"
    )
    assert reopened.state == SubmissionState.REOPENED
    assert reopened.base["collective"]["members_count"] == 812
    assert ArchiveSnapshot.objects.filter(subject_type="collective", subject_id=collective.pk).count() == 1


def test_diff_and_archive_masked_without_view_sensitive(
    world: World, campaign: Campaign, entity: BusinessEntity
) -> None:
    new_rep = new_id(41, dt.date(1985, 6, 6))
    submission = submitted_entity(world, campaign, entity, legal_rep_id_number=new_rep, assets_fen=1)
    regulator = world.users["regulator"]
    rows = {r["key"]: r for r in selectors.submission_diff(submission, actor=regulator)}
    assert rows["entity.legal_rep_id_number"]["new"] == new_rep[:6] + "********" + new_rep[14:]
    assert rows["entity.assets_fen"]["new"] == "***"
    masked = selectors.masked_archive(regulator, submission, submission.data)["entity"]
    assert masked["legal_rep_id_number"] != new_rep
    assert masked["phone"] == "139****1111"
    assert masked["uscc"] == entity.uscc  # a USCC is public
    open_rows = {r["key"]: r for r in selectors.submission_diff(submission, actor=world.users["township_operator"])}
    assert open_rows["entity.legal_rep_id_number"]["new"] == new_rep


def test_household_submissions_still_flatten_as_before(world: World) -> None:
    data = archive.archive_data(world.household("341502204201", 0))
    flat = archive.flatten(data)
    assert "assets" in flat
    assert not any(k.startswith("entity.") for k in flat)
    assert archive.unflatten(flat, member_order=[data["members"][0]["id_number"]]) == data
