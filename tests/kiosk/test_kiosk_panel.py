"""Buttons on gpiozero mock pins: a press is queued once; chatter and held buttons are locked out."""

from __future__ import annotations

import queue

import pytest

from kiosk.panel import PRIORITY, RATING, TICKET, Lockout, Panel
from tests.kiosk.kiosk_helpers import make_config, press


def drain(q: queue.Queue) -> list:
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except queue.Empty:
            return items


@pytest.fixture
def queues():
    q = {TICKET: queue.Queue(), RATING: queue.Queue(), "counter": queue.Queue()}
    q[PRIORITY] = q[TICKET]
    return q


def test_lockout_unit():
    lockout = Lockout(1.5)
    assert lockout.accept(10.0)
    assert not lockout.accept(10.1)
    assert not lockout.accept(11.49)
    assert lockout.accept(11.5)
    assert not lockout.accept(12.0)


def test_zero_lockout_accepts_everything():
    lockout = Lockout(0)
    assert all(lockout.accept(5.0) for _ in range(3))


def test_a_press_is_queued_with_its_button_and_stamp(tmp_path, pin_factory, fake_clock, queues):
    config = make_config(tmp_path)
    panel = Panel(config, pin_factory, fake_clock, queues)
    try:
        press(pin_factory, config.ticket.buttons[1].pin)
        [item] = drain(queues[TICKET])
        assert item.kind == TICKET and item.button.service == "B"
        assert item.stamp.mono == 1000.0 and item.stamp.boot_id == "boot-1"
    finally:
        panel.close()


def test_chattering_button_gives_one_ticket(tmp_path, pin_factory, fake_clock, fake_time, queues):
    config = make_config(tmp_path)
    panel = Panel(config, pin_factory, fake_clock, queues)
    try:
        pin = config.ticket.buttons[0].pin
        for _ in range(10):  # contact bounce: ten edges within a few milliseconds
            press(pin_factory, pin)
            fake_time.advance(0.003)
        press(pin_factory, config.ticket.buttons[1].pin)  # another ticket button: same group, locked too
        assert len(drain(queues[TICKET])) == 1
        fake_time.advance(1.5)
        press(pin_factory, pin)
        assert len(drain(queues[TICKET])) == 1
    finally:
        panel.close()


def test_held_button_gives_one_press(tmp_path, pin_factory, fake_clock, fake_time, queues):
    config = make_config(tmp_path)
    panel = Panel(config, pin_factory, fake_clock, queues)
    try:
        pin = pin_factory.pin(config.ticket.buttons[0].pin)
        pin.drive_low()
        fake_time.advance(30)  # held down for half a minute: no new edge, no new press
        pin.drive_high()
        assert len(drain(queues[TICKET])) == 1
    finally:
        panel.close()


def test_rating_lockout_is_three_seconds_by_default(tmp_path, pin_factory, fake_clock, fake_time, queues):
    config = make_config(tmp_path, roles=("rating",))
    assert config.rating.lockout_s == 3.0
    panel = Panel(config, pin_factory, fake_clock, queues)
    try:
        five, four = config.rating.buttons[0].pin, config.rating.buttons[1].pin
        press(pin_factory, five)
        fake_time.advance(1.0)
        press(pin_factory, four)  # a second opinion within 3 s is the same citizen changing mind: ignored
        fake_time.advance(1.9)
        press(pin_factory, five)
        assert [p.button.score for p in drain(queues[RATING])] == [5]
        fake_time.advance(0.2)
        press(pin_factory, four)
        assert [p.button.score for p in drain(queues[RATING])] == [4]
    finally:
        panel.close()


def test_priority_button_has_its_own_group(tmp_path, pin_factory, fake_clock, queues):
    config = make_config(tmp_path)
    panel = Panel(config, pin_factory, fake_clock, queues)
    try:
        press(pin_factory, config.ticket.priority.pin)
        press(pin_factory, config.ticket.buttons[0].pin)
        assert [p.kind for p in drain(queues[TICKET])] == [PRIORITY, TICKET]
    finally:
        panel.close()


def test_configured_lockout_is_used(tmp_path, pin_factory, fake_clock, fake_time, queues):
    config = make_config(tmp_path, replace={"lockout_s = 1.5": "lockout_s = 0.2"})
    panel = Panel(config, pin_factory, fake_clock, queues)
    try:
        pin = config.ticket.buttons[0].pin
        press(pin_factory, pin)
        fake_time.advance(0.2)
        press(pin_factory, pin)
        assert len(drain(queues[TICKET])) == 2
    finally:
        panel.close()


def test_pins_are_released_on_close(tmp_path, pin_factory, fake_clock, queues):
    config = make_config(tmp_path)
    Panel(config, pin_factory, fake_clock, queues).close()
    panel = Panel(config, pin_factory, fake_clock, queues)  # would raise GPIOPinInUse if still held
    panel.close()


def test_building_on_a_busy_pin_releases_the_others(tmp_path, pin_factory, fake_clock, queues):
    from gpiozero import LED
    from gpiozero.exc import GPIOPinInUse

    config = make_config(tmp_path)
    blocker = LED(config.ticket.priority.pin, pin_factory=pin_factory)
    with pytest.raises(GPIOPinInUse):
        Panel(config, pin_factory, fake_clock, queues)
    blocker.close()
    Panel(config, pin_factory, fake_clock, queues).close()
