"""Every door of the server, tried with every caller.

The routes come from `app.url_map` and the Socket.IO events from the registered namespace classes
(each `on_<event>` method of every `Namespace` in `socketio.server.namespace_handlers`, plus any
decorator handler), so a route or event added later without a role decision in `DOORS` fails
`test_every_door_has_a_role_decision`. Each door is then tried as every caller of
`tests/server/doors.py` (`CALLERS`: no credentials, a garbage token, a revoked device, a
deactivated user by token and by session, each device role, each user role by API token and by
session cookie); `DOORS` says who may pass. A caller let in where the table says no, or refused
where it says yes, fails; so does any 5xx or `internal` acknowledgement.

Refused means: HTTP 401 or 403 (the JSON error shape or the refusal page) or a redirect to
/login; a Socket.IO connection refused with `unauthorized` or `forbidden`; an acknowledgement
`{"ok": false, "error": "unauthorized" | "forbidden"}`; an event of a namespace the caller could
not join. Let in means anything else below 500 (a 404 for an alert that does not exist, a 409
`counter_busy` are answers past the door).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest

from tests.server.doors import CALLERS, TICKET_ID, Doors, app_from, build_template, uid

# -- who is who ---------------------------------------------------------------------------------

ALL = frozenset(CALLERS)
PUBLIC = ALL  # said explicitly in the table: anyone, with or without (any) credentials
DEVICES = frozenset({"ticket", "rating", "counter", "display"})
SUP_TOKEN = frozenset({"supervisor:token", "admin:token"})
SUP_SESSION = frozenset({"supervisor:session", "admin:session"})
SUPERVISORS = SUP_TOKEN | SUP_SESSION
OFFICER = frozenset({"officer:token", "officer:session"})  # officer1, signed in at counter 1
USER_TOKENS = frozenset({"officer:token", "officer2:token"}) | SUP_TOKEN
SESSIONS = frozenset({"officer:session", "officer2:session"}) | SUP_SESSION
USERS = USER_TOKENS | SESSIONS
NOBODY = frozenset()
ADMIN_SESSION = frozenset({"admin:session"})


@dataclass(frozen=True)
class Door:
    """Who may pass (`allowed`), and how the door is tried: `path` (the rule with its parameters
    filled in; counter 1 wherever there is a counter), `json`/`form` bodies, a socket event's
    `payload` (a function: a fresh id per try) and `auth` extras. `fresh`: the door changes who holds
    a counter, so each caller tries it on an app of its own."""

    allowed: frozenset
    path: str | None = None
    json: Callable[[], dict] | None = None
    form: dict | None = None
    payload: Callable[[], object] | None = None
    auth: dict = field(default_factory=dict)
    fresh: bool = False
    page: bool = False  # an HTML page: a redirect to /login is a refusal


# The role decision of every route (METHOD RULE) and every Socket.IO event (NAMESPACE EVENT).
DOORS: dict[str, Door] = {
    # -- public: pages, static files, read-only JSON ---------------------------------------------
    "GET /": Door(PUBLIC),
    "GET /healthz": Door(PUBLIC),
    "GET /login": Door(PUBLIC),
    "POST /login": Door(PUBLIC, form={"username": "officer4", "password": ""}),  # 400: the form is checked
    "POST /logout": Door(PUBLIC, fresh=True),
    "GET /display": Door(PUBLIC),
    "GET /display/call.wav": Door(PUBLIC, path="/display/call.wav?code=A001&counter=1"),
    "GET /display/static/<path:filename>": Door(PUBLIC, path="/display/static/display.js"),
    "GET /static/<path:filename>": Door(PUBLIC, path="/static/qms.js"),
    "GET /static/board/<path:filename>": Door(PUBLIC, path="/static/board/board.js"),
    "GET /static/console/<path:filename>": Door(PUBLIC, path="/static/console/console.js"),
    "GET /static/reports/<path:filename>": Door(PUBLIC, path="/static/reports/reports.css"),
    "GET /api/services": Door(PUBLIC),
    "GET /api/display": Door(PUBLIC),
    "GET /api/tickets/<ticket_id>": Door(PUBLIC, path=f"/api/tickets/{TICKET_ID}"),  # the id is the secret
    # The first-start link: the token is the secret (a made-up one answers 404 to everyone).
    "GET /setup/<token>": Door(PUBLIC, path="/setup/not-a-real-token-123"),
    "POST /setup/<token>": Door(PUBLIC, path="/setup/not-a-real-token-123", form={"username": "x"}),
    # -- devices ------------------------------------------------------------------------------
    "POST /api/tickets": Door(frozenset({"ticket"}), json=lambda: {"id": uid(), "service": "A"}),
    # -- a counter: its officer, its keypad; supervisors watch and free it ----------------------
    "GET /api/counters/<int:number>": Door(OFFICER | {"counter"} | SUPERVISORS, path="/api/counters/1"),
    "POST /api/counters/<int:number>/<action>": Door(OFFICER | {"counter"}, path="/api/counters/1/next",
                                                     json=lambda: {"id": uid()}, fresh=True),
    # Any user may try to sign in (officer2 and the supervisors then get 409 counter_busy).
    "POST /api/counters/<int:number>/sign-in": Door(USERS, path="/api/counters/1/sign-in", fresh=True),
    "POST /api/counters/<int:number>/sign-out": Door(OFFICER | SUPERVISORS, path="/api/counters/1/sign-out",
                                                     fresh=True),
    # -- the console pages: a signed-in session only (an API token opens no page) -------------
    "GET /counter": Door(SESSIONS, page=True),
    "GET /counter/<int:number>": Door(frozenset({"officer:session"}), path="/counter/1", page=True),
    "POST /counter/sign-in": Door(SESSIONS, form={"counter": "1"}, page=True, fresh=True),
    "POST /counter/sign-out": Door(SESSIONS, page=True, fresh=True),
    "POST /counter/free": Door(SUP_SESSION, form={"counter": "1"}, page=True, fresh=True),
    # -- the board: supervisors and admins; the page by session only ---------------------------
    "GET /board": Door(SUP_SESSION, page=True),
    "GET /api/board": Door(SUPERVISORS),
    "POST /api/board/alerts/<int:alert_id>/ack": Door(SUPERVISORS, path="/api/board/alerts/1/ack"),  # 404 inside
    # -- reports: supervisors and admins, by session or API token (pages included) -------------
    "GET /reports": Door(SUPERVISORS, page=True),
    "GET /reports/print": Door(SUPERVISORS, page=True),
    "GET /reports/chart/<name>.svg": Door(SUPERVISORS, path="/reports/chart/flow.svg"),
    "GET /reports/export/<name>.<fmt>": Door(SUPERVISORS, path="/reports/export/summary.csv"),
    "GET /api/reports": Door(SUPERVISORS),
    "GET /api/reports/<section>": Door(SUPERVISORS, path="/api/reports/summary"),
    # -- official reporting (issue 14): the PDF, dossier codes, one row per rating ---------------
    "GET /reports/print.pdf": Door(SUPERVISORS, page=True),
    "GET /reports/dossiers": Door(SUPERVISORS, page=True),
    "GET /api/dossiers": Door(SUPERVISORS, path="/api/dossiers?q=HS"),
    "GET /reports/ratings.<fmt>": Door(SUPERVISORS, path="/reports/ratings.csv"),
    # -- Socket.IO ------------------------------------------------------------------------------
    # The administrators' pages (server/web/admin): a signed-in admin only. The POSTs name no
    # existing object or send an empty form, so they are refused by validation and change nothing.
    "GET /static/admin/<path:filename>": Door(PUBLIC, path="/static/admin/admin.css"),
    "GET /admin": Door(ADMIN_SESSION, page=True),
    "GET /admin/center": Door(ADMIN_SESSION, page=True),
    "POST /admin/center": Door(ADMIN_SESSION, form={}, page=True),
    "GET /admin/rules": Door(ADMIN_SESSION, page=True),
    "POST /admin/rules": Door(ADMIN_SESSION, form={}, page=True),
    "GET /admin/services": Door(ADMIN_SESSION, page=True),
    "POST /admin/services": Door(ADMIN_SESSION, form={}, page=True),
    "GET /admin/services/<code>": Door(ADMIN_SESSION, path="/admin/services/A", page=True),
    "POST /admin/services/<code>": Door(ADMIN_SESSION, path="/admin/services/ZZ", form={}, page=True),
    "POST /admin/services/<code>/active": Door(ADMIN_SESSION, path="/admin/services/ZZ/active", form={}, page=True),
    "GET /admin/counters": Door(ADMIN_SESSION, page=True),
    "POST /admin/counters": Door(ADMIN_SESSION, form={}, page=True),
    "GET /admin/counters/<int:number>": Door(ADMIN_SESSION, path="/admin/counters/1", page=True),
    "POST /admin/counters/<int:number>": Door(ADMIN_SESSION, path="/admin/counters/99", form={}, page=True),
    "POST /admin/counters/<int:number>/active": Door(ADMIN_SESSION, path="/admin/counters/99/active", form={},
                                                     page=True),
    "GET /admin/users": Door(ADMIN_SESSION, page=True),
    "POST /admin/users": Door(ADMIN_SESSION, form={}, page=True),
    "GET /admin/users/<username>": Door(ADMIN_SESSION, path="/admin/users/officer1", page=True),
    "POST /admin/users/<username>": Door(ADMIN_SESSION, path="/admin/users/nobody", form={}, page=True),
    "POST /admin/users/<username>/active": Door(ADMIN_SESSION, path="/admin/users/nobody/active", form={},
                                                page=True),
    "POST /admin/users/<username>/password": Door(ADMIN_SESSION, path="/admin/users/nobody/password", form={},
                                                  page=True),
    "GET /admin/devices": Door(ADMIN_SESSION, page=True),
    "POST /admin/devices": Door(ADMIN_SESSION, form={}, page=True),
    "GET /admin/devices/<device_id>": Door(ADMIN_SESSION, path="/admin/devices/kiosk-1", page=True),
    "POST /admin/devices/<device_id>": Door(ADMIN_SESSION, path="/admin/devices/nope", form={}, page=True),
    "POST /admin/devices/<device_id>/rotate": Door(ADMIN_SESSION, path="/admin/devices/nope/rotate", form={},
                                                   page=True),
    "POST /admin/devices/<device_id>/revoke": Door(ADMIN_SESSION, path="/admin/devices/nope/revoke", form={},
                                                   page=True),
    "GET /admin/audit": Door(ADMIN_SESSION, page=True),
    "GET /admin/backup.db": Door(ADMIN_SESSION, page=True),

    "/display connect": Door(PUBLIC),
    "/display snapshot": Door(PUBLIC),
    "/board connect": Door(SUPERVISORS),
    "/board snapshot": Door(SUPERVISORS),
    "/counter connect": Door(OFFICER | {"counter"} | SUPERVISORS, auth={"counter": 1}),
    "/kiosk connect": Door(DEVICES),
    "/kiosk ticket": Door(frozenset({"ticket"}), payload=lambda: {"id": uid(), "service": "A"}),
    "/kiosk rating": Door(frozenset({"rating"}), payload=lambda: {"id": uid(), "score": 5}),
    "/kiosk status": Door(DEVICES, payload=lambda: {"printer": "ok"}),
    "/kiosk print_failed": Door(frozenset({"ticket"}), payload=lambda: {"ticket_id": uid(), "reason": "test"}),
    "/kiosk counter_action": Door(frozenset({"counter"}), payload=lambda: {"id": uid(), "action": "next"}),
    # issue 12: a TV not paired yet asks for its code (public: the TV has no credentials yet);
    # a paired TV reports its status (display devices only); admins enter the code.
    "/display pair": Door(PUBLIC, payload=lambda: {"secret": uid() + uid()}),
    "/display status": Door(frozenset({"display"}), payload=lambda: {"printer": "none"}),
    "GET /admin/devices/pair": Door(ADMIN_SESSION, page=True),
    "POST /admin/devices/pair": Door(ADMIN_SESSION, form={}, page=True),
    # issue 12: the voice studio (admins' pages; a clip's upload answers JSON)
    "GET /admin/voice": Door(ADMIN_SESSION, page=True),
    "POST /admin/voice/clip": Door(ADMIN_SESSION, form={}, page=True),
}


def http_doors(app) -> set[str]:
    out = set()
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.add(f"{method} {rule.rule}")
    return out


def socket_doors(socketio) -> set[str]:
    """NAMESPACE EVENT for every handler the Socket.IO server has: each `on_<event>` method of the
    namespace classes (`connect` always: a namespace without `on_connect` is open to anyone), and
    any handler registered with the decorator."""
    out = set()
    for namespace, handler in socketio.server.namespace_handlers.items():
        out.add(f"{namespace} connect")
        for name in dir(type(handler)):
            if name.startswith("on_") and callable(getattr(handler, name)) and name != "on_disconnect":
                out.add(f"{namespace} {name[3:]}")
    for namespace, handlers in socketio.server.handlers.items():
        for event in handlers:
            if event != "disconnect":
                out.add(f"{namespace} {event}")
    return out


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def doors_template(tmp_path_factory, center_template):
    return build_template(tmp_path_factory.mktemp("doors"))


@pytest.fixture
def open_app(tmp_path, doors_template):
    """open_app() -> a Doors on an app of its own on a copy of the doors center."""
    template, secrets_ = doors_template
    made = []

    def make():
        app = app_from(template, tmp_path / f"app{len(made)}")
        doors = Doors(app, secrets_)
        made.append(doors)
        return doors

    yield make
    for doors in made:
        doors.close()
        doors.app.extensions["qms"].close()


# -- the tests ------------------------------------------------------------------------------------

def test_every_door_has_a_role_decision(open_app):
    doors = open_app()
    found = http_doors(doors.app) | socket_doors(doors.socketio)
    missing = sorted(found - set(DOORS))
    stale = sorted(set(DOORS) - found)
    assert not missing, f"routes/events with no role decision in DOORS: {missing}"
    assert not stale, f"DOORS names routes/events the server does not have: {stale}"
    for key, door in DOORS.items():
        assert door.allowed <= ALL, (key, sorted(door.allowed - ALL))


def test_the_callers_are_who_they_say(open_app):
    """The credentials work as meant: a valid token and session are accepted, the revoked ones not."""
    doors = open_app()
    ok = doors.request(CALLERS["supervisor:token"], "GET", "/api/board")
    assert ok.status_code == 200
    assert doors.request(CALLERS["supervisor:session"], "GET", "/api/board").status_code == 200
    for name in ("revoked-user", "garbage"):
        assert doors.request(CALLERS[name], "GET", "/api/board").status_code == 401
    assert doors.request(CALLERS["revoked-user:session"], "GET", "/api/board").status_code == 401
    assert doors.request(CALLERS["revoked-device"], "POST", "/api/tickets",
                         json_body={"service": "A"}).status_code == 401


def _http_outcome(doors: Doors, door: Door, method: str, path: str, caller) -> tuple[str, str]:
    """("in" | "refused" | "error", what was seen)."""
    resp = doors.request(caller, method, path, json_body=door.json() if door.json else None, form=door.form)
    status = resp.status_code
    seen = f"{status} {resp.headers.get('Location', '')}".strip()
    if resp.is_json and isinstance(resp.get_json(silent=True), dict):
        seen += f" {resp.get_json().get('error', '')}"
    if status >= 500:
        return "error", seen
    if status in (401, 403):
        return "refused", seen
    if status in (301, 302, 303, 307, 308) and resp.headers.get("Location", "").split("?")[0].endswith("/login"):
        # Every page refuses a stranger by sending him to sign in; /logout sends everyone there.
        return ("in" if door.allowed == PUBLIC else "refused"), seen
    return "in", seen


def _socket_outcome(doors: Doors, door: Door, key: str, caller) -> tuple[str, str]:
    namespace, event = key.split(" ", 1)
    sio = doors.connect(caller, namespace, door.auth)
    if not sio.is_connected(namespace):
        code = sio.refusal_code()
        if code in ("unauthorized", "forbidden"):
            return "refused", f"connect_error {code}"
        return "error", f"connect refused with {sio.refusal!r}"
    try:
        if event == "connect":
            return "in", "connected"
        args = (door.payload(),) if door.payload else ()
        ack = sio.emit(event, *args, namespace=namespace, callback=True)
        if isinstance(ack, dict) and ack.get("ok") is False:
            if ack.get("error") in ("unauthorized", "forbidden"):
                return "refused", f"ack {ack['error']}"
            if ack.get("error") == "internal":
                return "error", f"ack {ack}"
        return "in", f"ack {str(ack)[:80]}"
    finally:
        sio.disconnect(namespace=namespace)


@pytest.mark.parametrize("key", sorted(DOORS))
def test_door(key, open_app):
    door = DOORS[key]
    wrong = []
    shared = None
    for caller in CALLERS.values():
        doors = open_app() if door.fresh or shared is None else shared
        if not door.fresh:
            shared = doors
        if key.startswith("/"):
            outcome, seen = _socket_outcome(doors, door, key, caller)
        else:
            method, rule = key.split(" ", 1)
            outcome, seen = _http_outcome(doors, door, method, door.path or rule, caller)
        expected = "in" if caller.name in door.allowed else "refused"
        if outcome != expected:
            wrong.append(f"{caller.name}: expected {expected}, got {outcome} ({seen})")
    assert not wrong, f"{key}:\n  " + "\n  ".join(wrong)


def test_a_door_left_open_is_caught(open_app, monkeypatch):
    """The harness itself: with the supervisors' role check gone, an officer gets into
    /api/board, and the outcome says so (test_door would fail)."""
    from server.web.common.principal import Principal

    doors = open_app()
    door = DOORS["GET /api/board"]
    assert _http_outcome(doors, door, "GET", "/api/board", CALLERS["officer:token"])[0] == "refused"
    monkeypatch.setattr(Principal, "require_role", lambda self, *roles: self)
    assert _http_outcome(doors, door, "GET", "/api/board", CALLERS["officer:token"])[0] == "in"


@pytest.mark.parametrize("event", ["connect", "disconnect"])
def test_an_event_named_connect_or_disconnect_runs_nothing(open_app, event):
    """python-socketio dispatches events by name: a client's `connect` event would run
    `on_connect` again on the open connection (here: rate-1 becoming kiosk-1), a `disconnect` event
    `on_disconnect` (the server forgetting a device still connected). Both are dropped."""
    doors = open_app()
    sio = doors.connect(CALLERS["rating"], "/kiosk")
    other = {"device": "kiosk-1", "token": doors.secrets["devices"]["kiosk-1"]}
    assert sio.emit(event, other, namespace="/kiosk", callback=True) is None
    assert sio.emit("rating", {"id": uid(), "score": 5}, namespace="/kiosk", callback=True)["ok"] is True
    ack = sio.emit("ticket", {"id": uid(), "service": "A"}, namespace="/kiosk", callback=True)
    assert ack["error"] == "forbidden"
