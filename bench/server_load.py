"""Load test of the real server: N simulated kiosks over Socket.IO, tickets and ratings at a rate.

    .venv/bin/python bench/server_load.py [--kiosks 200] [--rate 500] [--duration 60] [--json OUT]
                                          [--async-mode threading|gevent] [--outbox] [--server-cpu 0.5]

What it does:
1. makes a fresh instance folder with `python -m server demo` (the demo center, always open) and
   adds the simulated devices with what `python -m server add-device` runs (`admin.add_device`,
   in this process, one app for all): `--kiosks` devices, a
   quarter of them rating terminals bound to the demo's four counters, the rest ticket kiosks;
2. starts the server as production does, `python -m server run` (`--async-mode threading`:
   gunicorn, one worker, gthread; `gevent`: gevent's WSGI server, greenlets), on a free loopback
   port, as a subprocess; its RSS and thread count are read from /proc once every client is
   connected and every half second of the run (peak);
3. connects every device as a `socketio.AsyncClient` over websocket, all on one asyncio loop in
   this process, plus `--displays` `/display` clients (the TVs, which receive the snapshots);
4. sends `ticket` and `rating` events open-loop at `--rate` events/s in total for `--duration`
   seconds (a slow server makes events queue up: latency is not hidden by waiting), each with a
   fresh UUID, and measures each acknowledgement's latency (emit to ack, on this loop);
   meanwhile the demo officers call the next number over HTTP every few seconds, so that calls,
   `called` broadcasts and display snapshots happen as in a center;
   with `--outbox` each device sends as the kiosk's outbox does instead: its events in order, one in
   flight, the same event again after `busy` with the kiosk's back-off (0.5 s doubling to 30 s),
   so that past capacity the events wait in the outboxes (`delivery_ms`: creation to ack); with
   `--server-cpu F` the server runs in a cgroup capped at F of one core (bench/cpucap.py, root);
5. stops the server, opens the database file and checks that it holds exactly what was
   acknowledged: every acknowledged ticket and rating id once, nothing that was not
   acknowledged, ticket numbers gap-free per service.

Prints (JSON on stdout, a verdict on stderr) throughput, ack latency p50/p90/p99/max, acks per
second, CPU used by the server, by this client and by every other process meanwhile (they
share the machine), the half-seconds whose p99 was over the target with the CPU of each, and
the verification. Exit status 1 when the database differs from what was acknowledged, 2 when
it agrees but the target (`--p99-target`, every event acknowledged, the rate sustained) was
missed, 0 otherwise. This client disables its own garbage collector during the run, so that
its pauses are not counted as server latency.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
COUNTERS = 4  # the demo center's counters (rating terminals are bound to them)
OUTBOX_PAUSE_S = (0.5, 30.0)  # kiosk/sender.py's back-off after a `busy` or a timeout


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- setting up --------------------------------------------------------------------------------

def make_instance(instance: Path, n_kiosks: int, n_raters: int) -> dict:
    """The demo center plus the simulated devices; returns their tokens and the officers'."""
    secrets_file = instance.parent / "demo-secrets.json"
    subprocess.run([PYTHON, "-m", "server", "demo", "--instance", str(instance), "--json-out", str(secrets_file)],
                   cwd=ROOT, check=True, capture_output=True, text=True)
    demo = json.loads(secrets_file.read_text())
    # One app for every device (not one `add-device` command each: 1000 devices took minutes).
    from server import create_app
    from server.engine import admin

    app = create_app({"INSTANCE_PATH": str(instance), "sqlite_synchronous": "OFF"})
    qms = app.extensions["qms"]
    devices = []
    try:
        for i in range(n_kiosks + n_raters):
            rater = i >= n_kiosks
            device_id = f"bench-r{i - n_kiosks:03d}" if rater else f"bench-k{i:03d}"
            d = qms.write(admin.add_device, device_id=device_id, roles=["rating" if rater else "ticket"],
                          counter=(i - n_kiosks) % COUNTERS + 1 if rater else None, name="", actor="cli")
            devices.append({"id": device_id, "token": d["token"], "kind": "rating" if rater else "ticket"})
    finally:
        qms.close()
    officers = {u["username"]: u["api_token"] for u in demo["users"] if u["role"] == "officer"}
    services = ["DD", "HT", "KD", "LD"]
    return {"devices": devices, "officers": officers, "services": services}


def start_server(instance: Path, port: int, threads: int, async_mode: str = "gevent") -> subprocess.Popen:
    cmd = [PYTHON, "-m", "server", "run", "--instance", str(instance), "--host", "127.0.0.1", "--port", str(port),
           "--threads", str(threads), "--async-mode", async_mode]
    # Every simulated kiosk connects from 127.0.0.1: lift the per-address cap (a center's
    # devices each have their own address).
    env = {**os.environ, "QMS_MAX_CONNECTIONS_PER_ADDRESS": "0"}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(instance / "server.log", "w"),
                            start_new_session=True, env=env)
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: see {instance / 'server.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # gunicorn's graceful stop; the app closes its store
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat): with the server's and this
    client's own, it tells how much other processes took from the machine during the run."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and its children (gunicorn master and worker)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == root_pid or ppid == root_pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def memory_threads(root_pid: int) -> tuple[float, int]:
    """Resident memory (MB) and OS threads of a process and its children (gunicorn master and
    worker; the gevent server is one process)."""
    rss_kb = threads = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        pid, ppid = int(fields["Pid"]), int(fields.get("PPid", "0"))
        if pid == root_pid or ppid == root_pid:
            rss_kb += int(fields.get("VmRSS", "0 kB").split()[0])
            threads += int(fields.get("Threads", "0"))
    return round(rss_kb / 1024, 1), threads


# -- the load ----------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


async def run_load(url: str, setup: dict, *, rate: float, duration: float, rating_share: float,
                   displays: int, call_every: float, timeout: float, seed: int, server_pid: int,
                   outbox: bool = False) -> dict:
    import aiohttp
    import socketio

    rnd = random.Random(seed)
    clients: dict[str, socketio.AsyncClient] = {}
    dropped = {"n": 0}  # kiosk connections the server closed during the run (none expected)
    closing = {"now": False}

    async def connect(dev):
        c = socketio.AsyncClient(reconnection=False)

        @c.on("disconnect", namespace="/kiosk")
        def _gone(*_args):
            if not closing["now"]:
                dropped["n"] += 1

        await c.connect(url, namespaces=["/kiosk"], transports=["websocket"], wait_timeout=30,
                        auth={"device": dev["id"], "token": dev["token"]})
        clients[dev["id"]] = c

    t = time.perf_counter()
    sem = asyncio.Semaphore(20)  # connect 20 at a time: a center's kiosks don't all boot at once

    async def limited(dev):
        async with sem:
            await connect(dev)

    await asyncio.gather(*(limited(d) for d in setup["devices"]))
    connect_s = time.perf_counter() - t
    log(f"connected {len(clients)} kiosks in {connect_s:.1f} s")
    await asyncio.sleep(1.0)  # let the server settle (connect-time writes) before reading it

    snapshots = {"snapshot": 0, "called": 0}
    tvs = []
    for _ in range(displays):
        tv = socketio.AsyncClient(reconnection=False)

        @tv.on("snapshot", namespace="/display")
        async def _snap(data):
            snapshots["snapshot"] += 1

        @tv.on("called", namespace="/display")
        async def _called(data):
            snapshots["called"] += 1

        await tv.connect(url, namespaces=["/display"], transports=["websocket"], wait_timeout=30)
        tvs.append(tv)
    rss_connected, threads_connected = memory_threads(server_pid)
    log(f"server with every client connected: {rss_connected} MB RSS, {threads_connected} threads")
    peak = {"rss_mb": rss_connected, "threads": threads_connected}

    kiosks = [d for d in setup["devices"] if d["kind"] == "ticket"]
    raters = [d for d in setup["devices"] if d["kind"] == "rating"]
    records: list[dict] = []  # one per event: kind, id, latency, ok, error
    pending: set[asyncio.Task] = set()

    pause_min, pause_max = (OUTBOX_PAUSE_S if outbox else (0.25, 4.0))

    async def send(kind: str, dev: dict, payload: dict, sent_at_s: float):
        """Send one event as a kiosk's outbox does: a `busy` answer is sent again, the same
        payload, after a pause that doubles (0.25 s to 4 s, jittered; with `outbox`, the kiosk's
        own 0.5 s to 30 s); every answer's latency is kept (`answers_ms`), the final one's
        (`latency_ms`) when it was `ok`, and from the event's creation to its ack (`delivery_ms`)."""
        rec = {"kind": kind, "id": payload["id"], "device": dev["id"], "t": sent_at_s, "answers_ms": [], "busy": 0}
        pause = pause_min
        while True:
            start = time.perf_counter()
            try:
                ack = await clients[dev["id"]].call(kind, payload, namespace="/kiosk", timeout=timeout)
            except socketio.exceptions.TimeoutError:
                rec.update(ok=False, error="timeout")
                break
            except Exception as exc:  # a dropped connection
                rec.update(ok=False, error=f"{type(exc).__name__}")
                break
            ms = (time.perf_counter() - start) * 1000.0
            rec["answers_ms"].append(ms)
            if ack.get("error") == "busy":
                rec["busy"] += 1
                await asyncio.sleep(pause * (0.5 + rnd.random()))
                pause = min(pause * 2, pause_max)
                continue
            rec["latency_ms"] = ms
            rec["delivery_ms"] = (loop.time() - t0 - sent_at_s) * 1000.0
            rec["done_t"] = loop.time() - t0
            rec["acked_at"] = time.time()  # wall clock, to compare with other processes' moments
            rec["ok"] = bool(ack.get("ok"))
            if not rec["ok"]:
                rec["error"] = ack.get("error")
            elif kind == "ticket":
                rec["code"] = ack["ticket"]["code"]
                rec["service"] = ack["ticket"]["service"]
            break
        records.append(rec)

    # The officers call the next number over HTTP now and then (not counted in the rate).
    calls = {"ok": 0, "empty": 0, "other": 0}
    stop_calls = asyncio.Event()

    async def officer(number: int, token: str):
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/api/counters/{number}/sign-in", headers=headers) as r:
                assert (await r.json())["ok"], f"officer could not sign in at counter {number}"
            await asyncio.sleep(rnd.random() * call_every)
            while not stop_calls.is_set():
                async with http.post(f"{url}/api/counters/{number}/next", headers=headers) as r:
                    body = await r.json()
                    calls["ok" if body.get("ok") else "empty" if body.get("error") == "queue_empty" else "other"] += 1
                try:
                    await asyncio.wait_for(stop_calls.wait(), call_every)
                except asyncio.TimeoutError:
                    pass

    officer_tasks = []
    if call_every > 0:
        for i, (username, token) in enumerate(sorted(setup["officers"].items())):
            officer_tasks.append(asyncio.create_task(officer(i + 1, token)))

    loop = asyncio.get_running_loop()
    client_cpu0 = time.process_time()
    t0 = loop.time()
    # Every half second: CPU taken by the server, by this client and by everything else, to
    # tell a slow server from a starved one when latency spikes.
    cpu_timeline: list[dict] = []
    stop_sampling = asyncio.Event()

    async def sample():
        last = (loop.time(), cpu_seconds(server_pid), time.process_time(), machine_busy_seconds())
        while not stop_sampling.is_set():
            try:
                await asyncio.wait_for(stop_sampling.wait(), 0.5)
            except asyncio.TimeoutError:
                pass
            now = (loop.time(), cpu_seconds(server_pid), time.process_time(), machine_busy_seconds())
            rss, nthreads = memory_threads(server_pid)
            peak["rss_mb"], peak["threads"] = max(peak["rss_mb"], rss), max(peak["threads"], nthreads)
            dt = now[0] - last[0]
            if dt > 0:
                server, own, busy = now[1] - last[1], now[2] - last[2], now[3] - last[3]
                cpu_timeline.append({"t": round(last[0] - t0, 2), "server": server / dt, "client": own / dt,
                                     "other": max(0.0, busy - server - own) / dt})
            last = now

    sampler = asyncio.create_task(sample())
    # This client's own collector pauses would be measured as server latency: none during the run
    # (its garbage is freed by reference counting; the few cycles wait until the end).
    gc.disable()
    n_events = int(rate * duration)
    queues: dict[str, asyncio.Queue] = {}

    async def outbox_sender(queue: asyncio.Queue):
        while True:
            item = await queue.get()
            if item is None:
                return
            await send(*item)

    log(f"sending {n_events} events at {rate:g}/s for {duration:g} s{' through one outbox per device' if outbox else ''} ...")
    k_i = r_i = 0
    for i in range(n_events):
        due = t0 + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if raters and rnd.random() < rating_share:
            dev = raters[r_i % len(raters)]
            r_i += 1
            payload = {"id": str(uuid.uuid4()), "score": rnd.choice([5, 5, 5, 4, 4, 3, 2]),
                       "age_ms": rnd.randint(0, 300)}
            kind = "rating"
        else:
            dev = kiosks[k_i % len(kiosks)]
            k_i += 1
            payload = {"id": str(uuid.uuid4()), "service": rnd.choice(setup["services"]),
                       "priority": rnd.random() < 0.1}
            kind = "ticket"
        if outbox:
            # The kiosk's outbox: its events in order, one in flight at a time (kiosk/sender.py).
            queue = queues.get(dev["id"])
            if queue is None:
                queue = queues[dev["id"]] = asyncio.Queue()
                task = asyncio.create_task(outbox_sender(queue))
                pending.add(task)
                task.add_done_callback(pending.discard)
            queue.put_nowait((kind, dev, payload, loop.time() - t0))
            continue
        task = asyncio.create_task(send(kind, dev, payload, loop.time() - t0))
        pending.add(task)
        task.add_done_callback(pending.discard)
    send_end = loop.time() - t0
    for queue in queues.values():
        queue.put_nowait(None)  # each outbox sender ends once its queue is empty
    if pending:
        # Events answered `busy` are still being sent again: give them a bounded while.
        await asyncio.wait(set(pending), timeout=timeout + (600 if outbox else 120))
    load_end = loop.time() - t0
    client_cpu = time.process_time() - client_cpu0
    stop_sampling.set()
    await sampler
    gc.enable()
    stop_calls.set()
    await asyncio.gather(*officer_tasks, return_exceptions=True)
    closing["now"] = True
    for c in list(clients.values()) + tvs:
        try:
            await c.disconnect()
        except Exception:
            pass
    return {"records": records, "connect_s": connect_s, "send_s": send_end, "load_s": load_end,
            "client_cpu_s": client_cpu, "calls": calls, "display_messages": snapshots,
            "cpu_timeline": cpu_timeline, "dropped_connections": dropped["n"],
            "server_connected": {"rss_mb": rss_connected, "threads": threads_connected}, "server_peak": peak}


# -- checking ----------------------------------------------------------------------------------

def verify(db_path: Path, records: list[dict]) -> dict:
    """Compare the database with what was acknowledged."""
    conn = sqlite3.connect(db_path)
    out = {}
    for kind, table in (("ticket", "tickets"), ("rating", "ratings")):
        acked = {r["id"] for r in records if r["kind"] == kind and r.get("ok")}
        unacked = {r["id"] for r in records if r["kind"] == kind and not r.get("ok")}
        rows = [r[0] for r in conn.execute(f"SELECT id FROM {table}")]
        stored = set(rows)
        bench_rows = stored  # the database held none before: a fresh demo center
        out[table] = {"acked": len(acked), "stored": len(rows), "distinct": len(stored),
                      "missing": len(acked - bench_rows), "extra": len(bench_rows - acked),
                      "extra_of_unacked": len((bench_rows - acked) & unacked)}
    gaps = {}
    for service, first, seqs in _sequences(conn):
        expect = list(range(first, first + len(seqs)))
        if seqs != expect:
            gaps[service] = {"n": len(seqs), "first": seqs[:3], "last": seqs[-3:]}
    out["sequence_gaps"] = gaps
    codes = {}
    for r in records:
        if r["kind"] == "ticket" and r.get("ok"):
            codes.setdefault(r["code"] + "/" + r["service"], 0)
            codes[r["code"] + "/" + r["service"]] += 1
    out["duplicate_codes_acked"] = sum(1 for n in codes.values() if n > 1)
    conn.close()
    out["ok"] = (out["tickets"]["missing"] == 0 and out["tickets"]["extra"] == 0 and out["ratings"]["missing"] == 0
                 and out["ratings"]["extra"] == 0 and not gaps and out["duplicate_codes_acked"] == 0
                 and out["tickets"]["stored"] == out["tickets"]["distinct"])
    return out


def _sequences(conn):
    firsts = dict(conn.execute("SELECT code, first_number FROM services"))
    by = {}
    for day, service, seq in conn.execute("SELECT day, origin_service, seq FROM tickets ORDER BY day, origin_service, seq"):
        by.setdefault((day, service), []).append(seq)
    for (day, service), seqs in by.items():
        yield f"{day}/{service}", firsts[service], seqs


# -- reporting ---------------------------------------------------------------------------------

def _answers(recs: list[dict]) -> dict:
    """Latency of every answer the server gave (`ok` or `busy`): how long a kiosk waits to hear."""
    xs = [ms for r in recs for ms in r["answers_ms"]]
    return {"n": len(xs), "p50": round(pct(xs, 50), 2), "p99": round(pct(xs, 99), 2),
            "max": round(max(xs), 2) if xs else None}


def summarise(load: dict, args, server_cpu_s: float) -> dict:
    recs = load["records"]
    ok = [r for r in recs if r.get("ok")]
    lat = [r["latency_ms"] for r in ok]
    window = load["load_s"]
    per_second: dict[int, int] = {}
    for r in ok:  # acknowledged per second of the run, by when the ack came
        per_second[int(r["done_t"])] = per_second.get(int(r["done_t"]), 0) + 1
    inner = [per_second.get(s, 0) for s in range(1, max(1, int(load["send_s"])) - 1)] or list(per_second.values())
    inner.sort()
    errors: dict[str, int] = {}
    for r in recs:
        if not r.get("ok"):
            errors[r.get("error") or "?"] = errors.get(r.get("error") or "?", 0) + 1

    def lat_of(kind):
        xs = [r["latency_ms"] for r in ok if r["kind"] == kind]
        return {"n": len(xs), "p50": round(pct(xs, 50), 2), "p99": round(pct(xs, 99), 2)}

    # Half-second buckets: how much of the run met the target, and what the CPU did in the rest.
    buckets: dict[int, list[float]] = {}
    for r in ok:
        buckets.setdefault(int(r["t"] * 2), []).append(r["latency_ms"])
    cpu_at = {int(c["t"] * 2): c for c in load["cpu_timeline"]}
    slow = []
    for b, xs in sorted(buckets.items()):
        if pct(xs, 99) > 20:
            c = cpu_at.get(b, {})
            slow.append({"t": b / 2, "p50": round(pct(xs, 50), 1), "p99": round(pct(xs, 99), 1),
                         "cpu_server": round(c.get("server", float("nan")), 2),
                         "cpu_client": round(c.get("client", float("nan")), 2),
                         "cpu_other": round(c.get("other", float("nan")), 2)})
    return {
        "kiosks": args.kiosks, "rate": args.rate, "duration_s": args.duration, "async_mode": args.async_mode,
        "threads": args.threads if args.async_mode == "threading" else None,
        "server_connected": load["server_connected"], "server_peak": load["server_peak"],
        "server_cpu_ms_per_ack": round(1000 * server_cpu_s / len(ok), 3) if ok else None,
        "events_sent": len(recs), "events_acked_ok": len(ok), "errors": errors,
        "busy_answers": sum(r["busy"] for r in recs),
        "dropped_connections": load["dropped_connections"],
        "events_delivered_after_busy": sum(1 for r in ok if r["busy"]),
        "answer_ms": _answers(recs),
        "delivery_ms": {"p50": round(pct([r["delivery_ms"] for r in ok if "delivery_ms" in r], 50), 2),
                        "p99": round(pct([r["delivery_ms"] for r in ok if "delivery_ms" in r], 99), 2),
                        "max": round(max([r["delivery_ms"] for r in ok if "delivery_ms" in r], default=0), 2)},
        "outbox": args.outbox,
        "throughput_per_s": round(len(ok) / window, 1) if window else None,
        "per_second_acked": {"min": inner[0] if inner else None, "median": inner[len(inner) // 2] if inner else None},
        "latency_ms": {"p50": round(pct(lat, 50), 2), "p90": round(pct(lat, 90), 2), "p99": round(pct(lat, 99), 2),
                       "max": round(max(lat), 2) if lat else None, "mean": round(sum(lat) / len(lat), 2) if lat else None},
        "latency_by_kind": {"ticket": lat_of("ticket"), "rating": lat_of("rating")},
        "connect_s": round(load["connect_s"], 1),
        "server_cpu_s": round(server_cpu_s, 1), "client_cpu_s": round(load["client_cpu_s"], 1),
        "server_cpu_pct": round(100 * server_cpu_s / window, 0) if window else None,
        "client_cpu_pct": round(100 * load["client_cpu_s"] / window, 0) if window else None,
        "officer_calls": load["calls"], "display_messages": load["display_messages"],
        "half_seconds": {"total": len(buckets), "p99_over_20ms": len(slow),
                         "mean_cpu_of_those": {k: round(sum(x[f"cpu_{k}"] for x in slow) / len(slow), 2) if slow else None
                                               for k in ("server", "client", "other")},
                         "mean_cpu_all": {k: round(sum(c[k] for c in load["cpu_timeline"]) / len(load["cpu_timeline"]), 2)
                                          if load["cpu_timeline"] else None for k in ("server", "client", "other")},
                         "slow": slow},
        "machine": {"nproc": os.cpu_count(), "cpu": _cpu_model(), "python": platform.python_version(),
                    "nice": args.nice,
                    "loadavg_before": args.loadavg_before},
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kiosks", type=int, default=200, help="connected devices (a quarter are rating terminals)")
    ap.add_argument("--rate", type=float, default=500, help="events per second, tickets and ratings together")
    ap.add_argument("--duration", type=float, default=60, help="seconds of load")
    ap.add_argument("--rating-share", type=float, default=0.3, help="share of events that are ratings")
    ap.add_argument("--displays", type=int, default=2, help="/display clients (TVs) receiving snapshots")
    ap.add_argument("--call-every", type=float, default=3.0, help="each demo officer calls next every N s (0: never)")
    ap.add_argument("--threads", type=int, default=None,
                    help="gunicorn threads, threading mode (default: `python -m server run`'s own default)")
    ap.add_argument("--async-mode", choices=["threading", "gevent"], default="gevent",
                    help="how the server runs connections (`python -m server run --async-mode`)")
    ap.add_argument("--nice", type=int, default=None,
                    help="scheduling priority (nice value) for the server's processes and this client, e.g. -10 on "
                         "a machine shared with other work (needs root for a negative value)")
    ap.add_argument("--outbox", action="store_true",
                    help="each device sends as the kiosk's outbox does: its events in order, one in flight at a "
                         "time, 0.5-30 s back-off after busy (default: every event sent at its time, busy ones "
                         "resent on their own)")
    ap.add_argument("--server-cpu", type=float, default=None,
                    help="cap the server at this share of one core (a control group: bench/cpucap.py), so that "
                         "this client can offer it several times its capacity; needs root")
    ap.add_argument("--setup-cache", help="folder keeping a ready instance per kiosk count, copied for each run "
                                          "(setting up 1000 devices takes a while)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for one ack")
    ap.add_argument("--instance", help="instance folder to create (default: a temporary one, removed after)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--port", type=int, default=None, help="the server's loopback port (default: a free one)")
    ap.add_argument("--p99-target", type=float, default=20.0, help="ms; exit status 2 when p99 is over it")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--records", help="also write every event (send time, kind, latency) here, as JSON lines")
    args = ap.parse_args()
    # `timeout` or Ctrl-C: still stop the server (in its own session) on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.loadavg_before = os.getloadavg()[0]

    tmp = None
    if args.instance:
        instance = Path(args.instance).resolve()
        if instance.exists():
            ap.error(f"{instance} exists: give a new folder")
    else:
        tmp = tempfile.TemporaryDirectory(prefix="qms-bench-")
        instance = Path(tmp.name) / "instance"
    n_raters = args.kiosks // 4 if args.rating_share > 0 else 0
    t = time.perf_counter()
    if args.setup_cache:
        import shutil

        cached = Path(args.setup_cache).resolve() / f"k{args.kiosks}-r{n_raters}"
        if not (cached / "setup.json").exists():
            shutil.rmtree(cached, ignore_errors=True)
            cached.mkdir(parents=True)
            (cached / "setup.json").write_text(json.dumps(
                make_instance(cached / "instance", args.kiosks - n_raters, n_raters)))
        shutil.copytree(cached / "instance", instance)
        setup = json.loads((cached / "setup.json").read_text())
    else:
        setup = make_instance(instance, args.kiosks - n_raters, n_raters)
    log(f"instance {instance} with {args.kiosks} devices ready in {time.perf_counter() - t:.1f} s")
    port = args.port or free_port()
    threads = args.threads
    if threads is None:
        from server.__main__ import run as run_cmd

        threads = next(p.default for p in run_cmd.params if p.name == "threads")
    args.threads = threads
    proc = start_server(instance, port, threads, args.async_mode)
    cap = None
    if args.server_cpu:
        from bench.cpucap import CpuCap

        try:
            cap = CpuCap(proc.pid, args.server_cpu).__enter__()
        except Exception:
            stop_server(proc)
            raise
    if args.nice is not None:
        os.setpriority(os.PRIO_PGRP, proc.pid, args.nice)  # the server's session: gunicorn master + worker
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)
        # With the kernel's autogroup scheduling (sched_autogroup_enabled), CPU is shared between
        # sessions first and a task's nice only counts inside its session: set the sessions' too.
        for pid in (proc.pid, os.getpid()):
            try:
                Path(f"/proc/{pid}/autogroup").write_text(str(args.nice))
            except OSError:
                pass
    own0 = time.process_time()
    url = f"http://127.0.0.1:{port}"
    cpu0, busy0, wall0 = cpu_seconds(proc.pid), machine_busy_seconds(), time.monotonic()
    try:
        load = asyncio.run(run_load(url, setup, rate=args.rate, duration=args.duration,
                                    rating_share=args.rating_share, displays=args.displays,
                                    call_every=args.call_every, timeout=args.timeout, seed=args.seed,
                                    server_pid=proc.pid, outbox=args.outbox))
        server_cpu = cpu_seconds(proc.pid) - cpu0
        busy, wall = machine_busy_seconds() - busy0, time.monotonic() - wall0
        throttled = cap.throttled_s() if cap is not None else None
    finally:
        stop_server(proc)
        if cap is not None:
            cap.__exit__(None, None, None)
    figures = summarise(load, args, server_cpu)
    # This process's CPU over the same span (connecting included), to subtract from the machine's.
    own = time.process_time() - own0
    figures["machine"]["busy_pct_of_all_cores"] = round(100 * busy / wall / (os.cpu_count() or 1), 0)
    figures["machine"]["other_processes_cpu_pct"] = round(100 * max(0.0, busy - server_cpu - own) / wall, 0)
    figures["verify"] = verify(instance / "qms.db", load["records"])
    figures["machine"]["loadavg_after"] = os.getloadavg()[0]
    figures["server_cpu_cap"] = args.server_cpu
    figures["server_throttled_s"] = round(throttled, 1) if throttled is not None else None
    acked_all = figures["events_acked_ok"] == figures["events_sent"]
    sustained = (figures["per_second_acked"]["min"] or 0) >= 0.95 * args.rate
    figures["target"] = {"p99_ms": args.p99_target, "met": bool(
        acked_all and sustained and figures["latency_ms"]["p99"] <= args.p99_target and figures["verify"]["ok"])}
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.records:
        with open(args.records, "w") as fh:
            for r in load["records"]:
                fh.write(json.dumps({k: r.get(k) for k in ("t", "kind", "id", "ok", "error", "latency_ms", "acked_at")})
                         + "\n")
    if tmp is not None:
        tmp.cleanup()
    v = figures["verify"]
    log(f"[{args.async_mode}] {figures['events_acked_ok']}/{figures['events_sent']} acked, {figures['throughput_per_s']}/s, "
        f"p50 {figures['latency_ms']['p50']} ms, p99 {figures['latency_ms']['p99']} ms, "
        f"database {'holds exactly what was acked' if v['ok'] else 'DIFFERS from what was acked'}; "
        f"target (p99 <= {args.p99_target:g} ms, every event acked, rate sustained) "
        f"{'met' if figures['target']['met'] else 'NOT met'}")
    if not v["ok"]:
        return 1
    return 0 if figures["target"]["met"] else 2


if __name__ == "__main__":
    sys.exit(main())
