"""Alerts: each condition opens an alert, a supervisor acknowledges it, and it closes by itself
when the condition stops holding. Time is the test's clock; `check_alerts` is what the ticker and
every commit run."""

from __future__ import annotations

import time

import pytest

from server.engine import alerts
from server.web.board.namespace import check_alerts
from tests.conftest import settle
from tests.console.helpers import csrf_token, sign_in


def open_alerts(qms) -> dict:
    return {(a["kind"], a["subject"]): a for a in alerts.listing(qms.store.read(), qms.cfg(), qms.now()) if a["open"]}


def closed_alerts(qms) -> list:
    return [a for a in alerts.listing(qms.store.read(), qms.cfg(), qms.now()) if not a["open"]]


def serve_and_rate(engine, clock, counter: int, score: int, service: str = "A") -> None:
    engine.issue(service)
    engine.act(counter, "next")
    clock.advance(60)
    engine.act(counter, "finish")
    clock.advance(5)
    assert engine.rate(counter, score)["status"] == "counted"


def test_low_ratings_open_an_alert_that_is_acknowledged_and_closes(qms, engine, clock, client, center):
    for score in (2, 1, 5):
        serve_and_rate(engine, clock, 1, score)
    check_alerts(qms)
    assert not open_alerts(qms)  # 3 ratings: fewer than the minimum of 4
    serve_and_rate(engine, clock, 1, 2)
    check_alerts(qms)
    alert = open_alerts(qms)[("low_ratings", "counter:1")]
    assert alert["data"]["n"] == 4 and alert["data"]["low"] == 3 and alert["data"]["officer"] == "Cán bộ 1"
    assert alert["acked_at"] is None
    r = client.post(f"/api/board/alerts/{alert['id']}/ack",
                    headers={"Authorization": f"Bearer {center['users']['boss']['api_token']}"})
    assert r.status_code == 200 and r.get_json()["alert"]["acked_by"] == "boss"
    assert r.get_json()["alert"]["acked_by_name"] == "Trưởng bộ phận"
    assert open_alerts(qms)[("low_ratings", "counter:1")]["acked_at"] is not None  # still open: still true
    clock.advance(16 * 60)  # the window has moved past those ratings
    check_alerts(qms)
    assert not open_alerts(qms)
    (closed,) = closed_alerts(qms)
    assert closed["id"] == alert["id"] and closed["closed_by"] == "auto" and closed["acked_by"] == "boss"


@pytest.fixture(autouse=True)
def morning(clock):
    """The app's clock on a weekday morning: waits of half an hour must not cross midnight (these
    tests failed when run at 23:30 in the center's zone)."""
    from tests.server.conftest import local_ts

    clock.t = local_ts(2026, 3, 12, 9, 0)


def test_half_low_is_not_above_the_threshold(qms, engine, clock):
    for score in (2, 2, 5, 4):
        serve_and_rate(engine, clock, 1, score)
    check_alerts(qms)
    assert ("low_ratings", "counter:1") not in open_alerts(qms)  # 50 % is not above 50 %


def test_a_long_wait_opens_and_closes_when_the_ticket_is_called(qms, engine, clock):
    engine.issue("B")
    clock.advance(29 * 60)
    check_alerts(qms)
    assert not open_alerts(qms)
    clock.advance(2 * 60)
    check_alerts(qms)
    alert = open_alerts(qms)[("long_wait", "service:B")]
    assert alert["data"]["code"] == "B001" and alert["data"]["limit_min"] == 30
    engine.act(2, "next")
    check_alerts(qms)
    assert not open_alerts(qms) and closed_alerts(qms)[0]["kind"] == "long_wait"


def test_a_device_offline_for_more_than_a_minute(qms, clock, kiosk_client):
    check_alerts(qms)
    assert not open_alerts(qms)  # never connected: not "offline"
    kiosk = kiosk_client("rate-2")
    kiosk.disconnect(namespace="/kiosk")
    settle(qms)
    clock.advance(59)
    check_alerts(qms)
    assert not open_alerts(qms)
    clock.advance(2)
    check_alerts(qms)
    assert open_alerts(qms)[("device_offline", "device:rate-2")]["data"]["counter"] == 2
    kiosk_client("rate-2")  # back
    settle(qms)
    check_alerts(qms)
    assert not open_alerts(qms)


def test_paper_out(qms, kiosk_client):
    kiosk = kiosk_client("kiosk-1")
    status = {"printer": "paper_out", "outbox": 2, "version": "1.0", "uptime_s": 60}
    assert kiosk.emit("status", status, namespace="/kiosk", callback=True)["ok"]
    check_alerts(qms)
    assert ("paper_out", "device:kiosk-1") in open_alerts(qms)
    assert kiosk.emit("status", {**status, "printer": "paper_low"}, namespace="/kiosk", callback=True)["ok"]
    check_alerts(qms)
    assert ("paper_out", "device:kiosk-1") not in open_alerts(qms)


def test_stray_presses_at_an_idle_terminal(qms, engine, clock):
    for _ in range(4):
        assert engine.rate(2, 5)["status"] == "unattributed"
        clock.advance(60)
    check_alerts(qms)
    assert not open_alerts(qms)
    engine.rate(2, 4)
    check_alerts(qms)
    alert = open_alerts(qms)[("stray_presses", "device:rate-2")]
    assert alert["data"]["n"] == 5 and alert["data"]["counter"] == 2
    clock.advance(11 * 60)
    check_alerts(qms)
    assert not open_alerts(qms)


def test_thresholds_are_live_settings(qms, engine, clock):
    engine.setting("alert_wait_min", 5)
    engine.issue("A")
    clock.advance(6 * 60)
    check_alerts(qms)
    assert ("long_wait", "service:A") in open_alerts(qms)


def test_the_same_condition_later_opens_a_new_alert(qms, engine, clock):
    engine.issue("B")
    clock.advance(31 * 60)
    check_alerts(qms)
    first = open_alerts(qms)[("long_wait", "service:B")]["id"]
    engine.act(2, "next")
    check_alerts(qms)
    engine.issue("B")
    clock.advance(31 * 60)
    check_alerts(qms)
    assert open_alerts(qms)[("long_wait", "service:B")]["id"] != first


def raise_wait_alert(qms, engine, clock) -> int:
    engine.issue("B")
    clock.advance(31 * 60)
    check_alerts(qms)
    return open_alerts(qms)[("long_wait", "service:B")]["id"]


def test_acknowledging_needs_a_supervisor_and_csrf(qms, engine, clock, client, center):
    alert_id = raise_wait_alert(qms, engine, clock)
    url = f"/api/board/alerts/{alert_id}/ack"
    assert client.post(url).status_code == 401
    r = client.post(url, headers={"Authorization": f"Bearer {center['users']['officer1']['api_token']}"})
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"
    sign_in(client, center, "boss")
    r = client.post(url)
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"  # no CSRF token
    token = csrf_token(client, "/board")
    r = client.post(url, headers={"X-CSRFToken": token})
    assert r.status_code == 200 and r.get_json()["alert"]["acked_by"] == "boss"
    first = r.get_json()["alert"]["acked_at"]
    clock.advance(30)
    again = client.post(url, headers={"X-CSRFToken": token}).get_json()["alert"]
    assert again["acked_at"] == first  # the first acknowledgement stays
    r = client.post("/api/board/alerts/999/ack", headers={"X-CSRFToken": token})
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"


def test_an_alert_reaches_the_board_after_the_commit_that_raised_it(app, socketio, client, qms, engine, clock,
                                                                    center):
    """No ticker here (it is slowed to an hour): the commit of the fourth rating raises the alert
    and the pushed snapshot carries it."""
    assert client.get("/healthz").status_code == 200  # the server serves: alerts are evaluated from now on
    board = socketio.test_client(app, namespace="/board", auth={"token": center["users"]["boss"]["api_token"]})
    board.get_received("/board")
    for score in (1, 1, 2, 1):
        serve_and_rate(engine, clock, 3, score, service="B")
    deadline = time.monotonic() + 10
    kinds = set()
    while time.monotonic() < deadline and ("low_ratings", "counter:3") not in kinds:
        for m in board.get_received("/board"):
            if m["name"] == "board":
                kinds = {(a["kind"], a["subject"]) for a in m["args"][0]["alerts"] if a["open"]}
        time.sleep(0.05)
    assert ("low_ratings", "counter:3") in kinds
    board.disconnect(namespace="/board")


def test_no_alert_work_before_the_server_serves(qms, engine, clock):
    """A command-line tool builds the same app: nothing evaluates alerts behind its back."""
    engine.issue("B")
    clock.advance(31 * 60)
    flushed = qms.broadcaster.flushes
    engine.issue("A")  # a commit: the broadcaster flushes, but no request was ever served
    deadline = time.monotonic() + 10
    while qms.broadcaster.flushes == flushed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert qms.broadcaster.flushes > flushed, "the broadcaster never ran its listeners after the commit"
    assert not open_alerts(qms)
    check_alerts(qms)
    assert open_alerts(qms)


def test_alert_subjects_are_unique_while_open(qms, engine, clock):
    raise_wait_alert(qms, engine, clock)
    th = alerts.thresholds(qms.setting)
    assert qms.write(alerts.evaluate, th=th) == {"opened": [], "closed": []}
    assert len(open_alerts(qms)) == 1
