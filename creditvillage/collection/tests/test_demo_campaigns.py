"""The demo's collection chapter: the 2026 campaign in 横塘岗乡 in the states the contract asks for."""

from __future__ import annotations

import datetime as dt

import pytest

from creditvillage.accounts.models import User
from creditvillage.collection import archive
from creditvillage.collection.demo import archive_rows
from creditvillage.collection.models import ArchiveSnapshot, Assignment, Campaign, Submission, VillageClosure
from creditvillage.collection.progress import campaign_progress, collector_worklist
from creditvillage.collection.quality import village_quality
from creditvillage.core.models import AuditEvent
from creditvillage.demo import steps
from creditvillage.demo.builder import demo_build
from creditvillage.registry.models import Household

pytestmark = pytest.mark.django_db

ZHOUAN = "341502204201"


def test_demo_campaign_states(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only this chapter: the later ones (civility, scoring, rating, lending) are tested by their apps.
    monkeypatch.setattr(steps, "STEPS", ["creditvillage.collection.demo"])
    demo_build()
    campaign = Campaign.objects.get(region_id="341502204000", year=2026)
    assert (campaign.civility_due, campaign.archives_due, campaign.ratings_due) == (
        dt.date(2026, 6, 30),
        dt.date(2026, 7, 31),
        dt.date(2026, 9, 30),
    )
    operator = User.objects.get(username="township_operator")
    collector = User.objects.get(username="collector")

    # Every household of the township is assigned; 周庵村 to the demo collector and a second one.
    assert (
        Assignment.objects.filter(campaign=campaign).count()
        == Household.objects.filter(region__parent_id="341502204000").count()
    )
    zhouan_collectors = set(
        Assignment.objects.filter(household__region_id=ZHOUAN).values_list("collector__username", flat=True)
    )
    assert zhouan_collectors == {"collector", "collector_zhouan2"}
    assert set(Assignment.objects.filter(collector=collector).values_list("household__region_id", flat=True)) == {
        ZHOUAN
    }
    assert User.objects.filter(assignments__campaign=campaign).distinct().count() == 13

    # Closed villages: every submission verified, with a snapshot, the household marked verified.
    closed = set(VillageClosure.objects.filter(campaign=campaign, reopened_at__isnull=True).values_list(
        "village__name", flat=True
    ))  # fmt: skip
    assert closed == {"黄墩村", "缸窑村", "金公庙村"}
    for name in closed:
        households = Household.objects.filter(region__name=name)
        states = set(Submission.objects.filter(campaign=campaign, region__name=name).values_list("state", flat=True))
        assert states == {"verified"}, name
        assert Submission.objects.filter(campaign=campaign, region__name=name).count() == households.count()
        assert set(households.values_list("status", flat=True)) == {"verified"}, name
    verified = Submission.objects.filter(campaign=campaign, state="verified")
    assert ArchiveSnapshot.objects.filter(campaign=campaign).count() == verified.count()
    assert not verified.filter(snapshots__isnull=True).exists()
    assert not Household.objects.filter(submissions__in=verified).exclude(status="verified").exists()

    # Returned with reasons, through the service (audited).
    returned = Submission.objects.filter(campaign=campaign, state="returned")
    assert returned.count() == 4
    assert all(s.return_reasons for s in returned)
    assert AuditEvent.objects.filter(action="submission.returned").count() == 4
    assert AuditEvent.objects.filter(action="village_closure.closed").count() == 3

    # In progress elsewhere; the 2024 villages not started.
    progress = campaign_progress(actor=operator, campaign=campaign, today=dt.date(2026, 7, 1))
    rows = {row.label: row for row in progress.villages}
    assert rows["周庵村"].counts.done > 0
    assert rows["周庵村"].counts.submitted > 0
    assert rows["周庵村"].counts.draft > 0
    assert rows["周庵村"].counts.returned == 3
    assert not rows["周庵村"].closed
    assert rows["石河口村"].counts.not_started == rows["石河口村"].counts.total > 0
    assert progress.closed_villages == 3
    assert progress.days_left == 30

    # The collector's phone list starts with what was returned to them.
    worklist = collector_worklist(actor=collector, campaign=campaign)
    assert worklist.items[0].stage == "returned"
    assert worklist.items[0].reasons
    assert worklist.counts.total == Assignment.objects.filter(collector=collector).count()

    # A quality flag to look at: 凤凰台村's fast collector.
    village = Household.objects.filter(region__name="凤凰台村").values_list("region_id", flat=True).first()
    report = village_quality(actor=operator, campaign=campaign, village=village or "")
    assert sum(1 for row in report.households if any(f.code == "fast" for f in row.flags)) == 6
    assert len(report.bursts) == 1

    # The bulk archive rows equal the service's archive data.
    sample = list(Household.objects.filter(region_id=ZHOUAN).order_by("number")[:5])
    rows_by_pk = archive_rows(sample)
    for household in sample:
        assert rows_by_pk[household.pk] == archive.archive_data(household)
