"""A collector's task cards on a phone (returned first, countdown), and the township's progress page
with its chart and closure column."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from creditvillage.collection.models import VillageClosure
from creditvillage.collection.tests.campaign_fixtures import (
    HUANGDUN,
    ZHOUAN,
    add_collector,
    add_places,
    assign,
    make_campaign,
    submit,
)
from tests.browser.conftest import PHONE, assert_fits_the_screen, login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _campaign(site: World) -> int:
    add_places(site)
    campaign = make_campaign(site)
    collector = site.users["collector"]
    z = site.households[ZHOUAN]
    for household in z:
        assign(campaign, household, collector)
    submit(campaign, z[0], collector, "verified")
    submit(campaign, z[1], collector, "returned", reasons={"household.phone": "联系电话为空号，请核实"})
    hd = add_collector("hd", HUANGDUN, "黄墩采集员")
    for household in site.households[HUANGDUN]:
        assign(campaign, household, hd)
        submit(campaign, household, hd, "verified")
    VillageClosure.objects.create(campaign=campaign, village_id=HUANGDUN, closed_at=timezone.now())
    return campaign.pk


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_collector_sees_task_cards_on_a_phone(page: Page, site: World, url: str) -> None:
    pk = _campaign(site)
    page.set_default_timeout(40_000)
    login(page, url, "collector")
    page.goto(f"{url}/collection/")
    expect(page.locator(".campaign-progress")).to_contain_text("我的采集任务")
    page.get_by_role("link", name="我的采集任务").first.click()
    expect(page).to_have_url(f"{url}/collection/campaigns/{pk}/mine/")
    cards = page.locator(".task-card")
    expect(cards).to_have_count(3)
    expect(cards.first).to_have_attribute("data-stage", "returned")
    expect(cards.first).to_contain_text("联系电话为空号，请核实")
    expect(page.locator("[data-deadline]")).to_be_visible()
    expect(page.get_by_test_id("due")).to_have_text("2")
    assert_fits_the_screen(page)
    screenshot(page, "phone-collector-task-cards")


def test_township_sees_progress_chart_and_closures(page: Page, site: World, url: str) -> None:
    pk = _campaign(site)
    page.set_default_timeout(40_000)
    login(page, url, "township_operator")
    page.goto(f"{url}/collection/campaigns/{pk}/progress/")
    expect(page.locator(f'#progress-villages tr[data-village="{HUANGDUN}"]')).to_contain_text("已关闭")
    expect(page.locator(f'#progress-villages tr[data-village="{ZHOUAN}"]')).to_contain_text("采集中")
    expect(page.locator('[data-chart="chart-progress"][data-chart-ready="1"]')).to_have_count(1)
    expect(page.locator("#progress-collectors")).to_contain_text("黄墩采集员")
    screenshot(page, "township-campaign-progress")
