"""The ticket picture: 1-bit, the paper's width, Vietnamese text whole, nothing cut off."""

from __future__ import annotations

import unicodedata

import pytest
from PIL import Image, ImageChops

from kiosk.ticket_image import (
    _issued_text,
    fit,
    font,
    render_ticket,
    sample_ticket,
    wrap,
)


def ink_rows(img: Image.Image) -> int:
    """How many rows hold black dots."""
    inverted = ImageChops.invert(img.convert("L"))
    return sum(1 for y in range(img.height) if inverted.crop((0, y, img.width, y + 1)).getbbox())


@pytest.mark.parametrize("width", [576, 384])
def test_size_and_mode(width):
    img = render_ticket(sample_ticket(), width_px=width)
    assert img.mode == "1" and img.width == width
    histogram = img.convert("L").histogram()
    assert {i for i, n in enumerate(histogram) if n} == {0, 255}


@pytest.mark.parametrize("width", [576, 384])
def test_margins_stay_white(width):
    """Nothing touches the edges: text that does not fit was wrapped or shrunk, not cut."""
    ticket = dict(sample_ticket(), unit_name="ỦY BAN NHÂN DÂN PHƯỜNG NGUYỄN THÁI BÌNH QUẬN MỘT THÀNH PHỐ HỒ CHÍ MINH",
                  service_name="Lao động - Thương binh và Xã hội, Bảo hiểm xã hội, Đăng ký kinh doanh",
                  code="1005", counters=list(range(1, 30)))
    img = render_ticket(ticket, width_px=width)
    box = ImageChops.invert(img.convert("L")).getbbox()
    assert box[0] >= 4 and box[2] <= width - 4
    assert box[1] >= 4 and box[3] <= img.height - 4


def test_wrap_keeps_every_word_and_fits():
    f = font(True, 30)
    text = "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG BẾN THÀNH"
    lines = wrap(text, f, 300)
    assert " ".join(lines) == text
    assert all(f.getlength(line) <= 300 for line in lines)


def test_a_word_longer_than_the_line_is_split_not_cut():
    f = font(False, 24)
    word = "Nghịđịnh118/2025/NĐ-CPvềthựchiệnthủtụchànhchính"
    lines = wrap(word, f, 200)
    assert "".join(lines) == word and len(lines) > 1
    assert all(f.getlength(line) <= 200 for line in lines)


def test_fit_prefers_one_line_by_shrinking_a_little():
    block = fit("TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", bold=True, size=26, min_size=14, max_width=544, max_lines=2)
    assert len(block.lines) == 1 and block.font.size < 26


def test_fit_wraps_rather_than_shrinking_too_much():
    text = "Lao động - Thương binh và Xã hội và Bảo hiểm xã hội"
    block = fit(text, bold=True, size=32, min_size=19, max_width=544, max_lines=2)
    assert len(block.lines) == 2 and " ".join(block.lines) == text


def test_fit_never_drops_text_even_at_the_smallest_size():
    text = " ".join(["Đăng ký kinh doanh"] * 12)
    block = fit(text, bold=False, size=24, min_size=20, max_width=300, max_lines=2)
    assert " ".join(block.lines) == text and len(block.lines) > 2


def test_marks_of_stacked_vietnamese_capitals_are_inside_the_line():
    block = fit("ẾỄỖẶ", bold=True, size=40, min_size=40, max_width=544, max_lines=1)
    _, top, _, bottom = block.font.getbbox("ẾỄỖẶ", anchor="ls")
    assert block.top <= top and block.bottom >= bottom


def test_decomposed_text_is_normalised():
    decomposed = unicodedata.normalize("NFD", "PHƯỜNG BẾN THÀNH")
    assert decomposed != "PHƯỜNG BẾN THÀNH"
    a = render_ticket(dict(sample_ticket(), unit_name=decomposed))
    b = render_ticket(dict(sample_ticket(), unit_name="PHƯỜNG BẾN THÀNH"))
    assert ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None


def test_issued_time_is_shown_in_the_centers_time_zone():
    assert _issued_text("2026-03-12T01:15:42+00:00", "Asia/Ho_Chi_Minh") == "Thời gian lấy số: 08:15 – 12/03/2026"
    assert _issued_text("2026-03-11T23:30:00Z", "Asia/Ho_Chi_Minh") == "Thời gian lấy số: 06:30 – 12/03/2026"
    assert _issued_text("not a date", "Asia/Ho_Chi_Minh") is None
    assert _issued_text("2026-03-12T08:15:00+07:00", "Not/AZone") == "Thời gian lấy số: 08:15 – 12/03/2026"


def test_priority_and_qr_add_to_the_ticket():
    plain = dict(sample_ticket(), priority=False, track_url=None)
    base = render_ticket(plain)
    with_priority = render_ticket(dict(plain, priority=True))
    with_qr = render_ticket(dict(plain, track_url="http://10.0.0.1:5000/t/abc"))
    assert with_priority.height > base.height
    assert with_qr.height > base.height + 150


def test_minimal_answer_still_renders():
    img = render_ticket({"code": "B007"})
    assert img.width == 576 and ink_rows(img) > 50


def test_odd_values_do_not_crash():
    ticket = dict(sample_ticket(), waiting_ahead=True, eta_minutes="soon", counters=3, issued_at=None)
    assert render_ticket(ticket).width == 576
