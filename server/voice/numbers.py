"""Vietnamese number words, digit-by-digit reading and ticket codes read aloud."""

import re
import unicodedata
from dataclasses import dataclass

from .errors import VoiceInputError

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
MAX_NUMBER = 999_999
MAX_CODE_LETTERS = 3
MAX_CODE_DIGITS = 6
MODES = ("number", "digits")

# The Vietnamese names of the letters, as an announcer spells them; F, J, W, Z are not in the
# Vietnamese alphabet but occur in codes, so they get their usual loan names.
LETTER_NAMES = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "F": "ép", "G": "giê",
    "H": "hát", "I": "i", "J": "gi", "K": "ca", "L": "e lờ", "M": "em mờ", "N": "en nờ",
    "O": "o", "P": "pê", "Q": "quy", "R": "e rờ", "S": "ét xì", "T": "tê", "U": "u", "V": "vê",
    "W": "vê kép", "X": "ích xì", "Y": "i dài", "Z": "dét",
}

_CODE = re.compile(r"([A-ZĐ]*)([0-9]+)")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class NumberStyle:
    """Regional choices when reading numbers; the defaults are the northern, formal ones."""

    four: str = "tư"  # 4 after "mươi": "tư" (24 "hai mươi tư") or "bốn"
    zero_tens: str = "linh"  # a zero tens digit before a unit: "linh" (105) or "lẻ"
    thousand: str = "nghìn"  # "nghìn" or the southern "ngàn"

    def __post_init__(self):
        allowed = {"four": ("tư", "bốn"), "zero_tens": ("linh", "lẻ"), "thousand": ("nghìn", "ngàn")}
        for name, choices in allowed.items():
            value = getattr(self, name)
            if not isinstance(value, str) or _nfc(value) not in choices:
                raise VoiceInputError(f"{name}={value!r} không hợp lệ: chọn một trong {', '.join(choices)}")
            # Frozen, so normalise through object.__setattr__: an NFD "tư" must equal the NFC one.
            object.__setattr__(self, name, _nfc(value))


DEFAULT_STYLE = NumberStyle()


def style_from_text(text: str) -> NumberStyle:
    """The `voice_number_style` setting ("tư,linh,nghìn") as a NumberStyle; VoiceInputError naming
    the bad part."""
    parts = [p.strip() for p in str(text or "").split(",")]
    if len(parts) != 3:
        raise VoiceInputError(f"Kiểu đọc số {text!r}: cần ba từ cách nhau bởi dấu phẩy, ví dụ 'tư,linh,nghìn'")
    return NumberStyle(four=parts[0], zero_tens=parts[1], thousand=parts[2])


def _below_thousand(n: int, full: bool, style: NumberStyle) -> list[str]:
    """Words of 1..999; `full` says the hundreds are read even when zero (the 005 of 1005)."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words = [DIGITS[hundreds], "trăm"] if (hundreds or full) else []
    if tens == 0:
        if units:
            if words:
                words.append(style.zero_tens)
            words.append(DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])  # 11 is "mười một", never "mốt"
    else:
        words += [DIGITS[tens], "mươi"]
        if units:
            words.append({1: "mốt", 4: style.four, 5: "lăm"}.get(units, DIGITS[units]))
    return words


def _check_int(n, what: str, high: int) -> int:
    # bool is an int subclass; True read as "một" would hide a caller's bug.
    if isinstance(n, bool) or not isinstance(n, int):
        raise VoiceInputError(f"{what} phải là số nguyên, không phải {n!r}")
    if not 0 <= n <= high:
        raise VoiceInputError(f"{what} {n} nằm ngoài khoảng 0..{high}")
    return n


def number_words(n: int, style: NumberStyle = DEFAULT_STYLE) -> str:
    """Vietnamese words for 0 <= n <= 999999, e.g. 1005 -> "một nghìn không trăm linh năm"."""
    _check_int(n, "Số", MAX_NUMBER)
    if n == 0:
        return DIGITS[0]
    thousands, rest = divmod(n, 1000)
    words = []
    if thousands:
        words += _below_thousand(thousands, False, style) + [style.thousand]
    if rest:
        words += _below_thousand(rest, bool(thousands), style)
    return " ".join(words)


def digits_words(digits: str) -> str:
    """Each digit of a string of ASCII digits read on its own: "0105" -> "không một không năm"."""
    if not isinstance(digits, str) or not digits or not all("0" <= c <= "9" for c in digits):
        raise VoiceInputError(f"Cần một chuỗi chữ số 0-9, không phải {digits!r}")
    return " ".join(DIGITS[int(c)] for c in digits)


def parse_code(code: str) -> tuple[str, str]:
    """Split a ticket code such as "AB012" into its letters ("AB") and digits ("012")."""
    if not isinstance(code, str):
        raise VoiceInputError(f"Mã số thứ tự phải là chuỗi, không phải {code!r}")
    match = _CODE.fullmatch(_nfc(code.strip()).upper())
    if not match:
        raise VoiceInputError(
            f"Mã số thứ tự không hợp lệ: {code!r} (cần chữ cái A-Z hoặc Đ rồi chữ số, ví dụ A005)"
        )
    letters, digits = match.groups()
    if len(letters) > MAX_CODE_LETTERS:
        raise VoiceInputError(f"Mã số thứ tự {code!r} có quá {MAX_CODE_LETTERS} chữ cái")
    if len(digits) > MAX_CODE_DIGITS:
        raise VoiceInputError(f"Mã số thứ tự {code!r} có quá {MAX_CODE_DIGITS} chữ số")
    return letters, digits


def code_pieces(code: str, mode: str = "number", style: NumberStyle = DEFAULT_STYLE) -> list[str]:
    """The spoken pieces of a ticket code: one per letter name ("e lờ") and one per number word."""
    if mode not in MODES:
        raise VoiceInputError(f"mode={mode!r} không hợp lệ: chọn 'number' hoặc 'digits'")
    letters, digits = parse_code(code)
    spoken = number_words(int(digits), style) if mode == "number" else digits_words(digits)
    return [LETTER_NAMES[c] for c in letters] + spoken.split()


def code_words(code: str, mode: str = "number", style: NumberStyle = DEFAULT_STYLE) -> str:
    """A ticket code read aloud: "A005" -> "a năm" (mode "number") or "a không không năm" ("digits")."""
    return " ".join(code_pieces(code, mode, style))
