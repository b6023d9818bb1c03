"""The live board in a real browser (Debian's chromium through Playwright) against the real server
on loopback: a supervisor signs in through /login; a call, a rating and a device going offline
show up live; the offline device raises an alert, which he acknowledges and which then closes by
itself when the device comes back."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
import socketio as socketio_client
from playwright.sync_api import expect

from tests.browser_fixtures import artifact, browser  # noqa: F401  (fixture)
from tests.conftest import LiveServer

WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)  # generous: a loaded machine is slow, never a failure


@pytest.fixture
def server(tmp_path):
    # An alert for a device offline after 1 s, checked every 0.3 s, so the test need not wait a minute.
    srv = LiveServer(tmp_path, alert_offline_s=1, alert_check_s=0.3).start()
    yield srv
    srv.stop()


def kiosk(server, device: str) -> socketio_client.Client:
    client = socketio_client.Client(reconnection=False)
    client.connect(server.url, namespaces=["/kiosk"], transports=["websocket"], wait_timeout=10,
                   auth={"device": device, "token": server.token(device)})
    return client


def api(server, method: str, path: str, who: str, **kw):
    r = requests.request(method, server.url + path, headers={"Authorization": "Bearer " + server.token(who)},
                         timeout=10, **kw)
    assert r.status_code < 300, r.text
    return r.json()


def test_board_live_call_rating_device_and_an_alert(server, browser):  # noqa: F811
    context = browser.new_context(locale="vi-VN", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    clients = []
    try:
        page.goto(server.url + "/board")
        expect(page).to_have_url(re.compile(r"/login\?next="))
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", server.center["users"]["boss"]["password"])
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/board$"))
        expect(page.locator("#link")).to_have_class(re.compile(r"\bonline\b"))
        expect(page.locator("#counter-1 .code")).to_have_text("—")

        # A call: a ticket from the kiosk's API, called at counter 1 by its officer.
        api(server, "POST", "/api/tickets", "kiosk-1", json={"id": str(uuid.uuid4()), "service": "A"})
        expect(page.locator("#k-issued")).to_have_text("1")
        api(server, "POST", "/api/counters/1/next", "officer1")
        expect(page.locator("#counter-1 .code")).to_have_text("A001")
        expect(page.locator("#counter-1 .held")).to_contain_text("Đã gọi")
        expect(page.locator("#calls li").first).to_contain_text("A001")

        # A rating from counter 1's terminal while A001 is at the counter.
        rate1 = kiosk(server, "rate-1")
        clients.append(rate1)
        ack = rate1.call("rating", {"id": str(uuid.uuid4()), "score": 5, "age_ms": 0}, namespace="/kiosk", timeout=10)
        assert ack["ok"] and ack["status"] == "counted"
        expect(page.locator("#k-satisfaction")).to_have_text("100 %")
        expect(page.locator('#officers tr[data-officer="officer1"] td').nth(4)).to_have_text("1")  # one "5"
        expect(page.locator("#levels .lv5")).to_have_text("1")

        # A device going offline: counter 2's terminal connects, then drops.
        rate2 = kiosk(server, "rate-2")
        expect(page.locator("#device-rate-2 .conn")).to_have_text("Trực tuyến")
        rate2.disconnect()
        expect(page.locator("#device-rate-2 .conn")).to_have_text("Mất kết nối")

        # ...for more than alert_offline_s: an alert, with its time.
        alert = page.locator('#alerts li[data-kind="device_offline"]')
        expect(alert).to_contain_text("rate-2")
        expect(alert.locator(".meta")).to_contain_text("Từ ")
        expect(page.locator("#alert-count")).to_have_text("1")
        page.screenshot(path=str(artifact("board-alert.png")), full_page=True)

        # Acknowledged by the supervisor: it says by whom, and stays open while it holds.
        alert.locator("button.ack").click()
        expect(alert).to_have_class(re.compile(r"\backed\b"))
        expect(alert).to_contain_text("Đã xác nhận: Trưởng bộ phận")
        expect(alert.locator("button.ack")).to_have_count(0)

        # The device comes back: the alert closes by itself and moves to today's closed ones.
        clients.append(kiosk(server, "rate-2"))
        expect(page.locator('#alerts li[data-kind="device_offline"]')).to_have_count(0)
        expect(page.locator("#alert-count")).to_have_text("")
        page.locator("#closed-alerts-box summary").click()
        closed = page.locator('#closed-alerts li[data-kind="device_offline"]')
        expect(closed).to_contain_text("Tự đóng lúc")
        expect(closed).to_contain_text("Đã xác nhận: Trưởng bộ phận")
        expect(page.locator("#device-rate-2 .conn")).to_have_text("Trực tuyến")
        page.screenshot(path=str(artifact("board-live.png")), full_page=True)

        rows = list(server.store.read().query("SELECT * FROM alerts WHERE kind = 'device_offline'"))
        assert len(rows) == 1 and rows[0]["acked_by"] == "boss" and rows[0]["closed_by"] == "auto"
        assert rows[0]["acked_at"] < rows[0]["closed_at"]
    finally:
        for c in clients:
            c.disconnect()
        context.close()


def test_board_on_a_phone(server, browser):  # noqa: F811
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        page.goto(server.url + "/login?next=/board")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", server.center["users"]["boss"]["password"])
        page.click("button[type=submit]")
        expect(page.locator("#link")).to_have_class(re.compile(r"\bonline\b"))
        # One column: nothing wider than the screen but the tables, which scroll inside their card.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
        boxes = [page.locator(sel).bounding_box() for sel in (".alerts", ".kpis", ".counters")]
        assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"] and all(b["width"] <= 390 for b in boxes)
        page.screenshot(path=str(artifact("board-phone.png")))
    finally:
        context.close()
