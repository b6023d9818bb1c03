"""Signing in and out (`/login`, `/logout`): hashed passwords, throttled wrong tries, CSRF,
safe redirects, Vietnamese with English on request, an officer's bound counter."""

from __future__ import annotations

from server.engine import admin
from server.engine.logins import FIRST_DELAY_S, throttle_delay

from tests.console.helpers import CSRF, csrf_token, sign_in


def _user(engine, username: str) -> dict:
    return engine.rows("SELECT * FROM users WHERE username = ?", [username])[0]


def _signed_in(client) -> bool:
    """Whether the client's session is a signed-in user (the console answers instead of redirecting)."""
    return client.get("/counter").status_code == 200


def test_login_page_is_vietnamese_and_english_on_request(client):
    page = client.get("/login", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert "Đăng nhập" in page and "Mật khẩu" in page and 'name="csrf_token"' in page
    response = client.get("/login?lang=en")
    page = response.get_data(as_text=True)
    assert "Sign in" in page and "Password" in page and "Mật khẩu" not in page
    assert "lang=en" in response.headers["Set-Cookie"]  # the choice sticks for the console too


def test_right_password_signs_in_and_goes_to_the_page_asked_for(client, center, engine):
    response = sign_in(client, center, "boss", next="/counter?x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/counter?x=1"
    assert _signed_in(client)
    assert engine.rows("SELECT action FROM audit WHERE action = 'user.login' AND subject = 'boss'")


def test_each_role_lands_on_its_page_without_next(client, center):
    assert sign_in(client, center, "officer1").headers["Location"] == "/counter"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/counter")})
    assert sign_in(client, center, "boss").headers["Location"] == "/board"


def _failures(engine, scope: str, name: str = "", address: str = "127.0.0.1") -> int:
    rows = engine.rows("SELECT failed FROM login_failures WHERE scope = ? AND name = ? AND address = ?",
                       [scope, name, address])
    return rows[0]["failed"] if rows else 0


def test_wrong_password_and_unknown_user_get_the_same_refusal(client, center, engine):
    wrong = sign_in(client, center, "officer1", password="not-it")
    unknown = sign_in(client, center, "nobody", password="not-it")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)
    assert not _signed_in(client)
    # Both names are counted alike, per (name, address) and per address.
    assert _failures(engine, "name", "officer1") == 1 and _failures(engine, "name", "nobody") == 1
    assert _failures(engine, "address") == 2
    row = _user(engine, "officer1")
    assert row["password_hash"] != center["users"]["officer1"]["password"]
    assert row["password_hash"].startswith(("scrypt:", "pbkdf2:"))


def test_empty_fields_are_refused_by_name(client):
    response = client.post("/login", data={"username": "", "password": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 400 and "Nhập tên đăng nhập và mật khẩu" in response.get_data(as_text=True)


def test_wrong_tries_in_a_row_from_one_address_slow_the_next_ones_from_there(client, center, engine, clock, qms):
    limit = qms.setting("login_throttle")
    for _ in range(limit):
        assert sign_in(client, center, "officer1", password="bad").status_code == 401
    assert _failures(engine, "name", "officer1") == limit
    # From this address even the right password is refused until the wait is over, and the
    # refused tries don't count.
    for _ in range(3):
        refused = sign_in(client, center, "officer1")
        assert refused.status_code == 429
        assert f"thử lại sau {FIRST_DELAY_S} giây" in refused.get_data(as_text=True)
    assert _failures(engine, "name", "officer1") == limit
    assert not _signed_in(client)
    clock.advance(FIRST_DELAY_S - 1)
    assert sign_in(client, center, "officer1").status_code == 429
    clock.advance(1)
    # One more wrong try doubles the wait.
    assert sign_in(client, center, "officer1", password="bad").status_code == 401
    clock.advance(FIRST_DELAY_S)
    assert sign_in(client, center, "officer1").status_code == 429
    clock.advance(FIRST_DELAY_S)
    assert sign_in(client, center, "officer1").status_code == 302
    assert _failures(engine, "name", "officer1") == 0
    # Another user was never slowed down.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/counter")})
    assert sign_in(client, center, "officer2").status_code == 302


def test_a_strangers_wrong_guesses_do_not_lock_the_officer_out(app, center, engine, qms):
    stranger, officer = app.test_client(), app.test_client()
    for _ in range(qms.setting("login_throttle") + 1):
        sign_in(stranger, center, "officer3", password="guess", address="10.0.0.66")
    assert sign_in(stranger, center, "officer3", address="10.0.0.66").status_code == 429
    # The right password from the officer's own desk is not held back.
    assert sign_in(officer, center, "officer3", address="10.0.0.13").status_code == 302
    assert officer.get("/counter").status_code == 200


def test_known_and_unknown_names_get_the_same_answers_and_the_same_work(client, center, engine, qms, monkeypatch):
    from server import auth

    checks, writes = [], []
    real_check, real_write = auth.check_password, qms.write
    monkeypatch.setattr(auth, "check_password", lambda h, p: checks.append(1) or real_check(h, p))
    monkeypatch.setattr(qms, "write", lambda fn, **kw: writes.append(fn.__name__) or real_write(fn, **kw))
    seen = {}
    for name, address in (("officer2", "10.0.0.7"), ("no-such-user", "10.0.0.8")):
        checks.clear(), writes.clear()
        answers = [sign_in(client, center, name, password="wrong", address=address)
                   for _ in range(qms.setting("login_throttle") + 2)]
        seen[name] = ([(r.status_code, CSRF.sub("", r.get_data(as_text=True)).replace(name, "NAME")) for r in answers],
                      len(checks), list(writes))
    assert seen["officer2"] == seen["no-such-user"]
    statuses = [status for status, _page in seen["officer2"][0]]
    assert statuses == [401] * qms.setting("login_throttle") + [429, 429]


def test_many_names_from_one_address_slow_that_address_only(app, center, qms):
    sprayer, officer = app.test_client(), app.test_client()
    for i in range(qms.setting("login_throttle_address")):
        assert sign_in(sprayer, center, f"user{i}", password="guess", address="10.0.0.99").status_code == 401
    # The address is slowed down whatever name it tries next, a real one with its password too...
    assert sign_in(sprayer, center, "officer2", address="10.0.0.99").status_code == 429
    # ...and no other address is.
    assert sign_in(officer, center, "officer2", address="10.0.0.12").status_code == 302


def test_right_passwords_give_the_address_its_tries_back(qms):
    from server.engine import logins

    def attempt(name="officer1", ok=False):
        got = qms.write(logins.reserve_attempt, username=name, address="10.0.0.5", limit=3, address_limit=3)
        if got["wait"] == 0:
            qms.write(logins.record_outcome, username=name, address="10.0.0.5", ok=ok,
                      user_id=got["user"]["id"] if ok else None)
        return got["wait"]

    # Ten officers signing in at one front-desk PC in turn are never slowed down...
    assert [attempt(ok=True) for _ in range(10)] == [0] * 10
    # ...while three wrong tries from it, whatever the names, are.
    assert [attempt(name) for name in ("a1", "a2", "a3")] == [0, 0, 0]
    assert attempt("officer1", ok=True) > 0


def test_throttle_delay_doubles_and_is_capped():
    assert [throttle_delay(n, 5) for n in (0, 4, 5, 6, 7)] == [0, 0, FIRST_DELAY_S, 2 * FIRST_DELAY_S, 4 * FIRST_DELAY_S]
    assert throttle_delay(60, 5) == 300


def test_sign_in_without_the_csrf_token_is_refused(client, center, engine):
    response = client.post("/login", data={"username": "officer1", "password": center["users"]["officer1"]["password"]})
    assert response.status_code == 400
    assert "thiếu mã bảo vệ" in response.get_data(as_text=True)
    response = client.post("/login", data={"username": "officer1", "csrf_token": "forged",
                                           "password": center["users"]["officer1"]["password"]})
    assert response.status_code == 400
    assert not _signed_in(client)
    assert _failures(engine, "name", "officer1") == 0  # refused before the password was looked at


def test_next_pointing_to_another_site_is_ignored(client, center):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = sign_in(client, center, "officer2", next=target)
        assert response.headers["Location"] == "/counter", target
        client.post("/logout", data={"csrf_token": csrf_token(client, "/counter")})


def test_logout_needs_the_csrf_token_and_frees_the_counter(client, center, engine, login):
    login("officer1")
    response = client.post("/logout")
    assert response.status_code == 400 and _signed_in(client)
    assert engine.counter(1)["officer_id"] == engine.user_id("officer1")
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/counter")})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/counter").status_code == 302
    assert engine.counter(1)["officer_id"] is None
    assert engine.rows("SELECT ended_at FROM counter_sessions WHERE counter = 1")[-1]["ended_at"] is not None


def test_inactive_user_cannot_sign_in(client, center, qms):
    qms.write(lambda db, cfg, now: db.execute("UPDATE users SET active = 0 WHERE username = 'officer2'"))
    assert sign_in(client, center, "officer2").status_code == 401
    assert not _signed_in(client)


def test_an_officer_bound_to_a_free_counter_gets_it_at_sign_in(client, center, engine, qms):
    qms.write(lambda db, cfg, now: db.execute("UPDATE counters SET officer_id = NULL WHERE number = 1"))
    assert sign_in(client, center, "officer1").headers["Location"] == "/counter"
    assert engine.counter(1)["officer_id"] == engine.user_id("officer1")
    page = client.get("/counter").get_data(as_text=True)
    assert 'data-action="next"' in page and '"counter": 1' in page


def test_an_officer_bound_to_a_busy_counter_is_told_who_holds_it(client, center, engine, qms):
    qms.write(lambda db, cfg, now: db.execute("UPDATE users SET counter = 2 WHERE username = 'officer4'"))
    sign_in(client, center, "officer4")
    page = client.get("/counter").get_data(as_text=True)
    assert "Quầy 2 đang do Cán bộ 2 đăng nhập" in page
    assert engine.counter(2)["officer_id"] == engine.user_id("officer2")


def test_new_users_have_no_default_password(qms):
    made = qms.write(admin.add_user, username="newbie", role="officer")
    assert len(made["password"]) >= 12
