"""The outbox sender: removes only on ok, buries permanent refusals, retries the rest."""

from __future__ import annotations

import threading

import pytest

from kiosk.clock import Clock, Stamp
from kiosk.link import LinkDown, NoAnswer
from kiosk.outbox import Outbox
from kiosk.sender import Sender
from tests.kiosk.kiosk_helpers import wait_for


class FakeLink:
    """Answers calls from a script: a dict is returned, an exception raised."""

    def __init__(self, *answers, connected=True):
        self.answers = list(answers)
        self.connected = connected
        self.calls: list[tuple[str, dict]] = []

    def call(self, event, data, timeout):
        self.calls.append((event, data))
        answer = self.answers.pop(0) if self.answers else {"ok": True, "duplicate": False}
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite3")
    yield box
    box.close()


def make_sender(outbox, link, mono=lambda: 105.0):
    clock = Clock(monotonic=mono, wall=lambda: 0.0, boot_id="b", synced=lambda: False, since_boot=lambda: 1.0)
    return Sender(outbox, link, clock, timeout_s=1, backoff_min_s=0.01, backoff_max_s=0.02)


def add_rating(outbox, key="11111111-1111-1111-1111-111111111111", score=5, mono=100.0):
    outbox.add("rating", key, {"id": key, "score": score}, Stamp(mono=mono, boot_id="b", wall=0.0, wall_synced=False))


def test_ok_removes_the_row_and_age_is_computed_at_send_time(outbox):
    add_rating(outbox, mono=100.0)
    link = FakeLink({"ok": True, "duplicate": False})
    assert make_sender(outbox, link, mono=lambda: 102.5).send_one() is True
    assert link.calls == [("rating", {"id": "11111111-1111-1111-1111-111111111111", "score": 5, "age_ms": 2500})]
    assert outbox.depth() == 0


def test_duplicate_answer_also_counts_as_delivered(outbox):
    add_rating(outbox)
    assert make_sender(outbox, FakeLink({"ok": True, "duplicate": True})).send_one() is True
    assert outbox.depth() == 0


def test_bad_request_goes_to_the_dead_letter_table(outbox, caplog):
    add_rating(outbox, score=9)
    add_rating(outbox, key="22222222-2222-2222-2222-222222222222")
    link = FakeLink({"ok": False, "error": "bad_request", "message": "score phải từ 1 đến 5"})
    sender = make_sender(outbox, link)
    assert sender.send_one() is True
    assert [d["error"] for d in outbox.dead()] == ["bad_request"]
    assert "dead-letter" in caplog.text
    assert sender.send_one() is True  # the next row is not blocked behind it
    assert outbox.depth() == 0


@pytest.mark.parametrize("failure", [
    NoAnswer("timeout"), LinkDown("not connected"),
    {"ok": False, "error": "internal", "message": "disk"},
    {"ok": False, "error": "unauthorized", "message": "revoked"},
    None, "garbage",
])
def test_transient_failures_keep_the_row(outbox, failure):
    add_rating(outbox)
    assert make_sender(outbox, FakeLink(failure)).send_one() is False
    assert outbox.depth() == 1 and outbox.dead() == []
    assert outbox.peek().attempts == 1


def test_run_retries_until_delivered_in_order(outbox):
    keys = [f"{i}" * 8 + "-1111-1111-1111-111111111111" for i in range(1, 4)]
    for key in keys:
        add_rating(outbox, key=key)
    link = FakeLink(NoAnswer("t"), {"ok": False, "error": "internal"}, NoAnswer("t"))
    sender = make_sender(outbox, link)
    thread = threading.Thread(target=sender.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: outbox.depth() == 0, message="outbox drained")
    finally:
        sender.stop()
        thread.join(5)
    delivered = [data["id"] for event, data in link.calls[3:]]
    assert delivered == keys


def test_sender_waits_while_the_link_is_down(outbox):
    add_rating(outbox)
    link = FakeLink(connected=False)
    sender = make_sender(outbox, link)
    thread = threading.Thread(target=sender.run, daemon=True)
    thread.start()
    try:
        threading.Event().wait(0.1)
        assert link.calls == []
        link.connected = True
        sender.link_up()
        wait_for(lambda: outbox.depth() == 0, message="sent after link up")
    finally:
        sender.stop()
        thread.join(5)
