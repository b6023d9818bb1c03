"""The `/counter` namespace: who may join which counter's room, the view pushed on connect and
after changes, `rating_received` (today's totals) once a rating's window has closed; and the
counter keypad's `counter_action` on `/kiosk`."""

from __future__ import annotations

import uuid

import pytest

from server import events


@pytest.fixture
def console(app, socketio, client):
    """console(auth=None) connects a /counter client carrying the Flask test client's session."""
    made = []

    def connect(auth=None, flask_client=client):
        c = socketio.test_client(app, namespace=events.COUNTER, auth=auth, flask_test_client=flask_client)
        made.append(c)
        return c

    yield connect
    for c in made:
        if c.is_connected(events.COUNTER):
            c.disconnect(namespace=events.COUNTER)


def _events(c, name):
    return [e["args"][0] for e in c.get_received(events.COUNTER) if e["name"] == name]


def _flush(qms):
    qms.broadcaster.flush()


def test_a_console_must_be_signed_in(console):
    c = console()
    assert not c.is_connected(events.COUNTER)


def test_an_officer_at_no_counter_is_refused(console, login):
    login("officer4")
    assert not console().is_connected(events.COUNTER)


def test_an_officer_gets_his_counters_view_on_connect(console, login):
    login("officer1")
    c = console()
    assert c.is_connected(events.COUNTER)
    views = _events(c, events.COUNTER_UPDATE)
    assert views and views[-1]["number"] == 1 and views[-1]["officer"]["username"] == "officer1"
    assert views[-1]["today"]["served"] == 0


def test_an_officer_cannot_watch_another_counter_but_a_supervisor_can(app, console, login, center):
    login("officer1")
    assert not console(auth={"counter": 2}).is_connected(events.COUNTER)
    assert console(auth={"counter": 1}).is_connected(events.COUNTER)
    boss = app.test_client()
    from tests.console.helpers import sign_in

    sign_in(boss, center, "boss")
    c = console(auth={"counter": 2}, flask_client=boss)
    assert c.is_connected(events.COUNTER)
    assert _events(c, events.COUNTER_UPDATE)[-1]["number"] == 2


def test_an_api_token_works_too(console, center):
    c = console(auth={"token": center["users"]["officer3"]["api_token"]})
    assert c.is_connected(events.COUNTER)
    assert _events(c, events.COUNTER_UPDATE)[-1]["number"] == 3


def test_changes_are_pushed_to_the_counters_room_only(console, login, engine, qms, app, center):
    login("officer1")
    mine = console()
    other_client = app.test_client()
    from tests.console.helpers import sign_in

    sign_in(other_client, center, "officer2")
    other = console(flask_client=other_client)
    mine.get_received(events.COUNTER)
    other.get_received(events.COUNTER)
    engine.issue("A")
    engine.act(1, "next")
    _flush(qms)
    views = _events(mine, events.COUNTER_UPDATE)
    assert views and views[-1]["ticket"]["code"] == "A001" and views[-1]["ticket"]["state"] == "called"
    assert all(v["number"] == 2 for v in _events(other, events.COUNTER_UPDATE))


def test_rating_received_comes_only_after_the_window_and_carries_totals(console, login, engine, qms, clock,
                                                                         kiosk_client):
    login("officer1")
    c = console()
    engine.issue("A")
    engine.act(1, "next")
    engine.act(1, "finish")
    rate = kiosk_client("rate-1")
    ack = rate.emit(events.RATING, {"id": str(uuid.uuid4()), "score": 3, "age_ms": 0},
                    namespace=events.KIOSK, callback=True)
    assert ack["ok"] and ack["status"] == "counted"
    _flush(qms)
    got = c.get_received(events.COUNTER)
    assert [e for e in got if e["name"] == events.RATING_RECEIVED] == []
    assert all(e["args"][0]["today"]["ratings_counted"] == 0 for e in got if e["name"] == events.COUNTER_UPDATE)
    clock.advance(qms.cfg().rating_window_s)
    _flush(qms)
    got = c.get_received(events.COUNTER)
    received = [e["args"][0] for e in got if e["name"] == events.RATING_RECEIVED]
    assert received == [{"counter": 1, "new": 1, "ratings": {"5": 0, "4": 0, "3": 1, "2": 0, "1": 0},
                         "ratings_counted": 1, "satisfaction_rate": 0.0}]
    views = [e["args"][0] for e in got if e["name"] == events.COUNTER_UPDATE]
    assert views[-1]["today"]["ratings_counted"] == 1
    _flush(qms)
    assert _events(c, events.RATING_RECEIVED) == []  # announced once


def test_a_supervisor_freeing_the_counter_shows_on_the_console(console, login, qms, center, client):
    login("officer1")
    c = console()
    c.get_received(events.COUNTER)
    r = client.post("/api/counters/1/sign-out",
                    headers={"Authorization": f"Bearer {center['users']['boss']['api_token']}"})
    assert r.json["ok"]
    _flush(qms)
    assert _events(c, events.COUNTER_UPDATE)[-1]["officer"] is None


# -- the counter keypad (a kiosk device with the `counter` role) -------------------------------

def _pad(pad, action, **body):
    return pad.emit(events.COUNTER_ACTION, {"id": str(uuid.uuid4()), "action": action, **body},
                    namespace=events.KIOSK, callback=True)


def test_a_keypad_calls_recalls_finishes_and_marks_no_shows_at_its_counter(kiosk_client, engine, console, login, qms):
    login("officer1")
    c = console()
    engine.issue("A")
    engine.issue("A")
    pad = kiosk_client("pad-1")
    assert _pad(pad, "next")["result"]["ticket"] == "A001"
    assert _pad(pad, "recall")["result"]["call"]["recall"] is True
    assert _pad(pad, "finish")["result"]["ticket"] == "A001"
    assert _pad(pad, "next")["result"]["ticket"] == "A002"
    assert _pad(pad, "no-show")["result"]["ticket"] == "A002"
    assert engine.ticket("A001")["state"] == "done" and engine.ticket("A002")["state"] == "no_show"
    audit = engine.rows("SELECT actor FROM audit WHERE action LIKE 'counter.%' ORDER BY id DESC LIMIT 1")
    assert audit[0]["actor"] == "device:pad-1"
    _flush(qms)
    assert _events(c, events.COUNTER_UPDATE)[-1]["today"]["no_show"] == 1


def test_a_keypad_retry_is_applied_once_and_errors_are_typed(kiosk_client, engine):
    engine.issue("A")
    engine.issue("A")
    pad = kiosk_client("pad-1")
    payload = {"id": str(uuid.uuid4()), "action": "next"}
    first = pad.emit(events.COUNTER_ACTION, payload, namespace=events.KIOSK, callback=True)
    again = pad.emit(events.COUNTER_ACTION, payload, namespace=events.KIOSK, callback=True)
    assert first["result"]["ticket"] == again["result"]["ticket"] == "A001" and again["result"]["replay"]
    assert engine.ticket("A002")["state"] == "waiting"
    assert _pad(pad, "pause")["error"] == "ticket_in_hand"
    assert _pad(pad, "dance")["error"] == "bad_request"
    assert pad.emit(events.COUNTER_ACTION, "next", namespace=events.KIOSK, callback=True)["error"] == "bad_request"


def test_a_device_without_the_counter_role_cannot_act(kiosk_client, engine):
    engine.issue("A")
    before = engine.dump()
    for device in ("rate-1", "kiosk-1"):
        ack = _pad(kiosk_client(device), "next")
        assert ack["ok"] is False and ack["error"] == "forbidden"
    assert engine.dump()["tickets"] == before["tickets"]


def test_a_keypad_follows_its_counters_pause(kiosk_client, engine):
    engine.issue("A")
    pad = kiosk_client("pad-1")
    assert _pad(pad, "pause")["ok"]
    assert _pad(pad, "next")["error"] == "counter_paused"
    assert _pad(pad, "resume")["ok"]
    assert _pad(pad, "next")["result"]["ticket"] == "A001"


def test_refusal_reaches_the_client_with_its_reason(live_server):
    """A wrong token on /counter is refused with `unauthorized`, not a bare "refused"."""
    import pytest
    import socketio as sio

    client = sio.Client(reconnection=False)
    reasons = []
    client.on("connect_error", reasons.append, namespace="/counter")
    with pytest.raises(sio.exceptions.ConnectionError):
        client.connect(live_server.url, namespaces=["/counter"], auth={"token": "wrong"},
                       transports=["websocket"], wait_timeout=5)
    assert reasons == [{"message": "unauthorized"}]
    client.disconnect()
