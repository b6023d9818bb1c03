"""Counter actions applied once: a repeated request id returns the first result.

An id is bound to what it first asked: the action, the counter and the caller (actor). The same
id again with all three the same is a replay (the first result, `"replay": true`); with any of
them different it is `id_conflict`, and nothing is done.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from ..errors import IdempotencyConflict
from . import counters, sql
from .config import EngineConfig


def _bound_to(row: dict, first: dict) -> tuple:
    """(action, counter, actor) the stored request was for. A row from before migration m004
    has no `action` or `counter` of its own: they are read from its result, where it has them
    (None otherwise: not compared)."""
    action = row.get("action") or first.get("action")
    counter = row.get("counter") if row.get("counter") is not None else first.get("counter")
    return action, counter, row["actor"]


def counter_action(db: Database, cfg: EngineConfig, now: float, *, number: int, action: str,
                   request_id: str | None = None, actor: str, ticket: str | None = None,
                   service: str | None = None, dossier_code: str | None = None) -> dict:
    """Apply `action` at counter `number` once per `request_id`; a replay (same id, action,
    counter and actor) returns the first result (without its call, which was announced the first
    time) and `"replay": true`; the same id for anything else is IdempotencyConflict."""
    if request_id:
        row = sql.first(db, "SELECT * FROM action_requests WHERE id = ?", [request_id])
        if row is not None:
            first = json.loads(row["result"])
            was_action, was_counter, was_actor = _bound_to(row, first)
            if (was_actor != actor or (was_action is not None and was_action != action)
                    or (was_counter is not None and was_counter != number)):
                raise IdempotencyConflict(
                    f"Mã yêu cầu {request_id} đã được dùng cho một thao tác khác"
                    f" ({was_action or '?'} ở quầy {was_counter if was_counter is not None else '?'})")
            return {k: v for k, v in first.items() if k != "call"} | {"replay": True}
    result = counters.act(db, cfg, now, number, action, actor=actor, ticket=ticket, service=service,
                          dossier_code=dossier_code)
    if request_id:
        sql.insert(db, "action_requests", {"id": request_id, "at": now, "actor": actor, "counter": number,
                                           "action": action, "result": json.dumps(result, ensure_ascii=False)})
    return result
