from __future__ import annotations

import pytest
from django.test import Client

from tests.fixtures import PASSWORD, World

pytestmark = pytest.mark.django_db


def token_client(username: str) -> Client:
    client = Client()
    response = client.post(
        "/api/v1/auth/token", {"username": username, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {response.json()['token']}"
    return client


def test_household_list_is_scoped_to_the_township(world: World) -> None:
    client = token_client("township_operator")
    body = client.get("/api/v1/households").json()
    assert body["count"] == 6
    assert {item["region_code"][:9] for item in body["items"]} == {"341502204"}


def test_household_in_other_township_answers_404_like_missing(world: World) -> None:
    client = token_client("township_operator")
    other = world.household("341181100201")
    outside = client.get(f"/api/v1/households/{other.pk}")
    missing = client.get("/api/v1/households/999999")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


def test_evaluator_sees_masked_ids(world: World) -> None:
    household = world.household("341502204201")
    body = token_client("evaluator").get(f"/api/v1/households/{household.pk}").json()
    assert "*" in body["members"][0]["id_number"]
    assert body["annual_income"]["fen"] is None
    full = token_client("collector").get(f"/api/v1/households/{household.pk}").json()
    assert "*" not in full["members"][0]["id_number"]
    assert full["annual_income"]["fen"] == 5_000_000


def test_bank_officer_sees_only_consenting_households(world: World) -> None:
    client = token_client("bank_officer")
    body = client.get("/api/v1/households").json()
    assert [item["id"] for item in body["items"]] == [world.household("341502204201", 0).pk]
    assert client.get(f"/api/v1/households/{world.household('341502204201', 1).pk}").status_code == 404


def test_every_bank_read_is_audited_with_its_channel(world: World) -> None:
    from creditvillage.core.models import AuditEvent

    household = world.household("341502204201", 0)
    token_client("bank_officer").get(f"/api/v1/households/{household.pk}")
    web = Client()
    web.force_login(world.users["bank_officer"])
    assert web.get(f"/households/{household.pk}/").status_code == 200
    reads = AuditEvent.objects.filter(action="household.read_by_bank", target_id=str(household.pk))
    assert sorted(reads.values_list("channel", flat=True)) == ["api", "web"]
    assert set(reads.values_list("actor__username", flat=True)) == {"bank_officer"}


def test_operator_reads_are_not_logged_as_bank_reads(world: World) -> None:
    from creditvillage.core.models import AuditEvent

    household = world.household("341502204201", 0)
    token_client("township_operator").get(f"/api/v1/households/{household.pk}")
    assert not AuditEvent.objects.filter(action="household.read_by_bank").exists()


def test_edit_page_refuses_a_role_without_edit_rights_before_looking_anything_up(world: World) -> None:
    web = Client()
    web.force_login(world.users["evaluator"])
    visible = world.household("341502204201", 0)
    elsewhere = world.household("341181100201", 0)
    codes = {web.get(f"/households/{pk}/edit/").status_code for pk in (visible.pk, elsewhere.pk, 999_999)}
    assert codes == {403}
