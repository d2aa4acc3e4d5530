"""Background entry points for the registry: thin, load by id, call the work."""

from __future__ import annotations

from django_tasks import task

from creditvillage.registry.exports import write_household_export


@task()
def export_households(job_id: int) -> int:
    """Export the households a user may see to xlsx, reporting progress on the job."""
    return write_household_export(job_id)
