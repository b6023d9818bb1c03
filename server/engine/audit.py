"""The append-only audit log: one row for every state change, written in the same transaction."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def record(db: Database, now: float, actor: str, action: str, subject: Any = None, **data) -> None:
    """Append one audit row; `actor` is e.g. 'device:kiosk-1', 'user:3' or 'system'."""
    db.execute(
        "INSERT INTO audit (at, actor, action, subject, data) VALUES (?, ?, ?, ?, ?)",
        [now, actor, action, None if subject is None else str(subject),
         json.dumps(data, ensure_ascii=False, default=str) if data else None],
    )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(db: Database, *, actor: str = "", action: str = "", subject: str = "", start: float | None = None,
           end: float | None = None, limit: int | None = 1000) -> list[dict]:
    """Audit rows, newest first: `actor` and `subject` match a part (case-insensitive), `action`
    a part too ("service" finds service.add, service.change, ...), `start` <= at < `end`."""
    where, params = [], []
    for column, value in (("actor", actor), ("action", action), ("subject", subject)):
        if value:
            where.append(f"{column} LIKE ? ESCAPE '\\'")
            params.append(_like(value.strip()))
    if start is not None:
        where.append("at >= ?")
        params.append(start)
    if end is not None:
        where.append("at < ?")
        params.append(end)
    sql = "SELECT id, at, actor, action, subject, data FROM audit"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [dict(r) for r in db.query(sql, params)]


def actions(db: Database) -> list[str]:
    """Every action name in the log, for the filter's choices."""
    return [r["action"] for r in db.query("SELECT DISTINCT action FROM audit ORDER BY action")]
