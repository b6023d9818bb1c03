"""Alerts for the supervisors' board: raised when a condition holds, closed when it stops holding.

Conditions (thresholds are live settings, `alert_*` in server/settings.py):
- `low_ratings` (per counter): within the last `alert_low_window_min` minutes, at least
  `alert_low_min_count` counted ratings, and the share of scores of 2 or less above `alert_low_share`;
- `long_wait` (per service): a ticket of today has waited longer than `alert_wait_min` minutes;
- `device_offline` (per device): a device that has connected before has been offline longer than
  `alert_offline_s` seconds;
- `paper_out` (per device): its printer reports paper out;
- `stray_presses` (per rating terminal): at least `alert_unattributed_count` presses with no
  ticket to attribute them to within `alert_unattributed_window_min` minutes (someone playing
  with the buttons, or an officer pressing for himself).

An alert has the time it opened, who acknowledged it and when, and closes by itself ("auto")
when its condition no longer holds; the same condition later opens a new alert. At most one
alert is open per kind and subject (a unique index says so).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from sqlite_utils import Database

from ..errors import NotFound
from . import audit
from .config import EngineConfig

KINDS = ("low_ratings", "long_wait", "device_offline", "paper_out", "stray_presses")
THRESHOLDS = ("alert_low_share", "alert_low_window_min", "alert_low_min_count", "alert_wait_min",
              "alert_offline_s", "alert_unattributed_count", "alert_unattributed_window_min")


def thresholds(setting: Callable[[str], Any]) -> dict:
    """The alert thresholds from a settings getter."""
    return {name: setting(name) for name in THRESHOLDS}


def conditions(db: Database, cfg: EngineConfig, now: float, th: dict) -> dict[tuple[str, str], dict]:
    """Every condition that holds now: {(kind, subject): data}."""
    found: dict[tuple[str, str], dict] = {}
    window = float(th["alert_low_window_min"]) * 60
    for r in db.query(
            """SELECT counter, count(*) AS n, sum(score <= 2) AS low FROM ratings
               WHERE pressed_at > ? AND pressed_at <= ? AND status = 'counted' AND counter IS NOT NULL
               GROUP BY counter""", [now - window, now]):
        if r["n"] >= int(th["alert_low_min_count"]) and r["low"] / r["n"] > float(th["alert_low_share"]):
            officer = next(db.query(
                """SELECT u.full_name, u.username FROM ratings r JOIN users u ON u.id = r.officer_id
                   WHERE r.counter = ? AND r.pressed_at > ? AND r.status = 'counted'
                   ORDER BY r.pressed_at DESC LIMIT 1""", [r["counter"], now - window]), None)
            found[("low_ratings", f"counter:{r['counter']}")] = {
                "counter": r["counter"], "n": r["n"], "low": r["low"], "share": round(r["low"] / r["n"], 3),
                "window_min": th["alert_low_window_min"],
                "officer": (officer["full_name"] or officer["username"]) if officer else None}
    limit = float(th["alert_wait_min"]) * 60
    today, since = cfg.day(now), _start_of_day(cfg, now)
    # The services with someone waiting come from the `waiting` counts, and each one's oldest
    # ticket from the queue index, one row per priority: the check costs the same with 10 or
    # 10,000 tickets waiting (a GROUP BY over the waiting tickets took tens of ms under load).
    for w in db.query("""SELECT w.service, sum(w.n) AS n, s.name_vi AS name FROM waiting w
                         JOIN services s ON s.code = w.service
                         WHERE w.day = ? AND w.n > 0 GROUP BY w.service""", [today]):
        heads = [next(db.query("""SELECT issued_at, code FROM tickets
                                  WHERE state = 'waiting' AND service = ? AND priority = ? AND issued_at >= ?
                                  AND day = ? ORDER BY issued_at LIMIT 1""", [w["service"], prio, since, today]), None)
                 for prio in (0, 1)]
        heads = [h for h in heads if h is not None]
        if not heads:
            continue
        oldest = min(heads, key=lambda h: h["issued_at"])
        if now - oldest["issued_at"] > limit:
            found[("long_wait", f"service:{w['service']}")] = {
                "service": w["service"], "service_name": w["name"], "code": oldest["code"],
                "since": cfg.iso(oldest["issued_at"]), "limit_min": th["alert_wait_min"]}
    for d in db.query("SELECT id, name, counter, online, last_seen, last_status FROM devices WHERE active = 1"):
        if not d["online"] and d["last_seen"] is not None and now - d["last_seen"] > float(th["alert_offline_s"]):
            found[("device_offline", f"device:{d['id']}")] = {
                "device": d["id"], "name": d["name"], "counter": d["counter"], "last_seen": cfg.iso(d["last_seen"])}
        status = _status(d["last_status"])
        if status.get("printer") == "paper_out":
            found[("paper_out", f"device:{d['id']}")] = {"device": d["id"], "name": d["name"]}
    window = float(th["alert_unattributed_window_min"]) * 60
    for r in db.query(
            """SELECT device_id, counter, count(*) AS n FROM ratings
               WHERE pressed_at > ? AND pressed_at <= ? AND status = 'unattributed' GROUP BY device_id""",
            [now - window, now]):
        if r["n"] >= int(th["alert_unattributed_count"]):
            found[("stray_presses", f"device:{r['device_id']}")] = {
                "device": r["device_id"], "counter": r["counter"], "n": r["n"],
                "window_min": th["alert_unattributed_window_min"]}
    return found


def _status(raw: str | None) -> dict:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _open(db: Database) -> dict[tuple[str, str], dict]:
    return {(r["kind"], r["subject"]): r for r in db.query("SELECT * FROM alerts WHERE closed_at IS NULL")}


def pending(db: Database, cfg: EngineConfig, now: float, th: dict) -> bool:
    """Whether `evaluate` would open or close anything (read-only: spares a write when not)."""
    return set(conditions(db, cfg, now, th)) != set(_open(db))


def evaluate(db: Database, cfg: EngineConfig, now: float, *, th: dict) -> dict:
    """Write job: open the alerts whose condition holds and close those whose condition has
    stopped holding; returns {"opened": [ids], "closed": [ids]}."""
    current = conditions(db, cfg, now, th)
    existing = _open(db)
    opened, closed = [], []
    for key, data in current.items():
        if key not in existing:
            kind, subject = key
            cur = db.execute("INSERT INTO alerts (kind, subject, data, opened_at) VALUES (?, ?, ?, ?)",
                             [kind, subject, json.dumps(data, ensure_ascii=False), now])
            opened.append(cur.lastrowid)
            audit.record(db, now, "system", "alert.open", cur.lastrowid, kind=kind, about=subject)
    for key, row in existing.items():
        if key not in current:
            db.execute("UPDATE alerts SET closed_at = ?, closed_by = 'auto' WHERE id = ?", [now, row["id"]])
            closed.append(row["id"])
            audit.record(db, now, "system", "alert.close", row["id"], kind=row["kind"], about=row["subject"])
    return {"opened": opened, "closed": closed}


def acknowledge(db: Database, cfg: EngineConfig, now: float, *, alert_id: int, user: dict) -> dict:
    """Write job: a supervisor has seen the alert. Acknowledging twice keeps the first."""
    rows = list(db.query("SELECT * FROM alerts WHERE id = ?", [alert_id]))
    if not rows:
        raise NotFound(f"Không có cảnh báo số {alert_id}")
    row = rows[0]
    if row["acked_at"] is None:
        db.execute("UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ?", [now, user["username"], alert_id])
        audit.record(db, now, f"user:{user['username']}", "alert.ack", alert_id, kind=row["kind"])
    return listing(db, cfg, now, ids=[alert_id])[0]


def listing(db: Database, cfg: EngineConfig, now: float, *, closed_limit: int = 10,
            ids: list[int] | None = None) -> list[dict]:
    """Open alerts (newest first), then the last ones closed today; or the alerts `ids`."""
    if ids is not None:
        rows = list(db.query(f"SELECT * FROM alerts WHERE id IN ({','.join('?' * len(ids))})", ids))
    else:
        rows = list(db.query("SELECT * FROM alerts WHERE closed_at IS NULL ORDER BY opened_at DESC, id DESC"))
        start_of_day = _start_of_day(cfg, now)
        rows += list(db.query(
            """SELECT * FROM alerts WHERE closed_at IS NOT NULL AND closed_at >= ?
               ORDER BY closed_at DESC, id DESC LIMIT ?""", [start_of_day, closed_limit]))
    names = {}
    if rows:
        names = {u["username"]: u["full_name"] or u["username"] for u in db.query(
            "SELECT username, full_name FROM users WHERE username IN (%s)" % ",".join("?" * len(rows)),
            [r["acked_by"] or "" for r in rows])}
    return [{
        "id": r["id"], "kind": r["kind"], "subject": r["subject"], "data": json.loads(r["data"] or "{}"),
        "opened_at": cfg.iso(r["opened_at"]), "acked_at": cfg.iso(r["acked_at"]),
        "acked_by": r["acked_by"], "acked_by_name": names.get(r["acked_by"]) if r["acked_by"] else None,
        "closed_at": cfg.iso(r["closed_at"]), "closed_by": r["closed_by"], "open": r["closed_at"] is None,
    } for r in rows]


def _start_of_day(cfg: EngineConfig, now: float) -> float:
    local = cfg.local(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
