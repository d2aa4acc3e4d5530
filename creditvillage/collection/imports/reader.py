"""Reading an import file with python-calamine (after the gate passed it): header → columns, rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from creditvillage.collection.imports.columns import COLUMNS, normalize_header
from creditvillage.collection.imports.gate import FileRejected


@dataclass(frozen=True)
class Sheet:
    """The data rows of the first worksheet, cells in ``COLUMNS`` order (``None`` for an absent column)."""

    positions: tuple[int | None, ...]
    first_row: int  # Excel row number of the header

    def cells(self, raw: list[Any]) -> list[Any]:
        width = len(raw)
        return [raw[p] if p is not None and p < width else None for p in self.positions]


def open_sheet(path: Path) -> tuple[Sheet, Iterator[list[Any]]]:
    """The header mapping and an iterator over the raw rows after it."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()  # from the sheet's first row (columns from its first used column)
        header_row = 0
        header = next(rows, None)
        while header is not None and all(cell == "" for cell in header):
            header_row += 1
            header = next(rows, None)
    except (CalamineError, ValueError, IndexError) as exc:
        raise FileRejected("corrupt_file", _("文件已损坏或内容与声明的大小不符，无法读取。")) from exc
    if not header:
        raise FileRejected("empty_file", _("工作表是空的：第一行应为模板的表头。"))
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = normalize_header(cell)
        if name and name not in found:
            found[name] = index
    missing = [c.header for c in COLUMNS if c.required and c.header not in found]
    if missing:
        raise FileRejected(
            "missing_columns",
            _("表头缺少必填列：%(columns)s。请使用下载的导入模板。") % {"columns": "、".join(missing)},
            {"missing": missing},
        )
    return Sheet(tuple(found.get(c.header) for c in COLUMNS), header_row + 1), rows


def iter_cells(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """``(excel_row_number, cells)`` for each non-empty data row."""
    sheet, rows = open_sheet(path)
    number = sheet.first_row
    for raw in rows:
        number += 1
        cells = sheet.cells(raw)
        if all(cell is None or cell == "" for cell in cells):
            continue
        yield number, cells
