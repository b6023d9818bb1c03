"""The HTTP JSON API (`/api/...`, `/healthz`), with the same error shape as the sockets."""

from __future__ import annotations


from flask import Blueprint, current_app, jsonify, request

from ... import wire
from ...engine import catalog, counters, officer, requests, tickets, views
from ...errors import BadRequest, Forbidden, NotFound
from ..common.principal import Principal, api_caller

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


def _officer_at(who: Principal, number: int) -> None:
    """An officer acts only at the counter he is signed in to; a keypad only at its own."""
    if who.kind == "device":
        who.require_device_role("counter")
        if who.row["counter"] != number:
            raise Forbidden(f"Thiết bị này gắn với quầy {who.row['counter']}, không phải quầy {number}")
        return
    if counters.officer_at(qms().store.read(), number) != who.row["id"]:
        raise Forbidden(f"Bạn chưa đăng nhập ở quầy {number}")


@bp.post("/api/tickets")
def issue_ticket():
    who = api_caller().require_device_role("ticket")
    data = wire.parse(wire.TicketBody, _json_body())
    info = qms().write(tickets.issue, ticket_id=data.id, service=data.service, priority=data.priority,
                       device_id=who.row["id"], actor=who.actor)
    return jsonify({"ok": True, "ticket": info}), 201


@bp.get("/api/tickets/<ticket_id>")
def ticket_status(ticket_id: str):
    """Public: a citizen following his ticket (the id is unguessable)."""
    return jsonify({"ok": True, "ticket": tickets.status(qms().store.read(), qms().cfg(), ticket_id)})


@bp.get("/api/services")
def list_services():
    return jsonify({"ok": True, "services": catalog.listing(qms().store.read())})


@bp.get("/api/display")
def display():
    services = qms()
    return jsonify({"ok": True, **views.display_snapshot(services.store.read(), services.cfg(), services.now())})


@bp.get("/api/counters/<int:number>")
def counter_view(number: int):
    who = api_caller()
    if who.kind == "user" and who.role == "officer":
        _officer_at(who, number)
    elif who.kind == "device":
        _officer_at(who, number)
    # The console's view: the counter's plus the officer's own figures for today (ratings only
    # once their window has closed, as totals).
    services = qms()
    v = services.version()
    view = officer.console_view(services.store.read(), services.cfg(), services.now(), number)
    return jsonify({"ok": True, "counter": {**view, "v": v}})


@bp.post("/api/counters/<int:number>/sign-in")
def sign_in(number: int):
    who = api_caller()
    if who.kind != "user":
        raise Forbidden("Chỉ cán bộ mới đăng nhập vào quầy")
    result = qms().write(counters.sign_in, number=number, user=who.row, actor=who.actor)
    return jsonify({"ok": True, **result})


@bp.post("/api/counters/<int:number>/sign-out")
def sign_out(number: int):
    who = api_caller()
    if who.kind != "user":
        raise Forbidden()
    force = who.role in ("supervisor", "admin")
    result = qms().write(counters.sign_out, number=number, user=who.row, actor=who.actor, force=force)
    return jsonify({"ok": True, **result})


@bp.post("/api/counters/<int:number>/<action>")
def counter_action(number: int, action: str):
    who = api_caller()
    if action not in counters.ACTIONS:
        raise NotFound(f"Thao tác '{action}' không tồn tại; dùng một trong: {', '.join(counters.ACTIONS)}")
    _officer_at(who, number)
    data = wire.parse(wire.CounterAction, {**_json_body(), "action": action})
    result, seq = qms().write_versioned(
        requests.counter_action, number=number, action=data.action, request_id=data.id, actor=who.actor,
        ticket=data.ticket, service=data.service, dossier_code=data.dossier_code)
    if result.get("call"):
        result["call"] = qms().announce_call(result["call"], seq)
    return jsonify({"ok": True, "result": result})


@bp.get("/healthz")
def healthz():
    """For a supervisor's monitoring: 200 when the server can take writes, 503 when it cannot (the
    last write the disk refused has not been followed by a whole commit, or the disk is nearly
    full), with the reason."""
    services = qms()
    health = services.health()
    return jsonify({"ok": health["ok"], "time": services.cfg().iso(services.now()), **health}), \
        200 if health["ok"] else 503


def register(app, socketio, services, csrf) -> None:
    csrf.exempt(bp)  # the API checks CSRF itself for session callers; tokens need none
    app.register_blueprint(bp)
