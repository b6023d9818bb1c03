"""The supervisors' live board, `/board`, and its small JSON API.

The page is a shell holding today's snapshot; it then follows the `/board` Socket.IO namespace
(namespace.py), which pushes a new snapshot within a second of every change. An alert
is acknowledged with `POST /api/board/alerts/<id>/ack` (session + CSRF header, or an API token).
Only supervisors and admins see any of it.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ...engine import alerts
from ..common.pages import with_lang
from ..common.principal import api_caller, current_principal
from .namespace import ROLES, snapshot


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


def register(app, socketio, qms, csrf) -> None:
    """Attach /board and /api/board."""
    bp = Blueprint("board", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/static/board")

    @bp.get("/board")
    def page():
        who = current_principal(required=False)
        if who is None or who.via != "session":
            return redirect(with_lang(url_for("login.login_page", next=request.full_path.rstrip("?"))))
        if who.role not in ROLES:
            return render_template("refused.html"), 403
        boot = {"snapshot": snapshot(qms), "lang": str(get_locale()), "user": who.row["username"]}
        return render_template("board/board.html", boot=boot, strings=strings(), me=who.row)

    @bp.get("/api/board")
    def api_snapshot():
        current_principal().require_role(*ROLES)
        return jsonify({"ok": True, **snapshot(qms)})

    @bp.post("/api/board/alerts/<int:alert_id>/ack")
    def api_ack(alert_id: int):
        who = api_caller().require_role(*ROLES)
        alert = qms.write(alerts.acknowledge, alert_id=alert_id, user=who.row)
        return jsonify({"ok": True, "alert": alert})

    csrf.exempt(api_ack)  # checked above for session callers; API tokens need none
    app.register_blueprint(bp)

