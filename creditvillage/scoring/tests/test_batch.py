"""The rating batch: indicators from the archives, one run per region, all-or-nothing (C17)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from creditvillage.core.errors import NotFound, PermissionDenied
from creditvillage.core.models import AuditEvent, Job
from creditvillage.rating.models import NegativeListEntry, Rating, RatingRun
from creditvillage.registry.models import Asset, Debt, Household, Income, Insurance, Person
from creditvillage.scoring import batch, engine, indicators, services
from creditvillage.scoring.models import ModelVersion, SubjectIndicators
from tests.fixtures import World

pytestmark = pytest.mark.django_db(transaction=True)

ZHOUAN = "341502204201"


def enrich(world: World) -> Household:
    """One household with a full archive (the rest have a head only)."""
    h = world.household(ZHOUAN, 0)
    Household.objects.filter(pk=h.pk).update(
        annual_income_fen=12_0000_00, assets_value_fen=80_0000_00, debts_fen=20_0000_00
    )
    head = Person.objects.get(household=h, relation="head")
    Person.objects.filter(pk=head.pk).update(birth_date=dt.date(1980, 5, 1), education="senior")
    Person.objects.create(
        household=h,
        name="配偶",
        id_number="341502198205010024",
        relation="spouse",
        sex="female",
        birth_date=dt.date(1982, 5, 1),
    )
    Asset.objects.create(household=h, kind="contracted_land", quantity=30, unit="亩", value_fen=0)
    Asset.objects.create(household=h, kind="deposit", value_fen=5_0000_00)
    Income.objects.create(household=h, year=2025, source="business", amount_fen=12_0000_00)
    Debt.objects.create(household=h, kind="bank_loan", amount_fen=20_0000_00, overdue_days=0)
    Insurance.objects.create(household=h, kind="medical")
    return h


def test_indicator_rows_are_computed_from_the_archive(world: World) -> None:
    h = enrich(world)
    result = indicators.indicators_refresh("341502")
    assert result.households == Household.objects.filter(region__code__startswith="341502").count()
    row = SubjectIndicators.objects.get(subject_type="household", subject_id=h.pk)
    today = timezone.localdate()
    age = today.year - 1980 - ((today.month, today.day) < (5, 1))
    assert (row.head_age, row.head_education, row.workers) == (age, "senior", 2)
    assert (row.net_income_wan, row.net_assets_wan, row.debt_ratio_pct) == (12.0, 60.0, 25.0)
    assert (row.income_stability, row.land_mu, row.insured, row.loan_record, row.bank_account) == (
        "stable",
        30.0,
        1.0,
        "good",
        1.0,
    )
    assert (row.household_id, row.region_code, row.veto_negative_list, row.veto_npl) == (h.pk, ZHOUAN, False, False)
    bare = SubjectIndicators.objects.get(subject_id=world.household(ZHOUAN, 1).pk)
    assert (bare.loan_record, bare.income_stability, bare.insured, bare.debt_ratio_pct) == ("none", "none", 0.0, 0.0)


def test_a_run_scores_every_household_under_the_region_like_evaluate_one(world: World) -> None:
    h = enrich(world)
    person = Person.objects.filter(household=world.household(ZHOUAN, 2)).get()
    NegativeListEntry.objects.create(
        id_number=person.id_number,
        name="x",
        source="失信被执行人名单",
        basis="(2025)皖1102执123号",
        listed_on=dt.date(2025, 1, 1),
        expires_on=dt.date(2030, 1, 1),
    )
    job = Job.objects.create(kind="rating_run", created_by=world.users["township_operator"])
    run = services.rating_run_create(actor=world.users["township_operator"], region_code="341502204000", job=job)
    households = Household.objects.filter(region__code__startswith="341502204")
    assert (run.status, run.subjects, run.model_code, run.model_version) == (
        "succeeded",
        households.count(),
        "HH-DEFAULT",
        1,
    )
    assert sum(run.counts.values()) == run.subjects
    ratings = {r.subject_id: r for r in Rating.objects.filter(run=run)}
    assert set(ratings) == set(households.values_list("pk", flat=True))
    cm = engine.compile_version(ModelVersion.objects.get(model__code="HH-DEFAULT", number=1))
    for row in SubjectIndicators.objects.filter(subject_id__in=ratings):
        values = {
            f: getattr(row, f) for f in [i.source_field for i in cm.indicators] + [v.source_field for v in cm.vetoes]
        }
        one = engine.evaluate_one(cm, values)
        rating = ratings[row.subject_id]
        assert (float(rating.score), rating.grade, rating.credit_subject, rating.vetoed) == (
            one["score"],
            one["grade"],
            one["credit_subject"],
            one["vetoed"],
        )
        assert (rating.status, rating.household_id, rating.region_code) == (
            "preliminary",
            row.subject_id,
            row.region_code,
        )
    assert ratings[world.household(ZHOUAN, 2).pk].grade == "D"
    assert ratings[h.pk].score > ratings[world.household(ZHOUAN, 1).pk].score
    job.refresh_from_db()
    assert (job.total, job.done) == (run.subjects, run.subjects)
    assert AuditEvent.objects.filter(action="scoring.rating_run", target_id=str(run.pk)).count() == 1


def test_a_run_killed_mid_way_leaves_nothing_and_a_rerun_completes(world: World, monkeypatch: Any) -> None:
    actor = world.users["admin"]
    indicators.indicators_refresh("341502")

    def boom(done: int) -> None:
        if done >= 4:
            raise RuntimeError("killed")

    monkeypatch.setattr(batch, "_after_chunk", boom)
    with pytest.raises(RuntimeError):
        services.rating_run_create(actor=actor, region_code="341502", chunk_size=2)
    assert (RatingRun.objects.count(), Rating.objects.count()) == (0, 0)
    monkeypatch.setattr(batch, "_after_chunk", lambda done: None)
    run = services.rating_run_create(actor=actor, region_code="341502", chunk_size=2)
    assert run.subjects == Household.objects.filter(region__code__startswith="341502").count()
    assert Rating.objects.filter(run=run).count() == run.subjects


@pytest.mark.parametrize(("persona", "error"), [("collector", PermissionDenied), ("other_township_operator", NotFound)])
def test_rating_needs_rate_over_the_region(world: World, persona: str, error: type) -> None:
    with pytest.raises(error):
        services.rating_run_create(actor=world.users[persona], region_code="341502204000")
    assert RatingRun.objects.count() == 0


def test_the_rate_command_prints_one_summary_line(world: World) -> None:
    out = StringIO()
    call_command("rate", "--region", "341502204", stdout=out)
    line = out.getvalue().strip()
    assert "\n" not in line
    run = RatingRun.objects.get()
    assert line.startswith(f"rate region=341502204000 model=HH-DEFAULT version=1 run={run.pk} subjects={run.subjects} ")
    assert "seconds=" in line
    for grade, n in run.counts.items():
        assert f"{grade}={n}" in line
