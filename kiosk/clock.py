"""Time stamps of presses and their age at send time, honest across a reboot.

A Pi has no clock battery: after a power cut its wall clock may be wrong until NTP syncs. So a
press records the monotonic clock *and* the boot it belongs to; its age is exact while the Pi has
not rebooted. For a press from an earlier boot (the monotonic clock restarted at zero), the age
comes from the wall clock only if the kernel said that clock was NTP-synchronised both at the press
and now; otherwise the age sent is a lower bound: the time since this boot began (the press
happened before it). See docs/kiosk.md, "Age of a rating".
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")

# How the age of a press was found; stored in logs, and documented in docs/kiosk.md.
AGE_MONOTONIC = "monotonic"
AGE_WALL = "wall"
AGE_LOWER_BOUND = "since_boot"


@dataclass(frozen=True)
class Stamp:
    """When a button was pressed, in every clock that may help later."""

    mono: float
    boot_id: str
    wall: float
    wall_synced: bool


def read_boot_id(path: Path = BOOT_ID_FILE) -> str:
    """The kernel's random id of this boot, or '' where there is none (not Linux)."""
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def wall_clock_synced() -> bool:
    """True when the kernel says the wall clock is NTP-synchronised (adjtimex state is not TIME_ERROR)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        # struct timex is under 256 bytes on every ABI; modes=0 (the first field) only reads.
        buf = ctypes.create_string_buffer(512)
        state = libc.adjtimex(buf)
    except (OSError, AttributeError):
        return False
    return 0 <= state < 5  # TIME_OK .. TIME_WAIT; 5 is TIME_ERROR (unsynchronised), -1 an error


def _since_boot() -> float:
    try:
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    except (AttributeError, OSError):
        return time.monotonic()


class Clock:
    """The kiosk's clocks, injectable so tests can play a reboot or a wrong wall clock."""

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        boot_id: str | None = None,
        synced: Callable[[], bool] = wall_clock_synced,
        since_boot: Callable[[], float] = _since_boot,
    ):
        self.monotonic = monotonic
        self.wall = wall
        self.boot_id = read_boot_id() if boot_id is None else boot_id
        self.synced = synced
        self.since_boot = since_boot

    def stamp(self) -> Stamp:
        """Stamp a press now. Cheap enough for a GPIO callback except `synced`, read once per press."""
        return Stamp(mono=self.monotonic(), boot_id=self.boot_id, wall=self.wall(), wall_synced=self.synced())

    def age_ms(self, stamp: Stamp) -> tuple[int, str]:
        """(age in ms, method): how long ago `stamp` was taken, by the best clock available."""
        if stamp.boot_id and stamp.boot_id == self.boot_id:
            return max(0, round((self.monotonic() - stamp.mono) * 1000)), AGE_MONOTONIC
        if not stamp.boot_id and not self.boot_id:
            # No boot ids (not Linux): monotonic is all we have, trust it unless it went backwards.
            age = self.monotonic() - stamp.mono
            if age >= 0:
                return round(age * 1000), AGE_MONOTONIC
        if stamp.wall_synced and self.synced():
            age = self.wall() - stamp.wall
            if age >= 0:
                return round(age * 1000), AGE_WALL
        return max(0, round(self.since_boot() * 1000)), AGE_LOWER_BOUND
