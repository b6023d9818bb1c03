"""A rating's first copy stamped late (held in transit), corrected by a resend (issue 11, hole 2).

Every copy's estimate `now - age_ms` is at or after the true press when transit only delays; the
server keeps the earliest and judges the press again at that moment, with the presses after it."""

from __future__ import annotations

import json

import pytest

RID = "5a2c3f0e-2222-4a4a-8b8b-000000000001"
OTHER = "5a2c3f0e-2222-4a4a-8b8b-000000000002"


def _by_id(engine) -> dict:
    rows = engine.rows("""SELECT r.id, r.status, r.rule, r.pressed_at, r.day, t.code AS ticket
                          FROM ratings r LEFT JOIN tickets t ON t.id = r.ticket_id""")
    return {r["id"]: r for r in rows}


@pytest.fixture
def served_then_next(engine, clock):
    """A001 in hand at counter 1 from T; pressed for at T+5; A001 done and A002 called at T+7."""
    engine.setting("rating_window_s", 30)
    engine.issue("A")
    engine.issue("A")
    engine.act(1, "next")
    t = clock.t
    clock.advance(7)
    engine.act(1, "next")
    return t + 5


def test_a_resend_with_an_earlier_estimate_corrects_the_time_and_the_ticket(engine, clock, served_then_next):
    pressed = served_then_next
    clock.advance(33)  # T+40, past A001's window: the first copy arrives, its age computed when it left at T+5
    first = engine.rate(1, 5, age_ms=0, rating_id=RID)
    assert first["ticket"] == "A002"  # judged at the wrong moment, today's hole
    clock.advance(1)  # the resend carries the true age
    again = engine.rate(1, 5, age_ms=int(round((clock.t - pressed) * 1000)), rating_id=RID)
    assert again["duplicate"] is True and again["corrected"] is True and again["status"] == "counted"
    row = _by_id(engine)[RID]
    assert row["pressed_at"] == pytest.approx(pressed, abs=0.002)
    assert (row["ticket"], row["rule"], row["status"]) == ("A001", "in_service", "counted")
    audit = engine.rows("SELECT action, data FROM audit WHERE subject = ? ORDER BY id", [RID])
    assert [a["action"] for a in audit] == ["rating.record", "rating.correct", "rating.rejudge"]
    assert json.loads(audit[1]["data"])["late_s"] == pytest.approx(35.0, abs=0.01)


def test_a_later_resend_never_moves_the_time_forward(engine, clock, served_then_next):
    clock.advance(1)
    engine.rate(1, 5, age_ms=int(round((clock.t - served_then_next) * 1000)), rating_id=RID)
    clock.advance(20)
    again = engine.rate(1, 5, age_ms=0, rating_id=RID)  # a copy stuck in transit, later
    assert "corrected" not in again
    assert _by_id(engine)[RID]["pressed_at"] == pytest.approx(served_then_next, abs=0.002)
    assert [a["action"] for a in engine.rows("SELECT action FROM audit WHERE subject = ?", [RID])] == ["rating.record"]


def test_the_press_it_displaced_gets_its_ticket_back(engine, clock, served_then_next):
    pressed = served_then_next
    clock.advance(33)  # T+40: the late copy takes A002's count
    assert engine.rate(1, 4, age_ms=0, rating_id=RID)["ticket"] == "A002"
    clock.advance(10)  # T+50: A002's own citizen presses, delivered at once: a duplicate today
    assert engine.rate(1, 2, rating_id=OTHER)["status"] == "duplicate"
    clock.advance(1)
    engine.rate(1, 4, age_ms=int(round((clock.t - pressed) * 1000)), rating_id=RID)
    rows = _by_id(engine)
    assert (rows[RID]["ticket"], rows[RID]["status"]) == ("A001", "counted")
    assert (rows[OTHER]["ticket"], rows[OTHER]["status"]) == ("A002", "counted")
    counted = engine.rows("SELECT ticket_id, count(*) AS n FROM ratings WHERE status = 'counted' GROUP BY ticket_id")
    assert [c["n"] for c in counted] == [1, 1]
    assert engine.rows("SELECT count(*) AS n FROM audit WHERE action = 'rating.rejudge' AND subject = ?",
                       [OTHER])[0]["n"] == 1


def test_a_correction_across_midnight_moves_the_day(engine, clock):
    from tests.server.conftest import local_ts

    pressed = local_ts(2026, 3, 12, 23, 59, 58)
    clock.t = local_ts(2026, 3, 13, 0, 0, 5)
    engine.rate(1, 5, age_ms=0, rating_id=RID)
    assert _by_id(engine)[RID]["day"] == "2026-03-13"
    clock.advance(1)
    engine.rate(1, 5, age_ms=int(round((clock.t - pressed) * 1000)), rating_id=RID)
    assert _by_id(engine)[RID]["day"] == "2026-03-12"
