"""Pages of the rating cycle: cycles and their review, notices (also public), objections, a household's own page."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.core.context import paginate
from creditvillage.core.errors import DomainError, NotFound, ValidationFailed
from creditvillage.core.scope import can
from creditvillage.rating import selectors, services
from creditvillage.rating.forms import (
    CycleOpenForm,
    DecideForm,
    EscalateForm,
    ObjectionForm,
    PublicObjectionForm,
    PublishForm,
)
from creditvillage.rating.models import ObjectionStatus, Rating, RatingStatus, ReviewLevel
from creditvillage.regions.choices import RegionLevel
from creditvillage.regions.models import Region
from creditvillage.registry.selectors import access_household, own_households


def _form_errors(form: Any, exc: DomainError) -> None:
    details = exc.details or {}
    fields = details.get("fields")
    if isinstance(fields, dict):
        for name, errors in fields.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, str(error))
        return
    field = details.get("field")
    form.add_error(field if isinstance(field, str) and field in form.fields else None, exc.message)


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if own_households(actor=user) and not user.has_action(Action.RATE):
        return redirect("rating:mine")
    if not user.has_action(Action.VIEW):
        raise PermissionDenied
    regions = [
        (r.code, r.name)
        for r in Region.objects.visible_to(user, Action.RATE)
        .exclude(level=RegionLevel.VILLAGE)
        .exclude(level=RegionLevel.PROVINCE)
        .order_by("code")[:200]
    ]
    return render(
        request,
        "rating/home.html",
        {
            "cycles": list(selectors.cycle_list(user)[:50]),
            "notices": list(selectors.notice_list(user)[:50]),
            "objections_open": selectors.objection_list(user, open_only=True, action=Action.DECIDE).count(),
            "open_form": CycleOpenForm(regions=regions, initial={"year": timezone.localdate().year})
            if regions
            else None,
        },
    )


@login_required
@require_POST
def cycle_open(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not user.has_action(Action.RATE):
        raise PermissionDenied
    regions = [(r.code, r.name) for r in Region.objects.visible_to(user, Action.RATE).order_by("code")[:500]]
    form = CycleOpenForm(request.POST, regions=regions)
    if form.is_valid():
        try:
            cycle = services.cycle_open(
                actor=user,
                region_code=form.cleaned_data["region"],
                year=form.cleaned_data["year"],
                notice_days=form.cleaned_data["notice_days"],
            )
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("rating:home")
        messages.success(request, _("评定周期已发起。"))
        return redirect("rating:cycle-detail", pk=cycle.pk)
    messages.error(request, _("请检查填写的内容"))
    return redirect("rating:home")


def _cycle(request: AuthedRequest, pk: int, action: str = Action.VIEW) -> Any:
    try:
        return selectors.access_cycle(request.user, pk, action)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def cycle_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk)
    return render(
        request,
        "rating/cycle_detail.html",
        {
            "cycle": cycle,
            "villages": selectors.cycle_review(request.user, cycle),
            "runs": list(cycle.runs.order_by("-pk")[:5]),
            "can_rate": can(request.user, Action.RATE, cycle),
            "publish_form": PublishForm(initial={"days": cycle.notice_days}),
            "grades": selectors.GRADE_ORDER,
        },
    )


@login_required
@require_POST
def cycle_run(request: AuthedRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk, Action.RATE)
    try:
        job = services.cycle_run_start(actor=request.user, cycle=cycle)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("rating:cycle-detail", pk=cycle.pk)
    return redirect("job-detail", pk=job.pk)


@login_required
@require_POST
def cycle_publish(request: AuthedRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk, Action.RATE)
    form = PublishForm(request.POST)
    villages = request.POST.getlist("village") or None
    if form.is_valid():
        try:
            report = services.notices_publish(
                actor=request.user, cycle=cycle, villages=villages, days=form.cleaned_data["days"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已在 %(n)d 个村发布公示。") % {"n": len(report.notices)})
            for code, why in report.skipped.items():
                messages.warning(request, f"{code}: {why}")
    else:
        messages.error(request, _("请检查填写的内容"))
    return redirect("rating:cycle-detail", pk=cycle.pk)


@login_required
@require_POST
def cycle_finalise(request: AuthedRequest, pk: int) -> HttpResponse:
    cycle = _cycle(request, pk, Action.RATE)
    try:
        report = services.cycle_finalise(actor=request.user, cycle=cycle)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("已认定 %(v)d 个村、%(n)d 条评定。") % {"v": len(report.villages), "n": report.ratings}
        )
        for code, why in report.blocked.items():
            messages.warning(request, f"{code}: {why}")
    return redirect("rating:cycle-detail", pk=cycle.pk)


def _qr_svg(request: HttpRequest, path: str) -> str:
    return str(segno.make(request.build_absolute_uri(path), error="m").svg_inline(scale=3, border=2))


@login_required
def notice_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        notice = selectors.access_notice(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    live = notice.status == "published" and notice.ends_at > timezone.now()
    public_path = selectors.notice_public_path(notice) if live else ""
    return render(
        request,
        "rating/notice_detail.html",
        {
            "notice": notice,
            "rows": selectors.notice_rows(notice),
            "counts": selectors.notice_grade_counts(notice),
            "public_path": public_path,
            "qr": _qr_svg(request, public_path) if public_path else "",
            "objections": [
                selectors.objection_view(request.user, o)
                for o in selectors.objection_list(request.user).filter(
                    notice__cycle=notice.cycle_id, region_code=notice.region_id
                )
            ],
        },
    )


def _gone(request: HttpRequest) -> HttpResponse:
    """A bad, superseded or expired public link: 403, like any page closed to the anonymous."""
    return render(request, "rating/notice_gone.html", status=403)


def notice_public(request: HttpRequest) -> HttpResponse:
    """The printable public notice (A4, the village's seal area, a QR code back to this page)."""
    token = request.GET.get("t", "")[:500]
    notice = selectors.notice_from_token(token)
    if notice is None:
        return _gone(request)
    path = selectors.notice_public_path(notice, token=token)
    return render(
        request,
        "rating/notice_public.html",
        {
            "notice": notice,
            "rows": selectors.notice_rows(notice),
            "counts": selectors.notice_grade_counts(notice),
            "qr": _qr_svg(request, path),
            "object_path": selectors.notice_public_path(notice, "rating:notice-object", token),
        },
    )


def notice_public_object(request: HttpRequest) -> HttpResponse:
    """A villager's objection from the public page: name, mobile, text, optional evidence."""
    token = request.GET.get("t", "")[:500]
    notice = selectors.notice_from_token(token)
    if notice is None:
        return _gone(request)
    rows = selectors.notice_rows(notice)
    subjects = [(row["rating_id"], f"{row['name']}（{row['group'] or row['subject_type']}）") for row in rows]
    form = PublicObjectionForm(request.POST or None, request.FILES or None, subjects=subjects)
    if request.method == "POST" and form.is_valid():
        rating = selectors.notice_ratings(notice).filter(pk=form.cleaned_data["rating"]).first()
        if rating is None:
            form.add_error("rating", _("请选择公示名单中的主体"))
        else:
            try:
                services.objection_file(
                    actor=None,
                    notice=notice,
                    rating=rating,
                    text=form.cleaned_data["text"],
                    objector_name=form.cleaned_data["name"],
                    objector_phone=form.cleaned_data["phone"],
                    items=form.item_list(),
                    evidence=form.cleaned_data.get("evidence"),
                    channel="public",
                )
            except (ValidationFailed, DomainError) as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("异议已受理，村里将在20日内核实答复。"))
                return redirect(selectors.notice_public_path(notice, token=token))
    return render(
        request,
        "rating/notice_object.html",
        {"notice": notice, "form": form, "back": selectors.notice_public_path(notice, token=token)},
    )


@login_required
def objection_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not user.has_action(Action.VIEW):
        raise PermissionDenied
    status = request.GET.get("status", "open")
    queryset = selectors.objection_list(user, open_only=status == "open")
    page = paginate(request, queryset, per_page=25)
    return render(
        request,
        "rating/objection_list.html",
        {"page": page, "rows": [selectors.objection_view(user, o) for o in page.object_list], "status": status},
    )


@login_required
def objection_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        objection = selectors.access_objection(user, pk)
    except NotFound as exc:
        raise Http404 from exc
    may_decide = objection.status == ObjectionStatus.OPEN and can(user, Action.DECIDE, objection)
    form = DecideForm(request.POST or None)
    if request.method == "POST":
        if not may_decide:
            raise Http404
        if form.is_valid():
            try:
                services.objection_decide(
                    actor=user,
                    objection=objection,
                    outcome=form.cleaned_data["outcome"],
                    reason=form.cleaned_data["reason"],
                    grade=form.cleaned_data.get("grade") or "",
                    score=form.cleaned_data.get("score"),
                )
            except NotFound as exc:
                raise Http404 from exc
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("异议已处理，已通知农户。"))
                return redirect("rating:objection-detail", pk=objection.pk)
    return render(
        request,
        "rating/objection_detail.html",
        {
            "o": selectors.objection_view(user, objection),
            "form": form if may_decide else None,
            "township": objection.level == ReviewLevel.TOWNSHIP,
        },
    )


def _own_household(request: AuthedRequest) -> Any:
    households = own_households(actor=request.user)
    if not households:
        raise PermissionDenied
    return households[0]


@login_required
def mine(request: AuthedRequest) -> HttpResponse:
    """The household's own page (phone-sized): grade, explanation, notice, objections, history."""
    household = _own_household(request)
    overview = selectors.household_overview(request.user, household)
    return render(
        request,
        "rating/mine.html",
        {**overview, "form": ObjectionForm(), "escalate_form": EscalateForm()},
    )


@login_required
@require_POST
def mine_object(request: AuthedRequest) -> HttpResponse:
    household = _own_household(request)
    overview = selectors.household_overview(request.user, household)
    rating: Rating | None = overview["pending"]
    form = ObjectionForm(request.POST, request.FILES)
    if rating is None or overview["notice"] is None or not overview["notice_open"]:
        messages.error(request, _("当前不在公示期，不能提出异议"))
        return redirect("rating:mine")
    if form.is_valid():
        try:
            services.objection_file(
                actor=request.user,
                notice=overview["notice"],
                rating=rating,
                text=form.cleaned_data["text"],
                items=form.item_list(),
                evidence=form.cleaned_data.get("evidence"),
            )
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("异议已受理，村里将在20日内核实答复。"))
            return redirect("rating:mine")
    return render(request, "rating/mine.html", {**overview, "form": form, "escalate_form": EscalateForm()}, status=200)


@login_required
@require_POST
def objection_escalate(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        objection = selectors.access_objection(request.user, pk, Action.APPLY)
    except NotFound as exc:
        raise Http404 from exc
    form = EscalateForm(request.POST)
    if form.is_valid():
        try:
            services.objection_escalate(actor=request.user, objection=objection, reason=form.cleaned_data["reason"])
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已申请乡镇复议。"))
    else:
        messages.error(request, _("请填写复议理由（5至2000字）"))
    return redirect("rating:mine")


@login_required
def household_ratings(request: AuthedRequest, pk: int) -> HttpResponse:
    """Every rating of a household (all cycles and versions), for those who may see the household."""
    try:
        household = access_household(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    history = selectors.rating_history(request.user, subject_type="household", subject_id=household.pk)
    return render(
        request,
        "rating/household_ratings.html",
        {"household": household, "history": history, "statuses": dict(RatingStatus.choices)},
    )
