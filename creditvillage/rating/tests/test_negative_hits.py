"""The negative list hits households through their members' ID numbers, only while in force."""

from __future__ import annotations

import datetime as dt

import pytest

from creditvillage.rating.models import NegativeListEntry
from creditvillage.rating.selectors import negative_hits
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def test_a_listed_member_hits_the_household_while_the_entry_is_in_force(world: World) -> None:
    household = world.household("341502204201")
    member = household.members.first()
    assert member is not None
    entry = NegativeListEntry.objects.create(
        id_number=member.id_number,
        name=member.name,
        source="失信被执行人名单",
        basis="（2025）皖1502执123号",
        listed_on=dt.date(2025, 1, 1),
        expires_on=dt.date(2030, 1, 1),
    )
    hits = negative_hits("341502204", on=dt.date(2026, 6, 1))
    assert hits["household"] == {household.pk: [entry]}
    assert negative_hits("341181", on=dt.date(2026, 6, 1))["household"] == {}  # another county
    assert negative_hits("341502204", on=dt.date(2030, 1, 1))["household"] == {}  # expired
    entry.repaired_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    entry.save()
    assert negative_hits("341502204", on=dt.date(2026, 6, 1))["household"] == {}  # repaired
