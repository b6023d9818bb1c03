"""Who is calling: a device or user by bearer token, or a user signed in with a session."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask_login import UserMixin, current_user

from ... import auth, wire
from ...errors import Forbidden, Unauthorized


class User(UserMixin):
    """A row of `users` for Flask-Login."""

    def __init__(self, row: dict):
        self.row = row
        self.id = str(row["id"])

    @property
    def role(self) -> str:
        return self.row["role"]


def load_user(user_id: str) -> User | None:
    from ...engine import sql

    db = current_app.extensions["qms"].store.read()
    uid = wire.row_id(user_id)
    row = sql.first(db, "SELECT * FROM users WHERE id = ? AND active = 1", [uid]) if uid is not None else None
    return User(row) if row else None


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
        kind, row = auth.principal_by_bearer(qms.store.read(), token)
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
