"""Language switching and login lockout, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switching_to_english_shows_english_labels(page: Page, site: World, url: str) -> None:
    login(page, url, "township_operator")
    # The browser asks for English (en-US), but Chinese is the default until the user chooses.
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".site-header")).to_contain_text("首页")

    page.locator("#lang-select").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    header = page.locator(".site-header")
    expect(header.get_by_role("link", name="Home")).to_be_visible()
    expect(header.get_by_role("link", name="Households")).to_be_visible()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    expect(page.locator('[data-stat="credit_subjects"]')).to_contain_text("Credit households")
    screenshot(page, "home-english")

    header.get_by_role("link", name="Households").click()
    expect(page.get_by_test_id("result-count")).to_have_text("6 households")
    expect(page.locator("form.filters label").nth(2)).to_contain_text("Credit grade")
    expect(page.locator("body")).not_to_contain_text("农户档案")

    page.locator("#lang-select").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("result-count")).to_have_text("共 6 户")


def test_five_wrong_passwords_lock_the_account(page: Page, site: World, url: str) -> None:
    for _attempt in range(4):
        login(page, url, "collector", "not-the-password")
        expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    login(page, url, "collector", "not-the-password")  # the fifth
    expect(page.get_by_role("heading", level=2)).to_have_text("登录失败次数过多，账号已暂时锁定")

    login(page, url, "collector")  # now even the right password is refused
    expect(page.get_by_role("heading", level=2)).to_have_text("登录失败次数过多，账号已暂时锁定")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator(".site-header")).not_to_contain_text("农户档案")  # not logged in
    screenshot(page, "login-locked-out")
