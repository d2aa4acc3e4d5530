from __future__ import annotations

from datetime import datetime

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import HttpBearer

from creditvillage.accounts import services
from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.models import User
from creditvillage.core.api import AUTHED_GET, NO_CONTROL_CHARS, errors
from creditvillage.core.errors import DomainError

router = Router(tags=["accounts"])


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = services.token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class TokenIn(Schema):
    username: str = Field(..., min_length=1, max_length=150, pattern=NO_CONTROL_CHARS)
    password: str = Field(..., min_length=1, max_length=1024)


class TokenOut(Schema):
    token: str
    expires_at: datetime


class RoleOut(Schema):
    role: str
    role_name: str
    region_code: str
    region_name: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[RoleOut]


@router.post("/auth/token", auth=None, response={200: TokenOut, **errors(400, 401, 413, 422, 429)})
def auth_token(request: HttpRequest, payload: TokenIn) -> Status[object]:
    """Exchange a username and password for a bearer token (locked out after repeated failures)."""
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        # Answered here with the API's error body; clearing the flag keeps AxesMiddleware from
        # replacing this JSON answer with its HTML lockout page.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        raise LockedOut()
    if user is None:
        return Status(401, {"code": "invalid_credentials", "message": "用户名或密码错误", "details": {}})
    # A token is a login: the failure count resets (AXES_RESET_ON_SUCCESS) and last_login is
    # stamped, as for the login page. (Not through user_logged_in: axes would create a session.)
    if settings.AXES_RESET_ON_SUCCESS:
        axes_reset(username=user.get_username())
    update_last_login(type(user), user)
    token, expires_at = services.token_issue(user=user)
    return Status(200, {"token": token, "expires_at": expires_at})


class LockedOut(DomainError):
    status = 429

    def __init__(self) -> None:
        super().__init__("locked_out", "登录失败次数过多，账号已暂时锁定，请稍后再试")


@router.get("/me", response={200: MeOut, **errors(*AUTHED_GET)})
def me(request: AuthedRequest) -> dict[str, object]:
    user = request.user
    assignments = user.role_assignments.filter(is_active=True).select_related("region").order_by("pk")
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "roles": [
            {
                "role": a.role,
                "role_name": str(a.get_role_display()),
                "region_code": a.region_id,
                "region_name": a.region.name,
            }
            for a in assignments
        ],
    }
