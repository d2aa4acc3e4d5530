from django.urls import path

from creditvillage.dashboards import views

urlpatterns = [
    path("", views.home, name="home"),
]
