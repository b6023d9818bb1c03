"""LED patterns: a steady pattern that shows the kiosk's state, and short flashes over it.

| pattern   | LED                         | meaning                                          |
|-----------|-----------------------------|--------------------------------------------------|
| ready     | on                          | connected, printer fine: press a button          |
| armed     | on                          | (priority LED) priority chosen for the next press |
| busy      | off                         | working on a press (asking the server, printing) |
| offline   | slow blink, 1 s on / 1 s off| no connection to the server                      |
| printer   | short flash every second    | printer offline or out of paper                  |
| error     | fast blink (0.1 s), 3 s     | no answer or a refusal: nothing was printed      |
| thanks    | three blinks                | rating recorded                                  |
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("kiosk.leds")

PATTERNS: dict[str, tuple] = {
    "ready": ("on",),
    "armed": ("on",),
    "busy": ("off",),
    "dark": ("off",),
    "offline": ("blink", 1.0, 1.0),
    "printer": ("blink", 0.15, 0.85),
    "error": ("blink", 0.1, 0.1),
    "thanks": ("blink", 0.25, 0.25),
}

DESCRIPTIONS = {
    "ready": "sẵn sàng (sáng liên tục)",
    "armed": "ưu tiên đang bật (sáng)",
    "busy": "đang xử lý (tắt)",
    "dark": "tắt",
    "offline": "mất kết nối máy chủ (nháy chậm)",
    "printer": "lỗi máy in / hết giấy (chớp ngắn)",
    "error": "lỗi, không in phiếu (nháy nhanh)",
    "thanks": "đã ghi nhận đánh giá (nháy 3 lần)",
}


class Indicator:
    """One LED (or none: the pattern is still tracked and logged) showing a pattern."""

    def __init__(self, led=None, name: str = "LED", *, announce: bool = False):
        self.led = led
        self.name = name
        self.announce = announce
        self._lock = threading.Lock()
        self._base = "dark"
        self._shown = ""
        self._timer: threading.Timer | None = None
        self._show("dark")

    @property
    def pattern(self) -> str:
        """The pattern on show now."""
        return self._shown

    @property
    def base(self) -> str:
        """The steady pattern shown when no flash is running."""
        return self._base

    def set_base(self, pattern: str) -> None:
        """Change the steady pattern (shown at once unless a flash is running)."""
        with self._lock:
            self._base = pattern
            if self._timer is None:
                self._show(pattern)

    def flash(self, pattern: str, seconds: float) -> None:
        """Show `pattern` for `seconds`, then the steady pattern again."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._show(pattern)
            self._timer = threading.Timer(seconds, self._end_flash)
            self._timer.daemon = True
            self._timer.start()

    def hold(self, pattern: str) -> None:
        """Show `pattern` until the next `set_base`/`release` (e.g. busy while a press is handled)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._show(pattern)

    def release(self) -> None:
        """End a `hold`: back to the steady pattern."""
        with self._lock:
            if self._timer is None:
                self._show(self._base)

    def _end_flash(self) -> None:
        with self._lock:
            self._timer = None
            self._show(self._base)

    def _show(self, pattern: str) -> None:
        if pattern == self._shown:
            return
        self._shown = pattern
        if self.announce and pattern not in ("busy", "dark"):
            log.info("%s: %s", self.name, DESCRIPTIONS.get(pattern, pattern))
        if self.led is None:
            return
        kind, *args = PATTERNS[pattern]
        if kind == "on":
            self.led.on()
        elif kind == "off":
            self.led.off()
        else:
            self.led.blink(on_time=args[0], off_time=args[1], background=True)

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if self.led is not None:
            self.led.close()
