"""Proof under faults (issue 11): the real server and real kiosk agents, faults injected, every
press accounted for. One command, loopback only, bounded in count and time.

    .venv/bin/python bench/faults.py                 # every scenario, full form (>= 1,000 presses each)
    .venv/bin/python bench/faults.py --short         # every scenario, a few dozen presses (make test)
    .venv/bin/python bench/faults.py --only stall,server_kill --presses 300

Each scenario starts the server in its production form (`python -m server run`, gevent) on a
fresh temporary instance, and N rating agents plus one ticket agent: the project's own Agent in
processes of their own (bench/fault_agent.py: mock pins, a PNG printer that can be told to fail),
connected through a loopback TCP proxy (bench/faultproxy.py) that can cut, half-open, make
one-way and stall the link. Presses come at a steady rate; at a third of the presses the fault is
injected, and it is healed after its hold time. Then the harness waits for every outbox to drain
and counts (docs/reliability.md):

presses       lines sent to a live agent (a button pressed)
recorded      ratings that reached an outbox (durable on the kiosk; a press sent to an agent
              that was killed before it wrote the row is a press of a dead kiosk, not a loss)
acknowledged  ratings the server answered ok
stored        recorded ratings found on the server
lost          recorded ratings not on the server after the drain (any: the outbox must deliver)
doubled       rows on the server beyond one per recorded rating
orphans       tickets waiting, called or served on the server that were never printed, plus
              printed tickets the server cancelled
press error   max |stored press time - the time the harness pressed|, seconds
recovery      from the heal to every rating recorded before it being stored, seconds
integrity     PRAGMA integrity_check of the server's database and every outbox

Exit status 1 on any loss, doubling, orphan, integrity failure or press-time error over 1 s;
2 when a scenario could not run (a kernel facility missing: said loudly).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.faultproxy import Proxy  # noqa: E402
from bench.server_load import make_instance  # noqa: E402
from kiosk.demo_config import demo_config_text  # noqa: E402
from tests.server.production import Production  # noqa: E402

PYTHON = sys.executable
RATING_KEYS = "asdf"  # the demo terminal's four buttons: 5, 4, 3, 2
MAX_PRESS_ERROR_S = 1.0
# The disk_full scenario's file system is 64 MiB: /healthz (hence the start) would call that low.
SERVER_ENV = {"QMS_DISK_FREE_MIN_MB": "16"}


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


class AgentProc:
    """One agent process and what it said on stdout."""

    def __init__(self, run: "Run", device: dict, kind: str, env_prefix: list[str], kill_before_print: int = 0):
        self.run, self.device, self.kind = run, device, kind
        self.prefix = env_prefix
        self.dir = run.work / "kiosks" / device["id"]
        self.dir.mkdir(parents=True, exist_ok=True)
        self.flag = self.dir / "printer-fault"
        self.png = self.dir / "tickets"
        roles = ("ticket",) if kind == "ticket" else ("rating",)
        text = demo_config_text(server=run.proxy_url, device=device["id"], token=device["token"], roles=roles,
                                data_dir=str(self.dir / "data"), services=(("DD", "Đất đai"), ("HT", "Hộ tịch")))
        text = text.replace("lockout_s = 3.0", "lockout_s = 0").replace("lockout_s = 1.5", "lockout_s = 0")
        text = text.replace("[server]\n", "[server]\nreconnect_max_s = 2\ncall_timeout_s = 3\n")
        self.config = self.dir / "kiosk.toml"
        self.config.write_text(text)
        self.kill_before_print = kill_before_print
        self.proc: subprocess.Popen | None = None
        self.sent: deque[float] = deque()  # press times of lines not yet seen recorded
        self.unconfirmed = 0
        self.lock = threading.Lock()
        self.expected_exit = False
        self.ready = threading.Event()  # reading presses
        self.up = threading.Event()  # its link is up

    def start(self) -> None:
        args = [*self.prefix, PYTHON, str(ROOT / "bench" / "fault_agent.py"), str(self.config), str(self.flag),
                str(self.png)]
        if self.kill_before_print:
            args.append(str(self.kill_before_print))
            self.kill_before_print = 0  # once: the restarted agent prints normally
        with self.lock:
            # Presses a killed agent took without saying so (killed between its outbox commit and
            # its "R" line) may still reach the server: counted apart, not as doubles.
            self.unconfirmed += len(self.sent)
            self.sent.clear()
            self.ready.clear()
            self.up.clear()
            # A session of its own: a kill reaches the agent under faketime's wrapper too.
            self.proc = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=open(self.dir / "agent.log", "ab"), text=True, bufsize=1,
                                         start_new_session=True)
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def press(self, line: str) -> bool:
        with self.lock:
            if not self.alive() or not self.ready.is_set():
                return False
            try:
                self.proc.stdin.write(line + "\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                return False
            if self.kind == "rating":
                self.sent.append(time.time())
        return True

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            kind, _, rest = line.strip().partition(" ")
            if kind == "R":
                rid, _, mono = rest.partition(" ")
                with self.lock:
                    at = self.sent.popleft() if self.sent else time.time()
                if mono:  # the press as the agent stamped it, on the wall clock of this process
                    at = time.time() - (time.monotonic() - float(mono))
                self.run.recorded[rid] = (self.device["id"], at)
            elif kind == "A":
                self.run.acked.add(rest)
            elif kind == "P":
                self.run.printed.add(rest)
            elif kind == "READY":
                self.ready.set()
            elif kind == "UP":
                self.up.set()
            elif kind == "DOWN":
                self.up.clear()

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        if self.proc is not None:
            self._signal(signal.SIGKILL)  # the whole group, even when the leader is gone
            if self.alive():
                self.proc.wait(10)

    def stop(self) -> None:
        self.expected_exit = True
        if self.alive():
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def outbox_path(self) -> Path:
        return self.dir / "data" / "outbox.sqlite3"


class Run:
    """One scenario's world: instance, server, proxy, agents, and the counts."""

    def __init__(self, name: str, work: Path, args, *, instance_fs: Path | None = None, agent_prefix=None,
                 copy_template: bool = True):
        self.name, self.work, self.args = name, work, args
        self.recorded: dict[str, tuple[str, float]] = {}
        self.acked: set[str] = set()
        self.printed: set[str] = set()
        self.presses = 0
        base = instance_fs or work
        self.instance = base / "instance"
        if copy_template:
            shutil.copytree(args.template / "instance", self.instance)  # made once per invocation
        self.setup = json.loads((args.template / "setup.json").read_text())
        self.server = Production(self.instance, env=SERVER_ENV)
        self.proxy = Proxy(self.server.port).start()
        self.proxy_url = f"http://127.0.0.1:{self.proxy.port}"
        prefixes = agent_prefix or (lambda i: [])
        devices = self.setup["devices"]
        # Only where kills are the fault: the ticket agent dies between the answer and the printer.
        kill_at = 2 if name == "kiosk_kill" else 0
        self.ticket_agent = AgentProc(self, devices[0], "ticket", prefixes(0), kill_at)
        self.raters = [AgentProc(self, d, "rating", prefixes(i + 1)) for i, d in enumerate(devices[1:])]
        self.agents = [self.ticket_agent, *self.raters]
        self._stop = threading.Event()
        try:
            for a in self.agents:
                a.start()
            deadline = time.monotonic() + 90
            for a in self.agents:
                if not a.up.wait(max(0.0, deadline - time.monotonic())):
                    raise RuntimeError(f"agent {a.device['id']} did not connect: see {a.dir / 'agent.log'}")
        except BaseException:
            self.stop()
            raise
        self._watch = threading.Thread(target=self._restart_dead, daemon=True)
        self._watch.start()

    # -- the steady presses, and agents brought back after a kill -----------------------------
    def press_until(self, count: int) -> None:
        """Press every rating terminal in turn at the set rate until `count` presses; a ticket every 4th round."""
        interval = 1.0 / self.args.rate
        round_no = 0
        next_at = time.monotonic()
        while self.presses < count:
            for a in self.raters:
                if a.press(RATING_KEYS[(self.presses + round_no) % len(RATING_KEYS)]):
                    self.presses += 1
            if round_no % 4 == 0:
                self.ticket_agent.press("1")
            round_no += 1
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    def _restart_dead(self) -> None:
        while not self._stop.wait(0.5):
            for a in self.agents:
                if not a.expected_exit and a.proc is not None and a.proc.poll() is not None:
                    a.start()

    # -- the server ---------------------------------------------------------------------------
    def kill_server(self) -> None:
        os.killpg(self.server.proc.pid, signal.SIGKILL)
        self.server.proc.wait(10)

    def restart_server(self) -> None:
        self.server = Production(self.instance, env=SERVER_ENV)
        self.proxy.retarget(self.server.port)

    def stop(self) -> None:
        """Stop the agents (all at once), the server and the proxy."""
        self._stop.set()
        for a in self.agents:
            a.expected_exit = True
            if a.alive():
                a._signal(signal.SIGTERM)
        for a in self.agents:
            a.stop()
        self.server.stop()
        self.proxy.close()

    # -- measuring ----------------------------------------------------------------------------
    def _doubled(self, rows: list[tuple]) -> int:
        """Rows on the server beyond one per press: unknown ids of a terminal beyond the presses it
        took unconfirmed (killed before saying so), and any id twice."""
        extra = {a.device["id"]: -a.unconfirmed for a in self.raters}
        for rid, _at, dev in rows:
            if rid not in self.recorded:
                extra[dev] = extra.get(dev, 0) + 1
        return sum(max(0, n) for n in extra.values()) + len(rows) - len({r[0] for r in rows})

    def _server_rows(self, with_device: bool = False) -> list[tuple]:
        db = sqlite3.connect(f"file:{self.instance / 'qms.db'}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute("SELECT id, pressed_at" + (", device_id" if with_device else "") + " FROM ratings").fetchall()
        finally:
            db.close()

    def wait_stored(self, ids: set[str], timeout: float) -> float | None:
        """Seconds until every id in `ids` is on the server, or None after `timeout`."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            try:
                have = {r[0] for r in self._server_rows()}
            except sqlite3.Error:
                have = set()
            if ids <= have:
                return time.monotonic() - start
            time.sleep(0.2)
        return None

    def finish(self) -> dict:
        """Drain, stop everything, count."""
        drained = self.wait_stored(set(self.recorded), self.args.drain_s)
        self.stop()
        rows = self._server_rows(with_device=True)
        stored = {rid: at for rid, at, _dev in rows if rid in self.recorded}
        errors = [abs(at - self.recorded[rid][1]) for rid, at in stored.items()]
        worst = sorted(((at - self.recorded[rid][1], rid) for rid, at in stored.items()), key=lambda e: -abs(e[0]))[:3]
        if worst and abs(worst[0][0]) > MAX_PRESS_ERROR_S:
            log("   worst press-time errors (s, id):", [(round(e, 3), rid) for e, rid in worst])
        db = sqlite3.connect(f"file:{self.instance / 'qms.db'}?mode=ro", uri=True)
        integrity = [db.execute("PRAGMA integrity_check").fetchone()[0]]
        tickets = db.execute("SELECT id, code, state FROM tickets WHERE device_id = ?",
                             [self.ticket_agent.device["id"]]).fetchall()
        db.close()
        for a in self.agents:
            if a.outbox_path().exists():
                ob = sqlite3.connect(str(a.outbox_path()))
                integrity.append(ob.execute("PRAGMA integrity_check").fetchone()[0])
                ob.close()
        pngs = " ".join(p.name for p in self.ticket_agent.png.glob("*.png")) if self.ticket_agent.png.exists() else ""
        printed = {t[0] for t in tickets if t[0] in self.printed or f"-{t[1]}.png" in pngs}
        live = [t for t in tickets if t[2] in ("waiting", "called", "serving")]
        orphans = [t for t in live if t[0] not in printed] + [t for t in tickets if t[2] == "cancelled" and t[0] in printed]
        return {
            "presses": self.presses, "recorded": len(self.recorded), "acknowledged": len(self.acked & set(self.recorded)),
            "stored": len(stored), "lost": len(set(self.recorded) - set(stored)),
            "lost_acknowledged": len(self.acked - {r[0] for r in rows}),  # acked ids the server lacks
            "doubled": self._doubled(rows),
            "unconfirmed_presses": sum(a.unconfirmed for a in self.raters),
            "tickets": len(tickets), "orphans": len(orphans),
            "press_error_max_s": round(max(errors, default=0.0), 3),
            "drained": drained is not None,
            "integrity": "ok" if all(i == "ok" for i in integrity) else ";".join(i for i in integrity if i != "ok"),
            "outboxes": len(integrity) - 1,
        }


# -- scenarios: (inject, heal) around a hold time --------------------------------------------

def _cut_heal(run: Run) -> None:
    run.proxy.heal()


SCENARIOS = {
    "server_kill": dict(what="server SIGKILLed mid-run, restarted after the hold",
                        inject=lambda r: r.kill_server(), heal=lambda r: r.restart_server(), hold=3),
    "partition": dict(what="nothing gets through either way, no RST, for the hold (60 s full)",
                      inject=lambda r: r.proxy.set(up="drop", down="drop"), heal=_cut_heal, hold=60),
    "half_open": dict(what="the server's side reset, the kiosk's left open and silent",
                      inject=lambda r: r.proxy.half_open(), heal=_cut_heal, hold=20),
    "one_way": dict(what="the server's answers are dropped, the kiosks' events get through",
                    inject=lambda r: r.proxy.set(down="drop"), heal=_cut_heal, hold=20),
    "stall": dict(what="every byte held in the proxy (back-pressure), delivered late",
                  inject=lambda r: r.proxy.set(up="hold", down="hold"), heal=_cut_heal, hold=15),
    "kiosk_kill": dict(what="agents SIGKILLed at random moments and restarted; the ticket agent dies "
                            "between the server's answer and the printer", inject=None, heal=None, hold=0),
    "disk_full": dict(what="the server's file system (tmpfs, 64 MiB) filled to the last byte, then freed",
                      inject=lambda r: _fill(r), heal=lambda r: _free(r), hold=15),
    "printer": dict(what="the ticket printer unplugged, then out of paper, mid-ticket",
                    inject=lambda r: r.ticket_agent.flag.write_text("unplugged"),
                    heal=lambda r: r.ticket_agent.flag.unlink(), hold=10, mid=lambda r: r.ticket_agent.flag.write_text("paper_out")),
    "power_loss": dict(what="power cut of the server: the process killed and every byte it did not fsync "
                            "dropped (bench/lossyfs.py, FUSE), then the power back",
                       inject=lambda r: r.power.cut(r), heal=lambda r: r.restart_server(), hold=3),
    "clock": dict(what="kiosk wall clocks years off (libfaketime: +3 y, -2 y) through a server restart",
                  inject=lambda r: r.kill_server(), heal=lambda r: r.restart_server(), hold=3),
}


def _fill(run: Run) -> None:
    """Write zeros until the file system says ENOSPC, in big then in small pieces."""
    fd = os.open(run.instance.parent / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


def _free(run: Run) -> None:
    (run.instance.parent / "filler").unlink()


def _start_lossyfs(backing: Path, mount: Path) -> subprocess.Popen:
    mount.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([PYTHON, str(ROOT / "bench" / "lossyfs.py"), str(backing), str(mount)],
                            stdout=subprocess.DEVNULL, stderr=open(backing.parent / "lossyfs.log", "ab"))
    deadline = time.monotonic() + 20
    while not os.path.ismount(mount):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"lossyfs did not mount: see {backing.parent / 'lossyfs.log'}")
        time.sleep(0.05)
    return proc


def _lossyfs_missing() -> str | None:
    """Why the power-loss file system cannot run here, or None."""
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse in this kernel or container"
    if not shutil.which("fusermount3"):
        return "fusermount3 missing (Debian package fuse3)"
    try:
        import mfusepy  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"mfusepy cannot load libfuse3: {exc}"
    return None


class PowerLoss:
    """The server's instance on bench/lossyfs.py; `cut()` is a power cut of the whole server."""

    def __init__(self, work: Path):
        self.backing, self.mount = work / "backing", work / "fs"
        self.backing.mkdir(parents=True)
        self.proc = None
        self.dropped = 0  # unsynced bytes thrown away by the cuts

    def start(self) -> None:
        self.proc = _start_lossyfs(self.backing, self.mount)

    def cut(self, run: "Run") -> None:
        run.kill_server()  # the process and every byte it wrote but did not fsync, at once
        # The file system drops its unsynced bytes and says how many (its signal handler runs at
        # its next operation: a stat pokes it).
        report = self.backing.parent / "lossyfs-dropped"
        report.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while not report.exists() and time.monotonic() < deadline:
            os.stat(self.mount)
            time.sleep(0.05)
        self.dropped += int(report.read_text()) if report.exists() else 0
        self.proc.kill()
        self.proc.wait(10)
        subprocess.run(["fusermount3", "-u", "-z", str(self.mount)], capture_output=True)
        self.start()  # the power is back: what is on the "disk" is what was synced

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            subprocess.run(["fusermount3", "-u", "-z", str(self.mount)], capture_output=True)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _mount_tmpfs(path: Path, size_mb: int) -> str | None:
    """Mount a small tmpfs at `path`; None, or why it cannot be done here."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return "not root: cannot mount a small file system for the server"
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
                         capture_output=True, text=True)
    return None if res.returncode == 0 else f"mount tmpfs failed: {res.stderr.strip()}"


def run_scenario(name: str, args, work: Path) -> dict:
    spec = SCENARIOS[name]
    fs = None
    prefix = None
    if name == "disk_full":
        fs = work / "fs"
        why = _mount_tmpfs(fs, 64)
        if why:
            return {"skipped": why}
    power = None
    if name == "power_loss":
        why = _lossyfs_missing()
        if why:
            return {"skipped": why}
        power = PowerLoss(work)
        shutil.copytree(args.template / "instance", power.backing / "instance")  # "on disk" before the mount
        power.start()
        fs = None
    if name == "clock":
        faketime = shutil.which("faketime")
        if not faketime:
            return {"skipped": "faketime (Debian package faketime) is not installed"}
        # Only the wall clock: a Pi's monotonic clock is right whatever its date (and libfaketime's
        # faked monotonic clock breaks Python's timed waits).
        prefix = lambda i: ["env", "FAKETIME_DONT_FAKE_MONOTONIC=1", faketime, "-f", ("+3y", "-2y")[i % 2]]  # noqa: E731
    run = None
    try:
        run = Run(name, work, args, instance_fs=fs if power is None else power.mount, agent_prefix=prefix,
                  copy_template=power is None)
        run.power = power
        total = args.presses
        kills = []
        if name == "kiosk_kill":
            killer = threading.Thread(target=_kill_at_random, args=(run, total, kills), daemon=True)
            killer.start()
            run.press_until(total)
            killer.join()
            recovery = None
        else:
            run.press_until(total // 3)
            spec["inject"](run)
            hold = spec["hold"] if not args.short else min(spec["hold"], args.short_hold)
            if "mid" in spec:
                _press_for(run, hold / 2)
                spec["mid"](run)
                _press_for(run, hold / 2)
            else:
                _press_for(run, hold)
            before = set(run.recorded)
            spec["heal"](run)
            recovered: list[float | None] = []
            watcher = threading.Thread(target=lambda: recovered.append(run.wait_stored(before, args.drain_s)),
                                       daemon=True)
            watcher.start()  # from the heal on, while the presses go on
            run.press_until(total)
            watcher.join()
            recovery = None if recovered[0] is None else round(recovered[0], 1)
        result = run.finish()
        result["recovery_s"] = recovery
        if power is not None:
            result["unsynced_bytes_dropped"] = power.dropped
        if kills:
            result["kills"] = len(kills)
        return result
    finally:
        if run is not None:
            run.stop()
        if fs is not None:
            subprocess.run(["umount", "-l", str(fs)], capture_output=True)
        if power is not None:
            power.stop()


def _press_for(run: Run, seconds: float) -> None:
    """Keep pressing at the set rate for `seconds` (presses during the fault)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        run.press_until(run.presses + len(run.raters))


def _kill_at_random(run: Run, total: int, kills: list) -> None:
    rng = random.Random(11)
    while run.presses < total:
        time.sleep(rng.uniform(0.5, 3.0))
        victim = rng.choice(run.raters)
        victim.kill()  # the watcher starts it again
        kills.append(victim.device["id"])


def _no_lockouts(instance: Path) -> None:
    """Presses come faster than a citizen's: where the center sets the devices' lockouts (a
    setting sent to every kiosk, overriding its config), set them to 0 as the configs do."""
    from server import create_app, settings
    from server.engine import admin

    names = [n for n in ("ticket_lockout_s", "rating_lockout_s", "keypad_lockout_s") if n in settings.BY_NAME]
    if not names:
        return
    app = create_app({"INSTANCE_PATH": str(instance)})
    qms = app.extensions["qms"]
    try:
        for name in names:
            qms.write(admin.set_setting, name=name, value=0)
    finally:
        qms.close()


def verdict(result: dict) -> list[str]:
    if "skipped" in result:
        return []
    bad = []
    for key in ("lost", "lost_acknowledged", "doubled", "orphans"):
        if result[key]:
            bad.append(f"{key}={result[key]}")
    if result["press_error_max_s"] > MAX_PRESS_ERROR_S:
        bad.append(f"press error {result['press_error_max_s']} s")
    if result["integrity"] != "ok":
        bad.append(f"integrity: {result['integrity']}")
    if not result["drained"]:
        bad.append("outboxes not drained in time")
    return bad


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="every scenario, few presses, short holds (make test)")
    parser.add_argument("--only", default="", help="comma-separated scenarios: " + ", ".join(SCENARIOS))
    parser.add_argument("--presses", type=int, default=None, help="rating presses per scenario (full: 1,200)")
    parser.add_argument("--kiosks", type=int, default=None, help="rating agents (full: 4)")
    parser.add_argument("--rate", type=float, default=None, help="press rounds per second (one press per agent)")
    parser.add_argument("--drain-s", type=float, default=90.0, help="longest wait for the outboxes to drain")
    parser.add_argument("--short-hold", type=float, default=3.0, help="hold time of every fault in --short")
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args(argv)
    args.presses = args.presses or (40 if args.short else 1200)
    args.kiosks = args.kiosks or (2 if args.short else 4)
    args.rate = args.rate or (4.0 if args.short else 5.0)
    names = [n for n in args.only.split(",") if n] or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    results, failed, skipped = {}, [], []
    started = time.monotonic()
    args.template = Path(tempfile.mkdtemp(prefix="qms-faults-template-"))
    (args.template / "instance").mkdir()
    setup = make_instance(args.template / "instance", 1, args.kiosks)
    (args.template / "setup.json").write_text(json.dumps(setup))
    _no_lockouts(args.template / "instance")
    for name in names:
        work = Path(tempfile.mkdtemp(prefix=f"qms-faults-{name}-"))
        log(f"== {name}: {SCENARIOS[name]['what']}")
        t0 = time.monotonic()
        try:
            result = run_scenario(name, args, work)
        finally:
            if not os.environ.get("QMS_FAULTS_KEEP"):
                shutil.rmtree(work, ignore_errors=True)
            else:
                log(f"   kept {work}")
        result["seconds"] = round(time.monotonic() - t0, 1)
        results[name] = result
        bad = verdict(result)
        if "skipped" in result:
            skipped.append(name)
            log(f"!! {name} SKIPPED: {result['skipped']}")
        elif bad:
            failed.append(name)
        log(f"   {json.dumps(result)}" + (f"  FAILED: {', '.join(bad)}" if bad else ""))
    shutil.rmtree(args.template, ignore_errors=True)
    print(_table(results))
    load = os.getloadavg()
    print(f"\n{len(names)} scenarios in {time.monotonic() - started:.0f} s; load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}; {os.cpu_count()} CPUs")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    if skipped:
        print(f"SKIPPED (a kernel facility or package is missing): {', '.join(skipped)}")
        return 2
    return 0


COLUMNS = ("presses", "recorded", "acknowledged", "stored", "lost", "doubled", "orphans", "press_error_max_s",
           "recovery_s", "integrity")


def _table(results: dict) -> str:
    head = "| scenario | " + " | ".join(COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for name, r in results.items():
        if "skipped" in r:
            lines.append(f"| {name} | skipped: {r['skipped']} |")
        else:
            lines.append(f"| {name} | " + " | ".join(str(r.get(c)) for c in COLUMNS) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
