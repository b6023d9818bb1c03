"""The voice studio's server side: a recording (WAV, or the PCM WebM of the browser's
MediaRecorder) becomes a clip, trimmed and loudness-normalised, and the coverage report says
which clips a call still lacks.

Pure Python, no ffmpeg or sox at run time: Chromium records PCM in WebM (webm.py reads it), and
clips are a second or two, so trimming and an RMS loudness gain cost milliseconds. (A full EBU
R128 measure would need K-weighting filters; for single words of one speaker at one microphone,
equal RMS over the voiced part is what makes them sound even when strung together.)
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from . import webm
from .clips import find_clips
from .errors import VoiceInputError
from .pcm import RATE, decode_wav, encode_wav, fade, resample, trim
from .phrases import CLIP_SUFFIX

TARGET_RMS_DBFS = -18.0   # every clip's voiced part at this loudness
PEAK_LIMIT = 0.89         # ~-1 dBFS: the gain never clips
MAX_SECONDS = 6.0         # a word or a phrase; longer is a mistake (the recorder left running)
MIN_SECONDS = 0.08
MAX_BYTES = 8 * 2**20


def decode_upload(data: bytes) -> list[int]:
    """The recording as RATE Hz mono 16-bit samples; VoiceInputError naming what is wrong."""
    if not data:
        raise VoiceInputError("Bản ghi âm rỗng")
    if len(data) > MAX_BYTES:
        raise VoiceInputError(f"Bản ghi âm quá lớn (tối đa {MAX_BYTES // 2**20} MB)")
    if data[:4] == b"RIFF":
        return decode_wav(data, "bản ghi âm")
    floats, rate, channels = webm.decode(data)
    mono = [sum(floats[i:i + channels]) / channels for i in range(0, len(floats) - channels + 1, channels)]
    ints = [max(-32768, min(32767, round(v * 32767))) for v in mono]
    return resample(ints, rate, RATE)


def prepare(samples: list[int]) -> list[int]:
    """Trimmed of silence, at TARGET_RMS_DBFS over its voiced part, faded at both ends."""
    voiced = trim(samples)
    seconds = len(voiced) / RATE
    if seconds < MIN_SECONDS:
        raise VoiceInputError("Không nghe thấy tiếng trong bản ghi âm (chỉ có khoảng lặng)")
    if seconds > MAX_SECONDS:
        raise VoiceInputError(f"Bản ghi âm dài {seconds:.1f} giây: mỗi clip là một từ hay một cụm từ, "
                              f"tối đa {MAX_SECONDS:.0f} giây")
    rms = math.sqrt(sum(s * s for s in voiced) / len(voiced)) / 32768
    peak = max(map(abs, voiced)) / 32768
    gain = min(10 ** (TARGET_RMS_DBFS / 20) / rms, PEAK_LIMIT / peak)
    return fade([max(-32768, min(32767, round(s * gain))) for s in voiced])


def save(clips_dir: Path, name: str, samples: list[int]) -> Path:
    """Write the clip (atomically: a call being made meanwhile reads the old or the new)."""
    clips_dir.mkdir(parents=True, exist_ok=True)
    path = clips_dir / name
    fd, tmp = tempfile.mkstemp(dir=clips_dir, suffix=".part")
    with os.fdopen(fd, "wb") as fh:
        fh.write(encode_wav(samples))
    os.replace(tmp, path)
    return path


def coverage(required: list[str], clips_dir: Path | None) -> dict:
    """Which required clips are recorded: {total, recorded, percent, missing, clips: [{name, recorded, seconds}]}."""
    have = find_clips(clips_dir)
    rows = []
    for name in required:
        clip = have.get(name[:-len(CLIP_SUFFIX)])
        rows.append({"name": name, "text": name[:-len(CLIP_SUFFIX)], "recorded": clip is not None,
                     "seconds": round(max(clip.size - 44, 0) / 2 / RATE, 2) if clip else None})
    recorded = sum(r["recorded"] for r in rows)
    return {"total": len(rows), "recorded": recorded, "percent": round(100 * recorded / len(rows), 1) if rows else 100.0,
            "missing": [r["name"] for r in rows if not r["recorded"]], "clips": rows}
