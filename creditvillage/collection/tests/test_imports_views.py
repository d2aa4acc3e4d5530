"""Import pages: upload form, refusals shown in the form, progress and results with errors, report."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from python_calamine import CalamineWorkbook

from creditvillage.collection.imports import services
from creditvillage.collection.imports.samples import KEYS, household_rows, xlsx_bytes
from creditvillage.core.models import Job, JobStatus
from tests.fixtures import World

pytestmark = pytest.mark.django_db
ZHOUAN = "341502204201"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def page_client(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.users[name])
    return client


def test_upload_page_offers_the_template_and_the_regions(world: World) -> None:
    response = page_client(world, "collector").get("/collection/imports/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "下载导入模板" in text
    assert ZHOUAN in text
    assert "341502101201" not in text  # not a region the collector may import into
    template = page_client(world, "collector").get("/collection/imports/template.xlsx")
    assert template.status_code == 200
    assert template.content[:2] == b"PK"


def test_upload_page_refused_without_import(world: World) -> None:
    assert page_client(world, "evaluator").get("/collection/imports/").status_code == 403
    assert page_client(world, "regulator").get("/collection/imports/template.xlsx").status_code == 403


def test_upload_runs_the_import_and_the_result_page_lists_the_errors(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    rows = household_rows([ZHOUAN], 2, seed=31, first=4001, members=(2, 2))
    rows[2][KEYS.index("id_number")] = rows[2][KEYS.index("id_number")][:17] + "Y"
    client = page_client(world, "collector")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/collection/imports/", {"region": ZHOUAN, "file": SimpleUploadedFile("h.xlsx", xlsx_bytes(rows))}
        )
    job = Job.objects.get(kind="household_import")
    assert response.status_code == 302
    assert response["Location"] == f"/collection/imports/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED
    assert "身份证号码" in page
    assert "bad_characters" in page
    assert "household_rejected" in page
    assert 'data-testid="rows-imported">2<' in page
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="import-progress"')
    report = client.get(f"/collection/imports/{job.pk}/report.xlsx")
    assert report.status_code == 200
    data = b"".join(report.streaming_content)  # type: ignore[attr-defined]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert sheet[0] == ["行号", "列", "错误代码", "说明"]
    assert len(sheet) == 1 + Job.objects.get(pk=job.pk).result["errors_total"]


def test_a_refused_file_is_explained_in_the_form(world: World) -> None:
    client = page_client(world, "collector")
    csv = "户编号,村区划代码\nH1,341502204201\n".encode("gbk")
    response = client.post("/collection/imports/", {"region": ZHOUAN, "file": SimpleUploadedFile("h.csv", csv)})
    assert response.status_code == 422
    assert "CSV" in response.content.decode()
    assert not Job.objects.exists()


def test_result_pages_of_another_scope_are_404(world: World, django_capture_on_commit_callbacks: Any) -> None:
    job = services.household_import_start(
        actor=world.users["collector"],
        region=ZHOUAN,
        upload=SimpleUploadedFile("h.xlsx", xlsx_bytes(household_rows([ZHOUAN], 1))),
    )
    other = page_client(world, "sibling_township_operator")
    for suffix in ("", "report.xlsx"):
        assert other.get(f"/collection/imports/{job.pk}/{suffix}").status_code == 404
    assert other.post(f"/collection/imports/{job.pk}/resume/").status_code == 404


def test_resume_button_requeues_a_failed_import(world: World, django_capture_on_commit_callbacks: Any) -> None:
    rows = household_rows([ZHOUAN], 2, seed=32, first=4101)
    job = services.household_import_start(
        actor=world.users["collector"], region=ZHOUAN, upload=SimpleUploadedFile("h.xlsx", xlsx_bytes(rows))
    )
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED)
    client = page_client(world, "collector")
    assert "从中断处继续导入" in client.get(f"/collection/imports/{job.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/collection/imports/{job.pk}/resume/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result["rows_imported"] == len(rows)
