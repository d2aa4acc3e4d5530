"""BENCH import_xlsx: a 100,000-row template file with 5% bad rows, upload to job done, on PostgreSQL.

On a fresh PostgreSQL database (the cluster of ``CV_DATABASE_URL``) it builds one township with
``--villages`` villages and a township operator, writes a template-shaped xlsx of about ``--rows``
member rows (5% of them with one bad cell) in a child process, then times, through Django's test
client and the immediate task backend (the whole stack: multipart upload, the gate, calamine,
validation, registry checks, chunked COPY writes with checkpoints, the error report, the status
call):

    BENCH import_xlsx rows=... seconds=... rows_per_second=... peak_rss_mb=... imported=... rejected=...
    BENCH import_xlsx_baseline rows=... seconds=... kind=calamine_read ratio=...

The baseline is the bare read of the same file with python-calamine (``to_python()`` of the first
sheet), measured in the same run; ``ratio`` = import seconds / baseline seconds (aim: ≤ 4).
Peak memory is the import process's high-water mark before the baseline runs.

Usage: ``bench/bench_import.py [--rows N] [--villages N]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, bench_line, fresh_postgres, load1, peak_rss_mb, postgres_url, setup_django  # noqa: E402

TOWNSHIP = "341502204000"


def villages(n: int) -> list[str]:
    return [f"341502204{200 + i:03d}" for i in range(1, n + 1)]


def generate(path: Path, rows: int, n_villages: int) -> int:
    """Write the file (in a child process, so its memory does not count)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditvillage.settings")
    import django

    django.setup()
    from creditvillage.collection.imports.samples import household_rows, write_xlsx

    data = household_rows(villages(n_villages), max(1, rows // 3), seed=2026, bad_ratio=0.05, members=(1, 5))
    write_xlsx(path, data)
    return len(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--villages", type=int, default=20)
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        print(generate(Path(args.generate), args.rows, args.villages))
        return 0
    if postgres_url() is None:
        print("bench_import: CV_DATABASE_URL is not PostgreSQL; skipping", flush=True)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="cv-bench-import-"))
    path = folder / "households.xlsx"
    made = subprocess.run(  # noqa: S603 - this script
        [sys.executable, __file__, "--generate", str(path), "--rows", str(args.rows), "--villages", str(args.villages)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = int(made.stdout.strip().splitlines()[-1])

    os.environ["CV_TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    setup_django(fresh_postgres("cv_bench_import"))
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: F401 - loads the upload machinery
    from django.test import Client

    from creditvillage.accounts.models import RoleAssignment, User
    from creditvillage.regions.models import Region

    province = Region.objects.create(code="340000000000", name="安徽省", level="province")
    city = Region.objects.create(code="341500000000", name="六安市", level="city", parent=province)
    county = Region.objects.create(code="341502000000", name="金安区", level="county", parent=city)
    township = Region.objects.create(code=TOWNSHIP, name="横塘岗乡", level="township", parent=county)
    for index, code in enumerate(villages(args.villages)):
        Region.objects.create(code=code, name=f"村{index + 1}", level="village", parent=township)
    user = User.objects.create_user(username="bench-importer", password="bench-only-password")
    RoleAssignment.objects.create(user=user, role="township_operator", region=township)
    client = Client()
    client.force_login(user)
    # Warm the URL resolver, the API and the template once (not measured).
    client.get("/api/v1/imports/households/template.xlsx")

    started = time.perf_counter()
    with path.open("rb") as handle:
        response = client.post("/api/v1/imports/households", {"file": handle, "region": TOWNSHIP})
    if response.status_code != 200:
        print(f"bench_import: upload refused {response.status_code} {response.content[:300]!r}", flush=True)
        return 1
    status = client.get(f"/api/v1/imports/{response.json()['job_id']}").json()
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    if status["status"] != "succeeded":
        print(f"bench_import: job {status['status']}", flush=True)
        return 1

    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    read = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    baseline = time.perf_counter() - started
    bench_line(
        "import_xlsx",
        rows=status["rows_total"],
        seconds=seconds,
        rows_per_second=status["rows_total"] / seconds,
        peak_rss_mb=peak,
        imported=status["rows_imported"],
        rejected=status["rows_rejected"],
        errors=status["errors_total"],
        file_mb=path.stat().st_size / 1024 / 1024,
        load1=load1(),
    )
    bench_line(
        "import_xlsx_baseline",
        rows=len(read) - 1,
        seconds=baseline,
        kind="calamine_read",
        ratio=seconds / baseline,
    )
    assert rows == status["rows_total"], (rows, status["rows_total"])  # noqa: S101
    return 0


if __name__ == "__main__":
    sys.exit(main())
