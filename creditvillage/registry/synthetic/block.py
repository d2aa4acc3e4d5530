"""Drawing one block of households: who lives there, then the money that follows from who they are."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt

from creditvillage.registry.synthetic import columns as col
from creditvillage.registry.synthetic import pools
from creditvillage.registry.synthetic.numbers import BIRTH_YEAR_MAX, BIRTH_YEAR_MIN, base31, make_uscc
from creditvillage.registry.synthetic.shapes import (
    AS_OF,
    INCOME_YEAR,
    NO_DATE,
    RELATION_ORDER,
    YEAR_END,
    YUAN,
    ArchiveBlock,
    BoolArray,
    Columns,
    IntArray,
    StrArray,
    VillageSpec,
)

if TYPE_CHECKING:
    from creditvillage.registry.synthetic.generator import ArchiveGenerator

Draw = Callable[[IntArray, int], npt.ArrayLike]  # (household of each member, how many) → values


class _People(NamedTuple):
    household: IntArray
    relation: IntArray  # index into RELATION_ORDER
    male: BoolArray
    age: IntArray
    surname: StrArray


class BlockBuilder:
    """Draws one block of households with their members, money, details and entities."""

    def __init__(
        self, gen: ArchiveGenerator, village: VillageSpec, rng: np.random.Generator, count: int, start: int
    ) -> None:
        self.gen, self.village, self.rng, self.n, self.start = gen, village, rng, count, start

    def build(self) -> ArchiveBlock:
        people = self._composition()
        persons = self._persons(people)
        households = self._households(people, persons)
        assets = self._assets(households)
        incomes = self._incomes(households, people)
        debts = self._debts()
        insurances = self._insurances(households)
        founders = np.flatnonzero(
            (self.rng.random(self.n) < 0.02) & (households["earners"] > 0) & ~households["is_low_income"]
        )
        for helper in ("source", "farming", "land_mu", "earners"):
            del households[helper]
        households["annual_income_fen"] = col.per_household(incomes, "amount_fen", self.n)
        households["assets_value_fen"] = col.per_household(assets, "value_fen", self.n)
        households["debts_fen"] = col.per_household(debts, "amount_fen", self.n)
        tables = {
            "households": households,
            "persons": persons,
            "assets": assets,
            "incomes": incomes,
            "debts": debts,
            "insurances": insurances,
        }
        return ArchiveBlock(village=self.village, tables=tables, entities=self._entities(founders, households, persons))

    # Who lives in each household ---------------------------------------------------------------

    def _composition(self) -> _People:
        rng, n = self.rng, self.n
        size = pools.HOUSEHOLD_SIZES.index(rng, n) + 1
        head_male = rng.random(n) < 0.88
        head_age = np.where(size > 1, rng.triangular(24, 52, 85, n), rng.triangular(22, 68, 90, n)).astype(np.int64)
        spouse = (size > 1) & (rng.random(n) < 0.92)
        rest = size - 1 - spouse
        three = (rest >= 2) & (head_age >= 55) & (rng.random(n) < 0.55)  # head, son, his wife, grandchildren
        most_children = np.where(head_age >= 30, 4, np.where(head_age >= 22, 1, 0))
        many = (head_age > 58) | (rng.random(n) < 0.7)
        children = np.where(three, 1, np.where(many, np.minimum(rest, most_children), np.minimum(rest, 1)))
        left = np.where(three, 0, rest - children)
        parents = np.where(head_age <= 60, np.minimum(left, np.where(rng.random(n) < 0.6, 2, 1)), 0)
        son_age = head_age - rng.integers(22, 31, n)
        clan = rng.random(n) < 0.25
        head_surname = np.where(clan, self.village.clan_surname, pools.SURNAMES.draw(rng, n))
        groups = [
            self._group(0, np.ones(n, np.int64), lambda h, k: head_male[h], lambda h, k: head_age[h], head_surname),
            self._group(1, spouse, lambda h, k: ~head_male[h], lambda h, k: head_age[h] + rng.integers(-6, 5, k), None),
            self._group(
                2,
                children,
                lambda h, k: np.where(three[h], True, rng.random(k) < 0.52),
                lambda h, k: np.where(three[h], son_age[h], head_age[h] - rng.integers(20, 35, k)),
                head_surname,
            ),
            self._group(
                3, three, lambda h, k: np.zeros(k, bool), lambda h, k: son_age[h] + rng.integers(-3, 3, k), None
            ),
            self._group(
                4,
                np.where(three, rest - 2, 0),
                lambda h, k: rng.random(k) < 0.52,
                lambda h, k: son_age[h] - rng.integers(20, 33, k),
                head_surname,
            ),
            self._parents(parents, head_age, head_surname),
            self._group(
                6,
                left - parents,
                lambda h, k: rng.random(k) < 0.5,
                lambda h, k: head_age[h] + rng.integers(-8, 9, k),
                head_surname,
            ),
        ]
        merged = _People(*(np.concatenate([getattr(g, f) for g in groups]) for f in _People._fields))
        order = np.lexsort((merged.relation, merged.household))
        return _People(*(getattr(merged, f)[order] for f in _People._fields))

    def _group(
        self, relation: int, counts: npt.ArrayLike, male_of: Draw, age_of: Draw, surname_of: StrArray | None
    ) -> _People:
        """Members of one relation: ``counts[h]`` of them in household ``h``; sex and age drawn per member."""
        household = np.repeat(np.arange(self.n), np.asarray(counts, dtype=np.int64))
        k = len(household)
        male = np.asarray(male_of(household, k), dtype=bool)
        surname = surname_of[household] if surname_of is not None else pools.SURNAMES.draw(self.rng, k)
        return _People(household, np.full(k, relation), male, np.asarray(age_of(household, k)), surname)

    def _parents(self, counts: IntArray, head_age: IntArray, head_surname: StrArray) -> _People:
        household = np.repeat(np.arange(self.n), counts)
        k = len(household)
        first = np.ones(k, bool)
        first[1:] = household[1:] != household[:-1]  # the father first, then the mother
        surname = np.where(first, head_surname[household], pools.SURNAMES.draw(self.rng, k))
        age = head_age[household] + self.rng.integers(22, 33, k)
        return _People(household, np.full(k, 5), first, age, surname)

    # Members ----------------------------------------------------------------------------------------

    def _persons(self, people: _People) -> Columns:
        rng = self.rng
        k = len(people.household)
        age = np.clip(people.age, 0, BIRTH_YEAR_MAX - BIRTH_YEAR_MIN)
        birth_year = BIRTH_YEAR_MAX - age
        id_numbers, birth_dates = self.gen.ids.allocate(birth_year, people.male)
        occupation = col.occupations(rng, age)
        has_phone = (age >= 16) & (age <= 80) & (rng.random(k) < np.where(age < 70, 0.93, 0.5))
        return {
            "household": people.household,
            "name": col.objects(col.names(rng, people.surname, people.male, birth_year)),
            "id_number": col.objects(id_numbers),
            "relation": col.objects(np.array(RELATION_ORDER, dtype=object)[people.relation]),
            "sex": col.objects(np.where(people.male, "male", "female")),
            "birth_date": birth_dates,
            "political_status": col.objects(col.political_status(rng, age, people.male)),
            "education": col.objects(col.education(rng, age, birth_year)),
            "occupation": col.objects(occupation),
            "phone": col.objects(np.where(has_phone, col.phones(rng, k), "")),
            "health": col.objects(col.health(rng, age)),
        }

    # Households ------------------------------------------------------------------------------------

    def _households(self, people: _People, persons: Columns) -> Columns:
        rng, n, village, mix = self.rng, self.n, self.village, self.gen.mix
        member_count = np.bincount(people.household, minlength=n)
        head_row = np.cumsum(member_count) - member_count
        occupation = persons["occupation"]
        earner = ~np.isin(occupation, pools.NON_EARNING)
        earners = np.bincount(people.household, weights=earner, minlength=n).astype(np.int64)

        def anyone(job: str) -> BoolArray:
            return np.bincount(people.household, weights=occupation == job, minlength=n) > 0

        industry = np.where(rng.random(n) < 0.5, village.industries[0], col.pick(rng, village.industries, n))
        business = np.array([pools.INDUSTRIES[i][0] for i in industry.tolist()], dtype=object)
        source = np.array([pools.INDUSTRIES[i][1] for i in industry.tolist()], dtype=object)
        farming = anyone("务农") | (earners == 0)
        migrant = ~farming & anyone("外出务工")
        shop = ~migrant & anyone("个体经营") & (rng.random(n) < 0.6)
        business = np.where(migrant, "外出务工", np.where(shop, col.pick(rng, pools.BUSINESS_KINDS, n), business))
        source = np.where(migrant, "wages", np.where(shop, "business", source))
        low_income = rng.random(n) < 0.03
        monitored = ~low_income & (rng.random(n) < 0.02)
        number = np.arange(self.start, self.start + n)
        group = (number - 1) % village.groups + 1
        head_phone = persons["phone"][head_row]
        status = col.choose(rng, mix.statuses, n)
        collected = col.times(rng, mix.collected_from, mix.collected_until, n)
        verified = collected + rng.integers(2, 20, n).astype("timedelta64[D]")
        prefix = f"{village.township_name}{village.name}"
        return {
            "number": col.objects([f"{village.code}{i:04d}" for i in number.tolist()]),
            "head_name": persons["name"][head_row],
            "member_count": member_count,
            "address": col.objects(
                [f"{prefix}{g}组{h}号" for g, h in zip(group.tolist(), rng.integers(1, 121, n).tolist(), strict=True)]
            ),
            "phone": col.objects(np.where(head_phone != "", head_phone, col.phones(rng, n))),
            "main_business": col.objects(business),
            "is_low_income": low_income,
            "is_monitored": monitored,
            "group": group,
            "grid": (number - 1) % village.grids + 1,
            "status": col.objects(status),
            "channel": col.objects(col.choose(rng, mix.channels, n)),
            "collected_at": collected,
            "verified_at": np.where(status == "verified", verified, np.datetime64("NaT")),
            "source": source.astype(str),
            "farming": farming,
            "land_mu": np.where(rng.random(n) < 0.93, np.round(rng.uniform(0.8, 1.8, n) * member_count, 1), 0.0),
            "earners": earners,
        }

    # Money -----------------------------------------------------------------------------------------

    def _incomes(self, households: Columns, people: _People) -> Columns:
        rng, n = self.rng, self.n
        earners, low = households["earners"], households["is_low_income"]
        monitored, source = households["is_monitored"], households["source"]
        total = np.where(
            low,
            rng.uniform(9_000, 22_000, n),
            np.where(
                monitored,
                rng.uniform(18_000, 40_000, n),
                rng.lognormal(math.log(66_000), 0.55, n) * (0.5 + 0.22 * np.minimum(earners, 4)),
            ),
        )
        share = np.where(earners > 0, rng.uniform(0.45, 0.8, n), 0.5)
        seniors = np.bincount(people.household, weights=people.age >= 60, minlength=n)
        transfer = seniors * rng.uniform(1_700, 2_600, n) + np.where(low, rng.uniform(4_000, 9_000, n), 0)
        parts = (
            (source, total * share),
            (np.where(source == "wages", "planting", "wages"), total * (1 - share)),
            (np.full(n, "transfer"), transfer),
            (np.full(n, "property"), np.where(rng.random(n) < 0.12, rng.uniform(500, 6_000, n), 0)),
        )
        return col.detail_rows(
            [(np.arange(n), {"source": kind, "amount_fen": col.yuan_to_fen(amount)}) for kind, amount in parts],
            keep="amount_fen",
            constants={"year": INCOME_YEAR},
        )

    def _assets(self, households: Columns) -> Columns:
        rng, n = self.rng, self.n
        land, farming, source = households["land_mu"], households["farming"], households["source"]
        parts = [
            col.asset_part(
                np.flatnonzero(land > 0), "contracted_land", "承包耕地", land[land > 0], "亩", 5000, 8000, rng
            )
        ]
        big = np.flatnonzero((source == "planting") & farming & (rng.random(n) < 0.12))
        parts.append(
            col.asset_part(
                big, "transferred_land", "流转土地（经营权）", rng.uniform(20, 300, len(big)), "亩", 1500, 4000, rng
            )
        )
        houses = np.flatnonzero(rng.random(n) < 0.96)
        parts.append(
            col.asset_part(
                houses,
                "housing",
                pools.HOUSING.draw(rng, len(houses)),
                rng.uniform(90, 320, len(houses)),
                "平方米",
                800,
                1800,
                rng,
            )
        )
        roll = rng.random(n)
        cars = np.flatnonzero(roll < 0.35)
        parts.append(col.asset_part(cars, "vehicle", "家用轿车", np.ones(len(cars)), "辆", 25_000, 130_000, rng))
        small = np.flatnonzero((roll >= 0.35) & (roll < 0.7))
        parts.append(
            col.asset_part(
                small,
                "vehicle",
                col.pick(rng, ["电动三轮车", "摩托车"], len(small)),
                np.ones(len(small)),
                "辆",
                2_000,
                7_000,
                rng,
            )
        )
        machines = np.flatnonzero(farming & (rng.random(n) < 0.18))
        parts.append(
            col.asset_part(
                machines,
                "machinery",
                col.pick(rng, pools.MACHINERY, len(machines)),
                np.ones(len(machines)),
                "台",
                8_000,
                160_000,
                rng,
            )
        )
        parts.append(self._livestock(np.flatnonzero(source == "breeding")))
        poultry = np.flatnonzero((source != "breeding") & (rng.random(n) < 0.15))
        heads = rng.integers(10, 61, len(poultry)).astype(float)
        parts.append(col.asset_part(poultry, "livestock", "散养家禽", heads, "只", 40, 80, rng))
        savers = np.flatnonzero(rng.random(n) < 0.7)
        deposits = np.minimum(rng.lognormal(math.log(30_000), 1.0, len(savers)), 2_000_000)
        parts.append(
            (
                savers,
                {
                    "kind": "deposit",
                    "description": "银行存款",
                    "quantity": 1.0,
                    "unit": "笔",
                    "value_fen": col.yuan_to_fen(deposits),
                },
            )
        )
        return col.detail_rows(parts, keep="value_fen")

    def _livestock(self, rows: IntArray) -> tuple[IntArray, dict[str, object]]:
        rng, k = self.rng, len(rows)
        kind = rng.integers(0, len(pools.LIVESTOCK), k)
        table = list(zip(*pools.LIVESTOCK, strict=True))
        low, high, price = (np.array(column)[kind] for column in table[2:])
        heads = rng.integers(low, high + 1).astype(float)
        value = heads * price * rng.uniform(0.8, 1.2, k)
        columns = {
            "kind": "livestock",
            "description": np.array(table[0])[kind],
            "quantity": heads,
            "unit": np.array(table[1])[kind],
        }
        return rows, {**columns, "value_fen": col.yuan_to_fen(value)}

    def _debts(self) -> Columns:
        rng, n = self.rng, self.n
        loans = np.flatnonzero(rng.random(n) < 0.28)
        k = len(loans)
        overdue = np.where(rng.random(k) < 0.03, rng.integers(15, 366, k), 0)
        due = np.where(
            overdue > 0,
            AS_OF - overdue.astype("timedelta64[D]"),
            AS_OF + rng.integers(30, 900, k).astype("timedelta64[D]"),
        )
        amount = np.minimum(rng.lognormal(math.log(80_000), 0.7, k), 500_000)
        private = np.flatnonzero(rng.random(n) < 0.07)
        other = np.flatnonzero(rng.random(n) < 0.02)
        parts = [
            (
                loans,
                {
                    "kind": "bank_loan",
                    "lender": pools.BANK_LENDERS.draw(rng, k),
                    "amount_fen": col.yuan_to_fen(amount, 1000),
                    "due_date": due,
                    "overdue_days": overdue,
                },
            ),
            (
                private,
                {
                    "kind": "private",
                    "lender": "亲友借款",
                    "amount_fen": col.yuan_to_fen(rng.uniform(5_000, 50_000, len(private)), 1000),
                },
            ),
            (
                other,
                {
                    "kind": "other",
                    "lender": "农资赊购",
                    "amount_fen": col.yuan_to_fen(rng.uniform(2_000, 20_000, len(other))),
                },
            ),
        ]
        return col.detail_rows(parts, keep="amount_fen", fill={"due_date": NO_DATE, "overdue_days": 0})

    def _insurances(self, households: Columns) -> Columns:
        rng, n = self.rng, self.n
        land = households["land_mu"]
        medical = np.flatnonzero(rng.random(n) < 0.98)
        pension = np.flatnonzero(rng.random(n) < 0.95)
        farm = np.flatnonzero((land > 0) & (rng.random(n) < 0.4))
        commercial = np.flatnonzero(rng.random(n) < 0.1)
        parts: list[tuple[npt.NDArray[Any], Mapping[str, object]]] = [
            (
                medical,
                {"kind": "medical", "insurer": "城乡居民基本医疗保险", "insured_amount_fen": 0, "expires_on": YEAR_END},
            ),
            (pension, {"kind": "pension", "insurer": "城乡居民基本养老保险", "insured_amount_fen": 0}),
            (
                farm,
                {
                    "kind": "agriculture",
                    "insurer": "国元农业保险",
                    "insured_amount_fen": col.yuan_to_fen(land[farm] * 1000),
                    "expires_on": YEAR_END,
                },
            ),
            (
                commercial,
                {
                    "kind": "commercial",
                    "insurer": col.pick(rng, pools.COMMERCIAL_INSURERS, len(commercial)),
                    "insured_amount_fen": col.yuan_to_fen(rng.uniform(50_000, 500_000, len(commercial)), 10_000),
                },
            ),
        ]
        return col.detail_rows(parts, fill={"expires_on": NO_DATE})

    # Entities ----------------------------------------------------------------------------------------

    def _entities(self, founders: IntArray, households: Columns, persons: Columns) -> list[dict[str, Any]]:
        """The ``founders`` (about 1 in 50 earning households) run a family farm, cooperative or company."""
        rng = random.Random(f"creditvillage-synthetic:{self.gen.seed}:{self.village.code}:entities:{self.start}")
        head_row = np.cumsum(households["member_count"]) - households["member_count"]
        return [
            {
                "household": index,
                **self._entity(
                    rng,
                    persons["name"][head_row[index]],
                    persons["id_number"][head_row[index]],
                    households["phone"][index],
                ),
            }
            for index in founders.tolist()
        ]

    def _entity(self, rng: random.Random, head_name: str, head_id: str, phone: str) -> dict[str, Any]:
        village, county = self.village, self.gen.county_code
        industry = rng.choice(village.industries)
        label, _source, stem = pools.INDUSTRIES[industry]
        place = village.name.removesuffix("村").removesuffix("社区")
        brand = rng.choice(pools.BRANDS)
        roll = rng.random()
        if roll < 0.55:
            kind, code, name = "family_farm", "92", f"{village.township_name}{place}{head_name}家庭农场"
        elif roll < 0.9:
            kind, code, name = "cooperative", "93", f"{place}{brand}{stem}专业合作社"
        else:
            kind, code, name = "enterprise", "91", f"{village.township_name}{brand}{stem}农业发展有限公司"
        revenue = round(rng.lognormvariate(math.log(600_000), 0.8) / 1000) * 1000
        assets = round(revenue * rng.uniform(0.8, 2.5) / 1000) * 1000
        return {
            "name": name,
            "uscc": make_uscc(code, county, "MA" + base31(self.gen.next_entity_serial(), 7)),
            "kind": kind,
            "legal_rep_name": head_name,
            "legal_rep_id_number": head_id,
            "phone": phone,
            "main_business": label,
            "employees": rng.randint(2, 30),
            "annual_revenue_fen": revenue * YUAN,
            "assets_fen": assets * YUAN,
            "debts_fen": round(assets * rng.uniform(0.0, 0.6) / 1000) * 1000 * YUAN,
            "founded_on": dt.date(rng.randint(2012, 2024), rng.randint(1, 12), rng.randint(1, 28)),
        }
