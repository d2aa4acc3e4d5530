"""乡风文明评议: schemes (as versioned data), rounds, groups, evaluations, procedure steps, results.

A *scheme* (评议方案) is a family of *versions*; a version holds dimensions, items (+, −, one-veto),
the base score per dimension, the floor of a dimension and the cap on the total. A version is edited
while it is a draft and frozen once active; a change is a new version. A *round* (评议轮次) applies one
version to one village in one year: its groups (evaluation, deliberation, supervision), each
evaluator's independent *evaluation* of a household (the ticked items), the procedure steps, and at
closing the frozen per-household *results* (trimmed mean, veto with its basis) that scoring reads.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from creditvillage.core.scope import ScopedManager, ScopedModel

__all__ = [
    "CivilityRound",
    "CivilityScheme",
    "Evaluation",
    "EvaluationMark",
    "GroupKind",
    "GroupMember",
    "HouseholdResult",
    "ItemKind",
    "ProcedureKind",
    "ProcedureStep",
    "Relative",
    "RoundStatus",
    "SchemeDimension",
    "SchemeItem",
    "SchemeVersion",
    "StepKind",
    "VersionStatus",
]


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("启用")
    RETIRED = "retired", _("停用")


class ItemKind(models.TextChoices):
    POSITIVE = "positive", _("加分项")
    NEGATIVE = "negative", _("扣分项")
    VETO = "veto", _("一票否决项")


class CivilityScheme(models.Model):
    """A checklist family (e.g. the 8-dimension default); its content lives in versions."""

    code = models.SlugField(_("方案代码"), max_length=40, unique=True)
    name = models.CharField(_("方案名称"), max_length=64)
    description = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评议方案")
        verbose_name_plural = _("评议方案")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SchemeVersion(models.Model):
    scheme = models.ForeignKey(CivilityScheme, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=8, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    base_per_dimension = models.DecimalField(_("每个维度基础分"), max_digits=6, decimal_places=2, default=Decimal("3"))
    dimension_floor = models.DecimalField(_("维度最低分"), max_digits=6, decimal_places=2, default=Decimal("0"))
    bonus_cap = models.DecimalField(_("加分上限（全表）"), max_digits=6, decimal_places=2, null=True, blank=True)
    notes = models.TextField(_("版本说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("方案版本")
        verbose_name_plural = _("方案版本")
        ordering = ["scheme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="civility_version_number_unique"),
            models.UniqueConstraint(
                fields=["scheme"], condition=Q(status="active"), name="civility_one_active_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.name} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class SchemeDimension(models.Model):
    version = models.ForeignKey(SchemeVersion, on_delete=models.CASCADE, related_name="dimensions")
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("维度"), max_length=32)

    class Meta:
        verbose_name = _("评议维度")
        verbose_name_plural = _("评议维度")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="civility_dimension_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SchemeItem(models.Model):
    """One line of the checklist. ``points`` is a magnitude: positive items add it, negative items
    deduct it (``per_case``: once per case ticked), one-veto items carry none."""

    version = models.ForeignKey(SchemeVersion, on_delete=models.CASCADE, related_name="items")
    dimension = models.ForeignKey(
        SchemeDimension, null=True, blank=True, on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    kind = models.CharField(_("类型"), max_length=8, choices=ItemKind.choices)
    text = models.CharField(_("评议内容"), max_length=200)
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2, default=Decimal("0"))
    per_case = models.BooleanField(_("按次计"), default=False)
    source = models.CharField(_("数据来源"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("评议事项")
        verbose_name_plural = _("评议事项")
        ordering = ["version", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=0), name="civility_item_points_magnitude"),
            models.CheckConstraint(
                condition=Q(kind="veto") | Q(dimension__isnull=False), name="civility_item_needs_dimension"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class ProcedureKind(models.TextChoices):
    THREE_TWO_ONE = "3-2-1", _("三议两审一公开")
    FOUR_TWO = "4-2", _("四议两公开")


class StepKind(models.TextChoices):
    # 三议两审一公开 (a mapping onto the documented Anhui flow, domain-reference §2.2)
    PRE_EVALUATION = "pre_evaluation", _("评议小组初评")
    VILLAGE_DELIBERATION = "village_deliberation", _("村级审议")
    CONFIRMATION = "confirmation", _("党员或村民代表确认")
    TOWNSHIP_REVIEW = "township_review", _("乡镇审核")
    SYSTEM_AUDIT = "system_audit", _("县级（系统）审核")
    PUBLICITY = "publicity", _("结果公示")
    # 四议两公开
    BRANCH_PROPOSAL = "branch_proposal", _("党支部会提议")
    COMMITTEES_DELIBERATION = "committees_deliberation", _("两委会商议")
    PARTY_REVIEW = "party_review", _("党员大会审议")
    VILLAGERS_RESOLUTION = "villagers_resolution", _("村民（代表）会议决议")
    RESOLUTION_PUBLISHED = "resolution_published", _("决议公开")
    RESULT_PUBLISHED = "result_published", _("实施结果公开")


PROCEDURE_STEPS: dict[str, list[str]] = {
    ProcedureKind.THREE_TWO_ONE: [
        StepKind.PRE_EVALUATION,
        StepKind.VILLAGE_DELIBERATION,
        StepKind.CONFIRMATION,
        StepKind.TOWNSHIP_REVIEW,
        StepKind.SYSTEM_AUDIT,
        StepKind.PUBLICITY,
    ],
    ProcedureKind.FOUR_TWO: [
        StepKind.BRANCH_PROPOSAL,
        StepKind.COMMITTEES_DELIBERATION,
        StepKind.PARTY_REVIEW,
        StepKind.VILLAGERS_RESOLUTION,
        StepKind.RESOLUTION_PUBLISHED,
        StepKind.RESULT_PUBLISHED,
    ],
}

# Meetings whose decision needs more than two thirds of the members present (村民委员会组织法 art. 26;
# the Party members' meeting of 四议两公开).
QUORUM_STEPS = {StepKind.PARTY_REVIEW, StepKind.VILLAGERS_RESOLUTION, StepKind.CONFIRMATION}


class RoundStatus(models.TextChoices):
    OPEN = "open", _("评议中")
    CLOSED = "closed", _("已结束")


class CivilityRound(ScopedModel):
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("村"), on_delete=models.PROTECT, related_name="civility_rounds"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    scheme_version = models.ForeignKey(
        SchemeVersion, verbose_name=_("评议方案"), on_delete=models.PROTECT, related_name="rounds"
    )
    procedure = models.CharField(
        _("评议程序"), max_length=8, choices=ProcedureKind.choices, default=ProcedureKind.THREE_TWO_ONE
    )
    status = models.CharField(_("状态"), max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    deviation_threshold = models.DecimalField(
        _("偏离阈值（分）"), max_digits=6, decimal_places=2, default=Decimal("2.00")
    )
    deviation_min_households = models.PositiveSmallIntegerField(_("偏离判定最少户数"), default=5)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # How many times the round has closed: 1 after the first close, +1 after each reopen and
    # close. The current results are the ones of the last closing; earlier ones are history.
    closings = models.PositiveSmallIntegerField(_("结束次数"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("评议轮次")
        verbose_name_plural = _("评议轮次")
        ordering = ["-year", "region_id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="civility_round_per_village_year"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.region_id}"

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def step_kinds(self) -> list[str]:
        return PROCEDURE_STEPS[self.procedure]


class GroupKind(models.TextChoices):
    EVALUATION = "evaluation", _("评议小组")
    DELIBERATION = "deliberation", _("审议小组")
    SUPERVISION = "supervision", _("监督小组")


class GroupMember(ScopedModel):
    """A person in one of a round's groups: a user (the evaluator login) or a named person.

    ``id_number`` ties the member to the registry (their own household, recorded relatives) so
    that recusal is automatic; it is never shown unmasked.
    """

    round = models.ForeignKey(CivilityRound, on_delete=models.CASCADE, related_name="members")
    group = models.CharField(_("小组"), max_length=16, choices=GroupKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("姓名"), max_length=32)
    id_number = models.CharField(_("身份证号码"), max_length=18, blank=True)
    title = models.CharField(_("职务"), max_length=32, blank=True)
    # Filled when the round closes: the evaluator's mean signed deviation from the others.
    mean_deviation = models.DecimalField(_("平均偏离"), max_digits=6, decimal_places=2, null=True, blank=True)
    compared_households = models.PositiveIntegerField(_("比较户数"), default=0)
    flagged = models.BooleanField(_("偏离提示"), default=False)

    scope_region_field = "round__region_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("小组成员")
        verbose_name_plural = _("小组成员")
        ordering = ["round", "group", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "group", "user"], condition=Q(user__isnull=False), name="civility_member_user_once"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Relative(ScopedModel):
    """A recorded kinship: the person with ``id_number`` is related to ``household`` (recusal)."""

    id_number = models.CharField(_("评议人身份证号码"), max_length=18, db_index=True)
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("亲属所在户"), on_delete=models.CASCADE, related_name="+"
    )
    relation = models.CharField(_("亲属关系"), max_length=32)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_region_field = "household__region_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("亲属关系")
        verbose_name_plural = _("亲属关系")
        constraints = [
            models.UniqueConstraint(fields=["id_number", "household"], name="civility_relative_once"),
        ]

    def __str__(self) -> str:
        return f"{self.relation} → {self.household_id}"


class Evaluation(ScopedModel):
    """One evaluator's independent score of one household in a round (the ticked items are marks)."""

    round = models.ForeignKey(CivilityRound, on_delete=models.CASCADE, related_name="evaluations")
    member = models.ForeignKey(GroupMember, on_delete=models.PROTECT, related_name="evaluations")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    note = models.TextField(_("备注"), blank=True)
    photo = models.FileField(_("佐证照片"), upload_to="civility/%Y/", blank=True, max_length=200)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"))
    version = models.PositiveIntegerField(default=1)

    scope_region_field = "household__region_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("评议记录")
        verbose_name_plural = _("评议记录")
        ordering = ["round", "household", "member"]
        constraints = [
            models.UniqueConstraint(fields=["round", "member", "household"], name="civility_one_evaluation"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}→{self.household_id}: {self.score}"


class EvaluationMark(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="marks")
    item = models.ForeignKey(SchemeItem, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveSmallIntegerField(_("次数"), default=1)
    basis = models.TextField(_("依据"), blank=True)

    class Meta:
        verbose_name = _("评议勾选")
        verbose_name_plural = _("评议勾选")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "item"], name="civility_mark_once"),
            models.CheckConstraint(condition=Q(count__gte=1), name="civility_mark_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}×{self.count}"


class ProcedureStep(ScopedModel):
    round = models.ForeignKey(CivilityRound, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("程序步骤"), max_length=32, choices=StepKind.choices)
    held_on = models.DateField(_("日期"))
    ends_on = models.DateField(_("截止日期"), null=True, blank=True)
    expected = models.PositiveIntegerField(_("应到人数"))
    present = models.PositiveIntegerField(_("实到人数"))
    attendees = models.TextField(_("参会人员"))
    minutes = models.TextField(_("会议纪要"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    scope_region_field = "round__region_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("程序记录")
        verbose_name_plural = _("程序记录")
        ordering = ["round", "held_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "kind"], name="civility_step_once"),
            models.CheckConstraint(
                condition=Q(present__lte=models.F("expected")), name="civility_step_present_le_expected"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class HouseholdResult(ScopedModel):
    """A household's civility result, frozen when its round closes (what scoring reads).

    ``closing`` numbers the close that froze it: a reopened round keeps the results of its earlier
    closings as history; the current ones are those with ``closing == round.closings``."""

    round = models.ForeignKey(CivilityRound, on_delete=models.CASCADE, related_name="results")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("乡风文明得分"), max_digits=6, decimal_places=2)
    evaluators = models.PositiveSmallIntegerField(_("评议人数"))
    vetoed = models.BooleanField(_("一票否决"), default=False)
    veto_basis = models.TextField(_("否决依据"), blank=True)
    closing = models.PositiveSmallIntegerField(_("第几次结束"), default=1)

    scope_region_field = "household__region_id"
    scope_household_field = "household_id"
    objects = ScopedManager()

    class Meta:
        verbose_name = _("评议结果")
        verbose_name_plural = _("评议结果")
        constraints = [
            models.UniqueConstraint(fields=["round", "closing", "household"], name="civility_result_once_per_closing"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.score}"
