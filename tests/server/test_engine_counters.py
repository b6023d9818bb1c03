"""Counter transitions: each legal one does what it says; each illegal one raises its typed error
and leaves every table as it was.

The test center: counter 1 serves A, counter 2 serves B, counter 3 serves A and B; officers
1..3 are signed in at counters 1..3.
"""

from __future__ import annotations

import pytest

from server import errors
from server.engine import counters
from server.engine.counters import NotYourTicket


# -- legal transitions -------------------------------------------------------------------------

def test_next_calls_the_oldest_waiting_ticket(engine, clock):
    a1 = engine.issue("A")
    clock.advance(1)
    engine.issue("A")
    clock.advance(1)
    result = engine.act(1, "next")
    assert result["ticket"] == a1["code"] == "A001"
    row = engine.ticket("A001")
    assert row["state"] == "called" and row["counter"] == 1
    assert row["officer_id"] == engine.user_id("officer1")
    assert row["called_at"] == row["first_called_at"] == clock.t
    assert engine.counter(1)["current_ticket"] == a1["id"]
    call = result["call"]
    assert call["code"] == "A001" and call["counter"] == 1 and call["recall"] is False
    assert call["service"] == "A" and call["service_name"] == "Đất đai" and call["counter_name"] == "Quầy 1"
    calls = engine.rows("SELECT code, counter, recall FROM calls")
    assert calls == [{"code": "A001", "counter": 1, "recall": 0}]
    assert engine.rows("SELECT action, subject FROM audit WHERE action = 'counter.next'") == [
        {"action": "counter.next", "subject": "1"}]


def test_next_only_takes_tickets_of_the_counters_services(engine):
    engine.issue("B")
    with pytest.raises(errors.QueueEmpty):
        engine.act(1, "next")  # counter 1 serves only A
    assert engine.act(3, "next")["ticket"] == "B001"


def test_next_with_a_ticket_in_hand_finishes_it(engine, clock):
    engine.issue("A")
    engine.issue("A")
    engine.act(1, "next")
    clock.advance(30)
    result = engine.act(1, "next")
    assert result["finished"] == "A001" and result["ticket"] == "A002"
    done = engine.ticket("A001")
    assert done["state"] == "done" and done["finished_at"] == clock.t
    assert done["started_at"] == done["called_at"]  # never explicitly served: service began at the call


def test_recall_calls_the_same_ticket_again(engine, clock):
    engine.issue("A")
    engine.act(1, "next")
    clock.advance(20)
    result = engine.act(1, "recall")
    assert result["call"]["recall"] is True and result["call"]["code"] == "A001"
    row = engine.ticket("A001")
    assert row["recalls"] == 1 and row["state"] == "called"
    assert engine.rows("SELECT recall FROM calls ORDER BY id") == [{"recall": 0}, {"recall": 1}]


def test_serve_then_finish(engine, clock):
    engine.issue("A")
    engine.act(1, "next")
    clock.advance(10)
    engine.act(1, "serve")
    row = engine.ticket("A001")
    assert row["state"] == "serving" and row["started_at"] == clock.t
    clock.advance(300)
    engine.act(1, "finish", dossier_code="000.00.12.H29-260312-0001")
    row = engine.ticket("A001")
    assert row["state"] == "done" and row["finished_at"] == clock.t
    assert row["dossier_code"] == "000.00.12.H29-260312-0001"
    assert engine.counter(1)["current_ticket"] is None


def test_finish_straight_from_called(engine):
    engine.issue("A")
    engine.act(1, "next")
    engine.act(1, "finish", ticket="A001")
    assert engine.ticket("A001")["state"] == "done"


def test_no_show_then_requeue_puts_it_back_in_its_place(engine, clock):
    engine.issue("A")
    clock.advance(1)
    engine.issue("A")
    clock.advance(1)
    engine.act(1, "next")  # A001
    engine.act(1, "no-show")
    row = engine.ticket("A001")
    assert row["state"] == "no_show" and row["no_show_at"] == clock.t
    assert engine.counter(1)["current_ticket"] is None
    clock.advance(600)
    engine.act(3, "requeue", ticket="A001")  # the citizen came back
    assert engine.ticket("A001")["state"] == "waiting"
    # It kept its issue time, so it goes before A002, which was issued after it.
    assert engine.act(1, "next")["ticket"] == "A001"
    assert engine.act(1, "next")["ticket"] == "A002"


def test_transfer_keeps_the_number_and_goes_ahead_of_later_tickets(engine, clock):
    engine.issue("B")  # B001, issued before A001
    clock.advance(1)
    engine.issue("A")  # A001
    clock.advance(1)
    engine.issue("B")  # B002, issued after A001
    engine.act(1, "next")
    result = engine.act(1, "transfer", service="B")
    assert result["ticket"] == "A001" and result["service"] == "B"
    row = engine.ticket("A001")
    assert row["state"] == "waiting" and row["service"] == "B" and row["origin_service"] == "A"
    assert row["transfers"] == 1 and row["counter"] is None
    assert engine.counter(1)["current_ticket"] is None
    order = [engine.act(2, "next")["ticket"] for _ in range(3)]
    assert order == ["B001", "A001", "B002"]


def test_pause_and_resume(engine, clock):
    engine.act(1, "pause")
    c = engine.counter(1)
    assert c["state"] == "paused" and c["state_since"] == clock.t
    clock.advance(900)
    engine.act(1, "resume")
    c = engine.counter(1)
    assert c["state"] == "open" and c["state_since"] == clock.t
    engine.issue("A")
    assert engine.act(1, "next")["ticket"] == "A001"


def test_sign_in_and_out(engine, qms, clock):
    officer4 = engine.rows("SELECT * FROM users WHERE username = 'officer4'")[0]
    officer1 = engine.rows("SELECT * FROM users WHERE username = 'officer1'")[0]
    qms.write(lambda db, cfg, now: counters.sign_out(db, cfg, now, number=1, user=officer1, actor="test"))
    assert engine.counter(1)["officer_id"] is None
    qms.write(lambda db, cfg, now: counters.sign_in(db, cfg, now, number=1, user=officer4, actor="test"))
    assert engine.counter(1)["officer_id"] == officer4["id"]
    sessions = engine.rows("SELECT user_id, ended_at FROM counter_sessions WHERE counter = 1 ORDER BY id")
    assert [s["user_id"] for s in sessions] == [officer1["id"], officer4["id"]]
    assert sessions[0]["ended_at"] is not None and sessions[1]["ended_at"] is None
    # Signing in at another counter signs the officer out of the first one.
    qms.write(lambda db, cfg, now: counters.sign_out(db, cfg, now, number=2, user=None, actor="boss", force=True))
    qms.write(lambda db, cfg, now: counters.sign_in(db, cfg, now, number=2, user=officer4, actor="test"))
    assert engine.counter(1)["officer_id"] is None and engine.counter(2)["officer_id"] == officer4["id"]


def test_a_call_is_stamped_with_the_officer_on_duty(engine, qms):
    officer1 = engine.rows("SELECT * FROM users WHERE username = 'officer1'")[0]
    qms.write(lambda db, cfg, now: counters.sign_out(db, cfg, now, number=1, user=officer1, actor="test"))
    engine.issue("A")
    engine.act(1, "next")
    assert engine.ticket("A001")["officer_id"] is None


# -- illegal transitions -----------------------------------------------------------------------
# Each case: a setup bringing the center to some state, then the refused action.

def _one_called(engine):
    engine.issue("A")
    engine.act(1, "next")


def _one_serving(engine):
    _one_called(engine)
    engine.act(1, "serve")


def _waiting_only(engine):
    engine.issue("A")


def _paused(engine):
    engine.issue("A")
    engine.act(1, "pause")


def _no_show(engine):
    _one_called(engine)
    engine.act(1, "no-show")


def _done(engine):
    _one_called(engine)
    engine.act(1, "finish")


def _both_counters_busy(engine):
    """Counter 1 holds A001, counter 3 holds A002."""
    engine.issue("A")
    engine.issue("A")
    engine.act(1, "next")
    engine.act(3, "next")


ILLEGAL = [
    # (id, setup, counter, action, kwargs, error class, code)
    ("next-paused", _paused, 1, "next", {}, errors.CounterPaused, "counter_paused"),
    ("next-empty", lambda e: None, 1, "next", {}, errors.QueueEmpty, "queue_empty"),
    ("next-empty-keeps-ticket-in-hand", _one_called, 1, "next", {}, errors.QueueEmpty, "queue_empty"),
    ("recall-nothing", _waiting_only, 1, "recall", {}, errors.NoTicketInHand, "no_ticket"),
    ("serve-nothing", _waiting_only, 1, "serve", {}, errors.NoTicketInHand, "no_ticket"),
    ("serve-twice", _one_serving, 1, "serve", {}, errors.IllegalTransition, "illegal_transition"),
    ("finish-never-called", _waiting_only, 1, "finish", {"ticket": "A001"}, errors.NoTicketInHand, "no_ticket"),
    ("finish-nothing", lambda e: None, 1, "finish", {}, errors.NoTicketInHand, "no_ticket"),
    ("finish-done", _done, 1, "finish", {"ticket": "A001"}, errors.NoTicketInHand, "no_ticket"),
    ("finish-dossier-too-long", _one_called, 1, "finish", {"dossier_code": "x" * 65},
     errors.BadRequest, "bad_request"),
    ("no-show-nothing", _waiting_only, 1, "no-show", {}, errors.NoTicketInHand, "no_ticket"),
    ("no-show-serving", _one_serving, 1, "no-show", {}, errors.IllegalTransition, "illegal_transition"),
    ("requeue-no-ticket", _no_show, 1, "requeue", {}, errors.BadRequest, "bad_request"),
    ("requeue-waiting", _waiting_only, 1, "requeue", {"ticket": "A001"}, errors.IllegalTransition,
     "illegal_transition"),
    ("requeue-done", _done, 1, "requeue", {"ticket": "A001"}, errors.IllegalTransition, "illegal_transition"),
    ("requeue-unknown", _no_show, 1, "requeue", {"ticket": "Z999"}, errors.NotFound, "not_found"),
    ("transfer-nothing", _waiting_only, 1, "transfer", {"service": "B"}, errors.NoTicketInHand, "no_ticket"),
    ("transfer-no-service", _one_called, 1, "transfer", {}, errors.BadRequest, "bad_request"),
    ("transfer-same-service", _one_called, 1, "transfer", {"service": "A"}, errors.IllegalTransition,
     "illegal_transition"),
    ("transfer-unknown-service", _one_called, 1, "transfer", {"service": "ZZ"}, errors.UnknownService,
     "unknown_service"),
    ("pause-twice", _paused, 1, "pause", {}, errors.IllegalTransition, "illegal_transition"),
    ("pause-ticket-in-hand", _one_called, 1, "pause", {}, errors.TicketInHand, "ticket_in_hand"),
    ("resume-open", lambda e: None, 1, "resume", {}, errors.IllegalTransition, "illegal_transition"),
    ("unknown-action", _waiting_only, 1, "dance", {}, errors.BadRequest, "bad_request"),
    ("unknown-counter", _waiting_only, 9, "next", {}, errors.UnknownCounter, "unknown_counter"),
    # Acting on another counter's ticket: counter 1 names A002, which counter 3 holds.
    ("other-counter-finish", _both_counters_busy, 1, "finish", {"ticket": "A002"}, NotYourTicket,
     "not_your_ticket"),
    ("other-counter-recall", _both_counters_busy, 1, "recall", {"ticket": "A002"}, NotYourTicket,
     "not_your_ticket"),
    ("other-counter-serve", _both_counters_busy, 1, "serve", {"ticket": "A002"}, NotYourTicket,
     "not_your_ticket"),
    ("other-counter-no-show", _both_counters_busy, 1, "no-show", {"ticket": "A002"}, NotYourTicket,
     "not_your_ticket"),
    ("other-counter-transfer", _both_counters_busy, 1, "transfer", {"ticket": "A002", "service": "B"},
     NotYourTicket, "not_your_ticket"),
    ("idle-counter-finishes-others", _one_called, 3, "finish", {"ticket": "A001"}, errors.NoTicketInHand,
     "no_ticket"),
]


@pytest.mark.parametrize("setup,counter,action,kwargs,error,code",
                         [c[1:] for c in ILLEGAL], ids=[c[0] for c in ILLEGAL])
def test_illegal_transition_is_refused_and_changes_nothing(engine, clock, setup, counter, action, kwargs,
                                                           error, code):
    setup(engine)
    clock.advance(5)
    before = engine.dump()
    with pytest.raises(error) as caught:
        engine.act(counter, action, **kwargs)
    assert type(caught.value) is error
    assert caught.value.code == code
    assert caught.value.message  # a message for the officer, never empty
    assert engine.dump() == before


def test_requeue_of_yesterdays_no_show_is_refused(engine, clock):
    _no_show(engine)
    clock.advance(86400)
    before = engine.dump()
    with pytest.raises(errors.IllegalTransition):
        engine.act(1, "requeue", ticket=engine.ticket("A001")["id"])
    assert engine.dump() == before


def test_a_busy_counter_refuses_another_officer(engine, qms):
    officer4 = engine.rows("SELECT * FROM users WHERE username = 'officer4'")[0]
    before = engine.dump()
    with pytest.raises(errors.CounterBusy) as caught:
        qms.write(lambda db, cfg, now: counters.sign_in(db, cfg, now, number=1, user=officer4, actor="test"))
    assert caught.value.code == "counter_busy" and caught.value.params["holder"] == "officer1"
    assert engine.dump() == before


def test_an_officer_cannot_sign_another_out(engine, qms):
    officer4 = engine.rows("SELECT * FROM users WHERE username = 'officer4'")[0]
    before = engine.dump()
    with pytest.raises(errors.Forbidden):
        qms.write(lambda db, cfg, now: counters.sign_out(db, cfg, now, number=1, user=officer4, actor="test"))
    assert engine.dump() == before
