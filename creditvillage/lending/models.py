"""Lending (信贷): banks, consents, credit products, credit lines, loans, repayments, risk sharing.

Money is integer fen everywhere (``*_fen``); rates are ``Decimal`` percents (``4.1400`` = 4.14%).
Regional rows subclass ``ScopedModel``. A bank officer's grant (``Grant.bank_id``) sees a row only
when the row belongs to the officer's bank *and*, for a household's row, the household has an
active consent naming that bank (``scope_bank_q``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import ScopedManager, ScopedModel

__all__ = [
    "Bank",
    "Consent",
    "ConsentChannel",
    "LineStatus",
    "LoanStatus",
    "MovementKind",
    "RateMode",
    "RepaymentSource",
    "CreditLine",
    "CreditProduct",
    "FundMovement",
    "IdempotencyRecord",
    "Installment",
    "Loan",
    "LossShare",
    "ProductTier",
    "RatingFeedback",
    "Repayment",
    "RiskFund",
    "VillageGrant",
]


class Bank(models.Model):
    """A financial institution (金融机构) and the regions it serves."""

    code = models.CharField(_("机构代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=32)
    regions = models.ManyToManyField("regions.Region", verbose_name=_("服务区域"), related_name="banks")
    # Maker-checker: an approval above this amount needs a second officer (Fineract's maker-checker).
    checker_above_fen = models.BigIntegerField(_("复核起点（分）"), default=20_000_000)
    default_after_days = models.PositiveSmallIntegerField(_("逾期多少天视为违约"), default=90)

    class Meta:
        verbose_name = _("金融机构")
        verbose_name_plural = _("金融机构")

    def __str__(self) -> str:
        return self.short_name or self.name


class ConsentChannel(models.TextChoices):
    PHONE = "phone", _("手机端授权")
    PAPER = "paper", _("纸质授权（村代录）")


class Consent(ScopedModel):
    """A household's separate, revocable consent (授权) for a named bank to read its rating and archive."""

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("农户"), on_delete=models.CASCADE, related_name="consents"
    )
    bank = models.ForeignKey(Bank, verbose_name=_("金融机构"), on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("用途"), max_length=100, default="信用评定结果查询与授信审批")
    granted_at = models.DateTimeField(_("授权时间"))
    revoked_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("授权方式"), max_length=16, choices=ConsentChannel.choices, default="paper")
    signature = models.FileField(_("签字扫描件"), upload_to="lending/consents/%Y/%m/", blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤回人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_region_field = "household__region_id"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = _("授权")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "bank"], condition=Q(revoked_at__isnull=True), name="one_active_consent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id} → {self.bank_id}"

    @classmethod
    def scope_bank_q(cls, bank_id: int) -> Q | None:
        return Q(bank_id=bank_id)


# The rest of the app's models live in their own modules (files stay short).
from creditvillage.lending.credit_models import (  # noqa: E402
    CreditLine,
    CreditProduct,
    FundMovement,
    IdempotencyRecord,
    LineStatus,
    LossShare,
    MovementKind,
    ProductTier,
    RateMode,
    RiskFund,
    VillageGrant,
)
from creditvillage.lending.loan_models import (  # noqa: E402
    Installment,
    Loan,
    LoanStatus,
    RatingFeedback,
    Repayment,
    RepaymentSource,
)
