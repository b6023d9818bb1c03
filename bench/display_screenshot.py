"""Screenshots of the waiting-room display for the docs, from the demo center in a real browser.

    .venv/bin/python bench/display_screenshot.py [--out docs/img] [--counters 4 12 20]

Loads the demo center (server/engine/demo.py) into a temporary instance, signs the officers in, takes
numbers at the kiosk and calls some through the HTTP API, pauses one counter, then photographs
/display with headless Debian chromium while three calls share the spotlight:
display-N-1920.png (1920x1080) and display-N-1366.png (1366x768) in --out, for a center of N
counters, each N of `--counters` (default 4 12 20: one column of rows, then two).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from server import create_app
from server.engine import admin, demo  # noqa: E402
from server.engine import counters  # noqa: E402
from server.serve import ThreadedServer  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def setup(app, extra_counters: int) -> tuple[dict, str]:
    """Load the demo center; returns officers' API tokens by counter and the kiosk's token."""
    qms = app.extensions["qms"]
    secrets = qms.write(demo.load)
    codes = [s["code"] for s in demo.SERVICES]
    for number in range(len(demo.COUNTERS) + 1, extra_counters + 1):
        qms.write(admin.add_counter, number=number, services=[codes[number % len(codes)]])
        secrets["users"].append(qms.write(admin.add_user, username=f"canbo{number}", full_name=f"Cán bộ {number}",
                                          role="officer", counter=number, api_token=True))
    tokens = {}
    for user in secrets["users"]:
        row = qms.store.read()["users"].get(user["id"])
        if row["role"] == "officer" and row["counter"]:
            qms.write(lambda db, cfg, now, row=row: counters.sign_in(db, cfg, now, number=row["counter"], user=row, actor="demo"))
            tokens[row["counter"]] = user["api_token"]
    kiosk = next(d["token"] for d in secrets["devices"] if d["id"] == "kiosk-1")
    return tokens, kiosk


def shoot(args, n_counters: int) -> list[Path]:
    """One center of `n_counters` (the demo's 4, more added), photographed at both sizes."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "secret_key": "screenshot", "broadcast_interval_ms": 50})
        server = ThreadedServer(app, "127.0.0.1", 0).start()
        try:
            tokens, kiosk = setup(app, n_counters)
            http = requests.Session()

            def issue(service, priority=False):
                r = http.post(server.url + "/api/tickets", json={"service": service, "priority": priority},
                              headers={"Authorization": "Bearer " + kiosk})
                r.raise_for_status()

            def act(counter, action):
                r = http.post(f"{server.url}/api/counters/{counter}/{action}",
                              headers={"Authorization": "Bearer " + tokens[counter]})
                r.raise_for_status()
                return r.json()["result"]

            for service, n in (("DD", 30), ("HT", 25), ("KD", 20), ("LD", 20)):
                for _ in range(n):
                    issue(service)
            for counter in sorted(tokens):
                if counter not in (4, n_counters):
                    act(counter, "next")
            for _ in range(2):
                issue("HT", priority=True)  # called next at counter 2: ƯU TIÊN in the spotlight
            act(4, "pause")  # the officer of counter 4 takes a break
            # Nobody signed in at the last counter (or at 3 when there are only 4): it must not look open.
            away = n_counters if n_counters > 4 else 3
            qms = app.extensions["qms"]
            qms.write(lambda db, cfg, now: counters.sign_out(db, cfg, now, number=away, user=None, actor="demo",
                                                               force=True))
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                for (w, h) in ((1920, 1080), (1366, 768)):
                    page = browser.new_page(viewport={"width": w, "height": h})
                    page.goto(server.url + "/display?mute=1")
                    page.wait_for_function("() => window.qmsDisplay && window.qmsDisplay.state.snapshots > 0")
                    page.evaluate("document.fonts.ready")
                    # Three counters call within a second (one a priority number, one a recall):
                    # they share the spotlight.
                    act(2, "next")
                    act(1, "recall")
                    call = act(2 if n_counters == 4 else 5, "next")["call"]
                    page.wait_for_function(f"() => document.getElementById('spot-code').textContent === {call['code']!r}")
                    # Let the pop-in end, then let the ticker move a little into view.
                    page.evaluate("Promise.allSettled(document.getAnimations()"
                                  ".filter(a => a.effect.getTiming().iterations !== Infinity).map(a => a.finished))")
                    page.wait_for_timeout(2500)
                    path = args.out / f"display-{n_counters}-{w}.png"
                    page.screenshot(path=str(path))
                    out.append(path)
                    page.close()
                browser.close()
        finally:
            server.stop()
            app.extensions["qms"].close()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--counters", type=int, nargs="*", default=[4, 12, 20],
                        help="photograph a center of each of these many counters")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for n in args.counters:
        for path in shoot(args, n):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
