"""A collector completes a household's archive on a phone (390×844): validation as they type,
a new member and an income row, save as draft, submit for verification."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from creditvillage.collection.models import Campaign, Submission, SubmissionState
from tests.browser.conftest import PHONE, assert_fits_the_screen, login, screenshot
from tests.fixtures import World, make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOUAN = "341502204201"


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_collector_completes_a_household_on_a_phone(page: Page, site: World, url: str) -> None:
    Campaign.objects.create(region=site.region("341502204"), year=2026, name="2026年横塘岗乡建档")
    household = site.household(ZHOUAN, 1)
    child_id = make_id_number("341502", dt.date(2001, 3, 4), 777)
    login(page, url, "collector")
    page.goto(f"{url}/collection/")
    expect(page.locator(".campaign-card")).to_contain_text("2026年横塘岗乡建档")
    assert_fits_the_screen(page)
    screenshot(page, "phone-collection-home")
    page.get_by_role("button", name="入户采集").click()
    page.get_by_role("link", name=household.head_name, exact=True).click()
    expect(page.get_by_role("heading", level=2)).to_contain_text(household.head_name)
    assert_fits_the_screen(page)

    # Validation as they type: a short mobile number is flagged as soon as the field changes.
    phone = page.locator('input[name="household-phone"]')
    phone.fill("139123")
    phone.blur()
    expect(page.locator('input[name="household-phone"] + .hint .field-error')).to_be_visible()
    phone.fill("13912345678")
    phone.blur()
    expect(page.locator('input[name="household-phone"] + .hint .field-error')).to_have_count(0)
    page.locator('input[name="household-address"]').fill("周庵村 18 号")
    page.locator('input[name="household-main_business"]').fill("水稻、小龙虾")

    # A new member: add a row, then a wrong ID number is flagged, the right one clears it.
    page.get_by_role("button", name="＋ 添加家庭成员").click()
    page.locator('input[name="members-1-name"]').fill("王小明")
    bad = page.locator('input[name="members-1-id_number"]')
    bad.fill(child_id[:-1] + ("0" if child_id[-1] != "0" else "1"))
    bad.blur()
    expect(page.locator('input[name="members-1-id_number"] + .hint .field-error')).to_be_visible()
    bad.fill(child_id)
    bad.blur()
    expect(page.locator('input[name="members-1-id_number"] + .hint .field-error')).to_have_count(0)
    page.locator('select[name="members-1-relation"]').select_option("child")
    page.locator('select[name="members-1-education"]').select_option("college")
    page.locator('select[name="members-0-political_status"]').select_option("party_member")

    page.locator("#incomes").get_by_role("button", name="＋ 添加一行").click()
    page.locator('input[name="incomes-0-year"]').fill("2025")
    page.locator('select[name="incomes-0-source"]').select_option("planting")
    page.locator('input[name="incomes-0-amount_fen"]').fill("36000")
    assert_fits_the_screen(page)
    screenshot(page, "phone-collection-form")

    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".flash-success")).to_contain_text("草稿已保存")
    expect(page.locator("#submission-state")).to_have_text("草稿")
    expect(page.locator('input[name="members-1-name"]')).to_have_value("王小明")
    page.get_by_role("button", name="提交校核").click()
    expect(page.locator(".flash-success")).to_contain_text("已提交")
    expect(page.locator(".collect-list")).to_contain_text("已提交")
    assert_fits_the_screen(page)
    screenshot(page, "phone-collection-submitted")

    submission = Submission.objects.get(household=household)
    assert submission.state == SubmissionState.SUBMITTED
    assert submission.collector == site.users["collector"]
    assert [m["name"] for m in submission.data["members"]] == [household.head_name, "王小明"]
    assert submission.data["members"][0]["political_status"] == "party_member"
    assert submission.data["incomes"] == [{"year": 2025, "source": "planting", "amount_fen": 3_600_000}]
    assert submission.data["household"]["phone"] == "13912345678"
