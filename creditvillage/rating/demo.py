"""The demo's rating chapter (contract.md, Demo): last year's finished cycle and this year's open one.

* 2025, 横塘岗乡 and 铜城镇: final ratings for every demo household (the ``household`` login's
  household AA), notices finalised, the registry's grades set from them.
* 2026, 横塘岗乡: a preliminary run (the scoring engine's when it answers, else the interim score),
  notices open in every village (周庵村 among them, five days left) and one villager's objection
  waiting in 周庵村. 2026, 铜城镇: opened and scored, under review, not yet published.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Case, CharField, Value, When
from django.utils import timezone

from creditvillage.core import audit
from creditvillage.core.scope import code_range, significant_prefix
from creditvillage.demo.data import HENGTANGGANG, TONGCHENG, ZHOUAN
from creditvillage.rating import services
from creditvillage.rating.models import (
    CycleStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    Rating,
    RatingCycle,
    RatingRun,
    RatingStatus,
    RunStatus,
)
from creditvillage.registry.models import Household

if TYPE_CHECKING:
    from creditvillage.accounts.models import User
    from creditvillage.demo.steps import DemoContext

LAST_YEAR = 2025
THIS_YEAR = 2026
CHINA = dt.timezone(dt.timedelta(hours=8))
AA_SCORE = Decimal("86.50")


def build(ctx: DemoContext) -> None:
    # The ``household`` login's household (demo_household() at the time the login was made; later
    # steps may change which household that function would pick).
    own_id = ctx.users["household"].role_assignments.get().household_id
    if own_id is None:  # pragma: no cover - the demo's household login always names its household
        raise ValueError("the household login has no household")
    own = Household.objects.get(pk=own_id)
    operators = {HENGTANGGANG: ctx.users["township_operator"], TONGCHENG: ctx.users["other_township_operator"]}
    for township, operator in operators.items():
        _last_year(township, operator, aa_household=own.pk)
    now = timezone.now()
    # This year's cycle in 横塘岗乡: scored, notices open in every village (started two days ago).
    operator = ctx.users["township_operator"]
    cycle = services.cycle_open(actor=operator, region_code=HENGTANGGANG, year=THIS_YEAR)
    services.cycle_run(actor=operator, cycle=cycle)
    services.notices_publish(actor=operator, cycle=cycle, starts_at=now - dt.timedelta(days=2))
    notice = Notice.objects.get(cycle=cycle, region_id=ZHOUAN, kind=NoticeKind.RATING)
    other = (
        Rating.objects.filter(cycle=cycle, region_code=ZHOUAN, subject_type="household")
        .exclude(household_id=own.pk)
        .order_by("subject_id")
        .first()
    )
    if other is not None:
        services.objection_file(
            actor=None,
            notice=notice,
            rating=other,
            text="该户去年起在村里开办养殖场，收入明显提高，评定等级偏低，请村里核实。",
            objector_name="王建国",
            objector_phone="13805640001",
            channel="demo",
        )
    # 铜城镇: this year's cycle opened and scored, under review.
    other_operator = ctx.users["other_township_operator"]
    tongcheng = services.cycle_open(actor=other_operator, region_code=TONGCHENG, year=THIS_YEAR)
    services.cycle_run(actor=other_operator, cycle=tongcheng)
    ctx.notes["rating"] = {"cycle_2026": cycle.pk, "notice_zhouan": notice.pk}


def _last_year(township: str, operator: User, *, aa_household: int) -> None:
    """A finished 2025 cycle written directly (history): final ratings, finalised notices, registry grades."""
    opened = dt.datetime(LAST_YEAR, 9, 1, 9, 0, tzinfo=CHINA)
    published = dt.datetime(LAST_YEAR, 9, 20, 9, 0, tzinfo=CHINA)
    finalised = dt.datetime(LAST_YEAR, 10, 10, 9, 0, tzinfo=CHINA)
    cycle = RatingCycle.objects.create(
        region_id=township,
        year=LAST_YEAR,
        name=f"{LAST_YEAR}年度信用评定",
        status=CycleStatus.FINAL,
        opened_by=operator,
        published_at=published,
        finalised_at=finalised,
    )
    RatingCycle.objects.filter(pk=cycle.pk).update(opened_at=opened)
    run = RatingRun.objects.create(
        region_code=township,
        cycle=cycle,
        model_code="interim",
        model_version=1,
        status=RunStatus.SUCCEEDED,
        started_by=operator,
        finished_at=published,
    )
    lo, hi = code_range(significant_prefix(township))
    ratings = []
    counts: Counter[str] = Counter()
    villages: Counter[str] = Counter()
    for household in Household.objects.filter(region_id__gte=lo, region_id__lte=hi).order_by("pk"):
        score = AA_SCORE if household.pk == aa_household else services.interim_score(household)
        # Last year a little lower than this year's stand-in score, as a village's record improves.
        if household.pk != aa_household:
            score = max(Decimal("40.00"), score - Decimal("3.00"))
        grade = services.grade_for(score)
        counts[grade] += 1
        villages[household.region_id] += 1
        ratings.append(
            Rating(
                run=run,
                cycle=cycle,
                subject_type="household",
                subject_id=household.pk,
                household_id=household.pk,
                region_code=household.region_id,
                model_code="interim",
                model_version=1,
                score=score,
                grade=grade,
                credit_subject=grade in services.CREDIT_GRADES,
                status=RatingStatus.FINAL,
                created_at=finalised,
            )
        )
    Rating.objects.bulk_create(ratings, batch_size=2000)
    RatingRun.objects.filter(pk=run.pk).update(started_at=opened, subjects=len(ratings), counts=dict(counts))
    Notice.objects.bulk_create(
        [
            Notice(
                region_id=code,
                cycle=cycle,
                kind=NoticeKind.RATING,
                status=NoticeStatus.FINALISED,
                starts_at=published,
                ends_at=published + dt.timedelta(days=7),
                subjects=n,
                published_by=operator,
                published_at=published,
                finalised_at=finalised,
            )
            for code, n in sorted(villages.items())
        ]
    )
    by_grade: dict[str, list[int]] = {}
    for rating in ratings:
        by_grade.setdefault(rating.grade, []).append(rating.subject_id)
    Household.objects.filter(region_id__gte=lo, region_id__lte=hi).update(
        grade=Case(
            *[When(pk__in=ids, then=Value(grade)) for grade, ids in by_grade.items()],
            default=Value(""),
            output_field=CharField(),
        )
    )
    audit.record(
        actor=operator,
        action="rating.cycle_finalised",
        target=cycle,
        region_code=township,
        changes={"ratings": len(ratings), "counts": dict(counts)},
        reason="演示数据：上年度评定结果",
        channel="demo",
    )
