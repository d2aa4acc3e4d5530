"""Set-based reads and writes of the whole-village grant (整村授信) — ADR 0036.

``eligible_rows`` is the one query that answers "who gets a line of this product under this
region now": the latest final rating of every subject in the region (a window function), the
subject still filed there, a tier of the product with a line for its grade, no veto, for a
household an active consent naming the bank, and no live line at the bank yet. The preview and
the grant both call it, so the grant writes exactly the rows the preview showed (bar a concurrent
grant's lines, which the partial unique index ``one_live_line`` turns into no-ops).

``write_lines`` inserts those rows in one statement batch: ``COPY`` into a temporary table and
one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` on PostgreSQL, ``bulk_create(ignore_conflicts=True)``
on SQLite. No per-row Python model instances on PostgreSQL, no per-row queries anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from creditvillage.core.scope import code_range, significant_prefix

__all__ = ["Row", "eligible_rows", "grant_totals", "write_lines"]


@dataclass(frozen=True, slots=True)
class Row:
    """One eligible subject: what its line will be."""

    subject_type: str
    subject_id: int
    name: str
    region_code: str
    grade: str
    rating_id: int
    limit_fen: int
    max_rate_pct: Decimal

    @property
    def household_id(self) -> int | None:
        return self.subject_id if self.subject_type == "household" else None


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def eligible_rows(
    *,
    bank_id: int,
    subject_types: Iterable[str],
    terms: Mapping[tuple[str, str], tuple[int, Decimal]],
    region_code: str,
) -> list[Row]:
    """Every subject under ``region_code`` eligible for a new line, ordered (village, type, id).

    ``terms`` is ``product_terms(product)``: (subject type, grade) → (line in fen, rate cap); a
    grade without a tier (or with a zero line) gets nothing.
    """
    from creditvillage.lending.models import Consent, CreditLine
    from creditvillage.rating.models import Rating, RatingStatus
    from creditvillage.registry.models import BusinessEntity, Collective, Household

    kinds = [k for k in ("household", "entity", "collective") if k in set(subject_types)]
    grades = sorted({grade for kind, grade in terms if kind in kinds})
    if not kinds or not grades:
        return []
    lo, hi = code_range(significant_prefix(region_code))
    # The latest final rating of each subject in each village (partitioned by village too, so a
    # county's rows are exactly the union of its villages' rows), kept if unvetoed with a tier grade.
    params: list[Any] = [lo, hi, RatingStatus.FINAL, *kinds, False, *grades]
    latest = f"""
        SELECT id, subject_type, subject_id, region_code, grade FROM (
            SELECT id, subject_type, subject_id, region_code, grade, vetoed,
                   ROW_NUMBER() OVER (
                       PARTITION BY subject_type, subject_id, region_code ORDER BY created_at DESC, id DESC
                   ) AS rn
            FROM {_table(Rating)}
            WHERE region_code >= %s AND region_code <= %s AND status = %s
              AND subject_type IN ({", ".join(["%s"] * len(kinds))})
        ) w
        WHERE rn = 1 AND vetoed = %s AND grade IN ({", ".join(["%s"] * len(grades))})
    """  # noqa: S608 - only table names and placeholders are interpolated; every value is a parameter
    no_live_line = f"""
        NOT EXISTS (SELECT 1 FROM {_table(CreditLine)} l
                    WHERE l.bank_id = %s AND l.subject_type = r.subject_type AND l.subject_id = r.subject_id
                      AND l.status <> %s)
    """  # noqa: S608
    branches: list[str] = []
    for kind, model, column in (
        ("household", Household, "head_name"),
        ("entity", BusinessEntity, "name"),
        ("collective", Collective, "name"),
    ):
        if kind not in kinds:
            continue
        consent = ""
        if kind == "household":
            consent = (
                f" AND EXISTS (SELECT 1 FROM {_table(Consent)} k WHERE k.household_id = r.subject_id"  # noqa: S608
                " AND k.bank_id = %s AND k.revoked_at IS NULL)"
            )
        branches.append(
            f"SELECT r.subject_type, r.subject_id, s.{column}, r.region_code, r.grade, r.id"  # noqa: S608
            f" FROM latest r JOIN {_table(model)} s ON s.id = r.subject_id AND s.region_id = r.region_code"
            f" WHERE r.subject_type = %s{consent} AND {no_live_line}"
        )
        params += [kind, *([bank_id] if kind == "household" else []), bank_id, "closed"]
    sql = f"WITH latest AS ({latest}) {' UNION ALL '.join(branches)} ORDER BY 4, 1, 2"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A county's plan costs enough to trigger JIT compilation, which took longer (5 s
            # under load) than the query itself; ADR 0036.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    out = []
    for kind, sid, name, code, grade, rating_id in fetched:
        term = terms.get((kind, grade))
        if term is not None:
            out.append(Row(kind, int(sid), name, code, grade, int(rating_id), term[0], term[1]))
    return out


def write_lines(
    *,
    bank_id: int,
    product_id: int,
    rows: Sequence[Row],
    grant_ids: Mapping[str, int],
    granted_by_id: int | None,
    granted_at: datetime,
) -> None:
    """Insert a line per row (the village grant of the row's village: ``grant_ids[village code]``).

    A subject that meanwhile got a live line (a concurrent grant) is skipped by the partial unique
    index; count what was really written with ``grant_totals``.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy_lines(bank_id, product_id, rows, grant_ids, granted_by_id, granted_at)
        return
    from creditvillage.lending.models import CreditLine

    CreditLine.objects.bulk_create(
        [
            CreditLine(
                bank_id=bank_id,
                product_id=product_id,
                subject_type=r.subject_type,
                subject_id=r.subject_id,
                household_id=r.household_id,
                subject_name=r.name,
                region_code=r.region_code,
                grade=r.grade,
                rating_id=r.rating_id,
                limit_fen=r.limit_fen,
                max_rate_pct=r.max_rate_pct,
                village_grant_id=grant_ids[r.region_code],
                granted_by_id=granted_by_id,
                granted_at=granted_at,
            )
            for r in rows
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


def _copy_lines(
    bank_id: int,
    product_id: int,
    rows: Sequence[Row],
    grant_ids: Mapping[str, int],
    granted_by_id: int | None,
    granted_at: datetime,
) -> None:
    from creditvillage.lending.models import CreditLine, LineStatus

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS lending_grant_rows")
        cursor.execute(
            "CREATE TEMPORARY TABLE lending_grant_rows ("
            " ord integer, subject_type varchar(12), subject_id bigint, household_id bigint,"
            " subject_name varchar(100), region_code varchar(12), grade varchar(8), rating_id bigint,"
            " limit_fen bigint, max_rate_pct numeric(7, 4), village_grant_id bigint) ON COMMIT DROP"
        )
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(
            "COPY lending_grant_rows (ord, subject_type, subject_id, household_id, subject_name, region_code,"
            " grade, rating_id, limit_fen, max_rate_pct, village_grant_id) FROM STDIN"
        ) as copy:
            for i, r in enumerate(rows):
                copy.write_row(
                    (
                        i,
                        r.subject_type,
                        r.subject_id,
                        r.household_id,
                        r.name,
                        r.region_code,
                        r.grade,
                        r.rating_id,
                        r.limit_fen,
                        r.max_rate_pct,
                        grant_ids[r.region_code],
                    )
                )
        # In the rows' order: two concurrent grants of one village take the index entries in the
        # same order, so one waits for the other instead of deadlocking.
        cursor.execute(
            f"INSERT INTO {_table(CreditLine)} (bank_id, product_id, subject_type, subject_id, household_id,"  # noqa: S608
            " subject_name, region_code, grade, rating_id, limit_fen, used_fen, max_rate_pct, status,"
            " village_grant_id, granted_by_id, granted_at, updated_at)"
            " SELECT %s, %s, subject_type, subject_id, household_id, subject_name, region_code, grade,"
            " rating_id, limit_fen, 0, max_rate_pct, %s, village_grant_id, %s, %s, %s"
            " FROM lending_grant_rows ORDER BY ord ON CONFLICT DO NOTHING",
            [bank_id, product_id, LineStatus.ACTIVE, granted_by_id, granted_at, granted_at],
        )
        cursor.execute("DROP TABLE lending_grant_rows")


def grant_totals(grant_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """grant id → (lines it created, their total in fen), in one grouped query."""
    from django.db.models import Count, Sum

    from creditvillage.lending.models import CreditLine

    ids = list(grant_ids)
    out: dict[int, tuple[int, int]] = dict.fromkeys(ids, (0, 0))
    for start in range(0, len(ids), 5000):
        for pk, n, total in (
            CreditLine.objects.filter(village_grant_id__in=ids[start : start + 5000])
            .values("village_grant_id")
            .annotate(n=Count("pk"), total=Sum("limit_fen"))
            .values_list("village_grant_id", "n", "total")
            .order_by()
        ):
            out[pk] = (int(n), int(total or 0))
    return out
