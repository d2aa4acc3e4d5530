"""Credit products, credit lines (授信), whole-village grants (整村授信), risk sharing, idempotency."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import ScopedManager, ScopedModel

__all__ = [
    "CreditLine",
    "CreditProduct",
    "FundMovement",
    "IdempotencyRecord",
    "LineStatus",
    "LossShare",
    "MovementKind",
    "ProductTier",
    "RateMode",
    "RiskFund",
    "VillageGrant",
]


def _consented(bank_id: int) -> Q:
    from creditvillage.registry.models import consented_household_ids

    # Lines of legal persons (entities, collectives) carry no household; a household's needs consent.
    return Q(bank_id=bank_id) & (Q(household_id__isnull=True) | Q(household_id__in=consented_household_ids(bank_id)))


class RateMode(models.TextChoices):
    MARKUP = "markup", _("基准利率上浮")
    FIXED = "fixed", _("固定利率上限")


class CreditProduct(models.Model):
    """A bank's credit product (信贷产品, e.g. 芡实贷): grades → maximum line and rate cap.

    Products are a bank's published terms, not personal data: every signed-in user may read them.
    """

    bank = models.ForeignKey(
        "lending.Bank", verbose_name=_("金融机构"), on_delete=models.PROTECT, related_name="products"
    )
    code = models.SlugField(_("产品代码"), max_length=32)
    name = models.CharField(_("产品名称"), max_length=64)
    preset = models.CharField(_("授信方案"), max_length=32, blank=True)  # the preset it was built from
    subject_types = models.JSONField(_("适用主体"), default=list)  # ["household", "entity", "collective"]
    base_rate_pct = models.DecimalField(_("基准利率（%）"), max_digits=7, decimal_places=4, default=Decimal("3.45"))
    base_rate_name = models.CharField(_("基准利率名称"), max_length=32, default="一年期LPR")
    term_months = models.PositiveSmallIntegerField(_("期限（月）"), default=12)
    materials = models.JSONField(_("所需材料"), default=list)  # ["身份证", "信用证书"]
    description = models.TextField(_("产品说明"), blank=True)
    is_active = models.BooleanField(_("在售"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("信贷产品")
        verbose_name_plural = _("信贷产品")
        ordering = ["bank", "code"]
        constraints = [models.UniqueConstraint(fields=["bank", "code"], name="product_code_per_bank")]

    def __str__(self) -> str:
        return self.name


class ProductTier(models.Model):
    """One (subject type, grade) row of a product: maximum line in fen and the rate rule."""

    product = models.ForeignKey(CreditProduct, on_delete=models.CASCADE, related_name="tiers")
    subject_type = models.CharField(_("主体类型"), max_length=12)
    grade = models.CharField(_("信用等级"), max_length=8)
    max_line_fen = models.BigIntegerField(_("最高额度（分）"))
    rate_mode = models.CharField(_("利率规则"), max_length=8, choices=RateMode.choices, default=RateMode.MARKUP)
    rate_value_pct = models.DecimalField(_("上浮比例或利率上限（%）"), max_digits=7, decimal_places=4)

    class Meta:
        verbose_name = _("产品档次")
        verbose_name_plural = _("产品档次")
        constraints = [
            models.UniqueConstraint(fields=["product", "subject_type", "grade"], name="one_tier_per_grade"),
            models.CheckConstraint(condition=Q(max_line_fen__gte=0), name="tier_line_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.subject_type} {self.grade}"


class LineStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    SUSPENDED = "suspended", _("已暂停")  # the grade fell below the product's lowest tier
    FROZEN = "frozen", _("已冻结")  # a veto (一票否决) hit the subject
    CLOSED = "closed", _("已终止")


class VillageGrant(ScopedModel):
    """One whole-village grant (整村授信): a bank, a product, a village, the lines it created."""

    bank = models.ForeignKey("lending.Bank", verbose_name=_("金融机构"), on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(CreditProduct, verbose_name=_("信贷产品"), on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("村"), max_length=12, db_index=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("授信人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("授信时间"), auto_now_add=True)
    lines_created = models.PositiveIntegerField(_("新增授信户数"), default=0)
    total_fen = models.BigIntegerField(_("新增授信总额（分）"), default=0)

    scope_region_field = "region_code"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("整村授信")
        verbose_name_plural = _("整村授信")

    def __str__(self) -> str:
        return f"{self.region_code} #{self.pk}"

    @classmethod
    def scope_bank_q(cls, bank_id: int) -> Q | None:
        return Q(bank_id=bank_id)


class CreditLine(ScopedModel):
    """A pre-approved revolving line (预授信额度) of one subject at one bank, from its final grade."""

    # bank, product, village_grant and granted_by: no database FK constraint (ADR 0036): a county's
    # grant writes ~85,000 lines and each deferred RI check at COMMIT cost as much as the insert.
    # The writers hold the referenced rows in the same transaction; deletions go through the ORM
    # (PROTECT / SET_NULL), as for ratings (ADR 0037). ``household`` keeps its constraint.
    bank = models.ForeignKey(
        "lending.Bank", verbose_name=_("金融机构"), on_delete=models.PROTECT, related_name="lines", db_constraint=False
    )
    product = models.ForeignKey(
        CreditProduct, verbose_name=_("信贷产品"), on_delete=models.PROTECT, related_name="lines", db_constraint=False
    )
    subject_type = models.CharField(_("主体类型"), max_length=12)
    subject_id = models.BigIntegerField(_("主体编号"))
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("农户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_lines",
        db_index=False,
    )
    subject_name = models.CharField(_("主体名称"), max_length=100)
    region_code = models.CharField(_("村"), max_length=12)
    grade = models.CharField(_("信用等级"), max_length=8)
    rating_id = models.BigIntegerField(_("评定记录"), null=True, blank=True)
    limit_fen = models.BigIntegerField(_("授信额度（分）"))
    used_fen = models.BigIntegerField(_("已用额度（分）"), default=0)
    max_rate_pct = models.DecimalField(_("利率上限（%）"), max_digits=7, decimal_places=4)
    status = models.CharField(_("状态"), max_length=12, choices=LineStatus.choices, default=LineStatus.ACTIVE)
    village_grant = models.ForeignKey(
        VillageGrant,
        verbose_name=_("整村授信"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
        db_constraint=False,
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授信人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    granted_at = models.DateTimeField(_("授信时间"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_region_field = "region_code"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("授信")
        verbose_name_plural = _("授信")
        indexes = [
            models.Index(fields=["region_code", "status"]),
            models.Index(fields=["household"]),
            models.Index(fields=["subject_type", "subject_id"]),
        ]
        constraints = [
            # One live line per subject per bank: concurrent grants cannot make two.
            models.UniqueConstraint(
                fields=["bank", "subject_type", "subject_id"], condition=~Q(status="closed"), name="one_live_line"
            ),
            models.CheckConstraint(condition=Q(limit_fen__gte=0), name="line_limit_nonneg"),
            models.CheckConstraint(condition=Q(used_fen__gte=0), name="line_used_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id} @ {self.bank_id}"

    @property
    def available_fen(self) -> int:
        return max(self.limit_fen - self.used_fen, 0)

    @classmethod
    def scope_bank_q(cls, bank_id: int) -> Q | None:
        return _consented(bank_id)


class IdempotencyRecord(models.Model):
    """The stored answer to a write sent with an ``Idempotency-Key`` (reliability C3).

    Written in the same transaction as the effect: a second request with the same key waits for
    the first (unique index), then gets the stored answer; a different body with the key is a 422.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=200)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"], name="one_answer_per_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class RiskFund(ScopedModel):
    """A county's risk compensation fund (风险补偿金): balance, compensation ratio, per-loan cap.

    ``balance_fen`` always equals the sum of its movements (a ledger); it is changed only by a
    conditional update together with the movement row.
    """

    region = models.ForeignKey("regions.Region", verbose_name=_("县（区）"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    balance_fen = models.BigIntegerField(_("余额（分）"), default=0)
    compensation_ratio_pct = models.DecimalField(_("补偿比例（%）"), max_digits=5, decimal_places=2, default=50)
    per_loan_cap_fen = models.BigIntegerField(_("单笔补偿上限（分）"), default=10_000_000)

    scope_open_to_banks = True  # aggregate money of the county, no personal data
    objects = ScopedManager()

    class Meta:
        verbose_name = _("风险补偿金")
        verbose_name_plural = _("风险补偿金")
        constraints = [models.CheckConstraint(condition=Q(balance_fen__gte=0), name="fund_balance_nonneg")]

    def __str__(self) -> str:
        return self.name


class MovementKind(models.TextChoices):
    DEPOSIT = "deposit", _("注资")
    PAYOUT = "payout", _("代偿")
    WITHDRAWAL = "withdrawal", _("调出")


class FundMovement(ScopedModel):
    """One ledger movement of a risk fund: signed amount, the balance after it."""

    fund = models.ForeignKey(RiskFund, verbose_name=_("风险补偿金"), on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("类型"), max_length=12, choices=MovementKind.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))  # + in, − out
    balance_after_fen = models.BigIntegerField(_("变动后余额（分）"))
    loan = models.ForeignKey(
        "lending.Loan", verbose_name=_("贷款"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("说明"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_region_field = "fund__region_id"
    scope_open_to_banks = True
    objects = ScopedManager()

    class Meta:
        verbose_name = _("补偿金变动")
        verbose_name_plural = _("补偿金变动")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["loan"], condition=Q(kind="payout"), name="one_payout_per_loan"),
        ]


class LossShare(ScopedModel):
    """The "4321" split of a defaulted guaranteed loan's loss (新型政银担): 40/30/20/10, in fen."""

    loan = models.OneToOneField(
        "lending.Loan", verbose_name=_("贷款"), on_delete=models.PROTECT, related_name="loss_share"
    )
    region_code = models.CharField(_("村"), max_length=12)
    loss_fen = models.BigIntegerField(_("损失（分）"))
    guarantor_fen = models.BigIntegerField(_("担保机构 40%（分）"))
    reguarantor_fen = models.BigIntegerField(_("省再担保 30%（分）"))
    bank_fen = models.BigIntegerField(_("银行 20%（分）"))
    government_fen = models.BigIntegerField(_("地方政府 10%（分）"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    scope_region_field = "region_code"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("4321分险")
        verbose_name_plural = _("4321分险")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    loss_fen=models.F("guarantor_fen")
                    + models.F("reguarantor_fen")
                    + models.F("bank_fen")
                    + models.F("government_fen")
                ),
                name="loss_share_sums",
            )
        ]

    @classmethod
    def scope_bank_q(cls, bank_id: int) -> Q | None:
        from creditvillage.registry.models import consented_household_ids

        return Q(loan__bank_id=bank_id, loan__household_id__in=consented_household_ids(bank_id))
