"""The real server on loopback with real python-socketio clients over websocket: the refusal
message, many kiosks issuing at once, and a bad event that does not take the server down."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import socketio

NS = "/kiosk"


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for the tests that change nothing."""
    from tests.conftest import LiveServer

    server = LiveServer(tmp_path_factory.mktemp("live")).start()
    yield server
    server.stop()


def connect(server, device: str, token: str | None = None) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(server.url, namespaces=[NS], transports=["websocket"], wait_timeout=10,
                   auth={"device": device, "token": token or server.token(device)})
    return client


@pytest.mark.parametrize("auth", [{"device": "kiosk-1", "token": "wrong"}, {"device": "ghost", "token": "x"},
                                  None], ids=["wrong-token", "unknown-device", "no-auth"])
def test_refused_with_the_message_unauthorized(shared_server, auth):
    client = socketio.Client(reconnection=False)
    errors = []
    client.on("connect_error", errors.append, namespace=NS)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(shared_server.url, namespaces=[NS], transports=["websocket"], wait_timeout=10, auth=auth)
    assert errors == [{"message": "unauthorized"}]
    client.disconnect()


def test_many_kiosks_at_once_no_duplicate_and_no_missing_number(live_server):
    kiosks = [f"kiosk-{i}" for i in range(2, 7)]
    tokens = {k: live_server.add_device(k, ["ticket"]) for k in kiosks}
    n_clients, per_client = 24, 8
    clients = [connect(live_server, kiosks[i % len(kiosks)], tokens[kiosks[i % len(kiosks)]])
               for i in range(n_clients)]
    start = threading.Barrier(n_clients)

    def work(i):
        client = clients[i]
        start.wait()
        done = threading.Event()
        acks, lock = [], threading.Lock()
        payloads = [{"id": str(uuid.uuid4()), "service": "AB"[(i + j) % 2]} for j in range(per_client)]

        def got(payload):
            def ack(answer):
                with lock:
                    acks.append((payload, answer))
                    if len(acks) == per_client:
                        done.set()
            return ack

        # All of this client's events at once, without waiting for each ack.
        for payload in payloads:
            client.emit("ticket", payload, namespace=NS, callback=got(payload))
        assert done.wait(60), f"client {i}: {len(acks)} of {per_client} acks"
        answers = []
        for payload, answer in acks:
            # Past its capacity the server answers `busy`; a kiosk's outbox sends the same event
            # again after a pause, as here.
            for _ in range(100):
                if answer.get("error") != "busy":
                    break
                time.sleep(0.05)
                answer = client.call("ticket", payload, namespace=NS, timeout=30)
            answers.append(answer)
        return answers

    try:
        with ThreadPoolExecutor(n_clients) as pool:
            acks = [a for chunk in pool.map(work, range(n_clients)) for a in chunk]
    finally:
        for c in clients:
            c.disconnect()
    assert all(a["ok"] for a in acks), [a for a in acks if not a["ok"]][:3]
    tickets = [a["ticket"] for a in acks]
    for service in "AB":
        codes = sorted(t["code"] for t in tickets if t["service"] == service)
        assert codes == [f"{service}{n:03d}" for n in range(1, len(codes) + 1)]
    rows = live_server.store.read().execute("SELECT id FROM tickets").fetchall()
    assert sorted(r[0] for r in rows) == sorted(t["id"] for t in tickets)


def test_a_bad_event_does_not_take_the_server_down(live_server):
    client = connect(live_server, "kiosk-1")
    try:
        huge = client.call("ticket", {"id": str(uuid.uuid4()), "service": "A" * 1_000_000}, namespace=NS, timeout=30)
        assert huge["ok"] is False and huge["error"] == "bad_request"
        two = client.call("ticket", ({"id": str(uuid.uuid4()), "service": "A"}, "extra"), namespace=NS, timeout=10)
        assert two["error"] == "bad_request"
        assert client.call("rating", {"id": str(uuid.uuid4()), "score": 9}, namespace=NS, timeout=10)["error"] == \
            "bad_request"
        ok = client.call("ticket", {"id": str(uuid.uuid4()), "service": "A"}, namespace=NS, timeout=10)
        assert ok["ok"] is True and ok["ticket"]["code"] == "A001"
    finally:
        client.disconnect()


def test_a_revoked_device_is_refused_with_unauthorized(shared_server):
    from server.engine import admin

    token = shared_server.add_device("gone-1", ["ticket"])
    connect(shared_server, "gone-1", token).disconnect()  # it worked before
    shared_server.qms.write(admin.revoke_device, device_id="gone-1")
    client = socketio.Client(reconnection=False)
    errors = []
    client.on("connect_error", errors.append, namespace=NS)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(shared_server.url, namespaces=[NS], transports=["websocket"], wait_timeout=10,
                       auth={"device": "gone-1", "token": token})
    assert errors == [{"message": "unauthorized"}]
    client.disconnect()


def test_events_of_one_connection_are_handled_in_the_order_sent(live_server):
    """docs/protocol.md: one connection's events are handled one after the other, in order, so
    a kiosk that sends several presses at once gets its numbers in the order of the presses."""
    client = connect(live_server, "kiosk-1")
    acks, done = {}, threading.Event()
    ids = [str(uuid.uuid4()) for _ in range(30)]

    def got(i):
        def cb(ack):
            acks[i] = ack
            if len(acks) == len(ids):
                done.set()
        return cb

    try:
        for i, tid in enumerate(ids):
            client.emit("ticket", {"id": tid, "service": "A"}, namespace=NS, callback=got(i))
        assert done.wait(30)
    finally:
        client.disconnect()
    assert [acks[i]["ticket"]["code"] for i in range(len(ids))] == [f"A{n:03d}" for n in range(1, len(ids) + 1)]
