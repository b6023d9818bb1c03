"""Signing in and out: the throttle on wrong passwords, and leaving one's counters on logout.

Wrong passwords are throttled per user: after `limit` wrong tries in a row, the next try is
accepted only after a wait that doubles with each further wrong one (5 s, 10 s, ... up to
5 min). Each try is counted in the database *before* its password is checked, so parallel
guesses cannot slip past the count; a right password resets it.
"""

from __future__ import annotations

from sqlite_utils import Database

from . import audit, counters, sql
from .config import EngineConfig

FIRST_DELAY_S = 5
MAX_DELAY_S = 300


def throttle_delay(failed: int, limit: int) -> float:
    """Seconds to wait after the last wrong try before another is accepted (0: none)."""
    if failed < limit:
        return 0.0
    return float(min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** min(failed - limit, 16)))


def reserve_attempt(db: Database, cfg: EngineConfig, now: float, *, username: str, limit: int) -> dict:
    """Count a sign-in try before its password is checked; {"user": row|None, "wait": s}.

    A try that comes too soon is refused (`wait` > 0) and not counted, so a flood of guesses
    cannot push the wait out forever for the real user."""
    row = sql.first(db, "SELECT * FROM users WHERE username = ? AND active = 1", [username])
    if row is None:
        return {"user": None, "wait": 0}
    if row["last_failed_at"] is not None:
        ready = row["last_failed_at"] + throttle_delay(row["failed_logins"], limit)
        if now < ready:
            audit.record(db, now, f"user:{username}", "user.login_throttled", username)
            return {"user": None, "wait": ready - now}
    db.execute("UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = ? WHERE id = ?",
               [now, row["id"]])
    return {"user": row, "wait": 0}


def record_outcome(db: Database, cfg: EngineConfig, now: float, *, user_id: int, ok: bool, username: str) -> None:
    """A right password clears the count of wrong tries; a wrong one stays counted."""
    if ok:
        db.execute("UPDATE users SET failed_logins = 0, last_failed_at = NULL WHERE id = ?", [user_id])
    audit.record(db, now, f"user:{username}", "user.login" if ok else "user.login_failed", username)


def logout(db: Database, cfg: EngineConfig, now: float, *, user: dict) -> None:
    """Sign out: an officer leaving also frees his counters for the next one."""
    actor = f"user:{user['username']}"
    for c in sql.rows(db, "SELECT number FROM counters WHERE officer_id = ?", [user["id"]]):
        counters.sign_out(db, cfg, now, number=c["number"], user=user, actor=actor)
    audit.record(db, now, actor, "user.logout", user["username"])
