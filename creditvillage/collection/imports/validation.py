"""Validation of import rows: every cell, every household as a whole, the file, and the registry.

A household (all rows sharing a 户编号) is importable only if none of its rows has an error; every
error is listed with its row, column, code and Chinese message. Checks against the registry read
what exists (households by number, people by ID number) and keep a *conflict token* per existing
household, which the writer compares again under lock before it writes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final

from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.collection.imports.columns import BY_KEY, COLUMNS, HOUSEHOLD_KEYS, MAX_YUAN, Column
from creditvillage.core.identifiers import PROVINCES, validate_division_code, validate_mobile, validate_resident_id
from creditvillage.registry.choices import Relation
from creditvillage.registry.models import Household, Person

LOOKUP_CHUNK: Final = 2000
PERSON_FIELDS: Final = (
    "name",
    "relation",
    "sex",
    "birth_date",
    "political_status",
    "education",
    "occupation",
    "phone",
    "health",
)
HOUSEHOLD_FIELDS: Final = (
    "region_id",
    "head_name",
    "address",
    "phone",
    "main_business",
    "is_low_income",
    "is_monitored",
    "annual_income_fen",
    "assets_value_fen",
    "debts_fen",
)


@dataclass(slots=True)
class RowError:
    row: int
    column: str
    code: str
    message: str
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass(slots=True)
class Member:
    row: int
    values: dict[str, Any]  # PERSON_FIELDS + id_number
    existing_id: int | None = None


@dataclass(eq=False)
class Group:
    """One household's rows, cleaned, with its errors and what the registry holds for it."""

    key: str
    number: str
    index: int  # order of first appearance in the file
    rows: list[int] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # household fields (model names)
    members: list[Member] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    existing_id: int | None = None
    token: tuple[Any, ...] | None = None  # conflict token of the existing household, as read

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def head(self) -> Member | None:
        heads = [m for m in self.members if m.values.get("relation") == Relation.HEAD]
        return heads[0] if len(heads) == 1 else None


class CellError(Exception):  # noqa: N818 - control flow for one bad cell
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMULA_START: Final = ("=", "+", "@")
_RID: Final = re.compile(r"\d{17}[\dX]")
_RID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK: Final = "10X98765432"
_EARLIEST: Final = dt.date(1900, 1, 1)
TRUE: Final = frozenset({"是", "Y", "y", "1", "TRUE", "True", "true", "√"})
FALSE: Final = frozenset({"否", "N", "n", "0", "FALSE", "False", "false", "×"})


def fast_resident_id(value: str, today: dt.date) -> tuple[str, dt.date] | None:
    """``(sex, birth_date)`` for a well-formed, valid 18-character ID; ``None`` means "ask the full validator".

    Accepts exactly what ``core.identifiers.validate_resident_id`` accepts for canonical input
    (checked by a test); anything unusual falls through to it for the exact errors.
    """
    if len(value) != 18 or not _RID.fullmatch(value) or value[:2] not in PROVINCES:
        return None
    total = 0
    for digit, weight in zip(value[:17], _RID_WEIGHTS, strict=True):
        total += (ord(digit) - 48) * weight
    if _RID_CHECK[total % 11] != value[17]:
        return None
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None
    if birth < _EARLIEST or birth > today:
        return None
    return ("male" if (ord(value[16]) - 48) % 2 == 1 else "female"), birth


@lru_cache(maxsize=16384)
def _mobile_block_ok(block: str) -> bool:
    """Whether an 11-digit number starting with these 5 digits is a mainland mobile number.

    libphonenumber's CN mobile pattern decides on at most the first 5 digits (``1740[0-5]``,
    ``1610``; the rest is ``\\d{6}``), and no other number type of 11 digits starts with 11-19;
    so one full check per 5-digit block (``test_mobile_block_cache_agrees_with_the_validator``).
    """
    return validate_mobile(block + "000000").valid


def _mobile(value: str) -> str:
    if len(value) == 11 and value.isascii() and value.isdigit() and value[:2] != "10":
        if _mobile_block_ok(value[:5]):
            return value
    result = validate_mobile(value)
    if not result.valid:
        raise CellError(result.errors[0].code, str(result.errors[0].message))
    return result.normalized


class RowCleaner:
    """Turns one row of cells into household values, member values and cell errors."""

    def __init__(self, *, allowed_villages: set[str], today: dt.date | None = None) -> None:
        self.allowed = allowed_villages
        self.today = today or timezone.localdate()
        self.choice_maps = {c.key: c.choice_map() for c in COLUMNS if c.choices is not None}
        self.plan: list[tuple[int, Column, Callable[[Column, Any], Any]]] = [
            (index, column, getattr(self, f"_{column.kind}")) for index, column in enumerate(COLUMNS)
        ]

    # Cell cleaners: return the value, raise CellError -------------------------------------------

    def _text(self, column: Column, raw: Any) -> str:
        value = _text(raw)
        if column.max_length and len(value) > column.max_length:
            raise CellError("too_long", _("不能超过%(n)d个字") % {"n": column.max_length})
        if value.startswith(_FORMULA_START):
            raise CellError("formula_text", _("不能以 = + @ 开头（疑似公式）"))
        if _CONTROL.search(value):
            raise CellError("bad_characters", _("含有不可见的控制字符"))
        return value

    def _region(self, column: Column, raw: Any) -> str:
        value = _text(raw)
        if not (len(value) == 12 and value.isascii() and value.isdigit()):
            result = validate_division_code(value)
            if not result.valid:
                raise CellError("bad_region_code", str(result.errors[0].message))
            if len(result.normalized) != 12 or result.details.get("level") != "village":
                raise CellError("not_village", _("应填写村（社区）的12位区划代码"))
            value = result.normalized
        if value not in self.allowed:
            raise CellError("region_not_allowed", _("区划代码不存在，或不在您本次导入的范围内"))
        return value

    def _mobile(self, column: Column, raw: Any) -> str:
        return _mobile(_text(raw))

    def _bool(self, column: Column, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        value = _text(raw)
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        raise CellError("bad_choice", _("应填写“是”或“否”"))

    def _money(self, column: Column, raw: Any) -> int:
        try:
            if isinstance(raw, bool):
                raise InvalidOperation
            amount = (
                Decimal(repr(raw)) if isinstance(raw, float) else Decimal(_text(raw).replace(",", "").replace("，", ""))
            )
        except (InvalidOperation, ValueError):
            raise CellError("bad_number", _("应填写数字（单位：元）")) from None
        if not amount.is_finite():
            raise CellError("bad_number", _("应填写数字（单位：元）"))
        if amount < 0 or amount > MAX_YUAN:
            raise CellError("out_of_range", _("应在 0 至 %(max)s 元之间") % {"max": f"{MAX_YUAN:,}"})
        return int((amount * 100).to_integral_value(ROUND_HALF_UP))

    def _choice(self, column: Column, raw: Any) -> str:
        value = _text(raw)
        found = self.choice_maps[column.key].get(value)
        if found is None:
            raise CellError(
                "bad_choice",
                _("“%(value)s”不是可选值；可选：%(allowed)s")
                % {"value": value[:20], "allowed": "、".join(column.choice_labels())},
            )
        return found

    def _resident_id(self, column: Column, raw: Any) -> tuple[str, str, dt.date]:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raise CellError(
                "id_as_number", _("身份证号码被 Excel 存成了数字（后几位可能已丢失），请把该列设为文本后重新填写")
            )
        value = _text(raw)
        fast = fast_resident_id(value, self.today)
        if fast is not None:
            return value, fast[0], fast[1]
        result = validate_resident_id(value, today=self.today)
        if not result.valid:
            raise CellError(result.errors[0].code, "；".join(str(e.message) for e in result.errors))
        return result.normalized, str(result.details["sex"]), dt.date.fromisoformat(str(result.details["birth_date"]))

    # A row --------------------------------------------------------------------------------------

    def clean(self, row: int, cells: list[Any]) -> tuple[dict[str, Any], dict[str, Any], list[RowError]]:
        household: dict[str, Any] = {}
        member: dict[str, Any] = {}
        errors: list[RowError] = []
        for index, column, cleaner in self.plan:
            raw = cells[index]
            if raw is None or raw == "":
                if column.required and column.level == "member":
                    errors.append(RowError(row, column.header, "required", _("必填")))
                continue  # blank: the default for a new member, left unchanged for an existing one
            try:
                value = cleaner(column, raw)
            except CellError as exc:
                errors.append(RowError(row, column.header, exc.code, exc.message, _text(raw)[:64]))
                continue
            (household if column.level == "household" else member)[column.key] = value
        if "id_number" in member:
            member["id_number"], sex, member["birth_date"] = member["id_number"]
            given = member.get("sex") or sex
            if given != sex:
                errors.append(RowError(row, BY_KEY["sex"].header, "sex_mismatch", _("与身份证号码显示的性别不一致")))
            member["sex"] = sex
        return household, member, errors


HOUSEHOLD_MODEL_FIELD: Final = {"village": "region_id", "household_phone": "phone"}


def group_rows(
    rows: Iterable[tuple[int, list[Any]]], cleaner: RowCleaner, progress: Callable[[int], None] | None = None
) -> tuple[list[Group], int]:
    """Clean every row and group them into households (in order of first appearance).

    ``progress`` is called with the number of rows validated so far after every row (pass a
    throttled reporter, ``core.jobs.progress_reporter``).
    """
    groups: dict[str, Group] = {}
    total = 0
    for row, cells in rows:
        total += 1
        if progress is not None:
            progress(total)
        household, member, errors = cleaner.clean(row, cells)
        number = household.get("number", "")
        if not number and not any(e.column == BY_KEY["number"].header for e in errors):
            errors.append(RowError(row, BY_KEY["number"].header, "required", _("必填")))
        key = number or f"#{row}"
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key=key, number=number, index=len(groups))
        group.rows.append(row)
        group.errors.extend(errors)
        for name in HOUSEHOLD_KEYS:
            if name == "number" or name not in household:
                continue
            target = HOUSEHOLD_MODEL_FIELD.get(name, name)
            if target not in group.fields:
                group.fields[target] = household[name]
            elif group.fields[target] != household[name]:
                group.errors.append(
                    RowError(row, BY_KEY[name].header, "inconsistent_household", _("与同户其他行填写的不一致"))
                )
        group.members.append(Member(row, member))
    return list(groups.values()), total


def check_households(groups: list[Group]) -> None:
    """Whole-household rules: required household fields, exactly one head, head name, duplicate IDs."""
    seen: dict[str, list[tuple[Group, Member]]] = {}
    for group in groups:
        first = group.rows[0]
        if group.number:
            for key in ("village", "head_name"):
                column = BY_KEY[key]
                target = HOUSEHOLD_MODEL_FIELD.get(key, key)
                if target not in group.fields and not any(e.column == column.header for e in group.errors):
                    group.errors.append(RowError(first, column.header, "required", _("必填（同户至少一行填写）")))
        heads = [m for m in group.members if m.values.get("relation") == Relation.HEAD]
        relation = BY_KEY["relation"].header
        if not heads and not any(e.column == relation for e in group.errors):
            group.errors.append(RowError(first, relation, "head_missing", _("该户没有户主行（与户主关系为“户主”）")))
        for extra in heads[1:]:
            group.errors.append(RowError(extra.row, relation, "head_multiple", _("一户只能有一名户主")))
        head_name = group.fields.get("head_name")
        if len(heads) == 1 and head_name and heads[0].values.get("name") and heads[0].values["name"] != head_name:
            group.errors.append(
                RowError(
                    heads[0].row,
                    BY_KEY["head_name"].header,
                    "head_name_mismatch",
                    _("户主姓名与户主行的成员姓名不一致"),
                )
            )
        for member in group.members:
            if "id_number" in member.values:
                seen.setdefault(member.values["id_number"], []).append((group, member))
    for places in seen.values():
        if len(places) < 2:
            continue
        rows = "、".join(str(m.row) for _g, m in places)
        for group, member in places:
            group.errors.append(
                RowError(
                    member.row,
                    BY_KEY["id_number"].header,
                    "duplicate_in_file",
                    _("身份证号码在文件中重复（第 %(rows)s 行）") % {"rows": rows},
                )
            )


def _chunks(items: list[Any], size: int = LOOKUP_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def household_tokens(household_ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """The conflict token of each household: its version and the last change of it and its members.

    Any edit through the registry services changes it (``household_update`` bumps ``version``,
    ``person_update`` moves the member's ``updated_at``); so does a member added or removed.
    """
    tokens: dict[int, list[Any]] = {
        pk: [version, updated_at]
        for pk, version, updated_at in Household.objects.filter(pk__in=household_ids).values_list(
            "pk", "version", "updated_at"
        )
    }
    members: dict[int, list[tuple[int, Any]]] = {pk: [] for pk in tokens}
    for household_id, pk, updated_at in Person.objects.filter(household_id__in=household_ids).values_list(
        "household_id", "pk", "updated_at"
    ):
        members[household_id].append((pk, updated_at))
    return {pk: (*token, tuple(sorted(members[pk]))) for pk, token in tokens.items()}


def check_registry(groups: list[Group], *, allowed_villages: set[str]) -> None:
    """Households by number and people by ID number, as the registry holds them now.

    Internal integrity reads (not shown to anyone): they must see households outside the actor's
    scope too, so that a number or an ID number taken there is refused rather than overwritten.
    """
    by_number = {g.number: g for g in groups if g.number}
    numbers = list(by_number)
    existing: dict[str, tuple[int, str]] = {}
    for part in _chunks(numbers):
        for number, pk, region_id in Household.objects.filter(number__in=part).values_list("number", "pk", "region_id"):
            existing[number] = (pk, region_id)
    number_header = BY_KEY["number"].header
    for number, (pk, region_id) in existing.items():
        group = by_number[number]
        group.existing_id = pk
        if region_id not in allowed_villages:
            group.errors.append(
                RowError(group.rows[0], number_header, "number_taken", _("户编号已被其他农户使用，请核对"))
            )
        elif group.fields.get("region_id") and group.fields["region_id"] != region_id:
            group.errors.append(
                RowError(
                    group.rows[0],
                    BY_KEY["village"].header,
                    "region_mismatch",
                    _("该户已登记在其他村（区划代码 %(code)s），不能通过导入迁移") % {"code": region_id},
                )
            )
    ids = {m.values["id_number"]: (g, m) for g in groups for m in g.members if "id_number" in m.values}
    id_header = BY_KEY["id_number"].header
    heads: dict[int, str] = {}
    for part in _chunks(list(ids)):
        rows = Person.objects.filter(id_number__in=part).values_list("id_number", "pk", "household_id", "relation")
        for id_number, pk, household_id, relation in rows:
            group, member = ids[id_number]
            if household_id != group.existing_id:
                group.errors.append(
                    RowError(member.row, id_header, "duplicate_in_registry", _("该身份证号码已登记在其他农户中"))
                )
            else:
                member.existing_id = pk
            if relation == Relation.HEAD:
                heads[household_id] = id_number
    existing_ids = [g.existing_id for g in groups if g.existing_id is not None]
    for part in _chunks(existing_ids):
        for household_id, id_number in Person.objects.filter(household_id__in=part, relation=Relation.HEAD).values_list(
            "household_id", "id_number"
        ):
            heads[household_id] = id_number
    for group in groups:
        if group.existing_id is None:
            continue
        head = group.head
        old_head = heads.get(group.existing_id)
        if head is not None and old_head is not None and head.values.get("id_number") != old_head:
            group.errors.append(
                RowError(
                    head.row,
                    BY_KEY["relation"].header,
                    "head_changed",
                    _("户主与系统中登记的不一致，请先在系统中变更户主"),
                )
            )
    tokens = household_tokens(existing_ids)
    for group in groups:
        if group.existing_id is not None:
            group.token = tokens.get(group.existing_id)


def finish(groups: list[Group]) -> None:
    """Every row of a rejected household says so, even where the row itself is fine."""
    number_header = BY_KEY["number"].header
    for group in groups:
        if not group.errors:
            continue
        bad_rows = {e.row for e in group.errors}
        for row in group.rows:
            if row not in bad_rows:
                group.errors.append(
                    RowError(row, number_header, "household_rejected", _("同户其他行有错误，整户未导入"))
                )
        group.errors.sort(key=lambda e: (e.row, e.column))
