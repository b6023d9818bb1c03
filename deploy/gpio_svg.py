"""Draw docs/img/gpio-wiring.svg: the Pi's 40-pin header with the pins the kiosk's default
config uses (kiosk/demo_config.py, which deploy/kiosk/install.sh writes), and how one button and
one LED are wired.

    python deploy/gpio_svg.py docs/img/gpio-wiring.svg
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk import demo_config as d  # noqa: E402

# Physical pin -> BCM GPIO number, or a power pin's name (every 40-pin Pi since the B+).
HEADER = {1: "3V3", 2: "5V", 3: 2, 4: "5V", 5: 3, 6: "GND", 7: 4, 8: 14, 9: "GND", 10: 15, 11: 17, 12: 18,
          13: 27, 14: "GND", 15: 22, 16: 23, 17: "3V3", 18: 24, 19: 10, 20: "GND", 21: 9, 22: 25, 23: 11, 24: 8,
          25: "GND", 26: 7, 27: "ID_SD", 28: "ID_SC", 29: 5, 30: "GND", 31: 6, 32: 12, 33: 13, 34: "GND", 35: 19,
          36: 16, 37: 26, 38: 20, 39: "GND", 40: 21}

COLORS = {"ticket": "#1f77b4", "priority": "#9467bd", "rating": "#2ca02c", "counter": "#ff7f0e",
          "led": "#d62728", "GND": "#333333", "power": "#bbbbbb", "free": "#ffffff"}


def uses() -> dict[int, tuple[str, str]]:
    """BCM pin -> (kind, label) in the default configs."""
    out: dict[int, tuple[str, str]] = {d.STATUS_LED: ("led", "đèn trạng thái")}
    for i, pin in enumerate(d.TICKET_PINS, 1):
        out[pin] = ("ticket", f"nút lấy số {i}")
    out[d.PRIORITY_PIN] = ("priority", "nút ưu tiên")
    out[d.PRIORITY_LED] = ("led", "đèn ưu tiên")
    for pin, score in zip(d.RATING_PINS, (5, 4, 3, 2, 1)):
        out[pin] = ("rating", f"nút đánh giá {score}")
    out[d.RATING_LED] = ("led", "đèn đánh giá")
    for action, pin in d.COUNTER_PINS.items():
        out[pin] = ("counter", f"phím quầy: {action}")
    out[d.COUNTER_LED] = ("led", "đèn bàn phím quầy")
    return out


def svg() -> str:
    used = uses()
    row_h, top, width = 26, 70, 980
    cx = {0: 430, 1: 470}  # odd pins left, even pins right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + 20 * row_h + 300}" '
             'font-family="DejaVu Sans, sans-serif" font-size="13">',
             f'<rect width="{width}" height="{top + 20 * row_h + 300}" fill="white"/>',
             '<text x="450" y="28" font-size="18" font-weight="bold" text-anchor="middle">'
             'Đấu nối GPIO của thiết bị QMS (Raspberry Pi, đầu cắm 40 chân)</text>',
             '<text x="450" y="50" text-anchor="middle" fill="#555">số trong ô: chân vật lý; GPIO: số BCM dùng trong '
             'kiosk.toml</text>',
             f'<rect x="414" y="{top - 16}" width="72" height="{20 * row_h + 8}" rx="6" fill="#1b5e20"/>']
    for phys, what in HEADER.items():
        row, side = (phys - 1) // 2, (phys - 1) % 2
        x, y = cx[side], top + row * row_h
        if isinstance(what, int):
            kind, label = used.get(what, ("free", ""))
            name = f"GPIO{what}"
        else:
            kind, label, name = ("GND" if what == "GND" else "power"), "", what
        fill = COLORS[kind]
        parts.append(f'<circle cx="{x}" cy="{y}" r="10" fill="{fill}" stroke="#000"/>')
        parts.append(f'<text x="{x}" y="{y + 4}" font-size="9" text-anchor="middle" '
                     f'fill="{"#000" if kind in ("free", "power") else "#fff"}">{phys}</text>')
        text = f"{name}" + (f" — {label}" if label else "")
        if side == 0:
            parts.append(f'<text x="{x - 28}" y="{y + 4}" text-anchor="end">{escape(text)}</text>')
        else:
            parts.append(f'<text x="{x + 28}" y="{y + 4}">{escape(text)}</text>')
    # Legend.
    ly = top + 20 * row_h + 20
    for i, (kind, label) in enumerate((("ticket", "nút lấy số"), ("priority", "nút ưu tiên"),
                                       ("rating", "nút đánh giá"), ("counter", "phím quầy"), ("led", "đèn LED"),
                                       ("GND", "GND (mass)"))):
        x = 40 + i * 150
        parts.append(f'<circle cx="{x}" cy="{ly}" r="8" fill="{COLORS[kind]}" stroke="#000"/>')
        parts.append(f'<text x="{x + 14}" y="{ly + 4}">{escape(label)}</text>')
    # One button and one LED, drawn.
    by = ly + 50
    parts += [
        f'<text x="40" y="{by - 10}" font-weight="bold">Nút bấm: giữa GPIO và GND (điện trở kéo lên trong Pi, '
        'button_pull_up = true)</text>',
        f'<circle cx="60" cy="{by + 40}" r="6" fill="{COLORS["ticket"]}" stroke="#000"/>',
        f'<text x="45" y="{by + 65}">GPIO5</text>',
        f'<line x1="66" y1="{by + 40}" x2="150" y2="{by + 40}" stroke="#000" stroke-width="2"/>',
        f'<line x1="150" y1="{by + 40}" x2="185" y2="{by + 22}" stroke="#000" stroke-width="2"/>',
        f'<line x1="160" y1="{by + 18}" x2="200" y2="{by + 18}" stroke="#000" stroke-width="2"/>',
        f'<line x1="180" y1="{by + 18}" x2="180" y2="{by + 8}" stroke="#000" stroke-width="2"/>',
        f'<text x="200" y="{by + 20}">nút</text>',
        f'<line x1="190" y1="{by + 40}" x2="280" y2="{by + 40}" stroke="#000" stroke-width="2"/>',
        f'<circle cx="286" cy="{by + 40}" r="6" fill="{COLORS["GND"]}" stroke="#000"/>',
        f'<text x="272" y="{by + 65}">GND</text>',
        f'<text x="40" y="{by + 100}" font-weight="bold">Đèn LED: GPIO → điện trở 330 Ω → LED → GND</text>',
        f'<circle cx="60" cy="{by + 100 + 40}" r="6" fill="{COLORS["led"]}" stroke="#000"/>',
        f'<text x="45" y="{by + 100 + 65}">GPIO4</text>',
        f'<line x1="66" y1="{by + 100 + 40}" x2="110" y2="{by + 100 + 40}" stroke="#000" stroke-width="2"/>',
        f'<rect x="110" y="{by + 100 + 32}" width="60" height="16" fill="white" stroke="#000" stroke-width="2"/>',
        f'<text x="118" y="{by + 100 + 25}">330 Ω</text>',
        f'<line x1="170" y1="{by + 100 + 40}" x2="220" y2="{by + 100 + 40}" stroke="#000" stroke-width="2"/>',
        f'<polygon points="220,{by + 100 + 28} 220,{by + 100 + 52} 244,{by + 100 + 40}" fill="{COLORS["led"]}" stroke="#000"/>',
        f'<line x1="244" y1="{by + 100 + 28}" x2="244" y2="{by + 100 + 52}" stroke="#000" stroke-width="2"/>',
        f'<text x="216" y="{by + 100 + 20}">LED (+ → −)</text>',
        f'<line x1="244" y1="{by + 100 + 40}" x2="320" y2="{by + 100 + 40}" stroke="#000" stroke-width="2"/>',
        f'<circle cx="326" cy="{by + 100 + 40}" r="6" fill="{COLORS["GND"]}" stroke="#000"/>',
        f'<text x="312" y="{by + 100 + 65}">GND</text>',
        f'<text x="40" y="{by + 200}" fill="#555">Đèn 12 V trong nút arcade: qua transistor hoặc mô-đun rơ-le, '
        'không nối thẳng vào GPIO (3,3 V, tối đa ~16 mA mỗi chân).</text>',
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(svg(), encoding="utf-8")
