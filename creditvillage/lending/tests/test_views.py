"""Lending pages: home per role, grant preview = confirm, consents, apply, the loan page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from creditvillage.accounts.models import User
from creditvillage.lending import loans
from creditvillage.lending.models import Consent, CreditLine, CreditProduct, Loan
from creditvillage.lending.tests.conftest import rate, upload
from creditvillage.lending.tests.test_loans import _apply, _line
from tests.fixtures import World

pytestmark = pytest.mark.django_db
ZHOUAN = "341502204201"


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_home_for_each_role(world: World, product: CreditProduct) -> None:
    line = _line(world, product)
    _apply(world, line)
    mine = page(world.users["household"]).get("/lending/")
    assert mine.status_code == 200
    text = mine.content.decode()
    assert 'data-line="' in text
    assert "申请用信" in text
    officer = page(world.users["bank_officer"]).get("/lending/").content.decode()
    assert "芡实贷" in officer
    assert world.household(ZHOUAN, 0).head_name in officer  # its pipeline (consented household)
    village = page(world.users["village_operator"]).get("/lending/").content.decode()
    assert 'data-loan="' in village
    other = page(world.users["other_township_operator"]).get("/lending/").content.decode()
    assert 'data-loan="' not in other
    assert page(world.users["merchant"]).get("/lending/").status_code == 403


def test_grant_preview_page_then_confirm(world: World, product: CreditProduct) -> None:
    for household in world.households[ZHOUAN]:
        rate(household, "AA")
    client = page(world.users["bank_officer"])
    preview = client.get(f"/lending/products/{product.pk}/grant/{ZHOUAN}/")
    assert preview.status_code == 200
    assert 'data-preview-count="1"' in preview.content.decode()
    done = client.post(f"/lending/products/{product.pk}/grant/{ZHOUAN}/")
    assert done.status_code == 302
    assert CreditLine.objects.count() == 1
    printable = client.get(done["Location"]).content.decode()
    assert world.household(ZHOUAN, 0).head_name in printable
    assert world.household(ZHOUAN, 0).phone not in printable
    # Another township's officer-less user: 404/403, nothing created.
    assert (
        page(world.users["township_operator"]).post(f"/lending/products/{product.pk}/grant/{ZHOUAN}/").status_code
        == 403
    )
    assert (
        page(world.users["bank_officer"]).get(f"/lending/products/{product.pk}/grant/341181100201/").status_code == 404
    )


def test_consent_page_grant_revoke_and_read_log(world: World) -> None:
    client = page(world.users["household"])
    mine = world.household(ZHOUAN, 0)
    consent = Consent.objects.get(household=mine)
    assert client.post(f"/lending/consents/{consent.pk}/revoke/").status_code == 302
    assert Consent.objects.get(pk=consent.pk).revoked_at is not None
    assert world.bank is not None
    response = client.post("/lending/consents/", {"bank": world.bank.pk, "purpose": "授信审批"})
    assert response.status_code == 302
    assert Consent.objects.filter(household=mine, revoked_at__isnull=True, channel="phone").count() == 1
    html = client.get("/lending/consents/").content.decode()
    assert "银行查询记录" in html
    # Another household's consent cannot be revoked: as if missing.
    other = Consent.objects.create(household=world.household(ZHOUAN, 1), bank=world.bank, granted_at=consent.granted_at)
    assert client.post(f"/lending/consents/{other.pk}/revoke/").status_code == 404
    assert Consent.objects.get(pk=other.pk).revoked_at is None


def test_paper_consent_page(world: World, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    assert world.bank is not None
    target = world.household(ZHOUAN, 2)
    client = page(world.users["village_operator"])
    response = client.post(
        "/lending/consents/paper/",
        {"household": target.pk, "bank": world.bank.pk, "purpose": "授信审批", "signature": upload("s.png")},
    )
    assert response.status_code == 302
    assert Consent.objects.get(household=target).channel == "paper"


def test_apply_page_and_decision_on_the_loan_page(world: World, product: CreditProduct) -> None:
    line = _line(world, product)
    me = page(world.users["household"])
    assert me.get(f"/lending/lines/{line.pk}/apply/").status_code == 200
    response = me.post(
        f"/lending/lines/{line.pk}/apply/",
        {"amount": "20000", "term_months": "12", "purpose": "养殖", "id_document": upload(), "certificate": upload()},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    loan = Loan.objects.get()
    assert loan.requested_fen == 2_000_000
    officer = page(world.users["bank_officer"])
    assert "提交审批" in officer.get(f"/lending/loans/{loan.pk}/").content.decode()
    officer.post(f"/lending/loans/{loan.pk}/decide/", {"approve": "1", "rate_pct": "4.00", "term_months": "12"})
    loan.refresh_from_db()
    assert (loan.status, str(loan.rate_pct)) == ("approved", "4.0000")
    officer.post(f"/lending/loans/{loan.pk}/disburse/")
    loan.refresh_from_db()
    assert loan.status == "disbursed"
    status = me.get("/lending/").content.decode()
    assert 'data-status="disbursed"' in status
    # Someone else's household cannot open the line's apply page.
    assert page(world.users["collector"]).get(f"/lending/lines/{line.pk}/apply/").status_code == 404


def test_loan_page_out_of_scope_is_404(world: World, product: CreditProduct) -> None:
    loan = _apply(world, _line(world, product))
    assert page(world.users["other_township_operator"]).get(f"/lending/loans/{loan.pk}/").status_code == 404
    assert (
        page(world.users["other_township_operator"])
        .post(f"/lending/loans/{loan.pk}/decide/", {"approve": "1"})
        .status_code
        == 404
    )
    loans.loan_withdraw(actor=world.users["household"], loan=loan)
    assert Loan.objects.get(pk=loan.pk).status == "withdrawn"


def test_a_township_grant_previews_per_village_then_grants_each_village(world: World, product: CreditProduct) -> None:
    from creditvillage.lending.models import VillageGrant

    for household in world.households[ZHOUAN]:
        rate(household, "AA")
    client = page(world.users["bank_officer"])
    home = client.get("/lending/").content.decode()
    assert f"/lending/products/{product.pk}/grant/341502204000/" in home  # 横塘岗乡（全乡各村）
    preview = client.get(f"/lending/products/{product.pk}/grant/341502204000/").content.decode()
    assert 'data-preview-count="1"' in preview
    table = preview.split('data-testid="per-village"')[1].split("</table>")[0]
    assert "周庵村" in table
    assert "300,000.00 元" in table  # AA household line under the tianchang preset
    done = client.post(f"/lending/products/{product.pk}/grant/341502204000/")
    assert done.status_code == 302
    assert done["Location"] == "/lending/#grants"
    assert CreditLine.objects.count() == 1
    grants = VillageGrant.objects.filter(lines_created__gt=0)
    assert [(g.region_code, g.lines_created) for g in grants] == [(ZHOUAN, 1)]
    assert "周庵村 · 芡实贷" in client.get("/lending/").content.decode()
    # Granting again creates nothing more.
    client.post(f"/lending/products/{product.pk}/grant/341502204000/")
    assert CreditLine.objects.count() == 1
    # Another township's code: like a missing region.
    assert client.get(f"/lending/products/{product.pk}/grant/341181100000/").status_code == 404
