"""Malformed input from signed-in callers is refused by name, never a 500 nor a silent drop:
numbers past SQLite's INTEGER in paths, forms and connect payloads, dates past what `date`
can step over, digits that are not ASCII, JSON nested too deeply, bytes that are not UTF-8 in a
query string, and lone surrogates in connect tokens."""

from __future__ import annotations

import pytest
import socketio as sio

HUGE = "99999999999999999999"  # > 2**63 - 1


def bearer(center, who: str) -> dict:
    token = center["devices"][who] if who in center["devices"] else center["users"][who]["api_token"]
    return {"Authorization": f"Bearer {token}"}


def refused(resp, status: int, code: str, *words: str) -> dict:
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    body = resp.get_json()
    assert body["ok"] is False and body["error"] == code, body
    for word in words:
        assert word in body["message"], body
    return body


@pytest.mark.parametrize("who, method, path, field", [
    ("boss", "GET", f"/api/counters/{HUGE}", "number"),
    ("officer1", "GET", f"/api/counters/{HUGE}", "number"),
    ("officer1", "POST", f"/api/counters/{HUGE}/sign-in", "number"),
    ("boss", "POST", f"/api/counters/{HUGE}/sign-out", "number"),
    ("officer1", "POST", f"/api/counters/{HUGE}/next", "number"),
    ("boss", "POST", f"/api/board/alerts/{HUGE}/ack", "alert_id"),
    ("boss", "POST", f"/api/board/alerts/{'9' * 400}/ack", "alert_id"),
])
def test_a_number_past_sqlites_integer_in_a_path_is_a_bad_request_naming_it(client, center, who, method, path,
                                                                            field):
    refused(client.open(path, method=method, headers=bearer(center, who)), 400, "bad_request", f"'{field}'")


def test_the_largest_integer_in_a_path_is_an_unknown_counter(client, center):
    refused(client.get(f"/api/counters/{2 ** 63 - 1}", headers=bearer(center, "boss")), 404, "unknown_counter")


def test_digits_that_are_not_ascii_do_not_route_as_numbers(client, center):
    # "٣" is a digit to `str.isdigit` and `int()`; a path of ours takes 0-9 only.
    assert client.get("/api/counters/\u0663", headers=bearer(center, "boss")).status_code == 404


@pytest.mark.parametrize("query, words", [
    ("period=month&date=9999-12-15", ("'date'", "2099-12-31")),
    ("period=year&date=9999-12-31", ("'date'",)),
    ("period=day&date=9999-12-31", ("'date'",)),
    ("period=week&date=0001-01-01", ("'date'", "2000-01-01")),
    ("period=day&date=0001-01-01", ("'date'",)),
    ("period=range&from=9999-12-30&to=9999-12-31", ("'from'",)),
    ("period=range&from=2026-01-01&to=9999-12-31", ("'to'",)),
    ("officer=%C2%B2", ("²",)),
    (f"officer={HUGE}", (HUGE,)),
    ("counter=%C2%B2", ("'counter'",)),
    (f"counter={HUGE}", ("'counter'",)),
    ("counter=%D9%A3", ("'counter'",)),
])
def test_report_parameters_out_of_range_are_named(client, center, query, words):
    for path in ("/api/reports", "/api/reports/summary", "/reports/export/summary.csv",
                 "/reports/chart/satisfaction.svg"):
        refused(client.get(f"{path}?{query}", headers=bearer(center, "boss")), 400, "bad_request", *words)


def test_the_report_page_says_what_is_wrong_with_a_date_out_of_range(client, center):
    from tests.console.helpers import sign_in

    sign_in(client, center, "boss")
    resp = client.get("/reports?period=month&date=9999-12-15")
    assert resp.status_code == 400 and "date" in resp.get_data(as_text=True)


def test_a_query_string_that_is_not_utf8_is_read_as_escaped_text(client, center):
    # Raw bytes (a client that does not percent-escape): werkzeug raised UnicodeDecodeError,
    # on every page (the language switch reads `lang`).
    for raw, status, word in (("officer=\xed\xa0\x80", 400, "%ED%A0%80"), ("period=\xff", 400, "period"),
                              ("date=\xed\xa0\x80", 400, "'date'"), ("lang=\xff", 200, None)):
        resp = client.get("/api/reports", headers=bearer(center, "boss"), environ_overrides={"QUERY_STRING": raw})
        if status == 200:
            assert resp.status_code == 200 and resp.get_json()["ok"] is True
        else:
            refused(resp, status, "bad_request", word)
    assert client.get("/login", environ_overrides={"QUERY_STRING": "lang=\xff&next=\xed\xa0\x80"}).status_code == 200


@pytest.mark.parametrize("path, who", [("/api/counters/1/next", "officer1"), ("/api/tickets", "kiosk-1")])
def test_json_nested_too_deeply_is_a_bad_request(client, center, path, who):
    deep = "[" * 100_000 + "]" * 100_000
    resp = client.post(path, data=deep, headers={**bearer(center, who), "Content-Type": "application/json"})
    refused(resp, 400, "bad_request", "JSON")
    deep = '{"id": ' * 50_000 + "1" + "}" * 50_000
    resp = client.post(path, data=deep, headers={**bearer(center, who), "Content-Type": "application/json"})
    refused(resp, 400, "bad_request", "JSON")


def test_a_counter_form_with_a_huge_or_odd_number_shows_the_picker(client, center):
    from tests.console.helpers import csrf_token, sign_in

    sign_in(client, center, "officer4")
    for value in (HUGE, "\u00b2", "\u0663", "-1"):
        resp = client.post("/counter/sign-in", data={"counter": value, "csrf_token": csrf_token(client, "/counter")})
        assert resp.status_code == 400, (value, resp.status_code)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/counter")})
    sign_in(client, center, "boss")
    resp = client.post("/counter/free", data={"counter": HUGE, "csrf_token": csrf_token(client, "/counter")})
    assert resp.status_code == 400


# -- socket connects (a real client: the auth payload goes through JSON, "\ud800" escape included) --

def _connect_reason(live_server, namespace: str, auth) -> list:
    client = sio.Client(reconnection=False)
    reasons = []
    client.on("connect_error", reasons.append, namespace=namespace)
    try:
        client.connect(live_server.url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=5)
    except sio.exceptions.ConnectionError:
        pass
    finally:
        client.disconnect()
    return reasons


def test_connect_tokens_that_are_not_unicode_are_refused_as_unauthorized(live_server):
    for namespace, auth in (("/kiosk", {"device": "kiosk-1", "token": "\ud800"}),
                            ("/kiosk", {"device": "\ud800", "token": "x"}),
                            ("/board", {"token": "\ud800"}),
                            ("/counter", {"token": "abc\udfff"})):
        assert _connect_reason(live_server, namespace, auth) == [{"message": "unauthorized"}], (namespace, auth)


def test_a_supervisor_watching_a_counter_past_sqlites_integer_is_refused_by_name(live_server):
    auth = {"token": live_server.token("boss"), "counter": 10 ** 20}
    assert _connect_reason(live_server, "/counter", auth) == [{"message": "bad_request"}]
    # and the server still answers
    auth = {"token": live_server.token("boss"), "counter": 2}
    assert _connect_reason(live_server, "/counter", auth) == []
