"""``creditvillage daily [--date YYYY-MM-DD] [--job NAME] [--force]``: run today's daily jobs once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from creditvillage.core.schedule import jobs, run_due


class Command(BaseCommand):
    help = "运行每日任务（贷款逾期与违约、负面信息到期、信用修复生效）；每个任务每天只成功运行一次，可重复调用"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", default="", help="按该日期运行（默认今天），格式 2026-01-31")
        parser.add_argument("--job", default="", help="只运行这一个任务：" + "、".join(jobs()))
        parser.add_argument("--force", action="store_true", help="当天已完成的也再运行一次（任务本身是幂等的）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["job"] and options["job"] not in jobs():
            raise CommandError(f"unknown job {options['job']!r}; known: {', '.join(jobs())}")
        day = dt.date.fromisoformat(options["date"]) if options["date"] else None
        failed = 0
        for outcome in run_due(day, only=options["job"] or None, force=options["force"]):
            figures = " ".join(f"{k}={v}" for k, v in outcome.result.items() if k != "error")
            self.stdout.write(f"{outcome.job} {outcome.status} {figures}".rstrip())
            if outcome.status == "failed":
                failed += 1
                self.stderr.write(f"{outcome.job}: {outcome.result.get('error', '')}")
        if failed:
            raise CommandError(f"{failed} daily job(s) failed; the next run retries them")
