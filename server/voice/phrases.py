"""The call sentence and the audio pieces (phrases, words, letter names) it is spoken from."""

import re
import string
import unicodedata

from .errors import VoiceInputError
from .numbers import DEFAULT_STYLE, DIGITS, LETTER_NAMES, NumberStyle, code_pieces, number_words

DEFAULT_TEMPLATE = "Xin mời công dân có số thứ tự {số} đến quầy số {quầy}"
# A call said once while others wait has 5 s (chime included): the short form of the sentence.
BRIEF_TEMPLATE = "Mời số {số} đến quầy {quầy}"
NUMBER_FIELD = "số"
COUNTER_FIELD = "quầy"
MAX_COUNTER = 9999
CLIP_SUFFIX = ".wav"

_NOT_WORD = re.compile(r"[^\w\s]")


def piece_key(text: str) -> str:
    """The normal form of a piece and of a clip's file name: NFC, lower case, no punctuation."""
    text = _NOT_WORD.sub(" ", unicodedata.normalize("NFC", text).lower())
    return " ".join(text.split())


def parse_template(template: str) -> list[tuple[str, str]]:
    """The template as ("text", literal) and ("field", name) parts; VoiceInputError if malformed."""
    if not isinstance(template, str):
        raise VoiceInputError(f"Mẫu câu gọi phải là chuỗi, không phải {template!r}")
    template = unicodedata.normalize("NFC", template)
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise VoiceInputError(f"Mẫu câu gọi không hợp lệ: {template!r} ({exc})") from None
    parts = []
    for literal, field, spec, conversion in parsed:
        if literal:
            parts.append(("text", literal))
        if field is None:
            continue
        if field not in (NUMBER_FIELD, COUNTER_FIELD) or spec or conversion:
            raise VoiceInputError(
                f"Mẫu câu gọi {template!r}: trường {{{field}}} không hợp lệ, chỉ dùng {{số}} và {{quầy}}"
            )
        parts.append(("field", field))
    if ("field", NUMBER_FIELD) not in parts:
        raise VoiceInputError(f"Mẫu câu gọi {template!r} thiếu trường {{số}}")
    return parts


def _counter_number(counter) -> int:
    # A counter may come from a form or the database as text; only plain digits are accepted.
    if isinstance(counter, str) and counter.strip().isascii() and counter.strip().isdigit():
        counter = int(counter.strip())
    if isinstance(counter, bool) or not isinstance(counter, int) or not 0 <= counter <= MAX_COUNTER:
        raise VoiceInputError(f"Số quầy không hợp lệ: {counter!r} (cần số nguyên 0..{MAX_COUNTER})")
    return counter


def _render(code, counter, mode, template, style) -> list[tuple[str, list[str]]]:
    """Each template part with its pieces: literal text keeps its own spelling for display."""
    fields = {
        NUMBER_FIELD: code_pieces(code, mode, style),
        COUNTER_FIELD: number_words(_counter_number(counter), style).split(),
    }
    out = []
    for kind, value in parse_template(template):
        if kind == "text":
            key = piece_key(value)
            out.append((value, [key] if key else []))
        else:
            out.append((" ".join(fields[value]), fields[value]))
    return out


def call_words(code: str, counter: int, *, mode: str = "number", template: str = DEFAULT_TEMPLATE,
               style: NumberStyle = DEFAULT_STYLE) -> str:
    """The sentence of a call: "Xin mời công dân có số thứ tự a năm đến quầy số ba"."""
    text = "".join(shown for shown, _ in _render(code, counter, mode, template, style))
    return " ".join(text.split())


def call_pieces(code: str, counter: int, *, mode: str = "number", template: str = DEFAULT_TEMPLATE,
                style: NumberStyle = DEFAULT_STYLE) -> list[str]:
    """The audio pieces of the call in order: template phrases, letter names, number words."""
    return [piece for _, pieces in _render(code, counter, mode, template, style) for piece in pieces]


def required_clips(template: str = DEFAULT_TEMPLATE, style: NumberStyle = DEFAULT_STYLE,
                   brief: str = BRIEF_TEMPLATE) -> list[str]:
    """File names of every clip a call can need: template phrases (the full and the brief
    sentence), then number words, then letters."""
    phrases = [piece_key(v) for t in (template, brief) for kind, v in parse_template(t)
               if kind == "text" and piece_key(v)]
    # Derived from the reader itself so the list cannot drift from what calls really say;
    # 0..9999 and the digits already use every word that 6-digit numbers use.
    words = set(DIGITS)
    for n in range(10_000):
        words.update(number_words(n, style).split())
    order = {w: i for i, w in enumerate(DIGITS + ("mười", "mươi", "mốt", "lăm", "tư", "linh", "lẻ",
                                                  "trăm", "nghìn", "ngàn"))}
    names = list(dict.fromkeys(phrases)) + sorted(words, key=order.__getitem__) + list(LETTER_NAMES.values())
    return [name + CLIP_SUFFIX for name in names]
