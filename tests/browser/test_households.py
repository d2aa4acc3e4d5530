"""What a township official, an evaluator and a collector do with household archives, in a real browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from python_calamine import CalamineWorkbook

from creditvillage.core.models import AuditEvent, Job, JobStatus
from creditvillage.registry.models import Household, Person
from tests.browser.conftest import PHONE, assert_fits_the_screen, login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOUAN = "341502204201"
HUANGDUN = "341502204202"


def head_id_number(household: Household) -> str:
    return Person.objects.get(household=household, relation="head").id_number


def test_township_operator_filters_by_village_and_reads_an_unmasked_archive(page: Page, site: World, url: str) -> None:
    login(page, url, "township_operator")
    expect(page.locator('[data-stat="households"] strong')).to_have_text("6")
    expect(page.locator('[data-stat="archived"] strong')).to_have_text("6")
    expect(page.locator('[data-task="verify"]')).to_contain_text("周庵村")
    expect(page.locator(".coverage-table tbody tr")).to_have_count(2)
    screenshot(page, "home-township-operator")

    page.locator(".site-header").get_by_role("link", name="农户档案").click()
    expect(page.get_by_test_id("result-count")).to_have_text("共 6 户")
    page.evaluate("window.__sameDocument = true")
    page.locator("#id_region").select_option(ZHOUAN)
    expect(page.get_by_test_id("result-count")).to_have_text("共 3 户")
    assert page.evaluate("window.__sameDocument === true"), "the filter reloaded the page instead of swapping"
    expect(page).to_have_url(re.compile(rf"region={ZHOUAN}"))
    rows = page.locator(".hh-table tbody tr")
    expect(rows).to_have_count(3)
    for household in site.households[HUANGDUN]:
        expect(page.locator(".hh-table")).not_to_contain_text(household.head_name)
    household = site.household(ZHOUAN, 0)
    expect(rows.first).to_contain_text(household.phone)  # unmasked for the operator
    screenshot(page, "household-list-filtered")

    page.locator(".hh-table").get_by_role("link", name=household.head_name, exact=True).click()
    expect(page.get_by_role("heading", level=2)).to_contain_text(household.head_name)
    expect(page.locator('.members-table [data-field="id_number"]').first).to_have_text(head_id_number(household))
    expect(page.locator(".privacy-note")).to_have_count(0)
    expect(page.locator("#history")).to_be_visible()
    screenshot(page, "household-detail-unmasked")


def test_evaluator_sees_the_same_archive_with_ids_masked(page: Page, site: World, url: str) -> None:
    household = site.household(ZHOUAN, 0)
    id_number = head_id_number(household)
    login(page, url, "evaluator")
    page.goto(f"{url}/households/")
    expect(page.locator(".hh-table tbody tr").first).to_contain_text(f"{household.phone[:3]}****{household.phone[7:]}")

    page.goto(f"{url}/households/{household.pk}/")
    expect(page.locator('.members-table [data-field="id_number"]').first).to_have_text(
        f"{id_number[:6]}********{id_number[14:]}"
    )
    expect(page.locator("body")).not_to_contain_text(id_number)
    expect(page.locator("body")).not_to_contain_text(household.phone)
    expect(page.locator(".privacy-note")).to_be_visible()
    expect(page.locator("#history")).to_have_count(0)  # no audit or change right
    expect(page.get_by_role("button", name="修改档案")).to_have_count(0)
    screenshot(page, "household-detail-masked")


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_collector_corrects_a_phone_number_on_a_phone(page: Page, site: World, url: str) -> None:
    household = site.household(ZHOUAN, 0)
    login(page, url, "collector")
    assert_fits_the_screen(page)
    screenshot(page, "phone-home-collector")

    page.locator(".site-header").get_by_role("link", name="农户档案").click()
    expect(page.locator(".hh-cards")).to_be_visible()
    expect(page.locator(".hh-table")).to_be_hidden()  # cards, not a table, on a phone
    assert_fits_the_screen(page)
    screenshot(page, "phone-household-list")

    page.locator(f'.hh-card[data-household="{household.pk}"]').click()
    page.get_by_role("button", name="修改档案").click()
    page.locator("#id_phone").fill("13912345678")
    page.get_by_role("button", name="保存修改").click()
    expect(page.locator('[data-error-for="reason"]')).to_contain_text("请填写修改原因")
    assert_fits_the_screen(page)
    screenshot(page, "phone-household-edit-needs-reason")

    page.locator("#id_reason").fill("入户核实后更正")
    page.get_by_role("button", name="保存修改").click()
    expect(page.locator(".flash-success")).to_contain_text("已保存")
    expect(page.locator('#basic [data-field="phone"]')).to_have_text("13912345678")
    entry = page.locator("#history li").first
    expect(entry).to_contain_text("collector")
    expect(entry).to_contain_text("入户核实后更正")
    expect(entry).to_contain_text("13912345678")
    assert_fits_the_screen(page)
    screenshot(page, "phone-household-after-edit")

    household.refresh_from_db()
    assert household.phone == "13912345678"
    assert AuditEvent.objects.get(action="household.updated", target_id=str(household.pk)).reason == "入户核实后更正"


def test_export_reaches_100_percent_and_downloads_an_xlsx(
    page: Page, site: World, url: str, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path  # the live server's thread shares the settings object
    login(page, url, "township_operator")
    page.goto(f"{url}/households/?region={ZHOUAN}")
    page.get_by_role("button", name="导出 Excel").click()
    expect(page.locator("#job-progress")).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("job-percent")).to_have_text("100%")
    screenshot(page, "export-job-done")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="下载 Excel 文件").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    table = CalamineWorkbook.from_path(str(download.path())).get_sheet_by_index(0).to_python()
    assert table[0][:3] == ["户编号", "所属村", "户主姓名"]
    assert sorted(row[0] for row in table[1:]) == sorted(h.number for h in site.households[ZHOUAN])


def test_job_page_polls_until_the_job_is_done(page: Page, site: World, url: str, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    job = Job.objects.create(
        kind="household_export",
        created_by=site.users["township_operator"],
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        total=10,
        done=4,
    )
    login(page, url, "township_operator")
    page.goto(f"{url}/jobs/{job.pk}/")
    expect(page.get_by_test_id("job-percent")).to_have_text("40%")
    page.evaluate("window.__sameDocument = true")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "done.xlsx").write_bytes(b"xlsx")
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED, done=10, finished_at=timezone.now(), result_file="exports/done.xlsx"
    )
    expect(page.get_by_test_id("job-percent")).to_have_text("100%")  # htmx polls every second
    expect(page.get_by_role("button", name="下载 Excel 文件")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true")
