"""The call audio route (`GET /display/call.wav`) and how the page plays it.

The voice library (server/voice) has its own tests; these check the route: real calls only, valid
WAV audio longer than a second, the settings it follows, recorded clips before espeak-ng, the
one error shape; and the page: calls said one after another, mute, and "only one display speaks".
"""

from __future__ import annotations

import pytest

from server.engine import admin
from tests.browser_fixtures import sound_browser  # noqa: F401  (fixture)
from tests.conftest import make_app
from tests.display.helpers import (Center, open_display, pcm_samples, record_all_clips, tone_wav,
                                   wav_info)


def bearer(app, name: str) -> dict:
    center = app.test_center
    token = center["devices"][name] if name in center["devices"] else center["users"][name]["api_token"]
    return {"Authorization": "Bearer " + token}


def call(client, app, service: str, counter: int) -> str:
    """Take a number and call it at `counter`; returns the code."""
    assert client.post("/api/tickets", json={"service": service}, headers=bearer(app, "kiosk-1")).status_code == 201
    r = client.post(f"/api/counters/{counter}/next", headers=bearer(app, f"officer{counter}"))
    assert r.status_code == 200, r.json
    return r.json["result"]["call"]["code"]


def wav(client, code: str, counter: int, **headers):
    return client.get(f"/display/call.wav?code={code}&counter={counter}", headers=headers)


def clips_dir(app):
    from pathlib import Path

    return Path(app.instance_path) / "voice" / "clips"


def test_wav_of_a_call_is_valid_audio_longer_than_a_second(app, client):
    code = call(client, app, "A", 3)
    r = wav(client, code, 3)
    assert r.status_code == 200
    assert r.mimetype == "audio/wav"
    channels, width, rate, seconds = wav_info(r.data)
    assert (channels, width, rate) == (1, 2, 22050)
    assert seconds > 1.0
    # A chime and the sentence twice with espeak-ng: several seconds of sound, not silence.
    assert seconds > 5.0
    assert max(abs(s) for s in pcm_samples(r.data)) > 3000


def test_wav_is_cached_and_revalidated_by_etag(app, client):
    code = call(client, app, "B", 2)
    first = wav(client, code, 2)
    cache = list((clips_dir(app).parent / "cache").glob("*.wav"))
    assert len(cache) == 1 and cache[0].read_bytes() == first.data
    again = wav(client, code, 2, **{"If-None-Match": first.headers["ETag"].strip('"')})
    assert again.status_code == 304
    assert wav(client, code, 2).data == first.data


def test_wav_follows_voice_repeat_and_voice_mode(app, client, qms):
    code = call(client, app, "A", 1)
    twice = wav_info(wav(client, code, 1).data)[3]
    qms.write(admin.set_setting, name="voice_repeat", value=1)
    once = wav_info(wav(client, code, 1).data)[3]
    assert once < twice - 1.0
    qms.write(admin.set_setting, name="voice_mode", value="digits")  # A001: "a không không một"
    digits = wav_info(wav(client, code, 1).data)[3]
    assert digits > once + 0.2


def test_recorded_clips_take_precedence_over_espeak(app, client):
    code = call(client, app, "A", 3)
    synthetic = pcm_samples(wav(client, code, 3).data)
    # The center records the opening phrase; its samples must appear in the call as recorded.
    clip = tone_wav(523.25, 400, amplitude=20000)
    assert clips_dir(app).is_dir()  # made at start, empty
    (clips_dir(app) / "xin mời công dân có số thứ tự.wav").write_bytes(clip)
    mixed = pcm_samples(wav(client, code, 3).data)
    middle = pcm_samples(clip)[3000:4000]  # clear of the fades at the edges
    assert _contains(mixed, middle)
    assert not _contains(synthetic, middle)


def test_full_clip_folder_needs_no_espeak(app, client, monkeypatch):
    code = call(client, app, "B", 2)
    record_all_clips(clips_dir(app))
    monkeypatch.setenv("PATH", "/nonexistent")  # espeak-ng cannot be found now
    r = wav(client, code, 2)
    assert r.status_code == 200
    assert wav_info(r.data)[3] > 1.0


def test_missing_clip_without_espeak_is_a_clear_error(app, client, monkeypatch):
    code = call(client, app, "B", 2)
    names = record_all_clips(clips_dir(app))
    (clips_dir(app) / "hai.wav").unlink()  # counter 2 cannot be said
    assert "hai.wav" in names
    monkeypatch.setenv("PATH", "/nonexistent")
    r = wav(client, code, 2)
    assert r.status_code == 503
    assert r.json["ok"] is False and r.json["error"] == "voice_unavailable"
    assert "hai.wav" in r.json["message"]


def test_voice_clips_setting_names_the_folder(tmp_path, monkeypatch):
    from tests.conftest import load_test_center

    folder = tmp_path / "recorded"
    record_all_clips(folder)
    app = make_app(tmp_path, voice_clips=str(folder))
    try:
        app.test_center = load_test_center(app)
        client = app.test_client()
        code = call(client, app, "A", 1)
        monkeypatch.setenv("PATH", "/nonexistent")
        assert wav(client, code, 1).status_code == 200
    finally:
        app.extensions["qms"].close()


@pytest.mark.parametrize("query, status, error", [
    ("", 400, "bad_request"),
    ("code=A001", 400, "bad_request"),
    ("code=A001&counter=x", 400, "bad_request"),
    ("code=A001&counter=-1", 400, "bad_request"),
    ("code=" + "A" * 500 + "&counter=1", 400, "bad_request"),
    ("code=A001&counter=1", 404, "not_found"),  # never called
])
def test_bad_or_unknown_calls_get_the_one_error_shape(client, query, status, error):
    r = client.get("/display/call.wav?" + query)
    assert r.status_code == status
    assert r.json["ok"] is False and r.json["error"] == error and r.json["message"]


def test_wav_only_for_the_counter_that_called(app, client):
    code = call(client, app, "A", 1)
    assert wav(client, code, 1).status_code == 200
    assert wav(client, code, 3).status_code == 404


# ---- the page speaks ---------------------------------------------------------------------------



@pytest.fixture
def voiced(live_server):
    """A live center whose clips are all recorded as short tones, so a call lasts ~3 s."""
    record_all_clips(live_server.tmp_path / "instance" / "voice" / "clips")
    center = Center(live_server)
    center.set("voice_repeat", 1)
    center.set("spotlight_seconds", 1)
    return center


def wav_requests(page) -> list[str]:
    seen = []
    page.on("request", lambda r: "/display/call.wav" in r.url and seen.append(r.url))
    return seen


def test_calls_are_spoken_one_after_another(sound_browser, live_server, voiced):
    for service in "AB":
        voiced.issue(service)
    page = open_display(sound_browser, live_server, "")
    assert page.evaluate("window.qmsDisplay.speaks()") is True
    assert voiced.call_next(1) == "A001"
    assert voiced.call_next(2) == "B001"
    page.wait_for_function("() => window.qmsDisplay.audioLog.filter(e => e.end !== null).length === 2",
                           timeout=30_000)
    log = page.evaluate("window.qmsDisplay.audioLog")
    assert [(e["code"], e["counter"], e["error"]) for e in log] == [("A001", 1, None), ("B001", 2, None)]
    assert log[1]["start"] >= log[0]["end"]  # the second waited for the first to end
    # The spotlight does not wait for the voice (issue 12: it fell 80 s behind): B001 was shown
    # while A001 was still being said, and B001, said while nothing else waited, in full.
    shown = page.evaluate("window.qmsDisplay.shownLog")
    assert [s["code"] for s in shown] == ["A001", "B001"]
    assert shown[1]["at"] < log[0]["end"]
    page.context.close()


def test_muted_display_fetches_and_plays_nothing(sound_browser, live_server, voiced):
    voiced.issue("A")
    muted = open_display(sound_browser, live_server, "mute=1")
    loud = open_display(sound_browser, live_server, "")
    muted_wavs = wav_requests(muted)
    voiced.call_next(1)
    loud.wait_for_function("() => window.qmsDisplay.audioLog.some(e => e.end !== null)", timeout=30_000)
    muted.wait_for_function("() => window.qmsDisplay.shownLog.length === 1")
    assert muted.evaluate("window.qmsDisplay.audioLog") == []
    assert muted_wavs == []
    muted.context.close()
    loud.context.close()


def test_only_the_flagged_display_speaks_when_so_set(sound_browser, live_server, voiced):
    voiced.set("voice_displays", "flagged")
    voiced.issue("A")
    plain = open_display(sound_browser, live_server, "")
    speaker = open_display(sound_browser, live_server, "voice=1")
    assert plain.evaluate("window.qmsDisplay.speaks()") is False
    assert speaker.evaluate("window.qmsDisplay.speaks()") is True
    voiced.call_next(1)
    speaker.wait_for_function("() => window.qmsDisplay.audioLog.some(e => e.end !== null && !e.error)",
                              timeout=30_000)
    plain.wait_for_function("() => window.qmsDisplay.shownLog.length === 1")
    assert plain.evaluate("window.qmsDisplay.audioLog") == []
    plain.context.close()
    speaker.context.close()


def _contains(haystack: list[int], needle: list[int]) -> bool:
    n = len(needle)
    first = needle[0]
    return any(haystack[i] == first and haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))
