from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.fixtures import World

pytestmark = pytest.mark.django_db


def get(world: World, role: str, code: str) -> tuple[int, str]:
    client = Client()
    client.force_login(world.users[role])
    response = client.get(reverse("region-detail", args=[code]))
    return response.status_code, response.content.decode()


def test_township_page_has_breadcrumbs_stats_and_villages_with_coverage(world: World) -> None:
    status, html = get(world, "township_operator", "341502204000")
    assert status == 200
    crumbs = html.split('class="crumbs"')[1].split("</nav>")[0]
    assert "金安区" in crumbs
    assert reverse("region-detail", args=["341502000000"]) not in crumbs  # the county is above this user
    assert 'data-stat="households"><strong>6</strong>' in html
    assert reverse("region-detail", args=["341502204201"]) in html
    assert "100%" in html  # every fixture household is archived
    assert f"{reverse('household-list')}?region=341502204000" in html


def test_county_admin_gets_linked_breadcrumbs_down_from_the_county(world: World) -> None:
    _status, html = get(world, "admin", "341502204201")
    crumbs = html.split('class="crumbs"')[1].split("</nav>")[0]
    assert reverse("region-detail", args=["341502000000"]) in crumbs
    assert reverse("region-detail", args=["341502204000"]) in crumbs
    assert reverse("region-detail", args=["340000000000"]) not in crumbs


def test_region_outside_scope_is_404_like_a_missing_one(world: World) -> None:
    outside, html = get(world, "township_operator", "341181100000")
    missing, _html = get(world, "township_operator", "349999999000")
    assert outside == missing == 404
    assert "没有找到这个页面" in html
