from django.urls import path

from creditvillage.scoring import views

app_name = "scoring"

urlpatterns = [
    path("", views.home, name="home"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("models/<int:pk>/draft/", views.draft_create, name="draft-create"),
    path("indicators/<int:pk>/edit/", views.indicator_edit, name="indicator-edit"),
    path("versions/<int:pk>/activate/", views.version_activate, name="version-activate"),
    path("versions/<int:pk>/simulate/", views.simulate, name="simulate"),
    path("runs/new/", views.run_create, name="run-create"),
]
