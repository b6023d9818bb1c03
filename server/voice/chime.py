"""The "ding-dong" played before a call, synthesised so no sound file is needed."""

import math

from .pcm import RATE

# E5 then C5, a major third down: the familiar two-tone door/announcement chime.
NOTES = ((0.0, 659.25), (0.45, 523.25))
NOTE_SECONDS = 1.1
DECAY = 3.5  # per second; the bell rings out rather than stopping
PARTIALS = ((1.0, 1.0), (2.0, 0.35), (3.0, 0.12))  # harmonics that make a soft bell timbre
PEAK = 0.45 * 32767  # well under full scale: the chime should not startle the room


SHORT_NOTES = ((0.0, 659.25), (0.2, 523.25))
SHORT_NOTE_SECONDS = 0.4


def chime(short: bool = False) -> list[int]:
    """The chime as RATE Hz mono 16-bit samples, about 1.5 s long; `short`: 0.6 s, for a call said
    once while others wait (the 5 s budget of a brief call, docs/voice.md)."""
    notes, seconds = (SHORT_NOTES, SHORT_NOTE_SECONDS) if short else (NOTES, NOTE_SECONDS)
    note_len = int(seconds * RATE)
    attack, release = int(0.005 * RATE), int(0.05 * RATE)
    mix = [0.0] * (int(notes[-1][0] * RATE) + note_len)
    for start_s, freq in notes:
        start = int(start_s * RATE)
        for i in range(note_len):
            t = i / RATE
            env = math.exp(-DECAY * t) * min(1.0, i / attack) * min(1.0, (note_len - i) / release)
            mix[start + i] += env * sum(a * math.sin(2 * math.pi * freq * k * t) for k, a in PARTIALS)
    scale = PEAK / max(map(abs, mix))
    return [round(v * scale) for v in mix]
