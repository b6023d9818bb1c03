"""The HTTP API: routes, bearer tokens, and the one JSON error shape on every error path."""

from __future__ import annotations

import uuid

import pytest

from server.engine import tickets
from tests.server.conftest import local_ts


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tok(center):
    """tok('kiosk-1') or tok('officer1'): the Authorization header of a device or user."""
    def make(name):
        if name in center["devices"]:
            return bearer(center["devices"][name])
        return bearer(center["users"][name]["api_token"])
    return make


def assert_error(resp, status, code):
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"ok", "error", "message"}, body
    assert body["ok"] is False and body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body


# -- routes ------------------------------------------------------------------------------------

def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["ok"] is True and body["db"] == "ok" and body["time"].endswith("+07:00")


def test_issue_ticket_with_a_device_bearer(client, tok, engine):
    tid = str(uuid.uuid4())
    resp = client.post("/api/tickets", json={"id": tid, "service": "A", "priority": True}, headers=tok("kiosk-1"))
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["ok"] is True and body["ticket"]["id"] == tid and body["ticket"]["code"] == "A001"
    assert body["ticket"]["priority"] is True
    # Replay: the same ticket, one row.
    again = client.post("/api/tickets", json={"id": tid, "service": "A", "priority": True}, headers=tok("kiosk-1"))
    assert again.get_json() == body
    assert engine.rows("SELECT device_id FROM tickets") == [{"device_id": "kiosk-1"}]


def test_issue_ticket_without_an_id_gets_one(client, tok):
    body = client.post("/api/tickets", json={"service": "B"}, headers=tok("kiosk-1")).get_json()
    assert uuid.UUID(body["ticket"]["id"]) and body["ticket"]["code"] == "B001"


def test_ticket_status_is_public(client, tok, engine, clock):
    first = client.post("/api/tickets", json={"service": "A"}, headers=tok("kiosk-1")).get_json()["ticket"]
    clock.advance(1)
    second = client.post("/api/tickets", json={"service": "A"}, headers=tok("kiosk-1")).get_json()["ticket"]
    body = client.get(f"/api/tickets/{second['id']}").get_json()
    assert body["ok"] is True and body["ticket"]["code"] == "A002" and body["ticket"]["waiting_ahead_now"] == 1
    engine.act(1, "next")
    body = client.get(f"/api/tickets/{first['id']}").get_json()
    assert body["ticket"]["state"] == "called" and body["ticket"]["counter"] == 1
    assert body["ticket"]["waiting_ahead_now"] is None


def test_services(client):
    body = client.get("/api/services").get_json()
    assert body["ok"] is True
    assert [(s["code"], s["name"], s["counters"]) for s in body["services"]] == [
        ("A", "Đất đai", [1, 3]), ("B", "Hộ tịch", [2, 3])]


def test_display(client, engine):
    engine.issue("B")
    engine.act(2, "next")
    body = client.get("/api/display").get_json()
    assert body["ok"] is True
    assert {"center_name", "counters", "services", "recent_calls", "notice"} <= set(body)
    assert next(c for c in body["counters"] if c["number"] == 2)["serving"] == "B001"


def test_counter_actions_by_the_signed_in_officer(client, tok, engine):
    engine.issue("A")
    engine.issue("A")
    h = tok("officer1")
    r = client.post("/api/counters/1/next", headers=h)
    assert r.status_code == 200 and r.get_json()["result"]["ticket"] == "A001"
    assert client.post("/api/counters/1/recall", headers=h).get_json()["result"]["call"]["recall"] is True
    assert client.post("/api/counters/1/serve", headers=h).get_json()["ok"] is True
    assert client.post("/api/counters/1/transfer", json={"service": "B"}, headers=h).get_json()["result"] == {
        "counter": 1, "action": "transfer", "ticket": "A001", "service": "B"}
    assert client.post("/api/counters/1/next", headers=h).get_json()["result"]["ticket"] == "A002"
    assert client.post("/api/counters/1/no-show", headers=h).get_json()["result"]["ticket"] == "A002"
    assert client.post("/api/counters/1/requeue", json={"ticket": "A002"}, headers=h).get_json()["ok"] is True
    assert client.post("/api/counters/1/next", headers=h).get_json()["result"]["ticket"] == "A002"
    assert client.post("/api/counters/1/finish", json={"dossier_code": "H29-0001"}, headers=h).get_json()["ok"]
    assert client.post("/api/counters/1/pause", headers=h).get_json()["ok"] is True
    assert client.post("/api/counters/1/resume", headers=h).get_json()["ok"] is True
    assert engine.ticket("A002")["dossier_code"] == "H29-0001"
    view = client.get("/api/counters/1", headers=h).get_json()
    assert view["ok"] is True and view["counter"]["number"] == 1


def test_counter_action_request_id_is_idempotent(client, tok, engine):
    engine.issue("A")
    engine.issue("A")
    rid = str(uuid.uuid4())
    first = client.post("/api/counters/1/next", json={"id": rid}, headers=tok("officer1")).get_json()
    again = client.post("/api/counters/1/next", json={"id": rid}, headers=tok("officer1")).get_json()
    assert first["result"]["ticket"] == again["result"]["ticket"] == "A001"
    assert again["result"]["replay"] is True
    assert len(engine.rows("SELECT id FROM calls")) == 1


def test_keypad_device_acts_on_its_own_counter(client, tok, engine):
    engine.issue("A")
    assert client.post("/api/counters/1/next", headers=tok("pad-1")).get_json()["result"]["ticket"] == "A001"
    assert_error(client.post("/api/counters/3/next", headers=tok("pad-1")), 403, "forbidden")


def test_sign_in_and_out(client, tok, engine):
    assert client.post("/api/counters/1/sign-out", headers=tok("officer1")).get_json() == {
        "ok": True, "counter": 1, "officer": None}
    assert client.post("/api/counters/1/sign-in", headers=tok("officer4")).get_json() == {
        "ok": True, "counter": 1, "officer": "officer4"}
    assert_error(client.post("/api/counters/1/sign-in", headers=tok("officer1")), 409, "counter_busy")
    # A supervisor may free a counter.
    assert client.post("/api/counters/1/sign-out", headers=tok("boss")).get_json()["officer"] is None


def test_english_messages(client):
    body = assert_error(client.post("/api/tickets?lang=en", json={"service": "A"}), 401, "unauthorized")
    assert body["message"] == "Not signed in or wrong token"


# -- every error path answers in the one shape ---------------------------------------------------

def _closed_service(engine, clock):
    engine.service("H", prefix="H", hours=[{"days": [1], "from": "07:00", "to": "08:00"}])
    clock.t = local_ts(2026, 3, 12, 9, 0)


def _limited_service(engine, clock):
    engine.service("L", prefix="L", daily_limit=1)
    engine.issue("L")


def _one_called(engine, clock):
    engine.issue("A")
    engine.act(1, "next")


def _used_id(engine, clock):
    engine.issue("A", ticket_id="3f0b0a8e-0000-4000-8000-000000000001")


ERRORS = [
    # (id, setup, method, path, auth, body, status, code)
    ("no-auth", None, "post", "/api/tickets", None, {"service": "A"}, 401, "unauthorized"),
    ("wrong-bearer", None, "post", "/api/tickets", "nonsense", {"service": "A"}, 401, "unauthorized"),
    ("huge-bearer", None, "post", "/api/tickets", "x" * 5000, {"service": "A"}, 401, "unauthorized"),
    ("rating-device-issues", None, "post", "/api/tickets", "rate-1", {"service": "A"}, 403, "forbidden"),
    ("officer-issues", None, "post", "/api/tickets", "officer1", {"service": "A"}, 403, "forbidden"),
    ("body-not-json", None, "post", "/api/tickets", "kiosk-1", "service=A", 400, "bad_request"),
    ("body-a-list", None, "post", "/api/tickets", "kiosk-1", ["A"], 400, "bad_request"),
    ("missing-service", None, "post", "/api/tickets", "kiosk-1", {"priority": True}, 400, "bad_request"),
    ("bad-id", None, "post", "/api/tickets", "kiosk-1", {"id": "x", "service": "A"}, 400, "bad_request"),
    ("priority-as-int", None, "post", "/api/tickets", "kiosk-1", {"service": "A", "priority": 1}, 400,
     "bad_request"),
    ("long-service", None, "post", "/api/tickets", "kiosk-1", {"service": "A" * 100_000}, 400, "bad_request"),
    ("extra-field", None, "post", "/api/tickets", "kiosk-1", {"service": "A", "x": 1}, 400, "bad_request"),
    ("unknown-service", None, "post", "/api/tickets", "kiosk-1", {"service": "ZZ"}, 404, "unknown_service"),
    ("closed", _closed_service, "post", "/api/tickets", "kiosk-1", {"service": "H"}, 409, "service_closed"),
    ("daily-limit", _limited_service, "post", "/api/tickets", "kiosk-1", {"service": "L"}, 409, "daily_limit"),
    ("id-conflict", _used_id, "post", "/api/tickets", "kiosk-1",
     {"id": "3f0b0a8e-0000-4000-8000-000000000001", "service": "B"}, 409, "id_conflict"),
    ("unknown-ticket", None, "get", "/api/tickets/nope", None, None, 404, "not_found"),
    ("unknown-route", None, "get", "/api/nothing", None, None, 404, "not_found"),
    ("wrong-method", None, "delete", "/api/tickets", "kiosk-1", None, 405, "bad_request"),
    ("healthz-post", None, "post", "/healthz", None, None, 405, "bad_request"),
    ("unknown-action", None, "post", "/api/counters/1/dance", "officer1", None, 404, "not_found"),
    ("counter-not-a-number", None, "post", "/api/counters/one/next", "officer1", None, 404, "not_found"),
    ("unknown-counter", None, "post", "/api/counters/9/next", "officer1", None, 404, "not_found"),
    ("action-no-auth", None, "post", "/api/counters/1/next", None, None, 401, "unauthorized"),
    ("other-officers-counter", None, "post", "/api/counters/2/next", "officer1", None, 403, "forbidden"),
    ("officer-not-signed-in", None, "post", "/api/counters/1/next", "officer4", None, 403, "forbidden"),
    ("kiosk-acts", None, "post", "/api/counters/1/next", "kiosk-1", None, 403, "forbidden"),
    ("view-other-counter", None, "get", "/api/counters/2", "officer1", None, 403, "forbidden"),
    ("queue-empty", None, "post", "/api/counters/1/next", "officer1", None, 409, "queue_empty"),
    ("no-ticket", None, "post", "/api/counters/1/finish", "officer1", None, 409, "no_ticket"),
    ("ticket-in-hand", _one_called, "post", "/api/counters/1/pause", "officer1", None, 409, "ticket_in_hand"),
    ("not-your-ticket", _one_called, "post", "/api/counters/1/finish", "officer1", {"ticket": "B001"}, 409,
     "not_your_ticket"),
    ("resume-open", None, "post", "/api/counters/1/resume", "officer1", None, 409, "illegal_transition"),
    ("transfer-unknown", _one_called, "post", "/api/counters/1/transfer", "officer1", {"service": "ZZ"}, 404,
     "unknown_service"),
    ("action-bad-body", _one_called, "post", "/api/counters/1/finish", "officer1", {"dossier_code": 5}, 400,
     "bad_request"),
    ("device-signs-in", None, "post", "/api/counters/1/sign-in", "pad-1", None, 403, "forbidden"),
    ("sign-out-other", None, "post", "/api/counters/2/sign-out", "officer1", None, 403, "forbidden"),
    ("sign-in-unknown", None, "post", "/api/counters/9/sign-in", "officer4", None, 404, "unknown_counter"),
]


@pytest.mark.parametrize("setup,method,path,auth,body,status,code", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_error_shape(client, center, engine, clock, setup, method, path, auth, body, status, code):
    if setup:
        setup(engine, clock)
    headers = {}
    if auth in center["devices"]:
        headers = bearer(center["devices"][auth])
    elif auth in center["users"]:
        headers = bearer(center["users"][auth]["api_token"])
    elif auth:
        headers = bearer(auth)
    kwargs = {"headers": headers}
    if isinstance(body, str):
        kwargs.update(data=body, content_type="text/plain")
    elif body is not None:
        kwargs["json"] = body
    before = engine.dump()
    resp = getattr(client, method)(path, **kwargs)
    assert_error(resp, status, code)
    after = engine.dump()
    for table in ("tickets", "ratings", "calls", "counters"):
        assert after[table] == before[table]


def test_session_caller_needs_the_csrf_token(app, client, engine):
    from tests.console.helpers import sign_in

    engine.issue("A")
    assert sign_in(client, app.test_center, "officer1").status_code == 302
    assert_error(client.post("/api/counters/1/next"), 403, "forbidden")
    assert engine.rows("SELECT id FROM calls") == []
    # Reads need no token.
    assert client.get("/api/counters/1").status_code == 200


def test_internal_error_on_a_bug(app, client, tok, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the handler answers

    def broken(*a, **kw):
        raise RuntimeError("a bug")

    monkeypatch.setattr(tickets, "issue", broken)
    body = assert_error(client.post("/api/tickets", json={"service": "A"}, headers=tok("kiosk-1")), 500, "internal")
    assert "bug" not in body["message"]


def test_internal_error_on_a_storage_failure(client, tok, qms, engine):
    qms.store.write(lambda db: db.execute("PRAGMA query_only = ON"))
    try:
        resp = client.post("/api/tickets", json={"service": "A"}, headers=tok("kiosk-1"))
    finally:
        qms.store._writer_db.conn.execute("PRAGMA query_only = OFF")
    assert_error(resp, 503, "internal")
    assert engine.rows("SELECT id FROM tickets") == []
    assert client.post("/api/tickets", json={"service": "A"}, headers=tok("kiosk-1")).status_code == 201
