from django.urls import include, path

import creditvillage.rating.views as views

app_name = "rating"

urlpatterns: list = [
    path("", views.home, name="home"),
    path("mine/", views.mine, name="mine"),
    path("mine/objection/", views.mine_object, name="mine-object"),
    path("mine/objections/<int:pk>/escalate/", views.objection_escalate, name="objection-escalate"),
    path("cycles/open/", views.cycle_open, name="cycle-open"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle-detail"),
    path("cycles/<int:pk>/run/", views.cycle_run, name="cycle-run"),
    path("cycles/<int:pk>/publish/", views.cycle_publish, name="cycle-publish"),
    path("cycles/<int:pk>/finalise/", views.cycle_finalise, name="cycle-finalise"),
    path("notices/<int:pk>/", views.notice_detail, name="notice-detail"),
    path("objections/", views.objection_list, name="objection-list"),
    path("objections/<int:pk>/", views.objection_detail, name="objection-detail"),
    path("households/<int:pk>/", views.household_ratings, name="household-ratings"),
    # The signed token travels in the query string (?t=…): request paths are logged, query strings not.
    path("p/", views.notice_public, name="notice-public"),
    path("p/objection/", views.notice_public_object, name="notice-object"),
    path("adjust/", include("creditvillage.rating.adjust.urls")),
    path("villages/", include("creditvillage.rating.villages.urls")),
]
