"""A waiting-room TV pairs once: it shows a code, an administrator enters it on the admin page,
and the TV collects its new device token (docs/display.md, "Pairing").

The TV makes a random secret and keeps it; only the secret's hash is stored, so the token waiting
for the TV can be collected by the TV alone, never by someone who saw the code on the screen.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlite_utils import Database

from ..errors import BadRequest, Busy
from . import admin, sql
from .config import EngineConfig

CODE_DIGITS = 6
TTL_S = 15 * 60        # a code shown and not entered is forgotten after this
MAX_PENDING = 50       # TVs waiting at once: the event is public, so rows must not grow unbounded


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _expire(db: Database, now: float) -> None:
    db.execute("DELETE FROM display_pairings WHERE expires_at <= ?", [now])


def lookup(db: Database, now: float, digest: str) -> dict | None:
    """The TV's pairing row (read only): None when it has none or it expired."""
    row = sql.first(db, "SELECT * FROM display_pairings WHERE secret_hash = ? AND expires_at > ?", [digest, now])
    return row


def start(db: Database, cfg: EngineConfig, now: float, *, digest: str) -> dict:
    """The code a TV shows: its row's, or a new one. Busy past MAX_PENDING waiting TVs."""
    _expire(db, now)
    row = lookup(db, now, digest)
    if row is not None:
        return {"code": row["code"], "expires_at": row["expires_at"]}
    if db["display_pairings"].count >= MAX_PENDING:
        raise Busy("Quá nhiều màn hình đang chờ ghép; vui lòng thử lại sau")
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        if not db["display_pairings"].count_where("code = ?", [code]):
            break
    db["display_pairings"].insert({"code": code, "secret_hash": digest, "created_at": now,
                                   "expires_at": now + TTL_S, "device_id": None, "token": None})
    return {"code": code, "expires_at": now + TTL_S}


def claim(db: Database, cfg: EngineConfig, now: float, *, code: str, device_id: str, name: str = "",
          room: str = "", actor: str) -> dict:
    """An administrator entered the code shown on a TV: register the display device; its token
    waits in the row for the TV to collect it."""
    code = "".join(ch for ch in str(code or "") if ch.isdigit())
    _expire(db, now)
    row = sql.first(db, "SELECT * FROM display_pairings WHERE code = ? AND device_id IS NULL", [code])
    if row is None:
        raise BadRequest("Mã ghép không đúng hoặc đã hết hạn; xem lại mã đang hiện trên màn hình chờ")
    made = admin.register_device(db, cfg, now, device_id=device_id, roles=["display"], name=name, room=room,
                                 actor=actor)
    db.execute("UPDATE display_pairings SET device_id = ?, token = ?, expires_at = ? WHERE code = ?",
               [made["id"], made["token"], now + TTL_S, code])
    return {"device": made["id"]}


def collect(db: Database, cfg: EngineConfig, now: float, *, digest: str) -> dict | None:
    """The TV's device id and token once claimed (the row is deleted: the token is handed out
    once); None while not claimed yet."""
    row = lookup(db, now, digest)
    if row is None or row["token"] is None:
        return None
    db.execute("DELETE FROM display_pairings WHERE code = ?", [row["code"]])
    return {"device": row["device_id"], "token": row["token"]}
