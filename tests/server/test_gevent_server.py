"""The server in gevent mode, as production would run it: `python -m server run --async-mode gevent`
in a subprocess on loopback (in-process tests use threading mode: Flask-SocketIO's test client
and werkzeug's thread server). Plus the gevent runtime's wait on a writer Future.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import Future
from pathlib import Path

import pytest
import socketio

from tests.server.production import Production, center_instance

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def gevent_server(tmp_path_factory):
    instance, center = center_instance(tmp_path_factory.mktemp("gevent"))
    # Many events from one kiosk at once here: above the per-device rate, which is tested apart.
    server = Production(instance, env={"QMS_BROADCAST_INTERVAL_MS": "50", "QMS_DEVICE_EVENTS_BURST": "1000"})
    yield {"url": server.url, "proc": server.proc, "instance": instance, **center}
    server.stop()


def _kiosk(srv, device: str) -> socketio.Client:
    c = socketio.Client(reconnection=False)
    c.connect(srv["url"], namespaces=["/kiosk"], transports=["websocket"], wait_timeout=10,
              auth={"device": device, "token": srv["devices"][device]})
    return c


def _api(srv, path: str, user: str) -> dict:
    import json

    req = urllib.request.Request(srv["url"] + path, method="POST", data=b"{}",
                                 headers={"Authorization": f"Bearer {srv['users'][user]['api_token']}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def test_gevent_server_runs_in_gevent_mode(gevent_server):
    assert "(gevent)" in (gevent_server["instance"] / "server.log").read_text()
    # One process, the hub's thread and the SQLite writer: no thread per connection.
    threads = int(next(line.split()[1] for line in Path(f"/proc/{gevent_server['proc'].pid}/status").read_text()
                       .splitlines() if line.startswith("Threads:")))
    assert threads <= 4


def test_kiosk_ticket_display_call_and_rating_over_gevent(gevent_server):
    srv = gevent_server
    snapshots, calls = [], []
    tv = socketio.Client(reconnection=False)
    tv.on("snapshot", snapshots.append, namespace="/display")
    tv.on("called", calls.append, namespace="/display")
    tv.connect(srv["url"], namespaces=["/display"], transports=["websocket"], wait_timeout=10)
    kiosk = _kiosk(srv, "kiosk-1")
    rater = _kiosk(srv, "rate-1")
    try:
        deadline = time.monotonic() + 10
        while not snapshots and time.monotonic() < deadline:
            time.sleep(0.05)
        assert snapshots and "services" in snapshots[0], "the display gets a snapshot on connect"

        ticket_id = str(uuid.uuid4())
        ack = kiosk.call("ticket", {"id": ticket_id, "service": "A", "priority": False}, namespace="/kiosk", timeout=10)
        assert ack["ok"] and ack["ticket"]["code"].startswith("A")
        again = kiosk.call("ticket", {"id": ticket_id, "service": "A", "priority": False}, namespace="/kiosk", timeout=10)
        assert again["ok"] and again["ticket"]["code"] == ack["ticket"]["code"], "idempotent by id"

        called = _api(srv, "/api/counters/1/next", "officer1")
        assert called["ok"] and called["result"]["call"]["code"] == ack["ticket"]["code"]
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.05)
        assert calls and calls[-1]["code"] == ack["ticket"]["code"], "the display hears the call"
        n_snapshots = len(snapshots)
        assert _api(srv, "/api/counters/1/finish", "officer1")["ok"]

        rating_id = str(uuid.uuid4())
        rated = rater.call("rating", {"id": rating_id, "score": 5, "age_ms": 0}, namespace="/kiosk", timeout=10)
        assert rated == {"ok": True, "duplicate": False, "status": "counted"}

        deadline = time.monotonic() + 10
        while len(snapshots) == n_snapshots and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(snapshots) > n_snapshots, "the broadcaster pushes a new snapshot after the writes"
        asked = tv.call("snapshot", namespace="/display", timeout=10)
        assert asked["recent_calls"][0]["code"] == ack["ticket"]["code"]
    finally:
        for c in (kiosk, rater, tv):
            c.disconnect()

    db = sqlite3.connect(srv["instance"] / "qms.db")
    try:
        assert db.execute("SELECT code, state FROM tickets WHERE id = ?", [ticket_id]).fetchone()[0] == ack["ticket"]["code"]
        assert db.execute("SELECT ticket_id, status FROM ratings WHERE id = ?", [rating_id]).fetchone() == (ticket_id, "counted")
    finally:
        db.close()


def test_many_concurrent_kiosks_are_served_by_one_thread(gevent_server):
    """Writes from many connections at once wait for the writer without blocking each other."""
    srv = gevent_server
    clients = [_kiosk(srv, "kiosk-1") for _ in range(20)]
    acks: list = []
    try:
        def one(c):
            acks.append(c.call("ticket", {"id": str(uuid.uuid4()), "service": "B", "priority": False},
                               namespace="/kiosk", timeout=10))

        threads = [threading.Thread(target=one, args=(c,)) for c in clients for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
    finally:
        for c in clients:
            c.disconnect()
    assert len(acks) == 60 and all(a["ok"] for a in acks)
    assert len({a["ticket"]["code"] for a in acks}) == 60


def test_gevent_runtime_wait_does_not_block_the_hub():
    """`Gevent.wait` on a Future finished by another OS thread: other greenlets keep running."""
    gevent = pytest.importorskip("gevent")
    from server.runtime import Gevent

    rt = Gevent()
    ticks = []

    def ticker():
        for _ in range(20):
            ticks.append(time.monotonic())
            rt.sleep(0.01)

    fut: Future = Future()
    threading.Timer(0.1, fut.set_result, args=(42,)).start()
    g = gevent.spawn(ticker)
    assert rt.wait(fut) == 42
    assert len(ticks) >= 5, "the ticker ran while the caller waited"
    failed: Future = Future()
    threading.Timer(0.05, failed.set_exception, args=(ValueError("boom"),)).start()
    with pytest.raises(ValueError):
        rt.wait(failed)
    g.join(5)
    # From another thread (a command-line tool), the hub's wait falls back to a plain result().
    done: Future = Future()
    out = []
    t = threading.Thread(target=lambda: out.append(rt.wait(done)))
    t.start()
    done.set_result("x")
    t.join(5)
    assert out == ["x"]


def test_long_polling_is_refused_at_once(gevent_server):
    """Websocket only: a long-polling handshake is refused, and an oversized polling POST is
    answered at once (no session to wait on), so nothing is held for a client that hangs up."""
    port = int(gevent_server["url"].rsplit(":", 1)[1])
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(gevent_server["url"] + "/socket.io/?EIO=4&transport=polling", timeout=5)
    assert refused.value.code == 400
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(("POST /socket.io/?EIO=4&transport=polling&sid=madeup HTTP/1.1\r\nHost: x\r\n"
                   "Content-Type: text/plain\r\nContent-Length: 2000001\r\n\r\n").encode())
        assert s.recv(64).startswith(b"HTTP/1.1 400")
