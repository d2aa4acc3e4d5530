"""An administrator edits a scoring model (a draft version) and runs a simulation, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from creditvillage.core.models import AuditEvent
from creditvillage.scoring.models import ModelVersion
from tests.browser.conftest import login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_edits_a_draft_and_simulates_it(page: Page, site: World, url: str) -> None:
    login(page, url, "admin")
    page.goto(f"{url}/scoring/")
    expect(page.locator("#models")).to_contain_text("HH-DEFAULT")
    page.locator('[data-version="HH-DEFAULT-1"]').click()
    expect(page.locator('section.block[data-block="economy"]')).to_contain_text("家庭年纯收入")
    screenshot(page, "scoring-version")

    page.get_by_placeholder("变更原因").fill("提高收入分段门槛")
    page.get_by_role("button", name="基于此版本新建草稿").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("v2")
    page.locator('tr[data-indicator="net_income"]').get_by_role("link", name="修改").click()
    page.get_by_label("分段界限").fill("5, 10, 20, 40")
    page.get_by_label("各段得分").fill("2, 4, 6, 8, 10")
    page.get_by_label("变更原因").fill("提高收入分段门槛")
    page.get_by_role("button", name="保存修改").click()
    expect(page.locator('tr[data-indicator="net_income"]')).to_contain_text("≥40万元")

    draft = ModelVersion.objects.get(model__code="HH-DEFAULT", number=2)
    assert draft.indicators.get(code="net_income").bins[0] == {"upper": 5.0, "points": 2.0}
    assert AuditEvent.objects.filter(action="scoring.indicator_update", reason="提高收入分段门槛").count() == 1

    page.locator("#simulate-link").click()
    page.locator("#id_region").select_option("341502204000")
    page.locator("#simulate-form").get_by_role("button", name="开始测算").click()
    expect(page.locator("#shifts tbody tr[data-village]")).not_to_have_count(0)
    expect(page.locator("#totals")).to_contain_text("共 ")
    expect(page.locator('#shift-chart[data-chart-ready="1"]')).to_have_count(1)
    screenshot(page, "scoring-simulation")
