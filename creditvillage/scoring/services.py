"""Writes on scoring models (versioned, audited) and the rating batch.

Models are configuration, not regional data: editing one needs the ``configure`` action (an
administrator). Only a ``draft`` version is edited; activation validates it, retires the previous
active version and records who, when, why, old and new (C11). The batch is in ``scoring.batch``
and re-exported here (``rating_run_create``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.roles import Action
from creditvillage.core import audit
from creditvillage.core.errors import NotFound, PermissionDenied, ValidationFailed
from creditvillage.scoring.models import (
    CATEGORY_FIELDS,
    VETO_FIELDS,
    Block,
    Indicator,
    ModelVersion,
    ScoringModel,
    VersionStatus,
    VetoRule,
    indicator_source_fields,
)

__all__ = [
    "block_update",
    "indicator_update",
    "rating_run_create",
    "version_activate",
    "version_draft_create",
    "version_errors",
    "version_update",
]


def _require_configure(actor: Any) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied()
    if not (actor.is_superuser or actor.grants_for(Action.CONFIGURE)):
        raise PermissionDenied()


def _require_draft(version: ModelVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise ValidationFailed(_("只能修改草稿版本"), {"status": version.status})


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写变更原因"), {"reason": "required"})
    return reason[:500]


# ------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False
    return True


def bins_errors(bins: Any) -> list[str]:
    """Bins must cover the whole number line exactly once: ascending upper bounds, the last open."""
    if not isinstance(bins, list) or not bins:
        return [_("至少需要一个分段")]
    errors = []
    uppers = []
    for i, b in enumerate(bins):
        if not isinstance(b, dict) or not _is_number(b.get("points")):
            errors.append(_("第%(n)d段的得分不是数字") % {"n": i + 1})
            continue
        upper = b.get("upper")
        if i < len(bins) - 1:
            if upper is None or not _is_number(upper):
                errors.append(_("第%(n)d段缺少上界（只有最后一段不设上界）") % {"n": i + 1})
            else:
                uppers.append(Decimal(str(upper)))
        elif upper is not None:
            errors.append(_("最后一段不能设上界（须覆盖全部取值）"))
    if any(b <= a for a, b in zip(uppers, uppers[1:], strict=False)):
        errors.append(_("分段界限须严格递增（不得重叠）"))
    return errors


def version_errors(version: ModelVersion) -> list[str]:
    """Everything that stops a version from being activated (empty = valid)."""
    errors: list[str] = []
    fields = set(indicator_source_fields())
    blocks = list(version.blocks.all())
    if not blocks:
        errors.append(_("模型没有指标板块"))
    for block in blocks:
        if block.cap <= 0 or block.floor < 0 or block.floor > block.cap:
            errors.append(_("板块“%(b)s”的上下限无效") % {"b": block.name})
    indicators = list(version.indicators.all())
    if not indicators:
        errors.append(_("模型没有指标"))
    for ind in indicators:
        label = ind.name
        if ind.source_field not in fields or ind.source_field in VETO_FIELDS:
            errors.append(_("指标“%(i)s”的数据来源字段不存在：%(f)s") % {"i": label, "f": ind.source_field})
        if ind.kind == "categories":
            if ind.source_field not in CATEGORY_FIELDS:
                errors.append(_("指标“%(i)s”的来源字段不是分类字段") % {"i": label})
            cats = ind.categories
            if not isinstance(cats, dict) or not cats or not all(_is_number(v) for v in cats.values()):
                errors.append(_("指标“%(i)s”的分类得分无效") % {"i": label})
        elif ind.kind in ("bins", "linear"):
            if ind.source_field in CATEGORY_FIELDS:
                errors.append(_("指标“%(i)s”的来源字段是分类字段") % {"i": label})
            if ind.kind == "bins":
                errors.extend(f"{label}: {e}" for e in bins_errors(ind.bins))
            elif ind.cap is None:
                errors.append(_("按值计分的指标“%(i)s”须设上限") % {"i": label})
        else:
            errors.append(_("指标“%(i)s”的类型无效") % {"i": label})
        if ind.cap is not None and ind.cap < 0:
            errors.append(_("指标“%(i)s”的上限无效") % {"i": label})
    for rule in version.vetoes.all():
        if rule.source_field not in VETO_FIELDS:
            errors.append(_("否决项“%(v)s”的数据来源字段不存在：%(f)s") % {"v": rule.name, "f": rule.source_field})
    grades = list(version.grade_scheme.grades.order_by("order"))
    if not grades:
        errors.append(_("等级方案没有等级"))
    else:
        if grades[-1].min_score is not None or any(g.min_score is None for g in grades[:-1]):
            errors.append(_("等级方案：只有最低一档不设分数线"))
        mins = [g.min_score for g in grades[:-1] if g.min_score is not None]
        if any(b >= a for a, b in zip(mins, mins[1:], strict=False)):
            errors.append(_("等级方案：分数线须从高到低严格递减"))
    return errors


# ------------------------------------------------------------------------------------------
# Versions
# ------------------------------------------------------------------------------------------


def _snapshot(version: ModelVersion) -> dict[str, Any]:
    from creditvillage.scoring.engine import version_spec

    return _plain_deep(version_spec(version))


def _plain_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain_deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_deep(v) for v in value]
    return audit._plain(value)


@transaction.atomic
def version_draft_create(
    *, actor: Any, model: ScoringModel, reason: str, source: ModelVersion | None = None
) -> ModelVersion:
    """A new draft version copied from ``source`` (default: the active, else the latest version)."""
    _require_configure(actor)
    reason = _reason(reason)
    if source is None:
        source = (
            model.versions.filter(status=VersionStatus.ACTIVE).first() or model.versions.order_by("-number").first()
        )
    if source is None:
        raise NotFound()
    number = (model.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    draft = ModelVersion.objects.create(
        model=model,
        number=number,
        status=VersionStatus.DRAFT,
        combine=source.combine,
        grade_scheme=source.grade_scheme,
        change_reason=reason,
        created_by=actor,
    )
    blocks = {}
    for block in source.blocks.all():
        blocks[block.pk] = Block.objects.create(
            version=draft, order=block.order, code=block.code, name=block.name, cap=block.cap, floor=block.floor
        )
    Indicator.objects.bulk_create(
        [
            Indicator(
                version=draft,
                block=blocks[i.block_id],
                order=i.order,
                code=i.code,
                name=i.name,
                source_field=i.source_field,
                kind=i.kind,
                closed=i.closed,
                unit=i.unit,
                bins=i.bins,
                categories=i.categories,
                scale=i.scale,
                cap=i.cap,
                missing_points=i.missing_points,
            )
            for i in source.indicators.all()
        ]
    )
    VetoRule.objects.bulk_create(
        [
            VetoRule(version=draft, order=v.order, code=v.code, name=v.name, source_field=v.source_field, basis=v.basis)
            for v in source.vetoes.all()
        ]
    )
    audit.record(
        actor=actor,
        action="scoring.version_create",
        target=draft,
        changes={"from_version": [None, source.number], "number": [None, number]},
        reason=reason,
    )
    return draft


INDICATOR_EDITABLE = (
    "name",
    "bins",
    "categories",
    "closed",
    "unit",
    "scale",
    "cap",
    "missing_points",
    "kind",
    "source_field",
)


@transaction.atomic
def indicator_update(*, actor: Any, indicator: Indicator, changes: dict[str, Any], reason: str) -> Indicator:
    _require_configure(actor)
    reason = _reason(reason)
    indicator = Indicator.objects.select_for_update().select_related("version").get(pk=indicator.pk)
    _require_draft(indicator.version)
    unknown = sorted(set(changes) - set(INDICATOR_EDITABLE))
    if unknown:
        raise ValidationFailed(_("包含不可修改的字段"), {"fields": unknown})
    if "bins" in changes and (errors := bins_errors(changes["bins"])):
        raise ValidationFailed(_("分段无效"), {"bins": errors})
    before = {name: getattr(indicator, name) for name in changes}
    for name, value in changes.items():
        setattr(indicator, name, value)
    indicator.save(update_fields=list(changes))
    diff = audit.diff(_plain_deep(before), _plain_deep(changes))
    if diff:
        audit.record(actor=actor, action="scoring.indicator_update", target=indicator, changes=diff, reason=reason)
    return indicator


@transaction.atomic
def block_update(*, actor: Any, block: Block, changes: dict[str, Any], reason: str) -> Block:
    _require_configure(actor)
    reason = _reason(reason)
    block = Block.objects.select_for_update().select_related("version").get(pk=block.pk)
    _require_draft(block.version)
    unknown = sorted(set(changes) - {"name", "cap", "floor"})
    if unknown:
        raise ValidationFailed(_("包含不可修改的字段"), {"fields": unknown})
    before = {name: getattr(block, name) for name in changes}
    for name, value in changes.items():
        setattr(block, name, value)
    block.save(update_fields=list(changes))
    if diff := audit.diff(before, changes):
        audit.record(actor=actor, action="scoring.block_update", target=block, changes=diff, reason=reason)
    return block


@transaction.atomic
def version_update(*, actor: Any, version: ModelVersion, changes: dict[str, Any], reason: str) -> ModelVersion:
    """Change a draft's grade scheme or combination."""
    _require_configure(actor)
    reason = _reason(reason)
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    _require_draft(version)
    unknown = sorted(set(changes) - {"grade_scheme", "combine"})
    if unknown:
        raise ValidationFailed(_("包含不可修改的字段"), {"fields": unknown})
    before = {name: getattr(version, name) for name in changes}
    for name, value in changes.items():
        setattr(version, name, value)
    version.save(update_fields=list(changes))
    if diff := audit.diff(before, changes):
        audit.record(actor=actor, action="scoring.version_update", target=version, changes=diff, reason=reason)
    return version


@transaction.atomic
def version_activate(*, actor: Any, version: ModelVersion, effective_from: dt.date, reason: str) -> ModelVersion:
    """Validate a draft and make it the model's active version from ``effective_from``; the
    previously active version is retired (its ratings keep naming it)."""
    _require_configure(actor)
    reason = _reason(reason)
    version = ModelVersion.objects.select_for_update().select_related("model", "grade_scheme").get(pk=version.pk)
    _require_draft(version)
    if errors := version_errors(version):
        raise ValidationFailed(_("模型校验未通过"), {"errors": errors})
    previous = ModelVersion.objects.select_for_update().filter(model=version.model, status=VersionStatus.ACTIVE).first()
    if previous is not None:
        previous.status = VersionStatus.RETIRED
        previous.save(update_fields=["status"])
        audit.record(
            actor=actor,
            action="scoring.version_retire",
            target=previous,
            changes={"status": [VersionStatus.ACTIVE, VersionStatus.RETIRED]},
            reason=reason,
        )
    version.status = VersionStatus.ACTIVE
    version.effective_from = effective_from
    version.activated_by = actor
    version.activated_at = timezone.now()
    version.change_reason = reason
    version.save(update_fields=["status", "effective_from", "activated_by", "activated_at", "change_reason"])
    audit.record(
        actor=actor,
        action="scoring.version_activate",
        target=version,
        changes={
            "status": [VersionStatus.DRAFT, VersionStatus.ACTIVE],
            "effective_from": [None, effective_from.isoformat()],
            "replaces": [previous.number if previous else None, version.number],
            "content": [_snapshot(previous) if previous else None, _snapshot(version)],
        },
        reason=reason,
    )
    return version


def rating_run_create(
    *,
    actor: Any,
    region_code: str,
    model_code: str | None = None,
    cycle: Any = None,
    kind: str = "preliminary",
    job: Any = None,
    chunk_size: int | None = None,
) -> Any:
    """Score every subject under ``region_code`` with the active (or named) model as one rating
    run (all-or-nothing); see ``scoring.batch.rating_run_create``."""
    from creditvillage.scoring.batch import rating_run_create as run

    return run(
        actor=actor,
        region_code=region_code,
        model_code=model_code,
        cycle=cycle,
        kind=kind,
        job=job,
        chunk_size=chunk_size,
    )
