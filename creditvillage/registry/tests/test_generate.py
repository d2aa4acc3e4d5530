"""``creditvillage generate``: the tree, the counts, explicit ids that leave the sequences usable, refusal."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.db.models import Count, F

from creditvillage.core.errors import DomainError, ValidationFailed
from creditvillage.core.models import Job, JobStatus
from creditvillage.regions.models import Grid, Region, VillagerGroup
from creditvillage.registry.generation import GenerateReport, Progress, archives_generate, archives_write
from creditvillage.registry.models import (
    Asset,
    BusinessEntity,
    Collective,
    Debt,
    Household,
    Income,
    Insurance,
    Person,
    VillageProfile,
)
from creditvillage.registry.synthetic import ArchiveGenerator
from creditvillage.registry.tasks import generate_archives

pytestmark = pytest.mark.django_db

DETAILS = (Person, Asset, Income, Debt, Insurance)


def generate(
    *,
    county: str = "341181",
    villages: int = 3,
    households: int = 600,
    seed: int = 1,
    replace: bool = False,
    progress: Progress | None = None,
) -> GenerateReport:
    return archives_generate(
        county=county, villages=villages, households=households, seed=seed, replace=replace, progress=progress
    )


def test_writes_the_expected_tree_and_counts() -> None:
    progress: list[tuple[int, int]] = []

    report = generate(progress=lambda done, total: progress.append((done, total)))

    assert Household.objects.count() == 600
    per_village = dict(Household.objects.values_list("region_id").annotate(n=Count("pk")).values_list("region_id", "n"))
    assert per_village == {"341181100200": 200, "341181100201": 200, "341181100202": 200}
    assert Person.objects.count() == report.persons
    assert report.rows == sum(m.objects.count() for m in (Household, *DETAILS, BusinessEntity))
    assert progress[-1] == (600, 600)
    county = Region.objects.get(code="341181000000")
    assert (county.name, county.parent_id) == ("天长市", "341100000000")
    assert Region.objects.get(code="341181100000").level == "township"
    for village in Region.objects.filter(parent_id="341181100000"):
        assert village.households_total == 200
        assert VillagerGroup.objects.filter(village=village).count() >= 6
        assert Grid.objects.filter(village=village).count() >= 3
        assert VillageProfile.objects.get(region=village).population > 0
        assert Collective.objects.get(region=village).uscc.startswith("N2341181")


def test_ids_are_unique_links_are_whole_and_the_orm_can_insert_afterwards() -> None:
    generate()

    household_ids = set(Household.objects.values_list("pk", flat=True))
    assert len(household_ids) == 600
    for model in DETAILS:
        assert set(model.objects.values_list("household_id", flat=True)) <= household_ids
        assert model.objects.values("pk").distinct().count() == model.objects.count()
    assert Household.objects.filter(members__relation="head").count() == 600
    assert Household.objects.filter(group__village_id=F("region_id"), grid__village_id=F("region_id")).count() == 600

    created = Household.objects.create(region_id="341181100200", number="X-after-generate", head_name="新户")
    person = Person.objects.create(
        household=created,
        name="新户",
        id_number="11010519491231002X",
        relation="head",
        sex="female",
        birth_date="1949-12-31",
    )
    assert created.pk > max(household_ids)
    assert person.pk > max(Person.objects.exclude(pk=person.pk).values_list("pk", flat=True))


def test_the_same_seed_writes_the_same_archives_and_a_second_run_needs_replace() -> None:
    generate()
    first = sorted(Person.objects.values_list("id_number", "name", "household__number"))

    with pytest.raises(DomainError) as caught:
        generate()
    assert caught.value.code == "county_has_archives"
    assert "--replace" in caught.value.message

    generate(replace=True)
    assert sorted(Person.objects.values_list("id_number", "name", "household__number")) == first
    assert Household.objects.count() == 600
    assert Collective.objects.count() == 3

    generate(replace=True, seed=2)
    assert sorted(Person.objects.values_list("id_number", "name", "household__number")) != first


def test_many_villages_are_spread_over_townships() -> None:
    generate(villages=30, households=60)

    townships = Region.objects.filter(parent_id="341181000000", level="township")
    assert townships.count() == 3  # about 12 villages each
    assert sorted(r.code[6:9] for r in townships) == ["100", "101", "102"]
    village_codes = Region.objects.filter(level="village").values_list("code", flat=True)
    assert all(200 <= int(code[9:]) <= 399 for code in village_codes)


@pytest.mark.parametrize("county", ["3411", "341181100", "34118", "991181"])
def test_only_a_county_code_is_accepted(county: str) -> None:
    with pytest.raises(ValidationFailed):
        generate(county=county)
    assert not Region.objects.exists()


def test_the_command_prints_one_summary_line() -> None:
    out = io.StringIO()

    call_command("generate", "--county", "341181", "--villages", "2", "--households", "50", "--quiet", stdout=out)
    with pytest.raises(CommandError, match="--replace"):
        call_command("generate", "--county", "341181", "--villages", "2", "--households", "50", "--quiet")

    line = out.getvalue().strip()
    assert line.startswith("generated county=341181000000 villages=2 households=50 persons=")
    assert "seconds=" in line
    assert "households_per_s=" in line


def test_the_background_task_reports_progress_and_the_summary_on_its_job() -> None:
    job = Job.objects.create(
        kind="generate_archives", params={"county": "341181", "villages": 2, "households": 80, "seed": 5}
    )

    generate_archives.enqueue(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert (job.total, job.done) == (80, 80)
    assert job.result["households"] == 80
    assert Household.objects.count() == 80


on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the parallel lanes run on PostgreSQL only")


@on_postgres
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)  # the lanes are other connections: they only see committed rows
def test_parallel_lanes_write_whole_chunks_and_report_a_failing_one() -> None:
    generate(villages=2, households=0)
    gen = ArchiveGenerator(county_code="341181", seed=9)
    plan = [(gen.village(r.code, r.name, "镇"), 500) for r in Region.objects.filter(level="village").order_by("code")]

    result = archives_write(gen, plan, chunk=150)  # several chunks, two in flight at a time

    assert result.counts.households == Household.objects.count() == 1000
    assert result.counts.persons == Person.objects.count()
    for model in DETAILS:
        assert model.objects.count() == result.counts.rows[model._meta.db_table.removeprefix("registry_") + "s"]
    assert not Person.objects.exclude(household__in=Household.objects.all()).exists()
    created = Household.objects.create(region_id=plan[0][0].code, number="X-after-lanes", head_name="新户")
    assert created.pk > 1000
    with pytest.raises(IntegrityError):  # the same households again: duplicate numbers
        archives_write(ArchiveGenerator(county_code="341181", seed=9), plan, chunk=150)


@pytest.mark.slow
def test_the_generate_benchmark_runs_at_smoke_size() -> None:
    script = Path(settings.BASE_DIR) / "bench" / "bench_generate.py"
    result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(script), "--db", "sqlite", "--households", "120", "--villages", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH ")]
    assert lines[0].startswith("BENCH generate db=sqlite households=120 persons=")
    assert {line.split()[1] for line in lines} == {"generate", "generate_baseline"}
