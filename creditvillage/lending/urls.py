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
    path("loans/<int:pk>/compensate/", views.compensate, name="compensate"),
    path("loans/<int:pk>/<slug:action>/", views.loan_action, name="loan-action"),
    path("funds/", views.funds, name="funds"),
    path("funds/<int:pk>/", views.fund_detail, name="fund"),
    path("funds/<int:pk>/deposit/", views.fund_deposit, name="fund-deposit"),
    path("loss-shares/", views.loss_shares, name="loss-shares"),
    path("validation/", views.validation_page, name="validation"),
    path("pre-approved/", views.pre_approved, name="pre-approved"),
    path("repayments/upload/", views.repayments_upload, name="repayments-upload"),
]
