"""Issue 12, the voice studio (/admin/voice): every clip a call needs, recorded in the browser
with MediaRecorder (here Chromium's fake audio capture plays a WAV into the microphone), stored
trimmed and loudness-normalised, with the coverage report."""

from __future__ import annotations

import io
import math
import struct
import wave

import pytest
from playwright.sync_api import expect, sync_playwright

from server.engine import admin
from server.voice import required_clips, studio
from server.voice.errors import VoiceInputError
from server.voice.pcm import RATE
from tests.browser_fixtures import ARGS, chromium_path
from tests.display.helpers import tone_wav, wav_info


def padded_tone(freq=440, ms=600, pad_ms=300, amplitude=4000, rate=48000) -> bytes:
    """A tone with silence before and after, as a speaker who waits, then says a word."""
    pad = [0] * (rate * pad_ms // 1000)
    tone = [round(amplitude * math.sin(2 * math.pi * freq * i / rate)) for i in range(rate * ms // 1000)]
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(struct.pack(f"<{len(pad) * 2 + len(tone)}h", *(pad + tone + pad)))
    return out.getvalue()


def rms_dbfs(samples):
    return 20 * math.log10(math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768)


def test_prepare_trims_and_evens_out_loudness():
    quiet = studio.prepare(studio.decode_upload(padded_tone(amplitude=1500)))
    loud = studio.prepare(studio.decode_upload(padded_tone(amplitude=20000)))
    for clip in (quiet, loud):
        assert 0.55 <= len(clip) / RATE <= 0.75  # the 0.3 s pads are gone, the tone kept
        assert abs(rms_dbfs(clip) - studio.TARGET_RMS_DBFS) < 1.5
    with pytest.raises(VoiceInputError, match="khoảng lặng"):
        studio.prepare([0] * RATE)
    with pytest.raises(VoiceInputError, match="tối đa"):
        studio.prepare(studio.decode_upload(tone_wav(300, 7000)))
    with pytest.raises(VoiceInputError, match="WebM"):
        studio.decode_upload(b"not audio at all")


def test_upload_over_http_and_coverage(signed_in, app):
    page = signed_in.get("/admin/voice")
    assert page.status_code == 200
    assert "microphone=(self)" in page.headers["Permissions-Policy"]
    before = signed_in.get("/admin/voice?format=json").json
    assert before["recorded"] == 0 and "mời số.wav" in before["missing"] and "không.wav" in before["missing"]
    r = signed_in.post("/admin/voice/clip", data={"name": "không.wav", "audio": (io.BytesIO(padded_tone()), "x.wav")},
                       content_type="multipart/form-data")
    assert r.status_code == 200 and r.json["ok"] and r.json["recorded"] == 1, r.json
    after = signed_in.get("/admin/voice?format=json").json
    assert "không.wav" not in after["missing"] and after["percent"] > 0
    bad = signed_in.post("/admin/voice/clip", data={"name": "../evil.wav", "audio": (io.BytesIO(padded_tone()), "x")},
                         content_type="multipart/form-data")
    assert bad.status_code == 400 and bad.json["error"] == "bad_request" and "evil" in bad.json["message"]
    silent = signed_in.post("/admin/voice/clip", data={"name": "một.wav", "audio": (io.BytesIO(tone_wav(1, 500, amplitude=0)), "x")},
                            content_type="multipart/form-data")
    assert silent.status_code == 400 and "khoảng lặng" in silent.json["message"]


def test_recording_in_the_browser_with_a_fake_microphone(live_server, tmp_path):
    live = live_server
    mic = tmp_path / "mic.wav"
    mic.write_bytes(padded_tone(amplitude=6000))
    chief = live.qms.write(admin.create_user, username="chief", role="admin", full_name="Quản trị", actor="test")
    clips = live.tmp_path / "instance" / "voice" / "clips"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=ARGS + [
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={mic}"])
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(live.url + "/admin/voice")
        page.fill("input[name=username]", "chief")
        page.fill("input[name=password]", chief["password"])
        page.click("button[type=submit]")
        expect(page.locator("#clips")).to_be_visible()
        total = int(page.locator("#cov-total").text_content())
        assert total == len(page.locator("#clips tbody tr").all()) and page.locator("#cov-recorded").text_content() == "0"
        for name in ("mời số.wav", "năm.wav"):
            row = page.locator(f'#clips tr[data-name="{name}"]')
            row.locator("button.rec").click()
            page.wait_for_function("n => window.qmsStudio.recording() === n", arg=name)
            page.wait_for_timeout(1300)  # speak: the fake microphone plays its file meanwhile
            row.locator("button.rec").click()
            expect(row).to_have_class("recorded")
        # A WAV recorded elsewhere, uploaded from the same row's file button.
        row = page.locator('#clips tr[data-name="ba.wav"]')
        with page.expect_file_chooser() as chooser:
            row.locator("button.file").click()
        chooser.value.set_files(str(mic))
        expect(row).to_have_class("recorded")
        log = page.evaluate("window.qmsStudio.log")
        assert [e["ok"] for e in log] == [True, True, True], log
        expect(page.locator("#cov-recorded")).to_have_text("3")
        browser.close()
    for name in ("mời số.wav", "năm.wav"):
        channels, width, rate, seconds = wav_info((clips / name).read_bytes())
        assert (channels, width, rate) == (1, 2, RATE)
        assert 0.5 < seconds < 1.4  # trimmed: the recording was ~1.3 s, silence at its ends cut
    assert studio.coverage(required_clips(), clips)["recorded"] == 3


def test_the_clip_list_follows_the_centers_number_style(signed_in, qms):
    default = set(signed_in.get("/admin/voice?format=json").json["missing"])
    assert {"tư.wav", "linh.wav", "nghìn.wav"} <= default and not {"lẻ.wav", "ngàn.wav"} & default
    qms.write(admin.set_setting, name="voice_number_style", value="bốn, lẻ, ngàn")
    southern = set(signed_in.get("/admin/voice?format=json").json["missing"])
    assert {"lẻ.wav", "ngàn.wav"} <= southern and not {"tư.wav", "linh.wav", "nghìn.wav"} & southern
    # A bad setting falls back to the default list (the display logs it and reads as by default).
    qms.write(admin.set_setting, name="voice_number_style", value="bốn")
    assert set(signed_in.get("/admin/voice?format=json").json["missing"]) == default
