"""Screenshots of the administrators' pages for docs/admin.md, on the demo center.

    .venv/bin/python bench/admin_screenshots.py [--out docs/img]

Loads the demo center (server/engine/demo.py, with opening hours) into a fresh instance, gives
its devices a last status, serves it on loopback, signs in as its admin through /login in
Debian's chromium (Playwright) and saves admin-center.png, admin-services.png,
admin-service.png, admin-refused.png, admin-counters.png, admin-users.png, admin-devices.png,
admin-device-token.png, admin-rules.png and admin-audit.png.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    a = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright
    from server import create_app
    from server.engine import admin, demo, devices
    from server.serve import ThreadedServer

    folder = Path(tempfile.mkdtemp(prefix="qms-admin-shots-"))
    app = create_app({"INSTANCE_PATH": str(folder / "instance"), "secret_key": "screenshots"})
    qms = app.extensions["qms"]
    made = qms.write(demo.load, always_open=False)
    password = next(u["password"] for u in made["users"] if u["username"] == "quantri")
    qms.write(admin.set_settings, actor="user:quantri", values={
        "report_place": "Phường Bến Thành", "report_signer_title": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
        "report_signer_name": "Nguyễn Thị Hoa", "notice_text": "Trung tâm làm việc từ 7 giờ 30 đến 17 giờ, thứ Hai đến sáng thứ Bảy.",
        "center_hours": [{"days": [1, 2, 3, 4, 5], "from": "07:30", "to": "11:30"},
                         {"days": [1, 2, 3, 4, 5], "from": "13:30", "to": "17:00"},
                         {"days": [6], "from": "07:30", "to": "11:30"}],
        "closed_days": "01/01/2027 Tết Dương lịch\n05/02/2027 Tết Nguyên đán\n30/04/2027 Ngày Giải phóng miền Nam"})
    statuses = {"kiosk-1": (True, {"printer": "paper_low", "outbox": 0, "uptime_s": 5400, "version": "0.1.0", "detail": ""}),
                "rate-1": (True, {"printer": "none", "outbox": 0, "uptime_s": 5400, "version": "0.1.0", "detail": ""}),
                "rate-2": (True, {"printer": "none", "outbox": 3, "uptime_s": 120, "version": "0.1.0", "detail": ""}),
                "rate-3": (False, {"printer": "none", "outbox": 12, "uptime_s": 80000, "version": "0.0.9", "detail": ""})}
    for device_id, (online, status) in statuses.items():
        qms.write(devices.set_online, device_id=device_id, online=online, status=status)
    qms.write(admin.set_user_counter, username="canbo4", counter=4, actor="user:quantri")
    server = ThreadedServer(app, "127.0.0.1", 0).start()
    base = server.url
    a.out.mkdir(parents=True, exist_ok=True)

    def shot(page, name):
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(a.out / name), full_page=True)
        print(a.out / name)

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            ctx = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 800})
            page = ctx.new_page()
            page.goto(base + "/login?next=/admin")
            page.fill("input[name=username]", "quantri")
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_url("**/admin/center")
            shot(page, "admin-center.png")
            page.goto(base + "/admin/services")
            shot(page, "admin-services.png")
            page.goto(base + "/admin/services/DD")
            shot(page, "admin-service.png")
            page.goto(base + "/admin/services")
            page.fill("#f-code", "XD")
            page.fill("#f-name_vi", "Xây dựng")
            page.fill("#f-prefix", "A")
            page.fill("#f-daily_limit", "80")
            page.click("#add-service")
            page.wait_for_selector("#error")
            page.screenshot(path=str(a.out / "admin-refused.png"))
            print(a.out / "admin-refused.png")
            page.goto(base + "/admin/counters")
            shot(page, "admin-counters.png")
            page.goto(base + "/admin/users")
            shot(page, "admin-users.png")
            page.goto(base + "/admin/devices")
            shot(page, "admin-devices.png")
            page.fill("#f-device_id", "kiosk-2")
            page.fill("#f-name", "Máy lấy số tầng 2")
            page.click("#add-device")
            page.wait_for_selector("#qr")
            shot(page, "admin-device-token.png")
            page.goto(base + "/admin/rules")
            shot(page, "admin-rules.png")
            page.goto(base + "/admin/audit?actor=quantri")
            shot(page, "admin-audit.png")
            browser.close()
    finally:
        server.stop()
        qms.close()


if __name__ == "__main__":
    main()
