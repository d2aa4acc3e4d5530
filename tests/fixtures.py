"""Shared fixtures: a small region tree with one user per role (the personas).

The tree has 2 cities × 2 townships × 2 villages so every scoping relation exists: own,
sibling, parent, child and other city (reliability.md C5).

    34 安徽省
    ├── 3415 六安市 ── 341502 金安区 ─┬─ 341502204 横塘岗乡 ─┬─ 341502204201 周庵村
    │                                │                      └─ 341502204202 黄墩村
    │                                └─ 341502101 木厂镇 ───┬─ 341502101201 东桥村
    │                                                       └─ 341502101202 西桥村
    └── 3411 滁州市 ── 341181 天长市 ── 341181100 铜城镇 ─┬─ 341181100201 龙岗村
                                                          └─ 341181100202 新河村
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.core.identifiers import resident_id_check_char
from creditvillage.lending.models import Bank, Consent
from creditvillage.merchants.models import Merchant
from creditvillage.regions.models import Region
from creditvillage.registry.models import Household, Person

PASSWORD = "cv-test-password-1"

TREE = [
    ("340000000000", "安徽省", "province", None),
    ("341500000000", "六安市", "city", "340000000000"),
    ("341502000000", "金安区", "county", "341500000000"),
    ("341502204000", "横塘岗乡", "township", "341502000000"),
    ("341502204201", "周庵村", "village", "341502204000"),
    ("341502204202", "黄墩村", "village", "341502204000"),
    ("341502101000", "木厂镇", "township", "341502000000"),
    ("341502101201", "东桥村", "village", "341502101000"),
    ("341502101202", "西桥村", "village", "341502101000"),
    ("341100000000", "滁州市", "city", "340000000000"),
    ("341181000000", "天长市", "county", "341100000000"),
    ("341181100000", "铜城镇", "township", "341181000000"),
    ("341181100201", "龙岗村", "village", "341181100000"),
    ("341181100202", "新河村", "village", "341181100000"),
]

VILLAGES = [code for code, _name, level, _parent in TREE if level == "village"]


def make_id_number(area: str, birth: dt.date, seq: int) -> str:
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return body + resident_id_check_char(body)


@dataclass
class World:
    regions: dict[str, Region] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    households: dict[str, list[Household]] = field(default_factory=dict)  # by village code
    bank: Bank | None = None
    merchant: Merchant | None = None

    def region(self, code: str) -> Region:
        return self.regions[code.ljust(12, "0")]

    def household(self, village: str, index: int = 0) -> Household:
        return self.households[village.ljust(12, "0")][index]


def _user(username: str, role: str, region: Region, **subject: Any) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=username)
    RoleAssignment.objects.create(user=user, role=role, region=region, **subject)
    return user


def build_world(households_per_village: int | dict[str, int] = 3) -> World:
    """The tree, households (a number per village, or ``{village code: number}``), bank, merchant, personas."""
    world = World()
    for code, name, level, parent in TREE:
        world.regions[code] = Region.objects.create(code=code, name=name, level=level, parent_id=parent)
    seq = 1
    for village in VILLAGES:
        world.households[village] = []
        count = households_per_village if isinstance(households_per_village, int) else households_per_village[village]
        for i in range(count):
            household = Household.objects.create(
                region=world.regions[village],
                number=f"{village}{i + 1:04d}",
                head_name=f"户主{seq}",
                member_count=1,
                phone=f"1380000{seq:04d}",
                status="archived",
                annual_income_fen=5_000_000,
                collected_at=timezone.now(),
            )
            Person.objects.create(
                household=household,
                name=f"户主{seq}",
                id_number=make_id_number(village[:6], dt.date(1970, 1, 1), seq),
                relation="head",
                sex="male" if seq % 2 else "female",
                birth_date=dt.date(1970, 1, 1),
                phone=f"1390000{seq:04d}",
            )
            world.households[village].append(household)
            seq += 1
    r = world.region
    world.bank = Bank.objects.create(code="JARCB", name="金安农村商业银行", short_name="金安农商行")
    world.bank.regions.add(r("341502204"))
    world.merchant = Merchant.objects.create(
        region=r("341502204"), name="横塘岗便民超市", uscc="92341502MA2N0001XA", category="零售"
    )
    zhouan = "341502204201"
    Consent.objects.create(household=world.household(zhouan, 0), bank=world.bank, granted_at=timezone.now())
    world.users = {
        "admin": _user("admin", "admin", r("341502")),
        "regulator": _user("regulator", "regulator", r("341502")),
        "township_operator": _user("township_operator", "township_operator", r("341502204")),
        "other_township_operator": _user("other_township_operator", "township_operator", r("341181100")),
        "sibling_township_operator": _user("sibling_township_operator", "township_operator", r("341502101")),
        "village_operator": _user("village_operator", "village_operator", r(zhouan)),
        "collector": _user("collector", "collector", r(zhouan)),
        "evaluator": _user("evaluator", "evaluator", r(zhouan)),
        "auditor": _user("auditor", "auditor", r("341502")),
        "bank_officer": _user("bank_officer", "bank_officer", r("341502204"), bank=world.bank),
        "merchant": _user("merchant", "merchant", r("341502204"), merchant=world.merchant),
        "household": _user("household", "household", r(zhouan), household=world.household(zhouan, 0)),
        "nobody": User.objects.create_user(username="nobody", password=PASSWORD),
    }
    world.users["superuser"] = User.objects.create_superuser(username="root", password=PASSWORD)
    return world


@pytest.fixture
def world(db: None) -> World:
    return build_world()
