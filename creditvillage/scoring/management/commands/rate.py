"""``creditvillage rate --region CODE [--model CODE]``: one preliminary rating run, one summary line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from creditvillage.core.errors import DomainError
from creditvillage.scoring import batch


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # a batch command: start fast (the checks run in CI and on serve)
    help = "Score and grade every subject under a region with the active (or named) model as one preliminary run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", required=True, help="division code (2/4/6/9/12 digits)")
        parser.add_argument("--model", default=None, help="model code (default: the default household model)")
        parser.add_argument("--chunk", type=int, default=None, help="subjects per chunk")
        parser.add_argument("--refresh", action="store_true", help="recompute the indicator rows first")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = batch.rating_run_create(
                actor=None,
                region_code=options["region"],
                model_code=options["model"],
                chunk_size=options["chunk"],
                refresh=True if options["refresh"] else None,
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        counts = " ".join(f"{grade}={n}" for grade, n in run.counts.items())
        self.stdout.write(
            f"rate region={run.region_code} model={run.model_code} version={run.model_version} run={run.pk} "
            f"subjects={run.subjects} {counts} seconds={run.seconds:.3f} ({run.message})"
        )
