"""The waiting-room TV: the `/display` page, its call audio and the `/display` namespace."""

from __future__ import annotations

from . import namespace, routes


def register(app, socketio, services, csrf) -> None:
    routes.register(app, socketio, services, csrf)
    namespace.register(socketio, services)
