"""Pushes to pages: calls at once, snapshots coalesced.

The writer marks the broadcaster dirty after every commit; one background task rebuilds and
emits the snapshots at most once per interval, so a burst of 500 writes a second costs a few
snapshots, not 500. Every push carries `v = {"boot", "seq"}`: the store's version read before the
snapshot was built (a call: the version of the commit that made it), so that a page applies a
snapshot only when it is newer than what it shows (docs/protocol.md, "Versions").
"""

from __future__ import annotations

import logging
from typing import Callable

from . import events

log = logging.getLogger(__name__)


class Broadcaster:
    def __init__(self, socketio, services, interval_s: float):
        self.socketio = socketio
        self.services = services
        self.runtime = services.runtime
        self.interval_s = interval_s
        self._listeners: list[tuple[Callable[[], None], str | None]] = []
        self._dirty = self.runtime.event()
        self._stopped = False
        self.flushes = 0  # how many times the snapshots were pushed (tests wait on it)

    def add(self, push: Callable[[], None], namespace: str | None = None) -> None:
        """Register a function that builds and emits one kind of snapshot; with `namespace`,
        it runs only while some client is connected there (no work for an empty room)."""
        self._listeners.append((push, namespace))

    def has_clients(self, namespace: str) -> bool:
        try:
            return any(True for _ in self.socketio.server.manager.get_participants(namespace, None))
        except (KeyError, AttributeError):
            return False

    def announce_call(self, call: dict, seq: int | None) -> dict:
        """A call, to displays and boards, at once: {..., "id", "v"}; returns what was sent."""
        v = self.services.version()
        if seq is not None:
            v["seq"] = seq
        payload = {**call, "v": v}
        self.socketio.emit(events.CALLED, payload, namespace=events.DISPLAY)
        self.socketio.emit(events.CALLED, payload, namespace=events.BOARD, to="supervisors")
        return payload

    def start(self) -> None:
        self.runtime.spawn(self._run)

    def mark(self) -> None:
        """Something changed: push fresh snapshots soon. Called on the writer thread: under
        gevent the event is set in the hub's thread (`runtime.threadsafe`)."""
        self.runtime.threadsafe(self._dirty.set)

    def _run(self) -> None:
        while not self._stopped:
            self._dirty.wait(1.0)
            if self._stopped:
                break
            if not self._dirty.is_set():
                continue
            self._dirty.clear()
            self.flush()
            self.runtime.sleep(self.interval_s)

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
        self.flushes += 1

    def stop(self) -> None:
        self._stopped = True
        self._dirty.set()

    @property
    def stopped(self) -> bool:
        """True once the app is closing: timers that push on their own check it."""
        return self._stopped
