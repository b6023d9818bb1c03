"""The database schema as sqlite-utils migrations, applied at start.

Times are stored as Unix seconds (REAL, UTC) so reports can subtract them cheaply; `day` is the
ticket's local date in the center's time zone (the daily sequence resets at local midnight).
Migrations only ever append: never edit one that has shipped, add a new one.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

core = Migrations("qms")


def _run(db: Database, sql: str) -> None:
    # executescript() would COMMIT the writer's transaction, so statements go one by one.
    for statement in sql.split(";\n"):
        if statement.strip():
            db.execute(statement)


@core()
def m001_initial(db: Database) -> None:
    _run(db, """
CREATE TABLE services (
    code TEXT PRIMARY KEY,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    prefix TEXT NOT NULL DEFAULT '',
    first_number INTEGER NOT NULL DEFAULT 1,
    digits INTEGER NOT NULL DEFAULT 3,
    daily_limit INTEGER,
    hours TEXT,
    room TEXT NOT NULL DEFAULT '',
    sort INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'admin')),
    password_hash TEXT,
    api_token_hash TEXT UNIQUE,
    counter INTEGER,
    active INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    last_failed_at REAL,
    created_at REAL NOT NULL
);
CREATE TABLE counters (
    number INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    services TEXT NOT NULL DEFAULT '[]',
    room TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'paused')),
    state_since REAL,
    officer_id INTEGER REFERENCES users(id),
    officer_since REAL,
    current_ticket TEXT,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    roles TEXT NOT NULL DEFAULT '[]',
    token_hash TEXT NOT NULL UNIQUE,
    counter INTEGER REFERENCES counters(number),
    room TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL,
    online INTEGER NOT NULL DEFAULT 0,
    last_seen REAL,
    last_status TEXT
);
CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    origin_service TEXT NOT NULL REFERENCES services(code),
    service TEXT NOT NULL REFERENCES services(code),
    seq INTEGER NOT NULL,
    code TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'called', 'serving', 'done', 'no_show', 'cancelled')),
    issued_at REAL NOT NULL,
    device_id TEXT,
    waiting_ahead INTEGER,
    eta_minutes INTEGER,
    counter INTEGER,
    officer_id INTEGER,
    called_at REAL,
    first_called_at REAL,
    started_at REAL,
    finished_at REAL,
    no_show_at REAL,
    recalls INTEGER NOT NULL DEFAULT 0,
    transfers INTEGER NOT NULL DEFAULT 0,
    dossier_code TEXT,
    cancel_reason TEXT,
    UNIQUE (day, origin_service, seq)
);
CREATE INDEX tickets_queue ON tickets (state, service, priority, issued_at);
CREATE INDEX tickets_counter ON tickets (counter, finished_at);
CREATE INDEX tickets_day ON tickets (day, service);
CREATE INDEX tickets_issued ON tickets (issued_at);
CREATE TABLE ratings (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    counter INTEGER,
    ticket_id TEXT REFERENCES tickets(id),
    officer_id INTEGER,
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    pressed_at REAL NOT NULL,
    received_at REAL NOT NULL,
    day TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('counted', 'duplicate', 'unattributed')),
    rule TEXT NOT NULL
);
CREATE UNIQUE INDEX ratings_one_counted ON ratings (ticket_id) WHERE status = 'counted';
CREATE INDEX ratings_day ON ratings (day, status);
CREATE INDEX ratings_pressed ON ratings (pressed_at);
CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    code TEXT NOT NULL,
    counter INTEGER NOT NULL,
    service TEXT NOT NULL,
    recall INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX calls_at ON calls (at);
CREATE TABLE counter_sessions (
    id INTEGER PRIMARY KEY,
    counter INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL
);
CREATE TABLE action_requests (
    id TEXT PRIMARY KEY,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    result TEXT NOT NULL
);
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL,
    updated_by TEXT
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT,
    data TEXT
);
CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END
""")


@core()
def m002_voided_requests(db: Database) -> None:
    # A kiosk that got no answer to a ticket request reports `print_failed` for the id it sent.
    # If that request is still on its way, the id is remembered so it can never become a ticket.
    _run(db, """
CREATE TABLE voided_requests (
    id TEXT PRIMARY KEY,
    at REAL NOT NULL,
    device_id TEXT,
    reason TEXT
)
""")


def migration_sets() -> list[Migrations]:
    """Every migration set, in the order they apply. Feature modules add theirs here."""
    from .engine import alerts  # the board's alerts
    from .reports import rollup  # report roll-ups, their triggers and the indexes reports need

    from .engine import sql  # indexes of the hot paths (issuing, snapshots)

    return [core, rollup.migrations, alerts.migrations, sql.migrations]


def migrate(db: Database) -> None:
    """Apply every pending migration (inside the caller's transaction, as savepoints)."""
    for migrations in migration_sets():
        migrations.apply(db)
