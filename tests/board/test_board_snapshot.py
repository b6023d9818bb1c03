"""The live board's snapshot and its page: counters, services, today's figures (the same as the
day's report), officers, devices; who may open it."""

from __future__ import annotations

import json
import re

from server.reports import board, queries
from tests.conftest import settle
from tests.console.helpers import sign_in


def snapshot(qms) -> dict:
    return board.snapshot(qms.store.read(), qms.cfg(), qms.now(), settings=qms.setting)


def test_counters_services_and_officers(qms, engine, clock, kiosk_client):
    engine.issue("A")
    engine.issue("A")
    engine.issue("B")
    clock.advance(120)
    engine.act(1, "next")           # A001 at counter 1
    clock.advance(45)
    engine.act(2, "pause")
    snap = snapshot(qms)
    c1, c2, c3 = snap["counters"]
    assert c1["serving"] == "A001" and c1["ticket"]["state"] == "called" and c1["ticket"]["held_s"] == 45.0
    assert c1["officer"]["name"] == "Cán bộ 1" and c1["state"] == "open"
    assert c2["state"] == "paused" and c2["ticket"] is None and c2["officer"]["username"] == "officer2"
    services = {s["code"]: s for s in snap["services"]}
    assert services["A"]["waiting"] == 1 and services["A"]["longest_wait_s"] == 165.0
    assert services["A"]["issued"] == 2 and services["A"]["served"] == 0
    assert services["B"]["waiting"] == 1 and services["B"]["counters"] == [2, 3]
    # Counter 2 is paused: only counter 3 serves B; one ahead at the default 6 minutes.
    assert services["B"]["eta_minutes"] == 6
    assert [o["username"] for o in snap["officers"]] == ["officer1", "officer2", "officer3"]
    assert snap["today"]["waiting"] == 2 and snap["today"]["issued"] == 3


def test_today_is_the_days_report(qms, engine, clock):
    engine.issue("A")
    clock.advance(300)
    engine.act(1, "next")
    clock.advance(200)
    engine.act(1, "finish")
    clock.advance(5)
    engine.rate(1, 4)
    engine.rate(1, 4)      # a duplicate
    engine.rate(2, 1)      # nobody at counter 2: unattributed
    snap = snapshot(qms)
    day = queries.today(qms.store.read(), qms.cfg(), qms.now())["summary"]
    for key in board.TODAY_KEYS:
        assert snap["today"][key] == day[key], key
    assert snap["today"]["satisfaction_rate"] == 100.0 and snap["today"]["duplicates"] == 1
    assert snap["today"]["unattributed"] == 1 and snap["today"]["avg_wait_s"] == 300.0
    officer1 = next(o for o in snap["officers"] if o["username"] == "officer1")
    officer2 = next(o for o in snap["officers"] if o["username"] == "officer2")
    assert officer1["served"] == 1 and officer1["ratings"]["4"] == 1 and officer1["duplicates"] == 1
    assert officer2["unattributed"] == 1 and officer2["satisfaction_rate"] is None


def test_devices_show_link_printer_and_outbox(qms, kiosk_client):
    kiosk = kiosk_client("kiosk-1")
    kiosk.emit("status", {"printer": "paper_low", "outbox": 3, "version": "1.2", "uptime_s": 99},
               namespace="/kiosk", callback=True)
    devices = {d["id"]: d for d in snapshot(qms)["devices"]}
    k = devices["kiosk-1"]
    assert k["online"] and k["printer"] == "paper_low" and k["outbox"] == 3 and k["version"] == "1.2"
    assert devices["rate-1"]["online"] is False and devices["rate-1"]["last_seen"] is None
    kiosk.disconnect(namespace="/kiosk")
    settle(qms)
    k = {d["id"]: d for d in snapshot(qms)["devices"]}["kiosk-1"]
    assert not k["online"] and k["last_seen"] is not None and k["printer"] == "paper_low"


def test_board_page_needs_a_supervisor(client, center):
    r = client.get("/board")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"] and "board" in r.headers["Location"]
    sign_in(client, center, "officer1")
    assert client.get("/board").status_code == 403


def test_board_page_holds_the_snapshot_and_its_words(client, center):
    sign_in(client, center, "boss")
    html = client.get("/board?lang=vi").get_data(as_text=True)
    boot = json.loads(re.search(r'<script id="boot" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert boot["snapshot"]["counters"][0]["number"] == 1 and boot["user"] == "boss"
    strings = json.loads(re.search(r'<script id="strings" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert strings["ack"] == "Đã biết" and "low_ratings" in strings["alert"]
    assert "Tỷ lệ hài lòng (%)" in html
    english = client.get("/board?lang=en").get_data(as_text=True)
    assert "Supervisor board" in english and "Acknowledge" in english


def test_board_api(client, center):
    assert client.get("/api/board").status_code == 401
    officer = {"Authorization": f"Bearer {center['users']['officer1']['api_token']}"}
    assert client.get("/api/board", headers=officer).status_code == 403
    boss = {"Authorization": f"Bearer {center['users']['boss']['api_token']}"}
    body = client.get("/api/board", headers=boss).get_json()
    assert body["ok"] and {"counters", "services", "today", "officers", "devices", "alerts"} <= set(body)
