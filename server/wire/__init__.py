"""Pydantic models of every payload on the wire (docs/protocol.md), and the one `parse()`.

    from server import wire
    data = wire.parse(wire.Rating, wire.single(args))   # a Rating, or BadRequest
    data.id, data.score, data.age_ms                      # data.model_dump(): the dict

Incoming models (`WireModel`: strict, unknown keys refused, `null` read as absent) accept
exactly what the first server's hand-written validation accepted, but for strings that are
not valid Unicode (refused here). Outgoing models (`OutModel`) document and test what the server sends. The payload tables
of docs/protocol.md are generated from them: `python -m server.wire --write` / `--check`.
"""

from .base import (MAX_TEXT, MESSAGE_IDS, OutModel, WireModel, bad_request, parse, single)
from .params import MAX_INT, integer, is_number, row_id
from .incoming import (ACTIONS, MAX_AGE_MS, MAX_DOSSIER, PRINTER_STATES, BoardAuth, CounterAction,
                       CounterActionBody, CounterAuth, KioskAuth, PrintFailed, Rating, Status, Ticket,
                       TicketBody, DisplayAuth, Pair, INCOMING)
from .outgoing import (ActionResult, BoardSnapshot, Called, CounterActionAck, CounterView, DisplaySnapshot,
                       DeviceConfig, ErrorBody, ErrorCode, PrintFailedAck, RatingAck, RatingReceived, StatusAck,
                       TicketAck, TicketInfo, TicketStatus, Version, PairAck, OUTGOING)

# The model of each kiosk event's payload, by event name (server/events.py).
EVENTS = {"ticket": Ticket, "rating": Rating, "status": Status, "print_failed": PrintFailed,
          "counter_action": CounterAction}
# The model of each kiosk event's `ok` acknowledgement.
ACKS = {"ticket": TicketAck, "rating": RatingAck, "status": StatusAck, "print_failed": PrintFailedAck,
        "counter_action": CounterActionAck}

__all__ = [
    "parse", "single", "bad_request", "WireModel", "OutModel", "MAX_TEXT", "MAX_INT", "integer", "is_number",
    "row_id", "MESSAGE_IDS", "EVENTS", "ACKS",
    "ACTIONS", "MAX_AGE_MS", "MAX_DOSSIER", "PRINTER_STATES", "INCOMING", "OUTGOING",
    "Ticket", "Rating", "Status", "PrintFailed", "CounterAction", "KioskAuth", "CounterAuth", "BoardAuth",
    "TicketBody", "CounterActionBody",
    "Version", "ErrorBody", "ErrorCode", "TicketInfo", "TicketStatus", "TicketAck", "RatingAck", "StatusAck",
    "PrintFailedAck", "Called", "ActionResult", "CounterActionAck", "DisplaySnapshot", "BoardSnapshot",
    "CounterView", "RatingReceived", "DeviceConfig", "DisplayAuth", "Pair", "PairAck",
]
