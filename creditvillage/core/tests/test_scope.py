"""Unit tests for the scope choke point (creditvillage/core/scope.py): every exit of ``visible_to``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from creditvillage.core.errors import NotFound
from creditvillage.core.scope import Grant, access, can, code_range, in_subtree, significant_prefix
from creditvillage.lending.models import Consent
from creditvillage.merchants.models import Merchant
from creditvillage.regions.models import Region
from creditvillage.registry.models import Household, Person
from tests.fixtures import World


@dataclass
class FakeActor:
    """An Actor without a database row: grants given per action."""

    grants: dict[str, list[Grant]] = field(default_factory=dict)
    is_authenticated: bool = True
    is_superuser: bool = False

    def grants_for(self, action: str) -> Sequence[Grant]:
        return self.grants.get(action, [])


def view(*grants: Grant) -> FakeActor:
    return FakeActor({"view": list(grants)})


# --- pure code arithmetic ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "lo", "hi"),
    [
        ("34", "340000000000", "349999999999"),
        ("3415", "341500000000", "341599999999"),
        ("341502", "341502000000", "341502999999"),
        ("341502204", "341502204000", "341502204999"),
        ("341502204201", "341502204201", "341502204201"),
    ],
)
def test_code_range(prefix: str, lo: str, hi: str) -> None:
    assert code_range(prefix) == (lo, hi)


@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        ("340000000000", "34"),
        ("341500000000", "3415"),
        ("341502000000", "341502"),
        ("341502204000", "341502204"),
        ("341502204201", "341502204201"),
        ("341502100000", "341502100"),  # town 100: its trailing zeros are part of the segment
        ("341502204200", "341502204200"),  # village 200 is not "township 204 + zeros"
    ],
)
def test_significant_prefix(code: str, prefix: str) -> None:
    assert significant_prefix(code) == prefix


def test_in_subtree_is_a_prefix_test() -> None:
    assert in_subtree("341502204201", "341502204")
    assert in_subtree("341502204201", "341502204201")
    assert not in_subtree("341502101201", "341502204")
    assert not in_subtree("341181100201", "3415")


def test_subtree_ranges_of_siblings_do_not_overlap() -> None:
    lo_a, hi_a = code_range(significant_prefix("341502204000"))
    lo_b, hi_b = code_range(significant_prefix("341502101000"))
    assert hi_b < lo_a or hi_a < lo_b


# --- visible_to: each exit ---------------------------------------------------------------------


def ids(queryset: object) -> set[int]:
    return set(queryset.values_list("pk", flat=True))  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_anonymous_and_none_see_nothing(world: World) -> None:
    assert not Household.objects.visible_to(None).exists()
    assert not Household.objects.visible_to(FakeActor(is_authenticated=False)).exists()
    # Even an anonymous actor carrying grants sees nothing: authentication comes first.
    anon = FakeActor({"view": [Grant("admin", "34")]}, is_authenticated=False)
    assert not Household.objects.visible_to(anon).exists()


@pytest.mark.django_db
def test_superuser_sees_everything_without_grants(world: World) -> None:
    root = FakeActor(is_superuser=True)
    assert ids(Household.objects.visible_to(root, "anything")) == ids(Household.objects.all())
    assert ids(Region.objects.visible_to(root)) == ids(Region.objects.all())


@pytest.mark.django_db
def test_no_grant_for_the_action_sees_nothing(world: World) -> None:
    actor = FakeActor({"view": [Grant("township_operator", "341502204")]})
    assert Household.objects.visible_to(actor, "view").count() == 6
    assert not Household.objects.visible_to(actor, "change").exists()


@pytest.mark.django_db
def test_one_grant_covers_its_subtree_only(world: World) -> None:
    actor = view(Grant("township_operator", "341502204"))
    regions = {h.region_id for h in Household.objects.visible_to(actor)}
    assert regions == {"341502204201", "341502204202"}
    assert ids(Region.objects.visible_to(actor)) == {"341502204000", "341502204201", "341502204202"}


@pytest.mark.django_db
def test_grants_add_up(world: World) -> None:
    zhouan, longgang = world.household("341502204201"), world.household("341181100201")
    actor = view(Grant("village_operator", "341502204201"), Grant("village_operator", "341181100201"))
    visible = ids(Household.objects.visible_to(actor))
    assert visible == ids(Household.objects.filter(region_id__in=["341502204201", "341181100201"]))
    assert {zhouan.pk, longgang.pk} <= visible
    assert len(visible) == 6


@pytest.mark.django_db
def test_household_grant_narrows_to_that_household(world: World) -> None:
    own = world.household("341502204201", 0)
    actor = view(Grant("household", "341502204201", household_id=own.pk))
    assert ids(Household.objects.visible_to(actor)) == {own.pk}
    assert ids(Person.objects.visible_to(actor)) == ids(Person.objects.filter(household=own))
    assert not Region.objects.visible_to(actor).exists()  # a household sees no region listing


@pytest.mark.django_db
def test_household_grant_outside_its_region_sees_nothing(world: World) -> None:
    # A household id paired with another village's region: both conditions must hold.
    own = world.household("341502204201", 0)
    actor = view(Grant("household", "341181100201", household_id=own.pk))
    assert not Household.objects.visible_to(actor).exists()


@pytest.mark.django_db
def test_bank_grant_needs_an_active_consent(world: World) -> None:
    assert world.bank is not None
    consenting = world.household("341502204201", 0)  # the fixture's consent
    revoked = world.household("341502204201", 1)
    Consent.objects.create(household=revoked, bank=world.bank, granted_at=timezone.now(), revoked_at=timezone.now())
    outside = world.household("341181100201", 0)  # consent, but outside the bank's scope region
    Consent.objects.create(household=outside, bank=world.bank, granted_at=timezone.now())
    actor = view(Grant("bank_officer", "341502204", bank_id=world.bank.pk))

    assert ids(Household.objects.visible_to(actor)) == {consenting.pk}
    assert ids(Person.objects.visible_to(actor)) == ids(Person.objects.filter(household=consenting))
    # Regions are open to banks by region; consents by bank (revoked ones included, in scope).
    assert Region.objects.visible_to(actor).filter(pk="341502204201").exists()
    assert set(Consent.objects.visible_to(actor).values_list("household_id", flat=True)) == {
        consenting.pk,
        revoked.pk,
    }


@pytest.mark.django_db
def test_revoking_consent_hides_the_household_at_once(world: World) -> None:
    assert world.bank is not None
    household = world.household("341502204201", 0)
    actor = view(Grant("bank_officer", "341502204", bank_id=world.bank.pk))
    assert Household.objects.visible_to(actor).filter(pk=household.pk).exists()
    Consent.objects.filter(household=household, bank=world.bank).update(revoked_at=timezone.now())
    assert not Household.objects.visible_to(actor).filter(pk=household.pk).exists()


@pytest.mark.django_db
def test_merchant_grant_sees_its_merchant_only(world: World) -> None:
    assert world.merchant is not None
    other = Merchant.objects.create(region=world.region("341502204"), name="另一家", uscc="92341502MA2N0002XA")
    actor = view(Grant("merchant", "341502204", merchant_id=world.merchant.pk))
    assert ids(Merchant.objects.visible_to(actor)) == {world.merchant.pk}
    assert other.pk not in ids(Merchant.objects.visible_to(actor))
    assert not Household.objects.visible_to(actor).exists()


# --- access() and can() ------------------------------------------------------------------------


@pytest.mark.django_db
def test_access_answers_not_found_alike_for_missing_out_of_scope_and_garbage(world: World) -> None:
    actor = view(Grant("township_operator", "341502204"))
    inside, outside = world.household("341502204201"), world.household("341181100201")
    assert access(Household.objects.all(), actor, inside.pk) == inside
    messages = []
    for pk in (outside.pk, 99_999_999, "abc", None, 10**30):
        with pytest.raises(NotFound) as caught:
            access(Household.objects.all(), actor, pk)
        messages.append((caught.value.code, caught.value.message, caught.value.details))
    assert len(set(map(str, messages))) == 1


@pytest.mark.django_db
def test_can_reads_the_stored_row_not_the_instance(world: World) -> None:
    actor = FakeActor({"change": [Grant("township_operator", "341502204")]})
    household = world.household("341502204201")
    assert can(actor, "change", household)
    household.region_id = "341181100201"  # moved in memory only: still judged by the database row
    assert can(actor, "change", household)
    Household.objects.filter(pk=household.pk).update(region_id="341181100201")
    assert not can(actor, "change", household)
    assert not can(actor, "view", household)  # no view grant at all
