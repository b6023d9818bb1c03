"""The `/kiosk` namespace: ticket kiosks, rating terminals and counter keypads (docs/protocol.md).

Every event is acknowledged: `{"ok": true, ...}` only after its change is committed, or the one
error shape. The device is looked up in memory on every event (`Services.device`), so a revoked
token or a new counter binding takes effect at the next event without a read per event.

The events' handlers take the connection's id as an argument and need no Flask request: the
devices' events are the server's hot path, and `server/web/kiosk/direct.py` runs them straight
from the Engine.IO message, without python-socketio's packet objects and Flask-SocketIO's request
context per event (a third of a durable event's CPU). The `on_*` methods are the same handlers
for any packet that path leaves to Flask-SocketIO.
"""

from __future__ import annotations

import threading
import time

from flask import request
from flask_socketio import Namespace
from socketio.exceptions import ConnectionRefusedError as Refused

from ... import auth, events, wire
from ...engine import devices, ratings, requests, tickets
from ...errors import Busy, Forbidden, Unauthorized
from ..common.acks import answer, report_in_request


class RateLimit:
    """A token bucket per device: `rate` events a second on average, `burst` at once.

    O(1) per event; one entry per connected device (dropped when its last connection closes),
    so it grows with the devices the center has, never with what a client sends."""

    def __init__(self, rate: float, burst: float, clock=time.monotonic):
        self.rate, self.burst, self.clock = float(rate), float(max(burst, 1)), clock
        self._buckets: dict[str, list[float]] = {}  # device id -> [tokens, at]
        self._lock = threading.Lock()
        self.refused = 0  # events answered busy for their rate (tests, /healthz)

    def take(self, device_id: str) -> None:
        """Spend one token of the device's bucket; Busy when it is empty (nothing is done)."""
        if self.rate <= 0:
            return
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(device_id)
            if bucket is None:
                bucket = self._buckets[device_id] = [self.burst, now]
            tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
            if tokens < 1.0:
                bucket[0] = tokens
                self.refused += 1
                raise Busy("Thiết bị gửi quá nhiều sự kiện; vui lòng thử lại sau giây lát")
            bucket[0] = tokens - 1.0

    def forget(self, device_id: str) -> None:
        with self._lock:
            self._buckets.pop(device_id, None)

    def __len__(self) -> int:
        return len(self._buckets)


class KioskNamespace(Namespace):
    def __init__(self, services):
        super().__init__(events.KIOSK)
        self.services = services
        self.rate = RateLimit(float(services.setting("device_events_per_s")),
                              float(services.setting("device_events_burst")))

    # -- who is calling ----------------------------------------------------------------------
    def device(self, sid: str) -> dict:
        """The connection's device, still active and with the token it connected with; and one
        event spent from its rate (busy past it)."""
        conn = self.services.connections.get(sid)
        dev = self.services.device(conn["device"]) if conn is not None else None
        if dev is None or dev["token_hash"] != conn.get("token_hash"):
            raise Unauthorized("unauthorized")
        self.rate.take(dev["id"])
        return dev

    def require(self, sid: str, role: str) -> dict:
        dev = self.device(sid)
        if role not in dev["roles"]:
            raise Forbidden(f"Thiết bị {dev['id']} không có vai trò '{role}'")
        return dev

    # -- connection --------------------------------------------------------------------------
    def on_connect(self, auth_payload=None):
        payload = auth_payload if isinstance(auth_payload, dict) else {}
        try:
            dev = auth.device_by_credentials(self.services.store.read(), payload.get("device"), payload.get("token"),
                                             self.services.now())
        except Unauthorized:
            # python-socketio's own exception: the builtin one of the same name reaches the
            # client as "Connection refused by server", not as `unauthorized`.
            raise Refused(events.UNAUTHORIZED)
        self.services.device_connected(request.sid, dev, events.KIOSK)

    def on_disconnect(self, *_reason):
        gone = self.services.device_left(request.sid)
        if gone is not None:
            self.rate.forget(gone)

    # -- events ------------------------------------------------------------------------------
    def answer(self, sid: str, event: str, args: tuple, report) -> dict | None:
        """The acknowledgement of one event of connection `sid`: `{"ok": true, ...}` or the one
        error shape; None for an event this namespace does not know. `report(exc, name)` is told
        of a handler's unexpected failure."""
        handler = self.handlers.get(event)
        if handler is None:
            return None
        return answer(handler, report, self, sid, *args)

    def ticket(self, sid, *args):
        self.services.admit()
        data = wire.parse(wire.Ticket, wire.single(args))
        dev = self.require(sid, "ticket")
        info = self.services.write(tickets.issue, ticket_id=data.id, service=data.service, priority=data.priority,
                                   device_id=dev["id"], actor=f"device:{dev['id']}")
        return {"ticket": info}

    def rating(self, sid, *args):
        self.services.admit()
        data = wire.parse(wire.Rating, wire.single(args))
        dev = self.require(sid, "rating")
        result = self.services.write(ratings.record, rating_id=data.id, device=dev, score=data.score,
                                     age_ms=data.age_ms, actor=f"device:{dev['id']}")
        return {"duplicate": result["duplicate"], "status": result["status"]}

    def status(self, sid, *args):
        data = wire.parse(wire.Status, wire.single(args))
        dev = self.device(sid)
        self.services.write(devices.set_online, device_id=dev["id"], online=True, status=data.model_dump())
        # The center's settings for the device's buttons ride on the answer: a kiosk reports its
        # status on every connection, so it always has them (an event emitted from the connect
        # handler would reach the client before the namespace's CONNECT packet).
        return {"config": self.services.device_config()}

    def print_failed(self, sid, *args):
        self.services.admit()
        data = wire.parse(wire.PrintFailed, wire.single(args))
        dev = self.require(sid, "ticket")
        return self.services.write(tickets.cancel_unprinted, ticket_id=data.ticket_id, reason=data.reason,
                                   device_id=dev["id"], actor=f"device:{dev['id']}")

    def counter_action(self, sid, *args):
        self.services.admit()
        data = wire.parse(wire.CounterAction, wire.single(args))
        dev = self.require(sid, "counter")
        result, seq = self.services.write_versioned(
            requests.counter_action, number=dev["counter"], action=data.action, request_id=data.id,
            actor=f"device:{dev['id']}", ticket=data.ticket, service=data.service, dossier_code=data.dossier_code)
        if result.get("call"):
            result["call"] = self.services.announce_call(result["call"], seq)
        return {"result": result}

    handlers = {events.TICKET: ticket, events.RATING: rating, events.STATUS: status,
                events.PRINT_FAILED: print_failed, events.COUNTER_ACTION: counter_action}

    # Flask-SocketIO's dispatch (a packet the direct path left to it): the same handlers.
    def on_ticket(self, *args):
        return self.answer(request.sid, events.TICKET, args, report_in_request)

    def on_rating(self, *args):
        return self.answer(request.sid, events.RATING, args, report_in_request)

    def on_status(self, *args):
        return self.answer(request.sid, events.STATUS, args, report_in_request)

    def on_print_failed(self, *args):
        return self.answer(request.sid, events.PRINT_FAILED, args, report_in_request)

    def on_counter_action(self, *args):
        return self.answer(request.sid, events.COUNTER_ACTION, args, report_in_request)


def register(socketio, services) -> KioskNamespace:
    ns = KioskNamespace(services)
    socketio.on_namespace(ns)
    return ns
