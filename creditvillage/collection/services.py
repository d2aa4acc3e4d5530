"""Submission workflow (村采集、乡校核、区督查): every transition one transaction, scoped, audited.

States: ``draft → submitted → verified | returned → spot_checked``; ``reopened`` (with a reason)
unlocks verified data. Transitions take the ``expected_version`` the caller read: two verifiers
acting at once cannot both win (row lock + a conditional update on ``version``; the loser gets
``Conflict``). Verification applies the data to the registry archive and writes an immutable
``ArchiveSnapshot``; an archive changed since the submission started (an import, a manual edit)
is a ``Conflict`` until the submission is rebased (three-way merge, conflicts listed).

Campaigns and assignments: ``creditvillage.collection.campaigns``.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.roles import Action
from creditvillage.collection import archive, subjects
from creditvillage.collection.models import (
    DONE_STATES,
    EDITABLE_STATES,
    ArchiveSnapshot,
    Campaign,
    CampaignStatus,
    SpotCheck,
    SpotCheckFinding,
    SubjectType,
    Submission,
    SubmissionState,
    VillageClosure,
)
from creditvillage.core import audit
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.identifiers import validate_resident_id
from creditvillage.core.scope import Actor, can, significant_prefix
from creditvillage.regions.models import Region
from creditvillage.registry import services as registry_services
from creditvillage.registry.choices import ArchiveStatus, Channel
from creditvillage.registry.models import (
    Asset,
    BusinessEntity,
    Collective,
    Debt,
    Household,
    Income,
    Insurance,
    Person,
)

__all__ = [
    "ArchiveConflict",
    "Conflict",
    "InvalidTransition",
    "household_check_unchanged",
    "spot_check_draw",
    "spot_check_record",
    "submission_confirm_self_declared",
    "submission_declare",
    "submission_rebase",
    "submission_reopen",
    "submission_return",
    "submission_save_draft",
    "submission_start",
    "submission_submit",
    "submission_verify",
    "village_close",
]


class Conflict(DomainError):
    """Someone else changed the record since the caller read it (HTTP 409)."""

    status = 409

    def __init__(self, message: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__("conflict", message or _("该记录已被他人修改，请刷新后重试"), details)


class ArchiveConflict(Conflict):
    """The registry archive changed since the submission (or form) was started from it."""

    def __init__(self, message: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(message or _("档案在采集期间已被修改（如导入或手工修改），请核对后重试"), details)
        self.code = "archive_conflict"


class InvalidTransition(DomainError):
    status = 409

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__("invalid_state", message, details)


# --- optimistic checks ------------------------------------------------------------------------


def household_check_unchanged(
    *, household: Household, seen_updated_at: dt.datetime | None = None, seen_version: int | None = None
) -> None:
    """Raise ``ArchiveConflict`` if the stored household changed since a form (or import row) read it.

    Pass the ``updated_at`` and/or ``version`` read together with the data being edited. Call
    inside the writing transaction after locking the household
    (``Household.objects.select_for_update().get(pk=...)``), so the check and the write are atomic.
    """
    current = Household.objects.filter(pk=household.pk).values("updated_at", "version").first()
    if current is None:
        raise NotFound()
    if seen_version is not None and current["version"] != seen_version:
        raise ArchiveConflict(details={"household": household.pk, "seen_version": seen_version})
    if seen_updated_at is not None and current["updated_at"] != seen_updated_at:
        raise ArchiveConflict(details={"household": household.pk})


def _claim(submission: Submission, expected_version: int | None, states: tuple[str, ...]) -> Submission:
    """Lock the submission, check its state and version, and take the next version (conditional update)."""
    try:
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
    except Submission.DoesNotExist as exc:
        raise NotFound() from exc
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(details={"version": locked.version})
    if locked.state not in states:
        raise InvalidTransition(
            _("当前状态为“%(state)s”，不能执行此操作") % {"state": locked.get_state_display()},
            {"state": locked.state},
        )
    claimed = Submission.objects.filter(pk=locked.pk, version=locked.version).update(version=F("version") + 1)
    if claimed != 1:  # pragma: no cover - only reachable without row locks, where the update decides
        raise Conflict(details={"version": locked.version})
    locked.version += 1
    return locked


def _user(actor: Actor) -> Any:
    """The actor as a row to store in a user foreign key (None for the system)."""
    return actor if getattr(actor, "pk", None) else None


def _require(actor: Actor, action: str, submission: Submission) -> None:
    if not can(actor, action, submission):
        raise NotFound()


def _record(actor: Actor, submission: Submission, name: str, **kwargs: Any) -> None:
    audit.record(
        actor=actor,
        action=f"submission.{name}",
        target=submission,
        region_code=submission.region_id,
        channel=submission.channel,
        **kwargs,
    )


def _open_campaign(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.OPEN:
        raise InvalidTransition(_("采集批次已结束"))


def _closed_village(campaign_id: int, village_id: str) -> bool:
    return VillageClosure.objects.filter(
        campaign_id=campaign_id, village_id=village_id, reopened_at__isnull=True
    ).exists()


def in_campaign(campaign: Campaign, region_code: str) -> bool:
    """Whether a region (a household's village) lies under the campaign's region."""
    return region_code.startswith(significant_prefix(campaign.region_id))


# --- subjects: a household, a business entity or a collective (ADR 0040) -----------------------

SUBJECT_MODELS: dict[str, Any] = {
    SubjectType.HOUSEHOLD: Household,
    SubjectType.ENTITY: BusinessEntity,
    SubjectType.COLLECTIVE: Collective,
}


def subject_type_of(subject: Any) -> str:
    for subject_type, model in SUBJECT_MODELS.items():
        if isinstance(subject, model):
            return subject_type
    raise TypeError(f"not a collection subject: {type(subject).__name__}")


def _subject_pk(submission: Submission) -> int:
    if submission.subject_type == SubjectType.HOUSEHOLD:
        return submission.household_id or 0
    return submission.subject_id or 0


def subject_row(submission: Submission, *, lock: bool = False) -> Any:
    """The registry row a submission is about (locked for update when ``lock``); no scoping here."""
    manager: Any = SUBJECT_MODELS[submission.subject_type].objects
    queryset = manager.select_for_update() if lock else manager.all()
    try:
        return queryset.get(pk=_subject_pk(submission))
    except ObjectDoesNotExist as exc:
        raise NotFound() from exc


def archive_of(subject: Any) -> dict[str, Any]:
    """The subject's current archive in the submission shape."""
    if isinstance(subject, Household):
        return archive.archive_data(subject)
    return subjects.kind_of(subject).data(subject)


def _check_data(data: Any, *, complete: bool, subject_type: str = SubjectType.HOUSEHOLD) -> dict[str, Any]:
    if subject_type == SubjectType.HOUSEHOLD:
        clean = archive.normalize(data)
        errors = archive.validate(clean, complete=complete)
    else:
        kind = subjects.kind_for(subject_type)
        clean = kind.normalize(data)
        errors = kind.validate(clean, complete=complete)
    if errors:
        raise ValidationFailed(_("数据校验未通过"), {"fields": errors})
    return clean


# --- collecting ---------------------------------------------------------------------------------


@transaction.atomic
def submission_start(
    *,
    actor: Actor,
    campaign: Campaign,
    household: Household | None = None,
    subject: BusinessEntity | Collective | None = None,
    channel: str = Channel.DOOR_TO_DOOR,
) -> Submission:
    """The subject's submission in this campaign: the open one, or a new draft from the current archive.

    The subject is a ``household`` or (``subject``) a business entity or collective. Requires
    ``change`` on it. A verified (locked) submission is returned as is.
    """
    target: Any = household if household is not None else subject
    if target is None:
        raise ValidationFailed(_("请选择采集对象"), {"field": "subject"})
    subject_type = subject_type_of(target)
    target = type(target).objects.select_for_update().get(pk=target.pk)
    if not can(actor, Action.CHANGE, target) or not can(actor, Action.VIEW, campaign):
        raise NotFound()
    if not in_campaign(campaign, target.region_id):
        raise NotFound()
    existing = Submission.objects.filter(campaign=campaign, subject_type=subject_type, subject_id=target.pk).first()
    if existing is not None:
        return existing
    _open_campaign(campaign)
    if _closed_village(campaign.pk, target.region_id):
        raise InvalidTransition(_("本村本批次已关闭"))
    base = archive_of(target)
    submission = Submission.objects.create(
        campaign=campaign,
        region_id=target.region_id,
        subject_type=subject_type,
        subject_id=target.pk,
        household=target if subject_type == SubjectType.HOUSEHOLD else None,
        collector=_user(actor),
        channel=channel,
        data=base,
        base=base,
        base_version=getattr(target, "version", None),
    )
    _record(actor, submission, "started")
    return submission


def _check_ids_free(submission: Submission, data: dict[str, Any]) -> None:
    """Members' ID numbers must not belong to a person of another household (an entity's or
    collective's USCC must not belong to another subject)."""
    if submission.subject_type != SubjectType.HOUSEHOLD:
        errors = subjects.kind_for(submission.subject_type).check_unique(subject_row(submission), data)
        if errors:
            raise ValidationFailed(_("数据校验未通过"), {"fields": errors})
        return
    ids = [m["id_number"] for m in data.get("members", []) if m.get("id_number")]
    taken = set(
        Person.objects.filter(id_number__in=ids)
        .exclude(household_id=submission.household_id or 0)
        .values_list("id_number", flat=True)
    )
    if taken:
        errors = {
            f"members.{i}.id_number": _("该身份证号码已登记在其他农户")
            for i, m in enumerate(data.get("members", []))
            if m.get("id_number") in taken
        }
        raise ValidationFailed(_("数据校验未通过"), {"fields": errors})


@transaction.atomic
def submission_save_draft(
    *, actor: Actor, submission: Submission, data: Any, expected_version: int | None
) -> Submission:
    """Save the collector's work so far (partial data allowed; what is filled in must be valid)."""
    _require(actor, Action.CHANGE, submission)
    locked = _claim(submission, expected_version, EDITABLE_STATES)
    clean = _check_data(data, complete=False, subject_type=locked.subject_type)
    changes = {"fields": [None, [d["key"] for d in archive.diff(locked.data, clean)]]}
    locked.data = clean
    locked.state = SubmissionState.DRAFT
    locked.save()
    _record(actor, locked, "draft_saved", changes=changes)
    return locked


@transaction.atomic
def submission_submit(
    *, actor: Actor, submission: Submission, expected_version: int | None, data: Any = None
) -> Submission:
    """Submit for township verification; the complete archive must validate. The submitter answers for it."""
    _require(actor, Action.CHANGE, submission)
    locked = _claim(submission, expected_version, EDITABLE_STATES)
    _open_campaign(locked.campaign)
    clean = _check_data(locked.data if data is None else data, complete=True, subject_type=locked.subject_type)
    _check_ids_free(locked, clean)
    old_state = locked.state
    locked.data = clean
    locked.state = SubmissionState.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.collector = _user(actor) or locked.collector
    locked.return_reasons = {}
    locked.save()
    _record(actor, locked, "submitted", changes={"state": [old_state, locked.state]})
    return locked


@transaction.atomic
def submission_declare(*, actor: Actor, campaign: Campaign, household: Household, data: Any) -> Submission:
    """A household declares or corrects its own archive (农户自主申报): a self-declared submission.

    Requires ``apply`` on the household (the household's own user). The village must confirm it
    (``submission_confirm_self_declared``) before the township can verify it.
    """
    household = Household.objects.select_for_update().get(pk=household.pk)
    if not can(actor, Action.APPLY, household) or not can(actor, Action.VIEW, campaign):
        raise NotFound()
    if not in_campaign(campaign, household.region_id):
        raise NotFound()
    _open_campaign(campaign)
    clean = _check_data(data, complete=True)
    submission = Submission.objects.filter(
        campaign=campaign, subject_type=SubjectType.HOUSEHOLD, subject_id=household.pk
    ).first()
    if submission is None:
        base = archive.archive_data(household)
        submission = Submission.objects.create(
            campaign=campaign,
            region_id=household.region_id,
            subject_type=SubjectType.HOUSEHOLD,
            subject_id=household.pk,
            household=household,
            base=base,
            base_version=household.version,
        )
    else:
        submission = _claim(submission, None, EDITABLE_STATES)
    _check_ids_free(submission, clean)
    submission.data = clean
    submission.self_declared = True
    submission.channel = Channel.SELF_DECLARED
    submission.collector = _user(actor)
    submission.confirmed_at = None
    submission.confirmed_by = None
    submission.state = SubmissionState.SUBMITTED
    submission.submitted_at = timezone.now()
    submission.return_reasons = {}
    submission.save()
    _record(actor, submission, "self_declared", changes={"state": [None, submission.state]})
    return submission


@transaction.atomic
def submission_confirm_self_declared(
    *, actor: Actor, submission: Submission, expected_version: int | None
) -> Submission:
    """The village confirms a household's self-declaration (村确认), so that it counts and can be verified."""
    _require(actor, Action.CHANGE, submission)
    locked = _claim(submission, expected_version, (SubmissionState.SUBMITTED,))
    if not locked.self_declared or locked.confirmed_at is not None:
        raise InvalidTransition(_("这不是待确认的农户自主申报"))
    locked.confirmed_by = _user(actor)
    locked.confirmed_at = timezone.now()
    locked.save()
    _record(actor, locked, "self_declared_confirmed")
    return locked


# --- verifying ----------------------------------------------------------------------------------


def _current_archive(submission: Submission) -> dict[str, Any]:
    return archive_of(subject_row(submission))


def archive_conflicts(submission: Submission) -> list[str]:
    """Flat keys changed in the registry since the submission's base (an import, a manual edit)."""
    if submission.subject_type == SubjectType.HOUSEHOLD and submission.household_id is None:
        return []
    base, current = archive.flatten(submission.base), archive.flatten(_current_archive(submission))
    return [k for k in {**base, **current} if base.get(k) != current.get(k)]


@transaction.atomic
def submission_verify(
    *,
    actor: Actor,
    submission: Submission,
    expected_version: int | None,
    fields: list[str] | None = None,
    note: str = "",
) -> Submission:
    """Township verification (乡校核), whole (``fields=None``) or field by field.

    With ``fields``, only those changed fields (keys of ``selectors.submission_diff``) are
    accepted; every other change is dropped and the archive keeps its earlier value. The result
    is applied to the registry, the household marked verified, and an ``ArchiveSnapshot``
    written. The data is then locked until reopened.
    """
    _require(actor, Action.VERIFY, submission)
    locked = _claim(submission, expected_version, (SubmissionState.SUBMITTED,))
    if not locked.counts:
        raise InvalidTransition(_("农户自主申报须先经村确认"))
    target = subject_row(locked, lock=True)
    if not can(actor, Action.CHANGE, target):
        raise NotFound()
    changed_since = archive_conflicts(locked)
    if changed_since:
        raise ArchiveConflict(details={"fields": changed_since})
    data = locked.data
    accepted: list[str] | None = None
    if fields is not None:
        offered = {d["key"] for d in archive.diff(locked.base, locked.data)}
        unknown = sorted(set(fields) - offered)
        if unknown:
            raise ValidationFailed(_("包含不可校核的字段"), {"fields": unknown})
        accepted = sorted(fields)
        data = archive.select(locked.base, locked.data, set(fields))
    if locked.subject_type == SubjectType.HOUSEHOLD:
        errors = archive.validate(data, complete=True)
    else:
        errors = subjects.kind_for(locked.subject_type).validate(data, complete=True)
    if errors:
        raise ValidationFailed(_("数据校验未通过"), {"fields": errors})
    now = timezone.now()
    if locked.subject_type == SubjectType.HOUSEHOLD:
        _apply_archive(actor, locked, target, data, now)
    else:
        _check_ids_free(locked, data)
        _apply_org_archive(actor, locked, target, data, now)
    old_state = locked.state
    locked.data = data
    locked.state = SubmissionState.VERIFIED
    locked.verified_by = _user(actor)
    locked.verified_at = now
    locked.save()
    ArchiveSnapshot.objects.create(
        campaign_id=locked.campaign_id,
        submission=locked,
        region_id=locked.region_id,
        subject_type=locked.subject_type,
        subject_id=locked.subject_id or target.pk,
        household=target if locked.subject_type == SubjectType.HOUSEHOLD else None,
        data=data,
        verified_by=_user(actor),
        verified_at=now,
    )
    _record(
        actor,
        locked,
        "verified",
        changes={"state": [old_state, locked.state], "accepted_fields": [None, accepted]},
        reason=note,
    )
    return locked


def _apply_org_archive(actor: Actor, submission: Submission, subject: Any, data: dict[str, Any], now: Any) -> None:
    """Write a verified entity's or collective's archive through the registry services; mark it verified."""
    reason = _("采集批次校核（提交 %(pk)s）") % {"pk": submission.pk}
    kind = subjects.kind_for(submission.subject_type)
    subject = kind.apply(actor=actor, obj=subject, data=data, reason=reason, channel=submission.channel)
    provenance = {
        "status": ArchiveStatus.VERIFIED,
        "verified_at": now,
        "collected_by": submission.collector,
        "collected_at": submission.submitted_at or now,
        "channel": submission.channel,
    }
    before = {k: getattr(subject, k) for k in provenance}
    for key, value in provenance.items():
        setattr(subject, key, value)
    subject.save(update_fields=[*provenance, "updated_at"])
    audit.record(
        actor=actor,
        action=f"{kind.model._meta.model_name}.verified",
        target=subject,
        region_code=subject.region_id,
        changes=audit.diff(before, provenance, fields=["status", "verified_at", "collected_at", "channel"]),
        reason=reason,
        channel=submission.channel,
    )


def _apply_archive(actor: Actor, submission: Submission, household: Household, data: dict[str, Any], now: Any) -> None:
    """Write the verified archive into the registry (household fields through the registry services)."""
    reason = _("采集批次校核（提交 %(pk)s）") % {"pk": submission.pk}
    channel = submission.channel
    changes = {
        k: v
        for k, v in data["household"].items()
        if k in registry_services.HOUSEHOLD_EDITABLE and getattr(household, k) != v
    }
    if changes:
        household = registry_services.household_update(
            actor=actor, household=household, changes=changes, reason=reason, channel=channel
        )
    existing = {p.id_number: p for p in Person.objects.filter(household_id=household.pk)}
    wanted = {m["id_number"]: m for m in data["members"]}
    try:
        for id_number, person in existing.items():
            if id_number not in wanted:
                audit.record(
                    actor=actor,
                    action="person.removed",
                    target=person,
                    region_code=household.region_id,
                    reason=reason,
                    channel=channel,
                )
                person.delete()
        # Non-heads first, so a change of head never holds two heads at once.
        ordered = sorted(wanted.values(), key=lambda m: m.get("relation") == "head")
        for member in ordered:
            found = existing.get(member["id_number"])
            fields = {k: member.get(k, "") for k in registry_services.PERSON_EDITABLE if k != "id_number"}
            if found is None:
                details = validate_resident_id(member["id_number"]).details
                person = Person.objects.create(
                    household=household,
                    id_number=member["id_number"],
                    sex=str(details["sex"]),
                    birth_date=dt.date.fromisoformat(str(details["birth_date"])),
                    collected_by=submission.collector,
                    collected_at=submission.submitted_at or now,
                    channel=channel,
                    **fields,
                )
                audit.record(
                    actor=actor,
                    action="person.added",
                    target=person,
                    region_code=household.region_id,
                    reason=reason,
                    channel=channel,
                )
                continue
            member_changes = {k: v for k, v in fields.items() if getattr(found, k) != v}
            if member_changes:
                registry_services.person_update(
                    actor=actor, person=found, changes=member_changes, reason=reason, channel=channel
                )
    except (IntegrityError, ProtectedError) as exc:
        raise ValidationFailed(_("家庭成员无法更新（可能被其他记录引用）"), {"field": "members"}) from exc
    provenance = {
        "collected_by": submission.collector,
        "collected_at": submission.submitted_at or now,
        "channel": channel,
    }
    for model, section in ((Asset, "assets"), (Income, "incomes"), (Debt, "debts"), (Insurance, "insurances")):
        if (
            archive.flatten({section: data[section]})[section]
            == archive.flatten({section: submission.base.get(section) or []})[section]
        ):
            continue
        manager: Any = model.objects
        manager.filter(household_id=household.pk).delete()
        manager.bulk_create([model(household=household, **row, **provenance) for row in data[section]])
    household.refresh_from_db()
    latest_year = (
        Income.objects.filter(household_id=household.pk).order_by("-year").values_list("year", flat=True).first()
    )
    totals = {
        "member_count": len(data["members"]),
        "head_name": next((m["name"] for m in data["members"] if m["relation"] == "head"), household.head_name),
        "annual_income_fen": Income.objects.filter(household_id=household.pk, year=latest_year or 0).aggregate(
            s=Sum("amount_fen")
        )["s"]
        or 0,
        "assets_value_fen": Asset.objects.filter(household_id=household.pk).aggregate(s=Sum("value_fen"))["s"] or 0,
        "debts_fen": Debt.objects.filter(household_id=household.pk).aggregate(s=Sum("amount_fen"))["s"] or 0,
        "status": ArchiveStatus.VERIFIED,
        "verified_at": now,
        "collected_by": submission.collector,
        "collected_at": submission.submitted_at or now,
        "channel": channel,
    }
    before = {k: getattr(household, k) for k in totals}
    for key, value in totals.items():
        setattr(household, key, value)
    household.version += 1
    household.save()
    audit.record(
        actor=actor,
        action="household.verified",
        target=household,
        region_code=household.region_id,
        changes=audit.diff(before, totals, fields=[k for k in totals if k not in ("collected_by",)]),
        reason=reason,
        channel=channel,
    )


@transaction.atomic
def submission_rebase(*, actor: Actor, submission: Submission, expected_version: int | None) -> list[str]:
    """Merge a submission onto the archive as it is now (after an import or manual edit).

    Returns the keys changed on both sides (kept as the collector entered them, to be reviewed).
    A submitted submission stays submitted; nothing is lost silently: the merge is audited.
    """
    _require(actor, Action.CHANGE, submission)
    locked = _claim(submission, expected_version, (*EDITABLE_STATES, SubmissionState.SUBMITTED))
    target = subject_row(locked, lock=True)
    current = archive_of(target)
    merged, conflicts = archive.merge(locked.base, current, locked.data)
    locked.data = merged
    locked.base = current
    locked.base_version = getattr(target, "version", None)
    locked.save()
    _record(actor, locked, "rebased", changes={"conflicts": [None, conflicts]})
    return conflicts


@transaction.atomic
def submission_return(
    *, actor: Actor, submission: Submission, expected_version: int | None, reasons: dict[str, str]
) -> Submission:
    """Return to the collector with reasons, per field (diff keys) or ``{"_all": "..."}``."""
    _require(actor, Action.VERIFY, submission)
    clean = {str(k)[:100]: str(v).strip()[:500] for k, v in (reasons or {}).items() if str(v).strip()}
    if not clean:
        raise ValidationFailed(_("请填写退回原因"), {"field": "reasons"})
    locked = _claim(submission, expected_version, (SubmissionState.SUBMITTED,))
    old_state = locked.state
    locked.state = SubmissionState.RETURNED
    locked.return_reasons = clean
    locked.save()
    _record(actor, locked, "returned", changes={"state": [old_state, locked.state]}, reason="; ".join(clean.values()))
    return locked


def _reopen(actor: Actor, locked: Submission, reason: str, how: str) -> Submission:
    old_state = locked.state
    locked.state = SubmissionState.REOPENED
    locked.reopen_reason = reason
    if locked.subject_type != SubjectType.HOUSEHOLD or locked.household_id is not None:
        target = subject_row(locked)  # edits now start from the archive as verified
        locked.base = archive_of(target)
        locked.base_version = getattr(target, "version", None)
    locked.save()
    closure = VillageClosure.objects.filter(
        campaign_id=locked.campaign_id, village_id=locked.region_id, reopened_at__isnull=True
    ).first()
    if closure is not None:
        closure.reopened_at = timezone.now()
        closure.reopened_by = _user(actor)
        closure.reopen_reason = reason
        closure.save()
        audit.record(
            actor=actor,
            action="village_closure.reopened",
            target=closure,
            region_code=closure.village_id,
            reason=reason,
        )
    _record(actor, locked, how, changes={"state": [old_state, locked.state]}, reason=reason)
    return locked


@transaction.atomic
def submission_reopen(*, actor: Actor, submission: Submission, expected_version: int | None, reason: str) -> Submission:
    """Unlock verified data for correction (township ``verify`` or auditor ``audit``); a reason is required."""
    if not (can(actor, Action.VERIFY, submission) or can(actor, Action.AUDIT, submission)):
        raise NotFound()
    reason = (reason or "").strip()[:200]
    if not reason:
        raise ValidationFailed(_("请填写重新打开的原因"), {"field": "reason"})
    locked = _claim(submission, expected_version, DONE_STATES)
    return _reopen(actor, locked, reason, "reopened")


# --- closing a village --------------------------------------------------------------------------


@transaction.atomic
def village_close(*, actor: Actor, campaign: Campaign, village: Region) -> VillageClosure:
    """Close a village for a campaign: only when it has submissions and all are verified."""
    if not can(actor, Action.VERIFY, village) or not can(actor, Action.VIEW, campaign):
        raise NotFound()
    if village.level != "village" or not in_campaign(campaign, village.code):
        raise ValidationFailed(_("只能关闭本批次范围内的村"), {"field": "village"})
    submissions = Submission.objects.select_for_update().filter(campaign=campaign, region_id=village.code)
    states = list(submissions.values_list("state", flat=True))
    if not states:
        raise InvalidTransition(_("本村还没有采集提交"))
    pending = sum(1 for s in states if s not in DONE_STATES)
    if pending:
        raise InvalidTransition(_("本村还有 %(n)s 份提交未校核，不能关闭") % {"n": pending}, {"pending": pending})
    closure, created = VillageClosure.objects.select_for_update().get_or_create(
        campaign=campaign, village=village, defaults={"closed_at": timezone.now(), "closed_by": _user(actor)}
    )
    if not created:
        if closure.reopened_at is None:
            raise InvalidTransition(_("本村本批次已关闭"))
        closure.closed_at = timezone.now()
        closure.closed_by = _user(actor)
        closure.reopened_at = None
        closure.reopened_by = None
        closure.reopen_reason = ""
        closure.save()
    audit.record(
        actor=actor,
        action="village_closure.closed",
        target=closure,
        region_code=village.code,
        changes={"submissions": [None, len(states)]},
    )
    return closure


# --- spot checks (区督查) -------------------------------------------------------------------------


def sample_size(population: int, ratio: Decimal) -> int:
    """At least one when there is anything to sample; otherwise ``ceil(population × ratio)``."""
    if population <= 0:
        return 0
    size = int((Decimal(population) * ratio).to_integral_value(rounding=ROUND_CEILING))
    return max(1, min(population, size))


def draw_sample(ids: list[int], ratio: Decimal, seed: str) -> list[int]:
    """The reproducible sample: the same ids, ratio and seed always give the same draw."""
    population = sorted(ids)
    return random.Random(f"creditvillage-spot-check:{seed}").sample(population, sample_size(len(population), ratio))


@transaction.atomic
def spot_check_draw(
    *,
    actor: Actor,
    campaign: Campaign,
    village: Region,
    ratio: Decimal | str | None = None,
    seed: str | None = None,
) -> SpotCheck:
    """Draw a random sample of the village's verified submissions (ratio from the campaign by default).

    The seed is recorded (a fresh random one if not given), so anyone can redraw the same sample.
    """
    if not can(actor, Action.AUDIT, village) or not can(actor, Action.VIEW, campaign):
        raise NotFound()
    if village.level != "village" or not in_campaign(campaign, village.code):
        raise ValidationFailed(_("只能抽查本批次范围内的村"), {"field": "village"})
    try:
        value = Decimal(str(ratio)) if ratio is not None and str(ratio) != "" else campaign.spot_check_ratio
    except ArithmeticError as exc:
        raise ValidationFailed(_("抽查比例须在 0 到 1 之间"), {"field": "ratio"}) from exc
    if not (Decimal(0) < value <= Decimal(1)):
        raise ValidationFailed(_("抽查比例须在 0 到 1 之间"), {"field": "ratio"})
    value = value.quantize(Decimal("0.001"))
    seed = (seed or "").strip()[:64] or secrets.token_hex(8)
    ids = list(
        Submission.objects.filter(
            campaign=campaign, region_id=village.code, state=SubmissionState.VERIFIED
        ).values_list("pk", flat=True)
    )
    if not ids:
        raise InvalidTransition(_("本村没有已校核的提交可供抽查"))
    spot_check = SpotCheck.objects.create(
        campaign=campaign,
        village=village,
        ratio=value,
        seed=seed,
        population=len(ids),
        sample=draw_sample(ids, value, seed),
        drawn_by=_user(actor),
    )
    audit.record(
        actor=actor,
        action="spot_check.drawn",
        target=spot_check,
        region_code=village.code,
        changes={"sample": [None, spot_check.sample], "seed": [None, seed], "ratio": [None, str(value)]},
    )
    return spot_check


@transaction.atomic
def spot_check_record(
    *,
    actor: Actor,
    spot_check: SpotCheck,
    submission: Submission,
    passed: bool,
    note: str = "",
    expected_version: int | None = None,
) -> SpotCheckFinding:
    """Record the finding on one sampled submission: passed → spot-checked; failed → reopened."""
    if not can(actor, Action.AUDIT, spot_check):
        raise NotFound()
    if submission.pk not in spot_check.sample:
        raise NotFound()
    note = (note or "").strip()[:500]
    if not passed and not note:
        raise ValidationFailed(_("未通过时请填写督查意见"), {"field": "note"})
    if SpotCheckFinding.objects.filter(spot_check=spot_check, submission_id=submission.pk).exists():
        raise InvalidTransition(_("该提交已记录督查结果"))
    locked = _claim(submission, expected_version, (SubmissionState.VERIFIED,))
    finding = SpotCheckFinding.objects.create(
        spot_check=spot_check, submission=locked, passed=passed, note=note, recorded_by=_user(actor)
    )
    audit.record(
        actor=actor,
        action="spot_check.finding",
        target=finding,
        region_code=spot_check.village_id,
        changes={"passed": [None, passed]},
        reason=note,
    )
    if passed:
        locked.state = SubmissionState.SPOT_CHECKED
        locked.save()
        _record(actor, locked, "spot_checked", changes={"state": [SubmissionState.VERIFIED, locked.state]})
    else:
        _reopen(actor, locked, _("督查未通过：%(note)s") % {"note": note}, "reopened_by_spot_check")
    return finding


def require_action(actor: Actor, action: str) -> None:
    """403 for an actor holding ``action`` nowhere (pages and API call this before any lookup)."""
    if actor is None or not (actor.is_superuser or actor.grants_for(action)):
        raise PermissionDenied()
