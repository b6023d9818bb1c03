"""What keeps a stranger on the center's Wi-Fi from freezing the server (docs/security.md).

- Socket.IO is served over websocket only (`transports=["websocket"]` in create_app): there is
  no long-polling path, whose abandoned or oversized requests could each hold a worker for good.
- `ConnectionLimit`, a WSGI middleware around the whole app, caps the open Socket.IO
  connections per client address and in all; one over the cap is refused at once with 503
  `busy`, before any Socket.IO work.
- `JoinDeadline` closes an Engine.IO connection that has joined no namespace within
  `join_timeout_s` seconds (every real client joins in its first message): idle anonymous
  websockets cannot pile up.
- `drop_reserved_events`: python-socketio dispatches a client's event by its name, so an event
  named `connect` or `disconnect` would run the namespace's `on_connect` (with the event's
  argument as the auth payload) or `on_disconnect` (the server then forgets a device that is
  still connected) on a connection already open. Such events are dropped.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

log = logging.getLogger(__name__)

SOCKET_PATH = "/socket.io/"


class ConnectionLimit:
    """Refuse a Socket.IO request when its address, or the server, has too many open already."""

    def __init__(self, app, *, per_address: int, total: int):
        self.app = app
        self.per_address = per_address
        self.total = total
        self._open: dict[str, int] = {}
        self._count = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(SOCKET_PATH):
            return self.app(environ, start_response)
        address = environ.get("REMOTE_ADDR") or "?"
        with self._lock:
            mine = self._open.get(address, 0)
            if (self.per_address and mine >= self.per_address) or (self.total and self._count >= self.total):
                refused = True
            else:
                refused = False
                self._open[address] = mine + 1
                self._count += 1
        if refused:
            body = json.dumps({"ok": False, "error": "busy",
                               "message": "Quá nhiều kết nối; vui lòng thử lại sau"}).encode()
            start_response("503 Service Unavailable", [("Content-Type", "application/json"),
                                                       ("Content-Length", str(len(body))), ("Retry-After", "5")])
            return [body]
        try:
            result = self.app(environ, start_response)
            # A websocket is served inside this call and is over when it returns; a plain
            # request's body may still be streamed, which is short.
            return result
        finally:
            with self._lock:
                left = self._open.get(address, 1) - 1
                if left > 0:
                    self._open[address] = left
                else:
                    self._open.pop(address, None)
                self._count -= 1

    def open_connections(self, address: str | None = None) -> int:
        with self._lock:
            return self._count if address is None else self._open.get(address, 0)


class JoinDeadline:
    """Close Engine.IO connections that joined no Socket.IO namespace in time.

    python-socketio calls its Engine.IO `connect` handler for every new connection; this wraps it
    to note the deadline, and one background task closes, every second, the connections past
    their deadline that are still in no namespace."""

    def __init__(self, socketio, runtime, timeout_s: float):
        self.server = socketio.server
        self.runtime = runtime
        self.timeout_s = timeout_s
        self._pending: dict[str, float] = {}
        self._lock = threading.Lock()
        self.closed = 0  # how many were closed for joining nothing (tests and /healthz read it)
        handler = self.server.eio.handlers["connect"]

        def on_eio_connect(eio_sid, environ, *args):
            with self._lock:
                self._pending[eio_sid] = time.monotonic() + self.timeout_s
            return handler(eio_sid, environ, *args)

        self.server.eio.on("connect", on_eio_connect)

    def _joined(self, eio_sid: str) -> bool:
        manager = self.server.manager
        return any(manager.sid_from_eio_sid(eio_sid, namespace) is not None for namespace in list(manager.rooms))

    def sweep(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = [sid for sid, deadline in self._pending.items() if deadline <= now]
            for sid in due:
                del self._pending[sid]
        for eio_sid in due:
            environ = self.server.environ.get(eio_sid)
            if environ is None or self._joined(eio_sid):
                continue
            self.closed += 1
            try:
                self.server.eio.disconnect(eio_sid)
            except Exception:  # already gone
                pass
            # Engine.IO sent its close frame; a client that never answers it would keep the TCP
            # connection (and, under gevent, the websocket's reader) for good: end it here.
            raw = _raw_socket(environ)
            if raw is not None:
                try:
                    raw.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def run(self, stopped) -> None:
        while not stopped():
            self.runtime.sleep(1.0)
            try:
                self.sweep()
            except Exception:
                log.exception("join deadline sweep failed")


def drop_reserved_events(socketio) -> None:
    """Drop client events named `connect` or `disconnect` (python-socketio's reserved names),
    as events nobody handles: no acknowledgement, nothing run."""
    server = socketio.server
    handle = server._handle_event
    reserved = frozenset(server.reserved_events)

    def handle_event(eio_sid, namespace, id, data):
        if isinstance(data, list) and data and isinstance(data[0], str) and data[0] in reserved:
            log.debug("dropped a client event named %r on %s", data[0], namespace)
            return None
        return handle(eio_sid, namespace, id, data)

    server._handle_event = handle_event


def _raw_socket(environ: dict):
    """The TCP socket under a request, from the WSGI servers we run on (gevent's pywsgi,
    werkzeug's, gunicorn's), or None."""
    for key in ("werkzeug.socket", "gunicorn.socket"):
        if environ.get(key) is not None:
            return environ[key]
    wsgi_input = environ.get("wsgi.input")
    rfile = getattr(wsgi_input, "rfile", wsgi_input)
    raw = getattr(rfile, "raw", None)
    return getattr(raw, "_sock", None)
