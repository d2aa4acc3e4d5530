"""Domain errors carry a stable snake_case code; interfaces turn them into responses."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A business rule refused the request. ``code`` is a stable API string."""

    status = 400

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    """Missing *or* outside the actor's scope: the two are indistinguishable on purpose."""

    status = 404

    def __init__(self, message: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__("not_found", message or _("记录不存在"), details)


class PermissionDenied(DomainError):
    """The actor has no such action at all (a 403). Out-of-scope objects raise NotFound instead."""

    status = 403

    def __init__(self, message: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__("permission_denied", message or _("您没有执行此操作的权限"), details)


class TooManyRequests(DomainError):
    """A per-person or per-object limit was reached (a 429); the message says when to try again."""

    status = 429

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__("too_many_requests", message, details)


class ValidationFailed(DomainError):
    status = 422

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__("validation_error", message, details)
