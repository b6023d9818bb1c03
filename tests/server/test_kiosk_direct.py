"""The devices' events run straight from the Engine.IO message (server/web/kiosk/direct.py): the
same answers as through Flask-SocketIO's dispatch, and everything it does not take goes on to
python-socketio as before."""

from __future__ import annotations

import uuid

import pytest
import socketio as sio_client

from server.web.kiosk.direct import split_event
from tests.conftest import LiveServer, app_with_center, daytime_clock, settle

NS = "/kiosk"


def uid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def live(tmp_path):
    srv = LiveServer(tmp_path / "live", CLOCK=daytime_clock()).start()
    yield srv
    srv.stop()


@pytest.fixture
def local(tmp_path):
    """The same center in-process: Flask-SocketIO's test client goes through its own dispatch."""
    app = app_with_center(tmp_path / "local", CLOCK=daytime_clock())
    yield app
    app.extensions["qms"].close()


def connect(url, device, token):
    client = sio_client.Client(reconnection=False)
    client.connect(url, namespaces=[NS], transports=["websocket"], wait_timeout=10,
                   auth={"device": device, "token": token})
    return client


def shape(ack):
    """What must agree between the two paths: the error and its message, or the keys of an ok."""
    if not ack.get("ok"):
        return ack
    return {k: sorted(v) if isinstance(v, dict) else type(v).__name__ for k, v in ack.items()}


# Each case: device, event, arguments (a tuple: none, one or two), with the ids fixed per case so
# that replays and conflicts are the same request on both paths.
TICKET_ID, RATING_ID = uid(), uid()
CASES = [
    ("kiosk-1", "ticket", ({"id": TICKET_ID, "service": "A", "priority": False},)),
    ("kiosk-1", "ticket", ({"id": TICKET_ID, "service": "A", "priority": False},)),  # replay
    ("kiosk-1", "ticket", ({"id": TICKET_ID, "service": "B", "priority": False},)),  # conflict
    ("kiosk-1", "ticket", ({"id": uid(), "service": "ZZ"},)),
    ("kiosk-1", "ticket", ({"id": uid(), "service": "A", "extra": 1},)),
    ("kiosk-1", "ticket", ({"id": 5, "service": "A"},)),
    ("kiosk-1", "ticket", ("A",)),
    ("kiosk-1", "ticket", ()),
    ("kiosk-1", "ticket", ({"id": uid(), "service": "A"}, {"again": True})),
    ("kiosk-1", "rating", ({"id": uid(), "score": 5},)),  # a kiosk has no rating role
    ("rate-1", "rating", ({"id": RATING_ID, "score": 4},)),
    ("rate-1", "rating", ({"id": RATING_ID, "score": 4},)),  # replay
    ("rate-1", "rating", ({"id": RATING_ID, "score": 2},)),  # the id bound to another score
    ("rate-1", "rating", ({"id": uid(), "score": 9},)),
    ("rate-1", "rating", ({"id": uid(), "score": True},)),
    ("kiosk-1", "status", ({"printer": "ok"},)),
    ("kiosk-1", "status", ({"printer": "ok", "surprise": 1},)),
    ("kiosk-1", "print_failed", ({"ticket_id": uid(), "reason": "kẹt giấy"},)),
    ("kiosk-1", "print_failed", ({"ticket_id": TICKET_ID, "reason": "kẹt giấy"},)),
    ("kiosk-1", "counter_action", ({"id": uid(), "action": "next"},)),  # no counter role
]


def test_every_answer_is_the_one_flask_socketio_gives(live, local):
    tokens = live.center["devices"]
    clients = {d: connect(live.url, d, tokens[d]) for d in ("kiosk-1", "rate-1")}
    socketio = local.extensions["socketio"]
    test_clients = {d: socketio.test_client(local, namespace=NS, auth={"device": d, "token": local.test_center["devices"][d]})
                    for d in ("kiosk-1", "rate-1")}
    try:
        for device, event, args in CASES:
            direct = clients[device].call(event, args if len(args) != 1 else args[0], namespace=NS, timeout=10) \
                if len(args) == 1 else _call_many(clients[device], event, args)
            dispatched = test_clients[device].emit(event, *args, namespace=NS, callback=True)
            assert shape(direct) == shape(dispatched), (device, event, args)
        # And the direct path did the work: the ticket and the rating are stored once.
        db = live.store.read()
        assert db.execute("SELECT count(*) FROM tickets WHERE id = ?", [TICKET_ID]).fetchone()[0] == 1
        assert db.execute("SELECT state FROM tickets WHERE id = ?", [TICKET_ID]).fetchone()[0] == "cancelled"
        assert db.execute("SELECT score FROM ratings WHERE id = ?", [RATING_ID]).fetchone()[0] == 4
    finally:
        for c in clients.values():
            c.disconnect()


def _call_many(client, event, args):
    """`call` with zero or several arguments (python-socketio's `call` takes one `data`; a tuple
    is sent as several arguments)."""
    return client.call(event, tuple(args), namespace=NS, timeout=10)


def test_what_the_direct_path_does_not_take_goes_on_as_before(live):
    """An event without an ack id is still handled (through Flask-SocketIO); an unknown event goes
    to Flask-SocketIO too, and a malformed packet is dropped and reported; the connection goes on."""
    tokens = live.center["devices"]
    client = connect(live.url, "kiosk-1", tokens["kiosk-1"])
    try:
        quiet_id = uid()
        client.emit("ticket", {"id": quiet_id, "service": "A"}, namespace=NS)  # no ack asked
        client.emit("no_such_event", {"x": 1}, namespace=NS)
        eio_ws = client.eio
        eio_ws.send('2/kiosk,77["ticket",{"id":')  # cut-off JSON
        eio_ws.send('2/kiosk,78[]')  # no event name
        ack = client.call("ticket", {"id": uid(), "service": "A"}, namespace=NS, timeout=10)
        assert ack["ok"] is True  # the connection goes on, in order after the others
        settle(live.qms)
        db = live.store.read()
        assert db.execute("SELECT count(*) FROM tickets WHERE id = ?", [quiet_id]).fetchone()[0] == 1
        assert live.qms.client_errors.total >= 1  # the cut-off packet, reported by the wrapper
    finally:
        client.disconnect()


def test_a_handler_failure_is_answered_internal_and_reported(live, monkeypatch):
    from server.engine import tickets

    def broken(*_a, **_k):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(tickets, "issue", broken)
    client = connect(live.url, "kiosk-1", live.center["devices"]["kiosk-1"])
    try:
        before = live.qms.client_errors.total
        ack = client.call("ticket", {"id": uid(), "service": "A"}, namespace=NS, timeout=10)
        assert ack == {"ok": False, "error": "internal", "message": "Lỗi hệ thống"}
        assert live.qms.client_errors.total == before + 1
        assert client.call("status", {"printer": "ok"}, namespace=NS, timeout=10)["ok"] is True
    finally:
        client.disconnect()


def test_a_revoked_device_is_refused_at_its_next_event(live, monkeypatch):
    """Before it is cut (here: never), the revoked device's next event is refused."""
    from server.engine import admin

    monkeypatch.setattr(live.qms.runtime, "threadsafe", lambda fn, *args: None)  # no cut
    client = connect(live.url, "kiosk-1", live.center["devices"]["kiosk-1"])
    try:
        assert client.call("ticket", {"id": uid(), "service": "A"}, namespace=NS, timeout=10)["ok"] is True
        live.qms.write(admin.revoke_device, device_id="kiosk-1")
        ack = client.call("ticket", {"id": uid(), "service": "A"}, namespace=NS, timeout=10)
        assert ack["ok"] is False and ack["error"] == "unauthorized"
    finally:
        if client.connected:
            client.disconnect()


@pytest.mark.parametrize("text, expected", [
    ('2/kiosk,17["ticket",{}]', ("17", 10)),
    ('2/kiosk,1["status"]', ("1", 9)),
    ('2/kiosk,["ticket",{}]', None),  # no ack id
    ('2/kiosk,12', None),
    ('2/kiosk,12{"a":1}', None),
    ('2/kiosk,' + "9" * 40 + '["ticket"]', None),  # not an ack id python-socketio would send
    ('2/display,5["snapshot"]', None),
    ('3/kiosk,5[{"ok":true}]', None),
    (b"2/kiosk,5[]", None),
    (None, None),
])
def test_split_event(text, expected):
    assert split_event(text) == expected
