"""Vietnamese number words: a hand-checked table and exhaustive properties over 0..9999."""

import unicodedata

import pytest

from server.voice import NumberStyle, VoiceInputError, code_words, digits_words, number_words

DIGIT = {w: i for i, w in enumerate(["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"])}
STYLES = [NumberStyle(f, z, t) for f in ("tư", "bốn") for z in ("linh", "lẻ") for t in ("nghìn", "ngàn")]

# Checked by hand against the rules in /work/shared/domain.md.
TABLE = {
    0: "không", 1: "một", 4: "bốn", 5: "năm", 9: "chín", 10: "mười", 11: "mười một",
    14: "mười bốn", 15: "mười lăm", 19: "mười chín", 20: "hai mươi", 21: "hai mươi mốt",
    24: "hai mươi tư", 25: "hai mươi lăm", 31: "ba mươi mốt", 44: "bốn mươi tư",
    55: "năm mươi lăm", 90: "chín mươi", 99: "chín mươi chín", 100: "một trăm",
    101: "một trăm linh một", 104: "một trăm linh bốn", 105: "một trăm linh năm",
    110: "một trăm mười", 111: "một trăm mười một", 115: "một trăm mười lăm",
    121: "một trăm hai mươi mốt", 205: "hai trăm linh năm", 215: "hai trăm mười lăm",
    255: "hai trăm năm mươi lăm", 500: "năm trăm", 999: "chín trăm chín mươi chín",
    1000: "một nghìn", 1001: "một nghìn không trăm linh một",
    1005: "một nghìn không trăm linh năm", 1010: "một nghìn không trăm mười",
    1011: "một nghìn không trăm mười một", 1015: "một nghìn không trăm mười lăm",
    1021: "một nghìn không trăm hai mươi mốt", 1100: "một nghìn một trăm",
    1115: "một nghìn một trăm mười lăm", 2010: "hai nghìn không trăm mười",
    2024: "hai nghìn không trăm hai mươi tư", 3050: "ba nghìn không trăm năm mươi",
    5555: "năm nghìn năm trăm năm mươi lăm", 7001: "bảy nghìn không trăm linh một",
    9999: "chín nghìn chín trăm chín mươi chín", 10000: "mười nghìn",
    15000: "mười lăm nghìn", 21005: "hai mươi mốt nghìn không trăm linh năm",
    105000: "một trăm linh năm nghìn", 999999: "chín trăm chín mươi chín nghìn chín trăm chín mươi chín",
}


@pytest.mark.parametrize("n, words", sorted(TABLE.items()))
def test_hand_checked_table(n, words):
    assert number_words(n) == words


def test_table_is_big_enough_and_nfc():
    assert len(TABLE) >= 40
    assert all(unicodedata.is_normalized("NFC", w) for w in TABLE.values())


def _group(tokens, i, full, style):
    """Strict reader of one group below a thousand; raises AssertionError on any misplaced word."""
    def at(k):
        return tokens[k] if k < len(tokens) else None

    value, said_hundreds = 0, False
    if at(i) in DIGIT and at(i + 1) == "trăm":
        assert full or DIGIT[at(i)] > 0, "leading 'không trăm'"
        value, said_hundreds, i = DIGIT[at(i)] * 100, True, i + 2
    else:
        assert not full, "a group after nghìn must say its hundreds"
    if at(i) == style.zero_tens:
        assert said_hundreds, "linh without hundreds"
        assert at(i + 1) in DIGIT and at(i + 1) != "không", "linh must be followed by 1..9"
        return value + DIGIT[at(i + 1)], i + 2
    if at(i) == "mười":
        value, i = value + 10, i + 1
        units = {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "lăm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
    elif at(i) in DIGIT and DIGIT[at(i)] >= 2 and at(i + 1) == "mươi":
        value, i = value + DIGIT[at(i)] * 10, i + 2
        units = {"mốt": 1, "hai": 2, "ba": 3, style.four: 4, "lăm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9}
    else:
        assert not said_hundreds or at(i) not in DIGIT, "unit after trăm without linh"
        units = {w: d for w, d in DIGIT.items() if d > 0}
    if at(i) in units and at(i + 1) not in ("trăm", "mươi"):
        value, i = value + units[at(i)], i + 1
    assert value > 0, "empty group"
    return value, i


def parse(words: str, style: NumberStyle = NumberStyle()) -> int:
    """The number some Vietnamese words say, by a grammar written independently of the code."""
    tokens = words.split(" ")
    if tokens == ["không"]:
        return 0
    value, i = _group(tokens, 0, False, style)
    if i < len(tokens) and tokens[i] == style.thousand:
        value, i = value * 1000, i + 1
        if i < len(tokens):
            rest, i = _group(tokens, i, True, style)
            value += rest
    assert i == len(tokens), f"left over: {tokens[i:]}"
    return value


def test_parser_rejects_wrong_forms():
    # The round trip below is only as strong as this parser is strict.
    for wrong in ["hai mươi một", "mười mốt", "hai mươi năm", "mười năm", "một trăm năm",
                  "một trăm linh lăm", "một nghìn năm", "một nghìn không trăm", "một nghìn linh năm",
                  "không trăm năm", "hai mươi bốn", "một mươi", "một trăm linh không", "mười không"]:
        with pytest.raises(AssertionError):
            parse(wrong)
    assert parse("hai mươi bốn", NumberStyle(four="bốn")) == 24


@pytest.mark.parametrize("style", STYLES, ids=lambda s: f"{s.four}-{s.zero_tens}-{s.thousand}")
def test_every_number_to_9999_round_trips_through_a_strict_parser(style):
    for n in range(10_000):
        words = number_words(n, style)
        assert parse(words, style) == n, (n, words)


def test_every_number_to_9999_uses_known_words_nfc_single_spaced():
    known = set(DIGIT) | {"mười", "mươi", "mốt", "lăm", "tư", "linh", "trăm", "nghìn"}
    for n in range(10_000):
        words = number_words(n)
        assert words and words == " ".join(words.split()), n
        assert unicodedata.is_normalized("NFC", words), n
        assert set(words.split()) <= known, (n, words)


def test_no_two_numbers_share_words():
    for style in STYLES:
        seen = {}
        for n in range(10_000):
            words = number_words(n, style)
            assert words not in seen, (n, seen.get(words), words)
            seen[words] = n


def test_six_digit_numbers_round_trip():
    sample = set(range(0, 1_000_000, 997)) | set(range(999_000, 1_000_000)) | {100_001, 101_000, 110_010}
    for n in sample:
        words = number_words(n)
        assert parse(words) == n, (n, words)


def test_style_options():
    assert number_words(24, NumberStyle(four="bốn")) == "hai mươi bốn"
    assert number_words(14, NumberStyle(four="tư")) == "mười bốn"  # tư only after mươi
    assert number_words(104) == "một trăm linh bốn"
    assert number_words(105, NumberStyle(zero_tens="lẻ")) == "một trăm lẻ năm"
    assert number_words(1005, NumberStyle(zero_tens="lẻ", thousand="ngàn")) == "một ngàn không trăm lẻ năm"
    nfd = unicodedata.normalize("NFD", "tư")
    assert NumberStyle(four=nfd) == NumberStyle(four="tư")


@pytest.mark.parametrize("field, value", [("four", "tu"), ("zero_tens", "le"), ("thousand", "ngan"), ("four", 4)])
def test_style_rejects_unknown_choices(field, value):
    with pytest.raises(VoiceInputError, match=field):
        NumberStyle(**{field: value})


@pytest.mark.parametrize("bad", [-1, 1_000_000, True, 1.0, "5", None])
def test_number_words_rejects_bad_input(bad):
    with pytest.raises(ValueError, match="Số"):
        number_words(bad)


def test_digits_words():
    assert digits_words("0105") == "không một không năm"
    assert digits_words("0") == "không"
    assert digits_words("123456789") == "một hai ba bốn năm sáu bảy tám chín"


@pytest.mark.parametrize("bad", ["", "12a", " 12", "１２", "٣", 105, None])
def test_digits_words_rejects_bad_input(bad):
    with pytest.raises(ValueError, match="chữ số"):
        digits_words(bad)


LETTERS = {  # as given in the brief
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "G": "giê", "H": "hát", "I": "i",
    "K": "ca", "L": "e lờ", "M": "em mờ", "N": "en nờ", "O": "o", "P": "pê", "Q": "quy", "R": "e rờ",
    "S": "ét xì", "T": "tê", "U": "u", "V": "vê", "X": "ích xì", "Y": "i dài", "F": "ép", "J": "gi",
    "W": "vê kép", "Z": "dét",
}


@pytest.mark.parametrize("code, mode, words", [
    ("A005", "number", "a năm"),
    ("A005", "digits", "a không không năm"),
    ("1005", "number", "một nghìn không trăm linh năm"),
    ("1005", "digits", "một không không năm"),
    ("AB012", "number", "a bê mười hai"),
    ("AB012", "digits", "a bê không một hai"),
    ("a021", "number", "a hai mươi mốt"),
    (" Đ15 ", "number", "đê mười lăm"),
    ("đ0", "number", "đê không"),
    ("LSX2024", "number", "e lờ ét xì ích xì hai nghìn không trăm hai mươi tư"),
    ("000000", "number", "không"),
    ("999999", "number", TABLE[999999]),
])
def test_code_words(code, mode, words):
    assert code_words(code, mode) == words


@pytest.mark.parametrize("letter, name", sorted(LETTERS.items()))
def test_every_letter_name(letter, name):
    assert code_words(letter + "1") == name + " một"
    assert code_words(letter.lower() + "1") == name + " một"


def test_code_words_style_and_nfd_input():
    assert code_words("B105", style=NumberStyle(zero_tens="lẻ")) == "bê một trăm lẻ năm"
    assert code_words(unicodedata.normalize("NFD", "Đ24")) == "đê hai mươi tư"


@pytest.mark.parametrize("bad, named", [
    ("", "''"), ("A", "'A'"), ("005A", "'005A'"), ("A-5", "'A-5'"), ("A 5", "'A 5'"),
    ("Ă5", "'Ă5'"), ("ABCD1", "chữ cái"), ("A1234567", "chữ số"), (5, "chuỗi"), (None, "chuỗi"),
])
def test_code_words_rejects_bad_codes(bad, named):
    with pytest.raises(ValueError, match=named):
        code_words(bad)


def test_code_words_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode='words'"):
        code_words("A5", "words")
