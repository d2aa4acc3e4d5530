"""Collection pages: campaigns, the collector's phone form, self-declaration, the township's
verification queue and page, and the auditor's spot checks. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.collection import archive, selectors, services, subjects
from creditvillage.collection.forms import (
    DrawForm,
    OrganisationArchiveForm,
    QueueFilterForm,
    archive_from_post,
    form_context,
    org_initial,
)
from creditvillage.collection.models import Submission, SubmissionState
from creditvillage.core.errors import DomainError, NotFound, ValidationFailed
from creditvillage.core.scope import can
from creditvillage.regions.selectors import access_region
from creditvillage.registry.selectors import access_household

ADD_ROW = {f"add_{section}": section for section in ("members", *archive.SECTIONS)}


def _has(request: AuthedRequest, action: str) -> bool:
    return request.user.has_action(action)


def _version(request: AuthedRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """The campaigns the user takes part in, with what they can do in each."""
    user = request.user
    if not user.has_action(Action.VIEW) and not user.has_action(Action.APPLY):
        raise PermissionDenied
    campaigns = list(selectors.campaign_list(actor=user)[:50])
    return render(
        request,
        "collection/home.html",
        {
            "campaigns": campaigns,
            "can_collect": _has(request, Action.CHANGE),
            "can_verify": _has(request, Action.VERIFY),
            "can_audit": _has(request, Action.AUDIT),
            "can_declare": bool(selectors.own_campaign_households(actor=user)),
        },
    )


def _campaign(request: AuthedRequest, pk: int) -> Any:
    try:
        return selectors.access_campaign(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
def collect_list(request: AuthedRequest, pk: int) -> HttpResponse:
    """A collector's households in a campaign: assigned first, each with its submission's state."""
    if not _has(request, Action.CHANGE):
        raise PermissionDenied
    campaign = _campaign(request, pk)
    search = request.GET.get("q", "")[:32]
    mine = request.GET.get("mine") == "1"
    rows = selectors.households_to_collect(actor=request.user, campaign=campaign, search=search, mine_only=mine)
    return render(
        request,
        "collection/collect_list.html",
        {"campaign": campaign, "rows": rows, "q": search, "mine": mine},
    )


def _show_errors(exc: DomainError) -> dict[str, str]:
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {}


@login_required
def submission_form(request: AuthedRequest, pk: int, household_pk: int) -> HttpResponse:
    """The collector's phone form for one household's archive: save as draft or submit."""
    if not _has(request, Action.CHANGE):
        raise PermissionDenied
    campaign = _campaign(request, pk)
    try:
        household = access_household(request.user, household_pk)
    except NotFound as exc:
        raise Http404 from exc
    if not can(request.user, Action.CHANGE, household) or not services.in_campaign(campaign, household.region_id):
        raise Http404
    submission = selectors.submission_for(
        actor=request.user, campaign=campaign, household=household, action=Action.CHANGE
    )
    data = submission.data if submission else archive.archive_data(household)
    errors: dict[str, str] = {}
    extra: dict[str, int] = {}
    if request.method == "POST":
        posted = archive_from_post(request.POST)
        action = request.POST.get("action", "save")
        if action in ADD_ROW:
            data = archive.normalize(posted) | {k: posted[k] for k in ADD_ROW.values()}
            extra[ADD_ROW[action]] = 1
        else:
            try:
                expected: int | None
                if submission is None:
                    submission = services.submission_start(actor=request.user, campaign=campaign, household=household)
                    expected = submission.version
                else:
                    expected = _version(request)
                if action == "submit":
                    services.submission_submit(
                        actor=request.user, submission=submission, expected_version=expected, data=posted
                    )
                    messages.success(request, _("已提交，等待乡镇校核。"))
                    return redirect("collection:collect-list", pk=campaign.pk)
                services.submission_save_draft(
                    actor=request.user, submission=submission, data=posted, expected_version=expected
                )
                messages.success(request, _("草稿已保存。"))
                return redirect("collection:submission-form", pk=campaign.pk, household_pk=household.pk)
            except NotFound as exc:
                raise Http404 from exc
            except DomainError as exc:
                errors = _show_errors(exc)
                messages.error(request, exc.message)
                data = posted
                if submission is not None:
                    submission.refresh_from_db()
    context = {
        "campaign": campaign,
        "household": household,
        "submission": submission,
        "editable": submission is None or submission.is_editable,
        "errors": errors,
        "reasons": (submission.return_reasons if submission else {}) or {},
        **form_context(data, errors=errors, extra=extra),
    }
    return render(request, "collection/submission_form.html", context)


@login_required
@require_POST
def field_validate(request: AuthedRequest) -> HttpResponse:
    """htmx: the error message for one field as the collector types (empty when valid)."""
    if not (_has(request, Action.CHANGE) or _has(request, Action.APPLY)):
        raise PermissionDenied
    # htmx posts the whole form; the field that changed is named in the HX-Trigger-Name header.
    trigger = request.htmx.trigger_name if request.htmx else None
    candidates = [trigger] if trigger else list(request.POST)
    name = next((key for key in candidates if key and key.rsplit("-", 1)[-1] in _VALIDATED), "")
    if not name:
        return HttpResponse("")
    field = name.rsplit("-", 1)[-1]
    validator = subjects.validate_field if field in _ORG_VALIDATED else archive.validate_field
    message = validator(field, request.POST.get(name, "")[:200])
    return HttpResponse(format_html('<span class="field-error">{}</span>', message) if message else "")


_ORG_VALIDATED = frozenset({"uscc", "legal_rep_id_number"})
_VALIDATED = frozenset(
    {"id_number", "phone", "name", "amount_fen", "value_fen", "insured_amount_fen", "year", *_ORG_VALIDATED}
)


@login_required
def organisation_list(request: AuthedRequest, pk: int) -> HttpResponse:
    """The business entities and collectives a collector or village operator may collect in a campaign."""
    if not _has(request, Action.CHANGE):
        raise PermissionDenied
    campaign = _campaign(request, pk)
    search = request.GET.get("q", "")[:32]
    rows = selectors.organisations_to_collect(actor=request.user, campaign=campaign, search=search)
    return render(request, "collection/organisation_list.html", {"campaign": campaign, "rows": rows, "q": search})


@login_required
def organisation_form(request: AuthedRequest, pk: int, subject_type: str, subject_pk: int) -> HttpResponse:
    """The phone form for an entity's or collective's archive: save as draft or submit (same lifecycle
    and verification as a household's)."""
    if not _has(request, Action.CHANGE):
        raise PermissionDenied
    campaign = _campaign(request, pk)
    try:
        subject = selectors.access_organisation(request.user, subject_type, subject_pk, Action.CHANGE)
    except NotFound as exc:
        raise Http404 from exc
    if not services.in_campaign(campaign, subject.region_id):
        raise Http404
    submission = selectors.organisation_submission_for(
        actor=request.user, campaign=campaign, subject=subject, action=Action.CHANGE
    )
    data = submission.data if submission else services.archive_of(subject)
    form = OrganisationArchiveForm(initial=org_initial(subject_type, data), subject_type=subject_type)
    if request.method == "POST":
        form = OrganisationArchiveForm(request.POST, subject_type=subject_type)
        form.is_valid()
        posted = form.archive_data()
        try:
            expected: int | None
            if submission is None:
                submission = services.submission_start(actor=request.user, campaign=campaign, subject=subject)
                expected = submission.version
            else:
                expected = _version(request)
            if request.POST.get("action") == "submit":
                services.submission_submit(
                    actor=request.user, submission=submission, expected_version=expected, data=posted
                )
                messages.success(request, _("已提交，等待乡镇校核。"))
                return redirect("collection:organisation-list", pk=campaign.pk)
            services.submission_save_draft(
                actor=request.user, submission=submission, data=posted, expected_version=expected
            )
            messages.success(request, _("草稿已保存。"))
            return redirect(
                "collection:organisation-form", pk=campaign.pk, subject_type=subject_type, subject_pk=subject.pk
            )
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            for key, message in _show_errors(exc).items():
                name = key.split(".", 1)[-1]
                if name in form.fields:
                    form.add_error(name, message)
            messages.error(request, exc.message)
            if submission is not None:
                submission.refresh_from_db()
    return render(
        request,
        "collection/organisation_form.html",
        {
            "campaign": campaign,
            "subject": subject,
            "subject_type": subject_type,
            "submission": submission,
            "editable": submission is None or submission.is_editable,
            "form": form,
            "required": subjects.kind_for(subject_type).required,
            "reasons": (submission.return_reasons if submission else {}) or {},
        },
    )


@login_required
def declare(request: AuthedRequest, pk: int) -> HttpResponse:
    """A household user declares or corrects its own archive (农户自主申报)."""
    if not _has(request, Action.APPLY):
        raise PermissionDenied
    campaign = _campaign(request, pk)
    households = selectors.own_campaign_households(actor=request.user)
    if not households:
        raise Http404
    household = households[0]
    existing = selectors.submission_for(actor=request.user, campaign=campaign, household=household, action=Action.APPLY)
    data = existing.data if existing else archive.archive_data(household)
    errors: dict[str, str] = {}
    extra: dict[str, int] = {}
    if request.method == "POST":
        posted = archive_from_post(request.POST)
        action = request.POST.get("action", "submit")
        if action in ADD_ROW:
            data = archive.normalize(posted) | {k: posted[k] for k in ADD_ROW.values()}
            extra[ADD_ROW[action]] = 1
        else:
            try:
                services.submission_declare(actor=request.user, campaign=campaign, household=household, data=posted)
                messages.success(request, _("申报已提交，待村里确认后由乡镇校核。"))
                return redirect("collection:declare", pk=campaign.pk)
            except NotFound as exc:
                raise Http404 from exc
            except DomainError as exc:
                errors = _show_errors(exc)
                messages.error(request, exc.message)
                data = posted
    return render(
        request,
        "collection/declare.html",
        {
            "campaign": campaign,
            "household": household,
            "submission": existing,
            "editable": existing is None or existing.is_editable,
            "errors": errors,
            "reasons": (existing.return_reasons if existing else {}) or {},
            **form_context(data, errors=errors, extra=extra),
        },
    )


@login_required
def verify_queue(request: AuthedRequest, pk: int) -> HttpResponse:
    """The township's verification queue: filter by village and state; close a village."""
    if not _has(request, Action.VERIFY):
        raise PermissionDenied
    campaign = _campaign(request, pk)
    villages = selectors.villages_of(actor=request.user, campaign=campaign, action=Action.VERIFY)
    choices = [(v.code, v.name) for v in villages]
    if request.method == "POST" and request.POST.get("action") == "close":
        try:
            target = access_region(request.user, request.POST.get("village", "")[:12])
            services.village_close(actor=request.user, campaign=campaign, village=target)
            messages.success(request, _("%(village)s 已关闭本批次采集。") % {"village": target.name})
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect(request.get_full_path())
    form = QueueFilterForm(request.GET or None, villages=choices)
    village = state = ""
    if form.is_bound and form.is_valid():
        village, state = form.cleaned_data["village"], form.cleaned_data["state"]
    queryset = selectors.submission_list(
        actor=request.user, campaign=campaign, state=state, village=village, action=Action.VERIFY
    )
    closures = selectors.village_closures(actor=request.user, campaign=campaign)
    return render(
        request,
        "collection/verify_queue.html",
        {
            "campaign": campaign,
            "form": form,
            "submissions": list(queryset[:200]),
            "count": queryset.count(),
            "counts": selectors.state_counts(actor=request.user, campaign=campaign, action=Action.VERIFY),
            "villages": [(v, closures.get(v.code)) for v in villages],
        },
    )


@login_required
def submission_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The verification page: the diff against the previous verified version, and the decisions."""
    user = request.user
    try:
        submission = selectors.access_submission(user, pk)
    except NotFound as exc:
        raise Http404 from exc
    if request.method == "POST":
        return _decide(request, submission)
    diff = selectors.submission_diff(submission, actor=user)
    conflicts = services.archive_conflicts(submission) if submission.state == SubmissionState.SUBMITTED else []
    data = selectors.masked_archive(user, submission, submission.data)
    org_rows = [
        {"label": subjects.label(key), "value": subjects.display(key, value)}
        for key, value in (data.get(submission.subject_type) or {}).items()
        if submission.subject_type != "household"
    ]
    return render(
        request,
        "collection/submission_detail.html",
        {
            "submission": submission,
            "diff": diff,
            "data": data,
            "org_rows": org_rows,
            "conflicts": conflicts,
            "can_verify": can(user, Action.VERIFY, submission) and submission.state == SubmissionState.SUBMITTED,
            "can_confirm": can(user, Action.CHANGE, submission)
            and submission.self_declared
            and submission.confirmed_at is None
            and submission.state == SubmissionState.SUBMITTED,
            "can_reopen": (can(user, Action.VERIFY, submission) or can(user, Action.AUDIT, submission))
            and submission.is_done,
            "can_rebase": bool(conflicts) and can(user, Action.CHANGE, submission),
            "reasons": submission.return_reasons or {},
        },
    )


def _decide(request: AuthedRequest, submission: Submission) -> HttpResponse:
    user, post = request.user, request.POST
    action = post.get("action", "")
    expected = _version(request)
    try:
        if action == "verify":
            fields = post.getlist("accept") if post.get("mode") == "fields" else None
            services.submission_verify(
                actor=user, submission=submission, expected_version=expected, fields=fields, note=post.get("note", "")
            )
            messages.success(request, _("已校核，档案已更新并生成快照。"))
        elif action == "return":
            reasons = {
                key[len("reason-") :]: str(post.get(key, ""))
                for key in post
                if key.startswith("reason-") and str(post.get(key, "")).strip()
            }
            services.submission_return(actor=user, submission=submission, expected_version=expected, reasons=reasons)
            messages.success(request, _("已退回采集员。"))
        elif action == "confirm":
            services.submission_confirm_self_declared(actor=user, submission=submission, expected_version=expected)
            messages.success(request, _("已确认农户自主申报。"))
        elif action == "reopen":
            services.submission_reopen(
                actor=user, submission=submission, expected_version=expected, reason=post.get("reason", "")
            )
            messages.success(request, _("已重新打开，可修改后再次提交。"))
        elif action == "rebase":
            conflicts = services.submission_rebase(actor=user, submission=submission, expected_version=expected)
            if conflicts:
                messages.warning(
                    request, _("已按当前档案重新比对；%(n)s 项双方都有修改，请核对。") % {"n": len(conflicts)}
                )
            else:
                messages.success(request, _("已按当前档案重新比对。"))
        else:
            raise ValidationFailed(_("未知操作"))
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("collection:submission-detail", pk=submission.pk)


@login_required
def spot_check_list(request: AuthedRequest, pk: int) -> HttpResponse:
    """The auditor's page: draw a sample in a village (ratio, seed recorded) and see earlier draws."""
    if not _has(request, Action.AUDIT):
        raise PermissionDenied
    campaign = _campaign(request, pk)
    villages = selectors.villages_of(actor=request.user, campaign=campaign, action=Action.AUDIT)
    form = DrawForm(request.POST or None, villages=[(v.code, v.name) for v in villages])
    if request.method == "POST" and form.is_valid():
        try:
            village = access_region(request.user, form.cleaned_data["village"])
            check = services.spot_check_draw(
                actor=request.user,
                campaign=campaign,
                village=village,
                ratio=form.cleaned_data["ratio"],
                seed=form.cleaned_data["seed"],
            )
            messages.success(request, _("已抽取 %(n)s 份。") % {"n": len(check.sample)})
            return redirect("collection:spot-check-detail", pk=check.pk)
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "collection/spot_check_list.html",
        {
            "campaign": campaign,
            "form": form,
            "checks": list(selectors.spot_check_list(actor=request.user, campaign=campaign)[:100]),
        },
    )


@login_required
def spot_check_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """One draw: its seed and sample; record a finding per sampled submission."""
    if not _has(request, Action.AUDIT):
        raise PermissionDenied
    try:
        check = selectors.access_spot_check(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    if request.method == "POST":
        try:
            submission = selectors.access_submission(request.user, request.POST.get("submission", ""), Action.AUDIT)
            services.spot_check_record(
                actor=request.user,
                spot_check=check,
                submission=submission,
                passed=request.POST.get("passed") == "1",
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("督查结果已记录。"))
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("collection:spot-check-detail", pk=check.pk)
    return render(
        request,
        "collection/spot_check_detail.html",
        {"check": check, "rows": selectors.spot_check_rows(actor=request.user, spot_check=check)},
    )
