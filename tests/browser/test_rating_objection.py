"""A villager opens the public notice on a phone, files an objection; a township reviewer corrects it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.rating import selectors, services
from creditvillage.rating.models import Objection, Rating, RatingNotification, RatingStatus
from tests.browser.conftest import PHONE, assert_fits_the_screen, login, screenshot
from tests.fixtures import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOUAN = "341502204201"


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_villager_objects_on_a_phone_and_the_township_corrects(page: Page, site: World, url: str) -> None:
    operator = site.users["township_operator"]
    cycle = services.cycle_open(actor=operator, region_code="341502204", year=2026)
    services.cycle_run(actor=operator, cycle=cycle)
    notice = services.notices_publish(
        actor=operator, cycle=cycle, villages=[ZHOUAN], starts_at=timezone.now() - dt.timedelta(hours=1)
    ).notices[0]
    target = site.household(ZHOUAN, 1)
    rating = Rating.objects.get(cycle=cycle, household_id=target.pk)

    # The villager scans the QR on the printed notice: the public page, no login.
    page.goto(f"{url}{selectors.notice_public_path(notice)}")
    expect(page.locator("h1")).to_contain_text("周庵村")
    expect(page.locator(".notice-table tbody tr")).to_have_count(3)
    expect(page.locator(".qr svg")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(target.head_name)  # names masked
    assert_fits_the_screen(page)
    screenshot(page, "phone-rating-notice-public")

    page.get_by_role("button", name="提出异议").click()
    page.get_by_label("对谁的评定有异议").select_option(str(rating.pk))
    page.get_by_label("您的姓名").fill("王建国")
    page.get_by_label("手机号码").fill("139 1234 5678")
    page.get_by_label("异议内容").fill("该户今年开办了养殖场，收入提高，评定偏低。")
    assert_fits_the_screen(page)
    screenshot(page, "phone-rating-objection-form")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator(".flash")).to_contain_text("异议已受理")
    objection = Objection.objects.get()
    assert (objection.objector_phone, objection.rating_id) == ("13912345678", rating.pk)
    assert Rating.objects.get(pk=rating.pk).status == RatingStatus.OBJECTED

    # A township reviewer (not the operator who published) corrects it on a desktop.
    reviewer = User.objects.create_user(username="reviewer", password=PASSWORD, display_name="复核员")
    RoleAssignment.objects.create(user=reviewer, role="township_operator", region=site.region("341502204"))
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, url, "reviewer")
    page.goto(f"{url}/rating/objections/")
    page.get_by_role("link", name=str(objection.pk), exact=True).click()
    page.get_by_label("处理结论").select_option("corrected")
    page.get_by_label("更正后的等级").select_option("AA")
    page.get_by_label("理由").fill("入户核实养殖收入属实，更正为AA")
    page.get_by_role("button", name="提交处理结论").click()
    expect(page.locator("[data-objection-status]")).to_have_text("更正")
    screenshot(page, "rating-objection-corrected")
    new = Rating.objects.get(supersedes=rating)
    assert (new.grade, new.version, Rating.objects.get(pk=rating.pk).status) == ("AA", 2, RatingStatus.SUPERSEDED)
    assert RatingNotification.objects.filter(household_id=target.pk, rating=new).exists()
