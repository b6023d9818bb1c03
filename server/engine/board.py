"""The supervisors' live board snapshot: counters, services, devices and today's figures."""

from __future__ import annotations

import json
from typing import Any, Callable

from sqlite_utils import Database

from . import catalog, views
from .config import EngineConfig


def snapshot(db: Database, cfg: EngineConfig, now: float, *, settings: Callable[[str], Any]) -> dict:
    """Everything the board shows, as of `now`."""
    day = cfg.day(now)
    display = views.display_snapshot(db, cfg, now, recent=10)
    today = next(db.query(
        """SELECT count(*) AS issued,
                  sum(state = 'done') AS served,
                  sum(state = 'no_show') AS no_show,
                  sum(state = 'waiting') AS waiting
           FROM tickets WHERE day = ?""", [day]))
    levels = {str(s): 0 for s in range(1, 6)}
    for r in db.query("SELECT score, count(*) AS n FROM ratings WHERE day = ? AND status = 'counted' GROUP BY score", [day]):
        levels[str(r["score"])] = r["n"]
    counted = sum(levels.values())
    devices = []
    for d in db.query("SELECT id, name, roles, counter, online, last_seen, last_status FROM devices WHERE active = 1 ORDER BY id"):
        devices.append({**d, "roles": json.loads(d["roles"]),
                        "last_status": json.loads(d["last_status"]) if d["last_status"] else None,
                        "last_seen": cfg.iso(d["last_seen"])})
    return {
        "now": cfg.iso(now), "day": day, "center_name": cfg.center_name,
        "counters": display["counters"], "services": display["services"], "devices": devices,
        "today": {**{k: v or 0 for k, v in today.items()}, "ratings": levels, "ratings_counted": counted,
                  "satisfaction_rate": round((levels["5"] + levels["4"]) * 100.0 / counted, 1) if counted else None},
        "recent_calls": display["recent_calls"],
    }
