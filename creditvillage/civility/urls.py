from django.urls import path

from creditvillage.civility import views

app_name = "civility"

urlpatterns = [
    path("", views.home, name="home"),
    path("rounds/new/", views.round_create, name="round-create"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/members/add/", views.member_add, name="member-add"),
    path("rounds/<int:pk>/relatives/", views.relatives, name="relatives"),
    path("rounds/<int:pk>/steps/", views.steps, name="steps"),
    path("rounds/<int:pk>/close/", views.round_close, name="round-close"),
    path("rounds/<int:pk>/reopen/", views.round_reopen, name="round-reopen"),
    path("rounds/<int:pk>/households/<int:household_pk>/evidence/", views.evidence, name="evidence"),
    path("rounds/<int:pk>/evidence/<int:evaluation_pk>/photo/", views.evidence_photo, name="evidence-photo"),
    path("rounds/<int:pk>/score/", views.score_list, name="score-list"),
    path("rounds/<int:pk>/score/<int:household_pk>/", views.score, name="score"),
    path("schemes/", views.schemes, name="schemes"),
    path("schemes/new/", views.scheme_create, name="scheme-create"),
    path("schemes/import/", views.scheme_import, name="scheme-import"),
    path("schemes/versions/<int:pk>/", views.version_detail, name="version"),
    path("schemes/versions/<int:pk>/edit/", views.version_edit, name="version-edit"),
    path("schemes/versions/<int:pk>/new/", views.version_new, name="version-new"),
    path("schemes/versions/<int:pk>/activate/", views.version_activate, name="version-activate"),
]
