"""Ticket kiosks, rating terminals and counter keypads: the `/kiosk` namespace."""

from __future__ import annotations

from . import namespace, shed


def register(app, socketio, services, csrf) -> None:
    namespace.register(socketio, services)
    shed.install(socketio, services)
