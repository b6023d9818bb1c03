"""A client's malformed packets are dropped and logged once, then counted: one socket sending
`42/display,1[]` 200 times a second wrote 200 tracebacks a second (0.6 GB of log an hour)."""

from __future__ import annotations

import logging

import socketio as sio

from server.web.common.clienterrors import ClientErrors

BAD_PACKETS = (
    "2/display,1[]",  # an event without a name: IndexError in python-socketio
    '2/display,2{"a":1}',  # an object where the event list goes
    "2/display,3[5]",  # a name that is not a string: TypeError in Flask-SocketIO
    "2/display,5[[[[]]]]",
)


def _records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith(("engineio", "socketio",
                                                                                            "server", "flask"))]


def test_a_flood_of_malformed_packets_is_logged_once_and_the_server_still_answers(live_server, caplog):
    caplog.set_level(logging.INFO)
    client = sio.Client(reconnection=False)
    client.connect(live_server.url, namespaces=["/display"], transports=["websocket"], wait_timeout=5)
    try:
        for _ in range(500):
            client.eio.send("2/display,1[]")
        # The packets of one connection are handled in order: once this is answered, all were.
        snapshot = client.call("snapshot", namespace="/display", timeout=10)
        assert "counters" in snapshot and snapshot["v"]
        logged = _records(caplog)
        assert 1 <= len(logged) <= 2, (len(logged), logged[0].getMessage()[:200])
        assert "IndexError" in logged[0].getMessage() and "127.0.0.1" in logged[0].getMessage()
        assert live_server.qms.client_errors.total == 500
        # other shapes, from the same client: counted, not logged; the connection stays up
        for packet in BAD_PACKETS * 40:
            client.eio.send(packet)
        client.eio.send("2/display,4[null]")  # a null name: no handler, ignored without an error
        assert "counters" in client.call("snapshot", namespace="/display", timeout=10)
        assert live_server.qms.client_errors.total == 500 + 40 * len(BAD_PACKETS)
        assert len(_records(caplog)) <= 2
        assert client.connected
    finally:
        client.disconnect()


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_errors_are_summarised_at_most_once_an_interval_per_address(caplog):
    clock = Clock()
    errors = ClientErrors(logging.getLogger("test.clienterrors"), interval_s=60, clock=clock)
    caplog.set_level(logging.INFO, logger="test.clienterrors")
    for i in range(800):
        clock.t += 0.125  # 100 s in all
        errors.report("10.0.0.5", f"sid{i % 3}", "packet '2/display,1[]': IndexError", exc_info=False)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0].startswith("client 10.0.0.5 (connection sid0)")
    assert "10.0.0.5: 480 more errors on 3 connection(s) in the last 60 s" in lines[1]
    errors.report("10.0.0.6", "x", "another", exc_info=False)  # another address: its own first line
    assert len(caplog.records) == 3 and "10.0.0.6" in caplog.records[-1].getMessage()


def test_memory_and_lines_stay_bounded_with_many_addresses(caplog):
    clock = Clock()
    errors = ClientErrors(logging.getLogger("test.clienterrors"), interval_s=60, max_addresses=50, max_new=20,
                          clock=clock)
    caplog.set_level(logging.INFO, logger="test.clienterrors")
    for i in range(10_000):
        errors.report(f"10.0.{i // 250}.{i % 250}", None, "bad", exc_info=False)
    assert len(errors._entries) <= 50
    assert len(caplog.records) == 20  # the first 20 addresses; the rest counted together
    clock.t += 61
    errors.report("10.9.9.9", None, "bad", exc_info=False)
    # the 9,980 past the first 20, and this one (the line is written when the next error comes)
    assert "9981 errors from clients not logged one by one in the last 61 s" in caplog.records[-1].getMessage()
