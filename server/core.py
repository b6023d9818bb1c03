"""The server's running state, one per app: store, settings, clock and the broadcaster."""

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


class Qms:
    """What every surface needs: `write()` for engine operations, `cfg()`, `setting()`, `now()`."""

    def __init__(self, store: Store, values: dict[str, Any], clock: Callable[[], float] = time.time):
        self.store = store
        self.values = values
        self.clock = clock
        self._live: dict[str, Any] = {}
        self._live_loaded_at = 0.0
        self._live_lock = threading.Lock()
        self.connections: dict[str, dict] = {}  # Socket.IO sid -> who is on the other end
        self.broadcaster: Broadcaster | None = None

    def now(self) -> float:
        return self.clock()

    # -- settings ----------------------------------------------------------------------------
    def setting(self, name: str) -> Any:
        """A setting's value; live ones may be overridden from the settings table."""
        spec = settings_mod.BY_NAME[name]
        if spec.live:
            live = self._live_values()
            if name in live:
                return live[name]
        return self.values[name]

    def _live_values(self) -> dict[str, Any]:
        # Re-read at most every few seconds so a change made by another process shows up too.
        if time.monotonic() - self._live_loaded_at > 5:
            with self._live_lock:
                rows = self.store.read().query("SELECT name, value FROM settings")
                self._live = {r["name"]: json.loads(r["value"]) for r in rows}
                self._live_loaded_at = time.monotonic()
        return self._live

    def invalidate_settings(self) -> None:
        self._live_loaded_at = 0.0

    def cfg(self) -> EngineConfig:
        return EngineConfig.from_settings(self.setting)

    # -- writes ------------------------------------------------------------------------------
    def write(self, fn: Callable[..., Any], **kwargs) -> Any:
        """Run an engine operation `fn(db, cfg, now, **kwargs)` durably; `now` is taken in the
        writer so that issue times follow the order in which sequence numbers are given."""
        cfg = self.cfg()
        clock = self.clock
        return self.store.write(lambda db: fn(db, cfg, clock(), **kwargs))

    def write_versioned(self, fn: Callable[..., Any], **kwargs) -> tuple[Any, int]:
        """`write`, and also the store version of the commit that made the change."""
        cfg = self.cfg()
        clock = self.clock
        return self.store.write_versioned(lambda db: fn(db, cfg, clock(), **kwargs))

    def version(self) -> dict:
        """`{"boot", "seq"}` for a snapshot: read BEFORE building it, so that the snapshot holds
        at least every commit up to `seq` (docs/protocol.md, "Versions")."""
        return self.store.stamp()

    def admin(self, fn: Callable[..., Any], **kwargs) -> Any:
        """Run an admin function `fn(db, now, **kwargs)` durably."""
        clock = self.clock
        result = self.store.write(lambda db: fn(db, clock(), **kwargs))
        self.invalidate_settings()
        # The snapshots pushed on that commit may have been built from the settings cached before
        # it (the broadcaster races this thread): push again, now that the cache is fresh.
        if self.broadcaster is not None:
            self.broadcaster.mark()
        return result


class Broadcaster:
    """Coalesces "something changed" into at most one push per interval for each listener.

    The writer marks it dirty after every commit; a background task rebuilds and emits the
    snapshots, so a burst of 500 writes a second costs a few snapshots, not 500."""

    def __init__(self, socketio, interval_s: float):
        self.socketio = socketio
        self.interval_s = interval_s
        self._listeners: list[tuple[Callable[[], None], str | None]] = []
        self._dirty = threading.Event()
        self._stopped = False
        self._started = False
        self._lock = threading.Lock()

    def add(self, push: Callable[[], None], namespace: str | None = None) -> None:
        """Register a function that builds and emits one kind of snapshot; with `namespace`,
        it runs only while some client is connected there (no work for an empty room)."""
        self._listeners.append((push, namespace))

    def has_clients(self, namespace: str) -> bool:
        try:
            return any(True for _ in self.socketio.server.manager.get_participants(namespace, None))
        except (KeyError, AttributeError):
            return False

    def mark(self) -> None:
        self._dirty.set()
        if not self._started:
            with self._lock:
                if not self._started:
                    self._started = True
                    self.socketio.start_background_task(self._run)

    def _run(self) -> None:
        while not self._stopped:
            self._dirty.wait(timeout=1.0)
            if self._stopped:
                break
            if not self._dirty.is_set():
                continue
            self._dirty.clear()
            self.flush()
            time.sleep(self.interval_s)

    def flush(self) -> None:
        """Push every snapshot now."""
        for push, namespace in list(self._listeners):
            if self._stopped:
                return
            if namespace is not None and not self.has_clients(namespace):
                continue
            try:
                push()
            except Exception:
                log.exception("broadcast failed")

    def stop(self) -> None:
        self._stopped = True
        self._dirty.set()

    @property
    def stopped(self) -> bool:
        """True once the app is closing: timers that push on their own check it."""
        return self._stopped
