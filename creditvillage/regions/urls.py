from django.urls import path

from creditvillage.regions import views

urlpatterns = [
    path("regions/<str:code>/", views.region_detail, name="region-detail"),
    path("regions/<str:code>/export.xlsx", views.region_export, name="region-export"),
]
