from django.urls import path

from creditvillage.collection.imports import views

# Included by the app's urls.py at imports/, inside the ``collection`` namespace.
urlpatterns = [
    path("", views.upload, name="import-upload"),
    path("template.xlsx", views.template, name="import-template"),
    path("<int:pk>/", views.detail, name="import-detail"),
    path("<int:pk>/report.xlsx", views.report, name="import-report"),
    path("<int:pk>/resume/", views.resume, name="import-resume"),
]
