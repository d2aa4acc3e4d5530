from django.urls import include, path

app_name = "rating"

urlpatterns: list = [
    path("adjust/", include("creditvillage.rating.adjust.urls")),
    path("villages/", include("creditvillage.rating.villages.urls")),
]
