"""Draw a queue ticket as one 1-bit image (576 dots wide on 80 mm paper, 384 on 58 mm).

Cheap thermal printers cannot print Vietnamese text reliably (CP1258 needs combining marks they do
not compose), so the whole ticket, QR code included, is one picture drawn with a Unicode font.
Text that does not fit is wrapped, then shrunk; it is never cut off.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path(__file__).with_name("fonts")
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

# The tallest and deepest Vietnamese letters: stacked marks on capitals, dots below.
_REFERENCE = "ẾỄẶỖÁÀỶgjpqyỵỹ"


@lru_cache(maxsize=32)
def font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    """The shipped DejaVu font at `size` pixels (cached: loading a face costs milliseconds)."""
    return ImageFont.truetype(str(BOLD if bold else REGULAR), size)


def nfc(text: object) -> str:
    """Text in Unicode NFC (precomposed letters), so a font draws one glyph per letter."""
    return unicodedata.normalize("NFC", str(text))


@dataclass
class _Lines:
    font: ImageFont.FreeTypeFont
    lines: list[str]
    top: int  # offset of the highest ink above the baseline (negative)
    bottom: int  # lowest ink below the baseline
    inverted: bool = False
    gap_after: int = 0

    @property
    def line_height(self) -> int:
        return self.bottom - self.top

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines) + self.gap_after


def _width(text: str, f: ImageFont.FreeTypeFont) -> float:
    return f.getlength(text)


def _break_word(word: str, f: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    pieces, current = [], ""
    for char in word:
        if current and _width(current + char, f) > max_width:
            pieces.append(current)
            current = char
        else:
            current += char
    return pieces + ([current] if current else [])


def wrap(text: str, f: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line is split between letters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _width(candidate, f) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if _width(word, f) <= max_width:
            current = word
        else:
            *full, current = _break_word(word, f, max_width)
            lines.extend(full)
    if current:
        lines.append(current)
    return lines or [""]


def fit(
    text: str, *, bold: bool, size: int, min_size: int, max_width: float, max_lines: int, tight: bool = False
) -> _Lines:
    """Lines of `text`: one line if shrinking a little (to 80 %) makes it fit, else wrapped into up to
    `max_lines` at the largest size down to `min_size`; at `min_size` as many lines as needed, so
    nothing is ever cut off. `tight` measures only the ink of the text itself (for the big number).
    """
    text = nfc(" ".join(text.split()))

    def fits(s: int, lines_allowed: int):
        f = font(bold, s)
        lines = wrap(text, f, max_width)
        ok = len(lines) <= lines_allowed and all(_width(line, f) <= max_width for line in lines)
        return ok, (f, lines)

    # One line, shrinking at most to 80 %: jump straight to the size that should fit (width grows
    # linearly with size) so that few font faces get loaded, each costing memory.
    soft_min = max(min_size, round(size * 0.8))
    width = _width(text, font(bold, size))
    s = size if width <= max_width else min(size - 1, int(size * max_width / width))
    chosen = None
    while s >= soft_min:
        ok, chosen = fits(s, 1)
        if ok:
            break
        s -= 1
    else:
        # Wrapped into up to `max_lines`, stepping down ~6 % at a time; at `min_size`, as many
        # lines as it takes.
        step = max(1, round(size * 0.06))
        for s in list(range(size, min_size, -step)) + [min_size]:
            ok, chosen = fits(s, max_lines)
            if ok:
                break
    f, lines = chosen
    if tight:
        top, bottom = 0, 0
    else:
        _, top, _, bottom = f.getbbox(_REFERENCE, anchor="ls")
    for line in lines:
        _, t, _, b = f.getbbox(line, anchor="ls")
        top, bottom = min(top, t), max(bottom, b)
    return _Lines(font=f, lines=lines, top=top, bottom=bottom)


def _issued_text(issued_at: str | None, timezone: str) -> str | None:
    if not issued_at:
        return None
    try:
        when = datetime.fromisoformat(str(issued_at))
    except ValueError:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Asia/Ho_Chi_Minh")
    if when.tzinfo is not None:
        when = when.astimezone(zone)
    return f"Thời gian lấy số: {when:%H:%M} – {when:%d/%m/%Y}"


def _eta_text(eta) -> str | None:
    if eta is None or isinstance(eta, bool) or not isinstance(eta, (int, float)):
        return None
    minutes = max(0, round(eta))
    if minutes == 0:
        return "Thời gian chờ dự kiến: dưới 1 phút"
    return f"Thời gian chờ dự kiến: khoảng {minutes} phút"


def _counters_text(counters) -> str | None:
    if not counters:
        return None
    if not isinstance(counters, (list, tuple)):
        counters = [counters]
    return "Quầy " + ", ".join(str(c) for c in counters)


def _qr_image(data: str, target: int) -> Image.Image:
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=1)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    modules = len(matrix)
    box = max(2, target // modules)  # whole dots per module keep the code sharp
    img = Image.new("1", (modules, modules), 1)
    pixels = img.load()
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x, y] = 0
    return img.resize((modules * box, modules * box), Image.NEAREST)


def render_ticket(ticket: dict, *, width_px: int = 576, timezone: str = "Asia/Ho_Chi_Minh") -> Image.Image:
    """The ticket of the server's `ticket` answer as a mode '1' image `width_px` wide."""
    scale = width_px / 576
    # Text shrinks less than the paper: below ~2.4 mm a letter's marks get hard to read.
    text_scale = max(scale, 0.75)
    margin = round(16 * scale)
    usable = width_px - 2 * margin

    def px(n: float) -> int:
        return max(1, round(n * scale))

    def tx(n: float) -> int:
        return max(1, round(n * text_scale))

    blocks: list[_Lines | Image.Image | int] = []

    def text(value, size, *, bold=False, min_size=None, max_lines=2, gap=8, inverted=False, tight=False):
        if value is None or not str(value).strip():
            return
        block = fit(
            str(value),
            bold=bold,
            size=tx(size),
            min_size=tx(min_size or size * 0.6),
            max_width=usable - (px(24) if inverted else 0),
            max_lines=max_lines,
            tight=tight,
        )
        block.inverted = inverted
        block.gap_after = px(gap)
        blocks.append(block)

    def rule(gap=10):
        blocks.append(-px(gap))  # a negative int: a horizontal line with `gap` space around it

    # Few distinct sizes on purpose: each (weight, size) is a font face held in memory.
    text(ticket.get("unit_name"), 26, bold=True, gap=4)
    text(ticket.get("center_name"), 26, bold=True, gap=10)
    rule()
    text("PHIẾU SỐ THỨ TỰ", 34, bold=True, gap=24)
    text(ticket.get("code"), 170, bold=True, min_size=48, max_lines=1, gap=24, tight=True)
    text(ticket.get("service_name") or ticket.get("service"), 34, bold=True, gap=4)
    text(_counters_text(ticket.get("counters")), 26, gap=10)
    if ticket.get("priority"):
        text("ƯU TIÊN", 34, bold=True, gap=12, inverted=True)
    rule()
    waiting = ticket.get("waiting_ahead")
    if isinstance(waiting, int) and not isinstance(waiting, bool):
        text(f"Số người đang chờ trước: {waiting}", 24, gap=4)
    text(_eta_text(ticket.get("eta_minutes")), 24, gap=4)
    text(_issued_text(ticket.get("issued_at"), ticket.get("timezone") or timezone), 24, gap=10)
    url = ticket.get("track_url")
    if url:
        blocks.append(_qr_image(str(url), min(200, usable)))
        blocks.append(px(6))
        text("Quét mã để theo dõi số thứ tự", 20, gap=10)
    text("Vui lòng chờ gọi số. Xin cảm ơn!", 26, bold=True, gap=0)

    height = margin * 2
    for block in blocks:
        if isinstance(block, _Lines):
            height += block.height + (px(12) if block.inverted else 0)
        elif isinstance(block, Image.Image):
            height += block.height
        else:
            height += abs(block) * (2 if block < 0 else 1) + (px(2) if block < 0 else 0)

    canvas = Image.new("L", (width_px, height), 255)
    draw = ImageDraw.Draw(canvas)
    y = margin
    center = width_px // 2
    for block in blocks:
        if isinstance(block, Image.Image):
            canvas.paste(block.convert("L"), (center - block.width // 2, y))
            y += block.height
        elif isinstance(block, int):
            if block < 0:
                y += -block
                draw.rectangle((margin, y, width_px - margin, y + px(2) - 1), fill=0)
                y += px(2) - block
            else:
                y += block
        else:
            ink = 255 if block.inverted else 0
            if block.inverted:
                pad = px(6)
                widest = max(_width(line, block.font) for line in block.lines)
                box_w = widest + px(24)
                draw.rectangle(
                    (center - box_w / 2, y, center + box_w / 2, y + block.line_height * len(block.lines) + 2 * pad),
                    fill=0,
                )
                y += pad
            for line in block.lines:
                draw.text((center, y - block.top), line, font=block.font, fill=ink, anchor="ms")
                y += block.line_height
            y += (px(6) if block.inverted else 0) + block.gap_after
    # A hard threshold, not dithering: thermal dots are on or off, and edges stay crisp.
    return canvas.point(lambda v: 0 if v < 160 else 255).convert("1", dither=Image.Dither.NONE)


def sample_ticket() -> dict:
    """A realistic server answer, for the docs' PNG, the simulator and the benchmark."""
    return {
        "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "code": "A015",
        "service": "A",
        "service_name": "Đất đai",
        "issued_at": "2026-03-12T01:15:42+00:00",
        "waiting_ahead": 12,
        "eta_minutes": 25,
        "priority": True,
        "counters": [1, 3],
        "center_name": "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
        "unit_name": "UBND PHƯỜNG BẾN THÀNH",
        "track_url": "http://192.168.1.10:5000/t/7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "timezone": "Asia/Ho_Chi_Minh",
    }
