"""Import API (contract.md, imports): template, upload (→ job), job status with the row errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, File, Form, Router, Schema
from ninja.decorators import decorate_view
from ninja.files import UploadedFile

from creditvillage.accounts.http import AuthedRequest
from creditvillage.accounts.roles import Action
from creditvillage.collection.imports import selectors, services
from creditvillage.collection.imports.columns import template_bytes
from creditvillage.core.api import AUTHED_GET, AUTHED_POST, errors
from creditvillage.core.errors import PermissionDenied

router = Router(tags=["imports"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MULTIPART_OVERHEAD = 64 * 1024


def refuse_oversized(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 413 from the Content-Length before Django reads (and spools) a multipart body."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        cap = services.limits().upload_bytes
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > cap + MULTIPART_OVERHEAD:
            body = {
                "code": "file_too_large",
                "message": f"文件过大（上限 {cap // (1024 * 1024)} MB），请拆分后分批导入。",
                "details": {"max_bytes": cap},
            }
            return JsonResponse(body, status=413, json_dumps_params={"ensure_ascii": False})
        return view(request, *args, **kwargs)

    return wrapper


class ImportForm(Schema):
    region: str = Field(..., max_length=12, pattern=r"^\d{2,12}$", description="导入到的区划代码（本人可导入的范围内）")


class ImportStarted(Schema):
    job_id: int


class ImportErrorOut(Schema):
    row: int
    column: str
    code: str
    message: str


class ImportStatus(Schema):
    status: str
    rows_total: int
    rows_imported: int
    rows_rejected: int
    errors: list[ImportErrorOut]
    errors_total: int = 0
    percent: int = 0
    phase: str = ""
    message: str = ""


def _require_import(request: AuthedRequest) -> None:
    if not request.user.has_action(Action.IMPORT):
        raise PermissionDenied()


@router.get(
    "/imports/households/template.xlsx",
    response={200: None, **errors(*AUTHED_GET, 403)},
    openapi_extra={"responses": {200: {"description": "导入模板", "content": {XLSX: {}}}}},
)
def household_template(request: AuthedRequest) -> HttpResponse:
    """The import template: a Chinese header row with the columns the import reads, and instructions."""
    _require_import(request)
    response = HttpResponse(template_bytes(), content_type=XLSX)
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E5%86%9C%E6%88%B7%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


@router.post("/imports/households", response={200: ImportStarted, **errors(*AUTHED_POST, 404)})
@decorate_view(refuse_oversized)
def household_import(
    request: AuthedRequest,
    form: Form[ImportForm],
    file: File[UploadedFile],
) -> dict[str, Any]:
    """Upload an xlsx of households (the template's columns); the import runs as a background job."""
    job = services.household_import_start(actor=request.user, region=form.region, upload=file)
    return {"job_id": job.pk}


@router.get("/imports/{job_id}", response={200: ImportStatus, **errors(*AUTHED_GET, 403, 404)})
def household_import_status(request: AuthedRequest, job_id: int) -> dict[str, Any]:
    """An import's progress and, once done, its counts and row errors (row, column, code, message)."""
    _require_import(request)
    job = selectors.import_job(request.user, job_id)
    result = job.result or {}
    return {
        "status": job.status,
        "rows_total": result.get("rows_total", job.total),
        "rows_imported": result.get("rows_imported", 0),
        "rows_rejected": result.get("rows_rejected", 0),
        "errors": result.get("errors", []),
        "errors_total": result.get("errors_total", 0),
        **{k: v for k, v in selectors.import_progress(job).items() if k in ("percent", "phase")},
        "message": job.message,
    }
