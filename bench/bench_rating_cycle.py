"""BENCH rating_cycle: publishing notices and finalising a cycle for 111,000 households (天长市) on PostgreSQL.

On a fresh database (the cluster of ``CV_DATABASE_URL``) it generates the county's archives, opens a
cycle over the county, writes the preliminary ratings (the scoring engine's batch with the active model),
then times the two services of the rating cycle, each all-or-nothing per village:

    BENCH rating_cycle_publish households=111000 villages=120 seconds=... per_second=...
    BENCH rating_cycle_finalise households=111000 villages=120 seconds=... per_second=...

and, in the same run, the baseline: the same row changes as two bare SQL statements over the whole
county in one transaction (``rating_cycle_baseline kind=raw_sql``), with no per-village checks,
notices or audit.

Usage: ``bench/bench_rating_cycle.py [--households N] [--villages N] [--database NAME]``; ``--database``
reuses a database that already holds the county (its cycles, ratings and grades are emptied first).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_line, fresh_postgres, load1, peak_rss_mb, postgres_url, setup_django  # noqa: E402

COUNTY = "341181"


def check(ok: bool, message: str) -> None:
    if not ok:
        raise SystemExit(f"bench_rating_cycle: {message}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=111_000)
    parser.add_argument("--villages", type=int, default=120)
    parser.add_argument("--database", default=None, help="reuse this database (generated when empty)")
    args = parser.parse_args()
    if postgres_url() is None:
        print("bench_rating_cycle: CV_DATABASE_URL is not PostgreSQL; skipping", flush=True)
        return 0
    if args.database:
        from bench_rate_batch import reused

        setup_django(reused(args.database))
    else:
        setup_django(fresh_postgres("cv_bench_rating_cycle"))

    from django.db import connection, transaction
    from django.utils import timezone

    from creditvillage.accounts.models import RoleAssignment, User
    from creditvillage.rating import services
    from creditvillage.rating.models import Notice, Rating
    from creditvillage.registry.generation import archives_generate
    from creditvillage.registry.models import Household

    if Household.objects.count() != args.households:
        archives_generate(county=COUNTY, villages=args.villages, households=args.households, seed=1)
    with connection.cursor() as cursor:  # a reused database: no cycle, rating or grade left
        cursor.execute("TRUNCATE rating_rating, rating_ratingrun, rating_notice, rating_ratingcycle CASCADE")
        cursor.execute("UPDATE registry_household SET grade = '' WHERE grade <> ''")
        cursor.execute("VACUUM ANALYZE registry_household")
    admin, _ = User.objects.get_or_create(username="bench-admin")
    RoleAssignment.objects.get_or_create(user=admin, role="admin", region_id=f"{COUNTY}000000")
    households = Household.objects.count()

    cycle = services.cycle_open(actor=admin, region_code=COUNTY, year=2026)
    started = time.perf_counter()
    run = services.cycle_run(actor=admin, cycle=cycle)
    seconds = time.perf_counter() - started
    bench_line(
        "rating_cycle_batch",
        model=f"{run.model_code}_v{run.model_version}",
        households=run.subjects,
        seconds=seconds,
        per_second=run.subjects / seconds,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE rating_rating")

    started = time.perf_counter()
    report = services.notices_publish(actor=admin, cycle=cycle, starts_at=timezone.now() - dt.timedelta(days=8), days=7)
    seconds = time.perf_counter() - started
    villages = len(report.notices)
    check(not report.skipped, f"skipped villages: {report.skipped}")
    bench_line(
        "rating_cycle_publish", households=households, villages=villages, seconds=seconds,
        per_second=households / seconds, load1=load1(),
    )  # fmt: skip

    started = time.perf_counter()
    final = services.cycle_finalise(actor=admin, cycle=cycle)
    seconds = time.perf_counter() - started
    check(not final.blocked, f"blocked: {final.blocked}")
    check(final.ratings == households, f"{final.ratings} ratings finalised")
    check(Household.objects.exclude(grade="").count() == households, "households without a grade")
    bench_line(
        "rating_cycle_finalise", households=households, villages=len(final.villages), seconds=seconds,
        per_second=households / seconds, peak_rss_mb=peak_rss_mb(), load1=load1(),
    )  # fmt: skip
    check(Notice.objects.filter(cycle=cycle, status="finalised").count() == villages, "notices not finalised")

    # Baseline: the same row changes as two bare statements over the whole county.
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE rating_rating SET status = 'final' WHERE cycle_id = %s", [cycle.pk])
        cursor.execute(
            "UPDATE registry_household h SET grade = r.grade FROM rating_rating r "
            "WHERE r.cycle_id = %s AND r.subject_type = 'household' AND r.subject_id = h.id AND r.status = 'final'",
            [cycle.pk],
        )
    seconds = time.perf_counter() - started
    bench_line("rating_cycle_baseline", kind="raw_sql", households=households, seconds=seconds)
    check(Rating.objects.filter(cycle=cycle, status="final").count() == households, "ratings not final")
    return 0


if __name__ == "__main__":
    sys.exit(main())
