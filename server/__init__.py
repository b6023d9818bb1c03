"""The queue-ticket and citizen-satisfaction server: `create_app(config=None)`."""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask_socketio import SocketIO

from . import i18n, push, settings, wsock
from .broadcast import Broadcaster
from .migrations import migrate
from .runtime import make_runtime
from .services import Services
from .store import Store

__version__ = "0.1.0"
log = logging.getLogger(__name__)


def _secret_key(instance: Path, configured: str | None) -> str:
    if configured:
        return configured
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, database (migrated), services, Socket.IO, every audience's surface.

    `config` may hold Flask keys (TESTING, ...), `INSTANCE_PATH`, `DATABASE`, `CLOCK` (a function
    returning Unix time, for tests), `async_mode` ("threading" unless given) and any setting
    from `server.settings`. The app's one
    service object is `app.extensions["qms"]` (`server.services.Services`)."""
    config = dict(config or {})
    instance = Path(config.pop("INSTANCE_PATH", None) or Path.cwd() / "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    values = settings.load(instance, config)
    app.config.update({k: v for k, v in config.items() if k.isupper()})
    app.config["SECRET_KEY"] = _secret_key(instance, values["secret_key"])
    app.config["QMS_LANGUAGE"] = values["language"]
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SECURE"] = bool(values["session_cookie_secure"])
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    app.config["MAX_CONTENT_LENGTH"] = int(values["max_request_bytes"])

    # The mode the app's connections are served in: threads unless asked. The server process
    # (`python -m server run`) asks for the `async_mode` setting's; a command, a test or a
    # benchmark building an app in-process serves it on threads.
    async_mode = config.get("async_mode") or "threading"
    store = Store(config.get("DATABASE") or instance / "qms.db",
                  synchronous=values["sqlite_synchronous"], batch_max=int(values["write_batch_max"]))
    store.write(migrate)
    services = Services(store, values, clock=config.get("CLOCK") or time.time, runtime=make_runtime(async_mode))
    app.extensions["qms"] = services

    message_queue = values["message_queue"]
    if app.testing and message_queue:
        raise ValueError("test builds have no message queue: Flask-SocketIO's test client refuses one")
    socketio = SocketIO(
        app, async_mode=async_mode, message_queue=message_queue,
        ping_interval=values["ping_interval"], ping_timeout=values["ping_timeout"],
        max_http_buffer_size=int(values["max_payload_bytes"]), logger=False, engineio_logger=False,
        # Each connection's events run in that connection's own thread or greenlet, one after the
        # other: not a new one per event, which under load piled up into thousands of threads
        # fighting for the GIL until nothing was acknowledged (docs/benchmarks.md, "Server load").
        async_handlers=False,
        # No long-polling: every client of ours speaks websocket, and a polling request that is
        # abandoned or oversized could hold a worker for good (server/web/common/guard.py).
        transports=["websocket"],
    )
    if async_mode == "gevent":
        # Websockets through our own lean RFC 6455 code, not simple-websocket + wsproto (a
        # quarter of the event loop's time under load: server/wsock.py).
        wsock.install(socketio, int(values["max_payload_bytes"]))
    services.socketio = socketio
    services.broadcaster = Broadcaster(socketio, services, int(values["broadcast_interval_ms"]) / 1000.0)
    store.on_commit.append(services.broadcaster.mark)
    services.broadcaster.start()

    i18n.init_app(app)
    from . import web

    web.register(app, socketio, services)
    push.register(services)  # ratings with a dossier code, to the province (a background task)
    hops = int(values["proxy_hops"])
    if hops > 0:
        # Behind nginx or Caddy (docs/security.md): the client's address and scheme come from
        # the proxy's X-Forwarded-* headers, before the connection limit and the sign-in
        # throttle read them. Outermost, so every layer sees the client's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app
