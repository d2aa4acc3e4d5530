"""Consent, credit lines and the whole-village grant (整村授信)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from creditvillage.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.lending import services
from creditvillage.lending.models import Consent, CreditLine, CreditProduct, LineStatus, VillageGrant
from creditvillage.lending.tests.conftest import rate, upload
from creditvillage.registry.models import Household
from tests.fixtures import World

pytestmark = pytest.mark.django_db
ZHOUAN = "341502204201"
HUANGDUN = "341502204202"


def _consent(world: World, household: Household) -> Consent:
    assert world.bank is not None
    return Consent.objects.create(household=household, bank=world.bank, granted_at=timezone.now())


def test_household_grants_and_revokes_consent_on_its_phone(world: World) -> None:
    assert world.bank is not None
    user = world.users["household"]
    mine = world.household(ZHOUAN, 0)
    Consent.objects.filter(household=mine).delete()
    consent = services.consent_grant(actor=user, household=mine, bank=world.bank, purpose="授信审批")
    assert (consent.channel, consent.revoked_at) == ("phone", None)
    with pytest.raises(DomainError) as twice:
        services.consent_grant(actor=user, household=mine, bank=world.bank, purpose="授信审批")
    assert twice.value.code == "already_consented"
    services.consent_revoke(actor=user, consent=consent)
    assert Consent.objects.get(pk=consent.pk).revoked_at is not None
    # Revocation is immediate: the bank officer loses sight of the household at once.
    officer = world.users["bank_officer"]
    assert not Household.objects.visible_to(officer).filter(pk=mine.pk).exists()
    actions = list(AuditEvent.objects.filter(target_type="lending.consent").values_list("action", flat=True))
    assert sorted(actions) == ["lending.consent_grant", "lending.consent_revoke"]


def test_household_cannot_consent_for_another_household(world: World) -> None:
    assert world.bank is not None
    other = world.household(ZHOUAN, 1)
    with pytest.raises(NotFound):
        services.consent_grant(actor=world.users["household"], household=other, bank=world.bank, purpose="x")
    assert not Consent.objects.filter(household=other).exists()


def test_paper_consent_needs_the_scanned_signature(world: World, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    assert world.bank is not None
    operator = world.users["village_operator"]
    target = world.household(ZHOUAN, 2)
    with pytest.raises(ValidationFailed):
        services.consent_grant(actor=operator, household=target, bank=world.bank, purpose="授信审批")
    consent = services.consent_grant(
        actor=operator, household=target, bank=world.bank, purpose="授信审批", signature=upload("sig.png")
    )
    assert consent.channel == "paper"
    assert str(consent.signature.name).endswith(".png")
    assert consent.recorded_by == operator
    # Not the village's household: as if missing.
    with pytest.raises(NotFound):
        services.consent_grant(
            actor=operator, household=world.household(HUANGDUN), bank=world.bank, purpose="x", signature=upload()
        )


def test_consent_to_a_bank_not_serving_the_village_is_refused(world: World) -> None:
    from creditvillage.lending.models import Bank

    far = Bank.objects.create(code="FAR", name="远方银行", short_name="远方")
    mine = world.household(ZHOUAN, 0)
    with pytest.raises(ValidationFailed):
        services.consent_grant(actor=world.users["household"], household=mine, bank=far, purpose="x")


def _village(world: World, grades: list[str], consenting: list[int]) -> list[Household]:
    households = list(world.households[ZHOUAN])
    Consent.objects.filter(household__in=households).delete()
    for i, household in enumerate(households):
        if i < len(grades) and grades[i]:
            rate(household, grades[i])
        if i in consenting:
            _consent(world, household)
    return households


def test_whole_village_preview_equals_the_result(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    households = _village(world, ["AAA", "AA", "B"], consenting=[0, 1, 2])
    preview = services.village_grant_preview(actor=officer, product=product, region_code=ZHOUAN)
    assert preview.count == 2
    assert preview.total_fen == (500_000 + 300_000) * 100
    grant, _ = services.village_grant(actor=officer, product=product, region_code=ZHOUAN)
    lines = CreditLine.objects.filter(village_grant=grant).order_by("limit_fen")
    assert (grant.lines_created, grant.total_fen) == (preview.count, preview.total_fen)
    assert [(ln.household_id, ln.grade, ln.limit_fen, ln.max_rate_pct) for ln in lines] == [
        (households[1].pk, "AA", 30_000_000, Decimal("4.4850")),
        (households[0].pk, "AAA", 50_000_000, Decimal("4.1400")),
    ]
    # Again: nothing new (idempotent per subject), and the preview now says so.
    again, _ = services.village_grant(actor=officer, product=product, region_code=ZHOUAN)
    assert again.lines_created == 0
    assert CreditLine.objects.count() == 2
    assert services.village_grant_preview(actor=officer, product=product, region_code=ZHOUAN).count == 0


def test_grant_skips_non_consenting_vetoed_and_non_final(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    households = _village(world, ["AAA", "", ""], consenting=[1, 2])
    rate(households[1], "AAA", vetoed=True)
    rate(households[2], "AAA", status="objected")
    assert services.village_grant_preview(actor=officer, product=product, region_code=ZHOUAN).count == 0


def test_grant_uses_the_latest_final_rating(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    households = _village(world, ["AAA"], consenting=[0])
    rate(households[0], "A", when=timezone.now() + dt.timedelta(seconds=5))
    preview = services.village_grant_preview(actor=officer, product=product, region_code=ZHOUAN)
    assert [(c.grade, c.limit_fen) for c in preview.candidates] == [("A", 10_000_000)]


def test_only_an_officer_of_the_bank_in_its_region_may_grant(world: World, product: CreditProduct) -> None:
    _village(world, ["AAA"], consenting=[0])
    with pytest.raises(PermissionDenied):
        services.village_grant(actor=world.users["township_operator"], product=product, region_code=ZHOUAN)
    with pytest.raises(NotFound):  # outside the officer's scope and the bank's service area
        services.village_grant(actor=world.users["bank_officer"], product=product, region_code="341181100201")
    assert not CreditLine.objects.exists()
    assert not VillageGrant.objects.exists()


def test_entities_and_collectives_get_their_tiers(world: World, product: CreditProduct) -> None:
    from creditvillage.registry.models import BusinessEntity, Collective

    entity = BusinessEntity.objects.create(
        region=world.region(ZHOUAN),
        name="周庵家庭农场",
        uscc="92341502MA2N0002XA",
        legal_rep_name="张三",
        kind="family_farm",
    )
    collective = Collective.objects.create(
        region=world.region(ZHOUAN), name="周庵村股份经济合作社", uscc="N2341502MA2N0003XA", legal_rep_name="李四"
    )
    rate(entity, "AA", subject_type="entity")
    rate(collective, "AAA", subject_type="collective")
    preview = services.village_grant_preview(actor=world.users["bank_officer"], product=product, region_code=ZHOUAN)
    got = {(c.subject_type, c.limit_fen) for c in preview.candidates}
    assert got == {("entity", 100_000_000), ("collective", 200_000_000)}


def test_lines_follow_rating_down_suspend_and_freeze(world: World, product: CreditProduct) -> None:
    officer = world.users["bank_officer"]
    households = _village(world, ["AAA"], consenting=[0])
    services.village_grant(actor=officer, product=product, region_code=ZHOUAN)
    h = households[0]
    later = timezone.now()
    rate(h, "AA", when=later + dt.timedelta(seconds=1))
    services.lines_follow_rating(subject_type="household", subject_id=h.pk)
    line = CreditLine.objects.get(household=h)
    assert (line.status, line.grade, line.limit_fen, line.max_rate_pct) == (
        "active",
        "AA",
        30_000_000,
        Decimal("4.485"),
    )
    rate(h, "B", when=later + dt.timedelta(seconds=2))
    services.lines_follow_rating(subject_type="household", subject_id=h.pk)
    assert CreditLine.objects.get(household=h).status == LineStatus.SUSPENDED
    rate(h, "AAA", vetoed=True, when=later + dt.timedelta(seconds=3))
    changed = services.lines_follow_rating(subject_type="household", subject_id=h.pk)
    assert [ln.status for ln in changed] == [LineStatus.FROZEN]
    assert AuditEvent.objects.filter(action="lending.line_follow_rating").count() == 3
    # Nothing changes → nothing written.
    assert services.lines_follow_rating(subject_type="household", subject_id=h.pk) == []
