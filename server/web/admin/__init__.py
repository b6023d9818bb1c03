"""Setting a center up, for its administrators: `/admin` (server-rendered forms, no namespace)."""

from __future__ import annotations

from . import pairing, routes


def register(app, socketio, services, csrf) -> None:
    routes.register(app, socketio, services, csrf)
    pairing.register(app, socketio, services, csrf)
