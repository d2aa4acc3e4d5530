"""A collector imports an Excel file with deliberate errors and sees them on the results page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from creditvillage.collection.imports.samples import KEYS, household_rows, xlsx_bytes
from creditvillage.registry.models import Household
from tests.browser.conftest import PHONE, assert_fits_the_screen, login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOUAN = "341502204201"


def test_import_with_errors_shows_them_on_the_page(
    page: Page, site: World, url: str, settings: object, tmp_path: object
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    rows = household_rows([ZHOUAN], 3, seed=41, first=7001, members=(2, 2))
    rid = rows[0][KEYS.index("id_number")]
    rows[0][KEYS.index("id_number")] = rid[:17] + ("0" if rid[17] != "0" else "1")  # bad check digit
    rows[3][KEYS.index("political_status")] = "党员群众"  # not an allowed value
    page.set_default_timeout(60_000)  # the import runs inside the upload request; shared machines are slow
    login(page, url, "collector")
    page.goto(f"{url}/collection/imports/")
    expect(page.get_by_test_id("template-link")).to_be_visible()
    page.locator("#id_region").select_option(ZHOUAN)
    page.locator("#id_file").set_input_files(
        {
            "name": "农户导入.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": xlsx_bytes(rows),
        }
    )
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.get_by_test_id("rows-total")).to_have_text("6")
    expect(page.get_by_test_id("rows-imported")).to_have_text("2")
    expect(page.get_by_test_id("rows-rejected")).to_have_text("4")
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("bad_check_digit")
    expect(errors).to_contain_text("身份证号码校验位错误")
    expect(errors).to_contain_text("bad_choice")
    expect(errors).to_contain_text("household_rejected")
    expect(page.get_by_test_id("report-link")).to_be_visible()
    screenshot(page, "import-results-with-errors")
    assert Household.objects.filter(number=rows[4][0]).exists()
    assert not Household.objects.filter(number=rows[0][0]).exists()

    page.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"]})
    page.reload()
    expect(page.get_by_test_id("import-errors")).to_be_visible()
    assert_fits_the_screen(page)
    screenshot(page, "import-results-phone")
