"""Sign-in sessions the server can end: the cookie's flags, logout, an administrator, idle and
absolute expiry, `last_seen` written at most once a minute, Socket.IO connects of an ended
session refused (docs/security.md, "Sessions")."""

from __future__ import annotations

from click.testing import CliRunner

from server import events
from server.engine import logins

from tests.conftest import app_with_center
from tests.console.helpers import csrf_token, sign_in


def _cookie(response) -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


def _copy_session(src, dst) -> None:
    dst.set_cookie("session", src.get_cookie("session").value)


def _flush(qms) -> None:
    """Wait for the writes handed to the writer without waiting (last_seen, an ended session)."""
    qms.write(lambda db, cfg, now: None)


def _sessions(engine, username: str) -> list[dict]:
    return engine.rows("SELECT s.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = ? "
                       "ORDER BY s.created_at", [username])


def test_the_session_cookie_is_lax_http_only_and_not_secure_by_default(client, center):
    header = _cookie(sign_in(client, center, "officer1"))
    assert "SameSite=Lax" in header and "HttpOnly" in header and "Secure" not in header


def test_session_cookie_secure_setting_marks_the_cookie_secure(tmp_path, clock):
    app = app_with_center(tmp_path, CLOCK=clock, session_cookie_secure=True)
    try:
        client = app.test_client()
        header = _cookie(sign_in(client, app.test_center, "officer1"))
        assert "Secure" in header and "SameSite=Lax" in header
    finally:
        app.extensions["qms"].close()


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, client, center, engine):
    assert sign_in(client, center, "officer1", address="10.0.0.11").status_code == 302
    row = _sessions(engine, "officer1")[-1]
    assert row["address"] == "10.0.0.11" and row["ended_at"] is None
    thief = app.test_client()
    _copy_session(client, thief)
    assert thief.get("/counter").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/counter")})
    assert thief.get("/counter").status_code == 302
    assert thief.post("/api/counters/1/next", headers={"X-CSRFToken": "x"}).status_code == 401
    row = _sessions(engine, "officer1")[-1]
    assert row["ended_at"] is not None and row["ended_reason"] == "logout"


def test_a_session_ends_after_idle_minutes_without_a_request(tmp_path, clock):
    app = app_with_center(tmp_path, CLOCK=clock, session_idle_min=10)
    qms, client = app.extensions["qms"], app.test_client()
    try:
        sign_in(client, app.test_center, "officer2")
        for _ in range(5):  # used in time: still open
            clock.advance(9 * 60)
            assert client.get("/counter").status_code == 200
            _flush(qms)  # its last_seen, written without waiting
        clock.advance(10 * 60 + 1)
        assert client.get("/counter").status_code == 302
        _flush(qms)
        rows = list(qms.store.read().query("SELECT ended_reason FROM sessions"))
        assert [r["ended_reason"] for r in rows] == ["idle"]
    finally:
        qms.close()


def test_a_session_ends_after_its_maximum_hours_however_busy(client, center, clock, qms, engine):
    sign_in(client, center, "officer2")
    for _ in range(int(qms.setting("session_max_hours")) * 2):
        clock.advance(1800)
        assert client.get("/counter").status_code == 200
        _flush(qms)
    clock.advance(60)
    assert client.get("/counter").status_code == 302
    _flush(qms)
    assert _sessions(engine, "officer2")[-1]["ended_reason"] == "expired"


def test_last_seen_is_written_at_most_once_a_minute(client, center, clock, qms, engine, monkeypatch):
    sign_in(client, center, "officer1")
    start = _sessions(engine, "officer1")[-1]["last_seen"]
    touches = []
    real_submit = qms.submit
    monkeypatch.setattr(qms, "submit", lambda fn, **kw: touches.append(fn.__name__) or real_submit(fn, **kw))
    for _ in range(5):
        clock.advance(10)
        assert client.get("/counter").status_code == 200
    assert touches == []
    clock.advance(15)  # 65 s since the last write
    client.get("/counter")
    assert touches == ["touch_session"]
    _flush(qms)
    assert _sessions(engine, "officer1")[-1]["last_seen"] == start + 65


def test_ending_a_users_sessions_signs_out_every_browser(app, center, qms, engine):
    desk, phone, other = app.test_client(), app.test_client(), app.test_client()
    for c in (desk, phone):
        sign_in(c, center, "boss")
    sign_in(other, center, "officer1")
    assert qms.write(logins.end_user_sessions, username="boss", actor="user:admin") == 2
    assert desk.get("/board").status_code == 302 and phone.get("/board").status_code == 302
    assert other.get("/counter").status_code == 200  # someone else's session is untouched
    assert engine.rows("SELECT actor FROM audit WHERE action = 'user.sessions_ended'")[-1]["actor"] == "user:admin"


def test_end_sessions_command(tmp_path):
    from server.__main__ import cli

    app = app_with_center(tmp_path)
    instance = app.instance_path
    client = app.test_client()
    try:
        sign_in(client, app.test_center, "officer3")
        assert client.get("/counter").status_code == 200
        result = CliRunner().invoke(cli, ["end-sessions", "--instance", instance, "officer3"], catch_exceptions=False)
        assert result.exit_code == 0 and "1 session(s) ended" in result.output
        assert client.get("/counter").status_code == 302
        unknown = CliRunner().invoke(cli, ["end-sessions", "--instance", instance, "nobody"])
        assert unknown.exit_code != 0
    finally:
        app.extensions["qms"].close()


def test_a_socket_of_an_ended_session_is_refused_on_connect(app, socketio, client, center):
    # A supervisor: his sign-out frees no counter, so only the ended session refuses the sockets.
    sign_in(client, center, "boss")
    thief = app.test_client()
    _copy_session(client, thief)
    for namespace, auth in ((events.BOARD, None), (events.COUNTER, {"counter": 1})):
        before = socketio.test_client(app, namespace=namespace, auth=auth, flask_test_client=thief)
        assert before.is_connected(namespace), namespace
        before.disconnect(namespace=namespace)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/board")})
    for namespace, auth in ((events.BOARD, None), (events.COUNTER, {"counter": 1})):
        after = socketio.test_client(app, namespace=namespace, auth=auth, flask_test_client=thief)
        assert not after.is_connected(namespace), namespace


def test_a_cookie_without_a_server_session_is_nobody(app, client, engine):
    # A cookie made before sessions were kept on the server (or forged with the key alone).
    with client.session_transaction() as sess:
        sess["_user_id"] = str(engine.user_id("boss"))
        sess["_fresh"] = True
    assert client.get("/board").status_code == 302
