"""The waiting-room display at the morning peak (issue 12): delays from each call to its
spotlight and to the start of its voice, at 8 counters, in real time.

    .venv/bin/python bench/display_peak.py [--scenario busy|burst|both] [--minutes 10] [--clips MS]

Starts the real server on loopback (tests.conftest.LiveServer: the test center grown to 8
counters, each officer signed in), opens /display in headless Debian chromium allowed to play
sound, and plays the scenario of tests/display/peak.py through the HTTP API, in real time (no
clock is compressed): `busy`, 8 calls a minute for --minutes (recalls among them, counter 5
paused for a fifth of the time); `burst`, 30 calls from the 8 counters within 60 s (recalls, and
counter 3 paused). The voice is espeak-ng's (a call said in full ~11-14 s, once ~2.6-4.8 s), or
with --clips MS every clip recorded as an MS-long tone. Then it waits until the page has said or
dropped every call and judges what the page did (tests/display/peak.py `judge`).

Prints, per scenario, p50/p90/p99/max of both delays and the counts (said in full, said once,
cut, dropped as superseded, untrue, unsaid), with the machine and load average; exits 1 when the
spotlight's p99 is over 2 s, the busy hour's voice p99 over 15 s, or anything untrue was said or
a call left unsaid.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.display import peak  # noqa: E402
from tests.display.helpers import record_all_clips  # noqa: E402

SPOT_P99_S = 2.0
VOICE_P99_S = 15.0
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]


def run(name: str, events, args) -> dict:
    from tests.conftest import TEMPLATE_ENV, LiveServer

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "template").mkdir()
        os.environ[TEMPLATE_ENV] = str(Path(tmp) / "template")  # the test center, made once here
        live = LiveServer(Path(tmp)).start()
        try:
            if args.clips:
                record_all_clips(Path(tmp) / "instance" / "voice" / "clips", ms=args.clips)
            center = peak.Center(live, n_counters=8, tickets=len(events) * 2 + 20)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(live.url + "/display?pair=0")
                page.wait_for_function("() => window.qmsDisplay && window.qmsDisplay.state.snapshots > 0")
                load_before = os.getloadavg()
                done = center.play(events)
                logs = peak.wait_idle(page, done, timeout_ms=600_000)
                load_after = os.getloadavg()
                browser.close()
        finally:
            live.stop()
    verdict = peak.judge(done, logs)
    out = {"scenario": name, **verdict.figures(), "load_before": load_before, "load_after": load_after,
           "untrue_list": verdict.untrue, "unsaid_list": verdict.unsaid, "stale_list": verdict.stale_spot}
    return out


def line(fig: dict) -> str:
    return " ".join(f"{k}={fig[k]:.2f}" for k in ("p50", "p90", "p99", "max")) if fig else "-"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("busy", "burst", "both"), default="both")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clips", type=int, default=0, help="record every clip as a tone this many ms long")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}")
    scenarios = []
    if args.scenario in ("busy", "both"):
        scenarios.append(("busy", peak.busy_hour(minutes=args.minutes)))
    if args.scenario in ("burst", "both"):
        scenarios.append(("burst", peak.burst()))
    failed = False
    results = []
    for name, events in scenarios:
        r = run(name, events, args)
        results.append(r)
        print(f"{name}: {r['calls']} calls; spotlight delay s {line(r['spotlight'])}; voice delay s {line(r['voice'])}")
        print(f"  said in full {r['said_full']}, once {r['said_once']}, cut {r['cut']}, dropped (superseded) "
              f"{r['dropped']}, untrue {r['untrue']}, unsaid {r['unsaid']}, stale spotlight {r['stale_spotlight']}, "
              f"audio errors {r['audio_errors']}; load average before {r['load_before'][0]:.2f}, "
              f"after {r['load_after'][0]:.2f} (1 min)")
        for item in r["untrue_list"] + r["unsaid_list"] + r["stale_list"]:
            print("   ", item)
        failed |= bool(r["spotlight"]) and r["spotlight"]["p99"] > SPOT_P99_S
        failed |= name == "busy" and bool(r["voice"]) and r["voice"]["p99"] > VOICE_P99_S
        failed |= bool(r["untrue"] or r["unsaid"] or r["stale_spotlight"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=list))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
