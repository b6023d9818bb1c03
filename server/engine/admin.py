"""Setting up a center: services, counters, users, devices and settings (engine writes).

Secrets (passwords, tokens) are generated here, returned once, and only their hashes are kept.
"""

from __future__ import annotations

import json
import re

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
    spec = settings.BY_NAME.get(name)
    if spec is None or not spec.live:
        raise BadRequest(f"'{name}' không phải một cài đặt thay đổi được khi chạy")
    try:
        value = settings.coerce(name, value)
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"giá trị không hợp lệ cho {name}: {exc}") from None
    db["settings"].upsert({"name": name, "value": json.dumps(value, ensure_ascii=False),
                           "updated_at": now, "updated_by": actor}, pk="name")
    audit.record(db, now, actor, "setting.set", name, value=value)
