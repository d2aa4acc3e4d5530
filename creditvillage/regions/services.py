"""Writes on the division tree: loading statistical division codes from a CSV file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.db import transaction

from creditvillage.accounts.roles import Action
from creditvillage.core import audit
from creditvillage.core.errors import PermissionDenied
from creditvillage.core.identifiers import division_level, validate_division_code
from creditvillage.core.scope import Actor
from creditvillage.regions.choices import LEVEL_DEPTH, RegionLevel
from creditvillage.regions.errors import DivisionFileInvalid, DivisionRowError
from creditvillage.regions.models import Region

__all__ = ["DIVISION_COLUMNS", "LoadReport", "regions_load_csv"]

DIVISION_COLUMNS = ("code", "name", "level", "parent_code", "is_illustrative", "households_total")
REQUIRED_COLUMNS = ("code", "name")
MAX_NAME_LENGTH = 64

# The level column may use the stored value or the word officials write.
LEVEL_ALIASES: dict[str, str] = {
    **{level.value: level.value for level in RegionLevel},
    "省": RegionLevel.PROVINCE,
    "市": RegionLevel.CITY,
    "地级市": RegionLevel.CITY,
    "县": RegionLevel.COUNTY,
    "区": RegionLevel.COUNTY,
    "县级市": RegionLevel.COUNTY,
    "县/区": RegionLevel.COUNTY,
    "乡": RegionLevel.TOWNSHIP,
    "镇": RegionLevel.TOWNSHIP,
    "街道": RegionLevel.TOWNSHIP,
    "乡/镇/街道": RegionLevel.TOWNSHIP,
    "村": RegionLevel.VILLAGE,
    "社区": RegionLevel.VILLAGE,
    "村/社区": RegionLevel.VILLAGE,
}
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "是", "t"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "否", "f"})


@dataclass
class LoadReport:
    """What a division load did: rows read, regions created, updated (name or attributes), unchanged."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"读取{self.rows}行：新增{self.created}个，更新{self.updated}个，未变{self.unchanged}个"


@dataclass
class _Row:
    line: int
    code: str
    name: str
    level: str
    parent: str | None
    is_illustrative: bool | None  # None: not given, keep what is stored
    households_total: int | None  # None: not given, keep what is stored


# --- Reading --------------------------------------------------------------------------------


def _read_text(path_or_file: str | Path | IO[str] | IO[bytes]) -> str:
    """The file's text, decoded as UTF-8 with or without a byte-order mark."""
    if isinstance(path_or_file, str | Path):
        raw: str | bytes = Path(path_or_file).read_bytes()
    else:
        raw = path_or_file.read()
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        message = f"文件不是UTF-8编码（第{exc.start + 1}个字节无法解码），请另存为“CSV UTF-8”后重试"
        raise DivisionFileInvalid([DivisionRowError(0, "", message)]) from exc
    return text.removeprefix("\ufeff")


def _check_header(fieldnames: list[str] | None) -> list[DivisionRowError]:
    names = [name.strip() for name in fieldnames or []]
    errors = [
        DivisionRowError(1, "", f"缺少必需的列“{column}”（表头应为{','.join(DIVISION_COLUMNS)}）")
        for column in REQUIRED_COLUMNS
        if column not in names
    ]
    unknown = [name for name in names if name not in DIVISION_COLUMNS]
    if unknown:
        message = f"无法识别的列：{'、'.join(unknown)}（可用的列：{','.join(DIVISION_COLUMNS)}）"
        errors.append(DivisionRowError(1, "", message))
    return errors


def _parse_flag(value: str) -> bool | None:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"is_illustrative 应为 1/0、是/否，实际为“{value}”")


def _parse_count(value: str) -> int:
    text = value.strip().replace(",", "")
    if not text.isdigit():
        raise ValueError(f"households_total 应为非负整数，实际为“{value}”")
    return int(text)


def _parse_code(raw: str, line: int, what: str, errors: list[DivisionRowError]) -> str | None:
    result = validate_division_code(raw)
    if not result.valid:
        errors.extend(DivisionRowError(line, raw, f"{what}{error.message}") for error in result.errors)
        return None
    return result.normalized


def _derived_parent(code: str) -> str | None:
    """The parent of a 12-digit code in the division tree: the code with its last level zeroed."""
    depth = LEVEL_DEPTH[RegionLevel(division_level(code))]
    above = [d for d in LEVEL_DEPTH.values() if d < depth]
    return code[: max(above)].ljust(12, "0") if above else None


def _parse_row(record: dict[str, Any], line: int) -> tuple[_Row | None, list[DivisionRowError]]:
    errors: list[DivisionRowError] = []
    cell = {key.strip(): (value or "").strip() for key, value in record.items() if key is not None}
    raw_code = cell.get("code", "")
    code = _parse_code(raw_code, line, "", errors)
    name = cell.get("name", "")
    if not name:
        errors.append(DivisionRowError(line, raw_code, "名称不能为空"))
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(DivisionRowError(line, raw_code, f"名称过长（最多{MAX_NAME_LENGTH}个字）"))
    if None in record:  # more cells than header columns
        errors.append(DivisionRowError(line, raw_code, "该行的列数多于表头"))
    flag: bool | None = None
    total: int | None = None
    try:
        flag = _parse_flag(cell["is_illustrative"]) if cell.get("is_illustrative") else None
        total = _parse_count(cell["households_total"]) if cell.get("households_total") else None
    except ValueError as exc:
        errors.append(DivisionRowError(line, raw_code, str(exc)))
    if code is None:
        return None, errors
    level = division_level(code)
    given_level = cell.get("level", "")
    if given_level and LEVEL_ALIASES.get(given_level) != level:
        label = RegionLevel(level).label
        errors.append(DivisionRowError(line, raw_code, f"层级“{given_level}”与代码不符：该代码是{label}级"))
    parent = _derived_parent(code)
    if cell.get("parent_code"):
        given = _parse_code(cell["parent_code"], line, "上级代码有误：", errors)
        if given is not None and given != parent:
            expected = parent or "无（省级没有上级）"
            errors.append(DivisionRowError(line, raw_code, f"上级代码{given}与代码不符，应为{expected}"))
    if errors:
        return None, errors
    return _Row(line, code, name, level, parent, flag, total), []


def _parse(text: str) -> tuple[list[_Row], list[DivisionRowError]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    errors = _check_header(list(reader.fieldnames or []))
    if errors:
        return [], errors
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    for record in reader:
        row, row_errors = _parse_row(record, reader.line_num)
        errors.extend(row_errors)
        if row is None:
            continue
        if row.code in first_line:
            errors.append(DivisionRowError(row.line, row.code, f"代码重复（第{first_line[row.code]}行已出现）"))
            continue
        first_line[row.code] = row.line
        rows.append(row)
    return rows, errors


# --- Checks against the database and the actor ---------------------------------------------


def _check_parents(rows: list[_Row]) -> list[DivisionRowError]:
    in_file = {row.code for row in rows}
    wanted = {row.parent for row in rows if row.parent and row.parent not in in_file}
    stored = set(Region.objects.filter(code__in=wanted).values_list("code", flat=True)) if wanted else set()
    return [
        DivisionRowError(row.line, row.code, f"上级区划{row.parent}既不在文件中，也不在系统中")
        for row in rows
        if row.parent and row.parent not in in_file and row.parent not in stored
    ]


def _check_scope(actor: Actor | None, rows: list[_Row]) -> list[DivisionRowError]:
    """A non-superuser may load only regions inside the subtrees they configure."""
    if actor is None or actor.is_superuser:
        return []
    prefixes = [grant.prefix for grant in actor.grants_for(Action.CONFIGURE)]
    if not prefixes:
        raise PermissionDenied()
    return [
        DivisionRowError(row.line, row.code, "超出您的管辖范围，不能导入")
        for row in rows
        if not any(row.code.startswith(prefix) for prefix in prefixes)
    ]


# --- Writing ----------------------------------------------------------------------------------


def _apply(region: Region, row: _Row) -> bool:
    """Copy the row onto a stored region; True when something changed."""
    values: dict[str, Any] = {"name": row.name, "level": row.level, "parent_id": row.parent}
    if row.is_illustrative is not None:
        values["is_illustrative"] = row.is_illustrative
    if row.households_total is not None:
        values["households_total"] = row.households_total
    changed = False
    for field, value in values.items():
        if getattr(region, field) != value:
            setattr(region, field, value)
            changed = True
    return changed


def _upsert(rows: list[_Row], report: LoadReport) -> list[Region]:
    rows = sorted(rows, key=lambda row: LEVEL_DEPTH[RegionLevel(row.level)])  # parents first
    stored = Region.objects.in_bulk([row.code for row in rows])
    new: list[Region] = []
    changed: list[Region] = []
    for row in rows:
        region = stored.get(row.code)
        if region is None:
            new.append(
                Region(
                    code=row.code,
                    name=row.name,
                    level=row.level,
                    parent_id=row.parent,
                    is_illustrative=bool(row.is_illustrative),
                    households_total=row.households_total,
                )
            )
        elif _apply(region, row):
            changed.append(region)
    Region.objects.bulk_create(new, batch_size=500)
    fields = ["name", "level", "parent", "is_illustrative", "households_total"]
    Region.objects.bulk_update(changed, fields, batch_size=500)
    report.created, report.updated = len(new), len(changed)
    report.unchanged = len(rows) - len(new) - len(changed)
    return new + changed


def regions_load_csv(*, path_or_file: str | Path | IO[str] | IO[bytes], actor: Actor | None = None) -> LoadReport:
    """Create or update regions from a CSV of statistical division codes, all or nothing.

    The header is ``code,name[,level][,parent_code][,is_illustrative][,households_total]``
    (UTF-8, with or without BOM). Codes may have 2, 4, 6, 9 or 12 digits and are stored with 12;
    each is checked with ``validate_division_code``; the parent follows from the code (a given
    ``parent_code`` or ``level`` must agree with it) and must be in the file or already stored.
    Loading again updates names and attributes and never duplicates a region.

    Raises ``DivisionFileInvalid`` listing every bad row (line, code, Chinese message) and writes
    nothing; ``PermissionDenied`` if a non-superuser ``actor`` configures no region. With an
    actor, every code must lie inside their configure scope. Writes one audit event.
    """
    rows, errors = _parse(_read_text(path_or_file))
    errors += _check_parents(rows)
    errors += _check_scope(actor, rows)
    if errors:
        raise DivisionFileInvalid(sorted(errors, key=lambda error: error.row))
    report = LoadReport(rows=len(rows))
    if not rows:
        return report
    with transaction.atomic():
        touched = _upsert(rows, report)
        _audit_load(actor, report, touched)
    return report


def _audit_load(actor: Actor | None, report: LoadReport, touched: Iterable[Region]) -> None:
    regions = sorted(touched, key=lambda region: (LEVEL_DEPTH[RegionLevel(region.level)], region.code))
    if not regions:
        return
    audit.record(
        actor=actor,
        action="regions.loaded",
        target=regions[0],
        region_code=regions[0].code,
        changes={"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
        channel="division_file",
    )
