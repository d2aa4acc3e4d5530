"""GET /api/v1/regions/{code} (contract.md): the region and its children, only inside the caller's scope."""

from __future__ import annotations

import pytest
from django.test import Client

from creditvillage.accounts import services
from tests.fixtures import World

pytestmark = pytest.mark.django_db

NOT_FOUND = {"code": "not_found", "message": "记录不存在", "details": {}}


def client_for(world: World, username: str) -> Client:
    token, _ = services.token_issue(user=world.users[username])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize(
    ("code", "full", "level", "parent"),
    [
        ("34", "340000000000", "province", None),
        ("3415", "341500000000", "city", "340000000000"),
        ("341502", "341502000000", "county", "341500000000"),
        ("341502204", "341502204000", "township", "341502000000"),
        ("341502204201", "341502204201", "village", "341502204000"),
        ("341502204000", "341502204000", "township", "341502000000"),
    ],
)
def test_2_4_6_9_12_digit_forms(world: World, code: str, full: str, level: str, parent: str | None) -> None:
    body = client_for(world, "superuser").get(f"/api/v1/regions/{code}").json()
    assert (body["code"], body["level"], body["parent_code"]) == (full, level, parent)
    assert body["name"] == world.region(full).name


def test_children_in_scope(world: World) -> None:
    body = client_for(world, "admin").get("/api/v1/regions/341502").json()
    assert body["children"] == [
        {"code": "341502101000", "name": "木厂镇", "level": "township"},
        {"code": "341502204000", "name": "横塘岗乡", "level": "township"},
    ]
    township = client_for(world, "township_operator").get("/api/v1/regions/341502204").json()
    assert [c["code"] for c in township["children"]] == ["341502204201", "341502204202"]


def test_children_outside_scope_are_left_out(world: World) -> None:
    # Grants cover whole subtrees, so whoever may open a region sees all its children; what the
    # children filter guards is the way up: a village operator cannot open the township above.
    village = client_for(world, "village_operator")
    assert village.get("/api/v1/regions/341502204").status_code == 404
    assert village.get("/api/v1/regions/341502204201").json()["children"] == []
    full = client_for(world, "superuser").get("/api/v1/regions/341502204").json()
    assert len(full["children"]) == 2


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("township_operator", "341502"),  # parent
        ("township_operator", "341502101"),  # sibling township
        ("township_operator", "341181"),  # other city
        ("village_operator", "341502204202"),  # sibling village
        ("household", "341502204201"),  # a household sees no region listing
        ("merchant", "341502204"),
        ("nobody", "34"),
    ],
)
def test_out_of_scope_is_404_like_missing(world: World, username: str, code: str) -> None:
    client = client_for(world, username)
    outside = client.get(f"/api/v1/regions/{code}")
    missing = client.get("/api/v1/regions/341502204299")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json() == NOT_FOUND


@pytest.mark.parametrize(
    "code", ["3", "34150", "3415022", "34150220420", "3415022042011", "abc", "34 15", "%00", "%EF%BC%93%EF%BC%94", "٣٤"]
)
def test_malformed_codes_are_404(world: World, code: str) -> None:
    response = client_for(world, "superuser").get(f"/api/v1/regions/{code}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_region_page_with_a_nul_is_404_not_500(world: World) -> None:
    client = Client()
    client.force_login(world.users["superuser"])
    assert client.get("/regions/%00/").status_code == 404
