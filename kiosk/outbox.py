"""The durable outbox: events that must reach the server, kept in SQLite until acknowledged.

A row is committed with `synchronous=FULL` before `add` returns, so a press survives a kill of the
agent or a power cut of the Pi. Rows leave only when the server acknowledged them (`remove`) or
refused them for good (`bury`, into the `dead_letter` table, kept for inspection).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .clock import Stamp

SCHEMA_VERSION = 2  # 2: tickets_pending

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT NOT NULL UNIQUE,   -- the event's idempotency key (a UUID)
    event        TEXT NOT NULL,
    payload      TEXT NOT NULL,          -- JSON, without age_ms (computed at send time)
    pressed_mono REAL,
    boot_id      TEXT,
    pressed_wall REAL,
    wall_synced  INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE TABLE IF NOT EXISTS dead_letter (
    seq          INTEGER PRIMARY KEY,
    key          TEXT NOT NULL,
    event        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    pressed_wall REAL,
    attempts     INTEGER NOT NULL,
    error        TEXT NOT NULL,
    message      TEXT NOT NULL,
    buried_at    REAL NOT NULL
);
-- A ticket asked of the server and not yet printed (state 'requested'), or being printed
-- ('printing'). A row left at start means the agent died in between: see Agent.resolve_unprinted.
CREATE TABLE IF NOT EXISTS tickets_pending (
    key          TEXT PRIMARY KEY,       -- the request's id, which becomes the ticket's id
    state        TEXT NOT NULL CHECK (state IN ('requested', 'printing')),
    at           REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    """One pending event."""

    seq: int
    key: str
    event: str
    payload: dict
    stamp: Stamp | None
    attempts: int


class Outbox:
    """SQLite outbox shared by the threads of one agent (one connection behind a lock)."""

    def __init__(self, path: Path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        # isolation_level=None: autocommit, so every statement outside BEGIN is its own durable commit.
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def add(self, event: str, key: str, payload: dict, stamp: Stamp | None = None) -> bool:
        """Store an event durably; False if one with the same key is already pending."""
        row = (
            key,
            event,
            json.dumps(payload, ensure_ascii=False),
            stamp.mono if stamp else None,
            stamp.boot_id if stamp else None,
            stamp.wall if stamp else None,
            int(stamp.wall_synced) if stamp else None,
        )
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outbox (key, event, payload, pressed_mono, boot_id, pressed_wall, wall_synced)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return cursor.rowcount == 1

    def peek(self) -> Entry | None:
        """The oldest pending event, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq, key, event, payload, pressed_mono, boot_id, pressed_wall, wall_synced, attempts"
                " FROM outbox ORDER BY seq LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        seq, key, event, payload, mono, boot_id, wall, synced, attempts = row
        stamp = None
        if mono is not None:
            stamp = Stamp(mono=mono, boot_id=boot_id or "", wall=wall or 0.0, wall_synced=bool(synced))
        return Entry(seq=seq, key=key, event=event, payload=json.loads(payload), stamp=stamp, attempts=attempts)

    def remove(self, seq: int) -> None:
        """Forget an event the server acknowledged."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def note_failure(self, seq: int, error: str) -> None:
        """Count a failed attempt (kept for the logs and for `kiosk outbox` inspection)."""
        with self._lock:
            self._db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE seq = ?", (error[:500], seq))

    def bury(self, seq: int, error: str, message: str) -> None:
        """Move an event the server refused for good into `dead_letter`, atomically."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO dead_letter (seq, key, event, payload, pressed_wall, attempts, error, message, buried_at)"
                    " SELECT seq, key, event, payload, pressed_wall, attempts + 1, ?, ?, ? FROM outbox WHERE seq = ?",
                    (error, message[:1000], time.time(), seq),
                )
                self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- tickets between the request and the paper ------------------------------------------
    def ticket_state(self, key: str, state: str | None) -> None:
        """Record durably where a ticket request is: 'requested', 'printing', or None (done:
        printed, or resolved otherwise)."""
        with self._lock:
            if state is None:
                self._db.execute("DELETE FROM tickets_pending WHERE key = ?", (key,))
            else:
                self._db.execute("INSERT OR REPLACE INTO tickets_pending (key, state, at) VALUES (?, ?, ?)",
                                 (key, state, time.time()))

    def unresolved_tickets(self) -> list[tuple[str, str]]:
        """(key, state) of the ticket requests a previous run left between request and paper."""
        with self._lock:
            return [(k, st) for k, st in self._db.execute("SELECT key, state FROM tickets_pending ORDER BY at")]

    def depth(self) -> int:
        """How many events wait to be sent."""
        with self._lock:
            return self._db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def dead(self) -> list[dict]:
        """The dead-letter rows, oldest first."""
        with self._lock:
            cursor = self._db.execute("SELECT key, event, payload, error, message, attempts FROM dead_letter ORDER BY seq")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def close(self) -> None:
        with self._lock:
            self._db.close()
