"""The database schema: every sqlite-utils migration of the server, in one place, applied at start.

Times are stored as Unix seconds (REAL, UTC) so reports can subtract them cheaply; `day` is the
ticket's local date in the center's time zone (the daily sequence resets at local midnight).
Migrations only ever append: never edit one that has shipped, add a new one.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

core = Migrations("qms")
alerts = Migrations("qms.alerts")
hotpath = Migrations("qms.hotpath")
reports = Migrations("qms.reports")
official = Migrations("qms.official")  # official reporting (issue 14): stints, the push outbox


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

@core()
def m003_versions(db: Database) -> None:
    # The server keeps the settings and the devices in memory (every kiosk event needs its
    # device, every write the settings). These counters, bumped by triggers in the same
    # transaction as the change, tell it when to read them again: the writer looks after every
    # commit, the ticker every few seconds (changes made by another process).
    _run(db, """
CREATE TABLE versions (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO versions (name, n) VALUES ('settings', 0), ('devices', 0);
CREATE TRIGGER versions_settings_i AFTER INSERT ON settings BEGIN UPDATE versions SET n = n + 1 WHERE name = 'settings'; END;
CREATE TRIGGER versions_settings_u AFTER UPDATE ON settings BEGIN UPDATE versions SET n = n + 1 WHERE name = 'settings'; END;
CREATE TRIGGER versions_settings_d AFTER DELETE ON settings BEGIN UPDATE versions SET n = n + 1 WHERE name = 'settings'; END;
CREATE TRIGGER versions_devices_i AFTER INSERT ON devices BEGIN UPDATE versions SET n = n + 1 WHERE name = 'devices'; END;
CREATE TRIGGER versions_devices_u AFTER UPDATE OF id, name, roles, token_hash, counter, room, active ON devices
  BEGIN UPDATE versions SET n = n + 1 WHERE name = 'devices'; END;
CREATE TRIGGER versions_devices_d AFTER DELETE ON devices BEGIN UPDATE versions SET n = n + 1 WHERE name = 'devices'; END
""")


@core()
def m004_action_requests_bound(db: Database) -> None:
    # A counter action's request id is bound to what it first asked: the same id again is a
    # replay only for the same action, counter and caller (`actor`, kept from the start);
    # otherwise `id_conflict`. Rows from before this migration keep NULL here (their result
    # names the action and the counter).
    _run(db, """
ALTER TABLE action_requests ADD COLUMN counter INTEGER;
ALTER TABLE action_requests ADD COLUMN action TEXT
""")



@core()
def m005_sessions_and_tokens(db: Database) -> None:
    # Sign-in sessions the server can end (logout, an admin, expiry): the Flask session carries
    # only the session's random id, checked against this table on every request. Wrong
    # passwords are counted per (name, address) and per address, so a stranger's guesses do not
    # lock the real user out, and known and unknown names are counted alike. Device and API
    # tokens may expire.
    _run(db, """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    ended_at REAL,
    ended_reason TEXT
);
CREATE INDEX sessions_user_open ON sessions (user_id) WHERE ended_at IS NULL;
CREATE INDEX sessions_created ON sessions (created_at);
CREATE TABLE login_failures (
    scope TEXT NOT NULL CHECK (scope IN ('name', 'address')),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    failed INTEGER NOT NULL,
    last_failed_at REAL NOT NULL,
    PRIMARY KEY (scope, name, address)
) WITHOUT ROWID;
CREATE INDEX login_failures_at ON login_failures (last_failed_at);
ALTER TABLE devices ADD COLUMN expires_at REAL;
ALTER TABLE users ADD COLUMN api_token_expires_at REAL;
DROP TRIGGER versions_devices_u;
CREATE TRIGGER versions_devices_u AFTER UPDATE OF id, name, roles, token_hash, counter, room, active, expires_at ON devices
  BEGIN UPDATE versions SET n = n + 1 WHERE name = 'devices'; END
""")


@core()
def m006_setup_tokens(db: Database) -> None:
    # A server started on a database with no administrator prints a one-time link to create the
    # first one (there is no default password); only the link's hash is kept.
    _run(db, """
CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    used_at REAL
)
""")


@core()
def m007_people_version(db: Database) -> None:
    # A person's open consoles and boards are cut when what let them in ends: a session ended
    # (logout, an admin, `end-sessions`), a user disabled or his role changed, his API token
    # revoked or rotated. This counter tells the server, as `devices` does for devices.
    _run(db, """
INSERT INTO versions (name, n) VALUES ('people', 0);
CREATE TRIGGER versions_people_sessions AFTER UPDATE OF ended_at ON sessions
  BEGIN UPDATE versions SET n = n + 1 WHERE name = 'people'; END;
CREATE TRIGGER versions_people_users AFTER UPDATE OF active, role, api_token_hash, api_token_expires_at ON users
  BEGIN UPDATE versions SET n = n + 1 WHERE name = 'people'; END;
CREATE TRIGGER versions_people_users_d AFTER DELETE ON users
  BEGIN UPDATE versions SET n = n + 1 WHERE name = 'people'; END
""")


# -- the supervisors' board alerts ------------------------------------------------------------

@alerts()
def m001_alerts(db: Database) -> None:
    for sql in (
        """CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}',
            opened_at REAL NOT NULL,
            acked_at REAL,
            acked_by TEXT,
            closed_at REAL,
            closed_by TEXT)""",
        "CREATE UNIQUE INDEX alerts_open ON alerts (kind, subject) WHERE closed_at IS NULL",
        "CREATE INDEX alerts_opened ON alerts (opened_at)",
    ):
        db.execute(sql)


# -- indexes of the hot paths (issuing, snapshots) ----------------------------------------------

@hotpath()
def m001_waiting_index(db: Database) -> None:
    # Covering for the two counts that run all the time: the tickets waiting ahead of a new one
    # (every issue) and the waiting counts per service (every display and board snapshot).
    # Without it each reads every waiting ticket's row to check its day: 1.5 ms and 7 ms with
    # 20,000 waiting, against a few hundredths of a ms with it.
    db.execute("CREATE INDEX IF NOT EXISTS tickets_waiting ON tickets (state, day, service, priority)")


@hotpath()
def m002_waiting_counts(db: Database) -> None:
    # How many tickets wait, per day, service and priority, kept by triggers in the same
    # transaction as the ticket's change. Issuing a ticket reads how many are ahead, and every
    # display snapshot the waiting count of each service: a count(*) over the waiting tickets
    # grew with the queue (0.09 ms per issue with 10 waiting, 0.9 ms with 10,000); a row here
    # costs the same whatever the queue.
    for statement in (
        """CREATE TABLE waiting (
    day TEXT NOT NULL,
    service TEXT NOT NULL,
    priority INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (day, service, priority)
) WITHOUT ROWID""",
        """INSERT INTO waiting (day, service, priority, n)
    SELECT day, service, priority, count(*) FROM tickets WHERE state = 'waiting' GROUP BY day, service, priority""",
        """CREATE TRIGGER waiting_i AFTER INSERT ON tickets WHEN NEW.state = 'waiting' BEGIN
    INSERT INTO waiting (day, service, priority, n) VALUES (NEW.day, NEW.service, NEW.priority, 1)
        ON CONFLICT (day, service, priority) DO UPDATE SET n = n + 1;
END""",
        """CREATE TRIGGER waiting_u AFTER UPDATE OF state, service, priority, day ON tickets
    WHEN OLD.state = 'waiting' OR NEW.state = 'waiting' BEGIN
    UPDATE waiting SET n = n - 1
        WHERE OLD.state = 'waiting' AND day = OLD.day AND service = OLD.service AND priority = OLD.priority;
    INSERT INTO waiting (day, service, priority, n) SELECT NEW.day, NEW.service, NEW.priority, 1
        WHERE NEW.state = 'waiting'
        ON CONFLICT (day, service, priority) DO UPDATE SET n = n + 1;
END""",
        """CREATE TRIGGER waiting_d AFTER DELETE ON tickets WHEN OLD.state = 'waiting' BEGIN
    UPDATE waiting SET n = n - 1 WHERE day = OLD.day AND service = OLD.service AND priority = OLD.priority;
END""",
    ):
        db.execute(statement)


# -- report roll-ups, their triggers and the indexes reports need -------------------------------

TICKET_COLS = ("day", "service", "counter", "officer_id", "issued", "served", "no_show", "cancelled",
               "unserved", "transferred", "priority", "wait_n", "wait_sum", "svc_n", "svc_sum", "waits")
RATING_COLS = ("day", "service", "counter", "officer_id", "s1", "s2", "s3", "s4", "s5", "duplicate",
               "unattributed")
ROLLUP_TABLES_V1 = ("report_days", "report_tickets", "report_ratings", "report_hours")
ROLLUP_TABLES_V2 = (*ROLLUP_TABLES_V1, "report_waits")  # m002
ROLLUP_TABLES = (*ROLLUP_TABLES_V2, "report_heat")  # m003


def _trigger(name: str, event: str, table: str, row: str, tables: tuple[str, ...]) -> list[str]:
    """A trigger that drops the roll-up of the day(s) a changed row belongs to."""
    if table == "tickets":
        days = [f"{row}.day"]
    else:  # a rating belongs to its ticket's day, or its own
        days = [f"{row}.day", f"(SELECT day FROM tickets WHERE id = {row}.ticket_id)"]
    cond = " OR ".join(f"EXISTS (SELECT 1 FROM report_days WHERE day = {d})" for d in days)
    body = "\n".join(f"DELETE FROM {t} WHERE day = {d};" for d in days for t in tables)
    return [f"CREATE TRIGGER {name} AFTER {event} ON {table} WHEN {cond} BEGIN\n{body}\nEND"]


def _triggers(tables: tuple[str, ...]) -> list[str]:
    statements = []
    for event in ("INSERT", "UPDATE", "DELETE"):
        row = "OLD" if event == "DELETE" else "NEW"
        statements += _trigger(f"report_tickets_{event.lower()}", event, "tickets", row, tables)
        statements += _trigger(f"report_ratings_{event.lower()}", event, "ratings", row, tables)
    return statements


@reports()
def m001_rollups(db: Database) -> None:
    statements = [
        "CREATE TABLE report_days (day TEXT PRIMARY KEY, built_at REAL NOT NULL)",
        """CREATE TABLE report_tickets (
            day TEXT NOT NULL, service TEXT NOT NULL, counter INTEGER, officer_id INTEGER,
            issued INTEGER NOT NULL, served INTEGER NOT NULL, no_show INTEGER NOT NULL,
            cancelled INTEGER NOT NULL, unserved INTEGER NOT NULL, transferred INTEGER NOT NULL,
            priority INTEGER NOT NULL, wait_n INTEGER NOT NULL, wait_sum REAL NOT NULL,
            svc_n INTEGER NOT NULL, svc_sum REAL NOT NULL, waits BLOB)""",
        "CREATE INDEX report_tickets_day ON report_tickets (day)",
        """CREATE TABLE report_ratings (
            day TEXT NOT NULL, service TEXT, counter INTEGER, officer_id INTEGER,
            s1 INTEGER NOT NULL, s2 INTEGER NOT NULL, s3 INTEGER NOT NULL, s4 INTEGER NOT NULL,
            s5 INTEGER NOT NULL, duplicate INTEGER NOT NULL, unattributed INTEGER NOT NULL)""",
        "CREATE INDEX report_ratings_day ON report_ratings (day)",
        """CREATE TABLE report_hours (
            day TEXT NOT NULL, weekday INTEGER NOT NULL, hour INTEGER NOT NULL, service TEXT, counter INTEGER,
            officer_id INTEGER, issued INTEGER NOT NULL, rated INTEGER NOT NULL, satisfied INTEGER NOT NULL)""",
        # Covering: the heat map of a year reads ~50,000 rows of it without touching the table.
        """CREATE INDEX report_hours_day ON report_hours
            (day, weekday, hour, service, counter, officer_id, issued, rated, satisfied)""",
        # For the roll-up of a day and the board, on a year of history: the ratings of a
        # ticket (joined from the day's tickets), and a service's latest finished tickets (the
        # wait estimate reads 20 of them; without this index it sorts a year of them).
        "CREATE INDEX IF NOT EXISTS ratings_ticket ON ratings (ticket_id)",
        "CREATE INDEX IF NOT EXISTS tickets_service_done ON tickets (service, state, finished_at)",
    ]
    for sql in statements + _triggers(ROLLUP_TABLES_V1):
        db.execute(sql)


@reports()
def m002_waits_by_service(db: Database) -> None:
    # The waits of a day and service, sorted: the 90th percentile of a year without filters
    # searches ~1,800 of these rather than the ~6,000 finer runs of report_tickets. The days
    # rolled up before this table existed are dropped, to be rolled up again with it.
    db.execute("CREATE TABLE report_waits (day TEXT NOT NULL, service TEXT NOT NULL, waits BLOB NOT NULL)")
    db.execute("CREATE INDEX report_waits_day ON report_waits (day, service)")
    _drop_triggers(db)
    for sql in _triggers(ROLLUP_TABLES_V2):
        db.execute(sql)
    for table in ROLLUP_TABLES_V1:
        db.execute(f"DELETE FROM {table}")


@reports()
def m003_heat_by_service(db: Database) -> None:
    # The heat map without a counter or officer filter reads report_heat (~60 rows a day) rather
    # than report_hours (~200 rows a day: sorting a year of those for GROUP BY cost ~40 ms).
    db.execute("""CREATE TABLE report_heat (day TEXT NOT NULL, weekday INTEGER NOT NULL, hour INTEGER NOT NULL,
                  service TEXT, issued INTEGER NOT NULL, rated INTEGER NOT NULL, satisfied INTEGER NOT NULL)""")
    db.execute("CREATE INDEX report_heat_day ON report_heat (day, weekday, hour, service, issued, rated, satisfied)")
    # Covering indexes: a year's grouped sums read the index alone (the waits stay in the table).
    db.execute(f"CREATE INDEX report_tickets_cover ON report_tickets ({', '.join(TICKET_COLS[:-1])})")
    db.execute(f"CREATE INDEX report_ratings_cover ON report_ratings ({', '.join(RATING_COLS)})")
    _drop_triggers(db)
    for sql in _triggers(ROLLUP_TABLES):
        db.execute(sql)
    for table in ROLLUP_TABLES_V2:  # rolled up again, with the new table
        db.execute(f"DELETE FROM {table}")


def _drop_triggers(db: Database) -> None:
    for event in ("insert", "update", "delete"):
        db.execute(f"DROP TRIGGER report_tickets_{event}")
        db.execute(f"DROP TRIGGER report_ratings_{event}")


def migration_sets() -> list[Migrations]:
    """Every migration set, in the order they apply."""
    return [core, reports, alerts, hotpath, official, displays]


def migrate(db: Database) -> None:
    """Apply every pending migration (inside the caller's transaction, as savepoints)."""
    for migrations in migration_sets():
        migrations.apply(db)


# -- official reporting: service per stint at a counter ------------------------------------------

@official()
def m001_stints(db: Database) -> None:
    # A transfer ends a stint at a counter: who handed the citizen on, from which service, and
    # when that stint began, so that the officer who served her first is credited with the
    # stint (and her rating, if she pressed then) and service time is measured per stint.
    db.execute("""CREATE TABLE ticket_transfers (
        id INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL REFERENCES tickets(id), day TEXT NOT NULL,
        at REAL NOT NULL, from_service TEXT NOT NULL, to_service TEXT NOT NULL, counter INTEGER,
        officer_id INTEGER, started_at REAL)""")
    db.execute("CREATE INDEX ticket_transfers_day ON ticket_transfers (day)")
    # The service a rating was given in: the ticket's service when the citizen pressed.
    db.execute("ALTER TABLE ratings ADD COLUMN service TEXT")
    db.execute("ALTER TABLE report_tickets ADD COLUMN handed INTEGER NOT NULL DEFAULT 0")
    # Dossiers received at the counters: finished tickets with a dossier code (mã hồ sơ).
    db.execute("ALTER TABLE report_tickets ADD COLUMN dossiers INTEGER NOT NULL DEFAULT 0")
    db.execute("DROP INDEX report_tickets_cover")
    db.execute(f"CREATE INDEX report_tickets_cover ON report_tickets ({', '.join(TICKET_COLS[:-1])}, handed, dossiers)")
    db.execute("CREATE INDEX tickets_dossier ON tickets (dossier_code) WHERE dossier_code IS NOT NULL")
    # The numbers given to official reports: one per report (period and filters), in sequence
    # within the year it was given, the same number when the same report is printed again.
    db.execute("""CREATE TABLE report_numbers (
        report TEXT PRIMARY KEY, year INTEGER NOT NULL, seq INTEGER NOT NULL, issued_at REAL NOT NULL,
        UNIQUE (year, seq))""")
    # Every day is rolled up again under the new readings (the heat map's weekday of a press,
    # stints); dropped first, so the fixes below fire no trigger.
    for table in ROLLUP_TABLES:
        db.execute(f"DELETE FROM {table}")
    # A transfer used to keep the first stint's start: the second stint starts at its own call.
    db.execute("UPDATE tickets SET started_at = called_at WHERE transfers > 0 AND started_at < called_at")
    db.execute("UPDATE tickets SET started_at = NULL WHERE transfers > 0 AND state = 'waiting'")


@official()
def m002_province_outbox(db: Database) -> None:
    # The push to the province's one-stop software: one row per counted rating with a dossier
    # code, kept until the province has taken it (durable: a restart goes on where it stopped).
    db.execute("""CREATE TABLE province_outbox (
        rating_id TEXT PRIMARY KEY REFERENCES ratings(id), enqueued_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL, last_error TEXT,
        delivered_at REAL, answer TEXT)""")
    db.execute("CREATE INDEX province_outbox_due ON province_outbox (next_at) WHERE delivered_at IS NULL")


# -- issue 12: a waiting-room display pairs with a code shown on the TV ---------------------------
displays = Migrations("qms.displays")


@displays()
def m001_display_pairings(db: Database) -> None:
    # One row per TV waiting to be paired: the code it shows, the hash of the secret only it
    # knows, and, once an administrator has entered the code, its new device's token until the
    # TV collects it (then the row is deleted; unclaimed rows expire).
    db.execute("""CREATE TABLE display_pairings (code TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE,
                  created_at REAL NOT NULL, expires_at REAL NOT NULL, device_id TEXT, token TEXT)""")
