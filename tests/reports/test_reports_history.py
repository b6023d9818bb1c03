"""The synthetic-history generator of the benchmarks (bench/history.py), on a few days: it makes a
database through create_app's migrations that the engine's own constraints accept, and the
reports and the board read it."""

from __future__ import annotations

from datetime import date, datetime

from bench import history
from server import create_app
from server.reports import board
from server.reports import queries
from server.reports.period import Period


def test_a_few_days_of_history(tmp_path):
    now = history.local_ts(date(2026, 3, 12), 10.0)  # a Thursday morning
    made = history.generate(tmp_path, days=6, per_day=150, now=now, log=lambda *_: None)
    assert made["tickets"] > 400 and made["ratings_counted"] > 150
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "secret_key": "t", "CLOCK": lambda: now})
    try:
        qms = app.extensions["qms"]
        db = qms.store.read()
        # What the engine guarantees holds here too: one counted rating per ticket (a unique
        # index), gap-free daily numbers, and finished tickets with a start.
        assert db.execute("SELECT count(*) FROM ratings WHERE status = 'counted'").fetchone()[0] == made["ratings_counted"]
        for day, service, n, top in db.execute(
                "SELECT day, origin_service, count(*), max(seq) FROM tickets GROUP BY day, origin_service"):
            assert n == top, (day, service)
        assert db.execute("SELECT count(*) FROM tickets WHERE state = 'done' AND started_at IS NULL").fetchone()[0] == 0
        first = date.fromisoformat(db.execute("SELECT min(day) FROM tickets").fetchone()[0])
        today = date(2026, 3, 12)
        r = queries.report(qms.store, qms.cfg(), now, Period("range", first, today, first))
        s = r["summary"]
        assert s["issued"] == made["tickets"] - s["cancelled"]
        assert 50 < s["satisfaction_rate"] <= 100 and 0 < s["response_rate"] <= 100
        assert s["waits_counted"] > 0 and s["p90_wait_s"] is not None and s["avg_service_s"] > 0
        # The three readings of docs/reports.md have cases here: ratings given during a stint
        # that ended in a transfer, a press after midnight, and no row's rate above 100 %.
        assert db.execute("""SELECT count(*) FROM ratings r JOIN ticket_transfers x ON x.ticket_id = r.ticket_id
                             WHERE r.status = 'counted' AND r.officer_id = x.officer_id
                             AND r.pressed_at < x.at""").fetchone()[0] > 0
        assert db.execute("""SELECT count(*) FROM ratings r JOIN tickets t ON t.id = r.ticket_id
                             WHERE r.status = 'counted' AND r.day > t.day""").fetchone()[0] > 0
        assert s["handed"] > 0
        for row in [s, *r["services"], *r["officers"], *r["counters"]]:
            assert row["response_rate"] is None or row["response_rate"] <= 100, row
        snap = board.snapshot(db, qms.cfg(), now, settings=qms.setting)
        assert snap["today"]["issued"] > 0 and snap["today"]["served"] < snap["today"]["issued"]  # a morning in progress
        assert sum(1 for c in snap["counters"] if c["officer"]) >= 14  # officers signed in this morning
        assert datetime.fromisoformat(snap["now"]).hour == 10
    finally:
        app.extensions["qms"].close()
