"""Rating presses: every press is stored, and classified as counted, duplicate or unattributed.

A press at a counter's terminal goes, judged at the time it was pressed:
1. to the ticket most recently finished at that counter, if it finished within the rating window
   and has no counted rating yet (the citizen who just left is still at the terminal);
2. else to the ticket called or being served at that counter;
3. else, if that recently finished ticket already has its rating, it is a duplicate of it;
4. else it is unattributed, kept with the officer on duty there and reported apart.
A ticket counts only its first rating; later presses for it are duplicates.

The press time is the server's `now - age_ms` (the kiosk's clock may be wrong). Transit can only
delay a copy, so every copy's estimate is at or after the true press: a resend that brings an
earlier estimate corrects the stored one (`_correct`), and the press is judged again at the
corrected moment, with every other press its new judgement affects.
"""

from __future__ import annotations

from sqlite_utils import Database

from ..errors import BadRequest, Forbidden, IdempotencyConflict
from . import audit, sql
from .config import EngineConfig


def _counted_in_table(db: Database, ticket_id: str) -> bool:
    return sql.first(db, "SELECT 1 FROM ratings WHERE ticket_id = ? AND status = 'counted' LIMIT 1",
                     [ticket_id]) is not None


def _classify(db: Database, cfg: EngineConfig, counter: int, pressed_at: float, has_counted=None):
    """(ticket row or None, status, rule) for a press at `counter` at `pressed_at`.

    `has_counted(ticket_id)` says whether the ticket already has its counted rating (default: the
    table's word; `_rejudge` passes its own while it judges a run of presses again)."""
    _has_counted = has_counted or (lambda ticket_id: _counted_in_table(db, ticket_id))
    recent = sql.first(
        db, """SELECT * FROM tickets WHERE counter = ? AND state = 'done'
               AND finished_at <= ? AND finished_at >= ? ORDER BY finished_at DESC LIMIT 1""",
        [counter, pressed_at, pressed_at - cfg.rating_window_s])
    if recent is not None and not _has_counted(recent["id"]):
        return recent, "counted", "finished"
    # The ticket in hand at the time of the press (late deliveries are judged as of then).
    in_hand = sql.rows(
        db, """SELECT * FROM tickets WHERE counter = ? AND called_at <= ?
               AND (state IN ('called', 'serving') OR (state = 'done' AND finished_at > ?))
               ORDER BY called_at DESC LIMIT 1""", [counter, pressed_at, pressed_at])
    if in_hand:
        row = in_hand[0]
        if _has_counted(row["id"]):
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
        estimate = now - max(0, age_ms) / 1000.0
        if estimate < existing[0]["pressed_at"] - CORRECTION_MIN_S:
            status = _correct(db, cfg, now, existing[0], estimate, actor)
            return {"duplicate": True, "status": status, "replay": True, "corrected": True}
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


# Below this, two estimates of one press differ by clock noise, not by a copy held in transit.
CORRECTION_MIN_S = 0.01


def _correct(db: Database, cfg: EngineConfig, now: float, rating: dict, pressed_at: float, actor: str) -> str:
    """Move `rating`'s press time back to `pressed_at` (a resend's earlier estimate) and judge
    again, at the corrected moment, every press of its counter from then on; returns its status.

    Judging them all again in press order (not only this one) keeps the rules whole: a ticket's
    counted rating may move to another press, and the press it displaces becomes a duplicate or
    goes to the ticket that was in hand. Every change is audit-logged."""
    db.execute("UPDATE ratings SET pressed_at = ?, day = ? WHERE id = ?", [pressed_at, cfg.day(pressed_at), rating["id"]])
    audit.record(db, now, actor, "rating.correct", rating["id"], pressed_at=pressed_at,
                 was=rating["pressed_at"], late_s=round(rating["pressed_at"] - pressed_at, 3))
    _rejudge(db, cfg, now, rating["counter"], pressed_at, actor)
    return sql.first(db, "SELECT status FROM ratings WHERE id = ?", [rating["id"]])["status"]


def _rejudge(db: Database, cfg: EngineConfig, now: float, counter: int, since: float, actor: str) -> None:
    """Judge again, in press order, every press at `counter` at or after `since`."""
    run = sql.rows(db, "SELECT * FROM ratings WHERE counter = ? AND pressed_at >= ? ORDER BY pressed_at, rowid",
                   [counter, since])
    ids = {r["id"] for r in run}
    counted: set[str] = set()  # tickets given their counted rating in this pass

    def has_counted(ticket_id: str) -> bool:
        if ticket_id in counted:
            return True
        outside = sql.rows(db, "SELECT id FROM ratings WHERE ticket_id = ? AND status = 'counted'", [ticket_id])
        return any(r["id"] not in ids for r in outside)

    changes = []
    for r in run:
        ticket, status, rule = _classify(db, cfg, counter, r["pressed_at"], has_counted)
        if status == "counted":
            counted.add(ticket["id"])
        ticket_id = ticket["id"] if ticket else None
        if ticket is not None:
            officer = ticket["officer_id"]
        elif r["ticket_id"] is None:
            officer = r["officer_id"]
        else:  # newly unattributed: the officer on duty there, as `record` does
            officer = sql.first(db, "SELECT officer_id FROM counters WHERE number = ?", [counter])["officer_id"]
        if (ticket_id, status, rule, officer) != (r["ticket_id"], r["status"], r["rule"], r["officer_id"]):
            changes.append((r, ticket, status, rule, officer))
    if not changes:
        return
    # Counted presses leave that state first: `ratings_one_counted` allows one per ticket at any moment.
    db.execute(f"UPDATE ratings SET status = 'duplicate' WHERE id IN ({', '.join('?' * len(changes))})",
               [r["id"] for r, *_ in changes])
    for r, ticket, status, rule, officer in changes:
        db.execute("UPDATE ratings SET ticket_id = ?, status = ?, rule = ?, officer_id = ? WHERE id = ?",
                   [ticket["id"] if ticket else None, status, rule, officer, r["id"]])
        audit.record(db, now, actor, "rating.rejudge", r["id"], status=status, was_status=r["status"],
                     ticket=ticket["code"] if ticket else None, was_ticket_id=r["ticket_id"])
