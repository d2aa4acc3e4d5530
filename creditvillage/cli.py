"""The ``creditvillage`` command: serve, worker, demo, generate, rate… wrapping manage.py.

Every subcommand that is a Django management command is passed straight through, so
``creditvillage demo --reset`` is ``manage.py demo --reset``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

USAGE = """usage: creditvillage <command> [options]

commands:
  serve [--port N] [--workers N] [--no-worker]   production-style server (granian, WSGI) + task worker + clock
  worker                                         run background tasks
  clock [--interval SECONDS]                     run the daily jobs when due (serve starts it)
  daily [--date YYYY-MM-DD] [--job NAME]         run today's daily jobs once (for cron); each job once a day
  demo [--reset] [--if-empty] [--logins]         build the demo (two counties, archives, logins); --logins prints them
  generate --county CODE --villages N --households N [--seed S] [--replace]
                                                 synthetic archives at scale
  load_divisions FILE.csv                        load statistical division codes (all rows or none)
  <any manage.py command>                        e.g. migrate, createsuperuser, shell
"""


def _django(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditvillage.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["creditvillage", *argv])


def _serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="creditvillage serve")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--host", default=os.environ.get("CV_HOST", "127.0.0.1"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("CV_WEB_WORKERS", "2")))
    parser.add_argument(
        "--no-worker", action="store_true", help="do not start the background task worker nor the daily-job clock"
    )
    args = parser.parse_args(argv)
    os.environ["CV_STATIC_MANIFEST"] = "1"
    env = dict(os.environ)
    python = sys.executable
    root = Path(__file__).resolve().parent.parent
    subprocess.run([python, "-m", "creditvillage.cli", "collectstatic", "--noinput", "-v0"], check=True, env=env)
    procs = []
    if not args.no_worker:
        procs.append(subprocess.Popen([python, "-m", "creditvillage.cli", "worker"], env=env))
        procs.append(subprocess.Popen([python, "-m", "creditvillage.cli", "clock"], env=env))
    server = subprocess.Popen(
        [
            python,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            args.host,
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "creditvillage.wsgi:application",
        ],
        env=env,
        cwd=root,
    )
    procs.append(server)

    def stop(*_: object) -> None:
        for proc in procs:
            proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        return server.wait()
    finally:
        stop()
        for proc in procs:
            proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "serve":
        return _serve(rest)
    if command == "worker":
        _django(["db_worker", "--interval", "0.5", *rest])
        return 0
    _django([command, *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
