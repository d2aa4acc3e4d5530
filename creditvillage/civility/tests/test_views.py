from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from creditvillage.civility import services
from creditvillage.civility.models import CivilityRound, Evaluation, SchemeVersion
from creditvillage.civility.tests.helpers import ZHOUAN, item, open_round, record_all_steps, score
from creditvillage.civility.tests.test_services import xlsx
from creditvillage.registry.models import Person
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def client_for(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


def test_home_lists_rounds_and_my_tasks(world: World) -> None:
    round_, _members = open_round(world)
    body = client_for(world, "evaluator").get("/civility/").content.decode()
    assert f"/civility/rounds/{round_.pk}/score/" in body
    assert 'data-round="' in body
    # another township's operator sees no round
    other = client_for(world, "other_township_operator").get("/civility/").content.decode()
    assert f'data-round="{round_.pk}"' not in other
    assert client_for(world, "nobody").get("/civility/").status_code == 403


def test_phone_scoring_page_posts_marks(world: World) -> None:
    round_, members = open_round(world)
    client = client_for(world, "evaluator")
    household = world.household(ZHOUAN, 1)
    page = client.get(f"/civility/rounds/{round_.pk}/score/{household.pk}/")
    assert page.status_code == 200
    assert "参加村民会议和村级事务" in page.content.decode()
    attend = item(round_, "参加村民会议和村级事务")
    litter = item(round_, "乱扔垃圾或焚烧秸秆（每次）")
    response = client.post(
        f"/civility/rounds/{round_.pk}/score/{household.pk}/",
        {"item": [attend.pk, litter.pk], f"count-{litter.pk}": "2", "note": "入户核实"},
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(member=members[0], household=household)
    assert evaluation.score == Decimal("23.00")  # 24 + 1 − 2
    assert evaluation.note == "入户核实"
    # a veto without basis is refused and nothing changes
    veto = item(round_, "被列为失信被执行人")
    refused = client.post(f"/civility/rounds/{round_.pk}/score/{household.pk}/", {"item": [veto.pk]})
    assert refused.status_code == 200
    assert "一票否决项须填写书面依据" in refused.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.version == 1


def test_recused_household_shown_and_post_refused(world: World) -> None:
    round_, members = open_round(world)
    own = world.household(ZHOUAN, 0)
    members[0].id_number = Person.objects.get(household=own).id_number
    members[0].save()
    client = client_for(world, "evaluator")
    listing = client.get(f"/civility/rounds/{round_.pk}/score/").content.decode()
    assert f'data-household="{own.pk}" data-state="recused"' in listing
    page = client.post(f"/civility/rounds/{round_.pk}/score/{own.pk}/", {"item": []})
    assert 'data-testid="recused"' in page.content.decode()
    assert not Evaluation.objects.filter(household=own).exists()


def test_out_of_scope_round_pages_are_404(world: World) -> None:
    round_, _members = open_round(world)
    client = client_for(world, "other_township_operator")
    for path in ("", "steps/", "relatives/", "close/", "score/"):
        assert client.get(f"/civility/rounds/{round_.pk}/{path}").status_code == 404
    # the evaluator may look at the round but not manage it
    evaluator = client_for(world, "evaluator")
    assert evaluator.get(f"/civility/rounds/{round_.pk}/").status_code == 200
    assert evaluator.post(f"/civility/rounds/{round_.pk}/close/", {"reason": "x"}).status_code == 404


def test_steps_page_records_and_close_page_closes(world: World) -> None:
    round_, members = open_round(world)
    score(members[0], world.household(ZHOUAN, 1))
    client = client_for(world, "township_operator")
    blocked = client.post(f"/civility/rounds/{round_.pk}/close/", {"reason": "结束"})
    assert blocked.status_code == 200
    assert "评议小组初评" in blocked.content.decode()
    response = client.post(
        f"/civility/rounds/{round_.pk}/steps/",
        {"kind": "pre_evaluation", "held_on": "2026-06-01", "expected": "5", "present": "5",
         "attendees": "评议小组", "minutes": "初评完成"},
    )  # fmt: skip
    assert response.status_code == 302
    assert round_.steps.get().minutes == "初评完成"
    record_all_steps(world, round_)
    assert client.post(f"/civility/rounds/{round_.pk}/close/", {"reason": "结束"}).status_code == 302
    assert CivilityRound.objects.get(pk=round_.pk).status == "closed"


def test_round_create_and_member_add_pages(world: World) -> None:
    client = client_for(world, "village_operator")
    version = services.default_version_ensure()
    response = client.post(
        "/civility/rounds/new/",
        {"region": ZHOUAN, "year": "2026", "scheme_version": version.pk, "procedure": "3-2-1", "reason": "年度评议"},
    )
    round_ = CivilityRound.objects.get(region_id=ZHOUAN, year=2026)
    assert response.status_code == 302
    response = client.post(
        f"/civility/rounds/{round_.pk}/members/add/",
        {"group": "evaluation", "user": world.users["evaluator"].pk, "reason": "组建"},
    )
    assert response.status_code == 302
    assert round_.members.get().user == world.users["evaluator"]


def test_scheme_pages_edit_table_and_import(world: World) -> None:
    admin = client_for(world, "admin")
    assert admin.get("/civility/schemes/").status_code == 200
    assert client_for(world, "township_operator").get("/civility/schemes/").status_code == 403
    response = admin.post("/civility/schemes/new/", {"code": "test", "name": "测试方案", "reason": "试行"})
    version = SchemeVersion.objects.get(scheme__code="test")
    assert response.status_code == 302
    post = {
        "base_per_dimension": "3", "dimension_floor": "0", "bonus_cap": "6", "reason": "录入",
        "dimension": ["孝老爱亲", "孝老爱亲", ""], "kind": ["positive", "negative", "veto"],
        "text": ["照料老人", "不赡养", "失信被执行人"], "points": ["1", "3", "0"], "per_case": ["0", "0", "0"],
        "source": ["", "", "法院"],
    }  # fmt: skip
    assert admin.post(f"/civility/schemes/versions/{version.pk}/edit/", post).status_code == 302
    assert list(version.items.order_by("position").values_list("text", flat=True)) == [
        "照料老人",
        "不赡养",
        "失信被执行人",
    ]
    assert admin.post(f"/civility/schemes/versions/{version.pk}/activate/", {"reason": "启用"}).status_code == 302
    version.refresh_from_db()
    assert version.status == "active"
    page = admin.get(f"/civility/schemes/versions/{version.pk}/").content.decode()
    assert "照料老人" in page
    upload = SimpleUploadedFile("s.xlsx", xlsx([["遵纪守法", "扣分", "", 1, "", ""]]))
    bad = admin.post(
        "/civility/schemes/import/",
        {
            "code": "tc",
            "name": "铜城",
            "base_per_dimension": "5",
            "dimension_floor": "0",
            "reason": "导入",
            "file": upload,
        },
    )
    assert "第2行" in bad.content.decode()
    assert not SchemeVersion.objects.filter(scheme__code="tc").exists()


def test_closed_round_page_shows_frozen_results(world: World) -> None:
    round_, members = open_round(world)
    score(members[0], world.household(ZHOUAN, 1), "参与赌博被查处")
    record_all_steps(world, round_)
    services.round_close(actor=world.users["township_operator"], round=round_, reason="结束")
    body = client_for(world, "regulator").get(f"/civility/rounds/{round_.pk}/").content.decode()
    assert "21.00" in body
    assert 'data-testid="round-status">已结束' in body


def test_bad_photo_shown_beside_the_field(world: World, settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    round_, members = open_round(world)
    household = world.household(ZHOUAN, 1)
    fake = SimpleUploadedFile("x.jpg", b"GIF89a not allowed", content_type="image/jpeg")
    page = client_for(world, "evaluator").post(f"/civility/rounds/{round_.pk}/score/{household.pk}/", {"photo": fake})
    assert 'data-error-for="photo"' in page.content.decode()
    assert not Evaluation.objects.filter(member=members[0]).exists()
