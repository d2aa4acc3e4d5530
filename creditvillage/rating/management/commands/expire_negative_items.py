"""``creditvillage expire_negative_items [--date YYYY-MM-DD]``: the daily job of dynamic adjustment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from creditvillage.rating.adjust.tasks import run_daily


class Command(BaseCommand):
    help = "负面信息满5年到期失效（到期的动态调整重新评定），公示期满的信用修复生效；可重复运行"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", default="", help="按该日期计算（默认今天），格式 2026-01-31")

    def handle(self, *args: Any, **options: Any) -> None:
        day = dt.date.fromisoformat(options["date"]) if options["date"] else None
        counts = run_daily(day)
        self.stdout.write(
            f"entries_expired={counts['entries']} adjustments_expired={counts['adjustments']} "
            f"rescored={counts['rescored']} repairs_effective={counts['repairs_effective']}"
        )
