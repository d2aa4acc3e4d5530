from django.urls import include, path

from creditvillage.collection import views, views_campaigns

app_name = "collection"

urlpatterns: list = [
    path("", views.home, name="home"),
    path("campaigns/<int:pk>/collect/", views.collect_list, name="collect-list"),
    path("campaigns/<int:pk>/households/<int:household_pk>/", views.submission_form, name="submission-form"),
    path("campaigns/<int:pk>/organisations/", views.organisation_list, name="organisation-list"),
    path(
        "campaigns/<int:pk>/organisations/<slug:subject_type>/<int:subject_pk>/",
        views.organisation_form,
        name="organisation-form",
    ),
    path("campaigns/<int:pk>/declare/", views.declare, name="declare"),
    path("campaigns/<int:pk>/verify/", views.verify_queue, name="verify-queue"),
    path("campaigns/<int:pk>/spot-checks/", views.spot_check_list, name="spot-check-list"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
    path("spot-checks/<int:pk>/", views.spot_check_detail, name="spot-check-detail"),
    path("validate/", views.field_validate, name="field-validate"),
    # A1: campaign progress, assignments, quality pages below this line.
    path("campaigns/new/", views_campaigns.campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/progress/", views_campaigns.campaign_progress, name="campaign-progress"),
    path(
        "campaigns/<int:pk>/progress/export/",
        views_campaigns.campaign_progress_export,
        name="campaign-progress-export",
    ),
    path("campaigns/<int:pk>/assignments/", views_campaigns.assignment_manage, name="assignment-manage"),
    path("campaigns/<int:pk>/mine/", views_campaigns.assignment_mine, name="assignment-mine"),
    path("campaigns/<int:pk>/quality/", views_campaigns.campaign_quality, name="campaign-quality"),
    path("campaigns/<int:pk>/quality/<str:code>/", views_campaigns.village_quality, name="village-quality"),
    path("imports/", include("creditvillage.collection.imports.urls")),
]
