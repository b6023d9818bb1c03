"""Setting up a center: services, counters, users, devices and settings (engine writes).

Secrets (passwords, tokens) are generated here, returned once, and only their hashes are kept.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from sqlite_utils import Database

from .. import auth, settings
from ..errors import BadRequest, Conflict, NotFound
from . import audit
from .catalog import validate_hours
from .config import EngineConfig

ROLES = ("officer", "supervisor", "admin")
DEVICE_ROLES = ("ticket", "rating", "display", "counter")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def add_service(db: Database, cfg: EngineConfig, now: float, *, code: str, name_vi: str, name_en: str = "", prefix: str = "",
                first_number: int = 1, digits: int = 3, daily_limit: int | None = None,
                hours: list | None = None, room: str = "", sort: int = 0, actor: str = "system") -> dict:
    """Create or update a service."""
    if not _CODE.match(code or ""):
        raise BadRequest(f"mã lĩnh vực '{code}' chỉ gồm chữ, số, '-' và '_' (tối đa 16)")
    if not name_vi:
        raise BadRequest("thiếu tên lĩnh vực (name_vi)")
    if not isinstance(first_number, int) or first_number < 0:
        raise BadRequest("first_number phải là số nguyên không âm")
    if daily_limit is not None and (not isinstance(daily_limit, int) or daily_limit < 1):
        raise BadRequest("daily_limit phải là số nguyên dương hoặc để trống")
    row = {"code": code, "name_vi": name_vi, "name_en": name_en, "prefix": prefix,
           "first_number": first_number, "digits": digits, "daily_limit": daily_limit,
           "hours": json.dumps(validate_hours(hours)) if hours is not None else None,
           "room": room, "sort": sort, "active": 1}
    db["services"].upsert(row, pk="code")
    audit.record(db, now, actor, "service.save", code, **row)
    return row


def add_counter(db: Database, cfg: EngineConfig, now: float, *, number: int, services: list[str], name: str = "",
                room: str = "", actor: str = "system") -> dict:
    """Create or update a counter and the services it serves."""
    if not isinstance(number, int) or number < 1:
        raise BadRequest("số quầy phải là số nguyên dương")
    known = {r["code"] for r in db.query("SELECT code FROM services")}
    missing = [s for s in services if s not in known]
    if missing:
        raise BadRequest(f"lĩnh vực không tồn tại: {', '.join(missing)}")
    row = {"number": number, "name": name or f"Quầy {number}", "services": json.dumps(services),
           "room": room, "active": 1}
    if db["counters"].count_where("number = ?", [number]):
        db["counters"].update(number, row)
    else:
        db["counters"].insert({**row, "state": "open", "state_since": now})
    audit.record(db, now, actor, "counter.save", number, services=services, name=row["name"])
    return row


def add_user(db: Database, cfg: EngineConfig, now: float, *, username: str, role: str, full_name: str = "",
             password: str | None = None, api_token: bool = False, counter: int | None = None,
             expires_days: float | None = None, actor: str = "system") -> dict:
    """Create a user; returns the row plus the one-time `password` and/or `api_token` (which
    expires after `expires_days` if given)."""
    if role not in ROLES:
        raise BadRequest(f"vai trò phải là một trong {', '.join(ROLES)}")
    if not re.match(r"^[A-Za-z0-9_.-]{2,40}$", username or ""):
        raise BadRequest("tên đăng nhập 2-40 ký tự: chữ, số, '.', '-', '_'")
    if db["users"].count_where("username = ?", [username]):
        raise Conflict(f"tên đăng nhập '{username}' đã tồn tại")
    password = password or auth.new_token()[:12]
    token = auth.new_token() if api_token else None
    row = {"username": username, "full_name": full_name, "role": role,
           "password_hash": auth.hash_password(password),
           "api_token_hash": auth.token_hash(token) if token else None,
           "api_token_expires_at": expiry(now, expires_days) if token else None,
           "counter": counter, "active": 1, "created_at": now}
    user_id = db["users"].insert(row).last_pk
    audit.record(db, now, actor, "user.add", username, role=role)
    return {"id": user_id, "username": username, "role": role, "password": password, "api_token": token}


def add_device(db: Database, cfg: EngineConfig, now: float, *, device_id: str, roles: list[str], counter: int | None = None,
               name: str = "", room: str = "", expires_days: float | None = None, actor: str = "system") -> dict:
    """Create a device, or give an existing one a new token; returns the one-time `token` (which
    expires after `expires_days` if given)."""
    if not _CODE.match(device_id or "") and not re.match(r"^[A-Za-z0-9_.-]{1,40}$", device_id or ""):
        raise BadRequest("mã thiết bị 1-40 ký tự: chữ, số, '.', '-', '_'")
    bad = [r for r in roles if r not in DEVICE_ROLES]
    if bad or not roles:
        raise BadRequest(f"vai trò thiết bị phải thuộc {', '.join(DEVICE_ROLES)}")
    if ("rating" in roles or "counter" in roles) and counter is None:
        raise BadRequest("thiết bị đánh giá hoặc bàn phím quầy phải gắn với một quầy (counter)")
    if counter is not None and not db["counters"].count_where("number = ?", [counter]):
        raise BadRequest(f"quầy {counter} không tồn tại")
    token = auth.new_token()
    row = {"id": device_id, "name": name or device_id, "roles": json.dumps(roles),
           "token_hash": auth.token_hash(token), "counter": counter, "room": room, "active": 1,
           "created_at": now, "expires_at": expiry(now, expires_days)}
    db["devices"].upsert(row, pk="id")
    audit.record(db, now, actor, "device.save", device_id, roles=roles, counter=counter, expires_at=row["expires_at"])
    return {"id": device_id, "roles": roles, "counter": counter, "token": token, "expires_at": row["expires_at"]}


def revoke_device(db: Database, cfg: EngineConfig, now: float, *, device_id: str, actor: str = "system") -> None:
    """Refuse the device's token from now on. The server cuts the device's open connections as
    soon as the change is committed (server/services.py, `Services.refresh`)."""
    _device_exists(db, device_id)
    db.execute("UPDATE devices SET active = 0, online = 0 WHERE id = ?", [device_id])
    audit.record(db, now, actor, "device.revoke", device_id)


def rotate_device(db: Database, cfg: EngineConfig, now: float, *, device_id: str, expires_days: float | None = None,
                  actor: str = "system") -> dict:
    """Give a device a new token (active again if it was revoked); the old one is refused from now
    on and its connections are cut. Returns the one-time `token`."""
    _device_exists(db, device_id)
    token = auth.new_token()
    expires_at = expiry(now, expires_days)
    db.execute("UPDATE devices SET token_hash = ?, expires_at = ?, active = 1 WHERE id = ?",
               [auth.token_hash(token), expires_at, device_id])
    audit.record(db, now, actor, "device.rotate", device_id, expires_at=expires_at)
    return {"id": device_id, "token": token, "expires_at": expires_at}


def revoke_token(db: Database, cfg: EngineConfig, now: float, *, username: str, actor: str = "system") -> None:
    """Refuse a user's API token from now on (his password and sessions are untouched)."""
    _user_exists(db, username)
    db.execute("UPDATE users SET api_token_hash = NULL, api_token_expires_at = NULL WHERE username = ?", [username])
    audit.record(db, now, actor, "user.token_revoke", username)


def rotate_token(db: Database, cfg: EngineConfig, now: float, *, username: str, expires_days: float | None = None,
                 actor: str = "system") -> dict:
    """Give a user a new API token (the old one, if any, is refused from now on); returns the
    one-time `api_token`."""
    _user_exists(db, username)
    token = auth.new_token()
    expires_at = expiry(now, expires_days)
    db.execute("UPDATE users SET api_token_hash = ?, api_token_expires_at = ? WHERE username = ?",
               [auth.token_hash(token), expires_at, username])
    audit.record(db, now, actor, "user.token_rotate", username, expires_at=expires_at)
    return {"username": username, "api_token": token, "expires_at": expires_at}


def expiry(now: float, expires_days: float | None) -> float | None:
    """When a token given now for `expires_days` days expires (None: never)."""
    if expires_days is None:
        return None
    if isinstance(expires_days, bool) or not isinstance(expires_days, (int, float)) or not 0 < expires_days <= 36500:
        raise BadRequest("số ngày hiệu lực phải là số dương")
    return now + float(expires_days) * 86400


def _device_exists(db: Database, device_id: str) -> None:
    if not db["devices"].count_where("id = ?", [device_id]):
        raise NotFound(f"thiết bị '{device_id}' không tồn tại")


def _user_exists(db: Database, username: str) -> None:
    if not db["users"].count_where("username = ?", [username]):
        raise NotFound(f"người dùng '{username}' không tồn tại")


def set_setting(db: Database, cfg: EngineConfig, now: float, *, name: str, value, actor: str = "system") -> None:
    """Change a live setting (e.g. the display's notice text)."""
    value = check_setting(name, value)
    db["settings"].upsert({"name": name, "value": json.dumps(value, ensure_ascii=False),
                           "updated_at": now, "updated_by": actor}, pk="name")
    audit.record(db, now, actor, "setting.set", name, value=value)


# =============================================================================================
# The administrators' changes (the /admin pages and `python -m server service|counter|user|
# device|set`): each validates everything first and raises a BadRequest whose Vietnamese
# message names the field, so a refused change changes nothing; each is audited with its actor.
# =============================================================================================

WEEKDAYS = {1: "Thứ Hai", 2: "Thứ Ba", 3: "Thứ Tư", 4: "Thứ Năm", 5: "Thứ Sáu", 6: "Thứ Bảy", 7: "Chủ nhật"}
SERVICE_FIELDS = ("name_vi", "name_en", "prefix", "first_number", "digits", "daily_limit", "hours", "room",
                  "sort", "active")
COUNTER_FIELDS = ("name", "room", "services", "active")
USER_FIELDS = ("full_name", "role", "counter", "active")
DEVICE_FIELDS = ("name", "room", "roles", "counter")
_PREFIX = re.compile(r"^[A-Z0-9]{1,3}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,40}$")
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def _bad(msgid: str, **params) -> BadRequest:
    return BadRequest(msgid=msgid, **params)


def _text(value, field: str, *, required: bool = False, limit: int = 200) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad("%(field)s phải là chữ", field=field)
    value = value.strip()
    if required and not value:
        raise _bad("%(field)s không được để trống", field=field)
    if len(value) > limit:
        raise _bad("%(field)s dài quá %(n)s ký tự", field=field, n=limit)
    return value


def _int(value, field: str, *, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("%(field)s phải là số nguyên", field=field)
    if lo is not None and value < lo or hi is not None and value > hi:
        if hi is None:
            raise _bad("%(field)s phải là số nguyên từ %(lo)s trở lên", field=field, lo=lo)
        raise _bad("%(field)s phải là số nguyên từ %(lo)s đến %(hi)s", field=field, lo=lo, hi=hi)
    return value


def _float(value, field: str, *, lo: float, hi: float, lo_open: bool = False) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            raise _bad("%(field)s phải là một số", field=field) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad("%(field)s phải là một số", field=field)
    if value != value or value < lo or value > hi or (lo_open and value == lo):  # NaN too
        raise _bad("%(field)s phải trong khoảng %(lo)s đến %(hi)s", field=field, lo=_num(lo), hi=_num(hi))
    return float(value)


def _num(x: float) -> str:
    return (f"{x:g}").replace(".", ",")


def _hhmm(value) -> str:
    from datetime import datetime

    try:
        return datetime.strptime(value.strip(), "%H:%M").strftime("%H:%M")
    except (AttributeError, ValueError):
        raise _bad("Giờ tiếp nhận: '%(value)s' không phải giờ dạng HH:MM", value=value) from None


def check_hours(hours) -> list[dict] | None:
    """Validate and normalise opening hours (None: always open): a list of periods
    {"days": [1..7], "from": "HH:MM", "to": "HH:MM"}; the message names the session and days."""
    if hours is None:
        return None
    if isinstance(hours, str):
        try:
            hours = json.loads(hours)
        except ValueError:
            raise _bad("Giờ tiếp nhận phải là danh sách khung giờ (JSON)") from None
    if not isinstance(hours, list) or not hours:
        raise _bad("Giờ tiếp nhận: chọn ít nhất một buổi, hoặc để trống nếu luôn mở")
    out, by_day = [], {d: [] for d in WEEKDAYS}
    for period in hours:
        if not isinstance(period, dict) or set(period) != {"days", "from", "to"}:
            raise _bad("Giờ tiếp nhận: mỗi khung giờ cần các ngày, giờ bắt đầu và giờ kết thúc")
        days = period["days"]
        if not isinstance(days, list) or not days or \
                not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days):
            raise _bad("Giờ tiếp nhận: ngày phải từ 1 (Thứ Hai) đến 7 (Chủ nhật)")
        start, end = _hhmm(period["from"]), _hhmm(period["to"])
        days = sorted(set(days))
        session = "Buổi sáng" if start < "12:00" else "Buổi chiều"
        if end <= start:
            raise _bad("%(session)s kết thúc trước khi bắt đầu (%(days)s: %(start)s–%(end)s)", session=session,
                       days=", ".join(WEEKDAYS[d] for d in days), start=start, end=end)
        for d in days:
            for other_start, other_end in by_day[d]:
                if start < other_end and other_start < end:
                    raise _bad("Giờ tiếp nhận: hai buổi của %(day)s chồng lên nhau", day=WEEKDAYS[d])
            by_day[d].append((start, end))
        out.append({"days": days, "from": start, "to": end})
    return out


THREE_LEVELS = ("Rất hài lòng", "Hài lòng", "Không hài lòng")  # the official evaluation's levels


def check_three_levels(value) -> str:
    """The 3-level mapping of scores, as "5=Rất hài lòng;4=Hài lòng;...": each score 1-5 once,
    each to one of the three official levels. Takes that text or a {score: level} dict."""
    field = SETTING_LABELS["rating_three_levels"]
    if isinstance(value, str):
        pairs = [part.partition("=")[::2] for part in value.split(";") if part.strip()]
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        raise _bad("%(field)s: dạng 5=Rất hài lòng;4=Hài lòng;...", field=field)
    levels: dict[int, str] = {}
    for score, label in pairs:
        score, label = str(score).strip(), str(label).strip()
        if score not in ("1", "2", "3", "4", "5"):
            raise _bad("%(field)s: '%(value)s' không phải một mức từ 1 đến 5", field=field, value=score)
        if int(score) in levels:
            raise _bad("%(field)s: mức %(value)s có hai lần", field=field, value=score)
        if label not in THREE_LEVELS:
            raise _bad("%(field)s: mức %(score)s phải là Rất hài lòng, Hài lòng hoặc Không hài lòng, không phải "
                       "'%(value)s'", field=field, score=score, value=label)
        levels[int(score)] = label
    missing = [str(s) for s in range(5, 0, -1) if s not in levels]
    if missing:
        raise _bad("%(field)s: thiếu mức %(value)s", field=field, value=", ".join(missing))
    return ";".join(f"{s}={levels[s]}" for s in range(5, 0, -1))


def check_rating_scores(value) -> list[int]:
    """The scores of a terminal's buttons, first button first: "5,4,3,2" or a list."""
    field = SETTING_LABELS["rating_scores"]
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
    elif isinstance(value, list):
        parts = value
    else:
        raise _bad("%(field)s: các mức cách nhau bằng dấu phẩy, ví dụ 5,4,3,2", field=field)
    scores = []
    for part in parts:
        try:
            score = int(part)
        except (TypeError, ValueError):
            raise _bad("%(field)s: '%(value)s' không phải một mức từ 1 đến 5", field=field, value=part) from None
        if not 1 <= score <= 5 or isinstance(part, bool):
            raise _bad("%(field)s: '%(value)s' không phải một mức từ 1 đến 5", field=field, value=part)
        if score in scores:
            raise _bad("%(field)s: mức %(value)s có hai lần", field=field, value=score)
        scores.append(score)
    if not 2 <= len(scores) <= 5:
        raise _bad("%(field)s: cần từ 2 đến 5 mức", field=field)
    return scores


def check_closed_days(value) -> list[dict]:
    """Closed days as [{"date": "YYYY-MM-DD", "name": ...}] in date order. Also takes the admin
    page's text, a day a line: "dd/mm/yyyy name" (or an ISO date); the message names the line."""
    if value in (None, ""):
        return []
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            raise _bad("Ngày nghỉ phải là danh sách (JSON) hoặc mỗi dòng một ngày dd/mm/yyyy") from None
    if isinstance(value, str):
        value = [dict(zip(("date", "name"), line.strip().split(None, 1))) for line in value.splitlines()
                 if line.strip()]
    if not isinstance(value, list):
        raise _bad("Ngày nghỉ phải là danh sách (JSON) hoặc mỗi dòng một ngày dd/mm/yyyy")
    out: dict[str, str] = {}
    for i, item in enumerate(value, 1):
        if not isinstance(item, dict) or not isinstance(item.get("date"), str):
            raise _bad("Ngày nghỉ, dòng %(n)s: cần một ngày dd/mm/yyyy", n=i)
        text = item["date"].strip()
        for form in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                day = datetime.strptime(text, form).date()
                break
            except ValueError:
                continue
        else:
            raise _bad("Ngày nghỉ, dòng %(n)s: '%(date)s' không phải ngày dạng dd/mm/yyyy", n=i, date=text)
        if day.isoformat() in out:
            raise _bad("Ngày nghỉ, dòng %(n)s: ngày %(date)s đã có ở trên", n=i, date=f"{day:%d/%m/%Y}")
        out[day.isoformat()] = _text(item.get("name"), "Tên ngày nghỉ", limit=80)
    return [{"date": d, "name": out[d]} for d in sorted(out)]


# -- services ------------------------------------------------------------------------------------

def _service(db: Database, code: str) -> dict:
    rows = list(db.query("SELECT * FROM services WHERE code = ?", [code]))
    if not rows:
        raise NotFound(msgid="Lĩnh vực '%(code)s' không tồn tại", code=code)
    return rows[0]


def _check_service(db: Database, code: str, row: dict) -> dict:
    """The service row validated and normalised (every field), or a BadRequest naming the field."""
    out = dict(row)
    out["name_vi"] = _text(row.get("name_vi"), "Tên lĩnh vực (tiếng Việt)", required=True, limit=120)
    out["name_en"] = _text(row.get("name_en"), "Tên tiếng Anh", limit=120)
    prefix = _text(row.get("prefix"), "Tiền tố", limit=3).upper()
    if not _PREFIX.match(prefix):
        raise _bad("Tiền tố phải gồm 1 đến 3 chữ cái không dấu hoặc chữ số, không phải '%(prefix)s'", prefix=prefix)
    out["prefix"] = prefix
    out["first_number"] = _int(row.get("first_number"), "Số bắt đầu", lo=0, hi=99999)
    out["digits"] = _int(row.get("digits"), "Số chữ số", lo=1, hi=6)
    limit = row.get("daily_limit")
    if limit in (None, ""):
        out["daily_limit"] = None
    else:
        try:
            out["daily_limit"] = _int(limit, "Giới hạn trong ngày", lo=1, hi=100000)
        except BadRequest:
            raise _bad("Giới hạn trong ngày phải là số nguyên dương (để trống nếu không giới hạn)") from None
    out["hours"] = check_hours(row.get("hours"))
    out["room"] = _text(row.get("room"), "Phòng", limit=60)
    out["sort"] = _int(row.get("sort"), "Thứ tự trên máy lấy số", lo=0, hi=9999)
    out["active"] = 1 if row.get("active", 1) else 0
    if out["active"]:
        clash = list(db.query("SELECT code, name_vi FROM services WHERE prefix = ? AND active = 1 AND code != ?",
                              [prefix, code]))
        if clash:
            raise Conflict(msgid="Tiền tố '%(prefix)s' đã dùng cho lĩnh vực %(name)s", prefix=prefix,
                           name=clash[0]["name_vi"])
    return out


def _store_service(row: dict) -> dict:
    return {**row, "hours": json.dumps(row["hours"]) if row["hours"] is not None else None}


def create_service(db: Database, cfg: EngineConfig, now: float, *, code: str, name_vi: str, prefix: str,
                   name_en: str = "", first_number=1, digits=3, daily_limit=None, hours=None, room: str = "",
                   sort=None, active: bool = True, actor: str) -> dict:
    """Add a service (lĩnh vực); refused if the code exists or the prefix is taken."""
    code = (code or "").strip()
    if not _CODE.match(code):
        raise _bad("Mã lĩnh vực '%(code)s' chỉ gồm chữ không dấu, số, '-' và '_' (tối đa 16)", code=code)
    existing = list(db.query("SELECT name_vi FROM services WHERE code = ?", [code]))
    if existing:
        raise Conflict(msgid="Mã lĩnh vực '%(code)s' đã có (%(name)s)", code=code, name=existing[0]["name_vi"])
    if sort in (None, ""):
        sort = (db.execute("SELECT coalesce(max(sort), 0) + 1 FROM services").fetchone()[0])
    row = _check_service(db, code, {"name_vi": name_vi, "name_en": name_en, "prefix": prefix,
                                    "first_number": first_number, "digits": digits, "daily_limit": daily_limit,
                                    "hours": hours, "room": room, "sort": sort, "active": active})
    db["services"].insert({"code": code, **_store_service(row)})
    audit.record(db, now, actor, "service.add", code, **row)
    return {"code": code, **row}


def change_service(db: Database, cfg: EngineConfig, now: float, *, code: str, actor: str, **changes) -> dict:
    """Change some fields of a service (SERVICE_FIELDS); the audit keeps each change's old and new value."""
    unknown = sorted(set(changes) - set(SERVICE_FIELDS))
    if unknown:
        raise _bad("Không có trường %(fields)s cho lĩnh vực", fields=", ".join(unknown))
    old = _service(db, code)
    old["hours"] = json.loads(old["hours"]) if old["hours"] else None
    row = _check_service(db, code, {**{k: old[k] for k in SERVICE_FIELDS}, **changes})
    diff = {k: {"from": old[k], "to": row[k]} for k in SERVICE_FIELDS if row[k] != old[k]}
    if diff:
        db["services"].update(code, _store_service({k: row[k] for k in SERVICE_FIELDS}))
        action = "service.change"
        if set(diff) == {"active"}:
            action = "service.enable" if row["active"] else "service.disable"
        audit.record(db, now, actor, action, code, changes=diff)
    return {"code": code, **row, "changed": sorted(diff)}


def disable_service(db: Database, cfg: EngineConfig, now: float, *, code: str, actor: str) -> dict:
    """Stop issuing numbers for a service (its history stays)."""
    return change_service(db, cfg, now, code=code, active=False, actor=actor)


# -- counters ------------------------------------------------------------------------------------

def _check_counter_services(db: Database, services) -> list[str]:
    if isinstance(services, str):
        services = [s.strip() for s in services.split(",")]
    if not isinstance(services, list):
        raise _bad("Lĩnh vực của quầy phải là một danh sách")
    wanted = []
    for s in services:
        if isinstance(s, str) and s.strip() and s.strip() not in wanted:
            wanted.append(s.strip())
    if not wanted:
        raise _bad("Quầy phải phục vụ ít nhất một lĩnh vực")
    known = {r["code"]: r for r in db.query("SELECT code, active FROM services")}
    for s in wanted:
        if s not in known:
            raise _bad("Lĩnh vực '%(code)s' không tồn tại", code=s)
        if not known[s]["active"]:
            raise _bad("Lĩnh vực '%(code)s' đã ngừng; không gán được cho quầy", code=s)
    return wanted


def _counter(db: Database, number: int) -> dict:
    rows = list(db.query("SELECT * FROM counters WHERE number = ?", [number]))
    if not rows:
        raise NotFound(msgid="Quầy số %(n)s không tồn tại", n=number)
    row = rows[0]
    row["services"] = json.loads(row["services"])
    return row


def create_counter(db: Database, cfg: EngineConfig, now: float, *, number, services, name: str = "",
                   room: str = "", actor: str) -> dict:
    """Add a counter serving `services` in order of preference."""
    number = _int(number, "Số quầy", lo=1, hi=9999)
    if db["counters"].count_where("number = ?", [number]):
        raise Conflict(msgid="Quầy số %(n)s đã có", n=number)
    row = {"number": number, "name": _text(name, "Tên quầy", limit=60) or f"Quầy {number}",
           "services": _check_counter_services(db, services), "room": _text(room, "Phòng", limit=60), "active": 1}
    db["counters"].insert({**row, "services": json.dumps(row["services"]), "state": "open", "state_since": now})
    audit.record(db, now, actor, "counter.add", number, **row)
    return row


def change_counter(db: Database, cfg: EngineConfig, now: float, *, number, actor: str, **changes) -> dict:
    """Change a counter's name, room (the displays that show it), services (in order) or active flag."""
    from . import counters

    unknown = sorted(set(changes) - set(COUNTER_FIELDS))
    if unknown:
        raise _bad("Không có trường %(fields)s cho quầy", fields=", ".join(unknown))
    number = _int(number, "Số quầy", lo=1, hi=9999)
    old = _counter(db, number)
    row = {k: old[k] for k in COUNTER_FIELDS}
    if "name" in changes:
        row["name"] = _text(changes["name"], "Tên quầy", limit=60) or f"Quầy {number}"
    if "room" in changes:
        row["room"] = _text(changes["room"], "Phòng", limit=60)
    if "services" in changes:
        row["services"] = _check_counter_services(db, changes["services"])
    if "active" in changes:
        row["active"] = 1 if changes["active"] else 0
    if old["active"] and not row["active"]:
        if old["current_ticket"]:
            raise Conflict(msgid="Quầy %(n)s đang phục vụ một số; hoàn thành hoặc chuyển số trước khi ngừng quầy",
                           n=number)
        if old["officer_id"] is not None:
            counters.sign_out(db, cfg, now, number=number, user=None, actor=actor, force=True)
    diff = {k: {"from": old[k], "to": row[k]} for k in COUNTER_FIELDS if row[k] != old[k]}
    if diff:
        db["counters"].update(number, {**row, "services": json.dumps(row["services"])})
        action = "counter.change"
        if set(diff) == {"active"}:
            action = "counter.enable" if row["active"] else "counter.disable"
        audit.record(db, now, actor, action, number, changes=diff)
    return {"number": number, **row, "changed": sorted(diff)}


def disable_counter(db: Database, cfg: EngineConfig, now: float, *, number, actor: str) -> dict:
    """Take a counter out of service (its officer is signed out; refused while it holds a number)."""
    return change_counter(db, cfg, now, number=number, active=False, actor=actor)


# -- users ---------------------------------------------------------------------------------------

def _user(db: Database, username: str) -> dict:
    rows = list(db.query("SELECT * FROM users WHERE username = ?", [username]))
    if not rows:
        raise NotFound(msgid="Người dùng '%(username)s' không tồn tại", username=username)
    return rows[0]


def _check_user_counter(db: Database, counter) -> int | None:
    if counter in (None, ""):
        return None
    counter = _int(counter, "Quầy mặc định", lo=1, hi=9999)
    if not db["counters"].count_where("number = ? AND active = 1", [counter]):
        raise _bad("Quầy mặc định: quầy số %(n)s không tồn tại hoặc đã ngừng", n=counter)
    return counter


def _check_role(role) -> str:
    if role not in ROLES:
        raise _bad("Vai trò phải là cán bộ (officer), trưởng bộ phận (supervisor) hoặc quản trị (admin), không phải '%(role)s'",
                   role=role)
    return role


def create_user(db: Database, cfg: EngineConfig, now: float, *, username: str, role: str, full_name: str,
                counter=None, api_token: bool = False, actor: str) -> dict:
    """Add a person; returns the row with the one-time `password` (and `api_token`)."""
    username = (username or "").strip()
    if not _USERNAME.match(username):
        raise _bad("Tên đăng nhập 2–40 ký tự: chữ không dấu, số, '.', '-', '_'")
    if db["users"].count_where("username = ?", [username]):
        raise Conflict(msgid="Tên đăng nhập '%(username)s' đã có", username=username)
    full_name = _text(full_name, "Họ tên", required=True, limit=80)
    role = _check_role(role)
    counter = _check_user_counter(db, counter)
    return add_user(db, cfg, now, username=username, role=role, full_name=full_name, counter=counter,
                    api_token=api_token, actor=actor)


def _admins_left(db: Database, without: int) -> int:
    return db["users"].count_where("role = 'admin' AND active = 1 AND id != ?", [without])


def change_user(db: Database, cfg: EngineConfig, now: float, *, username: str, actor: str, **changes) -> dict:
    """Change a person's name, role, default counter or active flag. The last active admin stays
    one, and nobody disables or demotes himself."""
    from . import counters

    unknown = sorted(set(changes) - set(USER_FIELDS))
    if unknown:
        raise _bad("Không có trường %(fields)s cho người dùng", fields=", ".join(unknown))
    old = _user(db, username)
    row = {k: old[k] for k in USER_FIELDS}
    if "full_name" in changes:
        row["full_name"] = _text(changes["full_name"], "Họ tên", required=True, limit=80)
    if "role" in changes:
        row["role"] = _check_role(changes["role"])
    if "counter" in changes:
        row["counter"] = _check_user_counter(db, changes["counter"])
    if "active" in changes:
        row["active"] = 1 if changes["active"] else 0
    losing_admin = old["role"] == "admin" and old["active"] and (row["role"] != "admin" or not row["active"])
    if losing_admin and actor == f"user:{username}":
        raise _bad("Không thể tự khoá hoặc bỏ quyền quản trị của chính mình")
    if losing_admin and not _admins_left(db, old["id"]):
        raise _bad("Phải còn ít nhất một quản trị viên đang hoạt động")
    diff = {k: {"from": old[k], "to": row[k]} for k in USER_FIELDS if row[k] != old[k]}
    if diff:
        db["users"].update(old["id"], row)
        if old["active"] and not row["active"]:
            for c in list(db.query("SELECT number FROM counters WHERE officer_id = ?", [old["id"]])):
                counters.sign_out(db, cfg, now, number=c["number"], user=None, actor=actor, force=True)
        action = "user.change"
        if set(diff) == {"active"}:
            action = "user.enable" if row["active"] else "user.disable"
        elif set(diff) == {"counter"}:
            action = "user.counter"
        audit.record(db, now, actor, action, username, changes=diff)
    return {"id": old["id"], "username": username, **row, "changed": sorted(diff)}


def disable_user(db: Database, cfg: EngineConfig, now: float, *, username: str, actor: str) -> dict:
    """Refuse the person's sign-in, sessions and API token from now on (his counter is freed)."""
    return change_user(db, cfg, now, username=username, active=False, actor=actor)


def set_user_counter(db: Database, cfg: EngineConfig, now: float, *, username: str, counter, actor: str) -> dict:
    """An officer's default counter (taken on signing in); None for none."""
    return change_user(db, cfg, now, username=username, counter=counter, actor=actor)


def reset_password(db: Database, cfg: EngineConfig, now: float, *, username: str, actor: str) -> dict:
    """A new random password, returned once; the wrong-password count starts again."""
    old = _user(db, username)
    password = auth.new_token()[:12]
    db.execute("UPDATE users SET password_hash = ?, failed_logins = 0, last_failed_at = NULL WHERE id = ?",
               [auth.hash_password(password), old["id"]])
    audit.record(db, now, actor, "user.reset_password", username)
    return {"username": username, "password": password}


# -- devices -------------------------------------------------------------------------------------

def _device_row(db: Database, device_id: str) -> dict:
    rows = list(db.query("SELECT * FROM devices WHERE id = ?", [device_id]))
    if not rows:
        raise NotFound(msgid="Thiết bị '%(id)s' không tồn tại", id=device_id)
    row = rows[0]
    row["roles"] = json.loads(row["roles"])
    return row


def _check_device(db: Database, roles, counter) -> tuple[list[str], int | None]:
    if isinstance(roles, str):
        roles = [r.strip() for r in roles.split(",") if r.strip()]
    if not isinstance(roles, list) or not roles:
        raise _bad("Vai trò thiết bị: chọn ít nhất một (ticket, rating, counter, display)")
    bad = [r for r in roles if r not in DEVICE_ROLES]
    if bad:
        raise _bad("Vai trò thiết bị '%(role)s' không có; chọn ticket, rating, counter hoặc display", role=bad[0])
    roles = [r for r in DEVICE_ROLES if r in roles]
    if counter in (None, ""):
        counter = None
    else:
        counter = _int(counter, "Quầy", lo=1, hi=9999)
        if not db["counters"].count_where("number = ? AND active = 1", [counter]):
            raise _bad("Quầy: quầy số %(n)s không tồn tại hoặc đã ngừng", n=counter)
    if ("rating" in roles or "counter" in roles) and counter is None:
        raise _bad("Quầy: máy đánh giá hoặc bàn phím quầy phải gắn với một quầy")
    return roles, counter


def register_device(db: Database, cfg: EngineConfig, now: float, *, device_id: str, roles, counter=None,
                    name: str = "", room: str = "", actor: str) -> dict:
    """Register a new device; returns its one-time `token`. An existing id is refused (rotate it)."""
    device_id = (device_id or "").strip()
    if not _DEVICE_ID.match(device_id):
        raise _bad("Mã thiết bị 1–40 ký tự: chữ không dấu, số, '.', '-', '_'")
    if db["devices"].count_where("id = ?", [device_id]):
        raise Conflict(msgid="Mã thiết bị '%(id)s' đã có; dùng “Cấp mã mới” để thay mã của nó", id=device_id)
    roles, counter = _check_device(db, roles, counter)
    name = _text(name, "Tên thiết bị", limit=80)
    room = _text(room, "Phòng", limit=60)
    return add_device(db, cfg, now, device_id=device_id, roles=roles, counter=counter, name=name, room=room,
                      actor=actor)


def change_device(db: Database, cfg: EngineConfig, now: float, *, device_id: str, actor: str, **changes) -> dict:
    """Change a device's name, room, roles or counter (a rating terminal's or keypad's binding);
    its token stays. The next event of the device follows the change."""
    unknown = sorted(set(changes) - set(DEVICE_FIELDS))
    if unknown:
        raise _bad("Không có trường %(fields)s cho thiết bị", fields=", ".join(unknown))
    old = _device_row(db, device_id)
    row = {k: old[k] for k in DEVICE_FIELDS}
    row.update({k: v for k, v in changes.items()})
    row["roles"], row["counter"] = _check_device(db, row["roles"], row["counter"])
    row["name"] = _text(row["name"], "Tên thiết bị", limit=80) or device_id
    row["room"] = _text(row["room"], "Phòng", limit=60)
    diff = {k: {"from": old[k], "to": row[k]} for k in DEVICE_FIELDS if row[k] != old[k]}
    if diff:
        db["devices"].update(device_id, {**row, "roles": json.dumps(row["roles"])})
        audit.record(db, now, actor, "device.change", device_id, changes=diff)
    return {"id": device_id, **row, "changed": sorted(diff)}


def rotate_device_token(db: Database, cfg: EngineConfig, now: float, *, device_id: str, actor: str) -> dict:
    """Give a device a new token (the old one is refused at once); a revoked device is active again."""
    old = _device_row(db, device_id)  # the admin pages' message for an unknown device
    new = rotate_device(db, cfg, now, device_id=device_id, actor=actor)
    return {**new, "roles": old["roles"], "counter": old["counter"]}


# -- settings ------------------------------------------------------------------------------------

SETTING_LABELS = {
    "unit_name": "Tên đơn vị", "center_name": "Tên trung tâm", "timezone": "Múi giờ",
    "notice_text": "Thông báo trên màn hình", "track_url": "Địa chỉ tra cứu (mã QR)",
    "report_place": "Địa danh trên báo cáo", "report_signer_title": "Chức vụ người ký",
    "report_signer_name": "Họ tên người ký", "report_doc_prefix": "Ký hiệu văn bản",
    "priority_policy": "Chính sách ưu tiên", "rating_window_s": "Thời gian nhận đánh giá (giây)",
    "rating_labels": "Nhãn các mức đánh giá", "default_service_minutes": "Thời gian phục vụ mặc định (phút)",
    "alert_low_share": "Tỷ lệ đánh giá thấp để cảnh báo", "alert_low_window_min": "Khoảng xét đánh giá thấp (phút)",
    "alert_low_min_count": "Số đánh giá tối thiểu để cảnh báo", "alert_wait_min": "Cảnh báo chờ lâu (phút)",
    "alert_offline_s": "Cảnh báo thiết bị mất kết nối (giây)",
    "alert_unattributed_count": "Số lần bấm không gắn phiếu để cảnh báo",
    "alert_unattributed_window_min": "Khoảng xét bấm không gắn phiếu (phút)",
    "voice_repeat": "Số lần đọc mỗi lượt gọi", "voice_mode": "Cách đọc số", "spotlight_seconds": "Thời gian nổi bật số vừa gọi (giây)",
    "voice_displays": "Màn hình đọc số", "center_hours": "Giờ làm việc", "closed_days": "Ngày nghỉ",
    "rating_scores": "Các mức trên máy đánh giá", "report_addressee": "Kính gửi",
    "report_recipients": "Nơi nhận", "report_doc_first_number": "Số báo cáo đầu tiên trong năm",
    "rating_three_levels": "Quy đổi ba mức", "province_push_url": "Địa chỉ nhận đánh giá của tỉnh",
    "province_push_token": "Mã truy cập của tỉnh", "ticket_lockout_s": "Khoá nút máy lấy số (giây)",
    "rating_lockout_s": "Khoá nút máy đánh giá (giây)", "keypad_lockout_s": "Khoá nút bàn phím quầy (giây)", "ranking_prior_weight": "Trọng số xếp hạng cán bộ",
}
_INT_RANGES = {"rating_window_s": (1, 3600), "alert_low_window_min": (1, 1440), "alert_low_min_count": (1, 1000),
               "alert_wait_min": (1, 1440), "alert_offline_s": (10, 86400), "alert_unattributed_count": (1, 1000),
               "alert_unattributed_window_min": (1, 1440), "voice_repeat": (1, 5), "spotlight_seconds": (1, 120),
               "ranking_prior_weight": (0, 1000)}
_CHOICES = {"voice_mode": ("number", "digits"), "voice_displays": ("all", "flagged")}


def check_setting(name: str, value):
    """A live setting's value validated and converted; a BadRequest naming the field otherwise."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from .config import parse_policy

    spec = settings.BY_NAME.get(name)
    if spec is None or not spec.live:
        raise _bad("'%(name)s' không phải một cài đặt thay đổi được khi chạy", name=name)
    field = SETTING_LABELS.get(name, name)
    if name == "timezone":
        value = _text(value, field, required=True, limit=64)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise _bad("Múi giờ '%(tz)s' không tồn tại", tz=value) from None
        return value
    if name in ("center_name", "unit_name"):
        return _text(value, field, required=True, limit=160)
    if name == "notice_text":
        return _text(value, field, limit=500)
    if name == "report_signer_title":
        return "\n".join(line.strip() for line in _text(value, field, required=True, limit=200).splitlines()
                         if line.strip())
    if name in ("report_place", "report_signer_name"):
        return _text(value, field, limit=120)
    if name == "report_doc_prefix":
        value = _text(value, field, required=True, limit=40)
        if re.search(r"\s", value):
            raise _bad("%(field)s không được có khoảng trắng", field=field)
        return value
    if name in ("track_url", "province_push_url"):  # optional web addresses
        value = _text(value, field, limit=300)
        if value and not re.match(r"^https?://[^\s/]+", value):
            raise _bad("%(field)s phải bắt đầu bằng http:// hoặc https://", field=field)
        return value
    if name == "priority_policy":
        value = _text(value, field, required=True, limit=20)
        try:
            parse_policy(value)
        except BadRequest:
            raise _bad("Chính sách ưu tiên phải là 'strict' hoặc 'interleave:N' (N ≥ 1), không phải '%(value)s'",
                       value=value) from None
        return value
    if name == "rating_scores":
        return check_rating_scores(value)
    if name == "report_addressee":
        return _text(value, field, required=True, limit=200)
    if name == "report_recipients":
        return "\n".join(line.strip() for line in _text(value, field, required=True, limit=1000).splitlines()
                         if line.strip())
    if name == "report_doc_first_number":
        return _int(value, field, lo=1, hi=99999)
    if name == "rating_three_levels":
        return check_three_levels(value)
    if name == "province_push_token":
        value = _text(value, field, limit=300)
        if re.search(r"\s", value):
            raise _bad("%(field)s không được có khoảng trắng", field=field)
        return value
    if name in ("ticket_lockout_s", "rating_lockout_s", "keypad_lockout_s"):
        return _float(value, field, lo=0, hi=30)
    if name == "center_hours":
        return check_hours(None if value in ("", None) else value)
    if name == "closed_days":
        return check_closed_days(value)
    if name == "rating_labels":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise _bad("%(field)s phải là JSON {\"1\": ..., \"5\": ...}", field=field) from None
        if not isinstance(value, dict) or set(map(str, value)) != {"1", "2", "3", "4", "5"}:
            raise _bad("%(field)s phải có đủ các mức 1 đến 5", field=field)
        return {str(k): _text(value[k], "Nhãn mức %s" % k, required=True, limit=40)
                for k in sorted(value, key=lambda k: -int(k))}
    if name == "default_service_minutes":
        return _float(value, field, lo=0, hi=240, lo_open=True)
    if name == "alert_low_share":
        return _float(value, field, lo=0, hi=1, lo_open=True)
    if name in _INT_RANGES:
        lo, hi = _INT_RANGES[name]
        return _int(value, field, lo=lo, hi=hi)
    if name in _CHOICES:
        if value not in _CHOICES[name]:
            raise _bad("%(field)s phải là một trong %(choices)s", field=field, choices=", ".join(_CHOICES[name]))
        return value
    try:
        return settings.coerce(name, value)
    except (ValueError, TypeError):
        raise _bad("Giá trị không hợp lệ cho %(field)s", field=field) from None


def set_settings(db: Database, cfg: EngineConfig, now: float, *, values: dict, actor: str,
                 effective: dict | None = None) -> list[str]:
    """Change several live settings at once: all are validated before any is written; only those
    whose value changes are written (and audited). `effective`: the values the server uses now
    (config.toml, environment), to compare with where the table has none. Returns the names changed."""
    checked = {name: check_setting(name, value) for name, value in values.items()}
    current = {r["name"]: json.loads(r["value"]) for r in db.query("SELECT name, value FROM settings")}
    changed = []
    for name, value in checked.items():
        if name in current:
            before = current[name]
        elif effective is not None and name in effective:
            before = effective[name]
        else:
            before = settings.BY_NAME[name].default
        if before == value:
            continue
        set_setting(db, cfg, now, name=name, value=value, actor=actor)
        changed.append(name)
    return changed


# -- reads for the admin pages -------------------------------------------------------------------

def all_services(db: Database) -> list[dict]:
    """Every service, active or not, in kiosk order, with `hours` decoded."""
    rows = [dict(r) for r in db.query("SELECT * FROM services ORDER BY active DESC, sort, code")]
    for r in rows:
        r["hours"] = json.loads(r["hours"]) if r["hours"] else None
    return rows


def all_counters(db: Database) -> list[dict]:
    """Every counter, active or not, with `services` decoded and the officer signed in there."""
    rows = [dict(r) for r in db.query(
        "SELECT c.*, u.username AS officer, u.full_name AS officer_name FROM counters c "
        "LEFT JOIN users u ON u.id = c.officer_id ORDER BY c.active DESC, c.number")]
    for r in rows:
        r["services"] = json.loads(r["services"])
    return rows


def all_users(db: Database) -> list[dict]:
    """Every person (no secrets), with the counter he is signed in to now."""
    return [dict(r) for r in db.query(
        "SELECT u.id, u.username, u.full_name, u.role, u.counter, u.active, u.created_at, u.failed_logins, "
        "(SELECT min(number) FROM counters WHERE officer_id = u.id) AS at_counter "
        "FROM users u ORDER BY u.active DESC, CASE u.role WHEN 'admin' THEN 0 WHEN 'supervisor' THEN 1 ELSE 2 END, "
        "u.username")]


def all_devices(db: Database) -> list[dict]:
    """Every device (no token), with `roles` and `last_status` decoded."""
    rows = [dict(r) for r in db.query(
        "SELECT id, name, roles, counter, room, active, created_at, online, last_seen, last_status FROM devices "
        "ORDER BY active DESC, id")]
    for r in rows:
        r["roles"] = json.loads(r["roles"])
        r["last_status"] = json.loads(r["last_status"]) if r["last_status"] else None
    return rows


def one(rows: list[dict], key: str, value) -> dict:
    """The row of `rows` whose `key` is `value`; NotFound otherwise."""
    for r in rows:
        if str(r[key]) == str(value):
            return r
    raise NotFound()


# -- the first administrator ---------------------------------------------------------------------

SETUP_TOKEN_S = 24 * 3600  # a first-start link is good for a day


def setup_link(db: Database, cfg: EngineConfig, now: float) -> str | None:
    """On a center with no active administrator: a new one-time token for the first-start link
    (earlier unused ones are void); None when there is an administrator already."""
    if db["users"].count_where("role = 'admin' AND active = 1"):
        return None
    db.execute("DELETE FROM setup_tokens WHERE used_at IS NULL")
    token = auth.new_token()
    db.execute("INSERT INTO setup_tokens (token_hash, created_at) VALUES (?, ?)", [auth.token_hash(token), now])
    audit.record(db, now, "system", "setup.link", None)
    return token


def setup_open(db: Database, now: float, token: str) -> bool:
    """Whether `token` is a first-start link that can still be used."""
    if not isinstance(token, str) or not 10 <= len(token) <= 100 or not token.isascii():
        return False
    row = db.execute("SELECT created_at, used_at FROM setup_tokens WHERE token_hash = ?",
                     [auth.token_hash(token)]).fetchone()
    return row is not None and row[1] is None and now - row[0] < SETUP_TOKEN_S \
        and not db["users"].count_where("role = 'admin' AND active = 1")


def first_admin(db: Database, cfg: EngineConfig, now: float, *, token: str, username: str, full_name: str,
                password: str, repeat: str) -> dict:
    """Create the first administrator with the password he chose, through a first-start link,
    which is then used up."""
    if not setup_open(db, now, token):
        raise NotFound("Liên kết tạo quản trị viên không còn dùng được")
    if not isinstance(password, str) or len(password) < 10:
        raise _bad("Mật khẩu phải có ít nhất 10 ký tự")
    if password != repeat:
        raise _bad("Hai lần nhập mật khẩu không khớp")
    username = (username or "").strip()
    if not _USERNAME.match(username):
        raise _bad("Tên đăng nhập 2–40 ký tự: chữ không dấu, số, '.', '-', '_'")
    full_name = _text(full_name, "Họ tên", required=True, limit=80)
    if db["users"].count_where("username = ?", [username]):
        raise Conflict(msgid="Tên đăng nhập '%(username)s' đã có", username=username)
    user = add_user(db, cfg, now, username=username, role="admin", full_name=full_name, password=password,
                    actor="setup")
    db.execute("UPDATE setup_tokens SET used_at = ? WHERE token_hash = ?", [now, auth.token_hash(token)])
    return {"id": user["id"], "username": username}
