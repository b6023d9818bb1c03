"""The queue-ticket and citizen-satisfaction server: `create_app(config=None)`."""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect

from . import events, i18n, settings
from .core import Broadcaster, Qms
from .schema import migrate
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
    """Build the app: settings, database (migrated), Socket.IO, blueprints.

    `config` may hold Flask keys (TESTING, ...), `INSTANCE_PATH`, `DATABASE`, `CLOCK` (a function
    returning Unix time, for tests) and any setting from `server.settings`."""
    config = dict(config or {})
    instance = Path(config.pop("INSTANCE_PATH", None) or Path.cwd() / "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    values = settings.load(instance, config)
    app.config.update({k: v for k, v in config.items() if k.isupper()})
    app.config["SECRET_KEY"] = _secret_key(instance, values["secret_key"])
    app.config["QMS_LANGUAGE"] = values["language"]
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)

    store = Store(config.get("DATABASE") or instance / "qms.db",
                  synchronous=values["sqlite_synchronous"], batch_max=int(values["write_batch_max"]))
    store.write(migrate)
    qms = Qms(store, values, clock=config.get("CLOCK") or time.time)
    app.extensions["qms"] = qms

    message_queue = values["message_queue"]
    if app.testing and message_queue:
        raise ValueError("test builds have no message queue: Flask-SocketIO's test client refuses one")
    socketio = SocketIO(
        app, async_mode="threading", message_queue=message_queue,
        ping_interval=values["ping_interval"], ping_timeout=values["ping_timeout"],
        max_http_buffer_size=int(values["max_payload_bytes"]), logger=False, engineio_logger=False,
        # Each connection's events run in that connection's own thread, one after the other: not a
        # new thread per event, which under load piled up into thousands of threads fighting for
        # the GIL until nothing was acknowledged (docs/benchmarks.md, "Server load").
        async_handlers=False,
    )
    qms.broadcaster = Broadcaster(socketio, int(values["broadcast_interval_ms"]) / 1000.0)
    store.on_commit.append(qms.broadcaster.mark)

    def emit_call(call: dict) -> None:
        """Announce a call at once to displays and boards (snapshots follow, coalesced).

        `call` carries its `id` (the calls row) and `v` (`{"boot", "seq"}` of the commit that made
        it), so a page can tell it from the same call in a snapshot (docs/protocol.md)."""
        if "v" not in call:  # a caller that did not know the commit: no older than now
            call = call | {"v": store.stamp()}
        socketio.emit(events.CALLED, call, namespace=events.DISPLAY)
        socketio.emit(events.CALLED, call, namespace=events.BOARD, to="supervisors")

    app.extensions["qms_emit_call"] = emit_call

    i18n.init_app(app)
    login = LoginManager(app)
    from .principal import load_user

    login.user_loader(load_user)
    csrf = CSRFProtect(app)

    from . import api
    from .sockets import board, display, kiosk

    csrf.exempt(api.bp)  # the API checks CSRF itself for session callers; tokens need none
    app.register_blueprint(api.bp)
    api.register_errors(app)
    kiosk.register(socketio, qms, emit_call)
    display.register(socketio, qms)
    board.register(socketio, qms)
    for register in _surfaces():
        register(app, socketio, qms, csrf)

    app.extensions["qms_close"] = lambda: (qms.broadcaster.stop(), store.close())
    return app


def _surfaces():
    """Page surfaces (display, counter console, board, reports) register themselves here."""
    from . import pages

    return pages.registrations()
