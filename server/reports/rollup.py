"""Daily roll-ups of tickets and ratings, so that a year's report reads thousands of rows.

A closed day (before today in the center's time zone) is rolled up once, in the writer, into
`report_tickets`, `report_ratings` and `report_hours`, and marked in `report_days`. Triggers on
`tickets` and `ratings` drop a day's roll-up as soon as one of its rows changes (a late rating
from a kiosk's outbox, a ticket finished after midnight, an admin's correction), so a roll-up is
never stale: the next report rebuilds it. Today is never stored: `source()` rolls up every day
that is not stored on the fly, with the same SQL, so the figures are the same either way.

Which day a row belongs to: a ticket to its issue day (`tickets.day`); a rating to its ticket's
day (so "ratings / served" of a period compares like with like even across midnight), or to the
day it was pressed when it has no ticket (unattributed). A ticket is reported under its final
service (after transfers), its last counter and that counter's officer. A stint ended by a
transfer (`ticket_transfers`) is reported as "handed" under the service, counter and officer of
that stint, with its service time; a rating under the service, counter and officer serving the
citizen when she pressed. So an officer's ratings are always ratings of his own stints. The heat
map places a press at its own local weekday and hour.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlite_utils import Database


TICKET_COLS = ("day", "service", "counter", "officer_id", "issued", "served", "no_show", "cancelled",
               "unserved", "transferred", "priority", "wait_n", "wait_sum", "svc_n", "svc_sum", "handed", "dossiers", "waits")
RATING_COLS = ("day", "service", "counter", "officer_id", "s1", "s2", "s3", "s4", "s5", "duplicate",
               "unattributed")
WAIT_COLS = ("day", "service", "waits")
HEAT_COLS = ("day", "weekday", "hour", "service", "issued", "rated", "satisfied")
HOUR_COLS = ("day", "weekday", "hour", "service", "counter", "officer_id", "issued", "rated", "satisfied")

ROLLUP_TABLES = ("report_days", "report_tickets", "report_ratings", "report_hours", "report_waits",
                 "report_heat")  # their schema and triggers: server/migrations.py


# -- the roll-up of one day, as SQL (positional parameters noted beside each) -----------------
TICKETS_DAY = """SELECT day, service, counter, officer_id,
    sum(state != 'cancelled') AS issued, sum(state = 'done') AS served, sum(state = 'no_show') AS no_show,
    sum(state = 'cancelled') AS cancelled, sum(state IN ('waiting', 'called', 'serving')) AS unserved,
    sum(transfers > 0 AND state != 'cancelled') AS transferred, sum(priority = 1 AND state != 'cancelled') AS priority,
    count(first_called_at) AS wait_n, total(first_called_at - issued_at) AS wait_sum,
    sum(state = 'done') AS svc_n,
    total(CASE WHEN state = 'done' THEN finished_at - coalesce(started_at, called_at) END) AS svc_sum,
    0 AS handed, sum(state = 'done' AND coalesce(dossier_code, '') != '') AS dossiers,
    group_concat(CAST(round(first_called_at - issued_at) AS INTEGER)) AS waits
  FROM tickets WHERE day = ? GROUP BY service, counter, officer_id
  UNION ALL
  SELECT day, from_service, counter, officer_id, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    count(*), total(at - started_at), count(*), 0, NULL
  FROM ticket_transfers WHERE day = ? GROUP BY from_service, counter, officer_id"""  # [day, day]

WAITS_DAY = """SELECT day, service, group_concat(CAST(round(first_called_at - issued_at) AS INTEGER)) AS waits
  FROM tickets WHERE day = ? AND first_called_at IS NOT NULL GROUP BY service"""  # [day]

RATINGS_DAY = """SELECT t.day AS day, coalesce(r.service, t.service) AS service, r.counter AS counter, r.officer_id AS officer_id,
    sum(r.status = 'counted' AND r.score = 1) AS s1, sum(r.status = 'counted' AND r.score = 2) AS s2,
    sum(r.status = 'counted' AND r.score = 3) AS s3, sum(r.status = 'counted' AND r.score = 4) AS s4,
    sum(r.status = 'counted' AND r.score = 5) AS s5, sum(r.status = 'duplicate') AS duplicate, 0 AS unattributed
  FROM tickets t JOIN ratings r ON r.ticket_id = t.id WHERE t.day = ?
  GROUP BY coalesce(r.service, t.service), r.counter, r.officer_id
  UNION ALL
  SELECT day, NULL, counter, officer_id, 0, 0, 0, 0, 0,
    sum(status = 'duplicate'), sum(status = 'unattributed')
  FROM ratings WHERE day = ? AND ticket_id IS NULL GROUP BY counter, officer_id"""  # [day, day]

# A press after midnight belongs to its ticket's day, but sits at its own weekday and hour.
HOURS_DAY = """SELECT day, weekday, hour, service, counter, officer_id,
    sum(issued) AS issued, sum(rated) AS rated, sum(satisfied) AS satisfied FROM (
  SELECT day, (CAST(strftime('%w', day) AS INTEGER) + 6) % 7 AS weekday,
    ((CAST(issued_at AS INTEGER) + ?) % 86400) / 3600 AS hour, service, counter, officer_id,
    1 AS issued, 0 AS rated, 0 AS satisfied
  FROM tickets WHERE day = ? AND state != 'cancelled'
  UNION ALL
  SELECT t.day, (CAST(strftime('%w', CAST(r.pressed_at AS INTEGER) + ?1, 'unixepoch') AS INTEGER) + 6) % 7,
    ((CAST(r.pressed_at AS INTEGER) + ?1) % 86400) / 3600, coalesce(r.service, t.service), r.counter, r.officer_id,
    0, 1, r.score >= 4
  FROM tickets t JOIN ratings r ON r.ticket_id = t.id WHERE t.day = ?2 AND r.status = 'counted'
) GROUP BY day, weekday, hour, service, counter, officer_id"""  # [offset, day]

HEAT_DAY = f"""SELECT day, weekday, hour, service, sum(issued) AS issued, sum(rated) AS rated,
    sum(satisfied) AS satisfied FROM ({HOURS_DAY}) GROUP BY day, weekday, hour, service"""  # [offset, day]


def utc_offset(tz, day: str) -> int:
    """Seconds east of UTC of the center's zone at noon of a day (hours of day are local)."""
    noon = datetime.combine(date.fromisoformat(day), time(12), tz)
    return int(noon.utcoffset().total_seconds())


def waits_array(value):
    """Waits in whole seconds, sorted, from a stored roll-up (bytes, already sorted: read in
    place as 32-bit integers) or a live one (comma-separated)."""
    if not value:
        return array("i")
    if isinstance(value, bytes):
        return memoryview(value).cast("i")
    return array("i", sorted(int(v) for v in str(value).split(",")))


def build_day(db: Database, tz, now: float, day: str) -> None:
    """Roll up one closed day (runs in the writer, inside its transaction)."""
    for table in ROLLUP_TABLES[1:]:
        db.execute(f"DELETE FROM {table} WHERE day = ?", [day])
    rows = db.execute(TICKETS_DAY, [day, day]).fetchall()
    if rows:
        rows = [(*r[:-1], waits_array(r[-1]).tobytes()) for r in rows]
        db.conn.executemany(f"INSERT INTO report_tickets ({', '.join(TICKET_COLS)}) "
                            f"VALUES ({', '.join('?' * len(TICKET_COLS))})", rows)
    db.conn.executemany("INSERT INTO report_waits (day, service, waits) VALUES (?, ?, ?)",
                        [(r[0], r[1], waits_array(r[2]).tobytes()) for r in db.execute(WAITS_DAY, [day]).fetchall()])
    db.execute(f"INSERT INTO report_ratings ({', '.join(RATING_COLS)}) {RATINGS_DAY}", [day, day])
    off = utc_offset(tz, day)
    db.execute(f"INSERT INTO report_hours ({', '.join(HOUR_COLS)}) {HOURS_DAY}", [off, day])
    db.execute(f"""INSERT INTO report_heat ({', '.join(HEAT_COLS)})
                   SELECT day, weekday, hour, service, sum(issued), sum(rated), sum(satisfied) FROM report_hours
                   WHERE day = ? GROUP BY weekday, hour, service""", [day])
    db.execute("INSERT OR REPLACE INTO report_days (day, built_at) VALUES (?, ?)", [day, now])


def build_days(db: Database, tz, now: float, days: list[str]) -> int:
    """Write job: roll up several closed days; returns how many."""
    for day in days:
        build_day(db, tz, now, day)
    return len(days)


def _days(start: str, end: str) -> list[str]:
    d, last = date.fromisoformat(start), date.fromisoformat(end)
    out = []
    while d <= last:
        out.append(d.isoformat())
        d += timedelta(days=1)
    return out


def first_day(db: Database) -> str | None:
    """The first day with any ticket or rating (nothing before it needs rolling up)."""
    row = db.execute("SELECT min(d) FROM (SELECT min(day) AS d FROM tickets UNION ALL SELECT min(day) FROM ratings)").fetchone()
    return row[0]


def missing(db: Database, today: str, start: str, end: str) -> tuple[list[str], list[str]]:
    """(closed days to roll up, days to read live) within [start, end]."""
    first = first_day(db)
    if first is None:
        return [], []
    start = max(start, first)
    end = min(end, today)
    if start > end:
        return [], []
    stored = {r[0] for r in db.execute("SELECT day FROM report_days WHERE day BETWEEN ? AND ?", [start, end])}
    todo = [d for d in _days(start, end) if d not in stored]
    return [d for d in todo if d < today], [d for d in todo if d >= today]


def ensure(store, tz, today: str, now: float, start: str, end: str, *, limit: int | None = None,
           chunk: int = 16) -> int:
    """Roll up the closed days of [start, end] that are not stored, a few days per write job so
    that kiosks' writes go in between; returns how many were built."""
    closed, _live = missing(store.read(), today, start, end)
    if limit is not None:
        closed = closed[-limit:]  # the most recent first: they are the ones asked for most
    built = 0
    for i in range(0, len(closed), chunk):
        built += store.write(build_days, tz, now, closed[i:i + chunk])
    return built


# name: (stored table, its columns, the SQL of one live day, that SQL's parameters)
PARTS = {
    "tickets": ("report_tickets", TICKET_COLS, TICKETS_DAY, lambda day, off: [day, day]),
    "ratings": ("report_ratings", RATING_COLS, RATINGS_DAY, lambda day, off: [day, day]),
    "hours": ("report_hours", HOUR_COLS, HOURS_DAY, lambda day, off: [off, day]),
    "waits": ("report_waits", WAIT_COLS, WAITS_DAY, lambda day, off: [day]),
    "heat": ("report_heat", HEAT_COLS, HEAT_DAY, lambda day, off: [off, day]),
}


@dataclass
class Source:
    """Where the roll-up rows of a range come from: the stored tables for the stored days, and
    the SQL of one day for each other day (today, or a day whose roll-up was just dropped)."""
    start: str
    end: str
    live_days: list = field(default_factory=list)
    offsets: dict = field(default_factory=dict)

    def stored(self, name: str) -> tuple[str, list]:
        """(table, [start, end]): filter it with `day BETWEEN ? AND ?`."""
        return PARTS[name][0], [self.start, self.end]

    def live(self, name: str) -> list[tuple[str, list]]:
        """(SELECT, parameters) of each live day, rows shaped like the stored table's."""
        _table, _cols, one_day, params = PARTS[name]
        return [(one_day, params(day, self.offsets[day])) for day in self.live_days]


def source(db: Database, tz, today: str, start: str, end: str) -> Source:
    """The roll-up rows of [start, end]: stored ones, and the others (today) rolled up live."""
    closed, live = missing(db, today, start, end)
    live = closed + live
    return Source(start, end, live, {day: utc_offset(tz, day) for day in live})
