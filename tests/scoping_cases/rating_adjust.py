"""Scoping-matrix entries of dynamic adjustment, credit repair and credit village/township rating.

The seed (memoised on the matrix): final ratings for the first household of 周庵村 (the household
persona's) and of 龙岗村 (other city), both hit by a negative-list entry and downgraded; one repair
application each; one credit-village application each. Expected visibility is restated from the
oracle's grants (never ``visible_to``): a row is seen when a grant for the action covers its region
and, for a household grant, names its household; bank and merchant grants see none of these rows.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.utils import timezone

if TYPE_CHECKING:
    from tests.test_scoping_matrix import Matrix

API = "/api/v1"
ZHOUAN = "341502204201"
LONGGANG = "341181100201"
MISSING = 99_999_995


def _seed(m: Matrix) -> dict[str, Any]:
    cached = getattr(m, "_adjust_seed", None)
    if cached is not None:
        return cached
    from creditvillage.rating.adjust.models import RepairApplication
    from creditvillage.rating.adjust.services import rating_downgrade
    from creditvillage.rating.models import NegativeListEntry, Rating
    from creditvillage.rating.villages.models import CreditRegionApplication

    seed: dict[str, Any] = {"repairs": [], "applications": [], "households": []}
    today = timezone.localdate()
    for code in (ZHOUAN, LONGGANG):
        household = m.world.household(code, 0)
        person = household.members.first()
        assert person is not None
        Rating.objects.create(
            subject_type="household",
            subject_id=household.pk,
            household_id=household.pk,
            region_code=code,
            model_code="household-default",
            model_version=1,
            score=80,
            grade="AA",
            credit_subject=True,
            status="final",
            created_at=timezone.now(),
        )
        entry = NegativeListEntry.objects.create(
            id_number=person.id_number,
            name=person.name,
            source="失信被执行人名单",
            basis="（2025）执1号",
            listed_on=today - dt.timedelta(days=5),
            expires_on=today + dt.timedelta(days=1800),
        )
        rating_downgrade(
            actor=None,
            subject_type="household",
            subject_id=household.pk,
            reason="命中负面清单",
            source="negative_list",
            negative_entry=entry,
        )
        seed["repairs"].append(
            RepairApplication.objects.create(
                household=household,
                region_code=code,
                negative_entry=entry,
                evidence_text="已履行判决确定的全部义务",
                applied_at=timezone.now(),
            )
        )
        seed["applications"].append(
            CreditRegionApplication.objects.create(
                region=m.world.region(code),
                level="village",
                year=2026,
                requested_grade="A",
                applied_at=timezone.now(),
            )
        )
        seed["households"].append(household)
    m._adjust_seed = seed  # type: ignore[attr-defined]
    return seed


def _sees(m: Matrix, user: Any, action: str, region_code: str, household_id: int | None) -> bool:
    if user.is_superuser:
        return True
    for g in m.oracle.grants(user, action):
        if g.bank_id is not None or g.merchant_id is not None:
            continue
        if g.household_id is not None and g.household_id != household_id:
            continue
        if region_code.startswith(g.prefix):
            return True
    return False


def _rows() -> dict[str, list[tuple[Any, ...]]]:
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values_list())
        for model in apps.get_app_config("rating").get_models()
    }


def _list_check(path: str, rows_of: Any, key: str = "id") -> Any:
    def check(m: Matrix) -> None:
        _seed(m)
        every = set(m.oracle.households)
        for name, user in m.personas.items():
            m.calls[f"GET {path}"] += 1
            response = m.api_clients[name].get(f"{API}{path}")
            m.check_no_leak(name, f"GET {path}", response, every - m.oracle.households_for(user, "view"))
            expected = sorted(pk for pk, code, hid in rows_of() if _sees(m, user, "view", code, hid))
            got = sorted(item[key] for item in response.json()) if response.status_code == 200 else None
            if got != expected:
                m.fail(f"{name} GET {path}: {response.status_code} {got} != {expected}")

    return check


def _adjustment_rows() -> list[tuple[int, str, int | None]]:
    from creditvillage.rating.adjust.models import RatingAdjustment

    return [(a.pk, a.region_code, a.household_id) for a in RatingAdjustment.objects.all()]


def _repair_rows() -> list[tuple[int, str, int | None]]:
    from creditvillage.rating.adjust.models import RepairApplication

    return [(r.pk, r.region_code, r.household_id) for r in RepairApplication.objects.all()]


def _application_rows() -> list[tuple[int, str, int | None]]:
    from creditvillage.rating.villages.models import CreditRegionApplication

    return [(a.pk, a.region_id, None) for a in CreditRegionApplication.objects.all()]


def api_notifications(m: Matrix) -> None:
    _seed(m)
    from creditvillage.rating.adjust.models import VillageNotification

    for name, user in m.personas.items():
        m.calls["GET /village-notifications"] += 1
        response = m.api_clients[name].get(f"{API}/village-notifications")
        expected = sorted(
            n.pk
            for n in VillageNotification.objects.all()
            if _sees(m, user, "change", n.region_code, None) and not _household_only(m, user)
        )
        got = sorted(i["id"] for i in response.json()) if response.status_code == 200 else None
        if got != expected:
            m.fail(f"{name} GET /village-notifications: {got} != {expected}")


def _household_only(m: Matrix, user: Any) -> bool:
    grants = m.oracle.grants(user, "change")
    return bool(grants) and all(g.household_id is not None for g in grants)


def api_negative_list(m: Matrix) -> None:
    seed = _seed(m)
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        m.calls["GET /negative-list"] += 1
        response = m.api_clients[name].get(f"{API}/negative-list")
        managers = user.is_superuser or any(g.role in ("admin", "regulator") for g in m.oracle.grants(user, "view"))
        if not managers:
            if response.status_code != 403:
                m.fail(f"{name} GET /negative-list: {response.status_code}, expected 403")
            continue
        visible = m.oracle.households_for(user, "view")
        expected = 2 if user.is_superuser else sum(1 for h in seed["households"] if h.pk in visible)
        if response.status_code != 200 or response.json()["count"] != expected:
            m.fail(f"{name} GET /negative-list: {response.status_code}, expected {expected} entries")
        m.check_no_leak(name, "GET /negative-list", response, every - visible)


def api_negative_hits(m: Matrix) -> None:
    seed = _seed(m)
    every = set(m.oracle.households)
    for name, user in m.personas.items():
        m.calls["GET /negative-list/hits"] += 1
        response = m.api_clients[name].get(f"{API}/negative-list/hits")
        visible = m.oracle.households_for(user, "view")
        m.check_no_leak(name, "GET /negative-list/hits", response, every - visible)
        region_ok = {
            h.pk
            for h in seed["households"]
            if _sees(m, user, "view", h.region_id, h.pk) and not any(g.bank_id for g in m.oracle.grants(user, "view"))
        }
        expected = sorted(region_ok & visible) if not user.is_superuser else sorted(h.pk for h in seed["households"])
        if any(g.household_id is not None for g in m.oracle.grants(user, "view")):
            expected = []  # a household grant has no region scope for hits
        got = sorted(i["household_id"] for i in response.json()) if response.status_code == 200 else None
        if got != expected:
            m.fail(f"{name} GET /negative-list/hits: {got} != {expected}")


def _detail_check(path: str, objects: str, region_of: Any) -> Any:
    def check(m: Matrix) -> None:
        seed = _seed(m)
        every = set(m.oracle.households)
        for name, user in m.personas.items():
            client = m.api_clients[name]
            missing = client.get(f"{API}{path.format(MISSING)}")
            for obj in seed[objects]:
                m.calls[f"GET {path}"] += 1
                code, hid = region_of(obj)
                m.note_relation(user, code)
                url = f"{API}{path.format(obj.pk)}"
                response = client.get(url)
                m.check_no_leak(name, f"GET {url}", response, every - m.oracle.households_for(user, "view"))
                if _sees(m, user, "view", code, hid):
                    if response.status_code != 200 or response.json()["id"] != obj.pk:
                        m.fail(f"{name} GET {url}: {response.status_code}, expected 200")
                else:
                    m.check_like_missing(name, f"GET {url}", response, missing, str(obj.pk), str(MISSING))

    return check


def _write_check(path: str, objects: str, body: dict[str, Any], action: str, region_of: Any) -> Any:
    """Every persona that may not ``action`` the target gets the missing-id answer and changes nothing."""

    def check(m: Matrix) -> None:
        seed = _seed(m)
        for name, user in m.personas.items():
            if user.is_superuser:
                continue
            client = m.api_clients[name]
            missing = client.post(f"{API}{path.format(MISSING)}", body, content_type="application/json")
            for obj in seed[objects]:
                code, hid = region_of(obj)
                if _sees(m, user, action, code, hid):
                    continue  # in scope: the flow tests cover acting
                m.calls[f"POST {path}"] += 1
                before = _rows()
                url = f"{API}{path.format(obj.pk)}"
                response = client.post(url, body, content_type="application/json")
                m.check_like_missing(name, f"POST {url}", response, missing, str(obj.pk), str(MISSING))
                if _rows() != before:
                    m.fail(f"{name} POST {url}: refused write changed rating rows")

    return check


def _repair_region(r: Any) -> tuple[str, int | None]:
    return r.region_code, r.household_id


def _application_region(a: Any) -> tuple[str, int | None]:
    return a.region_id, None


def api_adjustment_create(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        if user.is_superuser:
            continue
        client = m.api_clients[name]
        body = {"subject_type": "household", "reason": "扣分", "source": "points", "to_grade": "C"}
        missing = client.post(f"{API}/adjustments", {**body, "subject_id": MISSING}, content_type="application/json")
        for household in seed["households"]:
            if _sees(m, user, "decide", household.region_id, household.pk):
                continue
            m.calls["POST /adjustments"] += 1
            before = _rows()
            response = client.post(
                f"{API}/adjustments", {**body, "subject_id": household.pk}, content_type="application/json"
            )
            m.check_like_missing(name, "POST /adjustments", response, missing, str(household.pk), str(MISSING))
            if _rows() != before:
                m.fail(f"{name} POST /adjustments: refused write changed rating rows")


def api_repair_create(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        if user.is_superuser:
            continue
        client = m.api_clients[name]
        body = {"negative_entry_id": seed["repairs"][0].negative_entry_id, "evidence_text": "已履行判决确定的全部义务"}
        missing = client.post(f"{API}/repairs", {**body, "household_id": MISSING}, content_type="application/json")
        for household in seed["households"]:
            if _sees(m, user, "view", household.region_id, household.pk):
                continue
            m.calls["POST /repairs"] += 1
            before = _rows()
            response = client.post(
                f"{API}/repairs", {**body, "household_id": household.pk}, content_type="application/json"
            )
            m.check_like_missing(name, "POST /repairs", response, missing, str(household.pk), str(MISSING))
            if _rows() != before:
                m.fail(f"{name} POST /repairs: refused write changed rating rows")


def api_application_create(m: Matrix) -> None:
    _seed(m)
    missing_region = "341502204299"
    for name, user in m.personas.items():
        if user.is_superuser:
            continue
        client = m.api_clients[name]
        body = {"year": 2027, "requested_grade": "A"}
        missing = client.post(
            f"{API}/credit-applications", {**body, "region": missing_region}, content_type="application/json"
        )
        for code in (ZHOUAN, LONGGANG):
            if _sees(m, user, "view", code, None):
                continue
            m.calls["POST /credit-applications"] += 1
            before = _rows()
            response = client.post(
                f"{API}/credit-applications", {**body, "region": code}, content_type="application/json"
            )
            m.check_like_missing(name, "POST /credit-applications", response, missing, code, missing_region)
            if _rows() != before:
                m.fail(f"{name} POST /credit-applications: refused write changed rating rows")


DECISION = {"approve": True, "opinion": "同意"}

API_CASES: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/negative-list"): api_negative_list,
    ("GET", "/api/v1/negative-list/hits"): api_negative_hits,
    ("GET", "/api/v1/adjustments"): _list_check("/adjustments", _adjustment_rows),
    ("POST", "/api/v1/adjustments"): api_adjustment_create,
    ("GET", "/api/v1/village-notifications"): api_notifications,
    ("GET", "/api/v1/repairs"): _list_check("/repairs", _repair_rows),
    ("GET", "/api/v1/repairs/{repair_id}"): _detail_check("/repairs/{}", "repairs", _repair_region),
    ("POST", "/api/v1/repairs"): api_repair_create,
    ("POST", "/api/v1/repairs/{repair_id}/village-review"): _write_check(
        "/repairs/{}/village-review", "repairs", DECISION, "view", _repair_region
    ),
    ("POST", "/api/v1/repairs/{repair_id}/township-decision"): _write_check(
        "/repairs/{}/township-decision", "repairs", DECISION, "view", _repair_region
    ),
    ("GET", "/api/v1/credit-applications"): _list_check("/credit-applications", _application_rows),
    ("GET", "/api/v1/credit-applications/{application_id}"): _detail_check(
        "/credit-applications/{}", "applications", _application_region
    ),
    ("POST", "/api/v1/credit-applications"): api_application_create,
    ("POST", "/api/v1/credit-applications/{application_id}/review"): _write_check(
        "/credit-applications/{}/review", "applications", DECISION, "view", _application_region
    ),
    ("POST", "/api/v1/credit-applications/{application_id}/approval"): _write_check(
        "/credit-applications/{}/approval", "applications", DECISION, "view", _application_region
    ),
}


# --- Pages ---------------------------------------------------------------------------------------


def _page_list(url: str) -> Any:
    def check(m: Matrix) -> None:
        _seed(m)
        every = set(m.oracle.households)
        for name, user in m.personas.items():
            m.calls[f"GET {url}"] += 1
            response = m.page_clients[name].get(url)
            if response.status_code not in (200, 403, 404):
                m.fail(f"{name} GET {url}: {response.status_code}")
            m.check_no_leak(name, f"GET {url}", response, every - m.oracle.households_for(user, "view"))

    return check


def _page_detail(url: str, objects: str, region_of: Any) -> Any:
    def check(m: Matrix) -> None:
        seed = _seed(m)
        every = set(m.oracle.households)
        for name, user in m.personas.items():
            client = m.page_clients[name]
            missing = client.get(url.format(MISSING))
            for obj in seed[objects]:
                m.calls[f"GET {url}"] += 1
                code, hid = region_of(obj)
                path = url.format(obj.pk)
                response = client.get(path)
                m.check_no_leak(name, f"GET {path}", response, every - m.oracle.households_for(user, "view"))
                if _sees(m, user, "view", code, hid):
                    if response.status_code != 200:
                        m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                else:
                    m.check_like_missing(name, f"GET {path}", response, missing, path, url.format(MISSING))

    return check


def page_downgrade(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        for household in seed["households"]:
            m.calls["GET /rating/adjust/households/<pk>/downgrade/"] += 1
            response = client.get(f"/rating/adjust/households/{household.pk}/downgrade/")
            expected = 200 if _sees(m, user, "decide", household.region_id, household.pk) else 404
            if response.status_code != expected:
                m.fail(f"{name} GET downgrade {household.pk}: {response.status_code} != {expected}")
            before = _rows()
            if expected == 404:
                posted = client.post(
                    f"/rating/adjust/households/{household.pk}/downgrade/", {"source": "points", "reason": "x"}
                )
                if posted.status_code != 404 or _rows() != before:
                    m.fail(f"{name} POST downgrade {household.pk}: {posted.status_code} or rows changed")


def page_evidence(m: Matrix) -> None:
    seed = _seed(m)
    for name in m.personas:
        client = m.page_clients[name]
        for repair in seed["repairs"]:
            m.calls["GET /rating/adjust/repairs/<pk>/evidence/"] += 1
            response = client.get(f"/rating/adjust/repairs/{repair.pk}/evidence/")
            if response.status_code != 404:  # no file in the seed: 404 for all, in scope or not
                m.fail(f"{name} GET evidence {repair.pk}: {response.status_code}")


PAGE_CASES: dict[str, Any] = {
    "rating:adjust-home": _page_list("/rating/adjust/"),
    "rating:adjust-negative-list": _page_list("/rating/adjust/negative-list/"),
    "rating:adjust-downgrade": page_downgrade,
    "rating:adjust-repair-list": _page_list("/rating/adjust/repairs/"),
    "rating:adjust-repair-apply": _page_list("/rating/adjust/repairs/apply/"),
    "rating:adjust-repair-detail": _page_detail("/rating/adjust/repairs/{}/", "repairs", _repair_region),
    "rating:adjust-repair-evidence": page_evidence,
    "rating:adjust-publicity": _page_list("/rating/adjust/publicity/"),
    "rating:villages-home": _page_list("/rating/villages/"),
    "rating:villages-apply": _page_list("/rating/villages/apply/"),
    "rating:villages-criteria": _page_list("/rating/villages/criteria/"),
    "rating:villages-detail": _page_detail("/rating/villages/{}/", "applications", _application_region),
}
