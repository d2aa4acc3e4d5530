from django.contrib import admin
from django.urls import include, path

from creditvillage.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("creditvillage.accounts.urls")),
    path("", include("creditvillage.registry.urls")),
    path("", include("creditvillage.regions.urls")),
    path("", include("creditvillage.core.urls")),
    path("", include("creditvillage.dashboards.urls")),
]
