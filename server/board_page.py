"""The supervisors' live board, `/board`, its small JSON API, and the start of the alerts' work.

The page is a shell holding today's snapshot; it then follows the `/board` Socket.IO namespace
(server/sockets/board.py), which pushes a new snapshot within a second of every change. An alert
is acknowledged with `POST /api/board/alerts/<id>/ack` (session + CSRF header, or an API token).
Only supervisors and admins see any of it.
"""

from __future__ import annotations

import logging
import threading

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf

from .engine import alerts
from .errors import Forbidden, QmsError
from .login import with_lang
from .principal import current_principal
from .sockets import board as board_socket
from .sockets.board import snapshot

log = logging.getLogger(__name__)

ROLES = ("supervisor", "admin")


def strings() -> dict:
    """The board's words for its script, in the page's language; placeholders are QMS.fmt's
    `{name}` (server/static/qms.js), not Python's."""
    return {
        "open": _("Đang mở"), "paused": _("Tạm nghỉ"), "no_officer": _("Chưa có cán bộ"),
        "idle": _("Đang trống"), "called": _("Đã gọi"), "serving": _("Đang phục vụ"),
        "online": _("Trực tuyến"), "offline": _("Mất kết nối"), "never": _("Chưa kết nối"),
        "printer": {"ok": _("Bình thường"), "paper_low": _("Sắp hết giấy"), "paper_out": _("Hết giấy"),
                    "offline": _("Máy in mất kết nối"), "none": _("Không có máy in")},
        "roles": {"ticket": _("Máy lấy số"), "rating": _("Đánh giá"), "display": _("Màn hình"),
                  "counter": _("Bàn phím quầy")},
        "ack": _("Đã biết"), "acked_by": _("Đã xác nhận: {who} lúc {at}"),
        "closed_at": _("Tự đóng lúc {at}"), "opened_at": _("Từ {at}"),
        "no_alerts": _("Không có cảnh báo."),
        "alert": {
            "low_ratings": _("Quầy {counter}: {low}/{n} đánh giá không hài lòng trong {window_min} phút"),
            "long_wait": _("{service_name}: số {code} đã chờ quá {limit_min} phút"),
            "device_offline": _("Thiết bị {name} mất kết nối từ {last_seen}"),
            "paper_out": _("Thiết bị {name}: máy in hết giấy"),
            "stray_presses": _("Thiết bị {device} (quầy {counter}): {n} lần bấm không gắn với phiếu nào trong {window_min} phút"),
        },
        "officer_suffix": _(" — cán bộ {officer}"),
        "link_ok": _("Đang cập nhật trực tiếp"), "link_lost": _("Mất kết nối — đang thử lại…"),
        "refused": _("Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại."),
        "ack_failed": _("Không xác nhận được cảnh báo: {msg}"),
        "minutes": _("{n} phút"), "none": "—", "recall": _("gọi lại"), "waiting_n": _("{n} đang chờ"),
        "since": _("từ {at}"), "to_counter": _("quầy {counter}"),
        "rating_note": _("Đánh giá được tính {n} · tỷ lệ phản hồi {rate} · bấm không gắn phiếu {stray} · bấm trùng {dup}"),
    }


def start_alerts(app, socketio, qms) -> None:
    """Evaluate alerts after every commit and on a ticker, from the first request the server
    serves on. Not before: a command-line tool (`python -m server add-user`) builds the same app
    and exits at once, and a thread still inside SQLite while the interpreter shuts down can crash
    it."""
    started = threading.Event()
    lock = threading.Lock()

    def start() -> None:
        if not started.is_set():
            with lock:
                if not started.is_set():
                    started.set()
                    socketio.start_background_task(board_socket.ticker, qms)

    # The server process starts it at once (`python -m server run`); otherwise the first request.
    app.extensions["qms_start_background"] = start

    @app.before_request
    def _start_alert_ticker():
        start()

    def after_commit():
        if started.is_set():
            try:
                board_socket.check_alerts(qms)
            except QmsError:
                log.exception("alert evaluation failed")

    qms.broadcaster.add(after_commit)


def register(app, socketio, qms, csrf) -> None:
    """Attach /board and /api/board, and start the alerts' work."""
    bp = Blueprint("board", __name__)
    start_alerts(app, socketio, qms)

    @bp.context_processor
    def _helpers():
        return {"get_locale": get_locale, "with_lang": with_lang}

    @bp.get("/board")
    def page():
        who = current_principal(required=False)
        if who is None or who.via != "session":
            return redirect(with_lang(url_for("login.login_page", next=request.full_path.rstrip("?"))))
        if who.role not in ROLES:
            return render_template("board/refused.html"), 403
        boot = {"snapshot": snapshot(qms), "lang": str(get_locale()), "user": who.row["username"]}
        return render_template("board/board.html", boot=boot, strings=strings(), me=who.row)

    @bp.get("/api/board")
    def api_snapshot():
        current_principal().require_role(*ROLES)
        return jsonify({"ok": True, **snapshot(qms)})

    @bp.post("/api/board/alerts/<int:alert_id>/ack")
    def api_ack(alert_id: int):
        who = current_principal().require_role(*ROLES)
        if who.via == "session":
            try:
                validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
            except Exception:
                raise Forbidden("Thiếu hoặc sai mã CSRF") from None
        alert = qms.write(alerts.acknowledge, alert_id=alert_id, user=who.row)
        return jsonify({"ok": True, "alert": alert})

    csrf.exempt(api_ack)  # checked above for session callers; API tokens need none
    app.register_blueprint(bp)

