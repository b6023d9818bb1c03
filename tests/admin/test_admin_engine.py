"""The administrators' engine functions (server/engine/admin.py): every refusal is in Vietnamese,
names the field and changes nothing (table dumps compared); every change is in the audit log."""

from __future__ import annotations

import json

import pytest

from server import auth
from server.engine import admin
from server.errors import BadRequest, Conflict, NotFound, QmsError


def refused(engine, fn, match: str, **args):
    """Run a write that must be refused with a message containing `match`; nothing may change."""
    before = engine.dump()
    with pytest.raises(QmsError) as info:
        engine.qms.write(fn, **{"actor": "user:chief", **args})
    assert match in info.value.message, info.value.message
    assert engine.dump() == before
    return info.value


def audit(engine, action: str, subject) -> list[dict]:
    return engine.rows("SELECT * FROM audit WHERE action = ? AND subject = ? ORDER BY id", [action, str(subject)])


# -- services ------------------------------------------------------------------------------------

def test_service_refusals_name_the_field_and_change_nothing(engine):
    base = dict(code="KD", name_vi="Đăng ký kinh doanh", prefix="C")
    refused(engine, admin.create_service, "Tiền tố 'A' đã dùng cho lĩnh vực Đất đai", **{**base, "prefix": "A"})
    refused(engine, admin.create_service, "Tiền tố 'A' đã dùng cho lĩnh vực Đất đai", **{**base, "prefix": "a"})
    refused(engine, admin.create_service, "Giới hạn trong ngày phải là số nguyên dương", **base, daily_limit=-1)
    refused(engine, admin.create_service, "Giới hạn trong ngày phải là số nguyên dương", **base, daily_limit="abc")
    refused(engine, admin.create_service, "Tên lĩnh vực (tiếng Việt) không được để trống", **{**base, "name_vi": " "})
    refused(engine, admin.create_service, "Mã lĩnh vực 'A' đã có (Đất đai)", **{**base, "code": "A"})
    refused(engine, admin.create_service, "Số chữ số phải là số nguyên từ 1 đến 6", **base, digits=9)
    refused(engine, admin.create_service, "Buổi chiều kết thúc trước khi bắt đầu", **base,
            hours=[{"days": [1, 2], "from": "07:30", "to": "11:30"}, {"days": [1], "from": "17:00", "to": "13:00"}])
    refused(engine, admin.create_service, "'25:00' không phải giờ dạng HH:MM", **base,
            hours=[{"days": [1], "from": "07:30", "to": "25:00"}])
    refused(engine, admin.create_service, "hai buổi của Thứ Hai chồng lên nhau", **base,
            hours=[{"days": [1], "from": "07:30", "to": "12:00"}, {"days": [1], "from": "11:00", "to": "16:00"}])
    refused(engine, admin.change_service, "Tiền tố 'A' đã dùng cho lĩnh vực Đất đai", code="B", prefix="A")
    refused(engine, admin.change_service, "Giới hạn trong ngày phải là số nguyên dương", code="B", daily_limit=-1)
    refused(engine, admin.change_service, "Lĩnh vực 'X' không tồn tại", code="X", name_vi="?")


def test_service_add_change_disable_audited(engine):
    s = engine.qms.write(admin.create_service, code="KD", name_vi="Đăng ký kinh doanh", name_en="Business",
                         prefix="c", first_number=100, digits=4, daily_limit="50",
                         hours=[{"days": [1, 2, 3, 4, 5], "from": "7:30", "to": "11:30"}], actor="user:chief")
    assert s["prefix"] == "C" and s["daily_limit"] == 50 and s["hours"][0]["from"] == "07:30"
    assert s["sort"] == 3  # after A and B
    row = engine.rows("SELECT * FROM services WHERE code = 'KD'")[0]
    assert row["first_number"] == 100 and json.loads(row["hours"])[0]["days"] == [1, 2, 3, 4, 5]
    assert audit(engine, "service.add", "KD")[0]["actor"] == "user:chief"

    changed = engine.qms.write(admin.change_service, code="KD", name_vi="Kinh doanh", daily_limit="",
                               actor="user:chief")
    assert changed["changed"] == ["daily_limit", "name_vi"]
    data = json.loads(audit(engine, "service.change", "KD")[0]["data"])
    assert data["changes"]["name_vi"] == {"from": "Đăng ký kinh doanh", "to": "Kinh doanh"}

    engine.qms.write(admin.disable_service, code="A", actor="user:chief")
    assert engine.rows("SELECT active FROM services WHERE code = 'A'")[0]["active"] == 0
    assert audit(engine, "service.disable", "A")
    # The prefix of an inactive service may be taken again; re-enabling A is then refused.
    engine.qms.write(admin.create_service, code="A2", name_vi="Đất đai mới", prefix="A", actor="user:chief")
    refused(engine, admin.change_service, "Tiền tố 'A' đã dùng cho lĩnh vực Đất đai mới", code="A", active=True)


# -- counters ------------------------------------------------------------------------------------

def test_counter_refusals(engine):
    refused(engine, admin.create_counter, "Quầy phải phục vụ ít nhất một lĩnh vực", number=7, services=[])
    refused(engine, admin.create_counter, "Lĩnh vực 'Z' không tồn tại", number=7, services=["A", "Z"])
    refused(engine, admin.create_counter, "Quầy số 1 đã có", number=1, services=["A"])
    refused(engine, admin.create_counter, "Số quầy phải là số nguyên", number="x", services=["A"])
    refused(engine, admin.change_counter, "Quầy phải phục vụ ít nhất một lĩnh vực", number=1, services=[])
    refused(engine, admin.change_counter, "Quầy số 9 không tồn tại", number=9, name="?")
    engine.issue("A")
    engine.act(1, "next")
    refused(engine, admin.disable_counter, "Quầy 1 đang phục vụ một số", number=1)


def test_counter_add_change_disable(engine):
    engine.qms.write(admin.create_counter, number=7, services=["B", "A", "B"], name="", room="Tầng 2",
                     actor="user:chief")
    row = engine.counter(7)
    assert json.loads(row["services"]) == ["B", "A"] and row["name"] == "Quầy 7" and row["room"] == "Tầng 2"
    engine.qms.write(admin.change_counter, number=7, services=["A"], name="Quầy bảy", actor="user:chief")
    assert json.loads(engine.counter(7)["services"]) == ["A"]
    assert audit(engine, "counter.add", 7) and audit(engine, "counter.change", 7)
    # Counter 2 has officer2 signed in: disabling signs him out.
    engine.qms.write(admin.disable_counter, number=2, actor="user:chief")
    assert engine.counter(2)["active"] == 0 and engine.counter(2)["officer_id"] is None
    assert audit(engine, "counter.disable", 2)


# -- users ---------------------------------------------------------------------------------------

def test_users(engine, admin_user):
    refused(engine, admin.create_user, "Tên đăng nhập 'officer1' đã có", username="officer1", role="officer",
            full_name="X")
    refused(engine, admin.create_user, "Họ tên không được để trống", username="new1", role="officer", full_name="")
    refused(engine, admin.create_user, "Vai trò phải là", username="new1", role="king", full_name="X")
    refused(engine, admin.create_user, "Quầy mặc định: quầy số 9 không tồn tại", username="new1", role="officer",
            full_name="X", counter=9)
    refused(engine, admin.disable_user, "Không thể tự khoá", username="chief")
    refused(engine, admin.change_user, "Không thể tự khoá", username="chief", role="officer")
    refused(engine, admin.disable_user, "Phải còn ít nhất một quản trị viên", username="chief", actor="cli")

    u = engine.qms.write(admin.create_user, username="canbo5", role="officer", full_name="Cán bộ năm", counter=2,
                         actor="user:chief")
    assert len(u["password"]) >= 12
    engine.qms.write(admin.set_user_counter, username="canbo5", counter=3, actor="user:chief")
    assert engine.rows("SELECT counter FROM users WHERE username = 'canbo5'")[0]["counter"] == 3
    reset = engine.qms.write(admin.reset_password, username="canbo5", actor="user:chief")
    pw_hash = engine.rows("SELECT password_hash FROM users WHERE username = 'canbo5'")[0]["password_hash"]
    assert auth.check_password(pw_hash, reset["password"]) and not auth.check_password(pw_hash, u["password"])
    # officer1 is signed in at counter 1: disabling him frees it.
    engine.qms.write(admin.disable_user, username="officer1", actor="user:chief")
    assert engine.counter(1)["officer_id"] is None
    for action, subject in (("user.add", "canbo5"), ("user.counter", "canbo5"), ("user.reset_password", "canbo5"),
                            ("user.disable", "officer1")):
        assert audit(engine, action, subject)[0]["actor"] == "user:chief", action


# -- devices -------------------------------------------------------------------------------------

def test_devices(engine):
    refused(engine, admin.register_device, "Mã thiết bị 'kiosk-1' đã có", device_id="kiosk-1", roles=["ticket"])
    refused(engine, admin.register_device, "gắn với một quầy", device_id="rate-9", roles=["rating"])
    refused(engine, admin.register_device, "quầy số 9 không tồn tại", device_id="rate-9", roles=["rating"], counter=9)
    refused(engine, admin.register_device, "chọn ít nhất một", device_id="x", roles=[])
    refused(engine, admin.change_device, "gắn với một quầy", device_id="rate-1", counter=None)
    refused(engine, admin.rotate_device_token, "Thiết bị 'nope' không tồn tại", device_id="nope")

    d = engine.qms.write(admin.register_device, device_id="rate-9", roles=["rating"], counter=2, name="Đánh giá 9",
                         actor="user:chief")
    db = engine.qms.store.read()
    assert auth.device_by_credentials(db, "rate-9", d["token"], engine.qms.now())["counter"] == 2
    engine.qms.write(admin.change_device, device_id="rate-9", counter=3, actor="user:chief")
    assert auth.device_by_credentials(db, "rate-9", d["token"], engine.qms.now())["counter"] == 3  # same token
    new = engine.qms.write(admin.rotate_device_token, device_id="rate-9", actor="user:chief")
    with pytest.raises(auth.Unauthorized):
        auth.device_by_credentials(db, "rate-9", d["token"], engine.qms.now())
    assert auth.device_by_credentials(db, "rate-9", new["token"], engine.qms.now())
    engine.qms.write(admin.revoke_device, device_id="rate-9", actor="user:chief")
    with pytest.raises(auth.Unauthorized):
        auth.device_by_credentials(db, "rate-9", new["token"], engine.qms.now())
    for action in ("device.save", "device.change", "device.rotate", "device.revoke"):
        assert audit(engine, action, "rate-9")[0]["actor"] == "user:chief", action


# -- settings ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, value, match", [
    ("timezone", "Asia/Hanoi2", "Múi giờ 'Asia/Hanoi2' không tồn tại"),
    ("center_name", "  ", "Tên trung tâm không được để trống"),
    ("priority_policy", "interleave:0", "Chính sách ưu tiên phải là 'strict' hoặc 'interleave:N'"),
    ("priority_policy", "fair", "Chính sách ưu tiên"),
    ("rating_window_s", "abc", "Thời gian nhận đánh giá (giây) phải là số nguyên"),
    ("rating_window_s", -1, "Thời gian nhận đánh giá (giây) phải là số nguyên từ 1 đến 3600"),
    ("rating_labels", {"5": "Rất hài lòng", "4": "", "3": "a", "2": "b", "1": "c"}, "Nhãn mức 4 không được để trống"),
    ("rating_labels", {"5": "x"}, "Nhãn các mức đánh giá phải có đủ các mức 1 đến 5"),
    ("default_service_minutes", "0", "Thời gian phục vụ mặc định (phút) phải trong khoảng"),
    ("alert_low_share", "1,5", "Tỷ lệ đánh giá thấp để cảnh báo phải trong khoảng 0 đến 1"),
    ("track_url", "qms.local/t", "Địa chỉ tra cứu (mã QR) phải bắt đầu bằng http://"),
    ("report_doc_prefix", "BC TT", "Ký hiệu văn bản không được có khoảng trắng"),
    ("secret_key", "x", "không phải một cài đặt thay đổi được"),
])
def test_setting_refusals(engine, name, value, match):
    refused(engine, admin.set_settings, match, values={"center_name": "Trung tâm mới", name: value})


def test_settings_write_only_what_changed(engine, qms):
    changed = qms.write(admin.set_settings, values={"center_name": "Trung tâm phường Bến Thành",
                                                    "timezone": "Asia/Ho_Chi_Minh", "alert_low_share": "0,4",
                                                    "report_place": "Phường Bến Thành"}, actor="user:chief")
    assert changed == ["center_name", "alert_low_share", "report_place"]  # the time zone is the default
    assert qms.setting("center_name") == "Trung tâm phường Bến Thành" and qms.setting("alert_low_share") == 0.4
    assert qms.cfg().center_name == "Trung tâm phường Bến Thành"
    again = qms.write(admin.set_settings, values={"center_name": "Trung tâm phường Bến Thành"}, actor="user:chief")
    assert again == []
    assert len(audit(engine, "setting.set", "center_name")) == 1
    qms.write(admin.set_settings, values={"timezone": "Asia/Bangkok"}, actor="cli")
    assert str(qms.cfg().tz) == "Asia/Bangkok"
    assert audit(engine, "setting.set", "timezone")[0]["actor"] == "cli"


def test_errors_carry_their_field_for_english(engine):
    err = refused(engine, admin.create_service, "Tiền tố", code="KD", name_vi="Kinh doanh", prefix="A")
    assert isinstance(err, Conflict) and err.msgid and err.params == {"prefix": "A", "name": "Đất đai"}
    assert isinstance(refused(engine, admin.change_service, "không tồn tại", code="Q", name_vi="x"), NotFound)
    assert isinstance(refused(engine, admin.create_counter, "ít nhất", number=8, services=[]), BadRequest)
