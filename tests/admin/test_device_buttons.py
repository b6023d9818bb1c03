"""The devices' buttons set by the center (/admin/rules): the scores a rating terminal's buttons
give and the press lockouts. Refusals name the field and change nothing; a change is audited and
rides on every `status` answer."""

from __future__ import annotations

import uuid

import pytest

from tests.admin.test_admin_pages import audit, refused
from tests.server.test_protocol_kiosk import send

RULES = {"label5": "Rất hài lòng", "label4": "Hài lòng", "label3": "Bình thường", "label2": "Không hài lòng",
         "label1": "Rất không hài lòng", "rating_window_s": "120", "policy": "strict", "interleave_n": "",
         "default_service_minutes": "6", "alert_wait_min": "30", "alert_low_share": "0.5",
         "alert_low_window_min": "15", "alert_low_min_count": "4", "alert_offline_s": "60",
         "alert_unattributed_count": "5", "alert_unattributed_window_min": "10",
         "rating_scores": "5,4,3,2", "ticket_lockout_s": "1.5", "rating_lockout_s": "3", "keypad_lockout_s": "1"}


@pytest.mark.parametrize("change, message", [
    ({"rating_scores": "5,5,3"}, "Các mức trên máy đánh giá: mức 5 có hai lần"),
    ({"rating_scores": "6,4"}, "Các mức trên máy đánh giá: '6' không phải một mức từ 1 đến 5"),
    ({"rating_scores": "5"}, "Các mức trên máy đánh giá: cần từ 2 đến 5 mức"),
    ({"rating_scores": "5,4,x"}, "Các mức trên máy đánh giá: 'x' không phải một mức từ 1 đến 5"),
    ({"rating_lockout_s": "-1"}, "Khoá nút máy đánh giá (giây) phải trong khoảng 0 đến 30"),
    ({"ticket_lockout_s": "nhanh"}, "Khoá nút máy lấy số (giây) phải là một số"),
])
def test_refusals(signed_in, engine, change, message):
    refused(engine, signed_in, "/admin/rules", {**RULES, **change}, message)


def test_a_change_is_audited_and_answers_every_status(signed_in, engine, qms, kiosk_client):
    terminal = kiosk_client("rate-1")
    ack = send(terminal, "status", {"printer": "none"})
    assert ack["ok"] is True and ack["config"] == {
        "rating_scores": [5, 4, 3, 2], "rating_labels": qms.setting("rating_labels"),
        "ticket_lockout_s": 1.5, "rating_lockout_s": 3.0, "keypad_lockout_s": 1.0}
    terminal.get_received("/kiosk")
    r = signed_in.post("/admin/rules", data={**RULES, "rating_scores": "5, 4, 1", "rating_lockout_s": "2,5"})
    assert r.status_code == 302
    assert qms.setting("rating_scores") == [5, 4, 1] and qms.setting("rating_lockout_s") == 2.5
    assert {r["subject"] for r in audit(engine, "setting.set")} == {"rating_scores", "rating_lockout_s"}
    ack = send(terminal, "status", {"printer": "none", "detail": str(uuid.uuid4())})
    assert ack["config"]["rating_scores"] == [5, 4, 1] and ack["config"]["rating_lockout_s"] == 2.5
    html = signed_in.get("/admin/rules").get_data(as_text=True)
    assert 'value="5,4,1"' in html
