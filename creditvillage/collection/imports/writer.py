"""Writing validated households in chunks: one transaction per chunk, with the job's checkpoint.

Chunks are cut over *all* households of the file in file order (valid or not), so chunk ``k`` is
the same on every run of the same file, and a resumed run skips exactly the chunks whose
transaction committed (``checkpoint``). Inside a chunk, before writing, each household is checked
again under lock: if it changed (or appeared, or one of its new members appeared elsewhere) since
validation read it, the household is reported as a ``conflict`` and left untouched.

New rows go in with COPY on PostgreSQL and ``bulk_create`` elsewhere; existing rows are updated
only where a value differs, so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from django.db import connection, models, transaction
from django.db.models import Count, F
from django.utils.translation import gettext as _

from creditvillage.collection.imports.columns import BY_KEY
from creditvillage.collection.imports.validation import (
    HOUSEHOLD_FIELDS,
    PERSON_FIELDS,
    Group,
    RowError,
    household_tokens,
)
from creditvillage.core.models import Job
from creditvillage.registry.choices import ArchiveStatus, Channel, Health, PoliticalStatus
from creditvillage.registry.models import Household, Person

CHUNK_ROWS: Final = 5000
Fault = Callable[[str, int], None]

PERSON_DEFAULTS: Final[dict[str, Any]] = {
    "political_status": PoliticalStatus.MASSES,
    "education": "",
    "occupation": "",
    "phone": "",
    "health": Health.HEALTHY,
}
HOUSEHOLD_DEFAULTS: Final[dict[str, Any]] = {
    "address": "",
    "phone": "",
    "main_business": "",
    "is_low_income": False,
    "is_monitored": False,
    "annual_income_fen": 0,
    "assets_value_fen": 0,
    "debts_fen": 0,
}


def plan_chunks(groups: list[Group], rows_per_chunk: int = CHUNK_ROWS) -> list[list[Group]]:
    """Households in file order, cut into chunks of about ``rows_per_chunk`` rows (never splitting one)."""
    chunks: list[list[Group]] = []
    current: list[Group] = []
    rows = 0
    for group in sorted(groups, key=lambda g: g.index):
        current.append(group)
        rows += len(group.rows)
        if rows >= rows_per_chunk:
            chunks.append(current)
            current, rows = [], 0
    if current:
        chunks.append(current)
    return chunks


@dataclass
class Counts:
    rows_imported: int = 0
    rows_rejected: int = 0
    households_created: int = 0
    households_updated: int = 0
    persons_created: int = 0
    persons_updated: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Counts:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def _conflict(group: Group) -> list[RowError]:
    message = _("导入期间该户已被他人修改（或新建），为免覆盖对方的修改未导入；请核对后重新导入")
    return [RowError(row, BY_KEY["number"].header, "conflict", message) for row in group.rows]


class ChunkWriter:
    """Writes the valid households of one chunk for one import job."""

    def __init__(self, *, job: Job, actor_id: int | None, now: dt.datetime, fault: Fault | None = None) -> None:
        self.job = job
        self.actor_id = actor_id
        self.now = now
        self.fault = fault or (lambda _point, _chunk: None)
        self.postgres = connection.vendor == "postgresql"

    def provenance(self) -> dict[str, Any]:
        return {"by": self.actor_id, "at": self.now.isoformat(), "channel": Channel.EXCEL_IMPORT}

    def write(self, index: int, chunk: list[Group], counts: Counts) -> None:
        """Write chunk ``index`` and move the checkpoint to it, in one transaction."""
        self.fault("chunk_start", index)
        with transaction.atomic():
            valid = [g for g in chunk if g.valid]
            fresh = self._still_current(valid)
            kept = {id(g) for g in fresh}
            for group in valid:
                if id(group) not in kept:
                    counts.conflicts.extend(e.as_dict() for e in _conflict(group))
            counts.rows_rejected += sum(len(g.rows) for g in chunk if id(g) not in kept)
            counts.rows_imported += sum(len(g.rows) for g in fresh)
            new = [g for g in fresh if g.existing_id is None]
            old = [g for g in fresh if g.existing_id is not None]
            ids = self._insert_households(new)
            counts.households_created += len(new)
            self.fault("after_households", index)
            counts.households_updated += self._update_households(old)
            for group in old:
                ids[group.number] = group.existing_id  # type: ignore[assignment]
            created, updated = self._write_persons(fresh, ids)
            counts.persons_created += created
            counts.persons_updated += updated
            self.fault("after_persons", index)
            self._recount([ids[g.number] for g in old])
            result = {**self.job.result, **counts.as_dict(), "checkpoint": index}
            Job.objects.filter(pk=self.job.pk).update(
                result=result, done=min(self.job.total, counts.rows_imported + counts.rows_rejected)
            )
            self.fault("before_commit", index)
        self.job.result = result
        self.fault("after_commit", index)

    # Conflict detection -----------------------------------------------------------------------

    def _still_current(self, groups: list[Group]) -> list[Group]:
        """The groups whose household is as validation read it (locked until commit on PostgreSQL)."""
        if not groups:
            return []
        numbers = [g.number for g in groups]
        queryset = Household.objects.filter(number__in=numbers)
        if self.postgres:
            queryset = queryset.select_for_update()
        now_existing = dict(queryset.values_list("number", "pk"))
        tokens = household_tokens(list(now_existing.values()))
        new_ids = [m.values["id_number"] for g in groups if g.existing_id is None for m in g.members]
        new_ids += [
            m.values["id_number"]
            for g in groups
            if g.existing_id is not None
            for m in g.members
            if m.existing_id is None
        ]
        taken = (
            set(Person.objects.filter(id_number__in=new_ids).values_list("id_number", flat=True)) if new_ids else set()
        )
        fresh = []
        for group in groups:
            pk = now_existing.get(group.number)
            if pk != group.existing_id:
                continue
            if pk is not None and tokens.get(pk) != group.token:
                continue
            if any(m.existing_id is None and m.values["id_number"] in taken for m in group.members):
                continue
            fresh.append(group)
        return fresh

    # Households -------------------------------------------------------------------------------

    def _insert_households(self, groups: list[Group]) -> dict[str, int]:
        if not groups:
            return {}
        rows = []
        for group in groups:
            values = {**HOUSEHOLD_DEFAULTS, **group.fields}
            rows.append(
                {
                    **values,
                    "number": group.number,
                    "member_count": len(group.members),
                    "status": ArchiveStatus.COLLECTING,
                    "version": 1,
                }
            )
        self._insert(Household, rows)
        numbers = [g.number for g in groups]
        return dict(Household.objects.filter(number__in=numbers).values_list("number", "pk"))

    def _update_households(self, groups: list[Group]) -> int:
        if not groups:
            return 0
        current = {
            row["pk"]: row
            for row in Household.objects.filter(pk__in=[g.existing_id for g in groups]).values(
                "pk", "field_provenance", *HOUSEHOLD_FIELDS
            )
        }
        updated = 0
        for group in groups:
            row = current[group.existing_id]
            changed = {name: value for name, value in group.fields.items() if row[name] != value}
            if not changed:
                continue
            provenance = dict(row["field_provenance"] or {})
            for name in changed:
                provenance[name.removesuffix("_id")] = self.provenance()
            Household.objects.filter(pk=row["pk"]).update(
                **changed, field_provenance=provenance, version=F("version") + 1, updated_at=self.now
            )
            updated += 1
        return updated

    def _recount(self, household_ids: list[int]) -> None:
        if not household_ids:
            return
        counts = dict(
            Person.objects.filter(household_id__in=household_ids)
            .values("household_id")
            .annotate(n=Count("pk"))
            .values_list("household_id", "n")
        )
        stored = dict(Household.objects.filter(pk__in=household_ids).values_list("pk", "member_count"))
        for pk, count in counts.items():
            if stored.get(pk) != count:
                Household.objects.filter(pk=pk).update(member_count=count)

    # Members ----------------------------------------------------------------------------------

    def _write_persons(self, groups: list[Group], ids: dict[str, int]) -> tuple[int, int]:
        new_rows = []
        old = []
        for group in groups:
            for member in group.members:
                if member.existing_id is None:
                    new_rows.append({**PERSON_DEFAULTS, **member.values, "household_id": ids[group.number]})
                else:
                    old.append(member)
        self._insert(Person, new_rows)
        updated = 0
        if old:
            current = {
                row["pk"]: row
                for row in Person.objects.filter(pk__in=[m.existing_id for m in old]).values(
                    "pk", "field_provenance", *PERSON_FIELDS
                )
            }
            for member in old:
                row = current[member.existing_id]
                changed = {n: v for n, v in member.values.items() if n in PERSON_FIELDS and row[n] != v}
                if not changed:
                    continue
                provenance = dict(row["field_provenance"] or {})
                for name in changed:
                    provenance[name] = self.provenance()
                Person.objects.filter(pk=row["pk"]).update(**changed, field_provenance=provenance, updated_at=self.now)
                updated += 1
        return len(new_rows), updated

    # Bulk insert ------------------------------------------------------------------------------

    def _insert(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` (field attnames → values) with the import's provenance; COPY on PostgreSQL."""
        if not rows:
            return
        common: dict[str, Any] = {
            "collected_by_id": self.actor_id,
            "collected_at": self.now,
            "channel": Channel.EXCEL_IMPORT,
            "verified_at": None,
            "field_provenance": {},
            "updated_at": self.now,
        }
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        if not self.postgres:
            model._default_manager.bulk_create([model(**{**common, **row}) for row in rows], batch_size=500)
            return
        names = [f.attname for f in fields]
        columns = ", ".join(connection.ops.quote_name(f.column or f.attname) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        defaults = {f.attname: _default(f) for f in fields}
        with connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    merged = {**defaults, **common, "field_provenance": "{}", **row}
                    copy.write_row([merged[name] for name in names])


def _default(model_field: models.Field[Any, Any]) -> Any:
    if model_field.has_default():
        value = model_field.get_default()
        return json.dumps(value) if isinstance(value, dict | list) else value
    if model_field.null:
        return None
    return ""
