"""C12 on public pages: the notice (screen and print), the objection form and the API's public links never
carry a resident ID number, a mobile number or a money figure; expired and superseded links are closed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from creditvillage.core.identifiers import validate_resident_id
from creditvillage.rating import selectors, services
from creditvillage.rating.models import Notice, NoticeStatus, Rating
from tests.fixtures import World

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"
T0 = dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.UTC)
ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
MONEY = re.compile(r"[0-9][0-9,]*(\.[0-9]+)?\s*(元|万元)|¥|￥")


def pii_in(text: str) -> list[str]:
    ids = [m for m in ID_LIKE.findall(text) if validate_resident_id(m).valid]
    return ids + MOBILE.findall(text) + [m.group() for m in MONEY.finditer(text)]


@pytest.fixture
def published(world: World) -> Notice:
    operator = world.users["township_operator"]
    with time_machine.travel(T0, tick=False):
        cycle = services.cycle_open(actor=operator, region_code="341502204", year=2026)
        services.cycle_run(actor=operator, cycle=cycle)
        notice = services.notices_publish(actor=operator, cycle=cycle, villages=[ZHOUAN]).notices[0]
        rating = Rating.objects.filter(cycle=cycle, region_code=ZHOUAN).order_by("pk").first()
        assert rating is not None
        services.objection_file(
            actor=None,
            notice=notice,
            rating=rating,
            text="身份证号341502197001010018，电话13912345678，收入5万元",
            objector_name="李四",
            objector_phone="13912345678",
        )
    return notice


def test_public_pages_carry_no_id_number_phone_or_money(world: World, published: Notice) -> None:
    token = selectors.notice_token(published)
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        client = Client()
        pages = [client.get(f"/rating/p/?t={token}"), client.get(f"/rating/p/objection/?t={token}")]
        staff = Client()
        staff.force_login(world.users["village_operator"])
        pages.append(staff.get(f"/rating/notices/{published.pk}/"))
    for page in pages:
        assert page.status_code == 200
        assert pii_in(page.content.decode()) == []
    public = pages[0].content.decode()
    # Masked names only, every subject listed, and nothing about the objection.
    heads = [h.head_name for h in world.households[ZHOUAN]]
    assert all(name not in public for name in heads)
    assert public.count("户*") == len(heads)
    assert "李四" not in public
    assert "<svg" in public  # the QR code
    assert "@page" in public  # A4 print CSS


def test_the_scan_finds_what_it_looks_for() -> None:
    assert pii_in("341502197001010018 13912345678 5万元") == ["341502197001010018", "13912345678", "5万元"]


def test_an_expired_or_superseded_notice_is_no_longer_shown(world: World, published: Notice) -> None:
    token = selectors.notice_token(published)
    with time_machine.travel(T0 + dt.timedelta(days=7, seconds=1), tick=False):
        assert Client().get(f"/rating/p/?t={token}").status_code == 403
        assert Client().post(f"/rating/p/objection/?t={token}", {"text": "x"}).status_code == 403
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        assert Client().get(f"/rating/p/?t={token}").status_code == 200
        # Deciding the objection lets the village post a corrected version; the old link closes.
        objection = published.objections.get()
        reviewer = world.users["admin"]
        services.objection_decide(actor=reviewer, objection=objection, outcome="upheld", reason="核实无误")
        report = services.notices_publish(
            actor=world.users["township_operator"], cycle=published.cycle, villages=[ZHOUAN]
        )
        assert [n.version for n in report.notices] == [2]
        assert Notice.objects.get(pk=published.pk).status == NoticeStatus.SUPERSEDED
        assert Client().get(f"/rating/p/?t={token}").status_code == 403
        assert Client().get(selectors.notice_public_path(report.notices[0])).status_code == 200
