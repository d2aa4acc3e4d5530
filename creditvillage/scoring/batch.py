"""The rating batch (系统初评): every subject under a region, one model version, one run.

Streams the region's indicator rows in chunks of subject ids (memory does not grow with the
population), scores each chunk with the kernel and appends Rating rows with COPY (PostgreSQL) or
executemany (SQLite). The whole run is one transaction (C17): killed mid-way it leaves nothing, and
running it again does the whole run. Progress goes to a ``core.Job`` through a second connection
on PostgreSQL (so the waiting page sees it while the run's transaction is open).

On PostgreSQL, when the run's transaction has written nothing before the run (the command line, a
job: not inside a cycle's locked transaction, not after a refresh), the next chunk is read on a
second connection that imports the run's snapshot (``pg_export_snapshot``: it sees exactly what the
run sees) while the current chunk is written: reading and writing overlap (ADR 0038).
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.roles import Action
from creditvillage.core import audit
from creditvillage.core.errors import NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.models import Job
from creditvillage.core.scope import code_range, significant_prefix
from creditvillage.rating.models import Rating, RatingRun, RunKind, RunStatus
from creditvillage.regions.models import Region
from creditvillage.scoring import engine, tabular
from creditvillage.scoring.indicators import indicators_refresh, indicators_stale
from creditvillage.scoring.models import CATEGORY_FIELDS, ModelVersion, ScoringModel, SubjectIndicators, VersionStatus

logger = logging.getLogger(__name__)

CHUNK = 200_000
TABLE = SubjectIndicators._meta.db_table
RATINGS = Rating._meta.db_table


def _after_chunk(done: int) -> None:
    """Called after each chunk is written (a seam for the all-or-nothing test)."""


def resolve_version(model_code: str | None, subject_type: str = "household") -> ModelVersion:
    """The active version of ``model_code`` (default: the default model for ``subject_type``)."""
    ensure_defaults()
    models = ScoringModel.objects.all()
    model = (
        models.filter(code=model_code).first()
        if model_code
        else models.filter(subject_type=subject_type, is_default=True).first()
    )
    if model is None:
        raise NotFound(_("评分模型不存在"))
    version = (
        ModelVersion.objects.filter(model=model, status=VersionStatus.ACTIVE)
        .select_related("model", "grade_scheme")
        .first()
    )
    if version is None:
        raise ValidationFailed(_("该模型没有生效版本"), {"model": model.code})
    return version


def ensure_defaults() -> None:
    """Load the shipped models when the table is empty (a database flushed after its migrations)."""
    if not ScoringModel.objects.exists():
        from django.apps import apps

        from creditvillage.scoring import defaults

        with transaction.atomic():
            defaults.load(lambda name: apps.get_model("scoring", name))


def normalize_region(region_code: str) -> str:
    code = (region_code or "").strip()
    if not code.isdigit() or len(code) > 12 or len(code) not in (2, 4, 6, 9, 12):
        raise NotFound()
    return code.ljust(12, "0")


def check_rate(actor: Any, code: str) -> Region:
    """The region if ``actor`` may rate it (None = the system, e.g. the command line)."""
    if actor is None:
        region = Region.objects.filter(pk=code).first()
        if region is None:
            raise NotFound()
        return region
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied()
    if not (actor.is_superuser or actor.grants_for(Action.RATE)):
        raise PermissionDenied()
    region = Region.objects.visible_to(actor, Action.RATE).filter(pk=code).first()
    if region is None:
        raise NotFound()
    return region


@dataclass
class Chunk:
    frame: pl.DataFrame  # subject_id, household_id, region_code, snapshot_id
    raw: pl.DataFrame  # every column read
    columns: dict[str, np.ndarray]
    vetoes: dict[str, np.ndarray]


def read_sql(cm: engine.CompiledModel) -> tuple[str, dict[str, Any]]:
    """The chunk query: the row keys, each indicator's source field and each veto flag (as 0/1)."""
    schema: dict[str, Any] = {
        "subject_id": pl.Int64,
        "household_id": pl.Int64,
        "region_code": pl.String,
        "snapshot_id": pl.Int64,
    }
    select = ["subject_id", "household_id", "region_code", "snapshot_id"]
    for field in dict.fromkeys(ind.source_field for ind in cm.indicators):
        select.append(field)
        schema[field] = pl.String if field in CATEGORY_FIELDS else pl.Float64
    for rule in {rule.code: rule for rule in cm.vetoes}.values():
        select.append(f"CASE WHEN {rule.source_field} THEN 1 ELSE 0 END")
        schema[f"veto:{rule.code}"] = pl.Int64
    where = "subject_type = %s AND region_code BETWEEN %s AND %s AND subject_id >= %s AND subject_id < %s"
    return f"SELECT {', '.join(select)} FROM {TABLE} WHERE {where}", schema  # noqa: S608


def to_columns(cm: engine.CompiledModel, frame: pl.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    columns: dict[str, np.ndarray] = {}
    for ind in cm.indicators:
        series = frame[ind.source_field]
        if ind.kind == "categories":
            mapping = {c: i for i, c in enumerate(ind.categories)}
            columns[ind.code] = (
                series.fill_null("")
                .replace_strict(mapping, default=len(ind.categories), return_dtype=pl.Int64)
                .to_numpy()
            )
        else:
            columns[ind.code] = series.cast(pl.Float64).fill_null(np.nan).to_numpy()
    vetoes = {rule.code: frame[f"veto:{rule.code}"].to_numpy().astype(bool) for rule in cm.vetoes}
    return columns, vetoes


def subject_bounds(subject_type: str, lo: str, hi: str) -> tuple[int, int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(subject_id), MAX(subject_id), COUNT(*) FROM {TABLE} "  # noqa: S608
            "WHERE subject_type = %s AND region_code BETWEEN %s AND %s",
            [subject_type, lo, hi],
        )
        low, high, count = cursor.fetchone()
    return int(low or 0), int(high or 0), int(count or 0)


def iter_chunks(
    cm: engine.CompiledModel, prefix: str, chunk: int, *, convert: bool = True, snapshot: str | None = None
) -> Any:
    """The region's indicator rows, ``chunk`` subject ids at a time, as kernel columns.

    With ``snapshot`` (an exported PostgreSQL snapshot of the caller's transaction) the chunks are
    read ahead on a second connection in that snapshot, one chunk ahead of the caller."""
    lo, hi = code_range(prefix)
    first, last, count = subject_bounds(cm.subject_type, lo, hi)
    if not count:
        return
    sql, schema = read_sql(cm)
    starts = range(first, last + 1, chunk)

    def read(a: int) -> Chunk | None:
        frame = tabular.read_frame(sql, [cm.subject_type, lo, hi, a, a + chunk], schema)
        if not frame.height:
            return None
        columns, vetoes = to_columns(cm, frame) if convert else ({}, {})
        keys = frame.select("subject_id", "household_id", "region_code", "snapshot_id")
        return Chunk(keys, frame, columns, vetoes)

    parts = _read_ahead(read, starts, snapshot) if snapshot else (read(a) for a in starts)
    for part in parts:
        if part is not None:
            yield part


_DONE = object()


def _read_ahead(read: Callable[[int], Chunk | None], starts: range, snapshot: str) -> Iterator[Chunk | None]:
    """``read(a)`` for each start on a worker thread (its own connection, in ``snapshot``), one ahead."""
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):
        raise ValueError("not a snapshot id")
    out: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                for a in starts:
                    if not put(read(a)):
                        return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            put(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=work, name="rating-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def export_snapshot() -> str | None:
    """The run's snapshot for a read-ahead connection, when one sees what the run sees: PostgreSQL,
    and the transaction has written nothing yet (its own writes would be invisible to the reader)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id_if_assigned() IS NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT pg_export_snapshot()")
        return str(cursor.fetchone()[0])


class Progress:
    """Job progress written where the waiting page can see it during the run's transaction."""

    def __init__(self, job: Job | None) -> None:
        self.job = job
        self.side: Any = None
        if job is not None and connection.vendor == "postgresql":
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
            self.side.set_autocommit(True)

    def update(self, **fields: Any) -> None:
        if self.job is None:
            return
        if self.side is None:  # SQLite: one writer; the job row is updated in the run's transaction
            Job.objects.filter(pk=self.job.pk).update(**fields)
            return
        names = ", ".join(f"{self.side.ops.quote_name(k)} = %s" for k in fields)
        with self.side.cursor() as cursor:
            cursor.execute(f"UPDATE core_job SET {names} WHERE id = %s", [*fields.values(), self.job.pk])  # noqa: S608

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def rating_frame(
    cm: engine.CompiledModel,
    chunk: Chunk,
    scored: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    *,
    run_id: int,
    cycle_id: int | None,
    now: Any,
) -> pl.DataFrame:
    total, grade, credit, vetoed = scored
    grades = pl.Series("grade_codes", list(cm.grades), dtype=pl.String)
    return chunk.frame.select(
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        pl.lit(cycle_id, dtype=pl.Int64).alias("cycle_id"),
        pl.lit(cm.subject_type).alias("subject_type"),
        pl.col("subject_id"),
        pl.col("household_id"),
        pl.col("region_code"),
        pl.lit(cm.model_code).alias("model_code"),
        pl.lit(cm.version, dtype=pl.Int64).alias("model_version"),
        (pl.Series(total) / engine.CENT).alias("score"),
        grades.gather(pl.Series(grade)).alias("grade"),
        pl.Series(credit).alias("credit_subject"),
        pl.Series(vetoed).alias("vetoed"),
        pl.lit("preliminary").alias("status"),
        pl.lit(1, dtype=pl.Int64).alias("version"),
        pl.lit(None, dtype=pl.Int64).alias("supersedes_id"),
        pl.lit("").alias("reason"),
        pl.col("snapshot_id"),
        pl.lit(now.replace(tzinfo=None)).alias("created_at"),
    )


def rating_run_create(
    *,
    actor: Any,
    region_code: str,
    model_code: str | None = None,
    cycle: Any = None,
    kind: str = "preliminary",
    job: Job | None = None,
    chunk_size: int | None = None,
    refresh: bool | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    read_ahead: bool = True,
) -> RatingRun:
    """Score every subject under ``region_code`` with the active version of ``model_code`` (default:
    the default household model) and write the ratings as one ``RatingRun`` — all or nothing.

    ``actor`` must hold ``rate`` over the region (None = the system: the command line). The
    region's indicator rows are refreshed first when they lag the archives (``refresh=None``)."""
    started = time.perf_counter()
    code = normalize_region(region_code)
    check_rate(actor, code)
    if kind not in RunKind.values:
        raise ValidationFailed(_("评定类型无效"), {"kind": kind})
    version = resolve_version(model_code)
    cm = engine.compile_version(version)
    prefix = significant_prefix(code)
    chunk = chunk_size or CHUNK
    progress = Progress(job)
    phases = dict.fromkeys(("refresh", "read", "score", "write"), 0.0)
    try:
        with transaction.atomic():
            mark = time.perf_counter()
            if refresh or (refresh is None and indicators_stale(prefix, cm.subject_type)):
                indicators_refresh(prefix, subject_types=(cm.subject_type,))
            phases["refresh"] = time.perf_counter() - mark
            lo, hi = code_range(prefix)
            snapshot = export_snapshot() if read_ahead else None
            total_subjects = subject_bounds(cm.subject_type, lo, hi)[2]
            progress.update(total=total_subjects, status="running", started_at=timezone.now())
            run = RatingRun.objects.create(
                region_code=code,
                cycle=cycle,
                kind=kind,
                model_code=version.model.code,
                model_version=version.number,
                started_by=actor if getattr(actor, "pk", None) else None,
            )
            now = timezone.now()
            counts = np.zeros(len(cm.grades), dtype=np.int64)
            done = 0
            mark = time.perf_counter()
            for part in iter_chunks(cm, prefix, chunk, snapshot=snapshot):
                phases["read"] += time.perf_counter() - mark
                mark = time.perf_counter()
                scored = engine.score_columns(cm, part.columns, part.vetoes)
                counts += np.bincount(scored[1], minlength=len(cm.grades))
                frame = rating_frame(cm, part, scored, run_id=run.pk, cycle_id=getattr(cycle, "pk", None), now=now)
                phases["score"] += time.perf_counter() - mark
                mark = time.perf_counter()
                done += tabular.write_frame(RATINGS, frame)
                phases["write"] += time.perf_counter() - mark
                progress.update(done=done)
                if on_progress is not None:
                    on_progress(done, total_subjects)
                _after_chunk(done)
                mark = time.perf_counter()
            if job is not None:  # the run's own connection too (the side one cannot see an uncommitted job)
                Job.objects.filter(pk=job.pk).update(total=done, done=done)
            run.message = " ".join(f"{name}={seconds:.2f}s" for name, seconds in phases.items())
            run.message += " read-ahead" if snapshot else ""
            run.status = RunStatus.SUCCEEDED
            run.finished_at = timezone.now()
            run.subjects = done
            run.counts = {grade: int(n) for grade, n in zip(cm.grades, counts.tolist(), strict=True) if n}
            run.seconds = round(time.perf_counter() - started, 3)
            run.save(update_fields=["status", "finished_at", "subjects", "counts", "seconds", "message"])
            audit.record(
                actor=actor,
                action="scoring.rating_run",
                target=run,
                region_code=code,
                changes={"subjects": [None, done], "counts": [None, run.counts], "model": [None, str(version)]},
                reason=_("系统初评") if kind == RunKind.PRELIMINARY else _("模拟测算"),
            )
    finally:
        progress.close()
    logger.info("rating run %s: %s subjects in %.2fs", run.pk, done, run.seconds)
    return run
