"""BENCH household_list: the household list API and page at county and township scope, 111,000 households.

On a fresh PostgreSQL database (the cluster of ``CV_DATABASE_URL``) it generates 天长市's archives,
then times requests through Django's test client (the whole stack: middleware, auth, scoping,
serialisation or templates; no network):

    BENCH household_list_api scope=county households=111000 n=200 p50_ms=... p95_ms=... queries=...
    BENCH household_list_page scope=county ...

and, in the same run, the baseline: the same SQL the API issues for that page, run bare on a cursor
(``household_list_baseline kind=raw_sql``). A deep page (``page=2000``, offset ~100,000) is timed
too, because OFFSET pagination gets slower the deeper it goes. ``--explain`` prints the plans.

Usage: ``bench/bench_list.py [--households N] [--villages N] [--requests N] [--explain]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_line, fresh_postgres, load1, postgres_url, setup_django  # noqa: E402

COUNTY = "341181"


def timings(action: Callable[[], object], n: int, warmup: int = 10) -> list[float]:
    for _ in range(warmup):
        action()
    result = []
    for _ in range(n):
        started = time.perf_counter()
        action()
        result.append((time.perf_counter() - started) * 1000)
    return result


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def report(name: str, values: list[float], **keys: object) -> None:
    bench_line(name, **keys, n=len(values), p50_ms=statistics.median(values), p95_ms=p95(values), load1=load1())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=111_000)
    parser.add_argument("--villages", type=int, default=151)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the list's queries")
    args = parser.parse_args()
    if postgres_url() is None:
        print("bench_list: CV_DATABASE_URL is not PostgreSQL; skipping", flush=True)
        return 0
    setup_django(fresh_postgres("cv_bench_list"))
    users, tokens = prepare(args.households, args.villages)
    for scope, code in (("county", COUNTY), ("township", f"{COUNTY}100")):
        measure(scope, code, users[scope], tokens[scope], args)
    return 0


def prepare(households: int, villages: int) -> tuple[dict[str, object], dict[str, str]]:
    """Generate the archives; a county administrator and a township operator with API tokens."""
    from creditvillage.accounts.models import RoleAssignment, User
    from creditvillage.accounts.services import token_issue
    from creditvillage.registry.generation import archives_generate

    archives_generate(county=COUNTY, villages=villages, households=households, seed=1)
    users: dict[str, object] = {}
    tokens: dict[str, str] = {}
    for scope, role, region in (
        ("county", "admin", f"{COUNTY}000000"),
        ("township", "township_operator", f"{COUNTY}100000"),
    ):
        user = User.objects.create_user(username=f"bench_{scope}", password="bench-password-1", display_name="基准")
        RoleAssignment.objects.create(user=user, role=role, region_id=region)
        users[scope] = user
        tokens[scope], _expires = token_issue(user=user)
    return users, tokens


def measure(scope: str, code: str, user: object, token: str, args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from creditvillage.registry.models import Household

    households = Household.objects.count()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    page = Client()
    page.force_login(user)  # type: ignore[arg-type]

    def get(client: Client, url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.content[:200]!r}")

    api_url = f"/api/v1/households?region={code}"
    with CaptureQueriesContext(connection) as api_queries:
        get(api, api_url)
    with CaptureQueriesContext(connection) as page_queries:
        get(page, f"/households/?region={code}")
    # captured_queries reads the connection's log lazily; the next request clears that log.
    api_sql = [q["sql"] for q in api_queries.captured_queries]
    page_sql = [q["sql"] for q in page_queries.captured_queries]
    common = {"scope": scope, "households": households}
    report("household_list_api", timings(lambda: get(api, api_url), args.requests), **common, queries=len(api_sql))
    report(
        "household_list_page",
        timings(lambda: get(page, f"/households/?region={code}"), args.requests),
        **common,
        queries=len(page_sql),
    )
    baseline = [sql for sql in api_sql if "registry_household" in sql]

    def raw() -> None:
        with connection.cursor() as cursor:
            for sql in baseline:
                cursor.execute(sql)
                cursor.fetchall()

    report("household_list_baseline", timings(raw, args.requests), **common, kind="raw_sql", queries=len(baseline))
    if scope == "county":
        deep = max(1, min(2000, households // 50))
        deep_url = f"{api_url}&page={deep}"
        report(
            "household_list_api_deep",
            timings(lambda: get(api, deep_url), max(20, args.requests // 10)),
            **common,
            page=deep,
        )
    if args.explain:
        explain(baseline)


def explain(queries: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in queries:
            print(sql, flush=True)
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("\n".join(row[0] for row in cursor.fetchall()), flush=True)


if __name__ == "__main__":
    sys.exit(main())
