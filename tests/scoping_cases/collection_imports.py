"""Scoping-matrix entries of the household import (collection/imports): API and pages.

Rules restated from the oracle's grants: the template and the upload form need the ``import``
action anywhere (else 403, whatever the target); an upload goes only into a region under one of
the actor's ``import`` grants (else the answer of a region that does not exist); an import job is
seen by its uploader and by anyone with ``import`` over the job's region (else the answer of a
job that does not exist). Refused uploads change no domain table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.scoping import snapshot, snapshot_diff

if TYPE_CHECKING:
    from creditvillage.accounts.models import User
    from creditvillage.core.models import Job
    from tests.test_scoping_matrix import Matrix

API = "/api/v1"
MISSING_JOB = 99_999_994
MISSING_REGION = "341502204299"


def _may_import(m: Matrix, user: User) -> bool:
    return user.is_superuser or bool(m.oracle.grants(user, "import"))


def _import_regions(m: Matrix, user: User) -> set[str]:
    return m.oracle.regions_for(user, "import")


def _job_visible(m: Matrix, user: User, job: Job) -> bool:
    if user.is_superuser or job.created_by_id == user.pk:
        return True
    return any(
        job.region_code.startswith(g.prefix)
        for g in m.oracle.grants(user, "import")
        if g.household_id is None and g.bank_id is None and g.merchant_id is None
    )


def _jobs(m: Matrix) -> list[Job]:
    cached = getattr(m, "_import_jobs", None)
    if cached is not None:
        return cached
    from creditvillage.core.models import Job, JobStatus

    jobs = []
    for owner, region in (("collector", "341502204201"), ("other_township_operator", "341181100000")):
        jobs.append(
            Job.objects.create(
                kind="household_import",
                created_by=m.personas[owner],
                region_code=region,
                status=JobStatus.SUCCEEDED,
                params={"region": region, "filename": "h.xlsx"},
                result={
                    "rows_total": 1,
                    "rows_imported": 0,
                    "rows_rejected": 1,
                    "errors": [{"row": 2, "column": "成员姓名", "code": "required", "message": "必填"}],
                    "errors_total": 1,
                    "report": "",
                },
            )
        )
    m._import_jobs = jobs  # type: ignore[attr-defined]
    return jobs


def _file() -> SimpleUploadedFile:
    from creditvillage.collection.imports.samples import household_rows, xlsx_bytes

    return SimpleUploadedFile("h.xlsx", xlsx_bytes(household_rows(["341502204201"], 1, seed=99, first=9001)))


def api_template(m: Matrix) -> None:
    for name, user in m.personas.items():
        m.calls["GET /imports/households/template.xlsx"] += 1
        response = m.api_clients[name].get(f"{API}/imports/households/template.xlsx")
        expected = 200 if _may_import(m, user) else 403
        if response.status_code != expected:
            m.fail(f"{name} GET template: {response.status_code}, expected {expected}")


def api_upload(m: Matrix) -> None:
    from creditvillage.core.models import Job

    for name, user in m.personas.items():
        client = m.api_clients[name]
        allowed = _import_regions(m, user) if _may_import(m, user) else set()
        before = snapshot()
        missing = client.post(f"{API}/imports/households", {"file": _file(), "region": MISSING_REGION})
        # Refused uploads first: they must change nothing at all, not even the job or audit tables.
        for code in sorted(set(m.oracle.regions) - allowed):
            m.calls["POST /imports/households"] += 1
            m.note_relation(user, code)
            response = client.post(f"{API}/imports/households", {"file": _file(), "region": code})
            m.check_like_missing(name, f"POST /imports/households region={code}", response, missing)
        if diff := snapshot_diff(before, snapshot()):
            m.fail(f"{name}: refused uploads changed {diff}")
        for code in sorted(allowed):
            m.calls["POST /imports/households"] += 1
            jobs = set(Job.objects.values_list("pk", flat=True))
            response = client.post(f"{API}/imports/households", {"file": _file(), "region": code})
            created = Job.objects.exclude(pk__in=jobs)
            if response.status_code != 200 or created.count() != 1 or created[0].region_code != code:
                m.fail(f"{name} POST /imports/households region={code}: {response.status_code}, expected 200")


def api_status(m: Matrix) -> None:
    jobs = _jobs(m)
    for name, user in m.personas.items():
        client = m.api_clients[name]
        missing = client.get(f"{API}/imports/{MISSING_JOB}")
        for job in jobs:
            m.calls["GET /imports/{job_id}"] += 1
            response = client.get(f"{API}/imports/{job.pk}")
            if _may_import(m, user) and _job_visible(m, user, job):
                if response.status_code != 200 or response.json().get("rows_rejected") != 1:
                    m.fail(f"{name} GET /imports/{job.pk}: {response.status_code}, expected 200")
                continue
            m.check_like_missing(name, f"GET /imports/{job.pk}", response, missing)


def _page_for_importers(url: str, label: str) -> Any:
    def check(m: Matrix) -> None:
        every = set(m.oracle.households)
        for name, user in m.personas.items():
            m.calls[label] += 1
            response = m.page_clients[name].get(url)
            expected = 200 if _may_import(m, user) else 403
            if response.status_code != expected:
                m.fail(f"{name} GET {url}: {response.status_code}, expected {expected}")
            m.check_no_leak(name, f"GET {url}", response, every - m.oracle.households_for(user, "view"))

    return check


def _page_for_jobs(suffix: str, method: str = "get") -> Any:
    def check(m: Matrix) -> None:
        jobs = _jobs(m)
        for name, user in m.personas.items():
            client = m.page_clients[name]
            send = getattr(client, method)
            missing_path = f"/collection/imports/{MISSING_JOB}/{suffix}"
            missing = send(missing_path)
            for job in jobs:
                m.calls[f"{method.upper()} /collection/imports/<pk>/{suffix}"] += 1
                path = f"/collection/imports/{job.pk}/{suffix}"
                response = send(path)
                if _may_import(m, user) and _job_visible(m, user, job):
                    if suffix == "" and response.status_code != 200:
                        m.fail(f"{name} GET {path}: {response.status_code}, expected 200")
                    continue
                m.check_like_missing(name, f"{method.upper()} {path}", response, missing, path, missing_path)

    return check


API_CASES: dict[tuple[str, str], Any] = {
    ("GET", f"{API}/imports/households/template.xlsx"): api_template,
    ("POST", f"{API}/imports/households"): api_upload,
    ("GET", f"{API}/imports/{{job_id}}"): api_status,
}

PAGE_CASES: dict[str, Any] = {
    "collection:import-upload": _page_for_importers("/collection/imports/", "GET /collection/imports/"),
    "collection:import-template": _page_for_importers(
        "/collection/imports/template.xlsx", "GET /collection/imports/template.xlsx"
    ),
    "collection:import-detail": _page_for_jobs(""),
    "collection:import-report": _page_for_jobs("report.xlsx"),
    "collection:import-resume": _page_for_jobs("resume/", "post"),
}
