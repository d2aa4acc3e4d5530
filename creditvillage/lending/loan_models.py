"""Loans (用信): application, recommendation, decision, disbursement, schedule, repayments, feedback."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import ScopedManager, ScopedModel

__all__ = ["Installment", "Loan", "LoanStatus", "RatingFeedback", "Repayment", "RepaymentSource"]


def _bank_and_consent(prefix: str, bank_id: int) -> Q:
    from creditvillage.registry.models import consented_household_ids

    return Q(**{f"{prefix}bank_id": bank_id, f"{prefix}household_id__in": consented_household_ids(bank_id)})


class LoanStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    PENDING_CHECK = "pending_check", _("待复核")  # approved by one officer, above the checker amount
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")
    DISBURSED = "disbursed", _("还款中")
    OVERDUE = "overdue", _("逾期")
    DEFAULTED = "defaulted", _("违约")
    CLOSED = "closed", _("已结清")


OPEN_STATUSES = (LoanStatus.APPLIED, LoanStatus.PENDING_CHECK, LoanStatus.APPROVED)
OUTSTANDING_STATUSES = (LoanStatus.DISBURSED, LoanStatus.OVERDUE, LoanStatus.DEFAULTED)


class Loan(ScopedModel):
    """A household's loan application against its line, and the loan it becomes once disbursed."""

    line = models.ForeignKey(
        "lending.CreditLine", verbose_name=_("授信"), on_delete=models.PROTECT, related_name="loans"
    )
    bank = models.ForeignKey("lending.Bank", verbose_name=_("金融机构"), on_delete=models.PROTECT, related_name="loans")
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("农户"), on_delete=models.PROTECT, related_name="loans", db_index=False
    )
    region_code = models.CharField(_("村"), max_length=12)
    status = models.CharField(_("状态"), max_length=16, choices=LoanStatus.choices, default=LoanStatus.APPLIED)
    requested_fen = models.BigIntegerField(_("申请金额（分）"))
    requested_term_months = models.PositiveSmallIntegerField(_("申请期限（月）"))
    purpose = models.CharField(_("用途"), max_length=200)
    id_document = models.FileField(_("身份证"), upload_to="lending/materials/%Y/%m/")
    certificate = models.FileField(_("信用证书"), upload_to="lending/materials/%Y/%m/")
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(_("申请时间"))
    idempotency_key = models.CharField(max_length=128, blank=True)
    # 贷前推荐: the village party organisation's recommendation.
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("推荐人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recommended_at = models.DateTimeField(_("推荐时间"), null=True, blank=True)
    recommendation = models.CharField(_("推荐意见"), max_length=200, blank=True)
    # Decision (maker-checker above the bank's amount).
    amount_fen = models.BigIntegerField(_("批准金额（分）"), null=True, blank=True)
    rate_pct = models.DecimalField(_("年利率（%）"), max_digits=7, decimal_places=4, null=True, blank=True)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    reject_reason = models.CharField(_("拒绝原因"), max_length=200, blank=True)
    # The loan.
    disbursed_on = models.DateField(_("放款日期"), null=True, blank=True)
    maturity_on = models.DateField(_("到期日期"), null=True, blank=True)
    principal_outstanding_fen = models.BigIntegerField(_("未还本金（分）"), default=0)
    overdue_days = models.PositiveIntegerField(_("逾期天数"), default=0)
    defaulted_on = models.DateField(_("违约日期"), null=True, blank=True)
    closed_on = models.DateField(_("结清日期"), null=True, blank=True)
    guaranteed = models.BooleanField(_("担保贷款"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_region_field = "region_code"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("贷款")
        verbose_name_plural = _("贷款")
        ordering = ["-applied_at", "-pk"]
        indexes = [models.Index(fields=["region_code", "status"]), models.Index(fields=["household", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_application_per_key",
            ),
            models.CheckConstraint(condition=Q(requested_fen__gt=0), name="loan_requested_positive"),
            models.CheckConstraint(condition=Q(principal_outstanding_fen__gte=0), name="loan_outstanding_nonneg"),
        ]

    def __str__(self) -> str:
        return f"loan#{self.pk}"

    @classmethod
    def scope_bank_q(cls, bank_id: int) -> Q | None:
        return _bank_and_consent("", bank_id)


class Installment(ScopedModel):
    """One row of a loan's repayment schedule (等额本金: equal principal, interest on the balance)."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="installments")
    seq = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("应还日期"))
    principal_fen = models.BigIntegerField(_("应还本金（分）"))
    interest_fen = models.BigIntegerField(_("应还利息（分）"))
    paid_principal_fen = models.BigIntegerField(_("已还本金（分）"), default=0)
    paid_interest_fen = models.BigIntegerField(_("已还利息（分）"), default=0)
    paid_on = models.DateField(_("还清日期"), null=True, blank=True)

    scope_region_field = "loan__region_code"
    scope_household_field = "loan__household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("还款计划")
        verbose_name_plural = _("还款计划")
        ordering = ["loan", "seq"]
        constraints = [models.UniqueConstraint(fields=["loan", "seq"], name="one_installment_per_seq")]

    @property
    def due_fen(self) -> int:
        return self.principal_fen + self.interest_fen - self.paid_principal_fen - self.paid_interest_fen

    @classmethod
    def scope_bank_q(cls, bank_id: int) -> Q | None:
        return _bank_and_consent("loan__", bank_id)


class RepaymentSource(models.TextChoices):
    WEB = "web", _("网页登记")
    API = "api", _("银行接口")
    XLSX = "xlsx", _("批量上传")


class Repayment(ScopedModel):
    """A repayment reported by the bank; ``reference`` (the bank's transaction number) is unique per bank."""

    loan = models.ForeignKey(Loan, verbose_name=_("贷款"), on_delete=models.PROTECT, related_name="repayments")
    bank = models.ForeignKey("lending.Bank", verbose_name=_("金融机构"), on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("流水号"), max_length=64)
    amount_fen = models.BigIntegerField(_("还款金额（分）"))
    principal_fen = models.BigIntegerField(_("其中本金（分）"), default=0)
    interest_fen = models.BigIntegerField(_("其中利息（分）"), default=0)
    paid_on = models.DateField(_("还款日期"))
    source = models.CharField(_("来源"), max_length=8, choices=RepaymentSource.choices, default=RepaymentSource.WEB)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_region_field = "loan__region_code"
    scope_household_field = "loan__household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("还款")
        verbose_name_plural = _("还款")
        ordering = ["paid_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "reference"], name="one_repayment_per_reference"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="repayment_positive"),
        ]

    @classmethod
    def scope_bank_q(cls, bank_id: int) -> Q | None:
        return _bank_and_consent("loan__", bank_id)


class RatingFeedback(ScopedModel):
    """A loan outcome sent back to rating (动态调整): a default asks for a downgrade.

    ``delivered`` says whether the rating side's ``rating_downgrade`` service took it.
    """

    loan = models.OneToOneField(Loan, verbose_name=_("贷款"), on_delete=models.PROTECT, related_name="feedback")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+", db_index=False)
    region_code = models.CharField(_("村"), max_length=12)
    kind = models.CharField(_("类型"), max_length=16, default="default")
    overdue_days = models.PositiveIntegerField(_("逾期天数"))
    delivered = models.BooleanField(_("已送达评定"), default=False)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_region_field = "region_code"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("贷后反馈")
        verbose_name_plural = _("贷后反馈")

    @classmethod
    def scope_bank_q(cls, bank_id: int) -> Q | None:
        return _bank_and_consent("loan__", bank_id)
