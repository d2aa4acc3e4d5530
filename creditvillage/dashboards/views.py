from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.models import User
from creditvillage.accounts.roles import Action, Role
from creditvillage.accounts.services import home_region
from creditvillage.dashboards import selectors
from creditvillage.lending import selectors as lending_selectors
from creditvillage.registry import selectors as registry_selectors

FIELD_ROLES = frozenset({Role.COLLECTOR, Role.HOUSEHOLD, Role.MERCHANT, Role.EVALUATOR})


def _tasks(user: User) -> dict[str, Any]:
    """What each of the user's roles should do next, read through the scoped selectors."""
    roles = set(user.roles)
    tasks: dict[str, Any] = {}
    if Role.COLLECTOR in roles:
        tasks["to_collect"] = registry_selectors.households_to_collect(actor=user)
    if user.has_action(Action.VERIFY):
        tasks["to_verify"] = selectors.villages_awaiting_verification(actor=user)
    if Role.HOUSEHOLD in roles:
        tasks["own"] = registry_selectors.own_households(actor=user)
        tasks["own_lines"] = lending_selectors.own_lines(actor=user)
        tasks["own_loans"] = list(lending_selectors.loans(actor=user)[:3])
    if Role.BANK_OFFICER in roles:
        tasks["consented"] = registry_selectors.consented_household_count(actor=user)
    if Role.MERCHANT in roles:
        tasks["merchant"] = True
    if Role.EVALUATOR in roles:
        tasks["evaluator"] = True
    return tasks


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    region = home_region(user)
    stats = selectors.stats_overview(actor=user) if user.has_action(Action.VIEW_STATS) else None
    context = selectors.region_overview(actor=user, region=region, stats=stats)
    context["tasks"] = _tasks(user)
    # Field roles act before they read figures: their to-do list comes first.
    context["tasks_first"] = bool(set(user.roles) & FIELD_ROLES)
    # A bank officer's figures cover only households that consented to the bank (domain.md, Credit).
    stat_grants = user.grants_for(Action.VIEW_STATS)
    context["stats_consented_only"] = bool(stats and stat_grants) and all(g.bank_id for g in stat_grants)
    context["has_roles"] = bool(user.roles) or user.is_superuser
    return render(request, "dashboards/home.html", context)
