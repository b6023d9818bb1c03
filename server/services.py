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
        self.connections: dict[str, dict] = {}  # Socket.IO sid -> who is on the other end
        self.broadcaster = None  # set by create_app: server.broadcast.Broadcaster
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._live: dict[str, Any] = {}
        self._cfg: EngineConfig | None = None
        self._devices: dict[str, dict | None] = {}
        self._background: list[Callable[[], None]] = []
        self._started = False
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
        """The active device's row (roles parsed), from memory; None if unknown or revoked."""
        try:
            return self._devices[device_id]
        except KeyError:
            pass
        from .engine import devices

        row = devices.active(self.store.read(), device_id)
        with self._lock:
            self._devices[device_id] = row
        return row

    # -- writes ------------------------------------------------------------------------------
    def write(self, fn: Callable[..., Any], **args) -> Any:
        """Run an engine operation `fn(db, cfg, now, **args)` durably and return its result.

        `now` is taken in the writer, so that issue times follow the order in which sequence
        numbers are given."""
        return self.runtime.wait(self.submit(fn, **args))

    def write_versioned(self, fn: Callable[..., Any], **args) -> tuple[Any, int]:
        """`write()`, and the store's version of the commit that made the change."""
        fut = self.submit(fn, **args)
        result = self.runtime.wait(fut)
        return result, fut.version

    def submit(self, fn: Callable[..., Any], **args):
        cfg, clock = self.cfg(), self.clock
        return self.store.submit(_Job(fn, cfg, clock, args))

    # -- pushes ------------------------------------------------------------------------------
    def version(self) -> dict:
        """What a snapshot built now reflects at least: {"boot", "seq"} (docs/protocol.md)."""
        return {"boot": self.store.boot, "seq": self.store.version}

    def announce_call(self, call: dict, seq: int | None = None) -> None:
        """Tell displays and boards of a call at once (snapshots follow, coalesced)."""
        if self.broadcaster is not None:
            self.broadcaster.announce_call(call, seq)

    # -- life --------------------------------------------------------------------------------
    def on_start(self, fn: Callable[[], None]) -> None:
        """Register a background task to start with `start_background()`."""
        self._background.append(fn)

    def start_background(self) -> None:
        """Start the background tasks (alert ticker, ...), once. The server process does it at
        start; an app built for a CLI command never does (it exits at once, and a thread still
        inside SQLite while the interpreter shuts down can crash it)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
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
    """A write job for the store: `fn(db, cfg, now, **args)` with `now` read in the writer."""

    __slots__ = ("fn", "cfg", "clock", "args", "__name__")

    def __init__(self, fn, cfg, clock, args):
        self.fn, self.cfg, self.clock, self.args = fn, cfg, clock, args
        self.__name__ = getattr(fn, "__name__", "job")

    def __call__(self, db):
        return self.fn(db, self.cfg, self.clock(), **self.args)
