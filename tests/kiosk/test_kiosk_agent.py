"""The agent's handling of a ticket press, with the server link stubbed (no network)."""

from __future__ import annotations

import pytest
from escpos.printer import Dummy

from kiosk.agent import Agent
from kiosk.link import LinkDown, NoAnswer
from kiosk.printer import EscposDriver
from tests.kiosk.kiosk_helpers import CUT, RASTER, Factory, make_config


def paper_out():
    class PaperOut(Dummy):
        def _read(self):
            return bytes([0x72])

    return PaperOut


@pytest.fixture
def agent(tmp_path, pin_factory):
    made = []

    def make(printer_class=Dummy, answer=None):
        factory = Factory(printer_class)
        a = Agent(make_config(tmp_path), pin_factory=pin_factory, driver=EscposDriver(factory, 576))
        calls = []

        answers = list(answer) if isinstance(answer, list) else None

        def call(event, data, timeout):
            calls.append((event, data, timeout))
            reply = answers.pop(0) if answers is not None else answer
            if isinstance(reply, Exception):
                raise reply
            return reply

        a.link.call = call
        a.calls, a.factory = calls, factory
        made.append(a)
        return a

    yield make
    for a in made:
        a.stop()


TICKET = {"id": "00000000-0000-0000-0000-000000000001", "code": "A001", "service": "A", "service_name": "Đất đai",
          "issued_at": "2026-03-12T08:15:00+07:00", "waiting_ahead": 0, "eta_minutes": 0, "priority": False,
          "counters": [1], "center_name": "TT", "unit_name": "UBND", "track_url": None, "timezone": "Asia/Ho_Chi_Minh"}


def test_printed(agent):
    a = agent(answer={"ok": True, "ticket": TICKET})
    assert a.issue_ticket("A", True) == "printed"
    [(event, data, timeout)] = a.calls
    assert event == "ticket" and data["service"] == "A" and data["priority"] is True and timeout == 3.0
    out = a.factory.made[-1].output
    assert RASTER in out and CUT in out
    assert a.outbox.depth() == 0


def test_no_answer_prints_nothing_and_withdraws_the_ticket(agent):
    a = agent(answer=NoAnswer("no answer to ticket within 3 s"))
    assert a.issue_ticket("A", False) == "no_server"
    assert all(RASTER not in p.output for p in a.factory.made)
    entry = a.outbox.peek()
    assert entry.event == "print_failed"
    assert entry.payload["ticket_id"] == a.calls[0][1]["id"]  # the request's id is the ticket's id
    assert entry.payload["reason"].startswith("no_answer")
    assert a.status_led.pattern == "error"


def test_not_connected_prints_nothing_and_sends_nothing(agent):
    a = agent(answer=LinkDown("not connected to the server"))
    assert a.issue_ticket("A", False) == "no_server"
    assert a.outbox.depth() == 0
    assert all(RASTER not in p.output for p in a.factory.made)


@pytest.mark.parametrize("code", ["service_closed", "daily_limit", "unknown_service", "internal"])
def test_refused_prints_nothing(agent, code):
    a = agent(answer={"ok": False, "error": code, "message": "..."})
    assert a.issue_ticket("A", False) == "refused"
    assert all(RASTER not in p.output for p in a.factory.made)
    assert a.outbox.depth() == 0


def test_no_paper_no_request(agent):
    a = agent(printer_class=paper_out(), answer={"ok": True, "ticket": TICKET})
    assert a.issue_ticket("A", False) == "printer"
    assert a.calls == []  # the server is not asked for a number that cannot be printed
    assert a.printer.state == "paper_out"


def test_a_ticket_that_cannot_be_drawn_is_withdrawn(agent, monkeypatch):
    import kiosk.ticket_image

    def broken(*args, **kwargs):
        raise KeyError("code")

    monkeypatch.setattr(kiosk.ticket_image, "render_ticket", broken)
    a = agent(answer={"ok": True, "ticket": TICKET})
    assert a.issue_ticket("A", False) == "print_failed"
    assert a.outbox.peek().payload == {"ticket_id": TICKET["id"], "reason": "render_error: KeyError"}


def test_odd_values_in_the_answer_still_print(agent):
    a = agent(answer={"ok": True, "ticket": dict(TICKET, counters={"x": 1}, eta_minutes="?", waiting_ahead=None)})
    assert a.issue_ticket("A", False) == "printed"


def test_status_payload(agent):
    a = agent()
    a.printer.probe()
    payload = a.status_payload()
    assert payload["printer"] == "ok" and payload["outbox"] == 0 and isinstance(payload["uptime_s"], int)
    assert "detail" not in payload


BUSY = {"ok": False, "error": "busy", "message": "Máy chủ đang quá tải"}


def test_a_busy_server_is_asked_again_with_the_same_request(agent):
    a = agent(answer=[BUSY, BUSY, {"ok": True, "ticket": TICKET}])
    assert a.issue_ticket("A", False) == "printed"
    assert [e for e, _d, _t in a.calls] == ["ticket"] * 3
    assert len({d["id"] for _e, d, _t in a.calls}) == 1  # the same id: issued once at most
    assert RASTER in a.factory.made[-1].output


def test_a_server_busy_for_the_whole_timeout_is_a_refusal_and_nothing_prints(agent):
    a = agent(answer=[BUSY] * 50)
    assert a.issue_ticket("A", False) == "refused"
    assert 2 <= len(a.calls) < 50
    assert all(RASTER not in printer.output for printer in a.factory.made)
