"""The brief call's time compression: shorter by the factor asked, same pitch."""

import math

from server.voice.pcm import RATE
from server.voice.tempo import faster


def crossings_per_s(samples):
    return sum(1 for a, b in zip(samples, samples[1:]) if a < 0 <= b) / (len(samples) / RATE)


def test_faster_keeps_the_pitch_and_shortens_by_the_factor():
    tone = [round(8000 * math.sin(2 * math.pi * 220 * i / RATE)) for i in range(2 * RATE)]
    out = faster(tone, 1.25)
    assert abs(len(out) / RATE - 2 / 1.25) < 0.05
    assert abs(crossings_per_s(out[RATE // 10:-RATE // 10]) - 220) < 5  # not 275: the pitch stayed
    assert max(map(abs, out)) <= 8100


def test_not_faster_is_unchanged():
    samples = list(range(-500, 500))
    assert faster(samples, 1.0) is samples
