"""Bulk writing of synthetic archive blocks: explicit primary keys, COPY on PostgreSQL, executemany on SQLite.

Primary keys are reserved up front (a block of the table's sequence on PostgreSQL, ``max(id)+1``
on SQLite), so members, assets and the rest point at their household without a round trip.
Columns are taken from the models: a field the generator does not fill gets its default, so a
new field with a default needs no change here (one without a default fails loudly).

Every ``write`` is one transaction. On PostgreSQL the written tables are locked against other
writers for its duration (``SHARE ROW EXCLUSIVE``: reads go on), so nobody takes ids from the
reserved block. No signals, no ``save()``: this is for synthetic data, not for user edits.
"""

from __future__ import annotations

import io
import json
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.utils import timezone

from creditvillage.regions.models import Grid, VillagerGroup
from creditvillage.registry.models import Asset, BusinessEntity, Debt, Household, Income, Insurance, Person
from creditvillage.registry.synthetic.shapes import (
    ENTITY_SCHEMA,
    TABLES,
    ArchiveBlock,
    Columns,
    concat_columns,
    to_frame,
)

DETAIL_MODELS: dict[str, type[models.Model]] = {
    "persons": Person,
    "assets": Asset,
    "incomes": Income,
    "debts": Debt,
    "insurances": Insurance,
}
TABLE_OF: dict[type[models.Model], str] = {
    Household: "households",
    **{model: table for table, model in DETAIL_MODELS.items()},
    BusinessEntity: "entities",
}
PROVENANCE = ("collected_by_id", "collected_at", "channel", "verified_at")


# The detail tables split over two lanes of about equal work (index upkeep and foreign-key checks).
DETAIL_LANES: tuple[tuple[type[models.Model], ...], ...] = ((Person, Debt), (Asset, Income, Insurance, BusinessEntity))


class _OtherLaneFailed(Exception):
    """The lane this one waits for failed: roll back quietly (its own error is reported)."""


@dataclass
class WriteCounts:
    """Rows written per table."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, other: WriteCounts) -> None:
        for table, count in other.rows.items():
            self.rows[table] = self.rows.get(table, 0) + count

    @property
    def households(self) -> int:
        return self.rows.get("households", 0)

    @property
    def persons(self) -> int:
        return self.rows.get("persons", 0)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


class ArchiveWriter:
    """Writes :class:`ArchiveBlock` s into the registry tables of one database.

    ``write(blocks)`` writes and returns when done. ``submit(blocks)`` prepares the rows (ids,
    columns) at once and writes them in the background while the caller draws the next blocks;
    ``finish()`` waits for everything. On PostgreSQL outside a transaction the background work
    runs on three connections (lanes): households on one; the details split over two more, which
    commit only after the households did (their foreign keys are checked at commit). Up to two
    chunks are in flight, so the households lane starts the next chunk while the others commit.
    Elsewhere (SQLite, or inside a caller's transaction, e.g. in tests) every chunk is written in
    the caller's thread, in one transaction. A failing lane rolls back its own chunk; the
    households of that chunk may then be left without some details (run again with ``--replace``).
    """

    def __init__(self, using: str = DEFAULT_DB_ALIAS, *, parallel: bool | None = None) -> None:
        self.using = using
        self.postgres = self.connection.vendor == "postgresql"
        if parallel is None:
            parallel = self.postgres and not self.connection.in_atomic_block
        self.parallel = parallel
        self.counts = WriteCounts()
        self._lanes: list[ThreadPoolExecutor] = []
        self._in_flight: deque[list[Future[int]]] = deque()

    @property
    def connection(self) -> BaseDatabaseWrapper:
        """This thread's connection (each lane has its own)."""
        return connections[self.using]

    # Public API ----------------------------------------------------------------------------------

    def write(self, blocks: Sequence[ArchiveBlock]) -> WriteCounts:
        """Write the blocks' households, details and entities; returns the rows written."""
        before = WriteCounts(dict(self.counts.rows))
        self.submit(blocks)
        self._wait(0)
        return WriteCounts({table: n - before.rows.get(table, 0) for table, n in self.counts.rows.items()})

    def submit(self, blocks: Sequence[ArchiveBlock]) -> None:
        """Prepare the blocks now and write them (in the background when parallel)."""
        if not blocks:
            return
        if not self.parallel:
            with transaction.atomic(using=self.using):
                if self.postgres:
                    self._lock([Household, *DETAIL_MODELS.values(), BusinessEntity])
                for model, columns in self._prepare(blocks):
                    self.counts.rows[TABLE_OF[model]] = self.counts.rows.get(TABLE_OF[model], 0) + self._insert(
                        model, columns
                    )
            return
        with transaction.atomic(using=self.using):  # a short lock while ids are reserved
            self._lock([Household, *DETAIL_MODELS.values(), BusinessEntity])
            prepared = self._prepare(blocks)
        # At most two chunks in flight: the households lane starts the next chunk while the detail
        # lanes commit this one (their foreign keys are checked at commit); memory stays flat.
        self._wait(1)
        tables = dict(prepared)
        committed = threading.Event()
        failed = threading.Event()
        lanes = self._start_lanes()
        self._in_flight.append(
            [lanes[0].submit(self._lane_write, [(Household, tables[Household])], committed, failed, None)]
            + [
                lane.submit(self._lane_write, [(model, tables[model]) for model in models_], None, failed, committed)
                for lane, models_ in zip(lanes[1:], DETAIL_LANES, strict=True)
            ]
        )
        for model, columns in prepared:
            table = TABLE_OF[model]
            self.counts.rows[table] = self.counts.rows.get(table, 0) + len(columns["id"])

    def finish(self) -> WriteCounts:
        """Wait for the background writes, close the lanes' connections; the rows written in all."""
        try:
            self._wait(0)
        finally:
            for lane in self._lanes:
                lane.submit(connections.close_all).result()
                lane.shutdown()
            self._lanes = []
        return self.counts

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    # Background lanes ----------------------------------------------------------------------------

    def _start_lanes(self) -> list[ThreadPoolExecutor]:
        if not self._lanes:
            self._lanes = [ThreadPoolExecutor(1, thread_name_prefix=f"bulkload-{i}") for i in range(3)]
        return self._lanes

    def _lane_write(
        self,
        tables: list[tuple[type[models.Model], Columns]],
        done: threading.Event | None,
        failed: threading.Event,
        after: threading.Event | None,
    ) -> int:
        """Write ``tables`` in one transaction; commit only once ``after`` is set (unless ``failed``)."""
        try:
            with transaction.atomic(using=self.using):
                written = sum(self._insert(model, columns) for model, columns in tables)
                while after is not None and not after.wait(0.05):
                    if failed.is_set():
                        break
                if failed.is_set():
                    raise _OtherLaneFailed()
        except _OtherLaneFailed:
            return 0
        except BaseException:
            failed.set()
            raise
        if done is not None:
            done.set()
        return written

    def _wait(self, keep: int) -> None:
        """Wait until at most ``keep`` chunks are in flight; re-raise the first error of those done."""
        while len(self._in_flight) > keep:
            errors = [future.exception() for future in self._in_flight.popleft()]
            for error in errors:
                if error is not None:
                    raise error

    # Assembling columns -----------------------------------------------------------------------

    def _prepare(self, blocks: Sequence[ArchiveBlock]) -> list[tuple[type[models.Model], Columns]]:
        """Every table's rows with their primary keys reserved: households and persons first."""
        now = np.datetime64(timezone.now().replace(tzinfo=None), "ms")  # naive UTC, like the generator's times
        households = self._households(blocks, now)
        prepared: list[tuple[type[models.Model], Columns]] = [(Household, households)]
        for table, model in DETAIL_MODELS.items():
            prepared.append((model, self._details(blocks, table, households, now)))
        prepared.append((BusinessEntity, self._entities(blocks, households, now)))
        return prepared

    def _households(self, blocks: Sequence[ArchiveBlock], now: np.datetime64) -> Columns:
        columns = concat_columns([block.tables["households"] for block in blocks])
        n = len(columns["number"])
        columns["id"] = self._reserve(Household, n)
        columns["region_id"] = np.concatenate([np.full(len(b), b.village.code, dtype=object) for b in blocks])
        columns["collected_by_id"] = np.concatenate([np.full(len(b), b.collected_by_id, dtype=object) for b in blocks])
        groups, grids = self._places([b.village.code for b in blocks])
        columns["group_id"] = np.concatenate([_lookup(groups, b) for b in blocks])
        columns["grid_id"] = np.concatenate([_lookup(grids, b, "grid") for b in blocks])
        columns["updated_at"] = np.full(n, now)
        return columns

    def _details(self, blocks: Sequence[ArchiveBlock], table: str, households: Columns, now: np.datetime64) -> Columns:
        starts = np.cumsum([0, *(len(block) for block in blocks)])
        columns = concat_columns([block.tables[table] for block in blocks])
        offsets = np.concatenate(
            [
                np.full(len(block.tables[table]["household"]), start)
                for block, start in zip(blocks, starts, strict=False)
            ]
        )
        rows = columns.pop("household") + offsets  # row of the household in ``households``
        columns["id"] = self._reserve(DETAIL_MODELS[table], len(rows))
        columns["household_id"] = households["id"][rows]
        for name in PROVENANCE:
            columns[name] = households[name][rows]
        columns["updated_at"] = np.full(len(rows), now)
        return columns

    def _entities(self, blocks: Sequence[ArchiveBlock], households: Columns, now: np.datetime64) -> Columns:
        starts = np.cumsum([0, *(len(block) for block in blocks)])
        records = [
            {**entity, "household": entity["household"] + start, "region_id": block.village.code}
            for block, start in zip(blocks, starts, strict=False)
            for entity in block.entities
        ]
        schema = {**ENTITY_SCHEMA, "region_id": pl.String}
        frame = pl.DataFrame(records, schema=schema)
        columns: Columns = {name: frame[name].to_numpy() for name in frame.columns}
        for name in ("name", "uscc", "kind", "legal_rep_name", "legal_rep_id_number", "phone", "main_business"):
            columns[name] = columns[name].astype(object)
        rows = columns.pop("household").astype(np.int64)
        columns["id"] = self._reserve(BusinessEntity, len(rows))
        columns["household_id"] = households["id"][rows]
        columns["status"] = households["status"][rows]
        for name in PROVENANCE:
            columns[name] = households[name][rows]
        columns["updated_at"] = np.full(len(rows), now)
        return columns

    def _places(self, villages: list[str]) -> tuple[dict[str, dict[int, int]], dict[str, dict[int, int]]]:
        """Villager group and grid ids by village and number."""
        found: list[dict[str, dict[int, int]]] = [{}, {}]
        wanted = set(villages)
        querysets: tuple[QuerySet[Any], QuerySet[Any]] = (
            VillagerGroup.objects.using(self.using).filter(village_id__in=wanted),
            Grid.objects.using(self.using).filter(village_id__in=wanted),
        )
        for index, queryset in enumerate(querysets):
            for village, number, pk in queryset.values_list("village_id", "number", "pk"):
                found[index].setdefault(village, {})[number] = pk
        return found[0], found[1]

    # Database work ------------------------------------------------------------------------------

    def _lock(self, tables: list[type[models.Model]]) -> None:
        names = ", ".join(self.connection.ops.quote_name(model._meta.db_table) for model in tables)
        with self.connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")

    def _reserve(self, model: type[models.Model], n: int) -> npt.NDArray[np.int64]:
        """``n`` fresh primary keys for ``model``; the table's sequence moves past them."""
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        table = model._meta.db_table
        quoted = self.connection.ops.quote_name(table)
        with self.connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    f"SELECT pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')), "  # noqa: S608
                    f"(SELECT COALESCE(max(id), 0) FROM {quoted})",
                    [table, table],
                )
                sequence, following, highest = cursor.fetchone()
                first = max(following, highest + 1)
                cursor.execute("SELECT setval(%s, %s)", [sequence, first + n - 1])
            else:
                cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {quoted}")  # noqa: S608
                first = cursor.fetchone()[0] + 1
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                first = max(first, (row[0] + 1) if row else 1)
        return np.arange(first, first + n, dtype=np.int64)

    def _insert(self, model: type[models.Model], provided: Columns) -> int:
        n = len(provided["id"])
        if n == 0:
            return 0
        columns = _model_columns(model, provided, n)
        frame = to_frame(columns)
        names = ", ".join(self.connection.ops.quote_name(name) for name in columns)
        table = self.connection.ops.quote_name(model._meta.db_table)
        with self.connection.cursor() as cursor:
            if self.postgres:
                buffer = io.BytesIO()
                frame.write_csv(
                    buffer,
                    include_header=False,
                    null_value=r"\N",
                    datetime_format="%Y-%m-%d %H:%M:%S%.3f+00",
                    date_format="%Y-%m-%d",
                )
                sql = f"COPY {table} ({names}) FROM STDIN (FORMAT csv, NULL '\\N')"
                with self.connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:  # Django's errors
                    copy.write(buffer.getbuffer())
            else:
                frame = frame.with_columns(
                    pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M:%S%.6f"),
                    pl.col(pl.Date).dt.strftime("%Y-%m-%d"),
                )
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", frame.rows())  # noqa: S608
        return n


def _lookup(ids: dict[str, dict[int, int]], block: ArchiveBlock, column: str = "group") -> npt.NDArray[np.object_]:
    by_number = ids.get(block.village.code, {})
    return np.array([by_number.get(number) for number in block.tables["households"][column].tolist()], dtype=object)


def _model_columns(model: type[models.Model], provided: Columns, n: int) -> Columns:
    """Every concrete column of ``model`` in order: provided, else its default, NULL, or "" for text."""
    columns: Columns = {}
    for model_field in model._meta.concrete_fields:
        name = model_field.column or model_field.attname
        if name in provided:
            columns[name] = provided[name]
        elif model_field.attname in provided:
            columns[name] = provided[model_field.attname]
        elif model_field.has_default():
            columns[name] = _constant(model_field.get_default(), n)
        elif model_field.null:
            columns[name] = np.full(n, None, dtype=object)
        elif model_field.empty_strings_allowed and not model_field.is_relation:  # Django's "" for text fields
            columns[name] = np.full(n, "", dtype=object)
        else:
            raise ImproperlyConfigured(f"bulkload: no value for {model.__name__}.{model_field.name}")
    return columns


def _constant(value: Any, n: int) -> npt.NDArray[Any]:
    if isinstance(value, dict | list):
        value = json.dumps(value)
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, bool | int | float):
        return np.full(n, value)
    return np.full(n, value, dtype=object)


__all__ = ["TABLES", "ArchiveWriter", "WriteCounts"]
