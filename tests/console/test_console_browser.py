"""The console in a real browser (Debian's chromium through Playwright) against the real server
on loopback: sign in, call with the keyboard, the display shows the call, finish with a dossier
code, a rating terminal's press reaches today's totals once the window has closed; refusals
(a busy counter, the wrong counter, a paused counter); a dropped connection; a lost answer
retried without being applied twice. The screenshot for docs/console.md is taken here."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
import socketio as socketio_client
from playwright.sync_api import expect

from server.engine import counters, ratings, tickets
from tests.browser_fixtures import artifact, browser  # noqa: F401  (fixture)
from tests.conftest import LiveServer, daytime_clock

WINDOW_S = 2
WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)  # generous: a loaded CI machine is slow, never a failure


@pytest.fixture
def server(tmp_path):
    srv = LiveServer(tmp_path, rating_window_s=WINDOW_S, CLOCK=daytime_clock()).start()
    yield srv
    srv.stop()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 760})
    ctx.set_default_timeout(WAIT_MS)
    yield ctx
    ctx.close()


def issue(server, service="A", priority=False) -> dict:
    r = requests.post(server.url + "/api/tickets", json={"service": service, "priority": priority},
                      headers={"Authorization": "Bearer " + server.token("kiosk-1")}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def rows(server, sql, params=()):
    return list(server.store.read().query(sql, list(params)))


def sign_in(page, server, username, path="/counter"):
    page.goto(server.url + path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", server.center["users"][username]["password"])
    page.click("button[type=submit]")


def open_console(context, server, username="officer1"):
    page = context.new_page()
    sign_in(page, server, username)
    expect(page.locator("#link")).to_have_class(re.compile("online"))
    return page


def settled(page) -> None:
    """Wait until the console has no action waiting for its answer: a pushed view can show the
    new state first, and a key pressed then is refused (one action at a time)."""
    page.wait_for_function("() => !window.qmsConsole.state.pending")


def button(page, action):
    return page.locator(f'#actions button[data-action="{action}"]')


def test_call_display_finish_and_the_rating_in_todays_totals(context, server):
    display = None
    if requests.get(server.url + "/display", timeout=10).status_code == 200:
        display = context.new_page()
        display.goto(server.url + "/display?mute=1")
    for service, priority in (("A", False), ("A", False), ("A", True), ("B", False)):
        issue(server, service, priority)
    page = open_console(context, server)
    expect(page.locator("#waiting-total")).to_have_text("3")
    expect(page.locator(".chip.prio")).to_have_text("A003")  # priority marked
    expect(button(page, "finish")).to_be_disabled()  # nothing in hand yet
    expect(button(page, "next")).to_be_enabled()

    page.keyboard.press("g")  # Gọi số tiếp theo: the priority ticket first (strict policy)
    expect(page.locator("#ticket-code")).to_have_text("A003")
    expect(page.locator("#ticket-priority")).to_be_visible()
    expect(page.locator("#message")).to_have_text("Đã gọi số A003.")
    expect(page.locator("#ticket-timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(button(page, "pause-toggle")).to_be_disabled()  # not with a ticket in hand
    snapshot = requests.get(server.url + "/api/display", timeout=10).json()
    assert next(c for c in snapshot["counters"] if c["number"] == 1)["serving"] == "A003"
    assert snapshot["recent_calls"][0]["code"] == "A003"
    if display is not None:
        expect(display.locator("body")).to_contain_text("A003")
        display.screenshot(path=str(artifact("console-display.png")))

    page.keyboard.press("b")  # Bắt đầu
    expect(page.locator("#ticket-state")).to_have_text("Đang phục vụ")
    expect(button(page, "no-show")).to_be_disabled()
    settled(page)
    page.keyboard.press("h")  # Hoàn thành: the dossier code field opens with the focus in it
    expect(page.locator("#dossier")).to_be_focused()
    page.keyboard.type("000.00.12.H29-260312-0042")
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_have_text("Đã hoàn thành số A003.")
    expect(page.locator("#served")).to_have_text("1")
    row = rows(server, "SELECT state, dossier_code FROM tickets WHERE code = 'A003'")[0]
    assert row == {"state": "done", "dossier_code": "000.00.12.H29-260312-0042"}

    # The citizen presses "Rất hài lòng" on the counter's rating terminal.
    terminal = socketio_client.Client(reconnection=False)
    terminal.connect(server.url, namespaces=["/kiosk"], transports=["websocket"],
                     auth={"device": "rate-1", "token": server.token("rate-1")}, wait_timeout=10)
    try:
        ack = terminal.call("rating", {"id": str(uuid.uuid4()), "score": 5, "age_ms": 0}, namespace="/kiosk",
                            timeout=10)
    finally:
        terminal.disconnect()
    assert ack == {"ok": True, "duplicate": False, "status": "counted"}
    # It shows once the window has closed (the server wakes itself), as today's totals only.
    expect(page.locator("#ratings-count")).to_have_text("1")
    expect(page.locator("#rate")).to_have_text("100 %")
    expect(page.locator('#levels li[data-score="5"]')).to_have_text("Rất hài lòng: 1")
    expect(page.locator("#toast")).to_contain_text("Đã nhận đánh giá mới")
    visible_at = rows(server, "SELECT finished_at FROM tickets WHERE code = 'A003'")[0]["finished_at"] + WINDOW_S
    assert server.qms.now() >= visible_at

    page.keyboard.press("g")
    expect(page.locator("#ticket-code")).to_have_text("A001")
    page.screenshot(path=str(artifact("console-flow.png")))


def stage_a_morning(server, number=3) -> None:
    """Earlier today at counter 3: nine visits (one no-show), six ratings; now a queue with a
    priority ticket and a citizen being served for three minutes. Written through the engine
    with past times, so the picture shows real figures."""
    cfg = server.qms.cfg()
    now = server.qms.now()
    midnight = cfg.local(now).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    start = max(now - 4200, midnight + 60)
    step = (now - 900 - start) / 9
    scores = {0: 5, 1: 5, 2: 4, 4: 5, 5: 3, 8: 4}

    def morning(db):
        for i in range(9):
            at = start + i * step
            tickets.issue(db, cfg, at, ticket_id=str(uuid.uuid4()), service="AB"[i % 2], device_id="kiosk-1",
                          actor="test")
            counters.act(db, cfg, at + 20, number, "next", actor="test")
            if i == 6:
                counters.act(db, cfg, at + 200, number, "no-show", actor="test")
                continue
            counters.act(db, cfg, at + 40, number, "serve", actor="test")
            counters.act(db, cfg, at + 40 + step * 0.8, number, "finish", actor="test")
            if i in scores:
                ratings.record(db, cfg, at + 41 + step * 0.8, rating_id=str(uuid.uuid4()),
                               device={"id": f"rate-{number}", "counter": number}, score=scores[i], age_ms=0,
                               actor="test")
        for k, (service, priority) in enumerate((("A", False), ("B", False), ("A", False), ("A", True),
                                                 ("B", False), ("B", False))):
            tickets.issue(db, cfg, now - 800 + k * 60, ticket_id=str(uuid.uuid4()), service=service,
                          priority=priority, device_id="kiosk-1", actor="test")
        counters.act(db, cfg, now - 200, number, "next", actor="test")
        counters.act(db, cfg, now - 190, number, "serve", actor="test")

    server.store.write(morning)


def test_docs_screenshot_of_a_busy_counter(context, server):
    stage_a_morning(server)
    page = open_console(context, server, "officer3")
    expect(page.locator("#ticket-code")).to_have_text("A008")  # the priority ticket went first
    expect(page.locator("#ticket-state")).to_have_text("Đang phục vụ")
    expect(page.locator("#ticket-timer")).to_have_text(re.compile(r"^03:1\d$"))
    expect(page.locator("#served")).to_have_text("8")
    expect(page.locator("#noshow-count")).to_have_text("1")
    expect(page.locator("#ratings-count")).to_have_text("6")
    expect(page.locator("#rate")).to_have_text("83,3 %")  # Vietnamese decimal comma
    expect(page.locator("#waiting-total")).to_have_text("5")
    expect(page.locator("#noshows li")).to_have_count(1)
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifact("console.png")))  # docs/img/console.png is a copy of it, looked at
    english = context.new_page()
    english.goto(server.url + "/counter?lang=en")
    expect(english.locator("#rate")).to_have_text("83.3 %")
    expect(english.locator('#actions button[data-action="next"]')).to_contain_text("Call next")
    expect(english.locator('#levels li[data-score="5"]')).to_have_text("Very satisfied: 3")
    expect(english.locator(".topbar .title")).to_have_text("Counter 3")
    english.screenshot(path=str(artifact("console-en.png")))


def test_refusals_busy_counter_wrong_counter_paused_counter(context, server, browser):
    issue(server, "A")
    # A second officer at a busy counter is refused, and told who holds it.
    other = browser.new_context(locale="vi-VN")
    try:
        pick = other.new_page()
        sign_in(pick, server, "officer4")
        expect(pick.locator("h1, .title").first).to_contain_text("Chọn quầy")
        pick.locator('.counter-item[data-counter="1"] button.primary').click()
        expect(pick.locator("#pick-error")).to_have_text(
            "Quầy 1 đang do Cán bộ 1 đăng nhập. Trưởng bộ phận có thể giải phóng quầy.")
        assert rows(server, "SELECT officer_id FROM counters WHERE number = 1")[0]["officer_id"] == \
            server.center["users"]["officer1"]["id"]
        pick.screenshot(path=str(artifact("console-busy.png")))
    finally:
        other.close()

    page = open_console(context, server)
    # The wrong counter: its page is refused, and so is its API from this session.
    wrong = context.new_page()
    wrong.goto(server.url + "/counter/2")
    expect(wrong.locator("#refused")).to_contain_text("Bạn chưa đăng nhập ở quầy 2")
    wrong.close()
    answer = page.evaluate("""async () => {
        const r = await fetch('/api/counters/2/next', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}, body: '{}'});
        return [r.status, await r.json()];
    }""")
    assert answer[0] == 403 and answer[1]["error"] == "forbidden"

    # A paused counter: the call button is disabled, its shortcut does nothing, the server refuses.
    page.keyboard.press("t")
    expect(page.locator("#pause-label")).to_have_text("Tiếp tục")
    expect(page.locator("#ticket-service")).to_have_text("Quầy đang tạm nghỉ")
    expect(button(page, "next")).to_be_disabled()
    keys, sent = page.evaluate("[window.qmsConsole.state.keys, window.qmsConsole.state.sent]")
    page.keyboard.press("g")
    page.wait_for_function("n => window.qmsConsole.state.keys > n", arg=keys)  # the key was handled...
    assert page.evaluate("window.qmsConsole.state.sent") == sent  # ...and sent nothing
    expect(page.locator("#ticket-code")).to_have_text("—")
    answer = page.evaluate("""async () => {
        const r = await fetch('/api/counters/1/next', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}, body: '{}'});
        return [r.status, await r.json()];
    }""")
    assert answer[0] == 409 and answer[1]["error"] == "counter_paused"
    assert rows(server, "SELECT state FROM tickets")[0]["state"] == "waiting"
    page.screenshot(path=str(artifact("console-paused.png")))
    page.keyboard.press("t")
    expect(page.locator("#pause-label")).to_have_text("Tạm nghỉ")
    expect(button(page, "next")).to_be_enabled()


def test_a_dropped_connection_disables_the_console_until_it_is_back(context, server):
    issue(server, "A")
    page = open_console(context, server)
    expect(button(page, "next")).to_be_enabled()
    server.stop()
    expect(page.locator("#offline")).to_be_visible()
    expect(page.locator("#link")).to_have_text("Mất kết nối")
    for action in ("next", "pause-toggle"):
        expect(button(page, action)).to_be_disabled()
    page.screenshot(path=str(artifact("console-offline.png")))
    server.start()
    expect(page.locator("#link")).to_have_text("Đã kết nối")
    expect(page.locator("#offline")).to_be_hidden()
    expect(button(page, "next")).to_be_enabled()
    page.keyboard.press("g")
    expect(page.locator("#ticket-code")).to_have_text("A001")


def test_an_action_whose_answer_is_lost_is_retried_and_applied_once(context, server):
    issue(server, "A")
    issue(server, "A")
    page = open_console(context, server)
    sent = []

    def lose_first_answer(route):
        sent.append(route.request.post_data_json["id"])
        if len(sent) == 1:
            route.fetch()  # the server applies it...
            route.abort("connectionreset")  # ...but the answer never reaches the browser
        else:
            route.continue_()

    page.route("**/api/counters/1/next*", lose_first_answer)
    page.keyboard.press("g")
    expect(page.locator("#message")).to_have_text("Đã gọi số A001.")
    expect(page.locator("#ticket-code")).to_have_text("A001")
    assert len(sent) >= 2 and len(set(sent)) == 1  # the same request id each time
    assert rows(server, "SELECT count(*) AS n FROM calls")[0]["n"] == 1
    assert rows(server, "SELECT state FROM tickets WHERE code = 'A002'")[0]["state"] == "waiting"


def test_transfer_no_show_and_requeue_from_the_keyboard(context, server):
    issue(server, "A")
    issue(server, "A")
    page = open_console(context, server)
    page.keyboard.press("g")
    expect(page.locator("#ticket-code")).to_have_text("A001")
    settled(page)
    page.keyboard.press("c")  # Chuyển: a pick list of the other services, numbered
    expect(page.locator("#transfer-list button")).to_have_text(["1 Hộ tịch"])
    page.keyboard.press("1")
    expect(page.locator("#message")).to_have_text("Đã chuyển số A001 sang lĩnh vực Hộ tịch.")
    assert rows(server, "SELECT service, state FROM tickets WHERE code = 'A001'")[0] == {"service": "B",
                                                                                      "state": "waiting"}
    page.keyboard.press("g")
    expect(page.locator("#ticket-code")).to_have_text("A002")
    # The pushed view can show A002 before the action's own answer is in; a key pressed then
    # would find the console still waiting for it (one action at a time). Wait for the answer.
    expect(page.locator("#message")).to_have_text("Đã gọi số A002.")
    page.keyboard.press("v")  # Vắng mặt
    expect(page.locator("#message")).to_have_text("Số A002 vắng mặt.")
    expect(page.locator("#noshows li")).to_have_text(["A002Xếp lại"])
    expect(page.locator("#waiting-total")).to_have_text("0")
    expect(button(page, "next")).to_be_disabled()  # nobody waiting for counter 1
    page.locator("#noshows button").click()
    expect(page.locator("#message")).to_have_text("Đã xếp lại số A002 vào hàng chờ.")
    expect(page.locator("#waiting-total")).to_have_text("1")
    expect(page.locator("#noshow-card")).to_be_hidden()
    # Escape closes the finish panel without finishing.
    page.keyboard.press("g")
    expect(page.locator("#ticket-code")).to_have_text("A002")
    settled(page)
    page.keyboard.press("h")
    expect(page.locator("#finish-panel")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#finish-panel")).to_be_hidden()
    assert rows(server, "SELECT state FROM tickets WHERE code = 'A002'")[0]["state"] == "called"
