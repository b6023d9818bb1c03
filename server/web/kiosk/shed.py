"""Past capacity, a device's write is answered `busy` before any Socket.IO work is done.

Under a load the server cannot take, the answers that `Services.admit` gives inside the handler
come too late: every event still costs its Socket.IO decoding, a Flask request context and the
handler's own work, so the events queue up on the event loop for seconds and pings go unanswered
until connections drop (docs/benchmarks.md, "Web layer"). Here the Engine.IO message handler is
wrapped: while the server is behind (`Load.behind()`), a `/kiosk` event that writes and asks for
an acknowledgement gets `busy` at once, from its raw text (a prefix and an ack id: no JSON
decoding), and nothing else happens. Everything else (status, pings, other namespaces) goes on.
"""

from __future__ import annotations

import json

from ... import events
from ...errors import Busy

WRITES = (events.TICKET, events.RATING, events.PRINT_FAILED, events.COUNTER_ACTION)
_PREFIX = f"2{events.KIOSK},"  # a Socket.IO EVENT packet on /kiosk: 2/kiosk,<ack id>["event", ...]
_HEADS = tuple(f'["{name}"' for name in WRITES)


def ack_id_of_write(data) -> str | None:
    """The ack id of a `/kiosk` write event in its raw text, or None if it is anything else."""
    if not isinstance(data, str) or not data.startswith(_PREFIX):
        return None
    rest = data[len(_PREFIX):len(_PREFIX) + 32]
    digits = 0
    while digits < len(rest) and rest[digits].isascii() and rest[digits].isdigit():
        digits += 1
    if digits == 0 or not rest[digits:].startswith(_HEADS):
        return None
    return rest[:digits]


def install(socketio, services) -> None:
    server = socketio.server
    handler = server.eio.handlers["message"]
    body = json.dumps([{"ok": False, "error": Busy.code, "message": Busy().message}], ensure_ascii=False)

    def on_message(eio_sid, data, *args):
        if services.load.behind():
            ack = ack_id_of_write(data)
            if ack is not None:
                services.load.refused += 1
                server.eio.send(eio_sid, f"3{events.KIOSK},{ack}{body}")
                return None
        return handler(eio_sid, data, *args)

    server.eio.on("message", on_message)
