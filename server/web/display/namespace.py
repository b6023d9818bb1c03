"""The `/display` namespace: a snapshot on connect, then live calls; read-only for everyone.

A paired TV connects with its display device's id and token (`auth`): it then counts as that
device, online while connected, and its `status` reports are stored for the board. A TV not
paired yet asks for a code with `pair` and shows it until an administrator enters it on
/admin/displays/pair; its next `pair` then hands it its token, once (docs/display.md, "Pairing").
"""

from __future__ import annotations

from flask import request
from flask_socketio import Namespace

from ... import auth, events, wire
from ...engine import devices, pairing, views
from ...errors import BadRequest, Unauthorized
from ..common.acks import acked


def snapshot(services) -> dict:
    """The display snapshot as of now, with the version it reflects at least."""
    v = services.version()
    return {**views.display_snapshot(services.store.read(), services.cfg(), services.now()), "v": v}


class DisplayNamespace(Namespace):
    def __init__(self, services):
        super().__init__(events.DISPLAY)
        self.services = services

    def on_connect(self, auth_payload=None):
        self._identify(auth_payload)
        self.emit(events.SNAPSHOT, snapshot(self.services), room=request.sid)

    def _identify(self, auth_payload) -> None:
        """Count the connection as its display device when its credentials are good; a TV
        without them (or with refused ones) still shows the calls, as a public page."""
        payload = auth_payload if isinstance(auth_payload, dict) else {}
        if not payload.get("device") and not payload.get("token"):
            return
        db, now = self.services.store.read(), self.services.now()
        try:
            creds = wire.parse(wire.DisplayAuth, payload)
            if creds.device:
                dev = auth.device_by_credentials(db, creds.device, creds.token, now)
            else:  # the token alone (`?token=` in the TV's URL) names its device
                kind, dev = auth.principal_by_bearer(db, creds.token or "", now)
                if kind != "device":
                    return
        except (BadRequest, Unauthorized):  # bad shape or refused: an unpaired TV (its page drops the token)
            return
        if "display" not in dev["roles"]:
            return
        self.services.device_connected(request.sid, dev, events.DISPLAY)

    def on_disconnect(self, *_reason):
        self.services.device_left(request.sid)

    def on_snapshot(self, *_args):
        """A display that came back from sleep asks for the current state."""
        return snapshot(self.services)

    @acked
    def on_status(self, *args):
        """A paired TV's health (wire.Status), every minute or on change: shown on the board."""
        data = wire.parse(wire.Status, wire.single(args))
        conn = self.services.connections.get(request.sid)
        dev = self.services.device(conn["device"]) if conn is not None else None
        if dev is None or dev["token_hash"] != conn.get("token_hash"):
            raise Unauthorized("unauthorized")
        self.services.write(devices.set_online, device_id=dev["id"], online=True, status=data.model_dump())
        return {}

    @acked
    def on_pair(self, *args):
        """An unpaired TV: its code to show, or once paired its device id and token."""
        self.services.admit()
        data = wire.parse(wire.Pair, wire.single(args))
        digest = pairing.secret_hash(data.secret)
        now = self.services.now()
        row = pairing.lookup(self.services.store.read(), now, digest)
        if row is not None and row["token"] is None:
            return {"code": row["code"]}  # still waiting: a read, no write
        if row is not None:
            got = self.services.write(pairing.collect, digest=digest)
            if got is not None:
                return got
        return {"code": self.services.write(pairing.start, digest=digest)["code"]}

    def push(self) -> None:
        """Every display's snapshot (the broadcaster calls this, coalesced, after changes)."""
        self.emit(events.SNAPSHOT, snapshot(self.services))


def register(socketio, services) -> None:
    ns = DisplayNamespace(services)
    socketio.on_namespace(ns)
    services.broadcaster.add(ns.push, events.DISPLAY)
