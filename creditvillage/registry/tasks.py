"""Background entry points for the registry: thin, load by id, call the work."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django_tasks import task

from creditvillage.core.jobs import progress_reporter, running, set_total
from creditvillage.core.models import Job
from creditvillage.registry.exports import write_household_export
from creditvillage.registry.generation import archives_generate


@task()
def export_households(job_id: int) -> int:
    """Export the households a user may see to xlsx, reporting progress on the job."""
    return write_household_export(job_id)


@task()
def generate_archives(job_id: int) -> dict[str, Any]:
    """Generate synthetic archives with the job's params (county, villages, households, seed, replace).

    Progress (households written) is stored on the job; the summary goes to ``job.result``.
    """
    with running(job_id) as job:
        params = job.params
        set_total(job, int(params["households"]))
        report = progress_reporter(job, every=10_000)
        summary = archives_generate(
            county=str(params["county"]),
            villages=int(params["villages"]),
            households=int(params["households"]),
            seed=int(params.get("seed", 0)),
            replace=bool(params.get("replace", False)),
            progress=lambda done, _total: report(done),
        )
        result = {**asdict(summary), "per_second": round(summary.per_second)}
        Job.objects.filter(pk=job_id).update(result=result, message=summary.summary())
    return result
