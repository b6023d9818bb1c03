"""Helpers for the display tests: act on a live server as kiosks and officers do, open the page."""

from __future__ import annotations

import io
import math
import struct
import wave

import requests

from server.engine import admin
from server.voice import required_clips


class Center:
    """The test center on a `LiveServer`, driven through the HTTP API with real tokens."""

    def __init__(self, live):
        self.live = live
        self.http = requests.Session()

    def issue(self, service: str, priority: bool = False) -> str:
        """Take a number at the ticket kiosk (`POST /api/tickets`); returns its code."""
        r = self.http.post(f"{self.live.url}/api/tickets", json={"service": service, "priority": priority},
                           headers={"Authorization": "Bearer " + self.live.token("kiosk-1")}, timeout=10)
        assert r.status_code == 201, r.text
        return r.json()["ticket"]["code"]

    def act(self, counter: int, action: str, **body) -> dict:
        """An officer's action at his counter (`POST /api/counters/<n>/<action>`)."""
        r = self.http.post(f"{self.live.url}/api/counters/{counter}/{action}", json=body or None,
                           headers={"Authorization": "Bearer " + self.live.token(f"officer{counter}")}, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["result"]

    def call_next(self, counter: int) -> str:
        """Call the next number at a counter; returns the code called."""
        return self.act(counter, "next")["call"]["code"]

    def set(self, name: str, value) -> None:
        """Change a live setting as an administrator would."""
        self.live.qms.write(admin.set_setting, name=name, value=value)


def open_display(browser, live, query: str = "mute=1", size=(1920, 1080), **context):
    """A new page showing /display?query, once its first snapshot is drawn."""
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, **context)
    page = ctx.new_page()
    page.goto(f"{live.url}/display" + (f"?{query}" if query else ""))
    page.wait_for_function("() => window.qmsDisplay && window.qmsDisplay.state.snapshots > 0")
    return page


def tone_wav(freq: float, ms: int, rate: int = 22050, amplitude: int = 12000) -> bytes:
    """A mono 16-bit sine tone as WAV bytes: a stand-in for a recorded clip."""
    n = rate * ms // 1000
    frames = b"".join(struct.pack("<h", round(amplitude * math.sin(2 * math.pi * freq * i / rate)))
                      for i in range(n))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def record_all_clips(folder, ms: int = 20) -> list[str]:
    """Fill a clip folder with a short tone for every clip a call can need; returns the names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = required_clips()
    for i, name in enumerate(names):
        (folder / name).write_bytes(tone_wav(300 + 10 * i, ms))
    return names


def wav_info(data: bytes) -> tuple[int, int, int, float]:
    """(channels, sample width, rate, seconds) of WAV bytes; raises if they are not a WAV."""
    with wave.open(io.BytesIO(data)) as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes() / w.getframerate()


def pcm_samples(data: bytes) -> list[int]:
    """The 16-bit mono samples of a WAV."""
    with wave.open(io.BytesIO(data)) as w:
        raw = w.readframes(w.getnframes())
    return list(struct.unpack(f"<{len(raw) // 2}h", raw))
