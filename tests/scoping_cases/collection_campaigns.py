"""Scoping-matrix entries of the campaign pages (A1): create, progress and its export, assignments,
a collector's own list, and data quality per campaign and per village.

Each check seeds (memoised on the matrix) a campaign over each of three townships (横塘岗乡, 木厂镇,
铜城镇), assigns every fixture household of those townships to the ``collector`` persona (so their
list must still show only what their grant reveals), and submits the first household of each
village. Expected visibility is restated from the oracle's grants: campaigns are seen from their
region's subtree and from below; counts follow ``view_stats``; households follow ``view``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps

if TYPE_CHECKING:
    from tests.test_scoping_matrix import Matrix

MISSING = 99_999_994
MISSING_REGION = "341502204299"
TOWNSHIPS = ("341502204000", "341502101000", "341181100000")
QUALITY_ACTIONS = ("change", "verify", "audit")


def _seed(m: Matrix) -> dict[str, Any]:
    cached = getattr(m, "_campaigns_seed", None)
    if cached is not None:
        return cached
    from creditvillage.collection.models import Assignment, Campaign, Submission
    from creditvillage.registry.models import Household

    collector = m.personas["collector"]
    campaigns = {code: Campaign.objects.create(region_id=code, year=2026, name=f"进度{code}") for code in TOWNSHIPS}
    first_of_village: set[str] = set()
    for household in Household.objects.order_by("pk"):
        campaign = campaigns[household.region_id[:9].ljust(12, "0")]
        Assignment.objects.create(campaign=campaign, household=household, collector=collector)
        if household.region_id not in first_of_village:
            first_of_village.add(household.region_id)
            Submission.objects.create(
                campaign=campaign,
                region_id=household.region_id,
                subject_type="household",
                subject_id=household.pk,
                household=household,
                collector=collector,
                state="verified",
            )
    seed = {"campaigns": campaigns}
    m._campaigns_seed = seed  # type: ignore[attr-defined]
    return seed


def _rows() -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for label in ("collection", "registry"):
        for model in apps.get_app_config(label).get_models():
            out[model._meta.label] = list(model._default_manager.order_by("pk").values_list())
    return out


def _grants(m: Matrix, user: Any, action: str) -> list[Any]:
    return [g for g in m.oracle.grants(user, action) if g.bank_id is None and g.merchant_id is None]


def _has(m: Matrix, user: Any, *actions: str) -> bool:
    return user.is_superuser or any(m.oracle.grants(user, action) for action in actions)


def _sees_campaign(m: Matrix, user: Any, campaign: Any) -> bool:
    if user.is_superuser:
        return True
    code = campaign.region_id
    prefix = m.oracle.prefix(code)
    return any(code.startswith(g.prefix) or g.prefix.startswith(prefix) for g in _grants(m, user, "view"))


def _hidden(m: Matrix, user: Any) -> set[int]:
    return set(m.oracle.households) - m.oracle.households_for(user, "view")


def _stats_villages(m: Matrix, user: Any, campaign: Any) -> set[str]:
    """Villages of the campaign with households the user may count (view_stats)."""
    township = m.oracle.prefix(campaign.region_id)
    return {
        m.oracle.households[pk].region_id
        for pk in m.oracle.households_for(user, "view_stats")
        if m.oracle.households[pk].region_id.startswith(township)
    }


def _campaign_get(
    m: Matrix, suffix: str, label: str, allowed: bool, check_ok: Any = None, actions: tuple[str, ...] = ()
) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/collection/campaigns/{MISSING}/{suffix}"
        missing = client.get(missing_path)
        for campaign in seed["campaigns"].values():
            m.calls[label] += 1
            path = f"/collection/campaigns/{campaign.pk}/{suffix}"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, _hidden(m, user))
            if not _has(m, user, *actions):
                if response.status_code != 403:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 403 (action held nowhere)")
                continue
            if _sees_campaign(m, user, campaign):
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                elif check_ok is not None:
                    check_ok(name, user, campaign, response)
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, str(campaign.pk), str(MISSING))


def page_campaign_progress(m: Matrix) -> None:
    def ok(name: str, user: Any, campaign: Any, response: Any) -> None:
        shown = {row.key for row in response.context["progress"].villages}
        expected = _stats_villages(m, user, campaign)
        if shown != expected:
            m.fail(f"{name} progress {campaign.region_id}: villages {sorted(shown)} != {sorted(expected)}")

    _campaign_get(m, "progress/", "GET campaigns/<pk>/progress/", True, ok, ("view_stats",))
    # The region filter: out of scope like a missing region.
    seed = _seed(m)
    campaign = seed["campaigns"]["341502204000"]
    for name, user in m.personas.items():
        if not _has(m, user, "view_stats") or not _sees_campaign(m, user, campaign):
            continue
        client = m.page_clients[name]
        base = f"/collection/campaigns/{campaign.pk}/progress/?region="
        missing = client.get(base + MISSING_REGION)
        visible = m.oracle.regions_for(user, "view")
        for code in m.oracle.regions:
            m.calls["GET campaigns/<pk>/progress/?region"] += 1
            response = client.get(base + code)
            m.check_no_leak(name, f"GET ?region={code}", response, _hidden(m, user))
            if code not in visible:
                m.check_like_missing(name, f"GET ?region={code}", response, missing, code, MISSING_REGION)
            elif response.status_code != 200:
                m.fail(f"{name} GET ?region={code}: {response.status_code}, expected 200")


def page_assignment_mine(m: Matrix) -> None:
    def ok(name: str, user: Any, campaign: Any, response: Any) -> None:
        shown = {item.household_pk for item in response.context["worklist"].items}
        expected = (
            {
                pk
                for pk in m.oracle.households_for(user, "view")
                if m.oracle.households[pk].region_id.startswith(m.oracle.prefix(campaign.region_id))
            }
            if name == "collector"
            else set()
        )
        if not user.is_superuser and shown != expected:
            m.fail(f"{name} mine {campaign.region_id}: {sorted(shown)} != {sorted(expected)}")

    _campaign_get(m, "mine/", "GET campaigns/<pk>/mine/", True, ok, ("change",))


def page_assignment_manage(m: Matrix) -> None:
    def ok(name: str, user: Any, campaign: Any, response: Any) -> None:
        if user.is_superuser:
            return
        managed = m.oracle.regions_for(user, "manage_users")
        form = response.context["assign_form"]
        outside = [g.pk for g in form.fields["grid"].queryset if g.village_id not in managed]
        if outside:
            m.fail(f"{name} assignments {campaign.region_id}: grids outside scope offered {outside}")

    _campaign_get(m, "assignments/", "GET campaigns/<pk>/assignments/", True, ok, ("manage_users",))
    # Refused assignment posts change nothing.
    seed = _seed(m)
    from creditvillage.regions.models import Grid

    grid = Grid.objects.create(village_id="341181100201", name="矩阵网格", number=9)
    campaign = seed["campaigns"]["341181100000"]
    before = _rows()
    for name, user in m.personas.items():
        if user.is_superuser or "341181100201" in m.oracle.regions_for(user, "manage_users"):
            continue
        m.calls["POST campaigns/<pk>/assignments/"] += 1
        response = m.page_clients[name].post(
            f"/collection/campaigns/{campaign.pk}/assignments/",
            {"form": "assign", "by": "grid", "grid": grid.pk, "collector": m.personas["collector"].pk},
        )
        m.check_no_leak(name, "POST assignments", response, _hidden(m, user))
        if response.status_code not in (200, 403, 404):
            m.fail(f"{name} POST assignments out of scope: {response.status_code}")
    if _rows() != before:
        m.fail("refused assignment posts changed rows")


def page_campaign_quality(m: Matrix) -> None:
    def ok(name: str, user: Any, campaign: Any, response: Any) -> None:
        shown = {row.code for row in response.context["rows"]}
        township = m.oracle.prefix(campaign.region_id)
        expected = {
            m.oracle.households[pk].region_id
            for pk in m.oracle.households_for(user, "view")
            if m.oracle.households[pk].region_id.startswith(township)
        }
        if shown != expected:
            m.fail(f"{name} quality {campaign.region_id}: {sorted(shown)} != {sorted(expected)}")

    _campaign_get(m, "quality/", "GET campaigns/<pk>/quality/", True, ok, QUALITY_ACTIONS)


def page_village_quality(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        visible = m.oracle.regions_for(user, "view")
        for campaign in seed["campaigns"].values():
            missing_path = f"/collection/campaigns/{campaign.pk}/quality/{MISSING_REGION}/"
            missing = client.get(missing_path)
            for code in m.oracle.regions:
                if not code.startswith(m.oracle.prefix(campaign.region_id)) or code.endswith("000"):
                    continue
                m.calls["GET campaigns/<pk>/quality/<code>/"] += 1
                path = f"/collection/campaigns/{campaign.pk}/quality/{code}/"
                response = client.get(path)
                m.check_no_leak(name, f"GET {path}", response, _hidden(m, user))
                if not _has(m, user, *QUALITY_ACTIONS):
                    if response.status_code != 403:
                        m.fail(f"{name} GET {path}: {response.status_code}, expected 403")
                elif _sees_campaign(m, user, campaign) and code in visible:
                    if response.status_code != 200:
                        m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                else:
                    m.check_like_missing(name, f"GET {path}", response, missing, code, MISSING_REGION)


def page_campaign_create(m: Matrix) -> None:
    for name, user in m.personas.items():
        client = m.page_clients[name]
        m.calls["GET campaigns/new/"] += 1
        response = client.get("/collection/campaigns/new/")
        if not _has(m, user, "verify"):
            if response.status_code != 403:
                m.fail(f"{name} GET campaigns/new/: {response.status_code}, expected 403")
            continue
        if response.status_code != 200:
            m.fail(f"{name} GET campaigns/new/: {response.status_code}")
            continue
        offered = {r.code for r in response.context["form"].fields["region"].queryset}
        if not user.is_superuser and not offered <= m.oracle.regions_for(user, "verify"):
            m.fail(f"{name} campaigns/new/: regions outside scope offered {sorted(offered)}")
        before = _rows()
        for code in m.oracle.regions:
            if user.is_superuser or code in m.oracle.regions_for(user, "verify"):
                continue
            m.calls["POST campaigns/new/"] += 1
            response = client.post("/collection/campaigns/new/", {"region": code, "year": "2027"})
            if response.status_code not in (200, 404):
                m.fail(f"{name} POST campaigns/new/ region={code}: {response.status_code}")
        if _rows() != before:
            m.fail(f"{name} POST campaigns/new/: an out-of-scope campaign was created")
        m.check_no_leak(name, "POST campaigns/new/", response, _hidden(m, user))


def page_progress_export(m: Matrix) -> None:
    from creditvillage.core.models import Job

    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing = client.post(f"/collection/campaigns/{MISSING}/progress/export/")
        for campaign in seed["campaigns"].values():
            m.calls["POST campaigns/<pk>/progress/export/"] += 1
            jobs = Job.objects.filter(kind="campaign_progress_export").count()
            path = f"/collection/campaigns/{campaign.pk}/progress/export/"
            response = client.post(path)
            if not _has(m, user, "export"):
                if response.status_code != 403:
                    m.fail(f"{name} POST {path}: {response.status_code}, expected 403")
            elif _sees_campaign(m, user, campaign):
                if response.status_code != 302:
                    m.fail(f"{name} POST {path}: {response.status_code}, expected 302 to the job")
                continue
            else:
                m.check_like_missing(name, f"POST {path}", response, missing, str(campaign.pk), str(MISSING))
            if Job.objects.filter(kind="campaign_progress_export").count() != jobs:
                m.fail(f"{name} POST {path}: a refused export created a job")


PAGE_CASES = {
    "collection:campaign-create": page_campaign_create,
    "collection:campaign-progress": page_campaign_progress,
    "collection:campaign-progress-export": page_progress_export,
    "collection:assignment-manage": page_assignment_manage,
    "collection:assignment-mine": page_assignment_mine,
    "collection:campaign-quality": page_campaign_quality,
    "collection:village-quality": page_village_quality,
}


# --- API (``collection.api_campaigns``; active once its router is registered) ---------------------

API = "/api/v1/collection/campaigns"


def _api_campaign_get(m: Matrix, suffix: str, actions: tuple[str, ...]) -> None:
    seed = _seed(m)
    label = f"GET {API}/{{id}}/{suffix}"
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = client.get(f"{API}/{MISSING}/{suffix}")
        for campaign in seed["campaigns"].values():
            m.calls[label] += 1
            path = f"{API}/{campaign.pk}/{suffix}"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, _hidden(m, user))
            if not _has(m, user, *actions):
                if response.status_code != 403:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 403")
            elif _sees_campaign(m, user, campaign):
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, str(campaign.pk), str(MISSING))


def api_progress(m: Matrix) -> None:
    _api_campaign_get(m, "progress", ("view_stats",))
    seed = _seed(m)
    for name, user in m.personas.items():
        if not _has(m, user, "view_stats"):
            continue
        for campaign in seed["campaigns"].values():
            if not _sees_campaign(m, user, campaign):
                continue
            body = m.api_clients[name].get(f"{API}/{campaign.pk}/progress").json()
            shown = {row["key"] for row in body.get("villages", [])}
            expected = _stats_villages(m, user, campaign)
            if shown != expected:
                m.fail(f"{name} API progress {campaign.region_id}: {sorted(shown)} != {sorted(expected)}")


def api_mine(m: Matrix) -> None:
    _api_campaign_get(m, "my-assignments", ("change",))


def api_quality(m: Matrix) -> None:
    _api_campaign_get(m, "quality", QUALITY_ACTIONS)


def api_village_quality(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        visible = m.oracle.regions_for(user, "view")
        for campaign in seed["campaigns"].values():
            missing = client.get(f"{API}/{campaign.pk}/quality/{MISSING_REGION}")
            for code in m.oracle.regions:
                if not code.startswith(m.oracle.prefix(campaign.region_id)) or code.endswith("000"):
                    continue
                m.calls["GET /collection/campaigns/{id}/quality/{code}"] += 1
                path = f"{API}/{campaign.pk}/quality/{code}"
                response = client.get(path)
                m.check_no_leak(name, f"GET {path}", response, _hidden(m, user))
                if not _has(m, user, *QUALITY_ACTIONS):
                    if response.status_code != 403:
                        m.fail(f"{name} GET {path}: {response.status_code}, expected 403")
                elif _sees_campaign(m, user, campaign) and code in visible:
                    if response.status_code != 200:
                        m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                else:
                    m.check_like_missing(name, f"GET {path}", response, missing, code, MISSING_REGION)


def api_campaign_create(m: Matrix) -> None:
    before = _rows()
    for name, user in m.personas.items():
        client = m.api_clients[name]
        for code in m.oracle.regions:
            if user.is_superuser or code in m.oracle.regions_for(user, "verify"):
                continue
            m.calls["POST /collection/campaigns"] += 1
            response = client.post(API, {"region": code, "year": 2027}, content_type="application/json")
            if response.status_code not in (403, 404, 422):
                m.fail(f"{name} POST campaigns region={code}: {response.status_code}")
    if _rows() != before:
        m.fail("POST /collection/campaigns: an out-of-scope campaign was created")


def api_assignment_create(m: Matrix) -> None:
    from creditvillage.regions.models import Grid

    seed = _seed(m)
    grid = Grid.objects.create(village_id="341181100202", name="矩阵网格", number=8)
    campaign = seed["campaigns"]["341181100000"]
    before = _rows()
    for name, user in m.personas.items():
        if user.is_superuser or "341181100202" in m.oracle.regions_for(user, "manage_users"):
            continue
        m.calls["POST /collection/campaigns/{id}/assignments"] += 1
        response = m.api_clients[name].post(
            f"{API}/{campaign.pk}/assignments",
            {"by": "grid", "place_id": grid.pk, "collector_id": m.personas["collector"].pk},
            content_type="application/json",
        )
        if response.status_code not in (403, 404):
            m.fail(f"{name} POST assignments out of scope: {response.status_code}")
    if _rows() != before:
        m.fail("POST assignments: refused calls changed rows")


API_CASES = {
    ("POST", "/api/v1/collection/campaigns"): api_campaign_create,
    ("POST", "/api/v1/collection/campaigns/{campaign_id}/assignments"): api_assignment_create,
    ("GET", "/api/v1/collection/campaigns/{campaign_id}/progress"): api_progress,
    ("GET", "/api/v1/collection/campaigns/{campaign_id}/my-assignments"): api_mine,
    ("GET", "/api/v1/collection/campaigns/{campaign_id}/quality"): api_quality,
    ("GET", "/api/v1/collection/campaigns/{campaign_id}/quality/{village_code}"): api_village_quality,
}
