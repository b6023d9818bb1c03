"""Call audio: real espeak-ng, real clip files in tmp_path, the output parsed with `wave`."""

import os
import threading
import unicodedata

import pytest

from server.errors import QmsError
from server.voice import CallAudio, VoiceError, required_clips
from server.voice.audio import CHIME_GAP_MS, REPEAT_PAUSE_MS, TAIL_MS
from server.voice.chime import chime
from server.voice.pcm import RATE, ms

PHRASE_1, PHRASE_2 = "xin mời công dân có số thứ tự", "đến quầy số"
NO_ESPEAK = "/nonexistent/espeak-ng"


def test_espeak_call_is_valid_audio_longer_than_a_second(espeak_ng, tmp_path, read_wav):
    data = CallAudio(None, tmp_path / "cache", espeak=espeak_ng).wav_for_call("A005", 3)
    params, samples = read_wav(data)
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, 22050)
    assert params.nframes == len(samples) and params.nframes / params.framerate > 1.0
    speech = samples[len(chime()) + ms(CHIME_GAP_MS):]
    assert max(map(abs, speech)) > 8000  # espeak-ng really spoke, it is not silence
    assert samples[:len(chime())] == chime()


def test_repeat_says_the_same_sentence_again_after_a_pause(espeak_ng, tmp_path, read_wav):
    audio = CallAudio(None, tmp_path / "cache", espeak=espeak_ng)
    _, once = read_wav(audio.wav_for_call("B12", 7, repeat=1))
    _, twice = read_wav(audio.wav_for_call("B12", 7, repeat=2))
    _, bare = read_wav(audio.wav_for_call("B12", 7, repeat=1, chime=False))
    start = len(chime()) + ms(CHIME_GAP_MS)
    sentence = once[start:len(once) - ms(TAIL_MS)]
    assert len(sentence) > RATE  # "Xin mời công dân ... quầy số bảy" takes well over a second
    assert bare == sentence + [0] * ms(TAIL_MS)
    assert twice == once[:start] + sentence + [0] * ms(REPEAT_PAUSE_MS) + sentence + [0] * ms(TAIL_MS)


def test_clips_take_precedence_and_espeak_is_not_needed(tmp_path, dc_clips, runs, read_wav):
    values = dc_clips(tmp_path / "clips")
    audio = CallAudio(tmp_path / "clips", tmp_path / "cache", espeak=NO_ESPEAK)
    params, samples = read_wav(audio.wav_for_call("AB012", 21))
    said = [PHRASE_1, "a", "bê", "mười", "hai", PHRASE_2, "hai", "mươi", "mốt"]
    assert runs(samples) == [values[p] for p in said] * 2
    assert samples[:len(chime())] == chime()
    _, digits = read_wav(audio.wav_for_call("L105", 3, mode="digits", repeat=1))
    assert runs(digits) == [values[p] for p in [PHRASE_1, "e lờ", "một", "không", "năm", PHRASE_2, "ba"]]
    assert audio.missing_clips() == []


def test_missing_clip_falls_back_to_espeak_for_that_piece_only(espeak_spy, tmp_path, dc_clips, runs, read_wav):
    values = dc_clips(tmp_path / "clips", skip={"năm"})
    audio = CallAudio(tmp_path / "clips", tmp_path / "cache", espeak=espeak_spy.path)
    _, samples = read_wav(audio.wav_for_call("A005", 3))
    assert espeak_spy.calls() == ["năm"]  # once: both sayings share the synthesised word
    assert runs(samples) == [values[p] for p in [PHRASE_1, "a", PHRASE_2, "ba"]] * 2
    # Between the "a" clip and the "đến quầy số" clip there is real speech, not just a gap.
    (_, _, a_end), (_, phrase_start, _) = runs(samples, spans=True)[1:3]
    assert phrase_start - a_end > ms(150)
    assert max(map(abs, samples[a_end:phrase_start])) > 4000
    assert audio.missing_clips() == ["năm.wav"]


def test_adjacent_missing_pieces_are_synthesised_together(espeak_spy, tmp_path, dc_clips, runs, read_wav):
    values = dc_clips(tmp_path / "clips", skip={"a", "năm", "mười"})
    audio = CallAudio(tmp_path / "clips", tmp_path / "cache", espeak=espeak_spy.path)
    _, samples = read_wav(audio.wav_for_call("A005", 10, repeat=1))
    assert espeak_spy.calls() == ["a năm", "mười"]
    assert runs(samples) == [values[PHRASE_1], values[PHRASE_2]]


def test_no_clip_and_no_espeak_is_a_voice_error(tmp_path, dc_clips):
    dc_clips(tmp_path / "clips", skip={"ba"})
    audio = CallAudio(tmp_path / "clips", tmp_path / "cache", espeak=NO_ESPEAK)
    with pytest.raises(VoiceError) as info:
        audio.wav_for_call("A005", 3)
    error = info.value
    assert isinstance(error, RuntimeError) and isinstance(error, QmsError)
    assert error.code == "voice_unavailable"
    assert "'ba.wav'" in str(error) and NO_ESPEAK in str(error)
    assert not list((tmp_path / "cache").glob("*.wav"))
    with pytest.raises(VoiceError, match="xin mời công dân"):
        CallAudio(None, tmp_path / "cache", espeak=NO_ESPEAK).wav_for_call("A005", 3)


def test_cache_hit_returns_same_bytes_without_synthesis(espeak_spy, tmp_path):
    audio = CallAudio(None, tmp_path / "cache", espeak=espeak_spy.path)
    first = audio.wav_for_call("A005", 3)
    assert len(espeak_spy.calls()) == 1
    assert audio.wav_for_call("A005", 3) == first
    assert audio.wav_for_call(" a005 ", "3") == first  # same pieces, same entry
    again = CallAudio(None, tmp_path / "cache", espeak=espeak_spy.path)  # e.g. after a restart
    assert again.wav_for_call("A005", 3) == first
    assert len(espeak_spy.calls()) == 1
    assert len(list((tmp_path / "cache").glob("*.wav"))) == 1
    other = audio.wav_for_call("A005", 4)
    assert other != first and len(espeak_spy.calls()) == 2
    assert audio.wav_for_call("A005", 3, repeat=1) != first and len(espeak_spy.calls()) == 3


def test_changed_clip_is_noticed_despite_the_cache(tmp_path, dc_clips, runs, read_wav, wav_bytes):
    values = dc_clips(tmp_path / "clips")
    audio = CallAudio(tmp_path / "clips", tmp_path / "cache", espeak=NO_ESPEAK)
    _, before = read_wav(audio.wav_for_call("A005", 3, repeat=1))
    assert runs(before)[-1] == values["ba"]
    (tmp_path / "clips" / "ba.wav").write_bytes(wav_bytes([777] * 3000))
    _, after = read_wav(audio.wav_for_call("A005", 3, repeat=1))
    assert runs(after)[-1] == 777
    os.remove(tmp_path / "clips" / "ba.wav")
    with pytest.raises(VoiceError, match="ba.wav"):  # a removed clip is not served from the cache
        audio.wav_for_call("A005", 3, repeat=1)


@pytest.mark.parametrize("rate, channels, width", [
    (44100, 2, 3), (48000, 2, 4), (11025, 1, 1), (16000, 1, 2), (8000, 2, 2),
])
def test_clip_formats_are_converted(tmp_path, dc_clips, runs, read_wav, rate, channels, width):
    values = dc_clips(tmp_path / "clips", rate=rate, channels=channels, width=width)
    audio = CallAudio(tmp_path / "clips", tmp_path / "cache", espeak=NO_ESPEAK)
    params, samples = read_wav(audio.wav_for_call("A005", 3, repeat=1))
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, 22050)
    assert runs(samples) == [values[p] for p in [PHRASE_1, "a", "năm", PHRASE_2, "ba"]]
    # Each 0.1 s clip lasts 0.1 s at 22050 Hz (less its 5 ms fades), whatever its own rate and channels.
    assert all(0.085 * RATE <= end - start <= 0.1 * RATE for _, start, end in runs(samples, spans=True))


def test_float_clip_is_converted(tmp_path, dc_clips, runs, read_wav, float_wav_bytes):
    values = dc_clips(tmp_path / "clips", skip={"ba"})
    (tmp_path / "clips" / "ba.wav").write_bytes(float_wav_bytes([0.25] * 4000, rate=16000))
    audio = CallAudio(tmp_path / "clips", tmp_path / "cache", espeak=NO_ESPEAK)
    _, samples = read_wav(audio.wav_for_call("A005", 3, repeat=1))
    assert runs(samples) == [values[p] for p in [PHRASE_1, "a", "năm", PHRASE_2]] + [round(0.25 * 32767)]


def test_clip_names_match_in_nfc_and_any_case(tmp_path, dc_clips, runs, read_wav):
    values = dc_clips(tmp_path / "clips")
    clips = tmp_path / "clips"
    os.rename(clips / f"{PHRASE_1}.wav", clips / unicodedata.normalize("NFD", f"{PHRASE_1.upper()}.WAV"))
    os.rename(clips / "năm.wav", clips / unicodedata.normalize("NFD", "Năm.wav"))
    audio = CallAudio(clips, tmp_path / "cache", espeak=NO_ESPEAK)
    _, samples = read_wav(audio.wav_for_call("A005", 3, repeat=1))
    assert runs(samples) == [values[p] for p in [PHRASE_1, "a", "năm", PHRASE_2, "ba"]]


def test_unreadable_clip_is_a_voice_error_naming_the_file(tmp_path, dc_clips, wav_bytes):
    dc_clips(tmp_path / "clips")
    (tmp_path / "clips" / "ba.wav").write_bytes(b"ID3 this is an mp3 renamed")
    audio = CallAudio(tmp_path / "clips", tmp_path / "cache", espeak=NO_ESPEAK)
    with pytest.raises(VoiceError, match="ba.wav"):
        audio.wav_for_call("A005", 3)
    # A WAV whose encoding we do not decode (format 2, MS ADPCM) is named too.
    data = bytearray(wav_bytes([100] * 100))
    data[20:22] = (2).to_bytes(2, "little")
    (tmp_path / "clips" / "ba.wav").write_bytes(bytes(data))
    with pytest.raises(VoiceError, match="ba.wav.*16-bit"):
        audio.wav_for_call("A005", 3)


def test_missing_clip_folder_means_espeak_for_everything(espeak_spy, tmp_path):
    audio = CallAudio(tmp_path / "not-recorded-yet", tmp_path / "cache", espeak=espeak_spy.path)
    assert audio.missing_clips() == required_clips()
    audio.wav_for_call("A005", 3)
    assert espeak_spy.calls() == ["xin mời công dân có số thứ tự a năm đến quầy số ba"]


def test_concurrent_requests_get_one_complete_answer(espeak_spy, tmp_path, read_wav):
    audio = CallAudio(None, tmp_path / "cache", espeak=espeak_spy.path)
    results, errors = [], []

    def ask(counter):
        try:
            results.append((counter, audio.wav_for_call("A005", counter)))
        except Exception as exc:  # reported below: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(1 + i % 2,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    by_counter = {c: {data for cc, data in results if cc == c} for c in (1, 2)}
    assert all(len(answers) == 1 for answers in by_counter.values())
    for (answer,) in by_counter.values():
        params, samples = read_wav(answer)
        assert params.nframes == len(samples) > RATE
    names = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(names) == 2 and all(n.endswith(".wav") for n in names)


def test_cache_is_pruned_to_its_size_limit(tmp_path, dc_clips):
    dc_clips(tmp_path / "clips")
    small = CallAudio(tmp_path / "clips", tmp_path / "small", espeak=NO_ESPEAK, cache_max_bytes=1)
    unlimited = CallAudio(tmp_path / "clips", tmp_path / "big", espeak=NO_ESPEAK, cache_max_bytes=None)
    for counter in (1, 2, 3):
        newest = small.wav_for_call("A1", counter, repeat=1)
        unlimited.wav_for_call("A1", counter, repeat=1)
    kept = list((tmp_path / "small").glob("*.wav"))
    assert len(kept) == 1 and kept[0].read_bytes() == newest
    assert len(list((tmp_path / "big").glob("*.wav"))) == 3


@pytest.mark.parametrize("call, named", [
    (lambda a: a.wav_for_call("A-5", 3), "'A-5'"),
    (lambda a: a.wav_for_call("A5", 10_000), "10000"),
    (lambda a: a.wav_for_call("A5", 3, repeat=0), "repeat=0"),
    (lambda a: a.wav_for_call("A5", 3, repeat=True), "repeat=True"),
    (lambda a: a.wav_for_call("A5", 3, chime="yes"), "chime='yes'"),
    (lambda a: a.wav_for_call("A5", 3, mode="words"), "mode='words'"),
])
def test_bad_call_input_is_a_value_error(tmp_path, call, named):
    audio = CallAudio(None, tmp_path / "cache", espeak=NO_ESPEAK)
    with pytest.raises(ValueError) as info:
        call(audio)
    assert named in str(info.value)
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("kwargs, named", [
    ({"rate": 10}, "rate=10"),
    ({"template": "Mời quầy {quầy}"}, "{số}"),
])
def test_bad_settings_fail_at_construction(tmp_path, kwargs, named):
    with pytest.raises(ValueError, match=named):
        CallAudio(None, tmp_path / "cache", **kwargs)


def test_chime_is_a_soft_two_tone_ding_dong():
    samples = chime()
    assert 1.2 * RATE < len(samples) < 2.0 * RATE
    assert 0.3 * 32767 < max(map(abs, samples)) <= 0.5 * 32767
    assert abs(samples[0]) < 100 and abs(samples[-1]) < 100  # no click at either end

    def pitch(start_s, length_s=0.3):
        part = samples[int(start_s * RATE):int((start_s + length_s) * RATE)]
        crossings = sum(1 for a, b in zip(part, part[1:]) if a < 0 <= b)
        return crossings / length_s

    assert 640 < pitch(0.05) < 680  # E5, the "ding"
    assert 500 < pitch(1.0) < 545  # C5, the "dong", once the ding has faded
