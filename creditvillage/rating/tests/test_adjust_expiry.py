"""The daily job: negative items expire after 5 years and the subject is re-scored; idempotent."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from creditvillage.core.models import AuditEvent
from creditvillage.rating.adjust.models import RatingAdjustment
from creditvillage.rating.adjust.services import rating_downgrade
from creditvillage.rating.adjust.tasks import expire_negative_items
from creditvillage.rating.selectors import current_rating
from creditvillage.registry.models import Household
from tests.fixtures import World

from .adjust_helpers import engine_grade, final_rating, list_member

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"


def test_entries_and_adjustments_expire_after_five_years(world: World) -> None:
    listed = timezone.localdate() - dt.timedelta(days=100)
    vetoed = world.household(ZHOUAN, 0)
    final_rating(vetoed, "AA")
    entry = list_member(vetoed, listed_on=listed)
    rating_downgrade(
        actor=None,
        subject_type="household",
        subject_id=vetoed.pk,
        reason="命中",
        source="negative_list",
        negative_entry=entry,
    )
    defaulted = world.household(ZHOUAN, 1)
    final_rating(defaulted, "A")
    rating_downgrade(
        actor=None,
        subject_type="household",
        subject_id=defaulted.pk,
        reason="违约",
        source="loan_default",
        occurred_on=listed,
    )
    # Nothing is due today.
    out = io.StringIO()
    call_command("expire_negative_items", stdout=out)
    assert out.getvalue().strip() == "entries_expired=0 adjustments_expired=0 rescored=0 repairs_effective=0"
    # Five years after listing, both expire and both subjects are re-scored.
    later = entry.expires_on
    out = io.StringIO()
    with time_machine.travel(dt.datetime.combine(later, dt.time(12), tzinfo=dt.UTC), tick=False):
        call_command("expire_negative_items", stdout=out)
        assert out.getvalue().strip() == "entries_expired=1 adjustments_expired=2 rescored=2 repairs_effective=0"
        assert RatingAdjustment.objects.filter(expired_at__isnull=True).count() == 0
        for household in (vetoed, defaulted):
            rating = current_rating(subject_type="household", subject_id=household.pk)
            assert rating is not None
            grade = engine_grade(household)
            assert grade != "D"
            assert (rating.grade, rating.vetoed, rating.version) == (grade, False, 3)
            assert Household.objects.get(pk=household.pk).grade == grade
    assert AuditEvent.objects.filter(action="negative_entry.expired").count() == 1
    assert AuditEvent.objects.filter(action="adjustment.expired").count() == 2
    assert AuditEvent.objects.filter(action="rating.rescored").count() == 2
    # Idempotent: a second run (the task this time) changes nothing.
    counts = expire_negative_items.enqueue(later.isoformat()).return_value
    assert counts == {"entries": 0, "adjustments": 0, "rescored": 0, "repairs_effective": 0}
    assert AuditEvent.objects.filter(action="rating.rescored").count() == 2


def test_an_expired_adjustment_no_longer_current_is_not_rescored(world: World) -> None:
    household = world.household(ZHOUAN, 0)
    final_rating(household, "AAA")
    listed = timezone.localdate() - dt.timedelta(days=10)
    rating_downgrade(
        actor=None,
        subject_type="household",
        subject_id=household.pk,
        reason="扣分",
        source="points",
        occurred_on=listed,
    )
    later = rating_downgrade(
        actor=None, subject_type="household", subject_id=household.pk, reason="违约", source="loan_default"
    )
    day = listed.replace(year=listed.year + 5)
    call_command("expire_negative_items", "--date", day.isoformat(), stdout=io.StringIO())
    # Only the points adjustment expired; the loan default still holds the current grade.
    assert RatingAdjustment.objects.filter(expired_at__isnull=False).values_list("source", flat=True).get() == "points"
    assert current_rating(subject_type="household", subject_id=household.pk) == later
