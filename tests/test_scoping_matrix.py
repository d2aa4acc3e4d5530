"""C5 — the region scoping matrix (reliability.md (c) C5, (d) "Horizontal privilege escalation").

Every API operation is enumerated from the NinjaAPI's OpenAPI schema and every HTML page from
Django's URL resolver, so a new endpoint joins the matrix by itself — or fails
``test_every_*_is_in_the_matrix`` until someone says, in ``API_MATRIX`` / ``PAGE_MATRIX`` below,
how to call it and what it exposes.

Each scoped endpoint is called as every persona of tests/fixtures.py (one user per role, a
sibling- and an other-city township operator, a user with no role, a superuser) against every
region and every household of the fixture tree, which puts every target in one of the relations
own / child / parent / sibling / other city (and cousin) to the persona's scope. Expected
visibility comes from ``tests.scoping.Oracle``, a brute-force restatement of the rules that never
calls ``visible_to``. For each call:

* out of scope → the same status and body as for an id that does not exist (404, or a 403 that
  does not depend on the id), with none of the hidden households' personal data in it;
* in scope → 200 and, in lists, exactly the in-scope ids; aggregates equal the oracle's
  recomputation; no personal data of any household the persona may not see;
* writes out of scope → refused the same way, and not one row of the domain tables changed.

Violations are collected and reported together, so one run shows every leak at once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditvillage.accounts import services as account_services
from creditvillage.accounts.models import RoleAssignment, User
from creditvillage.accounts.roles import ROLE_ACTIONS, Role
from creditvillage.api import api
from creditvillage.core.models import Job, JobStatus
from creditvillage.dashboards.selectors import children_overview
from creditvillage.lending.models import Consent
from creditvillage.regions.models import Region
from creditvillage.registry.exports import write_household_export
from creditvillage.registry.models import Household, Person
from tests.fixtures import TREE, VILLAGES, World, build_world
from tests.scoping import (
    LeakScanner,
    Oracle,
    normalized_body,
    relation,
    response_text,
    snapshot,
    snapshot_diff,
)

pytestmark = [pytest.mark.django_db, pytest.mark.matrix]

MISSING_HOUSEHOLD = 99_999_999
MISSING_PERSON = 99_999_998
MISSING_REGION = "341502204299"  # well-formed village code under 横塘岗乡 that does not exist
MISSING_JOB = 99_999_997
CREDIT_SUBJECT_GRADES = {"AAA", "AA", "A"}  # the fixture uses Tianchang's scheme: A and above
STATUSES = ["collecting", "archived", "verified"]
GRADES = ["AAA", "AA", "A", "B", "", "C"]


# --------------------------------------------------------------------------------------------
# The world of the matrix
# --------------------------------------------------------------------------------------------


@dataclass
class Matrix:
    world: World
    oracle: Oracle
    scanner: LeakScanner
    personas: dict[str, User]
    api_clients: dict[str, Client]
    page_clients: dict[str, Client]
    job: Job
    media_root: Path
    violations: list[str] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    relations: Counter[str] = field(default_factory=Counter)

    def fail(self, message: str) -> None:
        self.violations.append(message)

    def scope_of(self, user: User) -> str | None:
        codes = [a.region_id for a in user.role_assignments.all()]
        return codes[0] if len(codes) == 1 else None

    def note_relation(self, user: User, code: str) -> None:
        scope = self.scope_of(user)
        if scope is not None:
            self.relations[relation(scope, code)] += 1

    def check_no_leak(self, who: str, what: str, response: Any, hidden: set[int]) -> None:
        leaks = self.scanner.leaks(response_text(response), hidden)
        if leaks:
            self.fail(f"{who} {what}: personal data of hidden households {sorted({pk for pk, _ in leaks})}")

    def check_like_missing(self, who: str, what: str, response: Any, missing: Any, *paths: str) -> None:
        """The answer for an out-of-scope target must be the answer for a target that does not exist."""
        if response.status_code not in (403, 404):
            self.fail(f"{who} {what}: {response.status_code}, expected 404 (or an id-independent 403)")
        elif (response.status_code, normalized_body(response, *paths)) != (
            missing.status_code,
            normalized_body(missing, *paths),
        ):
            self.fail(f"{who} {what}: out-of-scope answer differs from the missing-id answer")

    def report(self) -> None:
        assert self.calls, "the matrix made no calls"
        print(f"C5 {dict(self.calls)}: {len(self.violations)} violations")  # shown with -s
        assert not self.violations, f"{len(self.violations)} scoping violations:\n" + "\n".join(self.violations[:40])


def enrich(world: World) -> None:
    """Vary statuses, grades, consents and addresses so that aggregates and bank scoping bite."""
    for i, household in enumerate(Household.objects.order_by("pk")):
        Household.objects.filter(pk=household.pk).update(
            status=STATUSES[i % len(STATUSES)],
            grade=GRADES[i % len(GRADES)],
            address=f"{household.region.name}{i + 1}号",
        )
    bank = world.bank
    assert bank is not None
    now = timezone.now()
    # Revoked consent: the bank must lose sight of it.
    Consent.objects.create(household=world.household("341502204201", 1), bank=bank, granted_at=now, revoked_at=now)
    # Consent inside the bank's region (sibling village): visible to the bank.
    Consent.objects.create(household=world.household("341502204202", 0), bank=bank, granted_at=now)
    # Consents outside the bank's region (sibling township, other city): consent alone is not enough.
    Consent.objects.create(household=world.household("341502101201", 0), bank=bank, granted_at=now)
    Consent.objects.create(household=world.household("341181100201", 0), bank=bank, granted_at=now)


# Households per village in the matrix's world. A target household stands for the others of its
# village that no rule can tell apart from it: same region, same consents, no persona of its own.
# Every village keeps one (every persona meets every region and relation, and the per-region counts
# differ, so a count taken over the wrong region cannot match by luck); the households that differ
# keep their own: 周庵村 #0 (the household persona's, consented to the bank), #1 (its consent
# revoked by enrich), #2 (none); 黄墩村, 东桥村 and 龙岗村 #0 (a consent inside, outside the bank's
# region and in the other city) beside a plain #1. 11 households instead of 18: every check that
# walks the households makes 39 % fewer calls (docs/development/testing.md, "The C5 matrix").
MATRIX_HOUSEHOLDS = {
    "341502204201": 3,
    "341502204202": 2,
    "341502101201": 2,
    "341502101202": 1,
    "341181100201": 2,
    "341181100202": 1,
}
assert set(MATRIX_HOUSEHOLDS) == set(VILLAGES)


@dataclass
class _Shared:
    """Rows built once per module and worker: the world (enriched), each persona's API token, the job."""

    world: World
    tokens: dict[str, str]
    sessions: dict[str, str]
    job_pk: int
    built_at: float


@pytest.fixture(scope="module")
def _matrix_rows(django_db_setup: None, django_db_blocker: Any) -> Iterator[_Shared]:
    """Build the matrix's rows once for the whole module, inside a transaction rolled back at its end.

    Each test still runs in its own savepoint inside it (pytest-django's ``db`` fixture nests), so
    whatever a check writes (case seeds, permitted edits, jobs) is gone before the next test, exactly
    as with a per-test world; only the common rows are not rebuilt ~150 times.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world(MATRIX_HOUSEHOLDS)
            enrich(world)
            tokens = {name: account_services.token_issue(user=user)[0] for name, user in world.users.items()}
            sessions = {}
            for name, user in world.users.items():
                client = Client()
                client.force_login(user)
                sessions[name] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
            job = Job.objects.create(
                kind="household_export",
                created_by=world.users["township_operator"],
                status=JobStatus.SUCCEEDED,
                result_file="exports/secret.xlsx",
                region_code="341502204000",
            )
            shared = _Shared(world, tokens, sessions, job.pk, time.monotonic())
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield shared
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def _fresh(world: World) -> World:
    """The same rows as new instances, so no in-memory state (grant caches …) crosses tests."""
    users = {u.pk: u for u in User.objects.filter(pk__in=[u.pk for u in world.users.values()])}
    households = Household.objects.in_bulk([h.pk for hs in world.households.values() for h in hs])
    bank, merchant = world.bank, world.merchant
    assert bank is not None
    assert merchant is not None
    return World(
        regions=Region.objects.in_bulk(list(world.regions)),
        users={name: users[u.pk] for name, u in world.users.items()},
        households={code: [households[h.pk] for h in hs] for code, hs in world.households.items()},
        bank=type(bank).objects.get(pk=bank.pk),
        merchant=type(merchant).objects.get(pk=merchant.pk),
    )


@pytest.fixture
def world(_matrix_rows: _Shared, db: None) -> World:
    """Overrides tests/fixtures.py's ``world`` in this module: the module's shared rows."""
    return _fresh(_matrix_rows.world)


@pytest.fixture
def matrix(world: World, _matrix_rows: _Shared, settings: Any, tmp_path: Path) -> Matrix:
    settings.MEDIA_ROOT = str(tmp_path)
    personas = dict(world.users)
    api_clients = {}
    page_clients = {}
    # The module's sessions, while far from the 30-minute idle limit (requests renew them only inside
    # each test's rolled-back savepoint); on a very slow run, fresh logins.
    fresh_sessions = time.monotonic() - _matrix_rows.built_at < 15 * 60
    for name, user in personas.items():
        api_clients[name] = Client(HTTP_AUTHORIZATION=f"Bearer {_matrix_rows.tokens[name]}")
        page = Client()
        if fresh_sessions:
            page.cookies[django_settings.SESSION_COOKIE_NAME] = _matrix_rows.sessions[name]
        else:
            page.force_login(user)
        page_clients[name] = page
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "secret.xlsx").write_bytes(b"PK not really a workbook")
    job = Job.objects.get(pk=_matrix_rows.job_pk)
    oracle = Oracle.load()
    return Matrix(world, oracle, LeakScanner(oracle), personas, api_clients, page_clients, job, tmp_path)


# --------------------------------------------------------------------------------------------
# API: operations from the OpenAPI schema
# --------------------------------------------------------------------------------------------

API_PREFIX = "/api/v1"


def api_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return sorted((method.upper(), path) for path, ops in schema["paths"].items() for method in ops)


def api_region_detail(m: Matrix) -> None:
    missing_code = MISSING_REGION
    for name, user in m.personas.items():
        client = m.api_clients[name]
        visible = m.oracle.regions_for(user, "view")
        missing = client.get(f"{API_PREFIX}/regions/{missing_code}")
        for code in m.oracle.regions:
            m.calls["GET /regions/{code}"] += 1
            m.note_relation(user, code)
            response = client.get(f"{API_PREFIX}/regions/{code}")
            who, what = name, f"GET /regions/{code}"
            if code in visible:
                if response.status_code != 200:
                    m.fail(f"{who} {what}: {response.status_code}, expected 200")
                    continue
                body = response.json()
                expected = sorted(c for c in visible if m.oracle.regions[c].parent_id == code)
                if body["code"] != code or [c["code"] for c in body["children"]] != expected:
                    m.fail(f"{who} {what}: children {[c['code'] for c in body['children']]} != {expected}")
            else:
                m.check_like_missing(who, what, response, missing, code, missing_code)


def _all_pages(client: Client, query: str) -> tuple[Any, list[Any]]:
    first = client.get(f"{API_PREFIX}/households?{query}")
    if first.status_code != 200:
        return first, []
    items = list(first.json()["items"])
    page = 1
    while len(items) < first.json()["count"] and page < 100:
        page += 1
        items += client.get(f"{API_PREFIX}/households?{query}&page={page}").json()["items"]
    return first, items


def api_household_list(m: Matrix) -> None:
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        visible = m.oracle.households_for(user, "view")
        visible_regions = m.oracle.regions_for(user, "view")
        missing = client.get(f"{API_PREFIX}/households?region={MISSING_REGION}")
        for code in [None, *m.oracle.regions]:
            m.calls["GET /households"] += 1
            query = f"region={code}" if code else ""
            response, items = _all_pages(client, query)
            who, what = name, f"GET /households?{query}"
            m.check_no_leak(who, what, response, every - visible)
            if code is not None and code not in visible_regions:
                m.note_relation(user, code)
                m.check_like_missing(who, what, response, missing, code, MISSING_REGION)
                continue
            expected = visible if code is None else visible & m.oracle.under(code)
            ids = {item["id"] for item in items}
            if response.status_code != 200 or ids != expected or response.json()["count"] != len(expected):
                m.fail(f"{who} {what}: {response.status_code} ids {sorted(ids)} != oracle {sorted(expected)}")


def api_household_detail(m: Matrix) -> None:
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        visible = m.oracle.households_for(user, "view")
        missing = client.get(f"{API_PREFIX}/households/{MISSING_HOUSEHOLD}")
        for pk, household in m.oracle.households.items():
            m.calls["GET /households/{id}"] += 1
            m.note_relation(user, household.region_id)
            path = f"{API_PREFIX}/households/{pk}"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, every - {pk})
            if pk in visible:
                if response.status_code != 200 or response.json()["id"] != pk:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, str(pk), str(MISSING_HOUSEHOLD))


def recompute_overview(m: Matrix, ids: set[int]) -> dict[str, Any]:
    households = [m.oracle.households[pk] for pk in ids]
    grades = Counter(h.grade for h in households if h.grade)
    return {
        "households": len(households),
        "archived": sum(h.status in ("archived", "verified") for h in households),
        "verified": sum(h.status == "verified" for h in households),
        "rated": sum(grades.values()),
        "credit_subjects": sum(n for g, n in grades.items() if g in CREDIT_SUBJECT_GRADES),
        "grade_distribution": dict(grades),
    }


def api_stats_overview(m: Matrix) -> None:
    for name, user in m.personas.items():
        client = m.api_clients[name]
        counted = m.oracle.households_for(user, "view_stats")
        visible_regions = m.oracle.regions_for(user, "view")
        missing = client.get(f"{API_PREFIX}/stats/overview?region={MISSING_REGION}")
        for code in [None, *m.oracle.regions]:
            m.calls["GET /stats/overview"] += 1
            query = f"?region={code}" if code else ""
            response = client.get(f"{API_PREFIX}/stats/overview{query}")
            who, what = name, f"GET /stats/overview{query}"
            if code is not None and code not in visible_regions:
                m.check_like_missing(who, what, response, missing, code, MISSING_REGION)
                continue
            expected = recompute_overview(m, counted if code is None else counted & m.oracle.under(code))
            if response.status_code != 200:
                m.fail(f"{who} {what}: {response.status_code}, expected 200")
                continue
            got = {key: response.json()[key] for key in expected}
            if got != expected:
                m.fail(f"{who} {what}: {got} != in-scope recomputation {expected}")


def api_me(m: Matrix) -> None:
    for name, user in m.personas.items():
        m.calls["GET /me"] += 1
        body = m.api_clients[name].get(f"{API_PREFIX}/me").json()
        own = sorted((a.role, a.region_id) for a in user.role_assignments.all())
        if body["username"] != user.username or sorted((r["role"], r["region_code"]) for r in body["roles"]) != own:
            m.fail(f"{name} GET /me: {body} is not the caller's own account")


def api_identifier_validate(m: Matrix) -> None:
    # Pure reference data: validating another region's resident's ID number must reveal nothing
    # stored about that person (it is decoded from the number itself), and change nothing.
    before = snapshot()
    for name, user in m.personas.items():
        visible = m.oracle.households_for(user, "view")
        for person in m.oracle.persons.values():
            if person.household_id in visible:
                continue
            m.calls["POST /identifiers/validate"] += 1
            response = m.api_clients[name].post(
                f"{API_PREFIX}/identifiers/validate",
                {"kind": "resident_id", "value": person.id_number},
                content_type="application/json",
            )
            household = m.oracle.households[person.household_id]
            text = response_text(response)
            if response.status_code != 200 or household.head_name in text or household.phone in text:
                m.fail(f"{name} POST /identifiers/validate: reveals stored data of household {household.pk}")
    if diff := snapshot_diff(before, snapshot()):
        m.fail(f"POST /identifiers/validate changed {diff}")


PUBLIC = "public: carries no regional data (see test_unauthenticated.py)"

# How to call each operation and what it exposes. A new operation must be added here.
API_MATRIX: dict[tuple[str, str], Callable[[Matrix], None] | str] = {
    ("GET", "/api/v1/health"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/me"): api_me,
    ("GET", "/api/v1/regions/{code}"): api_region_detail,
    ("GET", "/api/v1/households"): api_household_list,
    ("GET", "/api/v1/households/{household_id}"): api_household_detail,
    ("POST", "/api/v1/identifiers/validate"): api_identifier_validate,
    ("GET", "/api/v1/stats/overview"): api_stats_overview,
}


def _app_cases(attribute: str) -> dict[Any, Callable[[Matrix], None] | str]:
    """Each app's entries, from ``tests/scoping_cases/<app>.py`` (``API_CASES``, ``PAGE_CASES``).

    Those modules take the ``Matrix`` (its personas, clients, oracle and ``check_*`` helpers) and
    add their own records to it; they never import this module at run time.
    """
    import importlib
    import pkgutil

    import tests.scoping_cases as package

    merged: dict[Any, Callable[[Matrix], None] | str] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        merged.update(getattr(module, attribute, {}))
    return merged


API_MATRIX.update(_app_cases("API_CASES"))


def test_every_api_operation_is_in_the_matrix() -> None:
    missing = [op for op in api_operations() if op not in API_MATRIX]
    assert not missing, f"API operations with no entry in API_MATRIX (say how to build their arguments): {missing}"


@pytest.mark.parametrize(
    "operation", [op for op in api_operations() if callable(API_MATRIX.get(op))], ids=lambda op: " ".join(op)
)
def test_api_scoping(matrix: Matrix, operation: tuple[str, str]) -> None:
    check = API_MATRIX[operation]
    assert callable(check)
    check(matrix)
    matrix.report()


# --------------------------------------------------------------------------------------------
# HTML pages: URL patterns from the resolver
# --------------------------------------------------------------------------------------------


def url_patterns() -> Iterator[tuple[str, str]]:
    """``(route, name)`` for every pattern, namespaces joined (``admin:index``)."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), f"{namespace}{p.name or ''}"

    yield from walk(get_resolver().url_patterns, "/", "")


def page_household_list(m: Matrix) -> None:
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        visible = m.oracle.households_for(user, "view")
        for code in ["", *m.oracle.regions]:
            m.calls["GET /households/"] += 1
            response = client.get(f"/households/?region={code}" if code else "/households/")
            if response.status_code not in (200, 403, 404):
                m.fail(f"{name} GET /households/?region={code}: {response.status_code}")
            m.check_no_leak(name, f"GET /households/?region={code}", response, every - visible)


def page_household_detail(m: Matrix) -> None:
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        visible = m.oracle.households_for(user, "view")
        missing_path = f"/households/{MISSING_HOUSEHOLD}/"
        missing = client.get(missing_path)
        for pk in m.oracle.households:
            m.calls["GET /households/<pk>/"] += 1
            path = f"/households/{pk}/"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, every - {pk})
            if pk in visible:
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


def _post_edit(client: Client, path: str, data: dict[str, str]) -> Any:
    """POST inside a savepoint that is rolled back, so permitted edits do not pile up."""
    with transaction.atomic():
        response = client.post(path, data)
        transaction.set_rollback(True)
    return response


def page_household_edit(m: Matrix) -> None:
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        may_change = m.oracle.households_for(user, "change")
        visible = m.oracle.households_for(user, "view")
        missing_path = f"/households/{MISSING_HOUSEHOLD}/edit/"
        missing_get = client.get(missing_path)
        missing_post = client.post(missing_path, {"address": "x", "reason": "x"})
        before = snapshot()
        for pk in m.oracle.households:
            m.calls["GET+POST /households/<pk>/edit/"] += 1
            path = f"/households/{pk}/edit/"
            data = {"address": f"改址-{name}", "phone": "", "main_business": "", "reason": "matrix"}
            if pk in may_change:
                response = client.get(path)
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                m.check_no_leak(name, f"GET {path}", response, every - {pk})
                continue
            get = client.get(path)
            post = client.post(path, data)
            if pk in visible:
                # Seen but not editable: refused (403/404); it reveals only what the list shows.
                for verb, response in (("GET", get), ("POST", post)):
                    if response.status_code not in (403, 404):
                        m.fail(f"{name} {verb} {path}: {response.status_code}, expected a refusal")
                    m.check_no_leak(name, f"{verb} {path}", response, every - {pk})
                continue
            m.check_like_missing(name, f"GET {path}", get, missing_get, path, missing_path)
            m.check_like_missing(name, f"POST {path}", post, missing_post, path, missing_path)
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name}: refused household edits changed {diff}")
        # And a permitted edit does write (the check above can fail).
        for pk in sorted(may_change)[:1]:
            with transaction.atomic():
                response = client.post(f"/households/{pk}/edit/", {"address": "新地址", "reason": "matrix"})
                changed = Household.objects.get(pk=pk).address == "新地址"
                transaction.set_rollback(True)
            if response.status_code != 302 or not changed:
                m.fail(f"{name} POST /households/{pk}/edit/: permitted edit did not save ({response.status_code})")


def page_person_edit(m: Matrix) -> None:
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        may_change = m.oracle.persons_for(user, "change")
        visible_households = sorted(m.oracle.households_for(user, "change"))
        missing_path = f"/households/{MISSING_HOUSEHOLD}/members/{MISSING_PERSON}/edit/"
        missing_get = client.get(missing_path)
        missing_post = client.post(missing_path, {"name": "x", "reason": "x"})
        pairs = [(p.household_id, p.pk) for p in m.oracle.persons.values()]
        # The classic IDOR: an in-scope household in the URL with an out-of-scope member.
        if visible_households:
            pairs += [(visible_households[0], p.pk) for p in m.oracle.persons.values() if p.pk not in may_change]
        before = snapshot()
        for household_pk, person_pk in pairs:
            m.calls["GET+POST /households/<pk>/members/<pk>/edit/"] += 1
            path = f"/households/{household_pk}/members/{person_pk}/edit/"
            allowed = person_pk in may_change and m.oracle.persons[person_pk].household_id == household_pk
            if allowed:
                response = client.get(path)
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                m.check_no_leak(name, f"GET {path}", response, every - {household_pk})
                continue
            get = client.get(path)
            m.check_like_missing(name, f"GET {path}", get, missing_get, path, missing_path)
            post = client.post(path, {"name": f"改名{name}", "reason": "matrix"})
            m.check_like_missing(name, f"POST {path}", post, missing_post, path, missing_path)
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name}: refused member edits changed {diff}")


def page_household_export(m: Matrix) -> None:
    from python_calamine import CalamineWorkbook

    for name, user in m.personas.items():
        client = m.page_clients[name]
        visible = m.oracle.households_for(user, "view")
        visible_regions = m.oracle.regions_for(user, "view")
        may_export = bool(m.oracle.grants(user, "export")) or user.is_superuser
        for code in ["", *m.oracle.regions]:
            m.calls["POST /households/export/"] += 1
            before_jobs = set(Job.objects.values_list("pk", flat=True))
            response = client.post("/households/export/", {"region": code})
            new_jobs = list(Job.objects.exclude(pk__in=before_jobs))
            if not may_export:
                if response.status_code not in (403, 404) or new_jobs:
                    m.fail(f"{name} POST /households/export/ region={code}: {response.status_code}, job created")
                continue
            if response.status_code != 302 or len(new_jobs) != 1:
                m.fail(f"{name} POST /households/export/ region={code}: {response.status_code}")
                continue
            job = new_jobs[0]
            try:
                write_household_export(job.pk)
            except Exception:  # noqa: BLE001 - an out-of-scope region must fail the job, not leak
                job.refresh_from_db()
                if code in visible_regions or job.status != JobStatus.FAILED or job.result_file:
                    m.fail(f"{name} export region={code}: failed unexpectedly ({job.status}, {job.message})")
                continue
            job.refresh_from_db()
            if code and code not in visible_regions:
                m.fail(f"{name} export region={code}: out-of-scope region exported")
                continue
            rows = CalamineWorkbook.from_path(str(m.media_root / job.result_file)).get_sheet_by_index(0)
            numbers = {str(row[0]) for row in rows.to_python()[1:]}
            expected = visible if not code else visible & m.oracle.under(code)
            if numbers != {m.oracle.households[pk].number for pk in expected}:
                m.fail(f"{name} export region={code}: rows {sorted(numbers)} != oracle")


def page_region_detail(m: Matrix) -> None:
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        visible_households = m.oracle.households_for(user, "view")
        visible = m.oracle.regions_for(user, "view")
        missing_path = f"/regions/{MISSING_REGION}/"
        missing = client.get(missing_path)
        for code in m.oracle.regions:
            m.calls["GET /regions/<code>/"] += 1
            path = f"/regions/{code}/"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, every - visible_households)
            if code in visible:
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


def page_home(m: Matrix) -> None:
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        m.calls["GET /"] += 1
        response = m.page_clients[name].get("/")
        if response.status_code != 200:
            m.fail(f"{name} GET /: {response.status_code}")
        m.check_no_leak(name, "GET /", response, every - m.oracle.households_for(user, "view"))


def page_job(m: Matrix, suffix: str) -> None:
    for name, user in m.personas.items():
        m.calls[f"GET /jobs/<pk>/{suffix}"] += 1
        client = m.page_clients[name]
        path, missing_path = f"/jobs/{m.job.pk}/{suffix}", f"/jobs/{MISSING_JOB}/{suffix}"
        response = client.get(path)
        if user == m.job.created_by:
            if response.status_code != 200:
                m.fail(f"{name} GET {path}: own job answers {response.status_code}")
            continue
        m.check_like_missing(name, f"GET {path}", response, client.get(missing_path), path, missing_path)
        if suffix and b"PK not really" in b"".join(getattr(response, "streaming_content", [response.content])):
            m.fail(f"{name} GET {path}: another user's export file was served")


ADMIN = "admin: superusers only (test_admin_is_closed_to_regional_users)"
API = "api: covered operation by operation by test_api_scoping"


# How to exercise each named page. A new page must be added here.
def page_api_unknown(matrix: Matrix) -> None:
    # The catch-all under /api/v1/ answers every signed-in persona with the same JSON 404.
    household = matrix.world.household("341181100201")
    path = f"/api/v1/households/{household.pk}/members"
    for name, client in matrix.page_clients.items():
        response = client.get(path)
        matrix.calls["GET /api/v1/<unknown>"] += 1
        assert response.status_code == 404, (name, response.status_code)
        assert response.json()["code"] == "not_found", name
        assert not matrix.scanner.leaks(response_text(response), [household.pk]), name


PAGE_MATRIX: dict[str, Callable[[Matrix], None] | str] = {
    "login": PUBLIC,
    "logout": PUBLIC,
    "set_language": PUBLIC,
    "home": page_home,
    "household-list": page_household_list,
    "household-detail": page_household_detail,
    "household-edit": page_household_edit,
    "person-edit": page_person_edit,
    "household-export": page_household_export,
    "region-detail": page_region_detail,
    "job-detail": lambda m: page_job(m, ""),
    "job-download": lambda m: page_job(m, "download/"),
    "api-v1-unknown": page_api_unknown,
}
PAGE_MATRIX.update(_app_cases("PAGE_CASES"))


def page_entry(name: str) -> Callable[[Matrix], None] | str | None:
    if name.startswith("admin:"):
        return ADMIN
    if name.startswith("api-v1:"):
        return API
    return PAGE_MATRIX.get(name)


def test_every_url_pattern_is_in_the_matrix() -> None:
    missing = sorted({f"{name or '(unnamed)'} {route}" for route, name in url_patterns() if page_entry(name) is None})
    assert not missing, f"URL patterns with no entry in PAGE_MATRIX (say how to call them): {missing}"


@pytest.mark.parametrize("page_name", sorted({name for _route, name in url_patterns() if callable(page_entry(name))}))
def test_page_scoping(matrix: Matrix, page_name: str) -> None:
    check = page_entry(page_name)
    assert callable(check)
    check(matrix)
    matrix.report()


def test_admin_is_closed_to_regional_users(matrix: Matrix) -> None:
    # The admin is not region-scoped (a superuser's tool): nobody else may reach it.
    household = matrix.world.household("341181100201")
    paths = ["/admin/", "/admin/registry/household/", f"/admin/registry/household/{household.pk}/change/"]
    for name, user in matrix.personas.items():
        for path in paths:
            response = matrix.page_clients[name].get(path)
            if user.is_superuser:
                assert response.status_code == 200, (name, path)
                continue
            assert response.status_code == 302, (name, path, response.status_code)
            assert response["Location"].startswith("/admin/login/"), (name, path)
            assert not matrix.scanner.leaks(response_text(response), [household.pk])
    assert not any(u.is_staff for u in matrix.personas.values() if not u.is_superuser)


# --------------------------------------------------------------------------------------------
# Aggregates computed outside the API (pages' child tables)
# --------------------------------------------------------------------------------------------


def test_children_overview_equals_in_scope_recomputation(matrix: Matrix) -> None:
    m = matrix
    for name, user in m.personas.items():
        counted = m.oracle.households_for(user, "view_stats")
        visible = m.oracle.regions_for(user, "view")
        for code in sorted(visible):
            children = list(Region.objects.filter(parent_id=code, code__in=visible).order_by("code"))
            got = children_overview(actor=user, regions=children)
            for child in children:
                expected = recompute_overview(m, counted & m.oracle.under(child.code))
                want = {k: expected[k] for k in ("households", "archived", "verified")}
                if got[child.code] != want:
                    m.fail(f"{name} children_overview {child.code}: {got[child.code]} != {want}")
                m.calls["children_overview"] += 1
    m.report()


def test_the_matrix_covers_every_relation(matrix: Matrix) -> None:
    # The targets the matrix walks (every region, every household's village) stand in each
    # relation to the personas' scopes: own, child, parent, sibling, other city (the fixture
    # has no county sibling of 金安区 and nothing below a village, hence the exceptions).
    wanted = {
        "township_operator": {"own", "child", "parent", "sibling", "other_city"},
        "village_operator": {"own", "parent", "sibling", "other_city"},
        "admin": {"own", "child", "parent", "other_city"},
    }
    for persona, relations in wanted.items():
        scope = matrix.scope_of(matrix.personas[persona])
        assert scope is not None
        seen = Counter(relation(scope, code) for code in matrix.oracle.regions)
        seen += Counter(relation(scope, h.region_id) for h in matrix.oracle.households.values())
        assert relations <= set(seen), (persona, seen)


# --------------------------------------------------------------------------------------------
# Property: visible_to equals the brute force, for random grants
# --------------------------------------------------------------------------------------------

N_REGIONS = len(TREE)
N_HOUSEHOLDS = sum(MATRIX_HOUSEHOLDS.values())  # the matrix's world (the ``world`` fixture of this module)
ACTIONS = sorted({action for actions in ROLE_ACTIONS.values() for action in actions} | {"no_such_action"})


NARROWED_ROLES = [Role.HOUSEHOLD, Role.BANK_OFFICER, Role.MERCHANT]


@st.composite
def grants_and_action(draw: st.DrawFn) -> tuple[list[dict[str, Any]], str]:
    """Up to three role assignments (narrowed roles drawn more often) and an action, usually one they grant."""
    grants = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "role": st.one_of(st.sampled_from(NARROWED_ROLES), st.sampled_from(Role.values)),
                    "region": st.integers(0, N_REGIONS - 1),
                    "household": st.integers(0, N_HOUSEHOLDS - 1),
                    "active": st.booleans() | st.just(True),
                }
            ),
            max_size=3,
            unique_by=lambda g: (g["role"], g["region"]),
        )
    )
    granted = sorted({a for g in grants for a in ROLE_ACTIONS.get(g["role"], frozenset())})
    action = draw(st.sampled_from(granted) if granted else st.sampled_from(ACTIONS)) if draw(st.booleans()) else None
    return grants, action or draw(st.sampled_from(ACTIONS))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    drawn=grants_and_action(),
    consented=st.sets(st.integers(0, N_HOUSEHOLDS - 1), max_size=8),
    revoked=st.sets(st.integers(0, N_HOUSEHOLDS - 1), max_size=4),
)
def test_visible_to_equals_brute_force(
    world: World, drawn: tuple[list[dict[str, Any]], str], consented: set[int], revoked: set[int]
) -> None:
    grants, action = drawn
    regions = sorted(world.regions)
    households = list(Household.objects.order_by("pk"))
    assert len(households) == N_HOUSEHOLDS
    with transaction.atomic():  # every example rolls back: the fixture world stays as built
        Consent.objects.all().delete()
        now = timezone.now()
        for i in consented | revoked:
            Consent.objects.create(
                household=households[i], bank=world.bank, granted_at=now, revoked_at=now if i in revoked else None
            )
        user = User.objects.create_user(username="prop")
        for g in grants:
            subject: dict[str, Any] = {}
            if g["role"] == Role.HOUSEHOLD:
                subject["household"] = households[g["household"]]
            elif g["role"] == Role.BANK_OFFICER:
                subject["bank"] = world.bank
            elif g["role"] == Role.MERCHANT:
                subject["merchant"] = world.merchant
            RoleAssignment.objects.create(
                user=user, role=g["role"], region_id=regions[g["region"]], is_active=g["active"], **subject
            )
        user = User.objects.get(pk=user.pk)  # fresh grant cache
        oracle = Oracle.load()
        try:
            assert set(Household.objects.visible_to(user, action).values_list("pk", flat=True)) == (
                oracle.households_for(user, action)
            )
            assert set(Person.objects.visible_to(user, action).values_list("pk", flat=True)) == (
                oracle.persons_for(user, action)
            )
            assert set(Region.objects.visible_to(user, action).values_list("pk", flat=True)) == (
                oracle.regions_for(user, action)
            )
            assert set(Consent.objects.visible_to(user, action).values_list("pk", flat=True)) == (
                oracle.consents_for(user, action)
            )
        finally:
            transaction.set_rollback(True)
