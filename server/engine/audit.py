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
