"""What an officer's console shows: his counter's view and his own figures for today.

Ratings reach the officer only once the rating window of their ticket has closed (the citizen
has left the terminal), and only as today's totals: the console never tells which button the
citizen in front of the officer pressed.
"""

from __future__ import annotations

from sqlite_utils import Database

from . import catalog, views
from .config import EngineConfig

SCORES = ("5", "4", "3", "2", "1")


def release_at(cfg: EngineConfig, row: dict) -> float | None:
    """When a counted rating may be shown to its officer; None while its ticket is in hand.

    `row` has the rating's `received_at` and its ticket's `t_state` and `finished_at`."""
    state = row["t_state"]
    if state in ("called", "serving"):
        return None  # the citizen may still be at the counter: wait until the ticket leaves it
    if state == "done" and row["finished_at"] is not None:
        return row["finished_at"] + cfg.rating_window_s
    # Transferred, no-show or no ticket: the press itself opens the window.
    return row["received_at"] + cfg.rating_window_s


def _counted(db: Database, day: str, officer_id: int) -> list[dict]:
    return list(db.query(
        """SELECT r.score, r.received_at, t.state AS t_state, t.finished_at
           FROM ratings r LEFT JOIN tickets t ON t.id = r.ticket_id
           WHERE r.day = ? AND r.officer_id = ? AND r.status = 'counted'""", [day, officer_id]))


def today(db: Database, cfg: EngineConfig, now: float, officer_id: int) -> dict:
    """The officer's figures for today: served, no-shows, mean service time, and the ratings
    whose window has closed, by score, with the satisfaction rate ((5 + 4) / counted × 100)."""
    day = cfg.day(now)
    served = next(db.query(
        """SELECT count(*) AS n, avg(finished_at - coalesce(started_at, called_at)) AS avg_s
           FROM tickets WHERE day = ? AND officer_id = ? AND state = 'done'""", [day, officer_id]))
    no_show = next(db.query(
        "SELECT count(*) AS n FROM tickets WHERE day = ? AND officer_id = ? AND state = 'no_show'",
        [day, officer_id]))["n"]
    levels = {s: 0 for s in SCORES}
    for row in _counted(db, day, officer_id):
        due = release_at(cfg, row)
        if due is not None and due <= now:
            levels[str(row["score"])] += 1
    counted = sum(levels.values())
    return {
        "served": served["n"], "no_show": no_show,
        "avg_service_s": round(served["avg_s"]) if served["avg_s"] is not None else None,
        "ratings": levels, "ratings_counted": counted,
        "satisfaction_rate": round((levels["5"] + levels["4"]) * 100.0 / counted, 1) if counted else None,
    }


def next_release(db: Database, cfg: EngineConfig, now: float, officer_id: int) -> float | None:
    """The earliest time a rating of the officer not yet shown becomes visible (None: none due)."""
    pending = [due for due in (release_at(cfg, r) for r in _counted(db, cfg.day(now), officer_id))
               if due is not None and due > now]
    return min(pending) if pending else None


def console_view(db: Database, cfg: EngineConfig, now: float, number: int) -> dict:
    """The counter's view (views.counter_view) plus what the console needs around it: server
    time, service names, services a ticket can be transferred to, today's no-shows that can be
    put back in the queue, and the officer's own figures."""
    view = views.counter_view(db, cfg, now, number)
    services = catalog.services(db)
    names = {s["code"]: (s["name_vi"], s["name_en"]) for s in services}
    for queue in view["queues"]:
        queue["name"], queue["name_en"] = names.get(queue["service"], (queue["service"], ""))
    held = view["ticket"]
    if held:
        held["service_name"], held["service_name_en"] = names.get(held["service"], (held["service"], ""))
        # Unix times to the millisecond, for the console's timer (the ISO ones are to the second).
        times = next(db.query("SELECT called_at, started_at FROM tickets WHERE id = ?", [held["id"]]))
        held["called_ts"], held["started_ts"] = times["called_at"], times["started_at"]
    view["waiting"] = sum(q["waiting"] for q in view["queues"])
    view["now"] = cfg.iso(now)
    view["now_ts"] = now
    view["transfer_to"] = [{"code": s["code"], "name": s["name_vi"], "name_en": s["name_en"]} for s in services]
    view["no_shows"] = [{"id": r["id"], "code": r["code"], "no_show_at": cfg.iso(r["no_show_at"])}
                        for r in db.query(
                            """SELECT id, code, no_show_at FROM tickets WHERE day = ? AND counter = ?
                               AND state = 'no_show' ORDER BY no_show_at DESC LIMIT 5""",
                            [cfg.day(now), number])]
    view["today"] = today(db, cfg, now, view["officer"]["id"]) if view["officer"] else None
    return view
