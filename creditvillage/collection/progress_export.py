"""Excel export of a campaign's progress (per village, grid and collector), as a background job.

Formula-inert (reliability.md C15): xlsxwriter writes strings as strings (``strings_to_formulas``
off), and any text cell that a spreadsheet could read as a formula — starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return — is prefixed with an apostrophe (OWASP's CSV-injection
advice), so a grid named ``=HYPERLINK(...)`` stays text in Excel, WPS and LibreOffice alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from creditvillage.accounts.models import User
from creditvillage.collection.progress import CampaignProgress, ProgressRow, access_campaign, campaign_progress
from creditvillage.core import audit
from creditvillage.core.jobs import running, set_total
from creditvillage.core.models import Job
from creditvillage.regions.selectors import access_region

__all__ = ["export_campaign_progress", "inert", "progress_export_start", "write_progress_export"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
JOB_KIND = "campaign_progress_export"

COUNT_HEADERS = ["分配户数", "未开始", "草稿", "待校核", "已退回", "已校核", "完成率（%）"]


def inert(value: Any) -> Any:
    """The cell value with a leading apostrophe when text could start a formula; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _counts(row: ProgressRow) -> list[Any]:
    c = row.counts
    return [c.total, c.not_started, c.draft, c.submitted, c.returned, c.done, c.percent]


def _sheet(workbook: Any, title: str, headers: list[str], rows: list[list[Any]], bold: Any) -> int:
    sheet = workbook.add_worksheet(title)
    sheet.write_row(0, 0, headers, bold)
    for index, row in enumerate(rows, start=1):
        sheet.write_row(index, 0, [inert(value) for value in row])
    sheet.set_column(0, len(headers) - 1, 12)
    return len(rows)


def write_progress_workbook(path: Path, progress: CampaignProgress) -> int:
    """Write the three progress sheets to ``path``; returns the number of data rows."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    bold = workbook.add_format({"bold": True, "bg_color": "#F2DCDB"})
    villages = [[row.key, row.label, *_counts(row), "已关闭" if row.closed else "未关闭"] for row in progress.villages]
    grids = [[row.village, row.label or "未划网格", *_counts(row)] for row in progress.grids]
    collectors = [[row.label, *_counts(row)] for row in progress.collectors]
    count = _sheet(workbook, "按村", ["区划代码", "村", *COUNT_HEADERS, "本批次关闭"], villages, bold)
    count += _sheet(workbook, "按网格", ["村", "网格", *COUNT_HEADERS], grids, bold)
    count += _sheet(workbook, "按采集员", ["采集员", *COUNT_HEADERS], collectors, bold)
    workbook.close()
    return count


def write_progress_export(job_id: int) -> int:
    """Write the export file for ``job_id`` as its creator may see the campaign; audited as an export."""
    with running(job_id) as job:
        user = User.objects.get(pk=job.created_by_id or 0)
        campaign = access_campaign(user, job.params.get("campaign"))
        progress = campaign_progress(actor=user, campaign=campaign, region=job.params.get("region", ""))
        set_total(job, len(progress.villages) + len(progress.grids) + len(progress.collectors))
        relative = Path("exports") / f"campaign-progress-{job.pk}-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        count = write_progress_workbook(path, progress)
        job.result_file = str(relative)
        job.result = {"rows": count}
        job.save(update_fields=["result_file", "result"])
        audit.record(
            actor=user,
            action="campaign.progress_exported",
            target=campaign,
            region_code=progress.region.code,
            changes={"rows": count, "filters": job.params},
        )
        return count


@task()
def export_campaign_progress(job_id: int) -> int:
    """Export a campaign's progress tables to xlsx for the job's creator."""
    return write_progress_export(job_id)


def progress_export_start(*, actor: User, campaign_pk: int, region: str = "") -> Job:
    """Queue a progress export for ``actor``; the file holds only what the actor may count.

    NotFound if the campaign or region is outside the actor's scope; both are checked again when the
    job runs, as its creator. The job belongs to the actor (other users get a 404 for it).
    """
    access_campaign(actor, campaign_pk)
    if region:
        region = access_region(actor, region).code
    params = {"campaign": campaign_pk, "region": region[:12]}
    with transaction.atomic():
        job = Job.objects.create(kind=JOB_KIND, created_by=actor, params=params, region_code=region[:12])
        transaction.on_commit(lambda: export_campaign_progress.enqueue(job.pk))
    return job
