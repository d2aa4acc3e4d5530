from django.urls import path

from creditvillage.rating.villages import views

# Included by the rating app's urls.py at /rating/villages/, inside its ``rating:`` namespace.
urlpatterns: list = [
    path("", views.villages_home, name="villages-home"),
    path("apply/", views.villages_apply, name="villages-apply"),
    path("criteria/", views.villages_criteria, name="villages-criteria"),
    path("<int:pk>/", views.villages_detail, name="villages-detail"),
]
