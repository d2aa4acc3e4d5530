"""Campaign pages: create, progress (and its Excel export), assignments, a collector's list, quality."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from python_calamine import CalamineWorkbook

from creditvillage.collection.models import Assignment, Campaign, SubmissionState, VillageClosure
from creditvillage.collection.progress_export import inert
from creditvillage.collection.tests.campaign_fixtures import (
    HUANGDUN,
    ZHOUAN,
    add_collector,
    add_places,
    assign,
    make_campaign,
    submit,
)
from creditvillage.core.models import AuditEvent, Job, JobStatus
from creditvillage.regions.models import Grid
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def client_for(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(world.users[persona])
    return client


@pytest.fixture
def campaign(world: World) -> Campaign:
    add_places(world)
    campaign = make_campaign(world)
    collector = world.users["collector"]
    z = world.households[ZHOUAN]
    for household in z:
        assign(campaign, household, collector)
    submit(campaign, z[0], collector, SubmissionState.VERIFIED)
    submit(campaign, z[1], collector, SubmissionState.RETURNED, reasons={"phone": "电话号码是空号"})
    hd = add_collector("hd", HUANGDUN, "黄墩采集员")
    for household in world.households[HUANGDUN]:
        assign(campaign, household, hd)
        submit(campaign, household, hd, SubmissionState.VERIFIED)
    VillageClosure.objects.create(campaign=campaign, village_id=HUANGDUN, closed_at=dt.datetime.now(tz=dt.UTC))
    return campaign


def test_progress_page_shows_villages_closure_and_chart(world: World, campaign: Campaign) -> None:
    response = client_for(world, "township_operator").get(f"/collection/campaigns/{campaign.pk}/progress/")
    assert response.status_code == 200
    text = response.content.decode()
    assert f'data-village="{ZHOUAN}"' in text
    assert f'data-village="{HUANGDUN}"' in text
    assert 'data-closed="1"' in text
    assert 'data-closed="0"' in text
    assert response.context["progress"].total.done == 4
    assert response.context["chart"] == {"kind": "coverage", "data": [["周庵村", 33], ["黄墩村", 100]]}
    assert 'id="chart-progress"' in text
    assert "黄墩采集员" in text


def test_progress_page_scope(world: World, campaign: Campaign) -> None:
    path = f"/collection/campaigns/{campaign.pk}/progress/"
    assert client_for(world, "sibling_township_operator").get(path).status_code == 404
    assert client_for(world, "township_operator").get(path + "?region=341502101201").status_code == 404
    village = client_for(world, "village_operator").get(path)
    assert [r.key for r in village.context["progress"].villages] == [ZHOUAN]
    assert client_for(world, "merchant").get(path).status_code == 403
    assert client_for(world, "township_operator").get("/collection/campaigns/999999/progress/").status_code == 404


def test_collector_sees_cards_returned_first_with_reasons(world: World, campaign: Campaign) -> None:
    response = client_for(world, "collector").get(f"/collection/campaigns/{campaign.pk}/mine/")
    assert response.status_code == 200
    text = response.content.decode()
    stages = [item.stage for item in response.context["worklist"].items]
    assert stages == ["returned", "not_started", "done"]
    assert "电话号码是空号" in text
    assert text.index('data-stage="returned"') < text.index('data-stage="done"')
    filtered = client_for(world, "collector").get(f"/collection/campaigns/{campaign.pk}/mine/?stage=done")
    assert [i.stage for i in filtered.context["worklist"].items] == ["done"]
    assert client_for(world, "evaluator").get(f"/collection/campaigns/{campaign.pk}/mine/").status_code == 403


def test_create_campaign_page(world: World) -> None:
    client = client_for(world, "township_operator")
    form = client.get("/collection/campaigns/new/")
    assert form.status_code == 200
    assert [r.code for r in form.context["form"].fields["region"].queryset] == ["341502204000"]
    response = client.post("/collection/campaigns/new/", {"region": "341502204000", "year": "2026"})
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/collection/campaigns/{campaign.pk}/progress/"
    assert campaign.archives_due == dt.date(2026, 7, 31)
    # Someone else's township is not offered and is refused.
    again = client.post("/collection/campaigns/new/", {"region": "341502101000", "year": "2026"})
    assert again.status_code == 200
    assert Campaign.objects.count() == 1
    assert client_for(world, "collector").get("/collection/campaigns/new/").status_code == 403


def test_assign_and_reassign_pages(world: World) -> None:
    places = add_places(world)
    campaign = make_campaign(world)
    client = client_for(world, "village_operator")
    path = f"/collection/campaigns/{campaign.pk}/assignments/"
    page = client.get(path)
    assert page.status_code == 200
    assert {g.village_id for g in page.context["assign_form"].fields["grid"].queryset} == {ZHOUAN}
    collector = world.users["collector"]
    response = client.post(
        path, {"form": "assign", "by": "grid", "grid": places.grids[ZHOUAN][0].pk, "collector": collector.pk}
    )
    assert response.status_code == 302
    assert Assignment.objects.filter(collector=collector).count() == 2
    second = add_collector("collector2", ZHOUAN)
    refused = client.post(
        path, {"form": "reassign", "from_collector": collector.pk, "to_collector": second.pk, "reason": ""}
    )
    assert refused.status_code == 200
    assert Assignment.objects.filter(collector=second).count() == 0
    client.post(path, {"form": "reassign", "from_collector": collector.pk, "to_collector": second.pk, "reason": "换人"})
    assert Assignment.objects.filter(collector=second).count() == 2
    # Another village's grid is not a valid choice.
    other = client.post(
        path, {"form": "assign", "by": "grid", "grid": places.grids[HUANGDUN][0].pk, "collector": collector.pk}
    )
    assert other.status_code == 200
    assert Assignment.objects.count() == 2
    assert client_for(world, "collector").get(path).status_code == 403


def test_quality_pages(world: World, campaign: Campaign) -> None:
    client = client_for(world, "township_operator")
    summary = client.get(f"/collection/campaigns/{campaign.pk}/quality/")
    assert summary.status_code == 200
    assert [r.code for r in summary.context["rows"]] == [ZHOUAN, HUANGDUN]
    village = client.get(f"/collection/campaigns/{campaign.pk}/quality/{ZHOUAN}/")
    assert village.status_code == 200
    assert 'data-flag="incomplete"' in village.content.decode()
    assert (
        client_for(world, "village_operator")
        .get(f"/collection/campaigns/{campaign.pk}/quality/{HUANGDUN}/")
        .status_code
        == 404
    )
    assert client_for(world, "regulator").get(f"/collection/campaigns/{campaign.pk}/quality/").status_code == 403


def test_home_page_shows_progress_summary(world: World, campaign: Campaign) -> None:
    response = client_for(world, "collector").get("/collection/")
    assert response.status_code == 200
    text = response.content.decode()
    if "campaign-progress" not in text:  # pragma: no cover - until the include lands in home.html
        pytest.skip("home.html does not include collection/progress_summary.html yet")
    assert f"/collection/campaigns/{campaign.pk}/mine/" in text


# --- Export (reliability.md C15) ---

PAYLOADS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]


def test_inert_prefixes_formula_starts_only() -> None:
    assert [inert(p) for p in PAYLOADS] == ["'" + p for p in PAYLOADS]
    assert inert("周庵村") == "周庵村"
    assert inert(-5) == -5
    assert inert("") == ""


def _export(world: World, persona: str, campaign: Campaign, settings: Any, tmp_path: Path, capture: Any) -> Job:
    settings.MEDIA_ROOT = str(tmp_path)
    with capture(execute=True):
        response = client_for(world, persona).post(f"/collection/campaigns/{campaign.pk}/progress/export/")
    assert response.status_code == 302
    return Job.objects.get(kind="campaign_progress_export", created_by=world.users[persona])


def test_export_is_formula_inert(
    world: World, campaign: Campaign, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    grid = Grid.objects.filter(village_id=ZHOUAN).order_by("number").first()
    assert grid is not None
    Grid.objects.filter(pk=grid.pk).update(name=PAYLOADS[0])
    assignments = list(Assignment.objects.order_by("pk"))
    for i, payload in enumerate(PAYLOADS[1:]):
        user = add_collector(f"evil{i}", ZHOUAN, payload)
        Assignment.objects.filter(pk=assignments[i].pk).update(collector=user)
    job = _export(world, "township_operator", campaign, settings, tmp_path, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    path = tmp_path / job.result_file
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["按村", "按网格", "按采集员"]
    cells = [str(c) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for c in row]
    assert "'" + PAYLOADS[0] in cells
    for payload in PAYLOADS[1:]:
        assert "'" + payload in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    with zipfile.ZipFile(path) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml
    villages = book.get_sheet_by_name("按村").to_python()
    assert villages[0][:2] == ["区划代码", "村"]
    assert [row[1] for row in villages[1:]] == ["周庵村", "黄墩村"]
    assert villages[2][-1] == "已关闭"
    assert AuditEvent.objects.filter(action="campaign.progress_exported", target_id=str(campaign.pk)).count() == 1


def test_export_holds_only_the_village_operators_village(
    world: World, campaign: Campaign, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    job = _export(world, "village_operator", campaign, settings, tmp_path, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    rows = CalamineWorkbook.from_path(str(tmp_path / job.result_file)).get_sheet_by_name("按村").to_python()
    assert [row[1] for row in rows[1:]] == ["周庵村"]
    # Another user's export job is theirs alone.
    assert client_for(world, "township_operator").get(f"/jobs/{job.pk}/").status_code == 404


def test_export_refused_without_export_or_out_of_scope(world: World, campaign: Campaign) -> None:
    assert (
        client_for(world, "collector").post(f"/collection/campaigns/{campaign.pk}/progress/export/").status_code == 403
    )
    response = client_for(world, "sibling_township_operator").post(
        f"/collection/campaigns/{campaign.pk}/progress/export/"
    )
    assert response.status_code == 404
    assert not Job.objects.filter(kind="campaign_progress_export").exists()
