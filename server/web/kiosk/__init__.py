"""Ticket kiosks, rating terminals and counter keypads: the `/kiosk` namespace."""

from __future__ import annotations

from . import direct, namespace


def register(app, socketio, services, csrf) -> None:
    ns = namespace.register(socketio, services)
    direct.install(socketio, services, ns)
