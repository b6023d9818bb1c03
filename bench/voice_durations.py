"""How long a call lasts when said: in full (chime, the sentence twice) and once (the brief form
a display uses while other calls wait, at most 5 s), from espeak-ng and from recorded clips.

    .venv/bin/python bench/voice_durations.py

"Recorded clips" are stood in for by every required clip spoken alone by espeak-ng and stored
through the voice studio's own path (server/voice/studio.py: trimmed, loudness-normalised), as a
person reading one word per take would give: separately spoken words are longer than the same
words inside a sentence, which is the case the 5 s budget must hold for. Prints min/median/max
over a spread of numbers and counters.
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.voice import CallAudio, espeak  # noqa: E402
from server.voice import studio  # noqa: E402
from server.voice.audio import BRIEF_MAX_S  # noqa: E402
from server.voice.phrases import CLIP_SUFFIX  # noqa: E402

CALLS = [("A001", 1), ("A005", 3), ("B015", 8), ("A021", 12), ("C105", 4), ("D999", 20), ("A1005", 7),
         ("B2024", 15), ("AB9999", 20), ("C0110", 9)]


def seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def record_words(audio: CallAudio, folder: Path) -> None:
    for name in audio.required():
        text = name[:-len(CLIP_SUFFIX)]
        samples = studio.decode_upload(espeak.synthesize(text, espeak="espeak-ng", voice="vi", rate=140))
        studio.save(folder, name, studio.prepare(samples))


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = {"espeak-ng": CallAudio(None, tmp / "c1")}
        clips = tmp / "clips"
        record_words(sources["espeak-ng"], clips)
        sources["clips"] = CallAudio(clips, tmp / "c2")
        worst = 0.0
        print(f"{'source':<10} {'form':<22} {'min':>6} {'median':>7} {'max':>6}  (seconds, {len(CALLS)} calls)")
        for name, audio in sources.items():
            for form, kw in (("in full, said twice", {"repeat": 2}), ("in full, said once", {"repeat": 1}),
                             ("brief, said once", {"brief": True})):
                d = [seconds(audio.wav_for_call(code, counter, **kw)) for code, counter in CALLS]
                print(f"{name:<10} {form:<22} {min(d):6.2f} {statistics.median(d):7.2f} {max(d):6.2f}")
                if kw.get("brief"):
                    worst = max(worst, max(d))
        print(f"brief calls: longest {worst:.2f} s (budget {BRIEF_MAX_S} s)")
        return 0 if worst <= BRIEF_MAX_S else 1


if __name__ == "__main__":
    sys.exit(main())
