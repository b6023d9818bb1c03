"""A person's open console or board is cut within a second when what let him in ends: his
session (logout, an admin, `end-sessions` from another process, its maximum age), his account
(disabled, another role), or his API token (revoked, rotated)."""

from __future__ import annotations

import sqlite3
import time

from server.engine import admin, logins
from tests.console.helpers import sign_in


def until(check, seconds: float = 1.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def console_by_session(app, client, center, username="officer1"):
    assert sign_in(client, center, username).status_code == 302
    c = app.extensions["socketio"].test_client(app, namespace="/counter", flask_test_client=client)
    assert c.is_connected("/counter")
    return c


def test_logout_cuts_the_console_opened_with_that_session(app, client, center):
    console = console_by_session(app, client, center)
    other = app.extensions["socketio"].test_client(app, namespace="/counter",
                                                   auth={"token": center["users"]["officer2"]["api_token"]})
    r = client.post("/logout", data={"csrf_token": __import__("tests.console.helpers", fromlist=["csrf_token"])
                                     .csrf_token(client)})
    assert r.status_code in (302, 303)
    assert until(lambda: not console.is_connected("/counter"))
    assert other.is_connected("/counter")  # another person's console is untouched


def test_sessions_ended_by_another_process_are_cut_at_the_next_look(app, client, center, qms):
    console = console_by_session(app, client, center)
    # `python -m server end-sessions` runs in its own process: straight into the file here.
    conn = sqlite3.connect(qms.store.path)
    with conn:
        conn.execute("UPDATE sessions SET ended_at = 1, ended_reason = 'admin' WHERE ended_at IS NULL")
    conn.close()
    assert console.is_connected("/counter")
    qms.refresh()  # what the ticker does every few seconds
    assert until(lambda: not console.is_connected("/counter"))


def test_a_session_past_its_maximum_age_is_cut(app, client, center, qms, clock):
    console = console_by_session(app, client, center)
    qms.cut_ended_people()
    assert console.is_connected("/counter")  # a young session stays
    clock.advance(float(qms.setting("session_max_hours")) * 3600 + 1)
    qms.cut_ended_people()  # the ticker's round
    assert until(lambda: not console.is_connected("/counter"))


def test_a_revoked_token_or_another_role_cuts_the_board(app, center, qms):
    socketio = app.extensions["socketio"]
    board = socketio.test_client(app, namespace="/board", auth={"token": center["users"]["boss"]["api_token"]})
    console = socketio.test_client(app, namespace="/counter", auth={"token": center["users"]["officer1"]["api_token"]})
    assert board.is_connected("/board") and console.is_connected("/counter")
    qms.write(admin.change_user, username="officer1", role="supervisor", actor="test")
    assert until(lambda: not console.is_connected("/counter"))
    assert board.is_connected("/board")
    qms.write(admin.revoke_token, username="boss", actor="test")
    assert until(lambda: not board.is_connected("/board"))
    again = socketio.test_client(app, namespace="/board", auth={"token": center["users"]["boss"]["api_token"]})
    assert not again.is_connected("/board")


def test_end_user_sessions_cuts_his_consoles(app, client, center, qms):
    console = console_by_session(app, client, center)
    assert qms.write(logins.end_user_sessions, username="officer1", actor="test") == 1
    assert until(lambda: not console.is_connected("/counter"))
