"""Rating presses: every press is stored, and classified as counted, duplicate or unattributed.

A press at a counter's terminal goes, judged at the time it was pressed:
1. to the ticket most recently finished at that counter, if it finished within the rating window
   and has no counted rating yet (the citizen who just left is still at the terminal);
2. else to the ticket called or being served at that counter;
3. else, if that recently finished ticket already has its rating, it is a duplicate of it;
4. else it is unattributed, kept with the officer on duty there and reported apart.
A ticket counts only its first rating; later presses for it are duplicates.
"""

from __future__ import annotations

from sqlite_utils import Database

from ..errors import BadRequest, Forbidden, IdempotencyConflict
from . import audit, sql
from .config import EngineConfig


def _has_counted(db: Database, ticket_id: str) -> bool:
    return sql.first(db, "SELECT 1 FROM ratings WHERE ticket_id = ? AND status = 'counted' LIMIT 1",
                     [ticket_id]) is not None


def _classify(db: Database, cfg: EngineConfig, counter: int, pressed_at: float):
    """(ticket row or None, status, rule) for a press at `counter` at `pressed_at`."""
    recent = sql.first(
        db, """SELECT * FROM tickets WHERE counter = ? AND state = 'done'
               AND finished_at <= ? AND finished_at >= ? ORDER BY finished_at DESC LIMIT 1""",
        [counter, pressed_at, pressed_at - cfg.rating_window_s])
    if recent is not None and not _has_counted(db, recent["id"]):
        return recent, "counted", "finished"
    # The ticket in hand at the time of the press (late deliveries are judged as of then).
    in_hand = sql.rows(
        db, """SELECT * FROM tickets WHERE counter = ? AND called_at <= ?
               AND (state IN ('called', 'serving') OR (state = 'done' AND finished_at > ?))
               ORDER BY called_at DESC LIMIT 1""", [counter, pressed_at, pressed_at])
    if in_hand:
        row = in_hand[0]
        if _has_counted(db, row["id"]):
            return row, "duplicate", "in_service"
        return row, "counted", "in_service"
    if recent is not None:
        return recent, "duplicate", "finished"
    return None, "unattributed", "none"


def record(db: Database, cfg: EngineConfig, now: float, *, rating_id: str, device: dict,
           score: int, age_ms: int, actor: str) -> dict:
    """Store one press from a rating terminal; returns {"duplicate": bool, "status": ...}.

    Sending the same `rating_id` again stores nothing and answers `duplicate: true`; the same id
    with another score, or from another terminal, is `id_conflict` (that press was not stored)."""
    existing = sql.rows(db, "SELECT * FROM ratings WHERE id = ?", [rating_id])
    if existing:
        if existing[0]["score"] != score:
            raise IdempotencyConflict(f"Mã đánh giá {rating_id} đã dùng với điểm khác")
        if existing[0]["device_id"] != device["id"]:
            raise IdempotencyConflict(f"Mã đánh giá {rating_id} đã được một thiết bị khác dùng")
        return {"duplicate": True, "status": existing[0]["status"], "replay": True}
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise BadRequest("score phải là số nguyên từ 1 đến 5")
    counter = device.get("counter")
    if counter is None:
        raise Forbidden(f"Thiết bị {device['id']} chưa được gắn với quầy nào")
    # The kiosk's clock may be wrong (no RTC battery): the server stamps the press itself.
    pressed_at = now - max(0, age_ms) / 1000.0
    ticket, status, rule = _classify(db, cfg, counter, pressed_at)
    if ticket is not None:
        officer = ticket["officer_id"]
    else:
        officer = sql.first(db, "SELECT officer_id FROM counters WHERE number = ?", [counter])["officer_id"]
    sql.insert(db, "ratings", {
        "id": rating_id, "device_id": device["id"], "counter": counter,
        "ticket_id": ticket["id"] if ticket else None, "officer_id": officer, "score": score,
        "service": ticket["service"] if ticket else None,  # as it was when pressed (a transfer changes it)
        "pressed_at": pressed_at, "received_at": now, "day": cfg.day(pressed_at),
        "status": status, "rule": rule,
    })
    audit.record(db, now, actor, "rating.record", rating_id, score=score, status=status,
                 ticket=ticket["code"] if ticket else None, counter=counter)
    return {"duplicate": status == "duplicate", "status": status, "replay": False,
            "ticket": ticket["code"] if ticket else None}
