"""Background entry points: thin, load the job, call the service."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from creditvillage.accounts.models import User
from creditvillage.core.models import Job, JobStatus
from creditvillage.scoring import batch


@task()
def rate_region(job_id: int) -> dict[str, Any]:
    """One preliminary rating run with the job's params (region, model), progress on the job."""
    from django.utils import timezone

    job = Job.objects.get(pk=job_id)
    actor = User.objects.filter(pk=job.created_by_id).first() if job.created_by_id else None
    try:
        run = batch.rating_run_create(
            actor=actor,
            region_code=str(job.params["region"]),
            model_code=job.params.get("model") or None,
            job=job,
        )
    except Exception as exc:
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), message=f"{type(exc).__name__}: {exc}"[:500]
        )
        raise
    result = {"run_id": run.pk, "subjects": run.subjects, "counts": run.counts, "seconds": run.seconds}
    counts = " ".join(f"{g} {n}" for g, n in run.counts.items())
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.SUCCEEDED,
        finished_at=timezone.now(),
        total=run.subjects,
        done=run.subjects,
        result=result,
        message=f"{run.subjects} · {counts} · {run.seconds:.2f}s"[:500],
    )
    return result
