"""The WAV reader, resampler and trimming that turn any clip into 22050 Hz mono 16-bit."""

import struct

import pytest

from server.voice import VoiceError
from server.voice.pcm import RATE, decode_wav, encode_wav, fade, ms, resample, trim


def test_resampling_keeps_duration():
    assert len(resample([1000] * 48000, 48000)) == RATE
    assert len(resample([1000] * 8000, 8000)) == RATE
    assert resample([5, 6, 7], RATE) == [5, 6, 7]


def test_downsampling_does_not_alias_a_tone_above_the_new_nyquist():
    # A 22050 Hz tone at 44100 Hz, read at every other sample, would turn into a loud constant.
    out = resample([8000, -8000] * 2000, 44100)
    assert max(map(abs, out[1:-1])) < 100


def test_upsampling_interpolates():
    assert resample([0, 1000, 0], 11025)[:5] == [0, 500, 1000, 500, 0]


def test_trim_cuts_silence_but_keeps_a_pad():
    pad = ms(40)
    samples = [0] * 5000 + [3000] * 1000 + [50] * 5000
    out = trim(samples)
    assert out == [0] * pad + [3000] * 1000 + [50] * pad
    assert trim([0] * 100 + [200] * 100) == []  # quieter than the floor: silence


def test_fade_ramps_both_ends():
    out = fade([10_000] * 1000)
    n = ms(5)
    assert out[0] == 0 and out[-1] == 0 and out[n] == 10_000 and out[-n - 1] == 10_000
    assert out[1:n] == sorted(out[1:n])


def test_decode_round_trips_encode():
    samples = [0, 1, -1, 32767, -32768, 1234]
    assert decode_wav(encode_wav(samples), "x") == samples


def test_decode_accepts_streamed_size_and_extensible_format():
    data = bytearray(encode_wav([100, 200, 300]))
    data[40:44] = struct.pack("<I", 0xFFFFFFFF)  # data size as espeak-ng --stdout writes it
    assert decode_wav(bytes(data), "streamed") == [100, 200, 300]
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 1, RATE, RATE * 2, 2, 16, 22, 16, 4)
    fmt += struct.pack("<H", 1) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    pcm = struct.pack("<3h", 100, 200, 300)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(pcm)) + pcm
    assert decode_wav(b"RIFF" + struct.pack("<I", len(body)) + body, "ext") == [100, 200, 300]


@pytest.mark.parametrize("data, named", [
    (b"", "RIFF"), (b"RIFF\x00\x00\x00\x00WAVEjunk", "fmt"), (b"OggS" + b"\x00" * 40, "RIFF"),
])
def test_decode_rejects_non_wav(data, named):
    with pytest.raises(VoiceError, match=f"clip.wav.*{named}"):
        decode_wav(data, "clip.wav")
