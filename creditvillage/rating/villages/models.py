"""Village and township rating (信用村/信用镇, 三级联创; domain.md step 8, domain-reference §1.6).

Imported by ``rating/models.py`` (``from ... import *``), so the models belong to the rating app.

- **Criteria** (评定标准) are data: one row per level (village/township) and grade with its
  thresholds; an administrator edits them. Defaults: VIL-DEFAULT of domain-reference §1.6.
- An **application** (申报) walks: the village (or township) applies → the level above reviews it
  against the criteria with the figures the system computed shown beside each → publicity (7 days)
  → approval by the county or city (a different person) → the grade is granted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import ScopedManager, ScopedModel

__all__ = [
    "CreditRegionApplication",
    "CreditRegionCriteria",
    "CreditRegionLevel",
    "CreditRegionStatus",
]


class CreditRegionLevel(models.TextChoices):
    VILLAGE = "village", _("信用村")
    TOWNSHIP = "township", _("信用乡镇")


class CreditRegionCriteria(models.Model):
    """Thresholds one grade of credit village (or township) must meet. Percentages in 0–100.

    A blank threshold is not checked. Not regional: the programme administrator sets them.
    """

    level = models.CharField(_("层级"), max_length=12, choices=CreditRegionLevel.choices)
    grade = models.CharField(_("等级"), max_length=8)
    rank = models.PositiveSmallIntegerField(_("排序"), default=0)  # 0 = highest grade
    min_credit_share = models.DecimalField(
        _("A级及以上农户占比不低于（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    min_coverage = models.DecimalField(
        _("建档覆盖率不低于（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    max_npl_ratio = models.DecimalField(
        _("不良贷款率不高于（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    min_collective_grade = models.CharField(_("村集体经济组织等级不低于"), max_length=8, blank=True)
    min_credit_village_share = models.DecimalField(
        _("信用村占比不低于（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    require_no_discipline = models.BooleanField(_("无严重违纪案件"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("信用村（镇）评定标准")
        verbose_name_plural = _("信用村（镇）评定标准")
        ordering = ["level", "rank"]
        constraints = [models.UniqueConstraint(fields=["level", "grade"], name="one_criteria_per_level_grade")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.grade}"


class CreditRegionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    PUBLICITY = "publicity", _("公示中")
    APPROVED = "approved", _("已命名")
    REJECTED = "rejected", _("未通过")


class CreditRegionApplication(ScopedModel):
    """A village's (or township's) application to be named a credit village (township)."""

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("申报区域"), on_delete=models.PROTECT, related_name="credit_applications"
    )
    level = models.CharField(_("层级"), max_length=12, choices=CreditRegionLevel.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    requested_grade = models.CharField(_("申报等级"), max_length=8)
    statement = models.TextField(_("申报说明"), blank=True)
    no_discipline_declared = models.BooleanField(_("承诺本年度无严重违纪案件"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=CreditRegionStatus.choices, default=CreditRegionStatus.SUBMITTED
    )
    figures = models.JSONField(_("系统测算指标"), default=dict, blank=True)
    assessed_grade = models.CharField(_("符合等级"), max_length=8, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申报人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(_("申报时间"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_opinion = models.CharField(_("审核意见"), max_length=500, blank=True)
    publicity_starts = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_ends = models.DateField(_("公示结束"), null=True, blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    approval_opinion = models.CharField(_("审批意见"), max_length=500, blank=True)
    granted_grade = models.CharField(_("命名等级"), max_length=8, blank=True)

    scope_region_field = "region_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("信用村（镇）申报")
        verbose_name_plural = _("信用村（镇）申报")
        ordering = ["-applied_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year"],
                condition=~Q(status="rejected"),
                name="one_live_credit_application_per_year",
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year} {self.requested_grade}"
