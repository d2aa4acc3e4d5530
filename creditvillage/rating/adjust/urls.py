from django.urls import path  # noqa: F401

urlpatterns: list = []  # included by the app's urls.py, inside its namespace
