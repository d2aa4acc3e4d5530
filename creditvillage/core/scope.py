"""Region scope: the one door every read of regional data goes through.

A user's role assignments each carry a *scope region*; a region's subtree is a prefix of the
12-digit statistical division code (province 2 digits, city 4, county 6, township 9, village 12),
so "everything under this township" is one indexed range query on the code column.

``ScopedQuerySet.visible_to(actor, action)`` is the choke point (NetBox's ``restrict``):
superusers see everything; an actor without the action sees nothing; otherwise the rows are
filtered by the union of the actor's grants. Nothing else builds scope filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q

from creditvillage.core.errors import NotFound

if TYPE_CHECKING:
    from collections.abc import Sequence

CODE_LENGTH = 12
_M = TypeVar("_M", bound=models.Model)


def code_range(prefix: str) -> tuple[str, str]:
    """The inclusive range of 12-digit codes under ``prefix`` (``"3415"`` → 341500000000..341599999999)."""
    return prefix.ljust(CODE_LENGTH, "0"), prefix.ljust(CODE_LENGTH, "9")


def significant_prefix(code: str) -> str:
    """``341502204000`` → ``341502204``: the digits that identify the region and its subtree."""
    for length in (2, 4, 6, 9):
        if code[length:].strip("0") == "":
            return code[:length]
    return code


def in_subtree(code: str, prefix: str) -> bool:
    return code.startswith(prefix)


@dataclass(frozen=True)
class Grant:
    """One role assignment as the scope machinery sees it."""

    role: str
    prefix: str  # significant prefix of the scope region's code
    household_id: int | None = None  # household role: only this household
    bank_id: int | None = None  # bank officer: only consented subjects
    merchant_id: int | None = None  # merchant: only this merchant's records


class Actor(Protocol):
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_superuser(self) -> bool: ...

    def grants_for(self, action: str) -> Sequence[Grant]: ...


class ScopedModel(models.Model):
    """Abstract base for every model holding regional data.

    Subclasses name the lookup that leads to the 12-digit region code (``scope_region_field``)
    and, where a household or bank narrows the grant, the lookups for that.
    """

    scope_region_field: str = "region_id"
    scope_household_field: str | None = None  # lookup equal to a household's pk
    scope_open_to_banks: bool = False  # True: a bank grant sees rows by region alone
    scope_open_to_merchants: bool = False

    class Meta:
        abstract = True

    @classmethod
    def scope_q(cls, grant: Grant) -> Q | None:
        """The rows one grant reveals, or None when it reveals none of this model."""
        lo, hi = code_range(grant.prefix)
        q = Q(**{f"{cls.scope_region_field}__gte": lo, f"{cls.scope_region_field}__lte": hi})
        if grant.household_id is not None:
            if cls.scope_household_field is None:
                return None
            q &= Q(**{cls.scope_household_field: grant.household_id})
        if grant.bank_id is not None:
            bank_q = cls.scope_bank_q(grant.bank_id)
            if bank_q is None:
                return None
            q &= bank_q
        if grant.merchant_id is not None and not cls.scope_open_to_merchants:
            return None
        return q

    @classmethod
    def scope_bank_q(cls, bank_id: int) -> Q | None:
        """Banks see personal archives only under consent; models override this to say how."""
        return Q() if cls.scope_open_to_banks else None


class ScopedQuerySet(models.QuerySet[_M]):
    def visible_to(self, actor: Actor | None, action: str = "view") -> ScopedQuerySet[_M]:
        """Rows of this queryset that ``actor`` may ``action``. Never raises; may be empty."""
        if actor is None or not actor.is_authenticated:
            return self.none()
        if actor.is_superuser:
            return self
        scope_q = getattr(self.model, "scope_q", None)
        if scope_q is None:  # pragma: no cover - a programming error, caught by tests
            raise TypeError(f"{self.model.__name__} is not a ScopedModel")
        combined: Q | None = None
        for grant in actor.grants_for(action):
            q = scope_q(grant)
            if q is not None:
                combined = q if combined is None else combined | q
        if combined is None:
            return self.none()
        return self.filter(combined)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def access(queryset: ScopedQuerySet[_M], actor: Actor | None, pk: Any, action: str = "view") -> _M:
    """The object ``pk`` if ``actor`` may ``action`` it; otherwise NotFound, exactly as if missing."""
    try:
        return queryset.visible_to(actor, action).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def can(actor: Actor | None, action: str, obj: models.Model) -> bool:
    """Whether ``actor`` may ``action`` the *stored* row of ``obj`` (not the in-memory instance)."""
    manager = type(obj)._default_manager
    queryset = manager.all()
    if not isinstance(queryset, ScopedQuerySet):  # pragma: no cover
        raise TypeError(f"{type(obj).__name__} is not scoped")
    return queryset.visible_to(actor, action).filter(pk=obj.pk).exists()
