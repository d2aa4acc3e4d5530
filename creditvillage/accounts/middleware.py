"""Absolute session lifetime on top of Django's sliding idle timeout (reliability.md C10)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

SESSION_STARTED_KEY = "cv_auth_started"


@receiver(user_logged_in, dispatch_uid="cv_session_started")
def _stamp_session_start(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # The 12 hours count from the login itself (also when the same user logs in again on an
    # existing session, which Django keeps). Token logins have no session login: leave them be.
    session = getattr(request, "session", None)
    if session is not None and str(session.get(SESSION_KEY)) == str(user.pk):
        session[SESSION_STARTED_KEY] = time.time()


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            now = time.time()
            if started is None:  # sessions from before the login stamp existed
                request.session[SESSION_STARTED_KEY] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)
