from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from creditvillage.accounts import services as account_services
from creditvillage.civility import services
from creditvillage.civility.tests.helpers import ZHOUAN, open_round, record_all_steps, score
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def api(world: World, name: str) -> Client:
    token, _expires = account_services.token_issue(user=world.users[name])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_rounds_list_and_results(world: World) -> None:
    round_, members = open_round(world, evaluators=4)
    household = world.household(ZHOUAN, 1)
    for member, texts in zip(members, [(), ("参与赌博被查处",), ("参加村民会议和村级事务",), ()], strict=True):
        score(member, household, *texts)
    client = api(world, "regulator")
    listing = client.get("/api/v1/civility/rounds?region=341502204").json()
    assert [(r["id"], r["status"], r["year"], r["region_name"]) for r in listing] == [
        (round_.pk, "open", 2026, "周庵村")
    ]
    before_close = client.get(f"/api/v1/civility/rounds/{round_.pk}/results").json()
    assert before_close["items"] == []
    record_all_steps(world, round_)
    services.round_close(actor=world.users["township_operator"], round=round_, reason="结束")
    body = client.get(f"/api/v1/civility/rounds/{round_.pk}/results").json()
    assert body["round"]["status"] == "closed"
    assert [(i["household_id"], Decimal(str(i["score"])), i["evaluators"], i["vetoed"]) for i in body["items"]] == [
        (household.pk, Decimal("24.00"), 4, False)  # 25, 24, 24, 21 → drop 25 and 21
    ]


def test_out_of_scope_is_404_like_missing(world: World) -> None:
    round_, _members = open_round(world)
    client = api(world, "other_township_operator")
    hidden = client.get(f"/api/v1/civility/rounds/{round_.pk}/results")
    missing = client.get("/api/v1/civility/rounds/99999999/results")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert client.get("/api/v1/civility/rounds").json() == []
    assert client.get("/api/v1/civility/rounds?region=341502204201").status_code == 404
    assert api(world, "household").get("/api/v1/civility/rounds").json() == []
    assert api(world, "bank_officer").get(f"/api/v1/civility/rounds/{round_.pk}/results").status_code == 404
