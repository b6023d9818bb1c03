"""CallAudio: the WAV of a call, from recorded clips first and espeak-ng for the rest, cached."""

import hashlib
import json
import logging
from pathlib import Path

from . import espeak as espeak_cmd
from .cache import WavCache
from .chime import chime as chime_samples
from .clips import find_clips
from .errors import VoiceError, VoiceInputError
from .numbers import DEFAULT_STYLE, NumberStyle
from .pcm import RATE, decode_wav, encode_wav, fade, silence, trim
from .tempo import faster
from .phrases import BRIEF_TEMPLATE, CLIP_SUFFIX, DEFAULT_TEMPLATE, call_pieces, parse_template, required_clips

log = logging.getLogger(__name__)

# Bump when the rendering below changes, so old cache entries are not served.
FORMAT_VERSION = 3
WORD_GAP_MS = 60  # between pieces: separately recorded words need a breath to sound spoken
CHIME_GAP_MS = 350
REPEAT_PAUSE_MS = 900
TAIL_MS = 300  # players that cut the last buffer short then cut silence, not speech
# A brief call (said once while other calls wait): short chime, short sentence, tighter gaps and
# espeak-ng a little faster, so the whole call fits BRIEF_MAX_S.
BRIEF_MAX_S = 5.0
BRIEF_WORD_GAP_MS = 30
BRIEF_CHIME_GAP_MS = 150
BRIEF_TAIL_MS = 100
BRIEF_RATE_FACTOR = 1.15
MAX_REPEAT = 5
DEFAULT_CACHE_BYTES = 256 * 2**20


class CallAudio:
    """Makes call WAVs (RATE Hz mono 16-bit PCM); immutable after construction, so thread-safe."""

    def __init__(self, clips_dir: Path | None, cache_dir: Path, espeak: str = "espeak-ng",
                 voice: str = "vi", rate: int = 140, *, template: str = DEFAULT_TEMPLATE,
                 style: NumberStyle = DEFAULT_STYLE, cache_max_bytes: int | None = DEFAULT_CACHE_BYTES,
                 brief_template: str = BRIEF_TEMPLATE):
        parse_template(brief_template)
        parse_template(template)  # a bad template should fail at start-up, not at the first call
        if isinstance(rate, bool) or not isinstance(rate, int) or not 80 <= rate <= 450:
            raise VoiceInputError(f"rate={rate!r} không hợp lệ: espeak-ng nhận 80..450 từ/phút")
        if clips_dir is not None and not Path(clips_dir).is_dir():
            # Not an error: a new center has no recordings yet, and clips added later are picked up.
            log.warning("Thư mục clip %s chưa có; mọi câu gọi sẽ do espeak-ng đọc", clips_dir)
        self.clips_dir = None if clips_dir is None else Path(clips_dir)
        self.espeak, self.voice, self.rate = espeak, voice, rate
        self.template, self.style, self.brief_template = template, style, brief_template
        self.cache = WavCache(Path(cache_dir), cache_max_bytes)

    def pieces(self, code: str, counter: int, *, mode: str = "number", brief: bool = False) -> list[str]:
        """The audio pieces of one saying of the call, in order."""
        return call_pieces(code, counter, mode=mode, template=self.brief_template if brief else self.template,
                           style=self.style)

    def required(self) -> list[str]:
        """Every clip file name a call can need under this center's sentences and number style."""
        return required_clips(self.template, self.style, self.brief_template)

    def missing_clips(self) -> list[str]:
        """Required clip file names the clip folder lacks (all of them without a folder)."""
        have = find_clips(self.clips_dir)
        return [name for name in self.required() if name[:-len(CLIP_SUFFIX)] not in have]

    def wav_for_call(self, code: str, counter: int, *, repeat: int = 2, chime: bool = True,
                     mode: str = "number", brief: bool = False) -> bytes:
        """One WAV: the chime, then the call said `repeat` times; served from the cache when known.
        `brief`: said once in the short form, at most BRIEF_MAX_S long (the chime is left out
        when the sentence alone needs the time)."""
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
            raise VoiceInputError(f"repeat={repeat!r} không hợp lệ: cần số nguyên 1..{MAX_REPEAT}")
        if not isinstance(chime, bool):
            raise VoiceInputError(f"chime={chime!r} không hợp lệ: cần True hoặc False")
        if not isinstance(brief, bool):
            raise VoiceInputError(f"brief={brief!r} không hợp lệ: cần True hoặc False")
        repeat = 1 if brief else repeat
        pieces = self.pieces(code, counter, mode=mode, brief=brief)
        clips = find_clips(self.clips_dir)
        key = self._key(pieces, clips, repeat, chime, brief)
        data = self.cache.get(key)
        if data is None:
            render = self._render_brief if brief else self._render
            data = encode_wav(render(pieces, clips, repeat, chime))
            self.cache.put(key, data)
        return data

    def _key(self, pieces, clips, repeat, chime, brief=False) -> str:
        """Hash of everything the audio depends on; a re-recorded clip changes its size or mtime."""
        sources = [[p, clips[p].path.name, clips[p].size, clips[p].mtime_ns] if p in clips else [p]
                   for p in pieces]
        settings = {"version": FORMAT_VERSION, "rate": RATE, "repeat": repeat, "chime": chime, "brief": brief}
        if any(p not in clips for p in pieces):
            settings["espeak"] = [self.espeak, self.voice, self.rate]
        blob = json.dumps([sources, settings], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _render(self, pieces, clips, repeat, chime) -> list[int]:
        sentence = self._sentence(pieces, clips)
        out = chime_samples() + silence(CHIME_GAP_MS) if chime else []
        for i in range(repeat):
            out += (silence(REPEAT_PAUSE_MS) if i else []) + sentence
        return out + silence(TAIL_MS)

    def _render_brief(self, pieces, clips, _repeat, chime) -> list[int]:
        sentence = self._sentence(pieces, clips, gap_ms=BRIEF_WORD_GAP_MS,
                                  rate=min(450, round(self.rate * BRIEF_RATE_FACTOR)))
        budget = int(BRIEF_MAX_S * RATE)
        head = chime_samples(short=True) + silence(BRIEF_CHIME_GAP_MS) if chime else []
        tail = silence(BRIEF_TAIL_MS)
        if len(head) + len(sentence) + len(tail) > budget:
            # Long recorded words: the number matters more than the chime.
            head = []
        room = budget - len(tail)
        if len(sentence) > room:
            # Still too long (a long number of separately recorded words): said a little faster,
            # at the same pitch, rather than cut.
            sentence = faster(sentence, len(sentence) / (room - RATE // 50))
        return (head + sentence + tail)[:budget]

    def _sentence(self, pieces, clips, *, gap_ms: int = WORD_GAP_MS, rate: int | None = None) -> list[int]:
        """One saying: clips where recorded; each run of unrecorded pieces in one espeak-ng call,
        so the synthetic voice keeps its sentence melody across them."""
        runs: list[tuple[str, list[str]]] = []
        for piece in pieces:
            if piece in clips:
                runs.append(("clip", [piece]))
            elif runs and runs[-1][0] == "espeak":
                runs[-1][1].append(piece)
            else:
                runs.append(("espeak", [piece]))
        missing = [p for kind, ps in runs if kind == "espeak" for p in ps]
        if missing and not espeak_cmd.available(self.espeak):
            raise VoiceError(
                f"Không có clip cho {', '.join(repr(p + CLIP_SUFFIX) for p in dict.fromkeys(missing))}"
                f" và không tìm thấy espeak-ng ({self.espeak!r})"
            )
        out: list[int] = []
        decoded: dict[str, list[int]] = {}  # "không" may be said several times in one call
        for kind, run in runs:
            if kind == "clip":
                if run[0] not in decoded:
                    decoded[run[0]] = _read_clip(clips[run[0]].path)
                samples = decoded[run[0]]
            else:
                text = " ".join(run)
                samples = decode_wav(espeak_cmd.synthesize(text, espeak=self.espeak, voice=self.voice,
                                                           rate=rate or self.rate), f"espeak-ng {text!r}")
            out += (silence(gap_ms) if out else []) + fade(trim(samples))
        return out


def _read_clip(path: Path) -> list[int]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VoiceError(f"Không đọc được clip {str(path)!r}: {exc}") from exc
    return decode_wav(data, str(path))
