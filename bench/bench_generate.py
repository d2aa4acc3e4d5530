"""BENCH generate: ``creditvillage generate`` at Tianchang scale (151 villages, 111,000 households).

For each database (a fresh SQLite file; a fresh database on the PostgreSQL cluster of
``CV_DATABASE_URL``) it prints

    BENCH generate db=... households=... persons=... rows=... seconds=... per_second=... peak_rss_mb=...

and, in the same run, two baselines:

* ``generate_baseline kind=narrow``: the same number of rows, three integer columns, no index, in
  one go — ``COPY`` on PostgreSQL, ``executemany`` on SQLite (the raw write speed of the database);
* ``generate_baseline kind=same_tables``: the rows just generated, copied back into the same
  (emptied) tables with all their indexes and foreign keys by ``INSERT … SELECT`` inside the
  database — the floor for this schema, with no client and no generation at all.

Usage: ``bench/bench_generate.py [--households N] [--villages N] [--db sqlite|postgresql|both]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_line, fresh_postgres, fresh_sqlite, load1, peak_rss_mb, postgres_url, setup_django  # noqa: E402

COUNTY = "341181"  # 天长市: 151 villages, about 111,000 households (seed 001)
TABLES = (
    "registry_household",
    "registry_person",
    "registry_asset",
    "registry_income",
    "registry_debt",
    "registry_insurance",
    "registry_businessentity",
)


def measure(db: str, households: int, villages: int) -> None:
    url = fresh_postgres("cv_bench_generate") if db == "postgresql" else fresh_sqlite()
    setup_django(url)
    from creditvillage.registry.generation import archives_generate

    report = archives_generate(county=COUNTY, villages=villages, households=households, seed=1)
    bench_line(
        "generate",
        db=db,
        households=report.households,
        persons=report.persons,
        rows=report.rows,
        seconds=report.seconds,
        per_second=report.per_second,
        rows_per_second=report.rows / report.seconds,
        peak_rss_mb=peak_rss_mb(),
        load1=load1(),
    )
    narrow(db, report.rows)
    same_tables(db, report.rows)


def narrow(db: str, rows: int) -> None:
    """The raw write speed: ``rows`` rows of three integers into a table without indexes."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_narrow (id bigint, household_id bigint, amount bigint)")
    if db == "postgresql":
        data = "".join(f"{i}\t{i // 14}\t{i * 7 % 100000}\n" for i in range(rows)).encode()
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy("COPY bench_narrow FROM STDIN") as copy:
                copy.write(data)
        kind = "narrow_copy"
    else:
        values = [(i, i // 14, i * 7 % 100000) for i in range(rows)]
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany("INSERT INTO bench_narrow VALUES (%s, %s, %s)", values)
        kind = "narrow_executemany"
    seconds = time.perf_counter() - started
    bench_line("generate_baseline", db=db, kind=kind, rows=rows, seconds=seconds, rows_per_second=rows / seconds)


def same_tables(db: str, rows: int) -> None:
    """The schema's floor: the same rows back into the same emptied tables, inside the database."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"CREATE TABLE bench_{table} AS SELECT * FROM {table}")
        if db == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        else:
            for table in reversed(TABLES):
                cursor.execute(f"DELETE FROM {table}")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"INSERT INTO {table} SELECT * FROM bench_{table}")
    seconds = time.perf_counter() - started
    bench_line(
        "generate_baseline", db=db, kind="same_tables", rows=rows, seconds=seconds, rows_per_second=rows / seconds
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=111_000)
    parser.add_argument("--villages", type=int, default=151)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--worker", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        measure(args.worker, args.households, args.villages)
        return 0
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    failed = 0
    for db in databases:
        if db == "postgresql" and postgres_url() is None:
            print("bench_generate: CV_DATABASE_URL is not PostgreSQL; skipping db=postgresql", flush=True)
            continue
        command = [sys.executable, __file__, "--worker", db, "--households", str(args.households)]
        failed |= subprocess.run([*command, "--villages", str(args.villages)], check=False).returncode
    return failed


if __name__ == "__main__":
    sys.exit(main())
