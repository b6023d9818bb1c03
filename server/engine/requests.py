"""Counter actions applied once: a repeated request id returns the first result."""

from __future__ import annotations

import json

from sqlite_utils import Database

from . import counters, sql
from .config import EngineConfig


def counter_action(db: Database, cfg: EngineConfig, now: float, *, number: int, action: str,
                   request_id: str | None = None, actor: str, ticket: str | None = None,
                   service: str | None = None, dossier_code: str | None = None) -> dict:
    """Apply `action` at counter `number` once per `request_id`; a replay returns the first
    result (without its call, which was announced the first time) and `"replay": true`."""
    if request_id:
        row = sql.first(db, "SELECT result FROM action_requests WHERE id = ?", [request_id])
        if row is not None:
            first = json.loads(row["result"])
            return {k: v for k, v in first.items() if k != "call"} | {"replay": True}
    result = counters.act(db, cfg, now, number, action, actor=actor, ticket=ticket, service=service,
                          dossier_code=dossier_code)
    if request_id:
        sql.insert(db, "action_requests", {"id": request_id, "at": now, "actor": actor,
                                           "result": json.dumps(result, ensure_ascii=False)})
    return result
