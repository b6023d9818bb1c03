"""server/wire: every model accepts what it should with the right defaults, refuses each kind of
bad input with a bad_request naming the field (Vietnamese, and English for an English caller),
and the outgoing models match what the server really sends."""

from __future__ import annotations

import math
import re
import uuid

import pytest
from babel.messages.pofile import read_po

from server import wire
from server.errors import BadRequest, QmsError
from server.i18n import TRANSLATIONS, localized_message

UID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
VERSION = {"boot": "f3a9c2", "seq": 8812}


def refused(model, payload) -> BadRequest:
    with pytest.raises(BadRequest) as info:
        wire.parse(model, payload)
    exc = info.value
    assert exc.code == "bad_request" and exc.http_status == 400
    assert exc.msgid in wire.MESSAGE_IDS and exc.message == exc.msgid % exc.params
    return exc


def names_field(exc: BadRequest, field: str) -> None:
    assert f"'{field}'" in exc.message or field in exc.params.get("fields", ""), exc.message


# -- valid payloads and defaults -----------------------------------------------------------------

@pytest.mark.parametrize("model, payload, expected", [
    (wire.Ticket, {"id": UID.upper(), "service": "A"}, {"id": UID, "service": "A", "priority": False}),
    (wire.Ticket, {"id": "{%s}" % UID, "service": "A", "priority": True}, {"id": UID, "service": "A", "priority": True}),
    (wire.Ticket, {"id": UID.replace("-", ""), "service": "A", "priority": None},
     {"id": UID, "service": "A", "priority": False}),
    (wire.Rating, {"id": UID, "score": 5}, {"id": UID, "score": 5, "age_ms": 0}),
    (wire.Rating, {"id": UID, "score": 1, "age_ms": wire.MAX_AGE_MS}, {"id": UID, "score": 1, "age_ms": wire.MAX_AGE_MS}),
    (wire.Status, {}, {"printer": "none", "outbox": 0, "uptime_s": 0, "version": "", "detail": ""}),
    (wire.Status, {"printer": "paper_low", "outbox": 3, "uptime_s": 60, "version": "0.1.0", "detail": "x" * 200},
     {"printer": "paper_low", "outbox": 3, "uptime_s": 60, "version": "0.1.0", "detail": "x" * 200}),
    (wire.PrintFailed, {"ticket_id": "t-1"}, {"ticket_id": "t-1", "reason": ""}),
    (wire.CounterAction, {"action": "next"},
     {"action": "next", "id": None, "counter": None, "ticket": None, "service": None, "dossier_code": None}),
    (wire.CounterAction, {"action": "finish", "id": UID.upper(), "counter": 1, "ticket": "A001", "dossier_code": "HS-1"},
     {"action": "finish", "id": UID, "counter": 1, "ticket": "A001", "service": None, "dossier_code": "HS-1"}),
    (wire.KioskAuth, {"device": "kiosk-1", "token": "t" * 200}, {"device": "kiosk-1", "token": "t" * 200}),
    (wire.CounterAuth, {}, {"token": None, "counter": None}),
    (wire.CounterAuth, {"token": "abc", "counter": 2}, {"token": "abc", "counter": 2}),
    (wire.BoardAuth, {}, {"token": None}),
    (wire.BoardAuth, {"token": "abc"}, {"token": "abc"}),
    (wire.TicketBody, {"id": UID, "service": "A"}, {"id": UID, "service": "A", "priority": False}),
    (wire.CounterActionBody, {}, {"id": None, "ticket": None, "service": None, "dossier_code": None, "counter": None}),
    (wire.CounterActionBody, {"service": "B"}, {"id": None, "ticket": None, "service": "B", "dossier_code": None,
                                                "counter": None}),
])
def test_valid_payloads_and_defaults(model, payload, expected):
    assert wire.parse(model, payload).model_dump() == expected


def test_ticket_body_without_id_gets_a_fresh_uuid():
    a, b = wire.parse(wire.TicketBody, {"service": "A"}), wire.parse(wire.TicketBody, {"service": "A"})
    assert str(uuid.UUID(a.id)) == a.id and a.id != b.id


def test_status_keeps_the_order_of_keys_stored_as_last_status():
    assert list(wire.parse(wire.Status, {"detail": "d", "printer": "ok"}).model_dump()) == \
        ["printer", "outbox", "uptime_s", "version", "detail"]


def test_models_are_immutable():
    data = wire.parse(wire.Rating, {"id": UID, "score": 4})
    with pytest.raises(Exception):
        data.score = 5


def test_events_and_acks_cover_every_kiosk_event():
    from server import events

    kiosk = {events.TICKET, events.RATING, events.STATUS, events.PRINT_FAILED, events.COUNTER_ACTION}
    assert set(wire.EVENTS) == kiosk == set(wire.ACKS)


# -- refusals: each kind names the field ---------------------------------------------------------

DEEP_DICT: dict = {}
for _ in range(100_000):
    DEEP_DICT = {"a": DEEP_DICT}
DEEP_LIST: list = []
for _ in range(100_000):
    DEEP_LIST = [DEEP_LIST]

BAD = [
    # (model, payload, field, msgid)
    (wire.Rating, {"id": UID}, "score", wire.base.MSG_MISSING),
    (wire.Rating, {"id": UID, "score": None}, "score", wire.base.MSG_MISSING),
    (wire.Ticket, {"service": "A"}, "id", wire.base.MSG_MISSING),
    (wire.Rating, {"id": UID, "score": "5"}, "score", wire.base.MSG_INTEGER),
    (wire.Rating, {"id": UID, "score": True}, "score", wire.base.MSG_INTEGER),
    (wire.Rating, {"id": UID, "score": 4.0}, "score", wire.base.MSG_INTEGER),
    (wire.Rating, {"id": UID, "score": 4.5}, "score", wire.base.MSG_INTEGER),
    (wire.Rating, {"id": UID, "score": math.nan}, "score", wire.base.MSG_INTEGER),
    (wire.Rating, {"id": UID, "score": math.inf}, "score", wire.base.MSG_INTEGER),
    (wire.Rating, {"id": UID, "score": [5]}, "score", wire.base.MSG_INTEGER),
    (wire.Rating, {"id": UID, "score": 9}, "score", wire.base.MSG_RANGE),
    (wire.Rating, {"id": UID, "score": 0}, "score", wire.base.MSG_RANGE),
    (wire.Rating, {"id": UID, "score": 10 ** 40}, "score", wire.base.MSG_RANGE),
    (wire.Rating, {"id": UID, "score": -10 ** 40}, "score", wire.base.MSG_RANGE),
    (wire.Rating, {"id": UID, "score": 5, "age_ms": -1}, "age_ms", wire.base.MSG_RANGE),
    (wire.Rating, {"id": UID, "score": 5, "age_ms": wire.MAX_AGE_MS + 1}, "age_ms", wire.base.MSG_RANGE),
    (wire.Rating, {"id": UID, "score": 5, "age_ms": 2 ** 64}, "age_ms", wire.base.MSG_RANGE),
    (wire.Rating, {"id": UID, "score": 5, "age_ms": 1.5}, "age_ms", wire.base.MSG_INTEGER),
    (wire.Rating, {"id": "not-a-uuid", "score": 5}, "id", wire.base.MSG_UUID),
    (wire.Rating, {"id": 12345, "score": 5}, "id", wire.base.MSG_STRING),
    (wire.Rating, {"id": "a" * 201, "score": 5}, "id", wire.base.MSG_TOO_LONG),
    (wire.Rating, {"id": UID, "score": 5, "stars": 5}, "stars", wire.base.MSG_UNKNOWN),
    (wire.Rating, {"id": UID, "score": 5, "stars": None}, "stars", wire.base.MSG_UNKNOWN),
    (wire.Ticket, {"id": UID, "service": 7}, "service", wire.base.MSG_STRING),
    (wire.Ticket, {"id": UID, "service": "A" * 201}, "service", wire.base.MSG_TOO_LONG),
    (wire.Ticket, {"id": UID, "service": "A", "priority": 1}, "priority", wire.base.MSG_BOOLEAN),
    (wire.Ticket, {"id": UID, "service": "A", "priority": "true"}, "priority", wire.base.MSG_BOOLEAN),
    (wire.Ticket, {"id": UID, "service": "\ud800"}, "service", wire.base.MSG_UNICODE),
    (wire.Ticket, {"id": UID, "service": "ok\udfff"}, "service", wire.base.MSG_UNICODE),
    (wire.Ticket, {"id": "\ud800", "service": "A"}, "id", wire.base.MSG_UNICODE),
    (wire.Ticket, {"id": UID, "service": "A", "\ud800": 1}, "\\ud800", wire.base.MSG_UNKNOWN),
    (wire.Ticket, {"id": UID, "service": DEEP_DICT}, "service", wire.base.MSG_STRING),
    (wire.Ticket, {"id": UID, "service": DEEP_LIST}, "service", wire.base.MSG_STRING),
    (wire.Ticket, {"id": UID, "service": "A", "deep": DEEP_DICT}, "deep", wire.base.MSG_UNKNOWN),
    (wire.Status, {"printer": "broken"}, "printer", wire.base.MSG_CHOICE),
    (wire.Status, {"printer": 1}, "printer", wire.base.MSG_CHOICE),
    (wire.Status, {"outbox": -1}, "outbox", wire.base.MSG_MIN),
    (wire.Status, {"uptime_s": -(10 ** 30)}, "uptime_s", wire.base.MSG_MIN),
    (wire.Status, {"detail": "\ud800"}, "detail", wire.base.MSG_UNICODE),
    (wire.Status, {"version": "v" * 201}, "version", wire.base.MSG_TOO_LONG),
    (wire.PrintFailed, {}, "ticket_id", wire.base.MSG_MISSING),
    (wire.PrintFailed, {"ticket_id": "t", "reason": {"a": 1}}, "reason", wire.base.MSG_STRING),
    (wire.CounterAction, {}, "action", wire.base.MSG_MISSING),
    (wire.CounterAction, {"action": "next", "counter": True}, "counter", wire.base.MSG_INTEGER),
    (wire.CounterAction, {"action": "next", "counter": "1"}, "counter", wire.base.MSG_INTEGER),
    (wire.CounterAction, {"action": "finish", "dossier_code": "d" * 201}, "dossier_code", wire.base.MSG_TOO_LONG),
    (wire.CounterAction, {"action": "next", "id": "req-1"}, "id", wire.base.MSG_UUID),
    (wire.CounterActionBody, {"id": "A"}, "id", wire.base.MSG_UUID),
    (wire.KioskAuth, {"device": "kiosk-1"}, "token", wire.base.MSG_MISSING),
    (wire.KioskAuth, {"device": ["kiosk-1"], "token": "x"}, "device", wire.base.MSG_STRING),
    (wire.KioskAuth, {"device": "kiosk-1", "token": "x" * 201}, "token", wire.base.MSG_TOO_LONG),
    (wire.KioskAuth, {"device": "kiosk-1", "token": "x", "room": 1}, "room", wire.base.MSG_UNKNOWN),
    (wire.CounterAuth, {"counter": "1"}, "counter", wire.base.MSG_INTEGER),
    (wire.CounterAuth, {"token": 5}, "token", wire.base.MSG_STRING),
    (wire.BoardAuth, {"token": "x" * 201}, "token", wire.base.MSG_TOO_LONG),
    (wire.TicketBody, {"id": None, "service": "A"}, "id", wire.base.MSG_STRING),
    (wire.TicketBody, {"service": "A", "counter": 1}, "counter", wire.base.MSG_UNKNOWN),
    (wire.CounterActionBody, {"ticket": 1}, "ticket", wire.base.MSG_STRING),
]


@pytest.mark.parametrize("model, payload, field, msgid", BAD,
                         ids=[f"{m.__name__}-{i}" for i, (m, *_rest) in enumerate(BAD)])
def test_bad_input_is_a_bad_request_naming_the_field(model, payload, field, msgid):
    exc = refused(model, payload)
    assert exc.msgid == msgid, exc.message
    names_field(exc, field)
    exc.message.encode("utf-8")  # no lone surrogate in the message itself


@pytest.mark.parametrize("payload", [None, "x", 5, 5.5, True, [], [{"id": UID}], b"{}", (1,)],
                         ids=["null", "string", "int", "float", "bool", "list", "list-of-object", "bytes", "tuple"])
@pytest.mark.parametrize("model", wire.INCOMING, ids=lambda m: m.__name__)
def test_a_non_object_is_refused(model, payload):
    assert refused(model, payload).msgid == wire.base.MSG_NOT_OBJECT


def test_unknown_keys_are_listed_and_cut_short():
    exc = refused(wire.Rating, {"id": UID, "score": 5, "b": 1, "a": 2})
    assert exc.params == {"fields": "a, b"}
    exc = refused(wire.Rating, {"id": UID, "score": 5, **{f"k{i:03}" * 10: i for i in range(50)}})
    assert len(exc.params["fields"]) <= 100


def test_unknown_keys_come_before_other_errors():
    assert refused(wire.Rating, {"score": "x", "zz": 1}).msgid == wire.base.MSG_UNKNOWN


def test_a_non_string_key_is_an_unknown_field():
    exc = refused(wire.Rating, {"id": UID, "score": 5, 7: 1})
    assert exc.msgid == wire.base.MSG_UNKNOWN and exc.params == {"fields": "7"}


def test_single():
    assert wire.single(({"a": 1},)) == {"a": 1}
    for args in ((), ({"a": 1}, {"b": 2}), ({"a": 1}, lambda: None)):
        with pytest.raises(BadRequest) as info:
            wire.single(args)
        assert info.value.msgid == wire.base.MSG_ONE_PAYLOAD
        assert info.value.message == "sự kiện cần đúng một đối tượng JSON"


def test_vietnamese_messages():
    assert refused(wire.Rating, {"id": UID}).message == "thiếu trường 'score'"
    assert refused(wire.Rating, {"id": UID, "score": 9}).message == "trường 'score' phải từ 1 đến 5"
    assert refused(wire.Status, {"printer": "x"}).message == \
        "trường 'printer' phải là một trong: ok, paper_low, paper_out, offline, none"


# -- English ---------------------------------------------------------------------------------------

def _catalog():
    with (TRANSLATIONS / "en/LC_MESSAGES/messages.po").open("rb") as fh:
        return read_po(fh)


def test_every_message_id_has_an_english_translation_with_the_same_placeholders():
    catalog = _catalog()
    for msgid in wire.MESSAGE_IDS:
        entry = catalog.get(msgid)
        assert entry is not None and entry.string, msgid
        assert sorted(re.findall(r"%\((\w+)\)s", entry.string)) == sorted(re.findall(r"%\((\w+)\)s", msgid))


@pytest.mark.parametrize("payload, english", [
    ({"id": UID}, "missing field 'score'"),
    ({"id": UID, "score": 9}, "field 'score' must be from 1 to 5"),
    ({"id": UID, "score": "5"}, "field 'score' must be an integer"),
    ({"id": "nope", "score": 5}, "field 'id' must be a UUID"),
    ({"id": UID, "score": 5, "x": 1}, "unknown field(s): x"),
    ({"id": UID, "score": 5, "age_ms": -5}, "field 'age_ms' must be from 0 to 2592000000"),
    ("[]", "the payload must be a JSON object"),
])
def test_english_caller_gets_the_specific_message(app, payload, english):
    exc = refused(wire.Rating, payload)
    with app.test_request_context("/api/tickets?lang=en"):
        assert localized_message(exc) == english
    with app.test_request_context("/api/tickets", headers={"Accept-Language": "en"}):
        assert localized_message(exc) == english
    with app.test_request_context("/api/tickets"):
        assert localized_message(exc) == exc.message  # Vietnamese by default


def test_errors_without_msgid_keep_the_generic_english(app):
    from server.errors import NotFound, ServiceClosed

    with app.test_request_context("/api/x?lang=en"):
        assert localized_message(ServiceClosed("Lĩnh vực Đất đai đang ngoài giờ", service="A")) == \
            "The service is outside its opening hours"
        assert localized_message(BadRequest("nội dung phải là một đối tượng JSON")) == "Bad request"
        assert localized_message(NotFound()) == "Not found"
        # A message id without a translation: the generic text, never the Vietnamese template.
        assert localized_message(BadRequest(msgid="chưa dịch %(x)s", x=1)) == "Bad request"


def test_qms_error_with_msgid_keeps_codes_and_params():
    exc = BadRequest(msgid="thiếu trường '%(field)s'", field="id")
    assert exc.message == "thiếu trường 'id'" and exc.params == {"field": "id"} and exc.code == "bad_request"
    plain = QmsError("x", holder="a")
    assert plain.msgid is None and plain.params == {"holder": "a"} and plain.message == "x"


# -- outgoing models against what the server sends -------------------------------------------------

def test_ack_and_error_shapes_from_the_kiosk_namespace(kiosk_client, engine):
    kiosk = kiosk_client()
    ack = kiosk.emit("ticket", {"id": UID, "service": "A"}, namespace="/kiosk", callback=True)
    wire.TicketAck.model_validate(ack)
    status = kiosk.emit("status", {"printer": "ok"}, namespace="/kiosk", callback=True)
    assert wire.StatusAck.model_validate(status).config.rating_scores == [5, 4, 3, 2]
    wire.PrintFailedAck.model_validate(
        kiosk.emit("print_failed", {"ticket_id": UID}, namespace="/kiosk", callback=True))
    wire.PrintFailedAck.model_validate(
        kiosk.emit("print_failed", {"ticket_id": str(uuid.uuid4())}, namespace="/kiosk", callback=True))
    bad = kiosk.emit("rating", {"score": 5}, namespace="/kiosk", callback=True)
    assert wire.ErrorBody.model_validate(bad).error == "bad_request"
    engine.issue("A")
    engine.act(1, "next")
    rater = kiosk_client("rate-1")
    wire.RatingAck.model_validate(rater.emit("rating", {"id": str(uuid.uuid4()), "score": 5}, namespace="/kiosk",
                                             callback=True))
    pad = kiosk_client("pad-1")
    request_id = str(uuid.uuid4())
    ack = pad.emit("counter_action", {"id": request_id, "action": "recall"}, namespace="/kiosk", callback=True)
    assert ack["ok"], ack
    # `id` and `v` are being added to calls and snapshots: stand-ins until the server sends them.
    ack["result"]["call"] = {"id": 1, "v": VERSION, **ack["result"]["call"]}
    wire.CounterActionAck.model_validate(ack)
    replay = pad.emit("counter_action", {"id": request_id, "action": "recall"}, namespace="/kiosk", callback=True)
    assert wire.CounterActionAck.model_validate(replay).result.replay is True


def test_every_error_code_is_in_the_error_model():
    import typing

    from server import errors
    from server.engine.counters import NotYourTicket

    codes = set(typing.get_args(wire.ErrorCode))
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.QmsError)]
    assert {c.code for c in classes + [NotYourTicket]} <= codes
    from server.i18n import ERRORS_EN

    assert set(ERRORS_EN) <= codes


def test_pushed_views_match_the_models(qms, engine, clock):
    from server.engine import officer
    from server.web.board import namespace as board
    from server.web.display import namespace as display

    engine.issue("A")
    engine.issue("B", priority=True)
    result = engine.act(1, "next")
    engine.act(1, "serve")
    call = {**result["call"], "v": qms.version()}  # the broadcaster adds `v` to the engine's call
    wire.Called.model_validate(call)
    wire.ActionResult.model_validate({**result, "call": call})
    wire.DisplaySnapshot.model_validate(display.snapshot(qms))
    wire.BoardSnapshot.model_validate(board.snapshot(qms))
    for number in (1, 2):
        view = officer.console_view(qms.store.read(), qms.cfg(), qms.now(), number)
        wire.CounterView.model_validate({"v": VERSION, **view})
    engine.act(1, "finish")
    engine.rate(1, score=4)
    clock.advance(600)
    view = officer.console_view(qms.store.read(), qms.cfg(), qms.now(), 1)
    today = view["today"]
    wire.RatingReceived.model_validate({"counter": 1, "new": 1, "ratings": today["ratings"],
                                        "ratings_counted": today["ratings_counted"],
                                        "satisfaction_rate": today["satisfaction_rate"]})


def test_outgoing_models_are_strict():
    with pytest.raises(Exception):
        wire.RatingAck.model_validate({"ok": True, "duplicate": 0, "status": "counted"})
    with pytest.raises(Exception):
        wire.RatingAck.model_validate({"ok": True, "duplicate": False, "status": "counted", "extra": 1})
    with pytest.raises(Exception):
        wire.Version.model_validate({"boot": "b", "seq": -1})
    with pytest.raises(Exception):
        wire.Called.model_validate({"code": "A001"})
