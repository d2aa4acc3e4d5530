"""A household applies for a loan on its phone (390×844) with its two materials; the bank approves."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from creditvillage.lending.models import CreditLine, Loan
from creditvillage.lending.services import product_create_from_preset
from creditvillage.rating.models import Rating
from tests.browser.conftest import PHONE, assert_fits_the_screen, login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOUAN = "341502204201"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_household_applies_on_a_phone_and_the_bank_approves(
    page: Page, site: World, url: str, tmp_path: Path, settings: object
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    assert site.bank is not None
    household = site.household(ZHOUAN, 0)  # the household persona; consented to the bank
    product = product_create_from_preset(actor=None, bank=site.bank, preset="tianchang", code="qs", name="芡实贷")
    rating = Rating.objects.create(
        subject_type="household",
        subject_id=household.pk,
        household_id=household.pk,
        region_code=household.region_id,
        model_code="t",
        model_version=1,
        score=Decimal("88"),
        grade="AA",
        status="final",
        created_at=timezone.now(),
    )
    line = CreditLine.objects.create(
        bank=site.bank,
        product=product,
        subject_type="household",
        subject_id=household.pk,
        household=household,
        subject_name=household.head_name,
        region_code=household.region_id,
        grade="AA",
        rating_id=rating.pk,
        limit_fen=30_000_000,
        max_rate_pct=Decimal("4.485"),
        granted_at=timezone.now(),
    )
    id_png = tmp_path / "id.png"
    id_png.write_bytes(PNG)

    page.set_viewport_size(PHONE)
    login(page, url, "household")
    page.goto(f"{url}/lending/")
    expect(page.locator(f'[data-line="{line.pk}"]')).to_contain_text("300,000.00")
    assert_fits_the_screen(page)
    page.get_by_role("button", name="申请用信").click()
    page.get_by_label("申请金额（元）").fill("80000")
    page.get_by_label("贷款用途").fill("芡实种植")
    page.get_by_label("身份证（照片或PDF）").set_input_files(str(id_png))
    page.get_by_label("信用证书（照片或PDF）").set_input_files(str(id_png))
    assert_fits_the_screen(page)
    screenshot(page, "lending-apply-phone")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "applied")
    loan = Loan.objects.get()
    assert loan.requested_fen == 8_000_000

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, url, "bank_officer")
    page.goto(f"{url}/lending/loans/{loan.pk}/")
    page.get_by_label("年利率（%）").fill("4.30")
    page.get_by_role("button", name="提交审批").click()
    expect(page.locator("[data-status]").first).to_have_attribute("data-status", "approved")
    screenshot(page, "lending-approved")
    loan.refresh_from_db()
    assert (loan.status, loan.amount_fen, str(loan.rate_pct)) == ("approved", 8_000_000, "4.3000")

    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    login(page, url, "household")
    page.goto(f"{url}/lending/")
    expect(page.locator('#my-loans [data-status="approved"]')).to_be_visible()
