"""The demo (contract.md, "Demo"): every login with its role and scope, the places, the archives, consents."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.core.identifiers import validate_uscc
from creditvillage.demo.builder import demo_build, demo_household
from creditvillage.demo.data import DEMO_PASSWORD
from creditvillage.lending.models import Consent
from creditvillage.regions.models import PartyOrganisation, Region
from creditvillage.registry.models import Household, Person, VillageProfile

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"

# contract.md, Demo: login → (role, scope region code).
CONTRACT_LOGINS = {
    "county_admin": ("admin", "341502000000"),
    "township_operator": ("township_operator", "341502204000"),
    "village_operator": ("village_operator", ZHOUAN),
    "collector": ("collector", ZHOUAN),
    "evaluator": ("evaluator", ZHOUAN),
    "auditor": ("auditor", "341502000000"),
    "regulator": ("regulator", "341502000000"),
    "bank_officer": ("bank_officer", "341502204000"),
    "merchant": ("merchant", "341502204000"),
    "household": ("household", ZHOUAN),
    "other_township_operator": ("township_operator", "341181100000"),
}
ANNEX_2_VILLAGES = {
    "凤凰台村", "周庵村", "黄墩村", "古城寺村", "金公庙村", "九里冲村",
    "龙王岩村", "岩湾村", "缸窑村", "百子庵村", "杨岩村", "石河口村",
}  # fmt: skip


@pytest.fixture
def demo() -> None:
    demo_build()


@pytest.mark.usefixtures("demo")
def test_every_contract_login_exists_with_its_role_scope_password_and_a_chinese_name() -> None:
    for username, (role, scope) in CONTRACT_LOGINS.items():
        user = User.objects.get(username=username)
        assignment = RoleAssignment.objects.get(user=user)
        assert (assignment.role, assignment.region_id, assignment.is_active) == (role, scope, True), username
        assert user.check_password(DEMO_PASSWORD), username
        assert user.display_name, username
        assert all("\u4e00" <= char <= "\u9fff" for char in user.display_name), username
        assert not user.is_superuser
    # The chapters add named collectors and evaluators of other villages; none of them is a superuser.
    assert set(CONTRACT_LOGINS) <= set(User.objects.values_list("username", flat=True))
    assert not User.objects.filter(is_superuser=True).exists()
    assert User.objects.get(username="township_operator").display_name == "季星原"  # seed 000
    assert User.objects.get(username="collector").display_name == "姜磊"  # seed 000, annex 2


@pytest.mark.usefixtures("demo")
def test_the_bank_officer_merchant_and_household_are_tied_to_their_subjects() -> None:
    officer = RoleAssignment.objects.get(user__username="bank_officer")
    assert officer.bank is not None
    assert "农村商业银行" in officer.bank.name
    assert officer.bank.regions.filter(code="341502204000").exists()

    merchant = RoleAssignment.objects.get(user__username="merchant").merchant
    assert merchant is not None
    assert merchant.region_id == "341502204000"
    assert validate_uscc(merchant.uscc).details["category_code"] == "2"  # individual business (92)
    assert merchant.uscc.startswith("92341502")

    household_role = RoleAssignment.objects.get(user__username="household")
    household = household_role.household
    assert household is not None
    assert household == demo_household()
    assert household.grade == "AA"  # contract.md: "an AA household"
    assert household.region_id == ZHOUAN
    assert Consent.objects.filter(household=household, bank=officer.bank, revoked_at__isnull=True).exists()
    head = Person.objects.get(household=household, relation="head")
    assert User.objects.get(username="household").display_name == head.name == household.head_name


@pytest.mark.usefixtures("demo")
def test_the_places_follow_seed_000_and_the_division_codes() -> None:
    hengtanggang = Region.objects.filter(parent_id="341502204000")
    assert set(hengtanggang.values_list("name", flat=True)) == ANNEX_2_VILLAGES
    assert set(hengtanggang.values_list("is_illustrative", flat=True)) == {True}
    assert Region.objects.filter(parent_id="341181100000").count() >= 3
    assert not Region.objects.get(code="341181103200").is_illustrative  # 双柳村: a published code
    zhouan = VillageProfile.objects.get(region_id=ZHOUAN)
    assert (zhouan.work_team_leader, zhouan.work_team_members, zhouan.is_key) == ("季星原", "姜磊", True)
    key = set(VillageProfile.objects.filter(is_key=True).values_list("region__name", flat=True))
    assert key == {"周庵村", "黄墩村", "缸窑村", "金公庙村"}
    assert PartyOrganisation.objects.filter(region_id="341502204000", kind="township_committee").exists()
    assert PartyOrganisation.objects.filter(region_id=ZHOUAN, kind="general_branch").exists()
    assert PartyOrganisation.objects.filter(region_id=ZHOUAN, kind="grid_group").count() >= 3


@pytest.mark.usefixtures("demo")
def test_the_archives_are_mixed_in_status_and_grade_and_half_of_zhouan_consents() -> None:
    households = Household.objects.all()
    assert households.count() >= 1500
    assert set(households.values_list("status", flat=True)) == {"collecting", "archived", "verified"}
    grades = set(households.values_list("grade", flat=True))
    assert {"AAA", "AA", "A"} <= grades  # last year's final ratings (the rating chapter)
    zhouan = households.filter(region_id=ZHOUAN)
    assert zhouan.count() == 100
    assert set(zhouan.values_list("collected_by__username", flat=True)) == {"collector"}
    assert set(zhouan.values_list("channel", flat=True)) == {"door_to_door", "excel_import"}
    assert {h.collected_at.year for h in zhouan if h.collected_at} == {2026}
    consenting = Consent.objects.filter(household__region_id=ZHOUAN, revoked_at__isnull=True).count()
    assert 30 <= consenting <= 70
    assert not Consent.objects.exclude(household__region_id=ZHOUAN).exists()
    assert Person.objects.filter(household__region_id="341181100201").exists()  # 铜城镇 has archives too


@pytest.mark.django_db(transaction=True)  # --reset flushes: TRUNCATE cannot run inside the test's transaction
def test_the_command_builds_once_prints_logins_and_resets() -> None:
    out = io.StringIO()

    call_command("demo", "--if-empty", stdout=out)
    numbers = list(Household.objects.order_by("number").values_list("number", "head_name"))
    call_command("demo", "--if-empty", stdout=out)  # already built: nothing happens
    assert Household.objects.count() == len(numbers)
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo")
    call_command("demo", "--logins", stdout=out)
    call_command("demo", "--reset", stdout=out)

    assert list(Household.objects.order_by("number").values_list("number", "head_name")) == numbers
    text = out.getvalue()
    assert text.count("演示数据已生成") == 2
    assert DEMO_PASSWORD in text
    for username in CONTRACT_LOGINS:
        assert username in text
    assert "横塘岗乡（341502204）" in text
