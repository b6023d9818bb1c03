"""Issue 12, keeping up at the morning peak: the voice queue is bounded by time, not by count.

- A call said once (the brief form, while others wait) lasts at most 5 s, from clips or espeak-ng.
- A call that is no longer true (its counter called another number, or paused) is cut or dropped
  from the voice and leaves the spotlight; calls made close together share the spotlight.

On today's code before the fix these fail: the spotlight waited for the voice (a queued call was
shown only after the one before it had been said in full), a superseded call was still said and
kept in the spotlight, and `once=1` did not exist (every call took 11-14 s).
"""

from __future__ import annotations

import io
import re
import wave

import pytest
from playwright.sync_api import expect

from server.voice import CallAudio
from server.voice.audio import BRIEF_MAX_S
from tests.browser_fixtures import sound_browser  # noqa: F401  (fixture)
from tests.display.helpers import Center, open_display, record_all_clips

CODES = [("A005", 3), ("A1005", 12), ("B0999", 8), ("AB9999", 9999), ("C0110", 20)]


def seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


@pytest.mark.parametrize("clips", [False, True], ids=["espeak", "clips"])
def test_a_call_said_once_lasts_at_most_5_s(tmp_path, clips):
    folder = tmp_path / "clips"
    if clips:
        record_all_clips(folder, ms=450)  # long recorded words: the chime must give way
    audio = CallAudio(folder if clips else None, tmp_path / "cache")
    for code, counter in CODES:
        brief = seconds(audio.wav_for_call(code, counter, brief=True))
        full = seconds(audio.wav_for_call(code, counter, repeat=2))
        assert 1.0 < brief <= BRIEF_MAX_S, (code, counter, brief)
        assert full > brief


def test_once_is_the_brief_form_over_http(app, client):
    from tests.display.test_display_voice import call, wav
    code = call(client, app, "A", 1)
    full = wav(client, code, 1)
    brief = client.get(f"/display/call.wav?code={code}&counter=1&once=1")
    assert brief.status_code == 200 and full.status_code == 200
    assert seconds(brief.data) <= BRIEF_MAX_S < seconds(full.data)
    bad = client.get(f"/display/call.wav?code={code}&counter=1&once=yes")
    assert bad.status_code == 400 and bad.json["error"] == "bad_request" and "once" in bad.json["message"]




IDLE = """() => { const d = window.qmsDisplay;
    return d.state.queue.length === 0 && d.state.speaking === null && d.receivedLog.length >= %d; }"""


def test_untrue_calls_are_cut_or_dropped_and_leave_the_spotlight(sound_browser, live_server):
    center = Center(live_server)
    record_all_clips(live_server.tmp_path / "instance" / "voice" / "clips", ms=400)  # a full call ~13 s
    center.set("voice_repeat", 2)
    center.set("spotlight_seconds", 60)
    for service in "AAAB":
        center.issue(service)
    page = open_display(sound_browser, live_server, "")
    assert center.call_next(1) == "A001"
    page.wait_for_function("() => window.qmsDisplay.audioLog.some(e => e.start !== null)", timeout=30_000)
    assert center.call_next(2) == "B001"
    assert center.call_next(3) == "A002"
    # The three share the spotlight at once, newest first: no waiting for the voice.
    expect(page.locator("#spotlight")).to_have_attribute("data-count", "3")
    expect(page.locator("#spot-code")).to_have_text("A002")
    expect(page.locator("#spot-more li")).to_have_count(2)

    # Counter 1 calls its next number while A001 is still being said: A001 is cut, and leaves.
    assert center.call_next(1) == "A003"
    expect(page.locator("#spot-code")).to_have_text("A003")
    shown = page.locator("#spot-more li").evaluate_all("ls => ls.map(l => l.dataset.code)")
    assert "A001" not in shown and page.locator("#spot-code").text_content() != "A001"
    # Counter 2 marks B001 absent and pauses: B001 leaves the queue and the spotlight.
    center.act(2, "no-show")
    center.act(2, "pause")
    expect(page.locator('#counter-rows tr[data-counter="2"]')).to_have_class(re.compile(r"\bpaused\b"))
    assert "B001" not in page.locator("#spot-more li").evaluate_all("ls => ls.map(l => l.dataset.code)")

    page.wait_for_function(IDLE % 4, timeout=60_000)
    audio = page.evaluate("window.qmsDisplay.audioLog")
    dropped = page.evaluate("window.qmsDisplay.droppedLog")
    said = {e["code"]: e for e in audio}
    assert said["A001"]["cut"] == "superseded" and said["A001"]["once"] is False
    assert "B001" not in said or said["B001"]["cut"] in ("done", "paused")
    assert "B001" in said or [d["reason"] for d in dropped if d["code"] == "B001"] in (["done"], ["paused"])
    # The two true calls were said, each once in the brief form as others waited, without error.
    for code in ("A002", "A003"):
        assert said[code]["error"] is None and said[code]["cut"] is None and said[code]["end"] is not None
    assert said["A002"]["once"] is True
    # Nothing overlapped.
    spans = sorted((e["start"], e["end"]) for e in audio)
    assert all(b[0] >= a[1] for a, b in zip(spans, spans[1:]))
    page.context.close()


def test_recall_updates_its_row_in_the_last_calls(sound_browser, live_server):
    center = Center(live_server)
    for service in "AB":
        center.issue(service)
    page = open_display(sound_browser, live_server, "mute=1")
    center.call_next(1)
    center.call_next(2)
    center.act(1, "recall")
    page.wait_for_function("() => window.qmsDisplay.receivedLog.length >= 3")
    expect(page.locator("#spot-code")).to_have_text("A001")  # the recall, newest
    expect(page.locator("#recent-list li[data-code]")).to_have_count(2)
    rows = page.locator("#recent-list li[data-code]").evaluate_all("ls => ls.map(l => l.dataset.code)")
    assert rows == ["A001", "B001"]
    page.context.close()
