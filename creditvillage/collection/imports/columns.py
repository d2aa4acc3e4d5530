"""The household import's columns (one row per household member) and the downloadable template.

Household fields repeat on every member row of a household (rows are grouped by 户编号); they may
be left blank on all rows but one, and must not contradict each other. Money is in yuan (元) in the
file and integer fen in the registry.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Final

import xlsxwriter
from django.db import models

from creditvillage.registry.choices import Education, Health, PoliticalStatus, Relation, Sex

HOUSEHOLD: Final = "household"
MEMBER: Final = "member"

DATA_SHEET: Final = "农户成员"
HELP_SHEET: Final = "填写说明"
MAX_YUAN: Final = 1_000_000_000  # 10 亿元: anything larger is a typing error (range check)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header of the template (also the msgid)
    level: str  # HOUSEHOLD or MEMBER
    kind: str = "text"  # text, region, mobile, bool, money, choice, resident_id
    required: bool = False
    max_length: int = 0
    choices: type[models.TextChoices] | None = None
    default: str = ""
    hint: str = ""
    labels: dict[str, str] = field(default_factory=dict, compare=False)

    def choice_map(self) -> dict[str, str]:
        """Accepted spellings (Chinese label or code) → stored value."""
        if self.choices is None:
            return {}
        accepted: dict[str, str] = {}
        for value, label in self.choices.choices:
            accepted[str(label)] = value
            accepted[value] = value
        return accepted

    def choice_labels(self) -> list[str]:
        if self.choices is None:
            return []
        return [str(label) for _value, label in self.choices.choices]


COLUMNS: Final[tuple[Column, ...]] = (
    Column("number", "户编号", HOUSEHOLD, required=True, max_length=20, hint="同一户的各成员行填写相同的户编号"),
    Column("village", "村区划代码", HOUSEHOLD, kind="region", required=True, hint="12位统计用区划代码"),
    Column("head_name", "户主姓名", HOUSEHOLD, required=True, max_length=32),
    Column("address", "家庭住址", HOUSEHOLD, max_length=200),
    Column("household_phone", "户联系电话", HOUSEHOLD, kind="mobile"),
    Column("main_business", "主要产业", HOUSEHOLD, max_length=100),
    Column("is_low_income", "低保户", HOUSEHOLD, kind="bool", hint="是/否"),
    Column("is_monitored", "防返贫监测户", HOUSEHOLD, kind="bool", hint="是/否"),
    Column("annual_income_fen", "家庭年收入（元）", HOUSEHOLD, kind="money"),
    Column("assets_value_fen", "家庭资产（元）", HOUSEHOLD, kind="money"),
    Column("debts_fen", "负债（元）", HOUSEHOLD, kind="money"),
    Column("name", "成员姓名", MEMBER, required=True, max_length=32),
    Column("relation", "与户主关系", MEMBER, kind="choice", required=True, choices=Relation),
    Column("id_number", "身份证号码", MEMBER, kind="resident_id", required=True, hint="18位，单元格请设为文本"),
    Column("sex", "性别", MEMBER, kind="choice", choices=Sex, hint="可不填，按身份证号码判断"),
    Column(
        "political_status",
        "政治面貌",
        MEMBER,
        kind="choice",
        choices=PoliticalStatus,
        default=PoliticalStatus.MASSES,
    ),
    Column("education", "文化程度", MEMBER, kind="choice", choices=Education),
    Column("occupation", "职业", MEMBER, max_length=32),
    Column("phone", "手机号", MEMBER, kind="mobile"),
    Column("health", "健康状况", MEMBER, kind="choice", choices=Health, default=Health.HEALTHY),
)
HEADERS: Final[tuple[str, ...]] = tuple(c.header for c in COLUMNS)
BY_KEY: Final[dict[str, Column]] = {c.key: c for c in COLUMNS}
HOUSEHOLD_KEYS: Final[tuple[str, ...]] = tuple(c.key for c in COLUMNS if c.level == HOUSEHOLD)


def normalize_header(text: object) -> str:
    """Header cell → the template's spelling (spaces, a required-marker ``*`` and half-width brackets)."""
    value = str(text or "").strip().replace(" ", "").replace("\u3000", "").rstrip("*＊")
    return value.replace("(", "（").replace(")", "）")


WORKBOOK_OPTIONS: Final = {
    # Formula-inert (reliability C15): text stays text, whatever it starts with.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def template_bytes() -> bytes:
    """The import template: a header row, text-formatted ID/phone/number columns,
    drop-down lists for the choice columns, and a sheet of instructions and allowed values."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {**WORKBOOK_OPTIONS, "in_memory": True})
    head = workbook.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    required_head = workbook.add_format({"bold": True, "bg_color": "#F4B183", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet(DATA_SHEET)
    help_sheet = workbook.add_worksheet(HELP_SHEET)
    for index, column in enumerate(COLUMNS):
        sheet.write_string(0, index, column.header, required_head if column.required else head)
        width = max(10, len(column.header) * 2 + 2)
        if column.kind in ("text", "region", "mobile", "resident_id"):
            sheet.set_column(index, index, max(width, 20 if column.kind == "resident_id" else width), text)
        else:
            sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)

    # Instructions and allowed values.
    help_sheet.set_column(0, 0, 18)
    help_sheet.set_column(1, 1, 10)
    help_sheet.set_column(2, 2, 60)
    help_sheet.write_row(0, 0, ["列名", "是否必填", "说明"], head)
    for index, column in enumerate(COLUMNS, start=1):
        note = column.hint
        if column.kind == "money":
            note = "单位：元，可保留两位小数，0 至 10 亿"
        elif column.kind == "mobile" and not note:
            note = "11位手机号码"
        elif column.kind == "text" and column.max_length and not note:
            note = f"不超过{column.max_length}个字"
        if column.choices is not None:
            note = (note + "；" if note else "") + "可选值：" + "、".join(column.choice_labels())
            if column.default:
                note += f"；不填时为“{column.choices(column.default).label}”"
        help_sheet.write_string(index, 0, column.header)
        help_sheet.write_string(index, 1, "必填" if column.required else "选填")
        help_sheet.write_string(index, 2, note)
    notes = [
        "每行填写一名家庭成员；同一户的成员行填写相同的户编号，户信息可只在户主行填写。",
        "每户必须有且只有一名“户主”；户主姓名应与户主行的成员姓名一致。",
        "身份证号码、户编号、手机号请设置为文本格式，避免 Excel 把长数字改成科学计数法。",
        "一户中任何一行有错误时，整户不导入，并在错误报告中列出全部错误；改正后重新上传即可，已导入的户不会重复。",
        "已存在的户（户编号相同）和成员（身份证号码相同）会按文件更新；文件中没有的成员不会被删除。",
        "请勿在文件中使用宏、外部链接或公式；只接受 .xlsx 文件。",
    ]
    start = len(COLUMNS) + 2
    help_sheet.write_string(start, 0, "注意事项", head)
    for offset, note in enumerate(notes, start=1):
        help_sheet.write_string(start + offset, 0, f"{offset}. {note}")

    # Allowed values as a list per choice column (hidden sheet) and drop-downs on the data sheet.
    lists = workbook.add_worksheet("可选值")
    choice_columns = [(i, c) for i, c in enumerate(COLUMNS) if c.choices is not None or c.kind == "bool"]
    for list_index, (col_index, column) in enumerate(choice_columns):
        values = column.choice_labels() if column.choices is not None else ["是", "否"]
        lists.write_string(0, list_index, column.header, head)
        for row, value in enumerate(values, start=1):
            lists.write_string(row, list_index, value)
        letter = xlsxwriter.utility.xl_col_to_name(list_index)
        sheet.data_validation(
            1,
            col_index,
            200_000,
            col_index,
            {
                "validate": "list",
                "source": f"='可选值'!${letter}$2:${letter}${len(values) + 1}",
                "error_title": "取值无效",
                "error_message": "请从下拉列表中选择：" + "、".join(values),
            },
        )
    for col_index, column in enumerate(COLUMNS):
        if column.kind == "money":
            sheet.data_validation(
                1,
                col_index,
                200_000,
                col_index,
                {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": MAX_YUAN},
            )
        elif column.kind == "resident_id":
            sheet.data_validation(
                1, col_index, 200_000, col_index, {"validate": "length", "criteria": "==", "value": 18}
            )
    workbook.close()
    return buffer.getvalue()
