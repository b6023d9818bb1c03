"""Fixtures for the voice tests: real espeak-ng, WAV files written and read with the stdlib."""

import io
import shutil
import struct
import sys
import wave
from array import array

import pytest

@pytest.fixture
def espeak_ng() -> str:
    """Path of espeak-ng; fails (never skips) without it: CI installs it with apt."""
    path = shutil.which("espeak-ng")
    if path is None:
        pytest.fail("espeak-ng is not installed: run `make setup` (apt-get install espeak-ng)")
    return path


def _wav_bytes(samples, rate=22050, channels=1, width=2) -> bytes:
    """PCM WAV of interleaved integer samples in the given sample width."""
    if width == 1:
        raw = bytes(v + 128 for v in samples)
    elif width == 3:
        raw = b"".join(struct.pack("<i", v)[:3] for v in samples)
    else:
        pcm = array({2: "h", 4: "i"}[width], samples)
        if sys.byteorder == "big":
            pcm.byteswap()
        raw = pcm.tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(raw)
    return buffer.getvalue()


def _float_wav_bytes(samples, rate=22050) -> bytes:
    """32-bit IEEE float mono WAV (format tag 3), which the wave module cannot write."""
    data = struct.pack(f"<{len(samples)}f", *samples)
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.fixture
def wav_bytes():
    return _wav_bytes


@pytest.fixture
def float_wav_bytes():
    return _float_wav_bytes


@pytest.fixture
def read_wav():
    """Parse WAV bytes with the stdlib: (params, samples as a list of ints) for 16-bit mono."""
    def read(data: bytes):
        with wave.open(io.BytesIO(data), "rb") as w:
            params = w.getparams()
            frames = w.readframes(params.nframes)
        pcm = array("h", frames)
        if sys.byteorder == "big":
            pcm.byteswap()
        return params, pcm.tolist()
    return read
