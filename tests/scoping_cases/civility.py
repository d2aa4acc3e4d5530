"""Scoping-matrix entries of 乡风文明评议 (civility): rounds, results, the round and scoring pages.

Every village of the fixture tree gets a round (closed with results, except 周庵村's, which stays
open with the fixture's ``evaluator`` in its evaluation group), built by the superuser through the
services. A round is visible (``view``) to grants covering its village that name no household,
bank or merchant; managing it (close, steps, members) needs ``change`` there, reopening it
``decide``; the scoring pages need the caller's own place in the evaluation group of an open round.

Evidence photos: each village's first household has one photo. Every round's supervision group
holds the ``auditor`` login and its deliberation group the ``other_township_operator`` login, so
the group rule is checked inside and outside the member's own grants. A photo is seen by ``decide``
over the village, by a group member whose ``view`` still covers the village, and by the
household's own login (``apply`` on it); anyone else gets what a missing one gives.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile

from creditvillage.accounts.models import User
from creditvillage.civility import services
from creditvillage.civility.models import (
    PROCEDURE_STEPS,
    CivilityRound,
    Evaluation,
    GroupKind,
    GroupMember,
    HouseholdResult,
    RoundStatus,
)
from tests.fixtures import VILLAGES

if TYPE_CHECKING:
    from tests.test_scoping_matrix import Matrix

API = "/api/v1"
MISSING_ROUND = 99_999_996
MISSING_EVALUATION = 99_999_995
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
MISSING_HOUSEHOLD = 99_999_999
MISSING_REGION = "341502204299"
OPEN_VILLAGE = "341502204201"  # 周庵村: its round stays open
REFERENCE = "programme-wide reference data (civility schemes): configure only, no regional data"


def _rounds(m: Matrix) -> dict[str, CivilityRound]:
    cached: dict[str, CivilityRound] | None = getattr(m, "_civility_rounds", None)
    if cached is not None:
        return cached
    root = m.personas["superuser"]
    version = services.default_version_ensure()
    rounds: dict[str, CivilityRound] = {}
    for village in VILLAGES:
        round_ = services.round_create(
            actor=root, region_code=village, year=2026, scheme_version=version, reason="矩阵"
        )
        named = [
            services.member_add(actor=root, round=round_, group=GroupKind.EVALUATION, name=f"评议人{i}", reason="矩阵")
            for i in range(2)
        ]
        for index, household in enumerate(m.world.households[village]):
            for member in named:
                photo = SimpleUploadedFile("p.png", PNG, "image/png") if index == 0 and member is named[0] else None
                services.evaluation_submit(
                    actor=root, round=round_, household=household, member=member, marks={}, photo=photo, reason="矩阵"
                )
        for group, persona in ((GroupKind.SUPERVISION, "auditor"), (GroupKind.DELIBERATION, "other_township_operator")):
            services.member_add(actor=root, round=round_, group=group, user=m.personas[persona], reason="矩阵")
        if village == OPEN_VILLAGE:
            services.member_add(
                actor=root, round=round_, group=GroupKind.EVALUATION, user=m.personas["evaluator"], reason="矩阵"
            )
        else:
            for offset, kind in enumerate(PROCEDURE_STEPS[round_.procedure]):
                day = dt.date(2026, 6, 1) + dt.timedelta(days=offset)
                services.step_record(
                    actor=root, round=round_, kind=kind, held_on=day, ends_on=day, expected=3, present=3,
                    attendees="矩阵", minutes="矩阵",
                )  # fmt: skip
            services.round_close(actor=root, round=round_, reason="矩阵")
        rounds[village] = round_
    m._civility_rounds = rounds  # type: ignore[attr-defined]
    return rounds


def _may(m: Matrix, user: User, action: str, village: str) -> bool:
    """Whether ``user`` may ``action`` a round of ``village`` (brute force over the grants)."""
    if user.is_superuser:
        return True
    return any(
        village.startswith(g.prefix) and g.household_id is None and g.bank_id is None and g.merchant_id is None
        for g in m.oracle.grants(user, action)
    )


def _hidden(m: Matrix, user: User, *shown_villages: str) -> set[int]:
    shown = {pk for v in shown_villages for pk in m.oracle.under(v)}
    return set(m.oracle.households) - (m.oracle.households_for(user, "view") | shown)


# --- API ---------------------------------------------------------------------------------------------------------


def api_round_list(m: Matrix) -> None:
    rounds = _rounds(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        visible_regions = m.oracle.regions_for(user, "view")
        missing = client.get(f"{API}/civility/rounds?region={MISSING_REGION}")
        for code in [None, *m.oracle.regions]:
            m.calls["GET /civility/rounds"] += 1
            query = f"?region={code}" if code else ""
            response = client.get(f"{API}/civility/rounds{query}")
            who, what = name, f"GET /civility/rounds{query}"
            m.check_no_leak(who, what, response, set(m.oracle.households))
            if code is not None and code not in visible_regions:
                m.note_relation(user, code)
                m.check_like_missing(who, what, response, missing, code, MISSING_REGION)
                continue
            expected = {
                r.pk
                for village, r in rounds.items()
                if _may(m, user, "view", village) and (code is None or village.startswith(m.oracle.prefix(code)))
            }
            got = {item["id"] for item in response.json()} if response.status_code == 200 else None
            if got != expected:
                m.fail(f"{who} {what}: {response.status_code} rounds {got} != expected {sorted(expected)}")


def api_round_results(m: Matrix) -> None:
    rounds = _rounds(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = client.get(f"{API}/civility/rounds/{MISSING_ROUND}/results")
        for village, round_ in rounds.items():
            m.calls["GET /civility/rounds/{id}/results"] += 1
            m.note_relation(user, village)
            path = f"{API}/civility/rounds/{round_.pk}/results"
            response = client.get(path)
            if _may(m, user, "view", village):
                m.check_no_leak(name, f"GET {path}", response, _hidden(m, user, village))
                expected = set(HouseholdResult.objects.filter(round=round_).values_list("household_id", flat=True))
                got = {i["household_id"] for i in response.json()["items"]} if response.status_code == 200 else None
                if got != expected:
                    m.fail(f"{name} GET {path}: {response.status_code} {got} != {sorted(expected)}")
            else:
                m.check_no_leak(name, f"GET {path}", response, set(m.oracle.households))
                m.check_like_missing(name, f"GET {path}", response, missing, str(round_.pk), str(MISSING_ROUND))


API_CASES: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/civility/rounds"): api_round_list,
    ("GET", "/api/v1/civility/rounds/{round_id}/results"): api_round_results,
}


# --- Pages ------------------------------------------------------------------------------------------------------------


def page_home(m: Matrix) -> None:
    _rounds(m)
    for name, user in m.personas.items():
        m.calls["GET /civility/"] += 1
        response = m.page_clients[name].get("/civility/")
        if response.status_code not in (200, 403):
            m.fail(f"{name} GET /civility/: {response.status_code}")
        m.check_no_leak(name, "GET /civility/", response, _hidden(m, user))


def _round_page(suffix: str, action: str) -> Any:
    """GET ``/civility/rounds/<pk>/<suffix>``: 200 where the actor may ``action`` the round, else as missing."""

    def check(m: Matrix) -> None:
        rounds = _rounds(m)
        for name, user in m.personas.items():
            client = m.page_clients[name]
            missing_path = f"/civility/rounds/{MISSING_ROUND}/{suffix}"
            missing = client.get(missing_path)
            for village, round_ in rounds.items():
                m.calls[f"GET /civility/rounds/<pk>/{suffix}"] += 1
                path = f"/civility/rounds/{round_.pk}/{suffix}"
                response = client.get(path)
                if _may(m, user, action, village):
                    if response.status_code != 200:
                        m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                    m.check_no_leak(name, f"GET {path}", response, _hidden(m, user, village))
                else:
                    m.check_no_leak(name, f"GET {path}", response, _hidden(m, user))
                    m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)

    return check


def _own_place(m: Matrix, user: User, round_: CivilityRound) -> bool:
    return (
        round_.status == "open"
        and GroupMember.objects.filter(round=round_, user=user, group=GroupKind.EVALUATION).exists()
        and _may(m, user, "evaluate", round_.region_id)
    )


def page_score_list(m: Matrix) -> None:
    rounds = _rounds(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        missing_path = f"/civility/rounds/{MISSING_ROUND}/score/"
        missing = client.get(missing_path)
        for village, round_ in rounds.items():
            m.calls["GET /civility/rounds/<pk>/score/"] += 1
            path = f"/civility/rounds/{round_.pk}/score/"
            response = client.get(path)
            if _own_place(m, user, round_):
                if response.status_code != 200:
                    m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                m.check_no_leak(name, f"GET {path}", response, _hidden(m, user, village))
            else:
                m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


def page_score(m: Matrix) -> None:
    rounds = _rounds(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        for village, round_ in rounds.items():
            missing_path = f"/civility/rounds/{round_.pk}/score/{MISSING_HOUSEHOLD}/"
            missing = client.get(missing_path)
            before = set(GroupMember.objects.values_list("pk", "evaluations__pk"))
            # Every household against the open round for its evaluator; otherwise (no place in the
            # group, or a closed round) one household of the village and one elsewhere suffice.
            targets = list(m.oracle.households.items())
            if village != OPEN_VILLAGE or not _own_place(m, user, round_):
                targets = [t for t in targets if t[1].region_id == village][:1] + targets[:1]
            for pk, household in targets:
                m.calls["GET+POST /civility/rounds/<pk>/score/<hh>/"] += 1
                path = f"/civility/rounds/{round_.pk}/score/{pk}/"
                response = client.get(path)
                allowed = _own_place(m, user, round_) and household.region_id == village
                if allowed:
                    if response.status_code != 200:
                        m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                    m.check_no_leak(name, f"GET {path}", response, set(m.oracle.households) - {pk})
                    continue
                m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)
                post = client.post(path, {"item": []})
                if post.status_code != 404:
                    m.fail(f"{name} POST {path}: {post.status_code}, expected 404")
            if set(GroupMember.objects.values_list("pk", "evaluations__pk")) != before:
                m.fail(f"{name}: refused scoring posts changed evaluations")


def page_round_create(m: Matrix) -> None:
    for name, user in m.personas.items():
        client = m.page_clients[name]
        may = user.is_superuser or bool(m.oracle.grants(user, "change"))
        response = client.get("/civility/rounds/new/")
        m.calls["GET+POST /civility/rounds/new/"] += 1
        if response.status_code != (200 if may else 403):
            m.fail(f"{name} GET /civility/rounds/new/: {response.status_code}")
        for village in VILLAGES:
            if _may(m, user, "change", village):
                continue
            before = CivilityRound.objects.count()
            client.post(
                "/civility/rounds/new/",
                {"region": village, "year": "2031", "scheme_version": services.default_version_ensure().pk,
                 "procedure": "3-2-1", "reason": "越权"},
            )  # fmt: skip
            if CivilityRound.objects.count() != before:
                m.fail(f"{name} POST /civility/rounds/new/ for {village}: a round was created out of scope")


def page_member_add(m: Matrix) -> None:
    rounds = _rounds(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        for village, round_ in rounds.items():
            if _may(m, user, "change", village):
                continue
            m.calls["POST /civility/rounds/<pk>/members/add/"] += 1
            before = GroupMember.objects.count()
            response = client.post(
                f"/civility/rounds/{round_.pk}/members/add/", {"group": "supervision", "name": "越权", "reason": "x"}
            )
            if response.status_code != 404 or GroupMember.objects.count() != before:
                m.fail(f"{name} POST members/add/ to round in {village}: {response.status_code}, member added?")


def page_round_reopen(m: Matrix) -> None:
    """GET like the other round pages (``decide``); a refused POST leaves every round as it was."""
    _round_page("reopen/", "decide")(m)
    rounds = _rounds(m)
    for name, user in m.personas.items():
        client = m.page_clients[name]
        for village, round_ in rounds.items():
            if _may(m, user, "decide", village):
                continue
            m.calls["POST /civility/rounds/<pk>/reopen/"] += 1
            before = CivilityRound.objects.get(pk=round_.pk).status
            response = client.post(f"/civility/rounds/{round_.pk}/reopen/", {"reason": "越权"})
            if response.status_code != 404 or CivilityRound.objects.get(pk=round_.pk).status != before:
                m.fail(f"{name} POST reopen/ of round in {village}: {response.status_code}, status changed?")
    if CivilityRound.objects.filter(pk__in=[r.pk for r in rounds.values()], status=RoundStatus.CLOSED).count() != (
        len(rounds) - 1
    ):
        m.fail("refused reopen posts reopened a round")


def _sees_evidence(m: Matrix, user: User, round_: CivilityRound, household_pk: int) -> bool:
    if m.oracle.households[household_pk].region_id != round_.region_id:
        return False
    if _may(m, user, "decide", round_.region_id):
        return True
    in_group = GroupMember.objects.filter(
        round=round_, user=user, group__in=[GroupKind.DELIBERATION, GroupKind.SUPERVISION]
    ).exists()
    if in_group and _may(m, user, "view", round_.region_id):
        return True
    return any(g.household_id == household_pk for g in m.oracle.grants(user, "apply"))


def page_evidence(m: Matrix) -> None:
    rounds = _rounds(m)
    firsts = [m.world.households[v][0].pk for v in VILLAGES]
    for name, user in m.personas.items():
        client = m.page_clients[name]
        for village, round_ in rounds.items():
            missing_path = f"/civility/rounds/{round_.pk}/households/{MISSING_HOUSEHOLD}/evidence/"
            missing = client.get(missing_path)
            for pk in firsts:
                m.calls["GET /civility/rounds/<pk>/households/<hh>/evidence/"] += 1
                path = f"/civility/rounds/{round_.pk}/households/{pk}/evidence/"
                response = client.get(path)
                if _sees_evidence(m, user, round_, pk):
                    if response.status_code != 200:
                        m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                    m.check_no_leak(name, f"GET {path}", response, _hidden(m, user) - {pk})
                else:
                    m.note_relation(user, village)
                    m.check_no_leak(name, f"GET {path}", response, set(m.oracle.households))
                    m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


def page_evidence_photo(m: Matrix) -> None:
    rounds = _rounds(m)
    photos = list(Evaluation.objects.exclude(photo="").values_list("pk", "round_id", "household_id"))
    if len(photos) != len(rounds):
        m.fail(f"evidence fixture: {len(photos)} photos for {len(rounds)} rounds")
    by_pk = {r.pk: r for r in rounds.values()}
    for name, user in m.personas.items():
        client = m.page_clients[name]
        for evaluation_pk, round_pk, household_pk in photos:
            round_ = by_pk[round_pk]
            missing_path = f"/civility/rounds/{round_pk}/evidence/{MISSING_EVALUATION}/photo/"
            missing = client.get(missing_path)
            # the photo under its own round, and its id under another round
            other = next(pk for pk in by_pk if pk != round_pk)
            sees = _sees_evidence(m, user, round_, household_pk)
            for path, allowed in (
                (f"/civility/rounds/{round_pk}/evidence/{evaluation_pk}/photo/", sees),
                (f"/civility/rounds/{other}/evidence/{evaluation_pk}/photo/", False),
            ):
                m.calls["GET /civility/rounds/<pk>/evidence/<id>/photo/"] += 1
                response = client.get(path)
                if allowed:
                    if response.status_code != 200 or response["Content-Type"] != "image/png":
                        m.fail(f"{name} GET {path}: {response.status_code}, expected the PNG")
                    continue
                m.note_relation(user, round_.region_id)
                m.check_like_missing(name, f"GET {path}", response, missing, path, missing_path)


PAGE_CASES: dict[str, Any] = {
    "civility:home": page_home,
    "civility:round-create": page_round_create,
    "civility:round": _round_page("", "view"),
    "civility:relatives": _round_page("relatives/", "view"),
    "civility:steps": _round_page("steps/", "view"),
    "civility:round-close": _round_page("close/", "change"),
    "civility:round-reopen": page_round_reopen,
    "civility:evidence": page_evidence,
    "civility:evidence-photo": page_evidence_photo,
    "civility:member-add": page_member_add,
    "civility:score-list": page_score_list,
    "civility:score": page_score,
    "civility:schemes": REFERENCE,
    "civility:scheme-create": REFERENCE,
    "civility:scheme-import": REFERENCE,
    "civility:version": REFERENCE,
    "civility:version-edit": REFERENCE,
    "civility:version-new": REFERENCE,
    "civility:version-activate": REFERENCE,
}
