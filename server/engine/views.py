"""Read-only views of the queue: the display snapshot, a counter's view, waiting counts."""

from __future__ import annotations

from sqlite_utils import Database

from . import catalog, sql
from .config import EngineConfig


def waiting_counts(db: Database, day: str) -> dict[str, int]:
    """Waiting tickets per service today."""
    return {r["service"]: r["n"] for r in sql.rows(
        db, "SELECT service, sum(n) AS n FROM waiting WHERE day = ? GROUP BY service HAVING sum(n) > 0", [day])}


def recent_calls(db: Database, cfg: EngineConfig, limit: int) -> list[dict]:
    """The last calls (newest first), recalls included."""
    rows = db.query(
        """SELECT c.*, s.name_vi AS service_name, t.priority FROM calls c JOIN services s ON s.code = c.service
           JOIN tickets t ON t.id = c.ticket_id ORDER BY c.id DESC LIMIT ?""", [limit])
    return [{"id": r["id"], "code": r["code"], "counter": r["counter"], "priority": bool(r["priority"]), "service": r["service"],
             "service_name": r["service_name"], "recall": bool(r["recall"]), "at": cfg.iso(r["at"])}
            for r in rows]


def display_snapshot(db: Database, cfg: EngineConfig, now: float) -> dict:
    """Everything the waiting-room display shows, as sent in the `snapshot` event."""
    day = cfg.day(now)
    waiting = waiting_counts(db, day)
    services = catalog.services(db)
    names = {s["code"]: s["name_vi"] for s in services}
    in_hand = {r["counter"]: r for r in db.query(
        "SELECT counter, code, service, state FROM tickets WHERE state IN ('called', 'serving') AND counter IS NOT NULL")}
    counters = []
    for c in catalog.counters(db):
        held = in_hand.get(c["number"])
        counters.append({
            "number": c["number"], "name": c["name"] or f"Quầy {c['number']}", "room": c["room"],
            "state": c["state"], "services": c["services"],
            "service_names": [names[s] for s in c["services"] if s in names],
            "serving": held["code"] if held else None,
            "serving_state": held["state"] if held else None,
            "waiting": sum(waiting.get(s, 0) for s in c["services"]),
            # The TV marks a counter nobody is signed in at, so it does not look open.
            "officer": c["officer_id"] is not None,
        })
    return {
        "center_name": cfg.center_name, "unit_name": cfg.unit_name, "now": cfg.iso(now),
        "counters": counters,
        "services": [{"code": s["code"], "name": s["name_vi"], "name_en": s["name_en"],
                      "room": s["room"], "waiting": waiting.get(s["code"], 0)} for s in services],
        "recent_calls": recent_calls(db, cfg, cfg.recent_calls), "notice": cfg.notice_text,
        "spotlight_seconds": cfg.spotlight_seconds, "voice_repeat": cfg.voice_repeat,
        "voice_displays": cfg.voice_displays,
    }


def counter_view(db: Database, cfg: EngineConfig, now: float, number: int) -> dict:
    """What an officer at a counter sees: state, ticket in hand, next numbers per service."""
    c = catalog.counter(db, number)
    day = cfg.day(now)
    held = None
    if c["current_ticket"]:
        rows = list(db.query("SELECT * FROM tickets WHERE id = ? AND state IN ('called', 'serving')",
                             [c["current_ticket"]]))
        if rows:
            t = rows[0]
            held = {"id": t["id"], "code": t["code"], "service": t["service"], "state": t["state"],
                    "priority": bool(t["priority"]), "called_at": cfg.iso(t["called_at"]),
                    "started_at": cfg.iso(t["started_at"]), "recalls": t["recalls"],
                    "issued_at": cfg.iso(t["issued_at"])}
    queues = []
    for code in c["services"]:
        nxt = [{"code": r["code"], "priority": bool(r["priority"]), "issued_at": cfg.iso(r["issued_at"])}
               for r in db.query(
                   """SELECT code, priority, issued_at FROM tickets WHERE state = 'waiting' AND day = ?
                      AND service = ? ORDER BY priority DESC, issued_at LIMIT 5""", [day, code])]
        count = sql.first(db, "SELECT coalesce(sum(n), 0) AS n FROM waiting WHERE day = ? AND service = ?",
                          [day, code])["n"]
        queues.append({"service": code, "waiting": count, "next": nxt})
    officer = db["users"].get(c["officer_id"]) if c["officer_id"] else None
    return {"number": number, "name": c["name"] or f"Quầy {number}", "state": c["state"],
            "services": c["services"], "ticket": held, "queues": queues,
            "officer": {"id": officer["id"], "username": officer["username"],
                        "full_name": officer["full_name"]} if officer else None}


def was_called(db: Database, code: str, counter: int, *, since: float) -> bool:
    """Whether number `code` was called to `counter` since `since`."""
    return sql.first(db, "SELECT 1 FROM calls WHERE at >= ? AND code = ? AND counter = ? LIMIT 1",
                     [since, code, counter]) is not None
