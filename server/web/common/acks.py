"""Socket.IO acknowledgements: a handler's result as `{"ok": true, ...}`, any error in the one shape."""

from __future__ import annotations

import logging
from functools import wraps

from flask import current_app, has_request_context, request

from ...errors import QmsError, error_body
from .clienterrors import describe

log = logging.getLogger(__name__)


def report_in_request(exc: Exception, name: str) -> None:
    """An unexpected failure of a handler run by Flask-SocketIO: logged once per client address,
    then counted (server/web/common/clienterrors.py), so that a client repeating it cannot flood
    the log. Call it from an `except` block."""
    errors = getattr(current_app.extensions.get("qms"), "client_errors", None) if has_request_context() else None
    if errors is None:
        log.exception("socket handler %s failed", name)
        return
    errors.report(request.remote_addr, getattr(request, "sid", None), describe(exc, f"socket handler {name}"))


def reporter(errors, address: str | None, connection: str | None):
    """`report(exc, name)` for a handler run outside a Flask request (server/web/kiosk/direct.py)."""

    def report(exc: Exception, name: str) -> None:
        errors.report(address, connection, describe(exc, f"socket handler {name}"))

    return report


def answer(handler, report, *args) -> dict:
    """`handler(*args)`'s result as `{"ok": true, ...}`, any error in the one error shape; an
    unexpected one is given to `report(exc, name)`."""
    try:
        result = handler(*args)
    except QmsError as exc:
        return error_body(exc)
    except Exception as exc:  # never let a bad event take the connection or the server down
        report(exc, handler.__name__)
        return {"ok": False, "error": "internal", "message": "Lỗi hệ thống"}
    return {"ok": True, **(result or {})}


def acked(handler):
    """Turn a handler's result into `{"ok": true, ...}` and any error into the one error shape."""

    @wraps(handler)
    def wrapper(*args, **kwargs):
        return answer(lambda: handler(*args, **kwargs), lambda exc, _name: report_in_request(exc, handler.__name__))

    return wrapper
