"""Fuzzing every HTTP endpoint and every Socket.IO event (hypothesis).

What is sent: path parameters, query parameters, JSON bodies, form fields, Socket.IO connect
payloads and event payloads, built from the wire models' fields (`server/wire/incoming.py`) mostly
right and sometimes wrong: wrong types, missing and unknown fields, huge and negative numbers
(2**63, 10**30, a 5,000-digit literal), NaN and Infinity, out-of-range dates (0001-01-01,
9999-12-31), unicode digits ("²", "١٢"), lone surrogates, deep nesting (up to 100,000 levels),
oversized strings, garbage frames, and ids drawn from a small pool so that they come back
with other bodies (replays). Everything is sent as raw text (`enc()`), so that what no JSON
library would write (NaN, a 5,000-digit number, 100,000 brackets) reaches the server too.

What must hold: no 5xx (but 503 `busy`), no `internal` acknowledgement, no exception out of a
handler, the one error shape, acknowledgements of the shape of `server/wire`'s models; at the
end the server alive (`/healthz`, a real ticket over the socket and over HTTP), `PRAGMA
integrity_check` ok, and the stored tickets and ratings exactly those acknowledged (each `ok`
acknowledgement of `ticket`/`rating`/`POST /api/tickets` is tracked by id: same ids, same
service, priority, code, score and device in the tables).

The test does not stop at the first failure: it runs all its examples, collects every distinct
failure (where it was sent, the first small input, the exception and the server's file:line),
writes them to test-artifacts/fuzz/<test>.json and then fails listing them, except those in
`KNOWN` (findings being fixed elsewhere; empty now), which are reported as warnings. With
QMS_FUZZ_STRICT=1 the known ones fail too (to check a fix).

Profiles (`QMS_FUZZ_PROFILE`): `short` (default, `make test`: a few hundred examples in all,
derandomized) and `long` (over 20,000, random; `python bench/fuzz.py`).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import sqlite3
import time
import traceback
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from server import wire
from server.engine import counters
from server.reports import charts
from tests.server.doors import CALLERS, TICKET_ID, Doors, SioClient, app_from, build_template

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "fuzz"
PROFILE = os.environ.get("QMS_FUZZ_PROFILE", "short")
STRICT = os.environ.get("QMS_FUZZ_STRICT") == "1"
EXAMPLES = {
    "short": {"kiosk": 200, "connect": 80, "api": 180, "pages": 140},
    "long": {"kiosk": 7000, "connect": 3000, "api": 6000, "pages": 4000},
}
if PROFILE not in EXAMPLES:
    raise RuntimeError(f"QMS_FUZZ_PROFILE={PROFILE!r}: use one of {', '.join(EXAMPLES)}")


def fuzz_settings(name: str) -> settings:
    return settings(max_examples=EXAMPLES[PROFILE][name], deadline=None, database=None,
                    derandomize=PROFILE == "short", print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.large_base_example])


# -- known failures: being fixed on other branches --------------------------------------------
# (surface regex, exception type regex, why). A finding matching one is reported, not failed.

FLOOD_LIMIT = 5  # tracebacks logged for undecodable frames in one test, beyond which it is flooding
# (surface regex, error regex, why): findings known and being fixed elsewhere, reported as
# warnings. Empty: every finding fails the test (the 500s found first were fixed with it).
KNOWN: list[tuple[str, str, str]] = []


# -- raw JSON text ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Raw:
    """JSON text sent as it is (a 5,000-digit number, 1e999, a truncated document)."""

    text: str

    def __repr__(self):
        return f"Raw({self.text[:30]!r}{'…' if len(self.text) > 30 else ''} len={len(self.text)})"


@dataclass(frozen=True)
class Deep:
    """`depth` nested arrays or objects around 1."""

    depth: int
    kind: str = "["

    def text(self) -> str:
        if self.kind == "[":
            return "[" * self.depth + "1" + "]" * self.depth
        return '{"a":' * self.depth + "1" + "}" * self.depth


def enc(value) -> str:
    """JSON text of a value, NaN and Infinity as Python's json writes them, Raw and Deep as they are."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Deep):
        return value.text()
    if value is None or isinstance(value, (bool, str)):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(enc(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + enc(v) for k, v in value.items()) + "}"
    raise TypeError(type(value))


def printable(text: str) -> str:
    """Text that can be printed and written (lone surrogates as escapes)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def short(value, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


# -- strategies ----------------------------------------------------------------------------------

MISSING = object()
ID_POOL = [str(uuid.UUID(int=0x51C0 + i, version=4)) for i in range(8)]  # replayed ids
NASTY_INTS = [-1, 0, 6, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, -(10**30)]
NASTY_FLOATS = [math.nan, math.inf, -math.inf, 1e308, -0.0, 0.5, 5.0, 1e-300]
NASTY_TEXT = ["", " ", "²", "¹²³", "١", "٣", "١٢", "𝟗", "Ⅻ", "\ud800", "\udfff", "a\ud800b", "\x00", "x" * 201,
              "x" * 5000, "x" * 200, "0001-01-01", "9999-12-31", "0000-00-00", "2026-02-30", "١٢٣٤-٠١-٠١",
              "NaN", "Infinity", "-1", "+1", "1e3", "0x10", "true", "null", "../../etc/passwd", "%00", "A", "B",
              "Z", "next", "Đất đai", "' OR 1=1 --", "<script>", "\u202e", "\ufeff1", "A001", TICKET_ID]
NASTY_RAW = [Raw("9" * 5000), Raw("-" + "9" * 5000), Raw("1e999"), Raw("-1e999"), Raw("1" + "0" * 400),
             Deep(50), Deep(1000), Deep(10000), Deep(100000), Deep(3000, "{")]

nasty = st.one_of(
    st.sampled_from(NASTY_INTS), st.sampled_from(NASTY_FLOATS), st.sampled_from(NASTY_TEXT),
    st.sampled_from(NASTY_RAW), st.integers(), st.floats(), st.text(max_size=12), st.booleans(), st.none(),
    st.lists(st.integers() | st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
)
nasty_keys = st.one_of(st.sampled_from(["", "ID", "id ", "__proto__", "constructor", "\ud800", "²", "x" * 300]),
                       st.text(max_size=8))


@st.composite
def _mostly(draw, valid, odd, percent):
    return draw(valid if draw(st.integers(0, 99)) < percent else odd)


def mostly(valid, odd=nasty, percent: int = 85):
    """The valid values `percent` % of the time, else the odd ones."""
    return _mostly(valid, odd, percent)


def field(valid):
    """An optional field: missing one time in five, else mostly valid."""
    return mostly(mostly(valid), st.just(MISSING), 80)


@st.composite
def obj(draw, fields: dict):
    """A dict of these fields (each maybe missing, maybe wrong), sometimes with unknown ones."""
    out = {}
    for name, strategy in fields.items():
        value = draw(strategy)
        if value is not MISSING:
            out[name] = value
    if draw(st.integers(0, 9)) == 0:
        out.update(draw(st.dictionaries(nasty_keys, nasty, min_size=1, max_size=3)))
    return out


def payload(fields: dict):
    """An event payload or request body: mostly an object of these fields, sometimes anything."""
    return mostly(obj(fields), st.one_of(nasty, st.sampled_from(NASTY_RAW)))


ids = st.one_of(st.sampled_from(ID_POOL), st.sampled_from(ID_POOL).map(str.upper),
                st.uuids().map(str), st.uuids().map(lambda u: u.hex))
services = st.sampled_from(["A", "B"])
codes = st.sampled_from(["A001", "A002", "A003", "B001", "B002"])
actions = st.sampled_from(wire.ACTIONS)

TICKET = {"id": mostly(ids), "service": mostly(services), "priority": field(st.booleans())}
RATING = {"id": mostly(ids), "score": mostly(st.integers(1, 5)), "age_ms": field(st.integers(0, 3_600_000))}
STATUS = {"printer": field(st.sampled_from(wire.PRINTER_STATES)), "outbox": field(st.integers(0, 100)),
          "uptime_s": field(st.integers(0, 10**6)), "version": field(st.text(max_size=10)),
          "detail": field(st.text(max_size=30))}
PRINT_FAILED = {"ticket_id": mostly(st.sampled_from(ID_POOL)), "reason": field(st.sampled_from(["paper_out", "x"]))}
COUNTER_ACTION_BODY = {"id": field(ids), "ticket": field(codes | st.sampled_from(ID_POOL)),
                       "service": field(services), "dossier_code": field(st.text(max_size=70)),
                       "counter": field(st.integers(1, 3))}
COUNTER_ACTION = {"action": mostly(actions), **COUNTER_ACTION_BODY}
KIOSK_EVENTS = {"ticket": TICKET, "rating": RATING, "status": STATUS, "print_failed": PRINT_FAILED,
                "counter_action": COUNTER_ACTION}
# Which device sends an event, mostly the one with the role.
SENDERS = {"ticket": "kiosk-1", "rating": "rate-1", "status": "kiosk-1", "print_failed": "kiosk-1",
           "counter_action": "pad-1"}
DEVICES = ("kiosk-1", "rate-1", "rate-3", "pad-1", "tv-1")

# Path segments: counter numbers, ids, names.
numbers = mostly(st.sampled_from(["1", "2", "3", "4", "0", "01"]),
                 st.sampled_from(["9" * 20, "18446744073709551616", "9" * 5000, "٣", "١", "²", "1٢", "-1", "+1",
                                  " 1", "1.0", "𝟗", "99999999999999999999999999999"]) | st.integers(0, 10**25).map(str))
segments = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=20))
dates = st.one_of(st.dates().map(date.isoformat),
                  st.sampled_from(["0001-01-01", "9999-12-31", "0001-01-07", "9999-12-25", "2026-03-12", "2026-3-12",
                                   "２０２６-０３-１２", "٢٠٢٦-٠٣-١٢", "2026-02-30", "", "x" * 10, "2026-03-12T00"]))
periods = mostly(st.sampled_from(["day", "week", "month", "quarter", "year", "range"]), segments)
filters = st.one_of(st.sampled_from(["1", "2", "boss", "officer1", "²", "٣", "9" * 30, "-1", "A", "Z"]), segments)


def seg(text: str) -> str:
    """A path segment or query value percent-encoded as a client would (lone surrogates as their
    UTF-8 bytes)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def query(draw, names: dict):
    """A query string of some of these parameters (and sometimes others)."""
    parts = []
    for name, strategy in names.items():
        if draw(st.booleans()):
            parts.append(f"{seg(name)}={seg(draw(strategy))}")
    if draw(st.integers(0, 9)) == 0:
        parts.append(f"{seg(draw(segments))}={seg(draw(segments))}")
    return ("?" + "&".join(parts)) if parts else ""


REPORT_QUERY = {"period": periods, "date": dates, "from": dates, "to": dates, "service": filters,
                "counter": filters, "officer": filters, "lang": st.sampled_from(["vi", "en", "fr", ""])}
JSON_BODIES = {
    "ticket": payload({"id": field(ids), "service": mostly(services), "priority": field(st.booleans())}),
    "action": st.one_of(st.just(None), payload(COUNTER_ACTION_BODY)),
    "any": st.one_of(st.just(None), nasty, payload({})),
}


@st.composite
def api_request(draw):
    """(surface, caller, method, path, body or None) of a JSON API route."""
    kind = draw(st.sampled_from(["tickets", "tickets", "ticket_status", "counter", "action", "action", "action",
                                 "sign", "board", "ack", "reports", "section", "services", "display", "healthz",
                                 "unknown"]))
    n = draw(numbers)
    if kind == "tickets":
        return ("POST /api/tickets", draw(mostly(st.just("ticket"), st.sampled_from(list(CALLERS)))), "POST",
                "/api/tickets", draw(JSON_BODIES["ticket"]))
    if kind == "ticket_status":
        tid = draw(st.one_of(st.sampled_from(ID_POOL + [TICKET_ID]), segments))
        return "GET /api/tickets/<ticket_id>", "anon", "GET", f"/api/tickets/{seg(tid)}", None
    if kind == "counter":
        who = draw(st.sampled_from(["officer:token", "supervisor:token", "counter", "officer:session"]))
        return "GET /api/counters/<int:number>", who, "GET", f"/api/counters/{seg(n)}", None
    if kind == "action":
        who = draw(mostly(st.sampled_from(["officer:token", "counter", "officer:session"]),
                          st.sampled_from(list(CALLERS))))
        action = draw(mostly(actions, segments))
        return ("POST /api/counters/<int:number>/<action>", who, "POST",
                f"/api/counters/{seg(n)}/{seg(action)}", draw(JSON_BODIES["action"]))
    if kind == "sign":
        what = draw(st.sampled_from(["sign-in", "sign-out"]))
        who = draw(st.sampled_from(["officer:token", "officer2:token", "supervisor:token", "admin:session"]))
        return (f"POST /api/counters/<int:number>/{what}", who, "POST", f"/api/counters/{seg(n)}/{what}",
                draw(JSON_BODIES["any"]))
    if kind == "board":
        return "GET /api/board", "supervisor:token", "GET", "/api/board", None
    if kind == "ack":
        return ("POST /api/board/alerts/<int:alert_id>/ack", "supervisor:token", "POST",
                f"/api/board/alerts/{seg(n)}/ack", draw(JSON_BODIES["any"]))
    if kind == "reports":
        return "GET /api/reports", "supervisor:token", "GET", "/api/reports" + draw(query(REPORT_QUERY)), None
    if kind == "section":
        section = draw(mostly(st.sampled_from(["summary", "services", "officers", "counters", "series", "heat",
                                               "ranking"]), segments))
        return ("GET /api/reports/<section>", "admin:token", "GET",
                f"/api/reports/{seg(section)}" + draw(query(REPORT_QUERY)), None)
    if kind in ("services", "display", "healthz"):
        path = {"services": "/api/services", "display": "/api/display", "healthz": "/healthz"}[kind]
        return f"GET {path}", "anon", "GET", path + draw(query({"lang": segments})), None
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    return "(unknown route)", "supervisor:token", method, "/api/" + seg(draw(segments)), draw(JSON_BODIES["any"])


@st.composite
def page_request(draw):
    """(surface, caller, method, path, form or None) of a page, a form, a report, the display."""
    kind = draw(st.sampled_from(["reports", "reports", "print", "chart", "export", "display", "wav", "static",
                                 "login_get", "login_post", "counter", "counter_n", "counter_form", "board",
                                 "home", "logout"]))
    if kind in ("reports", "print"):
        path = "/reports" if kind == "reports" else "/reports/print"
        who = draw(st.sampled_from(["supervisor:session", "admin:token"]))
        return f"GET {path}", who, "GET", path + draw(query(REPORT_QUERY)), None
    if kind == "chart":
        name = draw(mostly(st.sampled_from(charts.NAMES), segments))
        return ("GET /reports/chart/<name>.svg", "supervisor:session", "GET",
                f"/reports/chart/{seg(name)}.svg" + draw(query(REPORT_QUERY)), None)
    if kind == "export":
        name = draw(mostly(st.sampled_from(["summary", "services", "officers", "counters", "ranking", "series",
                                            "heat_arrivals", "heat_satisfaction", "heat_rated", "all"]), segments))
        fmt = draw(mostly(st.sampled_from(["csv", "xlsx"]), segments))
        return ("GET /reports/export/<name>.<fmt>", "supervisor:token", "GET",
                f"/reports/export/{seg(name)}.{seg(fmt)}" + draw(query(REPORT_QUERY)), None)
    if kind == "display":
        q = draw(query({"services": st.sampled_from(["A", "A,B", "Z", ",,,"]) | segments, "room": segments,
                        "lang": st.sampled_from(["vi", "en"]) | segments, "mute": segments, "voice": segments}))
        return "GET /display", "anon", "GET", "/display" + q, None
    if kind == "wav":
        q = draw(query({"code": mostly(codes, segments), "counter": numbers}))
        return "GET /display/call.wav", "anon", "GET", "/display/call.wav" + q, None
    if kind == "static":
        prefix = draw(st.sampled_from(["/static/", "/display/static/", "/static/board/", "/static/console/",
                                       "/static/reports/"]))
        name = draw(st.one_of(st.sampled_from(["qms.js", "display.js", "board.js", "../server/__init__.py",
                                               "..%2f..%2fpyproject.toml", "vendor/VERSIONS.json"]), segments))
        path = prefix + (name if "%" in name or "/" in name else seg(name))
        return "GET " + prefix + "<path:filename>", "anon", "GET", path, None
    if kind == "login_get":
        q = draw(query({"next": st.sampled_from(["/counter", "//evil", "/\\evil", "http://x"]) | segments,
                        "lang": segments}))
        return "GET /login", "anon", "GET", "/login" + q, None
    if kind == "login_post":
        form = draw(obj({"username": field(st.sampled_from(["nobody", "officer4", "x" * 41]) | segments),
                         "password": field(st.sampled_from(["wrong-password"]) | segments),
                         "next": field(st.sampled_from(["/counter", "//evil"]) | segments)}))
        return "POST /login", "anon", "POST", "/login", {k: str(v) for k, v in form.items()}
    if kind == "counter":
        return "GET /counter", "officer:session", "GET", "/counter" + draw(query({"lang": segments})), None
    if kind == "counter_n":
        return ("GET /counter/<int:number>", draw(st.sampled_from(["officer:session", "supervisor:session"])),
                "GET", f"/counter/{seg(draw(numbers))}", None)
    if kind == "counter_form":
        what = draw(st.sampled_from(["sign-in", "sign-out", "free"]))
        who = draw(st.sampled_from(["officer:session", "officer2:session", "supervisor:session"]))
        form = draw(obj({"counter": field(numbers)}))
        return f"POST /counter/{what}", who, "POST", f"/counter/{what}", {k: str(v) for k, v in form.items()}
    if kind == "board":
        return "GET /board", "supervisor:session", "GET", "/board" + draw(query({"lang": segments})), None
    if kind == "logout":
        return "POST /logout", draw(st.sampled_from(["officer2:session", "anon"])), "POST", "/logout", {}
    return "GET /", "anon", "GET", "/" + draw(query({"lang": segments})), None


@st.composite
def kiosk_frame(draw):
    """(surface, device, packet text, event, payload or None) for /kiosk."""
    event = draw(st.sampled_from(["ticket", "ticket", "rating", "rating", "rating", "status", "print_failed",
                                  "counter_action", "counter_action", "counter_action", "unknown"]))
    if event == "unknown":
        event = draw(st.sampled_from(["", "connect", "disconnect", "message", "ticket ", "TICKET"]) | segments)
    device = draw(mostly(st.just(SENDERS.get(event, "kiosk-1")), st.sampled_from(DEVICES)))
    shape = draw(mostly(st.just("one"), st.sampled_from(["none", "two", "garbage"])))
    fields = KIOSK_EVENTS.get(event, {})
    body = draw(payload(fields)) if fields else draw(nasty)
    if shape == "none":
        args, body = "", None
    elif shape == "two":
        args = "," + enc(body) + "," + enc(draw(nasty))
    elif shape == "garbage":
        text = draw(st.sampled_from(['2/kiosk,{id}["ticket",', '2/kiosk,{id}{}', '2/kiosk,{id}[]', '2/kiosk,{id}[1]',
                                     '2/kiosk,{id}[null]', '2/kiosk,x["ticket"]', '2/kiosk,{id}["ticket"',
                                     '5/kiosk,1-{id}["ticket",{"_placeholder":true,"num":0}]',
                                     '3/kiosk,{id}[]', '9', '', '2/kiosk,{id}' + "[" * 100000,
                                     '2/kiosk,{id}["rating",' + "9" * 5000 + "]",
                                     '2/kiosk,99999999999999999999999["status",{}]']))
        return "/kiosk (malformed packet)", device, text, None, None
    else:
        args = "," + enc(body)
    return f"/kiosk {event}", device, "2/kiosk,{id}[" + json.dumps(event) + args + "]", event, body


AUTHS = {
    "/kiosk": lambda tokens: obj({"device": mostly(st.sampled_from(DEVICES + ("gone-1", "nobody"))),
                                  "token": mostly(st.sampled_from(tokens))}),
    "/counter": lambda tokens: obj({"token": field(st.sampled_from(tokens)), "counter": field(st.integers(1, 4))}),
    "/board": lambda tokens: obj({"token": field(st.sampled_from(tokens))}),
    "/display": lambda tokens: st.one_of(st.none(), obj({})),
}


@st.composite
def connect_frame(draw, tokens: list[str]):
    """(namespace, session caller or None, connect packet text, then an event to send or None)."""
    namespace = draw(st.sampled_from(["/kiosk", "/kiosk", "/counter", "/counter", "/board", "/board", "/display",
                                      "/", "/nope"]))
    cookie = draw(st.sampled_from([None, None, "officer:session", "supervisor:session", "officer2:session"]))
    auth = draw(mostly(AUTHS.get(namespace, AUTHS["/display"])(tokens), st.one_of(nasty, st.sampled_from(NASTY_RAW))))
    text = f"0{namespace}," + ("" if auth is None else enc(auth)) if namespace != "/" else "0" + (
        "" if auth is None else enc(auth))
    event = None
    if draw(st.booleans()):
        name = draw(st.sampled_from(["snapshot", "snapshot", "counter", "board", "called"]) | segments)
        args = draw(st.lists(nasty, max_size=2))
        event = (name, "[" + ",".join([json.dumps(name)] + [enc(a) for a in args]) + "]")
    return namespace, cookie, text, event, auth


# -- explicit examples: every known class, and replays, in every run (short or long) --------------

def kf(event: str, device: str, body) -> tuple:
    return f"/kiosk {event}", device, "2/kiosk,{id}[" + json.dumps(event) + "," + enc(body) + "]", event, body


KIOSK_EXAMPLES = [
    kf("ticket", "kiosk-1", {"id": ID_POOL[0], "service": "A"}),
    kf("ticket", "kiosk-1", {"id": ID_POOL[0], "service": "B", "priority": True}),  # replayed id, other body
    kf("ticket", "kiosk-1", {"id": ID_POOL[0].upper(), "service": "A"}),  # the same id, other spelling
    kf("rating", "rate-1", {"id": ID_POOL[1], "score": 5}),
    kf("rating", "rate-1", {"id": ID_POOL[1], "score": 1}),  # replayed id, other score
    kf("rating", "rate-3", {"id": ID_POOL[1], "score": 5}),  # replayed id, other device
    kf("rating", "rate-1", {"id": ID_POOL[4], "score": 5, "age_ms": math.inf}),
    kf("rating", "rate-1", {"id": ID_POOL[4], "score": 5, "age_ms": 2**63}),
    kf("rating", "rate-1", {"id": ID_POOL[4], "score": math.nan}),
    kf("ticket", "kiosk-1", {"id": "\ud800", "service": "A"}),
    kf("ticket", "kiosk-1", {"id": ID_POOL[5], "service": "²"}),
    kf("ticket", "kiosk-1", Deep(100000)),
    kf("ticket", "kiosk-1", {"id": ID_POOL[5], "service": Raw("9" * 5000)}),
    kf("status", "kiosk-1", {"printer": "ok", "outbox": math.nan, "uptime_s": 2**63}),
    kf("print_failed", "kiosk-1", {"ticket_id": ID_POOL[0], "reason": "x" * 201}),
    kf("counter_action", "pad-1", {"action": "next", "id": ID_POOL[2]}),
    kf("counter_action", "pad-1", {"action": "pause", "id": ID_POOL[2]}),  # replayed id, other action
    kf("counter_action", "pad-1", {"action": "finish", "dossier_code": "x" * 65}),
    kf("counter_action", "pad-1", {"action": "requeue", "ticket": "\udfff"}),
    kf("disconnect", "kiosk-1", True),  # a client event with a reserved name
    kf("connect", "rate-1", {"device": "kiosk-1", "token": "x"}),
    kf("\ud800", "kiosk-1", {}),  # an event name that is not valid Unicode
]

CONNECT_EXAMPLES = [
    ("/kiosk", None, "0/kiosk," + enc({"device": "kiosk-1", "token": "\ud800"}), None, None),
    ("/kiosk", None, "0/kiosk," + enc({"device": "\ud800", "token": "x"}), None, None),
    ("/board", None, "0/board," + enc({"token": "a\udfffb"}), None, None),
    ("/counter", None, "0/counter," + enc({"token": "\ud800"}), None, None),
    ("/counter", "supervisor:session", "0/counter," + enc({"counter": 2**63}), None, None),
    ("/counter", "supervisor:session", "0/counter," + enc({"counter": 10**30}), None, None),
    ("/counter", "officer:session", "0/counter," + enc({"counter": -1}), None, None),
    ("/board", "supervisor:session", "0/board,{}", ("snapshot", '["snapshot",' + Deep(100000).text() + "]"), None),
    ("/display", None, "0/display," + Deep(5000).text(), None, None),
]

API_EXAMPLES = [
    ("POST /api/tickets", "ticket", "POST", "/api/tickets", Deep(100000)),
    ("POST /api/tickets", "ticket", "POST", "/api/tickets", {"service": Raw("9" * 5000)}),
    ("POST /api/tickets", "ticket", "POST", "/api/tickets", {"id": ID_POOL[6], "service": "A"}),
    ("POST /api/tickets", "ticket", "POST", "/api/tickets", {"id": ID_POOL[6], "service": "B"}),  # replay
    ("POST /api/tickets", "ticket", "POST", "/api/tickets", {"id": "\ud800", "service": "A"}),
    ("GET /api/counters/<int:number>", "supervisor:token", "GET", "/api/counters/99999999999999999999", None),
    ("POST /api/counters/<int:number>/<action>", "officer:token", "POST", "/api/counters/18446744073709551616/next",
     None),
    ("POST /api/counters/<int:number>/sign-in", "officer2:token", "POST", "/api/counters/99999999999999999999/sign-in",
     None),
    ("POST /api/board/alerts/<int:alert_id>/ack", "supervisor:token", "POST",
     "/api/board/alerts/99999999999999999999/ack", None),
    ("GET /api/reports", "supervisor:token", "GET", "/api/reports?period=month&date=9999-12-31", None),
    ("GET /api/reports", "supervisor:token", "GET", "/api/reports?period=week&date=0001-01-01", None),
    ("GET /api/reports", "supervisor:token", "GET", "/api/reports?period=range&from=9999-12-01&to=9999-12-31", None),
    ("GET /api/reports", "supervisor:token", "GET", "/api/reports?officer=%C2%B2", None),
    ("GET /api/reports", "supervisor:token", "GET", "/api/reports?counter=99999999999999999999", None),
    ("GET /api/reports", "supervisor:token", "GET", "/api/reports?officer=99999999999999999999", None),
    ("GET /api/reports/<section>", "admin:token", "GET", "/api/reports/series?period=year&date=9999-12-31", None),
    ("POST /api/counters/<int:number>/<action>", "counter", "POST", "/api/counters/1/next", {"id": ID_POOL[3]}),
    ("POST /api/counters/<int:number>/<action>", "counter", "POST", "/api/counters/1/pause", {"id": ID_POOL[3]}),
    ("GET /api/tickets/<ticket_id>", "anon", "GET", "/api/tickets/%ED%A0%80", None),
]

PAGE_EXAMPLES = [
    ("GET /reports", "supervisor:session", "GET", "/reports?period=month&date=9999-12-31", None),
    ("GET /reports", "supervisor:session", "GET", "/reports?period=day&date=9999-12-31", None),
    ("GET /reports/print", "supervisor:session", "GET", "/reports/print?period=week&date=0001-01-01", None),
    ("GET /reports/export/<name>.<fmt>", "supervisor:token", "GET",
     "/reports/export/summary.csv?period=year&date=9999-12-31", None),
    ("GET /reports/chart/<name>.svg", "supervisor:session", "GET", "/reports/chart/flow.svg?officer=%C2%B2", None),
    ("POST /counter/sign-in", "officer2:session", "POST", "/counter/sign-in", {"counter": "99999999999999999999"}),
    ("POST /counter/free", "supervisor:session", "POST", "/counter/free", {"counter": "99999999999999999999"}),
    ("GET /counter/<int:number>", "officer:session", "GET", "/counter/99999999999999999999", None),
    ("GET /display/call.wav", "anon", "GET", "/display/call.wav?code=A001&counter=%D9%A1", None),
    ("POST /login", "anon", "POST", "/login", {"username": "officer4\ud800", "password": "x"}),
]


def with_examples(name: str, examples: list):
    """@example for each, run in the order listed."""
    def deco(fn):
        for value in reversed(examples):
            fn = example(**{name: value})(fn)
        return fn
    return deco


# -- the harness ---------------------------------------------------------------------------------

LOGGERS = ("server", "engineio", "socketio")  # engineio.server logs what its message handler raises


class LogCatcher(logging.Handler):
    """Keeps the server's error records that carry an exception (the `internal` acks log one)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.exc_info:
            self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        out, self.records = self.records, []
        return out


def where(exc: BaseException) -> tuple[str, str]:
    """(the innermost frame in server/, the innermost frame) of an exception, as path:line in fn."""
    frames = traceback.extract_tb(exc.__traceback__)
    ctx = exc.__context__
    while not frames and ctx is not None:  # pragma: no cover
        frames, ctx = traceback.extract_tb(ctx.__traceback__), ctx.__context__

    def show(f):
        try:
            name = os.path.relpath(f.filename, ROOT)
        except ValueError:
            name = f.filename
        if name.startswith(".."):
            name = re.sub(r".*site-packages/", "", f.filename)
        return f"{name}:{f.lineno} in {f.name}"

    server = [i for i, f in enumerate(frames) if f.filename.startswith(str(ROOT / "server"))]
    # Server frames that only pass a packet on to python-socketio (a wrapper of its handlers) are
    # not where it failed: a failure below them, inside python-socketio or Engine.IO, is theirs.
    if server and any(re.search(r"/(socketio|engineio)/", f.filename) for f in frames[server[-1] + 1:]):
        server = []
    return (show(frames[server[-1]]) if server else "(no server frame)"), (show(frames[-1]) if frames else "?")


class Harness:
    """One app under fuzzing: the calls, what was acknowledged, and the failures found."""

    def __init__(self, name: str, app, secrets_: dict):
        self.name = name
        self.app = app
        self.secrets = secrets_
        self.doors = Doors(app, secrets_)
        self.qms = app.extensions["qms"]
        self.socketio = app.extensions["socketio"]
        self.findings: dict[tuple, dict] = {}
        self.examples = 0
        self.started = time.monotonic()
        self.tickets: dict[str, dict] = {}  # acknowledged: id -> {code, service, priority}
        self.ratings: dict[str, dict] = {}  # acknowledged: id -> {score, device}
        db = self.qms.store.read()
        self.before_tickets = {r["id"] for r in db.query("SELECT id FROM tickets")}
        self.before_ratings = {r["id"] for r in db.query("SELECT id FROM ratings")}
        self.kiosks: dict[str, SioClient] = {}
        self.acks = 0
        self.outcomes: Counter = Counter()  # "surface -> status or ack" (what the examples reached)
        self.undecodable: Counter = Counter()  # tracebacks logged for frames python-socketio cannot decode
        self.undecodable_example: dict[str, tuple] = {}
        self.log = LogCatcher()
        for name in LOGGERS:
            logging.getLogger(name).addHandler(self.log)
        self.officer1 = secrets_["ids"]["officer1"]

    # -- findings ---------------------------------------------------------------------------
    def find(self, surface: str, given, problem: str, exc: BaseException | None = None) -> None:
        surface = printable(surface)
        ours, innermost = where(exc) if exc is not None else ("", "")
        error = f"{type(exc).__name__}: {str(exc)[:160]}" if exc is not None else problem
        key = (surface, type(exc).__name__ if exc is not None else problem[:60], ours)
        seen = self.findings.get(key)
        text = short(given)
        if seen is None:
            self.findings[key] = {"surface": surface, "input": text, "problem": problem, "error": error,
                                  "where": ours, "innermost": innermost, "count": 1}
        else:
            seen["count"] += 1
            if len(text) < len(seen["input"]):
                seen["input"] = text

    # -- HTTP -------------------------------------------------------------------------------
    def http(self, surface: str, caller: str, method: str, path: str, body=None, form=None):
        given = {"method": method, "path": path, "caller": caller}
        kw = {}
        if form is not None:
            # Encoded here, as a browser would (lone surrogates as their UTF-8 bytes), with the
            # session's CSRF token.
            fields = {"csrf_token": self.doors.client(CALLERS[caller]).csrf, **form}
            kw["data"] = "&".join(f"{seg(k)}={seg(v)}" for k, v in fields.items())
            kw["content_type"] = "application/x-www-form-urlencoded"
            given["form"] = form
        elif body is not None:
            kw["data"] = enc(body).encode("utf-8", "surrogatepass")
            given["body"] = body
        try:
            resp = self.doors.request(CALLERS[caller], method, path, **kw)
        except Exception as exc:  # TESTING: Flask lets a handler's exception through (a 500 in production)
            self.find(surface, given, "exception (HTTP 500)", exc)
            return None
        status = resp.status_code
        data = resp.get_json(silent=True) if resp.is_json else None
        code = data.get("error") if isinstance(data, dict) and data.get("ok") is False else None
        self.outcomes[printable(f"{surface} -> {status}{' ' + str(code) if code else ''}")] += 1
        if status >= 500 and not (isinstance(data, dict) and data.get("error") == "busy"):
            self.find(surface, given, f"HTTP {status} {str(data)[:100]}")
        json_route = path.startswith("/api/") or path.startswith("/healthz")
        if json_route and status >= 400:
            if not (isinstance(data, dict) and set(data) == {"ok", "error", "message"} and data["ok"] is False):
                self.find(surface, given, f"HTTP {status}: not the error shape: {resp.get_data()[:100]!r}")
        if surface == "POST /api/tickets" and status == 201:
            self.ticket_acked(surface, given, data["ticket"], body)
        return resp

    def ticket_acked(self, surface, given, info: dict, sent) -> None:
        self.acks += 1
        mine = {"code": info["code"], "service": sent["service"] if isinstance(sent, dict) else info["service"],
                "priority": bool(info["priority"])}
        first = self.tickets.setdefault(info["id"], mine)
        if first["code"] != mine["code"] or first["service"] != mine["service"] or first["priority"] != mine["priority"]:
            self.find(surface, given, f"replayed id answered another ticket: first {first}, now {mine}")

    def rating_acked(self, surface, given, rid: str, score: int, device: str) -> None:
        self.acks += 1
        mine = {"score": score, "device": device}
        first = self.ratings.setdefault(rid, mine)
        if first != mine:
            self.find(surface, given, f"replayed rating id acknowledged with another body: first {first}, now {mine}")

    def keep_officer1_at_counter_1(self) -> None:
        db = self.qms.store.read()
        if counters.officer_at(db, 1) != self.officer1:
            row = db["users"].get(self.officer1)
            self.qms.write(counters.sign_out, number=1, user=None, actor="fuzz", force=True)
            self.qms.write(counters.sign_in, number=1, user=row, actor="fuzz")

    # -- Socket.IO ----------------------------------------------------------------------------
    def kiosk(self, device: str) -> SioClient:
        client = self.kiosks.get(device)
        if client is None or not client.joined("/kiosk"):
            client = SioClient(self.app, self.socketio, namespace="/kiosk",
                               auth={"device": device, "token": self.secrets["devices"][device]})
            assert client.joined("/kiosk"), f"{device} cannot connect"
            self.kiosks[device] = client
        return client

    def frame(self, surface: str, client: SioClient, text: str, given) -> object:
        """Send one packet; an exception out of the server is a finding. Returns the ack's args."""
        client.callback_counter += 1
        text = text.replace("{id}", str(client.callback_counter))
        self.log.take()
        try:
            ack = client.raw(text)
            ack = ack["args"] if ack is not None else None
        except Exception as exc:  # past Engine.IO's own catch: would end the connection
            self.find(surface, given, "exception out of Engine.IO's message handler", exc)
            return None
        for record in self.log.take():
            # A traceback in the log: Engine.IO's catch-all ("message handler error"), or ours.
            exc = record.exc_info[1]
            ours, innermost = where(exc)
            if ours != "(no server frame)":
                self.find(surface, given, f"exception out of a handler, logged by {record.name} (no answer)", exc)
            else:
                # A frame python-socketio cannot decode: refusing it is right; a traceback in the
                # log for every such frame is not (checked at the end: log flooding).
                self.undecodable[f"{type(exc).__name__} at {innermost}"] += 1
                self.undecodable_example.setdefault(f"{type(exc).__name__} at {innermost}", (surface, short(given)))
        return ack

    def kiosk_event(self, surface, device, text, event, body) -> None:
        given = {"device": device, "frame": text if len(text) < 400 else text[:400] + "…"}
        client = self.kiosk(device)
        args = self.frame(surface, client, text, given)
        sid = self.socketio.server.manager.sid_from_eio_sid(client.eio_sid, "/kiosk")
        if sid is not None and sid not in self.qms.connections:
            # Still connected, but the server has forgotten who it is (every event now unauthorized).
            self.find(surface, given, "the server forgot a connected device (its on_disconnect ran)")
            try:
                client.disconnect(namespace="/kiosk")
            except Exception:
                pass
            self.kiosks.pop(device, None)
        if args is None:
            return
        if event is None or event not in KIOSK_EVENTS:  # no such event: whatever the answer, as long as it is not internal
            if args and isinstance(args[0], dict) and args[0].get("error") == "internal":
                self.find(surface, given, "internal acknowledgement")
            return
        ack = args[0] if len(args) == 1 else args
        if isinstance(ack, dict):
            self.outcomes[printable(f"{surface} -> {'ok' if ack.get('ok') else ack.get('error')}")] += 1
        if not isinstance(ack, dict) or "ok" not in ack:
            self.find(surface, given, f"not an acknowledgement: {short(ack, 100)}")
            return
        if ack["ok"] is False:
            try:
                wire.ErrorBody.model_validate(ack)
            except Exception as exc:
                self.find(surface, given, f"error ack of the wrong shape: {short(ack, 100)} ({exc.__class__.__name__})")
            if ack.get("error") == "internal":
                self.find(surface, given, "internal acknowledgement")
            return
        model = wire.ACKS.get(event)
        if model is not None:
            try:
                model.model_validate(ack)
            except Exception as exc:
                self.find(surface, given, f"ok ack not a {model.__name__}: {str(exc)[:120]}")
        if event == "ticket":
            self.ticket_acked(surface, given, ack["ticket"], body)
        elif event == "rating":
            self.rating_acked(surface, given, str(uuid.UUID(body["id"])), body["score"], device)

    def connect(self, namespace, cookie, text, event, auth) -> None:
        given = {"connect": text if len(text) < 300 else text[:300] + "…", "cookie": cookie}
        surface = f"{namespace} connect"
        flask_client = self.doors.client(CALLERS[cookie]) if cookie else None
        client = SioClient(self.app, self.socketio, namespace="/nope", flask_test_client=flask_client)
        self.frame(surface, client, text, given)
        self.outcomes[printable(f"{surface} -> " + ("joined" if client.joined(namespace) else
                                                    f"refused {short(client.refusal, 40)}"))] += 1
        if client.joined(namespace):
            client.connected[namespace] = True
            if event is not None:
                name, args = event
                given["event"] = args[:300]
                packet_text = f"2{namespace},{{id}}{args}" if namespace != "/" else f"2{{id}}{args}"
                ack = self.frame(f"{namespace} {name}", client, packet_text, given)
                if isinstance(ack, list) and ack and isinstance(ack[0], dict) and ack[0].get("error") == "internal":
                    self.find(f"{namespace} {name}", given, "internal acknowledgement")
            try:
                client.disconnect(namespace=namespace)
            except Exception as exc:
                self.find(f"{namespace} disconnect", given, "exception on disconnect", exc)
        elif client.refusal is not None:
            message = client.refusal.get("message") if isinstance(client.refusal, dict) else client.refusal
            if message not in ("unauthorized", "forbidden", "Unable to connect", "not_found", "unknown_counter",
                               "bad_request"):
                self.find(surface, given, f"refused with {short(client.refusal, 80)}")

    # -- the end ---------------------------------------------------------------------------
    def finish(self) -> None:
        """The server alive, the database sound, the tables equal to what was acknowledged; then
        every finding reported."""
        try:
            self._check_end()
        finally:
            for name in LOGGERS:
                logging.getLogger(name).removeHandler(self.log)
        self.report()

    def _check_end(self) -> None:
        # Alive: health, and a real ticket both ways.
        self.keep_officer1_at_counter_1()
        health = self.app.test_client().get("/healthz")
        if health.status_code != 200:
            self.find("end", None, f"/healthz answered {health.status_code}")
        client = SioClient(self.app, self.socketio, namespace="/kiosk",
                           auth={"device": "kiosk-1", "token": self.secrets["devices"]["kiosk-1"]})
        tid = str(uuid.uuid4())
        ack = client.emit("ticket", {"id": tid, "service": "A"}, namespace="/kiosk", callback=True)
        if not (isinstance(ack, dict) and ack.get("ok")):
            self.find("end", None, f"a plain ticket over the socket was refused: {ack}")
        else:
            self.ticket_acked("end", None, ack["ticket"], {"service": "A"})
        client.disconnect(namespace="/kiosk")
        self.http("POST /api/tickets", "ticket", "POST", "/api/tickets", {"service": "B"})
        rid = str(uuid.uuid4())
        ack = self.kiosk("rate-1").emit("rating", {"id": rid, "score": 4}, namespace="/kiosk", callback=True)
        if isinstance(ack, dict) and ack.get("ok"):
            self.rating_acked("end", None, rid, 4, "rate-1")
        else:
            self.find("end", None, f"a plain rating was refused: {ack}")
        for c in self.kiosks.values():
            if c.joined("/kiosk"):
                c.disconnect(namespace="/kiosk")
        # Sound: integrity of the file, through a connection of its own.
        conn = sqlite3.connect(self.qms.store.path)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                self.find("end", None, f"PRAGMA integrity_check: {result[:5]}")
            fk = conn.execute("PRAGMA foreign_key_check").fetchall()
            if fk:
                self.find("end", None, f"PRAGMA foreign_key_check: {fk[:5]}")
            stored_t = {r[0]: {"code": r[1], "service": r[2], "priority": bool(r[3])}
                        for r in conn.execute("SELECT id, code, origin_service, priority FROM tickets")
                        if r[0] not in self.before_tickets}
            stored_r = {r[0]: {"score": r[1], "device": r[2]}
                        for r in conn.execute("SELECT id, score, device_id FROM ratings")
                        if r[0] not in self.before_ratings}
        finally:
            conn.close()
        # The tables hold exactly what was acknowledged.
        for kind, stored, acked in (("tickets", stored_t, self.tickets), ("ratings", stored_r, self.ratings)):
            for rid in sorted(set(stored) - set(acked)):
                self.find("end", rid, f"{kind}: stored but never acknowledged: {stored[rid]}")
            for rid in sorted(set(acked) - set(stored)):
                self.find("end", rid, f"{kind}: acknowledged but not stored: {acked[rid]}")
            for rid in sorted(set(acked) & set(stored)):
                if acked[rid] != stored[rid]:
                    self.find("end", rid, f"{kind}: stored {stored[rid]} but acknowledged {acked[rid]}")
        self.stored = {"tickets": len(stored_t), "ratings": len(stored_r)}
        # Log flooding: a traceback for every undecodable frame (a stranger can fill the disk).
        logged = sum(self.undecodable.values())
        if logged > FLOOD_LIMIT:
            kinds = "; ".join(f"{k} x{n}" for k, n in self.undecodable.most_common())
            first = next(iter(self.undecodable_example.values()))
            self.find(first[0], first[1], f"python-socketio could not decode them; log flooding: {logged} "
                                          f"tracebacks logged for undecodable frames ({kinds})"[:600])

    def report(self) -> None:
        known, unknown = [], []
        for f in self.findings.values():
            why = next((why for surface, exc, why in KNOWN
                        if re.search(surface, f["surface"]) and re.search(exc, f["error"] + " " + f["problem"])),
                       None)
            f["known"] = why
            (known if why else unknown).append(f)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        summary = {"test": self.name, "profile": PROFILE, "examples": self.examples,
                   "seconds": round(time.monotonic() - self.started, 1), "acknowledged": self.acks,
                   "stored": getattr(self, "stored", None), "findings": list(self.findings.values()),
                   "outcomes": dict(sorted(self.outcomes.items())),
                   "undecodable_logged": {k: [n, *self.undecodable_example[k]] for k, n in self.undecodable.items()}}
        (ARTIFACTS / f"{self.name}.json").write_text(json.dumps(summary, indent=1))  # ASCII: lone surrogates too
        lines = [printable(f"{f['surface']}: {f['problem']} | {f['error']} | at {f['where']} (innermost {f['innermost']}) "
                 f"| x{f['count']} | input {f['input']}") for f in known + unknown]
        print(f"\n{self.name}: {self.examples} examples, {len(self.findings)} distinct findings "
              f"({len(known)} known)\n  " + "\n  ".join(lines))
        for f in known:
            warnings.warn(printable(f"known fuzz finding ({f['known']}): {f['surface']}: {f['error']} at {f['where']}"))
        failing = unknown + (known if STRICT else [])
        assert not failing, f"{len(failing)} fuzz findings:\n" + "\n".join(
            printable(f"- {f['surface']}: {f['problem']} | {f['error']} | at {f['where']} | input {f['input']}")
            for f in failing)


# -- fixtures -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def doors_template(tmp_path_factory, center_template):
    return build_template(tmp_path_factory.mktemp("fuzz-center"))


@pytest.fixture
def harness(request, tmp_path, doors_template):
    template, secrets_ = doors_template
    app = app_from(template, tmp_path / "app")
    h = Harness(request.node.name, app, secrets_)
    yield h
    h.doors.close()
    app.extensions["qms"].close()


# -- the tests ------------------------------------------------------------------------------------

def test_fuzz_kiosk_events(harness):
    """Every /kiosk event, from the devices that have the role and from others."""

    @fuzz_settings("kiosk")
    @with_examples("frame", KIOSK_EXAMPLES)
    @given(frame=kiosk_frame())
    def run(frame):
        harness.examples += 1
        harness.kiosk_event(*frame)

    run()
    harness.finish()


def test_fuzz_socket_connect_and_events(harness):
    """Connecting to every namespace with any auth payload (and a session cookie or none), and then
    one event of any name with any arguments."""
    tokens = list(harness.secrets["devices"].values()) + [t for t in harness.secrets["users"].values() if t]
    tokens += ["", "garbage", "\ud800", "x" * 201, "a\udfffb"]

    @fuzz_settings("connect")
    @with_examples("frame", CONNECT_EXAMPLES)
    @given(frame=connect_frame(tokens))
    def run(frame):
        harness.examples += 1
        harness.connect(*frame)

    run()
    harness.finish()


def test_fuzz_http_api(harness):
    """The JSON API: path parameters, query parameters and bodies."""

    @fuzz_settings("api")
    @with_examples("req", API_EXAMPLES)
    @given(req=api_request())
    def run(req):
        harness.examples += 1
        harness.keep_officer1_at_counter_1()
        surface, caller, method, path, body = req
        harness.http(surface, caller, method, path, body=body)

    run()
    harness.finish()


def test_fuzz_http_pages(harness):
    """Pages, forms, reports, exports, charts, the display and its audio, static files."""

    @fuzz_settings("pages")
    @with_examples("req", PAGE_EXAMPLES)
    @given(req=page_request())
    def run(req):
        harness.examples += 1
        harness.keep_officer1_at_counter_1()
        surface, caller, method, path, form = req
        harness.http(surface, caller, method, path, form=form)

    run()
    harness.finish()
