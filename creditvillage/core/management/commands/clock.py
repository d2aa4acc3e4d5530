"""``creditvillage clock [--interval SECONDS]``: run the daily jobs when they are due, for ever.

Started by ``creditvillage serve`` next to the task worker. Each pass is ``run_due()``: cheap when
everything is done for the day (one query per job), so a short interval only costs a few queries.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from creditvillage.core.schedule import run_due


class Command(BaseCommand):
    help = "定时器：每隔一段时间检查并运行当天尚未完成的每日任务"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=300.0, help="检查间隔（秒），默认 300")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            close_old_connections()
            for outcome in run_due():
                if outcome.status != "skipped":
                    self.stdout.write(f"daily {outcome.job} {outcome.status} {outcome.result}", ending="\n")
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(1.0, options["interval"]))
