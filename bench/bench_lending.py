"""BENCH lending: whole-village grants for every village of a Tianchang-size county, and the validation report.

On a fresh PostgreSQL database (the cluster of ``CV_DATABASE_URL``): 天长市's archives (111,000
households in 151 villages), a final 2025 and 2026 rating for each, consent to the bench bank from
about 90% of households, defaulted loans for some low scorers. Then, timed:

    BENCH lending_village_grant mode=county_act villages=151 households=111000 lines=... seconds=...
    BENCH lending_village_grant mode=per_village villages=151 lines=... seconds=...
    BENCH lending_validation_report subjects=... seconds=... ks=... auc=... psi=...

(``mode=county_act``: the whole county in one ``region_grant``; ``mode=per_village``: the same
lines again, one ``village_grant`` per village), and the comparisons of the same run: the bare
SQL count of eligible subjects (what the grant's reads must at least do), and the numpy
KS/AUC/PSI on arrays already in memory (the report's arithmetic without its queries).

Usage: ``bench/bench_lending.py [--households N] [--villages N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_line, fresh_postgres, load1, peak_rss_mb, postgres_url, setup_django  # noqa: E402

COUNTY = "341181"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=111_000)
    parser.add_argument("--villages", type=int, default=151)
    args = parser.parse_args()
    if postgres_url() is None:
        print("bench_lending: CV_DATABASE_URL is not PostgreSQL; skipping", flush=True)
        return 0
    setup_django(fresh_postgres("cv_bench_lending"))
    officer, admin, product = prepare(args.households, args.villages)
    measure(officer, admin, product)
    return 0


def prepare(households: int, villages: int) -> tuple[object, object, object]:
    import datetime as dt
    from decimal import Decimal

    import numpy as np
    from django.db import connection
    from django.utils import timezone

    from creditvillage.accounts.models import RoleAssignment, User
    from creditvillage.lending.models import Bank, Consent, CreditLine, Loan
    from creditvillage.lending.services import product_create_from_preset
    from creditvillage.rating.models import Rating, RatingCycle
    from creditvillage.regions.models import Region
    from creditvillage.registry.generation import archives_generate
    from creditvillage.registry.models import Household

    archives_generate(county=COUNTY, villages=villages, households=households, seed=1)
    bank = Bank.objects.create(code="BENCH", name="基准农商行", short_name="基准")
    bank.regions.add(Region.objects.get(code=f"{COUNTY}000000"))
    officer = User.objects.create_user(username="bench_officer", password="bench-password-1", display_name="专干")
    RoleAssignment.objects.create(user=officer, role="bank_officer", region_id=f"{COUNTY}000000", bank=bank)
    admin = User.objects.create_user(username="bench_admin", password="bench-password-1", display_name="管理员")
    RoleAssignment.objects.create(user=admin, role="admin", region_id=f"{COUNTY}000000")
    product = product_create_from_preset(actor=None, bank=bank, preset="tianchang", code="qs", name="芡实贷")
    rows = list(Household.objects.values_list("pk", "region_id").order_by("pk"))
    rng = np.random.default_rng(1)
    now = timezone.now()
    townships = sorted({code[:9] for _pk, code in rows})
    for year, shift in ((2025, 0.0), (2026, 1.5)):
        cycles = {
            t: RatingCycle.objects.create(region_id=t.ljust(12, "0"), year=year, name=f"{t} {year}", status="final")
            for t in townships
        }
        scores = np.clip(rng.normal(78 + shift, 9, len(rows)), 30, 100).round(2)
        grades = np.where(scores >= 90, "AAA", np.where(scores >= 80, "AA", np.where(scores >= 70, "A", "B")))
        Rating.objects.bulk_create(
            [
                Rating(
                    cycle=cycles[code[:9]],
                    subject_type="household",
                    subject_id=pk,
                    household_id=pk,
                    region_code=code,
                    model_code="bench",
                    model_version=1,
                    score=Decimal(str(score)),
                    grade=str(grade),
                    credit_subject=str(grade) != "B",
                    status="superseded" if year == 2025 else "final",
                    created_at=now - dt.timedelta(days=365 if year == 2025 else 0),
                )
                for (pk, code), score, grade in zip(rows, scores, grades, strict=True)
            ],
            batch_size=5000,
        )
        last_scores = scores
    consenting = rng.random(len(rows)) < 0.9
    Consent.objects.bulk_create(
        [
            Consent(household_id=pk, bank=bank, granted_at=now)
            for (pk, _code), c in zip(rows, consenting, strict=True)
            if c
        ],
        batch_size=5000,
    )
    # Defaults: low scorers default more often (so KS/AUC measure something).
    p_default = 1 / (1 + np.exp((last_scores - 62) / 5))
    defaulted = [i for i in range(len(rows)) if rng.random() < p_default[i]]
    lines = CreditLine.objects.bulk_create(
        [
            CreditLine(
                bank=bank,
                product=product,
                subject_type="household",
                subject_id=rows[i][0],
                household_id=rows[i][0],
                subject_name="x",
                region_code=rows[i][1],
                grade="A",
                limit_fen=10_000_000,
                used_fen=5_000_000,
                max_rate_pct=Decimal("4.83"),
                granted_at=now,
            )
            for i in defaulted
        ],
        batch_size=5000,
    )
    Loan.objects.bulk_create(
        [
            Loan(
                line=line,
                bank=bank,
                household_id=line.household_id,
                region_code=line.region_code,
                status="defaulted",
                requested_fen=5_000_000,
                requested_term_months=12,
                purpose="bench",
                applied_at=now,
                principal_outstanding_fen=5_000_000,
                overdue_days=120,
            )
            for line in lines
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        for table in ("rating_rating", "lending_consent", "lending_creditline", "lending_loan"):
            cursor.execute(f"ANALYZE {table}")
    return officer, admin, product


def measure(officer: object, admin: object, product: object) -> None:
    import numpy as np
    from django.db import connection

    from creditvillage.lending import services, validation
    from creditvillage.lending.models import CreditLine
    from creditvillage.regions.models import Region
    from creditvillage.registry.models import Household

    households = Household.objects.count()
    villages = list(Region.objects.filter(level="village", code__startswith=COUNTY).values_list("code", flat=True))
    existing = CreditLine.objects.count()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM rating_rating r JOIN lending_consent c ON c.household_id = r.subject_id"
            " WHERE r.status = 'final' AND r.subject_type = 'household' AND c.revoked_at IS NULL"
            " AND r.grade IN ('A','AA','AAA') AND r.vetoed = false"
        )
        eligible = cursor.fetchone()[0]
    baseline = time.perf_counter() - started
    county = f"{COUNTY}000000"
    started = time.perf_counter()
    preview = services.region_grant_preview(actor=officer, product=product, region_code=county)  # type: ignore[arg-type]
    preview_seconds = time.perf_counter() - started
    started = time.perf_counter()
    grants = services.region_grant(actor=officer, product=product, region_code=county)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    lines = CreditLine.objects.count() - existing
    if not lines == sum(g.lines_created for g in grants) == preview.count:
        raise SystemExit(f"preview ({preview.count}) and result ({lines}) differ")
    bench_line(
        "lending_village_grant",
        mode="county_act",
        villages=len(villages),
        households=households,
        lines=lines,
        seconds=seconds,
        per_second=lines / seconds if seconds else 0.0,
        peak_rss_mb=peak_rss_mb(),
        load1=load1(),
    )
    bench_line("lending_village_grant_preview", mode="county", lines=preview.count, seconds=preview_seconds)
    bench_line("lending_village_grant_baseline", kind="raw_sql_count", eligible=eligible, seconds=baseline)
    # The same lines once more, one village_grant per village (the officer's act on the page/API).
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM lending_creditline WHERE village_grant_id IS NOT NULL")
        cursor.execute("DELETE FROM lending_villagegrant")
        cursor.execute("VACUUM ANALYZE lending_creditline")
    started = time.perf_counter()
    for code in villages:
        services.village_grant(actor=officer, product=product, region_code=code)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    again = CreditLine.objects.count() - existing
    bench_line(
        "lending_village_grant",
        mode="per_village",
        villages=len(villages),
        lines=again,
        seconds=seconds,
        per_second=again / seconds if seconds else 0.0,
        load1=load1(),
    )
    started = time.perf_counter()
    report = validation.validation_report(actor=admin, region=f"{COUNTY}000000", year=2026)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    bench_line(
        "lending_validation_report",
        subjects=report["subjects"],
        defaults=report["defaults"],
        seconds=seconds,
        ks=report["ks"],
        auc=report["auc"],
        psi=report["psi"],
        peak_rss_mb=peak_rss_mb(),
    )
    rng = np.random.default_rng(2)
    scores = rng.normal(78, 9, report["subjects"])
    bad = rng.random(report["subjects"]) < 0.05
    started = time.perf_counter()
    validation.ks_auc(scores, bad)
    validation.psi(scores, scores + 1)
    bench_line(
        "lending_validation_baseline",
        kind="numpy_only",
        subjects=report["subjects"],
        seconds=time.perf_counter() - started,
    )


if __name__ == "__main__":
    sys.exit(main())
