"""`make run` as a newcomer tries it: started in the background, clicked through in the browser,
stopped with SIGTERM.

The real Makefile target, the real server, the real simulated agents; the only thing the test
adds is a temporary instance and free ports.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser_fixtures import ROOT, artifact, browser  # noqa: F401


def free_port_pair() -> int:
    """A port p with p and p + 1 both free (the server and the buttons page)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free ports in a row")


def processes_under(instance: Path) -> list[str]:
    """Command lines of live processes that name the instance folder (the demo's children do)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(instance).encode() in raw and state != "Z":
            found.append(f"{pid}: " + raw.replace(b"\0", b" ").decode(errors="replace"))
    return found


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    pytest.fail(f"gave up after {seconds:.0f} s waiting for {what}")


def get_json(url: str):
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return json.load(resp)
    except OSError:
        return None


def db_rows(db: Path, sql: str) -> list:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def make_run(tmp_path):
    instance = tmp_path / "demo"
    port = free_port_pair()
    out = (tmp_path / "make-run.log").open("wb")
    proc = subprocess.Popen(["make", "--no-print-directory", "run", f"INSTANCE={instance}", f"PORT={port}"],
                            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    yield proc, instance, port, tmp_path / "make-run.log"
    if proc.poll() is None:  # the test failed before its SIGTERM: clean up all the same
        os.killpg(proc.pid, signal.SIGKILL)
    for line in processes_under(instance):
        os.kill(int(line.split(":")[0]), signal.SIGKILL)


def test_make_run_in_the_background_serves_the_demo_and_sigterm_stops_everything(make_run, browser):  # noqa: F811
    proc, instance, port, log = make_run
    buttons = f"http://127.0.0.1:{port + 1}"
    config = wait_for(lambda: get_json(buttons + "/config"), 180, f"the buttons page; log: {log}")
    assert wait_for(lambda: get_json(f"http://127.0.0.1:{port}/healthz"), 10, "/healthz")["ok"] is True
    # The ticket kiosk and a rating terminal for each of the demo's four counters.
    assert [p["device"] for p in config["panels"]] == ["kiosk-1", "rate-1", "rate-2", "rate-3", "rate-4"]
    children = processes_under(instance)
    assert sum("-m server run" in c for c in children) == 1 and sum("-m kiosk" in c for c in children) == 5, children

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(buttons + "/")
        # The page says when each agent is connected; a newcomer presses once it does.
        page.wait_for_function("document.querySelectorAll('.link.online').length === 5", timeout=60_000)
        page.click('button[data-device="kiosk-1"][data-key="1"]')  # Đất đai
        page.wait_for_selector("#tickets img", timeout=30_000)
        db = instance / "qms.db"
        tickets = wait_for(lambda: db_rows(db, "SELECT code, service FROM tickets"), 20, "the ticket in the database")
        assert tickets == [("A001", "DD")]
        page.click('button[data-device="rate-2"][data-key="a"]')  # the first rating button: 5
        ratings = wait_for(lambda: db_rows(db, "SELECT device_id, score FROM ratings"), 30, "the rating in the database")
        assert ratings == [("rate-2", 5)]
        page.wait_for_function(
            "document.getElementById('pressed-rate-2').textContent.includes('Rất hài lòng')", timeout=10_000)
        page.screenshot(path=str(artifact("demo-buttons.png")), full_page=True)
    finally:
        page.close()

    assert list((instance / "kiosks" / "kiosk-1" / "tickets").glob("*A001.png"))
    proc.send_signal(signal.SIGTERM)  # to make alone, as a service manager or `kill` would
    proc.wait(timeout=60)
    left = wait_for(lambda: not processes_under(instance) or None, 30, "every child to stop")
    assert left is True and processes_under(instance) == []
