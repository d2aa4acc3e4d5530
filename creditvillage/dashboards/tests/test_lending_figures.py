"""stats_overview's lending figures: credit granted and used, loans outstanding, NPL — in scope only."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from creditvillage.dashboards.selectors import stats_overview
from creditvillage.lending import loans
from creditvillage.lending.models import Loan
from creditvillage.lending.tests.conftest import bank, product  # noqa: F401 - fixtures
from creditvillage.lending.tests.test_loans import _disbursed
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def test_lending_figures_in_the_overview(world: World, product: Any) -> None:  # noqa: F811
    loan = _disbursed(world, product, dt.date(2026, 1, 10))  # AAA line 500,000; loan 50,000
    loans.loan_default(loan=loan, overdue_days=120, on=dt.date(2026, 6, 1))
    township = stats_overview(actor=world.users["township_operator"], region="341502204000")
    assert township["credit_granted_yuan"] == 500_000
    assert township["credit_used_yuan"] == 50_000
    assert township["loans_outstanding_yuan"] == 50_000
    assert township["npl_yuan"] == 50_000
    assert township["npl_ratio"] == "1.0000"
    # Another township's operator counts nothing of it; the bank counts its consenting household.
    assert stats_overview(actor=world.users["other_township_operator"])["credit_granted_yuan"] == 0
    assert stats_overview(actor=world.users["bank_officer"])["loans_outstanding_yuan"] == 50_000
    Loan.objects.filter(pk=loan.pk).update(status="closed", principal_outstanding_fen=0)
    after = stats_overview(actor=world.users["township_operator"])
    assert (after["loans_outstanding_yuan"], after["npl_yuan"], after["npl_ratio"]) == (0, 0, None)


def test_home_and_region_pages_show_credit_by_region(world: World, product: Any, client: Any) -> None:  # noqa: F811
    from creditvillage.dashboards.selectors import children_lending
    from creditvillage.regions.models import Region

    loan = _disbursed(world, product, dt.date(2026, 1, 10))
    loans.loan_default(loan=loan, overdue_days=120, on=dt.date(2026, 6, 1))
    operator = world.users["township_operator"]
    villages = list(Region.objects.filter(parent_id="341502204000").order_by("code"))
    per_village = children_lending(actor=operator, regions=villages)
    zhouan = per_village["341502204201"]
    assert zhouan == {
        "granted_fen": 50_000_000,
        "used_fen": 5_000_000,
        "outstanding_fen": 5_000_000,
        "npl_fen": 5_000_000,
    }
    assert sum(v["granted_fen"] for v in per_village.values()) == 50_000_000  # nothing counted twice
    assert children_lending(actor=world.users["other_township_operator"], regions=villages)["341502204201"] == {
        "granted_fen": 0,
        "used_fen": 0,
        "outstanding_fen": 0,
        "npl_fen": 0,
    }

    client.force_login(operator)
    home = client.get("/").content.decode()
    assert 'data-testid="lending-stats"' in home
    assert "<strong>50.00</strong><span>授信额度（万元）" in home  # 500,000 yuan = 50 万元
    assert "<strong>100.00%</strong><span>不良率" in home
    assert '"kind": "credit"' in home
    chart = json.loads(home.split('id="chart-credit" type="application/json">')[1].split("</script>")[0])
    assert chart["data"] == [["周庵村", 50.0, 5.0]]  # villages without credit are left out of the chart
    page = client.get("/regions/341502204000/").content.decode()
    assert "贷款余额（万元）" in page
    assert "不良 5.00" in page  # 周庵村's row: 50,000 yuan NPL


def test_money_filters_never_touch_floats() -> None:
    from creditvillage.core.templatetags.cv import fen_wan, ratio_percent, wan

    assert wan(12_345_600) == "1,234.56"
    assert wan(None) == "—"
    assert fen_wan(123_456_789) == "123.46"
    assert fen_wan(1) == "0.00"
    assert ratio_percent("0.0123") == "1.23"
    assert ratio_percent(None) == "—"


def test_a_household_sees_its_own_line_and_loans_on_its_home_page(world: World, product: Any, client: Any) -> None:  # noqa: F811
    loan = _disbursed(world, product, dt.date(2026, 1, 10))  # AAA line 500,000 yuan, 50,000 used
    client.force_login(world.users["household"])
    html = client.get("/").content.decode()
    card = html.split('data-task="own-credit"')[1].split("</article>")[0]
    assert "可用额度 450,000.00 元" in card
    assert f"/lending/loans/{loan.pk}/" in card
    assert "50,000.00 元" in card
    assert "/rating/mine/" in html
    # Another household's user sees none of it.
    client.force_login(world.users["collector"])
    assert 'data-task="own-credit"' not in client.get("/").content.decode()


def test_region_figures_export_to_excel(world: World, product: Any, client: Any) -> None:  # noqa: F811
    import io

    from python_calamine import CalamineWorkbook

    from creditvillage.core.models import AuditEvent

    loan = _disbursed(world, product, dt.date(2026, 1, 10))
    loans.loan_default(loan=loan, overdue_days=120, on=dt.date(2026, 6, 1))
    client.force_login(world.users["township_operator"])
    assert "/regions/341502204000/export.xlsx" in client.get("/").content.decode()
    response = client.get("/regions/341502204000/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="341502204000-')
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["概况", "等级分布", "下辖区域"]
    overview = {row[0]: row[1] for row in book.get_sheet_by_name("概况").to_python()[1:]}
    assert overview["区域"] == "横塘岗乡（341502204000）"
    assert overview["农户（户）"] == 6
    assert overview["授信额度（元）"] == 500_000
    assert overview["不良贷款（元）"] == 50_000
    assert overview["不良率（%）"] == 100
    villages = {row[0]: row for row in book.get_sheet_by_name("下辖区域").to_python()[1:]}
    assert villages["341502204201"][1:3] == ["周庵村", 3]
    assert villages["341502204201"][6:10] == [500_000, 50_000, 50_000, 50_000]
    assert villages["341502204202"][6] == 0
    event = AuditEvent.objects.get(action="stats.exported")
    assert (event.actor_id, event.region_code) == (world.users["township_operator"].pk, "341502204000")
    # Out of scope, or without figures on the page: the answer of a region that does not exist.
    client.force_login(world.users["other_township_operator"])
    assert client.get("/regions/341502204000/export.xlsx").status_code == 404
    client.force_login(world.users["household"])
    assert client.get("/regions/341502204201/export.xlsx").status_code == 404
