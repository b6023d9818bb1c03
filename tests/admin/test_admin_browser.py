"""A whole center set up in a real browser (Debian's chromium through Playwright) from an empty
database by a new admin: the center's names, 3 services, 4 counters, 4 officers, a ticket kiosk
and a rating terminal. Then, with no restart, the new kiosk's ticket carries the new service's
name, the display snapshot shows the new counters, and a rating pressed on the new terminal after
a call and finish by the new officer is attributed to him; the kiosk, revoked on the page, is
refused at its next event."""

from __future__ import annotations

import re
import threading
import uuid

import pytest
import requests
import socketio as socketio_client
from playwright.sync_api import expect

from server.engine import admin
from tests.browser_fixtures import artifact
from tests.conftest import LiveServer, make_app

WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)

SERVICES = [("DD", "Đất đai", "Land", "A"), ("HT", "Hộ tịch", "Civil status", "B"),
            ("KD", "Đăng ký kinh doanh", "Business registration", "C")]
COUNTERS = [(1, "DD"), (2, "HT"), (3, "KD"), (4, "HT")]
OFFICERS = [("canbo1", "Nguyễn Văn An", 1), ("canbo2", "Trần Thị Bình", 2), ("canbo3", "Lê Hoàng Cường", 3),
            ("canbo4", "Phạm Thị Dung", 4)]


class EmptyServer(LiveServer):
    """The real server on loopback over an empty database (no test center)."""

    def start(self):
        from server.serve import ThreadedServer

        self.app = make_app(self.tmp_path, **self.config)
        self.center = {"users": {}, "devices": {}}
        self.qms.start_background()
        self._server = ThreadedServer(self.app, "127.0.0.1", self.port).start()
        return self


@pytest.fixture
def server(tmp_path):
    srv = EmptyServer(tmp_path, rating_window_s=60).start()
    yield srv
    srv.stop()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(WAIT_MS)
    yield ctx
    ctx.close()


def sign_in(page, server, username, password, path):
    page.goto(server.url + path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def ok_message(page):
    return page.locator("p.msg.ok")


def kiosk(server, device, token):
    c = socketio_client.Client(reconnection=False)
    c.connect(server.url, namespaces=["/kiosk"], transports=["websocket"], auth={"device": device, "token": token},
              wait_timeout=10)
    return c


def test_a_new_admin_sets_up_a_center_and_it_works_at_once(context, server):
    chief = server.qms.write(admin.create_user, username="quantri", role="admin", full_name="Quản trị viên",
                             actor="test")
    page = context.new_page()
    sign_in(page, server, "quantri", chief["password"], "/admin")
    expect(page).to_have_url(re.compile(r"/admin/center$"))

    # The center.
    page.fill("#f-unit_name", "UBND PHƯỜNG BẾN THÀNH")
    page.fill("#f-center_name", "Trung tâm Phục vụ hành chính công phường Bến Thành")
    page.fill("#f-notice_text", "Trung tâm làm việc từ 7 giờ 30.")
    page.fill("#f-report_place", "Phường Bến Thành")
    page.fill("#f-report_signer_name", "Nguyễn Thị Hoa")
    page.click("#save")
    expect(ok_message(page)).to_contain_text("Đã lưu")
    expect(page.locator("#center")).to_have_text("Trung tâm Phục vụ hành chính công phường Bến Thành")

    # A refused time zone shows the message naming the field and changes nothing.
    page.fill("#f-timezone", "Asia/Hanoi2")
    page.click("#save")
    expect(page.locator("#error")).to_have_text("Múi giờ 'Asia/Hanoi2' không tồn tại")
    assert server.qms.setting("timezone") == "Asia/Ho_Chi_Minh"

    # Three services.
    page.click("#tab-services")
    for code, name, name_en, prefix in SERVICES:
        page.fill("#f-code", code)
        page.fill("#f-name_vi", name)
        page.fill("#f-name_en", name_en)
        page.fill("#f-prefix", prefix)
        page.click("#add-service")
        expect(ok_message(page)).to_have_text(f"Đã thêm lĩnh vực {name}.")
    # A duplicate prefix is refused, naming the service that has it.
    page.fill("#f-code", "LD")
    page.fill("#f-name_vi", "Lao động")
    page.fill("#f-prefix", "A")
    page.click("#add-service")
    expect(page.locator("#error")).to_have_text("Tiền tố 'A' đã dùng cho lĩnh vực Đất đai")
    expect(page.locator("#services tbody tr")).to_have_count(3)

    # Four counters.
    page.click("#tab-counters")
    for number, service in COUNTERS:
        page.fill("#f-number", str(number))
        page.select_option("#f-svc1", service)
        page.click("#add-counter")
        expect(ok_message(page)).to_have_text(f"Đã thêm Quầy {number}.")
    page.fill("#f-number", "5")
    page.click("#add-counter")
    expect(page.locator("#error")).to_have_text("Quầy phải phục vụ ít nhất một lĩnh vực")

    # Four officers, each with a default counter; each password is shown once.
    passwords = {}
    page.click("#tab-users")
    for username, full_name, counter in OFFICERS:
        page.fill("#f-username", username)
        page.fill("#f-full_name", full_name)
        page.select_option("#f-role", "officer")
        page.select_option("#f-counter", str(counter))
        page.click("#add-user")
        passwords[username] = page.locator("#secret-password").inner_text()
        page.click("#back")
    expect(page.locator("#users tbody tr")).to_have_count(5)

    # A ticket kiosk and a rating terminal at counter 1: each token shown once with its QR code.
    page.click("#tab-devices")
    page.fill("#f-device_id", "kiosk-sanh")
    page.fill("#f-name", "Máy lấy số sảnh chính")
    page.click("#add-device")
    expect(page.locator("#qr")).to_be_visible()
    kiosk_token = page.locator("#secret-token").inner_text()
    page.screenshot(path=str(artifact("admin-setup-token.png")), full_page=True)
    page.click("#back")
    page.fill("#f-device_id", "danhgia-1")
    page.fill("#f-name", "Đánh giá quầy 1")
    page.uncheck("#f-role-ticket")
    page.check("#f-role-rating")
    page.select_option("#f-counter", "1")
    page.click("#add-device")
    rating_token = page.locator("#secret-token").inner_text()
    page.click("#back")
    expect(page.locator("#devices tbody tr")).to_have_count(2)

    # No restart: the new kiosk issues a ticket of the new service, over the real /kiosk namespace.
    ticket_kiosk = kiosk(server, "kiosk-sanh", kiosk_token)
    try:
        ack = ticket_kiosk.call("ticket", {"id": str(uuid.uuid4()), "service": "DD"}, namespace="/kiosk", timeout=10)
        assert ack["ok"], ack
        assert ack["ticket"]["code"] == "A001" and ack["ticket"]["service_name"] == "Đất đai"
        assert ack["ticket"]["center_name"] == "Trung tâm Phục vụ hành chính công phường Bến Thành"
        assert ack["ticket"]["unit_name"] == "UBND PHƯỜNG BẾN THÀNH"

        # The display snapshot shows the new counters and names.
        snap = requests.get(server.url + "/api/display", timeout=10).json()
        assert [(c["number"], c["service_names"]) for c in snap["counters"]] == \
            [(1, ["Đất đai"]), (2, ["Hộ tịch"]), (3, ["Đăng ký kinh doanh"]), (4, ["Hộ tịch"])]
        assert snap["center_name"] == "Trung tâm Phục vụ hành chính công phường Bến Thành"
        assert snap["notice"] == "Trung tâm làm việc từ 7 giờ 30."

        # The new officer signs in (to his default counter), calls and finishes the ticket.
        officer = context.browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 760})
        console = officer.new_page()
        sign_in(console, server, "canbo1", passwords["canbo1"], "/counter")
        expect(console.locator("#link")).to_have_class(re.compile("online"))
        console.keyboard.press("g")
        expect(console.locator("#ticket-code")).to_have_text("A001")
        expect(console.locator("#message")).to_have_text("Đã gọi số A001.")  # the answer, not only the push
        console.keyboard.press("b")  # Bắt đầu
        expect(console.locator("#ticket-state")).to_have_text("Đang phục vụ")
        expect(console.locator('#actions button[data-action="finish"]')).to_be_enabled()
        console.keyboard.press("h")
        expect(console.locator("#dossier")).to_be_focused()
        console.keyboard.type("000.00.12.H29-260312-0001")
        console.keyboard.press("Enter")
        expect(console.locator("#message")).to_have_text("Đã hoàn thành số A001.")
        officer.close()

        # The citizen presses "Rất hài lòng" on the new terminal: counted, for that officer.
        terminal = kiosk(server, "danhgia-1", rating_token)
        try:
            ack = terminal.call("rating", {"id": str(uuid.uuid4()), "score": 5, "age_ms": 0}, namespace="/kiosk",
                                timeout=10)
        finally:
            terminal.disconnect()
        assert ack == {"ok": True, "duplicate": False, "status": "counted"}
        rating = list(server.store.read().query(
            "SELECT r.status, r.counter, u.username FROM ratings r JOIN users u ON u.id = r.officer_id"))
        assert rating == [{"status": "counted", "counter": 1, "username": "canbo1"}]

        # The admin revokes the kiosk on its page: its connection is cut within a second, and it
        # cannot come back.
        cut = threading.Event()
        ticket_kiosk.on("disconnect", lambda *_: cut.set(), namespace="/kiosk")
        page.goto(server.url + "/admin/devices/kiosk-sanh")
        page.click("#revoke")
        expect(ok_message(page)).to_contain_text("Đã thu hồi thiết bị kiosk-sanh")
        assert cut.wait(5), "the revoked kiosk was not cut"
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            kiosk(server, "kiosk-sanh", kiosk_token)
    finally:
        if ticket_kiosk.connected:
            ticket_kiosk.disconnect()

    # Every change is in the audit log, with who made it; the page filters it.
    page.goto(server.url + "/admin/audit?actor=quantri")
    page.screenshot(path=str(artifact("admin-setup-audit.png")), full_page=True)
    actions = [(r["action"], r["subject"]) for r in server.store.read().query(
        "SELECT action, subject FROM audit WHERE actor = 'user:quantri' ORDER BY id")]
    expected = [("setting.set", "unit_name"), ("setting.set", "center_name"), ("setting.set", "notice_text"),
                ("setting.set", "report_place"), ("setting.set", "report_signer_name")]
    expected += [("service.add", code) for code, *_ in SERVICES]
    expected += [("counter.add", str(n)) for n, _ in COUNTERS]
    expected += [("user.add", u) for u, *_ in OFFICERS]
    expected += [("device.save", "kiosk-sanh"), ("device.save", "danhgia-1"), ("device.revoke", "kiosk-sanh")]
    assert [a for a in actions if a[0] != "user.login"] == expected
    expect(page.locator("#audit tbody tr")).to_have_count(len(actions))
