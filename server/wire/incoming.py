"""What clients send: kiosk events, connect auth payloads, HTTP bodies.

The acceptance rules are those of the first server's hand-written validation (a test ran both
on the same inputs before it was removed), with one difference: a string that is not valid Unicode (a lone surrogate such as
"\\ud800", which JSON can carry as an escape) is a `bad_request` naming the field, where
the old validation let it through to fail later as `internal`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from .base import MAX_TEXT, WireModel, _canonical_uuid

MAX_AGE_MS = 30 * 86400 * 1000  # 30 days
MAX_DOSSIER = 64
PRINTER_STATES = ("ok", "paper_low", "paper_out", "offline", "none")
ACTIONS = ("next", "recall", "serve", "finish", "no-show", "requeue", "transfer", "pause", "resume")

Text = Annotated[str, Field(max_length=MAX_TEXT)]
Uuid = Annotated[str, Field(max_length=MAX_TEXT, json_schema_extra={"doc_type": "UUID (string)"}),
                 AfterValidator(_canonical_uuid)]
NonNegative = Annotated[int, Field(ge=0)]
PrinterState = Literal["ok", "paper_low", "paper_out", "offline", "none"]


# -- /kiosk events -----------------------------------------------------------------------------

class Ticket(WireModel):
    """`ticket`: take a number."""

    id: Uuid = Field(description="Idempotency key chosen by the kiosk, a fresh one per press; "
                                 "normalised to lower-case hyphenated form")
    service: Text = Field(description="A service code (`GET /api/services`)")
    priority: bool = Field(False, description="Elderly, disabled, pregnant, war veterans")


class Rating(WireModel):
    """`rating`: a press on a rating terminal."""

    id: Uuid = Field(description="Idempotency key, a fresh one per press")
    score: Annotated[int, Field(ge=1, le=5)] = Field(
        description="5 Rất hài lòng, 4 Hài lòng, 3 Bình thường, 2 Không hài lòng, 1 Rất không hài lòng")
    age_ms: Annotated[int, Field(ge=0, le=MAX_AGE_MS)] = Field(
        0, description="How long ago the button was pressed, by the kiosk's monotonic clock (at most 30 days)")


class Status(WireModel):
    """`status`: the kiosk's health, every minute or on change. Stored as the device's
    `last_status` in this order of keys."""

    printer: PrinterState = Field("none", description="The printer's state; `paper_out` raises an alert")
    outbox: NonNegative = Field(0, description="Events waiting to be sent")
    uptime_s: NonNegative = Field(0, description="Seconds since the agent started")
    version: Text = Field("", description="The agent's version")
    detail: Text = Field("", description="Free text shown on the board")


class PrintFailed(WireModel):
    """`print_failed`: a ticket that could not be printed."""

    ticket_id: Text = Field(description="The `id` of the `ticket` event")
    reason: Text = Field("", description="Why, e.g. `paper_out` (stored with the cancellation)")


class CounterAction(WireModel):
    """`counter_action`: a counter keypad (and, with `action` from the path, the HTTP action)."""

    action: Text = Field(description="One of " + ", ".join(f"`{a}`" for a in ACTIONS)
                                     + "; another name is refused with `bad_request`")
    id: Uuid | None = Field(None, description="Idempotency key, a fresh UUID per press (normalised to "
                                               "lower-case hyphenated form): the same id again for the same "
                                               "action, counter and caller returns the first result with "
                                               "`\"replay\": true` and does nothing; for another action, "
                                               "counter or caller it is `id_conflict`")
    counter: int | None = Field(None, description="Accepted and ignored: a keypad acts at the counter it is "
                                                  "bound to")
    ticket: Text | None = Field(None, description="Id or today's code of the ticket the action is about: "
                                                  "required for `requeue`; for the others, if given, it "
                                                  "must be the one in hand")
    service: Text | None = Field(None, description="Target service of `transfer` (required there)")
    dossier_code: Text | None = Field(None, description="The dossier's code, kept with `finish` (at most "
                                                        f"{MAX_DOSSIER} characters there)")


# -- connect auth payloads -----------------------------------------------------------------------

class KioskAuth(WireModel):
    """`auth` of a `/kiosk` connection. Any refusal is `unauthorized`."""

    device: Text = Field(description="The device id (`python -m server add-device`)")
    token: Text = Field(description="The device's token, printed once by `add-device`")


class CounterAuth(WireModel):
    """`auth` of a `/counter` connection (none, or `{}`: the session cookie alone)."""

    token: Text | None = Field(None, description="A user's API token or a keypad device's token; "
                                                 "without it the session cookie is used")
    counter: int | None = Field(None, description="The counter to watch (an officer: the one he holds, "
                                                  "the default; a supervisor: any; a device: ignored)")


class BoardAuth(WireModel):
    """`auth` of a `/board` connection (none, or `{}`: the session cookie alone)."""

    token: Text | None = Field(None, description="A supervisor's or admin's API token; without it the "
                                                 "session cookie is used")


# -- HTTP bodies ---------------------------------------------------------------------------------

class TicketBody(WireModel):
    """`POST /api/tickets`."""

    _keep_null = frozenset({"id"})  # an explicit null id is refused (a missing one gets a fresh UUID)

    id: Uuid = Field(default_factory=lambda: str(uuid.uuid4()),
                     json_schema_extra={"doc_default": "a fresh UUID: the request is then not idempotent"},
                     description="Idempotency key, as in the `ticket` event (`null` is refused)")
    service: Text = Field(description="A service code (`GET /api/services`)")
    priority: bool = Field(False, description="Elderly, disabled, pregnant, war veterans")


class CounterActionBody(WireModel):
    """`POST /api/counters/<n>/<action>` (the body may be empty). The route validates
    `{**body, "action": <action>}` as `CounterAction`."""

    id: Uuid | None = Field(None, description="Idempotency key (a UUID), as in `counter_action`")
    ticket: Text | None = Field(None, description="Id or today's code of the ticket, as in `counter_action`")
    service: Text | None = Field(None, description="Target service of `transfer`")
    dossier_code: Text | None = Field(None, description=f"Kept with `finish` (at most {MAX_DOSSIER} characters "
                                                        "there)")
    counter: int | None = Field(None, description="Accepted and ignored: the counter is the one in the path")


class DisplayAuth(WireModel):
    """`auth` of a `/display` connection: none for a TV not paired yet, or its device id and token
    (after pairing, or `?device=&token=` in its URL). Credentials that are refused leave the TV
    connected, unpaired: it shows its pairing code again."""

    device: Text | None = Field(None, description="The display device's id (may be left out: the token names it)")
    token: Text | None = Field(None, description="Its token")


class Pair(WireModel):
    """`pair` on `/display`: an unpaired TV asks for its code, then (every few seconds) for its token."""

    secret: Annotated[str, Field(min_length=16, max_length=128)] = Field(
        description="A random secret the TV made and keeps; only its hash is stored")


INCOMING = (Ticket, Rating, Status, PrintFailed, CounterAction, KioskAuth, CounterAuth, BoardAuth,
            TicketBody, CounterActionBody, DisplayAuth, Pair)
