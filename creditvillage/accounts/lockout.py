"""Login brute-force guard: at most ``AXES_FAILURE_LIMIT`` password checks per username per window.

django-axes decides "locked out?" from the failures it has *recorded*, and it records a failure
only after the password was checked. Under concurrency every attempt in a burst passes the
"locked out?" test before the first failure lands, so all of them reach the password hash
(reliability.md C8; measured here: 50 concurrent wrong passwords → 47–50 checked, on SQLite and
PostgreSQL). This backend closes the gap with a reservation taken *before* the check:

* ``claim(username)`` is one conditional ``UPDATE … SET claimed = claimed + 1 WHERE claimed < limit``
  (or the insert of a fresh row). The database applies it atomically — PostgreSQL re-checks the
  ``WHERE`` after waiting for a concurrent update of the row, SQLite serialises writers — so at
  most ``limit`` claims succeed per window, whatever the number of processes and threads.
* A successful login releases the claims (axes' ``AXES_RESET_ON_SUCCESS``); a window whose last
  claim is older than ``AXES_COOLOFF_TIME`` starts afresh; deleting a username's axes attempts
  (``axes_reset``, the admin) resets its claims too, so operators unlock one way.
* A refused claim stops ``authenticate()`` with ``PermissionDenied`` and flags the request the way
  axes does (``axes_locked_out``), so the login page shows the lockout page and the API answers
  429; axes still records the attempt (AccessAttempt, AccessFailureLog): every attempt is audited.

axes' own backend stays first in ``AUTHENTICATION_BACKENDS``: it refuses usernames already locked
out without touching the counter. This backend replaces Django's ``ModelBackend`` (it is one).
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_credentials
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from creditvillage.accounts.models import LoginThrottle

USERNAME_MAX_LENGTH = 150


def _limit() -> int:
    return int(settings.AXES_FAILURE_LIMIT)


def claim(username: str) -> bool:
    """Reserve one password check for ``username``; False when the window's checks are used up."""
    username = username[:USERNAME_MAX_LENGTH]
    now = timezone.now()
    window_start = now - settings.AXES_COOLOFF_TIME
    rows = LoginThrottle.objects.filter(username=username)
    # A window whose last claim is older than the cool-off starts afresh.
    rows.filter(last_claim_at__lt=window_start).update(claimed=0)
    if rows.filter(claimed__lt=_limit()).update(claimed=F("claimed") + 1, last_claim_at=now):
        return True
    try:
        with transaction.atomic():
            LoginThrottle.objects.filter(last_claim_at__lt=window_start).delete()  # keep the table small
            LoginThrottle.objects.create(username=username, claimed=1, last_claim_at=now)
    except IntegrityError:
        # The row exists: either used up, or created by a concurrent attempt a moment ago.
        return bool(rows.filter(claimed__lt=_limit()).update(claimed=F("claimed") + 1, last_claim_at=now))
    return True


def release(username: str) -> None:
    LoginThrottle.objects.filter(username=username[:USERNAME_MAX_LENGTH]).update(claimed=0)


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend with a per-username reservation before the password check."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        if not claim(str(username)):
            if request is not None:
                request.axes_locked_out = True  # type: ignore[attr-defined]
                request.axes_credentials = get_credentials(username)  # type: ignore[attr-defined]
            # Stops authenticate(): no further backend checks the password; the failure signal
            # still fires, so axes records (audits) this attempt.
            raise PermissionDenied("too many login attempts")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            release(str(username))
        return user


@receiver(post_delete, sender=AccessAttempt, dispatch_uid="cv_login_throttle_follows_axes_reset")
def _reset_with_axes(sender: type[AccessAttempt], instance: AccessAttempt, **kwargs: Any) -> None:
    if instance.username:
        release(instance.username)
