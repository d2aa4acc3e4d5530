"""Household import: validation, whole-household rejection, idempotent re-upload, scope, conflicts, audit."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from creditvillage.collection.imports import services
from creditvillage.collection.imports.columns import COLUMNS, HEADERS, template_bytes
from creditvillage.collection.imports.samples import KEYS, household_rows, resident_id, xlsx_bytes
from creditvillage.collection.imports.validation import fast_resident_id
from creditvillage.core.errors import NotFound, PermissionDenied
from creditvillage.core.identifiers import validate_resident_id
from creditvillage.core.models import AuditEvent, Job, JobStatus
from creditvillage.registry import services as registry_services
from creditvillage.registry.models import Household, Person
from tests.fixtures import World

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"
HUANGDUN = "341502204202"
DONGQIAO = "341502101201"  # sibling township


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def upload(data: bytes, name: str = "农户.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def run_import(world: World, rows: list[list[Any]], *, user: str = "collector", region: str = ZHOUAN) -> Job:
    job = services.household_import_start(actor=world.users[user], region=region, upload=upload(xlsx_bytes(rows)))
    services.household_import_run(job.pk)
    job.refresh_from_db()
    return job


def cell(row: list[Any], key: str) -> Any:
    return row[KEYS.index(key)]


def put(row: list[Any], key: str, value: Any) -> list[Any]:
    row[KEYS.index(key)] = value
    return row


def test_template_has_the_columns_the_import_reads_and_an_instructions_sheet() -> None:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(template_bytes()))
    assert workbook.sheet_names == ["农户成员", "填写说明", "可选值"]
    header = workbook.get_sheet_by_index(0).to_python()[0]
    assert header == list(HEADERS)
    assert "户编号" in header
    assert "身份证号码" in header
    assert "政治面貌" in header
    help_rows = workbook.get_sheet_by_index(1).to_python()
    assert [r[0] for r in help_rows[1 : len(COLUMNS) + 1]] == list(HEADERS)
    political = next(r for r in help_rows if r[0] == "政治面貌")
    assert "中共党员" in str(political[2])
    assert "群众" in str(political[2])


def test_valid_file_imports_households_and_members_with_provenance(world: World) -> None:
    rows = household_rows([ZHOUAN], 3, seed=1, first=501)
    job = run_import(world, rows)
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["rows_total"] == len(rows)
    assert job.result["rows_imported"] == len(rows)
    assert job.result["rows_rejected"] == 0
    assert job.result["errors"] == []
    numbers = sorted({cell(r, "number") for r in rows})
    households = Household.objects.filter(number__in=numbers).order_by("number")
    assert [h.number for h in households] == numbers
    first = households[0]
    assert first.channel == "excel_import"
    assert first.collected_by == world.users["collector"]
    assert first.region_id == ZHOUAN
    assert first.member_count == Person.objects.filter(household=first).count()
    head_row = next(r for r in rows if cell(r, "number") == first.number and cell(r, "relation") == "户主")
    assert first.head_name == cell(head_row, "name")
    assert first.annual_income_fen == cell(head_row, "annual_income_fen") * 100
    head = Person.objects.get(id_number=cell(head_row, "id_number"))
    assert head.relation == "head"
    details = validate_resident_id(head.id_number).details
    assert head.sex == details["sex"]
    assert head.birth_date.isoformat() == details["birth_date"]
    assert Person.objects.filter(id_number__in=[cell(r, "id_number") for r in rows]).count() == len(rows)
    event = AuditEvent.objects.get(action="import.households", target_id=str(job.pk))
    assert event.actor == world.users["collector"]
    assert event.changes["rows_imported"] == len(rows)
    assert event.changes["sha256"] == job.params["sha256"]
    assert len(job.params["sha256"]) == 64


def test_a_bad_row_rejects_its_whole_household_with_every_error_listed(world: World) -> None:
    rows = household_rows([ZHOUAN], 2, seed=2, first=601, members=(3, 3))
    bad = rows[1]  # second member of the first household
    rid = cell(bad, "id_number")
    put(bad, "id_number", rid[:17] + ("0" if rid[17] != "0" else "1"))
    put(bad, "phone", "12345")
    put(bad, "political_status", "党员群众")
    before_people = Person.objects.count()
    job = run_import(world, rows)
    first_number, second_number = cell(rows[0], "number"), cell(rows[3], "number")
    assert not Household.objects.filter(number=first_number).exists()
    assert Household.objects.filter(number=second_number).exists()
    assert Person.objects.count() == before_people + 3
    assert job.result["rows_imported"] == 3
    assert job.result["rows_rejected"] == 3
    codes = {(e["row"], e["column"], e["code"]) for e in job.result["errors"]}
    assert (3, "身份证号码", "bad_check_digit") in codes
    assert (3, "手机号", "bad_prefix") in codes or (3, "手机号", "bad_length") in codes
    assert (3, "政治面貌", "bad_choice") in codes
    assert (2, "户编号", "household_rejected") in codes
    assert (4, "户编号", "household_rejected") in codes
    assert all(e["message"] for e in job.result["errors"])
    assert job.result_file.endswith("-errors.xlsx")
    report = CalamineWorkbook.from_path(str(services.media_path(job.result_file))).get_sheet_by_index(0).to_python()
    assert report[0] == ["行号", "列", "错误代码", "说明"]
    assert len(report) - 1 == job.result["errors_total"] == len(job.result["errors"])


def test_reuploading_the_same_file_changes_nothing(world: World) -> None:
    rows = household_rows([ZHOUAN, HUANGDUN], 4, seed=3, first=701)
    run_import(world, rows, user="township_operator", region="341502204")
    snapshot = sorted(Household.objects.values_list("number", "version", "member_count", "head_name"))
    people = Person.objects.count()
    second = run_import(world, rows, user="township_operator", region="341502204")
    assert second.result["rows_imported"] == len(rows)
    assert second.result["households_created"] == 0
    assert second.result["households_updated"] == 0
    assert second.result["persons_created"] == 0
    assert second.result["persons_updated"] == 0
    assert sorted(Household.objects.values_list("number", "version", "member_count", "head_name")) == snapshot
    assert Person.objects.count() == people


def test_a_changed_file_updates_by_number_and_id_number(world: World) -> None:
    rows = household_rows([ZHOUAN], 1, seed=4, first=801, members=(2, 2))
    run_import(world, rows)
    put(rows[0], "address", "新址1号")
    put(rows[1], "occupation", "教师")
    job = run_import(world, rows)
    household = Household.objects.get(number=cell(rows[0], "number"))
    assert household.address == "新址1号"
    assert household.version == 2
    assert household.field_provenance["address"]["channel"] == "excel_import"
    assert Person.objects.get(id_number=cell(rows[1], "id_number")).occupation == "教师"
    assert job.result["households_updated"] == 1
    assert job.result["persons_updated"] == 1


def test_duplicates_inside_the_file_and_against_the_registry(world: World) -> None:
    rows = household_rows([ZHOUAN], 3, seed=5, first=901, members=(2, 2))
    put(rows[3], "id_number", cell(rows[1], "id_number"))  # same person in two households
    existing = Person.objects.filter(household__region_id=HUANGDUN).first()
    assert existing is not None
    put(rows[5], "id_number", existing.id_number)  # a person of another household
    job = run_import(world, rows)
    codes = {(e["row"], e["code"]) for e in job.result["errors"]}
    assert (3, "duplicate_in_file") in codes
    assert (5, "duplicate_in_file") in codes
    assert (7, "duplicate_in_registry") in codes
    assert job.result["rows_imported"] == 0
    assert Person.objects.get(id_number=existing.id_number).household_id == existing.household_id


def test_region_must_be_a_village_in_the_uploaders_scope(world: World) -> None:
    rows = household_rows([ZHOUAN], 3, seed=6, first=1001, members=(1, 1))
    put(rows[0], "village", DONGQIAO)  # sibling township: out of scope
    put(rows[1], "village", "341502204")  # a township, not a village
    put(rows[2], "village", "341502204299")  # does not exist
    job = run_import(world, rows)
    by_row = {e["row"]: e["code"] for e in job.result["errors"] if e["column"] == "村区划代码"}
    assert by_row == {2: "region_not_allowed", 3: "not_village", 4: "region_not_allowed"}
    assert job.result["rows_imported"] == 0


def test_household_rules_head_name_and_consistency(world: World) -> None:
    rows = household_rows([ZHOUAN], 3, seed=7, first=1101, members=(2, 2))
    put(rows[1], "relation", "户主")  # two heads
    put(rows[2], "head_name", "别人")  # head name differs from the head row
    put(rows[5], "address", "另一个地址")  # household 3: contradicts its first row
    put(rows[4], "address", "第一个地址")
    job = run_import(world, rows)
    codes = {(e["row"], e["code"]) for e in job.result["errors"]}
    assert (3, "head_multiple") in codes
    assert (4, "head_name_mismatch") in codes
    assert (7, "inconsistent_household") in codes
    assert job.result["rows_imported"] == 0


def test_resident_id_typed_as_a_number_is_reported(world: World) -> None:
    rows = household_rows([ZHOUAN], 1, seed=8, first=1201, members=(1, 1))
    put(rows[0], "id_number", 341502197001010011)
    job = run_import(world, rows)
    assert [e["code"] for e in job.result["errors"]] == ["id_as_number"]


def test_existing_number_in_another_village_or_out_of_scope(world: World) -> None:
    rows = household_rows([ZHOUAN], 2, seed=9, first=1301, members=(1, 1))
    put(rows[0], "number", world.household(HUANGDUN).number)  # township operator's scope, another village
    put(rows[1], "number", world.household(DONGQIAO).number)  # outside the uploader's scope
    job = run_import(world, rows, user="township_operator", region="341502204")
    codes = {(e["row"], e["code"]) for e in job.result["errors"]}
    assert codes >= {(2, "region_mismatch"), (3, "number_taken")}
    assert (
        world.household(DONGQIAO).head_name == Household.objects.get(number=world.household(DONGQIAO).number).head_name
    )


def test_changing_the_head_is_refused(world: World) -> None:
    household = world.household(ZHOUAN)
    row = household_rows([ZHOUAN], 1, seed=10, first=1401, members=(1, 1))[0]
    put(row, "number", household.number)
    put(row, "head_name", cell(row, "name"))
    job = run_import(world, [row])
    assert [e["code"] for e in job.result["errors"]] == ["head_changed"]


def test_start_refuses_out_of_scope_regions_and_roles_without_import(world: World) -> None:
    data = xlsx_bytes(household_rows([ZHOUAN], 1))
    with pytest.raises(NotFound):
        services.household_import_start(actor=world.users["collector"], region=DONGQIAO, upload=upload(data))
    with pytest.raises(NotFound):
        services.household_import_start(actor=world.users["collector"], region="341502204299", upload=upload(data))
    with pytest.raises(PermissionDenied):
        services.household_import_start(actor=world.users["evaluator"], region=ZHOUAN, upload=upload(data))
    assert not Job.objects.filter(kind="household_import").exists()


def test_missing_required_header_fails_the_job_with_a_message(world: World) -> None:
    headers = [h for h in HEADERS if h != "身份证号码"]
    rows = [r[:13] + r[14:] for r in household_rows([ZHOUAN], 1)]
    job = services.household_import_start(
        actor=world.users["collector"], region=ZHOUAN, upload=upload(xlsx_bytes(rows, headers))
    )
    result = services.household_import_run(job.pk)
    assert result["errors"][0]["code"] == "missing_columns"
    assert "身份证号码" in result["errors"][0]["message"]


def test_conflict_with_a_manual_edit_is_reported_not_overwritten(world: World) -> None:
    rows = household_rows([ZHOUAN], 2, seed=11, first=1501, members=(1, 1))
    run_import(world, rows)
    put(rows[0], "address", "导入的新地址")
    put(rows[1], "address", "另一户的新地址")
    household = Household.objects.get(number=cell(rows[0], "number"))
    job = services.household_import_start(
        actor=world.users["collector"], region=ZHOUAN, upload=upload(xlsx_bytes(rows))
    )

    def edit_meanwhile(point: str, chunk: int) -> None:
        # Validation has read the household; an operator edits it before the chunk is written.
        if point == "chunk_start" and chunk == 0:
            registry_services.household_update(
                actor=world.users["village_operator"],
                household=household,
                changes={"address": "手工修改"},
                reason="核实",
            )

    result = services.household_import_run(job.pk, fault=edit_meanwhile)
    household.refresh_from_db()
    assert household.address == "手工修改"  # the manual edit survived
    assert [(e["row"], e["code"]) for e in result["errors"]] == [(2, "conflict")]
    assert Household.objects.get(number=cell(rows[1], "number")).address == "另一户的新地址"
    assert result["rows_imported"] == 1
    assert result["rows_rejected"] == 1


def test_fast_resident_id_agrees_with_the_validator() -> None:
    today = dt.date(2026, 6, 1)
    samples = [resident_id("341502", i) for i in range(0, 3_000_000, 7919)]
    samples += [s[:17] + "0" for s in samples[:50]] + [s[:6] + "20270101" + s[14:] for s in samples[:20]]
    samples += ["99" + s[2:] for s in samples[:20]] + [s[:10] + "1301" + s[14:] for s in samples[:20]]
    for value in samples:
        fast = fast_resident_id(value, today)
        full = validate_resident_id(value, today=today)
        assert fast is None or full.valid, value  # never accepts what the validator refuses
        if full.valid and value.isdigit():
            assert fast is not None, value  # and takes every canonical valid number
        if fast is not None:
            assert fast[0] == full.details["sex"]
            assert fast[1].isoformat() == full.details["birth_date"]


def test_mobile_block_cache_agrees_with_the_validator() -> None:
    import random

    from creditvillage.collection.imports.validation import CellError, _mobile
    from creditvillage.core.identifiers import validate_mobile

    rng = random.Random(1)
    for block in range(10_000, 20_000):
        number = f"{block}{rng.randrange(10**6):06d}"
        try:
            ok = bool(_mobile(number))
        except CellError:
            ok = False
        assert ok == validate_mobile(number).valid, number
