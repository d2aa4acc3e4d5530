"""Excel export of the household list: scoped to the requester, masked per role, formula-inert."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TypeVar

import xlsxwriter
from django.conf import settings
from django.utils import timezone

from creditvillage.accounts.models import User
from creditvillage.core import audit
from creditvillage.core.jobs import progress_reporter, running, set_total
from creditvillage.core.money import fen_to_yuan
from creditvillage.registry.selectors import household_list, household_rows

T = TypeVar("T")

HEADERS = [
    "户编号",
    "所属村",
    "户主姓名",
    "家庭人口",
    "联系电话",
    "建档状态",
    "信用等级",
    "家庭年收入（元）",
    "主要产业",
]
CHUNK = 2000


def batched(iterable: Iterable[T], size: int) -> Iterator[tuple[T, ...]]:
    """``itertools.batched`` (Python 3.12) for 3.11."""
    iterator = iter(iterable)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


def write_household_export(job_id: int) -> int:
    """Write the export file for ``job_id``; returns the number of rows. Audited as an export."""
    with running(job_id) as job:
        user = User.objects.get(pk=job.created_by_id or 0)
        params = job.params
        rows = household_list(
            actor=user,
            region=params.get("region") or None,
            search=params.get("q", ""),
            grade=params.get("grade", ""),
            status=params.get("status", ""),
        )
        set_total(job, rows.count())
        relative = Path("exports") / f"households-{job.pk}-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"
        path = Path(settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        report = progress_reporter(job)
        # strings_to_formulas=False: a name typed as "=HYPERLINK(...)" stays text (reliability.md C15).
        workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        sheet = workbook.add_worksheet("农户档案")
        bold = workbook.add_format({"bold": True, "bg_color": "#F2DCDB"})
        sheet.write_row(0, 0, HEADERS, bold)
        count = 0
        for chunk in batched(rows.iterator(chunk_size=CHUNK), CHUNK):
            # Masking follows the user's grants for each household's region, as on the list page.
            for row in household_rows(actor=user, households=list(chunk)):
                h, count = row["household"], count + 1
                sheet.write_row(
                    count,
                    0,
                    [
                        h.number,
                        h.region.name,
                        h.head_name,
                        h.member_count,
                        row["phone"],
                        str(h.get_status_display()),
                        h.grade or "未评定",
                        float(fen_to_yuan(h.annual_income_fen)) if row["sensitive"] else "***",
                        h.main_business,
                    ],
                )
                report(count)
        sheet.set_column(0, 0, 16)
        sheet.set_column(1, 8, 12)
        workbook.close()
        job.result_file = str(relative)
        job.result = {"rows": count}
        job.save(update_fields=["result_file", "result"])
        audit.record(
            actor=user,
            action="household.exported",
            target=job,
            region_code=params.get("region", ""),
            changes={"rows": count, "filters": params},
        )
        return count
