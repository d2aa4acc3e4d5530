"""Progress reporting for background jobs (core.Job), used by tasks in every app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.utils import timezone

from creditvillage.core.models import Job, JobStatus


@contextmanager
def running(job_id: int) -> Iterator[Job]:
    """Mark the job running, yield it, then succeeded — or failed with the error, re-raising."""
    Job.objects.filter(pk=job_id).update(status=JobStatus.RUNNING, started_at=timezone.now())
    job = Job.objects.get(pk=job_id)
    try:
        yield job
    except Exception as exc:
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), message=f"{type(exc).__name__}: {exc}"[:500]
        )
        raise
    Job.objects.filter(pk=job_id).update(status=JobStatus.SUCCEEDED, finished_at=timezone.now(), done=job.total)


def progress_reporter(job: Job, every: int = 500) -> Callable[[int], None]:
    """A callback that stores ``done`` at most once per ``every`` rows (cheap on big jobs)."""
    last = [0]

    def report(done: int) -> None:
        if done - last[0] >= every or done == job.total:
            last[0] = done
            Job.objects.filter(pk=job.pk).update(done=done)

    return report


def set_total(job: Job, total: int, **fields: Any) -> None:
    job.total = total
    Job.objects.filter(pk=job.pk).update(total=total, **fields)
