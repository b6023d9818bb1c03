"""The waiting-room display in a real browser (headless Debian chromium) against a live server.

Tickets are taken through `POST /api/tickets` with the kiosk's token and called through
`POST /api/counters/<n>/next` with the officers' API tokens, as in the center. Pages are opened
with `?mute=1` here: the voice has its own tests (test_display_voice.py).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from server import create_app

from server.engine import admin, counters
from tests.browser_fixtures import artifact, browser  # noqa: F401
from tests.conftest import FakeClock, LiveServer
from tests.display.helpers import Center, open_display


@pytest.fixture
def center(live_server):
    return Center(live_server)


def row(page, counter: int):
    return page.locator(f'#counter-rows tr[data-counter="{counter}"]')


def cells(page, counter: int) -> list[str]:
    return [t.strip() for t in row(page, counter).locator("td").all_inner_texts()]


def expect_row(page, counter: int, serving: str, waiting: int) -> None:
    expect(row(page, counter).locator("td.serving")).to_have_text(serving)
    expect(row(page, counter).locator("td.wait")).to_have_text(str(waiting))


def recent(page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("#recent-list li").all_inner_texts()]


def test_calls_show_in_spotlight_rows_recent_list_and_counts(browser, live_server, center):
    page = open_display(browser, live_server)
    # The frame: Vietnamese by default although the browser asks for English.
    expect(page.locator("thead th")).to_have_text(["QUẦY", "LĨNH VỰC", "ĐANG PHỤC VỤ", "ĐANG CHỜ"])
    expect(page.locator("#center-name")).to_have_text("Trung tâm Phục vụ hành chính công")
    expect(page.locator("#recent-list")).to_have_text("Chưa có số nào được gọi")
    assert cells(page, 1) == ["1", "Đất đai", "–", "0"]
    assert cells(page, 3) == ["3", "Đất đai, Hộ tịch", "–", "0"]

    for service in "AAABB":
        center.issue(service)
    expect_row(page, 1, "–", 3)
    expect_row(page, 2, "–", 2)
    expect_row(page, 3, "–", 5)

    assert center.call_next(1) == "A001"
    spot = page.locator("#spotlight")
    expect(spot).to_have_class(re.compile(r"\bactive\b"))
    expect(spot).to_have_attribute("aria-label", "MỜI SỐ A001 – QUẦY 1")
    expect(page.locator("#spot-code")).to_have_text("A001")
    assert " ".join(spot.inner_text().split()) == "MỜI SỐ A001 QUẦY 1"
    expect_row(page, 1, "A001", 2)
    expect_row(page, 3, "–", 4)
    expect(page.locator("#recent-list li").first).to_have_attribute("data-code", "A001")

    assert center.call_next(2) == "B001"
    assert center.call_next(3) == "A002"
    expect_row(page, 2, "B001", 1)
    expect_row(page, 3, "A002", 2)
    expect_row(page, 1, "A001", 1)
    expect(page.locator("#recent-list li")).to_have_count(3)
    assert recent(page) == ["A002 → 3", "B001 → 2", "A001 → 1"]

    # Finishing empties the row; the last calls stay.
    center.act(1, "finish")
    expect_row(page, 1, "–", 1)
    assert recent(page)[-1] == "A001 → 1"
    page.screenshot(path=artifact("display-1920.png"))
    page.context.close()


def test_paused_counter_shows_tam_nghi(browser, live_server, center):
    page = open_display(browser, live_server)
    center.act(2, "pause")
    expect(row(page, 2).locator("td.serving")).to_have_text("TẠM NGHỈ")
    expect(row(page, 2)).to_have_class(re.compile(r"\bpaused\b"))
    expect(row(page, 1).locator("td.serving")).to_have_text("–")
    center.act(2, "resume")
    expect(row(page, 2).locator("td.serving")).to_have_text("–")
    expect(row(page, 2)).not_to_have_class(re.compile(r"\bpaused\b"))
    page.context.close()


def test_calls_take_turns_in_the_spotlight(browser, live_server, center):
    center.set("spotlight_seconds", 1)
    for service in "AAB":
        center.issue(service)
    page = open_display(browser, live_server)
    called = [(center.call_next(1), 1), (center.call_next(2), 2), (center.call_next(3), 3)]
    assert called == [("A001", 1), ("B001", 2), ("A002", 3)]
    center.act(1, "recall")
    # Every call gets the spotlight once, in the order made, one after the other.
    page.wait_for_function("() => window.qmsDisplay.shownLog.length >= 4", timeout=20_000)
    shown = page.evaluate("window.qmsDisplay.shownLog")
    assert [(s["code"], s["counter"], s["tags"]) for s in shown] == [
        ("A001", 1, ""), ("B001", 2, ""), ("A002", 3, ""), ("A001", 1, "GỌI LẠI")]
    assert all(b["at"] > a["at"] for a, b in zip(shown, shown[1:]))
    # When the last one has had its time, the spotlight goes idle.
    expect(page.locator("#spotlight")).to_have_class(re.compile(r"\bidle\b"), timeout=10_000)
    expect(page.locator("#spot-idle")).to_be_visible()
    page.context.close()


def test_services_filter_limits_rows_counts_and_calls(browser, live_server, center):
    for service in "AABBB":
        center.issue(service)
    page = open_display(browser, live_server, "services=B&mute=1")
    expect(page.locator("#counter-rows tr")).to_have_count(2)  # counters 2 (B) and 3 (A, B)
    assert cells(page, 2) == ["2", "Hộ tịch", "–", "3"]
    assert cells(page, 3) == ["3", "Hộ tịch", "–", "3"]  # only B's waiting tickets count here
    expect(page.locator("#filter-label")).to_have_text("Lĩnh vực: Hộ tịch")

    assert center.call_next(1) == "A001"  # Đất đai: not for this room
    assert center.call_next(2) == "B001"
    expect(page.locator("#spot-code")).to_have_text("B001")
    expect_row(page, 2, "B001", 2)
    assert page.evaluate("window.qmsDisplay.shownLog.map(s => s.code)") == ["B001"]
    assert recent(page) == ["B001 → 2"]
    page.context.close()


def test_room_filter_uses_the_rooms_of_services(browser, live_server, center):
    live_server.qms.write(lambda db, cfg, now: db.execute("UPDATE services SET room = 'Tầng 2' WHERE code = 'A'"))
    center.issue("A")
    center.issue("B")
    page = open_display(browser, live_server, "room=T%E1%BA%A7ng%202&mute=1")
    expect(page.locator("#counter-rows tr")).to_have_count(2)  # counters 1 (A) and 3 (A, B)
    assert cells(page, 3) == ["3", "Đất đai", "–", "1"]
    expect(page.locator("#filter-label")).to_have_text("Phòng Tầng 2 · Lĩnh vực: Đất đai")
    page.context.close()


def test_unknown_service_in_the_url_is_named(browser, live_server, center):
    page = open_display(browser, live_server, "services=Z&mute=1")
    expect(page.locator("#counter-rows")).to_have_text("Không có quầy nào cho màn hình này")
    expect(page.locator("#filter-label")).to_contain_text("Không có lĩnh vực Z")
    page.context.close()


def test_reconnect_after_server_restart_shows_current_state(browser, live_server, center):
    for service in "AAA":
        center.issue(service)
    page = open_display(browser, live_server)
    assert center.call_next(1) == "A001"
    expect_row(page, 1, "A001", 2)
    expect(page.locator("#offline")).to_be_hidden()

    live_server.stop()
    expect(page.locator("#offline")).to_be_visible()
    expect(page.locator("#offline")).to_contain_text("MẤT KẾT NỐI")
    page.screenshot(path=artifact("display-offline.png"))

    # While the server is down, the officer's next call lands in the database through another
    # instance of the app: the page can learn of it only from the snapshot it gets on reconnect.
    offline = create_app({"TESTING": True, "INSTANCE_PATH": str(live_server.tmp_path / "instance"),
                          "secret_key": "test"})
    try:
        client = offline.test_client()
        auth = {"Authorization": "Bearer " + live_server.token("officer1")}
        assert client.post("/api/counters/1/finish", headers=auth).status_code == 200
        assert client.post("/api/counters/1/next", headers=auth).json["result"]["ticket"] == "A002"
    finally:
        offline.extensions["qms"].close()

    live_server.start()
    expect(page.locator("#offline")).to_be_hidden(timeout=15_000)
    expect_row(page, 1, "A002", 1)
    expect_row(page, 3, "–", 1)
    assert recent(page)[:2] == ["A002 → 1", "A001 → 1"]
    assert page.evaluate("window.qmsDisplay.state.connects") == 2
    # A call after the restart is live again.
    center.act(1, "finish")
    assert center.call_next(1) == "A003"
    expect(page.locator("#spot-code")).to_have_text("A003")
    page.context.close()


def test_english_on_request(browser, live_server, center):
    center.act(3, "pause")
    page = open_display(browser, live_server, "lang=en&mute=1")
    expect(page.locator("thead th")).to_have_text(["COUNTER", "SERVICE", "NOW SERVING", "WAITING"])
    expect(row(page, 3).locator("td.serving")).to_have_text("ON BREAK")
    assert cells(page, 2)[1] == "Civil status"
    page.context.close()


def test_ticker_shows_the_notice_and_follows_its_changes(browser, live_server, center):
    page = open_display(browser, live_server)
    expect(page.locator("#ticker-text")).to_have_text("Xin chào quý khách. Vui lòng lấy số thứ tự và chờ đến lượt.")
    center.set("notice_text", "Hôm nay trung tâm làm việc đến 17 giờ.")
    expect(page.locator("#ticker-text")).to_have_text("Hôm nay trung tâm làm việc đến 17 giờ.")
    center.set("notice_text", "")
    expect(page.locator("#ticker")).to_be_hidden()
    page.context.close()


def test_vietnamese_font_comes_from_the_server(browser, live_server, center):
    requests_seen = []
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    page.on("request", lambda r: requests_seen.append(r.url))
    page.goto(f"{live_server.url}/display?mute=1")
    page.wait_for_function("() => window.qmsDisplay && window.qmsDisplay.state.snapshots > 0")
    # Text with letters of both subsets needs both faces of each weight, served from here.
    text = "ĐANG PHỤC VỤ Ợ ữ Ằ ẫ ỹ đ abc"
    for weight in (400, 600, 700, 800):
        faces = page.evaluate("([w, t]) => document.fonts.load(`${w} 40px 'Be Vietnam Pro'`, t)"
                              ".then(fs => fs.map(f => f.status + ' ' + f.weight))", [weight, text])
        assert faces == [f"loaded {weight}", f"loaded {weight}"], faces
    loaded = page.evaluate("""[...document.fonts].filter(f => f.status === 'loaded')
                              .map(f => f.family + ' ' + f.weight)""")
    assert "Be Vietnam Pro 800" in loaded and "Be Vietnam Pro 600" in loaded
    fonts = [u for u in requests_seen if u.endswith(".woff2")]
    assert any("/static/vendor/fonts/be-vietnam-pro-vietnamese-" in u for u in fonts)
    # Nothing from the internet: every request goes to the server itself.
    assert requests_seen and all(u.startswith(live_server.url) or u.startswith(("data:", "blob:"))
                                 for u in requests_seen), requests_seen
    ctx.close()


def test_clock_shows_server_time_in_the_centers_zone(browser, tmp_path):
    # 08:15:00 on Thursday 12 March 2026 in Hanoi (UTC+7), whatever this machine's clock says.
    clock = FakeClock(1773278100.0)
    live = LiveServer(tmp_path, CLOCK=clock).start()
    try:
        page = open_display(browser, live, "mute=1", timezone_id="America/New_York")
        expect(page.locator("#clock-time")).to_have_text(re.compile(r"^08:1[56]:\d\d$"))
        expect(page.locator("#clock-date")).to_have_text("Thứ Năm, 12/03/2026")
        page.context.close()
    finally:
        live.stop()


def test_layout_fits_1366x768(browser, live_server, center):
    center.set("center_name", "Trung tâm Phục vụ hành chính công phường Bến Thành, thành phố Hồ Chí Minh")
    for service in "AB":
        center.issue(service)
    page = open_display(browser, live_server, size=(1366, 768))
    center.call_next(1)
    expect(page.locator("#spot-code")).to_have_text("A001")
    page.evaluate("Promise.allSettled(document.getAnimations()"  # let the pop-in end before measuring
                  ".filter(a => a.effect.getTiming().iterations !== Infinity).map(a => a.finished))")
    # Nothing spills out of the screen or its box.
    overflow = page.evaluate("""() => {
        const bad = [];
        if (document.documentElement.scrollWidth > innerWidth) bad.push('page wider than the screen');
        const name = document.getElementById('center-name');
        if (name.scrollWidth > name.clientWidth) bad.push('center name cut');
        for (const id of ['spot-code', 'center-name', 'clock-time', 'counter-table', 'recent-list']) {
            const r = document.getElementById(id).getBoundingClientRect();
            if (r.right > innerWidth + 1 || r.bottom > innerHeight + 1) bad.push(id);
        }
        const spot = document.getElementById('spotlight').getBoundingClientRect();
        for (const id of ['spot-code', 'spot-counter']) {
            const r = document.getElementById(id).getBoundingClientRect();
            if (r.bottom > spot.bottom + 1 || r.right > spot.right + 1) bad.push(id + ' in spotlight');
        }
        return bad;
    }""")
    assert overflow == []
    page.screenshot(path=artifact("display-1366.png"))
    page.context.close()


def test_spotlight_animation_is_slow(browser, live_server, center):
    """No part of the page may flash faster than 3 times a second: every infinite animation's
    cycle (alternate counts both ways) is longer than 1/3 s."""
    center.issue("A")
    page = open_display(browser, live_server)
    center.call_next(1)
    expect(page.locator("#spotlight")).to_have_class(re.compile(r"\bactive\b"))
    cycles = page.evaluate("""document.getAnimations().filter(a => a.effect.getTiming().iterations === Infinity)
        .map(a => { const t = a.effect.getTiming();
                    return {name: a.animationName, ms: t.duration * (t.direction.startsWith('alternate') ? 2 : 1)}; })""")
    names = {c["name"] for c in cycles}
    assert {"qd-glow", "qd-ticker"} <= names
    assert all(c["ms"] >= 1000 for c in cycles), cycles
    page.context.close()


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_up_to_20_counters_fit_one_screen_in_two_columns(browser, live_server, center, size):
    """Issue 12: 16 counters paged through three screens; now up to 20 show at once, in two
    columns of rows no lower than 3.6 rem (72 px at 1080 lines), nothing cut off the screen."""
    for number in range(4, 21):
        live_server.qms.write(admin.add_counter, number=number, services=["B"])
    page = open_display(browser, live_server, size=size)
    expect(page.locator("#counter-rows tr")).to_have_count(20)
    assert page.locator("#page-label").is_hidden()
    assert page.locator("#counter-table").get_attribute("data-columns") == "2"
    boxes = page.locator("#counter-rows tr").evaluate_all(
        "rs => rs.map(r => { const b = r.getBoundingClientRect(); return [b.left, b.top, b.bottom, b.height]; })")
    assert min(b[3] for b in boxes) >= 3.6 * size[1] / 54 - 1
    assert max(b[2] for b in boxes) <= size[1]
    lefts = sorted({round(b[0]) for b in boxes})
    assert len(lefts) == 2  # counters 1-10 in the first column, 11-20 in the second
    assert [round(b[0]) for b in boxes[:10]] == [lefts[0]] * 10
    # Every header cell and every serving number fits its cell.
    cut = page.evaluate("""() => [...document.querySelectorAll('#counter-table th, #counter-rows td.serving, #counter-rows td.num')]
        .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)""")
    assert cut == []
    page.context.close()


def test_more_than_20_counters_take_turns_a_page_at_a_time(browser, live_server, center):
    for number in range(4, 25):
        live_server.qms.write(admin.add_counter, number=number, services=["B"])
    page = open_display(browser, live_server, size=(1366, 768))
    expect(page.locator("#page-label")).to_have_text("1/2")
    first = [int(n) for n in page.locator("#counter-rows tr").evaluate_all("rs => rs.map(r => r.dataset.counter)")]
    assert first == list(range(1, len(first) + 1)) and 12 <= len(first) < 24
    # Rows stay tall enough to read from afar: at least 3.6 rem (51 px on a 768-line screen).
    heights = page.locator("#counter-rows tr").evaluate_all("rs => rs.map(r => r.getBoundingClientRect().height)")
    assert min(heights) >= 3.6 * 768 / 54 - 1
    page.evaluate("window.qmsDisplay.nextPage()")
    expect(page.locator("#page-label")).to_have_text("2/2")
    second = [int(n) for n in page.locator("#counter-rows tr").evaluate_all("rs => rs.map(r => r.dataset.counter)")]
    assert first + second == list(range(1, 25))
    page.evaluate("window.qmsDisplay.nextPage()")
    expect(page.locator("#page-label")).to_have_text("1/2")
    page.context.close()


def test_counter_without_officer_and_paused_are_marked(browser, live_server, center):
    page = open_display(browser, live_server)
    qms = live_server.qms
    qms.write(lambda db, cfg, now: counters.sign_out(db, cfg, now, number=3, user=None, actor="test", force=True))
    center.act(2, "pause")
    expect(page.locator('#counter-rows tr[data-counter="3"] td.serving')).to_have_text("CHƯA CÓ CÁN BỘ")
    expect(page.locator('#counter-rows tr[data-counter="2"] td.serving')).to_have_text("TẠM NGHỈ")
    assert "no-officer" in page.locator('#counter-rows tr[data-counter="3"]').get_attribute("class")
    assert "no-officer" not in (page.locator('#counter-rows tr[data-counter="1"]').get_attribute("class") or "")
    page.context.close()
