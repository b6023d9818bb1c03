"""The `/display` (public) and `/board` (supervisors) namespaces: snapshots, `called`, live updates."""

from __future__ import annotations

import time

import pytest

CALLED_KEYS = {"code", "counter", "counter_name", "service", "service_name", "recall", "at"}


def _wait_for(client, namespace, name, timeout=5.0):
    """Messages named `name` received within `timeout` (the broadcaster pushes from its thread)."""
    deadline = time.monotonic() + timeout
    got = []
    while time.monotonic() < deadline:
        got += [m for m in client.get_received(namespace) if m["name"] == name]
        if got:
            return got
        time.sleep(0.02)
    return got


def test_display_snapshot_on_connect(app, socketio, engine, clock):
    engine.setting("notice_text", "Chiều nay nghỉ từ 16 giờ")
    engine.issue("A")
    engine.issue("A")
    engine.issue("B")
    engine.act(1, "next")
    display = socketio.test_client(app, namespace="/display")
    assert display.is_connected("/display")
    received = display.get_received("/display")
    assert [m["name"] for m in received] == ["snapshot"]
    snap = received[0]["args"][0]
    assert snap["center_name"] and snap["notice"] == "Chiều nay nghỉ từ 16 giờ"
    c1 = next(c for c in snap["counters"] if c["number"] == 1)
    assert c1["serving"] == "A001" and c1["serving_state"] == "called" and c1["name"] == "Quầy 1"
    assert c1["service_names"] == ["Đất đai"] and c1["waiting"] == 1
    c3 = next(c for c in snap["counters"] if c["number"] == 3)
    assert c3["serving"] is None and c3["waiting"] == 2  # A002 and B001
    assert {s["code"]: s["waiting"] for s in snap["services"]} == {"A": 1, "B": 1}
    assert [(c["code"], c["counter"], c["recall"]) for c in snap["recent_calls"]] == [("A001", 1, False)]


def test_display_asks_for_a_snapshot(app, socketio):
    display = socketio.test_client(app, namespace="/display")
    snap = display.emit("snapshot", namespace="/display", callback=True)
    assert {"center_name", "counters", "services", "recent_calls", "notice"} <= set(snap)


def test_called_on_every_call_and_recall(app, socketio, client, center, engine):
    engine.issue("B")
    display = socketio.test_client(app, namespace="/display")
    display.get_received("/display")
    auth = {"Authorization": f"Bearer {center['users']['officer2']['api_token']}"}
    assert client.post("/api/counters/2/next", headers=auth).status_code == 200
    assert client.post("/api/counters/2/recall", headers=auth).status_code == 200
    called = [m["args"][0] for m in display.get_received("/display") if m["name"] == "called"]
    assert len(called) == 2
    for call in called:
        assert CALLED_KEYS <= set(call)
        assert call["code"] == "B001" and call["counter"] == 2 and call["counter_name"] == "Quầy 2"
        assert call["service"] == "B" and call["service_name"] == "Hộ tịch"
    assert [c["recall"] for c in called] == [False, True]


def test_display_snapshot_follows_changes(app, socketio, engine):
    display = socketio.test_client(app, namespace="/display")
    display.get_received("/display")
    engine.issue("A")
    snaps = _wait_for(display, "/display", "snapshot")
    assert snaps, "no snapshot pushed after a change"
    assert {s["code"]: s["waiting"] for s in snaps[-1]["args"][0]["services"]}["A"] == 1


@pytest.mark.parametrize("who", [None, "officer1", "kiosk-1", "wrong"])
def test_board_refuses_all_but_supervisors(app, socketio, center, who):
    token = {None: None, "wrong": "not-a-token", "kiosk-1": center["devices"]["kiosk-1"],
             "officer1": center["users"]["officer1"]["api_token"]}[who]
    board = socketio.test_client(app, namespace="/board", auth={"token": token} if token else None)
    assert not board.is_connected("/board")


def test_board_snapshot_and_live_updates(app, socketio, client, center, engine):
    board = socketio.test_client(app, namespace="/board", auth={"token": center["users"]["boss"]["api_token"]})
    assert board.is_connected("/board")
    first = board.get_received("/board")
    assert [m["name"] for m in first] == ["board"]
    snap = first[0]["args"][0]
    assert snap["today"]["issued"] == 0 and {d["id"] for d in snap["devices"]} >= {"kiosk-1", "rate-1"}
    engine.issue("A")
    auth = {"Authorization": f"Bearer {center['users']['officer1']['api_token']}"}
    assert client.post("/api/counters/1/next", headers=auth).status_code == 200
    received = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        received += board.get_received("/board")
        boards = [m["args"][0] for m in received if m["name"] == "board"]
        if boards and boards[-1]["today"]["issued"] == 1 and boards[-1]["counters"][0]["serving"] == "A001":
            break
        time.sleep(0.02)
    else:
        raise AssertionError(f"no up-to-date board update: {received}")
    # The call itself reaches the board at once, as `called`.
    assert [m["args"][0]["code"] for m in received if m["name"] == "called"] == ["A001"]


def test_calls_and_snapshots_carry_versions_and_ids(app, socketio, client, center, engine, qms):
    """`called` carries its calls row id and the version of the commit that made it; every
    snapshot carries the version read before it was built (docs/protocol.md, "Versions")."""
    engine.issue("A")
    display = socketio.test_client(app, namespace="/display")
    board = socketio.test_client(app, namespace="/board", auth={"token": center["users"]["boss"]["api_token"]})
    first = display.get_received("/display")[0]["args"][0]
    assert first["v"] == {"boot": qms.store.boot, "seq": qms.store.version}
    assert board.get_received("/board")[0]["args"][0]["v"]["boot"] == qms.store.boot
    auth = {"Authorization": f"Bearer {center['users']['officer1']['api_token']}"}
    r = client.post("/api/counters/1/next", headers=auth)
    call = r.get_json()["result"]["call"]
    row = qms.store.read().execute("SELECT id FROM calls WHERE code = 'A001'").fetchone()
    assert call["id"] == row[0] and call["v"]["boot"] == qms.store.boot
    assert first["v"]["seq"] < call["v"]["seq"] <= qms.store.version
    called = [m["args"][0] for m in display.get_received("/display") if m["name"] == "called"]
    assert [(c["id"], c["v"]) for c in called] == [(call["id"], call["v"])]
    snaps = _wait_for(display, "/display", "snapshot")
    latest = snaps[-1]["args"][0]
    assert latest["v"]["seq"] >= call["v"]["seq"] and latest["recent_calls"][0]["id"] == call["id"]
    view = client.get("/api/counters/1", headers=auth).get_json()["counter"]
    assert view["v"]["boot"] == qms.store.boot and view["v"]["seq"] >= call["v"]["seq"]
