"""Issue 12: the display is a device. Before this, `/display` never identified itself, so the
board showed every TV as "Chưa kết nối" (never connected).

A TV pairs once, by the code it shows entered on the admin page or by its token in its URL, then
connects as its display device and reports its status; the board's device list follows.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from server.engine import admin, pairing
from server.errors import BadRequest
from server.reports import board
from tests.browser_fixtures import browser  # noqa: F401
from tests.display.helpers import open_display


def test_pairing_engine_hands_the_token_out_once(qms):
    digest = pairing.secret_hash("s" * 32)
    code = qms.write(pairing.start, digest=digest)["code"]
    assert re.fullmatch(r"\d{6}", code)
    assert qms.write(pairing.start, digest=digest)["code"] == code  # the same TV: the same code
    assert qms.write(pairing.collect, digest=digest) is None       # not entered yet
    with pytest.raises(BadRequest, match="Mã ghép"):
        qms.write(pairing.claim, code="000000" if code != "000000" else "111111", device_id="tv-x", actor="test")
    assert qms.write(pairing.claim, code=code[:3] + " " + code[3:], device_id="tv-x", name="Sảnh",
                     actor="test") == {"device": "tv-x"}
    got = qms.write(pairing.collect, digest=digest)
    assert got["device"] == "tv-x" and len(got["token"]) > 20
    assert qms.write(pairing.collect, digest=digest) is None       # handed out once
    dev = qms.store.read()["devices"].get("tv-x")
    assert dev["name"] == "Sảnh" and "display" in dev["roles"]
    with pytest.raises(BadRequest):  # a code is used once
        qms.write(pairing.claim, code=code, device_id="tv-y", actor="test")


def board_device(live, device_id):
    snap = board.snapshot(live.store.read(), live.qms.cfg(), live.qms.now(), settings=live.qms.setting)
    return next(d for d in snap["devices"] if d["id"] == device_id)


def test_a_tv_pairs_by_its_code_and_the_board_shows_it(browser, live_server):  # noqa: F811
    live = live_server
    chief = live.qms.write(admin.create_user, username="chief", role="admin", full_name="Quản trị", actor="test")
    tv = open_display(browser, live, "mute=1")
    expect(tv.locator("#pair-code")).to_be_visible()
    code = tv.locator("#pair-digits").text_content().replace(" ", "")
    assert re.fullmatch(r"\d{6}", code)

    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(live.url + "/admin/devices/pair")
    page.fill("input[name=username]", "chief")
    page.fill("input[name=password]", chief["password"])
    page.click("button[type=submit]")
    expect(page.locator("#display-pair")).to_be_visible()
    # A wrong code is refused, naming what was wrong, and nothing is made.
    page.fill("#f-code", "99999" if code != "99999" else "88888")
    page.fill("#f-device_id", "tv-sanh")
    page.click("#pair-display")
    expect(page.locator("#error")).to_contain_text("Mã ghép không đúng")
    assert live.store.read()["devices"].count_where("id = ?", ["tv-sanh"]) == 0
    page.fill("#f-code", code)
    page.fill("#f-name", "Màn hình sảnh")
    page.click("#pair-display")
    expect(page.locator("p.msg.ok")).to_contain_text("tv-sanh")
    expect(page.locator("#device-tv-sanh")).to_be_visible()

    # The TV collects its token, reconnects as the device and reports its status.
    tv.wait_for_function("() => window.qmsDisplay.paired() === true", timeout=20_000)
    expect(tv.locator("#pair-code")).to_be_hidden()
    dev = board_device(live, "tv-sanh")
    assert dev["online"] is True and dev["last_seen"] is not None
    assert "1920x1080" in dev["last_status"]["detail"]

    # Its token outlives a reload (kept by the TV), and the TV leaving shows on the board.
    tv.reload()
    tv.wait_for_function("() => window.qmsDisplay && window.qmsDisplay.paired() === true", timeout=20_000)
    assert tv.locator("#pair-code").is_hidden()
    tv.context.close()
    _wait(lambda: board_device(live, "tv-sanh")["online"] is False)
    ctx.close()


def test_a_tv_with_its_token_in_the_url_is_that_device(browser, live_server):  # noqa: F811
    live = live_server
    token = live.qms.write(admin.register_device, device_id="tv-2", roles=["display"], actor="test")["token"]
    assert board_device(live, "tv-2")["online"] is False
    tv = open_display(browser, live, f"mute=1&token={token}")
    tv.wait_for_function("() => window.qmsDisplay.paired() === true", timeout=20_000)
    assert "token=" not in tv.url  # taken out of the address bar
    assert tv.locator("#pair-code").is_hidden()
    assert board_device(live, "tv-2")["online"] is True
    # Revoked: the TV forgets the token and shows a code to pair again.
    live.qms.write(admin.revoke_device, device_id="tv-2", actor="test")
    expect(tv.locator("#pair-code")).to_be_visible(timeout=20_000)
    tv.context.close()


def _wait(check, tries: int = 200):
    """Poll the store until `check()` holds (a positive sign), failing after ~10 s."""
    import time
    for _ in range(tries):
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("the board never showed it")
