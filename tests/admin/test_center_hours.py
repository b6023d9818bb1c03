"""The center's working hours and closed days: set on the center page (refusals name the field
and change nothing), audited, and obeyed at once by the ticket kiosks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from server.errors import ServiceClosed
from tests.admin.test_admin_pages import HOURS_OFF, audit, refused

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CENTER = {"unit_name": "UBND PHƯỜNG BẾN THÀNH", "center_name": "Trung tâm phường Bến Thành",
          "timezone": "Asia/Ho_Chi_Minh", "notice_text": "", "track_url": "", "report_place": "",
          "report_signer_title": "GIÁM ĐỐC", "report_signer_name": "", "report_doc_prefix": "BC-TTPVHCC"}
WEEKDAYS_HOURS = {**HOURS_OFF, **{f"h{d}am_from": "07:30" for d in range(1, 6)},
                  **{f"h{d}am_to": "11:30" for d in range(1, 6)}, **{f"h{d}pm_from": "13:30" for d in range(1, 6)},
                  **{f"h{d}pm_to": "17:00" for d in range(1, 6)}}


def at(clock, text: str) -> None:
    clock.t = datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=TZ).timestamp()


@pytest.mark.parametrize("change, message", [
    ({"h1am_to": "07:00"}, "Buổi sáng kết thúc trước khi bắt đầu (Thứ Hai: 07:30–07:00)"),
    ({"h3pm_to": ""}, "Thứ Tư, buổi chiều: nhập cả giờ bắt đầu và giờ kết thúc"),
    ({"h2am_from": "7h30"}, "'7h30' không phải giờ dạng HH:MM"),
    ({"closed_days": "01/01/2027 Tết Dương lịch\n31/02/2027 Ngày không có"},
     "Ngày nghỉ, dòng 2: '31/02/2027' không phải ngày dạng dd/mm/yyyy"),
    ({"closed_days": "30/04/2027 Giải phóng\n2027-04-30 Lặp lại"}, "Ngày nghỉ, dòng 2: ngày 30/04/2027 đã có ở trên"),
])
def test_refusals_name_the_field_and_change_nothing(signed_in, engine, change, message):
    refused(engine, signed_in, "/admin/center", {**CENTER, **WEEKDAYS_HOURS, "closed_days": "", **change}, message)


@pytest.fixture
def monday_noon(clock):
    """The app's clock at lunch on a Monday, set before anyone signs in (sessions follow it)."""
    at(clock, "30/11/2026 12:00")


def test_hours_and_closed_days_saved_audited_shown_and_obeyed_at_once(monday_noon, signed_in, engine, qms, clock):
    engine.issue("A")  # always open until the center says otherwise
    form = {**CENTER, **WEEKDAYS_HOURS, "closed_days": "01/01/2027 Tết Dương lịch\r\n\r\n02/09/2027 Quốc khánh"}
    r = signed_in.post("/admin/center", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    assert qms.setting("center_hours") == [{"days": [1, 2, 3, 4, 5], "from": "07:30", "to": "11:30"},
                                           {"days": [1, 2, 3, 4, 5], "from": "13:30", "to": "17:00"}]
    assert qms.setting("closed_days") == [{"date": "2027-01-01", "name": "Tết Dương lịch"},
                                          {"date": "2027-09-02", "name": "Quốc khánh"}]
    assert [r["actor"] for r in audit(engine, "setting.set", "closed_days")] == ["user:chief"]
    assert [r["actor"] for r in audit(engine, "setting.set", "center_hours")] == ["user:chief"]
    html = signed_in.get("/admin/center").get_data(as_text=True)
    assert 'value="13:30"' in html and "01/01/2027 Tết Dương lịch" in html  # the page reads them back
    # Unticking "always open" with an empty grid is refused.
    refused(engine, signed_in, "/admin/center", {**form, **HOURS_OFF},
            "Giờ tiếp nhận: chọn ít nhất một buổi, hoặc để trống nếu luôn mở")

    with pytest.raises(ServiceClosed, match="Trung tâm đang ngoài giờ làm việc"):
        engine.issue("A")  # lunch break: no restart needed
    at(clock, "05/12/2026 08:00")  # Saturday
    with pytest.raises(ServiceClosed, match="ngoài giờ làm việc"):
        engine.issue("A")
    at(clock, "01/01/2027 08:00")  # a Friday, but a holiday
    with pytest.raises(ServiceClosed, match=r"Hôm nay \(01/01/2027, Tết Dương lịch\) trung tâm nghỉ"):
        engine.issue("A")
    at(clock, "04/01/2027 08:00")
    assert engine.issue("A")["code"] == "A001"

    at(clock, "30/11/2026 12:05")  # back within the admin's session: "always open" again
    assert signed_in.post("/admin/center", data={**form, **HOURS_OFF, "always_open": "1"}).status_code == 302
    assert qms.setting("center_hours") is None
    assert engine.issue("A")["code"] == "A002"


def test_the_kiosk_is_told_why_no_ticket(engine, kiosk_client, clock):
    from tests.server.test_protocol_kiosk import assert_error, send, uid

    at(clock, "30/11/2026 20:00")
    engine.setting("center_hours", [{"days": [1, 2, 3, 4, 5], "from": "07:30", "to": "17:00"}])
    ack = send(kiosk_client(), "ticket", {"id": uid(), "service": "A"})
    assert_error(ack, "service_closed")
    assert ack["message"] == "Trung tâm đang ngoài giờ làm việc"
    assert engine.rows("SELECT id FROM tickets") == []
