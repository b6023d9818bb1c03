"""Helpers for the kiosk tests: mock presses, waiting, a fake clock, a recording printer, configs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from escpos.printer import Dummy

from kiosk.config import parse_config
from kiosk.demo_config import demo_config_text

RASTER = b"\x1dv0"  # GS v 0: raster bit image
CUT = b"\x1dV"  # GS V: cut


def press(pin_factory, pin: int) -> None:
    """Press and release a pulled-up button on a mock pin."""
    p = pin_factory.pin(pin)
    p.drive_low()
    p.drive_high()


def wait_for(condition, timeout: float = 15.0, message: str = "condition"):
    """Poll `condition` until truthy (returns it) or fail after `timeout` (a deadline, not a speed check)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {message}")
        time.sleep(0.02)


class FakeTime:
    """A settable monotonic clock for lockouts and ages."""

    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class RecordingDummy(Dummy):
    """A python-escpos Dummy that remembers when its first byte arrived."""

    instances: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.first_byte_at = None

    def _raw(self, msg: bytes) -> None:
        if self.first_byte_at is None:
            self.first_byte_at = time.perf_counter()
        super()._raw(msg)


def make_config(tmp_path: Path, *, server: str = "http://127.0.0.1:9", device: str = "kiosk-1",
                token: str = "t", roles=("ticket",), server_extra: str = "", replace: dict | None = None, **kwargs):
    """A parsed demo config with data in tmp_path; `replace` edits the TOML text, `server_extra` adds [server] keys."""
    text = demo_config_text(server=server, device=device, token=token, roles=roles,
                            data_dir=str(tmp_path / "data"), **kwargs)
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    if server_extra:
        text = text.replace("[server]\n", f"[server]\n{server_extra}\n")
    return parse_config(text, file="test.toml", base=tmp_path)


class Factory:
    """Builds printers from a list of classes, one per (re)connection, and keeps them."""

    def __init__(self, *classes):
        self.classes = list(classes)
        self.made: list = []

    def __call__(self):
        cls = self.classes.pop(0) if len(self.classes) > 1 else self.classes[0]
        printer = cls()
        self.made.append(printer)
        return printer
