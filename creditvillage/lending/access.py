"""Who may act for which bank where: the lending app's permission helpers (no reads of personal data)."""

from __future__ import annotations

from typing import Any

from creditvillage.accounts.roles import Action, Role
from creditvillage.core.errors import NotFound, PermissionDenied
from creditvillage.core.scope import Actor, Grant, in_subtree, significant_prefix


def bank_grants(actor: Actor | None, action: str = Action.LEND) -> list[Grant]:
    if actor is None or not actor.is_authenticated:
        return []
    return [g for g in actor.grants_for(action) if g.bank_id is not None]


def actor_bank_ids(actor: Actor | None) -> set[int]:
    return {g.bank_id for g in bank_grants(actor) if g.bank_id is not None}


def is_bank_officer(actor: Actor | None) -> bool:
    return bool(bank_grants(actor))


def bank_serves(bank: Any, region_code: str) -> bool:
    """Whether ``region_code`` lies under one of the bank's service regions (服务区域)."""
    return any(in_subtree(region_code, significant_prefix(r.code)) for r in bank.regions.all())


def require_lend(actor: Actor | None, bank: Any, region_code: str) -> None:
    """The actor is an officer of ``bank`` whose scope covers ``region_code``, and the bank serves it.

    No ``lend`` anywhere → 403; anything else out of reach → 404 (as if missing).
    """
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied()
    if actor.is_superuser:
        return
    grants = bank_grants(actor)
    if not grants:
        raise PermissionDenied()
    if not any(g.bank_id == bank.pk and in_subtree(region_code, g.prefix) for g in grants):
        raise NotFound()
    if not bank_serves(bank, region_code):
        raise NotFound()


def require_any_lend(actor: Actor | None) -> None:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied()
    if not actor.is_superuser and not bank_grants(actor):
        raise PermissionDenied()


def household_grant(actor: Actor | None) -> Grant | None:
    """The household role's grant (its own household), if the actor holds one with ``apply``."""
    if actor is None or not actor.is_authenticated:
        return None
    for grant in actor.grants_for(Action.APPLY):
        if grant.household_id is not None:
            return grant
    return None


def village_party_grants(actor: Actor | None) -> list[Grant]:
    """Grants of the village party organisation (村两委, village operator) and the township above it."""
    if actor is None or not actor.is_authenticated:
        return []
    roles = {Role.VILLAGE_OPERATOR, Role.TOWNSHIP_OPERATOR}
    return [g for g in actor.grants_for(Action.CHANGE) if g.role in roles]


def may_recommend(actor: Actor | None, region_code: str) -> bool:
    if actor is not None and actor.is_superuser:
        return True
    return any(in_subtree(region_code, g.prefix) for g in village_party_grants(actor))
