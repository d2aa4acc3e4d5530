from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from django.db import connection
from django.http import FileResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from creditvillage.core.models import AuditEvent, Job
from creditvillage.registry.models import Person
from tests.fixtures import World, build_world

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"


def client_for(world: World, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


# --- List ----------------------------------------------------------------------------------------


def test_list_shows_the_township_count_and_full_phones_to_the_operator(world: World) -> None:
    response = client_for(world, "township_operator").get(reverse("household-list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "共 6 户" in html
    assert world.household(ZHOUAN).phone in html
    assert world.household("341181100201").head_name not in html  # another county


def test_list_masks_phones_for_the_evaluator(world: World) -> None:
    html = client_for(world, "evaluator").get(reverse("household-list")).content.decode()
    phone = world.household(ZHOUAN).phone
    assert "共 3 户" in html
    assert phone not in html
    assert f"{phone[:3]}****{phone[7:]}" in html


def test_list_filters_by_village_and_offers_only_regions_in_scope(world: World) -> None:
    client = client_for(world, "township_operator")
    html = client.get(reverse("household-list"), {"region": ZHOUAN}).content.decode()
    assert "共 3 户" in html
    assert 'value="341502204202"' in html  # the sibling village is offered
    assert "341181100201" not in html  # a village of another county is not


def test_list_refuses_a_region_outside_scope_instead_of_showing_everything(world: World) -> None:
    html = client_for(world, "township_operator").get(reverse("household-list"), {"region": "341181100201"})
    text = html.content.decode()
    assert html.status_code == 200
    assert "共 0 户" in text
    assert "筛选条件有误" in text


def test_list_search_by_id_number_only_for_roles_that_see_ids(world: World) -> None:
    head = Person.objects.get(household=world.household(ZHOUAN, 1), relation="head")
    operator = client_for(world, "township_operator").get(reverse("household-list"), {"q": head.id_number})
    evaluator = client_for(world, "evaluator").get(reverse("household-list"), {"q": head.id_number})
    assert "共 1 户" in operator.content.decode()
    assert "共 0 户" in evaluator.content.decode()
    assert "身份证号" not in evaluator.content.decode().split('name="q"')[1].split(">")[0]


def test_htmx_request_gets_only_the_results_fragment(world: World) -> None:
    response = client_for(world, "township_operator").get(
        reverse("household-list"), {"status": "archived"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert 'data-testid="result-count"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_whole_page(world: World) -> None:
    response = client_for(world, "township_operator").get(
        reverse("household-list"), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_list_is_forbidden_to_a_role_without_view(world: World) -> None:
    response = client_for(world, "merchant").get(reverse("household-list"))
    assert response.status_code == 403
    assert "您的角色不能进行这项操作" in response.content.decode()


def _list_queries(client: Client, django_assert_max_num_queries: Any, limit: int) -> None:
    with django_assert_max_num_queries(limit):
        assert client.get(reverse("household-list")).status_code == 200


def test_list_query_count_does_not_grow_with_the_page(db: None, django_assert_max_num_queries: Any) -> None:
    world = build_world(households_per_village=30)  # 60 households in the township: a full page of 25
    client = client_for(world, "township_operator")
    client.get(reverse("household-list"))  # warm the session
    # session, user, grants, region choices, count, page, phone masking, header roles (+ savepoints)
    _list_queries(client, django_assert_max_num_queries, 11)


def test_list_query_count_is_the_same_for_one_row_and_a_full_page(db: None) -> None:
    world = build_world(households_per_village=30)
    client = client_for(world, "township_operator")
    client.get(reverse("household-list"))
    with CaptureQueriesContext(connection) as full:
        client.get(reverse("household-list"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("household-list"), {"q": world.household(ZHOUAN, 0).number})
    assert len(full) == len(one)


# --- Detail --------------------------------------------------------------------------------------


def test_detail_shows_unmasked_ids_and_history_to_the_collector(world: World) -> None:
    household = world.household(ZHOUAN)
    head = household.members.get()
    html = client_for(world, "collector").get(reverse("household-detail", args=[household.pk])).content.decode()
    assert head.id_number in html
    assert "修改记录" in html
    assert reverse("household-edit", args=[household.pk]) in html


def test_detail_masks_ids_and_hides_history_for_the_evaluator(world: World) -> None:
    household = world.household(ZHOUAN)
    head = household.members.get()
    html = client_for(world, "evaluator").get(reverse("household-detail", args=[household.pk])).content.decode()
    assert head.id_number not in html
    assert f"{head.id_number[:6]}********{head.id_number[14:]}" in html
    assert "修改记录" not in html
    assert reverse("household-edit", args=[household.pk]) not in html


def test_detail_outside_scope_is_the_friendly_404(world: World) -> None:
    other = world.household("341181100201")
    response = client_for(world, "township_operator").get(reverse("household-detail", args=[other.pk]))
    assert response.status_code == 404
    assert "没有找到这个页面" in response.content.decode()


def test_auditor_sees_history_with_reason(world: World) -> None:
    household = world.household(ZHOUAN)
    client_for(world, "collector").post(
        reverse("household-edit", args=[household.pk]), {"phone": "13912345678", "reason": "入户核实后更正"}
    )
    html = client_for(world, "auditor").get(reverse("household-detail", args=[household.pk])).content.decode()
    assert "入户核实后更正" in html
    assert "13912345678" in html


# --- Edit ----------------------------------------------------------------------------------------


def test_edit_requires_a_reason_and_changes_nothing_without_one(world: World) -> None:
    household = world.household(ZHOUAN)
    response = client_for(world, "collector").post(
        reverse("household-edit", args=[household.pk]), {"phone": "13912345678", "reason": ""}
    )
    assert response.status_code == 200
    assert "请填写修改原因" in response.content.decode()
    household.refresh_from_db()
    assert household.phone != "13912345678"
    assert not AuditEvent.objects.filter(action="household.updated").exists()


def test_edit_shows_a_bad_phone_beside_the_field(world: World) -> None:
    household = world.household(ZHOUAN)
    response = client_for(world, "collector").post(
        reverse("household-edit", args=[household.pk]), {"phone": "12345", "reason": "更正"}
    )
    assert 'data-error-for="phone"' in response.content.decode()
    assert "手机号码" in response.content.decode()


def test_edit_saves_through_the_service_with_an_audit_event(world: World) -> None:
    household = world.household(ZHOUAN)
    old_phone = household.phone
    response = client_for(world, "collector").post(
        reverse("household-edit", args=[household.pk]), {"phone": "13912345678", "reason": "农户本人申请变更"}
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.phone == "13912345678"
    event = AuditEvent.objects.get(action="household.updated", target_id=str(household.pk))
    assert event.reason == "农户本人申请变更"
    assert event.changes == {"phone": [old_phone, "13912345678"]}


def test_edit_is_forbidden_to_the_evaluator_and_404_outside_scope(world: World) -> None:
    assert (
        client_for(world, "evaluator").get(reverse("household-edit", args=[world.household(ZHOUAN).pk])).status_code
        == 403
    )
    other = world.household("341502204202")
    assert client_for(world, "collector").get(reverse("household-edit", args=[other.pk])).status_code == 404


def test_member_edit_shows_the_id_check_error_in_chinese(world: World) -> None:
    household = world.household(ZHOUAN)
    head = household.members.get()
    bad = head.id_number[:-1] + ("0" if head.id_number[-1] != "0" else "1")
    response = client_for(world, "collector").post(
        reverse("person-edit", args=[household.pk, head.pk]),
        {
            "name": head.name,
            "id_number": bad,
            "relation": "head",
            "political_status": "masses",
            "health": "healthy",
            "reason": "更正",
        },
    )
    html = response.content.decode()
    assert 'data-error-for="id_number"' in html
    assert "校验位" in html
    head.refresh_from_db()
    assert head.id_number != bad


def test_member_edit_saves_and_updates_the_head_name(world: World) -> None:
    household = world.household(ZHOUAN)
    head = household.members.get()
    response = client_for(world, "collector").post(
        reverse("person-edit", args=[household.pk, head.pk]),
        {
            "name": "张三明",
            "id_number": head.id_number,
            "relation": "head",
            "political_status": "party_member",
            "health": "healthy",
            "reason": "户口簿更正",
        },
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.head_name == "张三明"
    assert AuditEvent.objects.get(action="person.updated").reason == "户口簿更正"


def test_member_of_another_household_is_404(world: World) -> None:
    household = world.household(ZHOUAN, 0)
    other_person = world.household(ZHOUAN, 1).members.get()
    response = client_for(world, "collector").get(reverse("person-edit", args=[household.pk, other_person.pk]))
    assert response.status_code == 404


# --- Export ----------------------------------------------------------------------------------------


def test_export_runs_to_100_percent_and_downloads_an_xlsx(
    world: World, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = client_for(world, "township_operator")
    with django_capture_on_commit_callbacks(execute=True):  # the ImmediateBackend runs the task at commit
        response = client.post(reverse("household-export"), {"region": ZHOUAN, "q": "", "grade": "", "status": ""})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("job-detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "100%" in page
    assert reverse("job-download", args=[job.pk]) in page
    download = cast(FileResponse, client.get(reverse("job-download", args=[job.pk])))
    assert download["Content-Disposition"].startswith("attachment")
    content = b"".join(cast(Iterator[bytes], download.streaming_content))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    table = rows.to_python()
    assert table[0][0] == "户编号"
    assert len(table) == 1 + 3


def test_export_is_forbidden_without_the_export_action(world: World) -> None:
    assert client_for(world, "collector").post(reverse("household-export")).status_code == 403
    assert not Job.objects.exists()
