"""Reads of ratings and the negative list."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import QuerySet
from django.utils import timezone

from creditvillage.core.scope import code_range
from creditvillage.rating.models import NegativeListEntry, Rating, RatingStatus
from creditvillage.registry.models import BusinessEntity, Collective, Person


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
