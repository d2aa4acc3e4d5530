from django.urls import path

from creditvillage.registry import views

urlpatterns = [
    path("households/", views.household_list, name="household-list"),
    path("households/export/", views.household_export, name="household-export"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("households/<int:pk>/members/<int:person_pk>/edit/", views.person_edit, name="person-edit"),
]
