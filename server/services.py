"""The server's running state, one per app: `Services`, the one object every surface is handed.

It holds the store, the settings, the clock, the runtime (threads or greenlets), the broadcaster
and the in-memory caches of what every event needs (the live settings, the devices). The caches
are read from memory on the hot path and dropped when the database says they changed: the
writer compares the `versions` table (bumped by triggers on `settings` and `devices`) after every
committed batch, and the ticker does the same every few seconds for changes made by another
process (`python -m server set ...`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from . import settings as settings_mod
from .engine.config import EngineConfig
from .store import Store

log = logging.getLogger(__name__)


class Services:
    """What every surface needs: `write()` for engine operations, `cfg()`, `setting()`, `now()`,
    `device()`, `announce_call()`, and `close()`."""

    def __init__(self, store: Store, values: dict[str, Any], *, clock: Callable[[], float] = time.time,
                 runtime=None):
        from .runtime import Threads

        self.store = store
        self.values = values
        self.clock = clock
        self.runtime = runtime or Threads()
        store.wait = self.runtime.wait
        self.connections: dict[str, dict] = {}  # Socket.IO sid -> who is on the other end
        self.broadcaster = None  # set by create_app: server.broadcast.Broadcaster
        self.socketio = None
        self.guard = None  # server.web.common.guard.ConnectionLimit
        self.join_deadline = None  # server.web.common.guard.JoinDeadline
        self.client_errors = None  # server.web.common.clienterrors.ClientErrors
        self.load = Load(self)
        self.presence_stale = False  # a device's connect or disconnect could not be written
        self._device_config_sent: dict | None = None  # the last `device_config` pushed to every kiosk
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._live: dict[str, Any] = {}
        self._cfg: EngineConfig | None = None
        self._devices: dict[str, dict | None] = {}
        self._background: list[Callable[[], None]] = [self.load.run, self.nightly_backups]
        self.started = False
        self._closed = False
        self.refresh()
        # After every committed batch (on the writer thread): did settings or devices change?
        store.on_commit.append(self.refresh)

    def now(self) -> float:
        return self.clock()

    # -- caches ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Drop what changed in the database since the last look (one small read)."""
        versions = {r[0]: r[1] for r in self.store.read().execute("SELECT name, n FROM versions").fetchall()}
        if versions == self._versions:
            return
        changed = {k for k in versions if versions[k] != self._versions.get(k)}
        with self._lock:
            self._versions = versions
            if "settings" in changed:
                self._live = {r[0]: json.loads(r[1]) for r in
                              self.store.read().execute("SELECT name, value FROM settings").fetchall()}
                self._cfg = None
            if "devices" in changed:
                self._devices = {}
        if "settings" in changed and self.broadcaster is not None:
            # Snapshots carry settings (names, notice): push them again with the new values.
            self.broadcaster.mark()
        if "settings" in changed:
            self._push_device_config()
        if "devices" in changed:
            self._cut_stale_devices()
        if "people" in changed:
            self.cut_ended_people()

    def device_config(self) -> dict:
        """What every kiosk is told of its buttons (`device_config`, docs/protocol.md)."""
        return {"rating_scores": list(self.setting("rating_scores")),
                "rating_labels": {str(k): v for k, v in self.setting("rating_labels").items()},
                "ticket_lockout_s": float(self.setting("ticket_lockout_s")),
                "rating_lockout_s": float(self.setting("rating_lockout_s")),
                "keypad_lockout_s": float(self.setting("keypad_lockout_s"))}

    def _push_device_config(self) -> None:
        """Send the devices' settings to every connected kiosk when they changed (each kiosk got
        them at its connection). Like the cut below, the emit runs in a task of its own."""
        config = self.device_config()
        if config == self._device_config_sent or self.socketio is None or self._closed:
            self._device_config_sent = config
            return
        self._device_config_sent = config
        self.runtime.threadsafe(self.runtime.spawn, self._emit_device_config, config)

    def _emit_device_config(self, config: dict) -> None:
        from . import events

        self.socketio.emit(events.DEVICE_CONFIG, config, namespace=events.KIOSK)

    def _cut_stale_devices(self) -> None:
        """Disconnect the open connections of devices revoked, expired or given a new token.

        Runs where `refresh` runs (the writer thread, the ticker): the disconnects themselves
        run in a task of their own (a greenlet on the hub under gevent), since disconnecting
        calls the namespace's `on_disconnect`, which writes and waits for the writer."""
        stale = []
        for sid, conn in list(self.connections.items()):
            if "device" not in conn:
                continue
            row = self.device(conn["device"])
            if row is None or row["token_hash"] != conn.get("token_hash"):
                stale.append((sid, conn["namespace"]))
        if stale and self.socketio is not None and not self._closed:
            self.runtime.threadsafe(self.runtime.spawn, self._disconnect, stale)

    def cut_ended_people(self) -> None:
        """Disconnect the consoles and boards of people whose session ended, who were disabled or
        given another role, or whose API token was revoked or rotated. An open connection counts
        as use, so a session idle on HTTP is not cut here; its maximum age is."""
        from .auth import user_by_token_hash
        from .engine import logins

        db, now = self.store.read(), self.now()
        max_s = float(self.setting("session_max_hours")) * 3600
        stale = []
        for sid, conn in list(self.connections.items()):
            if "via" not in conn:
                continue
            if conn["via"] == "session":
                row, _why = logins.session_user(db, conn.get("session_id"), now, idle_s=float("inf"), max_s=max_s)
            else:
                row = user_by_token_hash(db, conn.get("token_hash") or "", now)
            if row is None or row["id"] != conn["user"] or row["role"] != conn["role"]:
                stale.append((sid, conn["namespace"]))
        if stale and self.socketio is not None and not self._closed:
            self.runtime.threadsafe(self.runtime.spawn, self._disconnect, stale)

    def _disconnect(self, stale: list[tuple[str, str]]) -> None:
        for sid, namespace in stale:
            try:
                self.socketio.server.disconnect(sid, namespace=namespace)
            except Exception:  # already gone
                log.debug("disconnect of %s failed", sid, exc_info=True)

    def setting(self, name: str) -> Any:
        """A setting's value; live ones may be overridden from the settings table."""
        spec = settings_mod.BY_NAME[name]
        if spec.live and name in self._live:
            return self._live[name]
        return self.values[name]

    def cfg(self) -> EngineConfig:
        cfg = self._cfg
        if cfg is None:
            cfg = self._cfg = EngineConfig.from_settings(self.setting)
        return cfg

    def device(self, device_id: str) -> dict | None:
        """The active device's row (roles parsed), from memory; None if unknown, revoked or its
        token expired."""
        try:
            row = self._devices[device_id]
        except KeyError:
            from .engine import devices

            row = devices.active(self.store.read(), device_id)
            with self._lock:
                self._devices[device_id] = row
        if row is not None and row.get("expires_at") is not None and self.clock() >= row["expires_at"]:
            return None
        return row

    # -- writes ------------------------------------------------------------------------------
    def admit(self) -> None:
        """Refuse a device's write with `busy` (server.errors.Busy) when the server is past its
        capacity: the kiosk's outbox sends it again after a pause, and the refusal costs next to
        nothing, so the server catches up instead of letting every answer queue to the clients'
        timeout (docs/protocol.md, "busy")."""
        self.load.check()

    def write(self, fn: Callable[..., Any], **args) -> Any:
        """Run an engine operation `fn(db, cfg, now, **args)` durably and return its result.

        `now` is taken in the writer, so that issue times follow the order in which sequence
        numbers are given."""
        return self.store.wait(self.submit(fn, **args))

    def write_versioned(self, fn: Callable[..., Any], **args) -> tuple[Any, int]:
        """`write()`, and the store's version of the commit that made the change."""
        fut = self.submit(fn, **args)
        return self.store.wait(fut), fut.version

    def submit(self, fn: Callable[..., Any], **args):
        return self.store.submit(_Job(fn, self, args))

    def note_presence(self, device_id: str, *, online: bool) -> None:
        """Record that a device connected or left, without waiting: a connection must not
        depend on a write (the disk may be full). A write that fails leaves the presence to be
        set again, from the connections held, by `sync_presence` on the ticker."""
        from .engine import devices

        def done(fut) -> None:
            if fut.exception() is not None:
                self.presence_stale = True

        self.submit(devices.set_online, device_id=device_id, online=online).add_done_callback(done)

    def device_connected(self, sid: str, dev: dict, namespace: str) -> None:
        """A device's connection joined `namespace`: remembered (to cut it if its token ends) and
        the device marked online."""
        self.connections[sid] = {"device": dev["id"], "namespace": namespace, "token_hash": dev["token_hash"]}
        self.note_presence(dev["id"], online=True)

    def device_left(self, sid: str) -> str | None:
        """A device's connection closed: the device's id when it was its last connection (the
        device is then marked offline), else None."""
        conn = self.connections.pop(sid, None)
        if conn is None or "device" not in conn:
            return None
        if any(c.get("device") == conn["device"] for c in list(self.connections.values())):
            return None
        self.note_presence(conn["device"], online=False)
        return conn["device"]

    def sync_presence(self) -> None:
        """If a presence write failed, set every device's presence from the connections held."""
        if not self.presence_stale:
            return
        from .engine import devices

        self.presence_stale = False
        online = sorted({c["device"] for c in list(self.connections.values()) if "device" in c})
        try:
            self.write(devices.sync_presence, online=online)
        except Exception:
            self.presence_stale = True
            raise

    def backup_now(self, dest: Path) -> Path:
        """A consistent copy of the database into `dest`, off the event loop."""
        from . import backup

        return self.runtime.blocking(backup.copy, self.store.path, dest)

    def nightly_backups(self) -> None:
        """Every minute until the app closes: the day's backup once past `backup_hour`."""
        from . import backup

        folder = self.store.path.parent / "backups"
        while not self.closed:
            try:
                made = self.runtime.blocking(lambda: backup.nightly(
                    self.store.path, folder, self.now(), self.cfg().tz, hour=int(self.setting("backup_hour")),
                    keep=int(self.setting("backup_keep"))))
                if made is not None:
                    log.info("nightly backup written: %s", made)
            except Exception:
                log.exception("nightly backup failed")
            for _ in range(60):
                if self.closed:
                    return
                self.runtime.sleep(1.0)

    def disconnect_user(self, user_id: int) -> int:
        """Close every console (`/counter`) a person has open: he was disabled. Returns how many."""
        from . import events

        cut = 0
        for sid, conn in list(self.connections.items()):
            if conn.get("user") == user_id and conn.get("namespace") == events.COUNTER:
                self.socketio.server.disconnect(sid, namespace=events.COUNTER)
                cut += 1
        return cut

    def health(self) -> dict:
        """The writer's state and the free space under the database: what /healthz reports."""
        import shutil

        self.store.read().execute("SELECT 1").fetchone()
        free_mb = shutil.disk_usage(self.store.path.parent).free / 1e6
        low = free_mb < float(self.setting("disk_free_min_mb"))
        failure = self.store.failure
        db = "failing" if failure else "low_disk" if low else "ok"
        out = {"ok": db == "ok", "db": db, "disk_free_mb": round(free_mb), "writes_waiting": self.store.pending,
               "lag_ms": round(self.load.lag_s * 1000, 1), "busy_refused": self.load.refused}
        if failure:
            out["last_write_failure"] = {"at": self.cfg().iso(failure["at"]), "error": failure["error"]}
        return out

    # -- pushes ------------------------------------------------------------------------------
    def version(self) -> dict:
        """What a snapshot built now reflects at least: {"boot", "seq"} (docs/protocol.md)."""
        return self.store.stamp()

    def announce_call(self, call: dict, seq: int | None = None) -> dict:
        """Tell displays and boards of a call at once (snapshots follow, coalesced); returns the
        call as sent, with its version `v`."""
        return self.broadcaster.announce_call(call, seq)

    # -- life --------------------------------------------------------------------------------
    def on_start(self, fn: Callable[[], None]) -> None:
        """Register a background task to start with `start_background()`."""
        self._background.append(fn)

    def start_background(self) -> None:
        """Start the background tasks (alert ticker, ...), once. The server process does it at
        start; an app built for a CLI command never does (it exits at once, and a thread still
        inside SQLite while the interpreter shuts down can crash it)."""
        with self._lock:
            if self.started or self._closed:
                return
            self.started = True
        for fn in self._background:
            self.runtime.spawn(fn)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.broadcaster is not None:
            self.broadcaster.stop()
        self.store.close()


class _Job:
    """A write job for the store: `fn(db, cfg, now, **args)`, with the settings and `now` read in
    the writer, when the job runs (so a setting changed by the batch before applies)."""

    __slots__ = ("fn", "services", "args", "__name__")

    def __init__(self, fn, services, args):
        self.fn, self.services, self.args = fn, services, args
        self.__name__ = getattr(fn, "__name__", "job")

    def __call__(self, db):
        return self.fn(db, self.services.cfg(), self.services.clock(), **self.args)


class Load:
    """How far behind the server is: the writer's backlog, how long the last writes waited for
    their commit, and how late the event loop (or, with threads, the interpreter) runs a task
    that asked to sleep 50 ms."""

    TICK_S = 0.05

    def __init__(self, services: Services):
        self.services = services
        self.lag_s = 0.0
        self.refused = 0  # events answered busy since start (tests, /healthz)

    def behind(self) -> bool:
        """Whether the server is past its capacity now."""
        s = self.services
        store = s.store
        # (The last writes' wait counts only while some are waiting: once the queue is empty it
        # is old news, and the next commit measures afresh.)
        return store.pending > int(s.setting("busy_write_backlog")) or \
            (store.pending > 0 and store.wait_s * 1000 > float(s.setting("busy_write_wait_ms"))) or \
            self.lag_s * 1000 > float(s.setting("busy_lag_ms"))

    def check(self) -> None:
        from .errors import Busy

        if self.behind():
            self.refused += 1
            raise Busy()

    def run(self) -> None:
        runtime, clock = self.services.runtime, time.monotonic
        while not self.services.closed:
            start = clock()
            runtime.sleep(self.TICK_S)
            late = clock() - start - self.TICK_S
            # Rise at once, fall gently: one quick tick does not mean the backlog is gone.
            self.lag_s = max(late, self.lag_s * 0.7 + late * 0.3)
