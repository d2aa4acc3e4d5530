from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from creditvillage.accounts.http import AuthedRequest
from creditvillage.core.errors import NotFound
from creditvillage.dashboards.selectors import children_overview, stats_overview
from creditvillage.regions import selectors


@login_required
def region_detail(request: AuthedRequest, code: str) -> HttpResponse:
    try:
        region = selectors.access_region(request.user, code)
    except NotFound as exc:
        raise Http404 from exc
    children = selectors.region_children(request.user, region)
    return render(
        request,
        "regions/region_detail.html",
        {
            "region": region,
            "ancestors": region.ancestors(),
            "children": children,
            "stats": stats_overview(actor=request.user, region=region.code),
            "child_stats": children_overview(actor=request.user, regions=children),
        },
    )
