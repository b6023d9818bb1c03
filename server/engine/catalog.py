"""Reading the center's catalog: services, counters and their opening hours."""

from __future__ import annotations

import json
from datetime import datetime

from sqlite_utils import Database

from ..errors import BadRequest, UnknownCounter, UnknownService
from . import sql


def service(db: Database, code: str, *, active_only: bool = True) -> dict:
    """The service row with that code; UnknownService when absent or inactive."""
    rows = sql.rows(db, "SELECT * FROM services WHERE code = ?", [code])
    if not rows or (active_only and not rows[0]["active"]):
        raise UnknownService(f"Lĩnh vực '{code}' không tồn tại hoặc đã ngừng", service=code)
    return rows[0]


def services(db: Database, *, active_only: bool = True) -> list[dict]:
    """Every service, in display order."""
    where = "WHERE active = 1" if active_only else ""
    return sql.rows(db, f"SELECT * FROM services {where} ORDER BY sort, code")


def counter(db: Database, number: int) -> dict:
    """The counter row, with `services` decoded to a list; UnknownCounter when absent."""
    rows = sql.rows(db, "SELECT * FROM counters WHERE number = ? AND active = 1", [number])
    if not rows:
        raise UnknownCounter(f"Quầy số {number} không tồn tại", counter=number)
    row = rows[0]
    row["services"] = json.loads(row["services"])
    return row


def counters(db: Database) -> list[dict]:
    """Every active counter, by number, with `services` decoded."""
    rows = sql.rows(db, "SELECT * FROM counters WHERE active = 1 ORDER BY number")
    for row in rows:
        row["services"] = json.loads(row["services"])
    return rows


def counters_serving(db: Database, code: str, all_counters: list[dict] | None = None) -> list[int]:
    """Numbers of the active counters that serve a service (`all_counters`: `counters(db)`,
    when the caller has it already)."""
    return [c["number"] for c in (counters(db) if all_counters is None else all_counters) if code in c["services"]]


def people(db: Database) -> dict[int, dict]:
    """Every user's id, user name and full name, by id (to name who holds a counter)."""
    return {u["id"]: u for u in sql.rows(db, "SELECT id, username, full_name FROM users")}


def listing(db: Database) -> list[dict]:
    """The active services as `GET /api/services` lists them, with the counters serving each."""
    all_counters = counters(db)
    return [{"code": s["code"], "name": s["name_vi"], "name_en": s["name_en"], "prefix": s["prefix"],
             "counters": counters_serving(db, s["code"], all_counters)} for s in services(db)]


def validate_hours(hours) -> list[dict]:
    """Check an opening-hours list: [{"days": [1..7], "from": "HH:MM", "to": "HH:MM"}, ...]."""
    if hours is None:
        return None
    if not isinstance(hours, list):
        raise BadRequest("hours phải là một danh sách")
    for period in hours:
        if not isinstance(period, dict) or set(period) != {"days", "from", "to"}:
            raise BadRequest('mỗi khung giờ cần đúng các khoá "days", "from", "to"')
        if not all(isinstance(d, int) and 1 <= d <= 7 for d in period["days"]):
            raise BadRequest("days là các số 1 (thứ Hai) đến 7 (Chủ nhật)")
        for key in ("from", "to"):
            try:
                datetime.strptime(period[key], "%H:%M")
            except (TypeError, ValueError):
                raise BadRequest(f"{key} phải có dạng HH:MM, không phải {period[key]!r}") from None
    return hours


def is_open(hours_json: str | None, local: datetime) -> bool:
    """Whether a service with these opening hours (None: always) is open at a local time."""
    if not hours_json:
        return True
    hhmm = local.strftime("%H:%M")
    for period in json.loads(hours_json):
        if local.isoweekday() in period["days"] and period["from"] <= hhmm < period["to"]:
            return True
    return False
