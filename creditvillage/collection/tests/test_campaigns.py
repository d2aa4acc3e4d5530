"""Campaign and assignment services: defaults, scope, validation, audit."""

from __future__ import annotations

import datetime as dt

import pytest

from creditvillage.collection.campaigns import (
    assignment_create_by_grid,
    assignment_create_by_group,
    assignment_reassign,
    campaign_create,
)
from creditvillage.collection.models import Assignment, Campaign, CampaignStatus
from creditvillage.collection.tests.campaign_fixtures import (
    HUANGDUN,
    ZHOUAN,
    add_collector,
    add_places,
    assign,
    make_campaign,
)
from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.models import AuditEvent
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def test_campaign_takes_seed_000_deadlines(world: World) -> None:
    campaign = campaign_create(actor=world.users["township_operator"], region=world.region("341502204"), year=2026)
    assert (campaign.civility_due, campaign.archives_due, campaign.ratings_due) == (
        dt.date(2026, 6, 30),
        dt.date(2026, 7, 31),
        dt.date(2026, 9, 30),
    )
    assert campaign.name == "2026年横塘岗乡信用信息采集"
    assert campaign.status == CampaignStatus.OPEN
    event = AuditEvent.objects.get(action="campaign.created")
    assert event.target_id == str(campaign.pk)
    assert event.region_code == "341502204000"
    assert event.changes["archives_due"] == "2026-07-31"
    assert event.reason


def test_campaign_keeps_given_deadlines_and_ratio(world: World) -> None:
    campaign = campaign_create(
        actor=world.users["admin"],
        region=world.region("341502"),
        year=2026,
        name="金安区2026年补采",
        archives_due=dt.date(2026, 8, 15),
        spot_check_ratio="0.1",
    )
    assert campaign.archives_due == dt.date(2026, 8, 15)
    assert campaign.ratings_due == dt.date(2026, 9, 30)
    campaign.refresh_from_db()
    assert str(campaign.spot_check_ratio) == "0.100"


@pytest.mark.parametrize(
    ("code", "kwargs", "field"),
    [
        ("341502204201", {}, "region"),  # a village cannot hold a campaign
        ("341502204", {"year": 1999}, "year"),
        ("341502204", {"archives_due": dt.date(2025, 12, 31)}, "archives_due"),
        ("341502204", {"spot_check_ratio": "1.5"}, "spot_check_ratio"),
        ("341502204", {"spot_check_ratio": "abc"}, "spot_check_ratio"),
    ],
)
def test_campaign_validation(world: World, code: str, kwargs: dict, field: str) -> None:
    args = {"year": 2026, **kwargs}
    with pytest.raises(ValidationFailed) as info:
        campaign_create(actor=world.users["admin"], region=world.region(code), **args)
    assert info.value.details["field"] == field
    assert not Campaign.objects.exists()
    assert not AuditEvent.objects.filter(action="campaign.created").exists()


def test_duplicate_campaign_name_refused(world: World) -> None:
    operator = world.users["township_operator"]
    campaign_create(actor=operator, region=world.region("341502204"), year=2026)
    with pytest.raises(ValidationFailed):
        campaign_create(actor=operator, region=world.region("341502204"), year=2026)
    assert Campaign.objects.count() == 1


@pytest.mark.parametrize("persona", ["sibling_township_operator", "other_township_operator", "collector", "regulator"])
def test_campaign_outside_scope_or_without_verify_is_not_found(world: World, persona: str) -> None:
    with pytest.raises(NotFound):
        campaign_create(actor=world.users[persona], region=world.region("341502204"), year=2026)
    assert not Campaign.objects.exists()


def test_assign_by_grid_then_by_group_skips_the_already_assigned(world: World) -> None:
    places = add_places(world)
    campaign = make_campaign(world)
    operator = world.users["village_operator"]
    collector = world.users["collector"]
    result = assignment_create_by_grid(
        actor=operator, campaign=campaign, grid=places.grids[ZHOUAN][0], collector=collector
    )
    first_grid = [h.pk for h in world.households[ZHOUAN] if h.grid == places.grids[ZHOUAN][0]]
    assert sorted(result.created) == sorted(first_grid)
    assert len(first_grid) == 2
    second = add_collector("collector2", ZHOUAN)
    result = assignment_create_by_group(
        actor=operator, campaign=campaign, group=places.groups[ZHOUAN][0], collector=second
    )
    # Group 1 holds the same households as grid 1: all already assigned, none moves.
    assert result.created == []
    assert sorted(result.already_assigned) == sorted(first_grid)
    result = assignment_create_by_group(
        actor=operator, campaign=campaign, group=places.groups[ZHOUAN][1], collector=second
    )
    assert result.created == [world.households[ZHOUAN][1].pk]
    assert dict(Assignment.objects.values_list("household_id", "collector__username")) == {
        world.households[ZHOUAN][0].pk: "collector",
        world.households[ZHOUAN][1].pk: "collector2",
        world.households[ZHOUAN][2].pk: "collector",
    }
    events = AuditEvent.objects.filter(action="assignment.created").order_by("pk")
    assert [len(e.changes["households"]) for e in events] == [2, 0, 1]
    assert events[0].changes["grid"] == places.grids[ZHOUAN][0].pk


def test_assigning_another_villages_grid_is_not_found_for_a_village_operator(world: World) -> None:
    places = add_places(world)
    campaign = make_campaign(world)
    with pytest.raises(NotFound):
        assignment_create_by_grid(
            actor=world.users["village_operator"],
            campaign=campaign,
            grid=places.grids[HUANGDUN][0],
            collector=world.users["collector"],
        )
    assert not Assignment.objects.exists()


def test_collector_must_be_able_to_collect_the_households(world: World) -> None:
    places = add_places(world)
    campaign = make_campaign(world)
    huangdun_collector = add_collector("hd", HUANGDUN)
    with pytest.raises(ValidationFailed) as info:
        assignment_create_by_grid(
            actor=world.users["township_operator"],
            campaign=campaign,
            grid=places.grids[ZHOUAN][0],
            collector=huangdun_collector,
        )
    assert info.value.details["field"] == "collector"
    assert not Assignment.objects.exists()


def test_collectors_cannot_assign(world: World) -> None:
    places = add_places(world)
    campaign = make_campaign(world)
    with pytest.raises(NotFound):
        assignment_create_by_grid(
            actor=world.users["collector"],
            campaign=campaign,
            grid=places.grids[ZHOUAN][0],
            collector=world.users["collector"],
        )


def test_closed_campaign_takes_no_assignments(world: World) -> None:
    places = add_places(world)
    campaign = make_campaign(world)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED)
    with pytest.raises(ValidationFailed):
        assignment_create_by_grid(
            actor=world.users["township_operator"],
            campaign=campaign,
            grid=places.grids[ZHOUAN][0],
            collector=world.users["collector"],
        )


def test_campaign_of_another_township_is_not_found(world: World) -> None:
    places = add_places(world)
    other = Campaign.objects.create(region=world.region("341502101"), year=2026, name="木厂镇")
    with pytest.raises(NotFound):
        assignment_create_by_grid(
            actor=world.users["township_operator"],
            campaign=other,
            grid=places.grids[ZHOUAN][0],
            collector=world.users["collector"],
        )


def test_reassign_moves_a_collectors_households_with_a_reason(world: World) -> None:
    add_places(world)
    campaign = make_campaign(world)
    collector = world.users["collector"]
    for household in world.households[ZHOUAN]:
        assign(campaign, household, collector)
    second = add_collector("collector2", ZHOUAN)
    with pytest.raises(ValidationFailed):
        assignment_reassign(
            actor=world.users["village_operator"],
            campaign=campaign,
            collector=second,
            reason=" ",
            from_collector=collector,
        )
    result = assignment_reassign(
        actor=world.users["village_operator"],
        campaign=campaign,
        collector=second,
        reason="原采集员外出务工",
        from_collector=collector,
    )
    assert len(result.moved) == 3
    assert set(Assignment.objects.values_list("collector__username", flat=True)) == {"collector2"}
    event = AuditEvent.objects.get(action="assignment.reassigned")
    assert event.reason == "原采集员外出务工"
    assert event.changes["collector"][str(world.households[ZHOUAN][0].pk)] == [collector.pk, second.pk]


def test_reassign_of_out_of_scope_households_is_not_found(world: World) -> None:
    add_places(world)
    campaign = make_campaign(world)
    hd = add_collector("hd", HUANGDUN)
    assign(campaign, world.households[HUANGDUN][0], hd)
    with pytest.raises(NotFound):
        assignment_reassign(
            actor=world.users["village_operator"],
            campaign=campaign,
            collector=world.users["collector"],
            reason="调整",
            household_ids=[world.households[HUANGDUN][0].pk],
        )
    assert Assignment.objects.get().collector == hd
    assert not AuditEvent.objects.filter(action="assignment.reassigned").exists()
