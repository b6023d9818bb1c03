"""A kill of the agent process (SIGKILL) loses no rating and doubles none.

The agent runs as a real process: `python -m kiosk --simulate` (mock pins, keys as stdin lines),
or tests/kiosk/agent_proc.py where a hook kills it at the worst moment.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.demo_config import demo_config_text
from tests.conftest import settle
from tests.kiosk.kiosk_helpers import wait_for

ROOT = Path(__file__).resolve().parents[2]
HELPER = Path(__file__).with_name("agent_proc.py")


def write_config(tmp_path: Path, live_server, device: str, roles: tuple = ("rating",)) -> Path:
    text = demo_config_text(server=live_server.url, device=device, token=live_server.token(device),
                            roles=list(roles), data_dir=str(tmp_path / "data"))
    text = text.replace("lockout_s = 3.0", "lockout_s = 0").replace("[server]\n", "[server]\nreconnect_max_s = 0.3\n")
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def outbox_keys(tmp_path: Path) -> list[str]:
    path = tmp_path / "data" / "outbox.sqlite3"
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    try:
        return [k for (k,) in db.execute("SELECT key FROM outbox ORDER BY seq")]
    except sqlite3.OperationalError:  # the agent has not created the table yet
        return []
    finally:
        db.close()


def ratings(live_server, device: str) -> list[dict]:
    return list(live_server.store.read().query(
        "SELECT id, score FROM ratings WHERE device_id = ? ORDER BY received_at, rowid", [device]))


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def type_keys(proc: subprocess.Popen, keys: str) -> None:
    for key in keys:
        proc.stdin.write(key + "\n")
    proc.stdin.flush()


@pytest.fixture
def procs():
    made: list[subprocess.Popen] = []
    yield made
    for proc in made:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_kill_between_the_outbox_write_and_the_send(tmp_path, live_server, procs):
    config = write_config(tmp_path, live_server, "rate-1")
    live_server.stop()  # nothing can be sent: every press stays between write and send
    proc = start(["-m", "kiosk", "--simulate", "--config", str(config)])
    procs.append(proc)
    type_keys(proc, "asdf")  # scores 5, 4, 3, 2
    keys = wait_for(lambda: len(outbox_keys(tmp_path)) == 4 and outbox_keys(tmp_path), message="4 rows written")
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(10) == -signal.SIGKILL

    live_server.start()
    proc = start(["-m", "kiosk", "--simulate", "--config", str(config)])
    procs.append(proc)
    wait_for(lambda: len(ratings(live_server, "rate-1")) == 4 and not outbox_keys(tmp_path), timeout=30,
             message="outbox replayed by the restarted agent")
    got = ratings(live_server, "rate-1")
    assert [r["id"] for r in got] == keys
    assert [r["score"] for r in got] == [5, 4, 3, 2]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0, proc.stderr.read()


def test_kill_after_the_ack_before_the_row_is_removed(tmp_path, live_server, procs):
    config = write_config(tmp_path, live_server, "rate-2")
    proc = start([str(HELPER), str(config), "--kill-after-ack"])
    procs.append(proc)
    type_keys(proc, "a")
    assert proc.wait(30) == -signal.SIGKILL  # killed itself right after the server's ok
    [kept] = outbox_keys(tmp_path)  # so the row is still there...
    assert [r["id"] for r in ratings(live_server, "rate-2")] == [kept]  # ...and the server has it already

    proc = start([str(HELPER), str(config)])
    procs.append(proc)
    wait_for(lambda: not outbox_keys(tmp_path), timeout=30, message="resent and removed")
    assert [r["id"] for r in ratings(live_server, "rate-2")] == [kept]  # the resend did not double it
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0, proc.stderr.read()


def online(live_server, device: str) -> bool:
    settle(live_server.qms)
    return bool(live_server.store.read().execute("SELECT online FROM devices WHERE id = ?", [device]).fetchone()[0])


def tickets(live_server) -> list[dict]:
    return list(live_server.store.read().query("SELECT id, code, state, cancel_reason FROM tickets ORDER BY seq"))


def test_kill_after_the_ticket_is_issued_and_before_it_is_printed(tmp_path, live_server, procs):
    """Nobody holds that number: the next start of the agent cancels it, so it is never called
    (issue: faults, hole 1). A ticket that was printed is left alone."""
    config = write_config(tmp_path, live_server, "kiosk-1", roles=("ticket",))
    png = tmp_path / "paper"
    proc = start([str(HELPER), str(config), "--png", str(png), "--kill-before-print"])
    procs.append(proc)
    wait_for(lambda: online(live_server, "kiosk-1"), message="the kiosk connected")
    type_keys(proc, "1")  # the first service's button
    assert proc.wait(30) == -signal.SIGKILL
    [issued] = tickets(live_server)
    assert issued["state"] == "waiting" and not list(png.glob("*.png"))  # issued, never printed

    proc = start([str(HELPER), str(config), "--png", str(png)])
    procs.append(proc)
    wait_for(lambda: tickets(live_server)[0]["state"] == "cancelled", timeout=30, message="the unprinted ticket cancelled")
    wait_for(lambda: online(live_server, "kiosk-1"), message="the kiosk connected")
    type_keys(proc, "1")  # the next press prints, and stays in the queue
    wait_for(lambda: len(tickets(live_server)) == 2 and list(png.glob("*.png")), timeout=30, message="printed")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0, proc.stderr.read()
    proc = start([str(HELPER), str(config), "--png", str(png)])  # a restart after a printed ticket
    procs.append(proc)
    wait_for(lambda: not outbox_keys(tmp_path), timeout=30, message="nothing left to send")
    first, second = tickets(live_server)
    assert first["state"] == "cancelled" and second["state"] == "waiting"
