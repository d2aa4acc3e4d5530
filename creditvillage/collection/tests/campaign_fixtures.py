"""Extra rows for the campaign, progress and quality tests, built on the shared ``world``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.collection.models import Assignment, Campaign, Submission, SubmissionState
from creditvillage.regions.models import Grid, VillagerGroup
from creditvillage.registry.models import Household
from tests.fixtures import PASSWORD, World

ZHOUAN = "341502204201"
HUANGDUN = "341502204202"
TOWNSHIP = "341502204000"


@dataclass
class Places:
    grids: dict[str, list[Grid]] = field(default_factory=dict)  # by village code
    groups: dict[str, list[VillagerGroup]] = field(default_factory=dict)


def add_places(world: World) -> Places:
    """Two grids and two villager groups in each village of 横塘岗乡; households alternate between them."""
    places = Places()
    for village in (ZHOUAN, HUANGDUN):
        grids = [Grid.objects.create(village_id=village, name=f"第{n}网格", number=n) for n in (1, 2)]
        groups = [VillagerGroup.objects.create(village_id=village, name=f"第{n}村民组", number=n) for n in (1, 2)]
        for i, household in enumerate(world.households[village]):
            Household.objects.filter(pk=household.pk).update(grid=grids[i % 2], group=groups[i % 2])
            household.grid, household.group = grids[i % 2], groups[i % 2]
        places.grids[village], places.groups[village] = grids, groups
    return places


def add_collector(username: str, village: str, display_name: str = "") -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=display_name or username)
    RoleAssignment.objects.create(user=user, role="collector", region_id=village)
    return user


def make_campaign(world: World, year: int = 2026) -> Campaign:
    return Campaign.objects.create(
        region=world.region("341502204"), year=year, name=f"{year}年横塘岗乡采集", created_by=world.users["admin"]
    )


def assign(campaign: Campaign, household: Household, collector: User) -> Assignment:
    return Assignment.objects.create(
        campaign=campaign, household=household, collector=collector, grid_id=household.grid_id
    )


def submit(
    campaign: Campaign,
    household: Household,
    collector: User,
    state: str = SubmissionState.SUBMITTED,
    *,
    at: dt.datetime | None = None,
    data: dict | None = None,
    reasons: dict | None = None,
) -> Submission:
    return Submission.objects.create(
        campaign=campaign,
        region_id=household.region_id,
        subject_type="household",
        subject_id=household.pk,
        household=household,
        collector=collector,
        state=state,
        data=data or {},
        submitted_at=at or timezone.now(),
        return_reasons=reasons or {},
    )
