"""Signing in and out: the throttle on wrong passwords, sessions, and leaving one's counters.

**Throttle.** Wrong passwords are counted per (user name, address) and per address
(`login_failures`). After `limit` wrong tries in a row for one name from one address, the next
try of that name from there is accepted only after a wait that doubles with each further wrong
one (5 s, 10 s, ... up to 5 min); the same after `address_limit` wrong tries from one address
whatever the names. So a stranger guessing `canbo3`'s password from his laptop slows himself
down, not `canbo3` at her own desk. Names that exist and names that do not are counted, and
answered, alike. Each try is counted *before* its password is checked, so parallel guesses
cannot slip past the count; a right password clears its (name, address) count and takes its
own try back from the address's. A count with no wrong try for `FORGET_AFTER_S` starts over
(and its row is pruned).

**Sessions.** A sign-in opens a row of `sessions` whose random id is all the browser's (signed)
session cookie carries; every request looks it up (`session_user`). Logout, an administrator
(`end_user_sessions`), `session_idle_min` without a request or `session_max_hours` after the
sign-in end it, and a copied cookie opens nothing after that.
"""

from __future__ import annotations

import secrets

from sqlite_utils import Database

from ..errors import NotFound
from . import audit, counters, sql
from .config import EngineConfig

FIRST_DELAY_S = 5
MAX_DELAY_S = 300
FORGET_AFTER_S = 3600
TOUCH_EVERY_S = 60  # a session's last_seen is written at most this often
KEEP_ENDED_DAYS = 90


def throttle_delay(failed: int, limit: int) -> float:
    """Seconds to wait after the last wrong try before another is accepted (0: none)."""
    if failed < limit:
        return 0.0
    return float(min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** min(failed - limit, 16)))


def _count(db: Database, scope: str, name: str, address: str, now: float) -> dict:
    row = sql.first(db, "SELECT failed, last_failed_at FROM login_failures WHERE scope = ? AND name = ? AND address = ?",
                    [scope, name, address])
    if row is None or now - row["last_failed_at"] > FORGET_AFTER_S:
        return {"failed": 0, "last_failed_at": None}
    return row


def _bump(db: Database, scope: str, name: str, address: str, now: float, failed: int) -> None:
    db.execute("INSERT INTO login_failures (scope, name, address, failed, last_failed_at) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT (scope, name, address) DO UPDATE SET failed = excluded.failed, "
               "last_failed_at = excluded.last_failed_at", [scope, name, address, failed, now])


def reserve_attempt(db: Database, cfg: EngineConfig, now: float, *, username: str, address: str, limit: int,
                    address_limit: int) -> dict:
    """Count a sign-in try before its password is checked; {"user": row|None, "wait": s}.

    A try that comes too soon is refused (`wait` > 0) and not counted, so a flood of guesses
    cannot push the wait out forever. Unknown and known names go through the same steps."""
    name = username.lower()
    db.execute("DELETE FROM login_failures WHERE last_failed_at < ?", [now - FORGET_AFTER_S])
    pair = _count(db, "name", name, address, now)
    addr = _count(db, "address", "", address, now)
    ready = 0.0
    for count, lim in ((pair, limit), (addr, address_limit)):
        if count["last_failed_at"] is not None:
            ready = max(ready, count["last_failed_at"] + throttle_delay(count["failed"], lim))
    if now < ready:
        audit.record(db, now, f"user:{username}", "user.login_throttled", username, address=address)
        return {"user": None, "wait": ready - now}
    _bump(db, "name", name, address, now, pair["failed"] + 1)
    _bump(db, "address", "", address, now, addr["failed"] + 1)
    row = sql.first(db, "SELECT * FROM users WHERE username = ? AND active = 1", [username])
    return {"user": row, "wait": 0}


def record_outcome(db: Database, cfg: EngineConfig, now: float, *, username: str, address: str, ok: bool,
                   user_id: int | None = None, user_agent: str = "") -> str | None:
    """A right password clears its (name, address) count, gives the address its try back and
    opens a session (its id is returned); a wrong one stays counted. Called for unknown names
    too (same work, same time)."""
    session_id = None
    if ok:
        db.execute("DELETE FROM login_failures WHERE scope = 'name' AND name = ? AND address = ?",
                   [username.lower(), address])
        db.execute("UPDATE login_failures SET failed = max(failed - 1, 0) WHERE scope = 'address' AND name = '' "
                   "AND address = ?", [address])
        session_id = start_session(db, cfg, now, user_id=user_id, address=address, user_agent=user_agent)
    audit.record(db, now, f"user:{username}", "user.login" if ok else "user.login_failed", username, address=address)
    return session_id


# -- sessions ------------------------------------------------------------------------------------

def start_session(db: Database, cfg: EngineConfig, now: float, *, user_id: int, address: str = "",
                  user_agent: str = "") -> str:
    """Open a sign-in session; returns its id (a random token) for the session cookie."""
    # Sessions this old are over whatever their row says (session_max_hours): keep them a while
    # for the record, then drop them, so the table does not grow with every sign-in.
    db.execute("DELETE FROM sessions WHERE created_at < ?", [now - KEEP_ENDED_DAYS * 86400])
    token = secrets.token_urlsafe(32)
    db["sessions"].insert({"id": token, "user_id": user_id, "created_at": now, "last_seen": now,
                           "address": (address or "")[:64], "user_agent": (user_agent or "")[:300]})
    return token


def session_user(db: Database, session_id, now: float, *, idle_s: float, max_s: float) -> tuple[dict | None, str]:
    """(the user of an open session, "") or (None, why: "unknown", "ended", "idle", "expired").

    One lookup by primary key; the caller ends an idle or expired session (`end_session`)."""
    if not isinstance(session_id, str) or not session_id or len(session_id) > 100:
        return None, "unknown"
    s = sql.first(db, "SELECT * FROM sessions WHERE id = ?", [session_id])
    if s is None:
        return None, "unknown"
    if s["ended_at"] is not None:
        return None, "ended"
    if now - s["last_seen"] > idle_s:
        return None, "idle"
    if now - s["created_at"] > max_s:
        return None, "expired"
    user = sql.first(db, "SELECT * FROM users WHERE id = ? AND active = 1", [s["user_id"]])
    if user is None:
        return None, "ended"
    user["session"] = s
    return user, ""


def touch_session(db: Database, cfg: EngineConfig, now: float, *, session_id: str) -> None:
    db.execute("UPDATE sessions SET last_seen = ? WHERE id = ? AND ended_at IS NULL", [now, session_id])


def end_session(db: Database, cfg: EngineConfig, now: float, *, session_id: str, reason: str = "logout") -> None:
    db.execute("UPDATE sessions SET ended_at = ?, ended_reason = ? WHERE id = ? AND ended_at IS NULL",
               [now, reason, session_id])


def end_user_sessions(db: Database, cfg: EngineConfig, now: float, *, username: str, actor: str = "system") -> int:
    """End every open session of a user (an administrator's act: a lost or shared password, a
    copied cookie); returns how many were open."""
    user = sql.first(db, "SELECT id FROM users WHERE username = ?", [username])
    if user is None:
        raise NotFound(f"người dùng '{username}' không tồn tại")
    cur = db.execute("UPDATE sessions SET ended_at = ?, ended_reason = 'ended_by_admin' "
                     "WHERE user_id = ? AND ended_at IS NULL", [now, user["id"]])
    audit.record(db, now, actor, "user.sessions_ended", username, count=cur.rowcount)
    return cur.rowcount


def logout(db: Database, cfg: EngineConfig, now: float, *, user: dict, session_id: str | None = None) -> None:
    """Sign out: the session ends, and an officer leaving also frees his counters for the next one."""
    actor = f"user:{user['username']}"
    if session_id:
        end_session(db, cfg, now, session_id=session_id, reason="logout")
    for c in sql.rows(db, "SELECT number FROM counters WHERE officer_id = ?", [user["id"]]):
        counters.sign_out(db, cfg, now, number=c["number"], user=user, actor=actor)
    audit.record(db, now, actor, "user.logout", user["username"])
