from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.models import User
from creditvillage.accounts.roles import Action
from creditvillage.core.context import paginate
from creditvillage.core.errors import DomainError, NotFound
from creditvillage.core.identifiers import mask_mobile
from creditvillage.core.models import Job
from creditvillage.core.scope import can
from creditvillage.regions.models import Region
from creditvillage.regions.selectors import region_list
from creditvillage.registry import selectors, services
from creditvillage.registry.forms import HouseholdEditForm, HouseholdFilterForm
from creditvillage.registry.tasks import export_households


def _filter_regions(user: User) -> list[Region]:
    return [r for r in region_list(user) if r.level in ("county", "township", "village")]


@login_required
def household_list(request: AuthedRequest) -> HttpResponse:
    if not request.user.has_action(Action.VIEW):
        raise Http404
    form = HouseholdFilterForm(request.GET or None, regions=_filter_regions(request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    try:
        queryset = selectors.household_list(
            actor=request.user,
            region=filters.get("region") or None,
            search=filters.get("q", ""),
            grade=filters.get("grade", ""),
            status=filters.get("status", ""),
        )
    except NotFound as exc:
        raise Http404 from exc
    page = paginate(request, queryset, per_page=25)
    sensitive = request.user.is_superuser or not {g.prefix for g in request.user.grants_for(Action.VIEW)} - {
        g.prefix for g in request.user.grants_for(Action.VIEW_SENSITIVE)
    }
    rows = [(h, h.phone if sensitive else mask_mobile(h.phone)) for h in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    template = "registry/partials/_household_table.html" if request.htmx else "registry/household_list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "rows": rows,
            "querystring": query.urlencode(),
            "can_export": request.user.has_action(Action.EXPORT),
        },
    )


@login_required
def household_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        archive = selectors.household_archive(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    household = selectors.access_household(request.user, pk)
    return render(
        request,
        "registry/household_detail.html",
        {
            "h": archive,
            "can_edit": can(request.user, Action.CHANGE, household),
        },
    )


@login_required
def household_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        household = selectors.access_household(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    if not can(request.user, Action.CHANGE, household):
        raise Http404
    form = HouseholdEditForm(request.POST or None, instance=household)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "reason"}
        try:
            services.household_update(
                actor=request.user,
                household=household,
                changes=changes,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已保存，修改已记入审计日志。"))
            return redirect("household-detail", pk=household.pk)
    return render(request, "registry/household_edit.html", {"form": form, "household": household})


@login_required
@require_POST
def household_export(request: AuthedRequest) -> HttpResponse:
    if not request.user.has_action(Action.EXPORT):
        raise Http404
    params = {key: request.POST.get(key, "")[:64] for key in ("region", "q", "grade", "status")}
    with transaction.atomic():
        job = Job.objects.create(
            kind="household_export", created_by=request.user, params=params, region_code=params["region"]
        )
        transaction.on_commit(lambda: export_households.enqueue(job.pk))
    return redirect("job-detail", pk=job.pk)
