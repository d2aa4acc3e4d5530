"""Progress selectors: counts per village, grid and collector; closures; a collector's list; scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from creditvillage.collection.models import Campaign, SubmissionState, VillageClosure
from creditvillage.collection.progress import (
    assignable_collectors,
    campaign_list,
    campaign_progress,
    collector_campaigns,
    collector_worklist,
    days_left,
)
from creditvillage.collection.tests.campaign_fixtures import (
    HUANGDUN,
    ZHOUAN,
    add_collector,
    add_places,
    assign,
    make_campaign,
    submit,
)
from creditvillage.core.errors import NotFound
from tests.fixtures import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world: World) -> Campaign:
    """周庵村: 3 households with `collector` (verified, submitted, returned).

    黄墩村: 3 households with `hd`, all verified, the village closed.
    """
    add_places(world)
    campaign = make_campaign(world)
    collector = world.users["collector"]
    hd = add_collector("hd", HUANGDUN, "黄墩采集员")
    z = world.households[ZHOUAN]
    for household in z:
        assign(campaign, household, collector)
    submit(campaign, z[0], collector, SubmissionState.VERIFIED)
    submit(campaign, z[1], collector, SubmissionState.SUBMITTED)
    submit(campaign, z[2], collector, SubmissionState.RETURNED, reasons={"phone": "电话号码空号"})
    for household in world.households[HUANGDUN]:
        assign(campaign, household, hd)
        submit(campaign, household, hd, SubmissionState.VERIFIED)
    VillageClosure.objects.create(campaign=campaign, village_id=HUANGDUN, closed_at=timezone.now())
    return campaign


def test_township_progress_per_village_grid_and_collector(world: World, campaign: Campaign) -> None:
    progress = campaign_progress(
        actor=world.users["township_operator"],
        campaign=campaign,
        today=dt.date(2026, 7, 21),
    )
    assert (progress.total.total, progress.total.done, progress.total.submitted, progress.total.returned) == (
        6,
        4,
        1,
        1,
    )
    assert progress.total.percent == 66
    assert progress.days_left == 10
    assert not progress.overdue
    assert [(r.label, r.counts.done, r.counts.total, r.closed) for r in progress.villages] == [
        ("周庵村", 1, 3, False),
        ("黄墩村", 3, 3, True),
    ]
    assert progress.closed_villages == 1
    assert {(r.village, r.label): r.counts.total for r in progress.grids} == {
        ("周庵村", "第1网格"): 2,
        ("周庵村", "第2网格"): 1,
        ("黄墩村", "第1网格"): 2,
        ("黄墩村", "第2网格"): 1,
    }
    # Least advanced collector first.
    assert [(r.label, r.counts.percent) for r in progress.collectors] == [("collector", 33), ("黄墩采集员", 100)]
    assert progress.chart() == {"kind": "coverage", "data": [["周庵村", 33], ["黄墩村", 100]]}


def test_village_operator_counts_only_their_village(world: World, campaign: Campaign) -> None:
    progress = campaign_progress(actor=world.users["village_operator"], campaign=campaign)
    assert [r.key for r in progress.villages] == [ZHOUAN]
    assert progress.total.total == 3
    assert [r.label for r in progress.collectors] == ["collector"]


def test_region_filter_and_out_of_scope_region(world: World, campaign: Campaign) -> None:
    operator = world.users["township_operator"]
    progress = campaign_progress(actor=operator, campaign=campaign, region=HUANGDUN)
    assert [r.key for r in progress.villages] == [HUANGDUN]
    with pytest.raises(NotFound):
        campaign_progress(actor=operator, campaign=campaign, region="341502101201")
    with pytest.raises(NotFound):
        campaign_progress(actor=world.users["village_operator"], campaign=campaign, region=HUANGDUN)


def test_overdue_after_the_deadline_with_work_left(world: World, campaign: Campaign) -> None:
    progress = campaign_progress(
        actor=world.users["township_operator"],
        campaign=campaign,
        today=dt.date(2026, 8, 2),
    )
    assert progress.days_left == -2
    assert progress.overdue


def test_campaigns_are_visible_above_and_below_their_region(world: World, campaign: Campaign) -> None:
    for persona in ("collector", "township_operator", "admin", "auditor"):
        assert list(campaign_list(actor=world.users[persona])) == [campaign], persona
    for persona in ("sibling_township_operator", "other_township_operator", "bank_officer", "nobody"):
        assert list(campaign_list(actor=world.users[persona])) == [], persona


def test_collector_worklist_orders_returned_first(world: World, campaign: Campaign) -> None:
    collector = world.users["collector"]
    worklist = collector_worklist(actor=collector, campaign=campaign, today=dt.date(2026, 7, 1))
    z = world.households[ZHOUAN]
    assert [(i.household_pk, i.stage) for i in worklist.items] == [
        (z[2].pk, "returned"),
        (z[1].pk, "submitted"),
        (z[0].pk, "done"),
    ]
    assert worklist.items[0].reasons == {"phone": "电话号码空号"}
    assert worklist.items[1].reasons == {}
    assert (worklist.counts.total, worklist.counts.done, worklist.counts.due) == (3, 1, 2)
    assert worklist.days_left == 30
    only_done = collector_worklist(actor=collector, campaign=campaign, stage="done")
    assert [i.household_pk for i in only_done.items] == [z[0].pk]
    assert only_done.counts.total == 3
    assert list(collector_campaigns(actor=collector)) == [campaign]


def test_other_collectors_list_is_not_mine(world: World, campaign: Campaign) -> None:
    other = add_collector("collector2", ZHOUAN)
    worklist = collector_worklist(actor=other, campaign=campaign)
    assert worklist.items == []
    assert worklist.counts.total == 0
    assert list(collector_campaigns(actor=other)) == []


def test_not_started_household_counts(world: World) -> None:
    add_places(world)
    campaign = make_campaign(world)
    assign(campaign, world.households[ZHOUAN][0], world.users["collector"])
    progress = campaign_progress(actor=world.users["township_operator"], campaign=campaign)
    assert (progress.total.total, progress.total.not_started, progress.total.percent) == (1, 1, 0)


def test_assignable_collectors_of_a_village(world: World) -> None:
    add_collector("hd", HUANGDUN)
    names = list(assignable_collectors(village_code=ZHOUAN).values_list("username", flat=True))
    assert names == ["collector", "village_operator"]


def test_days_left() -> None:
    assert days_left(dt.date(2026, 7, 31), dt.date(2026, 7, 30)) == 1
    assert days_left(None) is None
