"""Deterministic import files in the template's layout, for tests, the benchmark and the demo."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from creditvillage.collection.imports.columns import COLUMNS, DATA_SHEET, HEADERS, WORKBOOK_OPTIONS
from creditvillage.core.identifiers import resident_id_check_char

KEYS = [c.key for c in COLUMNS]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
RELATIONS = ["户主", "配偶", "子女", "子女", "父母", "孙子女"]
BAD_KINDS = ("check_digit", "mobile", "choice", "money", "name")


def resident_id(area: str, index: int) -> str:
    """A valid ID number, unique per ``index`` (below 36.5 million) for one area code."""
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=index // 1000 % 25_000)
    body = f"{area}{birth:%Y%m%d}{index % 1000:03d}"
    return body + resident_id_check_char(body)


def household_rows(
    villages: Sequence[str],
    households: int,
    *,
    seed: int = 0,
    bad_ratio: float = 0.0,
    first: int = 1,
    members: tuple[int, int] = (1, 5),
) -> list[list[Any]]:
    """Rows (cells in ``COLUMNS`` order) for ``households`` households spread over ``villages``.

    With ``bad_ratio``, that share of rows gets exactly one invalid cell (check digit, mobile,
    choice, money or a missing name).
    """
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    person = first * 10
    for n in range(first, first + households):
        village = villages[n % len(villages)]
        surname = rng.choice(SURNAMES)
        size = rng.randint(*members)
        head = surname + rng.choice(GIVEN) + rng.choice(GIVEN)
        for m in range(size):
            person += 1
            name = head if m == 0 else surname + rng.choice(GIVEN)
            cells: dict[str, Any] = {
                "number": f"H{village}{n:05d}"[:20],
                "village": village,
                "head_name": head if m == 0 else "",
                "address": f"{n % 30 + 1}组{n}号" if m == 0 else "",
                "household_phone": f"139{rng.randrange(10**8):08d}" if m == 0 else "",
                "main_business": rng.choice(["水稻种植", "生猪养殖", "务工", "茶叶"]) if m == 0 else "",
                "is_low_income": "否" if m == 0 else "",
                "is_monitored": "否",
                "annual_income_fen": rng.randrange(10_000, 200_000) if m == 0 else "",
                "assets_value_fen": rng.randrange(0, 1_000_000) if m == 0 else "",
                "debts_fen": rng.randrange(0, 100_000) if m == 0 else "",
                "name": name,
                "relation": RELATIONS[min(m, len(RELATIONS) - 1)],
                "id_number": resident_id(village[:6], person),
                "sex": "",
                "political_status": rng.choice(["群众", "群众", "中共党员", "共青团员"]),
                "education": rng.choice(["小学", "初中", "高中/中专", "大专"]),
                "occupation": rng.choice(["务农", "务工", "个体", ""]),
                "phone": f"138{rng.randrange(10**8):08d}",
                "health": "健康",
            }
            rows.append([cells[k] for k in KEYS])
    if bad_ratio:
        for index in rng.sample(range(len(rows)), round(len(rows) * bad_ratio)):
            spoil(rows[index], BAD_KINDS[index % len(BAD_KINDS)])
    return rows


def spoil(row: list[Any], kind: str) -> None:
    """Make one cell of ``row`` invalid."""
    if kind == "check_digit":
        rid = row[KEYS.index("id_number")]
        row[KEYS.index("id_number")] = rid[:17] + ("0" if rid[17] != "0" else "1")
    elif kind == "mobile":
        row[KEYS.index("phone")] = "12345"
    elif kind == "choice":
        row[KEYS.index("political_status")] = "党员群众"
    elif kind == "money":
        row[KEYS.index("debts_fen")] = -5
    elif kind == "name":
        row[KEYS.index("name")] = ""


def write_xlsx(target: Path | io.BytesIO, rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS) -> None:
    """Write ``rows`` under ``headers`` on the data sheet (text cells as strings, numbers as numbers)."""
    options = {**WORKBOOK_OPTIONS, "constant_memory": True}
    if isinstance(target, io.BytesIO):
        options["in_memory"] = True
    workbook = xlsxwriter.Workbook(target if isinstance(target, io.BytesIO) else str(target), options)
    sheet = workbook.add_worksheet(DATA_SHEET)
    sheet.write_row(0, 0, list(headers))
    for index, row in enumerate(rows, start=1):
        sheet.write_row(index, 0, row)
    workbook.close()


def xlsx_bytes(rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, rows, headers)
    return buffer.getvalue()
