"""LED patterns on mock pins."""

from __future__ import annotations

from gpiozero import LED

from kiosk.leds import Indicator
from tests.kiosk.kiosk_helpers import wait_for


def test_steady_patterns(pin_factory):
    led = LED(4, pin_factory=pin_factory)
    indicator = Indicator(led)
    try:
        assert not led.is_lit
        indicator.set_base("ready")
        assert led.is_lit and indicator.pattern == "ready"
        indicator.set_base("offline")
        assert led.is_active  # blinking: gpiozero reports a blinking LED as active
        assert indicator.pattern == "offline"
    finally:
        indicator.close()


def test_flash_returns_to_the_steady_pattern(pin_factory):
    led = LED(4, pin_factory=pin_factory)
    indicator = Indicator(led)
    try:
        indicator.set_base("ready")
        indicator.flash("error", 0.05)
        assert indicator.pattern == "error"
        indicator.set_base("printer")  # a change during the flash shows after it
        assert indicator.pattern == "error"
        wait_for(lambda: indicator.pattern == "printer", message="back to the steady pattern")
    finally:
        indicator.close()


def test_hold_and_release(pin_factory):
    led = LED(4, pin_factory=pin_factory)
    indicator = Indicator(led)
    try:
        indicator.set_base("ready")
        indicator.hold("busy")
        assert not led.is_lit
        indicator.release()
        assert led.is_lit
    finally:
        indicator.close()


def test_without_a_led_the_pattern_is_still_tracked(caplog):
    caplog.set_level("INFO", logger="kiosk.leds")
    indicator = Indicator(None, "Đèn", announce=True)
    indicator.set_base("offline")
    assert indicator.pattern == "offline"
    assert "mất kết nối" in caplog.text
    indicator.close()
