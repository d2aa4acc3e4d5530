"""The demo's rating chapter (contract.md): last year final, this year's notice open in 周庵村, the household AA."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from creditvillage.accounts.models import User
from creditvillage.accounts.services import token_issue
from creditvillage.demo.builder import demo_build
from creditvillage.rating.models import CycleStatus, Notice, NoticeStatus, Objection, Rating, RatingCycle, RatingStatus
from creditvillage.rating.selectors import current_rating
from creditvillage.registry.models import Household

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"


def demo_household() -> Household:
    """The ``household`` login's household."""
    household_id = User.objects.get(username="household").role_assignments.get().household_id
    assert household_id is not None
    return Household.objects.get(pk=household_id)


@pytest.fixture
def built() -> float:
    started = time.perf_counter()
    demo_build()
    return time.perf_counter() - started


def test_demo_has_last_years_final_cycle_and_this_years_open_notice(built: float) -> None:
    last = RatingCycle.objects.filter(year=2025)
    assert last.count() == 2
    assert set(last.values_list("status", flat=True)) == {CycleStatus.FINAL}
    households = Household.objects.filter(region__parent_id__in=["341502204000", "341181100000"])
    finals = Rating.objects.filter(cycle__year=2025, status=RatingStatus.FINAL)
    assert finals.count() == households.count() > 0
    # Every household's registry grade is its current (final) rating.
    for household in households.order_by("pk")[:200]:
        current = current_rating(subject_type="household", subject_id=household.pk)
        assert current is not None
        assert household.grade == current.grade
    own = demo_household()
    current = current_rating(subject_type="household", subject_id=own.pk)
    assert current is not None
    assert current.grade == "AA"
    assert Household.objects.get(pk=own.pk).grade == "AA"
    notice = Notice.objects.get(cycle__year=2026, region_id=ZHOUAN)
    assert notice.status == NoticeStatus.PUBLISHED
    assert Objection.objects.filter(notice=notice).count() == 1


def test_demo_answers_the_contract_endpoints(built: float) -> None:
    token, _ = token_issue(user=User.objects.get(username="township_operator"))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    notices = client.get(f"/api/v1/notices?region={ZHOUAN}").json()["items"]
    assert [n["village_code"] for n in notices] == [ZHOUAN]
    public = Client().get(notices[0]["public_url"].split("testserver", 1)[-1])
    assert public.status_code == 200
    assert "周庵村" in public.content.decode()
    final = client.get("/api/v1/ratings?region=341502204&status=final").json()
    assert final["count"] == Rating.objects.filter(status="final", region_code__startswith="341502204").count() > 1000
    token, _ = token_issue(user=User.objects.get(username="household"))
    mine = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/ratings?status=final").json()
    assert [(i["subject_id"], i["grade"]) for i in mine["items"]] == [(demo_household().pk, "AA")]
    page = Client()
    page.force_login(User.objects.get(username="household"))
    response = page.get("/rating/", follow=True)
    assert response.status_code == 200
    assert 'data-grade="AA"' in response.content.decode()
