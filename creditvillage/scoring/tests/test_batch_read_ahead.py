"""The batch's read-ahead (ADR 0038): chunks read on a second connection in the run's snapshot give
the same ratings as reading in the run's own connection; it is used only when the run's transaction
has written nothing; a run killed mid-way still leaves nothing and stops the reader."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction

from creditvillage.core.models import Job
from creditvillage.rating.models import Rating, RatingRun
from creditvillage.registry.models import Household
from creditvillage.scoring import batch, indicators
from tests.fixtures import World

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="read-ahead is PostgreSQL's"),
]

COUNTY = "341502"


def ratings(run: RatingRun) -> dict[int, tuple[Any, ...]]:
    rows = Rating.objects.filter(run=run).values_list("subject_id", "score", "grade", "vetoed", "region_code")
    return {row[0]: row[1:] for row in rows}


def readers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "rating-read-ahead"]


def test_read_ahead_gives_the_same_ratings_as_reading_in_the_run(world: World) -> None:
    indicators.indicators_refresh(COUNTY)
    ahead = batch.rating_run_create(actor=None, region_code=COUNTY, chunk_size=2)
    plain = batch.rating_run_create(actor=None, region_code=COUNTY, chunk_size=2, read_ahead=False)
    households = Household.objects.filter(region__code__startswith=COUNTY).count()
    assert households > 4  # several chunks of 2
    assert ahead.message.endswith(" read-ahead")
    assert not plain.message.endswith(" read-ahead")
    assert (ahead.subjects, plain.subjects) == (households, households)
    assert ratings(ahead) == ratings(plain)
    assert len(ratings(ahead)) == households
    assert ahead.counts == plain.counts
    assert readers() == []


def test_no_read_ahead_once_the_transaction_has_written(world: World) -> None:
    indicators.indicators_refresh(COUNTY)
    with transaction.atomic():
        Job.objects.create(kind="rating_run")  # a write the reader's snapshot would not see
        run = batch.rating_run_create(actor=None, region_code=COUNTY, chunk_size=2)
    assert not run.message.endswith(" read-ahead")
    assert run.subjects == Household.objects.filter(region__code__startswith=COUNTY).count()


def test_a_run_killed_mid_way_with_read_ahead_leaves_nothing(world: World, monkeypatch: Any) -> None:
    indicators.indicators_refresh(COUNTY)

    def boom(done: int) -> None:
        if done >= 2:
            raise RuntimeError("killed")

    monkeypatch.setattr(batch, "_after_chunk", boom)
    with pytest.raises(RuntimeError, match="killed"):
        batch.rating_run_create(actor=None, region_code=COUNTY, chunk_size=2)
    assert (RatingRun.objects.count(), Rating.objects.count()) == (0, 0)
    assert readers() == []


def test_a_failing_read_reaches_the_run(world: World, monkeypatch: Any) -> None:
    indicators.indicators_refresh(COUNTY)
    real = batch.tabular.read_frame
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("read failed")
        return real(*args, **kwargs)

    monkeypatch.setattr(batch.tabular, "read_frame", flaky)
    with pytest.raises(OSError, match="read failed"):
        batch.rating_run_create(actor=None, region_code=COUNTY, chunk_size=2)
    assert (RatingRun.objects.count(), Rating.objects.count()) == (0, 0)
    assert readers() == []
