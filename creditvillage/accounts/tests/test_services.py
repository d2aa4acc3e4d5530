"""accounts/services.py: nobody grants beyond their own scope or above their standing; every grant is audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from creditvillage.accounts import services
from creditvillage.accounts.models import ApiToken, RoleAssignment, User
from creditvillage.core.errors import DomainError, NotFound, PermissionDenied
from creditvillage.core.models import AuditEvent
from tests.fixtures import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db: None) -> User:
    return User.objects.create_user(username="newcomer", password="cv-test-password-1")


def rows() -> tuple[int, int]:
    return RoleAssignment.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize(
    ("actor", "role", "region"),
    [
        ("township_operator", "collector", "341502204201"),  # a village under their township
        ("township_operator", "village_operator", "341502204202"),
        ("township_operator", "township_operator", "341502204"),  # a peer in their own township
        ("village_operator", "collector", "341502204201"),
        ("village_operator", "evaluator", "341502204201"),
        ("admin", "auditor", "341502"),
        ("admin", "township_operator", "341502101"),
        ("superuser", "admin", "34"),
    ],
)
def test_grants_inside_scope_and_standing_are_made_and_audited(
    world: World, newcomer: User, actor: str, role: str, region: str
) -> None:
    granter = world.users[actor]
    assignment = services.role_assign(
        actor=granter, user=newcomer, role=role, region=world.region(region), reason="新任"
    )
    assert RoleAssignment.objects.get(user=newcomer) == assignment
    assert assignment.granted_by == granter
    event = AuditEvent.objects.get(action="role.assigned")
    assert event.actor == granter
    assert event.target_type == "accounts.roleassignment"
    assert event.target_id == str(assignment.pk)
    assert event.region_code == world.region(region).code
    assert event.changes == {"user": "newcomer", "role": role, "region": world.region(region).code}
    assert event.reason == "新任"
    newcomer.forget_grants()
    assert newcomer.roles == [role]


@pytest.mark.parametrize(
    ("actor", "role", "region", "error"),
    [
        # beyond their scope: the region answers as if it did not exist
        ("township_operator", "collector", "341502101201", NotFound),  # sibling township's village
        ("township_operator", "collector", "341181100201", NotFound),  # other city
        ("township_operator", "township_operator", "341502", NotFound),  # their parent county
        ("village_operator", "collector", "341502204202", NotFound),  # sibling village
        ("sibling_township_operator", "collector", "341502204201", NotFound),
        # above their standing: inside scope, but a role they may not hand out
        ("township_operator", "admin", "341502204", PermissionDenied),
        ("township_operator", "regulator", "341502204", PermissionDenied),
        ("township_operator", "auditor", "341502204201", PermissionDenied),
        ("township_operator", "bank_officer", "341502204", PermissionDenied),
        ("village_operator", "village_operator", "341502204201", PermissionDenied),
        ("village_operator", "township_operator", "341502204201", PermissionDenied),
        # no right to manage users at all
        ("collector", "collector", "341502204201", PermissionDenied),
        ("regulator", "collector", "341502204201", PermissionDenied),
        ("auditor", "collector", "341502204201", PermissionDenied),
        ("household", "household", "341502204201", PermissionDenied),
        ("nobody", "collector", "341502204201", PermissionDenied),
    ],
)
def test_grants_beyond_scope_or_standing_are_refused_and_change_nothing(
    world: World, newcomer: User, actor: str, role: str, region: str, error: type[DomainError]
) -> None:
    before = rows()
    subject: dict[str, Any] = {"household": world.household("341502204201")} if role == "household" else {}
    if role == "bank_officer":
        subject = {"bank": world.bank}
    with pytest.raises(error):
        services.role_assign(actor=world.users[actor], user=newcomer, role=role, region=world.region(region), **subject)
    assert rows() == before
    assert not RoleAssignment.objects.filter(user=newcomer).exists()


def test_unknown_role_is_refused(world: World, newcomer: User) -> None:
    before = rows()
    with pytest.raises(DomainError) as caught:
        services.role_assign(actor=world.users["superuser"], user=newcomer, role="emperor", region=world.region("34"))
    assert caught.value.code == "unknown_role"
    assert rows() == before


def test_an_inactive_assignment_grants_no_granting_power(world: World, newcomer: User) -> None:
    RoleAssignment.objects.filter(user=world.users["township_operator"]).update(is_active=False)
    operator = User.objects.get(pk=world.users["township_operator"].pk)
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=operator, user=newcomer, role="collector", region=world.region("341502204201"))


def test_revoke_inside_scope_is_audited(world: World) -> None:
    assignment = RoleAssignment.objects.get(user=world.users["collector"])
    services.role_revoke(actor=world.users["township_operator"], assignment=assignment, reason="离任")
    assignment.refresh_from_db()
    assert not assignment.is_active
    event = AuditEvent.objects.get(action="role.revoked")
    assert (event.actor, event.reason, event.region_code) == (world.users["township_operator"], "离任", "341502204201")
    collector = User.objects.get(pk=world.users["collector"].pk)
    assert collector.roles == []


def test_revoke_outside_scope_is_not_found_and_changes_nothing(world: World) -> None:
    assignment = RoleAssignment.objects.get(user=world.users["collector"])
    before = rows()
    with pytest.raises(NotFound):
        services.role_revoke(actor=world.users["other_township_operator"], assignment=assignment, reason="x")
    assignment.refresh_from_db()
    assert assignment.is_active
    assert rows() == before


def test_home_region_is_the_widest_scope(world: World) -> None:
    user = world.users["collector"]
    RoleAssignment.objects.create(user=user, role="evaluator", region=world.region("341502204"))
    region = services.home_region(user)
    assert region is not None
    assert region.code == "341502204000"
    assert services.home_region(world.users["nobody"]) is None


def test_token_authenticate_touches_last_used_at_at_most_once_a_minute(world: World) -> None:
    raw, _ = services.token_issue(user=world.users["collector"])
    assert services.token_authenticate(raw) == world.users["collector"]
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    assert services.token_authenticate(raw) == world.users["collector"]
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    services.token_authenticate(raw)
    assert ApiToken.objects.get().last_used_at > first  # type: ignore[operator]
    assert services.token_authenticate("not-a-token") is None
    assert AuditEvent.objects.filter(action="token.issued").count() == 1


@pytest.mark.parametrize(
    ("role", "subject_of"),
    [
        ("household", lambda w: {"household": w.household("341181100201")}),  # other city's household
        ("household", lambda w: {"household": w.household("341502204202")}),  # in scope, not in that village
        ("merchant", lambda w: {"merchant": _other_city_merchant(w)}),
    ],
)
def test_a_grant_cannot_name_a_subject_outside_the_granters_scope(
    world: World, newcomer: User, role: str, subject_of: Any
) -> None:
    before = rows()
    with pytest.raises(NotFound):
        services.role_assign(
            actor=world.users["township_operator"],
            user=newcomer,
            role=role,
            region=world.region("341502204201"),
            **subject_of(world),
        )
    assert rows() == before


def _other_city_merchant(world: World) -> Any:
    from creditvillage.merchants.models import Merchant

    return Merchant.objects.create(region=world.region("341181100"), name="铜城超市", uscc="92341181MA2N0003XA")


def test_household_grant_for_a_household_of_that_village(world: World, newcomer: User) -> None:
    household = world.household("341502204201", 2)
    services.role_assign(
        actor=world.users["village_operator"],
        user=newcomer,
        role="household",
        region=world.region("341502204201"),
        household=household,
    )
    newcomer.forget_grants()
    assert [g.household_id for g in newcomer.grants_for("view")] == [household.pk]


@pytest.mark.parametrize("subject", [{}, "duplicate"])
def test_incomplete_or_duplicate_grants_are_a_validation_error(world: World, newcomer: User, subject: Any) -> None:
    region = world.region("341502204201")
    operator = world.users["village_operator"]
    if subject == "duplicate":
        services.role_assign(actor=operator, user=newcomer, role="collector", region=region)
        role, subject = "collector", {}
    else:
        role = "household"  # a household role must name its household
    before = rows()
    with pytest.raises(DomainError) as caught:
        services.role_assign(actor=operator, user=newcomer, role=role, region=region, **subject)
    assert caught.value.code == "validation_error"
    assert rows() == before
