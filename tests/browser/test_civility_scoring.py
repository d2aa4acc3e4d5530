"""An evaluator scores a household on a phone (390×844): ticks items, counts a per-case item, submits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from creditvillage.civility import services
from creditvillage.civility.models import Evaluation, GroupKind
from creditvillage.core.models import AuditEvent
from creditvillage.registry.models import Person
from tests.browser.conftest import PHONE, assert_fits_the_screen, login, screenshot
from tests.fixtures import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOUAN = "341502204201"


@pytest.mark.browser_context_args(viewport=PHONE, is_mobile=True, has_touch=True)
def test_evaluator_scores_a_household_on_a_phone(page: Page, site: World, url: str) -> None:
    operator = site.users["township_operator"]
    round_ = services.round_create(
        actor=operator,
        region_code=ZHOUAN,
        year=2026,
        scheme_version=services.default_version_ensure(),
        reason="年度评议",
    )
    member = services.member_add(
        actor=operator, round=round_, group=GroupKind.EVALUATION, user=site.users["evaluator"],
        id_number=Person.objects.get(household=site.household(ZHOUAN, 0)).id_number, reason="组建评议小组",
    )  # fmt: skip
    own, target = site.household(ZHOUAN, 0), site.household(ZHOUAN, 1)

    page.set_default_navigation_timeout(60_000)  # this machine is shared and often heavily loaded
    login(page, url, "evaluator")
    page.goto(f"{url}/civility/")
    page.get_by_test_id("my-round").first.click()
    expect(page.get_by_test_id("progress")).to_have_text("已评 0 户，待评 2 户")
    # the evaluator's own household is shown as recused, without a link
    expect(page.locator(f'[data-household="{own.pk}"]')).to_have_attribute("data-state", "recused")
    expect(page.locator(f'[data-household="{own.pk}"] a')).to_have_count(0)
    assert_fits_the_screen(page)
    screenshot(page, "civility-score-list-phone")

    page.locator(f'[data-household="{target.pk}"] a').click()
    page.get_by_label("参加村民会议和村级事务").check()
    page.get_by_label("乱扔垃圾或焚烧秸秆（每次）").check()
    page.get_by_label("次数").fill("2")
    page.get_by_label("备注").fill("入户走访核实")
    assert_fits_the_screen(page)
    screenshot(page, "civility-score-phone")
    page.get_by_role("button", name="提交评分").click()

    expect(page.get_by_test_id("progress")).to_have_text("已评 1 户，待评 1 户")
    expect(page.locator(f'[data-household="{target.pk}"]')).to_contain_text("23.00")
    evaluation = Evaluation.objects.get(member=member, household=target)
    assert evaluation.score == Decimal("23.00")  # 24 base + 1 − 1×2
    assert evaluation.note == "入户走访核实"
    assert AuditEvent.objects.filter(action="civility.evaluation_submitted", target_id=str(evaluation.pk)).count() == 1
    assert not Evaluation.objects.filter(household=own).exists()
