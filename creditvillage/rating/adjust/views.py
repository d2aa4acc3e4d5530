"""Pages of dynamic adjustment, the negative list and credit repair."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.scope import can
from creditvillage.rating.adjust import selectors, services
from creditvillage.rating.adjust.forms import DowngradeForm, NegativeListImportForm, OpinionForm, RepairApplyForm
from creditvillage.rating.adjust.models import RepairStatus
from creditvillage.rating.selectors import current_rating
from creditvillage.registry.selectors import access_household, own_households


def _form_error(form: Any, exc: DomainError) -> None:
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    form.add_error(field if field in form.fields else None, exc.message)


@login_required
def adjust_home(request: AuthedRequest) -> HttpResponse:
    actor = request.user
    return render(
        request,
        "rating/adjust/home.html",
        {
            "notifications": selectors.notification_list(actor=actor, limit=20),
            "adjustments": list(selectors.adjustment_list(actor=actor)[:50]),
            "repairs": list(selectors.repair_list(actor=actor)[:50]),
            "hits": selectors.negative_hits_in_scope(actor=actor)[:50],
            "manages_list": selectors.may_manage_negative_list(actor),
            "own": own_households(actor=actor),
            "may_decide": actor.is_superuser or bool(actor.grants_for(Action.DECIDE)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def negative_list_page(request: AuthedRequest) -> HttpResponse:
    actor = request.user
    if not selectors.may_manage_negative_list(actor):
        raise DjangoPermissionDenied
    form = NegativeListImportForm(request.POST or None, request.FILES or None)
    problems: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.negative_list_import(
                actor=actor, data=form.cleaned_data["file"].read(), reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            problems = list(exc.details.get("errors", []))
            form.add_error(None, exc.message)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        else:
            messages.success(
                request,
                _("已导入%(n)d条，%(d)d个主体的信用等级已下调") % {"n": result.created, "d": result.downgraded},
            )
            return redirect("rating:adjust-negative-list")
    include_closed = request.GET.get("closed") == "1"
    return render(
        request,
        "rating/adjust/negative_list.html",
        {
            "form": form,
            "problems": problems,
            "rows": selectors.negative_entry_rows(actor=actor, include_closed=include_closed),
            "include_closed": include_closed,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def downgrade_page(request: AuthedRequest, household_pk: int) -> HttpResponse:
    actor = request.user
    try:
        household = access_household(actor, household_pk)
    except NotFound as exc:
        raise Http404 from exc
    if not can(actor, Action.DECIDE, household):
        raise Http404
    rating = current_rating(subject_type="household", subject_id=household.pk)
    form = DowngradeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_downgrade(
                actor=actor,
                subject_type="household",
                subject_id=household.pk,
                reason=form.cleaned_data["reason"],
                source=form.cleaned_data["source"],
                to_grade=form.cleaned_data["to_grade"].strip().upper() or None,
            )
        except (ValidationFailed, services.RatingConflict) as exc:
            _form_error(form, exc)
        except NotFound as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("信用等级已调整，已通知所在村"))
            return redirect("rating:adjust-home")
    return render(request, "rating/adjust/downgrade.html", {"form": form, "household": household, "rating": rating})


@login_required
def repair_list_page(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in RepairStatus.values:
        status = ""
    repairs = list(selectors.repair_list(actor=request.user, status=status)[:200])
    return render(
        request,
        "rating/adjust/repair_list.html",
        {"repairs": repairs, "status": status, "statuses": RepairStatus.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def repair_apply_page(request: AuthedRequest) -> HttpResponse:
    actor = request.user
    households = [h for h in own_households(actor=actor) if can(actor, Action.APPLY, h)]
    if not households:
        raise Http404
    household = households[0]
    items = selectors.repairable_items(household=household)
    form = RepairApplyForm(request.POST or None, request.FILES or None, items=items)
    if request.method == "POST" and form.is_valid():
        kind, _sep, pk = form.cleaned_data["item"].partition(":")
        try:
            application = services.repair_apply(
                actor=actor,
                household=household,
                negative_entry_id=int(pk) if kind == "entry" else None,
                adjustment_id=int(pk) if kind == "adjustment" else None,
                evidence_text=form.cleaned_data["evidence_text"],
                evidence_file=form.cleaned_data.get("evidence_file"),
            )
        except ValidationFailed as exc:
            _form_error(form, exc)
        except NotFound as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("修复申请已提交，村里审核后报乡镇审批"))
            return redirect("rating:adjust-repair-detail", application.pk)
    return render(request, "rating/adjust/repair_apply.html", {"form": form, "household": household, "items": items})


def _decide(request: AuthedRequest, application: Any, step: str, form: OpinionForm) -> bool:
    approve = form.cleaned_data["decision"] == "approve"
    opinion = form.cleaned_data["opinion"]
    try:
        if step == "village":
            services.repair_village_review(
                actor=request.user, application=application, approve=approve, opinion=opinion
            )
        elif step == "township":
            services.repair_township_decide(
                actor=request.user, application=application, approve=approve, opinion=opinion
            )
        else:
            services.repair_complete(actor=request.user, application=application)
    except (ValidationFailed, services.RatingConflict) as exc:
        form.add_error(None, exc.message)
        return False
    except NotFound as exc:
        raise Http404 from exc
    return True


@login_required
@require_http_methods(["GET", "POST"])
def repair_detail_page(request: AuthedRequest, pk: int) -> HttpResponse:
    actor = request.user
    try:
        application = selectors.access_repair(actor, pk)
    except NotFound as exc:
        raise Http404 from exc
    household = application.household
    steps: dict[str, str] = {
        RepairStatus.SUBMITTED: "village",
        RepairStatus.VILLAGE_REVIEWED: "township",
        RepairStatus.PUBLICITY: "complete",
    }
    step = steps.get(application.status, "")
    may_act = step != "" and (
        can(actor, Action.CHANGE, household) if step == "village" else can(actor, Action.DECIDE, household)
    )
    data: dict[str, str] | None = request.POST.dict() if request.method == "POST" else None
    if step == "complete" and data is not None:
        data.setdefault("decision", "approve")
        data.setdefault("opinion", "-")
    form = OpinionForm(data)
    if request.method == "POST":
        if not may_act:
            raise Http404
        if form.is_valid() and _decide(request, application, step, form):
            messages.success(request, _("已办理"))
            return redirect("rating:adjust-repair-detail", application.pk)
    return render(
        request,
        "rating/adjust/repair_detail.html",
        {"application": application, "household": household, "step": step, "may_act": may_act, "form": form},
    )


@login_required
def repair_evidence(request: AuthedRequest, pk: int) -> FileResponse:
    try:
        application = selectors.access_repair(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    if not application.evidence_file:
        raise Http404
    name = application.evidence_file.name or "evidence"
    return FileResponse(application.evidence_file.open("rb"), as_attachment=True, filename=name.rsplit("/", 1)[-1])


@login_required
def repair_publicity_page(request: AuthedRequest) -> HttpResponse:
    return render(request, "rating/adjust/publicity.html", {"rows": selectors.publicity_list(actor=request.user)})
