"""Risk sharing: the 4321 split and the risk compensation fund ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditvillage.core.errors import DomainError
from creditvillage.lending import risk
from creditvillage.lending.models import CreditProduct, FundMovement, Loan, LossShare, RiskFund
from creditvillage.lending.tests.test_loans import _disbursed
from tests.fixtures import World


def test_4321_of_a_million_yuan() -> None:
    assert risk.split_4321(1_000_000 * 100) == {
        "guarantor": 40_000_000,
        "reguarantor": 30_000_000,
        "bank": 20_000_000,
        "government": 10_000_000,
    }


def test_4321_remainders_are_deterministic() -> None:
    # 7 fen: 2.8 / 2.1 / 1.4 / 0.7 → floors 2/2/1/0, remainders go to the largest fractions first.
    assert risk.split_4321(7) == {"guarantor": 3, "reguarantor": 2, "bank": 1, "government": 1}
    assert risk.split_4321(1) == {"guarantor": 1, "reguarantor": 0, "bank": 0, "government": 0}
    assert risk.split_4321(0) == {"guarantor": 0, "reguarantor": 0, "bank": 0, "government": 0}


@given(st.integers(min_value=0, max_value=10**15))
def test_4321_parts_always_sum_exactly(loss: int) -> None:
    parts = risk.split_4321(loss)
    assert sum(parts.values()) == loss
    assert all(isinstance(v, int) and v >= 0 for v in parts.values())
    assert abs(parts["guarantor"] - loss * 0.4) <= 1  # within a fen of the exact share


@pytest.mark.django_db
def test_loss_share_recorded_for_a_defaulted_guaranteed_loan(world: World, product: CreditProduct) -> None:
    loan = _disbursed(world, product, dt.date(2026, 1, 10), guaranteed=True)
    officer = world.users["bank_officer"]
    with pytest.raises(DomainError):  # not defaulted yet
        risk.loss_share_record(actor=officer, loan=loan)
    Loan.objects.filter(pk=loan.pk).update(status="defaulted")
    loan.refresh_from_db()
    share = risk.loss_share_record(actor=officer, loan=loan, loss_fen=1_000_000 * 100)
    assert (share.guarantor_fen, share.reguarantor_fen, share.bank_fen, share.government_fen) == (
        40_000_000,
        30_000_000,
        20_000_000,
        10_000_000,
    )
    with pytest.raises(DomainError):
        risk.loss_share_record(actor=officer, loan=loan)
    assert LossShare.objects.count() == 1


@pytest.mark.django_db
def test_fund_ledger_payout_capped_and_once(world: World, product: CreditProduct) -> None:
    admin = world.users["superuser"]
    fund = RiskFund.objects.create(
        region=world.region("341502"), name="金安区风险补偿金", compensation_ratio_pct=50, per_loan_cap_fen=1_000_000
    )
    risk.fund_deposit(actor=admin, fund=fund, amount_fen=5_000_000, reason="区财政注资")
    loan = _disbursed(world, product, dt.date(2026, 1, 10))
    Loan.objects.filter(pk=loan.pk).update(status="defaulted")
    loan.refresh_from_db()
    payout = risk.fund_compensate(actor=admin, fund=fund, loan=loan)
    assert payout.amount_fen == -1_000_000  # 50% of 50,000 yuan = 25,000 yuan, capped at 10,000 yuan
    with pytest.raises(DomainError):
        risk.fund_compensate(actor=admin, fund=fund, loan=loan)
    fund.refresh_from_db()
    assert fund.balance_fen == 4_000_000
    assert risk.fund_ledger_ok(fund)
    assert list(FundMovement.objects.values_list("balance_after_fen", flat=True)) == [5_000_000, 4_000_000]


@pytest.mark.django_db
def test_fund_never_goes_negative(world: World, product: CreditProduct) -> None:
    admin = world.users["superuser"]
    fund = RiskFund.objects.create(region=world.region("341502"), name="f", per_loan_cap_fen=10**9)
    risk.fund_deposit(actor=admin, fund=fund, amount_fen=100, reason="x")
    loan = _disbursed(world, product, dt.date(2026, 1, 10))
    Loan.objects.filter(pk=loan.pk).update(status="defaulted")
    loan.refresh_from_db()
    with pytest.raises(DomainError) as short:
        risk.fund_compensate(actor=admin, fund=fund, loan=loan)
    assert short.value.code == "fund_insufficient"
    assert RiskFund.objects.get(pk=fund.pk).balance_fen == 100
    assert FundMovement.objects.count() == 1
