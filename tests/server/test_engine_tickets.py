"""Issuing tickets: numbering, the daily reset at local midnight, limits, opening hours, priority
policies, the wait estimate and idempotent replays."""

from __future__ import annotations

import uuid

import pytest

from server import errors
from server.engine import tickets
from server.errors import IdempotencyConflict
from tests.server.conftest import local_ts

# 2026-03-12 is a Thursday.
THU = (2026, 3, 12)


def test_prefix_and_padding(engine):
    codes = [engine.issue("A")["code"] for _ in range(3)]
    assert codes == ["A001", "A002", "A003"]
    assert engine.issue("B")["code"] == "B001"  # each service has its own sequence


def test_padding_grows_past_its_digits(engine):
    engine.service("W", prefix="W", digits=2, first_number=98)
    assert [engine.issue("W")["code"] for _ in range(3)] == ["W98", "W99", "W100"]


def test_no_prefix_first_number_1001(engine):
    engine.service("N", prefix="", first_number=1001)
    codes = [engine.issue("N")["code"] for _ in range(3)]
    assert codes == ["1001", "1002", "1003"]
    assert [r["seq"] for r in engine.rows("SELECT seq FROM tickets WHERE service = 'N' ORDER BY seq")] == [
        1001, 1002, 1003]


def test_daily_sequence_resets_at_local_midnight(engine, clock):
    # 23:59 and 00:01 in Hà Nội are 16:59 and 17:01 UTC of the SAME UTC day: a reset by UTC date
    # would not happen here.
    clock.t = local_ts(*THU, 23, 59)
    assert engine.issue("A")["code"] == "A001"
    assert engine.issue("A")["code"] == "A002"
    clock.t = local_ts(2026, 3, 13, 0, 1)
    fresh = engine.issue("A")
    assert fresh["code"] == "A001"
    assert fresh["issued_at"] == "2026-03-13T00:01:00+07:00"
    days = engine.rows("SELECT day, code FROM tickets ORDER BY issued_at")
    assert days == [{"day": "2026-03-12", "code": "A001"}, {"day": "2026-03-12", "code": "A002"},
                    {"day": "2026-03-13", "code": "A001"}]


def test_no_reset_at_utc_midnight(engine, clock):
    # 06:59 and 07:01 in Hà Nội straddle midnight UTC: same local day, the sequence goes on.
    clock.t = local_ts(*THU, 6, 59)
    assert engine.issue("A")["code"] == "A001"
    clock.t = local_ts(*THU, 7, 1)
    assert engine.issue("A")["code"] == "A002"


def test_yesterdays_waiting_tickets_are_not_called_today(engine, clock):
    clock.t = local_ts(*THU, 23, 59)
    engine.issue("A")
    clock.t = local_ts(2026, 3, 13, 0, 1)
    with pytest.raises(errors.QueueEmpty):
        engine.act(1, "next")
    today = engine.issue("A")
    assert engine.act(1, "next")["call"]["ticket_id"] == today["id"]


def test_daily_limit(engine, clock):
    clock.t = local_ts(*THU, 9, 0)
    engine.service("L", prefix="L", daily_limit=2)
    engine.issue("L")
    engine.issue("L")
    before = engine.dump()
    with pytest.raises(errors.DailyLimit) as caught:
        engine.issue("L")
    assert caught.value.code == "daily_limit" and "2" in caught.value.message
    assert engine.dump() == before
    clock.t = local_ts(2026, 3, 13, 7, 0)
    assert engine.issue("L")["code"] == "L001"


HOURS = [{"days": [1, 2, 3, 4, 5], "from": "07:00", "to": "11:30"},
         {"days": [1, 2, 3, 4, 5], "from": "13:00", "to": "17:00"}]


@pytest.mark.parametrize("when,is_open", [
    ((*THU, 6, 59), False),
    ((*THU, 7, 0), True),
    ((*THU, 11, 29), True),
    ((*THU, 11, 30), False),  # "to" is exclusive
    ((*THU, 12, 15), False),  # lunch
    ((*THU, 13, 0), True),
    ((*THU, 17, 0), False),
    ((2026, 3, 14, 9, 0), False),  # Saturday
    ((2026, 3, 15, 9, 0), False),  # Sunday
])
def test_opening_hours_in_local_time(engine, clock, when, is_open):
    engine.service("H", prefix="H", hours=HOURS)
    clock.t = local_ts(*when)
    if is_open:
        assert engine.issue("H")["code"] == "H001"
    else:
        before = engine.dump()
        with pytest.raises(errors.ServiceClosed) as caught:
            engine.issue("H")
        assert caught.value.code == "service_closed"
        assert engine.dump() == before


def test_unknown_and_inactive_services(engine, qms):
    with pytest.raises(errors.UnknownService):
        engine.issue("ZZ")
    qms.write(lambda db, cfg, now: db.execute("UPDATE services SET active = 0 WHERE code = 'B'"))
    before = engine.dump()
    with pytest.raises(errors.UnknownService) as caught:
        engine.issue("B")
    assert caught.value.code == "unknown_service"
    assert engine.dump() == before


def test_ticket_info(engine, clock):
    clock.t = local_ts(*THU, 8, 15)
    engine.setting("center_name", "Trung tâm thử")
    engine.setting("track_url", "http://qms.local/t/")
    t = engine.issue("A", priority=True)
    assert t["code"] == "A001" and t["service"] == "A" and t["service_name"] == "Đất đai"
    assert t["issued_at"] == "2026-03-12T08:15:00+07:00"
    assert t["priority"] is True and t["counters"] == [1, 3]
    assert t["center_name"] == "Trung tâm thử"
    assert t["track_url"] == f"http://qms.local/t/{t['id']}"
    assert t["waiting_ahead"] == 0 and t["eta_minutes"] == 0


def test_waiting_ahead_and_estimate(engine, clock):
    # Service A is served by counters 1 and 3, both staffed: two at a time, 6 minutes each.
    for _ in range(4):
        engine.issue("A")
    t = engine.issue("A")
    assert t["waiting_ahead"] == 4 and t["eta_minutes"] == 12
    # A priority ticket counts only the priority tickets ahead of it.
    assert engine.issue("A", priority=True)["waiting_ahead"] == 0
    # Recent service times replace the default: three 2-minute services.
    for _ in range(3):
        engine.act(1, "next")
        clock.advance(120)
        engine.act(1, "finish")
    later = engine.issue("A")
    assert later["waiting_ahead"] == 3  # A004, A005 and the priority one are still waiting
    assert later["eta_minutes"] == 3  # ceil(3 × 2 min ÷ 2 counters)
    # A paused counter does not count.
    engine.act(3, "pause")
    assert engine.issue("A")["eta_minutes"] == 8  # ceil(4 × 2 ÷ 1)


# -- priority policies -------------------------------------------------------------------------

def _issue(engine, clock, kinds: str) -> None:
    """Issue tickets of service A in order: 'n' normal, 'p' priority."""
    for kind in kinds:
        engine.issue("A", priority=kind == "p")
        clock.advance(1)


def _drain(engine, counter=1) -> list[str]:
    order = []
    while True:
        try:
            result = engine.act(counter, "next")
        except errors.QueueEmpty:
            return order
        order.append(("P" if result["call"]["priority"] else "") + result["ticket"])


def test_strict_priority_always_first(engine, clock):
    _issue(engine, clock, "nnpnp")
    assert _drain(engine) == ["PA003", "PA005", "A001", "A002", "A004"]


def test_interleave_one_priority_after_every_n_normal(engine, clock):
    engine.setting("priority_policy", "interleave:2")
    _issue(engine, clock, "nnnnnppp")
    # No priority call yet today: the first priority goes at once, then one after every 2 normal.
    assert _drain(engine) == ["PA006", "A001", "A002", "PA007", "A003", "A004", "PA008", "A005"]


def test_interleave_counts_the_calls_of_this_counter_and_not_recalls(engine, clock):
    engine.setting("priority_policy", "interleave:2")
    _issue(engine, clock, "pnnnnn")  # A001 priority, A002..A006 normal
    assert engine.act(1, "next")["ticket"] == "A001"
    assert engine.act(1, "next")["ticket"] == "A002"
    engine.act(1, "recall")
    engine.act(1, "recall")
    assert engine.act(3, "next")["ticket"] == "A003"  # another counter's call
    _issue(engine, clock, "p")  # A007
    # Counter 1 made one normal call since its last priority one; recalls and counter 3's call
    # do not count, so a normal ticket comes first, then the priority one.
    assert engine.act(1, "next")["ticket"] == "A004"
    assert engine.act(1, "next")["ticket"] == "A007"


def test_interleave_with_no_normal_waiting_calls_priority(engine, clock):
    engine.setting("priority_policy", "interleave:3")
    _issue(engine, clock, "np")
    assert _drain(engine) == ["PA002", "A001"]
    _issue(engine, clock, "pp")
    assert _drain(engine) == ["PA003", "PA004"]


def test_bad_policy_is_refused(engine, qms):
    from server.engine.config import parse_policy

    for bad in ("fair", "interleave:0", "interleave:x", "interleave:"):
        with pytest.raises(errors.BadRequest):
            parse_policy(bad)
    assert parse_policy("interleave:3") == ("interleave", 3)


# -- idempotent replays ------------------------------------------------------------------------

def test_replay_returns_the_same_ticket(engine, clock):
    first = engine.issue("A", ticket_id="0b7e6a1e-3c1d-4d0a-9a57-2f1f4b7d0001")
    engine.issue("A")
    clock.advance(30)
    again = engine.issue("A", ticket_id="0b7e6a1e-3c1d-4d0a-9a57-2f1f4b7d0001")
    assert again == first
    assert len(engine.rows("SELECT id FROM tickets")) == 2
    assert len(engine.rows("SELECT id FROM audit WHERE action = 'ticket.issue'")) == 2


def test_replay_after_closing_time_and_midnight_still_returns_it(engine, clock):
    engine.service("H", prefix="H", hours=HOURS)
    clock.t = local_ts(*THU, 16, 59)
    first = engine.issue("H", ticket_id="0b7e6a1e-3c1d-4d0a-9a57-2f1f4b7d0002")
    clock.t = local_ts(2026, 3, 13, 0, 30)
    assert engine.issue("H", ticket_id="0b7e6a1e-3c1d-4d0a-9a57-2f1f4b7d0002") == first


@pytest.mark.parametrize("service,priority", [("B", False), ("A", True)])
def test_conflicting_replay_is_refused(engine, service, priority):
    engine.issue("A", ticket_id="0b7e6a1e-3c1d-4d0a-9a57-2f1f4b7d0003")
    before = engine.dump()
    with pytest.raises(errors.IdempotencyConflict) as caught:
        engine.issue(service, priority=priority, ticket_id="0b7e6a1e-3c1d-4d0a-9a57-2f1f4b7d0003")
    assert caught.value.code == "id_conflict"
    assert engine.dump() == before


def test_the_waiting_counts_follow_every_change_of_a_ticket(engine, clock):
    """The `waiting` table (kept by triggers, read when issuing and for snapshots) always equals
    a count of the waiting tickets, through calls, no-shows, requeues, transfers and cancels."""
    def counted():
        return {(r["day"], r["service"], r["priority"]): r["n"] for r in engine.rows(
            "SELECT day, service, priority, count(*) AS n FROM tickets WHERE state = 'waiting' "
            "GROUP BY day, service, priority")}

    def kept():
        return {(r["day"], r["service"], r["priority"]): r["n"]
                for r in engine.rows("SELECT * FROM waiting WHERE n != 0")}

    for i in range(6):
        engine.issue("A", priority=i % 3 == 0)
        engine.issue("B")
    assert kept() == counted() and sum(counted().values()) == 12
    engine.act(1, "next")
    engine.act(1, "no-show")
    assert kept() == counted()
    engine.act(1, "requeue", ticket=engine.rows("SELECT code FROM tickets WHERE state = 'no_show'")[0]["code"])
    assert kept() == counted()
    held = engine.act(3, "next")["call"]
    engine.act(3, "transfer", service="B" if held["service"] == "A" else "A")
    assert kept() == counted()
    engine.qms.write(lambda db, cfg, now: db.execute("UPDATE tickets SET state = 'cancelled' WHERE code = 'B006'"))
    assert kept() == counted() and engine.rows("SELECT min(n) AS m FROM waiting")[0]["m"] >= 0



def test_a_ticket_id_resent_by_another_kiosk_is_an_id_conflict(engine, qms):
    """An idempotency key is bound to the request: the same id from another kiosk does not get
    the first kiosk's ticket back (it would print a number someone else holds)."""
    tid = str(uuid.uuid4())
    first = qms.write(tickets.issue, ticket_id=tid, service="A", device_id="kiosk-1", actor="t")
    again = qms.write(tickets.issue, ticket_id=tid, service="A", device_id="kiosk-1", actor="t")
    assert again["code"] == first["code"]
    before = engine.dump()
    with pytest.raises(IdempotencyConflict):
        qms.write(tickets.issue, ticket_id=tid, service="A", device_id="kiosk-2", actor="t")
    assert engine.dump() == before
