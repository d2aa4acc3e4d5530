"""Pages of credit village / township rating: list, apply, review sheet, criteria."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.core.errors import NotFound, PermissionDenied, ValidationFailed
from creditvillage.rating.villages import criteria, selectors, services
from creditvillage.rating.villages.forms import ApplicationForm, CriteriaForm, DecisionForm
from creditvillage.rating.villages.models import CreditRegionLevel, CreditRegionStatus
from creditvillage.regions.models import Region


@login_required
def villages_home(request: AuthedRequest) -> HttpResponse:
    applications = list(selectors.application_list(actor=request.user)[:200])
    return render(request, "rating/villages/home.html", {"applications": applications})


def _applicable_regions(actor: AuthedRequest) -> list[Region]:
    user = actor.user
    return list(
        Region.objects.visible_to(user, Action.CHANGE).filter(level__in=("village", "township")).order_by("code")[:400]
    )


@login_required
@require_http_methods(["GET", "POST"])
def villages_apply(request: AuthedRequest) -> HttpResponse:
    regions = _applicable_regions(request)
    if not regions:
        raise Http404
    form = ApplicationForm(request.POST or None, regions=regions, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        region = next(r for r in regions if r.code == form.cleaned_data["region"])
        try:
            application = services.credit_application_submit(
                actor=request.user,
                region=region,
                year=form.cleaned_data["year"],
                requested_grade=form.cleaned_data["requested_grade"],
                statement=form.cleaned_data["statement"],
                no_discipline_declared=form.cleaned_data["no_discipline_declared"],
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        except NotFound:
            form.add_error("region", _("您不能为该区域申报"))
        else:
            messages.success(request, _("申报已提交，等待上级审核"))
            return redirect("rating:villages-detail", application.pk)
    return render(request, "rating/villages/apply.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def villages_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        application = selectors.access_application(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    steps: dict[str, str] = {CreditRegionStatus.SUBMITTED: "review", CreditRegionStatus.PUBLICITY: "approval"}
    step = steps.get(application.status, "")
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if not step:
            raise Http404
        if form.is_valid():
            service = services.credit_application_review if step == "review" else services.credit_application_approve
            try:
                service(
                    actor=request.user,
                    application=application,
                    approve=form.cleaned_data["decision"] == "approve",
                    opinion=form.cleaned_data["opinion"],
                )
            except (ValidationFailed, services.Conflict) as exc:
                form.add_error(None, exc.message)
            except NotFound as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("已办理"))
                return redirect("rating:villages-detail", application.pk)
    sheet = selectors.application_review_sheet(application)
    return render(
        request,
        "rating/villages/detail.html",
        {
            "application": application,
            "sheet": sheet,
            "step": step,
            "form": form,
            "may_decide": request.user.is_superuser or bool(request.user.grants_for(Action.DECIDE)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def villages_criteria(request: AuthedRequest) -> HttpResponse:
    may_configure = request.user.is_superuser or bool(request.user.grants_for(Action.CONFIGURE))
    form = CriteriaForm(request.POST or None)
    if request.method == "POST":
        if not may_configure:
            raise DjangoPermissionDenied
        if form.is_valid():
            data = dict(form.cleaned_data)
            level, grade, reason = data.pop("level"), data.pop("grade"), data.pop("reason")
            data["min_collective_grade"] = (data.get("min_collective_grade") or "").strip().upper()
            try:
                services.criteria_update(actor=request.user, level=level, grade=grade, values=data, reason=reason)
            except ValidationFailed as exc:
                form.add_error(None, exc.message)
            except (NotFound, PermissionDenied):
                form.add_error("grade", _("该层级没有这个等级"))
            else:
                messages.success(request, _("评定标准已更新"))
                return redirect("rating:villages-criteria")
    tables = [(level.label, criteria.thresholds(level.value)) for level in CreditRegionLevel]
    return render(
        request, "rating/villages/criteria.html", {"tables": tables, "form": form, "may_configure": may_configure}
    )
