"""The risk compensation fund (风险补偿金) and the 4321 split: services, pages and API, with scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from creditvillage.core.errors import DomainError, NotFound, PermissionDenied
from creditvillage.core.models import AuditEvent
from creditvillage.lending import risk, selectors
from creditvillage.lending.models import CreditProduct, FundMovement, Loan, LossShare, RiskFund
from creditvillage.lending.tests.test_api import client_for
from creditvillage.lending.tests.test_loans import _disbursed
from tests.fixtures import World

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def fund(world: World) -> RiskFund:
    fund = RiskFund.objects.create(
        region=world.region("341502"), name="金安区风险补偿金", compensation_ratio_pct=50, per_loan_cap_fen=5_000_000
    )
    risk.fund_deposit(actor=world.users["admin"], fund=fund, amount_fen=100_000_000, reason="区财政注资")
    return fund


@pytest.fixture
def defaulted(world: World, product: CreditProduct) -> Loan:
    loan = _disbursed(world, product, dt.date(2026, 1, 10), guaranteed=True)
    Loan.objects.filter(pk=loan.pk).update(status="defaulted")
    loan.refresh_from_db()
    return loan


def page(world: World, who: str) -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


# --- services ----------------------------------------------------------------------------------


def test_4321_of_a_million_yuan_loss_in_yuan() -> None:
    parts = risk.split_4321(1_000_000 * 100)
    assert {k: v // 100 for k, v in parts.items()} == {
        "guarantor": 400_000,
        "reguarantor": 300_000,
        "bank": 200_000,
        "government": 100_000,
    }
    assert all(v % 100 == 0 for v in parts.values())


@pytest.mark.parametrize("loss", [1, 3, 7, 99, 12_345_679, 100_000_003])
def test_4321_odd_fen_losses_sum_exactly(loss: int) -> None:
    parts = risk.split_4321(loss)
    assert sum(parts.values()) == loss
    # each share within a fen of its exact percentage
    for name, pct in risk.SPLIT_4321:
        assert abs(parts[name] * 100 - loss * pct) < 100


def test_compensation_due_ratio_cap_and_rounding(world: World, fund: RiskFund, defaulted: Loan) -> None:
    defaulted.principal_outstanding_fen = 3_000_001  # 50% = 1,500,000.5 fen → rounded down
    assert risk.compensation_due(fund, defaulted) == 1_500_000
    defaulted.principal_outstanding_fen = 50_000_000  # 50% = 250,000 yuan, capped at 50,000 yuan
    assert risk.compensation_due(fund, defaulted) == 5_000_000


def test_deposit_and_payout_are_audited_and_ledger_sums(world: World, fund: RiskFund, defaulted: Loan) -> None:
    admin = world.users["admin"]
    risk.fund_deposit(actor=admin, fund=fund, amount_fen=123, reason="尾差")
    movement = risk.fund_compensate(actor=admin, fund=fund, loan=defaulted, reason="代偿")
    fund.refresh_from_db()
    due = risk.compensation_due(fund, defaulted)
    assert movement.amount_fen == -due
    assert fund.balance_fen == 100_000_123 - due
    assert risk.fund_ledger_ok(fund)
    assert sum(FundMovement.objects.filter(fund=fund).values_list("amount_fen", flat=True)) == fund.balance_fen
    actions = list(
        AuditEvent.objects.filter(action__in=("lending.fund_deposit", "lending.fund_payout"))
        .order_by("pk")
        .values_list("action", "actor_id")
    )
    assert actions == [
        ("lending.fund_deposit", admin.pk),
        ("lending.fund_deposit", admin.pk),
        ("lending.fund_payout", admin.pk),
    ]


def test_only_the_county_administrator_moves_money(world: World, fund: RiskFund, defaulted: Loan) -> None:
    before = fund.balance_fen
    # sees the fund but may not run it → 403
    for who in ("township_operator", "auditor", "regulator", "bank_officer"):
        with pytest.raises(PermissionDenied):
            risk.fund_deposit(actor=world.users[who], fund=fund, amount_fen=1, reason="x")
        with pytest.raises(PermissionDenied):
            risk.fund_compensate(actor=world.users[who], fund=fund, loan=defaulted)
    # does not see it → 404
    for who in ("other_township_operator", "village_operator", "household", "merchant", "nobody"):
        with pytest.raises(NotFound):
            risk.fund_deposit(actor=world.users[who], fund=fund, amount_fen=1, reason="x")
    fund.refresh_from_db()
    assert fund.balance_fen == before
    assert FundMovement.objects.count() == 1


def test_payout_refused_when_not_defaulted_or_insufficient(
    world: World, product: CreditProduct, fund: RiskFund
) -> None:
    admin = world.users["admin"]
    loan = _disbursed(world, product, dt.date(2026, 1, 10))
    with pytest.raises(DomainError) as not_yet:
        risk.fund_compensate(actor=admin, fund=fund, loan=loan)
    assert not_yet.value.code == "not_compensable"
    Loan.objects.filter(pk=loan.pk).update(status="defaulted")
    loan.refresh_from_db()
    poor = RiskFund.objects.create(region=world.region("341502"), name="空基金", per_loan_cap_fen=5_000_000)
    with pytest.raises(DomainError) as empty:
        risk.fund_compensate(actor=admin, fund=poor, loan=loan)
    assert empty.value.code == "fund_insufficient"
    assert FundMovement.objects.filter(kind="payout").count() == 0


def test_fund_visibility(world: World, fund: RiskFund) -> None:
    far = RiskFund.objects.create(region=world.region("341181"), name="天长市风险补偿金")
    seen = {who: set(selectors.funds(actor=u).values_list("pk", flat=True)) for who, u in world.users.items()}
    assert seen["admin"] == {fund.pk}
    assert seen["township_operator"] == {fund.pk}  # a township sees its county's fund
    assert seen["other_township_operator"] == {far.pk}
    assert seen["auditor"] == {fund.pk}
    assert seen["regulator"] == {fund.pk}
    assert seen["bank_officer"] == {fund.pk}
    assert seen["superuser"] == {fund.pk, far.pk}
    for who in ("village_operator", "collector", "evaluator", "household", "merchant", "nobody"):
        assert seen[who] == set(), who


def test_bank_ledger_shows_only_its_own_payouts(world: World, fund: RiskFund, defaulted: Loan) -> None:
    from creditvillage.lending.models import Bank

    other = Bank.objects.create(code="X", name="另一银行", short_name="另行")
    risk.fund_compensate(actor=world.users["admin"], fund=fund, loan=defaulted)
    Loan.objects.filter(pk=defaulted.pk).update(bank=other)
    kinds = list(selectors.fund_ledger(actor=world.users["bank_officer"], fund=fund).values_list("kind", flat=True))
    assert kinds == ["deposit"]
    assert selectors.fund_ledger(actor=world.users["auditor"], fund=fund).count() == 2


def test_loss_share_by_the_county_administrator(world: World, defaulted: Loan) -> None:
    share = risk.loss_share_record(actor=world.users["admin"], loan=defaulted, loss_fen=100_000_003)
    assert share.guarantor_fen + share.reguarantor_fen + share.bank_fen + share.government_fen == 100_000_003
    with pytest.raises(NotFound):
        risk.loss_share_record(actor=world.users["other_township_operator"], loan=defaulted)
    with pytest.raises(PermissionDenied):  # sees the loan, neither lends nor runs the fund
        risk.loss_share_record(actor=world.users["village_operator"], loan=defaulted)
    with pytest.raises(DomainError) as twice:
        risk.loss_share_record(actor=world.users["bank_officer"], loan=defaulted)
    assert twice.value.code == "already_shared"
    assert LossShare.objects.count() == 1


# --- API ---------------------------------------------------------------------------------------


def test_api_compensate_is_idempotent(world: World, fund: RiskFund, defaulted: Loan) -> None:
    client = client_for(world.users["admin"])
    answers = [
        client.post(
            f"{API}/lending/loans/{defaulted.pk}/compensate",
            {"reason": "代偿"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="comp-1",
        )
        for _ in range(100)
    ]
    assert {a.status_code for a in answers} == {201}
    assert len({a.content for a in answers}) == 1
    body = answers[0].json()
    assert body["movement"]["amount_yuan"] == "-25000.00"  # 50% of 50,000 yuan, under the cap
    assert body["split"] == {
        "loss_yuan": "50000.00",
        "guarantor_yuan": "20000.00",
        "reguarantor_yuan": "15000.00",
        "bank_yuan": "10000.00",
        "government_yuan": "5000.00",
        "recorded": False,
    }
    assert FundMovement.objects.filter(kind="payout").count() == 1
    assert AuditEvent.objects.filter(action="lending.fund_payout").count() == 1
    # without the key, a second request is refused (already compensated), nothing changes
    again = client.post(f"{API}/lending/loans/{defaulted.pk}/compensate", {}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_compensated"
    fund.refresh_from_db()
    assert fund.balance_fen == 100_000_000 - 2_500_000
    assert risk.fund_ledger_ok(fund)


def test_api_compensate_scoping(world: World, fund: RiskFund, defaulted: Loan) -> None:
    path = f"{API}/lending/loans/{defaulted.pk}/compensate"
    missing = f"{API}/lending/loans/99999999/compensate"
    for who in ("other_township_operator", "merchant"):
        client = client_for(world.users[who])
        got = client.post(path, {}, content_type="application/json")
        assert got.status_code == 404
        assert got.content == client.post(missing, {}, content_type="application/json").content
    # sees the loan and the fund, may not pay → 403
    assert client_for(world.users["bank_officer"]).post(path, {}, content_type="application/json").status_code == 403
    # a village operator sees the loan but not the fund → 404
    village = client_for(world.users["village_operator"])
    assert village.post(path, {}, content_type="application/json").status_code == 404
    assert FundMovement.objects.filter(kind="payout").count() == 0


def test_api_deposit_idempotent_and_fund_detail(world: World, fund: RiskFund) -> None:
    client = client_for(world.users["admin"])
    for _ in range(5):
        got = client.post(
            f"{API}/lending/funds/{fund.pk}/deposits",
            {"amount_yuan": "1234.56", "reason": "追加"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="dep-1",
        )
        assert got.status_code == 201
    assert FundMovement.objects.count() == 2
    detail = client_for(world.users["auditor"]).get(f"{API}/lending/funds/{fund.pk}").json()
    assert detail["balance_yuan"] == "1001234.56"
    assert detail["ledger_ok"] is True
    assert [m["amount_yuan"] for m in detail["ledger"]] == ["1234.56", "1000000.00"]
    assert detail["ledger"][0]["created_by"] == "admin"
    refused = client_for(world.users["township_operator"]).post(
        f"{API}/lending/funds/{fund.pk}/deposits", {"amount_yuan": "1", "reason": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403
    out = client_for(world.users["other_township_operator"])
    assert out.get(f"{API}/lending/funds/{fund.pk}").status_code == 404
    assert out.get(f"{API}/lending/funds").json() == []
    assert [f["id"] for f in client_for(world.users["bank_officer"]).get(f"{API}/lending/funds").json()] == [fund.pk]


def test_api_loss_shares_scoped(world: World, defaulted: Loan) -> None:
    risk.loss_share_record(actor=world.users["bank_officer"], loan=defaulted, loss_fen=100_000_000)
    for who, n in (("bank_officer", 1), ("admin", 1), ("auditor", 1), ("other_township_operator", 0)):
        body = client_for(world.users[who]).get(f"{API}/lending/loss-shares").json()
        assert body["count"] == n, who
    item = client_for(world.users["auditor"]).get(f"{API}/lending/loss-shares").json()["items"][0]
    assert (item["guarantor_yuan"], item["reguarantor_yuan"], item["bank_yuan"], item["government_yuan"]) == (
        "400000.00",
        "300000.00",
        "200000.00",
        "100000.00",
    )


# --- pages -------------------------------------------------------------------------------------


def test_fund_pages(world: World, fund: RiskFund, defaulted: Loan) -> None:
    admin = page(world, "admin")
    home = admin.get("/lending/").content.decode()
    assert "/lending/funds/" in home
    assert "/lending/validation/" in home
    listing = admin.get("/lending/funds/")
    assert listing.status_code == 200
    assert "金安区风险补偿金" in listing.content.decode()
    detail = admin.get(f"/lending/funds/{fund.pk}/").content.decode()
    assert "1,000,000.00" in detail or "1000000.00" in detail
    assert "账实相符" in detail
    assert f"/lending/funds/{fund.pk}/deposit/" in detail
    got = admin.post(f"/lending/funds/{fund.pk}/deposit/", {"amount": "10.01", "reason": "页面注资"})
    assert got.status_code == 302
    fund.refresh_from_db()
    assert fund.balance_fen == 100_001_001
    # the loan page of a defaulted loan links the compensation page
    assert f"/lending/loans/{defaulted.pk}/compensate/" in admin.get(f"/lending/loans/{defaulted.pk}/").content.decode()
    comp = admin.get(f"/lending/loans/{defaulted.pk}/compensate/").content.decode()
    assert 'data-field="due"' in comp
    assert "确认代偿" in comp
    assert admin.post(f"/lending/loans/{defaulted.pk}/compensate/", {"op": "compensate"}).status_code == 302
    assert admin.post(f"/lending/loans/{defaulted.pk}/compensate/", {"op": "compensate"}).status_code == 302
    assert FundMovement.objects.filter(kind="payout").count() == 1
    assert admin.post(f"/lending/loans/{defaulted.pk}/compensate/", {"op": "share"}).status_code == 302
    share = LossShare.objects.get()
    assert share.loss_fen == defaulted.principal_outstanding_fen
    assert "已登记" in admin.get(f"/lending/loans/{defaulted.pk}/compensate/").content.decode()
    assert str(defaulted.pk) in admin.get("/lending/loss-shares/").content.decode()


def test_fund_pages_scoping(world: World, fund: RiskFund, defaulted: Loan) -> None:
    for who in ("household", "village_operator", "merchant", "collector"):
        assert page(world, who).get("/lending/funds/").status_code == 403, who
    for who in ("other_township_operator", "village_operator"):
        client = page(world, who)
        assert client.get(f"/lending/funds/{fund.pk}/").status_code == 404
        assert client.get(f"/lending/loans/{defaulted.pk}/compensate/").status_code == 404
    auditor = page(world, "auditor")
    assert auditor.get(f"/lending/funds/{fund.pk}/").status_code == 200
    assert auditor.get(f"/lending/funds/{fund.pk}/deposit/").status_code == 403
    comp = auditor.get(f"/lending/loans/{defaulted.pk}/compensate/").content.decode()
    assert "确认代偿" not in comp
    officer = page(world, "bank_officer")
    assert officer.post(f"/lending/loans/{defaulted.pk}/compensate/", {"op": "compensate"}).status_code == 403
    assert officer.post(f"/lending/loans/{defaulted.pk}/compensate/", {"op": "share"}).status_code == 302
    assert LossShare.objects.count() == 1
    assert FundMovement.objects.filter(kind="payout").count() == 0


def test_ledger_paginates(world: World, fund: RiskFund) -> None:
    for i in range(25):
        risk.fund_deposit(actor=None, fund=fund, amount_fen=100 + i, reason=f"第{i}笔")
    client = page(world, "auditor")
    first = client.get(f"/lending/funds/{fund.pk}/").content.decode()
    second = client.get(f"/lending/funds/{fund.pk}/?page=2").content.decode()
    assert first.count("data-movement=") == 20
    assert second.count("data-movement=") == 6
    assert "第 2 / 2 页" in second


# --- setting up a fund and changing its terms ----------------------------------------------------


def test_the_county_administrator_sets_up_the_fund_then_changes_its_terms(world: World) -> None:
    from decimal import Decimal

    admin = page(world, "admin")
    listing = admin.get("/lending/funds/").content.decode()
    assert 'id="fund-create"' in listing  # 金安区 has no fund yet
    assert 'id="fund-create"' not in page(world, "township_operator").get("/lending/funds/").content.decode()
    refused = admin.post("/lending/funds/", {"ratio": "120", "cap": "500000", "reason": "区政府文件"})
    assert refused.status_code == 200
    assert not RiskFund.objects.exists()
    created = admin.post("/lending/funds/", {"ratio": "50", "cap": "500000", "reason": "金政〔2026〕8号"})
    fund = RiskFund.objects.get()
    assert created["Location"] == f"/lending/funds/{fund.pk}/"
    assert (fund.region_id, fund.compensation_ratio_pct, fund.per_loan_cap_fen) == ("341502000000", 50, 50_000_000)
    assert fund.name == "金安区信用贷款风险补偿金"
    with pytest.raises(DomainError) as twice:
        risk.fund_create(
            actor=world.users["admin"],
            county_code="341502000000",
            name="",
            ratio_pct=Decimal(50),
            cap_fen=1,
            reason="x",
        )
    assert twice.value.code == "fund_exists"
    assert 'id="fund-create"' not in admin.get("/lending/funds/").content.decode()

    # Terms: the administrator changes them with a reason, audited old → new; others may not.
    assert (
        page(world, "township_operator")
        .post(f"/lending/funds/{fund.pk}/", {"ratio": "80", "cap": "1", "reason": "x"})
        .status_code
        == 403
    )
    assert (
        page(world, "other_township_operator")
        .post(f"/lending/funds/{fund.pk}/", {"ratio": "80", "cap": "1", "reason": "x"})
        .status_code
        == 404
    )
    done = admin.post(f"/lending/funds/{fund.pk}/", {"ratio": "60", "cap": "300000", "reason": "金政〔2026〕19号"})
    assert done.status_code == 302
    fund.refresh_from_db()
    assert (fund.compensation_ratio_pct, fund.per_loan_cap_fen) == (60, 30_000_000)
    event = AuditEvent.objects.get(action="lending.fund_terms_changed")
    assert event.changes == {"compensation_ratio_pct": ["50.00", "60"], "per_loan_cap_fen": [50_000_000, 30_000_000]}
    assert event.reason == "金政〔2026〕19号"
    assert AuditEvent.objects.filter(action="lending.fund_created").count() == 1
    # The same terms again change nothing and audit nothing.
    risk.fund_set_terms(
        actor=world.users["admin"], fund=fund, ratio_pct=Decimal(60), cap_fen=30_000_000, reason="重复提交"
    )
    assert AuditEvent.objects.filter(action="lending.fund_terms_changed").count() == 1
