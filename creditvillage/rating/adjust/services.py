"""Writes of dynamic adjustment, the negative list, credit repair and the 5-year expiry.

Every write is one transaction, re-checks the actor's scope, validates, and audits (C11). A
rating is never overwritten: a downgrade or a re-score writes a new ``Rating`` row (version + 1,
``supersedes`` the old one) and the old row becomes ``superseded`` by a conditional update, so two
concurrent writers cannot both supersede the same row.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.models import User
from creditvillage.accounts.roles import Action, Role
from creditvillage.core import audit
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.scope import Actor, can
from creditvillage.rating.adjust.grades import Ladder, ladder_for
from creditvillage.rating.adjust.importer import RETENTION_YEARS, add_years, parse_rows
from creditvillage.rating.adjust.models import (
    AdjustmentSource,
    RatingAdjustment,
    RepairApplication,
    RepairStatus,
    VillageNotification,
)
from creditvillage.rating.adjust.selectors import may_manage_negative_list
from creditvillage.rating.models import NegativeListEntry, Rating, RatingNotification, RatingStatus
from creditvillage.rating.selectors import current_rating, negative_list_active
from creditvillage.registry.models import BusinessEntity, Collective, Household, Person

logger = logging.getLogger(__name__)

VETO_SOURCES = frozenset({AdjustmentSource.NEGATIVE_LIST, AdjustmentSource.LOAN_DEFAULT})
PUBLICITY_DAYS = 7  # domain-reference §5.2: repair publicity 7 days
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
EVIDENCE_TYPES = {  # extension → leading bytes
    "pdf": (b"%PDF",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
OPEN_REPAIR = (RepairStatus.SUBMITTED, RepairStatus.VILLAGE_REVIEWED, RepairStatus.PUBLICITY)
# Roles that review a repair for the village (村审核): the village's operators, or the level above.
VILLAGE_REVIEW_ROLES = frozenset({Role.VILLAGE_OPERATOR, Role.TOWNSHIP_OPERATOR, Role.ADMIN})


class RatingConflict(DomainError):
    """The rating changed under us (another writer superseded it first)."""

    status = 409

    def __init__(self, message: str = "") -> None:
        super().__init__("conflict", message or _("评定已被他人更新，请刷新后重试"))


# --- Ratings: downgrade and re-score -------------------------------------------------------------


def _write_version(
    *, old: Rating, grade: str, ladder: Ladder, vetoed: bool, reason: str, score: Decimal | None = None
) -> Rating:
    """Supersede ``old`` (conditionally) and write its next version with ``grade``."""
    if not Rating.objects.filter(pk=old.pk, status=RatingStatus.FINAL).update(status=RatingStatus.SUPERSEDED):
        raise RatingConflict()
    new = Rating.objects.create(
        run=None,
        cycle=old.cycle,
        subject_type=old.subject_type,
        subject_id=old.subject_id,
        household_id=old.household_id,
        region_code=old.region_code,
        model_code=old.model_code,
        model_version=old.model_version,
        score=old.score if score is None else score,
        grade=grade,
        credit_subject=grade in ladder.credit_subjects and not vetoed,
        vetoed=vetoed,
        status=RatingStatus.FINAL,
        version=old.version + 1,
        supersedes=old,
        reason=reason[:500],
        snapshot_id=old.snapshot_id,
        created_at=timezone.now(),
    )
    _registry_grade(new)
    return new


def _registry_grade(rating: Rating) -> None:
    """Keep the archive's shown grade in step with the subject's current (final) rating."""
    if rating.subject_type == "household":
        Household.objects.filter(pk=rating.subject_id).update(grade=rating.grade)
    elif rating.subject_type == "entity":
        BusinessEntity.objects.filter(pk=rating.subject_id).update(grade=rating.grade)
    elif rating.subject_type == "collective":
        Collective.objects.filter(pk=rating.subject_id).update(grade=rating.grade)


def _changes(pairs: dict[str, list[Any]]) -> dict[str, Any]:
    """``{field: [old, new]}`` with dates and decimals as plain JSON values, unchanged fields dropped."""
    return audit.diff({k: v[0] for k, v in pairs.items()}, {k: v[1] for k, v in pairs.items()})


def _user(actor: Actor | None) -> User | None:
    """The actor as a stored user (None for the system)."""
    return actor if isinstance(actor, User) else None


def _notify(*, rating: Rating, kind: str, title: str, body: str) -> None:
    village = rating.region_code
    VillageNotification.objects.create(
        region_code=village, kind=kind, title=title[:200], body=body[:1000], household_id=rating.household_id
    )
    if rating.household_id is not None:
        RatingNotification.objects.create(
            household_id=rating.household_id,
            region_code=village,
            kind=kind,
            text=title[:500],
            rating=rating,
            created_at=timezone.now(),
        )


def _may_downgrade(actor: Actor | None, rating: Rating, source: str) -> bool:
    if actor is None:  # the system: the negative-list import, the expiry job, a bank feed task
        return True
    if can(actor, Action.DECIDE, rating):
        return True
    # A bank reports a default on a loan of a consenting household it serves.
    return source == AdjustmentSource.LOAN_DEFAULT and can(actor, Action.LEND, rating)


@transaction.atomic
def rating_downgrade(
    *,
    actor: Actor | None,
    subject_type: str,
    subject_id: int,
    reason: str,
    source: str,
    to_grade: str | None = None,
    negative_entry: NegativeListEntry | None = None,
    occurred_on: dt.date | None = None,
) -> Rating:
    """Downgrade a subject's current final rating between cycles (动态调整); returns the new rating.

    ``source`` is an ``AdjustmentSource`` (negative_list, loan_default, points, other). Without
    ``to_grade`` a veto source (negative list, loan default) drops to the scheme's veto (lowest)
    grade and the others one grade lower. Writes a new final rating (version + 1, supersedes the
    old, which becomes superseded), the registry's grade, a ``RatingAdjustment``, a notification to
    the village (and the household), and ``rating.downgraded`` to the audit log.

    ``actor`` None is the system. Otherwise the actor must ``decide`` on the rating, or, for a loan
    default, ``lend`` on it (a bank officer, consenting households only). Raises NotFound (no final
    rating, or out of scope), ValidationFailed (bad source, empty reason, not a downgrade),
    RatingConflict when another writer changed the rating first.
    """
    if source not in AdjustmentSource.values:
        raise ValidationFailed(_("事件来源无效"), {"field": "source"})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写调整原因"), {"field": "reason"})
    old = current_rating(subject_type=subject_type, subject_id=subject_id)
    if old is None or not _may_downgrade(actor, old, source):
        raise NotFound(_("该主体没有已认定的信用等级"))
    ladder = ladder_for(old)
    vetoed = source in VETO_SOURCES
    target = to_grade or (ladder.veto_grade if vetoed else ladder.one_below(old.grade))
    if target not in ladder.grades:
        raise ValidationFailed(_("等级不在该评定方案中"), {"field": "to_grade"})
    if ladder.rank(target) <= ladder.rank(old.grade):
        raise ValidationFailed(_("调整后的等级必须低于当前等级"), {"field": "to_grade"})
    new = _write_version(old=old, grade=target, ladder=ladder, vetoed=vetoed, reason=reason)
    adjustment = RatingAdjustment.objects.create(
        subject_type=old.subject_type,
        subject_id=old.subject_id,
        household_id=old.household_id,
        region_code=old.region_code,
        source=source,
        reason=reason[:500],
        negative_entry=negative_entry,
        from_rating=old,
        to_rating=new,
        from_grade=old.grade,
        to_grade=target,
        occurred_on=occurred_on or timezone.localdate(),
        created_by=_user(actor),
    )
    title = _("信用等级由%(old)s调整为%(new)s") % {"old": old.grade, "new": target}
    _notify(rating=new, kind="downgrade", title=title, body=reason)
    audit.record(
        actor=actor,
        action="rating.downgraded",
        target=new,
        region_code=new.region_code,
        changes=_changes(
            {
                "grade": [old.grade, target],
                "version": [old.version, new.version],
                "source": [None, source],
                "adjustment": [None, adjustment.pk],
            }
        ),
        reason=reason,
    )
    return new


def _engine_grade(rating: Rating) -> tuple[str, Decimal, bool]:
    """(grade, score, vetoed) from the scoring engine for one subject, re-scored now.

    ``scoring.selectors.evaluate_subject`` refreshes the village's indicator rows first (it re-reads
    the archive and the negative list: repaired and expired entries no longer veto). Its errors
    propagate: a subject the engine cannot score is not re-rated with a made-up grade.
    """
    from creditvillage.scoring.selectors import evaluate_subject

    result = evaluate_subject(subject_type=rating.subject_type, subject_id=rating.subject_id)
    return str(result.grade), Decimal(str(result.score)), bool(result.vetoed)


def _rescore(*, actor: Actor | None, rating_before: Rating, reason: str, on: dt.date | None = None) -> Rating | None:
    """Re-score a subject after a repair or an expiry: write a new final rating version.

    The scoring engine re-scores the subject with the active model (no fallback grade). A subject
    still hit by another active item keeps its veto grade.
    """
    current = current_rating(subject_type=rating_before.subject_type, subject_id=rating_before.subject_id)
    if current is None:
        return None
    ladder = ladder_for(current)
    still_hit = RatingAdjustment.objects.filter(
        subject_type=current.subject_type,
        subject_id=current.subject_id,
        repaired_at__isnull=True,
        expired_at__isnull=True,
        source__in=VETO_SOURCES,
    ).exists() or _listed(current, on)
    if still_hit:
        grade, score, vetoed = ladder.veto_grade, current.score, True
    else:
        grade, score, vetoed = _engine_grade(current)
    new = _write_version(old=current, grade=grade, ladder=ladder, vetoed=vetoed, reason=reason, score=score)
    audit.record(
        actor=actor,
        action="rating.rescored",
        target=new,
        region_code=new.region_code,
        changes=_changes({"grade": [current.grade, grade], "version": [current.version, new.version]}),
        reason=reason,
    )
    return new


def _listed(rating: Rating, on: dt.date | None = None) -> bool:
    """Whether an active negative-list entry still hits the rated subject."""
    numbers: list[str]
    if rating.subject_type == "household":
        numbers = list(Person.objects.filter(household_id=rating.subject_id).values_list("id_number", flat=True))
    elif rating.subject_type == "entity":
        numbers = list(BusinessEntity.objects.filter(pk=rating.subject_id).values_list("uscc", flat=True))
    elif rating.subject_type == "collective":
        numbers = list(Collective.objects.filter(pk=rating.subject_id).values_list("uscc", flat=True))
    else:
        return False
    return negative_list_active(on).filter(id_number__in=numbers).exists()


# --- The negative list -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    downgraded: int


@transaction.atomic
def negative_list_import(*, actor: Actor, data: bytes, reason: str) -> ImportResult:
    """Import a negative list (xlsx): all rows or none; then downgrade every current rating it hits.

    Only administrators and regulators (PermissionDenied otherwise). Each row is validated (ID
    check digit or USCC, texts, dates; expiry defaults to listing + 5 years); any problem raises
    ValidationFailed with ``details["errors"]`` = ``[{row, field, message}]`` and writes nothing.
    Writes ``negative_entry.created`` per entry and ``negative_list.imported`` to the audit log.
    """
    if not may_manage_negative_list(actor):
        raise PermissionDenied()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写导入原因"), {"field": "reason"})
    rows, problems = parse_rows(data)
    existing = set(
        NegativeListEntry.objects.filter(id_number__in=[r.id_number for r in rows]).values_list(
            "id_number", "source", "listed_on"
        )
    )
    for row in rows:
        if (row.id_number, row.source, row.listed_on) in existing:
            problems.append({"row": row.row, "field": "id_number", "message": _("该条目已在清单中")})
    if problems:
        raise ValidationFailed(
            _("导入失败，共%(n)d处错误，未写入任何数据") % {"n": len(problems)}, {"errors": problems}
        )
    if not rows:
        raise ValidationFailed(_("表格中没有数据行"), {"errors": []})
    entries = []
    for row in rows:
        entry = NegativeListEntry.objects.create(
            id_number=row.id_number,
            name=row.name,
            source=row.source,
            basis=row.basis,
            listed_on=row.listed_on,
            expires_on=row.expires_on,
            created_by=_user(actor),
        )
        audit.record(
            actor=actor,
            action="negative_entry.created",
            target=entry,
            changes=_changes(
                {
                    "source": [None, row.source],
                    "listed_on": [None, row.listed_on],
                    "expires_on": [None, row.expires_on],
                }
            ),
            reason=reason,
        )
        entries.append(entry)
    downgraded = _downgrade_hits(actor=actor, entries=entries)
    audit.record(
        actor=actor,
        action="negative_list.imported",
        target=entries[0],
        changes=_changes({"entries": [0, len(entries)], "downgraded": [0, downgraded]}),
        reason=reason,
    )
    return ImportResult(created=len(entries), downgraded=downgraded)


def _downgrade_hits(*, actor: Actor | None, entries: list[NegativeListEntry]) -> int:
    """Veto every subject with a current final rating that an active new entry hits."""
    today = timezone.localdate()
    active = {e.id_number: e for e in entries if e.listed_on <= today < e.expires_on}
    subjects: list[tuple[str, int, NegativeListEntry]] = [
        ("household", hid, active[number])
        for number, hid in Person.objects.filter(id_number__in=active)
        .values_list("id_number", "household_id")
        .distinct()
    ]
    for kind, model in (("entity", BusinessEntity), ("collective", Collective)):
        subjects += [
            (kind, pk, active[uscc]) for uscc, pk in model.objects.filter(uscc__in=active).values_list("uscc", "pk")
        ]
    done = 0
    for kind, pk, entry in sorted(subjects, key=lambda s: (s[0], s[1])):
        rating = current_rating(subject_type=kind, subject_id=pk)
        if rating is None or rating.vetoed:
            continue
        _system_downgrade(actor, kind, pk, entry)
        done += 1
    return done


def _system_downgrade(actor: Actor | None, kind: str, pk: int, entry: NegativeListEntry) -> None:
    # The list is national: a hit downgrades the subject wherever it is, whoever imported it.
    new = rating_downgrade(
        actor=None,
        subject_type=kind,
        subject_id=pk,
        reason=_("命中负面清单：%(source)s") % {"source": entry.source},
        source=AdjustmentSource.NEGATIVE_LIST,
        negative_entry=entry,
        occurred_on=entry.listed_on,
    )
    logger.info("negative list hit downgraded rating=%s by user=%s", new.pk, getattr(actor, "pk", None))


# --- Credit repair (信用修复) -----------------------------------------------------------------------


def _check_evidence(upload: UploadedFile | None) -> None:
    if upload is None:
        return
    name = (upload.name or "").lower()
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix not in EVIDENCE_TYPES:
        raise ValidationFailed(_("证明材料须为PDF、JPG或PNG文件"), {"field": "evidence_file"})
    if (upload.size or 0) > EVIDENCE_MAX_BYTES:
        raise ValidationFailed(_("证明材料不超过5MB"), {"field": "evidence_file"})
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in EVIDENCE_TYPES[suffix]):
        raise ValidationFailed(_("证明材料的内容与文件类型不符"), {"field": "evidence_file"})


def _household_item(
    household: Household, entry_id: int | None, adjustment_id: int | None
) -> tuple[NegativeListEntry | None, RatingAdjustment | None]:
    """The active negative item of this household the application names (NotFound otherwise)."""
    entry = adjustment = None
    if entry_id is not None:
        numbers = Person.objects.filter(household=household).values("id_number")
        entry = negative_list_active().filter(pk=entry_id, id_number__in=numbers).first()
        if entry is None:
            raise NotFound()
    if adjustment_id is not None:
        adjustment = RatingAdjustment.objects.filter(
            pk=adjustment_id, household_id=household.pk, repaired_at__isnull=True, expired_at__isnull=True
        ).first()
        if adjustment is None:
            raise NotFound()
        entry = entry or adjustment.negative_entry
    if entry is None and adjustment is None:
        raise ValidationFailed(_("请选择要修复的负面信息"), {"field": "item"})
    return entry, adjustment


@transaction.atomic
def repair_apply(
    *,
    actor: Actor,
    household: Household,
    evidence_text: str,
    negative_entry_id: int | None = None,
    adjustment_id: int | None = None,
    evidence_file: UploadedFile | None = None,
) -> RepairApplication:
    """A household applies for repair of one of its active negative items, with evidence of rectification.

    The actor must ``apply`` on the household (the household itself). Validates the text (10–2000
    characters) and the file (PDF/JPG/PNG by content, ≤ 5 MB). One open application per item.
    Writes ``repair.applied`` to the audit log and notifies the village.
    """
    if not can(actor, Action.APPLY, household):
        raise NotFound()
    text = (evidence_text or "").strip()
    if not 10 <= len(text) <= 2000:
        raise ValidationFailed(_("整改说明应为10至2000字"), {"field": "evidence_text"})
    _check_evidence(evidence_file)
    entry, adjustment = _household_item(household, negative_entry_id, adjustment_id)
    open_apps = RepairApplication.objects.filter(household=household, status__in=OPEN_REPAIR)
    if (entry is not None and open_apps.filter(negative_entry=entry).exists()) or (
        adjustment is not None and open_apps.filter(adjustment=adjustment).exists()
    ):
        raise ValidationFailed(_("该负面信息已有正在办理的修复申请"), {"field": "item"})
    application = RepairApplication(
        household=household,
        region_code=household.region_id,
        negative_entry=entry,
        adjustment=adjustment,
        evidence_text=text,
        applied_by=_user(actor),
        applied_at=timezone.now(),
    )
    if evidence_file is not None:
        application.evidence_file.save(evidence_file.name or "evidence", evidence_file, save=False)
    application.save()
    VillageNotification.objects.create(
        region_code=household.region_id,
        kind="repair_applied",
        title=_("%(name)s户提交了信用修复申请") % {"name": household.head_name},
        household_id=household.pk,
    )
    audit.record(
        actor=actor,
        action="repair.applied",
        target=application,
        region_code=application.region_code,
        changes=_changes({"status": [None, application.status], "entry": [None, getattr(entry, "pk", None)]}),
        reason=text[:200],
    )
    return application


def _locked(application: RepairApplication) -> RepairApplication:
    return RepairApplication.objects.select_for_update().select_related("household").get(pk=application.pk)


def _holds_role_over(actor: Actor, roles: frozenset[str], action: str, region_code: str) -> bool:
    if actor.is_superuser:
        return True
    return any(
        g.role in roles and region_code.startswith(g.prefix) and g.household_id is None and g.bank_id is None
        for g in actor.grants_for(action)
    )


def _move(application: RepairApplication, expected: str, **fields: Any) -> None:
    """Conditional status change: refuses when another reviewer moved the application first."""
    if not RepairApplication.objects.filter(pk=application.pk, status=expected).update(**fields):
        raise RatingConflict(_("申请状态已变化，请刷新后重试"))
    for name, value in fields.items():
        setattr(application, name, value)


@transaction.atomic
def repair_village_review(
    *, actor: Actor, application: RepairApplication, approve: bool, opinion: str
) -> RepairApplication:
    """The village's review (村审核) of a submitted repair application: passed on, or rejected.

    The actor must be a village operator (or township operator, administrator) over the household
    and may ``change`` it; not the applicant. Writes ``repair.village_reviewed``.
    """
    application = _locked(application)
    household = application.household
    if not (
        can(actor, Action.CHANGE, household)
        and _holds_role_over(actor, VILLAGE_REVIEW_ROLES, Action.CHANGE, household.region_id)
    ):
        raise NotFound()
    if application.status != RepairStatus.SUBMITTED:
        raise ValidationFailed(_("该申请不在待村审核状态"), {"field": "status"})
    opinion = (opinion or "").strip()
    if not opinion:
        raise ValidationFailed(_("请填写审核意见"), {"field": "opinion"})
    if application.applied_by_id is not None and application.applied_by_id == getattr(actor, "pk", None):
        raise ValidationFailed(_("申请人不能审核自己的申请"), {"rule": "different_person"})
    status = RepairStatus.VILLAGE_REVIEWED if approve else RepairStatus.REJECTED
    _move(
        application,
        RepairStatus.SUBMITTED,
        status=status,
        village_reviewer=actor,
        village_reviewed_at=timezone.now(),
        village_opinion=opinion[:500],
    )
    audit.record(
        actor=actor,
        action="repair.village_reviewed",
        target=application,
        region_code=application.region_code,
        changes=_changes({"status": [RepairStatus.SUBMITTED, status]}),
        reason=opinion,
    )
    return application


@transaction.atomic
def repair_township_decide(
    *, actor: Actor, application: RepairApplication, approve: bool, opinion: str, publicity_days: int = PUBLICITY_DAYS
) -> RepairApplication:
    """The township's approval (乡镇审批): approved applications go to publicity for ``publicity_days``.

    The actor must ``decide`` on the household and be neither the applicant nor the village
    reviewer (one person never approves at two levels). Writes ``repair.township_decided``.
    """
    application = _locked(application)
    if not can(actor, Action.DECIDE, application.household):
        raise NotFound()
    if application.status != RepairStatus.VILLAGE_REVIEWED:
        raise ValidationFailed(_("该申请不在待乡镇审批状态"), {"field": "status"})
    opinion = (opinion or "").strip()
    if not opinion:
        raise ValidationFailed(_("请填写审批意见"), {"field": "opinion"})
    me = getattr(actor, "pk", None)
    if me in (application.village_reviewer_id, application.applied_by_id):
        raise ValidationFailed(_("同一人不能在两级审核中重复审批"), {"rule": "different_person"})
    if not 5 <= publicity_days <= 30:
        raise ValidationFailed(_("公示期应为5至30天"), {"field": "publicity_days"})
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "township_approver": actor,
        "township_decided_at": timezone.now(),
        "township_opinion": opinion[:500],
    }
    if approve:
        fields.update(
            status=RepairStatus.PUBLICITY,
            publicity_starts=today,
            publicity_ends=today + dt.timedelta(days=publicity_days),
        )
    else:
        fields["status"] = RepairStatus.REJECTED
    _move(application, RepairStatus.VILLAGE_REVIEWED, **fields)
    audit.record(
        actor=actor,
        action="repair.township_decided",
        target=application,
        region_code=application.region_code,
        changes=_changes(
            {
                "status": [RepairStatus.VILLAGE_REVIEWED, fields["status"]],
                "publicity_ends": [None, fields.get("publicity_ends")],
            }
        ),
        reason=opinion,
    )
    return application


@transaction.atomic
def repair_complete(*, actor: Actor | None, application: RepairApplication) -> RepairApplication:
    """Make an approved repair effective once its publicity has ended (修复生效).

    Marks the negative item repaired (the list entry and every active adjustment it caused for this
    household, or the named adjustment), which removes it from public lists and bank-visible data;
    re-scores the subject (a new rating version); notifies the village and household. ``actor``
    None is the daily job; a person must ``decide`` on the household. Writes ``repair.effective``,
    ``negative_entry.repaired`` and ``rating.rescored``.
    """
    application = _locked(application)
    if actor is not None and not can(actor, Action.DECIDE, application.household):
        raise NotFound()
    if application.status != RepairStatus.PUBLICITY:
        raise ValidationFailed(_("该申请不在公示期"), {"field": "status"})
    if application.publicity_ends is None or timezone.localdate() < application.publicity_ends:
        raise ValidationFailed(_("公示期未结束"), {"field": "publicity_ends"})
    now = timezone.now()
    household = application.household
    entry = application.negative_entry
    if entry is not None and NegativeListEntry.objects.filter(pk=entry.pk, repaired_at__isnull=True).update(
        repaired_at=now
    ):
        audit.record(
            actor=actor,
            action="negative_entry.repaired",
            target=entry,
            region_code=household.region_id,
            changes=_changes({"repaired_at": [None, now]}),
            reason=_("信用修复申请#%(pk)s公示期满") % {"pk": application.pk},
        )
    adjustments = RatingAdjustment.objects.filter(
        household_id=household.pk, repaired_at__isnull=True, expired_at__isnull=True
    )
    if entry is not None:
        adjustments = adjustments.filter(negative_entry=entry)
    else:
        adjustments = adjustments.filter(pk=application.adjustment_id or 0)
    repaired = list(adjustments.select_related("from_rating").order_by("created_at", "pk"))
    adjustments.update(repaired_at=now)
    rating_before = (
        repaired[0].from_rating if repaired else current_rating(subject_type="household", subject_id=household.pk)
    )
    new_rating = None
    if rating_before is not None:
        new_rating = _rescore(actor=actor, rating_before=rating_before, reason=_("信用修复后重新评定"))
    _move(application, RepairStatus.PUBLICITY, status=RepairStatus.EFFECTIVE, effective_at=now, new_rating=new_rating)
    if new_rating is not None:
        title = _("信用修复已生效，信用等级为%(grade)s") % {"grade": new_rating.grade}
        _notify(rating=new_rating, kind="repair_effective", title=title, body="")
    audit.record(
        actor=actor,
        action="repair.effective",
        target=application,
        region_code=application.region_code,
        changes=_changes(
            {
                "status": [RepairStatus.PUBLICITY, RepairStatus.EFFECTIVE],
                "new_rating": [None, getattr(new_rating, "pk", None)],
            }
        ),
        reason=_("公示期满，修复生效"),
    )
    return application


def repairs_complete_due(*, today: dt.date | None = None) -> int:
    """The daily job: make effective every repair whose publicity has ended. Returns how many."""
    day = today or timezone.localdate()
    done = 0
    for application in RepairApplication.objects.filter(
        status=RepairStatus.PUBLICITY, publicity_ends__lte=day
    ).order_by("pk"):
        repair_complete(actor=None, application=application)
        done += 1
    return done


# --- 5-year expiry (征信业管理条例 art. 16) ----------------------------------------------------------


@transaction.atomic
def negative_items_expire(*, today: dt.date | None = None) -> dict[str, int]:
    """Expire negative items older than 5 years (the daily job); idempotent.

    An adjustment expires when its negative-list entry has expired, or 5 years after the event for
    other sources; the subject is re-scored when the expired downgrade is still its current grade.
    Each expired list entry gets one ``negative_entry.expired`` audit event; each adjustment
    ``adjustment.expired``. Returns the counts.
    """
    day = today or timezone.localdate()
    now = timezone.now()
    counts = {"entries": 0, "adjustments": 0, "rescored": 0}
    from creditvillage.core.models import AuditEvent

    done = set(
        AuditEvent.objects.filter(action="negative_entry.expired", target_type="rating.negativelistentry").values_list(
            "target_id", flat=True
        )
    )
    for entry in NegativeListEntry.objects.filter(expires_on__lte=day, repaired_at__isnull=True).order_by("pk"):
        if str(entry.pk) in done:
            continue
        audit.record(
            actor=None,
            action="negative_entry.expired",
            target=entry,
            changes=_changes({"expires_on": [None, entry.expires_on]}),
            reason=_("负面信息保存期满5年"),
        )
        counts["entries"] += 1
    cutoff = add_years(day, -RETENTION_YEARS)
    active = RatingAdjustment.objects.filter(repaired_at__isnull=True, expired_at__isnull=True)
    due = active.filter(negative_entry__expires_on__lte=day) | active.filter(
        negative_entry__isnull=True, occurred_on__lte=cutoff
    )
    for adjustment in due.select_related("from_rating", "to_rating").order_by("pk"):
        if not RatingAdjustment.objects.filter(pk=adjustment.pk, expired_at__isnull=True).update(expired_at=now):
            continue
        counts["adjustments"] += 1
        audit.record(
            actor=None,
            action="adjustment.expired",
            target=adjustment,
            region_code=adjustment.region_code,
            changes=_changes({"expired_at": [None, now]}),
            reason=_("负面信息保存期满5年"),
        )
        current = current_rating(subject_type=adjustment.subject_type, subject_id=adjustment.subject_id)
        if current is not None and current.pk == adjustment.to_rating_id:
            _rescore(actor=None, rating_before=adjustment.from_rating, reason=_("负面信息到期后重新评定"), on=day)
            counts["rescored"] += 1
    return counts


@transaction.atomic
def notification_mark_read(*, actor: Actor, notification: VillageNotification) -> None:
    """Mark a village notification read (the actor must ``change`` in that village)."""
    if not can(actor, Action.CHANGE, notification):
        raise NotFound()
    VillageNotification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
