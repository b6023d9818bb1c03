"""The status reporter: `status` to the server every interval, soon after each change, and after
each reconnection; between reports it probes the printer, so paper out or a printer plugged in
again is noticed without a press.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from . import protocol
from .link import Link, LinkDown, NoAnswer

log = logging.getLogger("kiosk.status")

PRINTER_POLL_S = 10.0
MIN_GAP_S = 1.0  # at most one report a second, however often the state changes


class StatusReporter:
    """Run `run()` on its own thread; call `changed()` when something in the payload may differ."""

    def __init__(
        self,
        link: Link,
        payload: Callable[[], dict],
        *,
        interval_s: float,
        timeout_s: float,
        monotonic: Callable[[], float],
        probe: Callable[[], object] | None = None,
        on_config: Callable[[object], None] | None = None,
    ):
        self.link = link
        self.payload = payload
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.monotonic = monotonic
        self.probe = probe
        self.on_config = on_config or (lambda config: None)
        self._due = threading.Event()
        self._stop = threading.Event()

    def changed(self) -> None:
        self._due.set()

    def stop(self) -> None:
        self._stop.set()
        self._due.set()

    def run(self) -> None:
        last_sent: dict | None = None
        last_sent_at = float("-inf")
        last_probe = float("-inf")
        while not self._stop.is_set():
            now = self.monotonic()
            due = False
            try:
                if self.probe is not None and now - last_probe >= PRINTER_POLL_S:
                    last_probe = now
                    self.probe()
                payload = self.payload()
                comparable = {k: v for k, v in payload.items() if k != "uptime_s"}
                due = now - last_sent_at >= self.interval_s or comparable != last_sent
                if due and self.link.connected and now - last_sent_at >= MIN_GAP_S:
                    try:
                        answer = self.link.call(protocol.STATUS, payload, timeout=self.timeout_s)
                        if not protocol.is_ok(answer):
                            log.warning("status refused: %s", protocol.error_of(answer))
                        elif "config" in answer:  # the center's settings for the buttons
                            self.on_config(answer["config"])
                        last_sent, last_sent_at = comparable, now
                    except (LinkDown, NoAnswer) as exc:
                        log.debug("status not sent: %s", exc)
            except Exception:  # noqa: BLE001 - the reporter must outlive any one bad round
                log.exception("status round failed")
            wait = min(PRINTER_POLL_S, self.interval_s)
            if due and now - last_sent_at < MIN_GAP_S:
                wait = MIN_GAP_S  # a change within the gap goes out when the gap is over
            self._due.wait(wait)
            self._due.clear()
            if not self.link.connected:
                last_sent = None  # report afresh on reconnection
