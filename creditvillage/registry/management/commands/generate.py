"""``creditvillage generate --county CODE --villages N --households N [--seed S] [--replace]``."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from creditvillage.core.errors import DomainError
from creditvillage.registry.generation import archives_generate


class Command(BaseCommand):
    help = "生成模拟农户档案（成员、资产、收入、负债、保险），用于性能测试；同一 seed 结果相同"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--county", required=True, help="县级区划代码（6位），如 341181")
        parser.add_argument("--villages", type=int, required=True, help="村数，约每12个村一个乡镇")
        parser.add_argument("--households", type=int, required=True, help="总户数，平均分到各村")
        parser.add_argument("--seed", type=int, default=0, help="随机种子（默认 0）")
        parser.add_argument("--replace", action="store_true", help="先删除该县已有的全部农户档案")
        parser.add_argument("--quiet", action="store_true", help="不显示进度")

    def handle(self, *args: Any, **options: Any) -> None:
        show = not options["quiet"] and sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if show:
                sys.stderr.write(f"\r{done}/{total} 户")
                sys.stderr.flush()

        try:
            report = archives_generate(
                county=options["county"],
                villages=options["villages"],
                households=options["households"],
                seed=options["seed"],
                replace=options["replace"],
                progress=progress,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if show:
            sys.stderr.write("\n")
        self.stdout.write(report.summary())
