"""Concurrency (reliability C3): simultaneous grants, same-key requests, same-reference repayments.

Real threads, one database connection each (``transaction=True``); PostgreSQL's unique indexes
(and SQLite's write lock) decide. Run on both databases.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.lending import loans, services
from creditvillage.lending.models import Consent, CreditLine, CreditProduct, IdempotencyRecord, Repayment, VillageGrant
from creditvillage.lending.tests.conftest import rate
from creditvillage.lending.tests.test_loans import _disbursed
from tests.fixtures import World

pytestmark = pytest.mark.django_db(transaction=True)
ZHOUAN = "341502204201"


def race(n: int, act: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = act(i)
        except Exception as exc:  # noqa: BLE001 - a loser's error is the result under test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _rated_village(world: World) -> None:
    assert world.bank is not None
    for household in world.households[ZHOUAN]:
        rate(household, "AA")
        if not Consent.objects.filter(household=household, revoked_at__isnull=True).exists():
            Consent.objects.create(household=household, bank=world.bank, granted_at=timezone.now())


def _officers(world: World, n: int) -> list[User]:
    out = []
    for i in range(n):
        user = User.objects.create_user(username=f"officer-{i}", password="x-123456789")
        RoleAssignment.objects.create(user=user, role="bank_officer", region=world.region("341502204"), bank=world.bank)
        out.append(user)
    return out


def test_two_officers_granting_one_village_at_once_create_each_line_once(world: World, product: CreditProduct) -> None:
    _rated_village(world)
    officers = _officers(world, 2)
    results = race(2, lambda i: services.village_grant(actor=officers[i], product=product, region_code=ZHOUAN))
    assert all(isinstance(r, tuple) for r in results), results
    assert CreditLine.objects.count() == 3
    assert sorted(g.lines_created for g in VillageGrant.objects.all()) in ([0, 3], [1, 2], [3, 0])
    assert sum(VillageGrant.objects.values_list("lines_created", flat=True)) == 3
    assert sum(VillageGrant.objects.values_list("total_fen", flat=True)) == 3 * 30_000_000


def test_a_township_grant_and_a_village_grant_at_once_create_each_line_once(
    world: World, product: CreditProduct
) -> None:
    """The set-based writes (ADR 0036) keep the guarantee: the unique index decides, counts add up."""
    _rated_village(world)
    officers = _officers(world, 2)

    def act(i: int) -> Any:
        if i == 0:
            return services.region_grant(actor=officers[0], product=product, region_code="341502204000")
        return services.village_grant(actor=officers[1], product=product, region_code=ZHOUAN)

    results = race(2, act)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert CreditLine.objects.count() == 3
    assert CreditLine.objects.values("subject_id").distinct().count() == 3
    zhouan = VillageGrant.objects.filter(region_code=ZHOUAN)
    assert zhouan.count() == 2
    assert sum(zhouan.values_list("lines_created", flat=True)) == 3
    assert sum(zhouan.values_list("total_fen", flat=True)) == 3 * 30_000_000
    for grant in zhouan:
        assert CreditLine.objects.filter(village_grant=grant).count() == grant.lines_created


def test_hundred_same_key_grants_have_one_effect(world: World, product: CreditProduct) -> None:
    _rated_village(world)
    officer = User.objects.get(username="bank_officer")

    def act(i: int) -> Any:
        actor = User.objects.get(pk=officer.pk)

        def effect() -> tuple[int, dict[str, Any]]:
            grant, _ = services.village_grant(actor=actor, product=product, region_code=ZHOUAN)
            return 201, {"grant_id": grant.pk, "lines_created": grant.lines_created}

        return services.idempotent(
            actor=actor, scope="village_grant", key="same-key", payload={"region": ZHOUAN}, effect=effect
        )

    n = 100 if connection.vendor == "postgresql" else 20
    results = race(n, act)
    assert not [r for r in results if isinstance(r, Exception)], [r for r in results if isinstance(r, Exception)][:3]
    assert VillageGrant.objects.count() == 1
    assert CreditLine.objects.count() == 3
    assert IdempotencyRecord.objects.count() == 1
    assert len({(status, body["grant_id"]) for status, body in results}) == 1


def test_same_reference_repayments_apply_once(world: World, product: CreditProduct) -> None:
    loan = _disbursed(world, product, dt.date(2026, 1, 10))
    officer = User.objects.get(username="bank_officer")

    def act(i: int) -> Any:
        return loans.repayment_record(
            actor=User.objects.get(pk=officer.pk),
            loan=type(loan).objects.get(pk=loan.pk),
            amount_fen=100_000,
            paid_on=dt.date(2026, 2, 10),
            reference="BULK-1",
        )

    n = 50 if connection.vendor == "postgresql" else 10
    results = race(n, act)
    assert not [r for r in results if isinstance(r, Exception)], results[:3]
    assert sum(1 for _rep, applied in results if applied) == 1
    assert Repayment.objects.count() == 1
    loan.refresh_from_db()
    line = CreditLine.objects.get(pk=loan.line_id)
    assert line.used_fen == loan.principal_outstanding_fen
