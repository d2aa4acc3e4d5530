"""Reads of the negative list, adjustments, village notifications and repair applications.

Repaired or expired items are history for audit only: they are never listed to banks, never in
public lists, and by default not listed at all (repair measures, NDRC Order No. 36).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from creditvillage.accounts.roles import Action, Role
from creditvillage.core.identifiers import mask_name, mask_resident_id
from creditvillage.core.scope import Actor, ScopedQuerySet, access, code_range
from creditvillage.rating.adjust.models import RatingAdjustment, RepairApplication, RepairStatus, VillageNotification
from creditvillage.rating.models import NegativeListEntry, Rating
from creditvillage.rating.selectors import negative_hits, negative_list_active
from creditvillage.registry.models import BusinessEntity, Collective, Household, Person

# Roles that review and import the negative list (domain.md: the regulator reviews it).
NEGATIVE_LIST_ROLES = frozenset({Role.ADMIN, Role.REGULATOR})


def may_manage_negative_list(actor: Actor | None) -> bool:
    """Administrators (``configure``) and financial regulators import and read the negative list."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.is_superuser or actor.grants_for(Action.CONFIGURE):
        return True
    return any(grant.role in NEGATIVE_LIST_ROLES for grant in actor.grants_for(Action.VIEW))


def sees_id_numbers(actor: Actor | None) -> bool:
    return actor is not None and (actor.is_superuser or bool(actor.grants_for(Action.VIEW_SENSITIVE)))


def negative_entry_rows(*, actor: Actor | None, include_closed: bool = False, limit: int = 500) -> list[dict[str, Any]]:
    """Negative-list entries for those who manage the list, masked per role.

    Entries naming one of our villagers outside the actor's scope are left out. Repaired and
    expired entries appear only with ``include_closed``. Empty for anybody else.
    """
    if not may_manage_negative_list(actor):
        return []
    queryset: QuerySet[NegativeListEntry] = (
        NegativeListEntry.objects.all() if include_closed else negative_list_active()
    ).order_by("-listed_on", "pk")
    entries = list(queryset[:limit])
    hidden = _numbers_outside_scope(actor, {e.id_number for e in entries})
    full = sees_id_numbers(actor)
    return [
        {
            "entry": entry,
            "id_number": entry.id_number if full else mask_resident_id(entry.id_number),
            "name": entry.name if full else mask_name(entry.name),
        }
        for entry in entries
        if entry.id_number not in hidden
    ]


def _numbers_outside_scope(actor: Actor | None, numbers: set[str]) -> set[str]:
    """Listed numbers that name a person, entity or collective of our archives outside the actor's scope.

    The lists are national, but a listed person who is one of *our* villagers elsewhere is that
    region's business (C5): such entries are left out, like any out-of-scope record.
    """
    hidden: set[str] = set()
    for model, field in ((Person, "id_number"), (BusinessEntity, "uscc"), (Collective, "uscc")):
        lookup = {f"{field}__in": numbers}
        known = set(model.objects.filter(**lookup).values_list(field, flat=True))
        if known:
            seen = set(model.objects.visible_to(actor, Action.VIEW).filter(**lookup).values_list(field, flat=True))
            hidden |= known - seen
    return hidden


def negative_hits_in_scope(*, actor: Actor | None) -> list[dict[str, Any]]:
    """Households in the actor's ``view`` scope hit by an active entry, with the entries' sources."""
    if actor is None or not actor.is_authenticated:
        return []
    prefixes = sorted({g.prefix for g in actor.grants_for(Action.VIEW) if g.household_id is None and g.bank_id is None})
    if actor.is_superuser:
        prefixes = [""]
    hit_ids: dict[int, list[NegativeListEntry]] = {}
    for prefix in prefixes:
        for pk, entries in negative_hits(prefix)["household"].items():
            hit_ids.setdefault(pk, entries)
    households = Household.objects.visible_to(actor, Action.VIEW).filter(pk__in=hit_ids).select_related("region")
    return [
        {"household": h, "sources": sorted({e.source for e in hit_ids[h.pk]})}
        for h in households.order_by("region_id", "number")
    ]


def adjustment_list(*, actor: Actor | None, include_closed: bool = False) -> ScopedQuerySet[RatingAdjustment]:
    """Downgrades in the actor's scope, newest first; repaired/expired ones only for those who ``decide``.

    Bank officers see none: banks learn a downgrade from the current rating only (never repaired items).
    """
    queryset = RatingAdjustment.objects.visible_to(actor, Action.VIEW)
    if include_closed and actor is not None and (actor.is_superuser or actor.grants_for(Action.DECIDE)):
        closed_ok = RatingAdjustment.objects.visible_to(actor, Action.DECIDE).values("pk")
        queryset = queryset.filter(Q(repaired_at__isnull=True, expired_at__isnull=True) | Q(pk__in=closed_ok))
    else:
        queryset = queryset.filter(repaired_at__isnull=True, expired_at__isnull=True)
    return queryset.order_by("-created_at", "-pk")


def notification_list(*, actor: Actor | None, limit: int = 100) -> list[VillageNotification]:
    """Notifications of the villages the actor may change (village and township operators)."""
    queryset = VillageNotification.objects.visible_to(actor, Action.CHANGE)
    return list(queryset.order_by("-created_at", "-pk")[:limit])


def repair_list(*, actor: Actor | None, status: str = "") -> ScopedQuerySet[RepairApplication]:
    """Repair applications the actor may view (a household its own), newest first."""
    queryset = RepairApplication.objects.visible_to(actor, Action.VIEW).select_related("household", "negative_entry")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-applied_at", "-pk")


def access_repair(actor: Actor | None, pk: Any, action: str = Action.VIEW) -> RepairApplication:
    """One repair application, or NotFound (missing and out of scope alike)."""
    return access(
        RepairApplication.objects.select_related("household", "negative_entry", "adjustment"), actor, pk, action
    )


def repairable_items(*, household: Household) -> list[dict[str, Any]]:
    """The household's active negative items it may apply to repair: listed members and downgrades.

    The caller has checked the actor's ``apply`` (or ``view``) on the household.
    """
    numbers = list(Person.objects.filter(household=household).values_list("id_number", flat=True))
    items: list[dict[str, Any]] = [
        {"kind": "entry", "pk": e.pk, "label": f"{e.source}（{e.listed_on:%Y-%m-%d}）"}
        for e in negative_list_active().filter(id_number__in=numbers).order_by("listed_on", "pk")
    ]
    adjustments = RatingAdjustment.objects.filter(
        household_id=household.pk, repaired_at__isnull=True, expired_at__isnull=True, negative_entry__isnull=True
    ).order_by("created_at", "pk")
    items += [
        {"kind": "adjustment", "pk": a.pk, "label": f"{a.get_source_display()}（{a.occurred_on:%Y-%m-%d}）"}
        for a in adjustments
    ]
    return items


def publicity_list(*, actor: Actor | None, region_prefix: str = "") -> list[dict[str, Any]]:
    """Repair applications under publicity in the actor's scope, in the public form: masked name only.

    No ID numbers, phones, money, and never the negative item's basis. Effective (repaired) ones
    are not listed: a repaired item stops being published.
    """
    queryset = repair_list(actor=actor, status=RepairStatus.PUBLICITY)
    if region_prefix:
        lo, hi = code_range(region_prefix)
        queryset = queryset.filter(region_code__gte=lo, region_code__lte=hi)
    return [
        {
            "name": mask_name(r.household.head_name),
            "region_code": r.region_code,
            "starts": r.publicity_starts,
            "ends": r.publicity_ends,
        }
        for r in queryset
    ]


def repaired_rating_ids(subject_ids: list[int], subject_type: str = "household") -> set[int]:
    """Ids of the downgraded rating rows whose item was repaired: never to be shown to banks or in public."""
    rows = RatingAdjustment.objects.filter(
        subject_type=subject_type, subject_id__in=subject_ids, repaired_at__isnull=False
    ).values_list("to_rating_id", flat=True)
    return set(rows)


def rating_for_display(rating: Rating | None) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {"grade": rating.grade, "version": rating.version, "vetoed": rating.vetoed, "status": rating.status}
