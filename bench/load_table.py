"""Run `bench/server_load.py` several times and print one Markdown table of the runs.

    .venv/bin/python bench/load_table.py --run "1x:200:500:60" --run "2x:200:1000:60" [--repeat 1]
                                         [--async-mode gevent] [--out results.json]

Each `--run` is LABEL:KIOSKS:RATE:SECONDS. The runs go one after the other, in the order given,
`--repeat` times (alternating, so that a noisy moment of the machine does not fall on one
configuration only). The table has, per run: events acknowledged and the acknowledged rate (the
median second), every answer's latency (`ok` or `busy`: how long a kiosk waits to hear),
acknowledgement latency, answers `busy` and events delivered after one, connections dropped, the
database check, the server's CPU per acknowledged event, its memory, and the machine's load.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_one(label: str, kiosks: int, rate: float, seconds: float, mode: str, extra: list[str] = ()) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    cmd = [sys.executable, str(ROOT / "bench" / "server_load.py"), "--kiosks", str(kiosks), "--rate", str(rate),
           "--duration", str(seconds), "--async-mode", mode, "--json", str(out), *extra]
    print(f"# {label}: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if not out.exists() or not out.read_text().strip():
        raise SystemExit(f"{label}: no result\n{done.stderr[-3000:]}")
    result = json.loads(out.read_text())
    out.unlink()
    result["label"], result["exit"] = label, done.returncode
    return result


def row(r: dict) -> str:
    m = r.get("machine", {})
    ans, lat = r.get("answer_ms", {}), r.get("latency_ms", {})
    exact = r.get("verify", {}).get("ok")
    return " | ".join(str(x) for x in [
        r["label"], r["kiosks"], r["rate"], f"{r['events_acked_ok']}/{r['events_sent']}",
        r.get("per_second_acked", {}).get("median"), f"{ans.get('p50')} / {ans.get('p99')}",
        f"{lat.get('p50')} / {lat.get('p99')}", _delivery(r), r.get("busy_answers"), r.get("events_delivered_after_busy"),
        r.get("dropped_connections"), "exact" if exact else _differs(r), r.get("server_cpu_ms_per_ack"),
        f"{r.get('server_connected', {}).get('rss_mb')} / {r.get('server_peak', {}).get('rss_mb')}",
        f"{m.get('loadavg_before', 0):.1f} → {m.get('loadavg_after', 0):.1f}", m.get("other_processes_cpu_pct"),
    ])


def _differs(r: dict) -> str:
    v = r.get("verify", {})
    missing = sum(v.get(t, {}).get("missing", 0) for t in ("tickets", "ratings"))
    extra = sum(v.get(t, {}).get("extra", 0) for t in ("tickets", "ratings"))
    return f"DIFFERS ({missing} acked missing, {extra} unacked extra)"


HEADER = ("| run | kiosks | rate/s | acked/sent | acked/s (median s) | answer p50 / p99 ms | ack p50 / p99 ms "
          "| created → acked p50 / max s | busy answers | delivered after busy | dropped | database | server CPU ms/ack "
          "| RSS MB connected / peak | load avg | other CPU % |\n|" + "---|" * 16)


def _delivery(r: dict) -> str:
    d = r.get("delivery_ms") or {}
    if d.get("p50") is None:
        return "-"
    return f"{d['p50'] / 1000:.1f} / {d['max'] / 1000:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", action="append", required=True, help="LABEL:KIOSKS:RATE:SECONDS")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--async-mode", default="gevent", choices=["gevent", "threading"])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--server-cpu", type=float, default=None, help="passed to server_load.py (a CPU cap on the server)")
    ap.add_argument("--setup-cache", help="passed to server_load.py")
    ap.add_argument("--outbox", action="store_true", help="passed to server_load.py (each device sends as an outbox does)")
    args = ap.parse_args()
    extra = []
    if args.server_cpu:
        extra += ["--server-cpu", str(args.server_cpu)]
    if args.setup_cache:
        extra += ["--setup-cache", args.setup_cache]
    if args.outbox:
        extra += ["--outbox"]
    runs = []
    for _ in range(args.repeat):
        for spec in args.run:
            label, kiosks, rate, seconds = spec.split(":")
            runs.append(run_one(label, int(kiosks), float(rate), float(seconds), args.async_mode, extra))
            print("| " + row(runs[-1]) + " |", file=sys.stderr, flush=True)
    if args.out:
        args.out.write_text(json.dumps(runs, ensure_ascii=False, indent=1))
    print(HEADER)
    for r in runs:
        print("| " + row(r) + " |")


if __name__ == "__main__":
    main()
