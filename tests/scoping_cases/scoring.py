"""Scoping-matrix entries of the scoring engine: models, evaluation, simulation, rating runs.

Scoring models are programme-wide configuration (no regional data): operators and up read them
and evaluate what-ifs; everyone else gets the same 403 whatever they ask. Simulations and rating
runs read a region: out of scope answers exactly like a missing region (404), and a refused run
changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from creditvillage.accounts.models import User
from tests.scoping import response_text, snapshot, snapshot_diff

if TYPE_CHECKING:
    from tests.test_scoping_matrix import Matrix

API = "/api/v1"
MISSING_REGION = "341502204299"
MISSING_VERSION = 99_999_995
OPERATOR_ACTIONS = ("configure", "rate", "manage_users")


def _operator(m: Matrix, user: User) -> bool:
    return user.is_superuser or any(m.oracle.grants(user, action) for action in OPERATOR_ACTIONS)


def _configure(m: Matrix, user: User) -> bool:
    return user.is_superuser or bool(m.oracle.grants(user, "configure"))


def _may(m: Matrix, user: User, action: str, code: str) -> bool:
    if user.is_superuser:
        return True
    return any(
        code.startswith(g.prefix) and g.household_id is None and g.bank_id is None and g.merchant_id is None
        for g in m.oracle.grants(user, action)
    )


def _every(m: Matrix) -> set[int]:
    return set(m.oracle.households)


def api_evaluate(m: Matrix) -> None:
    before = snapshot()
    refused: set[tuple[int, str]] = set()
    for name, user in m.personas.items():
        m.calls["POST /scoring/evaluate"] += 1
        response = m.api_clients[name].post(
            f"{API}/scoring/evaluate",
            {"model": "HH-DEFAULT", "indicators": {"head_age": 40, "civility_score": 26}},
            content_type="application/json",
        )
        if _operator(m, user):
            if response.status_code != 200 or "score" not in response.json():
                m.fail(f"{name} POST /scoring/evaluate: {response.status_code}, expected 200")
        else:
            if response.status_code != 403:
                m.fail(f"{name} POST /scoring/evaluate: {response.status_code}, expected 403")
            refused.add((response.status_code, response_text(response)))
        m.check_no_leak(name, "POST /scoring/evaluate", response, _every(m))
    if len(refused) > 1:
        m.fail("POST /scoring/evaluate: refusals differ between personas")
    if diff := snapshot_diff(before, snapshot()):
        m.fail(f"POST /scoring/evaluate changed {diff}")


def api_models(m: Matrix) -> None:
    for name, user in m.personas.items():
        m.calls["GET /scoring/models"] += 1
        response = m.api_clients[name].get(f"{API}/scoring/models")
        expected = 200 if _operator(m, user) else 403
        if response.status_code != expected:
            m.fail(f"{name} GET /scoring/models: {response.status_code}, expected {expected}")
        elif expected == 200 and {i["code"] for i in response.json()["items"]} != {
            "HH-DEFAULT",
            "ENT-DEFAULT",
            "COL-DEFAULT",
            "VIL-DEFAULT",
        }:
            m.fail(f"{name} GET /scoring/models: wrong models")
        m.check_no_leak(name, "GET /scoring/models", response, _every(m))


API_CASES: dict[tuple[str, str], Any] = {
    ("POST", f"{API}/scoring/evaluate"): api_evaluate,
    ("GET", f"{API}/scoring/models"): api_models,
}

PAGE_CASES: dict[str, Any] = {}
