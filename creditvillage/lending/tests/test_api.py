"""The lending API: quote (contract.md), consents, bank endpoints under consent, loans, repayments."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
import xlsxwriter
from django.test import Client
from django.utils import timezone

from creditvillage.accounts import services as account_services
from creditvillage.accounts.models import User
from creditvillage.core.models import AuditEvent
from creditvillage.lending import attest
from creditvillage.lending.models import Consent, CreditLine, CreditProduct, Loan, Repayment
from creditvillage.lending.tests.conftest import PNG, rate
from creditvillage.lending.tests.test_loans import _disbursed, _line
from tests.fixtures import World

pytestmark = pytest.mark.django_db
API = "/api/v1"
ZHOUAN = "341502204201"


def client_for(user: User) -> Client:
    token, _ = account_services.token_issue(user=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize(
    ("preset", "kind", "grade", "base", "line", "cap"),
    [
        ("tianchang", "household", "A", "3.45", 100_000, "4.83"),
        ("tianchang", "household", "AA", "3.45", 300_000, "4.485"),
        ("tianchang", "household", "AAA", "3.45", 500_000, "4.14"),
        ("tianchang", "household", "AAA", "4.35", 500_000, "5.22"),
        ("tianchang", "entity", "A", "3.45", 500_000, "4.83"),
        ("tianchang", "entity", "AA", "3.45", 1_000_000, "4.485"),
        ("tianchang", "collective", "AAA", "3.45", 2_000_000, "4.14"),
        ("tianchang", "household", "B", "3.45", 0, None),
        ("shuangluan", "household", "4A", "3.45", 150_000, "4.75"),
        ("shuangluan", "household", "5A", "4.35", 200_000, "4.75"),
        ("shuangluan", "household", "3A", "3.45", 0, None),
    ],
)
def test_quote(world: World, preset: str, kind: str, grade: str, base: str, line: int, cap: str | None) -> None:
    client = client_for(world.users["evaluator"])  # any user
    response = client.get(f"{API}/credit-policies/{preset}/quote?subject_type={kind}&grade={grade}&base_rate={base}")
    assert response.status_code == 200
    assert response.json() == {"max_line_yuan": line, "max_rate_pct": cap}
    assert b"." not in response.content.split(b"max_line_yuan")[1].split(b",")[0]  # an integer, no float


def test_quote_errors(world: World) -> None:
    client = client_for(world.users["household"])
    assert client.get(f"{API}/credit-policies/nowhere/quote?subject_type=household&grade=A").status_code == 404
    assert client.get(f"{API}/credit-policies/tianchang/quote?subject_type=person&grade=A").status_code == 422
    assert (
        client.get(f"{API}/credit-policies/tianchang/quote?subject_type=household&grade=A&base_rate=1e3").status_code
        == 422
    )
    assert Client().get(f"{API}/credit-policies/tianchang/quote?subject_type=household&grade=A").status_code == 401


def test_consent_and_bank_gating(world: World, product: CreditProduct) -> None:
    household_user = world.users["household"]
    mine = world.household(ZHOUAN, 0)
    rate(mine, "AA")
    officer = client_for(world.users["bank_officer"])
    assert officer.get(f"{API}/lending/households/{mine.pk}/attestation").status_code == 200
    missing = officer.get(f"{API}/lending/households/99999999/attestation")
    # Revoke through the API: at once the bank gets exactly the missing answer.
    consent = Consent.objects.get(household=mine, revoked_at__isnull=True)
    me = client_for(household_user)
    assert me.post(f"{API}/lending/consents/{consent.pk}/revoke").status_code == 200
    gone = officer.get(f"{API}/lending/households/{mine.pk}/attestation")
    assert (gone.status_code, gone.json()) == (missing.status_code, missing.json()) == (404, missing.json())
    assert mine.head_name not in gone.content.decode()
    # Consent again on the phone.
    response = me.post(
        f"{API}/lending/consents",
        {"household_id": mine.pk, "bank_id": world.bank.pk, "purpose": "授信审批"},  # type: ignore[union-attr]
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["channel"] == "phone"
    assert officer.get(f"{API}/lending/households/{mine.pk}/attestation").status_code == 200


def test_attestation_verifies_with_the_public_key(world: World) -> None:
    mine = world.household(ZHOUAN, 0)
    rate(mine, "AAA")
    officer = client_for(world.users["bank_officer"])
    document = officer.get(f"{API}/lending/households/{mine.pk}/attestation").json()
    key = officer.get(f"{API}/lending/attestations/public-key").json()
    assert key["alg"] == "Ed25519"
    assert document["payload"]["grade"] == "AAA"
    assert document["payload"]["key_id"] == key["key_id"]
    assert attest.verify(document, key["public_key"])
    forged = {**document, "payload": {**document["payload"], "grade": "AAA+"}}
    assert not attest.verify(forged, key["public_key"])
    assert mine.head_name not in str(document)  # ids and grade only
    # The read is logged, and the household sees it.
    assert AuditEvent.objects.filter(action="lending.read_by_bank", target_id=str(mine.pk)).count() == 1
    log = client_for(world.users["household"]).get(f"{API}/lending/households/{mine.pk}/bank-reads").json()
    assert [row["what"] for row in log] == ["attestation"]
    assert client_for(world.users["auditor"]).get(f"{API}/lending/households/{mine.pk}/bank-reads").status_code == 200
    # A collector of the village may not read the log: as if missing.
    assert client_for(world.users["collector"]).get(f"{API}/lending/households/{mine.pk}/bank-reads").status_code == 404


def test_attestation_only_for_banks(world: World) -> None:
    mine = world.household(ZHOUAN, 0)
    rate(mine, "AAA")
    assert (
        client_for(world.users["township_operator"]).get(f"{API}/lending/households/{mine.pk}/attestation").status_code
        == 403
    )


def test_village_grant_api_with_idempotency_key(world: World, product: CreditProduct) -> None:
    for household in world.households[ZHOUAN]:
        rate(household, "AAA")
    officer = client_for(world.users["bank_officer"])
    preview = officer.get(f"{API}/lending/villages/{ZHOUAN}/grant-preview?product_id={product.pk}").json()
    assert (preview["count"], preview["total_yuan"]) == (1, "500000.00")  # one consenting household
    first = officer.post(
        f"{API}/lending/villages/{ZHOUAN}/grant",
        {"product_id": product.pk},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="g-1",
    )
    again = officer.post(
        f"{API}/lending/villages/{ZHOUAN}/grant",
        {"product_id": product.pk},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="g-1",
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["lines_created"] == preview["count"]
    assert first.json()["total_yuan"] == preview["total_yuan"]
    other = officer.post(
        f"{API}/lending/villages/{ZHOUAN}/grant",
        {"product_id": product.pk + 1000},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="g-1",
    )
    assert other.status_code == 404  # unknown product, before the key is consulted
    assert CreditLine.objects.count() == 1
    pre = officer.get(f"{API}/lending/pre-approved").json()
    assert [item["limit_yuan"] for item in pre["items"]] == ["500000.00"]


def _material() -> Any:
    f = io.BytesIO(PNG)
    f.name = "id.png"
    return f


def test_apply_decide_disburse_repay_over_the_api(world: World, product: CreditProduct) -> None:
    line = _line(world, product)
    me = client_for(world.users["household"])
    data = {"line_id": line.pk, "amount_yuan": "30000", "term_months": 12, "purpose": "芡实种植"}
    response = me.post(
        f"{API}/lending/loans",
        {**data, "id_document": _material(), "certificate": _material()},
        HTTP_IDEMPOTENCY_KEY="apply-1",
    )
    assert response.status_code == 201, response.content
    loan_id = response.json()["id"]
    again = me.post(
        f"{API}/lending/loans",
        {**data, "id_document": _material(), "certificate": _material()},
        HTTP_IDEMPOTENCY_KEY="apply-1",
    )
    assert again.json()["id"] == loan_id
    assert Loan.objects.count() == 1
    officer = client_for(world.users["bank_officer"])
    too_high = officer.post(
        f"{API}/lending/loans/{loan_id}/decision",
        {"approve": True, "rate_pct": "4.15"},
        content_type="application/json",
    )
    assert too_high.status_code == 422
    ok = officer.post(
        f"{API}/lending/loans/{loan_id}/decision",
        {"approve": True, "rate_pct": "4.14"},
        content_type="application/json",
    )
    assert ok.json()["status"] == "approved"
    assert (
        officer.post(
            f"{API}/lending/loans/{loan_id}/disburse", {"on": "2026-01-10"}, content_type="application/json"
        ).json()["status"]
        == "disbursed"
    )
    body = {"items": [{"loan_id": loan_id, "amount_yuan": "1000.00", "paid_on": "2026-02-10", "reference": "T-1"}]}
    first = officer.post(f"{API}/lending/repayments", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="r1")
    second = officer.post(f"{API}/lending/repayments", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="r2")
    assert first.json() == {"applied": 1, "duplicates": 0, "errors": []}
    assert second.json() == {"applied": 0, "duplicates": 1, "errors": []}
    reused = officer.post(
        f"{API}/lending/repayments",
        {"items": [{**body["items"][0], "reference": "T-2"}]},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="r1",
    )
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert Repayment.objects.count() == 1
    mine = me.get(f"{API}/lending/loans").json()
    assert [item["id"] for item in mine["items"]] == [loan_id]


def test_xlsx_repayment_upload(world: World, product: CreditProduct) -> None:
    loan = _disbursed(world, product, dt.date(2026, 1, 10))
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    for col, header in enumerate(["贷款编号", "还款金额（元）", "还款日期", "流水号"]):
        sheet.write_string(0, col, header)
    rows = [
        (loan.pk, "1200.50", "2026-02-10", "X-1"),
        (loan.pk, "1200.50", "2026-02-10", "X-1"),
        (99999, "1", "2026-02-10", "X-9"),
    ]
    for r, row in enumerate(rows, start=1):
        sheet.write_number(r, 0, row[0])
        sheet.write_string(r, 1, row[1])
        sheet.write_string(r, 2, row[2])
        sheet.write_string(r, 3, row[3])
    book.close()
    buffer.seek(0)
    buffer.name = "repayments.xlsx"
    response = client_for(world.users["bank_officer"]).post(f"{API}/lending/repayments/upload", {"file": buffer})
    assert response.status_code == 200, response.content
    assert response.json()["applied"] == 1
    assert response.json()["duplicates"] == 1
    assert [e["code"] for e in response.json()["errors"]] == ["not_found"]
    assert Repayment.objects.get().amount_fen == 120_050


def test_validation_report(world: World) -> None:
    from creditvillage.rating.models import Rating, RatingCycle

    operator = world.users["township_operator"]
    cycles = {
        year: RatingCycle.objects.create(region=world.region("341502204"), year=year, name=f"{year}", status="final")
        for year in (2025, 2026)
    }
    households = world.households[ZHOUAN] + world.households["341502204202"]
    scores = [90, 80, 70, 60, 50, 40]
    for h, score in zip(households, scores, strict=True):
        rate(h, "AAA" if score >= 70 else "A", score=str(score))
        rate(h, "AA", score=str(score - 5))
    Rating.objects.filter(pk__in=list(Rating.objects.order_by("pk").values_list("pk", flat=True))[0::2]).update(
        cycle=cycles[2026]
    )
    Rating.objects.filter(cycle__isnull=True).update(cycle=cycles[2025])
    # The two lowest scorers defaulted.
    for h in households[4:]:
        Consent.objects.get_or_create(
            household=h, bank=world.bank, revoked_at=None, defaults={"granted_at": timezone.now()}
        )
    bank = world.bank
    assert bank is not None
    for h in households[4:]:
        line = CreditLine.objects.create(
            bank=bank,
            product=CreditProduct.objects.create(bank=bank, code=f"p{h.pk}", name="p"),
            subject_type="household",
            subject_id=h.pk,
            household=h,
            subject_name="x",
            region_code=h.region_id,
            grade="A",
            limit_fen=100,
            max_rate_pct=Decimal(4),
            granted_at=timezone.now(),
        )
        Loan.objects.create(
            line=line,
            bank=bank,
            household=h,
            region_code=h.region_id,
            status="defaulted",
            requested_fen=100,
            requested_term_months=12,
            purpose="x",
            applied_at=timezone.now(),
        )
    response = client_for(operator).get(f"{API}/lending/validation?region=341502204&year=2026")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["subjects"], body["defaults"], body["previous_year"]) == (6, 2, 2025)
    assert body["auc"] == 1.0
    assert body["ks"] == 1.0
    assert body["by_grade"]["A"] == {"subjects": 3, "defaults": 2, "default_rate": 0.6667, "mean_score": 50.0}
    assert body["by_grade"]["AAA"]["mean_score"] == 80.0
    assert body["years"] == [2025, 2026]
    assert body["psi"] is not None
    assert body["psi"] >= 0
    assert (
        client_for(world.users["other_township_operator"])
        .get(f"{API}/lending/validation?region=341502204&year=2026")
        .status_code
        == 404
    )
