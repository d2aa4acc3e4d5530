"""The flat indicator rows (``SubjectIndicators``) refreshed set-based from the archives.

One SQL statement per chunk of households aggregates members, assets, incomes, debts and
insurances (GROUP BY household, joined back to the household row); polars derives the indicator
values; the civility scores, civility vetoes and negative-list hits are merged in from their apps'
selectors; the chunk is written with COPY (PostgreSQL) / executemany (SQLite) after the region's
old rows are deleted — all in one transaction. A rating run then reads one narrow table.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from creditvillage.core.scope import code_range
from creditvillage.scoring import tabular
from creditvillage.scoring.models import SubjectIndicators

CHUNK = 100_000
TABLE = SubjectIndicators._meta.db_table


@dataclass
class RefreshResult:
    households: int = 0
    entities: int = 0
    collectives: int = 0
    seconds: float = 0.0


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _yyyymmdd(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(to_char({column}, 'YYYYMMDD') AS integer)"
    return f"CAST(strftime('%%Y%%m%%d', {column}) AS integer)"


HOUSEHOLD_SCHEMA: dict[str, Any] = {
    "subject_id": pl.Int64,
    "region_code": pl.String,
    "head_age": pl.Float64,
    "head_education": pl.String,
    "workers": pl.Float64,
    "income_fen": pl.Float64,
    "assets_fen": pl.Float64,
    "debts_fen": pl.Float64,
    "stability": pl.Int64,
    "land_mu": pl.Float64,
    "deposit": pl.Int64,
    "debt_count": pl.Int64,
    "max_overdue": pl.Int64,
    "bank_loan": pl.Int64,
    "bank_overdue": pl.Int64,
    "insured": pl.Int64,
}


def _household_sql() -> str:
    scope = "h2.region_id BETWEEN %s AND %s AND h2.id >= %s AND h2.id < %s"
    join = "JOIN registry_household h2 ON h2.id = x.household_id"
    age = f"(%s - {_yyyymmdd('x.birth_date')}) / 10000"
    return f"""
SELECT h.id, h.region_id, hd.age, hd.education, w.n, h.annual_income_fen, h.assets_value_fen, h.debts_fen,
       inc.stability, a.land, a.deposit, d.n, d.max_overdue, d.bank_loan, d.bank_overdue,
       CASE WHEN ins.household_id IS NULL THEN 0 ELSE 1 END
FROM registry_household h
LEFT JOIN (SELECT x.household_id, MAX({age}) AS age, MAX(x.education) AS education
           FROM registry_person x {join} WHERE {scope} AND x.relation = 'head' GROUP BY x.household_id) hd
       ON hd.household_id = h.id
LEFT JOIN (SELECT x.household_id, COUNT(*) AS n FROM registry_person x {join}
           WHERE {scope} AND x.birth_date > %s AND x.birth_date <= %s AND x.health NOT IN ('serious', 'disabled')
           GROUP BY x.household_id) w ON w.household_id = h.id
LEFT JOIN (SELECT x.household_id,
                  SUM(CASE WHEN x.kind IN ('contracted_land', 'transferred_land') THEN x.quantity ELSE 0 END) AS land,
                  MAX(CASE WHEN x.kind = 'deposit' THEN 1 ELSE 0 END) AS deposit
           FROM registry_asset x {join} WHERE {scope} GROUP BY x.household_id) a ON a.household_id = h.id
LEFT JOIN (SELECT x.household_id, COUNT(*) AS n, MAX(x.overdue_days) AS max_overdue,
                  MAX(CASE WHEN x.kind = 'bank_loan' THEN 1 ELSE 0 END) AS bank_loan,
                  MAX(CASE WHEN x.kind = 'bank_loan' THEN x.overdue_days ELSE 0 END) AS bank_overdue
           FROM registry_debt x {join} WHERE {scope} GROUP BY x.household_id) d ON d.household_id = h.id
LEFT JOIN (SELECT x.household_id,
                  MAX(CASE WHEN x.source IN ('wages', 'business') THEN 2
                           WHEN x.source IN ('planting', 'breeding') THEN 1 ELSE 0 END) AS stability
           FROM registry_income x {join} WHERE {scope} GROUP BY x.household_id) inc ON inc.household_id = h.id
LEFT JOIN (SELECT DISTINCT x.household_id FROM registry_insurance x {join} WHERE {scope}) ins
       ON ins.household_id = h.id
WHERE h.region_id BETWEEN %s AND %s AND h.id >= %s AND h.id < %s
"""  # noqa: S608 - fixed table names and vendor expressions; values are parameters


def _household_params(lo: str, hi: str, a: int, b: int, day: dt.date) -> list[Any]:
    scope = [lo, hi, a, b]
    today = int(day.strftime("%Y%m%d"))
    return [
        today,
        *scope,
        *scope,
        _years_before(day, 60),
        _years_before(day, 18),
        *scope,
        *scope,
        *scope,
        *scope,
        *scope,
    ]


def household_frame(
    raw: pl.DataFrame, civility: dict[int, Any], vetoes: set[int], civility_vetoes: set[int]
) -> pl.DataFrame:
    """Indicator columns from the aggregated archive columns (fen → 万元, ratios in %)."""
    wan = 1_000_000.0  # fen per 万元
    assets, debts = pl.col("assets_fen").fill_null(0), pl.col("debts_fen").fill_null(0)
    ids = raw["subject_id"]
    civility_map = {int(k): float(v) for k, v in civility.items()}
    return raw.select(
        pl.lit("household").alias("subject_type"),
        pl.col("subject_id"),
        pl.col("subject_id").alias("household_id"),
        pl.col("region_code"),
        pl.col("head_age"),
        pl.col("head_education").fill_null(""),
        pl.col("workers").fill_null(0),
        (pl.col("income_fen") / wan).alias("net_income_wan"),
        ((assets - debts) / wan).alias("net_assets_wan"),
        pl.when(assets > 0)
        .then(debts / assets * 100)
        .when(debts > 0)
        .then(100.0)
        .otherwise(0.0)
        .alias("debt_ratio_pct"),
        pl.when(pl.col("stability") == 2)
        .then(pl.lit("stable"))
        .when(pl.col("stability") == 1)
        .then(pl.lit("short"))
        .otherwise(pl.lit("none"))
        .alias("income_stability"),
        pl.col("land_mu").fill_null(0),
        pl.col("insured").cast(pl.Float64),
        pl.when(pl.col("debt_count").fill_null(0) == 0)
        .then(pl.lit("none"))
        .when(pl.col("max_overdue") > 90)
        .then(pl.lit("bad"))
        .when(pl.col("max_overdue") > 0)
        .then(pl.lit("minor"))
        .otherwise(pl.lit("good"))
        .alias("loan_record"),
        ((pl.col("deposit").fill_null(0) + pl.col("bank_loan").fill_null(0)) > 0)
        .cast(pl.Float64)
        .alias("bank_account"),
        pl.Series("civility_score", [civility_map.get(i) for i in ids.to_list()], dtype=pl.Float64)
        if civility_map
        else pl.lit(None, dtype=pl.Float64).alias("civility_score"),
        ids.is_in(list(vetoes)).alias("veto_negative_list") if vetoes else pl.lit(False).alias("veto_negative_list"),
        (pl.col("bank_overdue").fill_null(0) > 90).alias("veto_npl"),
        ids.is_in(list(civility_vetoes)).alias("veto_civility")
        if civility_vetoes
        else pl.lit(False).alias("veto_civility"),
    )


def _complete(frame: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """Every column of the table: the frame's, else NULL / '' / false."""
    columns = []
    for field in SubjectIndicators._meta.concrete_fields:
        name = str(field.column)
        if name == "id":
            continue
        if name in frame.columns:
            columns.append(pl.col(name))
        elif name == "computed_at":
            columns.append(pl.lit(now.replace(tzinfo=None)).alias(name))
        elif field.get_internal_type() == "BooleanField":
            columns.append(pl.lit(False).alias(name))
        elif field.get_internal_type() == "CharField":
            columns.append(pl.lit("").alias(name))
        elif field.get_internal_type() == "FloatField":
            columns.append(pl.lit(None, dtype=pl.Float64).alias(name))
        else:
            columns.append(pl.lit(None, dtype=pl.Int64).alias(name))
    return frame.select(columns)


def _id_bounds(table: str, region_column: str, lo: str, hi: str) -> tuple[int, int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(id), MAX(id), COUNT(*) FROM {table} WHERE {region_column} BETWEEN %s AND %s",  # noqa: S608
            [lo, hi],
        )
        low, high, count = cursor.fetchone()
    return int(low or 0), int(high or 0), int(count or 0)


def _delete(subject_type: str, lo: str, hi: str) -> None:
    SubjectIndicators.objects.filter(subject_type=subject_type, region_code__gte=lo, region_code__lte=hi).delete()


def refresh_households(prefix: str, *, day: dt.date | None = None, chunk: int = CHUNK) -> int:
    from creditvillage.civility.selectors import household_civility_scores, household_civility_vetoes
    from creditvillage.rating.selectors import negative_hits

    day = day or timezone.localdate()
    now = timezone.now()
    lo, hi = code_range(prefix)
    civility = household_civility_scores(prefix)
    civility_vetoes = set(household_civility_vetoes(prefix))
    vetoes = set(negative_hits(prefix).get("household", {}))
    _delete("household", lo, hi)
    first, last, count = _id_bounds("registry_household", "region_id", lo, hi)
    if not count:
        return 0
    sql = _household_sql()
    written = 0
    for a in range(first, last + 1, chunk):
        raw = tabular.read_frame(sql, _household_params(lo, hi, a, a + chunk, day), HOUSEHOLD_SCHEMA)
        if raw.height:
            written += tabular.write_frame(
                TABLE, _complete(household_frame(raw, civility, vetoes, civility_vetoes), now)
            )
    return written


ENTITY_SCHEMA: dict[str, Any] = {
    "subject_id": pl.Int64,
    "household_id": pl.Int64,
    "region_code": pl.String,
    "founded": pl.Int64,
    "revenue_fen": pl.Float64,
    "assets_fen": pl.Float64,
    "debts_fen": pl.Float64,
    "principal_grade": pl.String,
}


def refresh_entities(prefix: str, *, day: dt.date | None = None) -> int:
    from creditvillage.rating.selectors import negative_hits

    day = day or timezone.localdate()
    lo, hi = code_range(prefix)
    _delete("entity", lo, hi)
    sql = f"""
SELECT e.id, e.household_id, e.region_id, {_yyyymmdd("e.founded_on")}, e.annual_revenue_fen, e.assets_fen,
       e.debts_fen, h.grade
FROM registry_businessentity e LEFT JOIN registry_household h ON h.id = e.household_id
WHERE e.region_id BETWEEN %s AND %s"""  # noqa: S608
    raw = tabular.read_frame(sql, [lo, hi], ENTITY_SCHEMA)
    if not raw.height:
        return 0
    vetoes = list(negative_hits(prefix).get("entity", {}))
    today = int(day.strftime("%Y%m%d"))
    assets, debts = pl.col("assets_fen").fill_null(0), pl.col("debts_fen").fill_null(0)
    frame = raw.select(
        pl.lit("entity").alias("subject_type"),
        pl.col("subject_id"),
        pl.col("household_id"),
        pl.col("region_code"),
        ((pl.lit(today) - pl.col("founded")) // 10000).cast(pl.Float64).alias("years_operating"),
        pl.col("principal_grade").fill_null(""),
        (pl.col("revenue_fen") / 1_000_000.0).alias("revenue_wan"),
        pl.when(assets > 0)
        .then(debts / assets * 100)
        .when(debts > 0)
        .then(100.0)
        .otherwise(0.0)
        .alias("debt_ratio_pct"),
        pl.col("subject_id").is_in(vetoes).alias("veto_negative_list"),
    )
    return tabular.write_frame(TABLE, _complete(frame, timezone.now()))


COLLECTIVE_SCHEMA: dict[str, Any] = {
    "subject_id": pl.Int64,
    "region_code": pl.String,
    "uscc": pl.String,
    "operating_fen": pl.Float64,
    "assets_fen": pl.Float64,
    "debts_fen": pl.Float64,
}


def refresh_collectives(prefix: str) -> int:
    from creditvillage.rating.selectors import negative_hits

    lo, hi = code_range(prefix)
    _delete("collective", lo, hi)
    sql = """
SELECT c.id, c.region_id, c.uscc, c.operating_income_fen, c.assets_fen, c.debts_fen
FROM registry_collective c WHERE c.region_id BETWEEN %s AND %s"""
    raw = tabular.read_frame(sql, [lo, hi], COLLECTIVE_SCHEMA)
    if not raw.height:
        return 0
    vetoes = list(negative_hits(prefix).get("collective", {}))
    assets, debts = pl.col("assets_fen").fill_null(0), pl.col("debts_fen").fill_null(0)
    frame = raw.select(
        pl.lit("collective").alias("subject_type"),
        pl.col("subject_id"),
        pl.lit(None, dtype=pl.Int64).alias("household_id"),
        pl.col("region_code"),
        pl.col("uscc").str.starts_with("N2").cast(pl.Float64).alias("n2_registered"),
        (pl.col("operating_fen") / 1_000_000.0).alias("operating_income_wan"),
        ((assets - debts) / 1_000_000.0).alias("net_assets_wan"),
        pl.when(assets > 0)
        .then(debts / assets * 100)
        .when(debts > 0)
        .then(100.0)
        .otherwise(0.0)
        .alias("debt_ratio_pct"),
        pl.col("subject_id").is_in(vetoes).alias("veto_negative_list"),
    )
    return tabular.write_frame(TABLE, _complete(frame, timezone.now()))


SOURCE_TABLES = (
    "registry_household",
    "registry_person",
    "registry_asset",
    "registry_debt",
    "registry_income",
    "registry_insurance",
    "registry_businessentity",
    "registry_collective",
    "rating_negativelistentry",
)


def _analyze_sources() -> None:
    """PostgreSQL: fresh planner statistics for the archive tables before the set-based refresh.

    Right after bulk inserts (a new database, the demo, an import) the tables have no statistics
    and the planner picks nested loops over the whole region (minutes instead of a second)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s)", [list(SOURCE_TABLES)])
        tables = [row[0] for row in cursor.fetchall()]
        if tables:
            cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(t) for t in tables)}")


@transaction.atomic
def indicators_refresh(
    prefix: str, *, subject_types: tuple[str, ...] = ("household", "entity", "collective")
) -> RefreshResult:
    """Recompute the indicator rows of every subject under ``prefix`` (a significant code prefix).

    No actor: called by services that checked the caller's scope (a rating run, a simulation)."""
    started = time.perf_counter()
    result = RefreshResult()
    _analyze_sources()
    if "household" in subject_types:
        result.households = refresh_households(prefix)
    if "entity" in subject_types:
        result.entities = refresh_entities(prefix)
    if "collective" in subject_types:
        result.collectives = refresh_collectives(prefix)
    result.seconds = time.perf_counter() - started
    return result


def indicators_stale(prefix: str, subject_type: str = "household") -> bool:
    """Whether the region's indicator rows lag its archives: a count differs, or a household (or
    a negative-list entry) changed after the oldest row was computed. Two aggregate queries."""
    from django.db.models import Count, Max, Min

    from creditvillage.rating.models import NegativeListEntry
    from creditvillage.registry.models import BusinessEntity, Collective, Household

    lo, hi = code_range(prefix)
    rows = SubjectIndicators.objects.filter(
        subject_type=subject_type, region_code__gte=lo, region_code__lte=hi
    ).aggregate(n=Count("id"), oldest=Min("computed_at"))
    source: Any = {"household": Household, "entity": BusinessEntity, "collective": Collective}.get(subject_type)
    if source is None:
        return False
    archive = source.objects.filter(region_id__gte=lo, region_id__lte=hi).aggregate(
        n=Count("id"), newest=Max("updated_at")
    )
    if rows["n"] != archive["n"]:
        return True
    if not rows["n"]:
        return False
    listed = NegativeListEntry.objects.aggregate(newest=Max("created_at"))["newest"]
    newest = max(filter(None, [archive["newest"], listed]), default=None)
    return newest is not None and newest > rows["oldest"]
