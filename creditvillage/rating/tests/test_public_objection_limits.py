"""Objections from the public notice page are capped per mobile number and per notice per hour."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from creditvillage.core.errors import TooManyRequests
from creditvillage.rating import selectors, services
from creditvillage.rating.models import Notice, Objection, Rating
from tests.fixtures import World

pytestmark = pytest.mark.django_db
ZHOUAN = "341502204201"
T0 = dt.datetime(2026, 10, 8, 9, 0, tzinfo=dt.UTC)


def _published(world: World) -> Notice:
    operator = world.users["township_operator"]
    cycle = services.cycle_open(actor=operator, region_code="341502204", year=2026)
    services.cycle_run(actor=operator, cycle=cycle)
    return services.notices_publish(actor=operator, cycle=cycle, villages=[ZHOUAN]).notices[0]


def _object(notice: Notice, phone: str) -> Objection:
    rating = Rating.objects.filter(cycle=notice.cycle, region_code=ZHOUAN).order_by("pk").first()
    assert rating is not None
    return services.objection_file(
        actor=None,
        notice=notice,
        rating=rating,
        text="该户长期拖欠村集体承包费",
        objector_name="李四",
        objector_phone=phone,
        channel="public",
    )


def test_per_phone_then_per_hour(world: World, settings: Any) -> None:
    settings.CV_PUBLIC_OBJECTIONS_PER_PHONE = 2
    settings.CV_PUBLIC_OBJECTIONS_PER_HOUR = 3
    with time_machine.travel(T0, tick=False) as clock:
        notice = _published(world)
        _object(notice, "13912345678")
        _object(notice, "13912345678")
        with pytest.raises(TooManyRequests) as per_phone:
            _object(notice, "139 1234 5678")  # the same number, written differently
        assert per_phone.value.status == 429
        assert "2" in per_phone.value.message
        _object(notice, "13800000001")
        with pytest.raises(TooManyRequests):  # three public objections this hour
            _object(notice, "13800000002")
        assert Objection.objects.count() == 3
        clock.shift(dt.timedelta(minutes=61))
        _object(notice, "13800000002")  # a new hour
        # The household's own login is not capped by the public limits.
        own = world.household(ZHOUAN, 0)
        rating = Rating.objects.filter(cycle=notice.cycle, household_id=own.pk).order_by("-pk").first()
        assert rating is not None
        services.objection_file(
            actor=world.users["household"], notice=notice, rating=rating, text="我家的收入填错了，请核实"
        )
    assert Objection.objects.count() == 5


def test_the_public_page_shows_the_limit_and_writes_nothing(world: World, settings: Any) -> None:
    settings.CV_PUBLIC_OBJECTIONS_PER_PHONE = 1
    with time_machine.travel(T0, tick=False):
        notice = _published(world)
        _object(notice, "13912345678")
        rating = Rating.objects.filter(cycle=notice.cycle, region_code=ZHOUAN).order_by("pk").last()
        assert rating is not None
        page = Client().post(
            selectors.notice_public_path(notice, "rating:notice-object"),
            {"rating": rating.pk, "name": "李四", "phone": "13912345678", "text": "该户长期拖欠村集体承包费"},
        )
    assert page.status_code == 200
    assert "最多提出 1 条异议" in page.content.decode()
    assert Objection.objects.count() == 1
