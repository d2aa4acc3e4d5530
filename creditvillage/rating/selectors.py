"""Reads of ratings and the negative list."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from creditvillage.accounts.roles import Action
from creditvillage.core.errors import DomainError
from creditvillage.core.identifiers import mask_mobile, mask_name
from creditvillage.core.scope import Actor, access, code_range, significant_prefix
from creditvillage.rating.models import (
    NegativeListEntry,
    Notice,
    NoticeKind,
    NoticeStatus,
    Objection,
    ObjectionStatus,
    Rating,
    RatingCycle,
    RatingNotification,
    RatingStatus,
    SubjectType,
)
from creditvillage.regions.models import Region
from creditvillage.registry.models import BusinessEntity, Collective, Household, Person

logger = logging.getLogger(__name__)


def negative_list_active(on: dt.date | None = None) -> QuerySet[NegativeListEntry]:
    """Entries in force on ``on`` (today by default): not expired, not repaired."""
    day = on or timezone.localdate()
    return NegativeListEntry.objects.filter(listed_on__lte=day, expires_on__gt=day, repaired_at__isnull=True)


def negative_hits(region_prefix: str, on: dt.date | None = None) -> dict[str, dict[int, list[NegativeListEntry]]]:
    """Active negative-list entries hitting subjects under ``region_prefix``, by subject type and id.

    A household is hit when any of its members' resident ID numbers is listed; an entity or a
    collective when its USCC is. ``{"household": {pk: [entry, ...]}, "entity": {...}, "collective": {...}}``.
    For scoring only (the caller's scope was checked when the run was started): the entries are
    national lists and carry no region.
    """
    lo, hi = code_range(region_prefix)
    listed = negative_list_active(on).values("id_number")
    matches: dict[str, list[tuple[str, int]]] = {}
    matches["household"] = list(
        Person.objects.filter(household__region_id__gte=lo, household__region_id__lte=hi, id_number__in=listed)
        .values_list("id_number", "household_id")
        .distinct()
    )
    for kind, model in (("entity", BusinessEntity), ("collective", Collective)):
        matches[kind] = list(
            model.objects.filter(region_id__gte=lo, region_id__lte=hi, uscc__in=listed).values_list("uscc", "pk")
        )
    numbers = {number for pairs in matches.values() for number, _pk in pairs}
    entries: dict[str, list[NegativeListEntry]] = defaultdict(list)
    for entry in negative_list_active(on).filter(id_number__in=numbers).order_by("listed_on", "pk"):
        entries[entry.id_number].append(entry)
    hits: dict[str, dict[int, list[NegativeListEntry]]] = {kind: {} for kind in matches}
    for kind, pairs in matches.items():
        for number, pk in pairs:
            hits[kind].setdefault(pk, []).extend(entries[number])
    return hits


def current_rating(*, subject_type: str, subject_id: int) -> Rating | None:
    """The subject's current grade: its latest *final* rating (never a preliminary or superseded one).

    Unscoped: callers check the actor's access to the subject first.
    """
    return (
        Rating.objects.filter(subject_type=subject_type, subject_id=subject_id, status=RatingStatus.FINAL)
        .order_by("-created_at", "-pk")
        .first()
    )


def current_household_ratings(region_prefix: str) -> dict[int, Rating]:
    """The current (final) rating of every rated household under ``region_prefix``, by household id."""
    lo, hi = code_range(region_prefix)
    out: dict[int, Rating] = {}
    rows = Rating.objects.filter(
        subject_type="household", status=RatingStatus.FINAL, region_code__gte=lo, region_code__lte=hi
    ).order_by("subject_id", "-created_at", "-pk")
    for rating in rows:
        out.setdefault(rating.subject_id, rating)
    return out


# --- The rating cycle (issue 5): cycles, notices, objections, the household's own view -------------

NOTICE_SALT = "creditvillage.rating.notice"
ANOMALY_SHIFT = 0.3  # total-variation distance from last year's final distribution that is flagged


def access_cycle(actor: Actor | None, pk: Any, action: str = Action.VIEW) -> RatingCycle:
    return access(RatingCycle.objects.select_related("region"), actor, pk, action)


def cycle_list(actor: Actor | None) -> QuerySet[RatingCycle]:
    return RatingCycle.objects.visible_to(actor, Action.VIEW).select_related("region").order_by("-year", "region_id")


def _distribution(rows: Iterable[tuple[str, str, int]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for code, grade, n in rows:
        out[code][grade] = out[code].get(grade, 0) + n
    return out


def _shift(now: dict[str, int], before: dict[str, int]) -> float:
    a, b = sum(now.values()), sum(before.values())
    if not a or not b:
        return 0.0
    grades = set(now) | set(before)
    return 0.5 * sum(abs(now.get(g, 0) / a - before.get(g, 0) / b) for g in grades)


@dataclass
class VillageReview:
    code: str
    name: str
    counts: dict[str, int]
    total: int
    last_year: dict[str, int]
    shift: float
    anomalies: list[str]
    notice: Notice | None = None
    objections_open: int = 0


def cycle_review(actor: Actor | None, cycle: RatingCycle) -> list[VillageReview]:
    """Grade distribution per village of the cycle's current ratings, beside last year's final one.

    Flags a village where every subject is AAA, and a village whose distribution moved by more
    than ``ANOMALY_SHIFT`` (total-variation distance) from its previous final distribution.
    """
    visible = Rating.objects.visible_to(actor, Action.VIEW_STATS)
    current = (
        visible.filter(cycle=cycle)
        .exclude(status=RatingStatus.SUPERSEDED)
        .order_by()
        .values_list("region_code", "grade")
        .annotate(n=Count("pk"))
    )
    lo, hi = code_range(significant_prefix(cycle.region_id))
    last = (
        visible.filter(cycle__year=cycle.year - 1, status=RatingStatus.FINAL, region_code__gte=lo, region_code__lte=hi)
        .order_by()
        .values_list("region_code", "grade")
        .annotate(n=Count("pk"))
    )
    now_dist, last_dist = _distribution(current), _distribution(last)
    names = dict(Region.objects.filter(code__in=list(now_dist)).values_list("code", "name"))
    notices = {
        n.region_id: n
        for n in Notice.objects.filter(cycle=cycle).exclude(status=NoticeStatus.SUPERSEDED).order_by("version")
    }
    open_counts = dict(
        Objection.objects.filter(notice__cycle=cycle, status=ObjectionStatus.OPEN)
        .order_by()
        .values("region_code")
        .annotate(n=Count("pk"))
        .values_list("region_code", "n")
    )
    out = []
    for code in sorted(now_dist):
        counts = now_dist[code]
        total = sum(counts.values())
        shift = _shift(counts, last_dist.get(code, {}))
        anomalies = []
        if total >= 3 and counts.get("AAA", 0) == total:
            anomalies.append(str(_("全村均为AAA")))
        if shift > ANOMALY_SHIFT:
            anomalies.append(str(_("与上年认定分布差异较大（%(pct)d%%）") % {"pct": round(shift * 100)}))
        out.append(
            VillageReview(
                code=code,
                name=names.get(code, code),
                counts={g: counts.get(g, 0) for g in GRADE_ORDER if counts.get(g)},
                total=total,
                last_year={g: last_dist.get(code, {}).get(g, 0) for g in GRADE_ORDER if last_dist.get(code, {}).get(g)},
                shift=shift,
                anomalies=anomalies,
                notice=notices.get(code),
                objections_open=open_counts.get(code, 0),
            )
        )
    return out


GRADE_ORDER = ["AAA", "AA", "A", "B", "C", "D"]


def notice_token(notice: Notice) -> str:
    return signing.dumps({"n": notice.pk, "e": int(notice.ends_at.timestamp())}, salt=NOTICE_SALT, compress=True)


def notice_public_path(notice: Notice, page: str = "rating:notice-public", token: str = "") -> str:
    """The public page's path with its signed token in the query string (paths are logged, queries not)."""
    return f"{reverse(page)}?{urlencode({'t': token or notice_token(notice)})}"


def notice_from_token(token: str, now: dt.datetime | None = None) -> Notice | None:
    """The live notice a public link names, or None (bad signature, superseded, expired)."""
    try:
        data = signing.loads(token, salt=NOTICE_SALT)
        pk, ends = int(data["n"]), int(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    notice = Notice.objects.select_related("region", "cycle").filter(pk=pk).first()
    now = now or timezone.now()
    if notice is None or int(notice.ends_at.timestamp()) != ends or notice.status != NoticeStatus.PUBLISHED:
        return None
    if not notice.starts_at <= now < notice.ends_at:
        return None
    return notice


def notice_list(actor: Actor | None, region: str | None = None, *, live_only: bool = True) -> QuerySet[Notice]:
    """Notices the actor may see (under ``region`` if given: NotFound when out of scope)."""
    queryset = Notice.objects.visible_to(actor, Action.VIEW).select_related("region", "cycle")
    if region:
        from creditvillage.regions.selectors import access_region

        code = access_region(actor, region).code
        lo, hi = code_range(significant_prefix(code))
        queryset = queryset.filter(region_id__gte=lo, region_id__lte=hi)
    if live_only:
        now = timezone.now()
        queryset = queryset.filter(status=NoticeStatus.PUBLISHED, starts_at__lte=now, ends_at__gt=now)
    return queryset.order_by("region_id", "-version")


def access_notice(actor: Actor | None, pk: Any) -> Notice:
    return access(Notice.objects.select_related("region", "cycle"), actor, pk, Action.VIEW)


def notice_ratings(notice: Notice) -> QuerySet[Rating]:
    """The notice's subjects: the cycle's live ratings in its village (unscoped: the caller checked)."""
    return (
        Rating.objects.filter(cycle_id=notice.cycle_id, region_code=notice.region_id)
        .exclude(status=RatingStatus.SUPERSEDED)
        .order_by("subject_type", "subject_id")
    )


def _subject_names(ratings: list[Rating]) -> dict[tuple[str, int], tuple[str, str]]:
    """(masked or entity name, villager group) per subject."""
    ids: dict[str, list[int]] = defaultdict(list)
    for r in ratings:
        ids[r.subject_type].append(r.subject_id)
    out: dict[tuple[str, int], tuple[str, str]] = {}
    households = Household.objects.filter(pk__in=ids.get("household", [])).values_list(
        "pk", "head_name", "group__name", "number"
    )
    for pk, name, group, _number in households:
        out[("household", pk)] = (mask_name(name), group or "")
    for kind, model in (("entity", BusinessEntity), ("collective", Collective)):
        for pk, name in model.objects.filter(pk__in=ids.get(kind, [])).values_list("pk", "name"):
            out[(kind, pk)] = (name, "")
    return out


def notice_rows(notice: Notice) -> list[dict[str, Any]]:
    """The public list: masked name, villager group, subject type, grade. Nothing else (privacy rules).

    Objections are never shown publicly: a rating under objection is listed with its grade.
    """
    ratings = list(notice_ratings(notice).only("pk", "subject_type", "subject_id", "grade"))
    names = _subject_names(ratings)
    labels = dict(SubjectType.choices)
    rows = [
        {
            "rating_id": r.pk,
            "name": names.get((r.subject_type, r.subject_id), ("—", ""))[0],
            "group": names.get((r.subject_type, r.subject_id), ("—", ""))[1],
            "subject_type": labels.get(r.subject_type, r.subject_type),
            "grade": r.grade,
        }
        for r in ratings
    ]
    rows.sort(key=lambda row: (row["group"], row["subject_type"], row["name"]))
    return rows


def notice_grade_counts(notice: Notice) -> dict[str, int]:
    counts = dict(notice_ratings(notice).order_by().values("grade").annotate(n=Count("pk")).values_list("grade", "n"))
    return {g: counts[g] for g in GRADE_ORDER if g in counts}


def _withhold_objected(actor: Actor | None, queryset: QuerySet[Rating]) -> QuerySet[Rating]:
    """A rating under objection is seen only through grants other than a bank's (withheld from banks)."""
    if actor is None or getattr(actor, "is_superuser", False):
        return queryset
    allowed = Q(pk__in=[])
    for grant in actor.grants_for(Action.VIEW):
        if grant.bank_id is None and (q := Rating.scope_q(grant)) is not None:
            allowed |= q
    return queryset.filter(~Q(status=RatingStatus.OBJECTED) | allowed)


def rating_list(actor: Actor | None, *, region: str | None = None, status: str = "") -> QuerySet[Rating]:
    """Ratings the actor may see; a rating under objection is withheld from bank officers."""
    queryset = _withhold_objected(actor, Rating.objects.visible_to(actor, Action.VIEW)).exclude(
        status=RatingStatus.SUPERSEDED
    )
    if region:
        from creditvillage.regions.selectors import access_region

        code = access_region(actor, region).code
        lo, hi = code_range(significant_prefix(code))
        queryset = queryset.filter(region_code__gte=lo, region_code__lte=hi)
    if status == RatingStatus.PRELIMINARY:
        queryset = queryset.filter(status__in=[RatingStatus.PRELIMINARY, RatingStatus.OBJECTED])
    elif status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("region_code", "subject_type", "subject_id", "-version")


def access_objection(actor: Actor | None, pk: Any, action: str = Action.VIEW) -> Objection:
    return access(Objection.objects.select_related("notice", "notice__region", "rating"), actor, pk, action)


def objection_list(actor: Actor | None, *, open_only: bool = False, action: str = Action.VIEW) -> QuerySet[Objection]:
    queryset = Objection.objects.visible_to(actor, action).select_related("notice__region", "rating")
    if open_only:
        queryset = queryset.filter(status=ObjectionStatus.OPEN)
    return queryset.order_by("due_at", "pk")


def objection_view(actor: Actor | None, objection: Objection) -> dict[str, Any]:
    """An objection for display: the objector's phone masked unless the actor sees it in full."""
    sensitive = bool(objection.household_id is None or _sees_household(actor, objection.household_id))
    decisions = list(objection.decisions.select_related("new_rating", "decided_by").order_by("decided_at"))
    names = _subject_names([objection.rating])
    return {
        "objection": objection,
        "subject_name": names.get((objection.rating.subject_type, objection.rating.subject_id), ("—", ""))[0],
        "phone": objection.objector_phone if sensitive else mask_mobile(objection.objector_phone),
        "decisions": decisions,
        "overdue": objection.status == ObjectionStatus.OPEN and objection.due_at < timezone.now(),
        "current": Rating.objects.filter(
            cycle_id=objection.rating.cycle_id,
            subject_type=objection.rating.subject_type,
            subject_id=objection.rating.subject_id,
        )
        .exclude(status=RatingStatus.SUPERSEDED)
        .order_by("-version")
        .first(),
    }


def _sees_household(actor: Actor | None, household_id: int) -> bool:
    return Household.objects.visible_to(actor, Action.VIEW_SENSITIVE).filter(pk=household_id).exists()


def rating_history(actor: Actor | None, *, subject_type: str, subject_id: int) -> list[Rating]:
    """Every rating of a subject the actor may see, newest first (versions and cycles)."""
    return list(
        _withhold_objected(actor, Rating.objects.visible_to(actor, Action.VIEW))
        .filter(subject_type=subject_type, subject_id=subject_id)
        .select_related("cycle")
        .order_by("-created_at", "-version", "-pk")
    )


def explain(actor: Actor | None, rating: Rating | None) -> dict[str, Any] | None:
    """The scoring engine's explanation of a rating (points per indicator, vetoes, next grade)."""
    if rating is None:
        return None
    try:
        from creditvillage.scoring import selectors as scoring_selectors
    except ImportError:  # pragma: no cover - the scoring app is installed
        return None
    explain_rating = getattr(scoring_selectors, "explain_rating", None)
    if explain_rating is None:
        return None
    try:
        result = explain_rating(actor, rating)
    except DomainError:  # e.g. a rating whose model version no longer exists
        return None
    except Exception:  # noqa: BLE001 - an explanation must never break the household's page
        logger.exception("explain_rating failed for rating %s", rating.pk)
        return None
    return result if isinstance(result, dict) else getattr(result, "__dict__", None)


def household_overview(actor: Actor | None, household: Household) -> dict[str, Any]:
    """A household's own rating page: current grade, its explanation, this cycle's notice and rating,
    its objections, notifications and history."""
    ratings = rating_history(actor, subject_type="household", subject_id=household.pk)
    final = next((r for r in ratings if r.status == RatingStatus.FINAL), None)
    live = next((r for r in ratings if r.status in (RatingStatus.PRELIMINARY, RatingStatus.OBJECTED)), None)
    now = timezone.now()
    notice = None
    if live is not None:
        notice = (
            Notice.objects.filter(cycle_id=live.cycle_id, region_id=household.region_id, kind=NoticeKind.RATING)
            .exclude(status=NoticeStatus.SUPERSEDED)
            .order_by("-version")
            .first()
        )
    return {
        "household": household,
        "current": final,
        "explanation": explain(actor, final),
        "pending": live,
        "pending_explanation": explain(actor, live) if live else None,
        "notice": notice,
        "notice_open": bool(
            notice and notice.status == NoticeStatus.PUBLISHED and notice.starts_at <= now < notice.ends_at
        ),
        "notice_url": notice_public_path(notice)
        if notice and notice.status == NoticeStatus.PUBLISHED and notice.ends_at > now
        else "",
        "objections": [objection_view(actor, o) for o in objection_list(actor).filter(household_id=household.pk)],
        "notifications": list(
            RatingNotification.objects.visible_to(actor, Action.VIEW)
            .filter(household_id=household.pk)
            .order_by("-created_at")[:20]
        ),
        "history": ratings,
    }
