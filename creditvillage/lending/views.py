"""Lending pages: the home (bank officer, village, household), products, whole-village grant
preview/confirm and its printable list, consents, applications and the loan page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.core.errors import DomainError, NotFound
from creditvillage.core.errors import PermissionDenied as DomainPermissionDenied
from creditvillage.core.money import fen_to_yuan, format_yuan, yuan_to_fen
from creditvillage.core.scope import access
from creditvillage.lending import loans, risk, selectors, services, uploads, validation
from creditvillage.lending.access import household_grant, is_bank_officer, may_recommend, require_lend
from creditvillage.lending.forms import (
    ApplyForm,
    CompensateForm,
    ConsentForm,
    DecisionForm,
    DepositForm,
    FundCreateForm,
    FundTermsForm,
    LossShareForm,
    PaperConsentForm,
    RecommendForm,
    RepaymentForm,
    RepaymentUploadForm,
    ValidationForm,
)
from creditvillage.lending.models import Bank, LoanStatus
from creditvillage.regions.models import Region
from creditvillage.registry.models import Household


def _domain(exc: DomainError) -> Exception:
    if isinstance(exc, NotFound):
        return Http404()
    if isinstance(exc, DomainPermissionDenied):
        return PermissionDenied()
    return exc


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    own = household_grant(user)
    officer = is_bank_officer(user) or user.is_superuser
    party = bool(selectors.party_regions(actor=user))
    if not (own or officer or party or user.has_action(Action.VIEW)):
        raise PermissionDenied
    context: dict[str, Any] = {
        "is_household": own is not None,
        "is_officer": officer,
        "is_party": party,
        "may_funds": _fund_viewer(user),
        "may_validate": user.is_superuser or user.has_action(Action.VIEW_STATS),
    }
    if own is not None:
        context["my_lines"] = selectors.own_lines(actor=user)
        context["my_loans"] = list(selectors.loans(actor=user)[:20])
        context["my_consents"] = list(selectors.consents(actor=user, household_id=own.household_id))
    if officer:
        context["products"] = list(selectors.own_products(actor=user))
        context["villages"] = _grant_villages(user)
        context["grant_townships"] = _grant_villages(user, ("township",))
    if officer or party or own is None:
        context["pipeline"] = list(selectors.loans(actor=user).exclude(status=LoanStatus.WITHDRAWN)[:50])
        context["counts"] = selectors.pipeline_counts(actor=user)
        lines = selectors.lines(actor=user)
        context["figures"] = selectors.lending_figures(lines, selectors.loans(actor=user))
        context["grants"] = grants = [g for g in selectors.village_grants(actor=user)[:20] if g.lines_created][:10]
        names = dict(Region.objects.filter(code__in={g.region_code for g in grants}).values_list("code", "name"))
        for g in grants:
            g.region_name = names.get(g.region_code, "")
    return render(request, "lending/home.html", context)


def _grant_villages(user: Any, levels: tuple[str, ...] = ("village",)) -> list[Any]:
    """Regions of these levels an officer may grant in: in its scope and its bank's service area."""
    from creditvillage.lending.access import bank_grants

    grants = bank_grants(user)
    banks = {b.pk: b for b in Bank.objects.filter(pk__in={g.bank_id for g in grants}).prefetch_related("regions")}
    out = []
    for region in Region.objects.visible_to(user).filter(level__in=levels).order_by("code")[:200]:
        if any(region.code.startswith(g.prefix) and _serves(banks.get(g.bank_id or 0), region.code) for g in grants):
            out.append(region)
    return out


def _serves(bank: Bank | None, code: str) -> bool:
    from creditvillage.lending.access import bank_serves

    return bank is not None and bank_serves(bank, code)


@login_required
def product_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        product = selectors.access_product(request.user, pk)
    except DomainError as exc:
        raise _domain(exc) from exc
    terms = [
        {"subject_type": k, "grade": g, "line_fen": line, "cap": cap}
        for (k, g), (line, cap) in services.product_terms(product).items()
    ]
    officer_here = is_bank_officer(request.user) and product.bank_id in selectors.actor_bank_ids(request.user)
    return render(request, "lending/product_detail.html", {"product": product, "terms": terms, "officer": officer_here})


@login_required
def grant_preview(request: AuthedRequest, pk: int, code: str) -> HttpResponse:
    """整村授信: GET shows the preview (count, total, list); POST grants (the same list).

    For a village, one grant; for a township or county, one grant per village in one act
    (``region_grant``), previewed village by village.
    """
    try:
        product = selectors.access_product(request.user, pk)
        region = Region.objects.filter(code=code).first() if len(code) == 12 and code.isdigit() else None
        # Anything but a township or county takes the village path, whose checks answer a missing
        # or out-of-scope code exactly as before (permission first, then 404).
        whole_village = region is None or region.level not in ("township", "county")
        if request.method == "POST":
            if whole_village:
                grant, _preview = services.village_grant(actor=request.user, product=product, region_code=code)
                messages.success(request, _("整村授信完成：新增 %(n)s 户授信。") % {"n": grant.lines_created})
                return redirect("lending:grant-print", grant.pk)
            grants = services.region_grant(actor=request.user, product=product, region_code=code)
            messages.success(
                request,
                _("整村授信完成：%(v)s 个村，新增 %(n)s 户授信，合计 %(total)s。")
                % {
                    "v": sum(1 for g in grants if g.lines_created),
                    "n": sum(g.lines_created for g in grants),
                    "total": format_yuan(sum(g.total_fen for g in grants)),
                },
            )
            return redirect(reverse("lending:home") + "#grants")
        if whole_village:
            preview = services.village_grant_preview(actor=request.user, product=product, region_code=code)
        else:
            preview = services.region_grant_preview(actor=request.user, product=product, region_code=code)
    except DomainError as exc:
        raise _domain(exc) from exc
    context: dict[str, Any] = {"product": product, "preview": preview, "code": code, "region": region}
    if not whole_village:
        names = dict(
            Region.objects.filter(code__in={c.region_code for c in preview.candidates}).values_list("code", "name")
        )
        per_village: dict[str, dict[str, Any]] = {}
        for c in preview.candidates:
            row = per_village.setdefault(
                c.region_code,
                {"code": c.region_code, "name": names.get(c.region_code, c.region_code), "count": 0, "total_fen": 0},
            )
            row["count"] += 1
            row["total_fen"] += c.limit_fen
        context["per_village"] = sorted(per_village.values(), key=lambda row: row["code"])
    return render(request, "lending/grant_preview.html", context)


@login_required
def grant_print(request: AuthedRequest, pk: int) -> HttpResponse:
    """The printable list of a whole-village grant, for the village (names, grades, lines; no IDs or phones)."""
    try:
        grant = selectors.access_village_grant(request.user, pk)
    except DomainError as exc:
        raise _domain(exc) from exc
    rows = selectors.lines(actor=request.user).filter(village_grant=grant)
    return render(request, "lending/grant_print.html", {"grant": grant, "rows": rows})


@login_required
def consents(request: AuthedRequest) -> HttpResponse:
    """A household's consents (grant on the phone, revoke) and the log of bank reads of its data."""
    own = household_grant(request.user)
    if own is None:
        raise PermissionDenied
    household = access(Household.objects.all(), request.user, own.household_id)
    banks = [(b.pk, b.name) for b in Bank.objects.filter(regions__isnull=False).distinct().order_by("name")]
    banks = [(pk, name) for pk, name in banks if _serves(Bank.objects.get(pk=pk), household.region_id)]
    form = ConsentForm(request.POST or None, banks=banks)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_grant(
                actor=request.user,
                household=household,
                bank=Bank.objects.get(pk=form.cleaned_data["bank"]),
                purpose=form.cleaned_data["purpose"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已授权。"))
            return redirect("lending:consents")
    context = {
        "household": household,
        "consents": selectors.consents(actor=request.user, household_id=household.pk),
        "reads": selectors.bank_reads(actor=request.user, household_id=household.pk),
        "form": form,
    }
    return render(request, "lending/consents.html", context)


@login_required
@require_POST
def consent_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        consent = selectors.access_consent(request.user, pk)
        services.consent_revoke(actor=request.user, consent=consent, reason=request.POST.get("reason", ""))
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("授权已撤回，银行即刻无法查看您的信息。"))
    return redirect("lending:consents" if household_grant(request.user) else "lending:home")


@login_required
def paper_consent(request: AuthedRequest) -> HttpResponse:
    """The village records a household's paper consent with the scanned signature."""
    if not request.user.has_action(Action.CHANGE):
        raise PermissionDenied
    banks = [(b.pk, b.name) for b in Bank.objects.order_by("name")]
    form = PaperConsentForm(request.POST or None, request.FILES or None, banks=banks)
    if request.method == "POST" and form.is_valid():
        try:
            household = access(Household.objects.all(), request.user, form.cleaned_data["household"], Action.CHANGE)
            services.consent_grant(
                actor=request.user,
                household=household,
                bank=Bank.objects.get(pk=form.cleaned_data["bank"]),
                purpose=form.cleaned_data["purpose"],
                signature=form.cleaned_data["signature"],
            )
        except NotFound:
            form.add_error("household", _("本辖区内没有这个农户"))
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("纸质授权已登记。"))
            return redirect("lending:paper-consent")
    return render(request, "lending/paper_consent.html", {"form": form})


@login_required
def apply(request: AuthedRequest, line_pk: int) -> HttpResponse:
    """A household applies online against its line with the two materials."""
    own = household_grant(request.user)
    try:
        line = selectors.access_line(request.user, line_pk)
    except DomainError as exc:
        raise _domain(exc) from exc
    if own is None or line.household_id != own.household_id:
        raise Http404
    form = ApplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            loan = loans.loan_apply(
                actor=request.user,
                line=line,
                amount_fen=yuan_to_fen(data["amount"]),
                term_months=data["term_months"],
                purpose=data["purpose"],
                id_document=data["id_document"],
                certificate=data["certificate"],
                idempotency_key=request.POST.get("idempotency_key", "")[:128],
            )
        except DomainError as exc:
            field = exc.details.get("field") if isinstance(exc.details, dict) else None
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _("申请已提交，请留意审批结果。"))
            return redirect("lending:loan", loan.pk)
    key = f"apply-{line.pk}-{timezone.now().timestamp():.0f}"
    return render(request, "lending/apply.html", {"line": line, "form": form, "key": key})


@login_required
def loan_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        loan = selectors.access_loan(request.user, pk)
    except DomainError as exc:
        raise _domain(exc) from exc
    selectors.log_bank_read(actor=request.user, household=loan.household, what="loan", channel="web")
    user = request.user
    officer = _may_lend(user, loan)
    context = {
        "loan": loan,
        "line": loan.line,
        "schedule": selectors.loan_schedule(loan),
        "repayments": selectors.loan_repayments(loan),
        "officer": officer,
        "own": (g := household_grant(user)) is not None and g.household_id == loan.household_id,
        "may_recommend": may_recommend(user, loan.region_code) and loan.status == LoanStatus.APPLIED,
        "decision_form": DecisionForm(
            initial={"rate_pct": loan.line.max_rate_pct, "term_months": loan.requested_term_months}
        ),
        "recommend_form": RecommendForm(),
        "repayment_form": RepaymentForm(initial={"paid_on": timezone.localdate()}),
        "self_check": loan.decided_by_id == user.pk,
        "risk_fund": selectors.fund_for_loan(user, loan) if loan.status == LoanStatus.DEFAULTED else None,
    }
    return render(request, "lending/loan_detail.html", context)


def _may_lend(user: Any, loan: Any) -> bool:
    try:
        require_lend(user, loan.bank, loan.region_code)
    except DomainError:
        return False
    return True


@login_required
@require_POST
def loan_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    try:
        loan = selectors.access_loan(request.user, pk)
    except DomainError as exc:
        raise _domain(exc) from exc
    try:
        _act(request, loan, action)
    except NotFound as exc:
        raise Http404 from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("lending:loan", loan.pk)


def _act(request: AuthedRequest, loan: Any, action: str) -> None:
    user = request.user
    if action == "recommend":
        note_form = RecommendForm(request.POST)
        if note_form.is_valid():
            loans.loan_recommend(actor=user, loan=loan, note=note_form.cleaned_data["note"])
            messages.success(request, _("已推荐。"))
    elif action == "decide":
        form = DecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请检查审批内容。"))
            return
        data = form.cleaned_data
        loans.loan_decide(
            actor=user,
            loan=loan,
            approve=data["approve"],
            amount_fen=yuan_to_fen(data["amount"]) if data.get("amount") else None,
            rate_pct=data.get("rate_pct"),
            term_months=data.get("term_months"),
            reason=data.get("reason", ""),
        )
        messages.success(request, _("审批已提交。"))
    elif action == "check":
        loans.loan_check(
            actor=user, loan=loan, approve=request.POST.get("approve") == "1", reason=request.POST.get("reason", "")
        )
        messages.success(request, _("复核已完成。"))
    elif action == "disburse":
        loans.loan_disburse(actor=user, loan=loan)
        messages.success(request, _("已放款。"))
    elif action == "withdraw":
        loans.loan_withdraw(actor=user, loan=loan)
        messages.success(request, _("申请已撤回。"))
    elif action == "repay":
        repay_form = RepaymentForm(request.POST)
        if repay_form.is_valid():
            data = repay_form.cleaned_data
            loans.repayment_record(
                actor=user,
                loan=loan,
                amount_fen=yuan_to_fen(data["amount"]),
                paid_on=data["paid_on"],
                reference=data["reference"],
            )
            messages.success(request, _("还款已登记。"))
    else:
        raise NotFound()


# ------------------------------------------------------------------------------------------------
# Risk sharing: the county risk compensation fund (风险补偿金), compensation, the 4321 split
# ------------------------------------------------------------------------------------------------

LEDGER_PAGE = 20


def _fund_viewer(user: Any) -> bool:
    return bool(user.is_superuser) or any(
        g.role in selectors.FUND_ROLES and g.household_id is None and g.merchant_id is None
        for g in user.grants_for(Action.VIEW_STATS)
    )


def _require_fund_viewer(user: Any) -> None:
    """403 for someone who may see no fund at all (no role that sees one)."""
    if not _fund_viewer(user):
        raise PermissionDenied


@login_required
def funds(request: AuthedRequest) -> HttpResponse:
    """The risk compensation funds the user may see (usually one: the county's)."""
    _require_fund_viewer(request.user)
    rows = list(selectors.funds(actor=request.user))
    # A county administrator whose county has no fund yet may set one up here (设立).
    counties = [c for c in _administered_counties(request.user) if all(f.region_id != c.code for f in rows)]
    form = FundCreateForm(request.POST or None, initial={"ratio": 50, "cap": 500_000})
    if request.method == "POST":
        if not counties:
            raise PermissionDenied
        if form.is_valid():
            try:
                fund = risk.fund_create(
                    actor=request.user,
                    county_code=counties[0].code,
                    name=form.cleaned_data["name"],
                    ratio_pct=form.cleaned_data["ratio"],
                    cap_fen=yuan_to_fen(form.cleaned_data["cap"]),
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("风险补偿金已设立，可以注资。"))
                return redirect("lending:fund", fund.pk)
    context = {"funds": rows, "create_county": counties[0] if counties else None, "create_form": form}
    return render(request, "lending/funds.html", context)


def _administered_counties(user: Any) -> list[Region]:
    """Counties the user administers (``configure`` over the whole county)."""
    if not user.is_authenticated:
        return []
    prefixes = {g.prefix for g in user.grants_for(Action.CONFIGURE) if len(g.prefix) <= 6}
    if not prefixes and not user.is_superuser:
        return []
    counties = Region.objects.visible_to(user).filter(level="county").order_by("code")[:50]
    return [c for c in counties if risk.administers_county(user, c.code)]


@login_required
def fund_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A fund: balance, compensation ratio, per-loan cap, the ledger (who, when, why), 20 a page."""
    try:
        fund = selectors.access_fund(request.user, pk)
    except DomainError as exc:
        raise _domain(exc) from exc
    page = Paginator(selectors.fund_ledger(actor=request.user, fund=fund), LEDGER_PAGE).get_page(
        request.GET.get("page")
    )
    may_admin = risk.may_administer(request.user, fund)
    initial = {"ratio": fund.compensation_ratio_pct, "cap": fen_to_yuan(fund.per_loan_cap_fen)}
    terms = FundTermsForm(request.POST or None, initial=initial)
    if request.method == "POST":  # 调整补偿比例与单笔上限 (the county's administrators)
        if not may_admin:
            raise PermissionDenied
        if terms.is_valid():
            try:
                risk.fund_set_terms(
                    actor=request.user,
                    fund=fund,
                    ratio_pct=terms.cleaned_data["ratio"],
                    cap_fen=yuan_to_fen(terms.cleaned_data["cap"]),
                    reason=terms.cleaned_data["reason"],
                )
            except DomainError as exc:
                terms.add_error(None, exc.message)
            else:
                messages.success(request, _("补偿比例与单笔上限已调整。"))
                return redirect("lending:fund", fund.pk)
    context = {
        "fund": fund,
        "page": page,
        "ledger_ok": risk.fund_ledger_ok(fund),
        "may_admin": may_admin,
        "bank_view": is_bank_officer(request.user) and not request.user.is_superuser,
        "form": DepositForm(),
        "terms_form": terms,
        "shares": list(selectors.loss_shares(actor=request.user)[:10]),
    }
    return render(request, "lending/fund_detail.html", context)


@login_required
def fund_deposit(request: AuthedRequest, pk: int) -> HttpResponse:
    """注资: the county's administrators put money into the fund (a ledger row, audited)."""
    try:
        fund = selectors.access_fund(request.user, pk)
    except DomainError as exc:
        raise _domain(exc) from exc
    if not risk.may_administer(request.user, fund):
        raise PermissionDenied
    form = DepositForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            risk.fund_deposit(
                actor=request.user,
                fund=fund,
                amount_fen=yuan_to_fen(form.cleaned_data["amount"]),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("注资已入账。"))
            return redirect("lending:fund", fund.pk)
    return render(request, "lending/fund_deposit.html", {"fund": fund, "form": form})


@login_required
def compensate(request: AuthedRequest, pk: int) -> HttpResponse:
    """A defaulted loan's risk sharing: the fund's compensation (computed, then paid once by the
    county's administrators) and the 4321 split of the loss (recorded by the bank or the county)."""
    try:
        loan = selectors.access_loan(request.user, pk)
    except DomainError as exc:
        raise _domain(exc) from exc
    fund = selectors.fund_for_loan(request.user, loan)
    if fund is None:
        raise Http404
    user = request.user
    if request.method == "POST":
        try:
            _risk_act(request, fund, loan)
        except NotFound as exc:
            raise Http404 from exc
        except DomainPermissionDenied as exc:
            raise PermissionDenied from exc
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("lending:compensate", loan.pk)
    selectors.log_bank_read(actor=user, household=loan.household, what="compensation", channel="web")
    share = selectors.loan_loss_share(loan)
    loss = loan.principal_outstanding_fen
    split = risk.split_4321(loss)
    if share is not None:
        split = {
            "guarantor": share.guarantor_fen,
            "reguarantor": share.reguarantor_fen,
            "bank": share.bank_fen,
            "government": share.government_fen,
        }
    payout = selectors.loan_payout(loan)
    compensable = risk.compensable(fund, loan)
    may_share = (
        loan.guaranteed and compensable and share is None and (_may_lend(user, loan) or _may_configure(user, loan))
    )
    context = {
        "loan": loan,
        "fund": fund,
        "due_fen": risk.compensation_due(fund, loan),
        "compensable": compensable,
        "payout": payout,
        "paid_fen": -payout.amount_fen if payout else 0,
        "share": share,
        "loss_fen": share.loss_fen if share else loss,
        "split": [
            (_("担保机构"), 40, split["guarantor"]),
            (_("省再担保机构"), 30, split["reguarantor"]),
            (_("银行"), 20, split["bank"]),
            (_("地方政府"), 10, split["government"]),
        ],
        "may_compensate": compensable and payout is None and risk.may_administer(user, fund),
        "may_share": may_share,
        "form": CompensateForm(),
        "share_form": LossShareForm(),
    }
    return render(request, "lending/compensate.html", context)


def _may_configure(user: Any, loan: Any) -> bool:
    from creditvillage.core.scope import can

    return bool(user.is_superuser or can(user, Action.CONFIGURE, loan))


def _risk_act(request: AuthedRequest, fund: Any, loan: Any) -> None:
    op = request.POST.get("op", "")
    if op == "compensate":
        form = CompensateForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        movement = risk.fund_compensate(actor=request.user, fund=fund, loan=loan, reason=reason)
        messages.success(request, _("已代偿 %(amount)s 元。") % {"amount": fen_to_yuan(-movement.amount_fen)})
    elif op == "share":
        share_form = LossShareForm(request.POST)
        if not share_form.is_valid():
            messages.error(request, _("请检查损失金额。"))
            return
        amount = share_form.cleaned_data.get("loss")
        risk.loss_share_record(actor=request.user, loan=loan, loss_fen=yuan_to_fen(amount) if amount else None)
        messages.success(request, _("4321分险已登记。"))
    else:
        raise NotFound()


@login_required
def loss_shares(request: AuthedRequest) -> HttpResponse:
    """The recorded 4321 splits the user may see."""
    if not (request.user.is_superuser or request.user.has_action(Action.VIEW_STATS)):
        raise PermissionDenied
    page = Paginator(selectors.loss_shares(actor=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "lending/loss_shares.html", {"page": page})


# ------------------------------------------------------------------------------------------------
# Model validation report, the bank's pre-approved list, the repayment upload
# ------------------------------------------------------------------------------------------------


@login_required
def validation_page(request: AuthedRequest) -> HttpResponse:
    """Default rate by grade, KS, AUC, PSI for a region and cycle, with what each means."""
    from creditvillage.regions.selectors import region_choices

    user = request.user
    if not (user.is_superuser or user.has_action(Action.VIEW_STATS)):
        raise PermissionDenied
    code = request.GET.get("region", "").strip()[:12]
    regions = region_choices(user, selected=code)
    form = ValidationForm(request.GET or None, regions=regions)
    if not code and regions:
        # Opened from the menu: show the report for the user's first region at once.
        code = regions[0].code
        form = ValidationForm(initial={"region": code}, regions=regions)
    context: dict[str, Any] = {"form": form, "report": None, "years": []}
    if code:
        try:
            context["years"] = validation.cycle_years(actor=user, region=code)
        except DomainError as exc:
            raise _domain(exc) from exc
        year = request.GET.get("year", "").strip()
        year_value = int(year) if year.isdigit() and len(year) == 4 else None
        try:
            report = validation.validation_report(actor=user, region=code, year=year_value)
        except NotFound:
            context["no_cycle"] = True
        else:
            context["report"] = report
            context["readings"] = validation.readings(report)
            rows = sorted(
                ({"grade": g, **v, "rate_pct": _pct(v["default_rate"])} for g, v in report["by_grade"].items()),
                key=lambda r: -(r["mean_score"] or 0),
            )
            context["rows"] = rows
            context["default_rate_pct"] = _pct(report["default_rate"])
            context["chart"] = {
                "labels": [r["grade"] for r in rows],
                "rates": [round((r["default_rate"] or 0) * 100, 2) for r in rows],
                "subjects": [r["subjects"] for r in rows],
                "defaults": [r["defaults"] for r in rows],
            }
    return render(request, "lending/validation.html", context)


def _pct(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.2f}%"


@login_required
def pre_approved(request: AuthedRequest) -> HttpResponse:
    """The bank's consented pre-approved list (预授信名单), 50 a page; every shown household is logged."""
    region = request.GET.get("region", "").strip()[:12] or None
    try:
        queryset = selectors.pre_approved(actor=request.user, region=region)
    except DomainError as exc:
        raise _domain(exc) from exc
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    for line in page:
        if line.household_id:
            selectors.log_bank_read(
                actor=request.user,
                household=Household(pk=line.household_id, region_id=line.region_code),
                what="pre-approved",
                channel="web",
            )
    context = {"page": page, "querystring": f"region={region}" if region else ""}
    return render(request, "lending/pre_approved.html", context)


@login_required
def repayments_upload(request: AuthedRequest) -> HttpResponse:
    """A bank uploads repayment outcomes (xlsx): each row applied once (by the bank's 流水号)."""
    if not is_bank_officer(request.user) and not request.user.is_superuser:
        raise PermissionDenied
    form = RepaymentUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = uploads.read_xlsx(form.cleaned_data["file"])
            result = uploads.apply_repayments(actor=request.user, rows=rows, source="xlsx")
        except DomainPermissionDenied as exc:
            raise PermissionDenied from exc
        except DomainError as exc:
            form.add_error("file", exc.message)
    return render(request, "lending/repayments_upload.html", {"form": form, "result": result})
