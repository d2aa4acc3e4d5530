"""Daily jobs: what must happen once a day whether or not anybody clicks (ADR 0041).

The jobs are named in ``settings.DAILY_JOBS`` (name → dotted path of a callable taking ``today``).
``run_due`` runs each job at most once per day: a ``DailyRun`` row per (job, day) is the claim, so
two clocks, a cron line and a hand-run ``creditvillage daily`` can overlap without doing a job twice.
A failed job is retried by the next pass; a job still marked running after ``STALE_AFTER`` is assumed
dead (its process crashed; each job is transactional and idempotent) and is run again.

``creditvillage clock`` (started by ``creditvillage serve``) calls ``run_due`` every few minutes;
``creditvillage daily`` runs it once (from cron, or by hand with ``--date`` to catch up a day).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from creditvillage.core.models import DailyRun, DailyRunStatus

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(hours=2)


@dataclass(frozen=True)
class Outcome:
    job: str
    status: str  # done | failed | skipped
    result: dict[str, Any]
    seconds: float = 0.0


def jobs() -> dict[str, str]:
    return dict(getattr(settings, "DAILY_JOBS", {}))


def _claim(job: str, day: dt.date, *, force: bool) -> DailyRun | None:
    """The run row this process now owns, or None when the job is done (or running elsewhere) for the day."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return DailyRun.objects.create(job=job, day=day, started_at=now)
    except IntegrityError:
        pass
    retry = Q(status=DailyRunStatus.FAILED) | Q(status=DailyRunStatus.RUNNING, started_at__lt=now - STALE_AFTER)
    if force:
        retry |= Q(status=DailyRunStatus.DONE)
    claimed = DailyRun.objects.filter(retry, job=job, day=day).update(
        status=DailyRunStatus.RUNNING, started_at=now, finished_at=None, error="", attempts=F("attempts") + 1
    )
    return DailyRun.objects.get(job=job, day=day) if claimed else None


def _as_result(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {str(k): v if isinstance(v, int | float | str | bool | None) else str(v) for k, v in value.items()}
    if isinstance(value, int):
        return {"count": value}
    return {} if value is None else {"value": str(value)}


def run_due(today: dt.date | None = None, *, only: str | None = None, force: bool = False) -> list[Outcome]:
    """Run every daily job not yet done for ``today`` (the local date by default)."""
    day = today or timezone.localdate()
    outcomes = []
    for name, path in jobs().items():
        if only and name != only:
            continue
        run = _claim(name, day, force=force)
        if run is None:
            outcomes.append(Outcome(name, "skipped", {}))
            continue
        func: Callable[..., Any] = import_string(path)
        started = time.perf_counter()
        try:
            result = _as_result(func(today=day))
        except Exception as exc:  # one job's failure must not stop the others; it is retried next pass
            log.exception("daily job %s failed for %s", name, day)
            run.status, run.error = DailyRunStatus.FAILED, "".join(traceback.format_exception_only(exc))[:2000]
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
            outcomes.append(Outcome(name, "failed", {"error": run.error}, time.perf_counter() - started))
            continue
        run.status, run.result, run.finished_at = DailyRunStatus.DONE, result, timezone.now()
        run.save(update_fields=["status", "result", "finished_at"])
        outcomes.append(Outcome(name, "done", result, time.perf_counter() - started))
    return outcomes
