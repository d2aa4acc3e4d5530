"""The demo's adjustment and credit-village chapters: a downgrade, a repair and an application in progress."""

from __future__ import annotations

import time

import pytest

from creditvillage.demo.builder import demo_build
from creditvillage.rating.adjust.models import RatingAdjustment, RepairApplication, RepairStatus, VillageNotification
from creditvillage.rating.models import NegativeListEntry
from creditvillage.rating.selectors import current_rating
from creditvillage.rating.villages.models import CreditRegionApplication, CreditRegionStatus

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"


def test_demo_has_a_downgrade_a_repair_and_a_credit_village_application() -> None:
    started = time.perf_counter()
    demo_build()
    seconds = time.perf_counter() - started
    assert NegativeListEntry.objects.count() == 3
    adjustment = RatingAdjustment.objects.get(source="negative_list")  # lending adds a loan default
    assert (adjustment.region_code, adjustment.source, adjustment.to_grade) == (ZHOUAN, "negative_list", "D")
    assert adjustment.reason == "命中负面清单：最高人民法院失信被执行人名单"
    rating = current_rating(subject_type="household", subject_id=adjustment.subject_id)
    assert rating is not None
    assert rating.grade == "D"
    assert VillageNotification.objects.filter(household_id=adjustment.household_id, kind="downgrade").count() == 1
    repair = RepairApplication.objects.get()
    assert (repair.household_id, repair.status) == (adjustment.household_id, RepairStatus.VILLAGE_REVIEWED)
    application = CreditRegionApplication.objects.get()
    assert (application.region_id, application.status) == (ZHOUAN, CreditRegionStatus.SUBMITTED)
    assert application.figures["households"] > 0
    assert seconds < 120  # the whole demo, on a loaded machine
