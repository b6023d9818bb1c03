"""A hand-made day of the test center whose every figure is known, for the report tests.

Day D = Tuesday 2026-03-10 (Asia/Ho_Chi_Minh). Tickets (times local):
  T1  A  08:00 issued, 08:10 called (wait 600 s), 08:11 started, 08:21 done (600 s)   counter 1, officer1
  T2  A  08:05 issued, 08:25 called (wait 1200 s), never "started", 08:30 done (300 s) counter 1, officer1
  T3  B  09:00 issued, 09:30 called (wait 1800 s), no-show                          counter 2, officer2
  T4  B→A 09:10 issued, 09:20 called at counter 2 (wait 600 s), transferred to A, called again
          09:40 at counter 3, 09:41 started, 09:51 done (600 s)                       counter 3, officer3
  T5  A  23:40 issued, 23:50 called (wait 600 s), 23:55 started, 00:05 on D+1 done (600 s, across midnight)
                                                                                      counter 1, officer1
  T6  A  10:00 issued, still waiting
  T7  A  10:01 issued, printing failed: cancelled (not issued)
Ratings:
  R1 T1 5 counted · R2 T1 2 duplicate · R3 T2 4 counted · R4 T4 2 counted (officer3)
  R5 T5 5 counted, pressed 00:06 on D+1 (belongs to D, its ticket's day)
  R6 unattributed at counter 2 (officer2), score 1 · R7 unattributed at counter 1 (officer1), score 5
Known answers for D: issued 6, served 4, no-shows 1 (rate 1/5 = 20 %), waits 600/1200/1800/600/600
(mean 960 s, 90th percentile 1800 s), service times 600/300/600/600 (mean 525 s), ratings counted 4
(5: 2, 4: 1, 2: 1), satisfaction 3/4 = 75 %, response 4/4 = 100 %, duplicates 1, unattributed 2.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.server.conftest import Engine

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
D = date(2026, 3, 10)
D1 = date(2026, 3, 11)


def at(day: date, hh: int, mm: int, ss: int = 0) -> float:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=TZ).timestamp()


def ticket(code, service, issued, *, origin=None, state="done", counter=None, officer=None, first=None,
           called=None, started=None, finished=None, transfers=0, day=D):
    return {"id": f"t-{code}", "day": day.isoformat(), "origin_service": origin or service, "service": service,
            "seq": int(code[1:]), "code": code, "priority": 0, "state": state, "issued_at": issued,
            "counter": counter, "officer_id": officer, "called_at": called or first, "first_called_at": first,
            "started_at": started, "finished_at": finished, "transfers": transfers}


def rating(rid, ticket_id, score, status, pressed, *, counter, officer, day=D):
    return {"id": rid, "device_id": f"rate-{counter}", "counter": counter, "ticket_id": ticket_id,
            "officer_id": officer, "score": score, "pressed_at": pressed, "received_at": pressed,
            "day": day.isoformat(), "status": status, "rule": "none" if ticket_id is None else "finished"}


def load_day(db, officers: dict) -> None:
    """Insert the hand-made day (write job)."""
    o1, o2, o3 = officers["officer1"], officers["officer2"], officers["officer3"]
    rows = [
        ticket("A001", "A", at(D, 8, 0), counter=1, officer=o1, first=at(D, 8, 10), started=at(D, 8, 11),
               finished=at(D, 8, 21)),
        ticket("A002", "A", at(D, 8, 5), counter=1, officer=o1, first=at(D, 8, 25), finished=at(D, 8, 30)),
        ticket("B001", "B", at(D, 9, 0), state="no_show", counter=2, officer=o2, first=at(D, 9, 30)),
        ticket("B002", "A", at(D, 9, 10), origin="B", counter=3, officer=o3, first=at(D, 9, 20),
               called=at(D, 9, 40), started=at(D, 9, 41), finished=at(D, 9, 51), transfers=1),
        ticket("A003", "A", at(D, 23, 40), counter=1, officer=o1, first=at(D, 23, 50), started=at(D, 23, 55),
               finished=at(D1, 0, 5)),
        ticket("A004", "A", at(D, 10, 0), state="waiting"),
        ticket("A005", "A", at(D, 10, 1), state="cancelled"),
    ]
    for row in rows:
        db["tickets"].insert(row)
    for r in [
        rating("R1", "t-A001", 5, "counted", at(D, 8, 21, 30), counter=1, officer=o1),
        rating("R2", "t-A001", 2, "duplicate", at(D, 8, 21, 40), counter=1, officer=o1),
        rating("R3", "t-A002", 4, "counted", at(D, 8, 30, 20), counter=1, officer=o1),
        rating("R4", "t-B002", 2, "counted", at(D, 9, 51, 30), counter=3, officer=o3),
        rating("R5", "t-A003", 5, "counted", at(D1, 0, 6), counter=1, officer=o1, day=D1),
        rating("R6", None, 1, "unattributed", at(D, 11, 0), counter=2, officer=o2),
        rating("R7", None, 5, "unattributed", at(D, 12, 0), counter=1, officer=o1),
    ]:
        db["ratings"].insert(r)


@pytest.fixture
def engine(qms, clock):
    return Engine(qms, clock)


@pytest.fixture
def officers(engine) -> dict:
    return {u: engine.user_id(u) for u in ("officer1", "officer2", "officer3", "boss")}


@pytest.fixture
def day(qms, officers, clock):
    """The hand-made day D loaded; the clock at D+2 10:00, so D is a closed day."""
    clock.t = at(date(2026, 3, 12), 10, 0)
    qms.store.write(load_day, officers)
    return D


def new_id() -> str:
    return str(uuid.uuid4())
