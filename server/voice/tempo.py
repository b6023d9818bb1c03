"""Speech made faster without raising its pitch (WSOLA: windowed frames overlap-added, each one
shifted a little to where it best continues the one before), for a brief call that would not
otherwise fit its 5 s. A coarse search keeps it to a fraction of a second in pure Python for a
few seconds of speech; the result is cached with the call's WAV."""

from __future__ import annotations

import math

from .pcm import RATE

FRAME_S = 0.030
TOLERANCE_S = 0.005
SEARCH_STEP = 5   # offsets tried every this many samples
CORR_STEP = 4     # samples compared every this many


def faster(samples: list[int], factor: float, rate: int = RATE) -> list[int]:
    """`samples` played `factor` times faster (factor > 1), pitch unchanged."""
    frame = int(FRAME_S * rate)
    if factor <= 1.0 or len(samples) < 4 * frame:
        return samples
    hop = frame // 2
    tol = int(TOLERANCE_S * rate)
    window = [0.5 - 0.5 * math.cos(2 * math.pi * i / frame) for i in range(frame)]
    n_out = int(len(samples) / factor)
    out = [0.0] * (n_out + frame)
    weight = [0.0] * (n_out + frame)
    prev = 0
    k = 0
    while True:
        out_at = k * hop
        nominal = int(out_at * factor)
        if out_at + frame > len(out) or nominal + frame + tol >= len(samples):
            break
        start = nominal
        if k:
            # Where the last frame would naturally go on; the candidate that starts most like it.
            natural = prev + hop
            best, best_score = nominal, -math.inf
            for delta in range(-tol, tol + 1, SEARCH_STEP):
                cand = nominal + delta
                if cand < 0:
                    continue
                score = sum(samples[cand + i] * samples[natural + i] for i in range(0, hop, CORR_STEP))
                if score > best_score:
                    best, best_score = cand, score
            start = best
        for i in range(frame):
            w = window[i]
            out[out_at + i] += w * samples[start + i]
            weight[out_at + i] += w
        prev = start
        k += 1
    end = (k - 1) * hop + frame if k else 0
    return [max(-32768, min(32767, round(o / w))) if w > 1e-3 else 0 for o, w in zip(out[:end], weight[:end])]
