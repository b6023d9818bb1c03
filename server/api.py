"""The HTTP JSON API (`/api/...`, `/healthz`), with the same error shape as the sockets."""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, jsonify, request
from flask_wtf.csrf import CSRFError, validate_csrf

from . import protocol
from .engine import counters, officer, tickets
from .errors import BadRequest, Forbidden, NotFound, QmsError
from .principal import Principal, current_principal
from .sockets.display import snapshot as display_snapshot
from .sockets.kiosk import run_counter_action

bp = Blueprint("api", __name__)


def qms():
    return current_app.extensions["qms"]


def _json_body() -> dict:
    if not request.data:
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("nội dung phải là một đối tượng JSON")
    return data


def _caller() -> Principal:
    """The caller; a session (cookie) caller must also send the CSRF token in X-CSRFToken."""
    who = current_principal()
    if who.via == "session" and request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
        except Exception:
            raise Forbidden("Thiếu hoặc sai mã CSRF") from None
    return who


def _officer_at(who: Principal, number: int) -> None:
    """An officer acts only at the counter he is signed in to; a keypad only at its own."""
    if who.kind == "device":
        who.require_device_role("counter")
        if who.row["counter"] != number:
            raise Forbidden(f"Thiết bị này gắn với quầy {who.row['counter']}, không phải quầy {number}")
        return
    row = next(qms().store.read().query("SELECT officer_id FROM counters WHERE number = ?", [number]), None)
    if row is None:
        raise NotFound(f"Quầy số {number} không tồn tại")
    if row["officer_id"] != who.row["id"]:
        raise Forbidden(f"Bạn chưa đăng nhập ở quầy {number}")


@bp.post("/api/tickets")
def issue_ticket():
    who = _caller().require_device_role("ticket")
    body = _json_body()
    body.setdefault("id", str(uuid.uuid4()))
    data = protocol.ticket(body)
    info = qms().write(tickets.issue, ticket_id=data["id"], service=data["service"], priority=data["priority"],
                       device_id=who.row["id"], actor=who.actor)
    return jsonify({"ok": True, "ticket": info}), 201


@bp.get("/api/tickets/<ticket_id>")
def ticket_status(ticket_id: str):
    """Public: a citizen following his ticket (the id is unguessable)."""
    db = qms().store.read()
    row = tickets.get(db, ticket_id)
    if row is None:
        raise NotFound("Không tìm thấy phiếu")
    cfg = qms().cfg()
    ahead = None
    if row["state"] == "waiting":
        ahead = next(db.query(
            """SELECT count(*) AS n FROM tickets WHERE state = 'waiting' AND day = ? AND service = ?
               AND (priority > ? OR (priority = ? AND issued_at < ?))""",
            [row["day"], row["service"], row["priority"], row["priority"], row["issued_at"]]))["n"]
    return jsonify({"ok": True, "ticket": {**tickets.info(db, cfg, row), "waiting_ahead_now": ahead,
                                           "counter": row["counter"]}})


@bp.get("/api/services")
def list_services():
    from .engine import catalog

    db = qms().store.read()
    return jsonify({"ok": True, "services": [
        {"code": s["code"], "name": s["name_vi"], "name_en": s["name_en"], "prefix": s["prefix"],
         "counters": catalog.counters_serving(db, s["code"])} for s in catalog.services(db)]})


@bp.get("/api/display")
def display():
    return jsonify({"ok": True, **display_snapshot(qms())})


@bp.get("/api/counters/<int:number>")
def counter_view(number: int):
    who = _caller()
    if who.kind == "user" and who.role == "officer":
        _officer_at(who, number)
    elif who.kind == "device":
        _officer_at(who, number)
    # The console's view: the counter's plus the officer's own figures for today (ratings only
    # once their window has closed, as totals).
    v = qms().version()  # read before the view is built, like the pushed views
    view = officer.console_view(qms().store.read(), qms().cfg(), qms().now(), number)
    return jsonify({"ok": True, "counter": view | {"v": v}})


@bp.post("/api/counters/<int:number>/sign-in")
def sign_in(number: int):
    who = _caller()
    if who.kind != "user":
        raise Forbidden("Chỉ cán bộ mới đăng nhập vào quầy")
    result = qms().write(lambda db, cfg, now: counters.sign_in(db, now, number, who.row, actor=who.actor))
    return jsonify({"ok": True, **result})


@bp.post("/api/counters/<int:number>/sign-out")
def sign_out(number: int):
    who = _caller()
    if who.kind != "user":
        raise Forbidden()
    force = who.role in ("supervisor", "admin")
    result = qms().write(lambda db, cfg, now: counters.sign_out(db, now, number, who.row, actor=who.actor, force=force))
    return jsonify({"ok": True, **result})


@bp.post("/api/counters/<int:number>/<action>")
def counter_action(number: int, action: str):
    who = _caller()
    if action not in counters.ACTIONS:
        raise NotFound(f"Thao tác '{action}' không tồn tại; dùng một trong: {', '.join(counters.ACTIONS)}")
    _officer_at(who, number)
    data = protocol.counter_action({**_json_body(), "action": action})
    result = run_counter_action(qms(), number, data, actor=who.actor)
    if result.get("call"):
        current_app.extensions["qms_emit_call"](result["call"])
    return jsonify({"ok": True, "result": result})


@bp.get("/healthz")
def healthz():
    db = qms().store.read()
    db.execute("SELECT 1").fetchone()
    return jsonify({"ok": True, "time": qms().cfg().iso(qms().now()), "db": "ok"})


def handle_error(exc: QmsError):
    from .i18n import localized_message

    return jsonify({"ok": False, "error": exc.code, "message": localized_message(exc)}), exc.http_status


def register_errors(app) -> None:
    """Every error under /api and /healthz answers in the one JSON shape."""
    app.register_error_handler(QmsError, handle_error)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return handle_error(Forbidden("Thiếu hoặc sai mã CSRF"))

    for status, cls in ((404, NotFound), (405, BadRequest), (400, BadRequest)):
        def handler(exc, cls=cls, status=status):
            if request.path.startswith("/api/") or request.path == "/healthz":
                err = cls("Không tìm thấy" if status == 404 else "Yêu cầu không hợp lệ")
                err.http_status = status
                return handle_error(err)
            return exc
        app.register_error_handler(status, handler)

    @app.errorhandler(500)
    def internal(exc):
        return jsonify({"ok": False, "error": "internal", "message": "Lỗi hệ thống"}), 500
