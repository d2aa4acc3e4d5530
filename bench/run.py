"""Run every benchmark and print their BENCH lines (``make bench``; ``--smoke`` for tiny sizes).

``make bench`` starts a throwaway PostgreSQL cluster and sets ``CV_DATABASE_URL``; without it the
PostgreSQL parts are skipped with a note. Each script runs in its own process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# script → (default arguments, smoke arguments)
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "bench_generate.py": ([], ["--households", "2000", "--villages", "6"]),
    "bench_list.py": ([], ["--households", "2000", "--villages", "6", "--requests", "20"]),
    "bench_lending.py": ([], ["--households", "2000", "--villages", "6"]),
    "bench_rating_cycle.py": ([], ["--households", "2000", "--villages", "6"]),
    "bench_score_kernel.py": ([], ["--rows", "20000", "--peer-rows", "2000", "--repeat", "1"]),
    "bench_rate_batch.py": ([], ["--households", "2000", "--villages", "6"]),
    "bench_import.py": ([], ["--rows", "2000", "--villages", "4"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the scripts run, measures nothing")
    parser.add_argument("only", nargs="*", help="run only these scripts (e.g. bench_list.py)")
    args = parser.parse_args()
    failed = []
    for script, (default, smoke) in BENCHMARKS.items():
        if args.only and script not in args.only:
            continue
        started = time.perf_counter()
        print(f"# {script}{' (smoke)' if args.smoke else ''}", flush=True)
        result = subprocess.run([sys.executable, str(HERE / script), *(smoke if args.smoke else default)], check=False)
        print(f"# {script}: exit {result.returncode} in {time.perf_counter() - started:.0f} s", flush=True)
        if result.returncode:
            failed.append(script)
    if failed:
        print(f"# failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
