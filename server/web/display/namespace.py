"""The `/display` namespace: public and read-only; a snapshot on connect, then live calls."""

from __future__ import annotations

from flask import request
from flask_socketio import Namespace

from ... import events
from ...engine import views


def snapshot(services) -> dict:
    """The display snapshot as of now, with the version it reflects at least."""
    v = services.version()
    return {**views.display_snapshot(services.store.read(), services.cfg(), services.now()), "v": v}


class DisplayNamespace(Namespace):
    def __init__(self, services):
        super().__init__(events.DISPLAY)
        self.services = services

    def on_connect(self, auth=None):
        self.emit(events.SNAPSHOT, snapshot(self.services), room=request.sid)

    def on_snapshot(self, *_args):
        """A display that came back from sleep asks for the current state."""
        return snapshot(self.services)

    def push(self) -> None:
        """Every display's snapshot (the broadcaster calls this, coalesced, after changes)."""
        self.emit(events.SNAPSHOT, snapshot(self.services))


def register(socketio, services) -> None:
    ns = DisplayNamespace(services)
    socketio.on_namespace(ns)
    services.broadcaster.add(ns.push, events.DISPLAY)
