"""Background entry point of the household import: thin, load by id, call the service."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from creditvillage.collection.imports.services import household_import_run


@task()
def run_household_import(job_id: int) -> dict[str, Any]:
    """Validate and write an uploaded household file; resumes from the job's checkpoint."""
    result = household_import_run(job_id)
    return {key: result.get(key) for key in ("rows_total", "rows_imported", "rows_rejected")}
