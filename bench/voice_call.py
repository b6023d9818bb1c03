"""Time a call's WAV: espeak-ng only (cold), from recorded clips (cold), and from the cache.

Run: .venv/bin/python bench/voice_call.py   (needs espeak-ng; figures go to docs/benchmarks.md)
"""

import io
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.voice import CallAudio, required_clips  # noqa: E402


def _tone_clips(folder: Path) -> None:
    """Stand-in clips: 0.4 s of a quiet 44.1 kHz stereo buzz, so resampling is timed too."""
    folder.mkdir()
    frames = b"".join((3000 if i % 100 < 50 else -3000).to_bytes(2, "little", signed=True) * 2
                      for i in range(int(0.4 * 44100)))
    for name in required_clips():
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as w:
            w.setnchannels(2), w.setsampwidth(2), w.setframerate(44100), w.writeframes(frames)
        (folder / name).write_bytes(buffer.getvalue())


def _time(fn, runs: int) -> float:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _tone_clips(tmp / "clips")
        speech = CallAudio(None, tmp / "c1")
        clips = CallAudio(tmp / "clips", tmp / "c2")
        print(f"espeak-ng, cold: {_time(lambda i: speech.wav_for_call(f'A{i}', 3), 10):7.1f} ms (median of 10)")
        print(f"clips, cold:     {_time(lambda i: clips.wav_for_call(f'A{i}', 3), 10):7.1f} ms")
        print(f"cache hit:       {_time(lambda i: speech.wav_for_call('A0', 3), 50):7.1f} ms")


if __name__ == "__main__":
    main()
