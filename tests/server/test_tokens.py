"""Device and API tokens: revoke, rotate, expiry (engine, CLI and over HTTP), a revoked device's
open connection cut on the real server, and the client address read through a reverse proxy."""

from __future__ import annotations

import re
import threading
import time

import pytest
import socketio as socketio_client
from click.testing import CliRunner

from server.__main__ import cli
from server.engine import admin
from tests.conftest import app_with_center

DAY = 86400


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def issue(client, token):
    return client.post("/api/tickets", json={"service": "A"}, headers=bearer(token))


def test_api_token_revoke_rotate_and_expiry(client, center, qms, clock, engine):
    old = center["users"]["officer1"]["api_token"]
    assert client.get("/api/counters/1", headers=bearer(old)).status_code == 200
    new = qms.write(admin.rotate_token, username="officer1", expires_days=2)
    assert new["expires_at"] == pytest.approx(clock.t + 2 * DAY)
    assert client.post("/api/counters/1/pause", headers=bearer(old)).status_code == 401
    assert client.post("/api/counters/1/pause", headers=bearer(new["api_token"])).status_code == 200
    clock.advance(2 * DAY)
    assert client.post("/api/counters/1/resume", headers=bearer(new["api_token"])).status_code == 401
    again = qms.write(admin.rotate_token, username="officer1")  # no term: never expires
    clock.advance(3650 * DAY)
    assert client.post("/api/counters/1/resume", headers=bearer(again["api_token"])).status_code == 200
    qms.write(admin.revoke_token, username="officer1")
    assert client.post("/api/counters/1/pause", headers=bearer(again["api_token"])).status_code == 401
    actions = [r["action"] for r in engine.rows("SELECT action FROM audit WHERE subject = 'officer1'")]
    assert actions.count("user.token_rotate") == 2 and "user.token_revoke" in actions


def test_device_token_expiry_over_http(client, qms, clock):
    made = qms.write(admin.add_device, device_id="kiosk-7", roles=["ticket"], expires_days=0.5)
    assert issue(client, made["token"]).status_code == 201
    clock.advance(DAY / 2)
    assert issue(client, made["token"]).status_code == 401


@pytest.mark.parametrize("days", [0, -1, True, "7"])
def test_a_term_must_be_a_positive_number_of_days(qms, days):
    from server.errors import BadRequest

    with pytest.raises(BadRequest):
        qms.write(admin.rotate_device, device_id="kiosk-1", expires_days=days)


def test_unknown_device_or_user_is_named(qms):
    from server.errors import NotFound

    for fn, args in ((admin.revoke_device, {"device_id": "nope"}), (admin.rotate_device, {"device_id": "nope"}),
                     (admin.revoke_token, {"username": "nope"}), (admin.rotate_token, {"username": "nope"})):
        with pytest.raises(NotFound):
            qms.write(fn, **args)


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_token_commands(tmp_path):
    app = app_with_center(tmp_path)
    instance, client = app.instance_path, app.test_client()
    center = app.test_center
    try:
        out = run("rotate-device", "--instance", instance, "kiosk-1", "--expires-days", "30").output
        token = re.fullmatch(r"device kiosk-1 token (\S+) expires \d{4}-\d\d-\d\d \d\d:\d\d UTC\n", out).group(1)
        assert issue(client, center["devices"]["kiosk-1"]).status_code == 401
        assert issue(client, token).status_code == 201
        assert run("revoke-device", "--instance", instance, "kiosk-1").output == "device kiosk-1 revoked\n"
        assert issue(client, token).status_code == 401

        out = run("rotate-token", "--instance", instance, "officer2").output
        api = re.fullmatch(r"user officer2 api_token (\S+)\n", out).group(1)
        assert client.get("/api/counters/2", headers=bearer(api)).status_code == 200
        assert client.get("/api/counters/2", headers=bearer(center["users"]["officer2"]["api_token"])).status_code == 401
        assert run("revoke-token", "--instance", instance, "officer2").exit_code == 0
        assert client.get("/api/counters/2", headers=bearer(api)).status_code == 401

        out = run("add-device", "--instance", instance, "kiosk-8", "--role", "ticket", "--expires-days", "1").output
        assert re.fullmatch(r"device kiosk-8 token \S+ expires .+ UTC\n", out)
        out = run("add-user", "--instance", instance, "temp", "--role", "supervisor", "--api-token",
                  "--expires-days", "7").output
        assert "api_token" in out
        row = app.extensions["qms"].store.read().execute(
            "SELECT api_token_expires_at - created_at FROM users WHERE username = 'temp'").fetchone()
        assert row[0] == pytest.approx(7 * DAY, abs=60)

        refused = CliRunner().invoke(cli, ["revoke-device", "--instance", instance, "nope"])
        assert refused.exit_code != 0
        assert CliRunner().invoke(cli, ["rotate-token", "--instance", instance, "officer1", "--expires-days",
                                        "0"]).exit_code != 0
    finally:
        app.extensions["qms"].close()


def test_a_revoked_devices_connection_is_cut_within_a_second(live_server):
    cut = threading.Event()
    client = socketio_client.Client(reconnection=False)
    client.on("disconnect", lambda *a: cut.set(), namespace="/kiosk")
    client.connect(live_server.url, namespaces=["/kiosk"], transports=["websocket"], wait_timeout=10,
                   auth={"device": "rate-2", "token": live_server.token("rate-2")})
    try:
        ack = client.call("rating", {"id": "a1d0b6a2-7c9a-4f0e-9a51-0c1f2e3d4b5a", "score": 5, "age_ms": 0},
                          namespace="/kiosk", timeout=10)
        assert ack["ok"] is True
        start = time.monotonic()
        live_server.qms.write(admin.revoke_device, device_id="rate-2")
        assert cut.wait(1.0), "the revoked device is still connected"
        assert time.monotonic() - start < 1.0
    finally:
        client.disconnect()
    refused = socketio_client.Client(reconnection=False)
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        refused.connect(live_server.url, namespaces=["/kiosk"], transports=["websocket"], wait_timeout=5,
                        auth={"device": "rate-2", "token": live_server.token("rate-2")})


def test_behind_a_proxy_the_clients_address_is_taken_from_x_forwarded_for(tmp_path, clock):
    from tests.console.helpers import csrf_token

    app = app_with_center(tmp_path, CLOCK=clock, proxy_hops=1)
    qms, client = app.extensions["qms"], app.test_client()

    def post(password, desk):
        return client.post("/login", data={"username": "officer1", "password": password,
                                           "csrf_token": csrf_token(client)}, headers={"X-Forwarded-For": desk})

    try:
        # Two desks, both through the proxy on 127.0.0.1: a stranger's guesses from one desk do
        # not hold back the other.
        for _ in range(qms.setting("login_throttle")):
            assert post("guess", "10.0.0.66").status_code == 401
        assert post(app.test_center["users"]["officer1"]["password"], "10.0.0.66").status_code == 429
        assert post(app.test_center["users"]["officer1"]["password"], "10.0.0.11").status_code == 302
        rows = list(qms.store.read().query("SELECT address FROM sessions"))
        assert [r["address"] for r in rows] == ["10.0.0.11"]
    finally:
        qms.close()


@pytest.fixture
def gevent_server(tmp_path):
    """The demo center served as in production (`python -m server run`, gevent), its ticker
    every second."""
    import json
    import subprocess
    import sys

    from tests.server.production import ROOT, Production

    instance, secrets_file = tmp_path / "instance", tmp_path / "secrets.json"
    env = {"QMS_ALERT_CHECK_S": "1"}
    made = subprocess.run([sys.executable, "-m", "server", "demo", "--instance", str(instance), "--json-out",
                           str(secrets_file)], cwd=ROOT, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-2000:]
    server = Production(instance, env=env)
    tokens = {d["id"]: d["token"] for d in json.loads(secrets_file.read_text())["devices"]}
    yield {"url": server.url, "instance": str(instance), "tokens": tokens}
    server.stop()


def test_gevent_server_cuts_a_device_revoked_by_the_command(gevent_server):
    device = next(d for d in gevent_server["tokens"] if d.startswith("rate"))
    cut = threading.Event()
    client = socketio_client.Client(reconnection=False)
    client.on("disconnect", lambda *a: cut.set(), namespace="/kiosk")
    client.connect(gevent_server["url"], namespaces=["/kiosk"], transports=["websocket"], wait_timeout=10,
                   auth={"device": device, "token": gevent_server["tokens"][device]})
    try:
        assert client.call("status", {"printer": "ok"}, namespace="/kiosk", timeout=10)["ok"] is True
        # Another process revokes it: the server's ticker sees the change and cuts the connection.
        assert run("revoke-device", "--instance", gevent_server["instance"], device).exit_code == 0
        assert cut.wait(3.0), "the revoked device is still connected"
    finally:
        client.disconnect()
