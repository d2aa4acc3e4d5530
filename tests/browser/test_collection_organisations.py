"""A collector corrects a family farm's archive on a phone (390×844): the USCC checked as typed,
money in yuan, save as draft, submit; the township verifies it field by field."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from creditvillage.collection.models import Campaign, Submission, SubmissionState
from creditvillage.core.identifiers import uscc_check_char
from creditvillage.registry.models import BusinessEntity
from tests.browser.conftest import PHONE, assert_fits_the_screen, login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOUAN = "341502204201"


def uscc(body: str) -> str:
    return body + uscc_check_char(body)


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_collector_corrects_an_entity_on_a_phone_and_the_township_verifies(page: Page, site: World, url: str) -> None:
    Campaign.objects.create(region=site.region("341502204"), year=2026, name="2026年横塘岗乡建档")
    farm = BusinessEntity.objects.create(
        region=site.region(ZHOUAN),
        name="周庵家庭农场",
        uscc=uscc("93341502MA2N00011"),
        kind="family_farm",
        legal_rep_name="周大",
        employees=5,
        assets_fen=120_000_000,
    )
    login(page, url, "collector")
    page.goto(f"{url}/collection/")
    page.get_by_role("button", name="主体采集").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("经营主体与村集体采集")
    assert_fits_the_screen(page)
    page.get_by_role("link", name="周庵家庭农场").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("周庵家庭农场")
    assert_fits_the_screen(page)

    # The USCC is checked as soon as the field changes; a right one clears the message.
    code = page.locator('input[name="org-uscc"]')
    code.fill(farm.uscc[:-1] + ("1" if farm.uscc[-1] != "1" else "2"))
    code.blur()
    expect(page.locator("#hint-uscc .field-error")).to_contain_text("校验位错误")
    code.fill(farm.uscc)
    code.blur()
    expect(page.locator("#hint-uscc .field-error")).to_have_count(0)
    page.locator('select[name="org-kind"]').select_option("cooperative")
    page.locator('input[name="org-employees"]').fill("18")
    page.locator('input[name="org-assets_fen"]').fill("1500000.5")
    page.locator('input[name="org-founded_on"]').fill("2019-05-20")
    assert_fits_the_screen(page)
    screenshot(page, "phone-collection-entity-form")

    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".flash-success")).to_contain_text("草稿已保存")
    expect(page.locator("#submission-state")).to_have_text("草稿")
    expect(page.locator('input[name="org-assets_fen"]')).to_have_value("1500000.5")
    page.get_by_role("button", name="提交校核").click()
    expect(page.locator(".flash-success")).to_contain_text("已提交")
    expect(page.locator(f'[data-subject="entity-{farm.pk}"]')).to_contain_text("已提交")
    assert_fits_the_screen(page)
    submission = Submission.objects.get(subject_type="entity", subject_id=farm.pk)
    assert submission.state == SubmissionState.SUBMITTED
    assert submission.data["entity"]["assets_fen"] == 150_000_050

    # The township accepts the kind and the staff count, not the assets.
    page.context.clear_cookies()
    login(page, url, "township_operator")
    page.goto(f"{url}/collection/submissions/{submission.pk}/")
    expect(page.locator('tr[data-key="entity.kind"]')).to_contain_text("农民专业合作社")
    expect(page.locator('tr[data-key="entity.assets_fen"]')).to_contain_text("1,500,000.50")
    screenshot(page, "phone-collection-entity-verify")
    page.get_by_label("逐项校核", exact=False).check()
    page.locator('tr[data-key="entity.assets_fen"] input[type="checkbox"]').uncheck()
    page.locator('tr[data-key="entity.founded_on"] input[type="checkbox"]').uncheck()
    page.get_by_role("button", name="校核通过").click()
    expect(page.locator(".flash-success")).to_contain_text("已校核")
    farm.refresh_from_db()
    assert (farm.kind, farm.employees, farm.assets_fen, farm.founded_on) == ("cooperative", 18, 120_000_000, None)
    assert farm.status == "verified"
