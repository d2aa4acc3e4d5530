"""The figures of a home or region page as an Excel workbook ("everything a leader looks at").

Aggregates only, no personal data; counted over the requester's ``view_stats`` scope exactly as the
page is. Small (one row per sub-region), so written in the request. Formula-inert (C15): strings stay
strings. Money is written as yuan with two decimals from integer fen (``fen_to_yuan``), formatted.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.utils import timezone

from creditvillage.core.money import fen_to_yuan
from creditvillage.regions.models import Region

OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


LENDING_KEYS = ("granted_fen", "used_fen", "outstanding_fen", "npl_fen")


def _npl_percent(ratio: str | None) -> Decimal | str:
    return (Decimal(ratio) * 100).quantize(Decimal("0.01")) if ratio else "—"


def _share(part: int, whole: int) -> Decimal | str:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else "—"


def stats_workbook(*, region: Region | None, stats: dict[str, Any], coverage: list[dict[str, Any]]) -> bytes:
    """Three sheets: 概况 (headline figures), 等级分布, 下辖区域 (per sub-region, credit included)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, OPTIONS)
    head = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    money = book.add_format({"num_format": "#,##0.00"})
    count = book.add_format({"num_format": "#,##0"})

    sheet = book.add_worksheet("概况")
    label = f"{region.name}（{region.code}）" if region else "全部"
    rows: list[tuple[str, Any, Any]] = [
        ("区域", label, None),
        ("统计时间", timezone.localtime().strftime("%Y-%m-%d %H:%M"), None),
        ("农户（户）", stats["households"], count),
        ("已建档（户）", stats["archived"], count),
        ("建档率（%）", _share(stats["archived"], stats["households"]), None),
        ("已校核（户）", stats["verified"], count),
        ("校核率（%）", _share(stats["verified"], stats["households"]), None),
        ("已评级（户）", stats["rated"], count),
        ("信用户（户）", stats["credit_subjects"], count),
        ("授信额度（元）", stats["credit_granted_yuan"], money),
        ("已用信（元）", stats["credit_used_yuan"], money),
        ("贷款余额（元）", stats["loans_outstanding_yuan"], money),
        ("不良贷款（元）", stats["npl_yuan"], money),
        ("不良率（%）", _npl_percent(stats["npl_ratio"]), None),
    ]
    sheet.write_row(0, 0, ["指标", "数值"], head)
    for index, (name, value, fmt) in enumerate(rows, start=1):
        sheet.write(index, 0, name)
        _write(sheet, index, 1, value, fmt)
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 28)

    sheet = book.add_worksheet("等级分布")
    sheet.write_row(0, 0, ["信用等级", "户数", "占已评级（%）"], head)
    for index, (grade, n) in enumerate(stats["grade_distribution"].items(), start=1):
        sheet.write(index, 0, grade)
        sheet.write_number(index, 1, n, count)
        _write(sheet, index, 2, _share(n, stats["rated"]), None)
    sheet.set_column(0, 2, 14)

    sheet = book.add_worksheet("下辖区域")
    headers = ["区划代码", "名称", "农户", "已建档", "已校核", "建档率（%）"]
    headers += ["授信额度（元）", "已用信（元）", "贷款余额（元）", "不良贷款（元）"]
    sheet.write_row(0, 0, headers, head)
    for index, row in enumerate(coverage, start=1):
        lending = row.get("lending") or {}
        values: list[tuple[Any, Any]] = [
            (row["region"].code, None),
            (row["region"].name, None),
            (row["households"], count),
            (row["archived"], count),
            (row["verified"], count),
            (_share(row["archived"], row["households"]), None),
        ]
        values += [(fen_to_yuan(lending.get(key, 0)), money) for key in LENDING_KEYS]
        for column, (value, fmt) in enumerate(values):
            _write(sheet, index, column, value, fmt)
    sheet.set_column(0, 0, 15)
    sheet.set_column(1, 1, 14)
    sheet.set_column(2, 9, 13)
    book.close()
    return buffer.getvalue()


def _write(sheet: Any, row: int, column: int, value: Any, fmt: Any) -> None:
    if isinstance(value, bool) or value is None:
        sheet.write_string(row, column, "" if value is None else str(value))
    elif isinstance(value, int | Decimal):
        # An Excel cell holds a double; yuan with two decimals up to 10^13 survive exactly enough to display.
        sheet.write_number(row, column, float(value), fmt)
    else:
        sheet.write_string(row, column, str(value))
