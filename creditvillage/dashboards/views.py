from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.services import home_region
from creditvillage.dashboards import selectors
from creditvillage.regions.selectors import region_children


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    region = home_region(user)
    stats = selectors.stats_overview(actor=user) if user.has_action("view_stats") else None
    children = region_children(user, region) if region else []
    return render(
        request,
        "dashboards/home.html",
        {
            "region": region,
            "stats": stats,
            "children": children,
            "child_stats": selectors.children_overview(actor=user, regions=children) if stats else {},
        },
    )
