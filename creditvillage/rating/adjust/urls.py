from django.urls import path

from creditvillage.rating.adjust import views

# Included by the rating app's urls.py at /rating/adjust/, inside its ``rating:`` namespace.
urlpatterns: list = [
    path("", views.adjust_home, name="adjust-home"),
    path("negative-list/", views.negative_list_page, name="adjust-negative-list"),
    path("households/<int:household_pk>/downgrade/", views.downgrade_page, name="adjust-downgrade"),
    path("repairs/", views.repair_list_page, name="adjust-repair-list"),
    path("repairs/apply/", views.repair_apply_page, name="adjust-repair-apply"),
    path("repairs/<int:pk>/", views.repair_detail_page, name="adjust-repair-detail"),
    path("repairs/<int:pk>/evidence/", views.repair_evidence, name="adjust-repair-evidence"),
    path("publicity/", views.repair_publicity_page, name="adjust-publicity"),
]
