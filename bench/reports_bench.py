"""Speed of the reports and of the live board on a year of a busy center's history.

    .venv/bin/python bench/reports_bench.py [--history DIR] [--runs 21] [--write-docs]

Makes (or reuses) the synthetic history of bench/history.py, then times, in the server process
(Flask's test client: server time, no network), every report page, chart, JSON answer and
export, and the live board's snapshot. Targets: a report page <= 200 ms, an export <= 1 s, the
board snapshot <= 50 ms. The first report after loading a year of history rolls the year up;
that one-off cost is measured apart ("cold"), then everything is measured warm.
With --write-docs the figures replace this benchmark's section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECTION = "## Reports and live board on a year of history (bench/reports_bench.py)"
PAGE_MS, EXPORT_MS, BOARD_MS = 200.0, 1000.0, 50.0


def machine() -> str:
    try:
        model = next(line.split(":", 1)[1].strip() for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True).stdout.splitlines() if line.startswith("Model name"))
    except (StopIteration, OSError):
        model = platform.processor() or "?"
    return f"{os.cpu_count()} CPU ({model}), Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}"


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def open_history(folder: Path | None) -> tuple[dict, object]:
    """(what bench/history.py made, an app on it whose clock goes on from the history's "now");
    the history is made first if the folder holds none."""
    from bench import history
    from server import create_app

    folder = folder or Path(tempfile.mkdtemp(prefix="qms-history-"))
    info_file = folder / "instance" / "history.json"
    made = json.loads(info_file.read_text()) if info_file.exists() else history.generate(folder)
    now0, t0 = made["now"], time.time()
    app = create_app({"INSTANCE_PATH": str(folder / "instance"), "secret_key": "bench", "TESTING": True,
                      # The ticker would warm the roll-ups in the background: keep it out of the way
                      # so that "cold" is really cold.
                      "alert_check_s": 3600, "CLOCK": lambda: now0 + (time.time() - t0)})
    return made, app


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--history", type=Path, help="a folder made by bench/history.py (made here if absent)")
    ap.add_argument("--runs", type=int, default=21, help="timed runs of each page or export")
    ap.add_argument("--board-runs", type=int, default=200)
    ap.add_argument("--write-docs", action="store_true", help="write the figures into docs/benchmarks.md")
    a = ap.parse_args(argv)

    from server.reports import board

    made, app = open_history(a.history)
    qms = app.extensions["qms"]
    db = qms.store.read()
    counts = db.execute("SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM ratings), "
                        "(SELECT count(*) FROM ratings WHERE status = 'counted'), (SELECT count(DISTINCT day) FROM tickets)").fetchone()
    day = qms.cfg().day(qms.now())
    boss = db.execute("SELECT id FROM users WHERE username = 'truongbp'").fetchone()[0]
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"], s["_fresh"] = str(boss), True
    token = {"Authorization": f"Bearer {made['supervisor_token']}"}

    def get(url, **kw):
        kw.setdefault("headers", token)  # pages take a supervisor's token too (a bare session id no longer signs in)
        r = client.get(url, **kw)
        assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:300])
        return r

    stored_before = db.execute("SELECT count(*) FROM report_days").fetchone()[0]
    t = time.perf_counter()
    get(f"/reports?period=year&date={day}")
    cold_ms = (time.perf_counter() - t) * 1000
    days_built = db.execute("SELECT count(*) FROM report_days").fetchone()[0] - stored_before
    # The rest of the history (last year's days in a 365-day range) too, then everything is warm.
    year_ago = (date.fromisoformat(day) - timedelta(days=365)).isoformat()
    get(f"/api/reports/summary?period=range&from={year_ago}&to={day}", headers=token)

    y = f"date={day}"
    pages = {
        "page: day (today, live)": f"/reports?period=day&{y}",
        "page: week": f"/reports?period=week&{y}",
        "page: month": f"/reports?period=month&{y}",
        "page: quarter": f"/reports?period=quarter&{y}",
        "page: year": f"/reports?period=year&{y}",
        "page: 365 days (from-to)": f"/reports?period=range&from={year_ago}&to={day}",
        "page: year, one service": f"/reports?period=year&{y}&service=CT",
        "page: year, one counter": f"/reports?period=year&{y}&counter=3",
        "page: year, one officer": f"/reports?period=year&{y}&officer=an.nv",
        "page: monthly print": f"/reports/print?period=month&{y}",
        **{f"chart: {n} (year)": f"/reports/chart/{n}.svg?period=year&{y}"
           for n in ("flow", "satisfaction", "levels", "ranking", "waits")},
        "json: /api/reports (year)": f"/api/reports?period=year&{y}",
        "json: /api/reports/summary (year)": f"/api/reports/summary?period=year&{y}",
        "json: /api/reports/ranking (month)": f"/api/reports/ranking?period=month&{y}",
    }
    from server.web.reports.routes import EXPORTABLE

    exports = {f"export: {n}.{fmt} (year)": f"/reports/export/{n}.{fmt}?period=year&{y}"
               for fmt in ("csv", "xlsx") for n in EXPORTABLE}
    exports["export: all.xlsx (year, every table)"] = f"/reports/export/all.xlsx?period=year&{y}"

    results = []
    for label, url in pages.items():
        get(url)  # first render compiles templates
        results.append((label, timed(lambda: get(url), a.runs), PAGE_MS))
        print(f"{label:42} median {statistics.median(results[-1][1]):7.1f} ms", flush=True)
    for label, url in exports.items():
        get(url, headers=token)
        results.append((label, timed(lambda: get(url, headers=token), max(5, a.runs // 2)), EXPORT_MS))
        print(f"{label:42} median {statistics.median(results[-1][1]):7.1f} ms", flush=True)
    snap = lambda: board.snapshot(qms.store.read(), qms.cfg(), qms.now(), settings=qms.setting)  # noqa: E731
    snap()
    results.append(("board snapshot (broadcaster)", timed(snap, a.board_runs), BOARD_MS))
    results.append(("board: GET /api/board", timed(lambda: get("/api/board", headers=token), a.runs), PAGE_MS))
    size = len(json.dumps(snap()))
    app.extensions["qms"].close()

    lines = [
        SECTION, "",
        f"Machine: {machine()}. Run {time.strftime('%Y-%m-%d %H:%M')} (other engineers' work was running on "
        "the same 2 cores; figures are wall-clock in the server process, Flask test client, no network).",
        "",
        f"History (bench/history.py): {counts[0]:,} tickets, {counts[1]:,} ratings ({counts[2]:,} counted) on "
        f"{counts[3]} working days, 6 services, 16 counters, 19 officers; generated in "
        f"{made.get('simulate_s', '?')} s and written in {made.get('write_s', '?')} s (one transaction). "
        f"Today ({day}) is read live at 10:00.",
        "",
        f"Cold: the first year report after loading the history rolled up {days_built} closed days and took "
        f"{cold_ms:,.0f} ms (once; afterwards the board's ticker keeps roll-ups warm, a few days per tick, and "
        "a late change to a day only drops that day).",
        "",
        f"Board snapshot size: {size / 1024:.0f} KiB of JSON.",
        "",
        "| what | runs | median ms | p90 ms | p99 ms | max ms | target ms | ok |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    failed = 0
    for label, ms, target in results:
        ok = pct(ms, 0.99) <= target
        failed += not ok
        lines.append(f"| {label} | {len(ms)} | {statistics.median(ms):.1f} | {pct(ms, 0.9):.1f} | {pct(ms, 0.99):.1f} | "
                     f"{max(ms):.1f} | {target:.0f} | {'yes' if ok else '**no**'} |")
    lines += ["", f"{len(results) - failed} of {len(results)} within target at the 99th percentile.", ""]
    text = "\n".join(lines)
    print()
    print(text)
    if a.write_docs:
        write_section(ROOT / "docs" / "benchmarks.md", text)
    return 0 if not failed else 1


def write_section(path: Path, text: str, section: str = SECTION) -> None:
    """Replace a benchmark's section of docs/benchmarks.md (or append it), leaving the others."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if section in old:
        start = old.index(section)
        nxt = old.find("\n## ", start + len(section))
        old = old[:start] + text + (old[nxt + 1:] if nxt != -1 else "")
        new = old
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new.rstrip("\n") + "\n")


if __name__ == "__main__":
    sys.exit(main())
