"""District spot checks (区督查): a reproducible sample per village, findings, failed → reopened."""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditvillage.collection import services
from creditvillage.collection.models import Campaign, SpotCheck, Submission, SubmissionState
from creditvillage.collection.tests.conftest import ZHOUAN, archive_with
from creditvillage.core.errors import NotFound, ValidationFailed
from creditvillage.core.models import AuditEvent
from tests.fixtures import World

pytestmark = pytest.mark.django_db


def test_sample_size_and_reproducible_draw() -> None:
    assert services.sample_size(0, Decimal("0.05")) == 0
    assert services.sample_size(3, Decimal("0.05")) == 1
    assert services.sample_size(100, Decimal("0.05")) == 5
    assert services.sample_size(101, Decimal("0.05")) == 6
    assert services.sample_size(7, Decimal("1")) == 7
    ids = list(range(1, 201))
    first = services.draw_sample(ids, Decimal("0.05"), "seed-1")
    assert len(first) == 10
    assert services.draw_sample(list(reversed(ids)), Decimal("0.05"), "seed-1") == first  # order-independent
    assert services.draw_sample(ids, Decimal("0.05"), "seed-2") != first
    assert set(first) <= set(ids)


def verified_village(world: World, campaign: Campaign) -> list[Submission]:
    out = []
    for index in range(3):
        collector = world.users["collector"]
        submission = services.submission_start(
            actor=collector, campaign=campaign, household=world.household(ZHOUAN, index)
        )
        submission = services.submission_submit(
            actor=collector,
            submission=submission,
            expected_version=1,
            data=archive_with(submission.data, address=f"地址{index}"),
        )
        out.append(
            services.submission_verify(
                actor=world.users["township_operator"], submission=submission, expected_version=submission.version
            )
        )
    return out


def test_draw_records_seed_and_sample(world: World, campaign: Campaign) -> None:
    verified = verified_village(world, campaign)
    auditor = world.users["auditor"]
    village = world.region(ZHOUAN)
    check = services.spot_check_draw(actor=auditor, campaign=campaign, village=village, ratio="0.5", seed="abc")
    assert (check.seed, check.ratio, check.population) == ("abc", Decimal("0.500"), 3)
    assert check.sample == services.draw_sample([s.pk for s in verified], Decimal("0.5"), "abc")
    assert len(check.sample) == 2
    again = services.spot_check_draw(actor=auditor, campaign=campaign, village=village, ratio="0.5", seed="abc")
    assert again.sample == check.sample
    default = services.spot_check_draw(actor=auditor, campaign=campaign, village=village)
    assert default.ratio == Decimal("0.050")
    assert len(default.sample) == 1
    assert len(default.seed) == 16
    event = AuditEvent.objects.filter(action="spot_check.drawn").order_by("pk").first()
    assert event is not None
    assert event.changes["seed"] == [None, "abc"]


def test_draw_refusals(world: World, campaign: Campaign) -> None:
    village = world.region(ZHOUAN)
    auditor = world.users["auditor"]
    with pytest.raises(services.InvalidTransition):  # nothing verified yet
        services.spot_check_draw(actor=auditor, campaign=campaign, village=village)
    verified_village(world, campaign)
    for name in ("township_operator", "collector", "regulator", "other_township_operator"):
        with pytest.raises(NotFound):
            services.spot_check_draw(actor=world.users[name], campaign=campaign, village=village)
    for ratio in ("0", "1.5", "abc"):
        with pytest.raises(ValidationFailed):
            services.spot_check_draw(actor=auditor, campaign=campaign, village=village, ratio=ratio)
    assert not SpotCheck.objects.exists()


def test_findings_pass_or_reopen(world: World, campaign: Campaign) -> None:
    verified_village(world, campaign)
    auditor = world.users["auditor"]
    check = services.spot_check_draw(
        actor=auditor, campaign=campaign, village=world.region(ZHOUAN), ratio="1", seed="all"
    )
    first, second, third = (Submission.objects.get(pk=pk) for pk in check.sample)
    services.spot_check_record(actor=auditor, spot_check=check, submission=first, passed=True)
    first.refresh_from_db()
    assert first.state == SubmissionState.SPOT_CHECKED
    with pytest.raises(services.InvalidTransition):  # one finding per sampled submission
        services.spot_check_record(actor=auditor, spot_check=check, submission=first, passed=False, note="x")
    with pytest.raises(ValidationFailed):  # a failure needs a note
        services.spot_check_record(actor=auditor, spot_check=check, submission=second, passed=False)
    with pytest.raises(NotFound):
        services.spot_check_record(
            actor=world.users["township_operator"], spot_check=check, submission=second, passed=True
        )
    finding = services.spot_check_record(
        actor=auditor, spot_check=check, submission=second, passed=False, note="家庭人口与实际不符"
    )
    second.refresh_from_db()
    assert not finding.passed
    assert second.state == SubmissionState.REOPENED
    assert second.reopen_reason == "督查未通过：家庭人口与实际不符"
    assert third.state == SubmissionState.VERIFIED
    assert AuditEvent.objects.filter(action="submission.reopened_by_spot_check").count() == 1


def test_finding_only_for_sampled_submissions(world: World, campaign: Campaign) -> None:
    verified = verified_village(world, campaign)
    auditor = world.users["auditor"]
    check = services.spot_check_draw(
        actor=auditor, campaign=campaign, village=world.region(ZHOUAN), ratio="0.3", seed="one"
    )
    outside = next(s for s in verified if s.pk not in check.sample)
    with pytest.raises(NotFound):
        services.spot_check_record(actor=auditor, spot_check=check, submission=outside, passed=True)
    outside.refresh_from_db()
    assert outside.state == SubmissionState.VERIFIED
