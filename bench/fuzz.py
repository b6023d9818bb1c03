"""The fuzz test's long run: tests/server/test_fuzz.py with the `long` hypothesis profile.

    .venv/bin/python bench/fuzz.py [--profile long|short] [--strict] [--json FILE]

Runs the same test module as `make test` (every HTTP endpoint and Socket.IO event, see its
docstring), with QMS_FUZZ_PROFILE=long (over 20,000 examples in all, random seeds), then prints a
summary from the test's own records (test-artifacts/fuzz/<test>.json): examples, duration,
acknowledged writes and stored rows, and every distinct finding (where it was sent, the input, the
exception, the server's file:line), known ones (being fixed on other branches) marked. `--strict`
makes the known ones fail too (QMS_FUZZ_STRICT=1), to check a fix. Exits non-zero when pytest
does, i.e. on any finding not known.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "test-artifacts" / "fuzz"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="long", choices=["long", "short"])
    ap.add_argument("--strict", action="store_true", help="known findings fail too")
    ap.add_argument("--json", help="write the summary here")
    ap.add_argument("-k", help="pytest -k expression (one test only)")
    args = ap.parse_args()
    sys.stdout.reconfigure(errors="backslashreplace")  # findings may hold lone surrogates

    for old in RECORDS.glob("test_fuzz_*.json"):
        old.unlink()
    env = dict(os.environ, QMS_FUZZ_PROFILE=args.profile)
    if args.strict:
        env["QMS_FUZZ_STRICT"] = "1"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "timeout=0", "-W",
           "ignore::UserWarning", "tests/server/test_fuzz.py"]
    if args.k:
        cmd += ["-k", args.k]
    load_before = load_average()
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    load_after = load_average()

    tests = [json.loads(p.read_text()) for p in sorted(RECORDS.glob("test_fuzz_*.json"))]
    total = sum(t["examples"] for t in tests)
    findings = [f for t in tests for f in t["findings"]]
    print(f"fuzz, profile {args.profile}: {total} examples in {seconds:.0f} s "
          f"(load average {load_before} before, {load_after} after; {os.cpu_count()} CPUs)")
    for t in tests:
        known = sum(1 for f in t["findings"] if f.get("known"))
        print(f"  {t['test']}: {t['examples']} examples, {t['seconds']} s, {t['acknowledged']} ok acks of "
              f"ticket/rating, stored {t['stored']}, {len(t['findings'])} distinct findings ({known} known)")
    print(f"distinct findings: {len(findings)} ({sum(1 for f in findings if not f.get('known'))} not known)")
    for f in sorted(findings, key=lambda f: (bool(f.get("known")), f["surface"])):
        mark = "known" if f.get("known") else "NEW"
        print(f"- [{mark}] {f['surface']}: {f['problem']}\n    {f['error']}\n    at {f['where']} "
              f"(raised at {f['innermost']}), x{f['count']}\n    input {f['input'][:300]}")
    if proc.returncode != 0:
        print("\npytest:", proc.stdout[-3000:], proc.stderr[-2000:], sep="\n")
    if args.json:
        Path(args.json).write_text(json.dumps({"profile": args.profile, "examples": total, "seconds": round(seconds, 1),
                                               "load_before": load_before, "load_after": load_after,
                                               "tests": tests, "pytest_exit": proc.returncode},
                                              ensure_ascii=False, indent=1))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
