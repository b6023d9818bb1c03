"""The `/counter` namespace: an officer's console joins the room of his counter, gets the
counter's view on connect and after every change, and `rating_received` (today's totals only)
when one of his ratings becomes visible, i.e. once its rating window has closed."""

from __future__ import annotations

import logging

from flask import request
from flask_socketio import Namespace, join_room
from socketio.exceptions import ConnectionRefusedError as Refused

from ... import events, wire
from ...engine import counters, officer
from ...errors import Forbidden, QmsError, Unauthorized
from ..common.principal import Principal, current_principal, person_connection

log = logging.getLogger(__name__)


def room(number: int) -> str:
    return f"counter-{number}"


def counter_of(qms, who: Principal, asked) -> int:
    """The counter whose room this caller may join: his own; a supervisor may watch any."""
    db = qms.store.read()
    if who.kind == "device":
        who.require_device_role("counter")
        return who.row["counter"]
    if asked is not None and (not isinstance(asked, int) or isinstance(asked, bool)):
        raise Forbidden("counter phải là số quầy")
    if asked is not None:
        asked = wire.integer(asked, "counter")  # bad_request past SQLite's INTEGER
    held = counters.held_by(db, who.row["id"])
    if asked is None:
        if held is None:
            raise Forbidden("Bạn chưa đăng nhập vào quầy nào")
        return held
    if asked == held:
        return asked
    if who.role in ("supervisor", "admin") and counters.exists(db, asked):
        return asked
    raise Forbidden(f"Bạn chưa đăng nhập ở quầy {asked}")


class CounterPusher:
    """Pushes counter views to their rooms, and wakes itself when a rating comes due.

    A rating becomes visible without any write (its window just closes), so the pusher keeps one
    timer per counter for the next rating due there. `seen` remembers how many ratings each
    counter's officer was last shown, to announce new ones with `rating_received`."""

    def __init__(self, socketio, qms):
        self.socketio = socketio
        self.qms = qms
        self._lock = qms.runtime.rlock()
        self._seen: dict[int, tuple] = {}  # counter -> (officer id, ratings shown)
        self._timers: dict[int, tuple[float, object]] = {}  # counter -> (due, cancel)

    def watched(self) -> list[int]:
        """Counters with at least one console connected."""
        return sorted({c["counter"] for c in list(self.qms.connections.values())
                       if c.get("namespace") == events.COUNTER})

    def push_all(self) -> None:
        for number in self.watched():
            try:
                self.push(number)
            except QmsError:  # the counter was removed while a console was open
                continue

    def push(self, number: int, sid: str | None = None) -> None:
        """Send the counter's view to its room (or to one new connection) and announce ratings."""
        with self._lock:
            v = self.qms.version()  # before the view is built: it shows at least this commit
            db, cfg, now = self.qms.store.read(), self.qms.cfg(), self.qms.now()
            data = {**officer.console_view(db, cfg, now, number), "v": v}
            self.socketio.emit(events.COUNTER_UPDATE, data, namespace=events.COUNTER, to=sid or room(number))
            officer_id = data["officer"]["id"] if data["officer"] else None
            shown = data["today"]["ratings_counted"] if data["today"] else 0
            before = self._seen.get(number)
            if sid is None or before is None:
                self._seen[number] = (officer_id, shown)
            if sid is None and before is not None and before[0] == officer_id and shown > before[1]:
                today = data["today"]
                self.socketio.emit(events.RATING_RECEIVED, {
                    "counter": number, "new": shown - before[1], "ratings": today["ratings"],
                    "ratings_counted": shown, "satisfaction_rate": today["satisfaction_rate"],
                }, namespace=events.COUNTER, to=room(number))
            if officer_id is not None:
                self._schedule(number, officer.next_release(db, cfg, now, officer_id), now)

    def _schedule(self, number: int, due: float | None, now: float) -> None:
        if due is None:
            return
        current = self._timers.get(number)
        if current is not None and current[0] <= due:
            return
        if current is not None:
            current[1]()
        cancel = self.qms.runtime.later(max(0.0, due - now) + 0.05, self._wake, number)
        self._timers[number] = (due, cancel)

    def _wake(self, number: int) -> None:
        with self._lock:
            self._timers.pop(number, None)
        if self.qms.broadcaster is not None and self.qms.broadcaster.stopped:
            return
        if number in self.watched():
            try:
                self.push(number)
            except Exception:  # a push failure must not kill the timer thread silently
                log.exception("counter %s push failed", number)


class CounterNamespace(Namespace):
    def __init__(self, services, pusher: CounterPusher):
        super().__init__(events.COUNTER)
        self.services = services
        self.pusher = pusher

    def on_connect(self, auth_payload=None):
        payload = auth_payload if isinstance(auth_payload, dict) else {}
        try:
            who = current_principal(payload)
            number = counter_of(self.services, who, payload.get("counter"))
        except Unauthorized:
            raise Refused(events.UNAUTHORIZED)  # python-socketio's, so the client gets the reason
        except QmsError as exc:
            raise Refused(exc.code)
        join_room(room(number))
        conn = {"namespace": events.COUNTER, "counter": number, "user": who.row["id"], "kind": who.kind}
        if who.kind == "device":  # a keypad's view: cut like its /kiosk link when revoked or rotated
            conn |= {"device": who.row["id"], "token_hash": who.row["token_hash"]}
        else:  # a person's: cut when his session ends, he is disabled, or his token is revoked
            conn |= person_connection(who)
        self.services.connections[request.sid] = conn
        self.pusher.push(number, sid=request.sid)

    def on_disconnect(self, *_reason):
        self.services.connections.pop(request.sid, None)


def register(socketio, services) -> CounterPusher:
    """Attach the `/counter` namespace and its pusher to the broadcaster."""
    pusher = CounterPusher(socketio, services)
    socketio.on_namespace(CounterNamespace(services, pusher))
    services.broadcaster.add(pusher.push_all)
    return pusher
