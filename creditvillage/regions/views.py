from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.core import audit
from creditvillage.core.errors import NotFound
from creditvillage.dashboards.exports import stats_workbook
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


@login_required
def region_export(request: AuthedRequest, code: str) -> HttpResponse:
    """The region page's figures as xlsx: for whoever sees them there (``view_stats``); audited."""
    user = request.user
    try:
        region = selectors.access_region(request.user, code)
    except NotFound as exc:
        raise Http404 from exc
    if not user.has_action(Action.VIEW_STATS):
        raise Http404  # the page shows no figures to this user: nothing to export, like a missing region
    stats = stats_overview(actor=user, region=region.code)
    context = region_overview(actor=user, region=region, stats=stats)
    data = stats_workbook(region=region, stats=stats, coverage=context["coverage"])
    audit.record(
        actor=user,
        action="stats.exported",
        target=region,
        region_code=region.code,
        changes={"households": stats["households"], "regions": len(context["coverage"])},
        reason=_("导出统计数据"),
    )
    filename = f"{region.code}-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
