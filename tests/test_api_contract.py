"""Contract tests for GET /households and POST /identifiers/validate (contract.md, HTTP API v1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from creditvillage.accounts import services
from creditvillage.accounts.models import RoleAssignment
from creditvillage.core.identifiers import mask_mobile, uscc_check_char
from creditvillage.registry.models import Household, Person
from tests.fixtures import World, make_id_number

pytestmark = pytest.mark.django_db


def client_for(world: World, username: str) -> Client:
    token, _ = services.token_issue(user=world.users[username])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


# --- GET /households -------------------------------------------------------------------------------


@pytest.fixture
def crowded(world: World) -> World:
    """60 more households in 周庵村 so the list spans pages (50 a page)."""
    village = world.region("341502204201")
    Household.objects.bulk_create(
        Household(region=village, number=f"341502204201{i:04d}", head_name=f"新户{i}", phone=f"1370000{i:04d}")
        for i in range(100, 160)
    )
    return world


def test_paging_covers_every_household_once(crowded: World) -> None:
    client = client_for(crowded, "township_operator")
    pages = [client.get(f"/api/v1/households?page={n}").json() for n in (1, 2, 3)]
    assert [p["count"] for p in pages] == [66, 66, 66]
    assert [len(p["items"]) for p in pages] == [50, 16, 0]
    assert all(p["page_size"] == 50 for p in pages)
    ids = [item["id"] for p in pages for item in p["items"]]
    assert len(ids) == len(set(ids)) == 66
    expected = Household.objects.filter(region__code__startswith="341502204").order_by("region_id", "number")
    assert ids == list(expected.values_list("pk", flat=True))


def test_region_filter_and_page(crowded: World) -> None:
    client = client_for(crowded, "township_operator")
    body = client.get("/api/v1/households?region=341502204202&page=1").json()
    assert body["count"] == 3
    assert {item["region_code"] for item in body["items"]} == {"341502204202"}
    assert client.get("/api/v1/households?region=341502204&page=2").json()["count"] == 66


def test_item_shape(world: World) -> None:
    item = client_for(world, "collector").get("/api/v1/households").json()["items"][0]
    household = world.household("341502204201", 0)
    assert item == {
        "id": household.pk,
        "number": household.number,
        "region_code": "341502204201",
        "region_name": "周庵村",
        "head_name": household.head_name,
        "member_count": 1,
        "phone": household.phone,
        "status": "archived",
        "grade": "",
    }


@pytest.mark.parametrize(
    ("username", "masked"),
    [
        ("collector", False),  # collects the data: sees it
        ("village_operator", False),
        ("township_operator", False),
        ("bank_officer", False),  # consented households only, for credit
        ("evaluator", True),  # scores civility: needs no phone
        ("regulator", True),  # statistics role
    ],
)
def test_phones_are_masked_per_role(world: World, username: str, masked: bool) -> None:
    items = client_for(world, username).get("/api/v1/households").json()["items"]
    assert items
    phones = {item["id"]: item["phone"] for item in items}
    stored = dict(Household.objects.filter(pk__in=phones).values_list("pk", "phone"))
    if masked:
        assert phones == {pk: mask_mobile(phone) for pk, phone in stored.items()}
        assert all("****" in phone for phone in phones.values())
    else:
        assert phones == stored


def test_a_statistics_grant_beside_a_collector_grant_never_unmasks_the_wider_region(world: World) -> None:
    user = world.users["collector"]
    RoleAssignment.objects.create(user=user, role="regulator", region=world.region("341502"))
    items = client_for(world, "collector").get("/api/v1/households").json()["items"]
    outside_village = [item for item in items if item["region_code"] != "341502204201"]
    assert outside_village
    assert all("****" in item["phone"] for item in outside_village)


def test_searching_by_id_number_needs_the_right_to_see_it(world: World) -> None:
    person = Person.objects.filter(household=world.household("341502204201", 1)).get()
    hit = client_for(world, "collector").get(f"/api/v1/households?q={person.id_number}").json()
    assert [item["id"] for item in hit["items"]] == [person.household_id]
    # An evaluator may not see ID numbers, so may not confirm one by searching either.
    assert client_for(world, "evaluator").get(f"/api/v1/households?q={person.id_number}").json()["count"] == 0


def test_filters_by_name_grade_and_status(world: World) -> None:
    household = world.household("341502204201", 2)
    Household.objects.filter(pk=household.pk).update(grade="AAA", status="verified")
    client = client_for(world, "township_operator")
    assert [i["id"] for i in client.get(f"/api/v1/households?q={household.head_name}").json()["items"]] == [
        household.pk
    ]
    assert [i["id"] for i in client.get("/api/v1/households?grade=AAA").json()["items"]] == [household.pk]
    assert [i["id"] for i in client.get("/api/v1/households?status=verified").json()["items"]] == [household.pk]
    assert client.get("/api/v1/households?grade=none").json()["count"] == 5


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=-1", "page=100001", "page=x", "region=abc", "region=3415022042011", "status=bogus", "grade=A%00"],
)
def test_bad_list_parameters_are_422(world: World, query: str) -> None:
    response = client_for(world, "township_operator").get(f"/api/v1/households?{query}")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_a_huge_page_is_empty_not_an_error(world: World) -> None:
    body = client_for(world, "township_operator").get("/api/v1/households?page=100000").json()
    assert body["count"] == 6
    assert body["items"] == []


# --- POST /identifiers/validate ----------------------------------------------------------------


def validate(world: World, kind: str, value: str) -> dict[str, Any]:
    response = client_for(world, "evaluator").post(
        "/api/v1/identifiers/validate", {"kind": kind, "value": value}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_resident_id_details(world: World) -> None:
    number = make_id_number("341181", dt.date(1985, 6, 15), 7)  # 天长市, a 1985 birth: must pass
    body = validate(world, "resident_id", number.lower())
    assert body["valid"] is True
    assert body["normalized"] == number.upper()
    assert body["errors"] == []
    assert body["details"]["birth_date"] == "1985-06-15"
    assert body["details"]["sex"] == "male"  # sequence 007: odd


def test_resident_id_errors(world: World) -> None:
    number = make_id_number("341181", dt.date(1985, 6, 15), 8)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    body = validate(world, "resident_id", wrong)
    assert body["valid"] is False
    assert "bad_check_digit" in [e["code"] for e in body["errors"]]
    assert all(e["message"] for e in body["errors"])
    assert body["details"] == {}  # nothing decoded from a wrong number
    assert validate(world, "resident_id", "341181198502301234")["valid"] is False  # 30 February


def test_uscc_details(world: World) -> None:
    body17 = "91341181MA2N0001X"
    body = validate(world, "uscc", body17 + uscc_check_char(body17))
    assert body["valid"] is True
    assert body["details"]["authority_code"] == "9"
    assert body["details"]["authority"]
    assert body["details"]["category"]
    collective = "N2341181MA2N0002X"
    assert validate(world, "uscc", collective + uscc_check_char(collective))["valid"] is True  # letters in 1-2
    wrong_check = "0" if uscc_check_char(body17) != "0" else "1"
    assert validate(world, "uscc", body17 + wrong_check)["valid"] is False


def test_mobile(world: World) -> None:
    body = validate(world, "mobile", "+86 138-0013-8000")
    assert (body["valid"], body["normalized"]) == (True, "13800138000")
    assert validate(world, "mobile", "12345")["valid"] is False


@pytest.mark.parametrize(
    ("value", "normalized", "region_name"),
    [
        ("341502204201", "341502204201", "周庵村"),
        ("341502", "341502000000", "金安区"),
        ("341181100", "341181100000", "铜城镇"),
        ("341502204299", "341502204299", None),  # well formed, but no such region on file
    ],
)
def test_division_code_names_known_regions(world: World, value: str, normalized: str, region_name: str | None) -> None:
    body = validate(world, "division_code", value)
    assert body["valid"] is True
    assert body["normalized"] == normalized
    assert body["details"]["region_name"] == region_name


def test_division_code_errors(world: World) -> None:
    body = validate(world, "division_code", "341502204999")  # village segment out of range
    assert body["valid"] is False
    assert body["errors"]
    assert "region_name" not in body["details"]


@pytest.mark.parametrize(
    "payload", [{"kind": "passport", "value": "x"}, {"kind": "mobile"}, {"value": "x"}, {"kind": "mobile", "value": 1}]
)
def test_bad_validate_requests_are_422(world: World, payload: dict[str, Any]) -> None:
    response = client_for(world, "evaluator").post(
        "/api/v1/identifiers/validate", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
