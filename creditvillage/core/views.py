from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from creditvillage.accounts.http import HtmxRequest
from creditvillage.core.models import Job, JobStatus


def _own_job(request: HttpRequest, pk: int) -> Job:
    # A job belongs to whoever started it; anyone else gets the same 404 as for a missing job.
    return get_object_or_404(Job, pk=pk, created_by=request.user)


@login_required
def job_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    partial = request.htmx and not request.htmx.history_restore_request
    template = "core/partials/_job_progress.html" if partial else "core/job_detail.html"
    return render(request, template, {"job": job, "finished": job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)})


@login_required
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _own_job(request, pk)
    if job.status != JobStatus.SUCCEEDED or not job.result_file:
        raise Http404
    path = (Path(settings.MEDIA_ROOT) / job.result_file).resolve()
    if not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve()) or not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
