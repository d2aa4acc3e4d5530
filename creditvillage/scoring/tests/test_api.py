"""POST /scoring/evaluate and GET /scoring/models (contract.md)."""

from __future__ import annotations

import pytest
from django.test import Client

from creditvillage.accounts import services as account_services
from tests.fixtures import World

pytestmark = pytest.mark.django_db

WORKED = {
    "head_age": 45,
    "head_education": "senior",
    "workers": 2,
    "residence_years": 20,
    "net_income_wan": 12,
    "net_assets_wan": 60,
    "debt_ratio_pct": 35,
    "income_stability": "stable",
    "land_mu": 30,
    "insured": True,
    "loan_record": "good",
    "fee_record": "on_time",
    "bank_account": True,
    "civility_score": 26,
}


def client_for(world: World, persona: str) -> Client:
    token, _ = account_services.token_issue(user=world.users[persona])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_evaluate_answers_the_contract(world: World) -> None:
    response = client_for(world, "township_operator").post(
        "/api/v1/scoring/evaluate", {"model": "HH-DEFAULT", "indicators": WORKED}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("score", "grade", "credit_subject", "vetoed", "vetoes")} == {
        "score": 87.0,
        "grade": "AA",
        "credit_subject": True,
        "vetoed": False,
        "vetoes": [],
    }
    assert sum(r["points"] for r in body["breakdown"]) == 87.0
    assert body["breakdown"][0] == {
        "indicator": "head_age",
        "name": "户主年龄",
        "block": "basics",
        "value": 45,
        "points": 5.0,
    }
    assert body["next_grade"]["grade"] == "AAA"
    assert body["next_grade"]["gap"] == 3.0


def test_evaluate_with_a_veto_and_bad_input(world: World) -> None:
    client = client_for(world, "admin")
    vetoed = client.post(
        "/api/v1/scoring/evaluate",
        {"model": "HH-DEFAULT", "indicators": {**WORKED, "veto_negative_list": True}},
        content_type="application/json",
    ).json()
    assert (vetoed["grade"], vetoed["vetoed"], vetoed["credit_subject"]) == ("D", True, False)
    assert vetoed["vetoes"][0]["code"] == "negative_list"
    bad = client.post(
        "/api/v1/scoring/evaluate", {"model": "HH-DEFAULT", "indicators": {"nope": 1}}, content_type="application/json"
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")
    missing = client.post(
        "/api/v1/scoring/evaluate", {"model": "NOPE", "indicators": {}}, content_type="application/json"
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


@pytest.mark.parametrize("persona", ["collector", "evaluator", "bank_officer", "household", "regulator", "nobody"])
def test_only_operators_and_up_evaluate_or_read_models(world: World, persona: str) -> None:
    client = client_for(world, persona)
    evaluate = client.post(
        "/api/v1/scoring/evaluate", {"model": "HH-DEFAULT", "indicators": {}}, content_type="application/json"
    )
    assert evaluate.status_code == 403
    assert client.get("/api/v1/scoring/models").status_code == 403


def test_models_lists_codes_versions_indicators_and_schemes(world: World) -> None:
    body = client_for(world, "village_operator").get("/api/v1/scoring/models").json()
    by_code = {m["code"]: m for m in body["items"]}
    assert sorted(by_code) == ["COL-DEFAULT", "ENT-DEFAULT", "HH-DEFAULT", "VIL-DEFAULT"]
    hh = by_code["HH-DEFAULT"]
    assert (hh["subject_type"], hh["active_version"]) == ("household", 1)
    version = hh["versions"][0]
    assert version["grade_scheme"]["grades"][0] == {"code": "AAA", "min_score": 90.0, "credit_subject": True}
    assert version["grade_scheme"]["veto_grade"] == "D"
    income = version["blocks"][1]["indicators"][0]
    assert income["code"] == "net_income"
    assert income["bins"][-1] == {"upper": None, "points": 10.0}
