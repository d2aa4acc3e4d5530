"""Campaign API through /api/v1 (runs once ``api_campaigns.router`` is registered in creditvillage/api.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from creditvillage.accounts import services as account_services
from creditvillage.api import api
from creditvillage.collection.models import Assignment, Campaign, SubmissionState
from creditvillage.collection.tests.campaign_fixtures import HUANGDUN, ZHOUAN, add_places, assign, make_campaign, submit
from tests.fixtures import World

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "/api/v1/collection/campaigns/{campaign_id}/progress" not in api.get_openapi_schema()["paths"],
        reason="api_campaigns.router is not registered in creditvillage/api.py yet",
    ),
]


def client_for(world: World, persona: str) -> Client:
    token, _expires = account_services.token_issue(user=world.users[persona])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_create_campaign_with_default_deadlines(world: World) -> None:
    client = client_for(world, "township_operator")
    response = client.post(
        "/api/v1/collection/campaigns", {"region": "341502204", "year": 2026}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["archives_due"], body["civility_due"], body["ratings_due"]) == (
        "2026-07-31",
        "2026-06-30",
        "2026-09-30",
    )
    refused = client.post(
        "/api/v1/collection/campaigns", {"region": "341502101", "year": 2026}, content_type="application/json"
    )
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"
    assert Campaign.objects.count() == 1
    collector = client_for(world, "collector").post(
        "/api/v1/collection/campaigns", {"region": "341502204", "year": 2026}, content_type="application/json"
    )
    assert collector.status_code == 403


def test_assign_progress_mine_and_quality(world: World) -> None:
    places = add_places(world)
    campaign = make_campaign(world)
    operator = client_for(world, "village_operator")
    response = operator.post(
        f"/api/v1/collection/campaigns/{campaign.pk}/assignments",
        {"by": "grid", "place_id": places.grids[ZHOUAN][0].pk, "collector_id": world.users["collector"].pk},
        content_type="application/json",
    )
    assert response.json() == {"created": 2, "already_assigned": 0}
    other = operator.post(
        f"/api/v1/collection/campaigns/{campaign.pk}/assignments",
        {"by": "grid", "place_id": places.grids[HUANGDUN][0].pk, "collector_id": world.users["collector"].pk},
        content_type="application/json",
    )
    assert other.status_code == 404
    assert Assignment.objects.count() == 2
    assign(campaign, world.households[ZHOUAN][1], world.users["collector"])
    submit(
        campaign,
        world.households[ZHOUAN][0],
        world.users["collector"],
        SubmissionState.RETURNED,
        reasons={"_all": "缺配偶"},
    )
    progress = client_for(world, "township_operator").get(f"/api/v1/collection/campaigns/{campaign.pk}/progress")
    body = progress.json()
    assert body["total"]["total"] == 3
    assert body["total"]["returned"] == 1
    assert [v["key"] for v in body["villages"]] == [ZHOUAN]
    assert body["archives_due"] == dt.date(2026, 7, 31).isoformat()
    mine = client_for(world, "collector").get(f"/api/v1/collection/campaigns/{campaign.pk}/my-assignments").json()
    assert [i["stage"] for i in mine["items"]][0] == "returned"
    assert mine["items"][0]["reasons"] == {"_all": "缺配偶"}
    quality = client_for(world, "township_operator").get(f"/api/v1/collection/campaigns/{campaign.pk}/quality").json()
    assert [q["village_code"] for q in quality] == [ZHOUAN, HUANGDUN]
    village = client_for(world, "village_operator").get(
        f"/api/v1/collection/campaigns/{campaign.pk}/quality/{HUANGDUN}"
    )
    assert village.status_code == 404
    assert client_for(world, "merchant").get(f"/api/v1/collection/campaigns/{campaign.pk}/progress").status_code == 403
