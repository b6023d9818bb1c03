"""A backup downloaded from /admin/backup.db while `bench/server_load.py` loads the real server,
then restored with `python -m server restore`: does it hold every row acknowledged before it began?

    .venv/bin/python bench/backup_under_load.py [--rate 200] [--duration 30] [--kiosks 100] [--json OUT]

1. runs `bench/server_load.py` (the demo center, the production server on loopback, kiosks
   sending tickets and ratings open-loop at `--rate` events/s) on an instance of its own;
2. at `--at` of the run, signs in as the demo's admin through the real login form and downloads
   the backup (SQLite's backup API in the running server), noting the wall clock just before;
3. when the load is over (the server stopped), restores the download over the instance with the
   CLI (which runs PRAGMA integrity_check first), and checks the restored database: integrity,
   and every ticket and rating acknowledged before the download began is there.

Prints JSON; exit status 1 when a row acknowledged before the backup is missing, the restore or
its integrity check failed, or the backup was not taken during the load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f"gave up waiting for {what}")


def healthy(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def download_backup(url: str, password: str, dest: Path) -> tuple[float, float]:
    """Sign in as the demo's admin `quantri` and download the backup; returns (began, ended) wall times."""
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(url + "/login", timeout=10).text).group(1)
    r = s.post(url + "/login", data={"username": "quantri", "password": password, "csrf_token": token},
               allow_redirects=False, timeout=10)
    if r.status_code != 302:
        raise SystemExit(f"admin sign-in refused: {r.status_code}")
    began = time.time()
    r = s.get(url + "/admin/backup.db", timeout=120)
    ended = time.time()
    r.raise_for_status()
    dest.write_bytes(r.content)
    return began, ended


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--kiosks", type=int, default=100)
    ap.add_argument("--at", type=float, default=0.5, help="when to take the backup, as a share of the run")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="qms-backup-load-") as tmp:
        work = Path(tmp)
        instance, records, port = work / "instance", work / "records.jsonl", free_port()
        url = f"http://127.0.0.1:{port}"
        load = subprocess.Popen(
            [PYTHON, str(ROOT / "bench" / "server_load.py"), "--instance", str(instance), "--port", str(port),
             "--rate", str(args.rate), "--duration", str(args.duration), "--kiosks", str(args.kiosks),
             "--call-every", "2", "--p99-target", "1e9", "--records", str(records), "--json", str(work / "load.json")],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(work / "load.log", "w"))
        try:
            secrets = wait_for(lambda: (work / "demo-secrets.json").exists() and (work / "demo-secrets.json"),
                               300, "the demo instance")
            password = next(u["password"] for u in json.loads(secrets.read_text())["users"]
                            if u["username"] == "quantri")
            wait_for(lambda: healthy(url), 120, "the server")
            # The load begins once every kiosk is connected.
            wait_for(lambda: "sending" in (work / "load.log").read_text(), 300, "the load to begin")
            time.sleep(args.duration * args.at)
            began, ended = download_backup(url, password, work / "backup.db")
            code = load.wait(timeout=args.duration * 4 + 300)
        finally:
            if load.poll() is None:
                load.kill()
        events = [json.loads(line) for line in records.read_text().splitlines()]
        acked = [e for e in events if e.get("ok")]
        before = [e for e in acked if e["acked_at"] < began]
        during = [e for e in acked if began <= e["acked_at"] <= ended]
        restore = subprocess.run([PYTHON, "-m", "server", "restore", "--instance", str(instance),
                                  str(work / "backup.db")], cwd=ROOT, capture_output=True, text=True)
        conn = sqlite3.connect(instance / "qms.db")
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            held = {kind: {r[0] for r in conn.execute(f"SELECT id FROM {table}")}
                    for kind, table in (("ticket", "tickets"), ("rating", "ratings"))}
        finally:
            conn.close()
        missing = [e["id"] for e in before if e["id"] not in held[e["kind"]]]
        figures = {
            "machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()[0]},
            "load": {"rate": args.rate, "duration_s": args.duration, "kiosks": args.kiosks, "exit": code,
                     "events_sent": len(events), "events_acked": len(acked)},
            "backup": {"took_s": round(ended - began, 3), "bytes": (work / "backup.db").stat().st_size,
                       "acked_while_it_ran": len(during),
                       "acked_after_it": len([e for e in acked if e["acked_at"] > ended])},
            "restore": {"exit": restore.returncode, "output": (restore.stdout + restore.stderr).strip()[-300:],
                        "integrity_check": integrity},
            "acked_before_backup": len(before), "found_in_restored": len(before) - len(missing),
            "missing": missing[:20],
        }
    ok = (restore.returncode == 0 and integrity == "ok" and not missing and before
          and figures["backup"]["acked_after_it"] > 0)
    figures["ok"] = bool(ok)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
