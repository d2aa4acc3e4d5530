"""The demo's dynamic-adjustment chapter: negative-list entries, one downgrade, one repair in progress.

* Three negative-list entries (court judgment-defaulter lists); one lists a member of a 周庵村
  household (not the ``household`` login's), whose final grade is vetoed to D with its reason,
  and the village is notified.
* That household's repair application, with its rectification text, reviewed by the village and
  waiting for the township operator's approval.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from creditvillage.core import audit
from creditvillage.demo.data import ZHOUAN
from creditvillage.rating.adjust.models import AdjustmentSource, RepairApplication
from creditvillage.rating.adjust.services import rating_downgrade, repair_village_review
from creditvillage.rating.models import NegativeListEntry
from creditvillage.rating.selectors import current_rating
from creditvillage.registry.models import Household, Person

if TYPE_CHECKING:
    from creditvillage.demo.steps import DemoContext

SOURCE = "最高人民法院失信被执行人名单"
# Entries naming nobody in the demo archives (valid check digits; outside the demo counties).
OTHERS = [
    ("110101198001010053", "赵某某", "（2024）京0101执1234号"),
    ("91110000MA01A0B25H", "某某商贸有限公司", "（2025）京0105执567号"),
]


def _hit_household(own_id: int | None) -> Household | None:
    """A 周庵村 household with a final rating that is not the household login's (the last by number)."""
    for household in Household.objects.filter(region_id=ZHOUAN).exclude(pk=own_id or 0).order_by("-number")[:10]:
        if current_rating(subject_type="household", subject_id=household.pk) is not None:
            return household
    return None


def build(ctx: DemoContext) -> None:
    today = timezone.localdate()
    admin = ctx.users.get("county_admin") or ctx.users.get("admin")
    for number, name, basis in OTHERS:
        _entry(number, name, basis, today - dt.timedelta(days=200), admin)
    own = ctx.users["household"].role_assignments.get().household_id
    household = _hit_household(own)
    if household is None:
        return
    member = Person.objects.filter(household=household).order_by("pk").first()
    if member is None:
        return
    entry = _entry(member.id_number, member.name, "（2025）皖1502执321号", today - dt.timedelta(days=120), admin)
    rating_downgrade(
        actor=None,
        subject_type="household",
        subject_id=household.pk,
        reason=f"命中负面清单：{SOURCE}",
        source=AdjustmentSource.NEGATIVE_LIST,
        negative_entry=entry,
        occurred_on=entry.listed_on,
    )
    application = RepairApplication.objects.create(
        household=household,
        region_code=household.region_id,
        negative_entry=entry,
        evidence_text="判决确定的欠款已于本月全部还清，法院已出具结案通知书，申请信用修复。",
        applied_at=timezone.now() - dt.timedelta(days=3),
    )
    audit.record(
        actor=None, action="repair.applied", target=application, region_code=household.region_id, reason="演示数据"
    )
    repair_village_review(
        actor=ctx.users["village_operator"],
        application=application,
        approve=True,
        opinion="经村评议小组核实，欠款已还清",
    )
    ctx.notes["repair_application"] = application.pk


def _entry(number: str, name: str, basis: str, listed_on: dt.date, actor: object) -> NegativeListEntry:
    entry = NegativeListEntry.objects.create(
        id_number=number,
        name=name,
        source=SOURCE,
        basis=basis,
        listed_on=listed_on,
        expires_on=listed_on.replace(year=listed_on.year + 5),
    )
    audit.record(actor=actor, action="negative_entry.created", target=entry, reason="演示数据：法院名单")
    return entry
