"""The import API of contract.md: template, upload → job_id, job status with row errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from python_calamine import CalamineWorkbook

from creditvillage.collection.imports.columns import HEADERS
from creditvillage.collection.imports.samples import KEYS, household_rows, xlsx_bytes
from creditvillage.core.models import Job
from creditvillage.registry.models import Household
from tests.fixtures import PASSWORD, World

pytestmark = pytest.mark.django_db
ZHOUAN = "341502204201"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def token_client(username: str) -> Client:
    client = Client()
    response = client.post(
        "/api/v1/auth/token", {"username": username, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {response.json()['token']}"
    return client


def post_file(client: Client, data: bytes, region: str = ZHOUAN) -> Any:
    return client.post("/api/v1/imports/households", {"file": SimpleUploadedFile("h.xlsx", data), "region": region})


def test_template_download(world: World) -> None:
    response = token_client("collector").get("/api/v1/imports/households/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()[0]
    assert header == list(HEADERS)


def test_template_refused_without_the_import_action(world: World) -> None:
    response = token_client("evaluator").get("/api/v1/imports/households/template.xlsx")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_upload_then_status_with_errors(world: World, django_capture_on_commit_callbacks: Any) -> None:
    rows = household_rows([ZHOUAN], 3, seed=21, first=2101, members=(2, 2))
    rows[0][KEYS.index("phone")] = "12345"
    client = token_client("collector")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, xlsx_bytes(rows))
    assert response.status_code == 200, response.content
    job_id = response.json()["job_id"]
    assert set(response.json()) == {"job_id"}
    status = client.get(f"/api/v1/imports/{job_id}").json()
    assert status["status"] == "succeeded"
    assert (status["rows_total"], status["rows_imported"], status["rows_rejected"]) == (6, 4, 2)
    assert {"row": 2, "column": "手机号", "code": "bad_length", "message": status["errors"][0]["message"]} in status[
        "errors"
    ]
    assert {e["code"] for e in status["errors"]} == {"bad_length", "household_rejected"}
    assert all(set(e) == {"row", "column", "code", "message"} for e in status["errors"])
    assert Household.objects.filter(number=rows[2][0]).exists()


def test_status_of_another_scopes_job_is_404_like_missing(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_file(token_client("collector"), xlsx_bytes(household_rows([ZHOUAN], 1))).json()["job_id"]
    # The township operator above the village sees it; a sibling township's operator does not.
    assert token_client("township_operator").get(f"/api/v1/imports/{job_id}").status_code == 200
    other = token_client("sibling_township_operator")
    hidden = other.get(f"/api/v1/imports/{job_id}")
    missing = other.get("/api/v1/imports/99999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_upload_into_a_region_out_of_scope_is_404_and_writes_nothing(world: World) -> None:
    response = post_file(token_client("collector"), xlsx_bytes(household_rows([ZHOUAN], 1)), region="341502101201")
    assert response.status_code == 404
    assert not Job.objects.filter(kind="household_import").exists()


def test_upload_without_import_action_is_403(world: World) -> None:
    response = post_file(token_client("regulator"), xlsx_bytes(household_rows([ZHOUAN], 1)))
    assert response.status_code == 403
    assert not Job.objects.filter(kind="household_import").exists()


def test_upload_requires_authentication(world: World) -> None:
    response = post_file(Client(), xlsx_bytes(household_rows([ZHOUAN], 1)))
    assert response.status_code == 401
