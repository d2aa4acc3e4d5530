"""Daily jobs run once per job and day, survive a failing neighbour, retry failures and dead claims."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from creditvillage.core import schedule
from creditvillage.core.models import DailyRun
from creditvillage.lending import loans, services
from creditvillage.lending.models import Loan
from creditvillage.lending.services import product_create_from_preset
from creditvillage.lending.tests.conftest import rate, upload
from tests.fixtures import World

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 30)
CALLS: list[tuple[str, dt.date]] = []
BROKEN = {"on": True}


def counting(*, today: dt.date) -> dict[str, Any]:
    CALLS.append(("counting", today))
    return {"looked_at": 3, "when": today}


def flaky(*, today: dt.date) -> int:
    CALLS.append(("flaky", today))
    if BROKEN["on"]:
        raise RuntimeError("database went away")
    return 7


@pytest.fixture
def fake_jobs(settings: Any) -> None:
    CALLS.clear()
    BROKEN["on"] = True
    settings.DAILY_JOBS = {
        "flaky": f"{__name__}.flaky",
        "counting": f"{__name__}.counting",
    }


def test_each_job_runs_once_a_day_and_a_failure_does_not_stop_the_next(fake_jobs: None) -> None:
    first = {o.job: o for o in schedule.run_due(DAY)}
    assert first["flaky"].status == "failed"
    assert "database went away" in first["flaky"].result["error"]
    assert first["counting"].status == "done"
    assert first["counting"].result == {"looked_at": 3, "when": "2026-11-30"}
    assert [o.status for o in schedule.run_due(DAY)] == ["failed", "skipped"]  # flaky retried, counting not
    BROKEN["on"] = False
    assert [o.status for o in schedule.run_due(DAY)] == ["done", "skipped"]
    assert [o.status for o in schedule.run_due(DAY)] == ["skipped", "skipped"]
    assert CALLS == [("flaky", DAY), ("counting", DAY), ("flaky", DAY), ("flaky", DAY)]
    run = DailyRun.objects.get(job="flaky", day=DAY)
    assert (run.status, run.attempts, run.result, run.error) == ("done", 3, {"count": 7}, "")
    # The next day is a new day.
    assert [o.status for o in schedule.run_due(DAY + dt.timedelta(days=1))] == ["done", "done"]


def test_a_claim_left_running_by_a_dead_process_is_taken_over_only_when_stale(fake_jobs: None) -> None:
    BROKEN["on"] = False
    DailyRun.objects.create(job="flaky", day=DAY, started_at=timezone.now() - dt.timedelta(minutes=5))
    assert {o.job: o.status for o in schedule.run_due(DAY)}["flaky"] == "skipped"  # somebody is on it
    DailyRun.objects.filter(job="flaky").update(started_at=timezone.now() - schedule.STALE_AFTER - dt.timedelta(1))
    assert {o.job: o.status for o in schedule.run_due(DAY)}["flaky"] == "done"
    assert DailyRun.objects.get(job="flaky").attempts == 2


def test_command_reports_figures_and_fails_loudly(fake_jobs: None) -> None:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 daily job"):
        call_command("daily", date="2026-11-30", stdout=out, stderr=err)
    assert "counting done looked_at=3 when=2026-11-30" in out.getvalue()
    assert "database went away" in err.getvalue()
    out = StringIO()
    call_command("daily", date="2026-11-30", job="counting", force=True, stdout=out)
    assert out.getvalue().strip() == "counting done looked_at=3 when=2026-11-30"
    with pytest.raises(CommandError, match="unknown job"):
        call_command("daily", job="nope")


def test_the_shipped_jobs_default_an_overdue_loan_once(world: World, settings: Any, tmp_path: Any) -> None:
    """The real job list: a loan 200 days past its first instalment defaults on the daily pass, once."""
    settings.MEDIA_ROOT = str(tmp_path)
    assert list(schedule.jobs()) == ["lending.overdue", "rating.adjust"]
    assert world.bank is not None
    product = product_create_from_preset(
        actor=None, bank=world.bank, preset="tianchang", code="qianshi", name="芡实贷", base_rate_pct=Decimal("3.45")
    )
    household = world.household("341502204201", 0)
    rate(household, "AAA")
    officer = world.users["bank_officer"]
    line = services.line_grant(actor=officer, product=product, subject_type="household", subject_id=household.pk)
    loan = loans.loan_apply(
        actor=world.users["household"],
        line=line,
        amount_fen=5_000_000,
        term_months=12,
        purpose="芡实种植",
        id_document=upload("id.png"),
        certificate=upload("cert.png"),
    )
    loans.loan_decide(actor=officer, loan=loan, approve=True)
    today = timezone.localdate()
    loans.loan_disburse(actor=officer, loan=loan, on=today - dt.timedelta(days=200))
    out = StringIO()
    call_command("daily", stdout=out)
    assert "lending.overdue done count=1" in out.getvalue()
    assert "rating.adjust done" in out.getvalue()
    assert Loan.objects.get(pk=loan.pk).status == "defaulted"
    out = StringIO()
    call_command("daily", stdout=out)
    assert out.getvalue().split() == ["lending.overdue", "skipped", "rating.adjust", "skipped"]
    assert DailyRun.objects.filter(day=today, status="done").count() == 2
