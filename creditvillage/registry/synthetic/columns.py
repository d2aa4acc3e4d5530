"""Column helpers for synthetic archives: one numpy draw per column for a whole block."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from creditvillage.registry.synthetic import pools
from creditvillage.registry.synthetic.shapes import YUAN, BoolArray, Columns, FloatArray, IntArray, StrArray


def yuan_to_fen(yuan: FloatArray, step: int = 100) -> IntArray:
    """Yuan rounded to ``step`` yuan, as integer fen (never negative)."""
    return np.maximum(np.rint(yuan / step), 0).astype(np.int64) * step * YUAN


def pick(rng: np.random.Generator, items: tuple[str, ...] | list[str], n: int) -> StrArray:
    return np.array(items)[rng.integers(0, len(items), n)]


def choose(rng: np.random.Generator, weighted: tuple[tuple[str, float], ...], n: int) -> StrArray:
    return pools.Pool(weighted).draw(rng, n)


def times(rng: np.random.Generator, start: str, end: str, n: int) -> npt.NDArray[np.datetime64]:
    """Working-hours moments (UTC) between two dates: 08:00-18:00 China time is 00:00-10:00 UTC."""
    days = (np.datetime64(end) - np.datetime64(start)).astype(int) + 1
    day = np.datetime64(start) + rng.integers(0, days, n).astype("timedelta64[D]")
    moment = day.astype("datetime64[s]") + rng.integers(0, 10 * 3600, n).astype("timedelta64[s]")
    return moment.astype("datetime64[ms]")


def names(rng: np.random.Generator, surname: StrArray, male: BoolArray, birth_year: IntArray) -> list[str]:
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


def phones(rng: np.random.Generator, k: int) -> StrArray:
    prefix = np.array(pools.MOBILE_PREFIXES, dtype=np.int64)[rng.integers(0, len(pools.MOBILE_PREFIXES), k)]
    return (prefix * 100_000_000 + rng.integers(0, 100_000_000, k)).astype(str)


def political_status(rng: np.random.Generator, age: IntArray, male: BoolArray) -> StrArray:
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


def education(rng: np.random.Generator, age: IntArray, birth_year: IntArray) -> StrArray:
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


def occupations(rng: np.random.Generator, age: IntArray) -> StrArray:
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


def health(rng: np.random.Generator, age: IntArray) -> StrArray:
    roll = rng.random(len(age))
    chronic = np.where(age < 45, 0.04, np.where(age < 65, 0.15, 0.3))
    return np.where(
        roll < chronic,
        "chronic",
        np.where(roll < chronic + 0.015, "serious", np.where(roll < chronic + 0.04, "disabled", "healthy")),
    )


def asset_part(
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
    return rows, {**columns, "value_fen": yuan_to_fen(value)}


def detail_rows(
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
        pieces = [broadcast(columns.get(name, fill.get(name)), len(rows)) for rows, columns in parts]
        table[name] = np.concatenate(pieces)
    order = np.lexsort((kinds, households))
    if keep is not None:
        order = order[table[keep][order] > 0]
    table = {name: values[order] for name, values in table.items()}
    for name, value in (constants or {}).items():
        table[name] = broadcast(value, len(order))
    return table


def broadcast(value: object, k: int) -> npt.NDArray[Any]:
    if isinstance(value, np.ndarray):
        return value.astype(object) if value.dtype.kind == "U" else value
    if isinstance(value, str):
        return np.full(k, value, dtype=object)
    if isinstance(value, np.datetime64):
        return np.full(k, value, dtype="datetime64[D]")
    if isinstance(value, float):
        return np.full(k, value)
    return np.full(k, value, dtype=np.int64)


def objects(values: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Strings as an object array (what polars and the database drivers read fastest)."""
    return np.asarray(values, dtype=object)


def per_household(table: Columns, column: str, n: int) -> IntArray:
    sums = np.bincount(table["household"], weights=table[column], minlength=n)
    return np.rint(sums).astype(np.int64)
