"""Writes of village and township rating (信用村/信用镇): apply → review → publicity → approval.

Four eyes: the reviewer (the level above the applicant) and the approver (county or above) are
different people, and neither is the applicant. Every step is audited (C11).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.models import User
from creditvillage.accounts.roles import Action, Role
from creditvillage.core import audit
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.scope import Actor, can, significant_prefix
from creditvillage.rating.villages import criteria
from creditvillage.rating.villages.models import (
    CreditRegionApplication,
    CreditRegionCriteria,
    CreditRegionLevel,
    CreditRegionStatus,
)
from creditvillage.regions.models import Region
from creditvillage.registry.models import VillageProfile

PUBLICITY_DAYS = 7  # Zhaoyang: credit villages and townships publicised 7 days before naming
APPLICANT_ROLES: dict[str, frozenset[str]] = {
    CreditRegionLevel.VILLAGE: frozenset({Role.VILLAGE_OPERATOR, Role.TOWNSHIP_OPERATOR, Role.ADMIN}),
    CreditRegionLevel.TOWNSHIP: frozenset({Role.TOWNSHIP_OPERATOR, Role.ADMIN}),
}
APPROVER_PREFIX = 6  # county, city or province: "city approval" (市级审定) by the county/city administrators


class Conflict(DomainError):
    status = 409

    def __init__(self, message: str) -> None:
        super().__init__("conflict", message)


def _user(actor: Actor | None) -> User | None:
    return actor if isinstance(actor, User) else None


def _grants_over(actor: Actor, action: str, code: str) -> list[str]:
    """Prefixes of the actor's (non-household, non-bank) grants for ``action`` covering region ``code``."""
    if actor.is_superuser:
        return [""]
    return [
        g.prefix
        for g in actor.grants_for(action)
        if code.startswith(g.prefix) and g.household_id is None and g.bank_id is None and g.merchant_id is None
    ]


def _level_of(region: Region) -> str:
    if region.level == "village":
        return CreditRegionLevel.VILLAGE
    if region.level == "township":
        return CreditRegionLevel.TOWNSHIP
    raise ValidationFailed(_("只有村和乡镇可以申报"), {"field": "region"})


def figures_for(application: CreditRegionApplication) -> dict[str, Any]:
    """The figures the system computes now for the applicant region."""
    if application.level == CreditRegionLevel.VILLAGE:
        return criteria.village_figures(application.region)
    return criteria.township_figures(application.region, application.year)


def _refresh(application: CreditRegionApplication) -> None:
    application.figures = figures_for(application)
    application.assessed_grade, _rows = criteria.assess(
        application.level, application.figures, application.no_discipline_declared
    )


@transaction.atomic
def credit_application_submit(
    *,
    actor: Actor,
    region: Region,
    year: int,
    requested_grade: str,
    statement: str = "",
    no_discipline_declared: bool = False,
) -> CreditRegionApplication:
    """A village (township) applies to be named a credit village (township) for ``year``.

    The actor must ``change`` the region as its village (township) operator, or above. One live
    application per region and year. The system's figures are computed and stored. Writes
    ``credit_application.submitted``.
    """
    level = _level_of(region)
    roles = APPLICANT_ROLES[level]
    allowed = actor.is_superuser or any(
        g.role in roles and region.code.startswith(g.prefix) and g.household_id is None
        for g in actor.grants_for(Action.CHANGE)
    )
    if not (allowed and can(actor, Action.CHANGE, region)):
        raise NotFound()
    grades = [t.grade for t in criteria.thresholds(level)]
    if requested_grade not in grades:
        raise ValidationFailed(_("申报等级无效"), {"field": "requested_grade"})
    if not 2000 <= year <= 2100:
        raise ValidationFailed(_("年度无效"), {"field": "year"})
    application = CreditRegionApplication(
        region=region,
        level=level,
        year=year,
        requested_grade=requested_grade,
        statement=(statement or "").strip()[:2000],
        no_discipline_declared=no_discipline_declared,
        applied_by=_user(actor),
        applied_at=timezone.now(),
    )
    _refresh(application)
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:
        raise ValidationFailed(_("本年度已有申报"), {"field": "year"}) from exc
    audit.record(
        actor=actor,
        action="credit_application.submitted",
        target=application,
        region_code=region.code,
        changes={"requested_grade": [None, requested_grade], "assessed_grade": [None, application.assessed_grade]},
        reason=application.statement[:200] or _("申报"),
    )
    return application


def _locked(application: CreditRegionApplication) -> CreditRegionApplication:
    return CreditRegionApplication.objects.select_for_update().select_related("region").get(pk=application.pk)


def _move(application: CreditRegionApplication, expected: str, **fields: Any) -> None:
    if not CreditRegionApplication.objects.filter(pk=application.pk, status=expected).update(**fields):
        raise Conflict(_("申报状态已变化，请刷新后重试"))
    for name, value in fields.items():
        setattr(application, name, value)


@transaction.atomic
def credit_application_review(
    *,
    actor: Actor,
    application: CreditRegionApplication,
    approve: bool,
    opinion: str,
    publicity_days: int = PUBLICITY_DAYS,
) -> CreditRegionApplication:
    """The level above reviews against the criteria (township for a village, county for a township).

    Figures are recomputed now and stored. Passing needs a grade the criteria support; the
    application then goes to publicity for ``publicity_days``. The reviewer must ``decide`` over the
    region from a level above it and not be the applicant. Writes ``credit_application.reviewed``.
    """
    application = _locked(application)
    region_prefix = significant_prefix(application.region_id)
    above = [p for p in _grants_over(actor, Action.DECIDE, application.region_id) if len(p) < len(region_prefix)]
    if not above:
        raise NotFound()
    if application.status != CreditRegionStatus.SUBMITTED:
        raise ValidationFailed(_("该申报不在待审核状态"), {"field": "status"})
    opinion = (opinion or "").strip()
    if not opinion:
        raise ValidationFailed(_("请填写审核意见"), {"field": "opinion"})
    if application.applied_by_id == getattr(actor, "pk", None):
        raise ValidationFailed(_("申报人不能审核自己的申报"), {"rule": "different_person"})
    _refresh(application)
    if approve and not application.assessed_grade:
        raise ValidationFailed(_("系统测算指标未达到任何等级的标准，不能通过"), {"field": "assessed_grade"})
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "figures": application.figures,
        "assessed_grade": application.assessed_grade,
        "reviewer": _user(actor),
        "reviewed_at": timezone.now(),
        "review_opinion": opinion[:500],
        "status": CreditRegionStatus.PUBLICITY if approve else CreditRegionStatus.REJECTED,
    }
    if approve:
        fields.update(publicity_starts=today, publicity_ends=today + dt.timedelta(days=publicity_days))
    _move(application, CreditRegionStatus.SUBMITTED, **fields)
    audit.record(
        actor=actor,
        action="credit_application.reviewed",
        target=application,
        region_code=application.region_id,
        changes={
            "status": [CreditRegionStatus.SUBMITTED, fields["status"]],
            "assessed_grade": [None, application.assessed_grade],
        },
        reason=opinion,
    )
    return application


def _lower(a: str, b: str) -> str:
    """The lower (worse) of two grades: a region is named at most what it asked for and what it met."""
    order = criteria.GRADE_ORDER
    return a if order.index(a) >= order.index(b) else b


@transaction.atomic
def credit_application_approve(
    *, actor: Actor, application: CreditRegionApplication, approve: bool, opinion: str
) -> CreditRegionApplication:
    """The county or city approves (审定) after the publicity ended: the region is named.

    The approver must ``decide`` over the region from county level or above and be neither the
    reviewer nor the applicant. The granted grade is the lower of the requested and the assessed;
    a village's profile grade is set. Writes ``credit_application.approved`` (or ``.rejected``).
    """
    application = _locked(application)
    if not [p for p in _grants_over(actor, Action.DECIDE, application.region_id) if len(p) <= APPROVER_PREFIX]:
        raise NotFound()
    if application.status != CreditRegionStatus.PUBLICITY:
        raise ValidationFailed(_("该申报不在公示期"), {"field": "status"})
    if application.publicity_ends is None or timezone.localdate() < application.publicity_ends:
        raise ValidationFailed(_("公示期未结束"), {"field": "publicity_ends"})
    opinion = (opinion or "").strip()
    if not opinion:
        raise ValidationFailed(_("请填写审批意见"), {"field": "opinion"})
    if getattr(actor, "pk", None) in (application.reviewer_id, application.applied_by_id):
        raise ValidationFailed(_("同一人不能在两级审核中重复审批"), {"rule": "different_person"})
    granted = _lower(application.requested_grade, application.assessed_grade) if approve else ""
    status = CreditRegionStatus.APPROVED if approve else CreditRegionStatus.REJECTED
    _move(
        application,
        CreditRegionStatus.PUBLICITY,
        status=status,
        approver=_user(actor),
        approved_at=timezone.now(),
        approval_opinion=opinion[:500],
        granted_grade=granted,
    )
    if approve and application.level == CreditRegionLevel.VILLAGE:
        VillageProfile.objects.filter(region_id=application.region_id).update(grade=granted)
    audit.record(
        actor=actor,
        action="credit_application.approved" if approve else "credit_application.rejected",
        target=application,
        region_code=application.region_id,
        changes={"status": [CreditRegionStatus.PUBLICITY, status], "granted_grade": ["", granted]},
        reason=opinion,
    )
    return application


@transaction.atomic
def criteria_update(
    *, actor: Actor, level: str, grade: str, values: dict[str, Any], reason: str
) -> CreditRegionCriteria:
    """Change one grade's thresholds (programme administrators: ``configure``). Audited old → new.

    The first change of a level stores its defaults first, so that the other grades keep them.
    """
    if not (actor.is_superuser or actor.grants_for(Action.CONFIGURE)):
        raise PermissionDenied()
    if level not in CreditRegionLevel.values:
        raise ValidationFailed(_("层级无效"), {"field": "level"})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写修改原因"), {"field": "reason"})
    if not CreditRegionCriteria.objects.filter(level=level).exists():
        for t in criteria.DEFAULTS[level]:
            CreditRegionCriteria.objects.create(
                level=level, grade=t.grade, rank=t.rank, **{f: getattr(t, f) for f in criteria.FIELDS}
            )
    row = CreditRegionCriteria.objects.select_for_update().filter(level=level, grade=grade).first()
    if row is None:
        raise NotFound()
    old = {f: getattr(row, f) for f in criteria.FIELDS}
    for name, value in values.items():
        if name not in criteria.FIELDS:
            raise ValidationFailed(_("未知的标准字段"), {"field": name})
        setattr(row, name, value)
    for name in ("min_credit_share", "min_coverage", "max_npl_ratio", "min_credit_village_share"):
        value = getattr(row, name)
        if value is not None and not 0 <= value <= 100:
            raise ValidationFailed(_("百分比应在0到100之间"), {"field": name})
    if row.min_collective_grade and row.min_collective_grade not in criteria.GRADE_ORDER:
        raise ValidationFailed(_("等级无效"), {"field": "min_collective_grade"})
    row.save()
    row.refresh_from_db()
    audit.record(
        actor=actor,
        action="credit_criteria.updated",
        target=row,
        changes=audit.diff(old, {f: getattr(row, f) for f in criteria.FIELDS}),
        reason=reason,
    )
    return row
