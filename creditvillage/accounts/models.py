"""Users, their scoped role assignments, and API tokens."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditvillage.accounts.roles import Role, actions_of
from creditvillage.core.scope import Grant, significant_prefix

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["ApiToken", "LoginThrottle", "RoleAssignment", "User"]


class User(AbstractUser):
    """A person who logs in. What they may see and do comes only from their role assignments."""

    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = models.CharField(_("手机号"), max_length=11, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    # Grants are loaded once per request/instance and cached (NetBox's _object_perm_cache).
    def _grants(self) -> list[tuple[Grant, frozenset[str]]]:
        cached: list[tuple[Grant, frozenset[str]]] | None = getattr(self, "_grant_cache", None)
        if cached is None:
            cached = [
                (a.as_grant(), actions_of(a.role)) for a in self.role_assignments.filter(is_active=True).order_by("pk")
            ]
            self._grant_cache = cached
        return cached

    def grants_for(self, action: str) -> Sequence[Grant]:
        return [grant for grant, actions in self._grants() if action in actions]

    def has_action(self, action: str) -> bool:
        return self.is_superuser or bool(self.grants_for(action))

    @property
    def roles(self) -> list[str]:
        return sorted({grant.role for grant, _actions in self._grants()})

    def forget_grants(self) -> None:
        self.__dict__.pop("_grant_cache", None)


class RoleAssignment(models.Model):
    """A role held by a user over the subtree of a scope region (and, for some roles, one subject)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("管辖区域"), on_delete=models.PROTECT)
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("农户"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    bank = models.ForeignKey("lending.Bank", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region"], name="uniq_role_assignment"),
            models.CheckConstraint(
                condition=~models.Q(role="household") | models.Q(household__isnull=False),
                name="household_role_names_household",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="bank_officer") | models.Q(bank__isnull=False),
                name="bank_role_names_bank",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="merchant") | models.Q(merchant__isnull=False),
                name="merchant_role_names_merchant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region_id}"

    def as_grant(self) -> Grant:
        return Grant(
            role=self.role,
            prefix=significant_prefix(self.region_id),
            household_id=self.household_id,
            bank_id=self.bank_id,
            merchant_id=self.merchant_id,
        )


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; it expires and can be revoked."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"token#{self.pk} {self.user}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now() and self.user.is_active


class LoginThrottle(models.Model):
    """Password checks claimed per username in the current cool-off window (reliability.md C8).

    django-axes counts a failure only *after* the password was checked, so a burst of
    concurrent attempts all pass its "locked out?" test before the first failure is recorded
    (measured: 50 concurrent wrong passwords → 47–50 checked). A claim here is one conditional
    ``UPDATE … SET claimed = claimed + 1 WHERE claimed < limit`` made *before* the check, atomic on
    PostgreSQL and SQLite alike, so at most ``AXES_FAILURE_LIMIT`` checks run per window however
    many arrive at once. See ``creditvillage.accounts.lockout``.
    """

    username = models.CharField(max_length=150, unique=True)
    claimed = models.PositiveIntegerField(default=0)
    last_claim_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("登录限流")
        verbose_name_plural = _("登录限流")

    def __str__(self) -> str:
        return f"{self.username}: {self.claimed}"
