from django.contrib import admin
from django.urls import include, path, re_path

from creditvillage.api import api, unknown_path

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", unknown_path, name="api-v1-unknown"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("creditvillage.accounts.urls")),
    path("", include("creditvillage.registry.urls")),
    path("", include("creditvillage.regions.urls")),
    path("", include("creditvillage.core.urls")),
    path("", include("creditvillage.dashboards.urls")),
    path("collection/", include("creditvillage.collection.urls")),
    path("civility/", include("creditvillage.civility.urls")),
    path("scoring/", include("creditvillage.scoring.urls")),
    path("rating/", include("creditvillage.rating.urls")),
    path("lending/", include("creditvillage.lending.urls")),
]
