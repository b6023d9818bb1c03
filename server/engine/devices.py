"""Devices (kiosks, rating terminals, keypads, displays): who they are and whether they are online."""

from __future__ import annotations

import json

from sqlite_utils import Database

from . import sql
from .config import EngineConfig


def active(db: Database, device_id: str) -> dict | None:
    """The active device's row with its roles parsed; None if unknown or revoked."""
    row = sql.first(db, "SELECT * FROM devices WHERE id = ? AND active = 1", [device_id])
    if row is not None:
        row["roles"] = json.loads(row["roles"])
    return row


def set_online(db: Database, cfg: EngineConfig, now: float, *, device_id: str, online: bool,
               status: dict | None = None) -> None:
    """A device connected, reported its status, or its last connection closed."""
    fields = {"online": int(online), "last_seen": now}
    if status is not None:
        fields["last_status"] = json.dumps(status, ensure_ascii=False)
    db["devices"].update(device_id, fields)


def sync_presence(db: Database, cfg: EngineConfig, now: float, *, online: list[str]) -> None:
    """Set every device's `online` from the connections the server holds now: after a time when
    the disk refused the connect and disconnect writes, the board must not show a gone device
    as online, nor a connected one as offline."""
    db.execute("UPDATE devices SET online = 0 WHERE online = 1")
    for device_id in online:
        db.execute("UPDATE devices SET online = 1, last_seen = ? WHERE id = ?", [now, device_id])
