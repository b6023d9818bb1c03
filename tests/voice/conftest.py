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


@pytest.fixture
def espeak_spy(espeak_ng, tmp_path):
    """A wrapper around the real espeak-ng that logs the text of each call, one line per call."""
    log = tmp_path / "espeak-calls.log"
    script = tmp_path / "espeak-spy"
    script.write_text(
        "#!/bin/sh\n"
        "text=$(cat)\n"
        f"printf '%s\\n' \"$text\" >> '{log}'\n"
        f"printf '%s' \"$text\" | exec '{espeak_ng}' \"$@\"\n"
    )
    script.chmod(0o755)

    class Spy:
        path = str(script)

        @staticmethod
        def calls() -> list[str]:
            return log.read_text(encoding="utf-8").splitlines() if log.exists() else []

    return Spy


CLIP_SAMPLES = 2205  # 0.1 s at 22050 Hz


def dc_value(index: int) -> int:
    """A distinct constant sample value per clip; multiples of 256 survive 8-bit files exactly."""
    return 256 * (4 + index)


@pytest.fixture
def dc_clips():
    """Write constant-valued ("DC") clips, one distinct value per name; returns {name: value}."""
    from server.voice import required_clips

    def write(folder, names=None, rate=22050, channels=1, width=2, skip=()):
        folder.mkdir(parents=True, exist_ok=True)
        values = {}
        for i, file_name in enumerate(required_clips()):
            name = file_name[:-4]
            if (names is not None and name not in names) or name in skip:
                continue
            value = dc_value(i)
            frames = round(CLIP_SAMPLES * rate / 22050)
            scaled = value >> 8 if width == 1 else value << 8 if width == 3 else value << 16 if width == 4 else value
            (folder / file_name).write_bytes(_wav_bytes([scaled] * frames * channels, rate, channels, width))
            values[name] = value
        return values

    return write


@pytest.fixture
def runs():
    """Values of the runs of one repeated non-zero sample at least `min_len` long: the DC clips;
    with `spans=True`, (value, start, end) of each."""
    def find(samples, min_len=1500, spans=False):
        out, i, n = [], 0, len(samples)
        while i < n:
            j = i
            while j < n and samples[j] == samples[i]:
                j += 1
            if samples[i] != 0 and j - i >= min_len:
                out.append((samples[i], i, j) if spans else samples[i])
            i = j
        return out
    return find
