"""The scoring pages: model list, version tables, editing a draft, activation, simulation, a run."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from creditvillage.core.models import AuditEvent, Job
from creditvillage.rating.models import Rating, RatingRun
from creditvillage.registry.models import Household
from creditvillage.scoring.models import ModelVersion, ScoringModel
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def login(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(world.users[persona])
    return client


def test_home_lists_the_models_for_operators_only(world: World) -> None:
    page = login(world, "township_operator").get("/scoring/")
    assert page.status_code == 200
    text = page.content.decode()
    for code in ("HH-DEFAULT", "ENT-DEFAULT", "COL-DEFAULT", "VIL-DEFAULT"):
        assert code in text
    assert 'action="/scoring/runs/new/"' in text  # township operators may rate
    assert 'action="/scoring/runs/new/"' not in login(world, "village_operator").get("/scoring/").content.decode()
    for persona in ("collector", "household", "bank_officer", "nobody"):
        assert login(world, persona).get("/scoring/").status_code == 403


def test_version_page_has_a_table_per_block(world: World) -> None:
    version = ModelVersion.objects.get(model__code="HH-DEFAULT", number=1)
    text = login(world, "admin").get(f"/scoring/versions/{version.pk}/").content.decode()
    assert text.count('<section class="block"') == 5
    assert "≥20万元" in text and "家庭年纯收入" in text  # noqa: PT018
    assert "基于此版本新建草稿" in text


def test_admin_edits_a_draft_activates_it_and_simulates(world: World) -> None:
    admin = login(world, "admin")
    model = ScoringModel.objects.get(code="HH-DEFAULT")
    response = admin.post(f"/scoring/models/{model.pk}/draft/", {"reason": "调整收入分段"})
    draft = ModelVersion.objects.get(model=model, number=2)
    assert response.status_code == 302
    assert response["Location"] == f"/scoring/versions/{draft.pk}/"
    income = draft.indicators.get(code="net_income")
    bad = admin.post(
        f"/scoring/indicators/{income.pk}/edit/",
        {
            "name": "家庭年纯收入",
            "closed": "left",
            "uppers": "5, 3",
            "points": "1, 2, 3",
            "missing_points": "2",
            "reason": "r",
        },
    )
    assert bad.status_code == 200
    assert "严格递增" in bad.content.decode()
    income.refresh_from_db()
    assert income.bins[0]["upper"] == 3
    ok = admin.post(
        f"/scoring/indicators/{income.pk}/edit/",
        {
            "name": "家庭年纯收入",
            "closed": "left",
            "uppers": "2, 5",
            "points": "2, 6, 10",
            "missing_points": "2",
            "reason": "降低门槛",
        },
    )
    assert ok.status_code == 302
    income.refresh_from_db()
    assert income.bins == [
        {"upper": 2.0, "points": 2.0},
        {"upper": 5.0, "points": 6.0},
        {"upper": None, "points": 10.0},
    ]
    assert AuditEvent.objects.filter(action="scoring.indicator_update", reason="降低门槛").count() == 1

    simulation = admin.get(f"/scoring/versions/{draft.pk}/simulate/", {"region": "341502204000"})
    text = simulation.content.decode()
    assert simulation.status_code == 200
    households = Household.objects.filter(region__code__startswith="341502204").count()
    assert f"共 {households} 户" in text
    assert 'id="shift-data"' in text
    villages = {h.region_id for h in Household.objects.filter(region__code__startswith="341502204")}
    assert text.count("<tr data-village=") == len(villages)
    assert Rating.objects.count() == 0  # a simulation writes no ratings

    activated = admin.post(
        f"/scoring/versions/{draft.pk}/activate/", {"effective_from": "2026-07-01", "reason": "年中调整"}
    )
    assert activated.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, str(draft.effective_from)) == ("active", "2026-07-01")
    assert ModelVersion.objects.get(model=model, number=1).status == "retired"


@pytest.mark.parametrize("persona", ["township_operator", "village_operator"])
def test_only_configure_edits_models(world: World, persona: str) -> None:
    version = ModelVersion.objects.get(model__code="HH-DEFAULT", number=1)
    client = login(world, persona)
    assert client.post(f"/scoring/models/{version.model_id}/draft/", {"reason": "x"}).status_code == 403
    assert client.get(f"/scoring/versions/{version.pk}/simulate/").status_code == 403
    assert ModelVersion.objects.count() == 4


def test_township_operator_starts_a_run_with_progress(world: World, django_capture_on_commit_callbacks: Any) -> None:
    client = login(world, "township_operator")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/scoring/runs/new/", {"region": "341502204000", "model": "HH-DEFAULT"})
    job = Job.objects.get(kind="rating_run")
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    run = RatingRun.objects.get()
    households = Household.objects.filter(region__code__startswith="341502204").count()
    assert (job.status, job.total, job.done, job.result["run_id"]) == ("succeeded", households, households, run.pk)
    assert Rating.objects.filter(run=run).count() == households
    # Out of scope answers like a missing region, and starts nothing.
    assert client.post("/scoring/runs/new/", {"region": "341181100000", "model": "HH-DEFAULT"}).status_code == 404
    assert client.post("/scoring/runs/new/", {"region": "341502204299", "model": "HH-DEFAULT"}).status_code == 404
    assert RatingRun.objects.count() == 1
    # The list of runs names the region; the run form offers batch models, households first.
    home = client.get("/scoring/").content.decode()
    assert "横塘岗乡 <small" in home
    form = home.split('id="rate"')[1].split("</form>")[0]
    options = re.findall(r'<option value="([A-Z-]+)"', form)
    assert options[0] == "HH-DEFAULT"
    assert "VIL-DEFAULT" not in options  # village ratings follow the credit-village criteria
    assert "用于信用村评定" in home
