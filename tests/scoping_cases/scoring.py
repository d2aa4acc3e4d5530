"""Scoping-matrix entries of the scoring engine: models, evaluation, simulation, rating runs.

Scoring models are programme-wide configuration (no regional data): operators and up read them
and evaluate what-ifs; everyone else gets the same 403 whatever they ask. Simulations and rating
runs read a region: out of scope answers exactly like a missing region (404), and a refused run
changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from creditvillage.accounts.models import User
from creditvillage.rating.models import Rating, RatingRun
from creditvillage.scoring.models import ModelVersion
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


def page_home(m: Matrix) -> None:
    for name, user in m.personas.items():
        m.calls["GET /scoring/"] += 1
        response = m.page_clients[name].get("/scoring/")
        expected = 200 if _operator(m, user) else 403
        if response.status_code != expected:
            m.fail(f"{name} GET /scoring/: {response.status_code}, expected {expected}")
        m.check_no_leak(
            name, "GET /scoring/", response, set(m.oracle.households) - m.oracle.households_for(user, "view")
        )


def _active() -> ModelVersion:
    return ModelVersion.objects.get(model__code="HH-DEFAULT", status="active")


def page_version(m: Matrix) -> None:
    version = _active()
    for name, user in m.personas.items():
        m.calls["GET /scoring/versions/<pk>/"] += 1
        client = m.page_clients[name]
        response = client.get(f"/scoring/versions/{version.pk}/")
        missing = client.get(f"/scoring/versions/{MISSING_VERSION}/")
        expected = (200, 404) if _operator(m, user) else (403, 403)
        if (response.status_code, missing.status_code) != expected:
            m.fail(f"{name} GET /scoring/versions/: {response.status_code}/{missing.status_code}, expected {expected}")


def _refused_write(m: Matrix, label: str, call: Any, allowed: Any) -> None:
    for name, user in m.personas.items():
        if allowed(user):
            continue
        before = snapshot()
        versions = ModelVersion.objects.count()
        m.calls[label] += 1
        response = call(m.page_clients[name])
        if response.status_code != 403:
            m.fail(f"{name} {label}: {response.status_code}, expected 403")
        if ModelVersion.objects.count() != versions or snapshot_diff(before, snapshot()):
            m.fail(f"{name} {label}: a refused write changed something")


def page_draft_create(m: Matrix) -> None:
    version = _active()
    _refused_write(
        m,
        "POST /scoring/models/<pk>/draft/",
        lambda c: c.post(f"/scoring/models/{version.model_id}/draft/", {"reason": "矩阵"}),
        lambda u: _configure(m, u),
    )
    response = m.page_clients["superuser"].post(f"/scoring/models/{version.model_id}/draft/", {"reason": "矩阵"})
    if response.status_code != 302:
        m.fail(f"superuser POST draft: {response.status_code}")


def page_indicator_edit(m: Matrix) -> None:
    indicator = _active().indicators.get(code="net_income")
    _refused_write(
        m,
        "POST /scoring/indicators/<pk>/edit/",
        lambda c: c.post(f"/scoring/indicators/{indicator.pk}/edit/", {"name": "x", "reason": "矩阵"}),
        lambda u: _configure(m, u),
    )
    # An active version is never edited, even by an administrator: 404 like a missing indicator.
    for name in ("admin", "superuser"):
        client = m.page_clients[name]
        if client.get(f"/scoring/indicators/{indicator.pk}/edit/").status_code != 404:
            m.fail(f"{name} GET indicator edit of an active version: not 404")


def page_version_activate(m: Matrix) -> None:
    version = _active()
    _refused_write(
        m,
        "POST /scoring/versions/<pk>/activate/",
        lambda c: c.post(f"/scoring/versions/{version.pk}/activate/", {"effective_from": "2026-01-01", "reason": "x"}),
        lambda u: _configure(m, u),
    )


def page_simulate(m: Matrix) -> None:
    version = _active()
    path = f"/scoring/versions/{version.pk}/simulate/"
    for name, user in m.personas.items():
        client = m.page_clients[name]
        if not _configure(m, user):
            m.calls["GET simulate"] += 1
            if client.get(path, {"region": "341502204000"}).status_code != 403:
                m.fail(f"{name} GET simulate: not 403")
            continue
        missing = client.get(path, {"region": MISSING_REGION})
        for code in m.oracle.regions:
            if m.oracle.regions[code].level not in ("county", "township"):
                continue
            m.calls["GET simulate"] += 1
            m.note_relation(user, code)
            response = client.get(path, {"region": code})
            shown = _may(m, user, "view_stats", code)
            has_result = 'id="shifts"' in response.content.decode()
            if response.status_code != 200 or has_result != shown:
                m.fail(
                    f"{name} GET simulate {code}: {response.status_code}, result shown={has_result}, expected {shown}"
                )
            if not shown and response.status_code != missing.status_code:
                m.fail(f"{name} GET simulate {code}: out of scope differs from missing")
            hidden = set(m.oracle.households) - m.oracle.households_for(user, "view")
            m.check_no_leak(name, f"GET simulate {code}", response, hidden)


def page_run_create(m: Matrix) -> None:
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing = client.post("/scoring/runs/new/", {"region": MISSING_REGION, "model": "HH-DEFAULT"})
        for code in m.oracle.regions:
            if m.oracle.regions[code].level not in ("county", "township"):
                continue
            may = _may(m, user, "rate", code)
            if may:
                continue
            before = RatingRun.objects.count(), Rating.objects.count(), snapshot()
            m.calls["POST /scoring/runs/new/"] += 1
            m.note_relation(user, code)
            response = client.post("/scoring/runs/new/", {"region": code, "model": "HH-DEFAULT"})
            if response.status_code not in (403, 404) or (response.status_code == 404 and missing.status_code != 404):
                m.fail(f"{name} POST run {code}: {response.status_code} (missing: {missing.status_code})")
            after = RatingRun.objects.count(), Rating.objects.count(), snapshot()
            if after[:2] != before[:2] or snapshot_diff(before[2], after[2]):
                m.fail(f"{name} POST run {code}: a refused run changed something")


PAGE_CASES: dict[str, Any] = {
    "scoring:home": page_home,
    "scoring:version": page_version,
    "scoring:draft-create": page_draft_create,
    "scoring:indicator-edit": page_indicator_edit,
    "scoring:version-activate": page_version_activate,
    "scoring:simulate": page_simulate,
    "scoring:run-create": page_run_create,
}
