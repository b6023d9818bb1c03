"""Who is calling: a device or user by bearer token, or a user signed in with a session."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, session
from flask_login import UserMixin, current_user

from ... import auth
from ...errors import Forbidden, Unauthorized


SESSION_KEY = "qms_sid"  # the Flask session's key holding the id of the server's session row


class User(UserMixin):
    """A row of `users` for Flask-Login, with the id of its sign-in session."""

    def __init__(self, row: dict, session_id: str | None = None):
        self.row = row
        self.id = str(row["id"])
        self.session_id = session_id

    @property
    def role(self) -> str:
        return self.row["role"]


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader, on every request and Socket.IO connect with a session cookie: the
    user only while the session the cookie names is open on the server (one lookup by primary
    key; `last_seen` written at most once a minute, without waiting)."""
    from ...engine import logins

    qms = current_app.extensions["qms"]
    sid = session.get(SESSION_KEY)
    now = qms.now()
    row, why = logins.session_user(qms.store.read(), sid, now, idle_s=float(qms.setting("session_idle_min")) * 60,
                                   max_s=float(qms.setting("session_max_hours")) * 3600)
    if row is None or str(row["id"]) != user_id:
        if why in ("idle", "expired"):
            qms.submit(logins.end_session, session_id=sid, reason=why)
        session.pop(SESSION_KEY, None)
        return None
    if now - row["session"]["last_seen"] >= logins.TOUCH_EVERY_S:
        qms.submit(logins.touch_session, session_id=sid)
    return User(row, sid)


@dataclass
class Principal:
    kind: str  # "device" or "user"
    row: dict
    via: str = "token"  # "token" or "session"

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.row['id'] if self.kind == 'device' else self.row['username']}"

    @property
    def role(self) -> str:
        return self.row["role"] if self.kind == "user" else "device"

    def require_role(self, *roles: str) -> "Principal":
        if self.kind != "user" or self.row["role"] not in roles:
            raise Forbidden()
        return self

    def require_device_role(self, role: str) -> "Principal":
        if self.kind != "device" or role not in self.row["roles"]:
            raise Forbidden(f"Thiết bị không có vai trò '{role}'")
        return self


def person_connection(who: "Principal") -> dict:
    """What a person's Socket.IO connection is kept with (`Services.connections`), so that it
    is cut when what let him in ends (`Services.cut_ended_people`)."""
    out = {"user": who.row["id"], "role": who.row["role"], "via": who.via}
    if who.via == "session":
        out["session_id"] = getattr(current_user, "session_id", None)
    else:
        out["token_hash"] = who.row["api_token_hash"]
    return out


def bearer_token(auth_payload: dict | None = None) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if isinstance(auth_payload, dict) and isinstance(auth_payload.get("token"), str):
        return auth_payload["token"]
    return None


def current_principal(auth_payload: dict | None = None, *, required: bool = True) -> Principal | None:
    """The caller, from a bearer token (header or Socket.IO auth) or the session cookie."""
    qms = current_app.extensions["qms"]
    token = bearer_token(auth_payload)
    if token:
        kind, row = auth.principal_by_bearer(qms.store.read(), token, qms.now())
        return Principal(kind, row, "token")
    if current_user and current_user.is_authenticated:
        return Principal("user", current_user.row, "session")
    if required:
        raise Unauthorized()
    return None


def api_caller() -> Principal:
    """The caller of a JSON route; a session (cookie) caller of a route that changes something
    must also send the CSRF token in X-CSRFToken (a token caller needs none)."""
    from flask_wtf.csrf import validate_csrf

    who = current_principal()
    if who.via == "session" and request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
        except Exception:
            raise Forbidden("Thiếu hoặc sai mã CSRF") from None
    return who
