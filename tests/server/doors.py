"""Callers for the door and fuzz tests: every kind of credential the server can be shown.

`DoorsCenter` is the test center plus what the door list needs (made once per module from the
session's template database): an admin (`root`, with an API token), a display device (`tv-1`),
a revoked device that had every role (`gone-1`, ticket + rating + counter, bound to counter 1),
a deactivated admin whose API token and session must no longer open anything (`gone`), and one
issued ticket (`TICKET_ID`). `Doors(app, secrets)` then builds, per caller, a Flask test client
(with the CSRF token of its session) and Socket.IO test clients that keep Socket.IO's
`connect_error` reason.

Callers (`CALLERS`): `anon`; `garbage` (a token nobody was given); `revoked-device`,
`revoked-user` (token) and `revoked-user:session`; the devices `ticket` (kiosk-1), `rating`
(rate-1, counter 1), `counter` (pad-1, counter 1), `display` (tv-1); `officer` (officer1, signed
in at counter 1), `officer2` (officer2, at counter 2), `supervisor` (boss) and `admin` (root),
each `:token` (API token as bearer) and `:session` (signed-in session cookie).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask_socketio.test_client import SocketIOTestClient
from socketio import packet

from server.engine import admin, logins, tickets
from server.web.common.principal import SESSION_KEY
from tests.conftest import app_with_center

TICKET_ID = "0b3f2a58-7c1e-4d6a-9f00-000000000001"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
GARBAGE = "not-a-token-" + "x" * 20


@dataclass(frozen=True)
class Caller:
    name: str
    kind: str  # "anon", "token", "session"
    subject: str | None = None  # device id or user name
    device: bool = False


def _callers() -> dict[str, Caller]:
    out = [Caller("anon", "anon"), Caller("garbage", "token", None),
           Caller("revoked-device", "token", "gone-1", device=True),
           Caller("revoked-user", "token", "gone"), Caller("revoked-user:session", "session", "gone")]
    for name, dev in (("ticket", "kiosk-1"), ("rating", "rate-1"), ("counter", "pad-1"), ("display", "tv-1")):
        out.append(Caller(name, "token", dev, device=True))
    for name, user in (("officer", "officer1"), ("officer2", "officer2"), ("supervisor", "boss"), ("admin", "root")):
        out.append(Caller(f"{name}:token", "token", user))
        out.append(Caller(f"{name}:session", "session", user))
    return {c.name: c for c in out}


CALLERS = _callers()


def build_template(folder: Path) -> tuple[Path, dict]:
    """The doors center's database file and its secrets (tokens by device id / user name)."""
    app = app_with_center(folder / "build")
    qms = app.extensions["qms"]
    center = app.test_center

    def load(db, cfg, now):
        out = {"devices": dict(center["devices"]),
               "users": {u: v["api_token"] for u, v in center["users"].items()},
               "ids": {}}
        root = admin.add_user(db, cfg, now, username="root", full_name="Quản trị", role="admin", api_token=True,
                              password="root-password-1")
        gone = admin.add_user(db, cfg, now, username="gone", full_name="Đã nghỉ", role="admin", api_token=True,
                              password="gone-password-1")
        out["users"]["root"], out["users"]["gone"] = root["api_token"], gone["api_token"]
        out["devices"]["tv-1"] = admin.add_device(db, cfg, now, device_id="tv-1", roles=["display"])["token"]
        out["devices"]["gone-1"] = admin.add_device(db, cfg, now, device_id="gone-1",
                                                    roles=["ticket", "rating", "counter"], counter=1)["token"]
        admin.revoke_device(db, cfg, now, device_id="gone-1")
        db.execute("UPDATE users SET active = 0 WHERE username = 'gone'")  # the user's token revoked
        for row in db.query("SELECT id, username FROM users"):
            out["ids"][row["username"]] = row["id"]
        tickets.issue(db, cfg, now, ticket_id=TICKET_ID, service="A", priority=False, device_id="kiosk-1",
                      actor="test")
        return out

    secrets_ = qms.write(load)
    target = folder / "doors.db"
    src, dst = sqlite3.connect(qms.store.path), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    qms.close()
    return target, secrets_


def app_from(template: Path, folder: Path, **config):
    """An app on a copy of the doors center's database."""
    instance = folder / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, instance / "qms.db")
    return app_with_center(folder, **config)


class SioClient(SocketIOTestClient):
    """Flask-SocketIO's test client that also keeps the data of a `connect_error` (`.refusal`)."""

    def connect(self, namespace=None, query_string=None, headers=None, auth=None):
        server = self.socketio.server
        inner = server._send_packet
        self.refusal = None

        def spy(eio_sid, pkt):
            if eio_sid == self.eio_sid and pkt.packet_type == packet.CONNECT_ERROR:
                self.refusal = pkt.data
            return inner(eio_sid, pkt)

        server._send_packet = spy
        try:
            super().connect(namespace=namespace, query_string=query_string, headers=headers, auth=auth)
        finally:
            server._send_packet = inner

    def raw(self, text: str):
        """Feed one Socket.IO packet, as the text a client would send, to the server the way
        Engine.IO hands it a decoded frame (its `message` event: an exception there is caught
        and logged by Engine.IO, as in production); returns the acknowledgement (`{"args",
        "namespace"}`), or None. A `connect_error` is kept in `.refusal`."""
        server = self.socketio.server
        inner = server._send_packet
        self.refusal = None
        self.acks = None

        def spy(eio_sid, pkt):
            if eio_sid == self.eio_sid and pkt.packet_type == packet.CONNECT_ERROR:
                self.refusal = pkt.data
            return inner(eio_sid, pkt)

        server._send_packet = spy
        try:
            server.eio._trigger_event("message", self.eio_sid, text, run_async=False)
        finally:
            server._send_packet = inner
        ack, self.acks = self.acks, None
        return ack

    def joined(self, namespace: str) -> bool:
        return self.socketio.server.manager.sid_from_eio_sid(self.eio_sid, namespace) is not None

    def refusal_code(self) -> str | None:
        data = self.refusal
        if isinstance(data, dict):
            return data.get("message")
        return data if isinstance(data, str) else None


class Doors:
    """Per app: a Flask test client per caller (signed in for `:session` callers, with its
    session's CSRF token), requests and Socket.IO connections made as that caller."""

    def __init__(self, app, secrets_: dict):
        self.app = app
        self.secrets = secrets_
        self.socketio = app.extensions["socketio"]
        self._clients: dict[str, object] = {}
        self.sockets: list[SioClient] = []

    def token(self, caller: Caller) -> str | None:
        if caller.kind != "token":
            return None
        if caller.subject is None:
            return GARBAGE
        if caller.device:
            return self.secrets["devices"][caller.subject]
        return self.secrets["users"][caller.subject]

    def client(self, caller: Caller):
        if caller.name not in self._clients:
            client = self.app.test_client()
            if caller.kind == "session":
                # A signed-in session as the login form opens it: a row the server can end, and
                # its id in the cookie beside Flask-Login's user id.
                user_id = self.secrets["ids"][caller.subject]
                sid = self.app.extensions["qms"].write(logins.start_session, user_id=user_id)
                with client.session_transaction() as sess:
                    sess["_user_id"] = str(user_id)
                    sess["_fresh"] = True
                    sess[SESSION_KEY] = sid
            found = CSRF.search(client.get("/login").get_data(as_text=True))
            client.csrf = found.group(1) if found else ""
            self._clients[caller.name] = client
        return self._clients[caller.name]

    def request(self, caller: Caller, method: str, path: str, *, json_body=None, form=None, headers=None,
                data=None, query_string=None, content_type="application/json"):
        client = self.client(caller)
        hdrs = dict(headers or {})
        token = self.token(caller)
        if token is not None and "Authorization" not in hdrs:
            hdrs["Authorization"] = f"Bearer {token}"
        if method != "GET":
            hdrs.setdefault("X-CSRFToken", client.csrf)
            if form is not None:
                form = {"csrf_token": client.csrf, **form}
        kwargs = {"method": method, "headers": hdrs}
        if query_string is not None:
            kwargs["query_string"] = query_string
        if json_body is not None:
            kwargs["json"] = json_body
        elif form is not None:
            kwargs["data"] = form
        elif data is not None:
            kwargs["data"] = data
            kwargs["content_type"] = content_type
        return client.open(path, **kwargs)

    def auth(self, caller: Caller, namespace: str, extra: dict | None = None):
        """The `auth` payload this caller sends to a namespace (None: none, the cookie only)."""
        token = self.token(caller)
        if namespace == "/kiosk":
            if caller.kind != "token":
                return None
            if caller.subject is None:
                return {"device": "kiosk-1", "token": token}
            return {"device": caller.subject, "token": token}
        payload = dict(extra or {})
        if token is not None:
            payload["token"] = token
        return payload or None

    def connect(self, caller: Caller, namespace: str, extra: dict | None = None, auth=...) -> SioClient:
        flask_client = self.client(caller) if caller.kind == "session" else None
        payload = self.auth(caller, namespace, extra) if auth is ... else auth
        sio = SioClient(self.app, self.socketio, namespace=namespace, auth=payload, flask_test_client=flask_client)
        self.sockets.append(sio)
        return sio

    def close(self) -> None:
        for sio in self.sockets:
            for ns, on in list(sio.connected.items()):
                if on:
                    try:
                        sio.disconnect(namespace=ns)
                    except Exception:
                        pass
        self.sockets.clear()


def uid() -> str:
    return str(uuid.uuid4())


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
