"""Pages for entity and collective archives: the list, the phone form (draft, submit, errors, htmx),
and the township's verification page with its field-by-field diff."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from creditvillage.collection.models import Campaign, Submission, SubmissionState
from creditvillage.collection.tests.conftest import HUANGDUN, make_uscc
from creditvillage.registry.models import BusinessEntity, Collective
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def client_for(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


def entity_post(entity: BusinessEntity, **extra: str) -> dict[str, str]:
    data = {
        "org-name": entity.name,
        "org-uscc": entity.uscc,
        "org-kind": "cooperative",
        "org-legal_rep_name": entity.legal_rep_name,
        "org-legal_rep_id_number": entity.legal_rep_id_number,
        "org-phone": entity.phone,
        "org-main_business": "稻虾共养",
        "org-employees": "18",
        "org-annual_revenue_fen": "960000.5",
        "org-assets_fen": "1200000",
        "org-debts_fen": "100000",
        "org-founded_on": "2019-05-20",
    }
    data.update(extra)
    return data


def form_path(campaign: Campaign, subject: Any, kind: str = "entity") -> str:
    return f"/collection/campaigns/{campaign.pk}/organisations/{kind}/{subject.pk}/"


def test_list_shows_entities_and_collectives_in_scope(
    world: World, campaign: Campaign, entity: BusinessEntity, collective: Collective
) -> None:
    elsewhere = BusinessEntity.objects.create(
        region=world.region(HUANGDUN),
        name="黄墩农业公司",
        uscc=make_uscc("91341502", "MA2N00029"),
        kind="enterprise",
        legal_rep_name="黄总",
    )
    text = client_for(world, "collector").get(f"/collection/campaigns/{campaign.pk}/organisations/").content.decode()
    assert form_path(campaign, entity) in text
    assert form_path(campaign, collective, "collective") in text
    assert form_path(campaign, elsewhere) not in text
    township = client_for(world, "township_operator").get(f"/collection/campaigns/{campaign.pk}/organisations/")
    assert form_path(campaign, elsewhere) in township.content.decode()
    assert client_for(world, "regulator").get(f"/collection/campaigns/{campaign.pk}/organisations/").status_code == 403


def test_home_links_the_organisation_list(world: World, campaign: Campaign) -> None:
    text = client_for(world, "collector").get("/collection/").content.decode()
    assert f"/collection/campaigns/{campaign.pk}/organisations/" in text


def test_form_shows_the_archive_with_money_in_yuan(world: World, campaign: Campaign, entity: BusinessEntity) -> None:
    response = client_for(world, "collector").get(form_path(campaign, entity))
    text = response.content.decode()
    assert response.status_code == 200
    assert f'value="{entity.uscc}"' in text
    assert 'name="org-assets_fen"' in text
    assert 'value="1200000"' in text
    assert 'inputmode="decimal"' in text
    assert not Submission.objects.exists()  # looking starts nothing


def test_submit_from_the_form(world: World, campaign: Campaign, entity: BusinessEntity) -> None:
    response = client_for(world, "collector").post(form_path(campaign, entity), entity_post(entity, action="submit"))
    assert response.status_code == 302
    submission = Submission.objects.get(subject_type="entity", subject_id=entity.pk)
    assert submission.state == SubmissionState.SUBMITTED
    assert submission.collector == world.users["collector"]
    values = submission.data["entity"]
    assert (values["annual_revenue_fen"], values["assets_fen"], values["employees"]) == (96_000_050, 120_000_000, 18)
    assert (values["kind"], values["founded_on"]) == ("cooperative", "2019-05-20")
    # Submitted: the form is read-only now.
    text = client_for(world, "collector").get(form_path(campaign, entity)).content.decode()
    assert "当前不能修改" in text
    assert 'value="submit"' not in text


def test_bad_uscc_is_shown_beside_the_field_and_nothing_is_saved(
    world: World, campaign: Campaign, entity: BusinessEntity
) -> None:
    client = client_for(world, "collector")
    response = client.post(form_path(campaign, entity), entity_post(entity, action="save", **{"org-uscc": "9334150"}))
    text = response.content.decode()
    assert response.status_code == 200
    assert "统一社会信用代码应为18位" in text
    assert 'value="9334150"' in text  # what was typed stays
    submission = Submission.objects.get(subject_type="entity", subject_id=entity.pk)
    assert submission.state == SubmissionState.DRAFT
    assert submission.data["entity"]["uscc"] == entity.uscc  # the draft kept its earlier value


def test_draft_then_submit_with_version(world: World, campaign: Campaign, collective: Collective) -> None:
    client = client_for(world, "village_operator")
    path = form_path(campaign, collective, "collective")
    post = {
        "org-name": collective.name,
        "org-uscc": collective.uscc,
        "org-legal_rep_name": "周新书记",
        "org-members_count": "805",
        "org-assets_fen": "5000000",
        "org-debts_fen": "0",
        "org-annual_income_fen": "300000",
        "org-operating_income_fen": "150000",
        "action": "save",
    }
    assert client.post(path, post).status_code == 302
    submission = Submission.objects.get(subject_type="collective", subject_id=collective.pk)
    assert submission.data["collective"]["legal_rep_name"] == "周新书记"
    stale = client.post(path, {**post, "action": "submit", "version": str(submission.version - 1)})
    assert stale.status_code == 200
    submission.refresh_from_db()
    assert submission.state == SubmissionState.DRAFT
    fresh = client.post(path, {**post, "action": "submit", "version": str(submission.version)})
    assert fresh.status_code == 302
    submission.refresh_from_db()
    assert submission.state == SubmissionState.SUBMITTED


def test_out_of_scope_and_unknown_kinds_are_missing(world: World, campaign: Campaign, entity: BusinessEntity) -> None:
    outsider = client_for(world, "sibling_township_operator")
    assert outsider.get(form_path(campaign, entity)).status_code == 404
    assert outsider.post(form_path(campaign, entity), entity_post(entity, action="submit")).status_code == 404
    collector = client_for(world, "collector")
    assert collector.get(form_path(campaign, entity, "household")).status_code == 404
    assert collector.get(form_path(campaign, entity, "collective")).status_code in (404,)
    assert not Submission.objects.exists()


def test_htmx_validates_the_uscc(world: World) -> None:
    client = client_for(world, "collector")
    bad = client.post(
        "/collection/validate/", {"org-uscc": "93341502MA2N00011X"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "校验位错误" in bad
    good = client.post("/collection/validate/", {"org-uscc": make_uscc("93341502", "MA2N00011")}).content.decode()
    assert good == ""


def test_verification_page_diff_and_field_by_field(world: World, campaign: Campaign, entity: BusinessEntity) -> None:
    client_for(world, "collector").post(
        form_path(campaign, entity), entity_post(entity, action="submit", **{"org-main_business": "水稻"})
    )
    submission = Submission.objects.get(subject_type="entity", subject_id=entity.pk)
    operator = client_for(world, "township_operator")
    page = operator.get(f"/collection/submissions/{submission.pk}/").content.decode()
    assert "周庵家庭农场" in page
    assert 'data-key="entity.kind"' in page
    assert "农民专业合作社" in page
    assert 'data-key="entity.employees"' in page
    queue = operator.get(f"/collection/campaigns/{campaign.pk}/verify/").content.decode()
    assert f'data-submission="{submission.pk}"' in queue
    assert "周庵家庭农场" in queue
    response = operator.post(
        f"/collection/submissions/{submission.pk}/",
        {"action": "verify", "mode": "fields", "accept": ["entity.kind"], "version": str(submission.version)},
    )
    assert response.status_code == 302
    entity.refresh_from_db()
    assert (entity.kind, entity.employees, entity.status) == ("cooperative", 5, "verified")


def test_api_lists_and_verifies_an_entity_submission(world: World, campaign: Campaign, entity: BusinessEntity) -> None:
    client_for(world, "collector").post(form_path(campaign, entity), entity_post(entity, action="submit"))
    submission = Submission.objects.get(subject_type="entity", subject_id=entity.pk)
    api = client_for(world, "township_operator")
    items = api.get(f"/api/v1/collection/submissions?campaign={campaign.pk}").json()["items"]
    item = next(i for i in items if i["id"] == submission.pk)
    assert (item["subject_type"], item["subject_id"], item["subject_name"], item["subject_code"]) == (
        "entity",
        entity.pk,
        "周庵家庭农场",
        entity.uscc,
    )
    assert item["household_id"] is None
    detail = api.get(f"/api/v1/collection/submissions/{submission.pk}").json()
    assert {"entity.kind", "entity.employees"} <= {row["key"] for row in detail["diff"]}
    response = api.post(
        f"/api/v1/collection/submissions/{submission.pk}/verify",
        {"version": submission.version, "fields": ["entity.employees"]},
        content_type="application/json",
    )
    assert response.status_code == 200
    entity.refresh_from_db()
    assert (entity.employees, entity.kind) == (18, "family_farm")
