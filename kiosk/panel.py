"""The GPIO buttons: each press is stamped, passed through a lockout and put on a queue.

gpiozero calls `when_pressed` on its own threads; those callbacks only record the press and
return. The lockout is the kiosk's own (mock pins do not simulate `bounce_time`): after an
accepted press, the buttons of the same group ignore presses for `lockout_s`, so a button held
down or chattering gives one ticket or one rating.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable

from .clock import Clock, Stamp
from .config import Config

log = logging.getLogger("kiosk.panel")

# Press kinds, and the queue each goes to.
TICKET, PRIORITY, RATING, COUNTER = "ticket", "priority", "rating", "counter"


@dataclass(frozen=True)
class Press:
    """One accepted button press."""

    kind: str
    button: Any  # the TicketButton / PriorityButton / RatingButton / CounterButton of the config
    stamp: Stamp


class Lockout:
    """Accepts a press unless this group accepted one less than `seconds` ago (thread-safe)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._last: float | None = None
        self._lock = threading.Lock()

    def accept(self, now: float) -> bool:
        with self._lock:
            if self._last is not None and 0 <= now - self._last < self.seconds:
                return False
            self._last = now
            return True


def make_pin_factory(simulate: bool = False):
    """The gpiozero pin factory: mock pins when simulating, else GPIOZERO_PIN_FACTORY or gpiozero's default."""
    from gpiozero import Device

    if simulate:
        from gpiozero.pins.mock import MockFactory

        return MockFactory()
    if Device.pin_factory is not None:
        return Device.pin_factory
    # Honours GPIOZERO_PIN_FACTORY (lgpio on a Pi, mock in tests) and falls back the way gpiozero
    # documents; unlike Device.ensure_pin_factory() it leaves gpiozero's global alone.
    return Device._default_pin_factory()


class Panel:
    """The kiosk's buttons, built on an explicit pin factory; presses go to `queues[kind]`."""

    def __init__(self, config: Config, pin_factory, clock: Clock, queues: dict[str, queue.Queue]):
        from gpiozero import Button

        self.clock = clock
        self.queues = queues
        self.buttons: list = []
        self.pins: dict[tuple[str, Any], int] = {}
        pull_up = config.kiosk.button_pull_up
        self.lockouts: dict[str, Lockout] = {}

        def add(kind: str, item, lockout: Lockout) -> None:
            button = Button(item.pin, pull_up=pull_up, pin_factory=pin_factory)
            button.when_pressed = self._callback(kind, item, lockout)
            self.buttons.append(button)
            self.pins[(kind, item)] = item.pin

        try:
            if config.ticket:
                self.lockouts[TICKET] = Lockout(config.ticket.lockout_s)
                for item in config.ticket.buttons:
                    add(TICKET, item, self.lockouts[TICKET])
                if config.ticket.priority:
                    # Its own group: pressing "priority" then a service button at once is the normal use.
                    self.lockouts[PRIORITY] = Lockout(min(config.ticket.lockout_s, 1.0))
                    add(PRIORITY, config.ticket.priority, self.lockouts[PRIORITY])
            if config.rating:
                self.lockouts[RATING] = Lockout(config.rating.lockout_s)
                for item in config.rating.buttons:
                    add(RATING, item, self.lockouts[RATING])
            if config.counter:
                self.lockouts[COUNTER] = Lockout(config.counter.lockout_s)
                for item in config.counter.buttons:
                    add(COUNTER, item, self.lockouts[COUNTER])
        except BaseException:
            self.close()
            raise

    def _callback(self, kind: str, item, lockout: Lockout) -> Callable[[], None]:
        def pressed() -> None:
            stamp = self.clock.stamp()
            if lockout.accept(stamp.mono):
                self.queues[kind].put(Press(kind, item, stamp))
            else:
                log.debug("press of GPIO %s ignored (lockout)", item.pin)

        return pressed

    def close(self) -> None:
        for button in self.buttons:
            button.close()
        self.buttons.clear()
