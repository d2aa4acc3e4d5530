"""``{% campaign_summary campaign %}``: a campaign card's progress line on the collection home page.

Calls the progress selectors with the signed-in user, so the numbers are what that user may count.
"""

from __future__ import annotations

from typing import Any

from django import template

from creditvillage.accounts.roles import Action
from creditvillage.collection.progress import campaign_progress, collector_worklist

register = template.Library()


@register.inclusion_tag("collection/partials/_campaign_summary.html", takes_context=True)
def campaign_summary(context: Any, campaign: Any) -> dict[str, Any]:
    user = context["request"].user
    summary: dict[str, Any] = {"campaign": campaign, "progress": None, "worklist": None}
    if user.has_action(Action.VIEW_STATS):
        progress = campaign_progress(actor=user, campaign=campaign)
        summary["progress"] = progress if progress.total.total else None
        summary["can_assign"] = user.has_action(Action.MANAGE_USERS)
        summary["can_quality"] = any(user.has_action(a) for a in (Action.CHANGE, Action.VERIFY, Action.AUDIT))
    if user.has_action(Action.CHANGE):
        worklist = collector_worklist(actor=user, campaign=campaign)
        summary["worklist"] = worklist if worklist.counts.total else None
    return summary


@register.simple_tag(takes_context=True)
def may_create_campaign(context: Any) -> bool:
    return bool(context["request"].user.has_action(Action.VERIFY))
