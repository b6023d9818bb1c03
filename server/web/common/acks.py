"""Socket.IO acknowledgements: a handler's result as `{"ok": true, ...}`, any error in the one shape."""

from __future__ import annotations

import logging
from functools import wraps

from flask import current_app, has_request_context, request

from ...errors import QmsError, error_body
from .clienterrors import describe

log = logging.getLogger(__name__)


def _report(exc: Exception, name: str) -> None:
    """An unexpected failure of a handler: logged once per client address, then counted
    (server/web/common/clienterrors.py), so that a client repeating it cannot flood the log."""
    errors = getattr(current_app.extensions.get("qms"), "client_errors", None) if has_request_context() else None
    if errors is None:
        log.exception("socket handler %s failed", name)
        return
    errors.report(request.remote_addr, getattr(request, "sid", None), describe(exc, f"socket handler {name}"))


def acked(handler):
    """Turn a handler's result into `{"ok": true, ...}` and any error into the one error shape."""

    @wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            result = handler(*args, **kwargs)
        except QmsError as exc:
            return error_body(exc)
        except Exception as exc:  # never let a bad event take the connection or the server down
            _report(exc, handler.__name__)
            return {"ok": False, "error": "internal", "message": "Lỗi hệ thống"}
        return {"ok": True, **(result or {})}

    return wrapper
