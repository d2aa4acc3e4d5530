"""Pages of 乡风文明评议: rounds, the evaluator's phone pages, procedure steps, schemes. Thin."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.models import User
from creditvillage.accounts.roles import Action
from creditvillage.civility import forms, selectors, services
from creditvillage.civility.models import CivilityRound, ItemKind, StepKind
from creditvillage.core.errors import NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.scope import can

T = TypeVar("T")
R = TypeVar("R", bound=HttpResponseBase)


def _domain(view: Callable[..., R]) -> Callable[..., R]:
    """NotFound → 404 (as if missing), PermissionDenied → 403."""

    @functools.wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> R:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404 from exc
        except PermissionDenied as exc:
            raise HttpPermissionDenied from exc

    return login_required(wrapper)


def _show_error(form: django_forms.BaseForm, exc: ValidationFailed) -> None:
    details = exc.details or {}
    field = details.get("field")
    if isinstance(field, str) and field in form.fields:
        form.add_error(field, exc.message)
        return
    fields = details.get("fields")
    if isinstance(fields, dict):
        for name, message in fields.items():
            form.add_error(name if name in form.fields else None, str(message))
        return
    problems = details.get("problems")
    if isinstance(problems, list):
        form.add_error(None, exc.message)
        for p in problems:
            row = p.get("row") or p.get("item")
            form.add_error(None, f"{_('第%s行') % row if p.get('row') else ''}{p['message']}")
        return
    if "missing_steps" in details:
        labels = ", ".join(str(StepKind(k).label) for k in details["missing_steps"])
        form.add_error(None, f"{exc.message}：{labels}")
        return
    form.add_error(None, exc.message)


def _submit(
    request: AuthedRequest,
    form: django_forms.BaseForm,
    call: Callable[[dict[str, Any]], T],
    *,
    success: str,
    then: Callable[[T], HttpResponse],
) -> HttpResponse | None:
    """A posted, valid form: run the service with the cleaned data; a refusal goes onto the form
    (``None``: render the page again), success flashes ``success`` and returns ``then(result)``."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = call(form.cleaned_data)
    except ValidationFailed as exc:
        _show_error(form, exc)
        return None
    except (services.RoundClosed, services.RoundOpen) as exc:
        form.add_error(None, exc.message)
        return None
    if success:
        messages.success(request, success)
    return then(result)


def _without(data: dict[str, Any], *names: str) -> dict[str, Any]:
    """The cleaned data as service keywords, less the fields passed under another name."""
    return {k: v for k, v in data.items() if k not in names}


def _require(request: AuthedRequest, action: str) -> None:
    if not request.user.has_action(action):
        raise HttpPermissionDenied


# --- Home and rounds ---------------------------------------------------------------------------------------------


@_domain
def home(request: AuthedRequest) -> HttpResponse:
    if not (request.user.has_action(Action.VIEW) or request.user.has_action(Action.CONFIGURE)):
        raise HttpPermissionDenied
    rounds = list(selectors.round_list(actor=request.user)[:200])
    memberships = list(selectors.my_memberships(request.user))
    return render(
        request,
        "civility/home.html",
        {
            "rounds": rounds,
            "summaries": selectors.round_summaries(rounds),
            "memberships": memberships,
            "own_evidence": selectors.own_household_evidence(request.user),
            "may_create": bool(selectors.villages_to_manage(request.user)[:1]),
            "may_configure": request.user.has_action(Action.CONFIGURE),
        },
    )


@_domain
def round_create(request: AuthedRequest) -> HttpResponse:
    villages = selectors.villages_to_manage(request.user)
    if not villages:
        raise HttpPermissionDenied
    form = forms.RoundCreateForm(
        request.POST or None,
        villages=villages,
        versions=selectors.active_versions(),
        initial={"year": timezone.localdate().year},
    )
    done = _submit(
        request,
        form,
        lambda data: services.round_create(actor=request.user, region_code=data["region"], **_without(data, "region")),
        success=_("评议轮次已建立，请组建评议小组。"),
        then=lambda round_: redirect("civility:round", pk=round_.pk),
    )
    return done or render(request, "civility/round_create.html", {"form": form})


@_domain
def round_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = selectors.access_round(request.user, pk)
    may_manage = can(request.user, Action.CHANGE, round_)
    context = selectors.round_detail(request.user, round_)
    context.update(
        {
            "may_manage": may_manage and round_.is_open,
            "may_reopen": not round_.is_open and can(request.user, Action.DECIDE, round_),
            "evidence": selectors.evidence_counts(round_)
            if selectors.evidence_reviewer(request.user, round_)
            else None,
            "own_member": selectors.own_member(request.user, round_),
            "member_form": forms.MemberForm(users=selectors.evaluator_choices(round_)) if may_manage else None,
        }
    )
    return render(request, "civility/round_detail.html", context)


@_domain
@require_POST
def member_add(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = selectors.access_round(request.user, pk, Action.CHANGE)
    form = forms.MemberForm(request.POST, users=selectors.evaluator_choices(round_))
    if form.is_valid():
        data = form.cleaned_data
        user = User.objects.filter(pk=data["user"]).first() if data["user"] else None
        try:
            services.member_add(
                actor=request.user,
                round=round_,
                group=data["group"],
                user=user,
                name=data["name"],
                id_number=data["id_number"],
                title=data["title"],
                reason=data["reason"],
            )
        except ValidationFailed as exc:
            _show_error(form, exc)
        else:
            messages.success(request, _("已加入小组。"))
            return redirect("civility:round", pk=round_.pk)
    for error in form.errors.values():
        messages.error(request, " ".join(str(e) for e in error))
    return redirect("civility:round", pk=round_.pk)


@_domain
def relatives(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = selectors.access_round(request.user, pk)
    may_manage = can(request.user, Action.CHANGE, round_)
    member_choices = [(str(m.pk), m.name) for m in round_.members.exclude(id_number="").order_by("pk")]
    form = None
    if may_manage:
        form = forms.RelativeForm(
            request.POST or None,
            members=member_choices,
            households=selectors.village_household_choices(request.user, round_),
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            member = round_.members.get(pk=data["member"])
            household = selectors.household_for_change(request.user, round_, data["household"])
            try:
                services.relative_record(
                    actor=request.user,
                    id_number=member.id_number,
                    household=household,
                    relation=data["relation"],
                    reason=data["reason"],
                )
            except ValidationFailed as exc:
                _show_error(form, exc)
            else:
                messages.success(request, _("亲属关系已登记，评议时自动回避。"))
                return redirect("civility:relatives", pk=round_.pk)
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "civility/relatives.html",
        {"round": round_, "form": form, "rows": selectors.round_relatives(request.user, round_)},
    )


@_domain
def steps(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = selectors.access_round(request.user, pk)
    may_manage = can(request.user, Action.CHANGE, round_) and round_.is_open
    recorded = {s.kind: s for s in round_.steps.all()}
    failed: dict[str, forms.StepForm] = {}
    if request.method == "POST":
        if not may_manage:
            raise Http404
        form = forms.StepForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.step_record(actor=request.user, round=round_, **data)
            except ValidationFailed as exc:
                _show_error(form, exc)
                failed[data["kind"]] = form
            else:
                messages.success(request, _("程序步骤已记录。"))
                return redirect("civility:steps", pk=round_.pk)
        else:
            failed[str(request.POST.get("kind", ""))] = form
    rows = []
    for kind in round_.step_kinds:
        step = recorded.get(kind)
        step_form = failed.get(kind)
        if step_form is None and may_manage:
            initial = {"kind": kind}
            if step:
                initial |= {
                    f: getattr(step, f) for f in ("held_on", "ends_on", "expected", "present", "attendees", "minutes")
                }
            step_form = forms.StepForm(initial=initial)
        rows.append({"kind": kind, "label": StepKind(kind).label, "step": step, "form": step_form})
    return render(
        request,
        "civility/steps.html",
        {"round": round_, "rows": rows, "may_manage": may_manage, "missing": services.missing_steps(round_)},
    )


@dataclass(frozen=True)
class _StatusChange:
    action: str
    form_class: type[django_forms.Form]
    service: Callable[..., CivilityRound]
    success: str | Promise
    template: str


def _round_status_page(
    request: AuthedRequest,
    pk: int,
    change: _StatusChange,
    extra: Callable[[CivilityRound], dict[str, Any]] = lambda _round: {},
) -> HttpResponse:
    """Closing and reopening: a reason form on the round, the service, back to the round page."""
    round_ = selectors.access_round(request.user, pk, change.action)
    form = change.form_class(request.POST or None)
    done = _submit(
        request,
        form,
        lambda data: change.service(actor=request.user, round=round_, reason=data["reason"]),
        success=str(change.success),
        then=lambda r: redirect("civility:round", pk=r.pk),
    )
    return done or render(request, change.template, {"round": round_, "form": form} | extra(round_))


CLOSE = _StatusChange(
    Action.CHANGE, forms.CloseForm, services.round_close, gettext_lazy("本轮评议已结束，结果已锁定。"),
    "civility/round_close.html",
)  # fmt: skip
REOPEN = _StatusChange(
    Action.DECIDE, forms.ReopenForm, services.round_reopen,
    gettext_lazy("本轮评议已重新开启；原结果保留为历史，重新结束时重新计算。"), "civility/round_reopen.html",
)  # fmt: skip


@_domain
def round_close(request: AuthedRequest, pk: int) -> HttpResponse:
    return _round_status_page(
        request, pk, CLOSE, lambda r: {"missing": [StepKind(k).label for k in services.missing_steps(r)]}
    )


@_domain
def round_reopen(request: AuthedRequest, pk: int) -> HttpResponse:
    return _round_status_page(request, pk, REOPEN)


# --- Evidence photos ------------------------------------------------------------------------------------------------


@_domain
def evidence(request: AuthedRequest, pk: int, household_pk: int) -> HttpResponse:
    access_ = selectors.access_evidence(request.user, pk, household_pk)
    return render(
        request,
        "civility/evidence.html",
        {
            "round": access_.round,
            "household": access_.household,
            "reviewer": access_.reviewer,
            "items": selectors.evidence_items(access_),
        },
    )


PHOTO_CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@_domain
def evidence_photo(request: AuthedRequest, pk: int, evaluation_pk: int) -> HttpResponseBase:
    """The photo itself, through Django after the scope check (never a public media URL)."""
    evaluation = selectors.evidence_photo(request.user, pk, evaluation_pk)
    extension = str(evaluation.photo.name).rsplit(".", 1)[-1].lower()
    try:
        handle = evaluation.photo.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=PHOTO_CONTENT_TYPES.get(extension, "application/octet-stream"))
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


# --- The evaluator's phone pages ------------------------------------------------------------------------------------


@_domain
def score_list(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = selectors.access_round(request.user, pk, Action.EVALUATE)
    member = selectors.own_member(request.user, round_)
    if member is None:
        raise Http404
    rows = selectors.households_to_score(request.user, member)
    return render(
        request,
        "civility/score_list.html",
        {
            "round": round_,
            "member": member,
            "rows": rows,
            "done": sum(r["state"] == "done" for r in rows),
            "todo": sum(r["state"] == "todo" for r in rows),
        },
    )


def _marks_from_post(request: AuthedRequest) -> dict[int, services.MarkInput]:
    marks: dict[int, services.MarkInput] = {}
    for raw in request.POST.getlist("item"):
        try:
            item_id = int(raw)
            count = int(request.POST.get(f"count-{item_id}") or 1)
        except ValueError:
            continue
        marks[item_id] = services.MarkInput(count=count, basis=str(request.POST.get(f"basis-{item_id}", "")))
    return marks


@_domain
def score(request: AuthedRequest, pk: int, household_pk: int) -> HttpResponse:
    round_ = selectors.access_round(request.user, pk, Action.EVALUATE)
    member = selectors.own_member(request.user, round_)
    if member is None:
        raise Http404
    household = selectors.household_for_scoring(request.user, member, household_pk)
    recused = household.pk in services.recused_households(member)
    existing = selectors.own_evaluation(member, household)
    form = forms.ScoreForm(request.POST or None, request.FILES or None)
    marks: dict[int, Any] = {m.item_id: m for m in existing.marks.all()} if existing else {}
    if request.method == "POST" and not recused and form.is_valid():
        posted = _marks_from_post(request)
        try:
            evaluation = services.evaluation_submit(
                actor=request.user,
                round=round_,
                household=household,
                marks=posted,
                note=form.cleaned_data["note"],
                photo=form.cleaned_data.get("photo"),
            )
        except (ValidationFailed, services.RoundClosed) as exc:
            if isinstance(exc, ValidationFailed):
                _show_error(form, exc)
            else:
                form.add_error(None, exc.message)
            marks = dict(posted)
        else:
            messages.success(
                request, _("已提交：%(name)s户 %(score)s分") % {"name": household.head_name, "score": evaluation.score}
            )
            return redirect("civility:score-list", pk=round_.pk)
    elif existing and not form.is_bound:
        form = forms.ScoreForm(initial={"note": existing.note})
    table = selectors.version_table(round_.scheme_version)
    return render(
        request,
        "civility/score.html",
        {
            "round": round_,
            "household": household,
            "recused": recused,
            "existing": existing,
            "form": form,
            "table": table,
            "marks": marks,
            "veto_kind": ItemKind.VETO,
        },
    )


# --- Schemes --------------------------------------------------------------------------------------------------------


@_domain
def schemes(request: AuthedRequest) -> HttpResponse:
    _require(request, Action.CONFIGURE)
    return render(request, "civility/schemes.html", {"schemes": selectors.scheme_list()})


@_domain
def scheme_create(request: AuthedRequest) -> HttpResponse:
    _require(request, Action.CONFIGURE)
    form = forms.SchemeCreateForm(request.POST or None)
    done = _submit(
        request,
        form,
        lambda data: services.scheme_create(actor=request.user, **data),
        success="",
        then=lambda version: redirect("civility:version-edit", pk=version.pk),
    )
    return done or render(request, "civility/scheme_create.html", {"form": form})


@_domain
def scheme_import(request: AuthedRequest) -> HttpResponse:
    _require(request, Action.CONFIGURE)
    form = forms.SchemeImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"base_per_dimension": Decimal("3"), "dimension_floor": Decimal("0"), "bonus_cap": Decimal("6")},
    )
    done = _submit(
        request,
        form,
        lambda data: services.scheme_import_xlsx(
            actor=request.user, data=data["file"].read(services.XLSX_MAX_BYTES + 1), **_without(data, "file")
        ),
        success=_("已导入为草稿版本，请核对后启用。"),
        then=lambda version: redirect("civility:version", pk=version.pk),
    )
    return done or render(request, "civility/scheme_import.html", {"form": form})


@_domain
def version_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    if not (request.user.has_action(Action.CONFIGURE) or request.user.has_action(Action.EVALUATE)):
        raise HttpPermissionDenied
    version = selectors.access_version(pk)
    return render(
        request,
        "civility/version_detail.html",
        {
            "table": selectors.version_table(version),
            "version": version,
            "may_configure": request.user.has_action(Action.CONFIGURE),
            "reason_form": forms.ReasonForm(),
        },
    )


def _rows_from_post(request: AuthedRequest) -> list[services.ItemRow]:
    """The edit table posts aligned lists; rows with no text are empty lines and are skipped."""
    names = ("dimension", "kind", "text", "points", "per_case", "source")
    columns = {n: request.POST.getlist(n) for n in names}
    rows = []
    for i in range(len(columns["text"])):
        cell = {n: (columns[n][i] if i < len(columns[n]) else "").strip() for n in names}
        if not cell["text"]:
            continue
        try:
            points = Decimal(cell["points"] or "0")
        except ArithmeticError:
            points = Decimal("-1")  # reported by validation as out of range
        rows.append(
            services.ItemRow(
                cell["dimension"], cell["kind"], cell["text"], points, cell["per_case"] == "1", cell["source"]
            )
        )
    return rows


@_domain
def version_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request, Action.CONFIGURE)
    version = selectors.access_version(pk)
    if not version.is_draft:
        messages.info(request, _("启用后的版本不能修改，请新建版本。"))
        return redirect("civility:version", pk=version.pk)
    form = forms.VersionSettingsForm(
        request.POST or None,
        initial={
            "base_per_dimension": version.base_per_dimension,
            "dimension_floor": version.dimension_floor,
            "bonus_cap": version.bonus_cap,
        },
    )
    table = selectors.version_table(version)
    done = _submit(
        request,
        form,
        lambda data: services.scheme_version_update(
            actor=request.user, version=version, rows=_rows_from_post(request), **data
        ),
        success=_("草稿已保存。"),
        then=lambda _saved: redirect("civility:version", pk=version.pk),
    )
    return done or render(
        request,
        "civility/version_edit.html",
        {"version": version, "table": table, "form": form, "blank_rows": range(3), "new_dimension_rows": range(4)},
    )


@_domain
@require_POST
def version_new(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request, Action.CONFIGURE)
    version = selectors.access_version(pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写修改原因"))
        return redirect("civility:version", pk=version.pk)
    try:
        draft = services.scheme_version_new(
            actor=request.user, scheme=version.scheme, reason=form.cleaned_data["reason"]
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("civility:version", pk=version.pk)
    return redirect("civility:version-edit", pk=draft.pk)


@_domain
@require_POST
def version_activate(request: AuthedRequest, pk: int) -> HttpResponse:
    _require(request, Action.CONFIGURE)
    version = selectors.access_version(pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写修改原因"))
        return redirect("civility:version", pk=version.pk)
    try:
        services.scheme_version_activate(actor=request.user, version=version, reason=form.cleaned_data["reason"])
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已启用，新的评议轮次将使用此版本。"))
    return redirect("civility:version", pk=version.pk)
