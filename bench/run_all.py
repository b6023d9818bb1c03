"""Run every benchmark in bench/, one after the other, and say which met its target.

    .venv/bin/python bench/run_all.py [--quick] [--only NAME ...] [--skip NAME ...]

Every `bench/*.py` is a benchmark and is run with its own defaults, except the helpers listed in
HELPERS (data generators and screenshot makers, which would rewrite docs/img). A new benchmark
is picked up by being there. Each runs in its own process, one at a time (they measure latency
on a 2-core machine: two at once would measure each other). A benchmark fails when it exits
non-zero, which each does when it misses its target or loses data. `--quick` gives the longer
ones shorter runs (QUICK), for a smoke test rather than figures.

Figures go to each benchmark's output (and `--json` where it has one); the records to keep are
written by hand, with the machine, into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# Not benchmarks: a history generator (used by reports_bench), the docs' screenshot makers, the
# fault harness's parts (used by faults.py), the CPU cap (used by server_load.py --server-cpu) and
# the table maker over server_load.py (it needs its runs named: see docs/benchmarks.md).
HELPERS = {"run_all.py", "history.py", "display_screenshot.py", "reports_screenshots.py", "admin_screenshots.py",
           "fault_agent.py", "faultproxy.py", "lossyfs.py", "cpucap.py", "load_table.py"}

# Shorter runs for --quick.
QUICK = {
    "server_load.py": ["--duration", "15"],
    "console_bench.py": ["--rounds", "50"],
    "display_latency.py": ["--calls", "30"],
    "kiosk_bench.py": ["--tickets", "50", "--ratings", "50"],
    "reports_bench.py": ["--runs", "5", "--board-runs", "50"],
    "fuzz.py": ["--profile", "short"],
}


def benchmarks() -> list[Path]:
    return sorted(p for p in BENCH.glob("*.py") if p.name not in HELPERS and not p.name.startswith("_"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter runs (a smoke test)")
    ap.add_argument("--only", nargs="*", default=[], help="run only these (file names, with or without .py)")
    ap.add_argument("--skip", nargs="*", default=[], help="skip these")
    args = ap.parse_args()

    def named(p: Path, names: list[str]) -> bool:
        return p.name in names or p.stem in names

    chosen = [p for p in benchmarks() if (not args.only or named(p, args.only)) and not named(p, args.skip)]
    results = []
    for script in chosen:
        cmd = [sys.executable, str(script), *(QUICK.get(script.name, []) if args.quick else [])]
        print(f"\n=== {script.name}: {' '.join(cmd[1:])}", flush=True)
        start = time.monotonic()
        rc = subprocess.call(cmd, cwd=ROOT)
        results.append((script.name, rc, time.monotonic() - start))
    print("\n=== summary")
    for name, rc, seconds in results:
        print(f"{'ok  ' if rc == 0 else 'FAIL'} {name:28} {seconds:7.1f} s" + ("" if rc == 0 else f"  (exit {rc})"))
    return 0 if all(rc == 0 for _, rc, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
