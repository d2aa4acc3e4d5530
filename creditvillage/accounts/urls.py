from django.contrib.auth import views as auth_views
from django.urls import path

from creditvillage.accounts import views

urlpatterns = [
    path("login/", views.CVLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
