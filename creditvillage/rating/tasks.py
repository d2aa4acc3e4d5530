"""Background entry points of the rating app: thin, load by id, call the service."""

from __future__ import annotations

from django_tasks import task

from creditvillage.core.jobs import running
from creditvillage.core.models import Job
from creditvillage.rating.models import RatingCycle
from creditvillage.rating.services import cycle_run


@task()
def run_cycle_batch(job_id: int) -> dict[str, object]:
    """Run a cycle's preliminary batch (系统初评) for the job's cycle; progress is stored on the job."""
    with running(job_id) as job:
        cycle = RatingCycle.objects.get(pk=job.params["cycle"])
        if job.created_by is None:
            raise ValueError("a rating run needs the user who started it")
        run = cycle_run(actor=job.created_by, cycle=cycle, job=job)
        result = {"run": run.pk, "subjects": run.subjects, "counts": run.counts, "seconds": round(run.seconds, 2)}
        job.total = run.subjects
        Job.objects.filter(pk=job_id).update(result=result, total=run.subjects, message=f"{run.subjects}")
    return result
