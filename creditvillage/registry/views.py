from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.core.context import paginate
from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.models import Job
from creditvillage.core.scope import can
from creditvillage.regions.selectors import region_choices
from creditvillage.registry import selectors, services
from creditvillage.registry.forms import HouseholdEditForm, HouseholdFilterForm, PersonEditForm
from creditvillage.registry.tasks import export_households

PER_PAGE = 25


@login_required
@vary_on_headers("HX-Request")
def household_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not user.has_action(Action.VIEW):
        raise PermissionDenied
    form = HouseholdFilterForm(
        request.GET or None,
        regions=region_choices(user, selected=request.GET.get("region", "")),
        id_search=selectors.may_search_id_numbers(user),
    )
    valid = form.is_valid() if form.is_bound else True
    filters = form.filters() if form.is_bound and valid else dict.fromkeys(("q", "region", "grade", "status"), "")
    try:
        queryset = selectors.household_list(
            actor=user,
            region=filters["region"] or None,
            search=filters["q"],
            grade=filters["grade"],
            status=filters["status"],
        )
    except NotFound as exc:
        raise Http404 from exc
    if not valid:
        queryset = queryset.none()
    page = paginate(request, queryset, per_page=PER_PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    # A back-button history restore asks for the whole page even though it comes from htmx.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "registry/partials/_household_results.html" if partial else "registry/household_list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "filters": filters,
            "filtered": any(filters.values()),
            "page": page,
            "rows": selectors.household_rows(actor=user, households=list(page.object_list)),
            "querystring": query.urlencode(),
            "can_export": user.has_action(Action.EXPORT),
        },
    )


@login_required
def household_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        archive = selectors.household_archive(request.user, pk, channel="web")
    except NotFound as exc:
        raise Http404 from exc
    household = selectors.access_household(request.user, pk)
    return render(
        request,
        "registry/household_detail.html",
        {
            "h": archive,
            "household": household,
            "can_edit": can(request.user, Action.CHANGE, household),
            "history": selectors.household_history(request.user, household),
        },
    )


def _show_service_error(form: forms.BaseForm, exc: ValidationFailed) -> None:
    """Put a service's validation error next to the field it names, else at the top of the form."""
    details: dict[str, Any] = exc.details or {}
    field = details.get("field")
    if isinstance(field, str) and field in form.fields:
        form.add_error(field, exc.message)
        return
    fields = details.get("fields")
    if isinstance(fields, dict):
        placed = False
        for name, errors in fields.items():
            target = name if name in form.fields else None
            for error in errors if isinstance(errors, list) else [errors]:
                form.add_error(target, str(error))
            placed = True
        if placed:
            return
    form.add_error(None, exc.message)


def _save_edit(request: AuthedRequest, form: Any, update: Callable[..., object], saved: str) -> bool:
    """Pass a valid POSTed edit form's changes and reason to ``update`` (a service).

    True when saved (the caller redirects); False to show the form again, with the service's
    validation errors placed beside their fields. Out of scope at save time answers 404.
    """
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        update(changes=form.changes(), reason=form.cleaned_data["reason"])
    except ValidationFailed as exc:
        _show_service_error(form, exc)
        return False
    except NotFound as exc:
        raise Http404 from exc
    if form.changes():
        messages.success(request, saved)
    else:
        messages.info(request, _("没有修改任何内容。"))
    return True


@login_required
def household_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    # No right to edit archives at all: 403, before any lookup, so the answer says nothing
    # about the household; a right elsewhere but not here: as if missing.
    if not request.user.has_action(Action.CHANGE):
        raise PermissionDenied
    try:
        household = selectors.access_household(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    if not can(request.user, Action.CHANGE, household):
        raise Http404
    form = HouseholdEditForm(request.POST or None, instance=household)
    update = partial(services.household_update, actor=request.user, household=household)
    if _save_edit(request, form, update, _("已保存，修改已记入审计日志。")):
        return redirect("household-detail", pk=household.pk)
    return render(request, "registry/household_edit.html", {"form": form, "household": household})


@login_required
def person_edit(request: AuthedRequest, pk: int, person_pk: int) -> HttpResponse:
    if not request.user.has_action(Action.CHANGE):
        raise PermissionDenied
    try:
        person = selectors.access_person(request.user, pk, person_pk, Action.CHANGE)
    except NotFound as exc:
        raise Http404 from exc
    form = PersonEditForm(request.POST or None, instance=person)
    update = partial(services.person_update, actor=request.user, person=person)
    if _save_edit(request, form, update, _("家庭成员信息已保存，修改已记入审计日志。")):
        return redirect("household-detail", pk=pk)
    return render(request, "registry/person_edit.html", {"form": form, "person": person, "household": person.household})


@login_required
@require_POST
def household_export(request: AuthedRequest) -> HttpResponse:
    if not request.user.has_action(Action.EXPORT):
        raise PermissionDenied
    params = {key: request.POST.get(key, "")[:64] for key in ("region", "q", "grade", "status")}
    with transaction.atomic():
        job = Job.objects.create(
            kind="household_export", created_by=request.user, params=params, region_code=params["region"]
        )
        transaction.on_commit(lambda: export_households.enqueue(job.pk))
    return redirect("job-detail", pk=job.pk)
