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


def make_uscc(prefix: str, serial: str) -> str:
    """A valid USCC: ``prefix`` (authority, category, 6-digit area) + a 9-character serial + check."""
    from creditvillage.core.identifiers import uscc_check_char

    body = f"{prefix}{serial}"
    return body + uscc_check_char(body)


@pytest.fixture
def entity(world: World) -> Any:
    """A family farm in 周庵村."""
    from creditvillage.registry.models import BusinessEntity

    return BusinessEntity.objects.create(
        region=world.region(ZHOUAN),
        name="周庵家庭农场",
        uscc=make_uscc("93341502", "MA2N00011"),
        kind="family_farm",
        legal_rep_name="周大",
        legal_rep_id_number=new_id(40, dt.date(1980, 3, 3)),
        phone="13900001111",
        main_business="水稻",
        employees=5,
        annual_revenue_fen=80_000_000,
        assets_fen=120_000_000,
        debts_fen=10_000_000,
    )


@pytest.fixture
def collective(world: World) -> Any:
    """周庵村's collective economic organisation."""
    from creditvillage.registry.models import Collective

    return Collective.objects.create(
        region=world.region(ZHOUAN),
        name="周庵村股份经济合作社",
        uscc=make_uscc("N2341502", "MF0000012"),
        legal_rep_name="周书记",
        members_count=800,
        assets_fen=500_000_000,
        annual_income_fen=30_000_000,
        operating_income_fen=12_000_000,
    )
