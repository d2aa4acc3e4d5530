"""Reads of archives, always region-scoped, with personal data masked unless the role needs it."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from creditvillage.accounts.roles import Action
from creditvillage.core import audit
from creditvillage.core.identifiers import mask_mobile, mask_resident_id
from creditvillage.core.models import AuditEvent
from creditvillage.core.money import format_yuan
from creditvillage.core.scope import Actor, ScopedQuerySet, access, can, significant_prefix
from creditvillage.regions.selectors import access_region
from creditvillage.registry.choices import ArchiveStatus
from creditvillage.registry.models import BusinessEntity, Collective, Household, Person, consented_household_ids

MAX_SEARCH_LENGTH = 64


def household_list(
    *,
    actor: Actor | None,
    region: str | None = None,
    search: str = "",
    grade: str = "",
    status: str = "",
) -> ScopedQuerySet[Household]:
    """Households the actor may view, optionally under a region, filtered and searched.

    A ``region`` outside the actor's scope raises NotFound, exactly as a missing one would.
    Searching by resident ID number is only offered to roles that may see ID numbers.
    """
    queryset = Household.objects.visible_to(actor, Action.VIEW)
    if region:
        scope = access_region(actor, region)
        lo = scope.code[: len(significant_prefix(scope.code))]
        queryset = queryset.filter(region_id__gte=lo.ljust(12, "0"), region_id__lte=lo.ljust(12, "9"))
    search = search.strip()[:MAX_SEARCH_LENGTH]
    if search:
        condition = Q(head_name__contains=search) | Q(number__startswith=search)
        if len(search) == 18 and actor is not None and _has_action(actor, Action.VIEW_SENSITIVE):
            condition |= Q(pk__in=Person.objects.filter(id_number=search.upper()).values("household_id"))
        queryset = queryset.filter(condition)
    if grade:
        queryset = queryset.filter(grade="" if grade == "none" else grade)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("region").order_by("region_id", "number")


def _has_action(actor: Actor, action: str) -> bool:
    return actor.is_superuser or bool(actor.grants_for(action))


def access_household(actor: Actor | None, pk: Any) -> Household:
    """One household the actor may view; NotFound when missing or out of scope."""
    queryset = Household.objects.select_related("region", "group", "grid", "collected_by").prefetch_related(
        Prefetch("members", queryset=Person.objects.order_by("pk")), "assets", "incomes", "debts", "insurances"
    )
    return access(queryset, actor, pk)


def sees_sensitive(actor: Actor | None, household: Household) -> bool:
    return can(actor, Action.VIEW_SENSITIVE, household)


def _is_bank_reader(actor: Actor | None) -> bool:
    if actor is None or actor.is_superuser:
        return False
    return any(g.bank_id is not None for g in actor.grants_for(Action.VIEW))


def household_archive(actor: Actor | None, pk: Any, *, channel: str = "api") -> dict[str, Any]:
    """The household's whole file as plain data, masked per the actor's role.

    Side effect: a bank officer's read is written to the audit log (domain.md, Privacy rules).
    """
    household = access_household(actor, pk)
    sensitive = sees_sensitive(actor, household)
    if _is_bank_reader(actor):
        audit.record(
            actor=actor,
            action="household.read_by_bank",
            target=household,
            region_code=household.region_id,
            channel=channel,
        )

    def money(fen: int) -> dict[str, Any]:
        return {"fen": fen, "display": format_yuan(fen)} if sensitive else {"fen": None, "display": "***"}

    region = household.region
    return {
        "id": household.pk,
        "number": household.number,
        "region_code": household.region_id,
        "region_name": region.full_name,
        "group": household.group.name if household.group else "",
        "grid": household.grid.name if household.grid else "",
        "head_name": household.head_name,
        "member_count": household.member_count,
        "address": household.address if sensitive else "",
        "phone": household.phone if sensitive else mask_mobile(household.phone),
        "status": household.status,
        "status_display": str(household.get_status_display()),
        "grade": household.grade,
        "annual_income": money(household.annual_income_fen),
        "assets_value": money(household.assets_value_fen),
        "debts": money(household.debts_fen),
        "main_business": household.main_business,
        "is_low_income": household.is_low_income if sensitive else None,
        "is_monitored": household.is_monitored if sensitive else None,
        "sensitive": sensitive,
        "provenance": {
            "collected_by": str(household.collected_by) if household.collected_by else "",
            "collected_at": household.collected_at.isoformat() if household.collected_at else None,
            "channel": household.channel,
            "channel_display": str(household.get_channel_display()),
            "verified_at": household.verified_at.isoformat() if household.verified_at else None,
        },
        "members": [_member(m, sensitive) for m in household.members.all()],
        "assets": [
            {
                "kind": a.kind,
                "kind_display": str(a.get_kind_display()),
                "description": a.description,
                "quantity": str(a.quantity),
                "unit": a.unit,
                "value": money(a.value_fen),
            }
            for a in household.assets.all()
        ]
        if sensitive
        else [],
        "incomes": [
            {
                "year": i.year,
                "source": i.source,
                "source_display": str(i.get_source_display()),
                "amount": money(i.amount_fen),
            }
            for i in household.incomes.all()
        ]
        if sensitive
        else [],
        "debts_detail": [
            {
                "kind": d.kind,
                "kind_display": str(d.get_kind_display()),
                "lender": d.lender,
                "amount": money(d.amount_fen),
                "due_date": d.due_date.isoformat() if d.due_date else None,
                "overdue_days": d.overdue_days,
            }
            for d in household.debts.all()
        ]
        if sensitive
        else [],
        "insurances": [
            {
                "kind": s.kind,
                "kind_display": str(s.get_kind_display()),
                "insurer": s.insurer,
                "insured_amount": money(s.insured_amount_fen),
            }
            for s in household.insurances.all()
        ]
        if sensitive
        else [],
    }


def _member(person: Person, sensitive: bool) -> dict[str, Any]:
    return {
        "id": person.pk,
        "name": person.name,
        "relation": person.relation,
        "relation_display": str(person.get_relation_display()),
        "sex": person.sex,
        "sex_display": str(person.get_sex_display()),
        "birth_date": person.birth_date.isoformat() if sensitive else f"{person.birth_date.year}年",
        "id_number": person.id_number if sensitive else mask_resident_id(person.id_number),
        "phone": person.phone if sensitive else mask_mobile(person.phone),
        "political_status": person.political_status,
        "political_status_display": str(person.get_political_status_display()),
        "education_display": str(person.get_education_display()) if person.education else "",
        "occupation": person.occupation,
        "health_display": str(person.get_health_display()) if sensitive else "",
    }


def entity_list(*, actor: Actor | None) -> QuerySet[BusinessEntity]:
    return BusinessEntity.objects.visible_to(actor, Action.VIEW).select_related("region").order_by("region_id", "name")


def collective_list(*, actor: Actor | None) -> QuerySet[Collective]:
    return Collective.objects.visible_to(actor, Action.VIEW).select_related("region").order_by("region_id")


# --- Reads for the web pages (home tasks, list rows, history) ---------------------------------


def household_rows(*, actor: Actor | None, households: list[Household]) -> list[dict[str, Any]]:
    """One page of the household list as rows with the phone masked per household.

    Whether a row shows the phone in full depends on the actor's grants *for that household's
    region* (a county regulator who is also a village's collector sees that village's phones
    only). One query for the whole page, whatever its size.
    """
    ids = [h.pk for h in households]
    sensitive = Household.objects.visible_to(actor, Action.VIEW_SENSITIVE).filter(pk__in=ids).order_by()
    open_ids = set(sensitive.values_list("pk", flat=True))
    return [
        {
            "household": h,
            "phone": h.phone if h.pk in open_ids else mask_mobile(h.phone),
            "sensitive": h.pk in open_ids,
        }
        for h in households
    ]


def may_search_id_numbers(actor: Actor | None) -> bool:
    """Whether ``household_list`` will match a full resident ID number for this actor."""
    return actor is not None and _has_action(actor, Action.VIEW_SENSITIVE)


def households_to_collect(*, actor: Actor | None, limit: int = 8) -> tuple[int, list[Household]]:
    """Households the actor may edit whose archive is still being collected (采集中): count, first few."""
    queryset = (
        Household.objects.visible_to(actor, Action.CHANGE)
        .filter(status=ArchiveStatus.COLLECTING)
        .select_related("region")
        .order_by("region_id", "number")
    )
    return queryset.count(), list(queryset[:limit])


def own_households(*, actor: Actor | None) -> list[Household]:
    """The households a household user holds their role for (normally exactly one)."""
    if actor is None:
        return []
    ids = [g.household_id for g in actor.grants_for(Action.VIEW) if g.household_id is not None]
    if not ids:
        return []
    return list(Household.objects.visible_to(actor, Action.VIEW).filter(pk__in=ids).select_related("region"))


def consented_household_count(*, actor: Actor | None) -> int:
    """Households in the actor's scope with an active consent naming one of the actor's banks."""
    if actor is None:
        return 0
    bank_ids = {g.bank_id for g in actor.grants_for(Action.VIEW) if g.bank_id is not None}
    if not bank_ids:
        return 0
    consented = Q()
    for bank_id in bank_ids:
        consented |= Q(pk__in=consented_household_ids(bank_id))
    return Household.objects.visible_to(actor, Action.VIEW).filter(consented).count()


def access_person(actor: Actor | None, household_pk: Any, person_pk: Any, action: str = Action.VIEW) -> Person:
    """One member of one household, if the actor may ``action`` it; NotFound otherwise."""
    queryset = Person.objects.select_related("household", "household__region").filter(household_id=household_pk)
    return access(queryset, actor, person_pk, action)


HISTORY_SENSITIVE_FIELDS = frozenset(
    {"phone", "address", "id_number", "is_low_income", "is_monitored", "social_notes", "health"}
)


def household_history(actor: Actor | None, household: Household, limit: int = 50) -> list[AuditEvent] | None:
    """Audit events of the household and its members, newest first; None if the actor may not read them.

    Readable with ``audit`` (督查) or ``change`` (those who edit the archive answer for it).
    Values of sensitive fields are masked for an actor who may not see them unmasked.
    """
    if not (can(actor, Action.AUDIT, household) or can(actor, Action.CHANGE, household)):
        return None
    member_ids = [str(pk) for pk in Person.objects.filter(household_id=household.pk).values_list("pk", flat=True)]
    events = list(
        AuditEvent.objects.filter(
            Q(target_type="registry.household", target_id=str(household.pk))
            | Q(target_type="registry.person", target_id__in=member_ids)
        ).order_by("-created_at", "-pk")[:limit]
    )
    if not sees_sensitive(actor, household):
        for event in events:
            event.changes = {
                name: ["***", "***"] if name in HISTORY_SENSITIVE_FIELDS else values
                for name, values in event.changes.items()
            }
    return events
