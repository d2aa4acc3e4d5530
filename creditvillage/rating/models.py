"""Rating cycles, rating runs, ratings and the negative list (domain.md, steps 5–9).

A **rating** is never overwritten: a correction, an adjustment or a repair writes a new row that
``supersedes`` the old one, and the old row's status becomes ``superseded``. Ratings are narrow
rows written in bulk (COPY on PostgreSQL) by the scoring engine; the model that made a rating is
named by ``model_code`` + ``model_version`` (the scoring app's versioned data), not a foreign key,
so that a batch of millions writes one narrow table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import ScopedManager, ScopedModel

__all__ = [
    "NegativeListEntry",
    "Notice",
    "NoticeKind",
    "NoticeStatus",
    "Objection",
    "ObjectionDecision",
    "ObjectionStatus",
    "ObjectorKind",
    "RatingNotification",
    "ReviewLevel",
    "Rating",
    "RatingCycle",
    "RatingRun",
    "RatingStatus",
    "SubjectType",
]


class SubjectType(models.TextChoices):
    HOUSEHOLD = "household", _("农户")
    ENTITY = "entity", _("新型农业经营主体")
    COLLECTIVE = "collective", _("村集体经济组织")
    VILLAGE = "village", _("行政村")
    TOWNSHIP = "township", _("乡镇")


class CycleStatus(models.TextChoices):
    OPEN = "open", _("进行中")  # opened; preliminary runs may be made
    PUBLISHED = "published", _("公示中")  # notices posted in the villages
    FINAL = "final", _("已认定")  # every village finalised
    CANCELLED = "cancelled", _("已撤销")


class RatingCycle(ScopedModel):
    """A year's rating of the subjects under one region (usually a township): 评定周期."""

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区域"), on_delete=models.PROTECT, related_name="rating_cycles"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=16, choices=CycleStatus.choices, default=CycleStatus.OPEN)
    notice_days = models.PositiveSmallIntegerField(_("公示天数"), default=7)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("认定时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("评定周期")
        verbose_name_plural = _("评定周期")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year"], condition=~Q(status="cancelled"), name="one_live_cycle_per_region_year"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class RunKind(models.TextChoices):
    PRELIMINARY = "preliminary", _("系统初评")
    SIMULATION = "simulation", _("模拟测算")


class RatingRun(ScopedModel):
    """One batch of scoring (``creditvillage rate``): every subject under a region, one model version.

    A run is all-or-nothing: its ratings become visible only when ``status`` is ``succeeded``.
    """

    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    cycle = models.ForeignKey(
        RatingCycle, verbose_name=_("评定周期"), null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=RunKind.choices, default=RunKind.PRELIMINARY)
    model_code = models.CharField(_("模型代码"), max_length=64)
    model_version = models.PositiveIntegerField(_("模型版本"))
    status = models.CharField(_("状态"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    subjects = models.PositiveIntegerField(_("主体数"), default=0)
    counts = models.JSONField(_("各等级数量"), default=dict, blank=True)  # {"AAA": n, ...}
    seconds = models.FloatField(_("用时（秒）"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True)

    scope_region_field = "region_code"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("评定批次")
        verbose_name_plural = _("评定批次")

    def __str__(self) -> str:
        return f"{self.region_code} {self.model_code} v{self.model_version} #{self.pk}"


class RatingStatus(models.TextChoices):
    PRELIMINARY = "preliminary", _("初评")
    OBJECTED = "objected", _("异议中")  # withheld from banks and benefits
    FINAL = "final", _("已认定")
    SUPERSEDED = "superseded", _("已被替代")


class Rating(ScopedModel):
    """A subject's grade from one run (or a correction, adjustment or repair of one).

    ``region_code`` is the subject's village (a township's own code for a township rating).
    ``household_id`` is set for household subjects so that a household's own grant sees its rating.
    """

    # No database foreign-key constraints on run, cycle and supersedes (ADR 0037): a deferred RI check per
    # row doubled the batch's COPY; the writers set them from rows they hold in the same transaction.
    run = models.ForeignKey(
        RatingRun,
        verbose_name=_("评定批次"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ratings",
        db_constraint=False,
    )
    cycle = models.ForeignKey(
        RatingCycle,
        verbose_name=_("评定周期"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
        db_constraint=False,
    )
    subject_type = models.CharField(_("主体类型"), max_length=12, choices=SubjectType.choices)
    subject_id = models.BigIntegerField(_("主体编号"))
    household_id = models.BigIntegerField(_("农户编号"), null=True, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12)
    model_code = models.CharField(_("模型代码"), max_length=64)
    model_version = models.PositiveIntegerField(_("模型版本"))
    score = models.DecimalField(_("得分"), max_digits=8, decimal_places=2)
    grade = models.CharField(_("信用等级"), max_length=8)
    credit_subject = models.BooleanField(_("信用主体"), default=False)
    vetoed = models.BooleanField(_("一票否决"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=RatingStatus.choices, default=RatingStatus.PRELIMINARY)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("替代"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,  # a partial index below: batch rows (null) are not indexed
    )
    reason = models.CharField(_("变更原因"), max_length=500, blank=True)
    snapshot_id = models.BigIntegerField(_("档案快照"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"))

    scope_region_field = "region_code"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("信用评定")
        verbose_name_plural = _("信用评定")
        indexes = [
            models.Index(fields=["region_code", "status"]),
            models.Index(fields=["subject_type", "subject_id", "status"]),
            models.Index(fields=["supersedes"], condition=Q(supersedes__isnull=False), name="rating_supersedes_set"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id} {self.grade}"

    @classmethod
    def scope_bank_q(cls, bank_id: int) -> Q | None:
        from creditvillage.registry.models import consented_household_ids

        return Q(household_id__in=consented_household_ids(bank_id))


class NegativeListEntry(models.Model):
    """An entry of a negative list (一票否决 source): a court defaulter list, a department's list …

    Matched by resident ID number (persons) or USCC (entities, collectives). Active while not
    expired (5 years by default) and not repaired; an active hit vetoes the subject's rating.
    National lists are not regional: the entries carry no region and are read by matching only.
    """

    id_number = models.CharField(_("证件号码"), max_length=18, db_index=True)  # resident ID or USCC
    name = models.CharField(_("名称"), max_length=100)
    source = models.CharField(_("来源"), max_length=100)  # e.g. 最高人民法院失信被执行人名单
    basis = models.CharField(_("依据"), max_length=500)  # the judgment or decision
    listed_on = models.DateField(_("列入日期"))
    expires_on = models.DateField(_("到期日期"))
    repaired_at = models.DateTimeField(_("修复时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("负面清单")
        verbose_name_plural = _("负面清单")
        constraints = [
            models.UniqueConstraint(fields=["id_number", "source", "listed_on"], name="one_listing_per_source_day")
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.name}"


# --- Public notice, objections, notifications (domain.md steps 6–7) -----------------------------


class NoticeKind(models.TextChoices):
    RATING = "rating", _("信用等级公示")
    CORRECTION = "correction", _("更正公示")
    REPAIR = "repair", _("信用修复公示")
    VILLAGE = "village", _("信用村评定公示")


class NoticeStatus(models.TextChoices):
    PUBLISHED = "published", _("已发布")  # in the window until ends_at, then closed (expired)
    FINALISED = "finalised", _("已认定")  # the village's ratings were made final
    SUPERSEDED = "superseded", _("已被替代")  # a newer version was posted


class Notice(ScopedModel):
    """A village's public notice (公示) of a cycle's ratings: a window during which objections are taken.

    The subjects listed are the cycle's current ratings in the village (never stored twice); the
    public page masks names and shows no ID numbers, phones or money. Versioned: posting again for
    the same village and kind supersedes the live version.
    """

    region = models.ForeignKey(
        "regions.Region", verbose_name=_("村"), on_delete=models.PROTECT, related_name="rating_notices"
    )
    cycle = models.ForeignKey(RatingCycle, verbose_name=_("评定周期"), on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(_("类型"), max_length=16, choices=NoticeKind.choices, default=NoticeKind.RATING)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PUBLISHED)
    starts_at = models.DateTimeField(_("公示开始"))
    ends_at = models.DateTimeField(_("公示结束"))
    subjects = models.PositiveIntegerField(_("主体数"), default=0)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"))
    finalised_at = models.DateTimeField(_("认定时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "region", "kind", "version"], name="one_notice_version"),
            models.UniqueConstraint(
                fields=["cycle", "region", "kind"], condition=~Q(status="superseded"), name="one_live_notice"
            ),
        ]
        indexes = [models.Index(fields=["region", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.region_id} {self.kind} v{self.version}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("维持")
    CORRECTED = "corrected", _("更正")


class ObjectorKind(models.TextChoices):
    SUBJECT = "subject", _("本户")
    VILLAGER = "villager", _("本村村民")


class ReviewLevel(models.TextChoices):
    VILLAGE = "village", _("复核")
    TOWNSHIP = "township", _("乡镇复议")


OBJECTION_DAYS = 20  # 征信业管理条例 art. 25: answered within 20 days


class Objection(ScopedModel):
    """An objection (异议) to a rating filed inside its notice's window.

    While open, the subject's rating is 异议中 (withheld). ``rating`` is the version objected to; a
    correction writes a new version (see ObjectionDecision.new_rating). The objector may escalate
    once to the township, which reopens the objection at township level with a new deadline.
    """

    notice = models.ForeignKey(Notice, verbose_name=_("公示"), on_delete=models.PROTECT, related_name="objections")
    rating = models.ForeignKey(Rating, verbose_name=_("信用评定"), on_delete=models.PROTECT, related_name="objections")
    region_code = models.CharField(_("区划代码"), max_length=12)
    household_id = models.BigIntegerField(_("农户编号"), null=True, blank=True)  # the rated household
    objector_kind = models.CharField(_("异议人类型"), max_length=12, choices=ObjectorKind.choices)
    objector_name = models.CharField(_("异议人姓名"), max_length=50)
    objector_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("异议内容"), max_length=2000)
    items = models.JSONField(_("异议评分项"), default=list, blank=True)  # indicator codes
    evidence = models.FileField(_("证明材料"), upload_to="objections/%Y/", blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN)
    level = models.CharField(_("处理层级"), max_length=12, choices=ReviewLevel.choices, default=ReviewLevel.VILLAGE)
    received_at = models.DateTimeField(_("受理时间"))
    due_at = models.DateTimeField(_("办理期限"))
    escalated_at = models.DateTimeField(_("申请复议时间"), null=True, blank=True)
    escalation_reason = models.TextField(_("复议理由"), blank=True, max_length=2000)

    scope_region_field = "region_code"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        indexes = [models.Index(fields=["region_code", "status"]), models.Index(fields=["notice", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"


class ObjectionDecision(models.Model):
    """One decision on an objection (village review, then at most one township review)."""

    objection = models.ForeignKey(Objection, verbose_name=_("异议"), on_delete=models.CASCADE, related_name="decisions")
    level = models.CharField(_("处理层级"), max_length=12, choices=ReviewLevel.choices)
    outcome = models.CharField(_("结论"), max_length=12, choices=ObjectionStatus.choices)
    reason = models.TextField(_("理由"), max_length=2000)
    new_rating = models.ForeignKey(
        Rating, verbose_name=_("更正后评定"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("决定人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"))

    class Meta:
        verbose_name = _("异议决定")
        verbose_name_plural = _("异议决定")
        constraints = [models.UniqueConstraint(fields=["objection", "level"], name="one_decision_per_level")]

    def __str__(self) -> str:
        return f"{self.objection_id} {self.level} {self.outcome}"


class RatingNotification(ScopedModel):
    """A message to a household about its rating (a decided objection, a correction …)."""

    household_id = models.BigIntegerField(_("农户编号"))
    region_code = models.CharField(_("区划代码"), max_length=12)
    kind = models.CharField(_("类型"), max_length=32)
    text = models.CharField(_("内容"), max_length=500)
    rating = models.ForeignKey(
        Rating, verbose_name=_("信用评定"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    objection = models.ForeignKey(
        Objection, verbose_name=_("异议"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    scope_region_field = "region_code"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("评定通知")
        verbose_name_plural = _("评定通知")
        indexes = [models.Index(fields=["household_id", "created_at"])]


# The parts of the app kept in their own modules (dynamic adjustment and repair; village and township rating).
from creditvillage.rating.adjust.models import *  # noqa: E402, F403
from creditvillage.rating.villages.models import *  # noqa: E402, F403
