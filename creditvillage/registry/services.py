"""Writes on archives. Each is one transaction, re-checks scope, validates, audits."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.roles import Action
from creditvillage.core import audit
from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.identifiers import validate_mobile, validate_resident_id, validate_uscc
from creditvillage.core.scope import Actor, can
from creditvillage.registry.choices import Channel
from creditvillage.registry.models import BusinessEntity, Collective, Household, Person

# Fields of a household an operator or collector may edit directly. Totals (income, assets,
# debts) follow from their detail tables; status and grade follow from verification and rating.
HOUSEHOLD_EDITABLE = (
    "address",
    "phone",
    "main_business",
    "is_low_income",
    "is_monitored",
    "social_notes",
    "group",
    "grid",
)
ENTITY_EDITABLE = (
    "name",
    "uscc",
    "kind",
    "legal_rep_name",
    "legal_rep_id_number",
    "phone",
    "main_business",
    "employees",
    "annual_revenue_fen",
    "assets_fen",
    "debts_fen",
    "founded_on",
)
COLLECTIVE_EDITABLE = (
    "name",
    "uscc",
    "legal_rep_name",
    "members_count",
    "assets_fen",
    "debts_fen",
    "annual_income_fen",
    "operating_income_fen",
)
PERSON_EDITABLE = ("name", "id_number", "relation", "political_status", "education", "occupation", "phone", "health")


def _provenance_entry(actor: Any, channel: str) -> dict[str, Any]:
    return {
        "by": getattr(actor, "pk", None),
        "by_label": str(actor) if actor is not None else "system",
        "at": timezone.now().isoformat(),
        "channel": channel,
    }


def _apply(instance: Any, changes: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, list[Any]]:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationFailed(_("包含不可修改的字段"), {"fields": unknown})
    before = {name: getattr(instance, name) for name in changes}
    for name, value in changes.items():
        setattr(instance, name, value)
    return audit.diff(before, changes)


@transaction.atomic
def household_update(
    *,
    actor: Actor,
    household: Household,
    changes: dict[str, Any],
    reason: str,
    channel: str = Channel.DOOR_TO_DOOR,
) -> Household:
    """Edit a household's own fields; records field provenance and an audit event with the reason.

    Raises NotFound if the actor may not change this household (as if it did not exist),
    ValidationFailed on bad values or a missing reason.
    """
    household = Household.objects.select_for_update().get(pk=household.pk)
    if not can(actor, Action.CHANGE, household):
        raise NotFound()
    if not reason.strip():
        raise ValidationFailed(_("请填写修改原因"), {"field": "reason"})
    if changes.get("phone"):
        result = validate_mobile(str(changes["phone"]))
        if not result.valid:
            raise ValidationFailed(str(result.errors[0].message), {"field": "phone"})
        changes["phone"] = result.normalized
    for key in ("group", "grid"):
        value = changes.get(key)
        if value is not None and value.village_id != household.region_id:
            raise ValidationFailed(_("村民小组或网格不属于本村"), {"field": key})
    changed = _apply(household, changes, HOUSEHOLD_EDITABLE)
    if not changed:
        return household
    _clean(household)
    for name in changed:
        household.field_provenance[name] = _provenance_entry(actor, channel)
    household.version += 1
    household.save()
    audit.record(
        actor=actor,
        action="household.updated",
        target=household,
        region_code=household.region_id,
        changes=changed,
        reason=reason,
        channel=channel,
    )
    return household


@transaction.atomic
def person_update(
    *, actor: Actor, person: Person, changes: dict[str, Any], reason: str, channel: str = Channel.DOOR_TO_DOOR
) -> Person:
    """Edit a household member; a changed ID number is validated and re-derives sex and birth date."""
    person = Person.objects.select_for_update().select_related("household").get(pk=person.pk)
    if not can(actor, Action.CHANGE, person.household):
        raise NotFound()
    if not reason.strip():
        raise ValidationFailed(_("请填写修改原因"), {"field": "reason"})
    if "id_number" in changes:
        result = validate_resident_id(str(changes["id_number"]))
        if not result.valid:
            raise ValidationFailed(str(result.errors[0].message), {"field": "id_number"})
        changes["id_number"] = result.normalized
    changed = _apply(person, changes, PERSON_EDITABLE)
    if "id_number" in changed:
        details = validate_resident_id(person.id_number).details
        person.sex = str(details["sex"])
        person.birth_date = date.fromisoformat(str(details["birth_date"]))
    if not changed:
        return person
    _clean(person)
    for name in changed:
        person.field_provenance[name] = _provenance_entry(actor, channel)
    person.save()
    if "name" in changed and person.relation == "head":
        Household.objects.filter(pk=person.household_id).update(head_name=person.name)
    audit.record(
        actor=actor,
        action="person.updated",
        target=person,
        region_code=person.household.region_id,
        changes=changed,
        reason=reason,
        channel=channel,
    )
    return person


def _normalize_org_identifiers(changes: dict[str, Any]) -> None:
    """Validate and normalise the USCC, a legal representative's ID number and a phone in ``changes``."""
    if "uscc" in changes:
        result = validate_uscc(str(changes["uscc"]))
        if not result.valid:
            raise ValidationFailed(str(result.errors[0].message), {"field": "uscc"})
        changes["uscc"] = result.normalized
    if changes.get("legal_rep_id_number"):
        result = validate_resident_id(str(changes["legal_rep_id_number"]))
        if not result.valid:
            raise ValidationFailed(str(result.errors[0].message), {"field": "legal_rep_id_number"})
        changes["legal_rep_id_number"] = result.normalized
    if changes.get("phone"):
        result = validate_mobile(str(changes["phone"]))
        if not result.valid:
            raise ValidationFailed(str(result.errors[0].message), {"field": "phone"})
        changes["phone"] = result.normalized


def _org_update(
    *, actor: Actor, model: Any, obj: Any, changes: dict[str, Any], allowed: tuple[str, ...], reason: str, channel: str
) -> Any:
    obj = model.objects.select_for_update().get(pk=obj.pk)
    if not can(actor, Action.CHANGE, obj):
        raise NotFound()
    if not reason.strip():
        raise ValidationFailed(_("请填写修改原因"), {"field": "reason"})
    changes = dict(changes)
    _normalize_org_identifiers(changes)
    changed = _apply(obj, changes, allowed)
    if not changed:
        return obj
    _clean(obj)
    for name in changed:
        obj.field_provenance[name] = _provenance_entry(actor, channel)
    obj.save()
    audit.record(
        actor=actor,
        action=f"{model._meta.model_name}.updated",
        target=obj,
        region_code=obj.region_id,
        changes=changed,
        reason=reason,
        channel=channel,
    )
    return obj


@transaction.atomic
def entity_update(
    *,
    actor: Actor,
    entity: BusinessEntity,
    changes: dict[str, Any],
    reason: str,
    channel: str = Channel.DOOR_TO_DOOR,
) -> BusinessEntity:
    """Edit a business entity's archive (新型农业经营主体): USCC, legal representative, scale, money.

    Validates the USCC, the representative's ID number and the phone; records field provenance
    and an audit event with the reason. NotFound when the actor may not change the entity.
    """
    return _org_update(
        actor=actor,
        model=BusinessEntity,
        obj=entity,
        changes=changes,
        allowed=ENTITY_EDITABLE,
        reason=reason,
        channel=channel,
    )


@transaction.atomic
def collective_update(
    *,
    actor: Actor,
    collective: Collective,
    changes: dict[str, Any],
    reason: str,
    channel: str = Channel.DOOR_TO_DOOR,
) -> Collective:
    """Edit a village collective's archive (村集体经济组织); same checks as ``entity_update``."""
    return _org_update(
        actor=actor,
        model=Collective,
        obj=collective,
        changes=changes,
        allowed=COLLECTIVE_EDITABLE,
        reason=reason,
        channel=channel,
    )


def _clean(instance: Any) -> None:
    try:
        instance.full_clean(validate_unique=True)
    except DjangoValidationError as exc:
        raise ValidationFailed(_("数据校验未通过"), {"fields": exc.message_dict}) from exc
