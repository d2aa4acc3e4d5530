"""Pages for campaigns: create, progress (table, bar, chart, Excel export), assignments, a collector's
own list, and data quality per village. Thin: parse, call one selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.collection import campaigns as services
from creditvillage.collection import progress as selectors
from creditvillage.collection import quality
from creditvillage.collection.campaign_forms import AssignForm, CampaignForm, ReassignForm
from creditvillage.collection.models import Campaign
from creditvillage.collection.progress_export import progress_export_start
from creditvillage.core.errors import DomainError, NotFound
from creditvillage.regions.choices import RegionLevel
from creditvillage.regions.models import Region

QUALITY_ACTIONS = (Action.CHANGE, Action.VERIFY, Action.AUDIT)
STAGES = ("returned", "not_started", "draft", "submitted", "done")


def _require(request: AuthedRequest, *actions: str) -> None:
    """403 unless the user holds one of the actions somewhere (scope decides the rest: 404)."""
    if not any(request.user.has_action(action) for action in actions):
        raise PermissionDenied


def _campaign(request: AuthedRequest, pk: int) -> Campaign:
    try:
        return selectors.access_campaign(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc


def _region_param(request: AuthedRequest) -> str:
    return request.GET.get("region", "")[:12]


@login_required
def campaign_create(request: AuthedRequest) -> HttpResponse:
    _require(request, services.CAMPAIGN_ACTION)
    regions = Region.objects.visible_to(request.user, services.CAMPAIGN_ACTION).filter(
        level__in=[RegionLevel.TOWNSHIP, RegionLevel.COUNTY]
    )[:400]
    form = CampaignForm(request.POST or None, regions=Region.objects.filter(pk__in=[r.pk for r in regions]))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(actor=request.user, **data)
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            form.add_error(exc.details.get("field") if exc.details.get("field") in form.fields else None, exc.message)
        else:
            messages.success(request, _("采集批次已设立。"))
            return redirect("collection:campaign-progress", pk=campaign.pk)
    return render(request, "collection/campaign_form.html", {"form": form})


@login_required
def campaign_progress(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request, Action.VIEW_STATS)
    campaign = _campaign(request, pk)
    try:
        progress = selectors.campaign_progress(actor=request.user, campaign=campaign, region=_region_param(request))
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "collection/campaign_progress.html",
        {
            "campaign": campaign,
            "progress": progress,
            "chart": progress.chart() if progress.villages else None,
            "can_export": request.user.has_action(Action.EXPORT),
            "can_assign": request.user.has_action(services.ASSIGN_ACTION),
            "can_quality": any(request.user.has_action(a) for a in QUALITY_ACTIONS),
            "region": _region_param(request),
        },
    )


@login_required
@require_POST
def campaign_progress_export(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request, Action.EXPORT)
    try:
        job = progress_export_start(actor=request.user, campaign_pk=pk, region=request.POST.get("region", "")[:12])
    except NotFound as exc:
        raise Http404 from exc
    return redirect("job-detail", pk=job.pk)


@login_required
def assignment_mine(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request, Action.CHANGE)
    campaign = _campaign(request, pk)
    stage = request.GET.get("stage", "")
    stage = stage if stage in STAGES else ""
    worklist = selectors.collector_worklist(actor=request.user, campaign=campaign, stage=stage)
    return render(
        request, "collection/assignment_mine.html", {"campaign": campaign, "worklist": worklist, "stage": stage}
    )


def _assign_forms(request: AuthedRequest, campaign: Campaign, data: Any = None) -> dict[str, Any]:
    grids, groups = selectors.campaign_places(actor=request.user, campaign=campaign)
    collectors = selectors.campaign_collectors(actor=request.user, campaign=campaign)
    action = request.POST.get("form") if data is not None else None
    return {
        "assign_form": AssignForm(
            data if action == "assign" else None, grids=grids, groups=groups, collectors=collectors
        ),
        "reassign_form": ReassignForm(data if action == "reassign" else None, collectors=collectors),
    }


def _assign_post(request: AuthedRequest, campaign: Campaign, forms: dict[str, Any]) -> HttpResponse | None:
    form = forms["assign_form"] if request.POST.get("form") == "assign" else forms["reassign_form"]
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        if form is forms["reassign_form"]:
            result = services.assignment_reassign(
                actor=request.user,
                campaign=campaign,
                collector=data["to_collector"],
                from_collector=data["from_collector"],
                reason=data["reason"],
            )
            messages.success(request, _("已调整 %(count)s 户的采集员。") % {"count": len(result.moved)})
        elif data["by"] == "grid":
            result = services.assignment_create_by_grid(
                actor=request.user, campaign=campaign, grid=data["grid"], collector=data["collector"]
            )
        else:
            result = services.assignment_create_by_group(
                actor=request.user, campaign=campaign, group=data["group"], collector=data["collector"]
            )
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        form.add_error(None, exc.message)
        return None
    if form is forms["assign_form"]:
        messages.success(
            request,
            _("已分配 %(created)s 户；%(taken)s 户此前已分配，未改动。")
            % {"created": len(result.created), "taken": len(result.already_assigned)},
        )
    return redirect("collection:assignment-manage", pk=campaign.pk)


@login_required
def assignment_manage(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request, services.ASSIGN_ACTION)
    campaign = _campaign(request, pk)
    forms = _assign_forms(request, campaign, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        response = _assign_post(request, campaign, forms)
        if response is not None:
            return response
    progress = selectors.campaign_progress(actor=request.user, campaign=campaign)
    return render(request, "collection/assignment_manage.html", {"campaign": campaign, "progress": progress, **forms})


@login_required
def campaign_quality(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request, *QUALITY_ACTIONS)
    campaign = _campaign(request, pk)
    try:
        rows = quality.campaign_quality(actor=request.user, campaign=campaign, region=_region_param(request))
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "collection/quality_campaign.html",
        {"campaign": campaign, "rows": rows, "flag_labels": quality.FLAG_LABELS},
    )


@login_required
def village_quality(request: AuthedRequest, pk: int, code: str) -> HttpResponse:
    _require(request, *QUALITY_ACTIONS)
    campaign = _campaign(request, pk)
    try:
        report = quality.village_quality(actor=request.user, campaign=campaign, village=code)
    except NotFound as exc:
        raise Http404 from exc
    only_flagged = request.GET.get("flagged") == "1"
    households = [row for row in report.households if row.flags] if only_flagged else report.households
    return render(
        request,
        "collection/quality_village.html",
        {"campaign": campaign, "report": report, "households": households, "only_flagged": only_flagged},
    )
