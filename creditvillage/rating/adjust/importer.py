"""Reading a negative-list workbook (xlsx, first sheet, header in row 1) into validated rows.

Columns, by header name (order free): 证件号码 (resident ID or USCC), 名称 (or 姓名), 来源,
依据, 列入日期, 到期日期 (optional: listed_on + 5 years). Every row is validated; the caller
writes nothing unless every row is valid (all-or-nothing).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from creditvillage.core.identifiers import validate_resident_id, validate_uscc

XLSX_MAX_BYTES = 5 * 1024 * 1024
XLSX_MAX_ROWS = 20_000
RETENTION_YEARS = 5  # 征信业管理条例 art. 16: adverse information kept 5 years

HEADERS = {
    "证件号码": "id_number",
    "身份证号码": "id_number",
    "统一社会信用代码": "id_number",
    "名称": "name",
    "姓名": "name",
    "来源": "source",
    "依据": "basis",
    "列入日期": "listed_on",
    "到期日期": "expires_on",
}
REQUIRED = ("id_number", "name", "source", "basis", "listed_on")


@dataclass(frozen=True)
class EntryRow:
    row: int
    id_number: str
    name: str
    source: str
    basis: str
    listed_on: dt.date
    expires_on: dt.date


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    return None


def _identifier(value: Any) -> tuple[str, str | None]:
    """(normalised number, error message or None): a resident ID or a USCC."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return "", _("证件号码须为文本格式（数字格式会丢失末位）")
    text = str(value or "").strip()
    resident = validate_resident_id(text)
    if resident.valid:
        return resident.normalized, None
    uscc = validate_uscc(text)
    if uscc.valid:
        return uscc.normalized, None
    return "", _("证件号码不是有效的身份证号码或统一社会信用代码（校验位不符）")


def read_sheet(data: bytes) -> tuple[list[list[Any]], list[dict[str, Any]]]:
    from python_calamine import CalamineWorkbook

    if len(data) > XLSX_MAX_BYTES:
        return [], [{"row": None, "field": "file", "message": _("文件不超过5MB")}]
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # calamine raises its own error types for anything unreadable
        return [], [{"row": None, "field": "file", "message": _("无法读取该Excel文件（请上传.xlsx）")}]
    if not sheet:
        return [], [{"row": None, "field": "file", "message": _("表格是空的")}]
    return [list(r) for r in sheet], []


def parse_rows(data: bytes) -> tuple[list[EntryRow], list[dict[str, Any]]]:
    """Validated rows and a list of problems ``{row, field, message}`` (row numbers as in Excel)."""
    sheet, problems = read_sheet(data)
    if problems:
        return [], problems
    columns = {HEADERS[str(h).strip()]: i for i, h in enumerate(sheet[0]) if str(h).strip() in HEADERS}
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        return [], [{"row": 1, "field": name, "message": _("缺少表头列")} for name in missing]
    body = [(i, r) for i, r in enumerate(sheet[1:], start=2) if any(str(c).strip() for c in r if c is not None)]
    if len(body) > XLSX_MAX_ROWS:
        return [], [{"row": None, "field": "file", "message": _("最多20000行")}]
    rows: list[EntryRow] = []
    seen: dict[tuple[str, str, dt.date], int] = {}
    for number, raw in body:
        row, row_problems = _parse_row(number, raw, columns)
        problems += row_problems
        if row is None:
            continue
        key = (row.id_number, row.source, row.listed_on)
        if key in seen:
            problems.append(
                {"row": number, "field": "id_number", "message": _("与第%(row)d行重复") % {"row": seen[key]}}
            )
            continue
        seen[key] = number
        rows.append(row)
    return rows, problems


def _cell(raw: list[Any], columns: dict[str, int], name: str) -> Any:
    index = columns.get(name)
    if index is None or index >= len(raw):
        return None
    return raw[index]


def _parse_row(number: int, raw: list[Any], columns: dict[str, int]) -> tuple[EntryRow | None, list[dict[str, Any]]]:
    problems: list[dict[str, Any]] = []

    def problem(field: str, message: str) -> None:
        problems.append({"row": number, "field": field, "message": message})

    id_number, error = _identifier(_cell(raw, columns, "id_number"))
    if error:
        problem("id_number", error)
    texts = {}
    for name, limit in (("name", 100), ("source", 100), ("basis", 500)):
        text = str(_cell(raw, columns, name) or "").strip()
        if not text:
            problem(name, _("不能为空"))
        elif len(text) > limit:
            problem(name, _("不超过%(n)d个字") % {"n": limit})
        texts[name] = text
    listed_on = _date(_cell(raw, columns, "listed_on"))
    if listed_on is None:
        problem("listed_on", _("日期格式应为2025-01-31"))
    expires_raw = _cell(raw, columns, "expires_on")
    expires_on = _date(expires_raw) if str(expires_raw or "").strip() else None
    if str(expires_raw or "").strip() and expires_on is None:
        problem("expires_on", _("日期格式应为2025-01-31"))
    if listed_on is not None and expires_on is None:
        expires_on = add_years(listed_on, RETENTION_YEARS)
    if listed_on is not None and expires_on is not None and expires_on <= listed_on:
        problem("expires_on", _("到期日期应晚于列入日期"))
    if problems or listed_on is None or expires_on is None:
        return None, problems
    return EntryRow(number, id_number, texts["name"], texts["source"], texts["basis"], listed_on, expires_on), []
