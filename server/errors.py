"""The project's exceptions. Each has a wire `code` and also subclasses a builtin.

Surfaces turn any `QmsError` into the one JSON error shape
`{"ok": false, "error": code, "message": text}`; `message` is Vietnamese by default.

An error may carry a message id (`msgid`, a Vietnamese gettext template) and its `params`: its
message is then `msgid % params`, and server/i18n.py gives English callers the English
translation of the same template (server/translations/en/LC_MESSAGES/messages.po) rather than
the generic text of the code. server/wire builds its BadRequests that way.
"""

from __future__ import annotations


class QmsError(Exception):
    """Base of every error the server reports to a client."""

    code = "internal"
    http_status = 500

    def __init__(self, message: str | None = None, *, msgid: str | None = None, **params):
        self.msgid = msgid
        self.params = params
        if message is None and msgid is not None:
            message = msgid % params
        super().__init__(message or self.default_message())

    def default_message(self) -> str:
        return "Lỗi hệ thống"

    @property
    def message(self) -> str:
        return str(self)


class BadRequest(QmsError, ValueError):
    code, http_status = "bad_request", 400

    def default_message(self):
        return "Yêu cầu không hợp lệ"


class TooLarge(BadRequest):
    code, http_status = "too_large", 413

    def default_message(self):
        return "Yêu cầu quá lớn"


class Busy(QmsError, RuntimeError):
    """The server is past its capacity: nothing was done; try again after a pause."""

    code, http_status = "busy", 503

    def default_message(self):
        return "Máy chủ đang quá tải; vui lòng thử lại sau giây lát"


class Unauthorized(QmsError, PermissionError):
    code, http_status = "unauthorized", 401

    def default_message(self):
        return "Chưa xác thực hoặc mã truy cập không đúng"


class Forbidden(QmsError, PermissionError):
    code, http_status = "forbidden", 403

    def default_message(self):
        return "Không có quyền thực hiện thao tác này"


class NotFound(QmsError, LookupError):
    code, http_status = "not_found", 404

    def default_message(self):
        return "Không tìm thấy"


class UnknownService(NotFound):
    code = "unknown_service"

    def default_message(self):
        return "Lĩnh vực không tồn tại hoặc đã ngừng"


class UnknownCounter(NotFound):
    code = "unknown_counter"

    def default_message(self):
        return "Quầy không tồn tại"


class Conflict(QmsError, RuntimeError):
    """A request that is valid but not in the current state of the queue."""

    code, http_status = "conflict", 409


class ServiceClosed(Conflict):
    code = "service_closed"

    def default_message(self):
        return "Lĩnh vực đang ngoài giờ tiếp nhận"


class DailyLimit(Conflict):
    code = "daily_limit"

    def default_message(self):
        return "Lĩnh vực đã hết số trong ngày"


class IllegalTransition(Conflict):
    """A counter action that the state of the counter or ticket does not allow."""

    code = "illegal_transition"

    def default_message(self):
        return "Thao tác không hợp lệ ở trạng thái hiện tại"


class CounterPaused(IllegalTransition):
    code = "counter_paused"

    def default_message(self):
        return "Quầy đang tạm nghỉ"


class NoTicketInHand(IllegalTransition):
    code = "no_ticket"

    def default_message(self):
        return "Quầy không có số nào đang phục vụ"


class TicketInHand(IllegalTransition):
    code = "ticket_in_hand"

    def default_message(self):
        return "Quầy đang phục vụ một số; hãy hoàn thành trước"


class QueueEmpty(IllegalTransition):
    code = "queue_empty"

    def default_message(self):
        return "Không còn số nào đang chờ"


class CounterBusy(Conflict):
    code = "counter_busy"

    def default_message(self):
        return "Quầy đang có cán bộ khác đăng nhập"


class IdempotencyConflict(Conflict):
    """The same idempotency key was sent again with a different payload."""

    code = "id_conflict"

    def default_message(self):
        return "Mã sự kiện đã được dùng cho một yêu cầu khác"


class StorageError(QmsError, OSError):
    """The database could not commit (disk full, I/O error): nothing was acknowledged."""

    code, http_status = "internal", 503

    def default_message(self):
        return "Không ghi được dữ liệu; vui lòng thử lại"


def error_body(exc: QmsError, message: str | None = None) -> dict:
    """The one JSON error shape used by every surface."""
    return {"ok": False, "error": exc.code, "message": message or exc.message}
