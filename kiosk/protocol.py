"""Names of the `/kiosk` Socket.IO namespace and its events, as the server defines them.

Kept in one place on the kiosk side; they must match `server/events.py` and docs/protocol.md.
"""

NAMESPACE = "/kiosk"

TICKET = "ticket"
RATING = "rating"
STATUS = "status"
PRINT_FAILED = "print_failed"
# The counter keypad role: {"id": UUID, "action": "next"|"recall"|...} -> {"ok": true, "result": {...}}.
COUNTER_ACTION = "counter_action"
# Server -> kiosk, at connect and when an administrator changes it: lockouts and rating scores.
DEVICE_CONFIG = "device_config"

# Error codes of an answer that will not change if the same event is sent again: the outbox gives
# up on them (dead-letter table) instead of retrying forever. Everything else is retried with
# back-off: `internal` (e.g. the server's disk), and also `unauthorized` / `forbidden`, which an
# administrator fixes on the server (new token, role granted), after which the rating must arrive.
PERMANENT_ERRORS = frozenset(
    {
        "bad_request",
        "unknown_service",
        "unknown_counter",
        "service_closed",
        "daily_limit",
        "not_found",
        "illegal_transition",
        "id_conflict",
    }
)

# Printer states reported in `status`.
PRINTER_STATES = ("ok", "paper_low", "paper_out", "offline", "none")


def is_ok(answer: object) -> bool:
    """True for an acknowledgement of the form {"ok": true, ...}."""
    return isinstance(answer, dict) and answer.get("ok") is True


def error_of(answer: object) -> tuple[str, str]:
    """(code, message) of an error answer; a malformed answer reads as ('internal', ...)."""
    if isinstance(answer, dict) and answer.get("ok") is False:
        return str(answer.get("error") or "internal"), str(answer.get("message") or "")
    return "internal", f"unexpected answer: {answer!r}"[:200]
