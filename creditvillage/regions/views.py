from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.core.errors import NotFound
from creditvillage.dashboards.selectors import region_overview, stats_overview
from creditvillage.regions import selectors


@login_required
def region_detail(request: AuthedRequest, code: str) -> HttpResponse:
    try:
        region = selectors.access_region(request.user, code)
    except NotFound as exc:
        raise Http404 from exc
    user = request.user
    stats = stats_overview(actor=user, region=region.code) if user.has_action(Action.VIEW_STATS) else None
    context = region_overview(actor=user, region=region, stats=stats)
    context["breadcrumbs"] = selectors.region_breadcrumbs(user, region)
    context["can_list"] = user.has_action(Action.VIEW)
    return render(request, "regions/region_detail.html", context)
