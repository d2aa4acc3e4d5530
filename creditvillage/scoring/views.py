from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.core import errors
from creditvillage.core.models import Job
from creditvillage.rating.models import RatingRun
from creditvillage.regions.models import Region
from creditvillage.scoring import selectors, services
from creditvillage.scoring.forms import ActivateForm, IndicatorForm, ReasonForm, RunForm, SimulateForm
from creditvillage.scoring.models import Indicator, ModelVersion, ScoringModel, VersionStatus
from creditvillage.scoring.tasks import rate_region


def _operator(request: AuthedRequest) -> None:
    if not selectors.is_operator(request.user):
        raise PermissionDenied


def _configure(request: AuthedRequest) -> None:
    if not selectors.can_configure(request.user):
        raise PermissionDenied


def _rate_regions(request: AuthedRequest) -> list[Region]:
    return list(
        Region.objects.visible_to(request.user, Action.RATE).filter(level__in=["county", "township"]).order_by("code")
    )


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    _operator(request)
    models = selectors.model_list(request.user)
    regions = _rate_regions(request)
    runs = list(RatingRun.objects.visible_to(request.user, Action.VIEW).order_by("-started_at", "-pk")[:10])
    names = Region.objects.in_bulk({run.region_code for run in runs})
    for run in runs:
        run.region_label = names[run.region_code].name if run.region_code in names else run.region_code  # type: ignore[attr-defined]
    # Village ratings follow the credit-village criteria (rating/villages), not a batch run.
    batch_models = [m for m in models if m.subject_type != "village"]
    form = RunForm(regions=regions, models=batch_models) if regions else None
    context = {"models": models, "form": form, "runs": runs, "can_configure": selectors.can_configure(request.user)}
    return render(request, "scoring/home.html", context)


def _version(request: AuthedRequest, pk: int) -> ModelVersion:
    try:
        return selectors.version_get(request.user, pk)
    except errors.NotFound as exc:
        raise Http404 from exc
    except errors.PermissionDenied as exc:
        raise PermissionDenied from exc


@login_required
def version_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    tables = selectors.version_tables(version)
    problems = services.version_errors(version) if version.status == VersionStatus.DRAFT else []
    context = {
        "version": version,
        "tables": tables,
        "problems": problems,
        "can_configure": selectors.can_configure(request.user),
        "draft_form": ReasonForm(),
    }
    return render(request, "scoring/version.html", context)


@login_required
@require_POST
def draft_create(request: AuthedRequest, pk: int) -> HttpResponse:
    _configure(request)
    model = ScoringModel.objects.filter(pk=pk).first()
    if model is None:
        raise Http404
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写变更原因"))
        active = model.versions.filter(status=VersionStatus.ACTIVE).first() or model.versions.first()
        return redirect("scoring:version", pk=active.pk) if active else redirect("scoring:home")
    draft = services.version_draft_create(actor=request.user, model=model, reason=form.cleaned_data["reason"])
    messages.success(request, _("已创建草稿版本 v%(n)d") % {"n": draft.number})
    return redirect("scoring:version", pk=draft.pk)


@login_required
def indicator_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _configure(request)
    indicator = Indicator.objects.select_related("version__model", "block").filter(pk=pk).first()
    if indicator is None or indicator.version.status != VersionStatus.DRAFT:
        raise Http404
    form = IndicatorForm(request.POST or None, indicator=indicator)
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_update(
                actor=request.user, indicator=indicator, changes=form.changes(), reason=form.cleaned_data["reason"]
            )
        except errors.ValidationFailed as exc:
            form.add_error(None, f"{exc.message}：{'；'.join(map(str, exc.details.get('bins', [])))}")
        else:
            messages.success(request, _("已保存"))
            return redirect("scoring:version", pk=indicator.version_id)
    return render(request, "scoring/indicator_edit.html", {"indicator": indicator, "form": form})


@login_required
def version_activate(request: AuthedRequest, pk: int) -> HttpResponse:
    _configure(request)
    version = _version(request, pk)
    if version.status != VersionStatus.DRAFT:
        raise Http404
    form = ActivateForm(request.POST or None)
    problems = services.version_errors(version)
    if request.method == "POST" and form.is_valid():
        try:
            services.version_activate(
                actor=request.user,
                version=version,
                effective_from=form.cleaned_data["effective_from"],
                reason=form.cleaned_data["reason"],
            )
        except errors.ValidationFailed as exc:
            problems = list(exc.details.get("errors", [])) or [exc.message]
        else:
            messages.success(request, _("新版本已生效"))
            return redirect("scoring:version", pk=version.pk)
    return render(request, "scoring/activate.html", {"version": version, "form": form, "problems": problems})


@login_required
def simulate(request: AuthedRequest, pk: int) -> HttpResponse:
    _configure(request)
    version = _version(request, pk)
    regions = list(selectors.simulation_regions(request.user))
    form = SimulateForm(request.GET or None, regions=regions)
    result: dict[str, Any] | None = None
    if form.is_bound and form.is_valid():
        try:
            result = selectors.simulate(request.user, version=version, region_code=form.cleaned_data["region"])
        except errors.NotFound as exc:
            raise Http404 from exc
    context = {
        "version": version,
        "form": form,
        "result": result,
        "chart": json.dumps(result["chart"], ensure_ascii=False) if result else "",
    }
    return render(request, "scoring/simulate.html", context)


@login_required
@require_POST
def run_create(request: AuthedRequest) -> HttpResponse:
    """Start a preliminary rating run in the background (township operators: ``rate``)."""
    if not request.user.has_action(Action.RATE):
        raise PermissionDenied
    regions = _rate_regions(request)
    models = list(ScoringModel.objects.order_by("subject_type", "code"))
    form = RunForm(request.POST, regions=regions, models=models)
    if not form.is_valid():
        raise Http404
    params = {"region": form.cleaned_data["region"], "model": form.cleaned_data["model"]}
    with transaction.atomic():
        job = Job.objects.create(
            kind="rating_run", created_by=request.user, params=params, region_code=params["region"]
        )
        transaction.on_commit(lambda: rate_region.enqueue(job.pk))
    return redirect("job-detail", pk=job.pk)
