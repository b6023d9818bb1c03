"""Issuing tickets: the daily gap-free sequence, limits, opening hours and the wait estimate."""

from __future__ import annotations

import math

from sqlite_utils import Database

from ..errors import DailyLimit, IdempotencyConflict, IllegalTransition, NotFound, ServiceClosed
from . import audit, catalog, sql
from .config import EngineConfig


def format_code(service: dict, seq: int) -> str:
    """'A' + 001 for prefixed services, the bare number ('1001') for the others."""
    if service["prefix"]:
        return f"{service['prefix']}{seq:0{service['digits']}d}"
    return str(seq)


def issue(db: Database, cfg: EngineConfig, now: float, *, ticket_id: str, service: str,
          priority: bool = False, device_id: str | None = None, actor: str = "system") -> dict:
    """Issue a ticket (or return the one already issued under `ticket_id`); returns `info()`."""
    existing = get(db, ticket_id)
    if existing is not None:
        # A replay is the same request from the same kiosk; anything else reusing the id is refused.
        if existing["origin_service"] != service or bool(existing["priority"]) != bool(priority) \
                or existing["device_id"] != device_id:
            raise IdempotencyConflict(f"Mã {ticket_id} đã được dùng cho một phiếu khác")
        return info(db, cfg, existing)
    if sql.first(db, "SELECT 1 FROM voided_requests WHERE id = ?", [ticket_id]):
        raise IllegalTransition("Yêu cầu lấy số này đã bị huỷ vì máy không in được phiếu")
    svc = catalog.service(db, service)
    local = cfg.local(now)
    holiday = dict(cfg.closed_days).get(local.date().isoformat())
    if holiday is not None:
        raise ServiceClosed(f"Hôm nay ({local:%d/%m/%Y}{', ' + holiday if holiday else ''}) trung tâm nghỉ",
                            service=service)
    if not catalog.is_open(cfg.center_hours, local):
        raise ServiceClosed("Trung tâm đang ngoài giờ làm việc", service=service)
    if not catalog.is_open(svc["hours"], local):
        raise ServiceClosed(f"Lĩnh vực {svc['name_vi']} đang ngoài giờ tiếp nhận", service=service)
    day = local.date().isoformat()
    # The last number, who is ahead and the recent service times in one SQLite call: each call is
    # a wait for the interpreter lock on the writer thread under load (docs/benchmarks.md).
    facts = queue_facts(db, cfg, day, service, priority)
    last = facts["last"]
    if svc["daily_limit"] is not None:
        # (count(*) scans the day's tickets of the service: only when there is a limit)
        count = sql.first(db, "SELECT count(*) AS n FROM tickets WHERE day = ? AND origin_service = ?",
                          [day, service])["n"]
        if count >= svc["daily_limit"]:
            raise DailyLimit(f"Lĩnh vực {svc['name_vi']} đã hết số trong ngày ({svc['daily_limit']})",
                             service=service)
    seq = svc["first_number"] if last is None else last + 1
    ahead = facts["ahead"]
    all_counters = catalog.counters(db)
    row = {
        "id": ticket_id, "day": day, "origin_service": service, "service": service, "seq": seq,
        "code": format_code(svc, seq), "priority": int(bool(priority)), "state": "waiting",
        "issued_at": now, "device_id": device_id, "waiting_ahead": ahead,
        "eta_minutes": _eta(ahead, _minutes(cfg, facts["mean_s"]), service, all_counters),
    }
    sql.insert(db, "tickets", row)
    audit.record(db, now, actor, "ticket.issue", ticket_id, code=row["code"], service=service,
                 priority=bool(priority))
    return info(db, cfg, row, svc=svc, all_counters=all_counters)


def get(db: Database, ticket_id: str) -> dict | None:
    """The ticket row or None."""
    return sql.first(db, "SELECT * FROM tickets WHERE id = ?", [ticket_id])


def find(db: Database, cfg: EngineConfig, now: float, ref: str) -> dict:
    """A ticket by id, or by code among today's tickets; NotFound otherwise."""
    row = get(db, ref)
    if row is None:
        rows = list(db.query("SELECT * FROM tickets WHERE day = ? AND code = ? ORDER BY issued_at DESC",
                             [cfg.day(now), ref]))
        row = rows[0] if rows else None
    if row is None:
        raise NotFound(f"Không tìm thấy số {ref}")
    return row


def info(db: Database, cfg: EngineConfig, row: dict, *, svc: dict | None = None,
         all_counters: list[dict] | None = None) -> dict:
    """The ticket as the protocol sends it to a kiosk (`svc`, `all_counters`: when the caller has
    read them already)."""
    if svc is None or svc["code"] != row["service"]:
        svc = catalog.service(db, row["service"], active_only=False)
    track = f"{cfg.track_url.rstrip('/')}/{row['id']}" if cfg.track_url else None
    return {
        "id": row["id"], "code": row["code"], "service": row["service"],
        "service_name": svc["name_vi"], "service_name_en": svc["name_en"],
        "issued_at": cfg.iso(row["issued_at"]), "waiting_ahead": row["waiting_ahead"],
        "eta_minutes": row["eta_minutes"], "priority": bool(row["priority"]),
        "counters": catalog.counters_serving(db, row["service"], all_counters), "state": row["state"],
        "center_name": cfg.center_name, "unit_name": cfg.unit_name, "track_url": track,
        "timezone": str(cfg.tz),
    }


def status(db: Database, cfg: EngineConfig, ticket_id: str) -> dict:
    """A ticket as its holder follows it: `info()`, who is ahead now, the counter that called it."""
    row = get(db, ticket_id)
    if row is None:
        raise NotFound("Không tìm thấy phiếu")
    ahead = None
    if row["state"] == "waiting":
        ahead = sql.first(
            db, """SELECT count(*) AS n FROM tickets WHERE state = 'waiting' AND day = ? AND service = ?
                   AND (priority > ? OR (priority = ? AND issued_at < ?))""",
            [row["day"], row["service"], row["priority"], row["priority"], row["issued_at"]])["n"]
    return {**info(db, cfg, row), "waiting_ahead_now": ahead, "counter": row["counter"]}


def waiting_ahead(db: Database, day: str, service: str, priority: bool) -> int:
    """Tickets of the service waiting before a new one (priority ones jump normal ones)."""
    extra = "AND priority = 1" if priority else ""
    return sql.first(db, f"SELECT coalesce(sum(n), 0) AS n FROM waiting WHERE day = ? AND service = ? {extra}",
                     [day, service])["n"]


# The mean of a service's last few service times, in seconds (NULL when there are none): one row
# back, not `estimate_sample` rows.
_MEAN_SERVICE_S = """(SELECT avg(d) FROM (
        SELECT finished_at - coalesce(started_at, called_at) AS d FROM tickets
        WHERE service = :service AND state = 'done' AND finished_at IS NOT NULL
        ORDER BY finished_at DESC LIMIT :sample)
    WHERE d IS NOT NULL AND d >= 0)"""


def queue_facts(db: Database, cfg: EngineConfig, day: str, service: str, priority: bool) -> dict:
    """{"last": the day's last number of the service (None before the first), "ahead": tickets
    waiting before a new one, "mean_s": the mean recent service time (None if none)}."""
    extra = "AND priority = 1" if priority else ""
    return sql.first(db, f"""SELECT
        (SELECT max(seq) FROM tickets WHERE day = :day AND origin_service = :service) AS last,
        (SELECT coalesce(sum(n), 0) FROM waiting WHERE day = :day AND service = :service {extra}) AS ahead,
        {_MEAN_SERVICE_S} AS mean_s""", {"day": day, "service": service, "sample": cfg.estimate_sample})


def _minutes(cfg: EngineConfig, mean_s: float | None) -> float:
    return cfg.default_service_minutes if mean_s is None else mean_s / 60.0


def average_service_minutes(db: Database, cfg: EngineConfig, service: str) -> float:
    """Mean of the service's last few service times, or the configured default."""
    row = sql.first(db, f"SELECT {_MEAN_SERVICE_S} AS mean_s", {"service": service, "sample": cfg.estimate_sample})
    return _minutes(cfg, row["mean_s"])


def _eta(ahead: int, minutes: float, service: str, all_counters: list[dict]) -> int:
    open_counters = [c for c in all_counters if service in c["services"] and c["state"] == "open"]
    staffed = [c for c in open_counters if c["officer_id"] is not None]
    capacity = max(1, len(staffed) or len(open_counters))
    return int(math.ceil(ahead * minutes / capacity))


def eta_minutes(db: Database, cfg: EngineConfig, now: float, service: str, ahead: int,
                all_counters: list[dict] | None = None) -> int:
    """Estimated wait in whole minutes: tickets ahead × mean service time ÷ open counters."""
    if all_counters is None:
        all_counters = catalog.counters(db)
    return _eta(ahead, average_service_minutes(db, cfg, service), service, all_counters)


def cancel_unprinted(db: Database, cfg: EngineConfig, now: float, *, ticket_id: str, reason: str,
                     device_id: str | None, actor: str) -> dict:
    """A kiosk could not print the ticket: it must never be called. Idempotent."""
    row = get(db, ticket_id)
    if row is None:
        # The kiosk gave up waiting for this request: make sure it never becomes a ticket.
        db.execute("INSERT OR IGNORE INTO voided_requests (id, at, device_id, reason) VALUES (?, ?, ?, ?)",
                   [ticket_id, now, device_id, reason[:200]])
        audit.record(db, now, actor, "ticket.void_request", ticket_id, reason=reason[:200])
        return {"ticket_id": ticket_id, "state": "voided"}
    if device_id is not None and row["device_id"] not in (None, device_id):
        raise IllegalTransition("Phiếu này do thiết bị khác cấp")
    if row["state"] == "cancelled":
        return {"ticket_id": ticket_id, "state": "cancelled"}
    if row["state"] != "waiting":
        raise IllegalTransition(f"Số {row['code']} đã được gọi, không huỷ được")
    db.execute("UPDATE tickets SET state = 'cancelled', cancel_reason = ? WHERE id = ?",
               [reason[:200], ticket_id])
    audit.record(db, now, actor, "ticket.print_failed", ticket_id, code=row["code"], reason=reason[:200])
    return {"ticket_id": ticket_id, "state": "cancelled"}
