"""Fixtures for the server's own tests.

`engine` drives the queue engine the way the surfaces do, through `qms.write`, and `dump()`
reads every table so a test can check that a refused transition changed nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from server.engine import admin
from server.engine import counters, ratings, tickets

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TABLES = ("services", "counters", "users", "devices", "tickets", "ratings", "calls",
          "counter_sessions", "action_requests", "settings", "audit")


def local_ts(*args) -> float:
    """Unix time of a wall-clock time in the center's zone: local_ts(2026, 3, 12, 23, 59)."""
    return datetime(*args, tzinfo=TZ).timestamp()


class Engine:
    """Engine calls as the surfaces make them, and table dumps."""

    def __init__(self, qms, clock):
        self.qms = qms
        self.clock = clock

    def issue(self, service: str = "A", priority: bool = False, ticket_id: str | None = None) -> dict:
        return self.qms.write(tickets.issue, ticket_id=ticket_id or str(uuid.uuid4()), service=service,
                              priority=priority, device_id="kiosk-1", actor="test")

    def act(self, counter: int, action: str, **kw) -> dict:
        return self.qms.write(counters.act, number=counter, action=action, actor="test", **kw)

    def rate(self, counter: int, score: int = 5, age_ms: int = 0, rating_id: str | None = None) -> dict:
        device = {"id": f"rate-{counter}", "counter": counter}
        return self.qms.write(ratings.record, rating_id=rating_id or str(uuid.uuid4()), device=device,
                              score=score, age_ms=age_ms, actor="test")

    def setting(self, name: str, value) -> None:
        self.qms.write(admin.set_setting, name=name, value=value)

    def service(self, code: str, **kw) -> None:
        kw.setdefault("name_vi", f"Lĩnh vực {code}")
        self.qms.write(admin.add_service, code=code, **kw)

    def rows(self, sql: str, params=()) -> list[dict]:
        return list(self.qms.store.read().query(sql, list(params)))

    def ticket(self, code: str) -> dict:
        rows = self.rows("SELECT * FROM tickets WHERE code = ? ORDER BY issued_at DESC", [code])
        assert rows, f"no ticket {code}"
        return rows[0]

    def counter(self, number: int) -> dict:
        return self.rows("SELECT * FROM counters WHERE number = ?", [number])[0]

    def user_id(self, username: str) -> int:
        return self.rows("SELECT id FROM users WHERE username = ?", [username])[0]["id"]

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table: equal dumps mean nothing changed."""
        db = self.qms.store.read()
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}


@pytest.fixture
def engine(qms, clock):
    return Engine(qms, clock)
