"""The supervisors' live board snapshot: counters, services, today's figures, officers, devices
and alerts, as of `now`. Read in one transaction; only today's rows are touched (indexes on
`day`), so it stays fast on years of history. Today's figures come from the reports' own
definitions (server/reports), so the board and the day's report always agree.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Callable

from sqlite_utils import Database

from ..engine import alerts, catalog, tickets, views
from ..engine.config import EngineConfig
from . import queries

TODAY_KEYS = ("issued", "served", "no_show", "no_show_rate", "unserved", "avg_wait_s", "p90_wait_s",
              "avg_service_s", "ratings", "ratings_counted", "satisfied", "satisfaction_rate",
              "response_rate", "duplicates", "unattributed", "transferred")


def _since(now: float, ts: float | None) -> float | None:
    return None if ts is None else round(now - ts, 1)


def _counters(db: Database, cfg: EngineConfig, now: float, names: dict, waiting: dict) -> list[dict]:
    held = {r["counter"]: r for r in db.query(
        """SELECT id, counter, code, service, state, called_at, started_at, recalls, priority FROM tickets
           WHERE state IN ('called', 'serving') AND counter IS NOT NULL AND day >= ?""",
        [date.fromordinal(date.fromisoformat(cfg.day(now)).toordinal() - 1).isoformat()])}
    users = {u["id"]: u for u in db.query(
        "SELECT u.id, u.username, u.full_name FROM users u JOIN counters c ON c.officer_id = u.id")}
    out = []
    for c in catalog.counters(db):
        t = held.get(c["number"])
        officer = users.get(c["officer_id"])
        out.append({
            "number": c["number"], "name": c["name"] or f"Quầy {c['number']}", "room": c["room"],
            "state": c["state"], "state_since": cfg.iso(c["state_since"]),
            "services": c["services"], "service_names": [names[s] for s in c["services"] if s in names],
            "waiting": sum(waiting.get(s, 0) for s in c["services"]),
            "officer": {"id": officer["id"], "username": officer["username"],
                        "name": officer["full_name"] or officer["username"]} if officer else None,
            "officer_since": cfg.iso(c["officer_since"]),
            "serving": t["code"] if t else None, "serving_state": t["state"] if t else None,
            "ticket": {"code": t["code"], "service": t["service"], "state": t["state"],
                       "priority": bool(t["priority"]), "recalls": t["recalls"],
                       "called_at": cfg.iso(t["called_at"]), "started_at": cfg.iso(t["started_at"]),
                       "held_s": _since(now, t["called_at"])} if t else None,
        })
    return out


def _services(db: Database, cfg: EngineConfig, now: float, day: str, figures: dict) -> list[dict]:
    by_code = {s["code"]: s for s in figures["services"] if s["code"]}
    oldest = {r["service"]: r for r in db.query(
        """SELECT service, count(*) AS n, min(issued_at) AS oldest FROM tickets
           WHERE state = 'waiting' AND day = ? GROUP BY service""", [day])}
    serving = {}
    for c in catalog.counters(db):
        for code in c["services"]:
            serving.setdefault(code, []).append(c["number"])
    out = []
    for s in catalog.services(db):
        w = oldest.get(s["code"])
        n = w["n"] if w else 0
        f = by_code.get(s["code"], {})
        out.append({
            "code": s["code"], "name": s["name_vi"], "name_en": s["name_en"], "room": s["room"],
            "waiting": n, "longest_wait_s": _since(now, w["oldest"]) if w else None,
            "oldest_issued_at": cfg.iso(w["oldest"]) if w else None,
            "eta_minutes": tickets.eta_minutes(db, cfg, now, s["code"], n),
            "issued": f.get("issued", 0), "served": f.get("served", 0), "no_show": f.get("no_show", 0),
            "avg_wait_s": f.get("avg_wait_s"), "avg_service_s": f.get("avg_service_s"),
            "satisfaction_rate": f.get("satisfaction_rate"), "ratings_counted": f.get("ratings_counted", 0),
            "counters": serving.get(s["code"], []),
        })
    return out


def _devices(db: Database, cfg: EngineConfig, now: float) -> list[dict]:
    out = []
    for d in db.query("SELECT id, name, roles, counter, online, last_seen, last_status FROM devices "
                      "WHERE active = 1 ORDER BY coalesce(counter, 0), id"):
        try:
            status = json.loads(d["last_status"]) if d["last_status"] else None
        except ValueError:
            status = None
        status = status if isinstance(status, dict) else None
        out.append({
            "id": d["id"], "name": d["name"], "roles": json.loads(d["roles"]), "counter": d["counter"],
            "online": bool(d["online"]), "last_seen": cfg.iso(d["last_seen"]),
            "last_seen_ago_s": _since(now, d["last_seen"]), "last_status": status,
            "printer": (status or {}).get("printer"), "outbox": (status or {}).get("outbox"),
            "version": (status or {}).get("version"), "uptime_s": (status or {}).get("uptime_s"),
        })
    return out


def snapshot(db: Database, cfg: EngineConfig, now: float, *, settings: Callable[[str], Any]) -> dict:
    """Everything the board shows, as of `now`."""
    day = cfg.day(now)
    with queries.snapshot(db):
        figures = queries.today(db, cfg, now)
        names = {s["code"]: s["name_vi"] for s in catalog.services(db, active_only=False)}
        waiting = views.waiting_counts(db, day)
        counters = _counters(db, cfg, now, names, waiting)
        at_counter = {c["officer"]["id"]: c["number"] for c in counters if c["officer"]}
        officers = [{**{k: o[k] for k in ("id", "username", "name", "served", "no_show", "avg_service_s",
                                          "ratings", "ratings_counted", "satisfied", "satisfaction_rate",
                                          "response_rate", "duplicates", "unattributed")},
                     "counter": at_counter.get(o["id"])} for o in figures["officers"]]
        for uid, number in at_counter.items():  # signed in, nothing done yet today: listed too
            if not any(o["id"] == uid for o in officers):
                c = next(c for c in counters if c["number"] == number)
                officers.append({"id": uid, "username": c["officer"]["username"], "name": c["officer"]["name"],
                                 "served": 0, "no_show": 0, "avg_service_s": None,
                                 "ratings": {str(s): 0 for s in (5, 4, 3, 2, 1)}, "ratings_counted": 0,
                                 "satisfied": 0, "satisfaction_rate": None, "response_rate": None,
                                 "duplicates": 0, "unattributed": 0, "counter": number})
        officers.sort(key=lambda o: (o["counter"] is None, o["counter"] or 0, o["name"]))
        summary = figures["summary"]
        result = {
            "now": cfg.iso(now), "now_ts": now, "day": day, "timezone": str(cfg.tz), "center_name": cfg.center_name,
            "counters": counters,
            "services": _services(db, cfg, now, day, figures),
            "today": {**{k: summary[k] for k in TODAY_KEYS}, "waiting": sum(waiting.values())},
            "officers": officers,
            "devices": _devices(db, cfg, now),
            "alerts": alerts.listing(db, cfg, now),
            "recent_calls": views.recent_calls(db, cfg, 10),
            "thresholds": {**alerts.thresholds(settings), "rating_labels": settings("rating_labels")},
        }
    return result
