"""The one JSON error shape over HTTP: `{"ok": false, "error": CODE, "message": TEXT}`.

Every `QmsError` raised by a route answers in it, in the caller's language; so do Flask's own
400, 404, 405 and 413 under `/api/` and `/healthz` (pages keep their HTML error pages)."""

from __future__ import annotations

from flask import jsonify, request
from flask_wtf.csrf import CSRFError

from ...errors import BadRequest, Forbidden, NotFound, QmsError, TooLarge
from ...i18n import localized_message
from .http import BadPathValue


def handle_error(exc: QmsError):
    return jsonify({"ok": False, "error": exc.code, "message": localized_message(exc)}), exc.http_status


def _json_path() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def register(app) -> None:
    app.register_error_handler(QmsError, handle_error)

    @app.errorhandler(BadPathValue)
    def bad_path_value(exc):
        if _json_path():
            return handle_error(exc.error)
        return exc

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return handle_error(Forbidden("Thiếu hoặc sai mã CSRF"))

    for status, cls in ((404, NotFound), (405, BadRequest), (400, BadRequest), (413, TooLarge)):
        def handler(exc, cls=cls, status=status):
            if _json_path() or status == 413:
                err = cls()
                err.http_status = status
                return handle_error(err)
            return exc
        app.register_error_handler(status, handler)

    @app.errorhandler(500)
    def internal(exc):
        return jsonify({"ok": False, "error": "internal", "message": "Lỗi hệ thống"}), 500
