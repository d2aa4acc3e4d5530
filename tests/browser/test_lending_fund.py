"""The county risk fund, a defaulted loan's compensation with its 4321 split, and the model
validation report with its chart: opened in a browser, screenshots of each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from creditvillage.lending import risk
from creditvillage.lending.models import FundMovement, Loan, RiskFund
from creditvillage.lending.services import product_create_from_preset
from creditvillage.lending.tests.test_loans import _disbursed
from creditvillage.rating.models import Rating, RatingCycle
from tests.browser.conftest import PHONE, assert_fits_the_screen, login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOUAN = "341502204201"


def _ratings(site: World) -> None:
    for year in (2025, 2026):
        cycle = RatingCycle.objects.create(region=site.region("341502204"), year=year, name=str(year), status="final")
        for i, household in enumerate(site.households[ZHOUAN]):
            Rating.objects.create(
                cycle=cycle,
                subject_type="household",
                subject_id=household.pk,
                household_id=household.pk,
                region_code=household.region_id,
                model_code="t",
                model_version=1,
                score=Decimal(55 + 7 * i),
                grade=["A", "AA", "AAA"][min(i // 2, 2)],
                credit_subject=True,
                status="final",
                created_at=timezone.now(),
            )


def test_fund_compensation_and_validation_pages(
    page: Page, site: World, url: str, tmp_path: Path, settings: object
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    assert site.bank is not None
    fund = RiskFund.objects.create(
        region=site.region("341502"),
        name="金安区信用贷款风险补偿金",
        compensation_ratio_pct=50,
        per_loan_cap_fen=5_000_000,
    )
    admin = site.users["admin"]
    risk.fund_deposit(actor=admin, fund=fund, amount_fen=500_000_000, reason="区财政年度注资")
    risk.fund_deposit(actor=admin, fund=fund, amount_fen=200_000_000, reason="市财政配套资金")
    product = product_create_from_preset(actor=None, bank=site.bank, preset="tianchang", code="qs", name="芡实贷")
    loan = _disbursed(site, product, dt.date(2026, 1, 10), guaranteed=True)
    Loan.objects.filter(pk=loan.pk).update(status="defaulted")
    _ratings(site)

    page.set_default_timeout(30_000)  # a loaded machine: the live server answers slowly
    page.set_default_navigation_timeout(60_000)
    login(page, url, "admin")
    page.goto(f"{url}/lending/")
    page.get_by_role("link", name="风险补偿金").click()
    page.locator(f'[data-fund="{fund.pk}"] header a').click()
    expect(page.locator('[data-figure="balance"]')).to_contain_text("7,000,000.00")
    expect(page.locator("#ledger-check")).to_contain_text("账实相符")
    screenshot(page, "lending-fund")

    page.goto(f"{url}/lending/loans/{loan.pk}/")
    page.get_by_role("button", name="风险补偿与4321分险").click()
    expect(page.locator('[data-field="due"]')).to_contain_text("25,000.00")
    expect(page.locator('[data-field="total"]')).to_contain_text("50,000.00")
    screenshot(page, "lending-compensate")
    page.get_by_role("button", name="确认代偿").click()
    expect(page.locator('[data-field="payout"]')).to_be_visible()
    page.get_by_role("button", name="登记4321分险").click()
    expect(page.locator("#split header")).to_contain_text("已登记")
    screenshot(page, "lending-compensate-done")
    assert FundMovement.objects.filter(kind="payout").count() == 1
    fund.refresh_from_db()
    assert fund.balance_fen == 700_000_000 - 2_500_000

    page.set_viewport_size(PHONE)
    page.goto(f"{url}/lending/funds/{fund.pk}/")
    expect(page.locator('[data-kind="payout"]')).to_have_count(1)
    assert_fits_the_screen(page)
    screenshot(page, "lending-fund-phone")

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{url}/lending/validation/?region=341502204000&year=2026")
    expect(page.locator("#grade-chart")).to_have_attribute("data-chart-ready", "1")
    expect(page.locator('[data-metric="psi"]')).to_contain_text("稳定")
    screenshot(page, "lending-validation")
