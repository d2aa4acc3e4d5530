from __future__ import annotations

from django.contrib.auth import views as auth_views

from creditvillage.accounts.forms import LoginForm


class CVLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True
