"""Kiosk agent benchmark: press-to-ack and press-to-printer latency on loopback, and resident memory.

    .venv/bin/python bench/kiosk_bench.py [--tickets 200] [--ratings 200] [--json OUT]

The real server runs in this process on 127.0.0.1 (the test center of tests/conftest.py). The
agent runs in a child process, as on a Pi: mock GPIO pins (a press is a falling edge on a mock
pin, through gpiozero's callback, the lockout and the queues) and a python-escpos Dummy printer
that notes when the ticket's raster image starts to arrive. Presses are sequential: this measures
latency, not throughput. A second child, the real `python -m kiosk --simulate` CLI, is measured
for resident memory after a ticket and a rating.

Targets (issue 3): press-to-printer p99 <= 150 ms; agent RSS <= 40 MB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RASTER = b"\x1dv0"
CUT = b"\x1dV"


def rss_kb(pid: int | str = "self") -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS), Pss and USS (private pages) of a process, in kB.

    RSS counts shared libraries (libpython, libssl, libcrypto, libfreetype) in full; PSS divides
    them among the processes sharing them; USS is what only this process holds.
    """
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return out
    fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup[1:] if line.strip()}
    out["Pss"] = fields.get("Pss", 0)
    out["USS"] = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return out


def summary(values_s: list[float]) -> dict[str, float]:
    """Median, p90, p99 and max in milliseconds."""
    ms = sorted(v * 1000 for v in values_s)

    def pct(p: float) -> float:
        return ms[max(0, math.ceil(p * len(ms)) - 1)]

    return {"n": len(ms), "p50": statistics.median(ms), "p90": pct(0.90), "p99": pct(0.99), "max": ms[-1]}


# --- the agent side (child process) -------------------------------------------------------------


def run_agent(url: str, token: str, tickets: int, ratings: int, data_dir: str) -> dict:
    import threading

    from kiosk.cli import keep_escpos_cache, skip_unused_imports

    skip_unused_imports()  # as `python -m kiosk` does
    keep_escpos_cache(Path(data_dir))

    from escpos.printer import Dummy
    from gpiozero.pins.mock import MockFactory

    from kiosk.agent import Agent
    from kiosk.config import parse_config
    from kiosk.demo_config import demo_config_text
    from kiosk.printer import EscposDriver

    text = demo_config_text(server=url, device="bench-1", token=token, roles=["ticket", "rating"], data_dir=data_dir)
    text = text.replace("lockout_s = 1.5", "lockout_s = 0").replace("lockout_s = 3.0", "lockout_s = 0")
    config = parse_config(text, file="bench")

    class TimedDummy(Dummy):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self.raster_at: float | None = None
            self.cut_done = threading.Event()

        def _raw(self, msg: bytes) -> None:
            if self.raster_at is None and msg.startswith(RASTER):
                self.raster_at = time.perf_counter()
            super()._raw(msg)
            if msg.startswith(CUT):
                self.cut_done.set()
                self.clear()  # keep memory flat over hundreds of tickets

    printers: list[TimedDummy] = []

    def factory():
        printers.append(TimedDummy())
        return printers[-1]

    acks: list[float] = []
    ack_event = threading.Event()

    def after_answer(entry, answer):
        acks.append(time.perf_counter())
        ack_event.set()

    pins = MockFactory()
    agent = Agent(config, pin_factory=pins, driver=EscposDriver(factory, 576), after_answer=after_answer)
    ticket_acks: list[float] = []
    original_call = agent.link.call

    def timed_call(event, data, timeout):
        answer = original_call(event, data, timeout)
        if event == "ticket":
            ticket_acks.append(time.perf_counter())
        return answer

    agent.link.call = timed_call
    agent.start()
    if not agent.link.wait_connected(20):
        raise SystemExit("agent could not connect")
    time.sleep(1.0)  # let the first status and printer probe pass
    idle = rss_kb()

    def push(pin: int) -> float:
        p = pins.pin(pin)
        t0 = time.perf_counter()
        p.drive_low()
        p.drive_high()
        return t0

    result: dict = {"idle_rss_kb": idle}
    ticket_pin = config.ticket.buttons[0].pin
    to_ack, to_raster, to_cut = [], [], []
    for _ in range(tickets):
        printer = printers[-1]
        printer.raster_at = None
        printer.cut_done.clear()
        done_before = agent._ticket_done_at
        t0 = push(ticket_pin)
        if not printer.cut_done.wait(10):
            raise SystemExit("a ticket did not print")
        t_cut = time.perf_counter()
        to_ack.append(ticket_acks[-1] - t0)
        to_raster.append(printer.raster_at - t0)
        to_cut.append(t_cut - t0)
        while agent._ticket_done_at == done_before:  # the worker takes presses made after it finished
            time.sleep(0.0005)
    result["ticket_press_to_ack"] = summary(to_ack)
    result["ticket_press_to_first_raster_byte"] = summary(to_raster)
    result["ticket_press_to_cut"] = summary(to_cut)

    rating_pin = config.rating.buttons[0].pin
    rating_lat = []
    for _ in range(ratings):
        ack_event.clear()
        t0 = push(rating_pin)
        if not ack_event.wait(10):
            raise SystemExit("a rating was not acknowledged")
        rating_lat.append(acks[-1] - t0)
    result["rating_press_to_ack"] = summary(rating_lat)
    time.sleep(0.5)
    result["after_rss_kb"] = rss_kb()
    agent.stop()
    return result


# --- the orchestrator (this process: the server) ------------------------------------------------


def cli_rss(url: str, device: str, token: str, roles: list[str], work: Path) -> dict:
    """Resident memory of the real `python -m kiosk --simulate` after a ticket and/or a rating."""
    from kiosk.demo_config import write_demo_config

    data = work / f"cli-{device}"
    config = write_demo_config(work / f"{device}.toml", server=url, device=device, token=token, roles=roles,
                               data_dir=str(data))
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--simulate", "--config", str(config)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    try:
        time.sleep(3)
        proc.stdin.write(("1\n" if "ticket" in roles else "") + ("a\n" if "rating" in roles else ""))
        proc.stdin.flush()
        deadline = time.monotonic() + 20
        while "ticket" in roles and not list((data / "tickets").glob("*.png")) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)
        return rss_kb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(20)


def machine() -> dict:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()[:10]
    return {"nproc": os.cpu_count(), "lscpu": lscpu, "python": sys.version.split()[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--ratings", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--agent", nargs=3, metavar=("URL", "TOKEN", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.agent:
        url, token, data_dir = args.agent
        print(json.dumps(run_agent(url, token, args.tickets, args.ratings, data_dir)))
        return 0

    import logging

    logging.disable(logging.WARNING)
    from tests.conftest import TEMPLATE_ENV, LiveServer

    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        work = Path(tmp)
        (work / "template").mkdir()
        os.environ[TEMPLATE_ENV] = str(work / "template")  # the test center, made once here
        server = LiveServer(work / "server").start()
        try:
            token = server.add_device("bench-1", ["ticket", "rating"], counter=1)
            token2 = server.add_device("bench-2", ["ticket", "rating"], counter=2)
            token3 = server.add_device("bench-3", ["rating"], counter=3)
            # A kiosk parses python-escpos's profile database once, on its first start ever
            # (kiosk.cli.keep_escpos_cache); measure the steady state, as every later start is.
            cache = work / "agent-data" / "cache"
            cache.mkdir(parents=True)
            subprocess.run([sys.executable, "-c", "import escpos.capabilities"], check=True,
                           env=dict(os.environ, ESCPOS_CAPABILITIES_PICKLE_DIR=str(cache)))
            child = subprocess.run(
                [sys.executable, __file__, "--tickets", str(args.tickets), "--ratings", str(args.ratings),
                 "--agent", server.url, token, str(work / "agent-data")],
                cwd=ROOT, capture_output=True, text=True, timeout=900,
            )
            if child.returncode != 0:
                print(child.stderr, file=sys.stderr)
                return 1
            result = json.loads(child.stdout.strip().splitlines()[-1])
            result["cli_simulator_rss_kb"] = cli_rss(server.url, "bench-2", token2, ["ticket", "rating"], work)
            result["cli_rating_only_rss_kb"] = cli_rss(server.url, "bench-3", token3, ["rating"], work)
            db = server.store.read()
            result["server_rows"] = {
                "tickets": db.execute("SELECT count(*) FROM tickets WHERE device_id = 'bench-1'").fetchone()[0],
                "ratings": db.execute("SELECT count(*) FROM ratings WHERE device_id = 'bench-1'").fetchone()[0],
            }
        finally:
            server.stop()
    result["machine"] = machine()

    print(f"machine: {result['machine']['nproc']} CPUs, Python {result['machine']['python']}")
    print(f"{'latency (ms)':36} {'n':>5} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}")
    for key in ("ticket_press_to_ack", "ticket_press_to_first_raster_byte", "ticket_press_to_cut",
                "rating_press_to_ack"):
        s = result[key]
        print(f"{key:36} {s['n']:>5} {s['p50']:>8.1f} {s['p90']:>8.1f} {s['p99']:>8.1f} {s['max']:>8.1f}")
    def mem(m: dict) -> str:
        return (f"RSS {m['VmRSS'] / 1024:.1f} MB (peak {m['VmHWM'] / 1024:.1f}), PSS {m.get('Pss', 0) / 1024:.1f} MB,"
                f" USS {m.get('USS', 0) / 1024:.1f} MB")

    mb = lambda kb: kb / 1024  # noqa: E731
    print(f"agent (ticket+rating, escpos Dummy) idle:      {mem(result['idle_rss_kb'])}")
    print(f"agent after {args.tickets} tickets, {args.ratings} ratings: {mem(result['after_rss_kb'])}")
    print(f"`python -m kiosk --simulate` (PNG printer):   {mem(result['cli_simulator_rss_kb'])}")
    print(f"`python -m kiosk --simulate`, rating only:    {mem(result['cli_rating_only_rss_kb'])}")
    print(f"server rows: {result['server_rows']} (expected {args.tickets} tickets, {args.ratings} ratings)")
    p99 = result["ticket_press_to_first_raster_byte"]["p99"]
    print(f"target press-to-printer p99 <= 150 ms: {'met' if p99 <= 150 else 'NOT met'} ({p99:.1f} ms); "
          f"target RSS <= 40 MB: {'met' if mb(result['after_rss_kb']['VmRSS']) <= 40 else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    ok = result["server_rows"] == {"tickets": args.tickets, "ratings": args.ratings}
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
