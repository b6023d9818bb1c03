"""The push of counted ratings with a dossier code to the province's one-stop software, against a
local fake receiver that fails, times out (stores the rating but answers too late, so it gets it
twice) and is down for a while, across a restart of the server: every rating is delivered, and
the receiver stores each exactly once. Also the outbox's back-off and its queueing rules."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from server.engine import province
from server.push.adapter import JsonAdapter, PushFailed, make
from tests.conftest import LiveServer
from tests.server.conftest import Engine

WAIT_S = 30.0  # generous: a loaded machine is slow, never a failure


class FakeProvince:
    """A receiver as a province would run it: stores a rating once by its id (Idempotency-Key),
    answers 200 again for one it has. `script`: what the first requests get ("fail": 500;
    "slow": stored, answered after the client gave up); `down`: every request gets 503."""

    def __init__(self, script=(), slow_s: float = 1.2):
        self.script, self.slow_s, self.down = list(script), slow_s, False
        self.stored: dict[str, dict] = {}
        self.stored_count: dict[str, int] = {}
        self.received: list[str] = []
        self.refused = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key")
                with receiver.lock:
                    receiver.received.append(key)
                    step = receiver.script.pop(0) if receiver.script else ("down" if receiver.down else "ok")
                    if step in ("fail", "down"):
                        receiver.refused += 1
                    elif step == "conflict":
                        pass
                    elif key not in receiver.stored:
                        receiver.stored[key] = body
                        receiver.stored_count[key] = receiver.stored_count.get(key, 0) + 1
                if step in ("fail", "down"):
                    return self._answer(500 if step == "fail" else 503, {"ok": False})
                if step == "conflict":
                    return self._answer(409, {"ok": False, "error": "already stored"})
                if step == "slow":
                    time.sleep(receiver.slow_s)  # the client has given up by now
                self._answer(200, {"ok": True, "id": key})

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client hung up (it timed out)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ratings"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wait_for(what, condition):
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def served_and_rated(engine: Engine, dossier: str | None, score: int = 5) -> str:
    engine.issue("A")
    engine.act(1, "next")
    engine.act(1, "finish", dossier_code=dossier)
    ack = engine.rate(1, score)
    assert ack["status"] == "counted"
    return engine.rows("SELECT id FROM ratings ORDER BY received_at DESC, rowid DESC LIMIT 1")[0]["id"]


@pytest.fixture
def receiver():
    r = FakeProvince(script=["fail", "slow"])
    yield r
    r.close()


def test_every_rating_reaches_the_province_exactly_once(tmp_path, receiver):
    config = dict(province_push_url=receiver.url, province_push_interval_s=0.1, province_push_timeout_s=0.4)
    srv = LiveServer(tmp_path, **config).start()
    try:
        engine = Engine(srv.qms, None)
        expected = [served_and_rated(engine, f"HS-{i:04d}", 5 - i % 3) for i in range(3)]
        not_pushed = served_and_rated(engine, None)  # no dossier code: nothing to tie it to upward
        wait_for("the first ratings delivered", lambda: len(receiver.stored) >= 2)

        receiver.down = True  # the province's server goes down...
        refused = receiver.refused
        expected += [served_and_rated(engine, f"HS-{i:04d}") for i in range(3, 5)]
        wait_for("a refused try", lambda: receiver.refused > refused)
    finally:
        srv.stop()  # ... and ours restarts while ratings wait in the outbox
    receiver.down = False
    srv.start()
    try:
        engine = Engine(srv.qms, None)
        expected.append(served_and_rated(engine, "HS-0005", 4))
        db = srv.store.read
        wait_for("every rating delivered", lambda: db().execute(
            "SELECT count(*) FROM province_outbox WHERE delivered_at IS NOT NULL").fetchone()[0] == len(expected))
        assert set(receiver.stored) == set(expected) and not_pushed not in receiver.received
        assert all(n == 1 for n in receiver.stored_count.values())                # stored exactly once
        assert len(receiver.received) > len(expected)                              # there were retries
        assert any(receiver.received.count(k) >= 2 for k in expected)              # one arrived twice
        assert all(body["rating_id"] == key for key, body in receiver.stored.items())
        first = receiver.stored[expected[0]]
        assert first["dossier_code"] == "HS-0000" and first["score"] == 5 and first["level3"] == "Rất hài lòng"
        assert first["officer"] == "Cán bộ 1" and first["counter"] == 1 and first["service"] == "A"
        assert first["time"].endswith("+07:00") and first["center"]
        state = province.state(db())
        assert state["delivered"] == len(expected) and state["queued"] == len(expected)
    finally:
        srv.stop()


def test_back_off_doubles_up_to_an_hour(qms, clock):
    def setup(db, cfg, now):
        db.execute("""INSERT INTO tickets (id, day, origin_service, service, seq, code, state, issued_at, dossier_code)
                      VALUES ('t1', ?, 'A', 'A', 1, 'A001', 'done', ?, 'HS-1')""", [cfg.day(now), now])
        db.execute("""INSERT INTO ratings (id, device_id, counter, ticket_id, officer_id, score, pressed_at,
                      received_at, day, status, rule) VALUES ('r1', 'rate-1', 1, 't1', NULL, 5, ?, ?, ?, 'counted', 'finished')""",
                   [now, now, cfg.day(now)])
        db.execute("""INSERT INTO ratings (id, device_id, counter, ticket_id, officer_id, score, pressed_at,
                      received_at, day, status, rule) VALUES ('r2', 'rate-1', 1, 't1', NULL, 4, ?, ?, ?, 'duplicate', 'finished')""",
                   [now, now, cfg.day(now)])

    qms.write(setup)
    assert qms.write(province.enqueue) == 1 and qms.write(province.enqueue) == 0  # once; the duplicate never
    gaps = []
    for _ in range(12):
        at = qms.write(province.failed, rating_id="r1", error="HTTP 500", base_s=5.0)
        gaps.append(round(at - qms.now()))
    assert gaps[:5] == [5, 10, 20, 40, 80] and gaps[-1] == 3600
    assert province.due(qms.store.read(), qms.now()) == []
    assert province.due(qms.store.read(), qms.now() + 3601) == ["r1"]
    qms.write(province.delivered, rating_id="r1", answer="200")
    assert province.due(qms.store.read(), qms.now() + 99999) == []


def test_the_adapter_treats_409_as_delivered_and_names_failures(receiver):
    receiver.script = ["conflict"]
    sender = make("json", receiver.url, timeout=2)
    assert sender.send({"rating_id": "x0", "score": 5}).startswith("409")  # it had it already
    assert sender.send({"rating_id": "x1", "score": 5}).startswith("200")
    receiver.down = True
    with pytest.raises(PushFailed, match="503"):
        sender.send({"rating_id": "x2", "score": 5})
    with pytest.raises(PushFailed, match="ConnectionError"):
        JsonAdapter("http://127.0.0.1:9/nothing", timeout=1).send({"rating_id": "x3"})


class Mapped(JsonAdapter):
    """What a province integrator writes: only the mapping."""

    def body(self, record: dict) -> dict:
        return {"MaHoSo": record["dossier_code"], "MucDo": record["level3"], "Id": record["rating_id"]}


def test_a_provinces_own_mapping(receiver):
    receiver.script = []
    sender = make(f"{__name__}:Mapped", receiver.url, timeout=2)
    sender.send({"rating_id": "y1", "dossier_code": "HS-9", "level3": "Hài lòng"})
    assert receiver.stored["y1"] == {"MaHoSo": "HS-9", "MucDo": "Hài lòng", "Id": "y1"}
