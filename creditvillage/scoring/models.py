"""Scoring models as versioned data (domain.md, Scoring; domain-reference.md §1.3–1.6).

A **scoring model** (``ScoringModel``) is a code and a subject type; what it computes lives in its
**versions** (``ModelVersion``): blocks with caps, indicators (source field in the flat indicator
row, bins or categories → points, cap), one-veto rules and a **grade scheme**. A version is edited
while ``draft``, validated and activated with an effective date, and retired when another version
of the same model is activated. Ratings name the version that made them (``model_code`` +
``model_version``), so activating a new version never changes an old rating.

Points are stored as ``Decimal(7, 2)``; the engine computes in integer hundredths so that one
subject and ten million are scored with exactly the same arithmetic.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import ScopedManager, ScopedModel

__all__ = [
    "Block",
    "Grade",
    "GradeScheme",
    "Indicator",
    "IndicatorKind",
    "ModelVersion",
    "ScoringModel",
    "SubjectIndicators",
    "VersionStatus",
    "VetoRule",
]


class SubjectKind(models.TextChoices):
    HOUSEHOLD = "household", _("农户")
    ENTITY = "entity", _("新型农业经营主体")
    COLLECTIVE = "collective", _("村集体经济组织")
    VILLAGE = "village", _("行政村")


class GradeScheme(models.Model):
    """An ordered ladder of grades from score thresholds (等级方案): which grades are credit subjects."""

    code = models.CharField(_("方案代码"), max_length=32, unique=True)
    name = models.CharField(_("方案名称"), max_length=100)
    veto_grade = models.CharField(_("否决后等级"), max_length=8)  # e.g. D, or 不予评级
    description = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("等级方案")
        verbose_name_plural = _("等级方案")

    def __str__(self) -> str:
        return self.name


class Grade(models.Model):
    """One grade of a scheme; ``min_score`` null = the catch-all bottom grade (below every threshold)."""

    scheme = models.ForeignKey(GradeScheme, on_delete=models.CASCADE, related_name="grades")
    order = models.PositiveSmallIntegerField(_("顺序"))  # 0 = best
    code = models.CharField(_("等级"), max_length=8)
    min_score = models.DecimalField(_("最低分"), max_digits=7, decimal_places=2, null=True, blank=True)
    credit_subject = models.BooleanField(_("信用主体"), default=False)

    class Meta:
        verbose_name = _("等级")
        verbose_name_plural = _("等级")
        ordering = ["scheme", "order"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "order"], name="grade_order_unique"),
            models.UniqueConstraint(fields=["scheme", "code"], name="grade_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class ScoringModel(models.Model):
    """A scoring model (评分模型): its code and subject type; content lives in its versions."""

    code = models.CharField(_("模型代码"), max_length=64, unique=True)
    subject_type = models.CharField(_("主体类型"), max_length=12, choices=SubjectKind.choices)
    name = models.CharField(_("模型名称"), max_length=100)
    is_default = models.BooleanField(_("默认模型"), default=False)  # used when no model is named
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评分模型")
        verbose_name_plural = _("评分模型")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type"], condition=Q(is_default=True), name="one_default_model_per_subject_type"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("生效")
    RETIRED = "retired", _("已停用")


class Combine(models.TextChoices):
    SUM = "sum", _("加总")  # score = sum of capped blocks
    MIN = "min", _("取最低")  # criteria model: score = the lowest indicator's points (VIL-DEFAULT)


class ModelVersion(models.Model):
    model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=8, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    combine = models.CharField(_("合成方式"), max_length=8, choices=Combine.choices, default=Combine.SUM)
    grade_scheme = models.ForeignKey(GradeScheme, verbose_name=_("等级方案"), on_delete=models.PROTECT)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("启用人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    change_reason = models.CharField(_("变更原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("模型版本")
        verbose_name_plural = _("模型版本")
        ordering = ["model", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["model", "number"], name="model_version_number_unique"),
            models.UniqueConstraint(
                fields=["model"], condition=Q(status="active"), name="one_active_version_per_model"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model.code} v{self.number}"


class Block(models.Model):
    """A block of indicators (家庭基本情况 …) whose points are summed and capped at ``cap``."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="blocks")
    order = models.PositiveSmallIntegerField(_("顺序"))
    code = models.CharField(_("板块代码"), max_length=32)
    name = models.CharField(_("板块名称"), max_length=100)
    cap = models.DecimalField(_("板块上限（权重）"), max_digits=7, decimal_places=2)
    floor = models.DecimalField(_("板块下限"), max_digits=7, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("指标板块")
        verbose_name_plural = _("指标板块")
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="block_code_unique")]

    def __str__(self) -> str:
        return self.name


class IndicatorKind(models.TextChoices):
    BINS = "bins", _("分段")  # numeric value → bin → points
    CATEGORIES = "categories", _("分类")  # category value → points
    LINEAR = "linear", _("按值")  # points = value × scale, within [0, cap]


class Closed(models.TextChoices):
    LEFT = "left", _("含下限 [a, b)")
    RIGHT = "right", _("含上限 (a, b]")


class Indicator(models.Model):
    """One indicator: the source field of the flat indicator row and how its value becomes points.

    ``bins``: ``[{"upper": 3, "points": 2}, {"upper": 5, "points": 4}, ..., {"upper": null, "points": 10}]``
    — contiguous bins in ascending order, the last open-ended; ``closed`` says which bound a bin
    includes. ``categories``: ``{"college": 3, "senior": 2, ...}``. A missing value scores ``missing_points``.
    """

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="indicators")
    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="indicators")
    order = models.PositiveSmallIntegerField(_("顺序"))
    code = models.CharField(_("指标代码"), max_length=32)
    name = models.CharField(_("指标名称"), max_length=100)
    source_field = models.CharField(_("数据来源字段"), max_length=40)
    kind = models.CharField(_("类型"), max_length=12, choices=IndicatorKind.choices)
    closed = models.CharField(_("区间端点"), max_length=8, choices=Closed.choices, default=Closed.LEFT)
    unit = models.CharField(_("单位"), max_length=16, blank=True)
    bins = models.JSONField(_("分段"), default=list, blank=True)
    categories = models.JSONField(_("分类"), default=dict, blank=True)
    scale = models.DecimalField(_("系数"), max_digits=9, decimal_places=4, default=1)
    cap = models.DecimalField(_("指标上限"), max_digits=7, decimal_places=2, null=True, blank=True)
    missing_points = models.DecimalField(_("缺失时得分"), max_digits=7, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="indicator_code_unique")]

    def __str__(self) -> str:
        return self.name


class VetoRule(models.Model):
    """A one-veto rule (一票否决): a true ``source_field`` sends the subject to the scheme's veto grade."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="vetoes")
    order = models.PositiveSmallIntegerField(_("顺序"))
    code = models.CharField(_("否决项代码"), max_length=32)
    name = models.CharField(_("否决项"), max_length=100)
    source_field = models.CharField(_("数据来源字段"), max_length=40)
    basis = models.CharField(_("依据"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("一票否决项")
        verbose_name_plural = _("一票否决项")
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="veto_code_unique")]

    def __str__(self) -> str:
        return self.name


class SubjectIndicators(ScopedModel):
    """One flat row of indicator values per subject (and archive snapshot): what a rating run reads.

    Refreshed set-based from the archives (``scoring.indicators.indicators_refresh``). Every
    ``source_field`` of the shipped models is a column here; null = not known (``missing_points``).
    """

    subject_type = models.CharField(_("主体类型"), max_length=12, choices=SubjectKind.choices)
    subject_id = models.BigIntegerField(_("主体编号"))
    household_id = models.BigIntegerField(_("农户编号"), null=True, blank=True)
    region_code = models.CharField(_("区划代码"), max_length=12)
    snapshot_id = models.BigIntegerField(_("档案快照"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))

    # Households
    head_age = models.FloatField(_("户主年龄"), null=True, blank=True)
    head_education = models.CharField(_("户主文化程度"), max_length=16, blank=True)
    workers = models.FloatField(_("家庭劳动力"), null=True, blank=True)
    residence_years = models.FloatField(_("本地居住年限"), null=True, blank=True)
    net_income_wan = models.FloatField(_("家庭年纯收入（万元）"), null=True, blank=True)
    net_assets_wan = models.FloatField(_("净资产（万元）"), null=True, blank=True)
    debt_ratio_pct = models.FloatField(_("资产负债率（%）"), null=True, blank=True)
    income_stability = models.CharField(_("收入来源稳定性"), max_length=16, blank=True)
    land_mu = models.FloatField(_("经营规模（亩）"), null=True, blank=True)
    insured = models.FloatField(_("参保"), null=True, blank=True)
    loan_record = models.CharField(_("近3年借贷履约"), max_length=16, blank=True)
    fee_record = models.CharField(_("公共缴费"), max_length=16, blank=True)
    bank_account = models.FloatField(_("金融关系"), null=True, blank=True)
    civility_score = models.FloatField(_("乡风文明评议得分"), null=True, blank=True)
    # Entities
    years_operating = models.FloatField(_("经营年限"), null=True, blank=True)
    demonstration = models.CharField(_("示范等级"), max_length=16, blank=True)
    principal_grade = models.CharField(_("负责人信用等级"), max_length=8, blank=True)
    revenue_wan = models.FloatField(_("年营业收入（万元）"), null=True, blank=True)
    farmers_driven = models.FloatField(_("带动农户数"), null=True, blank=True)
    profit_years = models.FloatField(_("近2年盈利年数"), null=True, blank=True)
    proper_accounts = models.FloatField(_("财务规范"), null=True, blank=True)
    loans_performed = models.FloatField(_("贷款履约"), null=True, blank=True)
    taxes_paid = models.FloatField(_("纳税与社保"), null=True, blank=True)
    no_penalty = models.FloatField(_("无处罚"), null=True, blank=True)
    village_evaluation = models.FloatField(_("村级评价"), null=True, blank=True)
    # Collectives
    n2_registered = models.FloatField(_("已登记赋码"), null=True, blank=True)
    inventory_done = models.FloatField(_("清产核资"), null=True, blank=True)
    charter_rules = models.FloatField(_("章程与三资制度"), null=True, blank=True)
    finances_published = models.FloatField(_("财务公开"), null=True, blank=True)
    operating_income_wan = models.FloatField(_("经营性收入（万元）"), null=True, blank=True)
    no_new_debt = models.FloatField(_("无新增村级债务"), null=True, blank=True)
    no_arrears = models.FloatField(_("无拖欠纠纷"), null=True, blank=True)
    four_two_applied = models.FloatField(_("四议两公开"), null=True, blank=True)
    no_audit_findings = models.FloatField(_("无审计问题"), null=True, blank=True)
    # Villages
    coverage_pct = models.FloatField(_("建档覆盖率（%）"), null=True, blank=True)
    credit_share_pct = models.FloatField(_("A级以上农户占比（%）"), null=True, blank=True)
    npl_ratio_pct = models.FloatField(_("农户贷款不良率（%）"), null=True, blank=True)
    collective_grade = models.CharField(_("集体经济组织等级"), max_length=8, blank=True)
    civility_done_pct = models.FloatField(_("评议完成率（%）"), null=True, blank=True)
    # One-veto sources
    veto_negative_list = models.BooleanField(_("负面清单"), default=False)
    veto_npl = models.BooleanField(_("当前不良贷款"), default=False)
    veto_civility = models.BooleanField(_("评议一票否决"), default=False)
    veto_discipline = models.BooleanField(_("严重违纪案件"), default=False)

    scope_region_field = "region_code"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("主体指标")
        verbose_name_plural = _("主体指标")
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id"], name="one_indicator_row_per_subject")
        ]
        indexes = [models.Index(fields=["subject_type", "region_code", "subject_id"], name="indicators_region_subject")]

    def __str__(self) -> str:
        return f"{self.subject_type}:{self.subject_id}"


# Fields that are categories (strings); every other source field is numeric (bools as 0/1).
CATEGORY_FIELDS = frozenset(
    {
        "head_education",
        "income_stability",
        "loan_record",
        "fee_record",
        "demonstration",
        "principal_grade",
        "collective_grade",
    }
)
VETO_FIELDS = ("veto_negative_list", "veto_npl", "veto_civility", "veto_discipline")


def indicator_source_fields() -> list[str]:
    skip = {"id", "subject_type", "subject_id", "household_id", "region_code", "snapshot_id", "computed_at"}
    return [f.name for f in SubjectIndicators._meta.concrete_fields if f.name not in skip]
