"""The collection API: the verification queue, a submission's diff, verify and return (with 409s)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from creditvillage.accounts import services as account_services
from creditvillage.collection import services
from creditvillage.collection.models import Campaign, Submission, SubmissionState
from creditvillage.collection.tests.conftest import ZHOUAN, archive_with
from creditvillage.registry.services import household_update
from tests.fixtures import World

pytestmark = pytest.mark.django_db
API = "/api/v1/collection/submissions"


def api(world: World, name: str) -> Client:
    token, _expires = account_services.token_issue(user=world.users[name])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def submitted(world: World, campaign: Campaign, index: int = 1, **changes: Any) -> Submission:
    collector = world.users["collector"]
    submission = services.submission_start(actor=collector, campaign=campaign, household=world.household(ZHOUAN, index))
    data = archive_with(submission.data, **changes)
    return services.submission_submit(actor=collector, submission=submission, expected_version=1, data=data)


def test_list_filters_by_campaign_state_and_village(world: World, campaign: Campaign) -> None:
    first = submitted(world, campaign, 1, address="A")
    second = submitted(world, campaign, 2, address="B")
    services.submission_return(
        actor=world.users["township_operator"],
        submission=second,
        expected_version=second.version,
        reasons={"_all": "x"},
    )
    client = api(world, "township_operator")
    body = client.get(f"{API}?campaign={campaign.pk}&state=submitted").json()
    assert body["count"] == 1
    assert body["items"][0]["id"] == first.pk
    assert body["items"][0]["state_display"] == "已提交"
    assert client.get(f"{API}?village=341502204202").json()["count"] == 0
    assert client.get(f"{API}?village=341502101").status_code == 404
    assert client.get(f"{API}?campaign=99999").status_code == 404
    assert client.get(f"{API}?state=bogus").status_code == 422
    assert api(world, "other_township_operator").get(API).json()["count"] == 0


def test_detail_shows_the_diff_masked_per_role(world: World, campaign: Campaign) -> None:
    submission = submitted(world, campaign, 1, phone="13912345678")
    body = api(world, "township_operator").get(f"{API}/{submission.pk}").json()
    phone = next(row for row in body["diff"] if row["key"] == "household.phone")
    assert (phone["old"], phone["new"]) == (world.household(ZHOUAN, 1).phone, "13912345678")
    masked = api(world, "regulator").get(f"{API}/{submission.pk}").json()
    phone = next(row for row in masked["diff"] if row["key"] == "household.phone")
    assert phone["new"] == "139****5678"


def test_verify_then_stale_version_is_409(world: World, campaign: Campaign) -> None:
    submission = submitted(world, campaign, 1, address="A")
    client = api(world, "township_operator")
    response = client.post(
        f"{API}/{submission.pk}/verify", {"version": submission.version}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["state"] == "verified"
    again = client.post(
        f"{API}/{submission.pk}/verify", {"version": submission.version}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert Submission.objects.get(pk=submission.pk).version == submission.version + 1


def test_verify_by_field_and_archive_conflict(world: World, campaign: Campaign) -> None:
    submission = submitted(world, campaign, 1, address="A", main_business="B")
    household_update(
        actor=world.users["township_operator"],
        household=world.household(ZHOUAN, 1),
        changes={"phone": "13600000000"},
        reason="x",
    )
    client = api(world, "township_operator")
    conflict = client.post(
        f"{API}/{submission.pk}/verify",
        {"version": submission.version, "fields": ["household.address"]},
        content_type="application/json",
    )
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "archive_conflict"
    assert conflict.json()["details"]["fields"] == ["household.phone"]
    services.submission_rebase(
        actor=world.users["collector"], submission=submission, expected_version=submission.version
    )
    submission.refresh_from_db()
    ok = client.post(
        f"{API}/{submission.pk}/verify",
        {"version": submission.version, "fields": ["household.address"]},
        content_type="application/json",
    )
    assert ok.status_code == 200
    household = world.household(ZHOUAN, 1)
    household.refresh_from_db()
    assert (household.address, household.main_business, household.phone) == ("A", "", "13600000000")


def test_return_requires_reasons_and_verify_right(world: World, campaign: Campaign) -> None:
    submission = submitted(world, campaign, 1, address="A")
    path = f"{API}/{submission.pk}/return"
    assert (
        api(world, "collector")
        .post(path, {"version": 2, "reasons": {"_all": "x"}}, content_type="application/json")
        .status_code
        == 404
    )
    empty = api(world, "township_operator").post(
        path, {"version": submission.version, "reasons": {}}, content_type="application/json"
    )
    assert empty.status_code == 422
    done = api(world, "township_operator").post(
        path,
        {"version": submission.version, "reasons": {"household.address": "门牌不对"}},
        content_type="application/json",
    )
    assert done.status_code == 200
    body = done.json()
    assert body["state"] == SubmissionState.RETURNED
    assert body["return_reasons"] == {"household.address": "门牌不对"}
    assert next(r for r in body["diff"] if r["key"] == "household.address")["reason"] == "门牌不对"
