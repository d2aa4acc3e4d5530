"""Import progress: the bar moves while the file is validated (rows validated / total, throttled),
before any chunk is written, and never moves back when writing starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from creditvillage.collection.imports import selectors, services
from creditvillage.collection.imports.reader import iter_cells
from creditvillage.collection.imports.samples import household_rows, xlsx_bytes
from creditvillage.collection.imports.validation import RowCleaner, group_rows
from creditvillage.core.jobs import progress_reporter
from creditvillage.core.models import Job, JobStatus
from creditvillage.registry.models import Household
from tests.fixtures import World

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def start(world: World, rows: list[list[Any]]) -> Job:
    upload = SimpleUploadedFile(
        "农户.xlsx", xlsx_bytes(rows), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return services.household_import_start(actor=world.users["collector"], region=ZHOUAN, upload=upload)


def test_progress_reaches_the_end_of_validation_before_any_chunk_is_written(world: World) -> None:
    rows = household_rows([ZHOUAN], 12, seed=3, first=801, members=(2, 2))
    job = start(world, rows)
    households_before = Household.objects.count()
    seen: list[tuple[str, int, str, int, int, int]] = []

    def observe(point: str, chunk: int) -> None:
        stored = Job.objects.get(pk=job.pk)
        progress = selectors.import_progress(stored)
        seen.append(
            (
                point,
                chunk,
                str(progress["phase"]),
                int(progress["percent"]),  # type: ignore[call-overload]
                stored.done,
                Household.objects.count() - households_before,
            )
        )

    services.household_import_run(job.pk, fault=observe, rows_per_chunk=10)
    point, chunk, phase, percent, done, written = seen[0]
    assert (point, chunk, phase) == ("validated", -1, "validating")
    assert done == len(rows)  # every row validated ...
    assert written == 0  # ... and nothing written yet
    assert percent == selectors.VALIDATION_SHARE
    # Writing continues from there: the bar never moves back.
    percents = [s[3] for s in seen]
    assert percents == sorted(percents)
    assert all(s[2] == "writing" for s in seen[1:])
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert selectors.import_progress(job)["percent"] == 100


def test_validation_progress_is_throttled(world: World) -> None:
    rows = household_rows([ZHOUAN], 60, seed=4, first=901, members=(2, 2))
    job = start(world, rows)
    job.total = len(rows)
    report = progress_reporter(job, every=50)
    stored: list[int] = []

    def spy(done: int) -> None:
        report(done)
        stored.append(Job.objects.get(pk=job.pk).done)

    with CaptureQueriesContext(connection) as queries:
        groups, counted = group_rows(
            iter_cells(services.media_path(job.params["file"])), RowCleaner(allowed_villages={ZHOUAN}), progress=spy
        )
    updates = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "core_job" in q["sql"]]
    assert counted == len(rows) == 120
    assert len(groups) == 60
    assert len(updates) == 3  # at 50, 100 and 120 rows, not once per row
    assert sorted(set(stored)) == [0, 50, 100, 120]  # the stored value moves during validation


def test_page_and_api_show_the_phase(world: World, client: Any) -> None:
    job = start(world, household_rows([ZHOUAN], 2, seed=5, first=951))
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, total=200, done=100, result={"phase": "validating"})
    client.force_login(world.users["collector"])
    page = client.get(f"/collection/imports/{job.pk}/").content.decode()
    assert "校验中：已校验 100 / 200 行" in page
    assert 'data-phase="validating">15%' in page
    api = client.get(f"/api/v1/imports/{job.pk}").json()
    assert (api["percent"], api["phase"]) == (15, "validating")
    Job.objects.filter(pk=job.pk).update(done=50, result={"phase": "writing"})
    api = client.get(f"/api/v1/imports/{job.pk}").json()
    assert (api["percent"], api["phase"]) == (30 + 17, "writing")
