"""A household applies for credit repair on a phone; the village operator passes it on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from creditvillage.rating.adjust.models import RepairApplication, RepairStatus
from creditvillage.rating.adjust.services import rating_downgrade
from creditvillage.rating.models import NegativeListEntry, Rating, RatingStatus
from tests.browser.conftest import PHONE, assert_fits_the_screen, login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOUAN = "341502204201"


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_household_applies_for_repair_on_a_phone(
    page: Page, site: World, url: str, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    household = site.household(ZHOUAN, 0)  # the household persona's own
    member = household.members.first()
    assert member is not None
    Rating.objects.create(
        subject_type="household",
        subject_id=household.pk,
        household_id=household.pk,
        region_code=ZHOUAN,
        model_code="household-default",
        model_version=1,
        score=85,
        grade="AA",
        credit_subject=True,
        status=RatingStatus.FINAL,
        created_at=timezone.now(),
    )
    today = timezone.localdate()
    entry = NegativeListEntry.objects.create(
        id_number=member.id_number,
        name=member.name,
        source="失信被执行人名单",
        basis="（2025）皖1502执9号",
        listed_on=today - dt.timedelta(days=60),
        expires_on=today + dt.timedelta(days=1700),
    )
    rating_downgrade(
        actor=None,
        subject_type="household",
        subject_id=household.pk,
        reason="命中负面清单：失信被执行人名单",
        source="negative_list",
        negative_entry=entry,
    )
    evidence = tmp_path / "结案通知书.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)

    page.set_default_timeout(60_000)  # a loaded CI machine answers the first page slowly
    login(page, url, "household")
    page.goto(f"{url}/rating/adjust/repairs/apply/")
    page.get_by_label("要修复的负面信息").select_option(f"entry:{entry.pk}")
    page.get_by_label("整改说明").fill("判决确定的欠款已全部还清，法院已出具结案通知书。")
    page.get_by_label("证明材料（PDF、JPG、PNG，5MB以内）").set_input_files(str(evidence))
    assert_fits_the_screen(page)
    screenshot(page, "phone-repair-apply")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_test_id("repair-status")).to_have_text("待村审核")
    assert_fits_the_screen(page)
    application = RepairApplication.objects.get()
    assert application.evidence_file.name

    page.context.clear_cookies()
    login(page, url, "village_operator")
    page.goto(f"{url}/rating/adjust/repairs/{application.pk}/")
    page.get_by_label("结论").select_option("approve")
    page.get_by_label("意见").fill("经村评议小组核实属实")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("repair-status")).to_have_text("待乡镇审批")
    screenshot(page, "phone-repair-village-reviewed")
    application.refresh_from_db()
    assert application.status == RepairStatus.VILLAGE_REVIEWED
