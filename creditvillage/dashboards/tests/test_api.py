"""GET /api/v1/stats/overview (contract.md): headline counts over the caller's scope."""

from __future__ import annotations

import pytest
from django.test import Client

from creditvillage.accounts import services
from creditvillage.registry.models import Household
from tests.fixtures import World

pytestmark = pytest.mark.django_db

ZERO_FIGURES = {
    "credit_granted_yuan": 0,
    "credit_used_yuan": 0,
    "loans_outstanding_yuan": 0,
    "npl_yuan": 0,
    "npl_ratio": None,
    "points_issued": 0,
    "coupons_redeemed": 0,
    "events_open": 0,
    "events_closed": 0,
}


def client_for(world: World, username: str) -> Client:
    token, _ = services.token_issue(user=world.users[username])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def graded(world: World) -> World:
    # 周庵村: AAA verified, AA archived, B collecting; 黄墩村: A verified, rest ungraded archived.
    zhouan, huangdun = world.households["341502204201"], world.households["341502204202"]
    for household, status, grade in [
        (zhouan[0], "verified", "AAA"),
        (zhouan[1], "archived", "AA"),
        (zhouan[2], "collecting", "B"),
        (huangdun[0], "verified", "A"),
    ]:
        Household.objects.filter(pk=household.pk).update(status=status, grade=grade)
    return world


def test_overview_of_the_callers_scope(graded: World) -> None:
    body = client_for(graded, "township_operator").get("/api/v1/stats/overview").json()
    assert body == {
        "households": 6,
        "archived": 5,  # archived + verified
        "verified": 2,
        "rated": 4,
        "credit_subjects": 3,  # AAA, AA, A
        "grade_distribution": {"AAA": 1, "AA": 1, "A": 1, "B": 1},
        **ZERO_FIGURES,
    }
    assert list(body["grade_distribution"]) == ["AAA", "AA", "A", "B"]  # best grade first


def test_overview_of_a_region_inside_scope(graded: World) -> None:
    body = client_for(graded, "admin").get("/api/v1/stats/overview?region=341502204201").json()
    assert (body["households"], body["verified"], body["rated"]) == (3, 1, 3)
    county = client_for(graded, "admin").get("/api/v1/stats/overview?region=341502").json()
    assert county["households"] == 12  # two townships; 天长市 is not in 金安区


def test_region_outside_scope_is_404(graded: World) -> None:
    client = client_for(graded, "township_operator")
    for code in ("341502101", "341181", "341502"):
        response = client.get(f"/api/v1/stats/overview?region={code}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_bank_officer_counts_consenting_households_only(graded: World) -> None:
    body = client_for(graded, "bank_officer").get("/api/v1/stats/overview").json()
    assert body["households"] == 1
    assert body["grade_distribution"] == {"AAA": 1}


@pytest.mark.parametrize("username", ["merchant", "nobody", "household"])
def test_without_statistics_right_everything_is_zero(graded: World, username: str) -> None:
    body = client_for(graded, username).get("/api/v1/stats/overview").json()
    assert body["households"] == body["rated"] == 0
    assert body["grade_distribution"] == {}


@pytest.mark.parametrize("region", ["x", "3415022042011", "%00"])
def test_bad_region_parameter_is_422(graded: World, region: str) -> None:
    response = client_for(graded, "admin").get(f"/api/v1/stats/overview?region={region}")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
