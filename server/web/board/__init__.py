"""The supervisors' live board: `/board`, `/api/board`, the `/board` namespace and the alerts."""

from __future__ import annotations

from . import namespace, routes


def register(app, socketio, services, csrf) -> None:
    routes.register(app, socketio, services, csrf)
    namespace.register(socketio, services)
