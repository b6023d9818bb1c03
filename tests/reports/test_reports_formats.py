"""Vietnamese dates (dd/mm/yyyy) and numbers (1.234,5) on every page and document, ISO in the JSON
API and the machine exports; and no font without Vietnamese glyphs (DejaVu Sans Mono has no "ể":
the report's formula read "điêm̉")."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server.reports import tables
from tests.browser_fixtures import browser  # noqa: F401  (fixture)
from tests.console.helpers import sign_in
from tests.reports.conftest import load_day

ROOT = Path(__file__).resolve().parents[2]
ISO = re.compile(r"\b\d{4}-\d\d-\d\d\b")
# Families that hold every Vietnamese letter (fonts-dejavu-core, fonts-liberation2, the vendored
# Be Vietnam Pro; Times New Roman where Windows prints the page).
VIETNAMESE_FONTS = {"Be Vietnam Pro", "DejaVu Sans", "DejaVu Serif", "Times New Roman", "Liberation Serif"}
GENERIC = {"sans-serif", "serif", "inherit"}


def visible_text(html: str) -> str:
    """The text a reader sees: no scripts, no tags (so no URLs or form values)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_report_page_shows_vietnamese_dates_and_numbers(client, center, day):
    sign_in(client, center, "boss")
    text = visible_text(client.get("/reports?period=month&date=2026-03-10").get_data(as_text=True))
    assert "01/03/2026 → 31/03/2026" in text
    assert "Lập lúc 10:00 12/03/2026" in text
    assert "16,0" in text and "75,0" in text          # mean wait 960 s = 16,0 minutes; the rate
    assert not ISO.findall(text), ISO.findall(text)
    english = visible_text(client.get("/reports?period=month&date=2026-03-10&lang=en").get_data(as_text=True))
    assert "01/03/2026 → 31/03/2026" in english and not ISO.findall(english)


def test_the_print_page_shows_vietnamese_dates_and_numbers(client, center, day):
    sign_in(client, center, "boss")
    text = visible_text(client.get("/reports/print?period=month&date=2026-03-10").get_data(as_text=True))
    assert "từ ngày 01/03/2026 đến ngày 31/03/2026" in text and "Ngày 12 tháng 3 năm 2026" in text
    assert "16,0 phút" in text and "Tỷ lệ hài lòng (%): 75,0 %" in text
    assert not ISO.findall(text), ISO.findall(text)


def test_the_json_and_the_machine_exports_keep_iso(client, center, day):
    sign_in(client, center, "boss")
    body = client.get("/api/reports/series?period=month&date=2026-03-10").get_json()
    assert body["period"]["from"] == "2026-03-01" and body["series"]["rows"][0]["key"] == "2026-03-01"
    assert body["generated_at"].startswith("2026-03-12T10:00")


def test_numbers_take_a_dot_for_thousands_and_a_comma_for_decimals():
    assert tables.text(1234567, "int") == "1.234.567"
    assert tables.text(83.94, "pct") == "83,9"
    assert tables.text(4321.0 * 60, "min") == "4.321,0"
    assert tables.text(1234.5, "avg", "en") == "1,234.5"


def _font_lists(css: str):
    for m in re.finditer(r"font(?:-family)?\s*:\s*([^;}]+)", css):
        value = m.group(1).strip()
        if value in ("inherit",) or value.startswith("inherit"):
            continue
        # the shorthand "700 1.6em/1 "Family", ..." keeps its families after the size
        families = re.findall(r'"([^"]+)"|\'([^\']+)\'|([A-Za-z-]+)\s*(?:,|$)', value)
        yield value, [next(f for f in fam if f) for fam in families]


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in
                                        [*ROOT.glob("server/**/*.css"), *ROOT.glob("display/*.css")]
                                        if "vendor" not in p.parts))
def test_every_style_sheet_uses_fonts_with_vietnamese_glyphs(path):
    css = re.sub(r"/\*.*?\*/", " ", (ROOT / path).read_text(encoding="utf-8"), flags=re.S)
    assert "monospace" not in css and "Mono" not in css, path
    for value, families in _font_lists(css):
        named = [f for f in families if f not in GENERIC]
        if not named:
            continue
        assert named[0] in VIETNAMESE_FONTS, (path, value)


@pytest.fixture
def server(tmp_path):
    from tests.conftest import LiveServer
    from tests.server.conftest import Engine

    srv = LiveServer(tmp_path).start()
    engine = Engine(srv.qms, None)
    officers = {u: engine.user_id(u) for u in ("officer1", "officer2", "officer3", "boss")}
    srv.store.write(load_day, officers)
    yield srv
    srv.stop()


def test_in_a_browser_the_formula_and_the_board_day_read_right(server, browser):  # noqa: F811
    context = browser.new_context(locale="vi-VN", viewport={"width": 1300, "height": 900})
    page = context.new_page()
    try:
        page.goto(server.url + "/login?next=/reports%3Fperiod%3Dmonth%26date%3D2026-03-10")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", server.center["users"]["boss"]["password"])
        page.click("button[type=submit]")
        code = page.locator("#formula code")
        expect(code).to_contain_text("điểm")
        family = code.evaluate("e => getComputedStyle(e).fontFamily")
        assert "mono" not in family.lower() and family.split(",")[0].strip("\"' ") in VIETNAMESE_FONTS, family
        expect(page.locator("#report-dates")).to_contain_text("01/03/2026 → 31/03/2026")
        page.goto(server.url + "/board")
        today = server.qms.cfg().day(server.qms.now())
        expect(page.locator("#day")).to_have_text(date.fromisoformat(today).strftime("%d/%m/%Y"))
    finally:
        context.close()
