"""The set-based whole-village grant (ADR 0036): one query for who is eligible, bulk writes.

A grant over a township (``region_grant``) equals one ``village_grant`` per village; the number
of queries does not grow with the number of villages or lines.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from creditvillage.core.errors import DomainError, NotFound, PermissionDenied
from creditvillage.core.models import AuditEvent
from creditvillage.lending import services
from creditvillage.lending.models import Consent, CreditLine, CreditProduct, LineStatus, VillageGrant
from creditvillage.lending.tests.conftest import rate
from creditvillage.registry.models import Household
from tests.fixtures import World

pytestmark = pytest.mark.django_db
TOWNSHIP = "341502204000"
ZHOUAN = "341502204201"
HUANGDUN = "341502204202"
GRADES = ["AAA", "AA", "A", "B", "AA", "AAA", "A", "AA"]


def _extra_households(world: World, village: str, n: int) -> list[Household]:
    """More households in ``village`` (the fixture world has only a few per village)."""
    return [
        Household.objects.create(
            region=world.region(village),
            number=f"{village}p{i:03d}",
            head_name=f"户主{village[-3:]}{i:03d}",
            member_count=1,
            status="archived",
            collected_at=timezone.now(),
        )
        for i in range(n)
    ]


def _county_of_two_villages(world: World) -> dict[str, list[Household]]:
    """Both villages of 横塘岗乡: mixed grades, about two thirds consenting, one veto."""
    assert world.bank is not None
    Consent.objects.all().delete()
    out: dict[str, list[Household]] = {}
    for v, village in enumerate((ZHOUAN, HUANGDUN)):
        households = list(world.households[village]) + _extra_households(world, village, 9)
        for i, h in enumerate(households):
            rate(h, GRADES[(i + v) % len(GRADES)], vetoed=(i == 4))
            if i % 3 != 2:
                Consent.objects.create(household=h, bank=world.bank, granted_at=timezone.now())
        out[village] = households
    return out


def _lines() -> list[tuple[Any, ...]]:
    return sorted(
        CreditLine.objects.values_list(
            "subject_type", "subject_id", "household_id", "subject_name", "region_code", "grade", "rating_id",
            "limit_fen", "max_rate_pct", "status", "village_grant__region_code", "granted_by_id",
        )
    )  # fmt: skip


def test_a_township_grant_equals_one_grant_per_village(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    _county_of_two_villages(world)
    previews = [
        services.village_grant_preview(actor=officer, product=product, region_code=v) for v in (ZHOUAN, HUANGDUN)
    ]
    township = services.region_grant_preview(actor=officer, product=product, region_code=TOWNSHIP)
    assert township.candidates == previews[0].candidates + previews[1].candidates
    assert township.count > 0
    grants = services.region_grant(actor=officer, product=product, region_code=TOWNSHIP)
    assert [g.region_code for g in grants] == [ZHOUAN, HUANGDUN]
    assert [(g.lines_created, g.total_fen) for g in grants] == [(p.count, p.total_fen) for p in previews]
    by_region = _lines()
    events = list(
        AuditEvent.objects.filter(action="lending.village_grant")
        .order_by("region_code")
        .values_list("region_code", "changes", "actor_id", "reason")
    )
    assert events == [
        (p.region_code, {"lines_created": [0, p.count], "total_fen": [0, p.total_fen]}, officer.pk, "整村授信")
        for p in previews
    ]
    # The same act, village by village, writes the same lines.
    CreditLine.objects.all().delete()
    VillageGrant.objects.all().delete()
    for village in (ZHOUAN, HUANGDUN):
        services.village_grant(actor=officer, product=product, region_code=village)
    assert _lines() == by_region
    assert len(by_region) == township.count


def test_a_second_township_grant_creates_nothing(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    _county_of_two_villages(world)
    first = services.region_grant(actor=officer, product=product, region_code=TOWNSHIP)
    before = CreditLine.objects.count()
    assert before == sum(g.lines_created for g in first) > 0
    again = services.region_grant(actor=officer, product=product, region_code=TOWNSHIP)
    assert [(g.lines_created, g.total_fen) for g in again] == [(0, 0), (0, 0)]
    assert CreditLine.objects.count() == before
    assert services.region_grant_preview(actor=officer, product=product, region_code=TOWNSHIP).count == 0


def test_queries_do_not_grow_with_villages_or_lines(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    _county_of_two_villages(world)
    with CaptureQueriesContext(connection) as village:
        services.village_grant(actor=officer, product=product, region_code=ZHOUAN)
    with CaptureQueriesContext(connection) as township:
        grants = services.region_grant(actor=officer, product=product, region_code=TOWNSHIP)
    assert grants[1].lines_created > 0
    assert len(village.captured_queries) <= 20
    assert len(township.captured_queries) <= 20


def test_preview_equals_result_when_a_subject_has_a_live_line_filed_elsewhere(
    world: World, product: CreditProduct
) -> None:
    """The live-line check is by subject (as the unique index), not by the line's village."""
    officer = world.users["bank_officer"]
    households = _county_of_two_villages(world)
    h = households[ZHOUAN][0]
    assert world.bank is not None
    CreditLine.objects.create(
        bank=world.bank,
        product=product,
        subject_type="household",
        subject_id=h.pk,
        household=h,
        subject_name=h.head_name,
        region_code=HUANGDUN,  # filed under the other village (the household moved)
        grade="AAA",
        limit_fen=1,
        max_rate_pct=Decimal("4.14"),
        granted_at=timezone.now(),
    )
    preview = services.village_grant_preview(actor=officer, product=product, region_code=ZHOUAN)
    assert h.pk not in {c.subject_id for c in preview.candidates}
    grant, _ = services.village_grant(actor=officer, product=product, region_code=ZHOUAN)
    assert (grant.lines_created, grant.total_fen) == (preview.count, preview.total_fen)


def test_a_closed_line_does_not_block_a_new_one(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    households = _county_of_two_villages(world)
    services.village_grant(actor=officer, product=product, region_code=ZHOUAN)
    h = households[ZHOUAN][0]
    CreditLine.objects.filter(household=h).update(status=LineStatus.CLOSED)
    preview = services.village_grant_preview(actor=officer, product=product, region_code=ZHOUAN)
    assert [(c.subject_id, c.grade, c.limit_fen) for c in preview.candidates] == [(h.pk, "AAA", 50_000_000)]
    grant, _ = services.village_grant(actor=officer, product=product, region_code=ZHOUAN)
    assert grant.lines_created == 1
    assert CreditLine.objects.filter(household=h).exclude(status=LineStatus.CLOSED).count() == 1


def test_a_household_rated_in_a_village_it_has_left_gets_no_line(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    households = _county_of_two_villages(world)
    moved = households[ZHOUAN][0]  # AAA, consenting
    Household.objects.filter(pk=moved.pk).update(region_id=HUANGDUN)
    for code in (ZHOUAN, HUANGDUN, TOWNSHIP):
        preview = (
            services.region_grant_preview(actor=officer, product=product, region_code=code)
            if code == TOWNSHIP
            else services.village_grant_preview(actor=officer, product=product, region_code=code)
        )
        assert moved.pk not in {c.subject_id for c in preview.candidates}, code
    # Rated again in its new village: it gets a line there, with that rating.
    new = rate(Household.objects.get(pk=moved.pk), "AA", when=timezone.now() - dt.timedelta(days=1))
    preview = services.region_grant_preview(actor=officer, product=product, region_code=TOWNSHIP)
    assert [(c.region_code, c.rating_id, c.grade) for c in preview.candidates if c.subject_id == moved.pk] == [
        (HUANGDUN, new.pk, "AA")
    ]


def test_revoked_consent_and_veto_are_excluded_county_wide(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    households = _county_of_two_villages(world)
    h = households[HUANGDUN][0]
    Consent.objects.filter(household=h).update(revoked_at=timezone.now())
    preview = services.region_grant_preview(actor=officer, product=product, region_code=TOWNSHIP)
    ids = {c.subject_id for c in preview.candidates}
    assert h.pk not in ids
    assert households[ZHOUAN][4].pk not in ids  # vetoed
    assert households[ZHOUAN][2].pk not in ids  # no consent (i % 3 == 2)
    grants = services.region_grant(actor=officer, product=product, region_code=TOWNSHIP)
    assert set(CreditLine.objects.values_list("subject_id", flat=True)) == ids
    assert sum(g.lines_created for g in grants) == len(ids)


def test_region_grant_refusals_write_nothing(world: World, product: CreditProduct) -> None:
    _county_of_two_villages(world)
    with pytest.raises(PermissionDenied):
        services.region_grant(actor=world.users["township_operator"], product=product, region_code=TOWNSHIP)
    with pytest.raises(NotFound):  # outside the officer's scope and the bank's service area
        services.region_grant(actor=world.users["bank_officer"], product=product, region_code="341181100000")
    with pytest.raises(NotFound):  # above the officer's township
        services.region_grant(actor=world.users["bank_officer"], product=product, region_code="341502000000")
    product.is_active = False
    product.save()
    with pytest.raises(DomainError):
        services.region_grant(actor=world.users["bank_officer"], product=product, region_code=TOWNSHIP)
    assert not CreditLine.objects.exists()
    assert not VillageGrant.objects.exists()
    assert not AuditEvent.objects.filter(action="lending.village_grant").exists()
