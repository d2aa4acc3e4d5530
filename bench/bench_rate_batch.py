"""BENCH rate_batch: ``creditvillage rate`` end to end on PostgreSQL, and a bare pipeline baseline.

For each size (default 111,000 — Tianchang — and 1,000,000 households) on a fresh database: generate
the county's archives (``archives_generate``), refresh the flat indicator rows (timed and reported as
``refresh_seconds``: it runs when archives change, not at every rating), then run
``manage.py rate --region COUNTY`` as its own process — Django start-up, reading the indicator rows
in chunks, scoring, COPY of the preliminary ratings, audit — timing the wall clock and taking the
process's peak memory. In the same run, the bare pipeline over the same rows: one read of the
model's indicator columns → numpy score, grade, veto → COPY into a narrow table, no run, no checks:

    BENCH rate_batch households=111000 seconds=... per_second=... peak_rss_mb=... baseline_seconds=... ratio=...

The command runs with Python's bytecode cache (``PYTHONPYCACHEPREFIX`` in a temp directory, warmed by
one ``rate --help``), as an installed deployment has it: this machine sets ``PYTHONDONTWRITEBYTECODE``,
which made every start-up compile Django, polars and the project from source (~2 s of CPU). The run's
own phases (``read``, ``score``, ``write``: ``RatingRun.message``) are in the line too.
``--database NAME`` reuses a database that already holds the county (generated once; its ratings are
emptied before the run), for measuring changes without generating a million households again.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, bench_line, fresh_postgres, load1, postgres_url, setup_django  # noqa: E402

COUNTY = "341181"


def baseline(prefix: str) -> tuple[float, int]:
    """Read the indicator columns, score, COPY into a narrow table: the floor a run is measured against."""
    import polars as pl
    from django.db import connection, transaction

    from creditvillage.core.scope import code_range
    from creditvillage.scoring import batch, engine, tabular

    version = batch.resolve_version(None)
    cm = engine.compile_version(version)
    lo, hi = code_range(prefix)
    sql, schema = batch.read_sql(cm)
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bare_ratings (subject_id bigint, score numeric(8, 2), grade varchar(8), "
                "credit_subject boolean, vetoed boolean) ON COMMIT DROP"
            )
        frame = tabular.read_frame(sql, ["household", lo, hi, 0, 2**62], schema)
        columns, vetoes = batch.to_columns(cm, frame)
        total, grade, credit, vetoed = engine.score_columns(cm, columns, vetoes)
        out = pl.DataFrame(
            {
                "subject_id": frame["subject_id"],
                "score": total / engine.CENT,
                "grade": pl.Series(list(cm.grades)).gather(pl.Series(grade)),
                "credit_subject": credit,
                "vetoed": vetoed,
            }
        )
        written = tabular.write_frame("bare_ratings", out)
    return time.perf_counter() - started, written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, nargs="+", default=[111_000, 1_000_000])
    parser.add_argument("--villages", type=int, default=151)
    parser.add_argument("--database", default=None, help="reuse this database (generated when empty)")
    args = parser.parse_args()
    if postgres_url() is None:
        print("bench_rate_batch: CV_DATABASE_URL is not PostgreSQL; skipping", flush=True)
        return 0
    for size in args.households:
        code = run_size(size, args.villages, args.database)
        if code:
            return code
    return 0


def reused(name: str) -> str:
    """The URL of database ``name`` on the cluster of ``CV_DATABASE_URL`` (created when missing)."""
    import psycopg

    base = postgres_url() or ""
    url = base.replace(urlparse(base).path, f"/{name}", 1)
    with psycopg.connect(base.replace(urlparse(base).path, "/postgres", 1), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    return url


def run_size(households: int, villages: int, database: str | None) -> int:
    # Each size in its own process: Django reads the database URL once.
    if os.environ.get("CV_BENCH_CHILD") != str(households):
        env = {**os.environ, "CV_BENCH_CHILD": str(households)}
        argv = [sys.executable, __file__, "--households", str(households), "--villages", str(villages)]
        argv += ["--database", database] if database else []
        return subprocess.run(argv, env=env, check=False).returncode
    url = reused(database) if database else fresh_postgres("cv_bench_rate_batch")
    setup_django(url)
    from django.db import connection

    from creditvillage.registry.generation import archives_generate
    from creditvillage.registry.models import Household
    from creditvillage.scoring.indicators import indicators_refresh
    from creditvillage.scoring.models import SubjectIndicators

    if Household.objects.count() != households:
        archives_generate(county=COUNTY, villages=villages, households=households, seed=1)
    refresh_seconds = 0.0
    if SubjectIndicators.objects.filter(subject_type="household").count() != households:
        refresh_seconds = indicators_refresh(COUNTY).seconds
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE rating_rating, rating_ratingrun CASCADE")
        cursor.execute("VACUUM ANALYZE rating_rating")
    env = {**os.environ, "CV_DATABASE_URL": url, "CV_LOG_LEVEL": "WARNING"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="cv-bench-pycache-")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "rate", "--help"], env=env, check=True, capture_output=True)  # warm the cache
    started = time.perf_counter()
    result = subprocess.run(
        [*manage, "rate", "--region", COUNTY],
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if result.returncode:
        print(result.stdout, result.stderr, file=sys.stderr)
        return result.returncode
    line = result.stdout.strip().splitlines()[-1]
    print(f"# {line}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    subjects = int(re.search(r"subjects=(\d+)", line).group(1))  # type: ignore[union-attr]
    in_run = float(re.search(r"seconds=([\d.]+)", line).group(1))  # type: ignore[union-attr]
    phases = {k: float(v) for k, v in re.findall(r"(read|score|write)=([\d.]+)s", line)}
    bare, written = baseline(COUNTY)
    if subjects != households or written != households:
        raise SystemExit(f"bench_rate_batch: rated {subjects}, baseline wrote {written}, expected {households}")
    bench_line(
        "rate_batch",
        households=households,
        seconds=wall,
        per_second=households / wall,
        run_seconds=in_run,
        peak_rss_mb=peak,
        baseline_seconds=bare,
        baseline_per_second=households / bare,
        ratio=wall / bare,
        run_ratio=in_run / bare,
        read_seconds=phases.get("read", 0.0),
        score_seconds=phases.get("score", 0.0),
        write_seconds=phases.get("write", 0.0),
        refresh_seconds=refresh_seconds,
        load1=load1(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
