"""Writes of civility evaluation. Each is one transaction, checks the actor, validates and audits.

Who may do what:

* schemes — ``configure`` anywhere (schemes are programme-wide reference data, like banks);
* rounds, groups, relatives, procedure steps, closing — ``change`` on the village (village and
  township operators, administrators);
* evaluations — a member of the round's evaluation group scoring for themselves (``evaluate`` on
  the household), or an operator with ``change`` entering a named member's paper sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.accounts.roles import Action, Role
from creditvillage.civility import compute
from creditvillage.civility.models import (
    PROCEDURE_STEPS,
    QUORUM_STEPS,
    CivilityRound,
    CivilityScheme,
    Evaluation,
    EvaluationMark,
    GroupKind,
    GroupMember,
    HouseholdResult,
    ItemKind,
    ProcedureKind,
    ProcedureStep,
    Relative,
    RoundStatus,
    SchemeDimension,
    SchemeItem,
    SchemeVersion,
    StepKind,
    VersionStatus,
)
from creditvillage.core import audit
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.identifiers import mask_resident_id, validate_resident_id
from creditvillage.core.scope import Actor, can, in_subtree
from creditvillage.regions.choices import RegionLevel
from creditvillage.regions.models import Region
from creditvillage.registry.models import Household, Person

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}  # and RIFF....WEBP
XLSX_MAX_BYTES = 2 * 1024 * 1024
XLSX_MAX_ROWS = 500
KIND_WORDS = {
    "加分": ItemKind.POSITIVE,
    "加分项": ItemKind.POSITIVE,
    "+": ItemKind.POSITIVE,
    "positive": ItemKind.POSITIVE,
    "扣分": ItemKind.NEGATIVE,
    "扣分项": ItemKind.NEGATIVE,
    "-": ItemKind.NEGATIVE,
    "−": ItemKind.NEGATIVE,
    "negative": ItemKind.NEGATIVE,
    "一票否决": ItemKind.VETO,
    "一票否决项": ItemKind.VETO,
    "否决": ItemKind.VETO,
    "veto": ItemKind.VETO,
}
YES_WORDS = {"是", "y", "yes", "true", "1", "按次"}


class Recused(DomainError):
    """The evaluator may not score this household: their own, or a recorded relative's."""

    status = 422

    def __init__(self) -> None:
        super().__init__("recused", _("评议人须回避本户及亲属户"), {})


class RoundClosed(DomainError):
    status = 409

    def __init__(self) -> None:
        super().__init__("round_closed", _("本轮评议已结束，不能再修改"), {})


def _reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationFailed(_("请填写修改原因"), {"field": "reason"})
    return reason.strip()


def _require_configure(actor: Actor) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.has_action(Action.CONFIGURE):  # type: ignore[attr-defined]
        raise PermissionDenied()


# --- Schemes ------------------------------------------------------------------------------------------


@dataclass
class ItemRow:
    """One checklist line as the UI table and the xlsx upload give it."""

    dimension: str
    kind: str
    text: str
    points: Decimal
    per_case: bool = False
    source: str = ""


def _version_snapshot(version: SchemeVersion) -> dict[str, Any]:
    return {
        "base_per_dimension": str(version.base_per_dimension),
        "dimension_floor": str(version.dimension_floor),
        "bonus_cap": None if version.bonus_cap is None else str(version.bonus_cap),
        "items": [
            [i.dimension.name if i.dimension else "", i.kind, i.text, str(i.points), i.per_case, i.source]
            for i in version.items.select_related("dimension").order_by("position")
        ],
    }


def validate_rows(rows: list[ItemRow], *, numbers: list[int] | None = None) -> list[dict[str, Any]]:
    """Every problem of a checklist at once: ``[{row, field, message}]`` (row numbers from ``numbers``,
    else 1, 2, …)."""
    problems: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        number = numbers[index] if numbers else index + 1

        def bad(field: str, message: str, number: int = number) -> None:
            problems.append({"row": number, "field": field, "message": message})

        if row.kind not in ItemKind.values:
            bad("kind", _("类型须为加分、扣分或一票否决"))
        if not row.text.strip():
            bad("text", _("请填写评议内容"))
        elif len(row.text) > 200:
            bad("text", _("评议内容不超过200字"))
        if row.kind != ItemKind.VETO:
            if not row.dimension.strip():
                bad("dimension", _("加分项和扣分项须属于一个维度"))
            elif len(row.dimension) > 32:
                bad("dimension", _("维度名称不超过32字"))
            if not (Decimal("0") < row.points <= Decimal("100")):
                bad("points", _("分值须大于0且不超过100"))
        elif row.points != 0:
            bad("points", _("一票否决项不计分值"))
        if row.per_case and row.kind != ItemKind.NEGATIVE:
            bad("per_case", _("只有扣分项可以按次计"))
        key = (row.dimension.strip(), row.text.strip())
        if key in seen:
            bad("text", _("同一维度下评议内容重复"))
        seen.add(key)
    if not any(r.kind != ItemKind.VETO for r in rows):
        problems.append({"row": None, "field": "items", "message": _("方案至少需要一个维度的加分项或扣分项")})
    return problems


@transaction.atomic
def scheme_create(*, actor: Actor, code: str, name: str, description: str = "", reason: str) -> SchemeVersion:
    """A new scheme with an empty draft version 1."""
    _require_configure(actor)
    reason = _reason(reason)
    if not code or not name.strip():
        raise ValidationFailed(_("请填写方案代码和名称"), {"field": "code"})
    if CivilityScheme.objects.filter(code=code).exists():
        raise ValidationFailed(_("方案代码已存在"), {"field": "code"})
    scheme = CivilityScheme.objects.create(code=code, name=name.strip(), description=description)
    version = SchemeVersion.objects.create(scheme=scheme, number=1, created_by=_user(actor))
    audit.record(
        actor=actor,
        action="civility.scheme_created",
        target=scheme,
        changes={"code": [None, code], "name": [None, name]},
        reason=reason,
    )
    return version


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


@transaction.atomic
def scheme_version_new(*, actor: Actor, scheme: CivilityScheme, reason: str) -> SchemeVersion:
    """A draft copying the scheme's latest version (the way to change an active scheme)."""
    _require_configure(actor)
    reason = _reason(reason)
    scheme = CivilityScheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.versions.filter(status=VersionStatus.DRAFT).exists():
        raise ValidationFailed(_("已有草稿版本，请先编辑或启用它"), {"field": "version"})
    latest = scheme.versions.order_by("-number").first()
    number = (latest.number if latest else 0) + 1
    version = SchemeVersion.objects.create(
        scheme=scheme,
        number=number,
        created_by=_user(actor),
        base_per_dimension=latest.base_per_dimension if latest else Decimal("3"),
        dimension_floor=latest.dimension_floor if latest else Decimal("0"),
        bonus_cap=latest.bonus_cap if latest else None,
    )
    if latest:
        _write_rows(version, _rows_of(latest))
    audit.record(
        actor=actor,
        action="civility.version_created",
        target=version,
        changes={"number": [None, number]},
        reason=reason,
    )
    return version


def _rows_of(version: SchemeVersion) -> list[ItemRow]:
    return [
        ItemRow(i.dimension.name if i.dimension else "", i.kind, i.text, i.points, i.per_case, i.source)
        for i in version.items.select_related("dimension").order_by("position")
    ]


def _write_rows(version: SchemeVersion, rows: list[ItemRow]) -> None:
    version.items.all().delete()
    version.dimensions.all().delete()
    dimensions: dict[str, SchemeDimension] = {}
    for row in rows:
        name = row.dimension.strip()
        if row.kind != ItemKind.VETO and name not in dimensions:
            dimensions[name] = SchemeDimension(version=version, position=len(dimensions) + 1, name=name)
    SchemeDimension.objects.bulk_create(dimensions.values())
    SchemeItem.objects.bulk_create(
        SchemeItem(
            version=version,
            dimension=None if row.kind == ItemKind.VETO else dimensions[row.dimension.strip()],
            position=index + 1,
            kind=row.kind,
            text=row.text.strip(),
            points=row.points,
            per_case=row.per_case,
            source=row.source.strip(),
        )
        for index, row in enumerate(rows)
    )


@transaction.atomic
def scheme_version_update(
    *,
    actor: Actor,
    version: SchemeVersion,
    rows: list[ItemRow],
    base_per_dimension: Decimal,
    dimension_floor: Decimal,
    bonus_cap: Decimal | None,
    reason: str,
) -> SchemeVersion:
    """Replace a draft's content (all rows or none); an active or retired version is frozen."""
    _require_configure(actor)
    reason = _reason(reason)
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise ValidationFailed(_("只有草稿版本可以修改，请新建版本"), {"field": "version"})
    problems = validate_rows(rows)
    if base_per_dimension < 0 or dimension_floor < 0 or dimension_floor > base_per_dimension:
        problems.append(
            {"row": None, "field": "base_per_dimension", "message": _("基础分和最低分须为非负数，最低分不高于基础分")}
        )
    if bonus_cap is not None and bonus_cap < 0:
        problems.append({"row": None, "field": "bonus_cap", "message": _("加分上限须为非负数")})
    if problems:
        raise ValidationFailed(_("方案内容有误，未作任何修改"), {"problems": problems})
    before = _version_snapshot(version)
    version.base_per_dimension = base_per_dimension
    version.dimension_floor = dimension_floor
    version.bonus_cap = bonus_cap
    version.save(update_fields=["base_per_dimension", "dimension_floor", "bonus_cap"])
    _write_rows(version, rows)
    after = _version_snapshot(version)
    audit.record(
        actor=actor, action="civility.version_updated", target=version, changes=audit.diff(before, after), reason=reason
    )
    return version


@transaction.atomic
def scheme_version_activate(*, actor: Actor, version: SchemeVersion, reason: str) -> SchemeVersion:
    """Activate a validated draft; the scheme's previously active version is retired (rounds keep it)."""
    _require_configure(actor)
    reason = _reason(reason)
    version = SchemeVersion.objects.select_for_update().get(pk=version.pk)
    if not version.is_draft:
        raise ValidationFailed(_("只有草稿版本可以启用"), {"field": "version"})
    problems = validate_rows(_rows_of(version))
    if problems:
        raise ValidationFailed(_("方案内容有误，不能启用"), {"problems": problems})
    previous = list(SchemeVersion.objects.filter(scheme_id=version.scheme_id, status=VersionStatus.ACTIVE))
    SchemeVersion.objects.filter(pk__in=[v.pk for v in previous]).update(status=VersionStatus.RETIRED)
    version.status = VersionStatus.ACTIVE
    version.activated_at = timezone.now()
    version.save(update_fields=["status", "activated_at"])
    audit.record(
        actor=actor,
        action="civility.version_activated",
        target=version,
        changes={"status": ["draft", "active"], "retired": [None, [v.number for v in previous]]},
        reason=reason,
    )
    return version


def parse_xlsx(data: bytes) -> tuple[list[ItemRow], list[dict[str, Any]]]:
    """Rows of the first sheet: 维度 | 类型 | 评议内容 | 分值 | 按次计 | 数据来源 (header in row 1)."""
    from python_calamine import CalamineWorkbook

    problems: list[dict[str, Any]] = []
    if len(data) > XLSX_MAX_BYTES:
        return [], [{"row": None, "field": "file", "message": _("文件不超过2MB")}]
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # calamine raises its own error types for anything unreadable
        return [], [{"row": None, "field": "file", "message": _("无法读取该Excel文件（请上传.xlsx）")}]
    if not sheet:
        return [], [{"row": None, "field": "file", "message": _("表格是空的")}]
    body = [r for r in sheet[1:] if any(str(c).strip() for c in r)]
    if len(body) > XLSX_MAX_ROWS:
        return [], [{"row": None, "field": "file", "message": _("最多500行")}]
    rows: list[ItemRow] = []
    numbers: list[int] = []
    for index, raw in enumerate(sheet[1:], start=2):
        cells = [str(c).strip() if c is not None else "" for c in list(raw) + [""] * 6][:6]
        if not any(cells):
            continue
        dimension, kind_word, text, points_text, per_case, source = cells
        kind = KIND_WORDS.get(kind_word.lower(), kind_word)
        try:
            points = Decimal(points_text or "0")
            if not points.is_finite():
                raise InvalidOperation
            points = abs(points)  # "−3" and "3" both mean a deduction of 3 on a negative item
        except InvalidOperation:
            problems.append({"row": index, "field": "points", "message": _("分值须为数字")})
            points = Decimal("1")
        rows.append(ItemRow(dimension, kind, text, points, per_case.lower() in YES_WORDS, source))
        numbers.append(index)
    problems += validate_rows(rows, numbers=numbers)
    return rows, problems


@transaction.atomic
def scheme_import_xlsx(
    *,
    actor: Actor,
    data: bytes,
    code: str,
    name: str,
    base_per_dimension: Decimal,
    dimension_floor: Decimal,
    bonus_cap: Decimal | None,
    reason: str,
) -> SchemeVersion:
    """A new draft version (of scheme ``code``, created if new) from an xlsx checklist; all rows or none."""
    _require_configure(actor)
    reason = _reason(reason)
    rows, problems = parse_xlsx(data)
    if problems:
        raise ValidationFailed(_("Excel内容有误，未导入任何内容"), {"problems": problems})
    scheme = CivilityScheme.objects.filter(code=code).first()
    if scheme is None:
        version = scheme_create(actor=actor, code=code, name=name or code, reason=reason)
    else:
        draft = scheme.versions.filter(status=VersionStatus.DRAFT).first()
        version = draft or scheme_version_new(actor=actor, scheme=scheme, reason=reason)
    return scheme_version_update(
        actor=actor,
        version=version,
        rows=rows,
        base_per_dimension=base_per_dimension,
        dimension_floor=dimension_floor,
        bonus_cap=bonus_cap,
        reason=reason,
    )


def version_rules(version: SchemeVersion) -> compute.VersionRules:
    items = {
        i.pk: compute.ItemRule(i.pk, i.kind, i.dimension_id, i.points, i.per_case)
        for i in SchemeItem.objects.filter(version=version)
    }
    dimensions = tuple(
        SchemeDimension.objects.filter(version=version).order_by("position").values_list("pk", flat=True)
    )
    return compute.VersionRules(
        version.base_per_dimension, version.dimension_floor, version.bonus_cap, dimensions, items
    )


# --- Rounds and groups ----------------------------------------------------------------------------------


def _manageable_round(actor: Actor, round_: CivilityRound, *, lock: bool = True) -> CivilityRound:
    qs = CivilityRound.objects.select_for_update() if lock else CivilityRound.objects.all()
    round_ = qs.get(pk=round_.pk)
    if not can(actor, Action.CHANGE, round_):
        raise NotFound()
    return round_


@transaction.atomic
def round_create(
    *,
    actor: Actor,
    region_code: str,
    year: int,
    scheme_version: SchemeVersion,
    procedure: str = ProcedureKind.THREE_TWO_ONE,
    reason: str,
) -> CivilityRound:
    reason = _reason(reason)
    region = Region.objects.visible_to(actor, Action.CHANGE).filter(pk=region_code).first()
    if region is None:
        raise NotFound()
    if region.level != RegionLevel.VILLAGE:
        raise ValidationFailed(_("评议轮次须按村开展"), {"field": "region"})
    if scheme_version.status != VersionStatus.ACTIVE:
        raise ValidationFailed(_("请选择已启用的方案版本"), {"field": "scheme_version"})
    if procedure not in PROCEDURE_STEPS:
        raise ValidationFailed(_("未知的评议程序"), {"field": "procedure"})
    if not 2000 <= year <= 2100:
        raise ValidationFailed(_("年度不正确"), {"field": "year"})
    if CivilityRound.objects.filter(region=region, year=year).exists():
        raise ValidationFailed(_("该村本年度已有评议轮次"), {"field": "year"})
    round_ = CivilityRound.objects.create(
        region=region, year=year, scheme_version=scheme_version, procedure=procedure, created_by=_user(actor)
    )
    audit.record(
        actor=actor,
        action="civility.round_created",
        target=round_,
        region_code=region.code,
        changes={"year": [None, year], "scheme_version": [None, str(scheme_version)]},
        reason=reason,
    )
    return round_


def _covers(user: User, action: str, code: str) -> bool:
    return user.is_superuser or any(in_subtree(code, g.prefix) for g in user.grants_for(action))


@transaction.atomic
def member_add(
    *,
    actor: Actor,
    round: CivilityRound,
    group: str,
    user: User | None = None,
    name: str = "",
    id_number: str = "",
    title: str = "",
    reason: str,
) -> GroupMember:
    """Add a user (an evaluator login covering the village) or a named person to a group."""
    reason = _reason(reason)
    round_ = _manageable_round(actor, round)
    if not round_.is_open:
        raise RoundClosed()
    if group not in GroupKind.values:
        raise ValidationFailed(_("未知的小组"), {"field": "group"})
    if user is not None:
        if group == GroupKind.EVALUATION and not _covers(user, Action.EVALUATE, round_.region_id):
            raise ValidationFailed(_("该账号没有本村的评议员角色"), {"field": "user"})
        name = name or user.display_name or user.username
        if GroupMember.objects.filter(round=round_, group=group, user=user).exists():
            raise ValidationFailed(_("已在该小组中"), {"field": "user"})
    if not name.strip():
        raise ValidationFailed(_("请填写姓名"), {"field": "name"})
    if id_number:
        result = validate_resident_id(id_number)
        if not result.valid:
            raise ValidationFailed(str(result.errors[0].message), {"field": "id_number"})
        id_number = result.normalized or id_number
    member = GroupMember.objects.create(
        round=round_, group=group, user=user, name=name.strip(), id_number=id_number, title=title.strip()
    )
    audit.record(
        actor=actor,
        action="civility.member_added",
        target=member,
        region_code=round_.region_id,
        changes={
            "group": [None, group],
            "name": [None, member.name],
            "id_number": [None, mask_resident_id(id_number) if id_number else ""],
        },
        reason=reason,
    )
    return member


@transaction.atomic
def member_remove(*, actor: Actor, member: GroupMember, reason: str) -> None:
    reason = _reason(reason)
    round_ = _manageable_round(actor, member.round)
    if not round_.is_open:
        raise RoundClosed()
    member = GroupMember.objects.get(pk=member.pk, round=round_)
    if member.evaluations.exists():
        raise ValidationFailed(_("该成员已有评议记录，不能移出"), {"field": "member"})
    audit.record(
        actor=actor,
        action="civility.member_removed",
        target=member,
        region_code=round_.region_id,
        changes={"name": [member.name, None], "group": [member.group, None]},
        reason=reason,
    )
    member.delete()


@transaction.atomic
def relative_record(*, actor: Actor, id_number: str, household: Household, relation: str, reason: str) -> Relative:
    """Record that the person with ``id_number`` (an evaluator) is a relative of ``household``."""
    reason = _reason(reason)
    if not can(actor, Action.CHANGE, household):
        raise NotFound()
    result = validate_resident_id(id_number)
    if not result.valid:
        raise ValidationFailed(str(result.errors[0].message), {"field": "id_number"})
    if not relation.strip():
        raise ValidationFailed(_("请填写亲属关系"), {"field": "relation"})
    try:
        with transaction.atomic():
            relative = Relative.objects.create(
                id_number=result.normalized or id_number,
                household=household,
                relation=relation.strip(),
                recorded_by=_user(actor),
            )
    except IntegrityError as exc:
        raise ValidationFailed(_("该亲属关系已登记"), {"field": "household"}) from exc
    audit.record(
        actor=actor,
        action="civility.relative_recorded",
        target=relative,
        region_code=household.region_id,
        changes={"relation": [None, relative.relation], "id_number": [None, mask_resident_id(relative.id_number)]},
        reason=reason,
    )
    return relative


def recused_households(member: GroupMember) -> set[int]:
    """Households a member may not score: their own (their ID number in the registry, or the
    household their login acts for) and every household recorded as a relative's."""
    recused: set[int] = set()
    if member.id_number:
        recused |= set(Person.objects.filter(id_number=member.id_number).values_list("household_id", flat=True))
        recused |= set(Relative.objects.filter(id_number=member.id_number).values_list("household_id", flat=True))
    if member.user_id:
        recused |= set(
            RoleAssignment.objects.filter(user_id=member.user_id, role=Role.HOUSEHOLD, is_active=True).values_list(
                "household_id", flat=True
            )
        )
    return recused


# --- Evaluations ------------------------------------------------------------------------------------------


@dataclass
class MarkInput:
    count: int = 1
    basis: str = ""


def _photo_extension(head: bytes) -> str | None:
    for magic, ext in PHOTO_TYPES.items():
        if head.startswith(magic):
            return ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _checked_photo(photo: UploadedFile) -> ContentFile[bytes]:
    if photo.size is None or photo.size > PHOTO_MAX_BYTES:
        raise ValidationFailed(_("照片不超过5MB"), {"field": "photo"})
    data = photo.read()
    if len(data) > PHOTO_MAX_BYTES:
        raise ValidationFailed(_("照片不超过5MB"), {"field": "photo"})
    ext = _photo_extension(data[:16])
    if ext is None:
        raise ValidationFailed(_("照片须为JPEG、PNG或WebP格式"), {"field": "photo"})
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{ext}")


def _evaluator_member(actor: Actor, round_: CivilityRound, member: GroupMember | None) -> GroupMember:
    """The member the evaluation is for: the actor's own membership, or (an operator entering a
    paper sheet) a named member of the evaluation group."""
    if member is None:
        own = GroupMember.objects.filter(
            round=round_, group=GroupKind.EVALUATION, user_id=getattr(actor, "pk", 0) or 0
        ).first()
        if own is None or not can(actor, Action.EVALUATE, round_):
            raise NotFound()
        return own
    member = GroupMember.objects.filter(pk=member.pk, round=round_, group=GroupKind.EVALUATION).first()
    if member is None:
        raise NotFound()
    if member.user_id == getattr(actor, "pk", None) and can(actor, Action.EVALUATE, round_):
        return member
    if member.user_id is None and can(actor, Action.CHANGE, round_):
        return member
    raise NotFound()


@transaction.atomic
def evaluation_submit(
    *,
    actor: Actor,
    round: CivilityRound,
    household: Household,
    marks: dict[int, MarkInput],
    note: str = "",
    photo: UploadedFile | None = None,
    member: GroupMember | None = None,
    reason: str = "",
) -> Evaluation:
    """Score one household (create or replace the evaluator's sheet). Audited with old and new.

    Refuses: households outside the round's village or the actor's scope (NotFound), the
    evaluator's own or a relative's household (Recused), a closed round, items of another scheme,
    counts on items not scored per case, a one-veto item without its written basis.
    """
    round_ = CivilityRound.objects.select_for_update().filter(pk=round.pk).first()
    if round_ is None:
        raise NotFound()
    the_member = _evaluator_member(actor, round_, member)
    household = Household.objects.filter(pk=household.pk, region_id=round_.region_id).first()  # type: ignore[assignment]
    if household is None or not (can(actor, Action.EVALUATE, household) or can(actor, Action.CHANGE, household)):
        raise NotFound()
    if not round_.is_open:
        raise RoundClosed()
    if household.pk in recused_households(the_member):
        raise Recused()
    rules = version_rules(round_.scheme_version)
    problems = []
    clean: dict[int, MarkInput] = {}
    for item_id, mark in marks.items():
        item = rules.items.get(int(item_id))
        if item is None:
            problems.append({"item": item_id, "message": _("不是本方案的评议事项")})
            continue
        if mark.count < 1 or (mark.count > 1 and not item.per_case) or mark.count > 99:
            problems.append({"item": item_id, "message": _("次数不正确")})
        if item.kind == ItemKind.VETO and not mark.basis.strip():
            problems.append({"item": item_id, "message": _("一票否决项须填写书面依据")})
        clean[int(item_id)] = MarkInput(mark.count, mark.basis.strip()[:2000])
    if problems:
        raise ValidationFailed(_("评议内容有误"), {"problems": problems})
    score = compute.evaluation_score(rules, {k: v.count for k, v in clean.items()})
    existing = Evaluation.objects.filter(round=round_, member=the_member, household=household).first()
    before: dict[str, Any] = {}
    if existing:
        before = {
            "score": existing.score,
            "marks": sorted([m.item_id, m.count, m.basis] for m in existing.marks.all()),
            "note": existing.note,
        }
    stored_photo = _checked_photo(photo) if photo is not None else None
    now = timezone.now()
    if existing:
        evaluation = existing
        evaluation.score = score
        evaluation.note = note.strip()
        evaluation.entered_by = _user(actor)
        evaluation.submitted_at = now
        evaluation.version += 1
        if stored_photo is not None:
            evaluation.photo.save(stored_photo.name or "photo", stored_photo, save=False)
        evaluation.save()
        evaluation.marks.all().delete()
    else:
        evaluation = Evaluation(
            round=round_,
            member=the_member,
            household=household,
            score=score,
            note=note.strip(),
            entered_by=_user(actor),
            submitted_at=now,
        )
        if stored_photo is not None:
            evaluation.photo.save(stored_photo.name or "photo", stored_photo, save=False)
        evaluation.save()
    EvaluationMark.objects.bulk_create(
        EvaluationMark(evaluation=evaluation, item_id=item_id, count=m.count, basis=m.basis)
        for item_id, m in clean.items()
    )
    after = {"score": score, "marks": sorted([k, v.count, v.basis] for k, v in clean.items()), "note": evaluation.note}
    audit.record(
        actor=actor,
        action="civility.evaluation_submitted",
        target=evaluation,
        region_code=round_.region_id,
        changes=audit.diff(before, after) | ({"photo": [None, evaluation.photo.name]} if stored_photo else {}),
        reason=reason.strip() or (_("首次评议") if not existing else _("评议人修改评分")),
    )
    return evaluation


# --- Procedure steps and closing -----------------------------------------------------------------------------


@transaction.atomic
def step_record(
    *,
    actor: Actor,
    round: CivilityRound,
    kind: str,
    held_on: dt.date,
    expected: int,
    present: int,
    attendees: str,
    minutes: str,
    ends_on: dt.date | None = None,
    reason: str = "",
) -> ProcedureStep:
    """Record (or correct) one procedure step with its date, attendance and minutes.

    Steps follow the procedure's order: a step needs the one before it recorded, on or before its
    date. Meetings that decide (党员大会, 村民代表会议, 确认) need more than two thirds present.
    """
    round_ = _manageable_round(actor, round)
    if not round_.is_open:
        raise RoundClosed()
    kinds = round_.step_kinds
    if kind not in kinds:
        raise ValidationFailed(_("不是本轮评议程序的步骤"), {"field": "kind"})
    problems: dict[str, str] = {}
    if expected < 1:
        problems["expected"] = _("应到人数至少为1")
    if present < 0 or present > expected:
        problems["present"] = _("实到人数不能超过应到人数")
    elif kind in QUORUM_STEPS and present * 3 <= expected * 2:
        problems["present"] = _("须超过三分之二的应到人员出席")
    if not attendees.strip():
        problems["attendees"] = _("请填写参会人员")
    if not minutes.strip():
        problems["minutes"] = _("请填写会议纪要")
    if ends_on is not None and ends_on < held_on:
        problems["ends_on"] = _("截止日期不能早于开始日期")
    if kind in (StepKind.PUBLICITY, StepKind.RESULT_PUBLISHED) and ends_on is None:
        problems["ends_on"] = _("公示须填写截止日期")
    position = kinds.index(kind)
    recorded = {s.kind: s for s in round_.steps.all()}
    if position > 0:
        previous = recorded.get(kinds[position - 1])
        if previous is None:
            problems["kind"] = _("请先记录上一步骤")
        elif previous.held_on > held_on:
            problems["held_on"] = _("日期不能早于上一步骤")
    if problems:
        raise ValidationFailed(_("程序记录有误"), {"fields": problems})
    step = recorded.get(kind)
    before = {}
    if step is not None:
        before = {f: getattr(step, f) for f in ("held_on", "ends_on", "expected", "present", "attendees", "minutes")}
        step.held_on, step.ends_on, step.expected, step.present = held_on, ends_on, expected, present
        step.attendees, step.minutes, step.recorded_by = attendees.strip(), minutes.strip(), _user(actor)
        step.save()
    else:
        step = ProcedureStep.objects.create(
            round=round_,
            kind=kind,
            held_on=held_on,
            ends_on=ends_on,
            expected=expected,
            present=present,
            attendees=attendees.strip(),
            minutes=minutes.strip(),
            recorded_by=_user(actor),
        )
    after = {f: getattr(step, f) for f in ("held_on", "ends_on", "expected", "present", "attendees", "minutes")}
    audit.record(
        actor=actor,
        action="civility.step_recorded",
        target=step,
        region_code=round_.region_id,
        changes=audit.diff(before, after),
        reason=reason.strip() or str(step.get_kind_display()),
    )
    return step


def missing_steps(round_: CivilityRound) -> list[str]:
    recorded = set(round_.steps.values_list("kind", flat=True))
    return [k for k in round_.step_kinds if k not in recorded]


@dataclass
class RoundOutcome:
    results: list[HouseholdResult]
    deviations: dict[int, compute.Deviation]


def round_outcome(round_: CivilityRound) -> RoundOutcome:
    """Results and deviations from the evaluations as they stand (unsaved; closing saves them)."""
    rows = list(Evaluation.objects.filter(round=round_).values_list("household_id", "member_id", "score"))
    by_household: dict[int, list[Decimal]] = defaultdict(list)
    for household_id, _member_id, score in rows:
        by_household[household_id].append(score)
    veto_rows = EvaluationMark.objects.filter(evaluation__round=round_, item__kind=ItemKind.VETO).values_list(
        "evaluation__household_id", "item_id", "evaluation__member_id", "basis", "item__text"
    )
    veto_marks: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    item_text: dict[int, str] = {}
    for household_id, item_id, member_id, basis, text in veto_rows:
        veto_marks[household_id].append((item_id, member_id, basis))
        item_text[item_id] = text
    results = []
    for household_id in sorted(by_household):
        veto_item, basis = compute.veto_outcome(veto_marks.get(household_id, []))
        results.append(
            HouseholdResult(
                round=round_,
                household_id=household_id,
                score=compute.trimmed_mean(by_household[household_id]),
                evaluators=len(by_household[household_id]),
                vetoed=veto_item is not None,
                veto_basis=f"{item_text[veto_item]}：{basis}" if veto_item is not None else "",
            )
        )
    devs = compute.deviations(
        rows, threshold=round_.deviation_threshold, min_households=round_.deviation_min_households
    )
    return RoundOutcome(results, devs)


class RoundOpen(DomainError):
    status = 409

    def __init__(self) -> None:
        super().__init__("round_open", _("本轮评议尚未结束"), {})


def _refresh_indicators(round_: CivilityRound) -> int:
    """Recompute the scoring indicator rows of the round's village's households (civility score
    and veto included), so a rating run after the close reads the new results without waiting
    for the archives to change (``scoring.indicators.indicators_stale`` does not look at civility).
    One village: a few hundred rows, in the caller's transaction."""
    from creditvillage.scoring.indicators import refresh_households

    return refresh_households(round_.region_id)


@transaction.atomic
def round_close(*, actor: Actor, round: CivilityRound, reason: str) -> CivilityRound:
    """Close a round: every procedure step recorded; freezes results and evaluator deviations and
    refreshes the village's scoring indicators. A reopened round closes again the same way: its
    new results are numbered by the new closing, the earlier ones stay as history."""
    reason = _reason(reason)
    round_ = _manageable_round(actor, round)
    if not round_.is_open:
        raise RoundClosed()
    missing = missing_steps(round_)
    if missing:
        raise ValidationFailed(_("程序步骤未记录完整，不能结束评议"), {"missing_steps": missing})
    outcome = round_outcome(round_)
    if not outcome.results:
        raise ValidationFailed(_("还没有任何评议记录"), {"field": "evaluations"})
    before_closings = round_.closings
    round_.closings = before_closings + 1
    for result in outcome.results:
        result.closing = round_.closings
    HouseholdResult.objects.bulk_create(outcome.results)
    members = list(GroupMember.objects.filter(round=round_, group=GroupKind.EVALUATION))
    for m in members:
        d = outcome.deviations.get(m.pk)
        m.mean_deviation = d.mean if d else None
        m.compared_households = d.households if d else 0
        m.flagged = bool(d and d.flagged)
    GroupMember.objects.bulk_update(members, ["mean_deviation", "compared_households", "flagged"])
    round_.status = RoundStatus.CLOSED
    round_.closed_at = timezone.now()
    round_.closed_by = _user(actor)
    round_.save(update_fields=["status", "closed_at", "closed_by", "closings"])
    changes: dict[str, Any] = {
        "status": ["open", "closed"],
        "households": [None, len(outcome.results)],
        "vetoed": [None, sum(r.vetoed for r in outcome.results)],
        "flagged_members": [None, sorted(m.pk for m in members if m.flagged)],
    }
    if before_closings:
        changes["closings"] = [before_closings, round_.closings]
        changes["changed_results"] = [None, _changed_results(round_, before_closings, outcome.results)]
    refreshed = _refresh_indicators(round_)
    changes["indicators_refreshed"] = [None, refreshed]
    audit.record(
        actor=actor,
        action="civility.round_closed",
        target=round_,
        region_code=round_.region_id,
        changes=changes,
        reason=reason,
    )
    return round_


def _changed_results(round_: CivilityRound, closing: int, new: list[HouseholdResult]) -> list[list[Any]]:
    """Households whose score or veto differs from the closing before: [household, old, new]."""
    old = {
        r.household_id: (str(r.score), r.vetoed) for r in HouseholdResult.objects.filter(round=round_, closing=closing)
    }
    rows = []
    for r in new:
        now = (str(r.score), r.vetoed)
        if old.pop(r.household_id, None) != now:
            rows.append([r.household_id, None, list(now)])
    for household_id, (score, vetoed) in old.items():
        rows.append([household_id, [score, vetoed], None])
    return sorted(rows, key=lambda row: row[0])


@transaction.atomic
def round_reopen(*, actor: Actor, round: CivilityRound, reason: str) -> CivilityRound:
    """Reopen a closed round for correction, with a written reason (township level: ``decide`` on
    the village; a village operator closes but may not reopen).

    The frozen results stay: they remain the round's current results, and what scoring reads,
    until the round closes again; that close numbers the new results by the next closing and keeps
    the old ones as history. Ratings already made are not touched; the next rating run uses
    whatever results are current then.
    """
    reason = _reason(reason)
    round_ = CivilityRound.objects.select_for_update().filter(pk=round.pk).first()
    if round_ is None or not can(actor, Action.DECIDE, round_):
        raise NotFound()
    if round_.is_open:
        raise RoundOpen()
    before = {
        "status": round_.status,
        "closed_at": round_.closed_at.isoformat() if round_.closed_at else None,
        "closed_by": round_.closed_by_id,
    }
    round_.status = RoundStatus.OPEN
    round_.closed_at = None
    round_.closed_by = None
    round_.save(update_fields=["status", "closed_at", "closed_by"])
    audit.record(
        actor=actor,
        action="civility.round_reopened",
        target=round_,
        region_code=round_.region_id,
        changes=audit.diff(before, {"status": round_.status, "closed_at": None, "closed_by": None})
        | {"kept_results": [None, round_.results.filter(closing=round_.closings).count()]},
        reason=reason,
    )
    return round_


def default_version_ensure() -> SchemeVersion:
    """The active version of the shipped default scheme, re-created if the tables were flushed
    (``demo --reset`` flushes, which empties what the data migration wrote). System action."""
    from creditvillage.civility import defaults

    version = SchemeVersion.objects.filter(scheme__code=defaults.DEFAULT_CODE, status=VersionStatus.ACTIVE).first()
    if version is not None:
        return version
    with transaction.atomic():
        scheme, _created = CivilityScheme.objects.get_or_create(
            code=defaults.DEFAULT_CODE, defaults={"name": defaults.DEFAULT_NAME}
        )
        number = (scheme.versions.aggregate(n=models.Max("number"))["n"] or 0) + 1
        version = SchemeVersion.objects.create(
            scheme=scheme,
            number=number,
            status=VersionStatus.ACTIVE,
            base_per_dimension=defaults.DEFAULT_BASE,
            dimension_floor=defaults.DEFAULT_FLOOR,
            bonus_cap=defaults.DEFAULT_BONUS_CAP,
            activated_at=timezone.now(),
        )
        _write_rows(version, [ItemRow(d, k, t, Decimal(p), c, s) for d, k, t, p, c, s in defaults.DEFAULT_ROWS])
    return version
