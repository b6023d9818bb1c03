"""The counter actions over HTTP, as the console and a keypad use them: with an officer's API
token or with his session (and then the CSRF header), a request id that makes a retry harmless,
the wrong counter and a paused counter refused, and the officer's own figures for today, where
ratings show only after their window has closed, as totals."""

from __future__ import annotations

import json
import uuid

import pytest

from server.engine import admin
from tests.console.helpers import csrf_token


@pytest.fixture
def api(client, center):
    """api("officer1", "POST", "/api/counters/1/next", {...}) with that user's (or device's) token."""

    def call(who: str, method: str, path: str, body: dict | None = None):
        token = center["users"][who]["api_token"] if who in center["users"] else center["devices"][who]
        return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})

    return call


def _act(api, who, counter, action, **body):
    return api(who, "POST", f"/api/counters/{counter}/{action}", body)


def test_a_whole_visit_with_an_api_token(api, engine, clock):
    engine.issue("A")
    engine.issue("A")
    r = _act(api, "officer1", 1, "next", id=str(uuid.uuid4()))
    assert r.status_code == 200 and r.json["result"]["ticket"] == "A001" and r.json["result"]["call"]["counter"] == 1
    clock.advance(5)
    assert _act(api, "officer1", 1, "recall").json["result"]["call"]["recall"] is True
    assert _act(api, "officer1", 1, "serve", ticket="A001").json["ok"]
    clock.advance(120)
    r = _act(api, "officer1", 1, "finish", ticket="A001", dossier_code="000.00.12.H29-260312-0001")
    assert r.json["result"]["ticket"] == "A001"
    row = engine.ticket("A001")
    assert row["state"] == "done" and row["dossier_code"] == "000.00.12.H29-260312-0001"
    assert row["finished_at"] - row["started_at"] == 120
    view = api("officer1", "GET", "/api/counters/1").json["counter"]
    assert view["ticket"] is None and view["waiting"] == 1
    assert view["today"]["served"] == 1 and view["today"]["avg_service_s"] == 120
    assert [n["code"] for n in view["queues"][0]["next"]] == ["A002"]


def test_a_retried_action_is_applied_once(api, engine):
    engine.issue("A")
    engine.issue("A")
    request_id = str(uuid.uuid4())
    first = _act(api, "officer1", 1, "next", id=request_id)
    again = _act(api, "officer1", 1, "next", id=request_id)
    assert first.json["result"]["ticket"] == again.json["result"]["ticket"] == "A001"
    assert again.json["result"]["replay"] is True and "call" not in again.json["result"]  # not announced twice
    assert engine.rows("SELECT count(*) AS n FROM calls")[0]["n"] == 1
    assert engine.ticket("A002")["state"] == "waiting"


def test_a_request_id_replays_only_the_same_action_at_the_same_counter_by_the_same_caller(api, engine):
    # The review's case: pause with an id, then resume with the same id, must not answer
    # "pause, replay" and leave the counter paused; nor may another officer's next with that
    # id get counter 2's old result.
    rid = str(uuid.uuid4())
    assert _act(api, "officer2", 2, "pause", id=rid).json["result"]["action"] == "pause"
    r = _act(api, "officer2", 2, "resume", id=rid)
    assert r.status_code == 409 and r.json["error"] == "id_conflict", r.json
    assert engine.counter(2)["state"] == "paused"
    engine.issue("A")
    r = _act(api, "officer1", 1, "next", id=rid)
    assert r.status_code == 409 and r.json["error"] == "id_conflict", r.json
    assert engine.ticket("A001")["state"] == "waiting"
    # the same officer, action and counter: a replay (the id in any case of letters)
    again = _act(api, "officer2", 2, "pause", id=rid.upper())
    assert again.status_code == 200 and again.json["result"] == {"counter": 2, "action": "pause", "replay": True}
    # the keypad of counter 1 and officer1 at counter 1 are different callers
    rid = str(uuid.uuid4())
    assert _act(api, "pad-1", 1, "next", id=rid).json["result"]["ticket"] == "A001"
    r = _act(api, "officer1", 1, "next", id=rid)
    assert r.status_code == 409 and r.json["error"] == "id_conflict"
    assert _act(api, "pad-1", 1, "next", id=rid).json["result"]["replay"] is True


@pytest.mark.parametrize("bad", ["A", "req-1", "", "7c9e6679-7425-40de-944b-e07fc1f90ae", 5])
def test_a_request_id_that_is_no_uuid_is_refused_by_name(api, engine, bad):
    before = engine.dump()
    r = _act(api, "officer1", 1, "pause", id=bad)
    assert r.status_code == 400 and r.json["error"] == "bad_request" and "'id'" in r.json["message"], r.json
    assert engine.dump() == before


def test_a_request_stored_before_ids_were_bound_is_compared_by_what_it_kept(api, engine, qms):
    # Rows written before migration m004 have no counter or action columns of their own:
    # their result (and actor) say what they were.
    old = str(uuid.uuid4())
    qms.write(lambda db, cfg, now: db.execute(
        "INSERT INTO action_requests (id, at, actor, result) VALUES (?, ?, ?, ?)",
        [old, now, "user:officer2", json.dumps({"counter": 2, "action": "pause"})]))
    assert _act(api, "officer2", 2, "resume", id=old).json["error"] == "id_conflict"
    assert _act(api, "officer1", 1, "pause", id=old).json["error"] == "id_conflict"
    assert _act(api, "officer2", 2, "pause", id=old).json["result"]["replay"] is True
    assert engine.counter(2)["state"] == "open"


def test_an_officer_acts_only_at_his_own_counter(api, engine):
    engine.issue("B")
    before = engine.dump()
    r = _act(api, "officer1", 2, "next")
    assert r.status_code == 403 and r.json == {"ok": False, "error": "forbidden", "message": "Bạn chưa đăng nhập ở quầy 2"}
    assert api("officer1", "GET", "/api/counters/2").status_code == 403
    r = _act(api, "officer4", 1, "next")  # signed in nowhere
    assert r.status_code == 403
    assert engine.dump() == before


def test_a_paused_counter_refuses_to_call(api, engine):
    engine.issue("A")
    assert _act(api, "officer1", 1, "pause").json["ok"]
    before = engine.dump()
    r = _act(api, "officer1", 1, "next")
    assert r.status_code == 409 and r.json["error"] == "counter_paused"
    assert engine.dump() == before
    assert _act(api, "officer1", 1, "resume").json["ok"]
    assert _act(api, "officer1", 1, "next").json["result"]["ticket"] == "A001"
    r = _act(api, "officer1", 1, "pause")
    assert r.status_code == 409 and r.json["error"] == "ticket_in_hand"


def test_no_show_requeue_and_transfer(api, engine):
    engine.issue("A")
    engine.issue("A")
    _act(api, "officer3", 3, "next")
    assert _act(api, "officer3", 3, "no-show", ticket="A001").json["ok"]
    view = api("officer3", "GET", "/api/counters/3").json["counter"]
    assert [n["code"] for n in view["no_shows"]] == ["A001"] and view["today"]["no_show"] == 1
    assert _act(api, "officer3", 3, "requeue", ticket=view["no_shows"][0]["id"]).json["ok"]
    assert engine.ticket("A001")["state"] == "waiting"
    assert _act(api, "officer3", 3, "next").json["result"]["ticket"] == "A001"
    r = _act(api, "officer3", 3, "transfer", ticket="A001", service="B")
    assert r.json["result"]["service"] == "B"
    assert engine.ticket("A001")["service"] == "B" and engine.ticket("A001")["state"] == "waiting"
    r = _act(api, "officer3", 3, "transfer", service="B")
    assert r.status_code == 409 and r.json["error"] == "no_ticket"
    r = _act(api, "officer3", 3, "next")
    r = _act(api, "officer3", 3, "transfer", service="ZZ")
    assert r.status_code == 404 and r.json["error"] == "unknown_service"


def test_a_stale_screen_cannot_act_on_a_ticket_that_moved_on(api, engine):
    engine.issue("A")
    engine.issue("A")
    _act(api, "officer1", 1, "next")
    first = engine.ticket("A001")["id"]
    _act(api, "officer1", 1, "next")  # e.g. from the keypad
    r = _act(api, "officer1", 1, "finish", ticket=first)
    assert r.status_code == 409 and r.json["error"] == "not_your_ticket"
    assert engine.ticket("A002")["state"] == "called"


def test_bad_bodies_are_refused_by_name(api):
    r = _act(api, "officer1", 1, "finish", dossier_code="x" * 65)
    assert r.status_code in (400, 409)
    r = api("officer1", "POST", "/api/counters/1/next", {"tickets": "A001"})
    assert r.status_code == 400 and "tickets" in r.json["message"]
    r = api("officer1", "POST", "/api/counters/1/dance", {})
    assert r.status_code == 404 and r.json["ok"] is False


def test_the_session_works_with_the_csrf_header_and_not_without(client, login, engine):
    engine.issue("A")
    login("officer1")
    token = csrf_token(client, "/counter")
    before = engine.dump()
    r = client.post("/api/counters/1/next", json={"id": str(uuid.uuid4())})
    assert r.status_code == 403 and r.json["error"] == "forbidden" and "CSRF" in r.json["message"]
    r = client.post("/api/counters/1/next", json={}, headers={"X-CSRFToken": "forged"})
    assert r.status_code == 403
    assert engine.dump() == before
    r = client.post("/api/counters/1/next", json={"id": str(uuid.uuid4())}, headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.json["result"]["ticket"] == "A001"
    assert client.get("/api/counters/1").json["counter"]["ticket"]["code"] == "A001"


def test_sign_in_and_out_over_the_api(client, api, engine, login):
    r = api("officer4", "POST", "/api/counters/1/sign-in")
    assert r.status_code == 409 and r.json["error"] == "counter_busy" and "Cán bộ 1" in r.json["message"]
    assert api("officer4", "POST", "/api/counters/1/sign-out").status_code == 403
    assert api("boss", "POST", "/api/counters/1/sign-out").json["officer"] is None
    assert api("officer4", "POST", "/api/counters/1/sign-in").json["officer"] == "officer4"
    # The session's sign-in needs the CSRF header too.
    login("officer2")
    assert client.post("/api/counters/2/sign-out").status_code == 403
    assert engine.counter(2)["officer_id"] == engine.user_id("officer2")


def test_a_counter_keypad_device_acts_at_its_own_counter_only(api, engine):
    engine.issue("A")
    assert _act(api, "pad-1", 1, "next").json["result"]["ticket"] == "A001"
    assert _act(api, "pad-1", 2, "next").status_code == 403
    assert _act(api, "rate-1", 1, "recall").status_code == 403  # a rating terminal is no keypad


# -- ratings: only after the window, only as totals ----------------------------------------------

def _today(api, who="officer1", counter=1):
    return api(who, "GET", f"/api/counters/{counter}").json["counter"]["today"]


def test_a_rating_shows_only_once_its_window_has_closed(api, engine, clock, qms):
    window = qms.cfg().rating_window_s
    engine.issue("A")
    _act(api, "officer1", 1, "next")
    clock.advance(60)
    _act(api, "officer1", 1, "finish")
    finished = clock.t
    clock.advance(3)
    engine.rate(1, score=2)
    assert engine.rows("SELECT status FROM ratings")[0]["status"] == "counted"
    assert _today(api)["ratings_counted"] == 0 and _today(api)["ratings"]["2"] == 0
    clock.t = finished + window - 1
    assert _today(api)["ratings_counted"] == 0
    clock.t = finished + window
    today = _today(api)
    assert today["ratings_counted"] == 1 and today["ratings"] == {"5": 0, "4": 0, "3": 0, "2": 1, "1": 0}
    assert today["satisfaction_rate"] == 0.0


def test_a_rating_pressed_during_service_waits_for_the_finish_and_the_window(api, engine, clock, qms):
    window = qms.cfg().rating_window_s
    engine.issue("A")
    engine.issue("A")
    _act(api, "officer1", 1, "next")
    engine.rate(1, score=5)  # pressed while the citizen is at the counter
    clock.advance(window * 3)
    assert _today(api)["ratings_counted"] == 0
    _act(api, "officer1", 1, "next")  # finishes A001, calls A002
    clock.advance(window - 1)
    assert _today(api)["ratings_counted"] == 0
    clock.advance(1)
    assert _today(api)["ratings"]["5"] == 1 and _today(api)["satisfaction_rate"] == 100.0


def test_the_view_never_names_a_ticket_with_its_score(api, engine, clock, qms):
    engine.issue("A")
    _act(api, "officer1", 1, "next")
    _act(api, "officer1", 1, "finish")
    engine.rate(1, score=4)
    clock.advance(qms.cfg().rating_window_s + 1)
    view = api("officer1", "GET", "/api/counters/1").json["counter"]
    text = json.dumps(view)
    assert '"score"' not in text and "A001" not in text
    assert set(view["today"]) == {"served", "no_show", "avg_service_s", "ratings", "ratings_counted",
                                  "satisfaction_rate"}


def test_figures_are_the_officers_own(api, engine, clock, qms):
    engine.issue("A")
    engine.issue("B")
    _act(api, "officer1", 1, "next")
    _act(api, "officer2", 2, "next")
    _act(api, "officer1", 1, "finish")
    _act(api, "officer2", 2, "finish")
    engine.rate(1, score=5)
    engine.rate(2, score=3)
    clock.advance(qms.cfg().rating_window_s + 1)
    one, two = _today(api, "officer1", 1), _today(api, "officer2", 2)
    assert one["served"] == two["served"] == 1
    assert one["ratings"]["5"] == 1 and one["ratings"]["3"] == 0
    assert two["ratings"]["3"] == 1 and two["ratings"]["5"] == 0 and two["satisfaction_rate"] == 0.0


def test_the_rating_window_setting_is_followed_live(api, engine, clock, qms):
    qms.write(admin.set_setting, name="rating_window_s", value=10)
    engine.issue("A")
    _act(api, "officer1", 1, "next")
    _act(api, "officer1", 1, "finish")
    engine.rate(1, score=5)
    clock.advance(9)
    assert _today(api)["ratings_counted"] == 0
    clock.advance(1)
    assert _today(api)["ratings_counted"] == 1
