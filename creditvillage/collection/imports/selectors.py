"""Reads of import jobs: the uploader's own, and those of regions the actor may import into."""

from __future__ import annotations

from django.db.models import Q

from creditvillage.accounts.models import User
from creditvillage.accounts.roles import Action
from creditvillage.collection.imports.services import KIND
from creditvillage.core.errors import NotFound
from creditvillage.core.models import Job, JobStatus
from creditvillage.core.scope import code_range


def _visible(actor: User) -> Q | None:
    if actor.is_superuser:
        return Q()
    q = Q(created_by=actor)
    for grant in actor.grants_for(Action.IMPORT):
        if grant.household_id is None and grant.bank_id is None and grant.merchant_id is None:
            lo, hi = code_range(grant.prefix)
            q |= Q(region_code__gte=lo, region_code__lte=hi)
    return q


def import_jobs(actor: User, limit: int = 20) -> list[Job]:
    """The latest imports the actor may see: their own, and any in a region they may import into."""
    if not actor.is_authenticated:
        return []
    q = _visible(actor)
    return list(Job.objects.filter(q, kind=KIND).select_related("created_by").order_by("-created_at", "-pk")[:limit])


def import_job(actor: User, job_id: int) -> Job:
    """One import job, or NotFound (missing and out of scope look the same)."""
    if not actor.is_authenticated or not (actor.has_action(Action.IMPORT) or actor.is_superuser):
        raise NotFound()
    job = Job.objects.filter(_visible(actor), kind=KIND, pk=job_id).first()
    if job is None:
        raise NotFound()
    return job


# Share of the bar given to validation (reading and checking every row); writing takes the rest.
VALIDATION_SHARE = 30


def import_progress(job: Job) -> dict[str, object]:
    """One bar over both phases: ``percent`` (0–100, never moving back), the ``phase``
    (``validating`` / ``writing`` / ``""`` before or after) and the phase's rows ``done`` of ``total``."""
    phase = str((job.result or {}).get("phase", "")) if job.status == JobStatus.RUNNING else ""
    share = job.done / job.total if job.total else 0.0
    if job.status == JobStatus.SUCCEEDED:
        percent = 100
    elif phase == "validating":
        percent = int(VALIDATION_SHARE * share)
    elif phase == "writing":
        percent = VALIDATION_SHARE + int((100 - VALIDATION_SHARE) * share)
    else:
        percent = job.percent
    return {"percent": min(100, percent), "phase": phase, "done": job.done, "total": job.total}
