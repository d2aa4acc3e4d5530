"""The township reopens a closed civility round with a reason and sees its history; reviewers and
the household itself look at evidence photos (round page → household → thumbnails → full image)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from creditvillage.civility import services
from creditvillage.civility.demo import demo_png
from creditvillage.civility.models import PROCEDURE_STEPS, CivilityRound, Evaluation, GroupKind
from creditvillage.core.models import AuditEvent
from tests.browser.conftest import PHONE, assert_fits_the_screen, login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOUAN = "341502204201"


def closed_round_with_photos(site: World) -> tuple[CivilityRound, list[Evaluation]]:
    operator = site.users["township_operator"]
    round_ = services.round_create(
        actor=operator, region_code=ZHOUAN, year=2026, scheme_version=services.default_version_ensure(),
        reason="年度评议",
    )  # fmt: skip
    named = [
        services.member_add(actor=operator, round=round_, group=GroupKind.EVALUATION, name=n, reason="纸质评议表")
        for n in ("张评议", "李评议", "王评议")
    ]
    own = site.household(ZHOUAN, 0)  # the household login's household
    colours = [(70, 130, 180), (60, 160, 90), (200, 140, 60)]
    evaluations = []
    for member, colour, note in zip(named, colours, ("门前屋后整洁", "入户核实家庭和睦", "参加义务劳动"), strict=True):
        evaluations.append(
            services.evaluation_submit(
                actor=operator,
                round=round_,
                household=own,
                member=member,
                marks={},
                note=note,
                photo=SimpleUploadedFile("p.png", demo_png(640, 480, colour), "image/png"),
                reason="录入纸质表",
            )  # fmt: skip
        )
        services.evaluation_submit(
            actor=operator, round=round_, household=site.household(ZHOUAN, 1), member=member, marks={},
            reason="录入纸质表",
        )  # fmt: skip
    for offset, kind in enumerate(PROCEDURE_STEPS[round_.procedure]):
        day = dt.date(2026, 6, 1) + dt.timedelta(days=offset)
        services.step_record(
            actor=operator, round=round_, kind=kind, held_on=day, ends_on=day, expected=5, present=5,
            attendees="评议小组", minutes="会议纪要",
        )  # fmt: skip
    services.round_close(actor=operator, round=round_, reason="评议结束")
    return round_, evaluations


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def test_township_reopens_a_round_and_views_evidence(page: Page, site: World, url: str, media: None) -> None:
    round_, evaluations = closed_round_with_photos(site)
    own = site.household(ZHOUAN, 0)
    page.set_default_navigation_timeout(60_000)
    login(page, url, "township_operator")
    page.goto(f"{url}/civility/rounds/{round_.pk}/")
    expect(page.get_by_test_id("round-status")).to_have_text("已结束")
    # round page → household → evidence thumbnails
    page.locator(f'[data-household="{own.pk}"] [data-testid="evidence-link"]').click()
    expect(page.get_by_test_id("evidence-photo")).to_have_count(3)
    expect(page.get_by_test_id("evidence")).to_contain_text("入户核实家庭和睦")
    for img in page.locator("[data-testid=evidence] img").all():
        img.scroll_into_view_if_needed()  # thumbnails load lazily
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=evidence] img')].every(i => i.complete && i.naturalWidth)"
    )
    loaded = page.locator("[data-testid=evidence] img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert loaded == [640, 640, 640]  # served through Django and decoded by the browser
    screenshot(page, "civility-evidence-desktop")
    # → the full image
    with page.context.expect_page() as popup:
        page.get_by_test_id("evidence-photo").first.click()
    full = popup.value
    full.wait_for_load_state()
    assert full.url.endswith(f"/civility/rounds/{round_.pk}/evidence/{evaluations[0].pk}/photo/")
    assert full.evaluate("document.images[0].naturalWidth") == 640
    full.close()

    # reopen with a reason
    page.goto(f"{url}/civility/rounds/{round_.pk}/")
    page.get_by_test_id("reopen").click()
    page.get_by_label("重新开启原因").fill("审议发现王评议的评分依据有误，需更正")
    screenshot(page, "civility-reopen")
    page.get_by_role("button", name="确认重新开启").click()
    expect(page.get_by_test_id("round-status")).to_have_text("评议中")
    expect(page.get_by_test_id("reopened")).to_be_visible()
    expect(page.get_by_test_id("history")).to_contain_text("第 1 次结束：2 户")
    screenshot(page, "civility-round-reopened")
    event = AuditEvent.objects.get(action="civility.round_reopened")
    assert event.reason == "审议发现王评议的评分依据有误，需更正"


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_household_sees_its_own_evidence_on_a_phone(page: Page, site: World, url: str, media: None) -> None:
    round_, _evaluations = closed_round_with_photos(site)
    page.set_default_navigation_timeout(60_000)
    login(page, url, "household")
    page.goto(f"{url}/civility/")
    page.get_by_test_id("own-evidence").click()
    expect(page.get_by_test_id("evidence-photo")).to_have_count(3)
    # no evaluator names, no notes for the household
    expect(page.get_by_test_id("evidence")).not_to_contain_text("王评议")
    expect(page.get_by_test_id("evidence")).not_to_contain_text("入户核实")
    assert_fits_the_screen(page)
    screenshot(page, "civility-evidence-household-phone")
    # another household's evidence: as missing
    other = page.goto(f"{url}/civility/rounds/{round_.pk}/households/{site.household(ZHOUAN, 1).pk}/evidence/")
    assert other is not None
    assert other.status == 404
