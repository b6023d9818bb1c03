"""The /admin pages through Flask's test client: admins only; each form's refusal is shown in
Vietnamese naming the field, with status 400, and changes nothing; each change is audited with
`user:<username>`; secrets are shown once; the audit log filters and exports CSV safely."""

from __future__ import annotations

import csv
import io
import json
import re
import time

import pytest

from server import auth


def audit(engine, action, subject=None):
    sql = "SELECT * FROM audit WHERE action = ?" + (" AND subject = ?" if subject is not None else "")
    return engine.rows(sql + " ORDER BY id", [action] + ([str(subject)] if subject is not None else []))


def refused(engine, signed_in, path, form, match, status=400):
    before = engine.dump()
    r = signed_in.post(path, data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == status, html[:500]
    error = re.search(r'id="error" role="alert">([^<]*)<', html)
    assert error and match in _unescape(error.group(1)), (error and error.group(1), match)
    assert engine.dump() == before
    return html


def _unescape(text):
    import html

    return html.unescape(text)


HOURS_OFF = {f"h{d}{h}_{k}": "" for d in range(1, 8) for h in ("am", "pm") for k in ("from", "to")}
SERVICE = {"code": "KD", "name_vi": "Đăng ký kinh doanh", "name_en": "Business registration", "prefix": "C",
           "first_number": "1", "digits": "3", "daily_limit": "", "sort": "", "room": "", "always_open": "1",
           **HOURS_OFF}


def test_only_admins(client, center, engine):
    r = client.get("/admin/services")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    from tests.console.helpers import sign_in

    sign_in(client, center, "boss")
    assert client.get("/admin/services").status_code == 403
    assert client.post("/admin/services", data=SERVICE).status_code in (400, 403)
    assert not engine.rows("SELECT * FROM services WHERE code = 'KD'")


def test_every_page_renders_in_both_languages(signed_in):
    for path in ("/admin/center", "/admin/services", "/admin/services/A", "/admin/counters", "/admin/counters/1",
                 "/admin/users", "/admin/users/officer1", "/admin/devices", "/admin/devices/rate-1", "/admin/rules",
                 "/admin/audit"):
        for lang in ("vi", "en"):
            r = signed_in.get(f"{path}?lang={lang}")
            assert r.status_code == 200, (path, lang, r.get_data(as_text=True)[:800])
    assert "Lĩnh vực" in signed_in.get("/admin/services?lang=vi").get_data(as_text=True)
    assert "Services" in signed_in.get("/admin/services?lang=en").get_data(as_text=True)


def test_center_settings_refusals_and_change(signed_in, engine, qms):
    form = {"unit_name": "UBND PHƯỜNG BẾN THÀNH", "center_name": "Trung tâm phường Bến Thành",
            "timezone": "Asia/Hanoi2", "notice_text": "Xin chào", "track_url": "", "report_place": "Phường Bến Thành",
            "report_signer_title": "KT. GIÁM ĐỐC\r\nPHÓ GIÁM ĐỐC", "report_signer_name": "Nguyễn Văn A",
            "report_doc_prefix": "BC-TTPVHCC"}
    html = refused(engine, signed_in, "/admin/center", form, "Múi giờ 'Asia/Hanoi2' không tồn tại")
    assert 'value="Trung tâm phường Bến Thành"' in html  # what was typed is kept
    refused(engine, signed_in, "/admin/center", {**form, "timezone": "Asia/Ho_Chi_Minh", "center_name": ""},
            "Tên trung tâm không được để trống")
    r = signed_in.post("/admin/center", data={**form, "timezone": "Asia/Ho_Chi_Minh"})
    assert r.status_code == 302
    assert qms.setting("center_name") == "Trung tâm phường Bến Thành"
    assert qms.setting("report_signer_title") == "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
    assert "Đã lưu 6 thay đổi." in signed_in.get("/admin/center").get_data(as_text=True)
    rows = audit(engine, "setting.set", "center_name")
    assert rows[-1]["actor"] == "user:chief"
    assert requests_display(signed_in)["center_name"] == "Trung tâm phường Bến Thành"  # live


def requests_display(signed_in):
    return signed_in.get("/api/display").get_json()


def test_service_pages(signed_in, engine):
    refused(engine, signed_in, "/admin/services", {**SERVICE, "prefix": "A"}, "Tiền tố 'A' đã dùng cho lĩnh vực Đất đai")
    refused(engine, signed_in, "/admin/services", {**SERVICE, "daily_limit": "-1"},
            "Giới hạn trong ngày phải là số nguyên dương")
    refused(engine, signed_in, "/admin/services",
            {**SERVICE, "always_open": "", "h1am_from": "07:30", "h1am_to": "11:30", "h1pm_from": "17:00",
             "h1pm_to": "13:00"}, "Buổi chiều kết thúc trước khi bắt đầu")
    refused(engine, signed_in, "/admin/services", {**SERVICE, "always_open": "", "h2am_from": "07:30"},
            "Thứ Ba, buổi sáng: nhập cả giờ bắt đầu và giờ kết thúc")
    week = {f"h{d}{h}_{k}": t for d in range(1, 6) for h, (a, b) in (("am", ("07:30", "11:30")), ("pm", ("13:30", "17:00")))
            for k, t in (("from", a), ("to", b))}
    r = signed_in.post("/admin/services", data={**SERVICE, "always_open": "", **week, "h6am_from": "07:30",
                                                "h6am_to": "11:00", "daily_limit": "80"})
    assert r.status_code == 302
    row = engine.rows("SELECT * FROM services WHERE code = 'KD'")[0]
    assert json.loads(row["hours"]) == [{"days": [1, 2, 3, 4, 5], "from": "07:30", "to": "11:30"},
                                        {"days": [1, 2, 3, 4, 5], "from": "13:30", "to": "17:00"},
                                        {"days": [6], "from": "07:30", "to": "11:00"}]
    assert row["daily_limit"] == 80 and row["sort"] == 3
    # The edit page shows the grid again as it was entered.
    html = signed_in.get("/admin/services/KD").get_data(as_text=True)
    assert 'name="h6am_from" id="f-h6am_from" value="07:30"' in html and 'name="h6pm_from" id="f-h6pm_from" value=""' in html
    refused(engine, signed_in, "/admin/services/KD", {**SERVICE, "daily_limit": "-1"},
            "Giới hạn trong ngày phải là số nguyên dương")
    assert signed_in.post("/admin/services/KD", data={**SERVICE, "name_vi": "Kinh doanh"}).status_code == 302
    assert signed_in.post("/admin/services/KD/active", data={"active": "0"}).status_code == 302
    assert engine.rows("SELECT active, name_vi, hours FROM services WHERE code = 'KD'")[0] == \
        {"active": 0, "name_vi": "Kinh doanh", "hours": None}
    for action in ("service.add", "service.change", "service.disable"):
        assert audit(engine, action, "KD")[0]["actor"] == "user:chief", action


def test_counter_pages(signed_in, engine, qms):
    base = {"number": "5", "name": "", "room": "Tầng 1", "svc1": "B", "svc2": "A"}
    refused(engine, signed_in, "/admin/counters", {**base, "svc1": "", "svc2": ""}, "Quầy phải phục vụ ít nhất một lĩnh vực")
    refused(engine, signed_in, "/admin/counters", {**base, "number": "1"}, "Quầy số 1 đã có")
    assert signed_in.post("/admin/counters", data=base).status_code == 302
    assert json.loads(engine.counter(5)["services"]) == ["B", "A"]
    snapshot = signed_in.get("/api/display").get_json()
    assert {"number": 5, "room": "Tầng 1"}.items() <= next(c for c in snapshot["counters"] if c["number"] == 5).items()
    refused(engine, signed_in, "/admin/counters/5", {"name": "Quầy năm", "room": "", "svc1": ""},
            "Quầy phải phục vụ ít nhất một lĩnh vực")
    assert signed_in.post("/admin/counters/5", data={"name": "Quầy năm", "room": "", "svc1": "A"}).status_code == 302
    assert engine.counter(5)["name"] == "Quầy năm"
    assert signed_in.post("/admin/counters/5/active", data={"active": "0"}).status_code == 302
    assert all(c["number"] != 5 for c in signed_in.get("/api/display").get_json()["counters"])
    for action in ("counter.add", "counter.change", "counter.disable"):
        assert audit(engine, action, 5)[0]["actor"] == "user:chief", action


def test_user_pages_password_once(signed_in, engine, client):
    refused(engine, signed_in, "/admin/users", {"username": "officer1", "full_name": "X", "role": "officer", "counter": ""},
            "Tên đăng nhập 'officer1' đã có")
    refused(engine, signed_in, "/admin/users", {"username": "canbo9", "full_name": "", "role": "officer", "counter": ""},
            "Họ tên không được để trống")
    r = signed_in.post("/admin/users", data={"username": "canbo9", "full_name": "Lê Văn Chín", "role": "officer",
                                             "counter": "2"})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="secret-password">([^<]+)<', r.get_data(as_text=True)).group(1)
    row = engine.rows("SELECT * FROM users WHERE username = 'canbo9'")[0]
    assert auth.check_password(row["password_hash"], password) and row["counter"] == 2
    assert password not in signed_in.get("/admin/users/canbo9").get_data(as_text=True)

    r = signed_in.post("/admin/users/canbo9/password")
    new = re.search(r'id="secret-password">([^<]+)<', r.get_data(as_text=True)).group(1)
    assert new != password
    assert signed_in.post("/admin/users/canbo9", data={"full_name": "Lê Văn Chín", "role": "officer",
                                                       "counter": "3"}).status_code == 302
    refused(engine, signed_in, "/admin/users/chief/active", {"active": "0"}, "Không thể tự khoá")
    assert signed_in.post("/admin/users/canbo9/active", data={"active": "0"}).status_code == 302
    for action in ("user.add", "user.reset_password", "user.counter", "user.disable"):
        assert audit(engine, action, "canbo9")[0]["actor"] == "user:chief", action


def test_device_pages_token_once_with_qr(signed_in, engine, kiosk_client):
    base = {"device_id": "rate-5", "name": "Đánh giá quầy 2", "roles": ["rating"], "counter": "", "room": ""}
    refused(engine, signed_in, "/admin/devices", base, "Quầy: máy đánh giá hoặc bàn phím quầy phải gắn với một quầy")
    refused(engine, signed_in, "/admin/devices", {**base, "device_id": "kiosk-1", "roles": ["ticket"]},
            "Mã thiết bị 'kiosk-1' đã có")
    r = signed_in.post("/admin/devices", data={**base, "counter": "2"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="secret-token">([^<]+)<', html).group(1)
    payload = json.loads(_unescape(re.search(r'id="secret-payload">([^<]+)<', html).group(1)))
    assert payload == {"server": "http://localhost", "device": "rate-5", "token": token}
    assert 'id="qr" src="data:image/svg+xml;base64,' in html
    c = kiosk_client("rate-5", token)
    assert c.is_connected("/kiosk")

    assert signed_in.post("/admin/devices/rate-5", data={"name": "Đánh giá", "roles": ["rating"], "counter": "3",
                                                         "room": ""}).status_code == 302
    r = signed_in.post("/admin/devices/rate-5/rotate")
    token2 = re.search(r'id="secret-token">([^<]+)<', r.get_data(as_text=True)).group(1)
    assert token2 != token
    # A new token cuts the connection made with the old one (server/services.py, refresh).
    deadline = time.monotonic() + 5
    while c.is_connected("/kiosk") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not c.is_connected("/kiosk")
    assert kiosk_client("rate-5", token2).is_connected("/kiosk")
    assert signed_in.post("/admin/devices/rate-5/revoke").status_code == 302
    assert not kiosk_client("rate-5", token2).is_connected("/kiosk")  # revoked: refused at connect
    for action in ("device.save", "device.change", "device.rotate", "device.revoke"):
        assert audit(engine, action, "rate-5")[0]["actor"] == "user:chief", action


def test_device_status_shown(signed_in, qms):
    from server.engine import devices

    qms.write(devices.set_online, device_id="kiosk-1", online=True,
              status={"printer": "paper_low", "outbox": 7, "uptime_s": 5, "version": "1.2.3", "detail": ""})
    html = signed_in.get("/admin/devices").get_data(as_text=True)
    row = re.search(r'<tr id="device-kiosk-1".*?</tr>', html, re.S).group(0)
    assert "Trực tuyến" in row and "Sắp hết giấy" in row and ">7<" in row and "1.2.3" in row


def test_rules_page(signed_in, engine, qms):
    form = {"label5": "Rất hài lòng", "label4": "Hài lòng", "label3": "Bình thường", "label2": "Chưa hài lòng",
            "label1": "Rất không hài lòng", "rating_window_s": "90", "policy": "interleave", "interleave_n": "0",
            "default_service_minutes": "7,5", "alert_wait_min": "30", "alert_low_share": "0.5",
            "alert_low_window_min": "15", "alert_low_min_count": "4", "alert_offline_s": "60",
            "alert_unattributed_count": "5", "alert_unattributed_window_min": "10"}
    refused(engine, signed_in, "/admin/rules", form, "Chính sách ưu tiên phải là 'strict' hoặc 'interleave:N'")
    refused(engine, signed_in, "/admin/rules", {**form, "interleave_n": "3", "label4": ""}, "Nhãn mức 4 không được để trống")
    refused(engine, signed_in, "/admin/rules", {**form, "interleave_n": "3", "rating_window_s": "-5"},
            "Thời gian nhận đánh giá (giây) phải là số nguyên từ 1 đến 3600")
    assert signed_in.post("/admin/rules", data={**form, "interleave_n": "3"}).status_code == 302
    assert qms.cfg().priority_policy == "interleave:3" and qms.cfg().rating_window_s == 90
    assert qms.cfg().default_service_minutes == 7.5 and qms.setting("rating_labels")["2"] == "Chưa hài lòng"
    assert {r["subject"] for r in audit(engine, "setting.set")} == \
        {"rating_labels", "priority_policy", "rating_window_s", "default_service_minutes"}


def test_audit_filters_and_csv(signed_in, engine, qms, clock):
    from server.engine import admin

    qms.write(admin.create_service, code="EV", name_vi="=HYPERLINK(\"http://x\")", prefix="E", actor="user:chief")
    qms.write(admin.create_counter, number=9, services=["EV"], actor="cli")
    def listed(query):
        html = signed_in.get("/admin/audit?" + query).get_data(as_text=True)
        table = html[html.index('<table id="audit">'):]
        return re.findall(r"<td><code>([^<]+)</code></td>", table)

    assert listed("actor=chief&action=service") == ["service.add"]
    assert listed("subject=9") == ["counter.add"]
    today = qms.cfg().day(clock.t)
    assert "service.add" in listed(f"start={today}&end={today}")
    assert listed("start=2000-01-01&end=2000-01-02") == []
    assert signed_in.get("/admin/audit?start=nope").status_code == 400

    r = signed_in.get("/admin/audit?format=csv&action=service.add&subject=EV")
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][1:] == ["Thời gian", "Người thực hiện", "Thao tác", "Đối tượng", "Dữ liệu"]
    assert len(rows) == 2 and rows[1][2:5] == ["user:chief", "service.add", "EV"]
    # A cell a spreadsheet would run as a formula starts with a quote.
    from server.engine import audit as audit_log

    qms.write(lambda db, cfg, now: audit_log.record(db, now, "-actor", "@evil", "=1+1"))
    r = signed_in.get("/admin/audit?format=csv&action=evil")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][2:5] == ["'-actor", "'@evil", "'=1+1"]
    from server.web.admin.routes import csv_cell

    assert [csv_cell(x) for x in ("=1+1", "+1", "-1", "@SUM(A1)", "ok", None)] == \
        ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "ok", ""]


@pytest.mark.parametrize("lang, text", [("vi", "Tiền tố 'A' đã dùng cho lĩnh vực Đất đai"),
                                        ("en", "Prefix 'A' is already used by the service Đất đai")])
def test_refusals_in_english_too(signed_in, engine, lang, text):
    refused(engine, signed_in, f"/admin/services?lang={lang}", {**SERVICE, "prefix": "A"}, text)


def test_the_printed_report_carries_the_report_settings(signed_in, qms):
    from server.engine import admin

    qms.write(admin.set_settings, actor="user:chief", values={
        "report_place": "Phường Bến Thành", "report_doc_prefix": "BC-TTPVHCC",
        "report_signer_title": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", "report_signer_name": "Nguyễn Thị Hoa"})
    html = signed_in.get("/reports/print?period=month").get_data(as_text=True)
    assert "Số: 01/BC-TTPVHCC" in html and "<i>Phường Bến Thành, ngày" in html  # numbered (issue 14)
    assert '<div class="strong">KT. GIÁM ĐỐC</div><div class="strong">PHÓ GIÁM ĐỐC</div>' in html
    assert "Nguyễn Thị Hoa" in html


def test_a_disabled_officer_s_open_console_is_closed(app, signed_in, center, qms):
    """Disabling a person closes his open console at once, and his token opens nothing more."""
    socketio = app.extensions["socketio"]
    console = socketio.test_client(app, namespace="/counter",
                                   auth={"token": center["users"]["officer2"]["api_token"]})
    assert console.is_connected("/counter")
    assert signed_in.post("/admin/users/officer2/active", data={"active": "0"}).status_code == 302
    assert not console.is_connected("/counter")
    again = socketio.test_client(app, namespace="/counter", auth={"token": center["users"]["officer2"]["api_token"]})
    assert not again.is_connected("/counter")
