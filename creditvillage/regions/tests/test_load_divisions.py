"""Loading statistical division codes from CSV: all rows or none, idempotent, clear Chinese errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from creditvillage.accounts.models import User
from creditvillage.core.models import AuditEvent
from creditvillage.regions.errors import DivisionFileInvalid
from creditvillage.regions.models import Region
from creditvillage.regions.services import LoadReport, regions_load_csv
from creditvillage.registry.generation import DEMO_DIVISIONS
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def load(text: str, actor: User | None = None) -> LoadReport:
    return regions_load_csv(path_or_file=io.StringIO(text), actor=actor)


def test_demo_file_loads_the_two_counties_and_reloads_without_duplicates() -> None:
    first = regions_load_csv(path_or_file=DEMO_DIVISIONS)
    second = regions_load_csv(path_or_file=DEMO_DIVISIONS)

    assert (first.created, first.updated) == (first.rows, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.rows)
    assert Region.objects.count() == first.rows
    hengtanggang = Region.objects.get(code="341502204000")
    assert (hengtanggang.name, hengtanggang.level, hengtanggang.parent_id) == ("横塘岗乡", "township", "341502000000")
    villages = Region.objects.filter(parent=hengtanggang)
    assert villages.count() == 12
    assert set(villages.values_list("is_illustrative", flat=True)) == {True}
    assert set(villages.values_list("code", flat=True)) == {f"341502204{n}" for n in range(201, 213)}
    assert Region.objects.get(code="341502204201").name == "周庵村"
    assert Region.objects.filter(parent_id="341181100000").count() >= 3
    shuangliu = Region.objects.get(code="341181103200")
    assert (shuangliu.name, shuangliu.is_illustrative, shuangliu.level) == ("双柳村", False, "village")
    assert Region.objects.get(code="341181103001").name == "元通社区"


def test_short_codes_are_padded_and_parents_and_levels_follow_from_the_code() -> None:
    report = load("code,name\n34,安徽省\n3411,滁州市\n341181,天长市\n341181100,铜城镇\n341181100201,龙岗村\n")

    assert report.created == 5
    village = Region.objects.get(code="341181100201")
    assert (village.level, village.parent_id, village.is_illustrative) == ("village", "341181100000", False)
    assert Region.objects.get(code="341100000000").parent_id == "340000000000"
    assert Region.objects.get(code="340000000000").parent_id is None


def test_reloading_updates_names_and_flags_in_place() -> None:
    load("code,name,is_illustrative,households_total\n34,安徽省,0,\n3411,滁州市,0,\n341181,天长市,0,120000\n")

    report = load("code,name,is_illustrative\n341181,天长市（县级市）,1\n")

    assert (report.created, report.updated) == (0, 1)
    county = Region.objects.get(code="341181000000")
    assert (county.name, county.is_illustrative, county.households_total) == ("天长市（县级市）", True, 120000)
    assert Region.objects.count() == 3


def test_utf8_bytes_with_a_byte_order_mark_and_chinese_level_words_are_accepted() -> None:
    data = "\ufeffcode,name,level,parent_code\n34,安徽省,省,\n3415,六安市,市,34\n".encode()

    report = regions_load_csv(path_or_file=io.BytesIO(data))

    assert report.created == 2
    assert Region.objects.get(code="341500000000").name == "六安市"


def test_one_bad_row_writes_nothing_and_every_problem_is_reported() -> None:
    text = (
        "code,name,level,parent_code\n"
        "34,安徽省,,\n"  # good
        "3415022042,坏代码,,\n"  # 10 digits
        "341502204401,越界村,,\n"  # village segment 401
        "3415,六安市,county,\n"  # wrong level
        "341502,金安区,,3411\n"  # wrong parent
        "34,安徽省,,\n"  # duplicate
        "999999,无名县,,\n"  # unknown province
        "341181100201,,,\n"  # empty name; parent missing
    )

    with pytest.raises(DivisionFileInvalid) as caught:
        load(text)

    assert Region.objects.count() == 0
    errors = caught.value.errors
    by_row = {error.row: error for error in errors}
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8, 9]
    assert by_row[3].code == "3415022042"
    assert "10位" in by_row[3].message
    assert "401" in by_row[4].message
    assert "层级" in by_row[5].message
    assert "上级代码341100000000与代码不符" in by_row[6].message
    assert "重复" in by_row[7].message
    assert any("名称不能为空" in e.message for e in errors if e.row == 9)
    report = caught.value.report()
    assert report.startswith("区划文件有")
    assert "第3行（代码 3415022042）" in report
    assert caught.value.code == "division_file_invalid"


def test_a_parent_neither_in_the_file_nor_stored_is_an_error() -> None:
    with pytest.raises(DivisionFileInvalid) as caught:
        load("code,name\n341181100201,龙岗村\n")

    assert [(e.row, e.code) for e in caught.value.errors] == [(2, "341181100201")]
    assert "341181100000" in caught.value.errors[0].message


@pytest.mark.parametrize(
    ("header", "expected"),
    [("name\n", "缺少必需的列“code”"), ("code,name,colour\n", "无法识别的列：colour")],
)
def test_header_problems_are_reported_on_line_1(header: str, expected: str) -> None:
    with pytest.raises(DivisionFileInvalid) as caught:
        load(header + "34,安徽省\n")

    assert caught.value.errors[0].row == 1
    assert expected in caught.value.errors[0].message


def test_a_file_that_is_not_utf8_is_refused_with_advice() -> None:
    with pytest.raises(DivisionFileInvalid) as caught:
        regions_load_csv(path_or_file=io.BytesIO("code,name\n34,安徽省\n".encode("gbk")))

    assert "UTF-8" in caught.value.errors[0].message
    assert Region.objects.count() == 0


def test_an_actor_may_load_only_inside_their_scope_and_the_load_is_audited(world: World) -> None:
    admin = world.users["admin"]  # admin of 金安区

    with pytest.raises(DivisionFileInvalid) as caught:
        load("code,name\n341502204203,凤凰台村\n341181100203,光明村\n", actor=admin)
    assert [e.row for e in caught.value.errors] == [3]
    assert "超出您的管辖范围" in caught.value.errors[0].message
    assert not Region.objects.filter(code="341502204203").exists()

    report = load("code,name\n341502204203,凤凰台村\n", actor=admin)

    assert report.created == 1
    event = AuditEvent.objects.get(action="regions.loaded")
    assert (event.actor, event.target_id, event.changes["created"]) == (admin, "341502204203", 1)


def test_the_command_prints_the_summary_or_the_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("code,name\n34,安徽省\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n34x,安徽省\n", encoding="utf-8")
    out = io.StringIO()

    call_command("load_divisions", str(good), stdout=out)
    with pytest.raises(CommandError) as caught:
        call_command("load_divisions", str(bad))

    assert "新增1个" in out.getvalue()
    assert "第2行（代码 34x）" in str(caught.value)
