"""The devices' events run straight from the Engine.IO message, and refused `busy` past capacity.

Every kiosk, rating terminal and keypad event used to go through python-socketio's packet
objects and Flask-SocketIO's dispatch: a Flask request context per event (URL matching, the
session opened), about a third of a durable event's CPU (docs/benchmarks.md, "Web layer"). The
Engine.IO message handler is wrapped here. A text packet `2/kiosk,<ack id>["<event>", ...]`
naming one of the namespace's events, from a connection that joined `/kiosk`, is decoded once
and given to `KioskNamespace.answer`, and the acknowledgement is sent through python-socketio's
own `_send_packet` (`3/kiosk,<ack id>[...]`). Anything else (another namespace, no ack id, an
unknown event, a binary or malformed packet, a connection not in `/kiosk`) goes on to
python-socketio unchanged, so it is handled, dropped or reported exactly as before.

While the server is behind (`Load.behind()`), a write event is answered `busy` from its raw text
(a prefix and an ack id: no JSON decoding) and nothing else happens: past capacity a refusal
must cost next to nothing, or the refusals themselves queue up until pings go unanswered.
Everything else (status, pings, other namespaces) goes on.
"""

from __future__ import annotations

import json

from socketio import packet

from ... import events
from ...errors import Busy
from ..common.acks import reporter

WRITES = (events.TICKET, events.RATING, events.PRINT_FAILED, events.COUNTER_ACTION)
_PREFIX = f"2{events.KIOSK},"  # a Socket.IO EVENT packet on /kiosk: 2/kiosk,<ack id>["event", ...]
_HEADS = tuple(f'["{name}"' for name in WRITES)
_MAX_ACK_DIGITS = 16  # python-socketio's ack ids count up from 1


def split_event(data) -> tuple[str, int] | None:
    """(ack id, where the JSON starts) of a `/kiosk` EVENT packet that asks for an
    acknowledgement, from its raw text; None for anything else."""
    if not isinstance(data, str) or not data.startswith(_PREFIX):
        return None
    start = len(_PREFIX)
    end = start
    limit = min(len(data), start + _MAX_ACK_DIGITS + 1)
    while end < limit and "0" <= data[end] <= "9":
        end += 1
    if end == start or end == limit or data[end] != "[":
        return None
    return data[start:end], end


def ack_id_of_write(data) -> str | None:
    """The ack id of a `/kiosk` write event in its raw text, or None if it is anything else."""
    split = split_event(data)
    if split is None or not data.startswith(_HEADS, split[1]):
        return None
    return split[0]


def install(socketio, services, namespace) -> None:
    """Wrap the Engine.IO message handler of `socketio` (after every other wrapper)."""
    server = socketio.server
    eio = server.eio
    manager = server.manager
    handler = eio.handlers["message"]
    handlers = namespace.handlers
    busy = Busy()
    busy_body = {"ok": False, "error": busy.code, "message": busy.message}

    def send_ack(eio_sid, ack_id: str, body: dict) -> None:
        # python-socketio's own way out (what its test client and our fuzz harness watch too).
        # binary=False: an answer is JSON from the engine, never bytes; spares python-socketio's
        # walk through every value looking for some.
        server._send_packet(eio_sid, server.packet_class(packet.ACK, namespace=events.KIOSK, id=int(ack_id),
                                                         data=[body], binary=False))

    def on_message(eio_sid, data, *args):
        split = split_event(data)
        if split is None:
            return handler(eio_sid, data, *args)
        ack_id, start = split
        if data.startswith(_HEADS, start) and services.load.behind():
            services.load.refused += 1
            send_ack(eio_sid, ack_id, busy_body)
            return None
        try:
            payload = json.loads(data[start:])
        except (ValueError, RecursionError):
            return handler(eio_sid, data, *args)  # python-socketio reports it, as before
        if not payload or not isinstance(payload[0], str) or payload[0] not in handlers:
            return handler(eio_sid, data, *args)
        sid = manager.sid_from_eio_sid(eio_sid, events.KIOSK)
        if sid is None or not manager.is_connected(sid, events.KIOSK):
            return handler(eio_sid, data, *args)  # python-socketio ignores it, as before
        # One event at a time per connection, in its reader (as python-socketio does with
        # async_handlers off): a device's later events wait in its own socket while one waits for
        # its commit, so one device cannot fill the writer's queue (a greenlet per event was
        # measured too: no better at 1,000 kiosks, docs/benchmarks.md).
        environ = server.environ.get(eio_sid) or {}
        report = reporter(services.client_errors, environ.get("REMOTE_ADDR"), sid)
        body = namespace.answer(sid, payload[0], tuple(payload[1:]), report)
        send_ack(eio_sid, ack_id, body)
        return None

    eio.on("message", on_message)
