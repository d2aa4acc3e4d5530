"""Writes on accounts: issuing API tokens, granting and revoking roles (never beyond one's scope)."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.models import ApiToken, RoleAssignment, User, hash_token
from creditvillage.accounts.roles import GRANTABLE_ROLES, Action, Role
from creditvillage.core import audit
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.scope import code_range, in_subtree, significant_prefix
from creditvillage.merchants.models import Merchant
from creditvillage.regions.models import Region
from creditvillage.registry.models import Household


@transaction.atomic
def token_issue(*, user: User) -> tuple[str, datetime]:
    """Create a bearer token for an authenticated user; returns the raw token (shown once) and its expiry."""
    raw = secrets.token_urlsafe(32)
    expires_at = timezone.now() + settings.API_TOKEN_TTL
    ApiToken.objects.create(user=user, key_hash=hash_token(raw), expires_at=expires_at)
    audit.record(actor=user, action="token.issued", target=user, channel="api")
    return raw, expires_at


def token_authenticate(raw: str) -> User | None:
    """The live token's user, or None. Touches ``last_used_at`` at most once a minute."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.is_live:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def token_revoke_all(*, user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def _may_grant(actor: User, role: str, region: Region) -> bool:
    if actor.is_superuser:
        return True
    for grant in actor.grants_for(Action.MANAGE_USERS):
        if in_subtree(region.code, grant.prefix) and role in GRANTABLE_ROLES.get(grant.role, frozenset()):
            return True
    return False


def _subject_in_scope(actor: User, region: Region, subject: dict[str, object]) -> bool:
    """A household or merchant named by the grant must lie under ``region`` and in the actor's scope."""
    lo, hi = code_range(significant_prefix(region.code))
    for model, key in ((Household, "household"), (Merchant, "merchant")):
        obj = subject.get(key)
        if obj is None:
            continue
        visible = model.objects.visible_to(actor, Action.MANAGE_USERS)
        if not visible.filter(pk=getattr(obj, "pk", obj), region_id__gte=lo, region_id__lte=hi).exists():
            return False
    return True


@transaction.atomic
def role_assign(
    *, actor: User, user: User, role: str, region: Region, reason: str = "", **subject: object
) -> RoleAssignment:
    """Grant ``role`` over ``region`` to ``user``.

    The actor must manage users in a scope containing ``region`` and hold a role that may grant
    ``role``: nobody grants beyond their own scope or above their own standing.
    """
    if role not in Role.values:
        raise DomainError("unknown_role", _("未知角色：%(role)s") % {"role": role})
    if not actor.is_superuser and not actor.has_action(Action.MANAGE_USERS):
        raise PermissionDenied()
    if not Region.objects.visible_to(actor, Action.MANAGE_USERS).filter(pk=region.pk).exists():
        raise NotFound(_("区域不存在"))
    if not _may_grant(actor, role, region):
        raise PermissionDenied("不能授予超出本人权限或管辖范围的角色")
    if not _subject_in_scope(actor, region, subject):
        raise NotFound(_("农户或商户不存在"))
    assignment = RoleAssignment(user=user, role=role, region=region, granted_by=actor, **subject)
    try:
        assignment.full_clean()
    except DjangoValidationError as exc:
        raise ValidationFailed(_("授权信息不完整或与已有授权重复"), {"fields": exc.message_dict}) from exc
    assignment.save()
    user.forget_grants()
    audit.record(
        actor=actor,
        action="role.assigned",
        target=assignment,
        region_code=region.code,
        changes={"user": user.username, "role": role, "region": region.code},
        reason=reason,
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor: User, assignment: RoleAssignment, reason: str) -> None:
    if not _may_grant(actor, assignment.role, assignment.region):
        raise NotFound(_("授权不存在"))
    RoleAssignment.objects.filter(pk=assignment.pk).update(is_active=False)
    assignment.user.forget_grants()
    audit.record(
        actor=actor,
        action="role.revoked",
        target=assignment,
        region_code=assignment.region_id,
        changes={"user": assignment.user.username, "role": assignment.role},
        reason=reason,
    )


def home_region(user: User) -> Region | None:
    """The widest region the user holds a role over (their landing scope)."""
    codes = sorted(
        {a.region_id for a in user.role_assignments.filter(is_active=True)},
        key=lambda code: len(significant_prefix(code)),
    )
    return Region.objects.filter(pk=codes[0]).first() if codes else None
