"""Counter console benchmark: how fast an officer's action is answered and shown, under load.

    .venv/bin/python bench/console_bench.py [--rounds 200] [--kiosk-rate 50] [--json OUT]

The real server runs in a child process on 127.0.0.1 with the test center of tests/conftest.py
and the production broadcast interval (250 ms).
Three officers (counters 1..3) each have a console connected to `/counter` (python-socketio,
websocket) and act over HTTP with their API tokens, as the console page does: call next, then
finish, `--rounds` times each, all three at once. A ticket kiosk first issues 4 × rounds tickets
(so the queues never run dry), then `--kiosk-rate` tickets a second over `/kiosk` meanwhile, so
the writer and the broadcaster are busy. Measured per action:
- ack: POST sent -> HTTP answer received (durable: the write is committed before the answer);
- shown: POST sent -> the console has the view showing the new state: the page GETs the view
  right after the answer, and the socket's coalesced push may bring it first.

Target (issue 5, "at the speed of a keyboard"): ack p99 <= 100 ms, shown p99 <= 500 ms.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def summary(values_s: list[float]) -> dict[str, float]:
    """Count, median, p90, p99 and max in milliseconds."""
    ms = sorted(v * 1000 for v in values_s)

    def pct(p: float) -> float:
        return ms[max(0, math.ceil(p * len(ms)) - 1)]

    return {"n": len(ms), "p50": round(statistics.median(ms), 2), "p90": round(pct(0.90), 2),
            "p99": round(pct(0.99), 2), "max": round(ms[-1], 2)}


class Console:
    """One officer: a /counter socket that records when each ticket code shows up in hand."""

    def __init__(self, url: str, token: str, number: int):
        import requests
        import socketio

        self.url, self.token, self.number = url, token, number
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.seen: dict[tuple, float] = {}  # (code or None, state) -> first time seen
        self.cond = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("counter", self._on_view, namespace="/counter")
        self.sio.connect(url, namespaces=["/counter"], transports=["websocket"], auth={"token": token},
                         wait_timeout=10)

    def _on_view(self, view):
        key = (view["ticket"]["code"] if view["ticket"] else None, (view["today"] or {}).get("served"))
        with self.cond:
            self.seen.setdefault(key, time.perf_counter())
            self.cond.notify_all()

    def wait_for(self, key, timeout=10.0) -> float:
        deadline = time.perf_counter() + timeout
        with self.cond:
            while key not in self.seen:
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError(f"counter {self.number}: view {key} never arrived")
                self.cond.wait(left)
            return self.seen[key]

    def act(self, action: str) -> tuple[dict, float, float]:
        """POST the action, then GET the view as the console page does; the view is also noted."""
        start = time.perf_counter()
        r = self.http.post(f"{self.url}/api/counters/{self.number}/{action}", json={"id": str(uuid.uuid4())},
                           timeout=10)
        acked = time.perf_counter()
        body = r.json()
        if not body.get("ok"):
            raise RuntimeError(f"{action} at {self.number}: {body}")
        self._on_view(self.http.get(f"{self.url}/api/counters/{self.number}", timeout=10).json()["counter"])
        return body["result"], start, acked

    def run(self, rounds: int, acks: list, shown: list, errors: list) -> None:
        try:
            served = 0
            for _ in range(rounds):
                result, start, acked = self.act("next")
                acks.append(acked - start)
                if result.get("finished"):
                    served += 1
                shown.append(self.wait_for((result["ticket"], served)) - start)
                result, start, acked = self.act("finish")
                acks.append(acked - start)
                served += 1
                shown.append(self.wait_for((None, served)) - start)
        except Exception as exc:  # reported, not swallowed
            errors.append(repr(exc))

    def close(self):
        self.sio.disconnect()


def kiosk_load(url: str, token: str, rate: float, stop: threading.Event, issued: list, burst: int) -> None:
    """Issue `burst` tickets for services A and B at once, then `rate` a second over /kiosk."""
    import socketio

    sio = socketio.Client(reconnection=False)
    sio.connect(url, namespaces=["/kiosk"], transports=["websocket"], auth={"device": "kiosk-1", "token": token},
                wait_timeout=10)
    period = 1.0 / rate
    nxt = time.perf_counter()
    i = 0
    while not stop.is_set():
        ack = sio.call("ticket", {"id": str(uuid.uuid4()), "service": "AB"[i % 2], "priority": i % 17 == 0},
                       namespace="/kiosk", timeout=10)
        if ack.get("ok"):
            issued.append(1)
        i += 1
        if i <= burst:
            nxt = time.perf_counter()
            continue
        nxt += period
        time.sleep(max(0.0, nxt - time.perf_counter()))
    sio.disconnect()


def serve(conn, tmp: str) -> None:
    """The server in its own process, as in production (the clients' GIL is not the server's)."""
    import logging

    logging.getLogger("server.voice.audio").setLevel(logging.ERROR)
    from tests.conftest import TEMPLATE_ENV, LiveServer

    (Path(tmp) / "template").mkdir(exist_ok=True)
    os.environ[TEMPLATE_ENV] = str(Path(tmp) / "template")  # the test center, made once here
    server = LiveServer(Path(tmp), broadcast_interval_ms=250).start()  # the production default
    conn.send({"url": server.url, "tokens": {name: server.token(name) for name in
                                             ("kiosk-1", "officer1", "officer2", "officer3")},
               "db": str(server.store.path)})
    conn.recv()  # wait for "stop"
    server.stop()
    conn.send("stopped")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=200, help="next+finish rounds per officer")
    ap.add_argument("--kiosk-rate", type=float, default=50.0, help="tickets a second issued meanwhile")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()

    import multiprocessing
    import sqlite3

    tmp = tempfile.mkdtemp(prefix="console-bench-")
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve, args=(child, tmp), daemon=True)
    proc.start()
    info = parent.recv()
    url, tokens = info["url"], info["tokens"]
    stop = threading.Event()
    issued: list = []
    try:
        # A head start big enough that the queues never run dry, whatever the officers' pace.
        burst = 4 * args.rounds
        loader = threading.Thread(target=kiosk_load, args=(url, tokens["kiosk-1"], args.kiosk_rate, stop, issued,
                                                           burst), daemon=True)
        loader.start()
        while len(issued) < burst:
            time.sleep(0.05)
        consoles = [Console(url, tokens[f"officer{n}"], n) for n in (1, 2, 3)]
        acks: list[float] = []
        shown: list[float] = []
        errors: list[str] = []
        started = time.perf_counter()
        workers = [threading.Thread(target=c.run, args=(args.rounds, acks, shown, errors)) for c in consoles]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - started
        stop.set()
        loader.join(timeout=10)
        for c in consoles:
            c.close()
        with sqlite3.connect(info["db"]) as db:
            done = db.execute("SELECT count(*) FROM tickets WHERE state = 'done'").fetchone()[0]
        figures = {
            "machine": {"nproc": os.cpu_count(), "cpu": _cpu_model()},
            "rounds_per_officer": args.rounds, "kiosk_rate": args.kiosk_rate,
            "actions": len(acks), "actions_per_s": round(len(acks) / elapsed, 1),
            "tickets_issued": len(issued), "tickets_done_in_db": done,
            "ack_ms": summary(acks), "shown_ms": summary(shown), "errors": errors,
        }
    finally:
        stop.set()
        parent.send("stop")
        parent.recv()
        proc.join(timeout=30)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    ok = not errors and figures["ack_ms"]["p99"] <= 100 and figures["shown_ms"]["p99"] <= 500
    ok = ok and done == 3 * args.rounds
    print("target met" if ok else "TARGET NOT MET")
    sys.exit(0 if ok else 1)


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


if __name__ == "__main__":
    main()
