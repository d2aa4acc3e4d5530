"""Builds the demo (contract.md, "Demo"): two counties, realistic archives and the contract's logins.

金安区 with 横塘岗乡 and its twelve villages (seed 000), 天长市 with 铜城镇 and 大通镇; about 100
synthetic households in each village of 横塘岗乡 and 铜城镇; village files with the work teams of
seed 000's annex 2; groups, grids and party organisations; two rural commercial banks; a merchant;
consents from about half of 周庵村 to the 金安 bank; and one login per role, all with the password
``cv-demo-2026``. The later chapters (demo/steps.py) add the collection campaign, civility rounds,
rating cycles (the ``household`` login's household ends AA — see :func:`demo_household`) and lending.

Deterministic: the same code builds the same demo (except timestamps of the build itself).
"""

from __future__ import annotations

import datetime as dt
import random
import time
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.accounts.roles import Role
from creditvillage.core import audit
from creditvillage.core.scope import significant_prefix
from creditvillage.demo.data import (
    ARCHIVED_TOWNSHIPS,
    BANKS,
    BUILD_YEARS,
    DEMO_PASSWORD,
    DEMO_SEED,
    HOUSEHOLDS_PER_VILLAGE,
    JINAN,
    KEY_VILLAGES,
    LOGINS,
    MERCHANT,
    MERCHANT_USCC_SUBJECT,
    MIXES,
    TIANCHANG,
    TIANCHANG_BUILD_YEAR,
    TOWNSHIP_SECRETARIES,
    WORK_TEAMS,
    ZHOUAN,
)
from creditvillage.demo.steps import DemoContext, run_steps
from creditvillage.lending.models import Bank, Consent
from creditvillage.merchants.models import Merchant
from creditvillage.regions.choices import PartyOrgKind, RegionLevel
from creditvillage.regions.models import Grid, PartyOrganisation, Region
from creditvillage.regions.services import regions_load_csv
from creditvillage.registry.generation import DEMO_DIVISIONS, archives_write, collectives_create, village_places_create
from creditvillage.registry.models import Household, Person, VillageProfile
from creditvillage.registry.synthetic import ArchiveGenerator, CollectionMix, VillageSpec, make_uscc, person_name
from creditvillage.registry.synthetic.pools import SURNAMES

__all__ = [
    "DemoReport",
    "demo_build",
    "demo_household",
    "demo_is_empty",
    "demo_logins",
    "demo_reset",
    "demo_users_exist",
    "logins_table",
]

CHINA = ZoneInfo("Asia/Shanghai")


@dataclass
class DemoReport:
    villages: int
    households: int
    persons: int
    users: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"演示数据已生成：{self.villages}个村、{self.households}户、{self.persons}人、{self.users}个账号，"
            f"用时{self.seconds:.1f}秒"
        )


def demo_is_empty() -> bool:
    """True when there is no region at all (``demo --if-empty`` builds only then)."""
    return not Region.objects.exists()


def demo_reset() -> None:
    """Empty every table (the demo and anything else in the database)."""
    call_command("flush", interactive=False, verbosity=0)


@transaction.atomic
def demo_build() -> DemoReport:
    """Build the whole demo in one transaction. Expects an empty database (``demo_reset`` first)."""
    started = time.perf_counter()
    regions_load_csv(path_or_file=DEMO_DIVISIONS)
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE).select_related("parent").order_by("code"))
    generators = {county: ArchiveGenerator(county_code=county[:6], seed=DEMO_SEED) for county in (JINAN, TIANCHANG)}
    specs = [generators[_county(v.code)].village(v.code, v.name, v.parent.name if v.parent else "") for v in villages]
    village_places_create(specs)
    _village_files(specs)
    _grid_leaders(specs)
    banks = _banks()
    merchant = _merchant()
    users = _users(specs, banks[0], merchant)
    households = persons = 0
    for county, gen in generators.items():
        plan = [(s, HOUSEHOLDS_PER_VILLAGE) for s in specs if _archived(s) and s.code.startswith(county[:6])]
        written = archives_write(
            gen, plan, collected_by={ZHOUAN: users["collector"].pk}, mixes={s.code: _mix(s) for s, _n in plan}
        )
        collectives_create(gen, [s for s, _n in plan], written.persons_by_village)
        households += written.counts.households
        persons += written.counts.persons
    Region.objects.filter(code__in=[s.code for s in specs if _archived(s)]).update(
        households_total=HOUSEHOLDS_PER_VILLAGE
    )
    _party_organisations(specs)
    _consents(banks[0], users["village_operator"])
    _household_login(users)
    run_steps(
        DemoContext(
            users=users,
            banks=banks,
            merchant=merchant,
            village_codes=[s.code for s in specs],
            archived_village_codes=[s.code for s in specs if _archived(s)],
            seed=DEMO_SEED,
        )
    )
    audit.record(
        actor=None,
        action="demo.built",
        target=Region.objects.get(pk=JINAN),
        region_code=JINAN,
        changes={"households": households, "users": len(users)},
        channel="system",
    )
    return DemoReport(len(specs), households, persons, len(users), time.perf_counter() - started)


def _county(code: str) -> str:
    return code[:6].ljust(12, "0")


def _archived(spec: VillageSpec) -> bool:
    return spec.code[:9].ljust(12, "0") in ARCHIVED_TOWNSHIPS


def _build_year(spec: VillageSpec) -> int:
    return BUILD_YEARS.get(spec.name, TIANCHANG_BUILD_YEAR)


def _mix(spec: VillageSpec) -> CollectionMix:
    return MIXES["zhouan"] if spec.code == ZHOUAN else MIXES[_build_year(spec)]


# --- Places and organisations ------------------------------------------------------------------


def _village_files(specs: list[VillageSpec]) -> None:
    """Work teams (annex 2), key villages and the year each joined the programme."""
    files = {f.region_id: f for f in VillageProfile.objects.filter(region_id__in=[s.code for s in specs])}
    for spec in specs:
        profile = files[spec.code]
        leader, member = WORK_TEAMS.get(spec.name, ("", ""))
        profile.work_team_leader = leader
        profile.work_team_members = member
        profile.is_key = spec.name in KEY_VILLAGES
        profile.build_year = _build_year(spec) if _archived(spec) else None
        profile.collected_at = dt.datetime(2026, 3, 15, 9, 0, tzinfo=CHINA)
    VillageProfile.objects.bulk_update(
        files.values(), ["work_team_leader", "work_team_members", "is_key", "build_year", "collected_at"]
    )


def _grid_leaders(specs: list[VillageSpec]) -> None:
    rng = random.Random(f"demo-grid-leaders:{DEMO_SEED}")
    grids = list(Grid.objects.filter(village_id__in=[s.code for s in specs]).order_by("village_id", "number"))
    for grid in grids:
        grid.leader_name = person_name(rng, SURNAMES.pick(rng), rng.random() < 0.6, 1975)
    Grid.objects.bulk_update(grids, ["leader_name"])


def _party_organisations(specs: list[VillageSpec]) -> None:
    """The township committees, each village's branch (总支 in the key villages) and grid party groups."""
    members: dict[str, int] = dict(
        Person.objects.filter(political_status__in=["party_member", "probationary"])
        .order_by()
        .values("household__region_id")
        .annotate(n=Count("pk"))
        .values_list("household__region_id", "n")
    )
    townships = Region.objects.filter(code__in=TOWNSHIP_SECRETARIES).order_by("code")
    orgs = [
        PartyOrganisation(
            region=township,
            kind=PartyOrgKind.TOWNSHIP_COMMITTEE,
            name=f"中共{township.name}委员会",
            secretary_name=TOWNSHIP_SECRETARIES[township.code],
            member_count=sum(n for code, n in members.items() if code.startswith(township.code[:9])),
        )
        for township in townships
    ]
    for spec in specs:
        general = spec.name in KEY_VILLAGES
        orgs.append(
            PartyOrganisation(
                region_id=spec.code,
                kind=PartyOrgKind.GENERAL_BRANCH if general else PartyOrgKind.BRANCH,
                name=f"中共{spec.township_name}{spec.name}{'总支部' if general else '支部'}委员会",
                secretary_name=spec.party_secretary,
                member_count=members.get(spec.code, 0),
            )
        )
    for grid in Grid.objects.filter(village_id__in=[s.code for s in specs]).select_related("village"):
        orgs.append(
            PartyOrganisation(
                region_id=grid.village_id,
                grid=grid,
                kind=PartyOrgKind.GRID_GROUP,
                name=f"{grid.village.name}第{grid.number}网格党小组",
                secretary_name=grid.leader_name,
            )
        )
    PartyOrganisation.objects.bulk_create(orgs)


def _banks() -> list[Bank]:
    banks = []
    for code, name, short_name, regions in BANKS:
        bank = Bank.objects.create(code=code, name=name, short_name=short_name)
        bank.regions.set(Region.objects.filter(code__in=regions))
        banks.append(bank)
    return banks


def _merchant() -> Merchant:
    return Merchant.objects.create(uscc=make_uscc("92", "341502", MERCHANT_USCC_SUBJECT), **MERCHANT)


# --- People ---------------------------------------------------------------------------------------


def _users(specs: list[VillageSpec], bank: Bank, merchant: Merchant) -> dict[str, User]:
    """Every contract login except ``household`` (its household is drawn later), with its role."""
    secretary = next(s.party_secretary for s in specs if s.code == ZHOUAN)
    password = make_password(DEMO_PASSWORD)  # hashed once: Argon2 is slow on purpose
    users = {}
    for login in LOGINS:
        if login.role == "household":
            continue
        user = User.objects.create(
            username=login.username, password=password, display_name=login.display_name or secretary
        )
        subject: dict[str, Bank | Merchant] = {}
        if login.role == "bank_officer":
            subject["bank"] = bank
        if login.role == "merchant":
            subject["merchant"] = merchant
        RoleAssignment.objects.create(user=user, role=login.role, region_id=login.scope, **subject)
        users[login.username] = user
    return users


def _consents(bank: Bank, recorded_by: User) -> None:
    """About half of 周庵村's households consent to the 金安 bank (授权), in August 2026."""
    rng = random.Random(f"demo-consents:{DEMO_SEED}")
    consents = []
    for household in Household.objects.filter(region_id=ZHOUAN).order_by("number"):
        if rng.random() < 0.5:
            granted = dt.datetime(2026, 8, rng.randint(1, 31), rng.randint(8, 17), rng.randint(0, 59), tzinfo=CHINA)
            consents.append(Consent(household=household, bank=bank, granted_at=granted, recorded_by=recorded_by))
    Consent.objects.bulk_create(consents)


def demo_household() -> Household:
    """The ``household`` login's household (contract.md: the head of an AA household in 周庵村)."""
    assignment = RoleAssignment.objects.filter(user__username="household", household__isnull=False).first()
    if assignment is not None and assignment.household is not None:
        return assignment.household
    return _pick_demo_household()


def _pick_demo_household() -> Household:
    """The first verified 周庵村 household that consented to a bank (the rating chapter makes it AA)."""
    consented = Consent.objects.filter(revoked_at__isnull=True).values("household_id")
    return (
        Household.objects.filter(region_id=ZHOUAN, status="verified", pk__in=consented).order_by("number").first()
        or Household.objects.filter(region_id=ZHOUAN, pk__in=consented).order_by("number").first()
        or Household.objects.filter(region_id=ZHOUAN).order_by("number").get()
    )


def _household_login(users: dict[str, User]) -> None:
    household = _pick_demo_household()
    login = next(login for login in LOGINS if login.role == "household")
    head = household.members.get(relation="head")
    user = User.objects.create(
        username=login.username,
        password=users["collector"].password,
        display_name=head.name,
        phone=head.phone or household.phone,
    )
    RoleAssignment.objects.create(user=user, role=login.role, region_id=login.scope, household=household)
    users[login.username] = user


# --- The logins table ------------------------------------------------------------------------------


def demo_logins() -> list[dict[str, str]]:
    """The contract's logins as they stand in the database: username, name, role (zh/en), scope."""
    users = {u.username: u for u in User.objects.filter(username__in=[login.username for login in LOGINS])}
    regions = {r.code: r for r in Region.objects.filter(code__in={login.scope for login in LOGINS})}
    rows = []
    for login in LOGINS:
        user = users.get(login.username)
        if user is None:
            continue
        region = regions.get(login.scope)
        rows.append(
            {
                "username": login.username,
                "name": user.display_name,
                "role": str(Role(login.role).label),
                "role_en": login.role_en,
                "scope": f"{region.name if region else ''}（{significant_prefix(login.scope)}）",
            }
        )
    return rows


def logins_table() -> str:
    """A plain-text table of the demo logins for the terminal (``make run`` prints it)."""
    rows = demo_logins()
    if not rows:
        return "还没有演示账号：先运行 creditvillage demo（No demo logins yet: run `creditvillage demo`）"
    header = {"username": "账号 Login", "name": "姓名 Name", "role": "角色", "role_en": "Role", "scope": "辖区 Scope"}
    columns = list(header)
    widths = {c: max(_width(header[c]), *(_width(r[c]) for r in rows)) for c in columns}
    lines = [f"演示账号（密码均为 {DEMO_PASSWORD}）  Demo logins (password for all: {DEMO_PASSWORD})"]
    lines.append("  ".join(_pad(header[c], widths[c]) for c in columns).rstrip())
    lines.append("  ".join("-" * widths[c] for c in columns))
    lines += ["  ".join(_pad(r[c], widths[c]) for c in columns).rstrip() for r in rows]
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def demo_users_exist() -> bool:
    return User.objects.filter(username__in=[login.username for login in LOGINS]).exists()
