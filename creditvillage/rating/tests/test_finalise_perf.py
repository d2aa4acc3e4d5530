"""Finalising is set-based (ADR 0027): the statements per village do not grow with its ratings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from creditvillage.rating import services
from creditvillage.rating.models import Rating, RatingCycle, RatingStatus
from creditvillage.registry.models import Household
from tests.fixtures import World

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"


def published(world: World, year: int) -> RatingCycle:
    operator = world.users["township_operator"]
    cycle = services.cycle_open(actor=operator, region_code="341502204000", year=year)
    services.cycle_run(actor=operator, cycle=cycle)
    report = services.notices_publish(
        actor=operator, cycle=cycle, starts_at=timezone.now() - dt.timedelta(days=8), days=7
    )
    assert len(report.notices) == 2
    return cycle


def finalise_queries(world: World, cycle: RatingCycle) -> int:
    with CaptureQueriesContext(connection) as queries:
        report = services.cycle_finalise(actor=world.users["township_operator"], cycle=cycle)
    assert not report.blocked
    assert report.ratings == Rating.objects.filter(cycle=cycle, status=RatingStatus.FINAL).count()
    return len(queries)


def test_finalising_a_village_takes_the_same_statements_for_6_or_506_ratings(world: World) -> None:
    small = published(world, 2025)
    few = finalise_queries(world, small)
    big = published(world, 2026)
    model = Rating.objects.filter(cycle=big, region_code=ZHOUAN).first()
    assert model is not None
    extra = [
        Rating(
            run_id=model.run_id,
            cycle=big,
            subject_type="entity",  # no household row to copy a grade to
            subject_id=10_000_000 + i,
            region_code=ZHOUAN,
            model_code=model.model_code,
            model_version=model.model_version,
            score=model.score,
            grade="AA",
            created_at=model.created_at,
        )
        for i in range(500)
    ]
    Rating.objects.bulk_create(extra)
    many = finalise_queries(world, big)
    assert many == few
    assert Rating.objects.filter(cycle=big, status=RatingStatus.FINAL).count() == 506
    assert not Rating.objects.filter(cycle=big, status=RatingStatus.PRELIMINARY).exists()
    graded = dict(Household.objects.filter(region_id=ZHOUAN).values_list("pk", "grade"))
    rated = Rating.objects.filter(cycle=big, region_code=ZHOUAN, subject_type="household")
    final = dict(rated.values_list("subject_id", "grade"))
    assert graded == final
