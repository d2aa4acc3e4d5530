"""The synthetic archive generator: valid identifiers, consistent households, determinism. No database."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import polars as pl
import pytest

from creditvillage.core.identifiers import (
    resident_id_check_char,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)
from creditvillage.registry.choices import (
    AssetKind,
    DebtKind,
    Education,
    Health,
    IncomeSource,
    InsuranceKind,
    PoliticalStatus,
    Relation,
)
from creditvillage.registry.synthetic import ArchiveBlock, ArchiveGenerator, ResidentIdAllocator, place_names

COUNTY = "341181"
VILLAGES = (("341181100201", "龙岗村"), ("341181100202", "周庄村"))


def make_blocks(seed: int = 7, households: int = 400) -> list[ArchiveBlock]:
    gen = ArchiveGenerator(county_code=COUNTY, seed=seed)
    return [gen.block(gen.village(code, name, "铜城镇"), households) for code, name in VILLAGES]


@pytest.fixture(scope="module")
def blocks() -> list[ArchiveBlock]:
    return make_blocks()


def table(blocks: list[ArchiveBlock], name: str) -> pl.DataFrame:
    return pl.concat([block.frame(name) for block in blocks], how="vertical_relaxed")


def test_every_resident_id_is_valid_unique_and_matches_sex_and_birth_date(blocks: list[ArchiveBlock]) -> None:
    persons = table(blocks, "persons")

    ids = persons["id_number"].to_list()
    assert len(ids) == len(set(ids))
    for number, sex, birth in persons.select("id_number", "sex", "birth_date").iter_rows():
        result = validate_resident_id(number, today=dt.date(2026, 1, 1))
        assert result.valid, result.errors
        assert number[:6] == COUNTY
        assert number[17] == resident_id_check_char(number[:17])
        assert result.details["sex"] == sex
        assert result.details["birth_date"] == birth.isoformat()


def test_every_phone_validates(blocks: list[ArchiveBlock]) -> None:
    phones = table(blocks, "persons")["phone"].to_list() + table(blocks, "households")["phone"].to_list()

    assert all(validate_mobile(phone).valid for phone in phones if phone)
    assert all(table(blocks, "households")["phone"].to_list())  # every household has a contact phone


def test_entities_and_collectives_carry_valid_unified_social_credit_codes(blocks: list[ArchiveBlock]) -> None:
    gen = ArchiveGenerator(county_code=COUNTY, seed=7)
    entities = table(make_blocks(households=2000), "entities")
    collective = gen.collective(gen.village(*VILLAGES[0], "铜城镇"), members_count=1200)

    assert entities.height > 20
    codes = entities["uscc"].to_list()
    assert len(codes) == len(set(codes))
    expected = {"family_farm": "92", "cooperative": "93", "enterprise": "91"}
    for uscc, kind in entities.select("uscc", "kind").iter_rows():
        result = validate_uscc(uscc)
        assert result.valid, result.errors
        assert uscc[:2] == expected[kind]
        assert result.details["area_code"] == COUNTY
    result = validate_uscc(collective.uscc)
    assert result.valid
    assert (result.details["authority_code"], result.details["category_code"]) == ("N", "2")
    assert collective.name == "铜城镇龙岗村股份经济合作社"


def test_the_same_seed_gives_identical_rows_and_another_seed_does_not() -> None:
    first, again, other = make_blocks(seed=3), make_blocks(seed=3), make_blocks(seed=4)

    for name in ("households", "persons", "assets", "incomes", "debts", "insurances", "entities"):
        assert table(first, name).equals(table(again, name)), name
    assert table(first, "persons")["name"].to_list() != table(other, "persons")["name"].to_list()
    assert table(first, "households")["annual_income_fen"].to_list() != (
        table(other, "households")["annual_income_fen"].to_list()
    )


def test_household_totals_equal_the_sums_of_their_details(blocks: list[ArchiveBlock]) -> None:
    for block in blocks:
        households = (
            block.frame("households").with_row_index("household").with_columns(pl.col("household").cast(pl.Int64))
        )
        for detail, column, total in (
            ("incomes", "amount_fen", "annual_income_fen"),
            ("assets", "value_fen", "assets_value_fen"),
            ("debts", "amount_fen", "debts_fen"),
        ):
            sums = block.frame(detail).group_by("household").agg(pl.col(column).sum().alias("sum"))
            joined = households.join(sums, on="household", how="left").with_columns(pl.col("sum").fill_null(0))
            assert (joined["sum"] == joined[total]).all(), detail
        assert households["annual_income_fen"].dtype == pl.Int64


def test_households_have_one_head_listed_first_and_consistent_ages(blocks: list[ArchiveBlock]) -> None:
    for block in blocks:
        households, persons = block.frame("households"), block.frame("persons")
        counts = persons.group_by("household").len().sort("household")["len"].to_list()
        assert counts == households["member_count"].to_list()
        assert set(counts) <= set(range(1, 8))
        firsts = persons.group_by("household", maintain_order=True).first()
        assert set(firsts["relation"]) == {"head"}
        assert persons.filter(pl.col("relation") == "head").height == households.height
        assert households["head_name"].to_list() == firsts["name"].to_list()
        with_head = persons.join(
            firsts.select("household", pl.col("birth_date").alias("head_birth")), on="household"
        ).with_columns(gap=(pl.col("birth_date") - pl.col("head_birth")).dt.total_days() / 365.25)

        assert gaps(with_head, "parent").max() < -15
        assert gaps(with_head, "child").min() > 15
        assert gaps(with_head, "grandchild").min() > 35


def gaps(members: pl.DataFrame, relation: str) -> np.ndarray:
    """Years between each member of ``relation`` and the head (negative: older than the head)."""
    return members.filter(pl.col("relation") == relation)["gap"].to_numpy()


def test_names_are_chinese_with_common_surnames(blocks: list[ArchiveBlock]) -> None:
    names = table(blocks, "persons")["name"].to_list()

    assert all(2 <= len(name) <= 3 for name in names)
    assert all("\u4e00" <= char <= "\u9fff" for name in names for char in name)
    common = sum(name[0] in "王李张刘陈杨黄赵吴周" for name in names) / len(names)
    assert 0.3 < common < 0.7


def test_values_are_choices_the_models_accept(blocks: list[ArchiveBlock]) -> None:
    persons = table(blocks, "persons")
    assert set(persons["relation"]) <= set(Relation.values)
    assert set(persons["political_status"]) <= set(PoliticalStatus.values)
    assert set(persons["education"]) <= set(Education.values)
    assert set(persons["health"]) <= set(Health.values)
    assert set(table(blocks, "assets")["kind"]) <= set(AssetKind.values)
    assert set(table(blocks, "incomes")["source"]) <= set(IncomeSource.values)
    assert set(table(blocks, "debts")["kind"]) <= set(DebtKind.values)
    assert set(table(blocks, "insurances")["kind"]) <= set(InsuranceKind.values)
    assert set(table(blocks, "households")["status"]) == {"collecting", "archived", "verified"}


def test_the_population_looks_like_rural_anhui(blocks: list[ArchiveBlock]) -> None:
    households, persons = table(blocks, "households"), table(blocks, "persons")
    adults = persons.filter(pl.col("birth_date") <= dt.date(2007, 12, 31))
    insured = sum(b.frame("insurances").filter(pl.col("kind") == "medical")["household"].n_unique() for b in blocks)

    assert 45_000 <= np.median(households["annual_income_fen"].to_numpy()) / 100 <= 85_000
    assert 0.05 <= (adults["political_status"].to_numpy() == "party_member").mean() <= 0.12
    assert households["is_low_income"].to_numpy().mean() <= 0.08
    assert insured / households.height >= 0.9
    assert 3.0 <= households["member_count"].to_numpy().mean() <= 4.0
    overdue = table(blocks, "debts").filter(pl.col("overdue_days") > 0)
    assert 0 < overdue.height < table(blocks, "debts").height / 10


def test_the_id_allocator_never_repeats_even_when_a_birth_year_is_full() -> None:
    allocator = ResidentIdAllocator("341181")
    years = np.full(185_000, 1980, dtype=np.int64)  # more than the 182,135 numbers a year holds per sex

    numbers, births = allocator.allocate(years, np.ones(len(years), dtype=bool))
    more, _ = allocator.allocate(np.full(10, 1980, dtype=np.int64), np.ones(10, dtype=bool))

    assert len(set(numbers + more)) == len(numbers) + len(more)
    assert {number[6:10] for number in numbers} >= {"1980", "1981"}  # the overflow spills into 1981
    sample = random.Random(1).sample(numbers, 200)
    assert all(validate_resident_id(number).valid for number in sample)
    assert all(int(number[16]) % 2 == 1 for number in sample)  # men: odd sequence numbers
    assert str(births[0]).startswith("1980")


def test_place_names_are_distinct_and_avoid_names_in_use() -> None:
    taken = {"龙岗村"}
    names = place_names(random.Random(1), 500, "村", taken)

    assert len(set(names)) == 500
    assert "龙岗村" not in names
    assert all(name.endswith("村") for name in names)
