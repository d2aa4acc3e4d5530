"""Archive snapshots are written once: no single-row or bulk delete or update (queryset, base
manager), and a database trigger refuses content updates (both databases) and deletes (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from creditvillage.collection.models import ArchiveSnapshot, Campaign, ImmutableError, Submission
from creditvillage.collection.tests.conftest import ZHOUAN
from tests.fixtures import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(world: World, campaign: Campaign) -> ArchiveSnapshot:
    household = world.household(ZHOUAN, 0)
    submission = Submission.objects.create(
        campaign=campaign,
        region_id=household.region_id,
        subject_type="household",
        subject_id=household.pk,
        household=household,
        state="verified",
    )
    return ArchiveSnapshot.objects.create(
        campaign=campaign,
        submission=submission,
        region_id=household.region_id,
        subject_type="household",
        subject_id=household.pk,
        household=household,
        data={"household": {"address": "原址"}},
        verified_by=world.users["township_operator"],
        verified_at=timezone.now(),
    )


def stored(snapshot: ArchiveSnapshot) -> tuple[object, ...]:
    return tuple(ArchiveSnapshot.objects.filter(pk=snapshot.pk).values_list("data", "subject_id", "verified_at").get())


def test_bulk_delete_and_update_are_refused(snapshot: ArchiveSnapshot) -> None:
    before = stored(snapshot)
    with pytest.raises(ImmutableError):
        ArchiveSnapshot.objects.filter(pk=snapshot.pk).delete()
    with pytest.raises(ImmutableError):
        ArchiveSnapshot.objects.all().delete()
    with pytest.raises(ImmutableError):
        ArchiveSnapshot.objects.filter(pk=snapshot.pk).update(data={"household": {"address": "改址"}})
    with pytest.raises(ImmutableError):
        ArchiveSnapshot.objects.update(subject_id=1)
    snapshot.data = {"tampered": True}
    with pytest.raises(ImmutableError):
        ArchiveSnapshot.objects.bulk_update([snapshot], ["data"])
    with pytest.raises(ImmutableError):
        ArchiveSnapshot._base_manager.filter(pk=snapshot.pk).delete()
    with pytest.raises(ImmutableError):
        ArchiveSnapshot.objects.visible_to(None).delete()  # even an empty, scoped queryset
    assert ArchiveSnapshot.objects.count() == 1
    assert stored(snapshot) == before


def test_single_row_writes_are_still_refused(snapshot: ArchiveSnapshot) -> None:
    with pytest.raises(ImmutableError):
        snapshot.save()
    with pytest.raises(ImmutableError):
        snapshot.delete()
    assert ArchiveSnapshot.objects.filter(pk=snapshot.pk).exists()


def test_database_trigger_refuses_a_content_update(snapshot: ArchiveSnapshot) -> None:
    before = stored(snapshot)
    table = ArchiveSnapshot._meta.db_table
    for column, value in (
        ("subject_id", snapshot.subject_id + 1000),
        ("subject_type", "entity"),
        ("data", '{"tampered": true}'),
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, snapshot.pk])  # noqa: S608
    assert stored(snapshot) == before


def test_database_trigger_lets_a_deleted_verifier_be_cleared(snapshot: ArchiveSnapshot) -> None:
    """``verified_by`` is SET NULL when a user is deleted: that one column may change."""
    table = ArchiveSnapshot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET verified_by_id = NULL WHERE id = %s", [snapshot.pk])  # noqa: S608
    assert ArchiveSnapshot.objects.get(pk=snapshot.pk).verified_by_id is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no delete trigger (flush deletes rows)")
def test_database_trigger_refuses_a_delete_on_postgresql(snapshot: ArchiveSnapshot) -> None:
    table = ArchiveSnapshot._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [snapshot.pk])  # noqa: S608
    assert ArchiveSnapshot.objects.filter(pk=snapshot.pk).exists()
