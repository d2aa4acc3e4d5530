from django.urls import path

from creditvillage.lending import views

app_name = "lending"

urlpatterns = [
    path("", views.home, name="home"),
    path("products/<int:pk>/", views.product_detail, name="product"),
    path("products/<int:pk>/grant/<str:code>/", views.grant_preview, name="grant"),
    path("grants/<int:pk>/print/", views.grant_print, name="grant-print"),
    path("consents/", views.consents, name="consents"),
    path("consents/<int:pk>/revoke/", views.consent_revoke, name="consent-revoke"),
    path("consents/paper/", views.paper_consent, name="paper-consent"),
    path("lines/<int:line_pk>/apply/", views.apply, name="apply"),
    path("loans/<int:pk>/", views.loan_detail, name="loan"),
    path("loans/<int:pk>/<slug:action>/", views.loan_action, name="loan-action"),
]
