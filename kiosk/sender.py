"""The one thread that empties the outbox: oldest event first, acknowledged, retried with back-off.

A row leaves the outbox only on `{"ok": true}` (sent) or on a permanent refusal such as
`bad_request` (moved to the dead-letter table and logged). Resending after a lost acknowledgement
is harmless: the event's id is the server's idempotency key.

A rating's press time is the server's `now - age_ms`, so a copy that spent long in transit is
stamped late by that time. A rating acknowledged slowly (more than `FRESH_S` from send to answer,
which bounds its transit) is therefore sent again, up to `REFRESH_MAX` times, until one copy goes
and comes back quickly: the server keeps the earliest estimate of every copy (issue 11, hole 2).
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from . import protocol
from .clock import AGE_MONOTONIC, Clock
from .link import Link, LinkDown, NoAnswer
from .outbox import Entry, Outbox

log = logging.getLogger("kiosk.sender")

# A rating answered within FRESH_S went up within it, so its stamp is late by less than that: good
# to the second promised. Not lower: under load every slow answer costs another copy.
FRESH_S = 0.8
REFRESH_MAX = 3  # a link or a server that is always slow still empties the outbox


class Sender:
    """Sends outbox rows in order over `link`; run `run()` on its own thread."""

    def __init__(
        self,
        outbox: Outbox,
        link: Link,
        clock: Clock,
        *,
        timeout_s: float,
        backoff_min_s: float = 0.5,
        backoff_max_s: float = 30.0,
        on_change: Callable[[], None] | None = None,
        after_answer: Callable[[Entry, object], None] | None = None,
    ):
        self.outbox = outbox
        self.link = link
        self.clock = clock
        self.timeout_s = timeout_s
        self.backoff = (backoff_min_s, backoff_max_s)
        self.on_change = on_change or (lambda: None)
        # Test hook: runs after the server answered and before the row is removed.
        self.after_answer = after_answer or (lambda entry, answer: None)
        self._work = threading.Event()  # a row was added
        self._retry_now = threading.Event()  # the link came up: cut a back-off short
        self._stop = threading.Event()
        self._refreshes: dict[int, int] = {}  # outbox seq -> copies resent for a better stamp

    def wake(self) -> None:
        """A row was added."""
        self._work.set()

    def link_up(self) -> None:
        """The connection came back: retry at once."""
        self._retry_now.set()
        self._work.set()

    def stop(self) -> None:
        self._stop.set()
        self._work.set()
        self._retry_now.set()

    def _pause(self, seconds: float) -> None:
        self._retry_now.clear()
        self._retry_now.wait(seconds)

    def payload(self, entry: Entry) -> dict:
        """What goes on the wire: the stored payload, plus `age_ms` for a rating."""
        data = dict(entry.payload)
        if entry.event == protocol.RATING:
            if entry.stamp is None:
                data["age_ms"] = 0
            else:
                age, method = self.clock.age_ms(entry.stamp)
                data["age_ms"] = age
                if method != AGE_MONOTONIC:
                    log.info("rating %s pressed before this boot: age_ms=%d from %s clock", entry.key, age, method)
        return data

    def send_one(self) -> bool | None:
        """Try the oldest row once: True sent or buried, False failed (back off), None nothing to do."""
        entry = self.outbox.peek()
        if entry is None:
            return None
        sent_at = self.clock.monotonic()
        try:
            answer = self.link.call(entry.event, self.payload(entry), timeout=self.timeout_s)
        except (LinkDown, NoAnswer) as exc:
            self.outbox.note_failure(entry.seq, str(exc))
            log.debug("%s %s not sent: %s", entry.event, entry.key, exc)
            return False
        self.after_answer(entry, answer)
        if protocol.is_ok(answer):
            if self._stale(entry, self.clock.monotonic() - sent_at):
                return True  # kept: sent again at once
            self.outbox.remove(entry.seq)
            log.debug("%s %s acknowledged: %r", entry.event, entry.key, answer)
            self.on_change()
            return True
        code, message = protocol.error_of(answer)
        if code in protocol.PERMANENT_ERRORS:
            self.outbox.bury(entry.seq, code, message)
            log.error(
                "server refused %s %s for good (%s: %s); moved to the dead-letter table of %s",
                entry.event, entry.key, code, message, self.outbox.path,
            )
            self.on_change()
            return True
        self.outbox.note_failure(entry.seq, f"{code}: {message}")
        log.warning("server could not take %s %s (%s: %s); will retry", entry.event, entry.key, code, message)
        return False

    def _stale(self, entry: Entry, round_trip_s: float) -> bool:
        """True when `entry`, acknowledged after `round_trip_s`, should be sent again: a rating
        whose copy may have been stamped late, and resent fewer than REFRESH_MAX times."""
        done = self._refreshes.pop(entry.seq, 0)
        if entry.event != protocol.RATING or round_trip_s <= FRESH_S or done >= REFRESH_MAX:
            return False
        self._refreshes[entry.seq] = done + 1
        log.info("rating %s acknowledged after %.1f s: sent again so the server can correct its time",
                 entry.key, round_trip_s)
        return True

    def run(self) -> None:
        delay = self.backoff[0]
        while not self._stop.is_set():
            self._work.clear()
            if not self.link.connected:
                if self.outbox.peek() is None:
                    self._work.wait()
                else:
                    self._retry_now.clear()
                    if not self.link.connected:
                        self._retry_now.wait(delay)
                continue
            try:
                result = self.send_one()
            except Exception:  # noqa: BLE001 - e.g. disk full: log, wait, try again; never die
                log.exception("outbox sender failed; retrying")
                result = False
            if result is None:
                self._work.wait()
            elif result:
                delay = self.backoff[0]
            else:
                self._pause(delay)
                delay = min(delay * 2, self.backoff[1])
