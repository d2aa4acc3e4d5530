"""The demo's rating chapter (contract.md, Demo): last year's finished cycle and this year's open one.

* 2025, 横塘岗乡 and 铜城镇: the scoring engine's run (active model) made final for every demo
  household, notices finalised, the registry's grades set from them. The ``household`` login is the
  head of a consenting 周庵村 household the engine rated AA (re-pointed if its first pick is not AA).
* 2026, 横塘岗乡: the scoring engine's preliminary run, notices open in every village (周庵村 among
  them, five days left) and one villager's objection waiting in 周庵村. 2026, 铜城镇: opened and
  scored, under review, not yet published.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from creditvillage.accounts.models import RoleAssignment
from creditvillage.core import audit
from creditvillage.core.scope import code_range, significant_prefix
from creditvillage.demo.data import HENGTANGGANG, TONGCHENG, ZHOUAN
from creditvillage.lending.models import Consent
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
)
from creditvillage.registry.models import Household

if TYPE_CHECKING:
    from creditvillage.accounts.models import User
    from creditvillage.demo.steps import DemoContext

LAST_YEAR = 2025
THIS_YEAR = 2026
CHINA = dt.timezone(dt.timedelta(hours=8))


def build(ctx: DemoContext) -> None:
    operators = {HENGTANGGANG: ctx.users["township_operator"], TONGCHENG: ctx.users["other_township_operator"]}
    for township, operator in operators.items():
        _last_year(township, operator)
    own = _aa_household_login(ctx)
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


def _aa_household_login(ctx: DemoContext) -> Household:
    """Keep the ``household`` login on an AA household (contract.md): when the engine did not rate
    its household AA last year, re-point the login to the first consenting 周庵村 household it did."""
    user = ctx.users["household"]
    assignment = user.role_assignments.get()
    if assignment.household_id is None:  # pragma: no cover - the demo's household login always names one
        raise ValueError("the household login has no household")
    own = Household.objects.get(pk=assignment.household_id)
    if own.grade == "AA":
        return own
    consented = Consent.objects.filter(bank=ctx.banks[0], revoked_at__isnull=True).values("household_id")
    candidates = Household.objects.filter(region_id=ZHOUAN, grade="AA", pk__in=consented).order_by("number")
    household = candidates.filter(status="verified").first() or candidates.first()
    if household is None:
        raise ValueError("the scoring engine rated no consenting 周庵村 household AA in the demo")
    head = household.members.get(relation="head")
    RoleAssignment.objects.filter(pk=assignment.pk).update(household=household)
    user.display_name = head.name
    user.phone = head.phone or household.phone
    user.save(update_fields=["display_name", "phone"])
    ctx.users["household"] = type(user).objects.get(pk=user.pk)  # no cached grants of the old household
    return household


def _last_year(township: str, operator: User) -> None:
    """A finished 2025 cycle: the scoring engine's run, then made final (history, dated last autumn):
    final ratings, finalised notices, registry grades."""
    opened = dt.datetime(LAST_YEAR, 9, 1, 9, 0, tzinfo=CHINA)
    published = dt.datetime(LAST_YEAR, 9, 20, 9, 0, tzinfo=CHINA)
    finalised = dt.datetime(LAST_YEAR, 10, 10, 9, 0, tzinfo=CHINA)
    cycle = services.cycle_open(actor=operator, region_code=township, year=LAST_YEAR, name=f"{LAST_YEAR}年度信用评定")
    run = services.cycle_run(actor=operator, cycle=cycle)
    RatingCycle.objects.filter(pk=cycle.pk).update(
        status=CycleStatus.FINAL, opened_at=opened, published_at=published, finalised_at=finalised
    )
    RatingRun.objects.filter(pk=run.pk).update(started_at=opened, finished_at=published)
    ratings = Rating.objects.filter(run=run, subject_type="household")
    ratings.update(status=RatingStatus.FINAL, created_at=finalised)
    villages = dict(ratings.values_list("region_code").annotate(n=Count("pk")).values_list("region_code", "n"))
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
    lo, hi = code_range(significant_prefix(township))
    Household.objects.filter(region_id__gte=lo, region_id__lte=hi).update(
        grade=Coalesce(Subquery(ratings.filter(household_id=OuterRef("pk")).values("grade")[:1]), Value(""))
    )
    audit.record(
        actor=operator,
        action="rating.cycle_finalised",
        target=cycle,
        region_code=township,
        changes={"ratings": sum(villages.values()), "counts": run.counts},
        reason="演示数据：上年度评定结果",
        channel="demo",
    )
