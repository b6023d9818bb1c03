"""The `/kiosk` namespace through Flask-SocketIO's test client: authentication, every event, every
error code, idempotent replays and a sweep of malformed payloads."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from server.engine import admin, tickets
from server.errors import StorageError
from tests.conftest import settle

NS = "/kiosk"
TICKET_KEYS = {"id", "code", "service", "service_name", "issued_at", "waiting_ahead", "eta_minutes", "priority",
               "counters", "center_name", "track_url"}


def uid() -> str:
    return str(uuid.uuid4())


def send(client, event, *args):
    return client.emit(event, *args, namespace=NS, callback=True)


def good_ticket(client, service="A"):
    ack = send(client, "ticket", {"id": uid(), "service": service, "priority": False})
    assert ack["ok"] is True, ack
    return ack["ticket"]


def assert_error(ack, code):
    assert set(ack) == {"ok", "error", "message"}, ack
    assert ack["ok"] is False and ack["error"] == code, ack
    assert isinstance(ack["message"], str) and ack["message"]


# -- authentication ----------------------------------------------------------------------------

@pytest.mark.parametrize("auth", [
    None,
    {},
    "kiosk-1",
    {"device": "kiosk-1"},
    {"device": "kiosk-1", "token": "wrong"},
    {"device": "kiosk-1", "token": ""},
    {"device": "kiosk-1", "token": 12345},
    {"device": "nobody", "token": "x" * 32},
    {"device": ["kiosk-1"], "token": "x"},
    {"token": "x" * 32},
], ids=["none", "empty", "string", "no-token", "wrong-token", "empty-token", "int-token", "unknown-device",
        "list-device", "no-device"])
def test_connection_refused(app, socketio, auth):
    client = socketio.test_client(app, namespace=NS, auth=auth)
    assert not client.is_connected(NS)


def test_token_of_another_device_is_refused(app, socketio, center):
    client = socketio.test_client(app, namespace=NS, auth={"device": "kiosk-1", "token": center["devices"]["rate-1"]})
    assert not client.is_connected(NS)


def _until(predicate, timeout=1.0):
    """Wait for a positive sign (at most `timeout` seconds); returns whether it came."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_revoked_device_is_refused_and_cut_off(app, socketio, qms, center, kiosk_client):
    live = kiosk_client()
    assert live.is_connected(NS)
    qms.write(admin.revoke_device, device_id="kiosk-1")
    again = socketio.test_client(app, namespace=NS, auth={"device": "kiosk-1", "token": center["devices"]["kiosk-1"]})
    assert not again.is_connected(NS)
    # The connection made before the revocation is cut within a second.
    assert _until(lambda: not live.is_connected(NS))
    assert not any(c.get("device") == "kiosk-1" for c in qms.connections.values())
    assert qms.store.read().execute("SELECT count(*) FROM tickets").fetchone()[0] == 0


def test_a_revoked_keypad_s_counter_view_is_cut_off_too(app, socketio, qms, center, kiosk_client):
    token = center["devices"]["pad-1"]
    view = socketio.test_client(app, namespace="/counter", auth={"token": token})
    link = kiosk_client("pad-1")
    assert view.is_connected("/counter") and link.is_connected(NS)
    qms.write(admin.rotate_device, device_id="pad-1")
    assert _until(lambda: not view.is_connected("/counter") and not link.is_connected(NS))
    again = socketio.test_client(app, namespace="/counter", auth={"token": token})
    assert not again.is_connected("/counter")


def test_revoked_or_rotated_device_events_are_refused_before_the_cut(qms, center, kiosk_client, monkeypatch):
    # Whatever the order of events and the cut, nothing is done for a revoked or superseded token.
    monkeypatch.setattr(qms.runtime, "threadsafe", lambda fn, *args: None)  # no cut
    old = kiosk_client("rate-1")
    other = kiosk_client("kiosk-1")
    qms.write(admin.rotate_device, device_id="rate-1")
    assert_error(send(old, "rating", {"id": uid(), "score": 5, "age_ms": 0}), "unauthorized")
    good_ticket(other)  # another device is untouched
    qms.write(admin.revoke_device, device_id="kiosk-1")
    assert_error(send(other, "ticket", {"id": uid(), "service": "A"}), "unauthorized")
    assert qms.store.read().execute("SELECT count(*) FROM ratings").fetchone()[0] == 0


def test_rotated_device_old_token_cut_and_refused_new_one_works(app, socketio, qms, center, kiosk_client):
    old = kiosk_client("kiosk-1")
    new = qms.write(admin.rotate_device, device_id="kiosk-1")
    assert _until(lambda: not old.is_connected(NS))
    assert not socketio.test_client(app, namespace=NS, auth={"device": "kiosk-1",
                                                               "token": center["devices"]["kiosk-1"]}).is_connected(NS)
    good_ticket(kiosk_client("kiosk-1", token=new["token"]))


def test_expired_device_token_is_refused(app, socketio, qms, clock, kiosk_client):
    made = qms.write(admin.add_device, device_id="kiosk-9", roles=["ticket"], expires_days=1)
    c = kiosk_client("kiosk-9", token=made["token"])
    good_ticket(c)
    clock.advance(86400)
    assert_error(send(c, "ticket", {"id": uid(), "service": "A"}), "unauthorized")
    again = socketio.test_client(app, namespace=NS, auth={"device": "kiosk-9", "token": made["token"]})
    assert not again.is_connected(NS)
    # A new token with a new term works again.
    fresh = qms.write(admin.rotate_device, device_id="kiosk-9", expires_days=30)
    good_ticket(kiosk_client("kiosk-9", token=fresh["token"]))


def test_a_flooding_device_is_answered_busy_past_its_rate(qms, kiosk_client, engine):
    kiosk, rater = kiosk_client("kiosk-1"), kiosk_client("rate-1")
    burst = int(qms.setting("device_events_burst"))
    acks = [send(rater, "rating", {"id": uid(), "score": 1, "age_ms": 0}) for _ in range(burst + 20)]
    ok = [a for a in acks if a["ok"]]
    busy = [a for a in acks if not a["ok"]]
    assert busy and all(a["error"] == "busy" for a in busy), acks[-1]
    assert burst <= len(ok) < burst + 20
    # Each accepted press is stored; a busy one is not (the terminal's outbox sends it again).
    assert engine.rows("SELECT count(*) AS n FROM ratings")[0]["n"] == len(ok)
    # Another device is not slowed down by it.
    good_ticket(kiosk)


def test_the_rate_limit_refills_and_forgets_disconnected_devices():
    from server.errors import Busy
    from server.web.kiosk.namespace import RateLimit

    t = [0.0]
    limit = RateLimit(rate=10, burst=3, clock=lambda: t[0])
    for _ in range(3):
        limit.take("d")
    with pytest.raises(Busy):
        limit.take("d")
    t[0] += 0.1  # one token back
    limit.take("d")
    with pytest.raises(Busy):
        limit.take("d")
    t[0] += 60  # refilled to the burst, never above it
    for _ in range(3):
        limit.take("d")
    with pytest.raises(Busy):
        limit.take("d")
    for i in range(100):
        limit.take(f"x{i}")
        limit.forget(f"x{i}")
    assert len(limit) == 1


def test_online_flag_follows_connections(kiosk_client, engine):
    def online():
        settle(engine.qms)
        return engine.rows("SELECT online, last_seen FROM devices WHERE id = 'kiosk-1'")[0]

    assert online()["online"] == 0
    c1, c2 = kiosk_client(), kiosk_client()
    assert online()["online"] == 1 and online()["last_seen"] is not None
    c1.disconnect(namespace=NS)
    assert online()["online"] == 1  # still one connection open
    c2.disconnect(namespace=NS)
    assert online()["online"] == 0


# -- every event -------------------------------------------------------------------------------

def test_ticket(kiosk_client, engine):
    kiosk = kiosk_client()
    ack = send(kiosk, "ticket", {"id": uid(), "service": "A", "priority": True})
    assert ack["ok"] is True
    t = ack["ticket"]
    assert TICKET_KEYS <= set(t)
    assert t["code"] == "A001" and t["service_name"] == "Đất đai" and t["priority"] is True
    assert t["counters"] == [1, 3] and t["waiting_ahead"] == 0
    row = engine.ticket("A001")
    assert row["device_id"] == "kiosk-1" and row["id"] == t["id"]
    audit = engine.rows("SELECT actor FROM audit WHERE action = 'ticket.issue'")
    assert audit == [{"actor": "device:kiosk-1"}]


def test_ticket_priority_defaults_to_false(kiosk_client):
    ack = send(kiosk_client(), "ticket", {"id": uid(), "service": "B"})
    assert ack["ticket"]["priority"] is False and ack["ticket"]["code"] == "B001"


def test_ticket_replay(kiosk_client, engine):
    kiosk = kiosk_client()
    payload = {"id": uid(), "service": "A", "priority": False}
    first = send(kiosk, "ticket", payload)
    again = send(kiosk, "ticket", payload)
    assert again == first
    # From a second connection too (the kiosk reconnected after the ack was lost).
    assert send(kiosk_client(), "ticket", payload) == first
    assert len(engine.rows("SELECT id FROM tickets")) == 1


def test_ticket_id_is_normalised(kiosk_client, engine):
    kiosk = kiosk_client()
    raw = uuid.uuid4()
    first = send(kiosk, "ticket", {"id": str(raw).upper(), "service": "A"})
    assert first["ticket"]["id"] == str(raw)
    assert send(kiosk, "ticket", {"id": str(raw), "service": "A"}) == first
    assert len(engine.rows("SELECT id FROM tickets")) == 1


def test_ticket_conflicting_replay(kiosk_client, engine):
    kiosk = kiosk_client()
    tid = uid()
    send(kiosk, "ticket", {"id": tid, "service": "A"})
    assert_error(send(kiosk, "ticket", {"id": tid, "service": "B"}), "id_conflict")
    assert len(engine.rows("SELECT id FROM tickets")) == 1


def test_rating(kiosk_client, engine, clock):
    good_ticket(kiosk_client())
    engine.act(1, "next")
    clock.advance(5)  # pressed 1.2 s ago: while A001 was at the counter
    rater = kiosk_client("rate-1")
    rid = uid()
    ack = send(rater, "rating", {"id": rid, "score": 5, "age_ms": 1200})
    assert ack == {"ok": True, "duplicate": False, "status": "counted"}
    # Replay after a lost ack: duplicate, and still one row.
    assert send(rater, "rating", {"id": rid, "score": 5, "age_ms": 4000}) == {
        "ok": True, "duplicate": True, "status": "counted"}
    rows = engine.rows("SELECT device_id, counter, score, status FROM ratings")
    assert rows == [{"device_id": "rate-1", "counter": 1, "score": 5, "status": "counted"}]
    # A second, different press for the same ticket: stored, as a duplicate.
    assert send(rater, "rating", {"id": uid(), "score": 2, "age_ms": 0})["duplicate"] is True
    assert len(engine.rows("SELECT id FROM ratings")) == 2


def test_rating_conflicting_replay(kiosk_client, engine):
    rater = kiosk_client("rate-2")
    rid = uid()
    send(rater, "rating", {"id": rid, "score": 5, "age_ms": 0})
    assert_error(send(rater, "rating", {"id": rid, "score": 3, "age_ms": 0}), "id_conflict")
    assert len(engine.rows("SELECT id FROM ratings")) == 1


def test_rating_age_ms_is_optional(kiosk_client, engine):
    assert send(kiosk_client("rate-2"), "rating", {"id": uid(), "score": 4})["ok"] is True
    row = engine.rows("SELECT pressed_at, received_at FROM ratings")[0]
    assert row["pressed_at"] == row["received_at"]


def test_status(kiosk_client, engine):
    ack = send(kiosk_client(), "status", {"printer": "paper_low", "outbox": 3, "version": "1.2.0", "uptime_s": 86})
    assert ack["ok"] is True and set(ack) == {"ok", "config"} and ack["config"]["rating_scores"] == [5, 4, 3, 2]
    row = engine.rows("SELECT online, last_status FROM devices WHERE id = 'kiosk-1'")[0]
    assert row["online"] == 1
    assert json.loads(row["last_status"]) == {"printer": "paper_low", "outbox": 3, "version": "1.2.0",
                                              "uptime_s": 86, "detail": ""}


def test_print_failed_cancels_the_ticket(kiosk_client, engine):
    kiosk = kiosk_client()
    t = good_ticket(kiosk)
    ack = send(kiosk, "print_failed", {"ticket_id": t["id"], "reason": "paper_out"})
    assert ack == {"ok": True, "ticket_id": t["id"], "state": "cancelled"}
    assert send(kiosk, "print_failed", {"ticket_id": t["id"], "reason": "paper_out"})["ok"] is True  # replay
    row = engine.ticket("A001")
    assert row["state"] == "cancelled" and row["cancel_reason"] == "paper_out"
    from server import errors

    with pytest.raises(errors.QueueEmpty):
        engine.act(1, "next")  # a ticket nobody holds is never called


def test_print_failed_for_a_request_not_yet_issued_voids_it(kiosk_client, qms):
    """A kiosk that got no answer reports the id it sent; if the request arrives later, it must
    not become a ticket that would be called with nobody holding it."""
    kiosk = kiosk_client()
    lost = uid()
    ack = send(kiosk, "print_failed", {"ticket_id": lost, "reason": "timeout"})
    assert ack == {"ok": True, "ticket_id": lost, "state": "voided"}
    late = send(kiosk, "ticket", {"id": lost, "service": "A", "priority": False})
    assert_error(late, "illegal_transition")
    assert qms.store.read()["tickets"].count == 0
    assert good_ticket(kiosk)["code"] == "A001"  # the sequence has no gap


def test_print_failed_refusals(kiosk_client, engine, qms):
    kiosk = kiosk_client()
    t = good_ticket(kiosk)
    engine.act(1, "next")
    assert_error(send(kiosk, "print_failed", {"ticket_id": t["id"], "reason": "x"}), "illegal_transition")
    # Another ticket kiosk cannot cancel kiosk-1's ticket.
    token = qms.write(admin.add_device, device_id="kiosk-2", roles=["ticket"])["token"]
    other = t2 = good_ticket(kiosk)
    kiosk2 = kiosk_client("kiosk-2", token)
    assert_error(send(kiosk2, "print_failed", {"ticket_id": t2["id"], "reason": "x"}), "illegal_transition")
    assert engine.ticket(other["code"])["state"] == "waiting"


def test_a_keypad_request_id_is_bound_to_its_action_and_caller(app, socketio, kiosk_client, engine, qms):
    pad = kiosk_client("pad-1")
    request_id = uid()
    assert send(pad, "counter_action", {"id": request_id, "action": "pause"})["ok"] is True
    assert_error(send(pad, "counter_action", {"id": request_id, "action": "resume"}), "id_conflict")
    assert engine.counter(1)["state"] == "paused"
    replay = send(pad, "counter_action", {"id": request_id, "action": "pause"})
    assert replay["ok"] is True and replay["result"]["replay"] is True
    # another keypad (counter 2) with the same id: not its request
    token = qms.write(admin.add_device, device_id="pad-2", roles=["counter"], counter=2)["token"]
    pad2 = kiosk_client("pad-2", token=token)
    assert_error(send(pad2, "counter_action", {"id": request_id, "action": "pause"}), "id_conflict")
    assert engine.counter(2)["state"] == "open"
    assert_error(send(pad, "counter_action", {"id": "A", "action": "resume"}), "bad_request")
    assert engine.counter(1)["state"] == "paused"


def test_counter_action_from_a_keypad(app, socketio, kiosk_client, engine):
    display = socketio.test_client(app, namespace="/display")
    display.get_received("/display")
    good_ticket(kiosk_client())
    pad = kiosk_client("pad-1")
    request_id = uid()
    ack = send(pad, "counter_action", {"id": request_id, "action": "next"})
    assert ack["ok"] is True and ack["result"]["ticket"] == "A001" and ack["result"]["call"]["counter"] == 1
    called = [m for m in display.get_received("/display") if m["name"] == "called"]
    assert [m["args"][0]["code"] for m in called] == ["A001"]
    # The same request again (lost ack): the first result, no second call.
    replay = send(pad, "counter_action", {"id": request_id, "action": "next"})
    assert replay["ok"] is True and replay["result"]["replay"] is True and "call" not in replay["result"]
    assert [m for m in display.get_received("/display") if m["name"] == "called"] == []
    assert len(engine.rows("SELECT id FROM calls")) == 1
    assert_error(send(pad, "counter_action", {"action": "pause"}), "ticket_in_hand")
    assert_error(send(pad, "counter_action", {"action": "dance"}), "bad_request")


# -- every error code --------------------------------------------------------------------------

def test_unknown_service(kiosk_client, engine):
    assert_error(send(kiosk_client(), "ticket", {"id": uid(), "service": "ZZ"}), "unknown_service")
    assert engine.rows("SELECT id FROM tickets") == []


def test_service_closed(kiosk_client, engine, clock):
    from tests.server.conftest import local_ts

    engine.service("H", prefix="H", hours=[{"days": [1, 2, 3, 4, 5], "from": "07:00", "to": "11:30"}])
    clock.t = local_ts(2026, 3, 14, 9, 0)  # a Saturday
    ack = send(kiosk_client(), "ticket", {"id": uid(), "service": "H"})
    assert_error(ack, "service_closed")
    assert "Lĩnh vực H" in ack["message"]
    assert engine.rows("SELECT id FROM tickets") == []


def test_daily_limit(kiosk_client, engine):
    engine.service("L", prefix="L", daily_limit=1)
    kiosk = kiosk_client()
    good_ticket(kiosk, "L")
    assert_error(send(kiosk, "ticket", {"id": uid(), "service": "L"}), "daily_limit")
    assert len(engine.rows("SELECT id FROM tickets")) == 1


@pytest.mark.parametrize("device,event,payload", [
    ("kiosk-1", "rating", {"score": 5, "age_ms": 0}),
    ("rate-1", "ticket", {"service": "A"}),
    ("rate-1", "print_failed", {"ticket_id": "x", "reason": "x"}),
    ("kiosk-1", "counter_action", {"action": "next"}),
])
def test_forbidden_event_for_the_devices_role(kiosk_client, engine, device, event, payload):
    if "score" in payload or "service" in payload:
        payload = {"id": uid(), **payload}
    before = engine.dump()
    assert_error(send(kiosk_client(device), event, payload), "forbidden")
    after = engine.dump()
    assert after["tickets"] == before["tickets"] and after["ratings"] == before["ratings"]
    assert after["calls"] == before["calls"]


def test_internal_on_a_storage_failure(kiosk_client, qms, engine):
    kiosk = kiosk_client()
    good_ticket(kiosk)
    qms.store.write(lambda db: db.execute("PRAGMA query_only = ON"))  # from the next batch on
    try:
        ack = send(kiosk, "ticket", {"id": uid(), "service": "A"})
    finally:
        qms.store._writer_db.conn.execute("PRAGMA query_only = OFF")
    assert_error(ack, "internal")
    assert ack["message"] == "Không ghi được dữ liệu; vui lòng thử lại"
    assert len(engine.rows("SELECT id FROM tickets")) == 1
    assert good_ticket(kiosk)["code"] == "A002"  # and the server goes on, without a gap


def test_internal_on_a_bug(kiosk_client, monkeypatch, engine):
    def broken(*a, **kw):
        raise RuntimeError("a bug")

    monkeypatch.setattr(tickets, "issue", broken)
    ack = send(kiosk_client(), "ticket", {"id": uid(), "service": "A"})
    assert ack == {"ok": False, "error": "internal", "message": "Lỗi hệ thống"}  # no details leak out
    monkeypatch.undo()
    assert good_ticket(kiosk_client())["code"] == "A001"


# -- malformed payloads ------------------------------------------------------------------------

U = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
BIG = "x" * 1_000_000
MALFORMED = [
    # ticket
    ("ticket", ()),
    ("ticket", (None,)),
    ("ticket", ("A",)),
    ("ticket", (42,)),
    ("ticket", ([U, "A"],)),
    ("ticket", (True,)),
    ("ticket", (b"\x00\x01binary",)),
    ("ticket", ({"id": U, "service": "A"}, "extra argument")),
    ("ticket", ({},)),
    ("ticket", ({"service": "A"},)),
    ("ticket", ({"id": U},)),
    ("ticket", ({"id": U, "service": None},)),
    ("ticket", ({"id": "not-a-uuid", "service": "A"},)),
    ("ticket", ({"id": 12345, "service": "A"},)),
    ("ticket", ({"id": U, "service": 1},)),
    ("ticket", ({"id": U, "service": ["A"]},)),
    ("ticket", ({"id": U, "service": {"code": "A"}},)),
    ("ticket", ({"id": U, "service": "A", "priority": 1},)),
    ("ticket", ({"id": U, "service": "A", "priority": "yes"},)),
    ("ticket", ({"id": U, "service": BIG},)),
    ("ticket", ({"id": BIG, "service": "A"},)),
    ("ticket", ({"id": U, "service": "A", "extra": 1},)),
    ("ticket", ({"id": U, "service": "A", BIG: 1},)),
    # rating
    ("rating", ({"id": U, "score": 9, "age_ms": 0},)),
    ("rating", ({"id": U, "score": 0, "age_ms": 0},)),
    ("rating", ({"id": U, "score": -1, "age_ms": 0},)),
    ("rating", ({"id": U, "score": True, "age_ms": 0},)),
    ("rating", ({"id": U, "score": 4.5, "age_ms": 0},)),
    ("rating", ({"id": U, "score": 5.0, "age_ms": 0},)),
    ("rating", ({"id": U, "score": "5", "age_ms": 0},)),
    ("rating", ({"id": U, "score": 10**30, "age_ms": 0},)),
    ("rating", ({"id": U, "age_ms": 0},)),
    ("rating", ({"score": 5, "age_ms": 0},)),
    ("rating", ({"id": U, "score": 5, "age_ms": -1},)),
    ("rating", ({"id": U, "score": 5, "age_ms": 1.5},)),
    ("rating", ({"id": U, "score": 5, "age_ms": False},)),
    ("rating", ({"id": U, "score": 5, "age_ms": 31 * 86400 * 1000},)),
    ("rating", ({"id": U, "score": 5, "age_ms": BIG},)),
    ("rating", ({"id": U, "score": 5, "age_ms": 0, "ticket": "A001"},)),
    ("rating", ([5],)),
    ("rating", ("5",)),
    # status
    ("status", ({"printer": "on_fire"},)),
    ("status", ({"printer": 1},)),
    ("status", ({"outbox": -1},)),
    ("status", ({"outbox": "3"},)),
    ("status", ({"uptime_s": 1.5},)),
    ("status", ({"version": BIG},)),
    ("status", ({"printer": "ok", "cpu": 3},)),
    ("status", ("ok",)),
    # print_failed
    ("print_failed", ({},)),
    ("print_failed", ({"ticket_id": 5, "reason": "x"},)),
    ("print_failed", ({"ticket_id": U, "reason": BIG},)),
    ("print_failed", ({"ticket_id": U, "reason": ["x"]},)),
    # counter_action
    ("counter_action", ({},)),
    ("counter_action", ({"action": 1},)),
    ("counter_action", ({"action": "next", "ticket": 5},)),
    ("counter_action", ({"action": "next", "whatever": 5},)),
]


@pytest.mark.parametrize("event,args", MALFORMED, ids=[f"{i}-{e}" for i, (e, _) in enumerate(MALFORMED)])
def test_malformed_payload_gets_bad_request(kiosk_client, engine, event, args):
    device = {"rating": "rate-1", "counter_action": "pad-1"}.get(event, "kiosk-1")
    client = kiosk_client(device)
    before = engine.dump()
    ack = send(client, event, *args)
    assert_error(ack, "bad_request")
    assert len(ack["message"]) < 300  # names what was wrong, never echoes a megabyte back
    assert client.is_connected(NS)
    after = engine.dump()
    for table in ("tickets", "ratings", "calls", "action_requests"):
        assert after[table] == before[table]
    # The server and the connection are still up: a good event works.
    assert good_ticket(kiosk_client())["code"] == "A001"


def test_a_kiosk_connects_while_writes_fail_and_its_presence_is_right_once_they_work(
        kiosk_client, engine, qms):
    """Connecting does not depend on a write: while the disk refuses writes a kiosk still
    connects (its presence write fails), and once writes work again the ticker's sync sets every
    device's presence from the connections held (issue: faults, hole 3)."""
    def online(device):
        settle(qms)
        return engine.rows("SELECT online FROM devices WHERE id = ?", [device])[0]["online"]

    gone = kiosk_client("rate-2")
    assert online("rate-2") == 1
    # The writer's connection refuses every change from here (SQLITE_READONLY, as a disk that
    # has failed or filled up refuses them).
    qms.store._writer_db.conn.execute("PRAGMA query_only = 1")
    with pytest.raises(StorageError):
        engine.issue("A")
    kiosk = kiosk_client("rate-1")
    assert kiosk.is_connected("/kiosk")
    gone.disconnect(namespace="/kiosk")
    deadline = time.monotonic() + 10
    while not qms.presence_stale and time.monotonic() < deadline:
        time.sleep(0.01)
    assert qms.presence_stale, "the failed presence writes were not noticed"
    qms.store._writer_db.conn.execute("PRAGMA query_only = 0")
    qms.sync_presence()
    assert online("rate-1") == 1 and online("rate-2") == 0 and not qms.presence_stale


def test_past_capacity_a_device_write_is_answered_busy_at_once_and_nothing_is_done(tmp_path):
    """The server sheds load: past its capacity (here: any write waiting counts as too many) a
    kiosk's ticket or rating is answered `busy`, nothing is stored, and the outbox sends it again
    later; a status report is not shed."""
    from tests.conftest import app_with_center

    app = app_with_center(tmp_path, busy_write_backlog=-1)
    try:
        center, socketio = app.test_center, app.extensions["socketio"]
        qms = app.extensions["qms"]
        kiosk = socketio.test_client(app, namespace=NS, auth={"device": "kiosk-1", "token": center["devices"]["kiosk-1"]})
        rater = socketio.test_client(app, namespace=NS, auth={"device": "rate-1", "token": center["devices"]["rate-1"]})
        ticket = kiosk.emit("ticket", {"id": uid(), "service": "A"}, namespace=NS, callback=True)
        rating = rater.emit("rating", {"id": uid(), "score": 5}, namespace=NS, callback=True)
        status = kiosk.emit("status", {"printer": "ok"}, namespace=NS, callback=True)
        assert ticket["error"] == "busy" and rating["error"] == "busy" and status["ok"] is True
        db = qms.store.read()
        assert db.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0
        assert qms.load.refused == 2 and app.test_client().get("/healthz").get_json()["busy_refused"] == 2
    finally:
        app.extensions["qms"].close()


def test_the_raw_text_of_a_device_write_is_recognised_for_shedding():
    from server.web.kiosk.direct import ack_id_of_write

    assert ack_id_of_write('2/kiosk,17["ticket",{"id":"x"}]') == "17"
    assert ack_id_of_write('2/kiosk,3["rating",{}]') == "3"
    assert ack_id_of_write('2/kiosk,4["status",{}]') is None  # not a write: never shed
    assert ack_id_of_write('2/kiosk,["ticket",{}]') is None  # no ack asked: nothing to answer
    assert ack_id_of_write('2/display,5["snapshot"]') is None
    assert ack_id_of_write(b"\x00") is None


def test_past_capacity_a_real_kiosk_hears_busy_before_any_work_and_stays_connected(tmp_path):
    """Through the real server: the write is answered `busy` from its raw text (server/web/
    kiosk/direct.py), nothing is stored, and the connection goes on (a status is still taken)."""
    import socketio as sio_client

    from tests.conftest import LiveServer

    live = LiveServer(tmp_path, busy_write_backlog=-1).start()
    try:
        client = sio_client.Client(reconnection=False)
        client.connect(live.url, namespaces=[NS], transports=["websocket"], wait_timeout=10,
                       auth={"device": "kiosk-1", "token": live.token("kiosk-1")})
        answers = [client.call("ticket", {"id": uid(), "service": "A"}, namespace=NS, timeout=10) for _ in range(20)]
        assert all(a["error"] == "busy" for a in answers)
        assert client.call("status", {"printer": "ok"}, namespace=NS, timeout=10)["ok"] is True
        assert client.connected
        assert live.store.read().execute("SELECT count(*) FROM tickets").fetchone()[0] == 0
        assert live.qms.load.refused >= 20
        client.disconnect()
    finally:
        live.stop()
