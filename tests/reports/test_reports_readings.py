"""Three readings of the definitions that once went wrong, on a small day made through the engine.

Day D = Tuesday 2026-03-10, the test center (counter 1: A, officer1; counter 2: B, officer2):
  09:00 B001 issued (B), 09:01 B002 issued (B)
  09:05 counter 2 calls B001, 09:06 starts serving it, 09:08 the citizen presses 5 at counter 2
        (counted, officer2: he is serving her), 09:10 officer2 transfers B001 to A (stint 240 s)
  09:15 counter 2 calls B002, 09:19 finishes it (240 s), 09:19:10 pressed 4 (counted, officer2)
  09:30 counter 1 calls B001 (from the A queue), 09:34 finishes it (240 s: its own stint, not
        the 28 minutes since 09:06, which include the wait in the second queue)
  23:50 A001 issued, 23:52 counter 1 calls it, 00:05 on Wednesday D+1 finishes it (13 min), and
        00:05:30 on Wednesday the citizen presses 4 (counted; day D, its ticket's day)
Known answers: officer2 served 1 (B002) and handed 1 on (B001), 2 ratings counted: response
100 %, never 200 %. Service A's mean service time (780 + 240) / 2 = 510 s, not (1680 + 780) / 2.
The press at 00:05:30 sits in the heat map on Wednesday at 0 h, not on Tuesday.
"""

from __future__ import annotations

from datetime import date

import pytest

from server.reports import queries
from server.reports.period import Filters, Period
from tests.reports.conftest import D, at

WEDNESDAY, TUESDAY = 2, 1


@pytest.fixture
def readings_day(qms, engine, clock):
    def to(hh, mm, ss=0, day=D):
        clock.t = at(day, hh, mm, ss)

    to(9, 0); engine.issue("B")
    to(9, 1); engine.issue("B")
    to(9, 5); assert engine.act(2, "next")["ticket"] == "B001"
    to(9, 6); engine.act(2, "serve")
    to(9, 8); assert engine.rate(2, 5)["status"] == "counted"
    to(9, 10); engine.act(2, "transfer", service="A")
    to(9, 15); assert engine.act(2, "next")["ticket"] == "B002"
    to(9, 19); engine.act(2, "finish")
    to(9, 19, 10); assert engine.rate(2, 4)["status"] == "counted"
    to(9, 30); assert engine.act(1, "next")["ticket"] == "B001"
    to(9, 34); engine.act(1, "finish")
    to(23, 50); engine.issue("A")
    to(23, 52); assert engine.act(1, "next")["ticket"] == "A001"
    to(0, 5, day=date(2026, 3, 11)); engine.act(1, "finish")
    to(0, 5, 30, day=date(2026, 3, 11)); assert engine.rate(1, 4)["status"] == "counted"
    to(10, 0, day=date(2026, 3, 12))  # D is closed: its roll-up is stored
    return D


def report(qms, day=D, filters=Filters()):
    return queries.report(qms.store, qms.cfg(), qms.now(), Period("range", day, day, day), filters)


def _rows(r):
    yield r["summary"]
    for key in ("services", "officers", "counters"):
        yield from r[key]


def test_a_transferred_tickets_rating_and_served_count_go_to_the_officer_serving_at_the_press(qms, readings_day):
    r = report(qms)
    officer2 = next(o for o in r["officers"] if o["username"] == "officer2")
    assert officer2["ratings_counted"] == 2
    assert officer2["served"] == 1 and officer2["handed"] == 1
    assert officer2["response_rate"] == 100.0          # 2 ratings / 2 citizens served, not 2 / 1
    counter2 = next(c for c in r["counters"] if c["number"] == 2)
    assert counter2["response_rate"] == 100.0
    officer1 = next(o for o in r["officers"] if o["username"] == "officer1")
    assert (officer1["served"], officer1["handed"], officer1["ratings_counted"]) == (2, 0, 1)
    s = r["summary"]
    assert (s["served"], s["handed"], s["ratings_counted"], s["response_rate"]) == (3, 1, 3, 75.0)


def test_no_rate_exceeds_100_percent(qms, readings_day):
    for r in (report(qms), report(qms, filters=Filters(counter=2)), report(qms, filters=Filters(service="B"))):
        for row in _rows(r):
            for key in ("response_rate", "satisfaction_rate", "no_show_rate"):
                assert row[key] is None or 0 <= row[key] <= 100, (row, key)


def test_service_time_is_measured_per_stint_at_a_counter(qms, engine, readings_day):
    b001 = engine.ticket("B001")
    assert b001["finished_at"] - b001["started_at"] == 240    # from its call at counter 1
    r = report(qms)
    a = next(s for s in r["services"] if s["code"] == "A")
    assert a["avg_service_s"] == 510.0                       # (240 + 780) / 2, not (1680 + 780) / 2
    b = next(s for s in r["services"] if s["code"] == "B")
    assert b["avg_service_s"] == 240.0                       # B002, and B001's stint at counter 2
    officer2 = next(o for o in r["officers"] if o["username"] == "officer2")
    assert officer2["avg_service_s"] == 240.0


def test_the_heat_map_places_a_press_at_its_own_weekday_and_hour(qms, readings_day):
    heat = report(qms)["heat"]
    hours = heat["hours"]
    assert dict(zip(hours, heat["rated"][WEDNESDAY]))[0] == 1   # pressed Wednesday 00:05
    assert dict(zip(hours, heat["rated"][TUESDAY])).get(0, 0) == 0
    assert dict(zip(hours, heat["arrivals"][TUESDAY]))[23] == 1  # issued Tuesday 23:50
    assert sum(map(sum, heat["rated"])) == 3


def test_stored_and_live_roll_ups_agree_on_the_readings(qms, clock, readings_day):
    closed = report(qms)
    clock.t = at(D, 23, 59, 59)  # D is today again: rolled up live
    live = report(qms)
    for key in ("summary", "services", "officers", "counters", "heat"):
        assert closed[key] == live[key], key
