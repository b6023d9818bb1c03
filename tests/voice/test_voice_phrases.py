"""The call sentence, its audio pieces and the list of clips to record."""

import unicodedata

import pytest

from server.voice import (
    DEFAULT_TEMPLATE, LETTER_NAMES, NumberStyle, call_pieces, call_words, required_clips,
)

PHRASE_1, PHRASE_2 = "xin mời công dân có số thứ tự", "đến quầy số"


@pytest.mark.parametrize("code, counter, mode, sentence", [
    ("A005", 3, "number", "Xin mời công dân có số thứ tự a năm đến quầy số ba"),
    ("A005", 3, "digits", "Xin mời công dân có số thứ tự a không không năm đến quầy số ba"),
    ("1005", 12, "number", "Xin mời công dân có số thứ tự một nghìn không trăm linh năm đến quầy số mười hai"),
    ("B021", "21", "number", "Xin mời công dân có số thứ tự bê hai mươi mốt đến quầy số hai mươi mốt"),
    ("L115", 5, "number", "Xin mời công dân có số thứ tự e lờ một trăm mười lăm đến quầy số năm"),
])
def test_call_words(code, counter, mode, sentence):
    assert call_words(code, counter, mode=mode) == sentence


def test_default_template_is_the_domain_sentence():
    assert DEFAULT_TEMPLATE == "Xin mời công dân có số thứ tự {số} đến quầy số {quầy}"


def test_call_pieces_split_phrases_letters_and_words():
    assert call_pieces("AB012", 21) == [PHRASE_1, "a", "bê", "mười", "hai", PHRASE_2, "hai", "mươi", "mốt"]
    assert call_pieces("L1005", 4, mode="digits") == [
        PHRASE_1, "e lờ", "một", "không", "không", "năm", PHRASE_2, "bốn"]


def test_custom_template_and_style():
    template = "Mời số {số}, tới quầy {quầy}."
    assert call_words("A24", 1, template=template) == "Mời số a hai mươi tư, tới quầy một."
    assert call_pieces("A24", 1, template=template) == ["mời số", "a", "hai", "mươi", "tư", "tới quầy", "một"]
    style = NumberStyle(four="bốn", zero_tens="lẻ")
    assert call_words("A104", 24, style=style).endswith("a một trăm lẻ bốn đến quầy số hai mươi bốn")
    assert call_pieces("A5", 2, template="Quầy {quầy} mời số {số}") == ["quầy", "hai", "mời số", "a", "năm"]
    nfd = unicodedata.normalize("NFD", "Mời số {số}")
    assert call_words("A1", 1, template=nfd) == "Mời số a một"


@pytest.mark.parametrize("template, named", [
    ("Mời quầy {quầy}", "{số}"),
    ("Mời số {số} {ten}", "{ten}"),
    ("Mời số {số:>3}", "{số}"),
    ("Mời số {số", "Mời số {số"),
    (None, "None"),
])
def test_bad_templates(template, named):
    with pytest.raises(ValueError) as info:
        call_words("A1", 1, template=template)
    assert named in str(info.value)


@pytest.mark.parametrize("counter", [-1, 10_000, "3A", "", True, 2.0, None, "٣"])
def test_bad_counters(counter):
    with pytest.raises(ValueError, match="quầy"):
        call_words("A1", counter)


def test_required_clips_list():
    clips = required_clips()
    # The full sentence's phrases, then the brief one's (a call said once while others wait).
    phrases = [PHRASE_1, PHRASE_2, "mời số", "đến quầy"]
    assert clips[:4] == [p + ".wav" for p in phrases]
    words = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "mươi", "mốt",
             "lăm", "tư", "linh", "trăm", "nghìn"]
    assert clips[4:4 + len(words)] == [w + ".wav" for w in words]
    assert set(clips[4 + len(words):]) == {name + ".wav" for name in LETTER_NAMES.values()}
    assert len(clips) == len(set(clips)) == 4 + len(words) + 27
    assert all(unicodedata.is_normalized("NFC", c) and "/" not in c for c in clips)


def test_required_clips_follow_style_and_template():
    clips = required_clips("Mời số {số}, quầy {quầy}", NumberStyle(four="bốn", zero_tens="lẻ", thousand="ngàn"))
    assert clips[:2] == ["mời số.wav", "quầy.wav"]
    assert {"lẻ.wav", "ngàn.wav"} <= set(clips)
    assert not {"tư.wav", "linh.wav", "nghìn.wav", PHRASE_1 + ".wav"} & set(clips)


def test_every_call_needs_only_required_clips():
    needed = {c[:-4] for c in required_clips()}
    for n in range(0, 1_000_000, 31):
        for mode in ("number", "digits"):
            code = f"{'ĐLW'[n % 3]}{n:06d}"
            assert set(call_pieces(code, n % 100, mode=mode)) <= needed, code
