from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from creditvillage.registry.models import Household
from tests.fixtures import World

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"


def home(world: World, role: str) -> str:
    client = Client()
    client.force_login(world.users[role])
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def stat(html: str, name: str) -> str:
    match = re.search(rf'data-stat="{name}"><strong>([^<]*)</strong>', html)
    assert match, name
    return match.group(1)


def test_township_operator_sees_township_figures_and_villages_to_verify(world: World) -> None:
    Household.objects.filter(pk=world.household(ZHOUAN, 0).pk).update(status="verified", grade="AA")
    html = home(world, "township_operator")
    assert stat(html, "households") == "6"
    assert stat(html, "archived") == "6"
    assert stat(html, "verified") == "1"
    assert stat(html, "credit_subjects") == "1"
    assert 'data-task="verify"' in html
    assert "周庵村" in html
    assert "黄墩村" in html
    assert "东桥村" not in html  # the sibling township
    data = re.search(r'id="chart-grades" type="application/json">(.*?)</script>', html)
    assert data
    grades = json.loads(data.group(1))
    assert grades["data"] == [["AA", 1]]
    assert "echarts.min.js" in html


def test_no_grade_chart_before_any_rating(world: World) -> None:
    html = home(world, "township_operator")
    assert 'id="chart-grades"' not in html
    assert 'id="chart-coverage"' in html


def test_collector_sees_households_still_collecting_first(world: World) -> None:
    Household.objects.filter(pk=world.household(ZHOUAN, 2).pk).update(status="collecting")
    html = home(world, "collector")
    task = html.split('data-task="collect"')[1].split("</article>")[0]
    assert world.household(ZHOUAN, 2).head_name in task
    assert world.household(ZHOUAN, 0).head_name not in task
    assert html.index('data-task="collect"') < html.index('data-stat="households"')


def test_household_user_sees_a_link_to_their_own_archive_only(world: World) -> None:
    html = home(world, "household")
    own = world.household(ZHOUAN, 0)
    assert reverse("household-detail", args=[own.pk]) in html
    assert reverse("household-detail", args=[world.household(ZHOUAN, 1).pk]) not in html
    assert 'data-stat="households"' not in html


def test_bank_officer_sees_the_consenting_household_count(world: World) -> None:
    html = home(world, "bank_officer")
    task = html.split('data-task="consented"')[1].split("</article>")[0]
    assert '<strong class="big-number">1</strong>' in task
    assert "已单独授权本行" in html


def test_merchant_gets_an_honest_placeholder(world: World) -> None:
    html = home(world, "merchant")
    assert 'data-task="merchant"' in html
    assert "后续版本" in html
    assert 'data-stat="households"' not in html
    assert reverse("household-list") not in html  # no archive link in the header either


def test_user_without_roles_gets_a_friendly_message(world: World) -> None:
    html = home(world, "nobody")
    assert 'data-testid="no-roles"' in html
    assert "还没有分配角色" in html


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_superuser_without_roles_starts_from_the_top_of_the_tree(world: World) -> None:
    html = home(world, "superuser")
    assert stat(html, "households") == "18"
    assert reverse("region-detail", args=["340000000000"]) in html
    assert 'data-testid="no-roles"' not in html
