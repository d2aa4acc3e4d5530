"""The model validation page, the bank's pre-approved list and the repayment upload page."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
import xlsxwriter
from django.test import Client
from django.utils import timezone

from creditvillage.lending import validation
from creditvillage.lending.models import CreditProduct, Repayment
from creditvillage.lending.tests.test_loans import _disbursed
from creditvillage.rating.models import Rating, RatingCycle
from tests.fixtures import World

pytestmark = pytest.mark.django_db
ZHOUAN = "341502204201"


def page(world: World, who: str) -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def _rate_all(world: World, year: int) -> None:
    cycle = RatingCycle.objects.create(region=world.region("341502204"), year=year, name=f"{year}", status="final")
    for i, household in enumerate(world.households[ZHOUAN]):
        Rating.objects.create(
            cycle=cycle,
            subject_type="household",
            subject_id=household.pk,
            household_id=household.pk,
            region_code=household.region_id,
            model_code="t",
            model_version=1,
            score=Decimal(60 + 10 * i),
            grade=["A", "AA", "AAA"][i % 3],
            credit_subject=True,
            status="final",
            created_at=timezone.now(),
        )


def test_validation_page_empty_states(world: World) -> None:
    client = page(world, "township_operator")
    first = client.get("/lending/validation/")
    assert first.status_code == 200
    assert 'id="no-cycle"' in first.content.decode()  # opened from the menu: its region's report at once
    none = client.get("/lending/validation/?region=341502204000&year=2026").content.decode()
    assert 'id="no-cycle"' in none
    assert client.get("/lending/validation/?region=341181100000").status_code == 404  # another township
    assert page(world, "household").get("/lending/validation/").status_code == 403
    assert page(world, "merchant").get("/lending/validation/").status_code == 403


def test_validation_page_report_with_readings(world: World, product: CreditProduct) -> None:
    _rate_all(world, 2025)
    _rate_all(world, 2026)
    text = page(world, "township_operator").get("/lending/validation/?region=341502204000&year=2026").content.decode()
    assert 'data-metric="psi"' in text
    assert "稳定" in text  # the same scores as last year: PSI 0
    assert "需要同时有违约户和正常户才能计算" in text  # no defaults yet: no KS/AUC
    assert "尚无违约记录" in text
    assert 'id="grade-chart"' in text
    assert "vendor/echarts.min.js" in text
    assert "cdn" not in text.lower()


def test_readings_thresholds() -> None:
    base = {"by_grade": {}, "defaults": 0}
    assert "稳定" in validation.readings({**base, "psi": 0.05})["psi"]
    assert "略有变化" in validation.readings({**base, "psi": 0.15})["psi"]
    assert "变化显著" in validation.readings({**base, "psi": 0.3})["psi"]
    assert "区分能力强" in validation.readings({**base, "ks": 0.45, "auc": 0.8})["ks"]
    assert "排序能力弱" in validation.readings({**base, "ks": 0.1, "auc": 0.52})["auc"]
    top: dict[str, Any] = {"subjects": 10, "defaults": 0, "default_rate": 0.0, "mean_score": 90}
    low: dict[str, Any] = {"subjects": 10, "defaults": 3, "default_rate": 0.3, "mean_score": 60}
    monotone: dict[str, Any] = {"defaults": 3, "by_grade": {"AAA": top, "A": low}}
    got = validation.readings(monotone)
    assert "等级有区分作用" in got["by_grade"]
    assert "仅供参考" in got["sample"]
    top["default_rate"] = 0.5
    assert "应复核等级划分" in validation.readings(monotone)["by_grade"]


def test_pre_approved_page(world: World, product: CreditProduct) -> None:
    from creditvillage.core.models import AuditEvent
    from creditvillage.lending.tests.test_loans import _line

    line = _line(world, product)
    officer = page(world, "bank_officer")
    text = officer.get("/lending/pre-approved/").content.decode()
    assert f'data-line="{line.pk}"' in text
    assert AuditEvent.objects.filter(action="lending.read_by_bank", target_id=str(line.household_id)).exists()
    assert officer.get("/lending/pre-approved/?region=341181100000").status_code == 404
    assert page(world, "township_operator").get("/lending/pre-approved/").status_code == 403
    assert "/lending/pre-approved/" in officer.get("/lending/").content.decode()


def _sheet(rows: Sequence[tuple[object, ...]]) -> io.BytesIO:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    for r, row in enumerate([("贷款编号", "还款金额（元）", "还款日期", "流水号"), *rows]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.close()
    buffer.seek(0)
    buffer.name = "r.xlsx"
    return buffer


def test_repayment_upload_page(world: World, product: CreditProduct) -> None:
    loan = _disbursed(world, product, dt.date(2026, 1, 10))
    officer = page(world, "bank_officer")
    assert officer.get("/lending/repayments/upload/").status_code == 200
    rows = [(loan.pk, "100.00", "2026-02-10", "R-1"), (99999999, "1.00", "2026-02-10", "R-2")]
    text = officer.post("/lending/repayments/upload/", {"file": _sheet(rows)}).content.decode()
    assert "入账 1 笔，重复 0 笔，有问题 1 行" in text
    again = officer.post("/lending/repayments/upload/", {"file": _sheet(rows[:1])}).content.decode()
    assert "入账 0 笔，重复 1 笔" in again
    assert Repayment.objects.count() == 1
    bad = officer.post("/lending/repayments/upload/", {"file": io.BytesIO(b"not a workbook")})
    assert "请上传 xlsx 文件" in bad.content.decode()
    assert page(world, "village_operator").get("/lending/repayments/upload/").status_code == 403
