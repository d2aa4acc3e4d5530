"""Import pages: upload (with the template download and recent imports), progress and results."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.collection.imports import selectors, services
from creditvillage.collection.imports.columns import template_bytes
from creditvillage.collection.imports.forms import ImportForm
from creditvillage.core.errors import NotFound
from creditvillage.core.models import Job, JobStatus
from creditvillage.regions.choices import RegionLevel
from creditvillage.regions.models import Region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_SHOWN = 500


def _require_import(request: AuthedRequest) -> None:
    if not request.user.has_action(Action.IMPORT):
        raise PermissionDenied


def _regions(request: AuthedRequest) -> list[Region]:
    queryset = Region.objects.visible_to(request.user, Action.IMPORT).filter(
        level__in=[RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE]
    )
    return list(queryset.order_by("code")[:400])


@login_required
def upload(request: AuthedRequest) -> HttpResponse:
    _require_import(request)
    form = ImportForm(request.POST or None, request.FILES or None, regions=_regions(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            job = services.household_import_start(
                actor=request.user, region=form.cleaned_data["region"], upload=form.cleaned_data["file"]
            )
        except services.ImportRefused as exc:
            form.add_error("file", exc.message)
            status = exc.status
        except NotFound as exc:
            raise Http404 from exc
        else:
            return redirect("collection:import-detail", pk=job.pk)
    elif request.method == "POST":
        status = 422
    context = {"form": form, "jobs": selectors.import_jobs(request.user)}
    return render(request, "collection/imports/upload.html", context, status=status)


@login_required
def template(request: AuthedRequest) -> HttpResponse:
    _require_import(request)
    response = HttpResponse(template_bytes(), content_type=XLSX)
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E5%86%9C%E6%88%B7%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


def _job(request: AuthedRequest, pk: int) -> Job:
    _require_import(request)
    try:
        return selectors.import_job(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
@vary_on_headers("HX-Request")
def detail(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    result = job.result or {}
    finished = job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
    context = {
        "job": job,
        "progress": selectors.import_progress(job),
        "result": result,
        "finished": finished,
        "errors": result.get("errors", [])[:ERRORS_SHOWN],
        "errors_total": result.get("errors_total", 0),
        "errors_shown": min(ERRORS_SHOWN, len(result.get("errors", []))),
        "can_resume": job.status == JobStatus.FAILED and job.created_by_id == request.user.pk,
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template_name = "collection/imports/_progress.html" if partial else "collection/imports/detail.html"
    return render(request, template_name, context)


@login_required
def report(request: AuthedRequest, pk: int) -> FileResponse:
    job = _job(request, pk)
    relative = (job.result or {}).get("report") or ""
    if not relative:
        raise Http404
    path = services.media_path(relative)
    if not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"import-{job.pk}-errors.xlsx")


@login_required
@require_POST
def resume(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        services.household_import_resume(actor=request.user, job=job)
    except NotFound as exc:
        raise Http404 from exc
    return redirect("collection:import-detail", pk=job.pk)
