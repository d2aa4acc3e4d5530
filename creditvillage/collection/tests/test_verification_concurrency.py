"""Two verifiers acting on one submission at once: exactly one wins, the other gets a conflict.

Real threads, one database connection each (``transaction=True``); on PostgreSQL the row lock
serialises them, on SQLite the write lock does; either way the version check decides.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from creditvillage.accounts.models import User
from creditvillage.collection import services
from creditvillage.collection.models import ArchiveSnapshot, Campaign, Submission, SubmissionState
from creditvillage.collection.tests.conftest import ZHOUAN, archive_with
from creditvillage.core.models import AuditEvent
from tests.fixtures import World

pytestmark = pytest.mark.django_db(transaction=True)


def race(n: int, act: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = act(i)
        except Exception as exc:  # noqa: BLE001 - the loser's error is the result under test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _submitted(world: World, campaign: Campaign) -> Submission:
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, household=world.household(ZHOUAN, 1))
    data = archive_with(submission.data, address="并发地址")
    return services.submission_submit(actor=collector, submission=submission, expected_version=1, data=data)


def test_two_verifiers_cannot_both_win(world: World, campaign: Campaign) -> None:
    submission = _submitted(world, campaign)
    version = submission.version
    second = User.objects.create_user(username="township_operator_2")
    second.role_assignments.create(role="township_operator", region=world.region("341502204"))
    verifiers = [User.objects.get(username="township_operator"), User.objects.get(pk=second.pk)]

    def act(i: int) -> Any:
        fresh = Submission.objects.get(pk=submission.pk)
        if i == 0:
            return services.submission_verify(actor=verifiers[0], submission=fresh, expected_version=version)
        return services.submission_return(
            actor=verifiers[1], submission=fresh, expected_version=version, reasons={"_all": "并发退回"}
        )

    results = race(2, act)
    wins = [r for r in results if isinstance(r, Submission)]
    losses = [r for r in results if isinstance(r, services.Conflict | services.InvalidTransition)]
    assert len(wins) == 1, results
    assert len(losses) == 1, results
    final = Submission.objects.get(pk=submission.pk)
    assert final.version == version + 1
    assert final.state == wins[0].state
    snapshots = ArchiveSnapshot.objects.filter(submission=final).count()
    assert snapshots == (1 if final.state == SubmissionState.VERIFIED else 0)
    transitions = AuditEvent.objects.filter(action__in=["submission.verified", "submission.returned"]).count()
    assert transitions == 1


def test_many_verifiers_one_verification(world: World, campaign: Campaign) -> None:
    submission = _submitted(world, campaign)
    version = submission.version
    operator = User.objects.get(username="township_operator")

    def act(_i: int) -> Any:
        fresh = Submission.objects.get(pk=submission.pk)
        return services.submission_verify(
            actor=User.objects.get(pk=operator.pk), submission=fresh, expected_version=version
        )

    results = race(4, act)
    assert sum(isinstance(r, Submission) for r in results) == 1, results
    assert all(isinstance(r, Submission | services.Conflict | services.InvalidTransition) for r in results), results
    assert ArchiveSnapshot.objects.count() == 1
    assert AuditEvent.objects.filter(action="submission.verified").count() == 1
