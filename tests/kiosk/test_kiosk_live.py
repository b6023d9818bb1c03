"""The agent against the real server on loopback (tests/conftest.py `live_server`).

Buttons are gpiozero mock pins, the printer a python-escpos Dummy: a press must become an event
on the server and the right bytes at the printer, and no rating may be lost or doubled.
"""

from __future__ import annotations

import errno
import json

import pytest
import usb.core
from escpos.printer import Dummy

from kiosk import __version__
from kiosk.agent import Agent
from kiosk.printer import EscposDriver
from tests.kiosk.kiosk_helpers import (
    CUT,
    RASTER,
    Factory,
    RecordingDummy,
    make_config,
    press,
    wait_for,
)

FAST = "reconnect_max_s = 0.3"


@pytest.fixture
def start_agent(pin_factory):
    """Start an Agent on the mock pins; every agent is stopped at the end of the test."""
    made = []

    def start(config, **kwargs):
        agent = Agent(config, pin_factory=pin_factory, **kwargs)
        agent.start()
        made.append(agent)
        return agent

    yield start
    for agent in made:
        agent.stop()


def set_setting(live_server, name, value):
    from server.engine import admin

    live_server.app.extensions["qms"].write(admin.set_setting, name=name, value=value)


def rows(live_server, sql, params=()):
    return list(live_server.store.read().query(sql, params))


def ticket_config(tmp_path, live_server, device="kiosk-1", roles=("ticket",), **kwargs):
    return make_config(tmp_path, server=live_server.url, device=device, token=live_server.token(device),
                       roles=roles, server_extra=FAST, **kwargs)


def test_ticket_press_becomes_a_ticket_on_the_server_and_a_raster_at_the_printer(
        tmp_path, live_server, start_agent, pin_factory):
    factory = Factory(RecordingDummy)
    config = ticket_config(tmp_path, live_server)
    agent = start_agent(config, driver=EscposDriver(factory, 576))
    assert agent.link.wait_connected(15)
    wait_for(lambda: agent.status_led.pattern == "ready", message="ready LED")

    press(pin_factory, config.ticket.buttons[0].pin)  # service A
    printer = wait_for(lambda: factory.made and CUT in factory.made[-1].output and factory.made[-1],
                       message="a cut at the printer")
    out = printer.output
    assert out.index(RASTER) < out.index(CUT)
    width_bytes, height = out[out.index(RASTER) + 4], int.from_bytes(out[out.index(RASTER) + 6:out.index(RASTER) + 8], "little")
    assert width_bytes == 72 and height > 100  # 576 dots wide

    [ticket] = rows(live_server, "SELECT * FROM tickets")
    assert ticket["code"] == "A001" and ticket["service"] == "A" and ticket["state"] == "waiting"
    assert ticket["priority"] == 0 and ticket["device_id"] == "kiosk-1"
    wait_for(lambda: agent.status_led.pattern == "ready", message="ready again after printing")


def test_priority_button_then_service(tmp_path, live_server, start_agent, pin_factory):
    factory = Factory(Dummy)
    config = ticket_config(tmp_path, live_server)
    agent = start_agent(config, driver=EscposDriver(factory, 576))
    assert agent.link.wait_connected(15)
    press(pin_factory, config.ticket.priority.pin)
    press(pin_factory, config.ticket.buttons[1].pin)  # service B
    wait_for(lambda: rows(live_server, "SELECT * FROM tickets"), message="ticket on the server")
    [ticket] = rows(live_server, "SELECT * FROM tickets")
    assert ticket["code"] == "B001" and ticket["priority"] == 1


def test_no_server_no_ticket_and_the_error_led(tmp_path, live_server, start_agent, pin_factory):
    factory = Factory(Dummy)
    config = ticket_config(tmp_path, live_server)
    live_server.stop()
    agent = start_agent(config, driver=EscposDriver(factory, 576))
    press(pin_factory, config.ticket.buttons[0].pin)
    wait_for(lambda: agent.status_led.pattern == "error", message="error LED")
    wait_for(lambda: agent.status_led.pattern == "offline", timeout=10, message="back to the offline pattern")
    assert all(RASTER not in p.output for p in factory.made)  # nothing printed
    assert agent.outbox.depth() == 0  # nothing was sent, so nothing to take back


class DiesOnImage(Dummy):
    """Answers probes, then the USB link fails when the picture is sent (cable pulled mid-print)."""

    def _raw(self, msg):
        if msg.startswith(RASTER):
            raise usb.core.USBError("No such device (it may have been disconnected)", errno.ENODEV)
        super()._raw(msg)


def test_print_failure_after_issue_tells_the_server(tmp_path, live_server, start_agent, pin_factory):
    config = ticket_config(tmp_path, live_server)
    agent = start_agent(config, driver=EscposDriver(Factory(DiesOnImage), 576))
    assert agent.link.wait_connected(15)
    press(pin_factory, config.ticket.buttons[0].pin)
    wait_for(lambda: rows(live_server, "SELECT * FROM tickets WHERE state = 'cancelled'"),
             message="ticket cancelled by print_failed")
    [ticket] = rows(live_server, "SELECT * FROM tickets")
    assert "USBError" in ticket["cancel_reason"]
    wait_for(lambda: agent.outbox.depth() == 0, message="print_failed delivered")
    assert agent.printer.state == "offline"
    wait_for(lambda: agent.status_led.pattern == "printer", message="printer-trouble LED")


def test_rating_press_arrives_once(tmp_path, live_server, start_agent, pin_factory):
    config = ticket_config(tmp_path, live_server, device="rate-1", roles=("rating",))
    agent = start_agent(config)
    assert agent.link.wait_connected(15)
    press(pin_factory, config.rating.buttons[1].pin)  # score 4
    wait_for(lambda: rows(live_server, "SELECT * FROM ratings"), message="rating on the server")
    [rating] = rows(live_server, "SELECT * FROM ratings")
    assert rating["score"] == 4 and rating["device_id"] == "rate-1" and rating["counter"] == 1
    wait_for(lambda: agent.outbox.depth() == 0, message="outbox empty")


def test_ratings_pressed_while_the_server_is_down_arrive_exactly_once(tmp_path, live_server, start_agent, pin_factory):
    config = ticket_config(tmp_path, live_server, device="rate-2", roles=("rating",),
                           replace={"lockout_s = 3.0": "lockout_s = 0"})
    set_setting(live_server, "rating_lockout_s", 0)  # the center's setting wins over the file's
    agent = start_agent(config)
    assert agent.link.wait_connected(15)
    press(pin_factory, config.rating.buttons[0].pin)
    wait_for(lambda: rows(live_server, "SELECT * FROM ratings"), message="first rating delivered")

    live_server.stop()
    wait_for(lambda: not agent.link.connected, message="link noticed the server is gone")
    scores = [5, 4, 3, 2, 2, 3, 4]
    by_score = {b.score: b.pin for b in config.rating.buttons}
    for score in scores:
        press(pin_factory, by_score[score])
    wait_for(lambda: agent.outbox.depth() == len(scores), message="presses in the outbox")
    pending = []
    with agent.outbox._lock:
        pending = [k for (k,) in agent.outbox._db.execute("SELECT key FROM outbox ORDER BY seq")]
    assert agent.status_led.pattern == "offline"

    live_server.start()
    wait_for(lambda: agent.outbox.depth() == 0, timeout=30, message="outbox replayed")
    got = rows(live_server, "SELECT id, score FROM ratings WHERE device_id = 'rate-2' ORDER BY received_at, rowid")
    assert len(got) == 1 + len(scores)
    assert [r["id"] for r in got[1:]] == pending
    assert [r["score"] for r in got[1:]] == scores
    assert agent.outbox.dead() == []


def test_a_lost_acknowledgement_is_resent_and_not_doubled(tmp_path, live_server, start_agent, pin_factory):
    lost = []

    def lose_first_ack(entry, answer):
        if not lost:
            lost.append(answer)
            raise ConnectionResetError("ack lost on the way")

    config = ticket_config(tmp_path, live_server, device="rate-3", roles=("rating",))
    agent = start_agent(config, after_answer=lose_first_ack)
    assert agent.link.wait_connected(15)
    press(pin_factory, config.rating.buttons[0].pin)
    wait_for(lambda: lost, message="first answer (then lost)")
    assert lost[0]["ok"] is True
    wait_for(lambda: agent.outbox.depth() == 0, message="delivered after the resend")
    assert len(rows(live_server, "SELECT * FROM ratings WHERE device_id = 'rate-3'")) == 1


def test_status_is_reported(tmp_path, live_server, start_agent):
    config = ticket_config(tmp_path, live_server)
    agent = start_agent(config, driver=EscposDriver(Factory(Dummy), 576))
    assert agent.link.wait_connected(15)

    def last_status():
        [device] = rows(live_server, "SELECT last_status FROM devices WHERE id = 'kiosk-1'")
        return device["last_status"] and json.loads(device["last_status"])

    status = wait_for(last_status, message="status on the server")
    assert status["printer"] == "ok" and status["outbox"] == 0 and status["version"] == __version__
    assert isinstance(status["uptime_s"], int)


def test_refused_token_is_logged_clearly(tmp_path, live_server, start_agent, caplog):
    caplog.set_level("ERROR", logger="kiosk.link")
    config = make_config(tmp_path, server=live_server.url, device="kiosk-1", token="wrong", server_extra=FAST)
    agent = start_agent(config, driver=EscposDriver(Factory(Dummy), 576))
    wait_for(lambda: "REFUSED" in caplog.text, message="refusal logged")
    assert "(unauthorized)" in caplog.text and "'kiosk-1' and its token" in caplog.text
    assert not agent.link.connected
    assert caplog.text.count("REFUSED") == 1  # said once, not at every retry


def test_counter_keypad_calls_the_next_ticket(tmp_path, live_server, start_agent, pin_factory):
    token = live_server.add_device("combo-1", ["ticket", "counter"], counter=1)
    config = make_config(tmp_path, server=live_server.url, device="combo-1", token=token,
                         roles=("ticket", "counter"), server_extra=FAST)
    factory = Factory(Dummy)
    agent = start_agent(config, driver=EscposDriver(factory, 576))
    assert agent.link.wait_connected(15)
    press(pin_factory, config.ticket.buttons[0].pin)
    wait_for(lambda: rows(live_server, "SELECT * FROM tickets"), message="ticket issued")
    wait_for(lambda: agent._ticket_done_at > float("-inf"), message="ticket handled")
    next_pin = {b.action: b.pin for b in config.counter.buttons}["next"]
    press(pin_factory, next_pin)
    wait_for(lambda: rows(live_server, "SELECT * FROM tickets WHERE state = 'called'"), message="ticket called")
    wait_for(lambda: agent.counter_led.pattern == "thanks", message="ok flash")
