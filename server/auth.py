"""Credentials: device tokens, officers' passwords and API tokens.

Tokens are long random secrets, so a fast SHA-256 of them is safe to store and quick to check on
every connect; passwords are people's, so they get werkzeug's slow salted hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from .errors import Unauthorized


def new_token() -> str:
    """A fresh random secret for a device or an API client."""
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def check_password(pw_hash: str | None, password: str) -> bool:
    return bool(pw_hash) and check_password_hash(pw_hash, password)


def _device(row: dict) -> dict:
    row = dict(row)
    row["roles"] = json.loads(row["roles"])
    return row


def _text(value) -> bool:
    """A string that SQLite and hashing can take: not a page long, valid Unicode (a JSON
    escape such as "\\ud800" gives a lone surrogate, which `encode` refuses)."""
    if not isinstance(value, str) or len(value) > 200:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _live(row: dict, now: float | None, field: str) -> bool:
    expires = row.get(field)
    return expires is None or now is None or now < expires


def user_by_token_hash(db: Database, digest: str, now: float) -> dict | None:
    """The active user whose unexpired API token has this hash, or None."""
    rows = list(db.query("SELECT * FROM users WHERE api_token_hash = ? AND active = 1", [digest]))
    return rows[0] if rows and _live(rows[0], now, "api_token_expires_at") else None


def device_by_credentials(db: Database, device_id, token, now: float) -> dict:
    """The active, unexpired device with this id and token; Unauthorized otherwise."""
    if not _text(device_id) or not _text(token):
        raise Unauthorized("unauthorized")
    rows = list(db.query("SELECT * FROM devices WHERE id = ? AND active = 1", [device_id]))
    if not rows or not hmac.compare_digest(rows[0]["token_hash"], token_hash(token)) \
            or not _live(rows[0], now, "expires_at"):
        raise Unauthorized("unauthorized")
    return _device(rows[0])


def principal_by_bearer(db: Database, token: str, now: float) -> tuple[str, dict]:
    """('device', row) or ('user', row) for an active, unexpired bearer token; Unauthorized
    otherwise."""
    if not token or not _text(token):
        raise Unauthorized("unauthorized")
    digest = token_hash(token)
    rows = list(db.query("SELECT * FROM devices WHERE token_hash = ? AND active = 1", [digest]))
    if rows and _live(rows[0], now, "expires_at"):
        return "device", _device(rows[0])
    rows = list(db.query("SELECT * FROM users WHERE api_token_hash = ? AND active = 1", [digest]))
    if rows and _live(rows[0], now, "api_token_expires_at"):
        return "user", rows[0]
    raise Unauthorized("unauthorized")
