"""A township operator verifies one submission (seeing the diff) and returns another with a reason."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from creditvillage.collection import services
from creditvillage.collection.models import Campaign, Submission, SubmissionState
from creditvillage.registry.models import Household
from tests.browser.conftest import login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOUAN = "341502204201"


def submit(site: World, campaign: Campaign, index: int, **household: Any) -> Submission:
    collector = site.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, household=site.household(ZHOUAN, index))
    data = {**submission.data, "household": {**submission.data["household"], **household}}
    return services.submission_submit(actor=collector, submission=submission, expected_version=1, data=data)


def test_township_operator_verifies_one_and_returns_another(page: Page, site: World, url: str) -> None:
    campaign = Campaign.objects.create(region=site.region("341502204"), year=2026, name="2026年横塘岗乡建档")
    good = submit(site, campaign, 1, address="周庵村 1 号", main_business="茶叶")
    bad = submit(site, campaign, 2, address="不详")
    login(page, url, "township_operator")
    page.goto(f"{url}/collection/")
    page.get_by_role("button", name="乡镇校核").click()
    page.locator("#id_state").select_option("submitted")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("tbody tr[data-submission]")).to_have_count(2)
    screenshot(page, "verify-queue")

    page.locator(f'tr[data-submission="{good.pk}"]').get_by_role("link", name="校核").click()
    expect(page.locator('tr[data-key="household.address"]')).to_contain_text("周庵村 1 号")
    expect(page.locator('tr[data-key="household.main_business"]')).to_contain_text("茶叶")
    screenshot(page, "verify-diff")
    page.get_by_role("button", name="校核通过").click()
    expect(page.locator(".flash-success")).to_contain_text("已校核")
    expect(page.locator("#submission-state")).to_have_text("已校核")
    expect(page.get_by_role("button", name="重新打开")).to_be_visible()

    page.goto(f"{url}/collection/submissions/{bad.pk}/")
    page.locator('input[name="reason-household.address"]').fill("住址不详，请入户核实门牌号")
    page.get_by_role("button", name="退回").click()
    expect(page.locator(".flash-success")).to_contain_text("已退回")
    expect(page.locator("#submission-state")).to_have_text("已退回")
    expect(page.locator("body")).to_contain_text("住址不详，请入户核实门牌号")
    screenshot(page, "verify-returned")

    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.state == SubmissionState.VERIFIED
    assert good.verified_by == site.users["township_operator"]
    assert Household.objects.get(pk=good.household_id).address == "周庵村 1 号"
    assert Household.objects.get(pk=good.household_id).status == "verified"
    assert bad.state == SubmissionState.RETURNED
    assert bad.return_reasons == {"household.address": "住址不详，请入户核实门牌号"}
    assert Household.objects.get(pk=bad.household_id).address == ""
