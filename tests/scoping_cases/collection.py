"""Scoping-matrix entries of collection and verification (submissions, verification, spot checks).

Each check first seeds (memoised on the matrix) a campaign over each of three townships (横塘岗乡,
木厂镇, 铜城镇) and one submitted submission per fixture household in those townships, plus one
spot-check draw per village of 横塘岗乡. Expected visibility is restated here by brute force from
the oracle's grants: submissions follow the household (region subtree, narrowed to the household
for a household grant, nothing for banks and merchants); campaigns are seen from their region's
subtree and from below (a village collector sees the township's campaign).

Campaign-progress, assignment and quality pages (A1) and the import pages (B) add their own
modules beside this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import transaction

from tests.scoping import response_text

if TYPE_CHECKING:
    from tests.test_scoping_matrix import Matrix

API = "/api/v1"
MISSING = 99_999_995
MISSING_REGION = "341502204299"
TOWNSHIPS = ("341502204000", "341502101000", "341181100000")


def _seed(m: Matrix) -> dict[str, Any]:
    cached = getattr(m, "_collection_seed", None)
    if cached is not None:
        return cached
    from creditvillage.collection import archive
    from creditvillage.collection.models import Campaign, SpotCheck, Submission
    from creditvillage.registry.models import Household

    campaigns = {}
    for code in TOWNSHIPS:
        campaigns[code] = Campaign.objects.create(region_id=code, year=2026, name=f"建档{code}")
    submissions = []
    for household in Household.objects.order_by("pk"):
        township = household.region_id[:9].ljust(12, "0")
        base = archive.archive_data(household)
        data = {**base, "household": {**base["household"], "address": f"矩阵{household.pk}号"}}
        submissions.append(
            Submission.objects.create(
                campaign=campaigns[township],
                region_id=household.region_id,
                subject_type="household",
                subject_id=household.pk,
                household=household,
                state="submitted",
                data=data,
                base=base,
                base_version=household.version,
            )
        )
    checks = []
    for village in ("341502204201", "341502204202", "341502101201"):
        township = village[:9].ljust(12, "0")
        sample = [s.pk for s in submissions if s.region_id == village][:1]
        checks.append(
            SpotCheck.objects.create(
                campaign=campaigns[township], village_id=village, ratio="0.5", seed="m", population=3, sample=sample
            )
        )
    seed = {"campaigns": campaigns, "submissions": submissions, "checks": checks}
    m._collection_seed = seed  # type: ignore[attr-defined]
    return seed


def _rows() -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for label in ("collection", "registry"):
        for model in apps.get_app_config(label).get_models():
            out[model._meta.label] = list(model._default_manager.order_by("pk").values_list())
    return out


def _grants(m: Matrix, user: Any, action: str) -> list[Any]:
    return [g for g in m.oracle.grants(user, action) if g.bank_id is None and g.merchant_id is None]


def _has(m: Matrix, user: Any, action: str) -> bool:
    return user.is_superuser or bool(m.oracle.grants(user, action))


def _sees_submission(m: Matrix, user: Any, submission: Any, action: str) -> bool:
    if user.is_superuser:
        return True
    return any(
        submission.region_id.startswith(g.prefix)
        and (g.household_id is None or g.household_id == submission.household_id)
        for g in _grants(m, user, action)
    )


def _sees_campaign(m: Matrix, user: Any, campaign: Any) -> bool:
    if user.is_superuser:
        return True
    code = campaign.region_id
    prefix = m.oracle.prefix(code)
    return any(code.startswith(g.prefix) or g.prefix.startswith(prefix) for g in _grants(m, user, "view"))


def _sees_household(m: Matrix, user: Any, household_id: int, action: str) -> bool:
    if user.is_superuser:
        return True
    household = m.oracle.households[household_id]
    return any(
        household.region_id.startswith(g.prefix) and (g.household_id is None or g.household_id == household_id)
        for g in _grants(m, user, action)
    )


def _hidden(m: Matrix, user: Any, *keep: int) -> set[int]:
    return set(m.oracle.households) - m.oracle.households_for(user, "view") - set(keep)


# --- API ------------------------------------------------------------------------------------------


def api_submission_list(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        visible = {s.pk for s in seed["submissions"] if _sees_submission(m, user, s, "view")}
        m.calls["GET /collection/submissions"] += 1
        response = client.get(f"{API}/collection/submissions")
        m.check_no_leak(name, "GET /collection/submissions", response, _hidden(m, user))
        ids = {item["id"] for item in response.json().get("items", [])} if response.status_code == 200 else set()
        if response.status_code != 200 or ids != visible:
            m.fail(f"{name} GET /collection/submissions: {response.status_code} {sorted(ids)} != {sorted(visible)}")
        missing = client.get(f"{API}/collection/submissions?village={MISSING_REGION}")
        visible_regions = m.oracle.regions_for(user, "view")
        for code in m.oracle.regions:
            m.calls["GET /collection/submissions?village"] += 1
            response = client.get(f"{API}/collection/submissions?village={code}")
            if code not in visible_regions:
                m.check_like_missing(name, f"GET ?village={code}", response, missing, code, MISSING_REGION)
                continue
            expected = {pk for pk in visible if seed_region(seed, pk).startswith(m.oracle.prefix(code))}
            ids = {item["id"] for item in response.json()["items"]} if response.status_code == 200 else set()
            if ids != expected:
                m.fail(f"{name} GET /collection/submissions?village={code}: {sorted(ids)} != {sorted(expected)}")
        missing = client.get(f"{API}/collection/submissions?campaign={MISSING}")
        for campaign in seed["campaigns"].values():
            m.calls["GET /collection/submissions?campaign"] += 1
            response = client.get(f"{API}/collection/submissions?campaign={campaign.pk}")
            if not _sees_campaign(m, user, campaign):
                m.check_like_missing(
                    name, f"GET ?campaign={campaign.pk}", response, missing, str(campaign.pk), str(MISSING)
                )


def seed_region(seed: dict[str, Any], pk: int) -> str:
    return next(s.region_id for s in seed["submissions"] if s.pk == pk)


def api_submission_detail(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = client.get(f"{API}/collection/submissions/{MISSING}")
        for s in seed["submissions"]:
            m.calls["GET /collection/submissions/{id}"] += 1
            path = f"{API}/collection/submissions/{s.pk}"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, _hidden(m, user, s.household_id))
            if _sees_submission(m, user, s, "view"):
                if response.status_code != 200 or response.json()["id"] != s.pk:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, str(s.pk), str(MISSING))


def _api_decision(m: Matrix, verb: str, body: dict[str, Any]) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = client.post(
            f"{API}/collection/submissions/{MISSING}/{verb}", {**body, "version": 1}, content_type="application/json"
        )
        before = _rows()
        allowed_any = False
        for s in seed["submissions"]:
            m.calls[f"POST /collection/submissions/{{id}}/{verb}"] += 1
            path = f"{API}/collection/submissions/{s.pk}/{verb}"
            payload = {**body, "version": s.version}
            if _sees_submission(m, user, s, "verify"):
                allowed_any = True
                with transaction.atomic():
                    response = client.post(path, payload, content_type="application/json")
                    transaction.set_rollback(True)
                if response.status_code != 200:
                    m.fail(f"{name} POST {path}: permitted decision answered {response.status_code}")
                continue
            response = client.post(path, payload, content_type="application/json")
            m.check_no_leak(name, f"POST {path}", response, _hidden(m, user))
            m.check_like_missing(name, f"POST {path}", response, missing, str(s.pk), str(MISSING))
        if _rows() != before:
            m.fail(f"{name} POST /{verb}: refused decisions changed rows")
        if user.is_superuser and not allowed_any:
            m.fail(f"{name}: superuser could verify nothing")


def api_submission_verify(m: Matrix) -> None:
    _api_decision(m, "verify", {})


def api_submission_return(m: Matrix) -> None:
    _api_decision(m, "return", {"reasons": {"_all": "矩阵退回"}})


API_CASES = {
    ("GET", "/api/v1/collection/submissions"): api_submission_list,
    ("GET", "/api/v1/collection/submissions/{submission_id}"): api_submission_detail,
    ("POST", "/api/v1/collection/submissions/{submission_id}/verify"): api_submission_verify,
    ("POST", "/api/v1/collection/submissions/{submission_id}/return"): api_submission_return,
}


# --- Pages ----------------------------------------------------------------------------------------


def page_home(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        m.calls["GET /collection/"] += 1
        response = m.page_clients[name].get("/collection/")
        if not (_has(m, user, "view") or _has(m, user, "apply")):
            if response.status_code != 403:
                m.fail(f"{name} GET /collection/: {response.status_code}, expected 403")
            continue
        text = response_text(response)
        m.check_no_leak(name, "GET /collection/", response, _hidden(m, user))
        shown = {c.name for c in seed["campaigns"].values() if c.name in text}
        expected = {c.name for c in seed["campaigns"].values() if _sees_campaign(m, user, c)}
        if response.status_code != 200 or shown != expected:
            m.fail(f"{name} GET /collection/: {response.status_code} campaigns {sorted(shown)} != {sorted(expected)}")


def _campaign_page(m: Matrix, suffix: str, action: str, label: str) -> None:
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
            if _has(m, user, action) and _sees_campaign(m, user, campaign):
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                continue
            m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


def page_collect_list(m: Matrix) -> None:
    _campaign_page(m, "collect/", "change", "GET /collection/campaigns/<pk>/collect/")
    seed = _seed(m)
    campaign = seed["campaigns"]["341502204000"]
    for name, user in m.personas.items():
        if not (_has(m, user, "change") and _sees_campaign(m, user, campaign)):
            continue
        text = response_text(m.page_clients[name].get(f"/collection/campaigns/{campaign.pk}/collect/"))
        for pk in m.oracle.households:
            shown = f"/households/{pk}/" in text
            if shown != (
                _sees_household(m, user, pk, "change") and m.oracle.households[pk].region_id.startswith("341502204")
            ):
                m.fail(f"{name} collect list: household {pk} shown={shown}")


def page_verify_queue(m: Matrix) -> None:
    _campaign_page(m, "verify/", "verify", "GET /collection/campaigns/<pk>/verify/")
    seed = _seed(m)
    for name, user in m.personas.items():
        for campaign in seed["campaigns"].values():
            if not (_has(m, user, "verify") and _sees_campaign(m, user, campaign)):
                continue
            text = response_text(m.page_clients[name].get(f"/collection/campaigns/{campaign.pk}/verify/"))
            shown = {s.pk for s in seed["submissions"] if f'data-submission="{s.pk}"' in text}
            expected = {
                s.pk
                for s in seed["submissions"]
                if s.campaign_id == campaign.pk and _sees_submission(m, user, s, "verify")
            }
            if shown != expected:
                m.fail(f"{name} verify queue {campaign.pk}: {sorted(shown)} != {sorted(expected)}")
        # Closing a village out of scope changes nothing.
        before = _rows()
        for campaign in seed["campaigns"].values():
            for village in ("341502204201", "341502101201", "341181100201"):
                m.page_clients[name].post(
                    f"/collection/campaigns/{campaign.pk}/verify/", {"action": "close", "village": village}
                )
        if _rows() != before:
            m.fail(f"{name}: closing villages changed rows (every village has unverified submissions)")


def page_spot_check_list(m: Matrix) -> None:
    _campaign_page(m, "spot-checks/", "audit", "GET /collection/campaigns/<pk>/spot-checks/")
    seed = _seed(m)
    for name in m.personas:
        before = _rows()
        for campaign in seed["campaigns"].values():
            for village in ("341502204201", "341502101201", "341181100201"):
                m.page_clients[name].post(
                    f"/collection/campaigns/{campaign.pk}/spot-checks/", {"village": village, "ratio": "1", "seed": "x"}
                )
        if _rows() != before:
            m.fail(f"{name}: spot-check draws changed rows (nothing is verified, so none may be drawn)")


def page_declare(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/collection/campaigns/{MISSING}/declare/"
        missing = client.get(missing_path)
        for campaign in seed["campaigns"].values():
            m.calls["GET /collection/campaigns/<pk>/declare/"] += 1
            path = f"/collection/campaigns/{campaign.pk}/declare/"
            response = client.get(path)
            own = [g.household_id for g in m.oracle.grants(user, "apply") if g.household_id is not None]
            m.check_no_leak(name, f"GET {path}", response, _hidden(m, user))
            if own and _sees_campaign(m, user, campaign):
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                continue
            if user.is_superuser:
                continue  # a superuser holds no household of its own: 404 for every campaign
            m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


def page_submission_form(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/collection/campaigns/{MISSING}/households/{MISSING}/"
        missing_get = client.get(missing_path)
        missing_post = client.post(missing_path, {"action": "save"})
        before = _rows()
        for campaign in seed["campaigns"].values():
            prefix = campaign.region_id[:9]
            for pk in m.oracle.households:
                m.calls["GET+POST /collection/campaigns/<pk>/households/<pk>/"] += 1
                path = f"/collection/campaigns/{campaign.pk}/households/{pk}/"
                allowed = (
                    _has(m, user, "change")
                    and _sees_campaign(m, user, campaign)
                    and _sees_household(m, user, pk, "change")
                    and m.oracle.households[pk].region_id.startswith(prefix)
                )
                get = client.get(path)
                m.check_no_leak(name, f"GET {path}", get, _hidden(m, user, pk))
                if allowed:
                    if get.status_code != 200:
                        m.fail(f"{name} GET {path}: {get.status_code}, expected 200")
                    continue
                m.check_like_missing(name, f"GET {path}", get, missing_get, path, missing_path)
                post = client.post(path, {"action": "save", "household-address": "越权"})
                m.check_like_missing(name, f"POST {path}", post, missing_post, path, missing_path)
        if _rows() != before:
            m.fail(f"{name}: refused collection posts changed rows")


def page_submission_detail(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/collection/submissions/{MISSING}/"
        missing_get = client.get(missing_path)
        missing_post = client.post(missing_path, {"action": "verify", "version": "1"})
        before = _rows()
        for s in seed["submissions"]:
            m.calls["GET+POST /collection/submissions/<pk>/"] += 1
            path = f"/collection/submissions/{s.pk}/"
            get = client.get(path)
            m.check_no_leak(name, f"GET {path}", get, _hidden(m, user, s.household_id))
            if _sees_submission(m, user, s, "view"):
                if get.status_code != 200:
                    m.fail(f"{name} GET {path}: {get.status_code}, expected 200")
                continue
            m.check_like_missing(name, f"GET {path}", get, missing_get, path, missing_path)
            for action in ("verify", "return", "confirm", "reopen"):
                post = client.post(path, {"action": action, "version": s.version, "reason-_all": "x", "reason": "x"})
                m.check_like_missing(name, f"POST {path} {action}", post, missing_post, path, missing_path)
        if _rows() != before:
            m.fail(f"{name}: refused decisions changed rows")


def page_spot_check_detail(m: Matrix) -> None:
    seed = _seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/collection/spot-checks/{MISSING}/"
        missing = client.get(missing_path)
        for check in seed["checks"]:
            m.calls["GET /collection/spot-checks/<pk>/"] += 1
            path = f"/collection/spot-checks/{check.pk}/"
            response = client.get(path)
            m.check_no_leak(name, f"GET {path}", response, _hidden(m, user))
            visible = user.is_superuser or any(check.village_id.startswith(g.prefix) for g in _grants(m, user, "audit"))
            if visible:
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                continue
            m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


ORG_VILLAGES = ("341502204201", "341502204202", "341502101201", "341181100201")


def _org_seed(m: Matrix) -> list[tuple[str, Any]]:
    """One business entity and one collective per village above (memoised): ``(subject_type, row)``."""
    cached = getattr(m, "_collection_org_seed", None)
    if cached is not None:
        return cached
    from creditvillage.core.identifiers import uscc_check_char
    from creditvillage.registry.models import BusinessEntity, Collective

    def uscc(prefix: str, n: int) -> str:
        body = f"{prefix}MA7C{n:05d}"
        return body + uscc_check_char(body)

    rows: list[tuple[str, Any]] = []
    for i, village in enumerate(ORG_VILLAGES):
        rows.append(
            (
                "entity",
                BusinessEntity.objects.create(
                    region_id=village,
                    name=f"矩阵农场{i}",
                    uscc=uscc("93341502", 100 + i),
                    kind="family_farm",
                    legal_rep_name="矩阵",
                ),
            )
        )
        rows.append(
            (
                "collective",
                Collective.objects.create(
                    region_id=village, name=f"矩阵合作社{i}", uscc=uscc("N2341502", 200 + i), legal_rep_name="矩阵"
                ),
            )
        )
    m._collection_org_seed = rows  # type: ignore[attr-defined]
    return rows


def _may_collect_org(m: Matrix, user: Any, campaign: Any, region_id: str) -> bool:
    if not (_has(m, user, "change") and _sees_campaign(m, user, campaign)):
        return False
    if not region_id.startswith(campaign.region_id[:9]):
        return False
    return user.is_superuser or any(
        region_id.startswith(g.prefix) and g.household_id is None for g in _grants(m, user, "change")
    )


def page_organisation_list(m: Matrix) -> None:
    _campaign_page(m, "organisations/", "change", "GET /collection/campaigns/<pk>/organisations/")
    seed, orgs = _seed(m), _org_seed(m)
    for name, user in m.personas.items():
        for campaign in seed["campaigns"].values():
            if not (_has(m, user, "change") and _sees_campaign(m, user, campaign)):
                continue
            text = response_text(m.page_clients[name].get(f"/collection/campaigns/{campaign.pk}/organisations/"))
            for kind, row in orgs:
                shown = f"/organisations/{kind}/{row.pk}/" in text
                if shown != _may_collect_org(m, user, campaign, row.region_id):
                    m.fail(f"{name} organisation list {campaign.pk}: {kind} {row.pk} shown={shown}")


def page_organisation_form(m: Matrix) -> None:
    seed, orgs = _seed(m), _org_seed(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/collection/campaigns/{MISSING}/organisations/entity/{MISSING}/"
        missing_get = client.get(missing_path)
        missing_post = client.post(missing_path, {"action": "save"})
        before = _rows()
        for campaign in seed["campaigns"].values():
            for kind, row in orgs:
                m.calls["GET+POST /collection/campaigns/<pk>/organisations/<kind>/<pk>/"] += 1
                path = f"/collection/campaigns/{campaign.pk}/organisations/{kind}/{row.pk}/"
                get = client.get(path)
                m.check_no_leak(name, f"GET {path}", get, _hidden(m, user))
                if _may_collect_org(m, user, campaign, row.region_id):
                    if get.status_code != 200:
                        m.fail(f"{name} GET {path}: {get.status_code}, expected 200")
                    continue
                m.check_like_missing(name, f"GET {path}", get, missing_get, path, missing_path)
                post = client.post(path, {"action": "submit", "org-name": "越权", "org-legal_rep_name": "越权"})
                m.check_like_missing(name, f"POST {path}", post, missing_post, path, missing_path)
        if _rows() != before:
            m.fail(f"{name}: refused entity/collective posts changed rows")


PAGE_CASES = {
    "collection:organisation-list": page_organisation_list,
    "collection:organisation-form": page_organisation_form,
    "collection:home": page_home,
    "collection:collect-list": page_collect_list,
    "collection:submission-form": page_submission_form,
    "collection:declare": page_declare,
    "collection:verify-queue": page_verify_queue,
    "collection:spot-check-list": page_spot_check_list,
    "collection:submission-detail": page_submission_detail,
    "collection:spot-check-detail": page_spot_check_detail,
    "collection:field-validate": "no regional data: validates a posted value (ID, mobile, amount) only",
}
