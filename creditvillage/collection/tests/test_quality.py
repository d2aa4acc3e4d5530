"""Quality selectors on crafted archives: each flag fires on its crafted household and not on the clean ones."""

from __future__ import annotations

import datetime as dt

import pytest

from creditvillage.collection.models import Campaign, SubmissionState
from creditvillage.collection.quality import campaign_quality, village_quality
from creditvillage.collection.tests.campaign_fixtures import HUANGDUN, ZHOUAN, add_collector, make_campaign, submit
from creditvillage.core.errors import NotFound
from creditvillage.registry.models import Asset, Household, Income, Person
from tests.fixtures import World, make_id_number

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC)


def complete(household: Household, income: int, assets: int, seq: int) -> None:
    """Make a household's registry archive complete, with its own income and assets."""
    Household.objects.filter(pk=household.pk).update(address=f"周庵村{seq}号", main_business="水稻")
    Person.objects.filter(household=household).update(education="junior", occupation="务农")
    Income.objects.create(household=household, year=2025, source="farming", amount_fen=income)
    Asset.objects.create(household=household, kind="house", quantity=100 + seq, value_fen=assets)


@pytest.fixture
def crafted(world: World) -> Campaign:
    """周庵村 with 8 households: 3 from the world plus 5 more, all complete and ordinary, then one oddity each."""
    village = world.region(ZHOUAN)
    households = list(world.households[ZHOUAN])
    for i in range(5):
        seq = 100 + i
        household = Household.objects.create(
            region=village, number=f"{ZHOUAN}9{i:03d}", head_name=f"新户{i}", member_count=1, phone="13800001111"
        )
        Person.objects.create(
            household=household,
            name=f"新户{i}",
            id_number=make_id_number("341502", dt.date(1980, 3, 3), seq),
            relation="head",
            sex="male" if seq % 2 else "female",
            birth_date=dt.date(1980, 3, 3),
        )
        households.append(household)
    incomes = [5_000_000, 5_200_000, 4_800_000, 5_100_000, 4_900_000, 5_300_000, 4_700_000, 5_050_000]
    assets = [30_000_000, 31_000_000, 29_000_000, 32_000_000, 28_000_000, 30_500_000, 29_500_000, 31_500_000]
    for seq, household in enumerate(households):
        complete(household, incomes[seq], assets[seq], seq)
    world.households[ZHOUAN] = households
    return make_campaign(world)


def flags_by_number(report: object) -> dict[str, list[str]]:
    return {row.number: sorted(f.code for f in row.flags) for row in report.households}  # type: ignore[attr-defined]


def test_clean_village_has_no_flags(world: World, crafted: Campaign) -> None:
    report = village_quality(actor=world.users["township_operator"], campaign=crafted, village=ZHOUAN)
    assert len(report.households) == 8
    assert all(codes == [] for codes in flags_by_number(report).values()), flags_by_number(report)
    assert report.completeness.percent == 100
    assert report.flagged == 0


def test_each_flag_fires_on_its_household(world: World, crafted: Campaign) -> None:
    h = world.households[ZHOUAN]
    # Income far above the village: h[0].
    Income.objects.filter(household=h[0]).update(amount_fen=90_000_000)
    # Assets far below: h[1].
    Asset.objects.filter(household=h[1]).update(value_fen=10_000)
    # Incomplete: h[2] lost its address, business and occupation.
    Household.objects.filter(pk=h[2].pk).update(address="", main_business="")
    Person.objects.filter(household=h[2]).update(occupation="", education="")
    # ID contradicting the stated sex and birth date: h[3]'s head.
    Person.objects.filter(household=h[3]).update(sex="female" if h[3].members.get().sex == "male" else "male")
    Person.objects.filter(household=h[4]).update(birth_date=dt.date(1950, 1, 1))
    # Identical answers: h[6] copies h[5]'s assets and income exactly.
    Income.objects.filter(household=h[6]).update(amount_fen=5_300_000)
    Asset.objects.filter(household=h[6]).update(value_fen=30_500_000, quantity=105)
    report = village_quality(actor=world.users["township_operator"], campaign=crafted, village=ZHOUAN)
    flags = flags_by_number(report)
    assert flags == {
        h[0].number: ["income_high"],
        h[1].number: ["assets_low"],
        h[2].number: ["incomplete"],
        h[3].number: ["sex_mismatch"],
        h[4].number: ["birth_date_mismatch"],
        h[5].number: ["identical"],
        h[6].number: ["identical"],
        h[7].number: [],
    }
    assert report.identical == [[h[5].number, h[6].number]]
    row = next(r for r in report.households if r.number == h[2].number)
    assert row.completeness.percent == 67  # 8 of 12: phone, three sections, name, ID, relation, political status
    assert report.flag_counts["identical"] == 2
    assert report.flagged == 7
    # The member's name is the detail; the ID number itself is never in a flag.
    sex_flag = next(r for r in report.households if r.number == h[3].number).flags[0]
    assert sex_flag.detail == h[3].members.get().name
    assert str(sex_flag.label) == "身份证号码与性别不符"


def test_fast_collector_is_flagged_and_a_normal_one_is_not(world: World, crafted: Campaign) -> None:
    h = world.households[ZHOUAN]
    fast = world.users["collector"]
    slow = add_collector("slow", ZHOUAN, "慢采集员")
    for i in range(5):  # five archives two minutes apart
        submit(crafted, h[i], fast, SubmissionState.SUBMITTED, at=T0 + dt.timedelta(minutes=2 * i))
    for i in range(5, 8):  # three archives an hour apart
        submit(crafted, h[i], slow, SubmissionState.SUBMITTED, at=T0 + dt.timedelta(hours=i))
    report = village_quality(actor=world.users["township_operator"], campaign=crafted, village=ZHOUAN)
    flags = flags_by_number(report)
    assert [flags[x.number] for x in h[:5]] == [["fast"]] * 5
    assert [flags[x.number] for x in h[5:]] == [[]] * 3
    assert [(b.collector, b.burst.count) for b in report.bursts] == [("collector", 5)]
    detail = next(r for r in report.households if r.number == h[0].number).flags[0].detail
    assert detail == "5户/8分钟"


def test_submission_data_is_what_is_judged(world: World, crafted: Campaign) -> None:
    h = world.households[ZHOUAN]
    # The registry archive is complete, but the collector's submission left the address and assets empty.
    data = {
        "household": {"address": "", "phone": "13800001111", "main_business": "水稻"},
        "members": [{"name": "x", "id_number": "1", "relation": "head", "political_status": "masses",
                     "education": "junior", "occupation": "务农"}],
        "assets": [],
        "incomes": [{"source": "farming", "amount_fen": 5_000_000}],
    }  # fmt: skip
    submit(crafted, h[0], world.users["collector"], SubmissionState.DRAFT, data=data)
    report = village_quality(actor=world.users["township_operator"], campaign=crafted, village=ZHOUAN)
    row = next(r for r in report.households if r.number == h[0].number)
    assert row.from_submission
    assert row.completeness.percent == 83  # 10 of 12
    assert [f.code for f in row.flags] == ["assets_low"]  # no assets at all: far below the village


def test_quality_is_scoped(world: World, crafted: Campaign) -> None:
    with pytest.raises(NotFound):
        village_quality(actor=world.users["village_operator"], campaign=crafted, village=HUANGDUN)
    with pytest.raises(NotFound):
        village_quality(actor=world.users["sibling_township_operator"], campaign=crafted, village=ZHOUAN)
    with pytest.raises(NotFound):  # a village outside the campaign's township
        village_quality(actor=world.users["admin"], campaign=crafted, village="341502101201")
    with pytest.raises(NotFound):  # not a village
        village_quality(actor=world.users["admin"], campaign=crafted, village="341502204")


def test_township_summary_per_village(world: World, crafted: Campaign) -> None:
    Income.objects.filter(household=world.households[ZHOUAN][0]).update(amount_fen=90_000_000)
    rows = campaign_quality(actor=world.users["township_operator"], campaign=crafted)
    assert [(r.name, r.households, r.flagged) for r in rows] == [("周庵村", 8, 1), ("黄墩村", 3, 3)]
    assert rows[0].flag_counts["income_high"] == 1
    # 黄墩村's world archives have no address, business, assets or incomes: all incomplete.
    assert rows[1].flag_counts["incomplete"] == 3
    village_only = campaign_quality(actor=world.users["village_operator"], campaign=crafted)
    assert [r.name for r in village_only] == ["周庵村"]
    with pytest.raises(NotFound):
        campaign_quality(actor=world.users["village_operator"], campaign=crafted, region=HUANGDUN)
