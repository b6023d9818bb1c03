"""Time to build the official report's PDF (and the per-rating export) on a year of history.

    .venv/bin/python bench/official_bench.py [--history DIR] [--runs 11] [--write-docs]

Makes (or reuses) the synthetic year of bench/history.py, warms its roll-ups with one year report,
then times in the server process (Flask's test client: server time, no network) the PDF of the
year, the half-year, the quarter and the month (the report's figures, the HTML, WeasyPrint's
layout and the PDF with its fonts embedded), and the year's one-row-per-rating export. Goal: a
year's PDF in 2 s or less. With --write-docs the figures go to docs/benchmarks.md (own section).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.reports_bench import machine, open_history, pct, timed, write_section  # noqa: E402  (after the path is set)

SECTION = "## Official report PDF on a year of history (bench/official_bench.py)"
YEAR_PDF_MS = 2000.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--history", type=Path, help="a folder made by bench/history.py (made here if absent)")
    ap.add_argument("--runs", type=int, default=11, help="timed runs of each document")
    ap.add_argument("--write-docs", action="store_true", help="write the figures into docs/benchmarks.md")
    ap.add_argument("--png", action="store_true",
                    help="also render the last full month's PDF, page 1, to docs/img/report-pdf-month.png (pdftoppm)")
    a = ap.parse_args(argv)

    made, app = open_history(a.history)
    qms = app.extensions["qms"]
    db = qms.store.read()
    counts = db.execute("SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM ratings WHERE status = 'counted'), "
                        "(SELECT count(*) FROM ticket_transfers)").fetchone()
    day = qms.cfg().day(qms.now())
    client = app.test_client()
    token = {"Authorization": f"Bearer {made['supervisor_token']}"}  # pages take a supervisor's token too

    def get(url):
        r = client.get(url, headers=token)
        assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:300])
        return r

    get(f"/reports?period=year&date={day}")  # rolls the year up (the reports benchmark times that)
    docs = {  # (url, goal ms or None, runs)
        "PDF: year": (f"/reports/print.pdf?period=year&date={day}", YEAR_PDF_MS, a.runs),
        "PDF: half-year": (f"/reports/print.pdf?period=half&date={day}", None, a.runs),
        "PDF: quarter": (f"/reports/print.pdf?period=quarter&date={day}", None, a.runs),
        "PDF: month": (f"/reports/print.pdf?period=month&date={day}", None, a.runs),
        "print page (HTML): year": (f"/reports/print?period=year&date={day}", None, a.runs),
        "ratings.csv: month, one row per rating": (f"/reports/ratings.csv?period=month&date={day}", None, 5),
        "ratings.xlsx: month, one row per rating": (f"/reports/ratings.xlsx?period=month&date={day}", None, 3),
        "ratings.csv: year, one row per rating": (f"/reports/ratings.csv?period=year&date={day}", None, 3),
    }
    load_before = os.getloadavg()
    results, sizes, cpu = [], {}, {}
    for label, (url, target, runs) in docs.items():
        first = get(url)  # the first one loads Pango and WeasyPrint, compiles templates
        sizes[label] = len(first.data)
        cpu0 = time.process_time()
        results.append((label, timed(lambda: get(url), runs), target))
        cpu[label] = (time.process_time() - cpu0) * 1000 / runs
        print(f"{label:42} median {statistics.median(results[-1][1]):8.1f} ms", flush=True)
    load_after = os.getloadavg()
    if a.png:
        month_png(qms, get, day)
    qms.close()

    lines = [
        SECTION, "",
        f"Machine: {machine()}. Run {time.strftime('%d/%m/%Y %H:%M')}; load average (1, 5, 15 min) "
        f"{load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f} before, "
        f"{load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f} after (other engineers' work "
        "shares the 2 cores, so wall-clock times run up to load/2 times the CPU time). Wall-clock in the server process, Flask test client, no network; the year's "
        "roll-ups warm (as the board's ticker keeps them).",
        "",
        f"History (bench/history.py): {counts[0]:,} tickets, {counts[1]:,} counted ratings, "
        f"{counts[2]:,} transfers (stints) on a year; the year's PDF is "
        f"{sizes['PDF: year'] / 1024:.0f} KiB (A4, fonts embedded); the year's ratings.csv "
        f"{sizes['ratings.csv: year, one row per rating'] / 1e6:.1f} MB. Only the year's PDF has a goal (the issue's).",
        "",
        "| what | runs | median ms | p90 ms | max ms | CPU ms (mean) | goal ms | ok |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    failed = 0
    for label, ms, target in results:
        ok = target is None or pct(ms, 0.9) <= target
        failed += not ok
        lines.append(f"| {label} | {len(ms)} | {statistics.median(ms):.0f} | {pct(ms, 0.9):.0f} | {max(ms):.0f} | "
                     f"{cpu[label]:.0f} | {'—' if target is None else f'{target:.0f}'} | {'yes' if ok else '**no**'} |")
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if a.write_docs:
        write_section(ROOT / "docs" / "benchmarks.md", text, SECTION)
    return 0 if not failed else 1


def month_png(qms, get, day: str) -> None:
    """The last full month's report as a ward would sign it, page 1 as a PNG for the docs."""
    import subprocess
    from datetime import date, timedelta

    from server.engine import admin

    for name, value in (("report_place", "Phường Bến Thành"), ("report_signer_title", "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"),
                        ("report_signer_name", "Nguyễn Thị Thu Hà"),
                        ("report_addressee", "Ủy ban nhân dân phường Bến Thành")):
        qms.write(admin.set_setting, name=name, value=value)
    last_month = date.fromisoformat(day).replace(day=1) - timedelta(days=1)
    pdf = get(f"/reports/print.pdf?period=month&date={last_month.isoformat()}").data
    out = ROOT / "docs" / "img" / "report-pdf-month"
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", "-", str(out)],
                   input=pdf, check=True)
    print(f"wrote {out}.png")


if __name__ == "__main__":
    sys.exit(main())
