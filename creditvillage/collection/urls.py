from django.urls import include, path

app_name = "collection"

urlpatterns: list = [
    path("imports/", include("creditvillage.collection.imports.urls")),
]
