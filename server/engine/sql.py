"""Plain reads and inserts for the hot paths (issuing a ticket, recording a rating): one SQLite
call each.

sqlite-utils' `db.query()` wraps every SELECT in a SAVEPOINT (three calls) and `table.insert()`
inspects the schema before inserting. Every SQLite call releases and retakes the GIL, and the
writer thread, which every kiosk's acknowledgement waits for, retakes it against hundreds of
socket threads: fewer calls there is shorter waits for everyone (see docs/benchmarks.md).
"""

from __future__ import annotations

from typing import Any, Sequence

from sqlite_utils import Database

def _params(params: Sequence[Any] | dict) -> list | dict:
    return params if isinstance(params, dict) else list(params)  # (named parameters as a dict)


def rows(db: Database, sql: str, params: Sequence[Any] | dict = ()) -> list[dict]:
    """Every row of a SELECT, as dicts."""
    cur = db.execute(sql, _params(params))
    keys = [d[0] for d in cur.description]
    return [dict(zip(keys, r)) for r in cur.fetchall()]


def first(db: Database, sql: str, params: Sequence[Any] | dict = ()) -> dict | None:
    """The first row of a SELECT as a dict, or None."""
    cur = db.execute(sql, _params(params))
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row))


def insert(db: Database, table: str, row: dict) -> None:
    """INSERT one row (column names are the code's own, never user input)."""
    db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
               list(row.values()))
