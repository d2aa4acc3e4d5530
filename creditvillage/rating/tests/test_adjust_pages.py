"""Pages and API of adjustment, repair and village rating: render, act, refuse; nothing personal in public."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from creditvillage.core.identifiers import validate_resident_id
from creditvillage.rating.adjust.models import RatingAdjustment, RepairApplication, RepairStatus
from creditvillage.rating.adjust.services import rating_downgrade
from creditvillage.rating.models import NegativeListEntry
from creditvillage.rating.villages.models import CreditRegionApplication
from tests.fixtures import World

from .adjust_helpers import final_rating, list_member
from .test_negative_list_import import workbook

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ID_LIKE = re.compile(r"\d{17}[\dX]")


def login(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(world.users[persona])
    return client


def checksum_valid_ids(text: str) -> list[str]:
    return [m for m in ID_LIKE.findall(text) if validate_resident_id(m).valid]


@pytest.fixture
def vetoed(world: World, settings: object, tmp_path: object) -> NegativeListEntry:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    household = world.household(ZHOUAN, 0)
    final_rating(household, "AA")
    entry = list_member(household)
    rating_downgrade(
        actor=None,
        subject_type="household",
        subject_id=household.pk,
        reason="命中负面清单",
        source="negative_list",
        negative_entry=entry,
    )
    return entry


def test_household_applies_on_a_phone_page_and_operators_decide(world: World, vetoed: NegativeListEntry) -> None:
    household_client = login(world, "household")
    page = household_client.get(reverse("rating:adjust-repair-apply"))
    assert page.status_code == 200
    assert "失信被执行人名单" in page.content.decode()
    response = household_client.post(
        reverse("rating:adjust-repair-apply"),
        {
            "item": f"entry:{vetoed.pk}",
            "evidence_text": "判决已履行完毕，附法院结案通知书。",
            "evidence_file": SimpleUploadedFile("结案.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    application = RepairApplication.objects.get()
    assert household_client.get(reverse("rating:adjust-repair-evidence", args=[application.pk])).status_code == 200
    assert (
        login(world, "sibling_township_operator")
        .get(reverse("rating:adjust-repair-evidence", args=[application.pk]))
        .status_code
        == 404
    )
    detail = reverse("rating:adjust-repair-detail", args=[application.pk])
    # The household cannot review its own application.
    assert household_client.post(detail, {"decision": "approve", "opinion": "ok"}).status_code == 404
    assert login(world, "village_operator").post(detail, {"decision": "approve", "opinion": "属实"}).status_code == 302
    assert login(world, "township_operator").post(detail, {"decision": "approve", "opinion": "同意"}).status_code == 302
    application.refresh_from_db()
    assert application.status == RepairStatus.PUBLICITY
    public = login(world, "village_operator").get(reverse("rating:adjust-publicity")).content.decode()
    assert "户*1" in public
    assert "（2025）皖1502执123号" not in public
    assert checksum_valid_ids(public) == []


def test_negative_list_page_imports_and_masks(world: World) -> None:
    number = world.household(ZHOUAN, 1).members.first().id_number  # type: ignore[union-attr]
    data = workbook([[number, "户主2", "失信被执行人名单", "（2025）皖1502执1号", "2025-01-01", ""]])
    admin = login(world, "admin")
    response = admin.post(
        reverse("rating:adjust-negative-list"),
        {"file": SimpleUploadedFile("list.xlsx", data), "reason": "第1批"},
    )
    assert response.status_code == 302
    assert NegativeListEntry.objects.count() == 1
    assert number in admin.get(reverse("rating:adjust-negative-list")).content.decode()
    regulator_page = login(world, "regulator").get(reverse("rating:adjust-negative-list")).content.decode()
    assert number not in regulator_page
    assert f"{number[:6]}********{number[-4:]}" in regulator_page
    assert login(world, "township_operator").get(reverse("rating:adjust-negative-list")).status_code == 403
    bad = workbook([["123", "某", "来源", "依据", "2025-01-01", ""]])
    page = admin.post(
        reverse("rating:adjust-negative-list"), {"file": SimpleUploadedFile("b.xlsx", bad), "reason": "r"}
    )
    assert page.status_code == 200
    assert "校验位" in page.content.decode()
    assert NegativeListEntry.objects.count() == 1


def test_downgrade_page_and_home(world: World) -> None:
    household = world.household(ZHOUAN, 2)
    final_rating(household, "AA")
    url = reverse("rating:adjust-downgrade", args=[household.pk])
    assert login(world, "village_operator").get(url).status_code == 404
    response = login(world, "township_operator").post(url, {"source": "points", "to_grade": "", "reason": "严重扣分"})
    assert response.status_code == 302
    assert RatingAdjustment.objects.get().to_grade == "A"
    home = login(world, "village_operator").get(reverse("rating:adjust-home")).content.decode()
    assert "信用等级由AA调整为A" in home


def test_api_downgrade_repair_and_village_application(world: World, vetoed: NegativeListEntry) -> None:
    township = login(world, "township_operator")
    final_rating(world.household(ZHOUAN, 1), "A")
    response = township.post(
        "/api/v1/adjustments",
        {
            "subject_type": "household",
            "subject_id": world.household(ZHOUAN, 1).pk,
            "reason": "违约",
            "source": "loan_default",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["grade"] == "D"
    assert len(township.get("/api/v1/adjustments").json()) == 2
    assert login(world, "sibling_township_operator").get("/api/v1/adjustments").json() == []
    household = login(world, "household")
    created = household.post(
        "/api/v1/repairs",
        {
            "household_id": world.household(ZHOUAN, 0).pk,
            "negative_entry_id": vetoed.pk,
            "evidence_text": "已履行判决确定的全部义务",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    repair_id = created.json()["id"]
    refused = township.post(
        f"/api/v1/repairs/{repair_id}/township-decision",
        {"approve": True, "opinion": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 422  # not yet reviewed by the village
    reviewed = login(world, "village_operator").post(
        f"/api/v1/repairs/{repair_id}/village-review",
        {"approve": True, "opinion": "属实"},
        content_type="application/json",
    )
    assert reviewed.json()["status"] == "village_reviewed"
    missing = login(world, "other_township_operator").get(f"/api/v1/repairs/{repair_id}")
    assert missing.status_code == 404
    application = login(world, "village_operator").post(
        "/api/v1/credit-applications",
        {"region": ZHOUAN, "year": 2026, "requested_grade": "A", "no_discipline_declared": True},
        content_type="application/json",
    )
    assert application.status_code == 201
    body = application.json()
    assert body["figures"]["households"] == 3
    assert body["criteria"]["A"][0]["label"] == "A级及以上农户占比"
    assert CreditRegionApplication.objects.count() == 1
    page = login(world, "township_operator").get(reverse("rating:villages-detail", args=[body["id"]]))
    assert page.status_code == 200
    assert "A级及以上农户占比" in page.content.decode()
    assert (
        login(world, "sibling_township_operator").get(reverse("rating:villages-detail", args=[body["id"]])).status_code
        == 404
    )
