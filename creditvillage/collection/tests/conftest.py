"""Fixtures for the submission workflow tests: a campaign over 横塘岗乡 in the shared world."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from creditvillage.collection.models import Campaign
from tests.fixtures import World, make_id_number

ZHOUAN = "341502204201"
HUANGDUN = "341502204202"


@pytest.fixture
def campaign(world: World) -> Campaign:
    return Campaign.objects.create(
        region=world.region("341502204"),
        year=2026,
        name="2026年横塘岗乡建档",
        created_by=world.users["township_operator"],
    )


def new_id(seq: int, birth: dt.date = dt.date(1995, 5, 5), area: str = "341502") -> str:
    return make_id_number(area, birth, 500 + seq)


def archive_with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``base`` with household fields changed and optional extra members/rows."""
    data = {k: (list(v) if isinstance(v, list) else dict(v)) for k, v in base.items()}
    household = dict(data["household"])
    for key in ("address", "phone", "main_business", "social_notes", "is_low_income", "is_monitored"):
        if key in changes:
            household[key] = changes.pop(key)
    data["household"] = household
    for key, value in changes.items():
        data[key] = value
    return data
