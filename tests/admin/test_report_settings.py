"""The official report's settings and the province push on the admin pages: refusals name the
field and change nothing; a change is audited and read back."""

from __future__ import annotations

import pytest

from tests.admin.test_admin_pages import audit, refused
from tests.admin.test_center_hours import CENTER
from tests.admin.test_device_buttons import RULES

LEVELS = {"level5": "Rất hài lòng", "level4": "Hài lòng", "level3": "Hài lòng", "level2": "Không hài lòng",
          "level1": "Không hài lòng"}


@pytest.mark.parametrize("path, form, message", [
    ("/admin/center", {**CENTER, "report_addressee": ""}, "Kính gửi không được để trống"),
    ("/admin/center", {**CENTER, "report_doc_first_number": "0"}, "Số báo cáo đầu tiên trong năm phải là số nguyên từ 1"),
    ("/admin/center", {**CENTER, "province_push_url": "ftp://tinh.gov.vn"},
     "Địa chỉ nhận đánh giá của tỉnh phải bắt đầu bằng http:// hoặc https://"),
    ("/admin/center", {**CENTER, "province_push_token": "a b"}, "Mã truy cập của tỉnh không được có khoảng trắng"),
    ("/admin/rules", {**RULES, **LEVELS, "level3": "Bình thường"},
     "Quy đổi ba mức: mức 3 phải là Rất hài lòng, Hài lòng hoặc Không hài lòng, không phải 'Bình thường'"),
])
def test_refusals(signed_in, engine, path, form, message):
    refused(engine, signed_in, path, form, message)


def test_report_settings_and_three_levels_saved_audited_and_read_back(signed_in, engine, qms):
    r = signed_in.post("/admin/center", data={**CENTER, "report_addressee": "Ủy ban nhân dân phường Bến Thành",
                                              "report_recipients": "Như trên;\r\n\r\nLưu: VT.",
                                              "report_doc_first_number": "12",
                                              "province_push_url": "https://motcua.tinh.gov.vn/api/danh-gia",
                                              "province_push_token": "abc123"})
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    assert qms.setting("report_addressee") == "Ủy ban nhân dân phường Bến Thành"
    assert qms.setting("report_recipients") == "Như trên;\nLưu: VT."
    assert qms.setting("report_doc_first_number") == 12
    assert qms.setting("province_push_url") == "https://motcua.tinh.gov.vn/api/danh-gia"
    html = signed_in.get("/admin/center").get_data(as_text=True)
    assert 'value="Ủy ban nhân dân phường Bến Thành"' in html and "Lưu: VT." in html
    assert signed_in.post("/admin/rules", data={**RULES, **LEVELS}).status_code == 302
    assert qms.setting("rating_three_levels") == \
        "5=Rất hài lòng;4=Hài lòng;3=Hài lòng;2=Không hài lòng;1=Không hài lòng"
    assert {r["actor"] for r in audit(engine, "setting.set", "rating_three_levels")} == {"user:chief"}
    html = signed_in.get("/admin/rules").get_data(as_text=True)
    assert '<option value="Hài lòng" selected>' in html.replace("\n", "")


def test_the_audit_page_in_vietnamese_dates_its_csv_in_iso(signed_in, engine, qms):
    import re

    assert signed_in.post("/admin/center", data={**CENTER, "report_addressee": "UBND phường"}).status_code == 302
    html = signed_in.get("/admin/audit").get_data(as_text=True)
    when = re.findall(r'<td class="when">([^<]*)</td>', html)
    assert when and all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", w) for w in when), when
    text = signed_in.get("/admin/audit?format=csv").get_data(as_text=True)
    assert re.search(r"\n\d+,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,", text), text[:300]
