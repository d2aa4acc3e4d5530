"""Scoping-matrix entries of the rating cycle (notices, ratings, objections, a household's own page).

Each check first seeds a cycle over 横塘岗乡 (ratings for its six fixture households, a notice in
both villages, one open objection in 周庵村 against the household persona's rating), then calls
every persona. The public notice pages are reached only by their signed link (no login): a bad
link answers 403 to everyone alike.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.scoping import response_text

if TYPE_CHECKING:
    from tests.test_scoping_matrix import Matrix

API = "/api/v1"
ZHOUAN = "341502204201"
MISSING_REGION = "341502204299"
MISSING = 99_999_996


def _seed(m: Matrix) -> dict[str, Any]:
    """A cycle in 横塘岗乡 (and one in 铜城镇) with notices; memoised on the matrix."""
    cached = getattr(m, "_rating_seed", None)
    if cached is not None:
        return cached
    from creditvillage.rating import selectors, services
    from creditvillage.rating.models import Notice, Rating

    operator = m.personas["township_operator"]
    other = m.personas["other_township_operator"]
    cycle = services.cycle_open(actor=operator, region_code="341502204", year=2026)
    services.cycle_run(actor=operator, cycle=cycle)
    services.notices_publish(actor=operator, cycle=cycle, starts_at=timezone.now() - dt.timedelta(hours=1))
    other_cycle = services.cycle_open(actor=other, region_code="341181100", year=2026)
    services.cycle_run(actor=other, cycle=other_cycle)
    services.notices_publish(actor=other, cycle=other_cycle, starts_at=timezone.now() - dt.timedelta(hours=1))
    own = m.world.household(ZHOUAN, 0)
    notice = Notice.objects.get(cycle=cycle, region_id=ZHOUAN)
    rating = Rating.objects.get(cycle=cycle, household_id=own.pk)
    objection = services.objection_file(
        actor=m.personas["household"], notice=notice, rating=rating, text="养殖收入漏报，请核实"
    )
    seed = {
        "cycles": [cycle, other_cycle],
        "notices": list(Notice.objects.order_by("pk")),
        "objection": objection,
        "objected_household": own.pk,
        "token": selectors.notice_token(notice),
    }
    m._rating_seed = seed  # type: ignore[attr-defined]
    return seed


def _rating_rows() -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for model in apps.get_app_config("rating").get_models():
        out[model._meta.label] = list(model._default_manager.order_by("pk").values_list())
    return out


def _notice_viewers(m: Matrix, user: Any) -> set[str]:
    """Villages whose notices the persona's (non-household, non-bank, non-merchant) view grants reach."""
    if user.is_superuser:
        return set(m.oracle.regions)
    grants = [
        g
        for g in m.oracle.grants(user, "view")
        if g.household_id is None and g.bank_id is None and g.merchant_id is None
    ]
    return {code for code in m.oracle.regions if any(code.startswith(g.prefix) for g in grants)}


def _banker_only(m: Matrix, user: Any) -> bool:
    grants = m.oracle.grants(user, "view")
    return any(g.bank_id for g in grants) and not any(g.bank_id is None for g in grants)


def api_notice_list(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        visible_regions = m.oracle.regions_for(user, "view")
        seen = _notice_viewers(m, user)
        missing = client.get(f"{API}/notices?region={MISSING_REGION}")
        for code in [None, *m.oracle.regions]:
            m.calls["GET /notices"] += 1
            query = f"?region={code}" if code else ""
            response = client.get(f"{API}/notices{query}")
            if code is not None and code not in visible_regions:
                m.check_like_missing(name, f"GET /notices{query}", response, missing, code, MISSING_REGION)
                continue
            prefix = m.oracle.prefix(code) if code else ""
            expected = sorted(n.pk for n in seed["notices"] if n.region_id in seen and n.region_id.startswith(prefix))
            if response.status_code != 200 or sorted(i["id"] for i in response.json()["items"]) != expected:
                m.fail(f"{name} GET /notices{query}: {response.status_code} != notices {expected}")


def api_rating_list(m: Matrix) -> None:
    seed = _seed(m)
    from creditvillage.rating.models import Rating

    ratings = list(Rating.objects.exclude(status="superseded"))
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        households = m.oracle.households_for(user, "view")
        banker_only = _banker_only(m, user)
        visible_regions = m.oracle.regions_for(user, "view")
        missing = client.get(f"{API}/ratings?region={MISSING_REGION}")
        for code in [None, *m.oracle.regions]:
            m.calls["GET /ratings"] += 1
            query = f"?region={code}" if code else ""
            response = client.get(f"{API}/ratings{query}")
            m.check_no_leak(name, f"GET /ratings{query}", response, every - households)
            if code is not None and code not in visible_regions:
                m.check_like_missing(name, f"GET /ratings{query}", response, missing, code, MISSING_REGION)
                continue
            under = m.oracle.under(code) if code else every
            expected = sorted(
                r.subject_id
                for r in ratings
                if r.household_id in households & under
                and not (banker_only and r.household_id == seed["objected_household"])
            )
            got = (
                sorted(i["subject_id"] for i in response.json().get("items", []))
                if response.status_code == 200
                else None
            )
            if got != expected:
                m.fail(f"{name} GET /ratings{query}: {response.status_code} {got} != {expected}")


def _detail(m: Matrix, label: str, paths: dict[str, bool | None], missing_path: str, user_name: str) -> None:
    """GET each path: True → 200, False → answered like ``missing_path``; None → not checked."""
    client = m.page_clients[user_name]
    missing = client.get(missing_path)
    every = set(m.oracle.households)
    visible = m.oracle.households_for(m.personas[user_name], "view")
    for path, allowed in paths.items():
        m.calls[label] += 1
        response = client.get(path)
        m.check_no_leak(user_name, f"GET {path}", response, every - visible)
        if allowed:
            if response.status_code != 200:
                m.fail(f"{user_name} GET {path}: {response.status_code}, expected 200")
        elif allowed is False:
            m.check_like_missing(user_name, f"GET {path}", response, missing, path, missing_path)


def page_cycle_detail(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        regions = _notice_viewers(m, user)
        paths = {f"/rating/cycles/{c.pk}/": c.region_id in regions for c in seed["cycles"]}
        _detail(m, "GET /rating/cycles/<pk>/", paths, f"/rating/cycles/{MISSING}/", name)


def page_notice_detail(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        seen = _notice_viewers(m, user)
        paths = {f"/rating/notices/{n.pk}/": n.region_id in seen for n in seed["notices"]}
        _detail(m, "GET /rating/notices/<pk>/", paths, f"/rating/notices/{MISSING}/", name)


def page_objection_detail(m: Matrix) -> None:
    seed = _seed(m)
    objection = seed["objection"]
    for name, user in m.personas.items():
        # Objections are withheld from banks: only the region's staff and the household itself see one.
        allowed = objection.household_id in m.oracle.households_for(user, "view") and not _banker_only(m, user)
        _detail(
            m,
            "GET /rating/objections/<pk>/",
            {f"/rating/objections/{objection.pk}/": allowed},
            f"/rating/objections/{MISSING}/",
            name,
        )
        # A POSTed decision from anyone who may not decide it changes nothing.
        may_decide = objection.household_id in m.oracle.households_for(user, "decide") and name != "township_operator"
        if may_decide:
            continue
        before = _rating_rows()
        with transaction.atomic():
            m.page_clients[name].post(
                f"/rating/objections/{objection.pk}/", {"outcome": "upheld", "reason": "matrix 决定"}
            )
            transaction.set_rollback(True)
        if _rating_rows() != before:
            m.fail(f"{name} POST /rating/objections/{objection.pk}/: a refused decision changed rating tables")


def page_household_ratings(m: Matrix) -> None:
    _seed(m)
    for name, user in m.personas.items():
        visible = m.oracle.households_for(user, "view")
        paths = {f"/rating/households/{pk}/": pk in visible for pk in m.oracle.households}
        _detail(m, "GET /rating/households/<pk>/", paths, f"/rating/households/{MISSING}/", name)


def page_lists(m: Matrix) -> None:
    """The home, objection list and the household's own page: 200 or a refusal, never another's data."""
    _seed(m)
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        visible = m.oracle.households_for(user, "view")
        for path in ("/rating/", "/rating/objections/?status=all", "/rating/mine/"):
            m.calls[f"GET {path}"] += 1
            response = m.page_clients[name].get(path, follow=True)
            if response.status_code not in (200, 403):
                m.fail(f"{name} GET {path}: {response.status_code}")
            m.check_no_leak(name, f"GET {path}", response, every - visible)


def page_posts(m: Matrix) -> None:
    """Cycle actions, objections and escalation: refused writes change nothing in the rating tables."""
    seed = _seed(m)
    cycle = seed["cycles"][0]
    objection = seed["objection"]
    for name, user in m.personas.items():
        may_rate = cycle.region_id in {
            c for c in m.oracle.regions if any(c.startswith(g.prefix) for g in m.oracle.grants(user, "rate"))
        }
        posts = [
            (f"/rating/cycles/{cycle.pk}/run/", {}),
            (f"/rating/cycles/{cycle.pk}/publish/", {"days": "7"}),
            (f"/rating/cycles/{cycle.pk}/finalise/", {}),
            ("/rating/cycles/open/", {"region": "341502204000", "year": "2031", "notice_days": "7"}),
            ("/rating/mine/objection/", {"text": "矩阵测试异议内容"}),
            (f"/rating/mine/objections/{objection.pk}/escalate/", {"reason": "矩阵测试复议理由"}),
        ]
        for path, data in posts:
            m.calls[f"POST {path}"] += 1
            before = _rating_rows()
            with transaction.atomic():
                response = m.page_clients[name].post(path, data)
                after = _rating_rows()
                transaction.set_rollback(True)
            if may_rate or user.is_superuser or name == "household":
                continue  # permitted (or a rule refusal with a message), checked in the rating tests
            if response.status_code not in (302, 403, 404) or after != before:
                m.fail(f"{name} POST {path}: {response.status_code}, changed={after != before}")


def page_public(m: Matrix) -> None:
    """The signed public links: the same page for everyone; a bad link is 403 for everyone."""
    seed = _seed(m)
    token = seed["token"]
    objection_count = seed["objection"].__class__.objects.count()
    for name in [*m.personas, "anonymous"]:
        client = m.page_clients.get(name) or Client()
        for path in (f"/rating/p/?t={token}", f"/rating/p/objection/?t={token}"):
            m.calls["GET /rating/p/?t=<token>"] += 1
            response = client.get(path)
            text = response_text(response)
            if response.status_code != 200 or "13900" in text or "13800" in text:
                m.fail(f"{name} GET {path}: {response.status_code} or a phone on the public page")
            bad = client.get(path.replace(token, token[:-2] + "xx"))
            if bad.status_code != 403:
                m.fail(f"{name} GET a forged public link: {bad.status_code}")
    if seed["objection"].__class__.objects.count() != objection_count:
        m.fail("GET of public pages filed objections")


API_CASES = {
    ("GET", "/api/v1/notices"): api_notice_list,
    ("GET", "/api/v1/ratings"): api_rating_list,
}

PAGE_CASES = {
    "rating:home": page_lists,
    "rating:mine": page_lists,
    "rating:objection-list": page_lists,
    "rating:mine-object": page_posts,
    "rating:objection-escalate": page_posts,
    "rating:cycle-open": page_posts,
    "rating:cycle-run": page_posts,
    "rating:cycle-publish": page_posts,
    "rating:cycle-finalise": page_posts,
    "rating:cycle-detail": page_cycle_detail,
    "rating:notice-detail": page_notice_detail,
    "rating:objection-detail": page_objection_detail,
    "rating:household-ratings": page_household_ratings,
    "rating:notice-public": page_public,
    "rating:notice-object": page_public,
}
