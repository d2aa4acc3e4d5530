"""Negative-list import: validated row by row, all or nothing, audited; a hit downgrades the rating."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import xlsxwriter
from django.utils import timezone

from creditvillage.core.errors import PermissionDenied, ValidationFailed
from creditvillage.core.models import AuditEvent
from creditvillage.rating.adjust.selectors import negative_entry_rows, negative_hits_in_scope
from creditvillage.rating.adjust.services import negative_list_import
from creditvillage.rating.models import NegativeListEntry, Rating, RatingStatus
from creditvillage.rating.selectors import current_rating
from tests.fixtures import World

from .adjust_helpers import final_rating

pytestmark = pytest.mark.django_db

HEADER = ["证件号码", "名称", "来源", "依据", "列入日期", "到期日期"]
ZHOUAN = "341502204201"
USCC = "91341500MA2N0001X4"  # any valid code works; built below


def workbook(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for c, title in enumerate(header):
        sheet.write_string(0, c, title)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, float | int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def member_id(world: World, village: str = ZHOUAN, index: int = 0) -> str:
    person = world.household(village, index).members.first()
    assert person is not None
    return person.id_number


def test_import_creates_entries_with_default_expiry_and_downgrades_hits(world: World) -> None:
    hit = world.household(ZHOUAN, 1)
    final_rating(hit, "AA")
    listed = timezone.localdate() - dt.timedelta(days=10)
    data = workbook(
        [
            [member_id(world, ZHOUAN, 1), "户主5", "最高人民法院失信被执行人名单", "（2025）皖1502执123号", listed, ""],
            ["110101199003074514", "某某", "失信被执行人名单", "（2024）京0101执9号", "2024-03-01", "2026-03-01"],
        ]
    )
    result = negative_list_import(actor=world.users["admin"], data=data, reason="法院2026年第3批名单")
    assert (result.created, result.downgraded) == (2, 1)
    entry = NegativeListEntry.objects.get(id_number=member_id(world, ZHOUAN, 1))
    assert entry.expires_on == listed.replace(year=listed.year + 5)
    assert entry.created_by == world.users["admin"]
    other = NegativeListEntry.objects.get(id_number="110101199003074514")
    assert (other.listed_on, other.expires_on) == (dt.date(2024, 3, 1), dt.date(2026, 3, 1))
    rating = current_rating(subject_type="household", subject_id=hit.pk)
    assert rating is not None
    assert (rating.grade, rating.vetoed, rating.version) == ("D", True, 2)
    assert rating.reason == "命中负面清单：最高人民法院失信被执行人名单"
    assert AuditEvent.objects.filter(action="negative_entry.created").count() == 2
    summary = AuditEvent.objects.get(action="negative_list.imported")
    assert summary.changes == {"entries": [0, 2], "downgraded": [0, 1]}
    assert summary.reason == "法院2026年第3批名单"


def test_one_bad_row_writes_nothing_and_lists_every_problem(world: World) -> None:
    final_rating(world.household(ZHOUAN, 0), "AA")
    good = member_id(world)
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    data = workbook(
        [
            [good, "户主1", "失信被执行人名单", "依据", "2025-01-01", ""],
            [bad_check, "某某", "失信被执行人名单", "依据", "2025-01-01", ""],
            [good, "户主1", "失信被执行人名单", "依据", "2025-01-01", ""],  # duplicate of row 2
            ["110101199003074514", "", "来源", "依据", "not a date", "2020-01-01"],
            [341502197001010011, "数字", "来源", "依据", "2025-01-01", ""],
        ]
    )
    with pytest.raises(ValidationFailed) as caught:
        negative_list_import(actor=world.users["admin"], data=data, reason="导入")
    errors = {(e["row"], e["field"]) for e in caught.value.details["errors"]}
    assert errors == {(3, "id_number"), (4, "id_number"), (5, "name"), (5, "listed_on"), (6, "id_number")}
    assert not NegativeListEntry.objects.exists()
    assert Rating.objects.get().status == RatingStatus.FINAL
    assert not AuditEvent.objects.exists()


def test_missing_headers_and_existing_entries_are_refused(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        negative_list_import(actor=world.users["admin"], data=workbook([["x"]], header=["证件号码"]), reason="r")
    assert {e["field"] for e in caught.value.details["errors"]} == {"name", "source", "basis", "listed_on"}
    row = [member_id(world), "户主1", "来源", "依据", "2025-01-01", ""]
    negative_list_import(actor=world.users["admin"], data=workbook([row]), reason="r")
    with pytest.raises(ValidationFailed):
        negative_list_import(actor=world.users["admin"], data=workbook([row]), reason="r")
    assert NegativeListEntry.objects.count() == 1
    with pytest.raises(ValidationFailed):
        negative_list_import(actor=world.users["admin"], data=b"not a workbook", reason="r")


@pytest.mark.parametrize("persona", ["township_operator", "village_operator", "bank_officer", "auditor", "household"])
def test_only_administrators_and_regulators_import(world: World, persona: str) -> None:
    data = workbook([[member_id(world), "户主1", "来源", "依据", "2025-01-01", ""]])
    with pytest.raises(PermissionDenied):
        negative_list_import(actor=world.users[persona], data=data, reason="r")
    assert not NegativeListEntry.objects.exists()


def test_a_regulator_imports_and_sees_masked_ids_an_admin_full_ones(world: World) -> None:
    number = member_id(world)
    negative_list_import(
        actor=world.users["regulator"],
        data=workbook([[number, "户主1", "来源", "依据", timezone.localdate() - dt.timedelta(days=1), ""]]),
        reason="r",
    )
    masked = negative_entry_rows(actor=world.users["regulator"])
    assert [(r["id_number"], r["name"]) for r in masked] == [(number[:6] + "********" + number[-4:], "户*1")]
    full = negative_entry_rows(actor=world.users["admin"])
    assert [r["id_number"] for r in full] == [number]
    assert negative_entry_rows(actor=world.users["township_operator"]) == []
    hits = negative_hits_in_scope(actor=world.users["township_operator"])
    assert [h["household"].pk for h in hits] == [world.household(ZHOUAN, 0).pk]
    assert negative_hits_in_scope(actor=world.users["other_township_operator"]) == []
