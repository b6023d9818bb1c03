"""Screenshots of the live board and of the reports for the docs, on the synthetic year.

    .venv/bin/python bench/reports_screenshots.py [--history DIR] [--out docs/img]

Serves the history of bench/history.py on loopback (its clock at the history's "now", ticking),
signs in as its supervisor through /login in Debian's chromium (Playwright), acknowledges one
alert, and saves board.png, board-phone.png, report.png, report-ranking.png, report-heatmap.png
and report-print.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "screenshots-only"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--history", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    a = ap.parse_args(argv)

    from bench import history
    from playwright.sync_api import sync_playwright
    from server import auth, create_app
    from server.serve import ThreadedServer

    folder = a.history or Path(tempfile.mkdtemp(prefix="qms-history-"))
    info = folder / "instance" / "history.json"
    made = json.loads(info.read_text()) if info.exists() else history.generate(folder)
    now0, t0 = made["now"], time.time()
    app = create_app({"INSTANCE_PATH": str(folder / "instance"), "secret_key": "screenshots",
                      "CLOCK": lambda: now0 + (time.time() - t0)})
    qms = app.extensions["qms"]
    qms.store.write(lambda db: db.execute("UPDATE users SET password_hash = ? WHERE username = 'truongbp'",
                                          [auth.hash_password(PASSWORD)]))
    server = ThreadedServer(app, "127.0.0.1", 0).start()
    base = server.url
    day = qms.cfg().day(qms.now())
    a.out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            ctx = browser.new_context(locale="vi-VN", viewport={"width": 1600, "height": 1000})
            page = ctx.new_page()
            page.goto(base + "/login?next=/board")
            page.fill("input[name=username]", "truongbp")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#link.online", timeout=20000)
            page.wait_for_selector("#alerts li[data-id]", timeout=20000)
            page.locator("#alerts li[data-id] button.ack").last.click()
            page.wait_for_selector("#alerts li.acked", timeout=10000)
            page.wait_for_timeout(1200)
            page.screenshot(path=str(a.out / "board.png"))

            phone = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                        device_scale_factor=2, storage_state=ctx.storage_state())
            ppage = phone.new_page()
            ppage.goto(base + "/board")
            ppage.wait_for_selector("#link.online", timeout=20000)
            ppage.wait_for_timeout(800)
            ppage.screenshot(path=str(a.out / "board-phone.png"))
            phone.close()

            page.set_viewport_size({"width": 1400, "height": 1000})
            page.goto(f"{base}/reports?period=month&date={day}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(a.out / "report.png"))
            page.locator("#ranking").screenshot(path=str(a.out / "report-ranking.png"))
            page.goto(f"{base}/reports?period=year&date={day}")
            page.wait_for_load_state("networkidle")
            page.locator("#heat").screenshot(path=str(a.out / "report-heatmap.png"))
            page.set_viewport_size({"width": 900, "height": 1270})
            page.goto(f"{base}/reports/print?period=month&date={day}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(a.out / "report-print.png"))
            browser.close()
    finally:
        server.stop()
        app.extensions["qms"].close()
    print("screenshots in", a.out)


if __name__ == "__main__":
    main()
