"""The demo's credit-village chapter: 周庵村's 信用村 application, waiting for the township's review."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from creditvillage.demo.data import ZHOUAN
from creditvillage.rating.villages.services import credit_application_submit
from creditvillage.regions.models import Region

if TYPE_CHECKING:
    from creditvillage.demo.steps import DemoContext


def build(ctx: DemoContext) -> None:
    region = Region.objects.get(code=ZHOUAN)
    application = credit_application_submit(
        actor=ctx.users["village_operator"],
        region=region,
        year=timezone.localdate().year,
        requested_grade="AA",
        statement="全村农户建档全覆盖，信用户占比高，村集体经济组织运行规范，申报AA级信用村。",
        no_discipline_declared=True,
    )
    ctx.notes["credit_application"] = application.pk
