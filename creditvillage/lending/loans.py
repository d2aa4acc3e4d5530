"""Loan services (用信): apply, recommend, decide (maker-checker), disburse, repay, overdue, default.

Money is integer fen: interest is computed in ``Decimal`` and rounded half up to the fen once per
installment; principal is split evenly with the remainder on the last installment so the parts sum
exactly to the loan.
"""

from __future__ import annotations

import calendar
import datetime as dt
import importlib
import logging
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.core import audit
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.scope import Actor
from creditvillage.lending.access import household_grant, may_recommend, require_lend
from creditvillage.lending.models import (
    CreditLine,
    Installment,
    LineStatus,
    Loan,
    LoanStatus,
    RatingFeedback,
    Repayment,
    RepaymentSource,
)
from creditvillage.lending.services import _check_upload, _ext, _user

log = logging.getLogger(__name__)

MATERIAL_TYPES = {"image/jpeg", "image/png", "application/pdf"}
MAX_MATERIAL_BYTES = 5 * 1024 * 1024
MAX_TERM_MONTHS = 60


class Conflict(DomainError):
    status = 409


def _audit(actor: Actor | None, action: str, loan: Loan, changes: dict[str, Any], reason: str) -> None:
    audit.record(actor=actor, action=action, target=loan, region_code=loan.region_code, changes=changes, reason=reason)


def _transition(loan: Loan, frm: tuple[str, ...], **values: Any) -> None:
    """Move the loan out of one of ``frm`` with a conditional update (a concurrent move loses: 409)."""
    changed = Loan.objects.filter(pk=loan.pk, status__in=frm).update(**values, updated_at=timezone.now())
    if not changed:
        raise Conflict("invalid_state", _("贷款当前状态不允许此操作"), {"status": loan.status})
    for key, value in values.items():
        setattr(loan, key, value)


# ------------------------------------------------------------------------------------------------
# Application and recommendation
# ------------------------------------------------------------------------------------------------


def loan_apply(
    *,
    actor: Actor | None,
    line: CreditLine,
    amount_fen: int,
    term_months: int,
    purpose: str,
    id_document: UploadedFile,
    certificate: UploadedFile,
    idempotency_key: str = "",
) -> Loan:
    """A household applies against its own active line with its two materials (ID, credit certificate).

    With an ``idempotency_key`` the same application sent again returns the first one (C3).
    """
    own = household_grant(actor)
    household_id = own.household_id if own is not None else None
    if household_id is None or line.household_id != household_id:
        if actor is None or not actor.is_authenticated:
            raise PermissionDenied()
        raise NotFound()
    if idempotency_key:
        existing = Loan.objects.filter(household_id=household_id, idempotency_key=idempotency_key[:128]).first()
        if existing is not None:
            return existing
    return application_create(
        actor=actor,
        line=line,
        amount_fen=amount_fen,
        term_months=term_months,
        purpose=purpose,
        id_document=id_document,
        certificate=certificate,
        idempotency_key=idempotency_key,
    )


def application_create(
    *,
    actor: Actor | None,
    line: CreditLine,
    amount_fen: int,
    term_months: int,
    purpose: str,
    id_document: UploadedFile,
    certificate: UploadedFile,
    idempotency_key: str = "",
) -> Loan:
    """Validate and write an application against ``line`` (the caller checked who may apply: the
    household itself through ``loan_apply``; the demo builder writes its example applications here)."""
    if line.household_id is None:
        raise DomainError("not_a_household_line", _("只有农户的授信可以线上申请"))
    household_id: int = line.household_id
    if line.status != LineStatus.ACTIVE:
        raise DomainError("line_not_active", _("授信额度已暂停或冻结，暂不能申请"))
    if amount_fen <= 0 or amount_fen > line.available_fen:
        raise ValidationFailed(_("申请金额须大于 0 且不超过可用额度"), {"field": "amount"})
    if not 1 <= term_months <= MAX_TERM_MONTHS:
        raise ValidationFailed(_("期限须在 1 到 60 个月之间"), {"field": "term_months"})
    if not purpose.strip():
        raise ValidationFailed(_("请填写贷款用途"), {"field": "purpose"})
    _check_upload(id_document, MATERIAL_TYPES, MAX_MATERIAL_BYTES, "id_document")
    _check_upload(certificate, MATERIAL_TYPES, MAX_MATERIAL_BYTES, "certificate")
    try:
        with transaction.atomic():
            loan = Loan(
                line=line,
                bank_id=line.bank_id,
                household_id=household_id,
                region_code=line.region_code,
                requested_fen=amount_fen,
                requested_term_months=term_months,
                purpose=purpose.strip()[:200],
                applied_by=_user(actor),
                applied_at=timezone.now(),
                idempotency_key=idempotency_key[:128],
            )
            loan.id_document.save(f"id-{line.household_id}.{_ext(id_document)}", id_document, save=False)
            loan.certificate.save(f"cert-{line.household_id}.{_ext(certificate)}", certificate, save=False)
            loan.save()
            _audit(actor, "lending.loan_apply", loan, {"requested_fen": [None, amount_fen]}, _("农户线上申请贷款"))
    except IntegrityError:
        existing = Loan.objects.filter(household_id=household_id, idempotency_key=idempotency_key[:128]).first()
        if existing is None:
            raise
        return existing
    return loan


def loan_withdraw(*, actor: Actor | None, loan: Loan) -> Loan:
    own = household_grant(actor)
    if own is None or own.household_id != loan.household_id:
        raise NotFound()
    with transaction.atomic():
        _transition(loan, (LoanStatus.APPLIED,), status=LoanStatus.WITHDRAWN)
        _audit(actor, "lending.loan_withdraw", loan, {"status": ["applied", "withdrawn"]}, _("农户撤回申请"))
    return loan


def loan_recommend(*, actor: Actor | None, loan: Loan, note: str) -> Loan:
    """贷前推荐: the village party organisation vouches for the applicant (once, before the decision)."""
    if not may_recommend(actor, loan.region_code):
        raise NotFound()
    with transaction.atomic():
        changed = Loan.objects.filter(pk=loan.pk, status=LoanStatus.APPLIED, recommended_at__isnull=True).update(
            recommended_by=_user(actor), recommended_at=timezone.now(), recommendation=note.strip()[:200]
        )
        if not changed:
            raise Conflict("invalid_state", _("该申请已推荐或已处理"))
        loan.refresh_from_db()
        _audit(
            actor,
            "lending.loan_recommend",
            loan,
            {"recommendation": [None, loan.recommendation]},
            note or _("贷前推荐"),
        )
    return loan


# ------------------------------------------------------------------------------------------------
# Decision with maker-checker
# ------------------------------------------------------------------------------------------------


def loan_decide(
    *,
    actor: Actor | None,
    loan: Loan,
    approve: bool,
    amount_fen: int | None = None,
    rate_pct: Decimal | None = None,
    term_months: int | None = None,
    reason: str = "",
) -> Loan:
    """The bank officer approves (amount, rate within the line's cap, term) or rejects with a reason.

    Above the bank's ``checker_above_fen`` an approval waits for a second officer (``loan_check``).
    """
    require_lend(actor, loan.bank, loan.region_code)
    if not approve:
        if not reason.strip():
            raise ValidationFailed(_("拒绝须填写原因"), {"field": "reason"})
        with transaction.atomic():
            _transition(
                loan,
                (LoanStatus.APPLIED, LoanStatus.PENDING_CHECK),
                status=LoanStatus.REJECTED,
                reject_reason=reason.strip()[:200],
                decided_by=_user(actor),
                decided_at=timezone.now(),
            )
            _audit(actor, "lending.loan_reject", loan, {"status": [None, "rejected"]}, reason)
        return loan
    line = loan.line
    amount = amount_fen if amount_fen is not None else loan.requested_fen
    term = term_months if term_months is not None else loan.requested_term_months
    rate = rate_pct if rate_pct is not None else line.max_rate_pct
    if amount <= 0 or amount > line.available_fen:
        raise ValidationFailed(_("批准金额须大于 0 且不超过可用额度"), {"field": "amount"})
    if rate <= 0 or rate > line.max_rate_pct:
        raise ValidationFailed(
            _("利率须大于 0 且不超过该等级的利率上限"), {"field": "rate_pct", "max_rate_pct": str(line.max_rate_pct)}
        )
    if not 1 <= term <= MAX_TERM_MONTHS:
        raise ValidationFailed(_("期限须在 1 到 60 个月之间"), {"field": "term_months"})
    needs_check = amount > loan.bank.checker_above_fen
    with transaction.atomic():
        _transition(
            loan,
            (LoanStatus.APPLIED,),
            status=LoanStatus.PENDING_CHECK if needs_check else LoanStatus.APPROVED,
            amount_fen=amount,
            rate_pct=rate,
            term_months=term,
            decided_by=_user(actor),
            decided_at=timezone.now(),
        )
        _audit(
            actor,
            "lending.loan_approve",
            loan,
            {"status": ["applied", loan.status], "amount_fen": [None, amount], "rate_pct": [None, str(rate)]},
            reason or _("审批通过"),
        )
    return loan


def loan_check(*, actor: Actor | None, loan: Loan, approve: bool, reason: str = "") -> Loan:
    """The second officer's check of an approval above the bank's amount: never the same officer."""
    require_lend(actor, loan.bank, loan.region_code)
    if actor is not None and loan.decided_by_id == getattr(actor, "pk", None):
        raise DomainError("same_officer", _("审批人不能复核自己提交的审批"))
    if not approve:
        return loan_decide(actor=actor, loan=loan, approve=False, reason=reason or _("复核未通过"))
    with transaction.atomic():
        _transition(
            loan,
            (LoanStatus.PENDING_CHECK,),
            status=LoanStatus.APPROVED,
            checked_by=_user(actor),
            checked_at=timezone.now(),
        )
        _audit(actor, "lending.loan_check", loan, {"status": ["pending_check", "approved"]}, reason or _("复核通过"))
    return loan


# ------------------------------------------------------------------------------------------------
# Disbursement and the schedule
# ------------------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(amount_fen: int, rate_pct: Decimal, term_months: int, start: dt.date) -> list[dict[str, Any]]:
    """等额本金: equal principal each month (remainder on the last), interest on the opening balance."""
    base, remainder = divmod(amount_fen, term_months)
    monthly_rate = rate_pct / Decimal(100) / Decimal(12)
    balance = amount_fen
    rows = []
    for seq in range(1, term_months + 1):
        principal = base + (remainder if seq == term_months else 0)
        interest = int((Decimal(balance) * monthly_rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        rows.append(
            {"seq": seq, "due_on": add_months(start, seq), "principal_fen": principal, "interest_fen": interest}
        )
        balance -= principal
    return rows


def loan_disburse(*, actor: Actor | None, loan: Loan, on: dt.date | None = None) -> Loan:
    """Pay out an approved loan: the line's used amount rises (never above its limit), the schedule is written."""
    require_lend(actor, loan.bank, loan.region_code)
    day = on or timezone.localdate()
    if loan.amount_fen is None or loan.rate_pct is None or loan.term_months is None:
        raise Conflict("invalid_state", _("贷款尚未批准"), {"status": loan.status})
    with transaction.atomic():
        took = CreditLine.objects.filter(
            pk=loan.line_id, status=LineStatus.ACTIVE, used_fen__lte=F("limit_fen") - loan.amount_fen
        ).update(used_fen=F("used_fen") + loan.amount_fen)
        if not took:
            raise Conflict("line_exceeded", _("可用额度不足或授信已暂停"))
        _transition(
            loan,
            (LoanStatus.APPROVED,),
            status=LoanStatus.DISBURSED,
            disbursed_on=day,
            maturity_on=add_months(day, loan.term_months),
            principal_outstanding_fen=loan.amount_fen,
        )
        Installment.objects.bulk_create(
            [Installment(loan=loan, **row) for row in schedule(loan.amount_fen, loan.rate_pct, loan.term_months, day)]
        )
        _audit(actor, "lending.loan_disburse", loan, {"principal_outstanding_fen": [0, loan.amount_fen]}, _("放款"))
    return loan


# ------------------------------------------------------------------------------------------------
# Repayments, overdue days, default and feedback
# ------------------------------------------------------------------------------------------------


def repayment_record(
    *,
    actor: Actor | None,
    loan: Loan,
    amount_fen: int,
    paid_on: dt.date,
    reference: str,
    source: str = RepaymentSource.WEB,
    refresh_overdue: bool = True,
) -> tuple[Repayment, bool]:
    """Apply a repayment to the schedule (interest first, then principal, oldest first).

    Idempotent on the bank's ``reference``: the same reference again returns the stored repayment
    and ``False`` (nothing applied twice). A different amount under a known reference is a 409.
    ``refresh_overdue=False`` leaves the overdue check to the caller: a batch of historical
    repayments must be applied whole before the loan is judged as of today, or its first row would
    find the later instalments unpaid and default a loan that was repaid on time.
    """
    require_lend(actor, loan.bank, loan.region_code)
    reference = reference.strip()[:64]
    if not reference:
        raise ValidationFailed(_("请填写流水号"), {"field": "reference"})
    if amount_fen <= 0:
        raise ValidationFailed(_("还款金额须大于 0"), {"field": "amount"})
    known = Repayment.objects.filter(bank_id=loan.bank_id, reference=reference).first()
    if known is not None:
        return _same_repayment(known, loan, amount_fen)
    try:
        with transaction.atomic():
            locked = Loan.objects.select_for_update().get(pk=loan.pk)
            if locked.status not in (LoanStatus.DISBURSED, LoanStatus.OVERDUE, LoanStatus.DEFAULTED):
                raise Conflict("invalid_state", _("贷款当前状态不允许登记还款"), {"status": locked.status})
            repayment = Repayment.objects.create(
                loan=locked,
                bank_id=locked.bank_id,
                reference=reference,
                amount_fen=amount_fen,
                paid_on=paid_on,
                source=source,
                recorded_by=_user(actor),
            )
            left = amount_fen
            principal_paid = interest_paid = 0
            for row in (
                Installment.objects.select_for_update().filter(loan=locked, paid_on__isnull=True).order_by("seq")
            ):
                pay_interest = min(left, row.interest_fen - row.paid_interest_fen)
                left -= pay_interest
                pay_principal = min(left, row.principal_fen - row.paid_principal_fen)
                left -= pay_principal
                row.paid_interest_fen += pay_interest
                row.paid_principal_fen += pay_principal
                if row.due_fen == 0:
                    row.paid_on = paid_on
                row.save(update_fields=["paid_interest_fen", "paid_principal_fen", "paid_on"])
                principal_paid += pay_principal
                interest_paid += pay_interest
                if left == 0:
                    break
            if left > 0:
                raise ValidationFailed(_("还款金额超过应还总额"), {"field": "amount", "excess_fen": left})
            repayment.principal_fen, repayment.interest_fen = principal_paid, interest_paid
            repayment.save(update_fields=["principal_fen", "interest_fen"])
            outstanding = locked.principal_outstanding_fen - principal_paid
            values: dict[str, Any] = {"principal_outstanding_fen": outstanding}
            if not Installment.objects.filter(loan=locked, paid_on__isnull=True).exists():
                values.update(status=LoanStatus.CLOSED, closed_on=paid_on, overdue_days=0)
            Loan.objects.filter(pk=locked.pk).update(**values, updated_at=timezone.now())
            # Revolving line: repaid principal is available again.
            CreditLine.objects.filter(pk=locked.line_id).update(used_fen=F("used_fen") - principal_paid)
            audit.record(
                actor=actor,
                action="lending.repayment",
                target=repayment,
                region_code=locked.region_code,
                changes={"principal_outstanding_fen": [locked.principal_outstanding_fen, outstanding]},
                reason=f"{source} {reference}",
                channel=source,
            )
    except IntegrityError:
        known = Repayment.objects.filter(bank_id=loan.bank_id, reference=reference).first()
        if known is None:
            raise
        return _same_repayment(known, loan, amount_fen)
    loan.refresh_from_db()
    if refresh_overdue and loan.status != LoanStatus.CLOSED:
        loan_refresh_overdue(loan=loan, today=max(paid_on, timezone.localdate()))
    return repayment, True


def _same_repayment(known: Repayment, loan: Loan, amount_fen: int) -> tuple[Repayment, bool]:
    if known.loan_id != loan.pk or known.amount_fen != amount_fen:
        raise Conflict("reference_reused", _("流水号已用于另一笔还款"), {"reference": known.reference})
    return known, False


def loan_refresh_overdue(*, loan: Loan, today: dt.date | None = None) -> Loan:
    """Overdue days = days since the oldest unpaid installment fell due; past the bank's limit → default."""
    day = today or timezone.localdate()
    if loan.status not in (LoanStatus.DISBURSED, LoanStatus.OVERDUE):
        return loan
    oldest = Installment.objects.filter(loan=loan, paid_on__isnull=True, due_on__lt=day).order_by("due_on").first()
    days = (day - oldest.due_on).days if oldest is not None else 0
    status = LoanStatus.OVERDUE if days > 0 else LoanStatus.DISBURSED
    with transaction.atomic():
        if days > loan.bank.default_after_days:
            loan_default(loan=loan, overdue_days=days, on=day)
            return loan
        Loan.objects.filter(pk=loan.pk, status__in=(LoanStatus.DISBURSED, LoanStatus.OVERDUE)).update(
            overdue_days=days, status=status
        )
    loan.overdue_days, loan.status = days, status
    return loan


def loans_refresh_overdue(*, today: dt.date | None = None, region_prefix: str = "") -> int:
    """The nightly pass over every running loan (a task); returns how many loans it looked at."""
    queryset = Loan.objects.filter(status__in=(LoanStatus.DISBURSED, LoanStatus.OVERDUE)).select_related("bank")
    if region_prefix:
        queryset = queryset.filter(region_code__startswith=region_prefix)
    count = 0
    for loan in queryset.iterator(chunk_size=500):
        loan_refresh_overdue(loan=loan, today=today)
        count += 1
    return count


def loan_default(*, loan: Loan, overdue_days: int, on: dt.date) -> RatingFeedback:
    """Mark the loan defaulted and send the feedback to rating (动态调整: a downgrade).

    The rating side's ``rating_downgrade`` is called when it exists; the feedback row records
    whether it was delivered either way, so nothing is lost while that service is missing.
    """
    with transaction.atomic():
        changed = Loan.objects.filter(pk=loan.pk, status__in=(LoanStatus.DISBURSED, LoanStatus.OVERDUE)).update(
            status=LoanStatus.DEFAULTED, overdue_days=overdue_days, defaulted_on=on, updated_at=timezone.now()
        )
        loan.status, loan.overdue_days, loan.defaulted_on = LoanStatus.DEFAULTED, overdue_days, on
        feedback, created = RatingFeedback.objects.get_or_create(
            loan=loan,
            defaults={"household_id": loan.household_id, "region_code": loan.region_code, "overdue_days": overdue_days},
        )
        if changed:
            audit.record(
                actor=None,
                action="lending.loan_default",
                target=loan,
                region_code=loan.region_code,
                changes={"status": [None, "defaulted"], "overdue_days": [None, overdue_days]},
                reason=_("逾期超过 %(days)s 天，视为违约") % {"days": loan.bank.default_after_days},
            )
        if created:
            _deliver_feedback(feedback, loan)
    return feedback


def _deliver_feedback(feedback: RatingFeedback, loan: Loan) -> None:
    try:
        module = importlib.import_module("creditvillage.rating.adjust.services")
        downgrade = module.rating_downgrade
    except (ImportError, AttributeError):
        feedback.message = "rating_downgrade not available; recorded here for the rating side"
        feedback.save(update_fields=["message"])
        return
    reason = _("贷款逾期 %(days)s 天违约（贷款 #%(loan)s）") % {"days": feedback.overdue_days, "loan": loan.pk}
    try:
        with transaction.atomic():
            downgrade(
                actor=None,
                subject_type="household",
                subject_id=loan.household_id,
                reason=reason,
                source="loan_default",
                occurred_on=loan.defaulted_on,
            )
    except DomainError as exc:  # e.g. no final rating to downgrade: keep the feedback, note why
        feedback.message = f"{exc.code}: {exc.message}"[:300]
        feedback.save(update_fields=["message"])
        return
    feedback.delivered = True
    feedback.message = "rating_downgrade"
    feedback.save(update_fields=["delivered", "message"])
    # The downgrade changed the grade: the household's lines follow it.
    from creditvillage.lending.services import lines_follow_rating

    lines_follow_rating(subject_type="household", subject_id=loan.household_id, reason=reason)
