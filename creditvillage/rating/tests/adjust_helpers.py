"""Rows the adjustment, repair and village-rating tests build on top of the fixture world."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.rating.models import NegativeListEntry, Rating, RatingStatus
from creditvillage.registry.models import Household
from tests.fixtures import PASSWORD, World


def final_rating(household: Household, grade: str = "AA", score: str = "85", version: int = 1) -> Rating:
    return Rating.objects.create(
        subject_type="household",
        subject_id=household.pk,
        household_id=household.pk,
        region_code=household.region_id,
        model_code="household-default",
        model_version=1,
        score=Decimal(score),
        grade=grade,
        credit_subject=grade in {"AAA", "AA", "A"},
        status=RatingStatus.FINAL,
        version=version,
        created_at=timezone.now(),
    )


def rate_all(world: World, grade: str = "AA") -> None:
    for households in world.households.values():
        for household in households:
            final_rating(household, grade)


def list_member(
    household: Household, source: str = "失信被执行人名单", listed_on: dt.date | None = None
) -> NegativeListEntry:
    member = household.members.first()
    assert member is not None
    day = listed_on or timezone.localdate() - dt.timedelta(days=30)
    return NegativeListEntry.objects.create(
        id_number=member.id_number,
        name=member.name,
        source=source,
        basis="（2025）皖1502执123号",
        listed_on=day,
        expires_on=day.replace(year=day.year + 5),
    )


def extra_user(username: str, role: str, world: World, region: str, **subject: object) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=username)
    RoleAssignment.objects.create(user=user, role=role, region=world.region(region), **subject)
    return user


def engine_grade(household: Household) -> str:
    """The grade the scoring engine gives the household now (what a re-score must write)."""
    from creditvillage.scoring.engine import evaluate_subject

    return str(evaluate_subject(subject_type="household", subject_id=household.pk).grade)
