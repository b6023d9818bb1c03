"""WAV decoding and encoding in the one output format (22050 Hz mono 16-bit), and sample edits."""

import io
import struct
import sys
import wave
from array import array

from .errors import VoiceError

RATE = 22050  # espeak-ng's own rate, so its output needs no resampling
TRIM_FLOOR = 300  # below this (about -40 dBFS) a sample counts as silence whatever the clip's peak
TRIM_PAD_MS = 40
FADE_MS = 5

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


def ms(milliseconds: float) -> int:
    """Number of samples in that many milliseconds at RATE."""
    return round(RATE * milliseconds / 1000)


def silence(milliseconds: float) -> list[int]:
    """That many milliseconds of zero samples."""
    return [0] * ms(milliseconds)


def _chunks(data: bytes, name: str) -> tuple[bytes, bytes]:
    """The fmt and data chunks of a RIFF/WAVE file."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise VoiceError(f"{name}: không phải tệp WAV (RIFF/WAVE)")
    fmt = payload = None
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos:pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        # Streamed WAVs (espeak-ng --stdout) carry a bogus huge data size: slicing clamps it.
        body = data[pos + 8:pos + 8 + size]
        if chunk_id == b"fmt ":
            fmt = body
        elif chunk_id == b"data":
            payload = body
        pos += 8 + size + (size & 1)
    if fmt is None or len(fmt) < 16 or payload is None:
        raise VoiceError(f"{name}: tệp WAV thiếu phần fmt hoặc data")
    return fmt, payload


def _to_int16(fmt_tag: int, bits: int, raw: bytes, name: str) -> list[int]:
    """Interleaved samples scaled to the signed 16-bit range."""
    if fmt_tag == _PCM and bits == 8:
        return [(b - 128) << 8 for b in raw]  # 8-bit WAV is unsigned
    if fmt_tag == _PCM and bits == 24:
        out = []
        for i in range(0, len(raw) - 2, 3):
            v = raw[i] | raw[i + 1] << 8 | raw[i + 2] << 16
            out.append((v - (1 << 24) if v & 0x800000 else v) >> 8)
        return out
    typecode = {(_PCM, 16): "h", (_PCM, 32): "i", (_FLOAT, 32): "f", (_FLOAT, 64): "d"}.get((fmt_tag, bits))
    if typecode is None:
        raise VoiceError(f"{name}: định dạng WAV không hỗ trợ (mã {fmt_tag}, {bits} bit); hãy lưu PCM 16-bit")
    samples = array(typecode)
    samples.frombytes(raw[:len(raw) - len(raw) % samples.itemsize])
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    if typecode == "h":
        return samples.tolist()
    if typecode == "i":
        return [v >> 16 for v in samples]
    return [max(-32768, min(32767, round(v * 32767))) for v in samples]


def _downmix(samples: list[int], channels: int) -> list[int]:
    if channels == 1:
        return samples
    return [sum(samples[i:i + channels]) // channels for i in range(0, len(samples) - channels + 1, channels)]


def resample(samples: list[int], src_rate: int, dst_rate: int = RATE) -> list[int]:
    """Linear-interpolation resampling; a moving average first when downsampling, against aliasing."""
    if src_rate == dst_rate or not samples:
        return samples
    if src_rate > dst_rate:
        width = src_rate // dst_rate
        if width > 1:
            prefix = [0]
            for v in samples:
                prefix.append(prefix[-1] + v)
            n = len(samples)
            samples = [(prefix[min(i + width, n)] - prefix[i]) // (min(i + width, n) - i) for i in range(n)]
    step = src_rate / dst_rate
    last = len(samples) - 1
    out = []
    for i in range(max(1, round(len(samples) / step))):
        x = i * step
        j = min(int(x), last)
        a, b = samples[j], samples[min(j + 1, last)]
        out.append(round(a + (b - a) * (x - j)))
    return out


def decode_wav(data: bytes, name: str) -> list[int]:
    """Samples of a PCM or float WAV (any rate, channels, 8/16/24/32 bit) as RATE Hz mono 16-bit."""
    fmt, payload = _chunks(data, name)
    fmt_tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if fmt_tag == _EXTENSIBLE and len(fmt) >= 26:
        (fmt_tag,) = struct.unpack_from("<H", fmt, 24)  # first two bytes of the sub-format GUID
    if channels < 1 or rate < 1000 or block_align < 1:
        raise VoiceError(f"{name}: phần fmt của tệp WAV không hợp lệ")
    raw = payload[:len(payload) - len(payload) % block_align]
    return resample(_downmix(_to_int16(fmt_tag, bits, raw, name), channels), rate)


def encode_wav(samples: list[int]) -> bytes:
    """A RATE Hz mono 16-bit PCM WAV file of the samples."""
    pcm = array("h", samples)
    if sys.byteorder == "big":
        pcm.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def trim(samples: list[int]) -> list[int]:
    """The samples without leading and trailing silence, keeping a short pad; [] if all silent."""
    if not samples:
        return []
    # 34 dB under the clip's peak: low enough to keep a word's fading end, above a quiet room's hiss.
    threshold = max(TRIM_FLOOR, max(map(abs, samples)) // 50)
    first = next((i for i, v in enumerate(samples) if abs(v) > threshold), None)
    if first is None:
        return []
    last = next(i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) > threshold)
    pad = ms(TRIM_PAD_MS)
    return samples[max(0, first - pad):last + pad + 1]


def fade(samples: list[int]) -> list[int]:
    """Short linear fade in and out, so joined pieces do not click."""
    n = min(ms(FADE_MS), len(samples) // 2)
    out = list(samples)
    for i in range(n):
        out[i] = out[i] * i // n
        out[-1 - i] = out[-1 - i] * i // n
    return out
