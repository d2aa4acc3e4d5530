"""Writes of the rating cycle: open → batch → notice (公示) → objections (异议) → final (认定).

Every function takes the acting user, re-checks the actor's reach inside its transaction, and
records an audit event with the change. A rating is never overwritten: a correction writes a new
version that supersedes the old one (C11). Publishing and finalising are all-or-nothing per village
(C17): one transaction per village.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.models import User
from creditvillage.accounts.roles import Action
from creditvillage.core import audit
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied, TooManyRequests, ValidationFailed
from creditvillage.core.identifiers import validate_mobile
from creditvillage.core.models import Job
from creditvillage.core.scope import Actor, can
from creditvillage.rating.models import (
    OBJECTION_DAYS,
    CycleStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    Objection,
    ObjectionDecision,
    ObjectionStatus,
    ObjectorKind,
    Rating,
    RatingCycle,
    RatingNotification,
    RatingRun,
    RatingStatus,
    ReviewLevel,
    RunKind,
    RunStatus,
)
from creditvillage.regions.choices import RegionLevel
from creditvillage.regions.models import Region
from creditvillage.registry.models import Household

logger = logging.getLogger(__name__)

GRADES = ["AAA", "AA", "A", "B", "C", "D"]
CREDIT_GRADES = {"AAA", "AA", "A"}
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
EVIDENCE_TYPES = {".jpg", ".jpeg", ".png", ".pdf"}


def _user(actor: Actor | None) -> User | None:
    """The acting user as a foreign-key value (None for the system or an anonymous villager)."""
    return actor if isinstance(actor, User) else None


class Conflict(DomainError):
    status = 409

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(code, message, details)


# --- Cycles and batches ---------------------------------------------------------------------------


def _rate_region(actor: Actor, code: str) -> Region:
    from creditvillage.regions.selectors import normalize_code

    region = Region.objects.visible_to(actor, Action.RATE).filter(pk=normalize_code(code)).first()
    if region is None:
        raise NotFound()
    return region


def _check_cycle(actor: Actor, cycle: RatingCycle, action: str = Action.RATE) -> RatingCycle:
    if not can(actor, action, cycle):
        raise NotFound()
    return RatingCycle.objects.select_for_update().get(pk=cycle.pk)


@transaction.atomic
def cycle_open(*, actor: Actor, region_code: str, year: int, name: str = "", notice_days: int = 7) -> RatingCycle:
    """Open a rating cycle (评定周期) for a township (or a county) and a year."""
    region = _rate_region(actor, region_code)
    if region.level == RegionLevel.VILLAGE:
        raise ValidationFailed(_("评定周期应在乡镇或以上区域发起"), {"field": "region"})
    if not 2000 <= year <= 2100:
        raise ValidationFailed(_("年度无效"), {"field": "year"})
    if not 1 <= notice_days <= 30:
        raise ValidationFailed(_("公示天数应在1至30天之间"), {"field": "notice_days"})
    if RatingCycle.objects.filter(region=region, year=year).exclude(status=CycleStatus.CANCELLED).exists():
        raise Conflict("cycle_exists", _("该区域本年度已有评定周期"))
    cycle = RatingCycle.objects.create(
        region=region,
        year=year,
        name=name or f"{region.name}{year}年度信用评定",
        notice_days=notice_days,
        opened_by=_user(actor),
    )
    audit.record(
        actor=actor,
        action="rating.cycle_opened",
        target=cycle,
        region_code=region.code,
        changes={"year": year, "notice_days": notice_days},
        reason=_("发起评定周期"),
    )
    return cycle


@transaction.atomic
def cycle_run(*, actor: Actor, cycle: RatingCycle, job: Job | None = None) -> RatingRun:
    """Score every subject under the cycle's region (系统初评) as one preliminary run.

    The scoring engine's ``rating_run_create`` scores with the active model; its errors propagate
    (the job fails visibly). The run's ratings replace any earlier run's of this cycle (those become
    superseded: never deleted).
    """
    from creditvillage.scoring.services import rating_run_create

    cycle = _check_cycle(actor, cycle)
    if cycle.status != CycleStatus.OPEN:
        raise Conflict("cycle_not_open", _("评定周期已公示或已结束，不能重新评定"))
    run = rating_run_create(actor=actor, region_code=cycle.region_id, cycle=cycle, kind="preliminary", job=job)
    Rating.objects.filter(cycle=cycle, run__isnull=False).exclude(run=run).filter(
        status=RatingStatus.PRELIMINARY
    ).update(status=RatingStatus.SUPERSEDED)
    audit.record(
        actor=actor,
        action="rating.cycle_run",
        target=cycle,
        region_code=cycle.region_id,
        changes={"run": run.pk, "subjects": run.subjects, "counts": run.counts},
        reason=_("系统初评"),
    )
    return run


def cycle_run_start(*, actor: Actor, cycle: RatingCycle) -> Job:
    """Queue the batch as a background job (progress bar on the job page)."""
    if not can(actor, Action.RATE, cycle):
        raise NotFound()
    if cycle.status != CycleStatus.OPEN:
        raise Conflict("cycle_not_open", _("评定周期已公示或已结束，不能重新评定"))
    from creditvillage.rating.tasks import run_cycle_batch

    with transaction.atomic():
        job = Job.objects.create(
            kind="rating_run",
            created_by=_user(actor),
            region_code=cycle.region_id,
            params={"cycle": cycle.pk},
        )
        transaction.on_commit(lambda: run_cycle_batch.enqueue(job.pk))
    return job


def current_run(cycle: RatingCycle) -> RatingRun | None:
    return cycle.runs.filter(status=RunStatus.SUCCEEDED, kind=RunKind.PRELIMINARY).order_by("-pk").first()


# --- Notices -----------------------------------------------------------------------------------------


@dataclass
class PublishReport:
    notices: list[Notice] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # village code → why


def notices_publish(
    *,
    actor: Actor,
    cycle: RatingCycle,
    villages: list[str] | None = None,
    starts_at: dt.datetime | None = None,
    days: int | None = None,
) -> PublishReport:
    """Post a notice in every village of the cycle's current run (or the named ones).

    Each village in its own transaction: its notice lists all of its subjects or the village is
    not published at all. Posting again for a village supersedes its live notice (new version).
    """
    if not can(actor, Action.RATE, cycle):
        raise NotFound()
    run = current_run(cycle)
    if run is None:
        raise Conflict("no_run", _("尚未完成系统初评，不能公示"))
    if cycle.status in (CycleStatus.FINAL, CycleStatus.CANCELLED):
        raise Conflict("cycle_closed", _("评定周期已结束"))
    days = cycle.notice_days if days is None else days
    if not 1 <= days <= 30:
        raise ValidationFailed(_("公示天数应在1至30天之间"), {"field": "days"})
    starts = starts_at or timezone.now()
    counts = dict(
        Rating.objects.filter(cycle=cycle, run=run)
        .exclude(status=RatingStatus.SUPERSEDED)
        .order_by()
        .values("region_code")
        .annotate(n=Count("pk"))
        .values_list("region_code", "n")
    )
    wanted = sorted(counts) if villages is None else sorted(set(villages))
    report = PublishReport()
    for code in wanted:
        if code not in counts:
            report.skipped[code] = _("该村没有评定结果")
            continue
        try:
            report.notices.append(
                _notice_publish_village(
                    actor=actor, cycle=cycle, village=code, subjects=counts[code], starts=starts, days=days
                )
            )
        except DomainError as exc:
            report.skipped[code] = exc.message
    if report.notices:
        RatingCycle.objects.filter(pk=cycle.pk, status=CycleStatus.OPEN).update(
            status=CycleStatus.PUBLISHED, published_at=timezone.now()
        )
    return report


@transaction.atomic
def _notice_publish_village(
    *, actor: Actor, cycle: RatingCycle, village: str, subjects: int, starts: dt.datetime, days: int
) -> Notice:
    live = (
        Notice.objects.select_for_update()
        .filter(cycle=cycle, region_id=village, kind=NoticeKind.RATING)
        .exclude(status=NoticeStatus.SUPERSEDED)
        .first()
    )
    version = 1
    kind = NoticeKind.RATING
    if live is not None:
        if live.status == NoticeStatus.FINALISED:
            raise Conflict("village_final", _("该村评定结果已认定"))
        if Objection.objects.filter(notice=live, status=ObjectionStatus.OPEN).exists():
            raise Conflict("objections_open", _("该村还有未处理的异议"))
        live.status = NoticeStatus.SUPERSEDED
        live.save(update_fields=["status"])
        version = live.version + 1
    notice = Notice.objects.create(
        region_id=village,
        cycle=cycle,
        kind=kind,
        version=version,
        starts_at=starts,
        ends_at=starts + dt.timedelta(days=days),
        subjects=subjects,
        published_by=_user(actor),
        published_at=timezone.now(),
    )
    audit.record(
        actor=actor,
        action="rating.notice_published",
        target=notice,
        region_code=village,
        changes={"cycle": cycle.pk, "version": version, "subjects": subjects, "ends_at": notice.ends_at.isoformat()},
        reason=_("发布评定公示"),
    )
    return notice


# --- Objections ---------------------------------------------------------------------------------------


def _current_version(cycle_id: int, rating: Rating) -> Rating:
    """The subject's live (non-superseded) rating of this cycle."""
    found = (
        Rating.objects.select_for_update()
        .filter(cycle_id=cycle_id, subject_type=rating.subject_type, subject_id=rating.subject_id)
        .exclude(status=RatingStatus.SUPERSEDED)
        .order_by("-version", "-pk")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def _check_evidence(evidence: UploadedFile | None) -> None:
    if evidence is None:
        return
    name = (evidence.name or "").lower()
    if not any(name.endswith(ext) for ext in EVIDENCE_TYPES):
        raise ValidationFailed(_("证明材料只接受 JPG、PNG 或 PDF 文件"), {"field": "evidence"})
    if (evidence.size or 0) > EVIDENCE_MAX_BYTES:
        raise ValidationFailed(_("证明材料不能超过 5 MB"), {"field": "evidence"})


def notice_is_open(notice: Notice, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return notice.status == NoticeStatus.PUBLISHED and notice.starts_at <= now < notice.ends_at


@transaction.atomic
def objection_file(
    *,
    actor: Actor | None,
    notice: Notice,
    rating: Rating,
    text: str,
    objector_name: str = "",
    objector_phone: str = "",
    items: list[str] | None = None,
    evidence: UploadedFile | None = None,
    channel: str = "web",
) -> Objection:
    """File an objection inside the notice's window.

    ``actor`` is the household's own user (APPLY on its rating) or None for a villager using the
    notice's public page (who gives a name and a mobile number). The rating becomes 异议中.
    """
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if actor is not None:
        if not can(actor, Action.APPLY, rating):
            raise NotFound()
        kind = ObjectorKind.SUBJECT
        objector_name = objector_name or getattr(actor, "display_name", "") or actor.get_username()  # type: ignore[attr-defined]
    else:
        kind = ObjectorKind.VILLAGER
    if rating.cycle_id != notice.cycle_id or rating.region_code != notice.region_id:
        raise NotFound()
    if not notice_is_open(notice):
        raise Conflict("notice_closed", _("公示期已结束，不能再提出异议"))
    text = (text or "").strip()
    objector_name = (objector_name or "").strip()
    errors: dict[str, list[str]] = {}
    if not 5 <= len(text) <= 2000:
        errors["text"] = [_("请填写异议内容（5至2000字）")]
    if not 1 <= len(objector_name) <= 50:
        errors["objector_name"] = [_("请填写姓名")]
    phone = ""
    if kind == ObjectorKind.VILLAGER or objector_phone:
        result = validate_mobile(objector_phone or "")
        if not result.valid:
            errors["objector_phone"] = [_("请填写有效的手机号码")]
        phone = result.normalized or ""
    items = [str(i)[:64] for i in (items or [])][:20]
    if errors:
        raise ValidationFailed(_("请检查填写的内容"), {"fields": errors})
    if kind == ObjectorKind.VILLAGER:
        _public_objection_limits(notice, phone)
    _check_evidence(evidence)
    current = _current_version(notice.cycle_id, rating)
    now = timezone.now()
    objection = Objection(
        notice=notice,
        rating=current,
        region_code=current.region_code,
        household_id=current.household_id,
        objector_kind=kind,
        objector_name=objector_name,
        objector_phone=phone,
        filed_by=_user(actor),
        text=text,
        items=items,
        received_at=now,
        due_at=now + dt.timedelta(days=OBJECTION_DAYS),
    )
    if evidence is not None:
        objection.evidence = evidence
    objection.save()
    if current.status != RatingStatus.OBJECTED:
        Rating.objects.filter(pk=current.pk).update(status=RatingStatus.OBJECTED)
    audit.record(
        actor=actor,
        action="rating.objection_filed",
        target=objection,
        region_code=current.region_code,
        changes={"rating": current.pk, "objector_kind": kind, "items": items, "status": [current.status, "objected"]},
        reason=_("提出异议"),
        channel=channel,
    )
    return objection


def _public_objection_limits(notice: Notice, phone: str) -> None:
    """Anyone with the public link may object, and an objection withholds a rating: cap the flood.

    Counted under the notice's row lock (taken by ``objection_file``), so concurrent filings see
    each other. Per mobile number per notice, and per notice per hour from the public page; the
    village can still record objections on paper or by the household's own login without limit.
    """
    public = Objection.objects.filter(notice=notice, objector_kind=ObjectorKind.VILLAGER)
    if public.filter(objector_phone=phone).count() >= settings.CV_PUBLIC_OBJECTIONS_PER_PHONE:
        raise TooManyRequests(
            _("同一手机号对本次公示最多提出 %(n)s 条异议；如有更多情况，请到村委会当面反映")
            % {"n": settings.CV_PUBLIC_OBJECTIONS_PER_PHONE}
        )
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    if public.filter(received_at__gte=hour_ago).count() >= settings.CV_PUBLIC_OBJECTIONS_PER_HOUR:
        raise TooManyRequests(_("本次公示的网上异议提交过于频繁，请一小时后再试，或到村委会当面反映"))


def _resting_status(notice: Notice) -> str:
    return RatingStatus.FINAL if notice.status == NoticeStatus.FINALISED else RatingStatus.PRELIMINARY


def _is_township_reviewer(actor: Actor, objection: Objection) -> bool:
    if getattr(actor, "is_superuser", False):
        return True
    return any(
        len(g.prefix) <= 9 and objection.region_code.startswith(g.prefix) and g.household_id is None
        for g in actor.grants_for(Action.DECIDE)
    )


@transaction.atomic
def objection_decide(
    *,
    actor: Actor,
    objection: Objection,
    outcome: str,
    reason: str,
    grade: str = "",
    score: Decimal | None = None,
) -> ObjectionDecision:
    """Uphold (维持) or correct (更正) an objection; a correction writes a new rating version."""
    if not can(actor, Action.DECIDE, objection):
        raise NotFound()
    objection = Objection.objects.select_for_update().select_related("notice").get(pk=objection.pk)
    notice = objection.notice
    if objection.status != ObjectionStatus.OPEN:
        raise Conflict("objection_decided", _("该异议已处理"))
    user_id = getattr(actor, "pk", None)
    if user_id is not None and user_id == notice.published_by_id:
        raise Conflict("same_decider", _("异议须由发布公示以外的人员复核"))
    if objection.level == ReviewLevel.TOWNSHIP:
        if not _is_township_reviewer(actor, objection):
            raise PermissionDenied(_("复议须由乡镇处理"))
        first = objection.decisions.filter(level=ReviewLevel.VILLAGE).first()
        if first is not None and first.decided_by_id == user_id:
            raise Conflict("same_decider", _("复议须由原复核人以外的人员处理"))
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 2000:
        raise ValidationFailed(_("请填写处理理由"), {"field": "reason"})
    if outcome not in (ObjectionStatus.UPHELD, ObjectionStatus.CORRECTED):
        raise ValidationFailed(_("处理结论无效"), {"field": "outcome"})
    current = _current_version(notice.cycle_id, objection.rating)
    others_open = (
        Objection.objects.filter(
            notice__cycle_id=notice.cycle_id,
            rating__subject_type=current.subject_type,
            rating__subject_id=current.subject_id,
            status=ObjectionStatus.OPEN,
        )
        .exclude(pk=objection.pk)
        .exists()
    )
    rest = RatingStatus.OBJECTED if others_open else _resting_status(notice)
    now = timezone.now()
    new_rating: Rating | None = None
    if outcome == ObjectionStatus.CORRECTED:
        grade = (grade or "").strip().upper()
        if grade not in GRADES:
            raise ValidationFailed(_("请选择更正后的信用等级"), {"field": "grade"})
        new_score = current.score if score is None else Decimal(score).quantize(Decimal("0.01"))
        if not Decimal(0) <= new_score <= Decimal(1000):
            raise ValidationFailed(_("得分无效"), {"field": "score"})
        new_rating = Rating.objects.create(
            run=current.run,
            cycle=current.cycle,
            subject_type=current.subject_type,
            subject_id=current.subject_id,
            household_id=current.household_id,
            region_code=current.region_code,
            model_code=current.model_code,
            model_version=current.model_version,
            score=new_score,
            grade=grade,
            credit_subject=grade in CREDIT_GRADES,
            vetoed=current.vetoed,
            status=rest,
            version=current.version + 1,
            supersedes=current,
            reason=reason[:500],
            snapshot_id=current.snapshot_id,
            created_at=now,
        )
        Rating.objects.filter(pk=current.pk).update(status=RatingStatus.SUPERSEDED)
        if rest == RatingStatus.FINAL and new_rating.subject_type == "household":
            Household.objects.filter(pk=new_rating.subject_id).update(grade=grade)
    else:
        Rating.objects.filter(pk=current.pk).update(status=rest)
    decision = ObjectionDecision.objects.create(
        objection=objection,
        level=objection.level,
        outcome=outcome,
        reason=reason,
        new_rating=new_rating,
        decided_by=_user(actor),
        decided_at=now,
    )
    objection.status = outcome
    objection.save(update_fields=["status"])
    final_rating = new_rating or current
    if final_rating.household_id is not None:
        if outcome == ObjectionStatus.CORRECTED:
            text = _("您的信用等级异议已更正：%(old)s → %(new)s。") % {"old": current.grade, "new": final_rating.grade}
        else:
            text = _("您的信用等级异议经复核维持原等级 %(grade)s。") % {"grade": current.grade}
        RatingNotification.objects.create(
            household_id=final_rating.household_id,
            region_code=final_rating.region_code,
            kind=f"objection_{outcome}",
            text=text,
            rating=final_rating,
            objection=objection,
            created_at=now,
        )
    audit.record(
        actor=actor,
        action=f"rating.objection_{outcome}",
        target=objection,
        region_code=objection.region_code,
        changes={
            "level": objection.level,
            "rating": [current.pk, final_rating.pk],
            "grade": [current.grade, final_rating.grade],
        },
        reason=reason,
    )
    return decision


@transaction.atomic
def objection_escalate(*, actor: Actor | None, objection: Objection, reason: str, channel: str = "web") -> Objection:
    """The objector asks the township to review a village decision (once)."""
    if actor is not None and not can(actor, Action.APPLY, objection):
        raise NotFound()
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.status == ObjectionStatus.OPEN:
        raise Conflict("objection_open", _("异议尚在处理中"))
    if objection.level == ReviewLevel.TOWNSHIP or objection.escalated_at is not None:
        raise Conflict("already_escalated", _("每件异议只能申请一次乡镇复议"))
    reason = (reason or "").strip()
    if not 5 <= len(reason) <= 2000:
        raise ValidationFailed(_("请填写复议理由（5至2000字）"), {"field": "reason"})
    now = timezone.now()
    old_status = objection.status
    objection.status = ObjectionStatus.OPEN
    objection.level = ReviewLevel.TOWNSHIP
    objection.escalated_at = now
    objection.escalation_reason = reason
    objection.due_at = now + dt.timedelta(days=OBJECTION_DAYS)
    objection.save(update_fields=["status", "level", "escalated_at", "escalation_reason", "due_at"])
    current = _current_version(objection.notice.cycle_id, objection.rating)
    Rating.objects.filter(pk=current.pk).update(status=RatingStatus.OBJECTED)
    if current.status == RatingStatus.FINAL and current.subject_type == "household":
        # Withheld while under review; the household's registry grade falls back to none.
        Household.objects.filter(pk=current.subject_id).update(grade="")
    audit.record(
        actor=actor,
        action="rating.objection_escalated",
        target=objection,
        region_code=objection.region_code,
        changes={"status": [old_status, "open"], "level": ["village", "township"]},
        reason=reason,
        channel=channel,
    )
    return objection


# --- Final ratings -------------------------------------------------------------------------------------


@dataclass
class FinaliseReport:
    villages: list[str] = field(default_factory=list)
    ratings: int = 0
    blocked: dict[str, str] = field(default_factory=dict)


def cycle_finalise(*, actor: Actor, cycle: RatingCycle, villages: list[str] | None = None) -> FinaliseReport:
    """Make the ratings final (认定) in every village whose notice closed with no open objection."""
    if not can(actor, Action.RATE, cycle):
        raise NotFound()
    notices = Notice.objects.filter(cycle=cycle, kind=NoticeKind.RATING, status=NoticeStatus.PUBLISHED)
    if villages is not None:
        notices = notices.filter(region_id__in=villages)
    report = FinaliseReport()
    for notice in notices.order_by("region_id"):
        try:
            report.ratings += _finalise_village(actor=actor, notice=notice)
            report.villages.append(notice.region_id)
        except DomainError as exc:
            report.blocked[notice.region_id] = exc.message
    if not Notice.objects.filter(cycle=cycle, status=NoticeStatus.PUBLISHED).exists() and report.villages:
        RatingCycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.FINAL, finalised_at=timezone.now())
        audit.record(
            actor=actor,
            action="rating.cycle_finalised",
            target=cycle,
            region_code=cycle.region_id,
            reason=_("评定周期认定完成"),
        )
    return report


@transaction.atomic
def _finalise_village(*, actor: Actor, notice: Notice) -> int:
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != NoticeStatus.PUBLISHED:
        raise Conflict("notice_not_live", _("公示不在有效状态"))
    now = timezone.now()
    if now < notice.ends_at:
        raise Conflict("notice_open", _("公示期尚未结束"))
    if (
        Objection.objects.filter(notice__cycle_id=notice.cycle_id, region_code=notice.region_id)
        .filter(status=ObjectionStatus.OPEN)
        .exists()
    ):
        raise Conflict("objections_open", _("还有未处理的异议"))
    live = Rating.objects.filter(cycle_id=notice.cycle_id, region_code=notice.region_id)
    if live.filter(status=RatingStatus.OBJECTED).exists():
        raise Conflict("objections_open", _("还有未处理的异议"))
    count = live.filter(status=RatingStatus.PRELIMINARY).update(status=RatingStatus.FINAL)
    _registry_grades(cycle_id=notice.cycle_id, village=notice.region_id)
    notice.status = NoticeStatus.FINALISED
    notice.finalised_at = now
    notice.save(update_fields=["status", "finalised_at"])
    audit.record(
        actor=actor,
        action="rating.village_finalised",
        target=notice,
        region_code=notice.region_id,
        changes={"cycle": notice.cycle_id, "ratings": count},
        reason=_("公示期满，评定结果认定"),
    )
    return count


def _registry_grades(*, cycle_id: int, village: str) -> None:
    """Copy the village's final grades of the cycle to ``Household.grade`` (rows whose grade changes only)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE registry_household h SET grade = r.grade FROM rating_rating r "
                "WHERE r.cycle_id = %s AND r.region_code = %s AND r.subject_type = 'household' "
                "AND r.status = 'final' AND h.id = r.subject_id AND h.region_id = %s AND h.grade <> r.grade",
                [cycle_id, village, village],
            )
        return
    final = Rating.objects.filter(
        cycle_id=cycle_id, subject_type="household", subject_id=OuterRef("pk"), status=RatingStatus.FINAL
    ).order_by("-version")
    rated = Rating.objects.filter(
        cycle_id=cycle_id, region_code=village, subject_type="household", status=RatingStatus.FINAL
    ).values("subject_id")
    Household.objects.filter(region_id=village).filter(Q(pk__in=rated)).update(
        grade=Subquery(final.values("grade")[:1])
    )


@transaction.atomic
def notification_read(*, actor: Actor, notification: RatingNotification) -> None:
    if not can(actor, Action.VIEW, notification):
        raise NotFound()
    RatingNotification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
