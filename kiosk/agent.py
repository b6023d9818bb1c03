"""The agent: wires buttons, LEDs, printer, outbox and the server link, and handles each press.

Threads: gpiozero's (button callbacks: stamp, lockout, enqueue), one worker per role (ticket,
rating, counter), the outbox sender (sender.py), the status reporter (status.py), and the link
supervisor (link.py).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from pathlib import Path
from typing import Callable

from . import __version__, device_config, protocol
from .clock import Clock
from .config import Config
from .leds import Indicator
from .link import Link, LinkDown, NoAnswer, default_client_factory
from .outbox import Entry, Outbox
from .panel import COUNTER, PRIORITY, RATING, TICKET, Panel, Press
from .printer import (
    NONE,
    OFFLINE,
    PAPER_OUT,
    Driver,
    Printer,
    PrintFailed,
    build_driver,
)
from .sender import Sender
from .status import StatusReporter

log = logging.getLogger("kiosk.agent")

ERROR_FLASH_S = 3.0
THANKS_FLASH_S = 1.5
BUSY_FIRST_PAUSE_S = 0.2  # a ticket request answered busy is sent again after this, doubling
_STOP = object()


class Agent:
    """One kiosk. `start()` returns at once; `stop()` shuts every thread down."""

    def __init__(
        self,
        config: Config,
        *,
        pin_factory,
        driver: Driver | None | str = "config",
        clock: Clock | None = None,
        client_factory: Callable[[], object] = default_client_factory,
        announce_leds: bool = False,
        after_answer: Callable[[Entry, object], None] | None = None,
        on_ticket: Callable[[dict], None] | None = None,
        before_print: Callable[[dict], None] | None = None,
    ):
        self.config = config
        self.clock = clock or Clock()
        self.started_mono = self.clock.monotonic()
        self.roles = set(config.kiosk.roles)
        self.on_ticket = on_ticket or (lambda ticket: None)
        self.before_print = before_print or (lambda ticket: None)  # tests: a kill at the worst moment
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._leds: list[Indicator] = []

        self.outbox = Outbox(Path(config.kiosk.data_dir) / "outbox.sqlite3")
        if driver == "config":
            driver = build_driver(config.printer) if "ticket" in self.roles else None
        self.printer = Printer(driver, on_change=self._printer_changed)
        self.link = Link(
            config.server,
            client_factory=client_factory,
            backoff_max_s=config.server.reconnect_max_s,
            on_change=self._link_changed,
            on_config=self.apply_device_config,
        )
        self.sender = Sender(
            self.outbox,
            self.link,
            self.clock,
            timeout_s=config.server.call_timeout_s,
            on_change=self.status_changed,
            after_answer=after_answer,
        )

        self.status = StatusReporter(
            self.link,
            self.status_payload,
            interval_s=config.kiosk.status_interval_s,
            timeout_s=config.server.call_timeout_s,
            monotonic=self.clock.monotonic,
            probe=self.printer.probe if "ticket" in self.roles else None,
            on_config=self.apply_device_config,
        )

        self.queues: dict[str, queue.Queue] = {TICKET: queue.Queue(), RATING: queue.Queue(), COUNTER: queue.Queue()}
        self.queues[PRIORITY] = self.queues[TICKET]  # same queue: "priority, then service" keeps its order
        self._pin_factory = pin_factory
        self.panel: Panel | None = None
        # The center's settings for the buttons (server's `device_config`), kept across restarts.
        self.device_settings = device_config.load(config.kiosk.data_dir)
        self._priority_until = 0.0
        self._ticket_done_at = float("-inf")

        self.status_led = self._indicator(config.kiosk.status_led, "Đèn trạng thái", announce_leds)
        self.priority_led = None
        if config.ticket and config.ticket.priority:
            self.priority_led = self._indicator(config.ticket.priority.led, "Đèn ưu tiên", announce_leds)
        self.rating_leds: dict[int, Indicator] = {}
        if config.rating:
            shared = self._indicator(config.rating.led, "Đèn đánh giá", announce_leds) if config.rating.led is not None else None
            for b in config.rating.buttons:
                if b.led is not None:
                    self.rating_leds[b.score] = self._indicator(b.led, f"Đèn nút {b.label}", announce_leds)
                elif shared is not None:
                    self.rating_leds[b.score] = shared
                else:
                    self.rating_leds[b.score] = self.status_led
        self.counter_led = None
        if config.counter:
            self.counter_led = (
                self._indicator(config.counter.led, "Đèn bàn phím quầy", announce_leds)
                if config.counter.led is not None
                else self.status_led
            )

    def _indicator(self, pin: int | None, name: str, announce: bool) -> Indicator:
        led = None
        if pin is not None:
            from gpiozero import LED

            led = LED(pin, pin_factory=self._pin_factory)
        indicator = Indicator(led, name, announce=announce)
        self._leds.append(indicator)
        return indicator

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Build the buttons, start every thread and the connection; returns at once."""
        self.resolve_unprinted()
        self._refresh_status_led()
        if "ticket" in self.roles:
            from .ticket_image import (
                render_ticket,  # Pillow and fonts: only for kiosks that print
            )

            render_ticket({"code": "A001"}, width_px=self.config.printer.width_px)  # load before the first press
        self.panel = Panel(self.config, self._pin_factory, self.clock, self.queues)
        self._apply_lockouts(self.device_settings)
        workers = [("kiosk-sender", self.sender.run), ("kiosk-status", self.status.run)]
        if "ticket" in self.roles:
            workers.append(("kiosk-ticket", lambda: self._consume(TICKET, self._handle_ticket_press)))
        if "rating" in self.roles:
            workers.append(("kiosk-rating", lambda: self._consume(RATING, self._handle_rating_press)))
        if "counter" in self.roles:
            workers.append(("kiosk-counter", lambda: self._consume(COUNTER, self._handle_counter_press)))
        for name, target in workers:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.link.start()
        log.info(
            "kiosk %s started: roles %s, server %s, version %s",
            self.config.server.device, ", ".join(self.config.kiosk.roles),
            self.config.server.url or "(found by mDNS)", __version__,
        )

    def stop(self) -> None:
        """Stop threads, close pins, printer, outbox and connection. Pending outbox rows stay on disk."""
        self._stop.set()
        if self.panel:
            self.panel.close()
        for q in {id(q): q for q in self.queues.values()}.values():
            q.put(_STOP)
        self.sender.stop()
        self.status.stop()
        # Disconnect first: calls still waiting for an answer end at once instead of timing out.
        self.link.stop()
        for thread in self._threads:
            thread.join(timeout=10)
        for indicator in self._leds:
            indicator.close()
        self.printer.close()
        self.outbox.close()

    def _consume(self, kind: str, handle: Callable[[Press], None]) -> None:
        q = self.queues[kind]
        while True:
            press = q.get()
            if press is _STOP or self._stop.is_set():
                return
            try:
                handle(press)
            except Exception:  # noqa: BLE001 - one bad press must not kill the worker
                log.exception("error while handling a %s press", press.kind)

    # -- state and LEDs --------------------------------------------------------------------------

    def _link_changed(self, up: bool) -> None:
        if up:
            self.sender.link_up()
        self._refresh_status_led()
        self.status_changed()

    def _printer_changed(self, state: str) -> None:
        self._refresh_status_led()
        self.status_changed()

    def _refresh_status_led(self) -> None:
        if not self.link.connected:
            base = "offline"
        elif "ticket" in self.roles and self.printer.state in (OFFLINE, PAPER_OUT):
            base = "printer"
        else:
            base = "ready"
        self.status_led.set_base(base)

    def status_changed(self) -> None:
        """Ask the status reporter to send a `status` soon."""
        self.status.changed()

    def status_payload(self) -> dict:
        """The `status` event's data now."""
        payload = {
            "printer": self.printer.state if "ticket" in self.roles else NONE,
            "outbox": self.outbox.depth(),
            "version": __version__,
            "uptime_s": int(self.clock.monotonic() - self.started_mono),
        }
        if self.printer.detail:
            payload["detail"] = self.printer.detail[:200]
        return payload

    # -- presses -------------------------------------------------------------------------------

    def _handle_ticket_press(self, press: Press) -> None:
        if press.kind == PRIORITY:
            self._priority_until = press.stamp.mono + press.button.window_s
            if self.priority_led:
                self.priority_led.flash("armed", press.button.window_s)
            log.info("priority armed for %.0f s", press.button.window_s)
            return
        if press.stamp.mono < self._ticket_done_at:
            log.info("press of %s ignored: made while the previous ticket was being handled", press.button.service)
            return
        priority = press.button.priority or press.stamp.mono <= self._priority_until
        self._priority_until = 0.0
        if self.priority_led:
            self.priority_led.hold("dark")
            self.priority_led.release()
        try:
            self.issue_ticket(press.button.service, priority)
        finally:
            self._ticket_done_at = self.clock.monotonic()

    def issue_ticket(self, service: str, priority: bool) -> str:
        """Ask for a ticket and print it. Returns what happened: printed / printer / no_server / refused / print_failed."""
        self.status_led.hold("busy")
        try:
            return self._issue_ticket(service, priority)
        finally:
            self.status_led.release()

    def _issue_ticket(self, service: str, priority: bool) -> str:
        state = self.printer.probe()
        if state in (OFFLINE, PAPER_OUT):
            log.warning("no ticket for %s: printer is %s", service, state)
            self.status_led.flash("error", ERROR_FLASH_S)
            return "printer"
        key = str(uuid.uuid4())
        request = {"id": key, "service": service, "priority": bool(priority)}
        # Durably, before the request leaves: if this process dies before the paper is out, the
        # next start tells the server the ticket was not printed (resolve_unprinted).
        self.outbox.ticket_state(key, "requested")
        try:
            return self._request_and_print(key, request, service, priority)
        finally:
            self.outbox.ticket_state(key, None)

    def _request_and_print(self, key: str, request: dict, service: str, priority: bool) -> str:
        try:
            answer = self._ask_ticket(request)
        except LinkDown as exc:
            log.warning("no ticket for %s: %s", service, exc)
            self.status_led.flash("error", ERROR_FLASH_S)
            return "no_server"
        except NoAnswer as exc:
            # The server may have issued it: say it was not printed so it is never called.
            log.warning("no ticket for %s: %s", service, exc)
            self._report_print_failed(key, f"no_answer: {exc}")
            self.status_led.flash("error", ERROR_FLASH_S)
            return "no_server"
        if not protocol.is_ok(answer) or not isinstance(answer.get("ticket"), dict):
            code, message = protocol.error_of(answer)
            log.warning("server refused a ticket for %s: %s %s", service, code, message)
            self.status_led.flash("error", ERROR_FLASH_S)
            return "refused"
        ticket = answer["ticket"]
        ticket_id = str(ticket.get("id") or key)
        try:
            from .ticket_image import render_ticket

            image = render_ticket(ticket, width_px=self.config.printer.width_px, timezone=self.config.kiosk.timezone)
            self.before_print(ticket)
            # From here the paper may come out: a death now leaves a ticket that is not cancelled.
            self.outbox.ticket_state(key, "printing")
            self.printer.print_image(image, str(ticket.get("code") or "ticket"))
        except PrintFailed as exc:
            log.error("ticket %s issued but not printed: %s", ticket.get("code"), exc.reason)
            self._report_print_failed(ticket_id, exc.reason)
            self.status_led.flash("error", ERROR_FLASH_S)
            return "print_failed"
        except Exception as exc:  # noqa: BLE001 - e.g. a malformed answer the renderer chokes on
            log.exception("ticket %s could not be drawn", ticket.get("code"))
            self._report_print_failed(ticket_id, f"render_error: {type(exc).__name__}")
            self.status_led.flash("error", ERROR_FLASH_S)
            return "print_failed"
        log.info("ticket %s printed (%s%s)", ticket.get("code"), service, ", ưu tiên" if priority else "")
        self.on_ticket(ticket)
        return "printed"

    def resolve_unprinted(self) -> None:
        """Ticket requests that a previous run of the agent left between the request and the
        paper (killed, crashed, power cut). One still 'requested' never reached the printer:
        `print_failed` goes through the outbox, and the server cancels the ticket (or voids the
        request if it is still on its way), so that no number is called that nobody holds. One
        'printing' may be in a citizen's hand: it is left as it is."""
        for key, state in self.outbox.unresolved_tickets():
            if state == "requested":
                log.warning("ticket request %s was never printed (the agent stopped): cancelling it", key)
                self._report_print_failed(key, "kiosk_restarted: not printed")
            else:
                log.warning("ticket %s was being printed when the agent stopped: left as it is", key)
            self.outbox.ticket_state(key, None)

    def _ask_ticket(self, request: dict) -> object:
        """The server's answer to a ticket request. A server past its capacity answers `busy` at
        once, having done nothing: the citizen is at the kiosk, so the same request (same id) is
        sent again after a short pause, for as long as the ticket timeout allows."""
        timeout = self.config.server.ticket_timeout_s
        deadline = time.monotonic() + timeout
        pause = BUSY_FIRST_PAUSE_S
        while True:
            answer = self.link.call(protocol.TICKET, request, timeout=timeout)
            if protocol.error_of(answer)[0] != "busy" or protocol.is_ok(answer):
                return answer
            if time.monotonic() + pause >= deadline:
                return answer
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def _report_print_failed(self, ticket_id: str, reason: str) -> None:
        # Through the outbox: the server must learn it even if the link is down right now.
        self.outbox.add(protocol.PRINT_FAILED, f"print_failed:{ticket_id}", {"ticket_id": ticket_id, "reason": reason[:200]})
        self.sender.wake()
        self.status_changed()

    # -- the center's settings -------------------------------------------------------------------

    def apply_device_config(self, payload: object) -> None:
        """The server's `device_config`: apply it now and keep it for the next start."""
        try:
            settings = device_config.parse(payload)
        except ValueError as exc:
            log.warning("device_config from the server ignored: %s", exc)
            return
        if settings == self.device_settings:
            return
        try:
            device_config.save(self.config.kiosk.data_dir, settings)
        except OSError as exc:
            log.warning("device_config applied but not kept for the next start: %s", exc)
        self._apply_lockouts(settings)
        self.device_settings = settings  # last: whoever sees it sees it applied and kept
        if self.config.rating:
            log.info("the center's settings: rating buttons give %s; lockouts %g s (ticket), %g s (rating), "
                     "%g s (keypad)", ", ".join(str(s) for s, _ in self._rating_buttons()) or "nothing",
                     settings.ticket_lockout_s, settings.rating_lockout_s, settings.keypad_lockout_s)

    def _apply_lockouts(self, s: device_config.DeviceSettings | None) -> None:
        if s is None or self.panel is None:
            return
        for kind, seconds in ((TICKET, s.ticket_lockout_s), (RATING, s.rating_lockout_s),
                              (COUNTER, s.keypad_lockout_s), (PRIORITY, min(s.ticket_lockout_s, 1.0))):
            if kind in self.panel.lockouts:
                self.panel.lockouts[kind].seconds = seconds

    def _rating_buttons(self) -> list[tuple[int, object]]:
        """(score it gives, button) for the rating buttons that give one, first button first."""
        buttons = self.config.rating.buttons if self.config.rating else []
        if self.device_settings is None:
            return [(b.score, b) for b in buttons]
        return list(zip(self.device_settings.rating_scores, buttons))

    def rating_score(self, button) -> int | None:
        """The score a rating button gives now: the center's list by position, else the file's."""
        return next((score for score, b in self._rating_buttons() if b is button), None)

    def _handle_rating_press(self, press: Press) -> None:
        score = self.rating_score(press.button)
        if score is None:
            log.warning("rating button on pin %d gives no score: the center set %d scores for this terminal",
                        press.button.pin, len(self.device_settings.rating_scores))
            return
        try:
            self.record_rating(score, press)
        except Exception:  # noqa: BLE001 - e.g. the SD card is full or read-only: say so on the LED
            log.exception("rating %d could not be stored", score)
            self.rating_leds.get(press.button.score, self.status_led).flash("error", ERROR_FLASH_S)

    def record_rating(self, score: int, press: Press | None = None) -> str:
        """Store a rating in the outbox (durably) and wake the sender; returns its id."""
        stamp = press.stamp if press else self.clock.stamp()
        key = str(uuid.uuid4())
        self.outbox.add(protocol.RATING, key, {"id": key, "score": score}, stamp=stamp)
        log.info("rating %d recorded (%s)", score, key)
        self.sender.wake()
        self.status_changed()
        # The LED of the button pressed (keyed by the score its file gives it).
        indicator = self.rating_leds.get(press.button.score if press else score, self.status_led)
        indicator.flash("thanks", THANKS_FLASH_S)
        return key

    def _handle_counter_press(self, press: Press) -> None:
        self.counter_action(press.button.action)

    def counter_action(self, action: str) -> object:
        """Send a counter keypad action live (never replayed later); returns the server's answer or None."""
        led = self.counter_led or self.status_led
        request = {"id": str(uuid.uuid4()), "action": action}
        try:
            answer = self.link.call(protocol.COUNTER_ACTION, request, timeout=self.config.server.counter_timeout_s)
        except (LinkDown, NoAnswer) as exc:
            log.warning("counter action %s not done: %s", action, exc)
            led.flash("error", ERROR_FLASH_S)
            return None
        if protocol.is_ok(answer):
            log.info("counter action %s: %s", action, answer)
            led.flash("thanks", THANKS_FLASH_S)
        else:
            log.warning("counter action %s refused: %s", action, protocol.error_of(answer))
            led.flash("error", ERROR_FLASH_S)
        return answer
