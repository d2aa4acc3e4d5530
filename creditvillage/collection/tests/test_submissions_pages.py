"""The collection pages: home, the collector's form (draft, submit, htmx validation), the
self-declaration, the verification queue and page, and the auditor's spot checks."""

from __future__ import annotations

import pytest
from django.test import Client

from creditvillage.collection import services
from creditvillage.collection.models import Campaign, SpotCheck, Submission, SubmissionState, VillageClosure
from creditvillage.collection.tests.conftest import HUANGDUN, ZHOUAN, new_id
from creditvillage.registry.models import Household, Income
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def client_for(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


def form_post(household: Household, **extra: str) -> dict[str, str]:
    head = household.members.get()
    data = {
        "household-address": "周庵村 5 号",
        "household-phone": "13912345678",
        "household-main_business": "水稻",
        "members-0-name": head.name,
        "members-0-id_number": head.id_number,
        "members-0-relation": "head",
        "members-0-political_status": "party_member",
        "members-0-education": "junior",
        "members-0-health": "healthy",
        "incomes-0-year": "2025",
        "incomes-0-source": "planting",
        "incomes-0-amount_fen": "32000.50",
    }
    data.update(extra)
    return data


def test_home_lists_campaigns_in_scope(world: World, campaign: Campaign) -> None:
    Campaign.objects.create(region=world.region("341181100"), year=2026, name="铜城镇建档")
    response = client_for(world, "collector").get("/collection/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "2026年横塘岗乡建档" in text
    assert "铜城镇建档" not in text
    assert f"/collection/campaigns/{campaign.pk}/collect/" in text
    assert f"/collection/campaigns/{campaign.pk}/verify/" not in text
    assert client_for(world, "household").get("/collection/").status_code == 200
    assert client_for(world, "nobody").get("/collection/").status_code == 403


def test_collector_saves_a_draft_then_submits(world: World, campaign: Campaign) -> None:
    client = client_for(world, "collector")
    household = world.household(ZHOUAN, 1)
    listing = client.get(f"/collection/campaigns/{campaign.pk}/collect/").content.decode()
    assert household.head_name in listing
    url = f"/collection/campaigns/{campaign.pk}/households/{household.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert f"{household.head_name} 户档案" in page.content.decode()
    assert 'value="' + household.phone + '"' in page.content.decode()
    assert not Submission.objects.exists()  # a GET creates nothing
    response = client.post(url, form_post(household, action="save"))
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.state == SubmissionState.DRAFT
    assert submission.data["incomes"] == [{"year": 2025, "source": "planting", "amount_fen": 3_200_050}]
    # Adding a member row re-renders with one more blank row, saving nothing.
    more = client.post(url, form_post(household, action="add_members", version=str(submission.version)))
    assert 'name="members-1-name"' in more.content.decode()
    assert Submission.objects.get().version == submission.version
    bad = client.post(
        url,
        form_post(household, action="submit", version=str(submission.version), **{"members-0-id_number": "123"}),
    )
    assert bad.status_code == 200
    assert "field-error" in bad.content.decode()
    assert Submission.objects.get().state == SubmissionState.DRAFT
    done = client.post(url, form_post(household, action="submit", version=str(submission.version)))
    assert done.status_code == 302
    assert Submission.objects.get().state == SubmissionState.SUBMITTED


def test_form_refuses_out_of_scope(world: World, campaign: Campaign) -> None:
    client = client_for(world, "collector")
    other = world.household(HUANGDUN)
    url = f"/collection/campaigns/{campaign.pk}/households/{other.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, form_post(other, action="save")).status_code == 404
    assert client_for(world, "auditor").get(url).status_code == 403
    assert not Submission.objects.exists()


def test_field_validation_as_you_type(world: World) -> None:
    client = client_for(world, "collector")
    bad = client.post("/collection/validate/", {"members-0-id_number": "341502199505055000"})
    assert bad.status_code == 200
    assert "field-error" in bad.content.decode()
    good = client.post("/collection/validate/", {"members-0-id_number": new_id(1)})
    assert good.content == b""
    # htmx sends the whole form and names the changed field in HX-Trigger-Name.
    whole_form = {"household-phone": "13912345678", "members-1-id_number": "341502199505055000"}
    flagged = client.post(
        "/collection/validate/", whole_form, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="members-1-id_number"
    )
    assert "校验位" in flagged.content.decode()
    phone = client.post("/collection/validate/", {"household-phone": "1391234"})
    assert "field-error" in phone.content.decode()
    assert client_for(world, "regulator").post("/collection/validate/", {"household-phone": "1"}).status_code == 403


def test_household_declares_and_village_confirms(world: World, campaign: Campaign) -> None:
    own = world.household(ZHOUAN, 0)
    client = client_for(world, "household")
    url = f"/collection/campaigns/{campaign.pk}/declare/"
    assert client.get(url).status_code == 200
    response = client.post(url, form_post(own, action="submit"))
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.self_declared
    assert submission.household_id == own.pk
    detail = f"/collection/submissions/{submission.pk}/"
    village = client_for(world, "village_operator")
    assert "村确认申报" in village.get(detail).content.decode()
    village.post(detail, {"action": "confirm", "version": submission.version})
    submission.refresh_from_db()
    assert submission.confirmed_at is not None
    assert client_for(world, "collector").get(url).status_code == 403


def _submitted(world: World, campaign: Campaign, index: int = 1) -> Submission:
    client = client_for(world, "collector")
    household = world.household(ZHOUAN, index)
    client.post(
        f"/collection/campaigns/{campaign.pk}/households/{household.pk}/", form_post(household, action="submit")
    )
    return Submission.objects.get(household=household)


def test_township_verifies_with_the_diff(world: World, campaign: Campaign) -> None:
    submission = _submitted(world, campaign)
    client = client_for(world, "township_operator")
    queue = client.get(f"/collection/campaigns/{campaign.pk}/verify/?state=submitted").content.decode()
    assert f'data-submission="{submission.pk}"' in queue
    page = client.get(f"/collection/submissions/{submission.pk}/").content.decode()
    assert 'data-key="household.address"' in page
    assert "周庵村 5 号" in page
    response = client.post(
        f"/collection/submissions/{submission.pk}/",
        {"action": "verify", "mode": "whole", "version": submission.version},
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.state == SubmissionState.VERIFIED
    assert Income.objects.get(household=submission.household).amount_fen == 3_200_050
    # A stale form (old version) is refused with a message, not applied twice.
    again = client.post(
        f"/collection/submissions/{submission.pk}/",
        {"action": "return", "reason-_all": "x", "version": submission.version - 1},
        follow=True,
    )
    assert "已被他人修改" in again.content.decode()
    submission.refresh_from_db()
    assert submission.state == SubmissionState.VERIFIED


def test_township_returns_with_field_reasons_and_closes_village(world: World, campaign: Campaign) -> None:
    first = _submitted(world, campaign, 1)
    client = client_for(world, "township_operator")
    client.post(
        f"/collection/submissions/{first.pk}/",
        {"action": "return", "version": first.version, "reason-household.phone": "电话打不通"},
    )
    first.refresh_from_db()
    assert first.state == SubmissionState.RETURNED
    assert first.return_reasons == {"household.phone": "电话打不通"}
    form = (
        client_for(world, "collector")
        .get(f"/collection/campaigns/{campaign.pk}/households/{first.household_id}/")
        .content.decode()
    )
    assert "电话打不通" in form
    queue = f"/collection/campaigns/{campaign.pk}/verify/"
    client.post(queue, {"action": "close", "village": ZHOUAN})
    assert not VillageClosure.objects.exists()
    assert client_for(world, "collector").get(queue).status_code == 403
    assert client_for(world, "sibling_township_operator").get(queue).status_code == 404


def test_auditor_draws_and_records(world: World, campaign: Campaign) -> None:
    submission = _submitted(world, campaign)
    services.submission_verify(
        actor=world.users["township_operator"], submission=submission, expected_version=submission.version
    )
    client = client_for(world, "auditor")
    url = f"/collection/campaigns/{campaign.pk}/spot-checks/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"village": ZHOUAN, "ratio": "1", "seed": "page-seed"})
    check = SpotCheck.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/collection/spot-checks/{check.pk}/"
    assert (check.seed, check.sample) == ("page-seed", [submission.pk])
    page = client.get(f"/collection/spot-checks/{check.pk}/").content.decode()
    assert "page-seed" in page
    client.post(
        f"/collection/spot-checks/{check.pk}/", {"submission": submission.pk, "passed": "0", "note": "人口不符"}
    )
    submission.refresh_from_db()
    assert submission.state == SubmissionState.REOPENED
    assert client_for(world, "township_operator").get(url).status_code == 403
    assert client_for(world, "township_operator").get(f"/collection/spot-checks/{check.pk}/").status_code == 403
