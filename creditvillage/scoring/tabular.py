"""Column-at-a-time reads and writes for the batch: COPY on PostgreSQL, plain SQL on SQLite.

Reads come back as polars frames, one chunk at a time (a ``COPY (SELECT …) TO STDOUT`` per chunk on
PostgreSQL, parsed by polars' CSV reader); writes go out as one ``COPY … FROM STDIN`` per chunk
(PostgreSQL) or ``executemany`` (SQLite). Both run on the caller's connection and transaction.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import polars as pl
from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def read_frame(sql: str, params: Sequence[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of ``sql`` as a frame with ``schema`` (names and polars types, in select order).

    On PostgreSQL the parameters are inlined as literals (COPY takes none): pass only ints and
    digit strings, which the callers validate."""
    names = list(schema)
    if is_postgres():
        literal = sql % tuple(_literal(p) for p in params)
        buffer = io.BytesIO()
        with connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.cursor.copy(f"COPY ({literal}) TO STDOUT (FORMAT csv)") as copy:
                for block in copy:
                    buffer.write(block)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=schema)
        buffer.seek(0)
        return pl.read_csv(buffer, has_header=False, new_columns=names, schema=schema)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if not text.replace("-", "").replace("_", "").isalnum():
        raise ValueError("only digits and codes are inlined into COPY")
    return "'" + text + "'"


def write_frame(table: str, frame: pl.DataFrame) -> int:
    """Append ``frame``'s rows to ``table`` (its columns named as the frame's)."""
    if frame.height == 0:
        return 0
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in frame.columns)
    with connection.cursor() as cursor:
        if is_postgres():
            buffer = io.BytesIO()
            frame.write_csv(
                buffer,
                include_header=False,
                null_value=r"\N",
                datetime_format="%Y-%m-%d %H:%M:%S%.6f+00",
                float_precision=None,
            )
            sql = f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT csv, NULL '\\N')"
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                copy.write(buffer.getbuffer())
        else:
            frame = frame.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
            marks = ", ".join(["%s"] * frame.width)
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", frame.rows())  # noqa: S608
    return frame.height
