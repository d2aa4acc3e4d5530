"""Dynamic adjustment, village notifications and credit repair (domain.md, step 9).

Imported by ``rating/models.py`` (``from ... import *``), so the models belong to the rating app.

- An **adjustment** (动态调整) records one event between cycles that downgraded a final rating:
  the old and the new rating rows (a rating is never overwritten), the source of the event and its
  reason. It stays *active* until it is repaired (信用修复) or expires (5 years).
- A **village notification** tells the village operator that one of its subjects changed grade.
- A **repair application** (信用修复申请) walks: household applies with evidence → village review →
  township approval (a different person) → publicity → effective (the item is repaired and the
  subject re-scored).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import ScopedManager, ScopedModel

__all__ = [
    "AdjustmentSource",
    "RatingAdjustment",
    "RepairApplication",
    "RepairStatus",
    "VillageNotification",
]


class AdjustmentSource(models.TextChoices):
    NEGATIVE_LIST = "negative_list", _("负面清单命中")
    LOAN_DEFAULT = "loan_default", _("贷款违约")
    POINTS = "points", _("严重扣分")
    OTHER = "other", _("其他")


class RatingAdjustment(ScopedModel):
    """One downgrade of a final rating between cycles (动态调整)."""

    subject_type = models.CharField(_("主体类型"), max_length=12)
    subject_id = models.BigIntegerField(_("主体编号"))
    household_id = models.BigIntegerField(_("农户编号"), null=True, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12)
    source = models.CharField(_("事件来源"), max_length=16, choices=AdjustmentSource.choices)
    reason = models.CharField(_("调整原因"), max_length=500)
    negative_entry = models.ForeignKey(
        "rating.NegativeListEntry",
        verbose_name=_("负面清单条目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adjustments",
    )
    from_rating = models.ForeignKey(
        "rating.Rating", verbose_name=_("调整前评定"), on_delete=models.PROTECT, related_name="+"
    )
    to_rating = models.ForeignKey(
        "rating.Rating", verbose_name=_("调整后评定"), on_delete=models.PROTECT, related_name="+"
    )
    from_grade = models.CharField(_("调整前等级"), max_length=8)
    to_grade = models.CharField(_("调整后等级"), max_length=8)
    occurred_on = models.DateField(_("事件日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("调整时间"), auto_now_add=True)
    repaired_at = models.DateTimeField(_("修复时间"), null=True, blank=True)
    expired_at = models.DateTimeField(_("到期时间"), null=True, blank=True)

    scope_region_field = "region_code"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("动态调整")
        verbose_name_plural = _("动态调整")
        indexes = [models.Index(fields=["region_code", "created_at"])]

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id} {self.from_grade}→{self.to_grade}"

    @property
    def active(self) -> bool:
        return self.repaired_at is None and self.expired_at is None


class VillageNotification(ScopedModel):
    """A message to a village's operators (a subject was downgraded, a repair took effect …)."""

    region_code = models.CharField(_("村区划代码"), max_length=12)
    kind = models.CharField(_("类型"), max_length=32)
    title = models.CharField(_("标题"), max_length=200)
    body = models.CharField(_("内容"), max_length=1000, blank=True)
    household_id = models.BigIntegerField(_("农户编号"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    scope_region_field = "region_code"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("村级通知")
        verbose_name_plural = _("村级通知")
        indexes = [models.Index(fields=["region_code", "created_at"])]

    def __str__(self) -> str:
        return self.title


class RepairStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待村审核")
    VILLAGE_REVIEWED = "village_reviewed", _("待乡镇审批")
    PUBLICITY = "publicity", _("公示中")
    EFFECTIVE = "effective", _("已修复")
    REJECTED = "rejected", _("未通过")


def repair_evidence_path(instance: RepairApplication, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"repairs/{instance.region_code}/{instance.household_id}-{instance.applied_at:%Y%m%d%H%M%S}.{suffix}"


class RepairApplication(ScopedModel):
    """A household's application for credit repair (信用修复) of one negative item."""

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("农户"), on_delete=models.PROTECT, related_name="repair_applications"
    )
    region_code = models.CharField(_("村区划代码"), max_length=12)
    negative_entry = models.ForeignKey(
        "rating.NegativeListEntry",
        verbose_name=_("负面清单条目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repair_applications",
    )
    adjustment = models.ForeignKey(
        RatingAdjustment,
        verbose_name=_("动态调整"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repair_applications",
    )
    evidence_text = models.TextField(_("整改说明"))
    evidence_file = models.FileField(_("证明材料"), upload_to=repair_evidence_path, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=RepairStatus.choices, default=RepairStatus.SUBMITTED)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(_("申请时间"))
    village_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("村审核人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    village_reviewed_at = models.DateTimeField(_("村审核时间"), null=True, blank=True)
    village_opinion = models.CharField(_("村审核意见"), max_length=500, blank=True)
    township_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("乡镇审批人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    township_decided_at = models.DateTimeField(_("乡镇审批时间"), null=True, blank=True)
    township_opinion = models.CharField(_("乡镇审批意见"), max_length=500, blank=True)
    publicity_starts = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_ends = models.DateField(_("公示结束"), null=True, blank=True)
    effective_at = models.DateTimeField(_("修复生效时间"), null=True, blank=True)
    new_rating = models.ForeignKey(
        "rating.Rating", verbose_name=_("修复后评定"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_region_field = "region_code"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("信用修复申请")
        verbose_name_plural = _("信用修复申请")
        indexes = [models.Index(fields=["region_code", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(negative_entry__isnull=False) | Q(adjustment__isnull=False),
                name="repair_names_an_item",
            ),
            # One open application per item at a time.
            models.UniqueConstraint(
                fields=["household", "negative_entry"],
                condition=Q(status__in=["submitted", "village_reviewed", "publicity"], negative_entry__isnull=False),
                name="one_open_repair_per_entry",
            ),
            models.UniqueConstraint(
                fields=["household", "adjustment"],
                condition=Q(status__in=["submitted", "village_reviewed", "publicity"], adjustment__isnull=False),
                name="one_open_repair_per_adjustment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.get_status_display()}"
