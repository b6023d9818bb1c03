"""The `/kiosk` namespace: ticket and rating terminals (docs/protocol.md)."""

from __future__ import annotations

import json

from flask import request
from socketio.exceptions import ConnectionRefusedError as Refused

from .. import auth, events, protocol
from ..engine import counters, ratings, sql, tickets
from ..errors import Forbidden, Unauthorized
from . import acked


def _set_online(db, now, *, device_id: str, online: bool, status: dict | None = None):
    fields = {"online": int(online), "last_seen": now}
    if status is not None:
        fields["last_status"] = json.dumps(status, ensure_ascii=False)
    db["devices"].update(device_id, fields)


def register(socketio, qms, emit_call) -> None:
    """Attach the kiosk handlers; `emit_call(call)` announces a call to displays and boards."""

    def device() -> dict:
        # Re-read on every event: a revoked token or a new counter binding takes effect at once.
        conn = qms.connections.get(request.sid)
        if conn is None:
            raise Unauthorized("unauthorized")
        row = sql.first(qms.store.read(), "SELECT * FROM devices WHERE id = ? AND active = 1", [conn["device"]])
        if row is None:
            raise Unauthorized("unauthorized")
        row["roles"] = json.loads(row["roles"])
        return row

    def require(role: str) -> dict:
        dev = device()
        if role not in dev["roles"]:
            raise Forbidden(f"Thiết bị {dev['id']} không có vai trò '{role}'")
        return dev

    @socketio.on("connect", namespace=events.KIOSK)
    def on_connect(auth_payload=None):
        payload = auth_payload if isinstance(auth_payload, dict) else {}
        try:
            dev = auth.device_by_credentials(qms.store.read(), payload.get("device"), payload.get("token"))
        except Unauthorized:
            # python-socketio's own exception: the builtin one of the same name reaches the
            # client as "Connection refused by server", not as `unauthorized`.
            raise Refused(events.UNAUTHORIZED)
        qms.connections[request.sid] = {"device": dev["id"], "namespace": events.KIOSK}
        qms.admin(_set_online, device_id=dev["id"], online=True)

    @socketio.on("disconnect", namespace=events.KIOSK)
    def on_disconnect(*_reason):
        conn = qms.connections.pop(request.sid, None)
        if conn is None:
            return
        still = any(c.get("device") == conn["device"] for c in list(qms.connections.values()))
        if not still:
            qms.admin(_set_online, device_id=conn["device"], online=False)

    @socketio.on(events.TICKET, namespace=events.KIOSK)
    @acked
    def on_ticket(*args):
        data = protocol.ticket(protocol.single(args))
        dev = require("ticket")
        info = qms.write(tickets.issue, ticket_id=data["id"], service=data["service"],
                         priority=data["priority"], device_id=dev["id"], actor=f"device:{dev['id']}")
        return {"ticket": info}

    @socketio.on(events.RATING, namespace=events.KIOSK)
    @acked
    def on_rating(*args):
        data = protocol.rating(protocol.single(args))
        dev = require("rating")
        result = qms.write(ratings.record, rating_id=data["id"], device=dev, score=data["score"],
                           age_ms=data["age_ms"], actor=f"device:{dev['id']}")
        return {"duplicate": result["duplicate"], "status": result["status"]}

    @socketio.on(events.STATUS, namespace=events.KIOSK)
    @acked
    def on_status(*args):
        data = protocol.status(protocol.single(args))
        dev = device()
        qms.admin(_set_online, device_id=dev["id"], online=True, status=data)
        return {}

    @socketio.on(events.PRINT_FAILED, namespace=events.KIOSK)
    @acked
    def on_print_failed(*args):
        data = protocol.print_failed(protocol.single(args))
        dev = require("ticket")
        return qms.write(tickets.cancel_unprinted, ticket_id=data["ticket_id"], reason=data["reason"],
                         device_id=dev["id"], actor=f"device:{dev['id']}")

    @socketio.on(events.COUNTER_ACTION, namespace=events.KIOSK)
    @acked
    def on_counter_action(*args):
        data = protocol.counter_action(protocol.single(args))
        dev = require("counter")
        result = run_counter_action(qms, dev["counter"], data, actor=f"device:{dev['id']}")
        if result.get("call"):
            emit_call(result["call"])
        return {"result": result}


def run_counter_action(qms, number: int, data: dict, *, actor: str) -> dict:
    """Apply a counter action once: a repeated request `id` returns the first result."""
    request_id = data.get("id")

    def job(db, cfg, now):
        if request_id:
            rows = list(db.query("SELECT result FROM action_requests WHERE id = ?", [request_id]))
            if rows:
                return {**json.loads(rows[0]["result"]), "replay": True}
        result = counters.act(db, cfg, now, number, data["action"], actor=actor, ticket=data.get("ticket"),
                              service=data.get("service"), dossier_code=data.get("dossier_code"))
        if request_id:
            db["action_requests"].insert({"id": request_id, "at": now, "actor": actor,
                                          "result": json.dumps(result, ensure_ascii=False)})
        return result

    result, seq = qms.write_versioned(job)
    if result.get("replay"):
        result = {k: v for k, v in result.items() if k != "call"} | {"replay": True}
    elif result.get("call"):
        # The call's `id` is its calls row; `v` the commit that made it (docs/protocol.md).
        result["call"] = result["call"] | {"v": qms.store.stamp(seq)}
    return result
