"""The shapes synthetic archives come in: village traits, the collection mix, blocks of tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl

INCOME_YEAR: Final = 2025  # the last full year the archives describe
AS_OF: Final = np.datetime64("2026-06-30")  # the date debts and insurance are described on
YEAR_END: Final = np.datetime64("2026-12-31", "D")
NO_DATE: Final = np.datetime64("NaT", "D")
YUAN: Final = 100  # fen per yuan

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

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
