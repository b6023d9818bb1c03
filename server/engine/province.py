"""The outbox of the push to the province's one-stop software (server/push): which counted ratings
with a dossier code are to be sent, and what came of each try. A rating is queued once (its id
is the key), delivered once the province has acknowledged it, and retried with a back-off
until then."""

from __future__ import annotations

from sqlite_utils import Database

from . import sql
from .config import EngineConfig

MAX_BACKOFF_S = 3600.0
LOOKBACK_S = 7 * 86400  # a rating is queued if pressed within this (its dossier code may come later)


def enqueue(db: Database, cfg: EngineConfig, now: float) -> int:
    """Queue every counted rating of the last week whose ticket has a dossier code; returns how many."""
    cur = db.execute(
        """INSERT OR IGNORE INTO province_outbox (rating_id, enqueued_at, attempts, next_at)
           SELECT r.id, ?, 0, ? FROM ratings r JOIN tickets t ON t.id = r.ticket_id
           WHERE r.pressed_at >= ? AND r.status = 'counted' AND coalesce(t.dossier_code, '') != ''
           AND NOT EXISTS (SELECT 1 FROM province_outbox o WHERE o.rating_id = r.id)""",
        [now, now, now - LOOKBACK_S])
    return cur.rowcount


def due(db: Database, now: float, limit: int = 50) -> list[str]:
    """The rating ids to send now, the longest waiting first (a read)."""
    return [r[0] for r in db.execute(
        """SELECT rating_id FROM province_outbox WHERE delivered_at IS NULL AND next_at <= ?
           ORDER BY next_at, rating_id LIMIT ?""", [now, limit])]


def delivered(db: Database, cfg: EngineConfig, now: float, *, rating_id: str, answer: str = "") -> None:
    """The province has it."""
    db.execute("""UPDATE province_outbox SET delivered_at = ?, attempts = attempts + 1, answer = ?, last_error = NULL
                  WHERE rating_id = ? AND delivered_at IS NULL""", [now, answer[:500], rating_id])


def failed(db: Database, cfg: EngineConfig, now: float, *, rating_id: str, error: str, base_s: float) -> float:
    """A try failed: the next one after base × 2^tries, at most an hour; returns when."""
    row = sql.first(db, "SELECT attempts FROM province_outbox WHERE rating_id = ?", [rating_id])
    attempts = (row["attempts"] if row else 0) + 1
    next_at = now + min(MAX_BACKOFF_S, max(0.05, base_s) * 2 ** min(attempts - 1, 20))
    db.execute("UPDATE province_outbox SET attempts = ?, next_at = ?, last_error = ? WHERE rating_id = ?",
               [attempts, next_at, error[:500], rating_id])
    return next_at


def state(db: Database) -> dict:
    """How the push stands: queued, delivered, waiting for a retry, the last error (a read)."""
    row = db.execute("""SELECT count(*), count(delivered_at), sum(delivered_at IS NULL AND attempts > 0)
                        FROM province_outbox""").fetchone()
    last = db.execute("""SELECT last_error FROM province_outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL
                         ORDER BY next_at DESC LIMIT 1""").fetchone()
    return {"queued": row[0], "delivered": row[1], "retrying": row[2] or 0, "last_error": last[0] if last else None}
