"""Setting a center up, for its administrators: `/admin` (server-rendered forms, no namespace)."""

from __future__ import annotations

from . import pairing, routes, voice


def register(app, socketio, services, csrf) -> None:
    routes.register(app, socketio, services, csrf)
    pairing.register(app, socketio, services, csrf)
    voice.register(app, socketio, services, csrf)
