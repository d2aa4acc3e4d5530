"""Household import (Excel 导入): start (gate the upload, create the job), run (validate, write), resume.

The job is a ``core.Job`` (kind ``household_import``); its ``params`` hold the stored file, its
hash and the region, its ``result`` the counts, the errors, and the checkpoint of the last chunk
that committed. Running a job again after a crash resumes from that checkpoint; running a
finished job returns its result.
"""

from __future__ import annotations

import datetime as dt
import gc
import uuid
from pathlib import Path
from typing import Any, Final

import xlsxwriter
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.models import User
from creditvillage.accounts.roles import Action
from creditvillage.collection.imports import gate
from creditvillage.collection.imports.columns import WORKBOOK_OPTIONS
from creditvillage.collection.imports.reader import iter_cells
from creditvillage.collection.imports.validation import (
    RowCleaner,
    check_households,
    check_registry,
    finish,
    group_rows,
)
from creditvillage.collection.imports.writer import CHUNK_ROWS, ChunkWriter, Counts, Fault, plan_chunks
from creditvillage.core import audit
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied
from creditvillage.core.jobs import progress_reporter, running, set_total
from creditvillage.core.models import Job, JobStatus
from creditvillage.core.scope import Actor, access, code_range, significant_prefix
from creditvillage.regions.choices import RegionLevel
from creditvillage.regions.models import Region

KIND: Final = "household_import"
MAX_STORED_ERRORS: Final = 10_000
FOLDER: Final = "imports"


class ImportRefused(DomainError):
    """The uploaded file was refused by the gate (not xlsx, macros, zip bomb, too many rows ...)."""

    status = 422

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(code, message, details)
        if code == "file_too_large":
            self.status = 413


def limits() -> gate.Limits:
    """The gate's limits; ``CV_IMPORT_MAX_BYTES`` / ``CV_IMPORT_MAX_ROWS`` settings override (tests, operators)."""
    defaults = gate.DEFAULT_LIMITS
    return gate.Limits(
        upload_bytes=int(getattr(settings, "CV_IMPORT_MAX_BYTES", defaults.upload_bytes)),
        rows=int(getattr(settings, "CV_IMPORT_MAX_ROWS", defaults.rows)),
    )


def media_path(relative: str) -> Path:
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):  # pragma: no cover - names are ours
        raise NotFound()
    return path


def import_region(actor: Actor, code: str) -> Region:
    """The region an import goes into: one the actor may import into (else NotFound, like missing)."""
    code = (code or "").strip()
    if code.isdigit() and len(code) in (2, 4, 6, 9):
        code = code.ljust(12, "0")
    if len(code) != 12 or not code.isdigit():
        raise NotFound()
    return access(Region.objects.all(), actor, code, Action.IMPORT)


def household_import_start(*, actor: User, region: str, upload: UploadedFile) -> Job:
    """Gate the uploaded file and create the import job (enqueued after commit); audited."""
    if not actor.has_action(Action.IMPORT):
        raise PermissionDenied()
    target = import_region(actor, region)
    folder = media_path(FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    incoming = folder / f"incoming-{uuid.uuid4().hex}.xlsx"
    size = 0
    cap = limits().upload_bytes
    try:
        with incoming.open("wb") as handle:
            for block in upload.chunks():
                size += len(block)
                if size > cap:
                    raise gate.FileRejected(
                        "file_too_large",
                        _("文件过大（上限 %(mb)d MB），请拆分后分批导入。") % {"mb": cap // gate.MIB},
                        {"max_bytes": cap},
                    )
                handle.write(block)
        checked = gate.inspect(incoming, upload.name or "", limits())
    except gate.FileRejected as exc:
        incoming.unlink(missing_ok=True)
        raise ImportRefused(exc.code, exc.message, exc.details) from exc
    from creditvillage.collection.imports.tasks import run_household_import

    with transaction.atomic():
        job = Job.objects.create(
            kind=KIND,
            created_by=actor,
            region_code=target.code,
            total=max(checked.rows - 1, 0),
            params={
                "region": target.code,
                "sha256": checked.sha256,
                "size": checked.size,
                "filename": Path(upload.name or "import.xlsx").name[:100],
            },
        )
        relative = f"{FOLDER}/{job.pk}-{checked.sha256[:12]}.xlsx"
        incoming.rename(media_path(relative))
        job.params["file"] = relative
        job.save(update_fields=["params"])
        audit.record(
            actor=actor,
            action="import.uploaded",
            target=job,
            region_code=target.code,
            changes={"sha256": checked.sha256, "size": checked.size, "filename": job.params["filename"]},
        )
        transaction.on_commit(lambda: run_household_import.enqueue(job.pk))
    return job


def _villages(actor: User, prefix: str = "") -> set[str]:
    queryset = Region.objects.visible_to(actor, Action.IMPORT).filter(level=RegionLevel.VILLAGE)
    if prefix:
        lo, hi = code_range(prefix)
        queryset = queryset.filter(code__gte=lo, code__lte=hi)
    return set(queryset.values_list("code", flat=True))


def household_import_run(
    job_id: int, *, fault: Fault | None = None, rows_per_chunk: int = CHUNK_ROWS
) -> dict[str, Any]:
    """Validate and write the job's file; resumes after the last committed chunk. Returns the result."""
    job = Job.objects.get(pk=job_id, kind=KIND)
    if job.status == JobStatus.SUCCEEDED:
        return dict(job.result)
    with running(job_id) as job:
        actor = User.objects.get(pk=job.created_by_id or 0)
        # Rows become many small objects that live until the end: the cyclic collector would scan
        # them again and again (measured: ~20% of the run) and find nothing to free.
        collecting = gc.isenabled()
        gc.disable()
        try:
            result = _run(job, actor, fault, rows_per_chunk)
        except gate.FileRejected as exc:
            result = _refused(job, actor, exc)
        finally:
            if collecting:
                gc.enable()
    return result


def _refused(job: Job, actor: User, exc: gate.FileRejected) -> dict[str, Any]:
    """The file could not be read after all (e.g. a header missing): the job ends with that one error."""
    result = {
        **job.result,
        "rows_total": 0,
        "rows_imported": 0,
        "rows_rejected": 0,
        "errors": [{"row": 0, "column": "", "code": exc.code, "message": exc.message}],
        "errors_total": 1,
    }
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(result=result, message=exc.message[:500])
        audit.record(
            actor=actor,
            action="import.refused",
            target=job,
            region_code=job.region_code,
            changes={"sha256": job.params.get("sha256", ""), "code": exc.code},
        )
    return result


def _run(job: Job, actor: User, fault: Fault | None, rows_per_chunk: int) -> dict[str, Any]:
    if not actor.is_active or not actor.has_action(Action.IMPORT):
        raise PermissionDenied()
    region = job.params["region"]
    cleaner = RowCleaner(allowed_villages=_villages(actor, significant_prefix(region)), today=_china_today())
    # Phase 1, validating: ``done`` counts rows read and checked (throttled), so the bar moves
    # while the file is read; phase 2, writing: ``done`` counts rows written (per chunk).
    _set_phase(job, PHASE_VALIDATING, done=0)
    validated = progress_reporter(job, every=max(PROGRESS_EVERY, job.total // 100))
    groups, total = group_rows(iter_cells(media_path(job.params["file"])), cleaner, progress=validated)
    set_total(job, total)
    check_households(groups)
    check_registry(groups, allowed_villages=_villages(actor))
    finish(groups)
    Job.objects.filter(pk=job.pk).update(done=total)
    if fault is not None:
        fault("validated", -1)
    checkpoint = int(job.result.get("checkpoint", -1))
    counts = Counts.from_dict(job.result) if checkpoint >= 0 else Counts()
    _set_phase(job, PHASE_WRITING, done=min(total, counts.rows_imported + counts.rows_rejected))
    writer = ChunkWriter(job=job, actor_id=actor.pk, now=timezone.now(), fault=fault)
    for index, chunk in enumerate(plan_chunks(groups, rows_per_chunk)):
        if index > checkpoint:
            writer.write(index, chunk, counts)
    errors = [e.as_dict() for g in groups for e in g.errors]
    errors += counts.conflicts
    errors.sort(key=lambda e: (e["row"], e["column"], e["code"]))
    report = _write_report(job, errors) if errors else ""
    result = {
        **job.result,
        **counts.as_dict(),
        "rows_total": total,
        "errors": errors[:MAX_STORED_ERRORS],
        "errors_total": len(errors),
        "report": report,
        "checkpoint": checkpoint if checkpoint >= 0 else writer.job.result.get("checkpoint", -1),
    }
    result.pop("conflicts", None)
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(result=result, result_file=report)
        audit.record(
            actor=actor,
            action="import.households",
            target=job,
            region_code=region,
            changes={
                "sha256": job.params.get("sha256", ""),
                "rows_total": total,
                "rows_imported": counts.rows_imported,
                "rows_rejected": counts.rows_rejected,
                "households_created": counts.households_created,
                "households_updated": counts.households_updated,
                "persons_created": counts.persons_created,
                "persons_updated": counts.persons_updated,
                "conflicts": len({c["row"] for c in counts.conflicts}),
            },
            channel="excel_import",
        )
    job.result = result
    return result


PHASE_VALIDATING: Final = "validating"
PHASE_WRITING: Final = "writing"
PROGRESS_EVERY: Final = 500  # rows between progress writes while validating (at most ~100 per file)


def _set_phase(job: Job, phase: str, *, done: int) -> None:
    """Record the phase in the job's result (kept by the writer's checkpoints) and reset ``done``."""
    job.result = {**(job.result or {}), "phase": phase}
    job.done = done
    Job.objects.filter(pk=job.pk).update(result=job.result, done=done)


def _china_today() -> dt.date:
    return timezone.localdate()


REPORT_HEADERS: Final = ("行号", "列", "错误代码", "说明")


def _write_report(job: Job, errors: list[dict[str, Any]]) -> str:
    """The error report as xlsx; every cell written as a string (formula-inert, reliability C15)."""
    relative = f"{FOLDER}/{job.pk}-errors.xlsx"
    workbook = xlsxwriter.Workbook(str(media_path(relative)), {**WORKBOOK_OPTIONS, "constant_memory": True})
    sheet = workbook.add_worksheet("错误报告")
    head = workbook.add_format({"bold": True, "bg_color": "#F2DCDB"})
    for col, title in enumerate(REPORT_HEADERS):
        sheet.write_string(0, col, title, head)
    for row, error in enumerate(errors, start=1):
        sheet.write_number(row, 0, int(error["row"]))
        sheet.write_string(row, 1, str(error["column"]))
        sheet.write_string(row, 2, str(error["code"]))
        sheet.write_string(row, 3, str(error["message"]))
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 2, 18)
    sheet.set_column(3, 3, 70)
    workbook.close()
    return relative


def household_import_resume(*, actor: User, job: Job) -> Job:
    """Run a failed or stalled import again from its checkpoint (only its uploader); audited."""
    if job.created_by_id != actor.pk:
        raise NotFound()
    if job.status == JobStatus.SUCCEEDED:
        return job
    from creditvillage.collection.imports.tasks import run_household_import

    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, message="")
        audit.record(
            actor=actor,
            action="import.resumed",
            target=job,
            region_code=job.region_code,
            changes={"checkpoint": job.result.get("checkpoint", -1)},
        )
        transaction.on_commit(lambda: run_household_import.enqueue(job.pk))
    job.refresh_from_db()
    return job
