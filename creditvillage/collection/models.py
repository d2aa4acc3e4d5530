"""Collection and verification (domain.md, the yearly cycle steps 1–3): 村采集、乡校核、区督查.

A **campaign** (采集批次) runs per region and year; households are **assigned** to collectors; a
collector's (or a household's own) proposed archive is a **submission** that moves
``draft → submitted → verified | returned → spot_checked`` (and ``reopened``). Verifying applies
the data to the registry and writes an immutable **archive snapshot**: ratings read snapshots,
not live rows. A village is **closed** for a campaign when all its submissions are verified;
auditors draw a reproducible random **spot check** per village and record **findings**.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import Grant, ScopedManager, ScopedModel, ScopedQuerySet, code_range
from creditvillage.registry.choices import Channel

__all__ = [
    "ArchiveSnapshot",
    "Assignment",
    "Campaign",
    "CampaignStatus",
    "SpotCheck",
    "SpotCheckFinding",
    "Submission",
    "SubmissionState",
    "SubjectType",
    "VillageClosure",
]


def _ancestor_codes(prefix: str) -> list[str]:
    """The 12-digit codes of the regions above a significant prefix (``341181204`` → province, city, county)."""
    return [prefix[:d].ljust(12, "0") for d in (2, 4, 6, 9) if d < len(prefix)]


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class Campaign(ScopedModel):
    """A collection campaign (采集批次) for a region (township or county) and year.

    Visible to grants under its region *and* to grants below it: a village collector sees the
    township's campaign.
    """

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="campaigns"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("名称"), max_length=100)
    # Seed 000 (工作安排): archives by end of July, civility evaluation by end of June,
    # ratings by end of September. Filled from the year in save() when left empty.
    archives_due = models.DateField(_("建档截止日期"), null=True, blank=True)
    civility_due = models.DateField(_("评议截止日期"), null=True, blank=True)
    ratings_due = models.DateField(_("评定截止日期"), null=True, blank=True)
    spot_check_ratio = models.DecimalField(_("督查抽查比例"), max_digits=4, decimal_places=3, default=Decimal("0.050"))
    status = models.CharField(_("状态"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("采集批次")
        verbose_name_plural = _("采集批次")
        ordering = ["-year", "region"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "name"], name="campaign_unique_name"),
            models.CheckConstraint(
                condition=Q(spot_check_ratio__gt=0) & Q(spot_check_ratio__lte=1), name="campaign_ratio_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.year:
            self.archives_due = self.archives_due or datetime.date(self.year, 7, 31)
            self.civility_due = self.civility_due or datetime.date(self.year, 6, 30)
            self.ratings_due = self.ratings_due or datetime.date(self.year, 9, 30)
        super().save(*args, **kwargs)

    @classmethod
    def scope_q(cls, grant: Grant) -> Q | None:
        if grant.bank_id is not None or grant.merchant_id is not None:
            return None
        lo, hi = code_range(grant.prefix)
        return Q(region_id__in=_ancestor_codes(grant.prefix)) | Q(region_id__gte=lo, region_id__lte=hi)


class Assignment(ScopedModel):
    """A household assigned to a collector for a campaign (采集任务分配)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("采集批次"), on_delete=models.CASCADE, related_name="assignments"
    )
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("农户"), on_delete=models.CASCADE, related_name="assignments"
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("采集员"), on_delete=models.PROTECT, related_name="assignments"
    )
    grid = models.ForeignKey("regions.Grid", verbose_name=_("网格"), null=True, blank=True, on_delete=models.SET_NULL)
    group = models.ForeignKey(
        "regions.VillagerGroup", verbose_name=_("村民小组"), null=True, blank=True, on_delete=models.SET_NULL
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("分配人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(_("分配时间"), auto_now_add=True)

    scope_region_field = "household__region_id"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("采集任务")
        verbose_name_plural = _("采集任务")
        ordering = ["campaign", "household"]
        constraints = [models.UniqueConstraint(fields=["campaign", "household"], name="assignment_unique_household")]
        indexes = [models.Index(fields=["campaign", "collector"])]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.household_id}"


class SubjectType(models.TextChoices):
    HOUSEHOLD = "household", _("农户")
    ENTITY = "entity", _("新型农业经营主体")
    COLLECTIVE = "collective", _("村集体经济组织")


class SubmissionState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    VERIFIED = "verified", _("已校核")
    SPOT_CHECKED = "spot_checked", _("已督查")
    REOPENED = "reopened", _("已重新打开")


# States in which the collector (or household) may still edit the data.
EDITABLE_STATES = (SubmissionState.DRAFT, SubmissionState.RETURNED, SubmissionState.REOPENED)
# States that count as done (verified data, locked until reopened).
DONE_STATES = (SubmissionState.VERIFIED, SubmissionState.SPOT_CHECKED)


class Submission(ScopedModel):
    """One proposed archive for one subject in one campaign (谁采集、谁负责).

    ``data`` is the proposed archive (household fields, ``members`` list, ``assets``, ...);
    ``base`` is the archive as it stood when the submission was started, with ``base_version``
    the household's ``version`` then. ``version`` increments on every write (optimistic check).
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("采集批次"), on_delete=models.PROTECT, related_name="submissions"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所属村"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    subject_type = models.CharField(
        _("主体类型"), max_length=16, choices=SubjectType.choices, default=SubjectType.HOUSEHOLD
    )
    subject_id = models.PositiveBigIntegerField(_("主体编号"), null=True, blank=True)
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("农户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("采集人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(_("采集渠道"), max_length=32, choices=Channel.choices, default=Channel.DOOR_TO_DOOR)
    state = models.CharField(_("状态"), max_length=16, choices=SubmissionState.choices, default=SubmissionState.DRAFT)
    data = models.JSONField(_("采集数据"), default=dict, blank=True)
    base = models.JSONField(_("原档案"), default=dict, blank=True)
    base_version = models.PositiveIntegerField(_("原档案版本"), null=True, blank=True)
    self_declared = models.BooleanField(_("农户自主申报"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("村确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("村确认时间"), null=True, blank=True)
    return_reasons = models.JSONField(_("退回原因"), default=dict, blank=True)  # {field or "_all": reason}
    reopen_reason = models.CharField(_("重新打开原因"), max_length=200, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("校核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("校核时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("采集提交")
        verbose_name_plural = _("采集提交")
        ordering = ["campaign", "region", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "subject_type", "subject_id"], name="submission_one_per_subject_per_campaign"
            ),
            models.CheckConstraint(
                condition=~Q(subject_type="household") | Q(household__isnull=False),
                name="submission_household_named",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "region", "state"]),
            models.Index(fields=["campaign", "collector"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_type_display()} {self.subject_id or ''} ({self.get_state_display()})"

    @property
    def subject_label(self) -> str:
        """The head's name for a household; the name of an entity or collective (from its data)."""
        if self.household_id is not None and self.household is not None:
            return self.household.head_name
        section = (self.data or {}).get(self.subject_type) or (self.base or {}).get(self.subject_type) or {}
        return str(section.get("name") or self.subject_id or "")

    @property
    def subject_code(self) -> str:
        """The household number, or the USCC of an entity or collective."""
        if self.household_id is not None and self.household is not None:
            return self.household.number
        section = (self.data or {}).get(self.subject_type) or (self.base or {}).get(self.subject_type) or {}
        return str(section.get("uscc") or "")

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_done(self) -> bool:
        return self.state in DONE_STATES

    @property
    def counts(self) -> bool:
        """Self-declared data counts only once the village has confirmed it."""
        return not self.self_declared or self.confirmed_at is not None


class VillageClosure(ScopedModel):
    """A village closed for a campaign: every submission verified; reopening needs a reason."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("采集批次"), on_delete=models.CASCADE, related_name="closures"
    )
    village = models.ForeignKey("regions.Region", verbose_name=_("村"), on_delete=models.PROTECT, related_name="+")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("关闭人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("关闭时间"))
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("重新打开人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reopened_at = models.DateTimeField(_("重新打开时间"), null=True, blank=True)
    reopen_reason = models.CharField(_("重新打开原因"), max_length=200, blank=True)

    scope_region_field = "village_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("村采集关闭")
        verbose_name_plural = _("村采集关闭")
        constraints = [models.UniqueConstraint(fields=["campaign", "village"], name="closure_unique_village")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.village_id}"

    @property
    def is_closed(self) -> bool:
        return self.reopened_at is None


class SpotCheck(ScopedModel):
    """A district spot-check draw (区督查抽查) in one village: ratio, seed and the sample drawn."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("采集批次"), on_delete=models.CASCADE, related_name="spot_checks"
    )
    village = models.ForeignKey("regions.Region", verbose_name=_("村"), on_delete=models.PROTECT, related_name="+")
    ratio = models.DecimalField(_("抽查比例"), max_digits=4, decimal_places=3)
    seed = models.CharField(_("随机种子"), max_length=64)
    population = models.PositiveIntegerField(_("可抽样本数"), default=0)
    sample = models.JSONField(_("抽中的提交"), default=list)  # submission ids, in draw order
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("抽查人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    drawn_at = models.DateTimeField(_("抽查时间"), auto_now_add=True)

    scope_region_field = "village_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("督查抽查")
        verbose_name_plural = _("督查抽查")
        ordering = ["-drawn_at"]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.village_id}/{self.seed}"


class SpotCheckFinding(ScopedModel):
    """The auditor's finding on one sampled submission; a failed one reopens the submission."""

    spot_check = models.ForeignKey(
        SpotCheck, verbose_name=_("督查抽查"), on_delete=models.CASCADE, related_name="findings"
    )
    submission = models.ForeignKey(
        Submission, verbose_name=_("采集提交"), on_delete=models.CASCADE, related_name="findings"
    )
    passed = models.BooleanField(_("是否通过"))
    note = models.CharField(_("督查意见"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("督查人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    scope_region_field = "spot_check__village_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("督查结果")
        verbose_name_plural = _("督查结果")
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "submission"], name="finding_one_per_sampled_submission")
        ]

    def __str__(self) -> str:
        return f"{self.spot_check_id}/{self.submission_id}"


class ImmutableError(Exception):
    pass


class SnapshotQuerySet(ScopedQuerySet["ArchiveSnapshot"]):
    """Snapshots are written once: a queryset may not delete or update them in bulk either.

    On both databases a trigger also refuses an UPDATE of a snapshot's content (migration 0002);
    on PostgreSQL a DELETE too (ADR 0040).
    """

    def delete(self) -> Any:
        raise ImmutableError("archive snapshots are immutable")

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def _raw_delete(self, using: Any) -> Any:
        raise ImmutableError("archive snapshots are immutable")

    def update(self, **kwargs: Any) -> Any:
        raise ImmutableError("archive snapshots are immutable")

    update.alters_data = True  # type: ignore[attr-defined]

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> Any:
        raise ImmutableError("archive snapshots are immutable")

    bulk_update.alters_data = True  # type: ignore[attr-defined]


SnapshotManager = models.Manager.from_queryset(SnapshotQuerySet)


class ArchiveSnapshot(ScopedModel):
    """The archive as verified in a campaign (档案版本). Written once, never changed.

    Ratings read the latest snapshot of a subject (``latest_for``), not live registry rows.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("采集批次"), on_delete=models.PROTECT, related_name="snapshots"
    )
    submission = models.ForeignKey(
        Submission, verbose_name=_("采集提交"), on_delete=models.PROTECT, related_name="snapshots"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所属村"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    subject_type = models.CharField(_("主体类型"), max_length=16, choices=SubjectType.choices)
    subject_id = models.PositiveBigIntegerField(_("主体编号"))
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("农户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="snapshots",
    )
    data = models.JSONField(_("档案数据"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("校核人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(_("校核时间"))

    scope_household_field = "household_id"
    objects = SnapshotManager()

    class Meta:
        verbose_name = _("档案快照")
        verbose_name_plural = _("档案快照")
        ordering = ["-verified_at", "-pk"]
        base_manager_name = "objects"  # the base manager refuses bulk writes too
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "-verified_at"]),
            models.Index(fields=["campaign", "region"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id} @ {self.verified_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableError("archive snapshots are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError("archive snapshots are immutable")
