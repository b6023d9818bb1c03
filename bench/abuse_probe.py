"""Does the server still answer while anonymous clients hold connections? (loopback only)

    .venv/bin/python bench/abuse_probe.py [--async-mode gevent] [--idle 500] [--oversized 400]

Starts the real server (`python -m server run --async-mode ...`) on a fresh demo instance, on a
free loopback port, then, while a prober thread asks `GET /healthz` every 0.2 s (1 s timeout):

1. opens `--idle` anonymous Engine.IO websockets (python-engineio's client: it answers the
   server's pings, so they stay open) that join no Socket.IO namespace and send no credentials;
2. sends `--oversized` abandoned long-polling POSTs: for each, an Engine.IO polling handshake
   (`GET /socket.io/?EIO=4&transport=polling`), then `POST ...&sid=<sid>` whose headers announce
   `Content-Length: 2000001` (over `max_payload_bytes`), and the TCP connection is closed at
   once. python-engineio refuses the body and calls `disconnect(sid)`, which waits for a poll
   that never comes;
3. holds everything for `--hold` seconds, then has a kiosk take a ticket (the service still
   works?), closes the idle websockets, and keeps probing `--after` seconds more.

Prints JSON: the prober's answers (how many, slower than 1 s or failed, in each phase), the
server's RSS, threads and open file descriptors at the peak, and the kiosk's ticket. Every loop
is bounded in count and time; nothing here leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import server_load as sl  # noqa: E402  (instance set-up and server start/stop)


class Prober(threading.Thread):
    """GET /healthz every `every` s with a 1-s timeout; records (t, seconds or None, phase)."""

    def __init__(self, port: int, every: float = 0.2, limit_s: float = 600):
        super().__init__(daemon=True)
        self.port, self.every, self.limit_s = port, every, limit_s
        self.phase = "before"
        self.results: list[tuple[float, float | None, str]] = []
        self.errors: list[dict] = []
        self._halt = threading.Event()
        self.t0 = time.monotonic()

    def run(self):
        while not self._halt.is_set() and time.monotonic() - self.t0 < self.limit_s:
            phase, t = self.phase, time.monotonic()
            error = None
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1.0)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
                took = time.monotonic() - t if status == 200 else None
                error = None if status == 200 else f"HTTP {status}"
            except OSError as exc:
                took, error = None, f"{type(exc).__name__}: {exc} after {time.monotonic() - t:.2f} s"
            self.results.append((round(t - self.t0, 2), took, phase))
            if error:
                self.errors.append({"t": round(t - self.t0, 2), "phase": phase, "error": error})
            self._halt.wait(max(0.0, self.every - (time.monotonic() - t)))

    def stop(self):
        self._halt.set()
        self.join(5)

    def summary(self) -> dict:
        out = {}
        for phase in dict.fromkeys(p for _t, _s, p in self.results):
            xs = [s for _t, s, p in self.results if p == phase]
            ok = sorted(s for s in xs if s is not None)
            out[phase] = {"probes": len(xs), "failed_or_over_1s": sum(1 for s in xs if s is None or s > 1.0),
                          "p50_ms": round(1000 * ok[len(ok) // 2], 1) if ok else None,
                          "max_ms": round(1000 * ok[-1], 1) if ok else None}
        return out


def fds(pid: int) -> int:
    n = 0
    for p in (pid, *_children(pid)):
        try:
            n += len(os.listdir(f"/proc/{p}/fd"))
        except OSError:
            pass
    return n


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    return out


def oversized_post(port: int, deadline: float) -> str:
    """One polling handshake, then a POST announcing 2,000,001 bytes, abandoned at once."""
    if time.monotonic() > deadline:
        return "skipped"
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/socket.io/?EIO=4&transport=polling")
        body = conn.getresponse().read().decode()
        conn.close()
        sid = json.loads(body[body.index("{"):])["sid"]
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall((f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 2000001\r\n\r\n").encode())
        s.close()
        return "sent"
    except (OSError, ValueError, KeyError) as exc:
        return type(exc).__name__


async def main_async(args, port: int, proc, prober: Prober, setup: dict, out: dict) -> dict:
    import engineio
    import socketio

    url = f"http://127.0.0.1:{port}"
    time.sleep(1.0)
    prober.phase = "idle websockets opening"
    idle: list = []
    failures: dict[str, int] = {}
    sem = asyncio.Semaphore(50)
    deadline = time.monotonic() + args.step_limit

    async def open_one():
        async with sem:
            if time.monotonic() > deadline:
                failures["skipped (time limit)"] = failures.get("skipped (time limit)", 0) + 1
                return
            c = engineio.AsyncClient()
            try:
                await asyncio.wait_for(c.connect(url, transports=["websocket"], engineio_path="socket.io"), 10)
                idle.append(c)
            except Exception as exc:
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1

    t = time.monotonic()
    await asyncio.gather(*(open_one() for _ in range(args.idle)))
    out["idle_websockets"] = {"asked": args.idle, "open": len(idle), "failed": failures,
                              "seconds": round(time.monotonic() - t, 1)}
    sl.log(f"idle anonymous websockets open: {len(idle)} of {args.idle} ({failures or 'no failures'})")

    prober.phase = "oversized posts"
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + args.step_limit
    t = time.monotonic()
    sem_threads = asyncio.Semaphore(20)

    async def post_one():
        async with sem_threads:
            return await loop.run_in_executor(None, oversized_post, port, deadline)

    results = await asyncio.gather(*(post_one() for _ in range(args.oversized)))
    counts: dict[str, int] = {}
    for r in results:
        counts[r] = counts.get(r, 0) + 1
    out["oversized_posts"] = {"asked": args.oversized, "outcomes": counts, "seconds": round(time.monotonic() - t, 1)}
    sl.log(f"oversized abandoned POSTs: {counts}")

    prober.phase = "holding"
    await asyncio.sleep(2)
    rss, threads = sl.memory_threads(proc.pid)
    out["server_under_abuse"] = {"rss_mb": rss, "threads": threads, "open_fds": fds(proc.pid)}
    sl.log(f"server under abuse: {out['server_under_abuse']}")
    await asyncio.sleep(max(0.0, args.hold - 2))

    # A real kiosk, meanwhile: does the service still work?
    dev = next(d for d in setup["devices"] if d["kind"] == "ticket")
    kiosk = socketio.AsyncClient(reconnection=False)
    t = time.monotonic()
    try:
        await asyncio.wait_for(kiosk.connect(url, namespaces=["/kiosk"], transports=["websocket"], wait_timeout=10,
                                             auth={"device": dev["id"], "token": dev["token"]}), 15)
        ack = await kiosk.call("ticket", {"id": str(uuid.uuid4()), "service": "DD", "priority": False},
                               namespace="/kiosk", timeout=10)
        out["kiosk_ticket_under_abuse"] = {"ok": bool(ack.get("ok")), "code": ack.get("ticket", {}).get("code"),
                                           "seconds_connect_and_ack": round(time.monotonic() - t, 3)}
        await asyncio.wait_for(kiosk.disconnect(), 5)
    except Exception as exc:
        out["kiosk_ticket_under_abuse"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                                           "seconds": round(time.monotonic() - t, 3)}
    sl.log(f"kiosk ticket under abuse: {out['kiosk_ticket_under_abuse']}")

    prober.phase = "after (idle websockets closed)"
    await asyncio.gather(*(asyncio.wait_for(c.disconnect(), 5) for c in idle), return_exceptions=True)
    await asyncio.sleep(args.after)
    rss, threads = sl.memory_threads(proc.pid)
    out["server_after"] = {"rss_mb": rss, "threads": threads, "open_fds": fds(proc.pid)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--async-mode", choices=["threading", "gevent"], default="gevent")
    ap.add_argument("--threads", type=int, default=400, help="gunicorn threads, threading mode")
    ap.add_argument("--idle", type=int, default=500, help="idle anonymous websockets")
    ap.add_argument("--oversized", type=int, default=400, help="abandoned oversized long-polling POSTs")
    ap.add_argument("--hold", type=float, default=20, help="seconds to hold them all open")
    ap.add_argument("--after", type=float, default=10, help="seconds to keep probing after closing")
    ap.add_argument("--step-limit", type=float, default=60, help="seconds at most for each opening step")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    # `timeout` or Ctrl-C: still stop the server (in its own session) on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    loadavg_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="qms-abuse-") as tmp:
        instance = Path(tmp) / "instance"
        setup = sl.make_instance(instance, 1, 0)
        port = sl.free_port()
        proc = sl.start_server(instance, port, args.threads, args.async_mode)
        prober = Prober(port)
        prober.start()
        try:
            out: dict = {}  # filled as the steps go: what was measured survives a time-out
            limit = 2 * args.step_limit + args.hold + args.after + 60

            async def bounded():
                try:
                    await asyncio.wait_for(main_async(args, port, proc, prober, setup, out), limit)
                except asyncio.TimeoutError:
                    out["timed_out_after_s"] = limit

            asyncio.run(bounded())
        finally:
            sl.stop_server(proc)
            prober.stop()
        out = {"async_mode": args.async_mode, "threads": args.threads if args.async_mode == "threading" else None,
               **out, "healthz": prober.summary(), "probe_errors": prober.errors,
               "probes": [{"t": t, "ms": None if took is None else round(1000 * took, 1), "phase": phase}
                          for t, took, phase in prober.results],
               "loadavg_before": loadavg_before, "loadavg_after": os.getloadavg()[0],
               "server_log_tail": (instance / "server.log").read_text()[-1500:]}
    print(json.dumps(out, indent=2, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, ensure_ascii=False))
    bad = sum(p["failed_or_over_1s"] for p in out["healthz"].values())
    sl.log(f"[{args.async_mode}] /healthz: {bad} of {len(prober.results)} probes failed or took over 1 s")
    return 0 if bad == 0 and out.get("kiosk_ticket_under_abuse", {}).get("ok") else 2


if __name__ == "__main__":
    sys.exit(main())
