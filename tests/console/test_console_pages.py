"""The console pages: the picker, one officer per counter, a supervisor freeing a counter,
the wrong counter refused, and CSRF on every form."""

from __future__ import annotations

import json
import re

from tests.console.helpers import csrf_token


def _boot(page: str) -> dict:
    found = re.search(r'<script id="boot" type="application/json">(.*?)</script>', page, re.S)
    assert found, "no boot data on the console page"
    return json.loads(found.group(1))


def test_the_console_asks_to_sign_in_first(client):
    response = client.get("/counter")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fcounter"


def test_an_officer_at_his_counter_gets_its_console(client, login):
    login("officer1")
    page = client.get("/counter").get_data(as_text=True)
    assert _boot(page)["counter"] == 1 and _boot(page)["user"]["username"] == "officer1"
    # Every button, with its shortcut shown on it.
    for key, label in (("G", "Gọi số tiếp theo"), ("L", "Gọi lại"), ("B", "Bắt đầu"), ("H", "Hoàn thành"),
                       ("V", "Vắng mặt"), ("C", "Chuyển"), ("T", "Tạm nghỉ")):
        assert re.search(rf"<kbd>{key}</kbd> {label}", page) or re.search(
            rf"<kbd>{key}</kbd> <span[^>]*>{label}", page), label
    assert '<meta name="csrf-token"' in page


def test_the_console_speaks_english_on_request(client, login):
    login("officer1")
    page = client.get("/counter?lang=en").get_data(as_text=True)
    assert "Call next" in page and "Recall" in page and "Gọi số tiếp theo" not in page
    assert _boot(page)["lang"] == "en"


def test_an_officer_without_a_counter_picks_one_and_a_busy_one_is_refused_naming_its_holder(client, login, engine):
    login("officer4")
    page = client.get("/counter").get_data(as_text=True)
    assert "Chọn quầy làm việc" in page
    assert "Đang do Cán bộ 1 đăng nhập" in page and "Đang do Cán bộ 3 đăng nhập" in page
    before = engine.dump()
    response = client.post("/counter/sign-in", data={"counter": "1", "csrf_token": csrf_token(client, "/counter")})
    assert response.status_code == 409
    assert "Quầy 1 đang do Cán bộ 1 đăng nhập" in response.get_data(as_text=True)
    assert engine.dump() == before


def test_a_supervisor_frees_a_counter_and_another_officer_takes_it(app, center, engine):
    boss, officer = app.test_client(), app.test_client()
    from tests.console.helpers import sign_in

    assert sign_in(boss, center, "boss", next="/counter").status_code == 302
    assert sign_in(officer, center, "officer4").status_code == 302
    picker = boss.get("/counter").get_data(as_text=True)
    assert "Giải phóng quầy" in picker
    # An officer cannot free someone else's counter.
    response = officer.post("/counter/free", data={"counter": "1", "csrf_token": csrf_token(officer, "/counter")})
    assert response.status_code == 403 and engine.counter(1)["officer_id"] == engine.user_id("officer1")
    response = boss.post("/counter/free", data={"counter": "1", "csrf_token": csrf_token(boss, "/counter")})
    assert response.status_code == 302 and engine.counter(1)["officer_id"] is None
    audit = engine.rows("SELECT actor, data FROM audit WHERE action = 'counter.sign_out'")[-1]
    assert audit["actor"] == "user:boss" and json.loads(audit["data"])["forced"] is True
    response = officer.post("/counter/sign-in", data={"counter": "1", "csrf_token": csrf_token(officer, "/counter")})
    assert response.status_code == 302
    assert engine.counter(1)["officer_id"] == engine.user_id("officer4")
    assert _boot(officer.get("/counter").get_data(as_text=True))["counter"] == 1


def test_the_console_of_another_counter_is_refused(client, login):
    login("officer1")
    response = client.get("/counter/2")
    assert response.status_code == 403
    assert "Bạn chưa đăng nhập ở quầy 2" in response.get_data(as_text=True)
    assert client.get("/counter/1").status_code == 200
    assert client.get("/counter/99").status_code == 403


def test_forms_without_the_csrf_token_are_refused(client, login, engine):
    login("officer4")
    before = engine.dump()
    for path, data in (("/counter/sign-in", {"counter": "3"}), ("/counter/free", {"counter": "3"}),
                       ("/counter/sign-out", {})):
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "thiếu mã bảo vệ" in response.get_data(as_text=True)
    assert engine.dump() == before


def test_an_officer_leaves_his_counter_and_can_take_another(client, login, engine, qms):
    login("officer2")
    token = csrf_token(client, "/counter")
    assert client.post("/counter/sign-out", data={"csrf_token": token}).status_code == 302
    assert engine.counter(2)["officer_id"] is None
    assert "Chọn quầy làm việc" in client.get("/counter").get_data(as_text=True)
    assert client.post("/counter/sign-in", data={"counter": "2", "csrf_token": token}).status_code == 302
    assert engine.counter(2)["officer_id"] == engine.user_id("officer2")


def test_a_bad_counter_number_is_refused_by_name(client, login):
    login("officer4")
    token = csrf_token(client, "/counter")
    response = client.post("/counter/sign-in", data={"counter": "abc", "csrf_token": token})
    assert response.status_code == 400 and "Chọn một quầy" in response.get_data(as_text=True)
    response = client.post("/counter/sign-in", data={"counter": "42", "csrf_token": token})
    assert response.status_code == 404 and "Quầy số 42 không tồn tại" in response.get_data(as_text=True)
