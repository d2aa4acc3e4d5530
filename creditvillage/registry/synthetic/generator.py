"""The synthetic archive generator: one village's households at a time, drawn with numpy.

A block of households is built column by column (numpy draws, then polars tables), never one
Python object per person, so a county of 100,000 households takes a second or two.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

from creditvillage.registry.synthetic import pools
from creditvillage.registry.synthetic.numbers import (
    BIRTH_YEAR_MAX,
    BIRTH_YEAR_MIN,
    ResidentIdAllocator,
    base31,
    make_uscc,
)

INCOME_YEAR: Final = 2025  # the last full year the archives describe
AS_OF: Final = np.datetime64("2026-06-30")  # the date debts and insurance are described on
YEAR_END: Final = np.datetime64("2026-12-31", "D")
NO_DATE: Final = np.datetime64("NaT", "D")
YUAN: Final = 100  # fen per yuan

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]
Draw = Callable[[IntArray, int], npt.ArrayLike]  # (household of each member, how many) → values

# Relations in the order members are listed within a household.
RELATION_ORDER: Final = ("head", "spouse", "child", "child_in_law", "grandchild", "parent", "sibling")


class VillageSpec(NamedTuple):
    """A village's own traits: what shapes its households and fills its file (村档案)."""

    code: str
    name: str
    township_name: str
    industries: tuple[str, ...]
    clan_surname: str
    party_secretary: str
    groups: int
    grids: int
    area_km2: float
    arable_land_mu: float
    collective_income_fen: int


class CollectiveSpec(NamedTuple):
    name: str
    uscc: str
    legal_rep_name: str
    members_count: int
    assets_fen: int
    debts_fen: int
    annual_income_fen: int
    operating_income_fen: int


@dataclass(frozen=True)
class CollectionMix:
    """How far collection has got: shares of archive statuses and channels, and the date window."""

    statuses: tuple[tuple[str, float], ...] = (("verified", 0.45), ("archived", 0.5), ("collecting", 0.05))
    channels: tuple[tuple[str, float], ...] = (("door_to_door", 0.8), ("excel_import", 0.2))
    collected_from: str = "2026-03-01"
    collected_until: str = "2026-07-31"


Columns = dict[str, npt.NDArray[Any]]  # one table as named numpy columns (strings as object arrays)
TABLES: Final = ("households", "persons", "assets", "incomes", "debts", "insurances")


@dataclass
class ArchiveBlock:
    """Households of one village with their details, as numpy columns per table.

    Detail tables refer to their household by ``household``, the 0-based row in ``households``.
    Times are naive UTC. ``collected_by_id`` may be set by the caller before writing.
    :meth:`frame` gives a table as a polars DataFrame (for tests and inspection).
    """

    village: VillageSpec
    tables: dict[str, Columns]
    entities: list[dict[str, Any]]
    collected_by_id: int | None = None

    def __len__(self) -> int:
        return len(self.tables["households"]["number"])

    @property
    def row_count(self) -> int:
        return sum(len(next(iter(columns.values()))) for columns in self.tables.values())

    def frame(self, table: str) -> pl.DataFrame:
        if table == "entities":
            return pl.DataFrame(self.entities, schema=ENTITY_SCHEMA)
        return to_frame(self.tables[table])


def to_frame(columns: Columns) -> pl.DataFrame:
    """A DataFrame from numpy columns; object columns (strings, ids with None) go through Python lists,
    which polars reads much faster than numpy object or unicode arrays."""
    return pl.DataFrame(
        {
            name: pl.Series(name, values.tolist()) if values.dtype.kind in "OU" else values
            for name, values in columns.items()
        }
    )


def concat_columns(tables: list[Columns]) -> Columns:
    return {name: np.concatenate([table[name] for table in tables]) for name in tables[0]}


def _yuan_to_fen(yuan: FloatArray, step: int = 100) -> IntArray:
    """Yuan rounded to ``step`` yuan, as integer fen (never negative)."""
    return np.maximum(np.rint(yuan / step), 0).astype(np.int64) * step * YUAN


def _pick(rng: np.random.Generator, items: tuple[str, ...] | list[str], n: int) -> StrArray:
    return np.array(items)[rng.integers(0, len(items), n)]


class ArchiveGenerator:
    """Synthetic households, entities and collectives for the villages of one county.

    ``village()`` gives a village's traits; ``block()`` its households (call it for the
    villages in a fixed order: ID numbers are unique across the county in that order);
    ``collective()`` its collective. The same seed and order give exactly the same output.
    """

    def __init__(self, *, county_code: str, seed: int = 0, mix: CollectionMix | None = None) -> None:
        self.county_code = county_code
        self.seed = seed
        self.mix = mix or CollectionMix()
        self.ids = ResidentIdAllocator(county_code)
        self._entities = 0

    def _random(self, code: str, stream: str) -> random.Random:
        return random.Random(f"creditvillage-synthetic:{self.seed}:{code}:{stream}")

    def village(self, code: str, name: str, township_name: str) -> VillageSpec:
        """The village's industries, clan surname (周 in 周庵村), secretary, groups, grids, land."""
        rng = self._random(code, "village")
        clan = name[0] if name[0] in pools.SURNAME_SET else pools.SURNAMES.pick(rng)
        surname = clan if rng.random() < 0.5 else pools.SURNAMES.pick(rng)
        area = round(rng.uniform(4.0, 14.0), 2)
        return VillageSpec(
            code=code,
            name=name,
            township_name=township_name,
            industries=tuple(rng.sample(list(pools.INDUSTRIES), 3)),
            clan_surname=clan,
            party_secretary=pools.person_name(rng, surname, rng.random() < 0.85, 1972),
            groups=rng.randint(6, 10),
            grids=rng.randint(3, 5),
            area_km2=area,
            arable_land_mu=round(area * rng.uniform(450, 750), 1),
            collective_income_fen=round(max(rng.lognormvariate(math.log(300_000), 0.45), 100_000) / 1000) * 1000 * YUAN,
        )

    def collective(self, village: VillageSpec, members_count: int) -> CollectiveSpec:
        """The village collective economic organisation (股份经济合作社): USCC ``N2`` + county code."""
        rng = self._random(village.code, "collective")
        assets = round(rng.uniform(1_000_000, 8_000_000) / 1000) * 1000
        income = village.collective_income_fen
        return CollectiveSpec(
            name=f"{village.township_name}{village.name}股份经济合作社",
            uscc=make_uscc("N2", self.county_code, f"MF{village.code[6:9]}0{village.code[9:]}"),
            legal_rep_name=village.party_secretary,
            members_count=members_count,
            assets_fen=assets * YUAN,
            debts_fen=round(assets * rng.uniform(0.0, 0.2) / 1000) * 1000 * YUAN,
            annual_income_fen=income,
            operating_income_fen=round(income * rng.uniform(0.3, 0.8) / (100 * YUAN)) * 100 * YUAN,
        )

    def block(self, village: VillageSpec, count: int, *, start: int = 1) -> ArchiveBlock:
        """Households ``start`` … ``start + count - 1`` of ``village`` (numbered ``<code>0001`` …)."""
        rng = np.random.default_rng([self.seed, int(village.code), start])
        return _BlockBuilder(self, village, rng, count, start).build()

    def next_entity_serial(self) -> int:
        self._entities += 1
        return self._entities


# --- Building a block ------------------------------------------------------------------------


class _People(NamedTuple):
    household: IntArray
    relation: IntArray  # index into RELATION_ORDER
    male: BoolArray
    age: IntArray
    surname: StrArray


class _BlockBuilder:
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
        households["annual_income_fen"] = _per_household(incomes, "amount_fen", self.n)
        households["assets_value_fen"] = _per_household(assets, "value_fen", self.n)
        households["debts_fen"] = _per_household(debts, "amount_fen", self.n)
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
        occupation = _occupations(rng, age)
        has_phone = (age >= 16) & (age <= 80) & (rng.random(k) < np.where(age < 70, 0.93, 0.5))
        return {
            "household": people.household,
            "name": _objects(_names(rng, people.surname, people.male, birth_year)),
            "id_number": _objects(id_numbers),
            "relation": _objects(np.array(RELATION_ORDER, dtype=object)[people.relation]),
            "sex": _objects(np.where(people.male, "male", "female")),
            "birth_date": birth_dates,
            "political_status": _objects(_political_status(rng, age, people.male)),
            "education": _objects(_education(rng, age, birth_year)),
            "occupation": _objects(occupation),
            "phone": _objects(np.where(has_phone, _phones(rng, k), "")),
            "health": _objects(_health(rng, age)),
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

        industry = np.where(rng.random(n) < 0.5, village.industries[0], _pick(rng, village.industries, n))
        business = np.array([pools.INDUSTRIES[i][0] for i in industry.tolist()], dtype=object)
        source = np.array([pools.INDUSTRIES[i][1] for i in industry.tolist()], dtype=object)
        farming = anyone("务农") | (earners == 0)
        migrant = ~farming & anyone("外出务工")
        shop = ~migrant & anyone("个体经营") & (rng.random(n) < 0.6)
        business = np.where(migrant, "外出务工", np.where(shop, _pick(rng, pools.BUSINESS_KINDS, n), business))
        source = np.where(migrant, "wages", np.where(shop, "business", source))
        low_income = rng.random(n) < 0.03
        monitored = ~low_income & (rng.random(n) < 0.02)
        number = np.arange(self.start, self.start + n)
        group = (number - 1) % village.groups + 1
        head_phone = persons["phone"][head_row]
        status = _choose(rng, mix.statuses, n)
        collected = _times(rng, mix.collected_from, mix.collected_until, n)
        verified = collected + rng.integers(2, 20, n).astype("timedelta64[D]")
        prefix = f"{village.township_name}{village.name}"
        return {
            "number": _objects([f"{village.code}{i:04d}" for i in number.tolist()]),
            "head_name": persons["name"][head_row],
            "member_count": member_count,
            "address": _objects(
                [f"{prefix}{g}组{h}号" for g, h in zip(group.tolist(), rng.integers(1, 121, n).tolist(), strict=True)]
            ),
            "phone": _objects(np.where(head_phone != "", head_phone, _phones(rng, n))),
            "main_business": _objects(business),
            "is_low_income": low_income,
            "is_monitored": monitored,
            "group": group,
            "grid": (number - 1) % village.grids + 1,
            "status": _objects(status),
            "channel": _objects(_choose(rng, mix.channels, n)),
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
        return _detail_rows(
            [(np.arange(n), {"source": kind, "amount_fen": _yuan_to_fen(amount)}) for kind, amount in parts],
            keep="amount_fen",
            constants={"year": INCOME_YEAR},
        )

    def _assets(self, households: Columns) -> Columns:
        rng, n = self.rng, self.n
        land, farming, source = households["land_mu"], households["farming"], households["source"]
        parts = [
            _asset_part(np.flatnonzero(land > 0), "contracted_land", "承包耕地", land[land > 0], "亩", 5000, 8000, rng)
        ]
        big = np.flatnonzero((source == "planting") & farming & (rng.random(n) < 0.12))
        parts.append(
            _asset_part(
                big, "transferred_land", "流转土地（经营权）", rng.uniform(20, 300, len(big)), "亩", 1500, 4000, rng
            )
        )
        houses = np.flatnonzero(rng.random(n) < 0.96)
        parts.append(
            _asset_part(
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
        parts.append(_asset_part(cars, "vehicle", "家用轿车", np.ones(len(cars)), "辆", 25_000, 130_000, rng))
        small = np.flatnonzero((roll >= 0.35) & (roll < 0.7))
        parts.append(
            _asset_part(
                small,
                "vehicle",
                _pick(rng, ["电动三轮车", "摩托车"], len(small)),
                np.ones(len(small)),
                "辆",
                2_000,
                7_000,
                rng,
            )
        )
        machines = np.flatnonzero(farming & (rng.random(n) < 0.18))
        parts.append(
            _asset_part(
                machines,
                "machinery",
                _pick(rng, pools.MACHINERY, len(machines)),
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
        parts.append(_asset_part(poultry, "livestock", "散养家禽", heads, "只", 40, 80, rng))
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
                    "value_fen": _yuan_to_fen(deposits),
                },
            )
        )
        return _detail_rows(parts, keep="value_fen")

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
        return rows, {**columns, "value_fen": _yuan_to_fen(value)}

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
                    "amount_fen": _yuan_to_fen(amount, 1000),
                    "due_date": due,
                    "overdue_days": overdue,
                },
            ),
            (
                private,
                {
                    "kind": "private",
                    "lender": "亲友借款",
                    "amount_fen": _yuan_to_fen(rng.uniform(5_000, 50_000, len(private)), 1000),
                },
            ),
            (
                other,
                {
                    "kind": "other",
                    "lender": "农资赊购",
                    "amount_fen": _yuan_to_fen(rng.uniform(2_000, 20_000, len(other))),
                },
            ),
        ]
        return _detail_rows(parts, keep="amount_fen", fill={"due_date": NO_DATE, "overdue_days": 0})

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
                    "insured_amount_fen": _yuan_to_fen(land[farm] * 1000),
                    "expires_on": YEAR_END,
                },
            ),
            (
                commercial,
                {
                    "kind": "commercial",
                    "insurer": _pick(rng, pools.COMMERCIAL_INSURERS, len(commercial)),
                    "insured_amount_fen": _yuan_to_fen(rng.uniform(50_000, 500_000, len(commercial)), 10_000),
                },
            ),
        ]
        return _detail_rows(parts, fill={"expires_on": NO_DATE})

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


ENTITY_SCHEMA: Final = {
    "household": pl.Int64,
    "name": pl.String,
    "uscc": pl.String,
    "kind": pl.String,
    "legal_rep_name": pl.String,
    "legal_rep_id_number": pl.String,
    "phone": pl.String,
    "main_business": pl.String,
    "employees": pl.Int64,
    "annual_revenue_fen": pl.Int64,
    "assets_fen": pl.Int64,
    "debts_fen": pl.Int64,
    "founded_on": pl.Date,
}


# --- Column helpers -------------------------------------------------------------------------------


def _choose(rng: np.random.Generator, weighted: tuple[tuple[str, float], ...], n: int) -> StrArray:
    return pools.Pool(weighted).draw(rng, n)


def _times(rng: np.random.Generator, start: str, end: str, n: int) -> npt.NDArray[np.datetime64]:
    """Working-hours moments (UTC) between two dates: 08:00-18:00 China time is 00:00-10:00 UTC."""
    days = (np.datetime64(end) - np.datetime64(start)).astype(int) + 1
    day = np.datetime64(start) + rng.integers(0, days, n).astype("timedelta64[D]")
    moment = day.astype("datetime64[s]") + rng.integers(0, 10 * 3600, n).astype("timedelta64[s]")
    return moment.astype("datetime64[ms]")


def _names(rng: np.random.Generator, surname: StrArray, male: BoolArray, birth_year: IntArray) -> list[str]:
    k = len(surname)
    era = np.where(birth_year < pools.ERA_BOUNDS[0], 0, np.where(birth_year < pools.ERA_BOUNDS[1], 1, 2))
    pool = np.where(male, 0, 3) + era
    chars = np.array(list("".join(pools.GIVEN_NAME_CHARS)))
    lengths = np.array([len(p) for p in pools.GIVEN_NAME_CHARS])
    offsets = np.cumsum(lengths) - lengths
    first = chars[offsets[pool] + (rng.random(k) * lengths[pool]).astype(np.int64)]
    second = chars[offsets[pool] + (rng.random(k) * lengths[pool]).astype(np.int64)]
    second = np.where(rng.random(k) < 0.1, "", second)
    return [s + a + b for s, a, b in zip(surname.tolist(), first.tolist(), second.tolist(), strict=True)]


def _phones(rng: np.random.Generator, k: int) -> StrArray:
    prefix = np.array(pools.MOBILE_PREFIXES, dtype=np.int64)[rng.integers(0, len(pools.MOBILE_PREFIXES), k)]
    return (prefix * 100_000_000 + rng.integers(0, 100_000_000, k)).astype(str)


def _political_status(rng: np.random.Generator, age: IntArray, male: BoolArray) -> StrArray:
    k = len(age)
    roll = rng.random(k)
    party = np.where(age >= 35, np.where(male, 0.13, 0.05), 0.06)
    adult = age >= 18
    status = np.full(k, "masses", dtype=object)
    league = (age >= 14) & (age <= 28) & (rng.random(k) < 0.25)
    status[league] = "league_member"
    status[adult & (age <= 45) & (roll < party + 0.02)] = "activist"
    status[adult & (roll < party + 0.005)] = "probationary"
    status[adult & (roll < party)] = "party_member"
    return status.astype(str)


def _education(rng: np.random.Generator, age: IntArray, birth_year: IntArray) -> StrArray:
    k = len(age)
    era = np.where(birth_year < pools.ERA_BOUNDS[0], 0, np.where(birth_year < pools.ERA_BOUNDS[1], 1, 2))
    result = np.full(k, "none", dtype=object)
    for index, pool in enumerate(pools.EDUCATION_BY_ERA):
        mask = (era == index) & (age > 18)
        result[mask] = pool.draw(rng, int(mask.sum()))
    result[(age >= 6) & (age <= 12)] = "primary"
    result[(age >= 13) & (age <= 15)] = "junior"
    teen = (age >= 16) & (age <= 18)
    result[teen] = np.where(rng.random(int(teen.sum())) < 0.8, "senior", "junior")
    return result.astype(str)


def _occupations(rng: np.random.Generator, age: IntArray) -> StrArray:
    k = len(age)
    result = np.full(k, "无", dtype=object)
    result[age < 6] = "学龄前"
    result[(age >= 6) & (age < 16)] = "学生"
    young = (age >= 16) & (age < 23)
    result[young] = np.where(rng.random(int(young.sum())) < 0.55, "学生", "外出务工")
    adult = (age >= 23) & (age < 60)
    result[adult] = pools.OCCUPATION_ADULT.draw(rng, int(adult.sum()))
    senior = (age >= 60) & (age < 76)
    result[senior] = pools.OCCUPATION_SENIOR.draw(rng, int(senior.sum()))
    return result.astype(str)


def _health(rng: np.random.Generator, age: IntArray) -> StrArray:
    roll = rng.random(len(age))
    chronic = np.where(age < 45, 0.04, np.where(age < 65, 0.15, 0.3))
    return np.where(
        roll < chronic,
        "chronic",
        np.where(roll < chronic + 0.015, "serious", np.where(roll < chronic + 0.04, "disabled", "healthy")),
    )


def _asset_part(
    rows: IntArray,
    kind: str,
    description: str | StrArray,
    quantity: FloatArray,
    unit: str,
    low: float,
    high: float,
    rng: np.random.Generator,
) -> tuple[IntArray, dict[str, object]]:
    """Assets of one kind for ``rows``, valued at ``quantity`` × a unit price in [low, high) yuan."""
    value = quantity * rng.uniform(low, high, len(rows))
    columns = {"kind": kind, "description": description, "quantity": np.round(quantity, 2), "unit": unit}
    return rows, {**columns, "value_fen": _yuan_to_fen(value)}


def _detail_rows(
    parts: Sequence[tuple[npt.NDArray[Any], Mapping[str, object]]],
    *,
    keep: str | None = None,
    constants: dict[str, object] | None = None,
    fill: dict[str, object] | None = None,
) -> Columns:
    """Stack per-kind parts into one table ordered by household; drop rows whose ``keep`` is 0.

    A part's column is an array or a scalar for all its rows; a column a part lacks takes its
    ``fill`` value.
    """
    names = list(dict.fromkeys(name for _rows, columns in parts for name in columns))
    fill = fill or {}
    households = np.concatenate([rows for rows, _columns in parts])
    kinds = np.concatenate([np.full(len(rows), index) for index, (rows, _columns) in enumerate(parts)])
    table: Columns = {"household": households}
    for name in names:
        pieces = [_broadcast(columns.get(name, fill.get(name)), len(rows)) for rows, columns in parts]
        table[name] = np.concatenate(pieces)
    order = np.lexsort((kinds, households))
    if keep is not None:
        order = order[table[keep][order] > 0]
    table = {name: values[order] for name, values in table.items()}
    for name, value in (constants or {}).items():
        table[name] = _broadcast(value, len(order))
    return table


def _broadcast(value: object, k: int) -> npt.NDArray[Any]:
    if isinstance(value, np.ndarray):
        return value.astype(object) if value.dtype.kind == "U" else value
    if isinstance(value, str):
        return np.full(k, value, dtype=object)
    if isinstance(value, np.datetime64):
        return np.full(k, value, dtype="datetime64[D]")
    if isinstance(value, float):
        return np.full(k, value)
    return np.full(k, value, dtype=np.int64)


def _objects(values: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Strings as an object array (what polars and the database drivers read fastest)."""
    return np.asarray(values, dtype=object)


def _per_household(table: Columns, column: str, n: int) -> IntArray:
    sums = np.bincount(table["household"], weights=table[column], minlength=n)
    return np.rint(sums).astype(np.int64)
