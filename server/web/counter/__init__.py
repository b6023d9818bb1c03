"""The officers' counter console: the `/counter` pages and the `/counter` namespace."""

from __future__ import annotations

from . import namespace, routes


def register(app, socketio, services, csrf) -> None:
    routes.register(app, socketio, services, csrf)
    namespace.register(socketio, services)
