"""C17: an import interrupted at random points (between chunks and inside them) resumes to exactly
the state of a clean run, with no duplicates."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from creditvillage.collection.imports import services
from creditvillage.collection.imports.samples import household_rows, xlsx_bytes
from creditvillage.core.models import AuditEvent, Job, JobStatus
from creditvillage.registry.models import Household, Person
from tests.fixtures import World

pytestmark = pytest.mark.django_db

VILLAGES = ["341502204201", "341502204202"]
POINTS = ["chunk_start", "after_households", "after_persons", "before_commit", "after_commit"]
CHUNK = 60


class Crash(Exception):
    """The worker dies here."""


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def state(numbers: set[str]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    households = sorted(
        Household.objects.filter(number__in=numbers).values_list(
            "number",
            "region_id",
            "head_name",
            "member_count",
            "address",
            "phone",
            "status",
            "annual_income_fen",
            "assets_value_fen",
            "debts_fen",
            "main_business",
            "is_low_income",
            "is_monitored",
            "version",
            "channel",
        )
    )
    people = sorted(
        Person.objects.filter(household__number__in=numbers).values_list(
            "id_number",
            "household__number",
            "name",
            "relation",
            "sex",
            "birth_date",
            "political_status",
            "education",
            "occupation",
            "phone",
            "health",
        )
    )
    return households, people


def start(world: World, data: bytes) -> Job:
    return services.household_import_start(
        actor=world.users["township_operator"], region="341502204", upload=SimpleUploadedFile("f.xlsx", data)
    )


COUNTS = ("rows_total", "rows_imported", "rows_rejected", "households_created", "persons_created", "errors_total")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_resume_after_random_crashes_equals_a_clean_run(world: World, seed: int) -> None:
    rows = household_rows(VILLAGES, 150, seed=seed, bad_ratio=0.05, first=3001)
    data = xlsx_bytes(rows)
    numbers = {r[0] for r in rows}

    clean = services.household_import_run(start(world, data).pk, rows_per_chunk=CHUNK)
    expected = state(numbers)
    assert expected[0], "the clean run imported households"
    assert clean["rows_rejected"] > 0, "and rejected some"
    Household.objects.filter(number__in=numbers).delete()
    assert state(numbers) == ([], [])

    job = start(world, data)
    chunks = -(-len(rows) // CHUNK) + 1
    rng = random.Random(seed)
    crashes = {(rng.choice(POINTS), rng.randrange(chunks)) for _ in range(20)}
    crashed = []

    def fault(point: str, chunk: int) -> None:
        if (point, chunk) in crashes:
            crashes.discard((point, chunk))
            crashed.append((point, chunk))
            raise Crash(f"{point}@{chunk}")

    attempts = 0
    while True:
        attempts += 1
        assert attempts < 50
        try:
            result = services.household_import_run(job.pk, fault=fault, rows_per_chunk=CHUNK)
            break
        except Crash:
            assert Job.objects.get(pk=job.pk).status == JobStatus.FAILED
    assert crashed, "the run was interrupted"
    assert state(numbers) == expected
    assert {k: result[k] for k in COUNTS} == {k: clean[k] for k in COUNTS}
    assert result["errors"] == clean["errors"]
    assert Person.objects.filter(household__number__in=numbers).count() == len(expected[1])  # no duplicates
    assert AuditEvent.objects.filter(action="import.households", target_id=str(job.pk)).count() == 1


def test_a_finished_job_run_again_changes_nothing(world: World) -> None:
    rows = household_rows(VILLAGES, 20, seed=4, first=3501)
    job = start(world, xlsx_bytes(rows))
    first = services.household_import_run(job.pk, rows_per_chunk=CHUNK)
    before = state({r[0] for r in rows})
    assert services.household_import_run(job.pk, rows_per_chunk=CHUNK) == first
    assert state({r[0] for r in rows}) == before


def test_resume_does_not_redo_committed_chunks_over_a_later_manual_edit(world: World) -> None:
    """After a crash, chunks that committed are skipped: an edit made since then is not overwritten."""
    from creditvillage.registry import services as registry_services

    rows = household_rows(VILLAGES, 40, seed=5, first=3601, members=(2, 2))
    job = start(world, xlsx_bytes(rows))

    def crash_in_second_chunk(point: str, chunk: int) -> None:
        if (point, chunk) == ("after_persons", 1):
            raise Crash

    with pytest.raises(Crash):
        services.household_import_run(job.pk, fault=crash_in_second_chunk, rows_per_chunk=CHUNK)
    first = Household.objects.get(number=rows[0][0])
    registry_services.household_update(
        actor=world.users["township_operator"], household=first, changes={"address": "已人工核实"}, reason="核实"
    )
    result = services.household_import_run(job.pk, rows_per_chunk=CHUNK)
    assert Household.objects.get(number=rows[0][0]).address == "已人工核实"
    assert result["rows_imported"] == len(rows)
    assert Household.objects.filter(number__in={r[0] for r in rows}).count() == 40
