"""Rating attribution: which ticket and officer a press at a counter's terminal belongs to.

The order (issue 2): (1) the ticket most recently finished at the counter, within the window and
not yet rated; (2) else the ticket called or served there; (3) else a duplicate of the recently
finished, already rated ticket; (4) else unattributed, with the officer on duty."""

from __future__ import annotations

import pytest

from server import errors


def _ratings(engine) -> list[dict]:
    return engine.rows("""SELECT r.status, r.rule, r.score, r.counter, r.officer_id, t.code AS ticket
                          FROM ratings r LEFT JOIN tickets t ON t.id = r.ticket_id ORDER BY r.rowid""")


@pytest.fixture
def officer1(engine):
    return engine.user_id("officer1")


def test_during_service(engine, officer1):
    engine.issue("A")
    engine.act(1, "next")
    engine.act(1, "serve")
    result = engine.rate(1, 4)
    assert result["duplicate"] is False and result["status"] == "counted" and result["ticket"] == "A001"
    assert _ratings(engine) == [{"status": "counted", "rule": "in_service", "score": 4, "counter": 1,
                                 "officer_id": officer1, "ticket": "A001"}]


def test_called_but_not_yet_served_counts_too(engine):
    engine.issue("A")
    engine.act(1, "next")
    assert engine.rate(1, 5)["ticket"] == "A001"


def test_within_the_window_after_finish(engine, clock, officer1):
    engine.issue("A")
    engine.act(1, "next")
    engine.act(1, "finish")
    clock.advance(119)
    assert engine.rate(1, 5)["ticket"] == "A001"
    assert _ratings(engine)[0]["rule"] == "finished" and _ratings(engine)[0]["officer_id"] == officer1


def test_after_the_window(engine, clock, officer1):
    engine.issue("A")
    engine.act(1, "next")
    engine.act(1, "finish")
    clock.advance(121)
    result = engine.rate(1, 3)
    assert result["status"] == "unattributed" and result["duplicate"] is False and result["ticket"] is None
    assert _ratings(engine) == [{"status": "unattributed", "rule": "none", "score": 3, "counter": 1,
                                 "officer_id": officer1, "ticket": None}]


def test_window_is_a_setting(engine, clock):
    engine.setting("rating_window_s", 30)
    engine.issue("A")
    engine.act(1, "next")
    engine.act(1, "finish")
    clock.advance(31)
    assert engine.rate(1)["status"] == "unattributed"


def test_after_the_next_call_the_press_goes_to_the_citizen_who_just_left(engine, clock):
    engine.issue("A")
    engine.issue("A")
    engine.act(1, "next")
    clock.advance(200)
    engine.act(1, "next")  # finishes A001 and calls A002 at once
    clock.advance(5)
    assert engine.rate(1, 5)["ticket"] == "A001"
    # A second press: A001 has its rating, so it goes to the ticket now in hand (rule 2).
    assert engine.rate(1, 2)["ticket"] == "A002"
    assert [(r["ticket"], r["rule"], r["status"]) for r in _ratings(engine)] == [
        ("A001", "finished", "counted"), ("A002", "in_service", "counted")]


def test_duplicate_press(engine, clock):
    engine.issue("A")
    engine.act(1, "next")
    engine.act(1, "finish")
    clock.advance(3)
    assert engine.rate(1, 5)["duplicate"] is False
    clock.advance(1)
    result = engine.rate(1, 2)
    assert result["duplicate"] is True and result["status"] == "duplicate" and result["ticket"] == "A001"
    assert [(r["ticket"], r["status"], r["score"]) for r in _ratings(engine)] == [
        ("A001", "counted", 5), ("A001", "duplicate", 2)]  # every press is kept


def test_second_press_during_service_is_a_duplicate(engine):
    engine.issue("A")
    engine.act(1, "next")
    engine.rate(1, 5)
    assert engine.rate(1, 4)["status"] == "duplicate"
    assert engine.rows("SELECT count(*) AS n FROM ratings WHERE status = 'counted'")[0]["n"] == 1


def test_no_ticket_at_all(engine, officer1):
    result = engine.rate(1, 5)
    assert result["status"] == "unattributed"
    assert _ratings(engine)[0]["officer_id"] == officer1 and _ratings(engine)[0]["ticket"] is None


def test_no_ticket_and_no_officer(engine, qms):
    qms.write(lambda db, cfg, now: db.execute("UPDATE counters SET officer_id = NULL WHERE number = 1"))
    engine.rate(1, 5)
    assert _ratings(engine)[0]["officer_id"] is None


def test_rating_belongs_to_the_officer_who_served(engine, qms, clock, officer1):
    engine.issue("A")
    engine.act(1, "next")
    engine.act(1, "finish")
    # officer1 leaves, officer4 sits down; the citizen who just left presses now.
    officer4 = engine.user_id("officer4")
    qms.write(lambda db, cfg, now: db.execute("UPDATE counters SET officer_id = ? WHERE number = 1", [officer4]))
    clock.advance(10)
    engine.rate(1, 5)
    assert _ratings(engine)[0]["officer_id"] == officer1


def test_other_counters_tickets_are_not_taken(engine):
    engine.issue("A")
    engine.act(3, "next")
    engine.act(3, "finish")
    assert engine.rate(1)["status"] == "unattributed"  # the press is at counter 1's terminal


def test_late_delivery_is_judged_at_the_time_of_the_press(engine, clock):
    engine.issue("A")
    engine.issue("A")
    engine.act(1, "next")  # A001 at T
    clock.advance(10)
    pressed = clock.t  # pressed at T+10 while A001 is being served; the link is down
    clock.advance(40)
    engine.act(1, "next")  # A001 finished at T+50, A002 called
    clock.advance(250)  # delivered at T+300: the window of A001 has passed
    result = engine.rate(1, 5, age_ms=int((clock.t - pressed) * 1000))
    assert result["ticket"] == "A001" and result["status"] == "counted"
    row = engine.rows("SELECT pressed_at, received_at FROM ratings")[0]
    assert row["pressed_at"] == pytest.approx(pressed) and row["received_at"] == clock.t
    # The same press delivered at once would have gone to A002.
    assert engine.rate(1, 5)["ticket"] == "A002"


def test_late_delivery_within_the_window(engine, clock):
    engine.issue("A")
    engine.issue("A")
    engine.act(1, "next")
    engine.act(1, "finish")  # A001 finished at T
    clock.advance(30)
    pressed = clock.t  # pressed at T+30: rule 1, A001
    clock.advance(60)
    engine.act(1, "next")  # A002 called at T+90
    clock.advance(100)  # delivered at T+190, past A001's window
    assert engine.rate(1, 4, age_ms=int((clock.t - pressed) * 1000))["ticket"] == "A001"


def test_rating_day_is_the_day_of_the_press(engine, clock):
    from tests.server.conftest import local_ts

    clock.t = local_ts(2026, 3, 12, 23, 59, 50)
    pressed = clock.t
    clock.t = local_ts(2026, 3, 13, 0, 0, 30)
    engine.rate(1, 5, age_ms=int((clock.t - pressed) * 1000))
    assert engine.rows("SELECT day FROM ratings")[0]["day"] == "2026-03-12"


def test_a_ticket_counts_only_its_first_rating(engine, clock):
    engine.issue("A")
    engine.act(1, "next")
    engine.rate(1, 2)
    engine.act(1, "finish")
    clock.advance(2)
    engine.rate(1, 5)
    engine.rate(1, 5)
    counted = engine.rows("SELECT score FROM ratings WHERE status = 'counted'")
    assert counted == [{"score": 2}]
    assert len(engine.rows("SELECT id FROM ratings")) == 3


def test_idempotent_replay(engine):
    engine.issue("A")
    engine.act(1, "next")
    rid = "5a2c3f0e-1111-4a4a-8b8b-000000000001"
    first = engine.rate(1, 5, rating_id=rid)
    assert first["duplicate"] is False
    again = engine.rate(1, 5, rating_id=rid)
    assert again["duplicate"] is True and again["status"] == "counted" and again["replay"] is True
    assert len(engine.rows("SELECT id FROM ratings")) == 1
    assert len(engine.rows("SELECT id FROM audit WHERE action = 'rating.record'")) == 1


def test_replay_from_another_terminal_is_a_conflict(engine):
    """A rating id is its terminal's: the same id and score from another terminal would otherwise be
    acknowledged as a duplicate and that press silently lost (found by tests/server/test_fuzz.py)."""
    rid = "5a2c3f0e-1111-4a4a-8b8b-000000000003"
    engine.rate(1, 5, rating_id=rid)
    before = engine.dump()
    with pytest.raises(errors.IdempotencyConflict):
        engine.rate(3, 5, rating_id=rid)
    assert engine.dump() == before
    assert engine.rate(1, 5, rating_id=rid)["replay"] is True


def test_conflicting_replay(engine):
    rid = "5a2c3f0e-1111-4a4a-8b8b-000000000002"
    engine.rate(1, 5, rating_id=rid)
    before = engine.dump()
    with pytest.raises(errors.IdempotencyConflict) as caught:
        engine.rate(1, 4, rating_id=rid)
    assert caught.value.code == "id_conflict"
    assert engine.dump() == before


def test_terminal_without_a_counter_is_refused(engine, qms):
    from server.engine import ratings

    before = engine.dump()
    with pytest.raises(errors.Forbidden):
        qms.write(ratings.record, rating_id="5a2c3f0e-1111-4a4a-8b8b-000000000003",
                  device={"id": "kiosk-1", "counter": None}, score=5, age_ms=0, actor="test")
    assert engine.dump() == before


@pytest.mark.parametrize("score", [0, 6, True, 4.0, "5"])
def test_engine_refuses_a_bad_score(engine, score):
    before = engine.dump()
    with pytest.raises(errors.BadRequest):
        engine.rate(1, score)
    assert engine.dump() == before
