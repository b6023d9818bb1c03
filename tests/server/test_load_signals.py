"""When the server calls itself past capacity (`services.Load.behind`): the writer's backlog, how
long the last writes waited for their commit, and the event loop's lateness."""

from __future__ import annotations

import threading
import uuid

from server.engine import tickets
from tests.conftest import app_with_center


def test_the_store_measures_how_long_a_write_waited_for_its_commit(tmp_path):
    app = app_with_center(tmp_path)
    qms = app.extensions["qms"]
    try:
        release = threading.Event()
        # A job that holds the writer: the write queued behind it waits at least as long.
        blocker = qms.store.submit(lambda db: release.wait(10))
        waiting = qms.store.submit(lambda db: "done")
        threading.Timer(0.3, release.set).start()
        assert waiting.result(10) == "done" and blocker.result(10)
        assert qms.store.wait_s >= 0.25
        qms.write(tickets.issue, ticket_id=str(uuid.uuid4()), service="A")  # an unhindered write
        assert qms.store.wait_s < 0.25
    finally:
        qms.close()


def test_busy_while_writes_wait_longer_than_the_setting_and_only_while_some_are_waiting(tmp_path):
    app = app_with_center(tmp_path, busy_write_wait_ms=100)
    qms = app.extensions["qms"]
    try:
        load = qms.load
        assert not load.behind()
        qms.store.wait_s = 0.5  # the last batch's oldest write waited half a second
        assert not load.behind(), "a wait measured earlier says nothing once no write is waiting"
        release = threading.Event()
        held = qms.store.submit(lambda db: release.wait(10))
        try:
            assert qms.store.pending >= 1
            assert load.behind()
            qms.store.wait_s = 0.05
            assert not load.behind()
        finally:
            release.set()
            held.result(10)
    finally:
        qms.close()
