"""Socket.IO acknowledgements: a handler's result as `{"ok": true, ...}`, any error in the one shape."""

from __future__ import annotations

import logging
from functools import wraps

from ...errors import QmsError, error_body

log = logging.getLogger(__name__)


def acked(handler):
    """Turn a handler's result into `{"ok": true, ...}` and any error into the one error shape."""

    @wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            result = handler(*args, **kwargs)
        except QmsError as exc:
            return error_body(exc)
        except Exception:  # never let a bad event take the connection or the server down
            log.exception("socket handler %s failed", handler.__name__)
            return {"ok": False, "error": "internal", "message": "Lỗi hệ thống"}
        return {"ok": True, **(result or {})}

    return wrapper
