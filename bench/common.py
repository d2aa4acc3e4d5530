"""Shared helpers for the benchmark scripts: fresh databases, Django setup, BENCH lines.

Each measurement that needs its own database settings runs in its own process (Django reads
``CV_DATABASE_URL`` once). PostgreSQL comes from ``CV_DATABASE_URL`` (``make bench`` starts a
throwaway cluster and sets it); SQLite databases are fresh files under a temp directory.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def bench_line(name: str, **values: object) -> str:
    """``BENCH <name> key=value ...`` (contract.md, Benchmark output); floats with 2-3 significant places."""
    parts = []
    for key, value in values.items():
        if isinstance(value, float):
            value = f"{value:.3f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:.0f}"
        parts.append(f"{key}={value}")
    line = " ".join(["BENCH", name, *parts])
    print(line, flush=True)
    return line


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def load1() -> float:
    return os.getloadavg()[0]


def postgres_url() -> str | None:
    """The cluster ``make bench`` started, if any (``CV_DATABASE_URL=postgresql://…``)."""
    url = os.environ.get("CV_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def fresh_postgres(name: str) -> str:
    """Drop and create database ``name`` on the cluster of ``CV_DATABASE_URL``; its URL."""
    import psycopg

    base = postgres_url()
    if base is None:
        raise RuntimeError("CV_DATABASE_URL does not point at PostgreSQL")
    parsed = urlparse(base)
    host = parse_qs(parsed.query).get("host", [parsed.hostname or ""])[0]
    user = parsed.username or "postgres"
    with psycopg.connect(dbname="postgres", host=host, port=parsed.port or 5432, user=user, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return parsed._replace(path=f"/{name}").geturl()


def fresh_sqlite() -> str:
    directory = tempfile.mkdtemp(prefix="cv-bench-")
    return f"sqlite:///{directory}/bench.sqlite3"


def setup_django(database_url: str) -> None:
    """Point settings at ``database_url``, set Django up and migrate (quietly)."""
    os.environ["CV_DATABASE_URL"] = database_url
    os.environ.setdefault("CV_SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("CV_VAR_DIR", tempfile.mkdtemp(prefix="cv-bench-var-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditvillage.settings")
    os.environ.setdefault("CV_LOG_LEVEL", "WARNING")
    import warnings

    import django
    from django.core.management import call_command

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: static files not collected

    django.setup()
    call_command("migrate", verbosity=0)
