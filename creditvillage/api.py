"""The JSON API v1: one NinjaAPI assembling each app's router, one error shape for everything.

Errors always answer ``{"code": "<stable_snake_case>", "message": "<Chinese>", "details": {...}}``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from creditvillage.accounts.api import BearerTokenAuth
from creditvillage.accounts.api import router as accounts_router
from creditvillage.accounts.services import token_authenticate
from creditvillage.civility.api import router as civility_router
from creditvillage.collection.api import router as collection_router
from creditvillage.collection.api_campaigns import router as collection_campaigns_router
from creditvillage.collection.imports.api import router as imports_router
from creditvillage.core.api import router as core_router
from creditvillage.core.errors import DomainError
from creditvillage.dashboards.api import router as dashboards_router
from creditvillage.lending.api import router as lending_router
from creditvillage.rating.adjust.api import router as rating_adjust_router
from creditvillage.rating.api import router as rating_router
from creditvillage.rating.villages.api import router as rating_villages_router
from creditvillage.regions.api import router as regions_router
from creditvillage.registry.api import router as registry_router
from creditvillage.scoring.api import router as scoring_router

api = NinjaAPI(
    title="CreditVillage API",
    version="1",
    description="信用村平台接口 v1。所有区域数据按调用者的管辖范围过滤；范围外的记录与不存在的记录一样返回 404。",
    auth=[BearerTokenAuth(), django_auth],
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def error_response(request: HttpRequest, status: int, code: str, message: str, details: Any = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "details": details or {}}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "记录不存在")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthenticated", "请先登录或提供有效的访问令牌")


@api.exception_handler(NinjaValidationError)
def on_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {"loc": [str(p) for p in e.get("loc", [])], "message": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in exc.errors
    ]
    return error_response(request, 422, "validation_error", "请求参数不正确", {"errors": errors})


_HTTP_CODES = {
    400: ("bad_request", "请求体无法解析（应为 JSON）"),
    401: ("unauthenticated", "请先登录或提供有效的访问令牌"),
    403: ("permission_denied", "请求被拒绝"),
    404: ("not_found", "记录不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求体过大"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja's own errors (unparseable body, CSRF refused) carry English text: keep it as a detail.
    code, message = _HTTP_CODES.get(exc.status_code, ("error", "请求失败"))
    return error_response(request, exc.status_code, code, message, {"reason": str(exc)})


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Without this the body-size guard surfaces as Django's HTML 400 page and an ERROR log line.
    return error_response(
        request, 413, "payload_too_large", "请求体过大", {"max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    )


api.add_router("", core_router)
api.add_router("", accounts_router)
api.add_router("", regions_router)
api.add_router("", registry_router)
api.add_router("", dashboards_router)
api.add_router("", collection_router)
api.add_router("", collection_campaigns_router)
api.add_router("", imports_router)
api.add_router("", civility_router)
api.add_router("", scoring_router)
api.add_router("", rating_router)
api.add_router("", rating_adjust_router)
api.add_router("", rating_villages_router)
api.add_router("", lending_router)


def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any path under /api/v1/ that is no operation answers with the JSON error body, never HTML.

    Anonymous callers get the same 401 as on a real operation, so the route map is not probed.
    """
    user = getattr(request, "user", None)
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not (user is not None and user.is_authenticated) and not (token and token_authenticate(token)):
        return error_response(request, 401, "unauthenticated", "请先登录或提供有效的访问令牌")
    return error_response(request, 404, "not_found", "接口不存在", {"path": request.path[:200]})
