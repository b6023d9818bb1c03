"""Nobody on the center's Wi-Fi can freeze the server (issue: the web layer).

The real server, as `python -m server run` starts it, on loopback. While a rating terminal
keeps sending ratings, strangers (other loopback addresses, as phones on the Wi-Fi would be)
open 500 idle anonymous websockets that join no namespace, and send 400 long-polling POSTs
whose headers announce a body over the limit and then hang up. Throughout, `/healthz` must
answer within 1 s; every rating must be acknowledged; afterwards the server answers as before
and the idle websockets have been closed by the server.
"""

from __future__ import annotations

import http.client
import json
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import socketio

from tests.server.production import Production

ROOT = Path(__file__).resolve().parents[2]
IDLE_SOCKETS = 500
ABANDONED_POSTS = 400
STRANGERS = [f"127.0.0.{i}" for i in range(10, 30)]  # 20 addresses, 25 idle websockets each


def _health(port: int, timeout: float = 5.0) -> float:
    """Seconds /healthz took to answer 200 (raises if it did not)."""
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
    finally:
        conn.close()
    return time.monotonic() - start


@pytest.fixture
def server(tmp_path):
    """The demo center served by `python -m server run` in a subprocess."""
    instance = tmp_path / "instance"
    secrets_file = tmp_path / "secrets.json"
    env = {**os.environ, "QMS_JOIN_TIMEOUT_S": "2"}
    subprocess.run([sys.executable, "-m", "server", "demo", "--instance", str(instance), "--json-out",
                    str(secrets_file)], cwd=ROOT, check=True, capture_output=True, env=env)
    server = Production(instance, host="0.0.0.0", env=env)
    secrets_ = json.loads(secrets_file.read_text())
    yield {"port": server.port, "devices": {d["id"]: d["token"] for d in secrets_["devices"]}}
    server.stop()


def _idle_websocket(source: str, port: int) -> socket.socket | None:
    """A websocket upgraded at the Engine.IO level that then says nothing (no namespace)."""
    s = socket.socket()
    s.settimeout(5)
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = s.recv(4096)
        if not head.startswith(b"HTTP/1.1 101"):
            s.close()
            return None
        return s
    except OSError:
        s.close()
        return None


def _abandoned_post(source: str, port: int) -> None:
    """A long-polling POST announcing a body over the limit, then gone."""
    s = socket.socket()
    s.settimeout(5)
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall((f"POST /socket.io/?EIO=4&transport=polling&sid={uuid.uuid4().hex} HTTP/1.1\r\n"
                   f"Host: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\nContent-Length: 2000001\r\n\r\n"
                   ).encode() + b"x" * 1000)
    except OSError:
        pass
    finally:
        s.close()


def _still_open(sockets: list[socket.socket], wait_s: float) -> list[socket.socket]:
    """The sockets the server has not closed yet (read what they have, wait up to `wait_s`)."""
    with selectors.DefaultSelector() as sel:  # epoll: select() cannot take descriptors over 1023
        for s in sockets:
            sel.register(s, selectors.EVENT_READ)
        readable = [key.fileobj for key, _ in sel.select(wait_s)]
    closed = set()
    for s in readable:
        try:
            if not s.recv(65536, socket.MSG_DONTWAIT):
                closed.add(s)
        except BlockingIOError:
            pass
        except OSError:
            closed.add(s)
    return [s for s in sockets if s not in closed]


def test_strangers_cannot_freeze_the_server(server):
    port = server["port"]
    rater = socketio.Client(reconnection=False)
    rater.connect(f"http://127.0.0.1:{port}", namespaces=["/kiosk"], transports=["websocket"], wait_timeout=10,
                  auth={"device": "rate-1", "token": server["devices"]["rate-1"]})
    answers, stop = [], threading.Event()
    slowest = {"health": 0.0}

    def rate():
        while not stop.is_set():
            payload = {"id": str(uuid.uuid4()), "score": 5}
            answer = rater.call("rating", payload, namespace="/kiosk", timeout=10)
            while answer.get("error") == "busy":  # the outbox's way: the same event again, later
                time.sleep(0.2)
                answer = rater.call("rating", payload, namespace="/kiosk", timeout=10)
            answers.append(answer)
            time.sleep(0.02)

    def watch():
        while not stop.is_set():
            slowest["health"] = max(slowest["health"], _health(port, timeout=5))
            time.sleep(0.1)

    threads = [threading.Thread(target=rate), threading.Thread(target=watch)]
    for t in threads:
        t.start()
    idle = []
    try:
        # The strangers: 500 idle websockets from 20 addresses, then 400 abandoned POSTs.
        for i in range(IDLE_SOCKETS):
            s = _idle_websocket(STRANGERS[i % len(STRANGERS)], port)
            if s is not None:
                idle.append(s)
        for i in range(ABANDONED_POSTS):
            _abandoned_post(STRANGERS[i % len(STRANGERS)], port)
        # The server closes the idle ones (join_timeout_s=2 here) by itself.
        deadline = time.monotonic() + 30
        open_ = list(idle)
        while open_ and time.monotonic() < deadline:
            open_ = _still_open(open_, 0.5)
        assert not open_, f"{len(open_)} idle websockets still open after 30 s"
        count_before = len(answers)
        deadline = time.monotonic() + 10
        while len(answers) < count_before + 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        for s in idle:
            s.close()
    assert idle, "no idle websocket was accepted at all: the test tried nothing"
    assert slowest["health"] < 1.0, f"/healthz took {slowest['health']:.2f} s at worst"
    assert answers and all(a.get("ok") for a in answers), [a for a in answers if not a.get("ok")][:3]
    # Afterwards: the server answers as before, to a new device connection too.
    assert _health(port) < 1.0
    answer = rater.call("rating", {"id": str(uuid.uuid4()), "score": 4}, namespace="/kiosk", timeout=10)
    assert answer["ok"] is True
    rater.disconnect()
    kiosk = socketio.Client(reconnection=False)
    kiosk.connect(f"http://127.0.0.1:{port}", namespaces=["/kiosk"], transports=["websocket"], wait_timeout=10,
                  auth={"device": "kiosk-1", "token": server["devices"]["kiosk-1"]})
    answer = kiosk.call("ticket", {"id": str(uuid.uuid4()), "service": "DD"}, namespace="/kiosk", timeout=10)
    kiosk.disconnect()
    assert answer["ok"] is True, answer
