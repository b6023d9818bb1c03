"""Every KPI on the hand-made day of conftest.py, whose answers are known; the edge cases (no
ratings, a ticket served across midnight, a transferred ticket, duplicates and unattributed
presses kept out of the rate); stored roll-ups agree with live ones and never go stale."""

from __future__ import annotations

from array import array
from datetime import date

import pytest

from server.reports import kpi, queries, rollup
from server.reports.period import Filters, Period, of
from tests.reports.conftest import D, D1, at, load_day, rating


def report(qms, start: date, end: date | None = None, filters: Filters = Filters(), **kw) -> dict:
    period = Period("range", start, end or start, start)
    return queries.report(qms.store, qms.cfg(), qms.now(), period, filters, **kw)


def test_summary_of_the_hand_made_day(qms, day):
    s = report(qms, D)["summary"]
    assert (s["issued"], s["served"], s["no_show"], s["cancelled"], s["unserved"]) == (6, 4, 1, 1, 1)
    assert s["no_show_rate"] == 20.0                      # 1 / (4 served + 1 no-show)
    assert s["waits_counted"] == 5
    assert s["avg_wait_s"] == 960.0                       # (600 + 1200 + 1800 + 600 + 600) / 5
    assert s["p90_wait_s"] == 1800.0                      # nearest rank: the 5th of 5
    assert s["avg_service_s"] == 525.0                    # (600 + 300 + 600 + 600) / 4
    assert s["ratings"] == {"5": 2, "4": 1, "3": 0, "2": 1, "1": 0}
    assert s["ratings_counted"] == 4 and s["satisfied"] == 3
    assert s["satisfaction_rate"] == 75.0                 # (2 + 1) / 4
    assert s["response_rate"] == 100.0                    # 4 counted / 4 served
    assert s["duplicates"] == 1 and s["unattributed"] == 2
    assert s["mean_score"] == 4.0
    assert s["transferred"] == 1


def test_duplicates_and_unattributed_presses_stay_out_of_the_rates(qms, day):
    s = report(qms, D)["summary"]
    # Counting the duplicate (a 2) and the unattributed (1 and 5) would give 4/7 = 57.14 %.
    assert s["satisfaction_rate"] == 75.0 and s["ratings_counted"] == 4
    assert s["response_rate"] == 100.0  # not 7 / 4


def test_a_ticket_served_across_midnight(qms, day):
    # A003 was issued on D at 23:40 and finished on D+1 at 00:05; its rating was pressed on D+1.
    on_d, on_d1 = report(qms, D), report(qms, D1)
    officer1 = next(o for o in on_d["officers"] if o["username"] == "officer1")
    assert officer1["served"] == 3
    assert officer1["avg_service_s"] == 500.0              # (600 + 300 + 600): 10 minutes, not -23 h 50
    assert officer1["ratings"]["5"] == 2                   # R1 and R5: R5 belongs to its ticket's day
    s1 = on_d1["summary"]
    assert (s1["issued"], s1["served"], s1["ratings_counted"]) == (0, 0, 0)
    both = report(qms, D, D1)["summary"]
    assert both["served"] == 4 and both["ratings_counted"] == 4  # counted once over the two days


def test_a_transferred_ticket_counts_once_under_its_final_service(qms, day):
    r = report(qms, D)
    services = {s["code"]: s for s in r["services"]}
    assert services["A"]["issued"] == 5 and services["A"]["served"] == 4 and services["A"]["transferred"] == 1
    assert services["B"]["issued"] == 1 and services["B"]["served"] == 0 and services["B"]["no_show"] == 1
    assert sum(s["issued"] for s in r["services"]) == r["summary"]["issued"]
    counters = {c["number"]: c for c in r["counters"]}
    assert counters[3]["served"] == 1 and counters[3]["avg_service_s"] == 600.0  # served where it was finished
    assert counters[2]["served"] == 0 and counters[2]["no_show"] == 1
    officer3 = next(o for o in r["officers"] if o["username"] == "officer3")
    assert officer3["served"] == 1 and officer3["ratings"]["2"] == 1 and officer3["satisfaction_rate"] == 0.0
    # Its wait runs from its issue to its first call (at counter 2), 600 s, not to the call at counter 3.
    assert services["A"]["avg_wait_s"] == (600 + 1200 + 600 + 600) / 4


def test_no_ratings_gives_no_rate_rather_than_zero(qms, day):
    b = next(s for s in report(qms, D)["services"] if s["code"] == "B")
    assert b["ratings_counted"] == 0
    assert b["satisfaction_rate"] is None and b["response_rate"] is None and b["mean_score"] is None
    empty = report(qms, date(2026, 3, 1))["summary"]
    assert empty["issued"] == 0 and empty["avg_wait_s"] is None and empty["p90_wait_s"] is None
    assert empty["satisfaction_rate"] is None and empty["no_show_rate"] is None


def test_per_officer_and_per_counter(qms, day):
    r = report(qms, D)
    officers = {o["username"]: o for o in r["officers"]}
    o1, o2 = officers["officer1"], officers["officer2"]
    assert (o1["served"], o1["ratings_counted"], o1["satisfaction_rate"], o1["response_rate"]) == (3, 3, 100.0, 100.0)
    assert (o1["duplicates"], o1["unattributed"]) == (1, 1)
    assert (o2["served"], o2["no_show"], o2["unattributed"], o2["ratings_counted"]) == (0, 1, 1, 0)
    counters = {c["number"]: c for c in r["counters"]}
    assert counters[1]["served"] == 3 and counters[1]["satisfaction_rate"] == 100.0
    assert counters[1]["duplicates"] == 1 and counters[1]["unattributed"] == 1


def test_filters(qms, day, officers):
    by_counter = report(qms, D, filters=Filters(counter=1))["summary"]
    assert (by_counter["served"], by_counter["ratings_counted"], by_counter["unattributed"]) == (3, 3, 1)
    by_officer = report(qms, D, filters=Filters(officer=officers["officer3"]))["summary"]
    assert (by_officer["served"], by_officer["satisfaction_rate"]) == (1, 0.0)
    by_service = report(qms, D, filters=Filters(service="B"))["summary"]
    assert (by_service["issued"], by_service["no_show"], by_service["ratings_counted"]) == (1, 1, 0)
    assert by_service["unattributed"] == 0  # presses without a ticket have no service


def test_heat_map_and_series(qms, day):
    r = queries.report(qms.store, qms.cfg(), qms.now(), of("week", D))
    heat = r["heat"]
    tuesday = 1
    hours = heat["hours"]
    arrivals = dict(zip(hours, heat["arrivals"][tuesday]))
    assert arrivals[8] == 2 and arrivals[9] == 2 and arrivals[10] == 1 and arrivals[23] == 1  # T7 cancelled
    assert sum(map(sum, heat["arrivals"])) == 6 and heat["days"][tuesday] == 1
    satisfaction = dict(zip(hours, heat["satisfaction"][tuesday]))
    rated = dict(zip(hours, heat["rated"][tuesday]))
    assert (rated[8], satisfaction[8]) == (2, 100.0) and (rated[9], satisfaction[9]) == (1, 0.0)
    assert rated.get(0, 0) == 0  # R5, pressed at 00:06 on Wednesday, sits on Wednesday
    assert dict(zip(hours, heat["rated"][tuesday + 1]))[0] == 1
    series = {row["key"]: row for row in r["series"]["rows"]}
    assert r["series"]["unit"] == "day" and len(series) == 7
    assert series[D.isoformat()]["issued"] == 6 and series[D.isoformat()]["satisfaction_rate"] == 75.0
    assert series[D1.isoformat()]["issued"] == 0 and series[D1.isoformat()]["satisfaction_rate"] is None


@pytest.mark.parametrize("filters", [Filters(), Filters(counter=1), Filters(service="B"), Filters(service="A", counter=3)],
                         ids=["all", "counter", "service", "service+counter"])
def test_stored_roll_ups_equal_live_ones(qms, day, clock, filters):
    closed = report(qms, D, filters=filters)  # D is closed: rolled up and stored
    assert D.isoformat() in [r[0] for r in qms.store.read().execute("SELECT day FROM report_days")]
    clock.t = at(D, 23, 59)  # now D is today again: read live, never stored
    live = report(qms, D, filters=filters)
    for key in ("summary", "services", "officers", "counters", "heat"):
        assert closed[key] == live[key], key


def test_a_late_change_drops_the_stored_day(qms, day, officers):
    before = report(qms, D)["summary"]
    assert qms.store.read().execute("SELECT count(*) FROM report_days WHERE day = ?", [D.isoformat()]).fetchone()[0] == 1

    def late(db):  # a rating from a kiosk's outbox, a day late, for the waiting ticket A004, and it is served
        db.execute("UPDATE tickets SET state = 'done', counter = 1, officer_id = ?, first_called_at = ?, called_at = ?,"
                   " started_at = ?, finished_at = ? WHERE id = 't-A004'",
                   [officers["officer1"], at(D, 10, 30), at(D, 10, 30), at(D, 10, 31), at(D, 10, 36)])
        db["ratings"].insert(rating("R8", "t-A004", 3, "counted", at(D, 10, 37), counter=1, officer=officers["officer1"]))

    qms.store.write(late)
    assert qms.store.read().execute("SELECT count(*) FROM report_days WHERE day = ?", [D.isoformat()]).fetchone()[0] == 0
    after = report(qms, D)["summary"]
    assert after["served"] == before["served"] + 1 and after["ratings"]["3"] == 1
    assert after["satisfaction_rate"] == 60.0  # 3 of 5
    assert after["avg_wait_s"] == (4800 + 1800) / 6


def test_a_rating_pressed_after_midnight_drops_its_tickets_day(qms, day, officers):
    report(qms, D)

    def late(db):
        db["ratings"].insert(rating("R9", "t-A003", 2, "duplicate", at(D1, 0, 7), counter=1,
                                    officer=officers["officer1"], day=D1))

    qms.store.write(late)
    assert report(qms, D)["summary"]["duplicates"] == 2  # the press is on D+1, its ticket on D


def test_the_report_follows_the_engine(qms, engine, clock):
    """Through the engine: start serving skipped, a rating in the window, a repeated press."""
    clock.t = at(D, 8, 0)
    engine.issue("A")
    clock.advance(300)
    engine.act(1, "next")           # A001 waited 300 s
    clock.advance(240)
    engine.act(1, "finish")         # service 240 s (from the call: "start" was skipped)
    clock.advance(10)
    assert engine.rate(1, 5)["status"] == "counted"
    assert engine.rate(1, 1)["status"] == "duplicate"
    clock.advance(400)
    assert engine.rate(1, 2)["status"] == "unattributed"
    s = report(qms, D)["summary"]
    assert (s["issued"], s["served"], s["avg_wait_s"], s["p90_wait_s"], s["avg_service_s"]) == (1, 1, 300.0, 300.0, 240.0)
    assert (s["ratings_counted"], s["satisfaction_rate"], s["duplicates"], s["unattributed"]) == (1, 100.0, 1, 1)


@pytest.mark.parametrize("values, q, expected", [
    ([[5]], 0.9, 5.0),
    ([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], 0.9, 9.0),      # ceil(9.0) = 9th value
    ([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]], 0.9, 10.0),  # ceil(9.9) = 10th value
    ([[10, 40], [20, 30], [50]], 0.5, 30.0),           # runs merged: 10 20 30 40 50
    ([[0, 0, 0], [7]], 0.9, 7.0),
    ([[3, 3, 3]], 0.9, 3.0),
    ([[], []], 0.9, None),
])
def test_percentile_nearest_rank_over_sorted_runs(values, q, expected):
    assert kpi.percentile([array("i", v) for v in values], q) == expected


def test_percentile_agrees_with_sorting_everything():
    import random

    rng = random.Random(3)
    runs = [sorted(rng.randint(0, 5000) for _ in range(rng.randint(0, 40))) for _ in range(200)]
    flat = sorted(v for r in runs for v in r)
    for q in (0.5, 0.9, 0.99):
        k = -(-len(flat) * q // 1)  # ceil
        assert kpi.percentile([array("i", r) for r in runs], q) == flat[int(k) - 1]


def test_waits_round_trip_through_storage():
    assert list(rollup.waits_array("30,10,20")) == [10, 20, 30]
    stored = rollup.waits_array("30,10,20").tobytes()
    assert list(rollup.waits_array(stored)) == [10, 20, 30]
    assert list(rollup.waits_array(None)) == []


def test_load_day_is_what_the_docstring_says(qms, officers):
    qms.store.write(load_day, officers)
    rows = qms.store.read().execute("SELECT count(*), sum(state = 'done') FROM tickets WHERE day = ?",
                                    [D.isoformat()]).fetchone()
    assert tuple(rows) == (7, 4)
