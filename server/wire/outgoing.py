"""What the server sends: acknowledgements, the error shape and the pushed views.

For documentation and tests (validate a real payload with `Model.model_validate(data)`); the
server does not run them on its hot paths. Nested parts of the board snapshot are typed loosely
(objects), its top-level fields by name.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from .base import OutModel

IsoTime = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$",
                               json_schema_extra={"doc_type": "ISO 8601 time",
                                                  "doc_limits": "local time with offset, to the second"})]
Number = float  # strict float also takes an int
ErrorCode = Literal["bad_request", "unauthorized", "forbidden", "not_found", "unknown_service",
                    "unknown_counter", "service_closed", "daily_limit", "conflict", "illegal_transition",
                    "counter_paused", "no_ticket", "ticket_in_hand", "queue_empty", "not_your_ticket",
                    "counter_busy", "id_conflict", "too_large", "busy", "internal"]
Scores = Annotated[dict[str, int], Field(json_schema_extra={"doc_type": 'object `{"5": n, ... "1": n}`'})]


def _v(description: str) -> Any:
    return Field(description=description, json_schema_extra={"doc_type": "object, a `Version`"})


class Version(OutModel):
    """The state a snapshot shows: compare two snapshots of the same `boot` by `seq`."""

    boot: str = Field(description="The server process's boot id (new at every start)")
    seq: int = Field(ge=0, description="Commit sequence number: only grows within one boot")


# -- errors and acknowledgements ---------------------------------------------------------------

class ErrorBody(OutModel):
    """The one error shape, on every namespace and on HTTP."""

    ok: Literal[False] = Field(description="Always false")
    error: ErrorCode = Field(description="For programs: the code (table below)")
    message: str = Field(description="For people: Vietnamese; on HTTP English when asked for")


class TicketInfo(OutModel):
    """A ticket as the kiosk prints it."""

    id: str = Field(description="The ticket's id (the `ticket` event's `id`)")
    code: str = Field(description="The number: the service's prefix and the day's sequence (`A001`), or the "
                                  "bare number")
    service: str = Field(description="Service code")
    service_name: str = Field(description="Service name, Vietnamese")
    service_name_en: str = Field(description="Service name, English")
    issued_at: IsoTime = Field(description="When it was issued (a replay: the first time)")
    waiting_ahead: int = Field(description="Tickets of the service waiting when it was issued (priority: the "
                                           "priority ones)")
    eta_minutes: int = Field(description="Estimated wait when it was issued")
    priority: bool = Field(description="A priority ticket")
    counters: list[int] = Field(description="The counters serving the service")
    state: Literal["waiting", "called", "serving", "done", "no_show", "cancelled"] = Field(
        description="`waiting` when issued; a replay: the state now")
    center_name: str = Field(description="The center's name")
    unit_name: str = Field(description="The administrative unit's name")
    track_url: str | None = Field(description="The `track_url` setting + `/` + id (a QR code), or null")
    timezone: str = Field(description="The center's time zone")


class TicketStatus(TicketInfo):
    """`GET /api/tickets/<id>`'s `ticket`."""

    waiting_ahead_now: int | None = Field(description="Tickets ahead now, while waiting; else null")
    counter: int | None = Field(description="The counter it was called to, or null")


class TicketAck(OutModel):
    ok: Literal[True] = Field(description="Always true")
    ticket: TicketInfo = Field(description="The ticket")


class RatingAck(OutModel):
    ok: Literal[True] = Field(description="Always true")
    duplicate: bool = Field(description="True when `status` is `duplicate`")
    status: Literal["counted", "duplicate", "unattributed"] = Field(description="How the press was judged")


class DeviceConfig(OutModel):
    """`device_config` (server → kiosk): what the center's administrators set for the devices'
    buttons (`/admin/rules`), in every `status` answer and to every kiosk when it changes. It overrides
    the kiosk's own file."""

    rating_scores: list[int] = Field(description="The scores a rating terminal's buttons give, first button first "
                                                 "(a button past the list gives none)")
    rating_labels: dict[str, str] = Field(description='Label of each score, `{"5": "Rất hài lòng", ...}`')
    ticket_lockout_s: Number = Field(description="After a ticket press, a ticket kiosk ignores its buttons this long")
    rating_lockout_s: Number = Field(description="After a rating press, a terminal ignores its buttons this long")
    keypad_lockout_s: Number = Field(description="After a press, a counter keypad ignores its buttons this long")


class StatusAck(OutModel):
    ok: Literal[True] = Field(description="Always true")
    config: DeviceConfig = Field(description="The center's settings for the device's buttons, as `device_config`")


class PrintFailedAck(OutModel):
    ok: Literal[True] = Field(description="Always true")
    ticket_id: str = Field(description="As sent")
    state: Literal["cancelled", "voided"] = Field(
        description="`cancelled`: the ticket will never be called; `voided`: it was never issued and never will be")


class Called(OutModel):
    """`called`: a call or recall, sent at once to displays and boards."""

    id: int = Field(description="The call's row id in `calls`: grows with every call")
    code: str = Field(description="The number called")
    counter: int = Field(description="The counter's number")
    counter_name: str = Field(description="The counter's name (`Quầy 1` when it has none)")
    service: str = Field(description="Service code")
    service_name: str = Field(description="Service name, Vietnamese")
    recall: bool = Field(description="True for a recall (\"gọi lại\")")
    priority: bool = Field(description="A priority ticket")
    at: IsoTime = Field(description="When it was called")
    ticket_id: str = Field(description="The ticket's id")
    v: Version = _v("The state after the call: a display skips a snapshot older than it")


class ActionResult(OutModel):
    """The result of a counter action (`counter_action` ack, HTTP action)."""

    counter: int = Field(description="The counter")
    action: str = Field(description="The action done")
    ticket: str | None = Field(None, description="The code of the ticket acted on (absent for `pause`, "
                                                 "`resume`)")
    call: Called | None = Field(None, description="`next`, `recall`: the call, as the `called` event; "
                                                  "absent in a replay")
    finished: str | None = Field(None, description="`next`: the code of the ticket it finished first")
    service: str | None = Field(None, description="`transfer`: the target service")
    replay: bool | None = Field(None, description="True when the `id` was seen before: nothing was done")


class CounterActionAck(OutModel):
    ok: Literal[True] = Field(description="Always true")
    result: ActionResult = Field(description="What was done")


# -- /display ------------------------------------------------------------------------------------

class DisplayCounter(OutModel):
    number: int = Field(description="The counter's number")
    name: str = Field(description="Its name (`Quầy N` when it has none)")
    room: str = Field(description="Its room")
    state: Literal["open", "paused"] = Field(description="Open or paused")
    services: list[str] = Field(description="Codes of the services it serves")
    service_names: list[str] = Field(description="Their names")
    serving: str | None = Field(description="The code in hand, or null")
    serving_state: Literal["called", "serving"] | None = Field(description="State of the ticket in hand")
    waiting: int = Field(description="Today's waiting tickets of its services")
    officer: bool = Field(description="An officer is signed in at the counter")


class DisplayService(OutModel):
    code: str = Field(description="Service code")
    name: str = Field(description="Name, Vietnamese")
    name_en: str = Field(description="Name, English")
    room: str = Field(description="Room")
    waiting: int = Field(description="Today's waiting tickets")


class RecentCall(OutModel):
    id: int = Field(description="The call's id, as in `called`: a page shows each call once")
    code: str = Field(description="The number called")
    counter: int = Field(description="The counter")
    priority: bool = Field(description="A priority ticket (ƯU TIÊN)")
    service: str = Field(description="Service code")
    service_name: str = Field(description="Service name")
    recall: bool = Field(description="A recall")
    at: IsoTime = Field(description="When")


class DisplaySnapshot(OutModel):
    """`snapshot` (and `GET /api/display` with `"ok": true`)."""

    center_name: str = Field(description="The center's name")
    unit_name: str = Field(description="The administrative unit's name")
    now: IsoTime = Field(description="The server's time")
    counters: list[DisplayCounter] = Field(description="Active counters by number")
    services: list[DisplayService] = Field(description="Active services in display order")
    recent_calls: list[RecentCall] = Field(description="The last `recent_calls` (8) calls, newest first, "
                                                       "recalls included")
    notice: str = Field(description="The ticker text (`notice_text` setting)")
    spotlight_seconds: Number = Field(description="How long the spotlight holds a call (setting)")
    voice_repeat: int = Field(description="How many times a call is said (setting)")
    voice_displays: str = Field(description="Which displays speak: `all` or `flagged` (setting)")
    v: Version = _v("The state shown")


# -- /board --------------------------------------------------------------------------------------

class BoardSnapshot(OutModel):
    """`board` (and `GET /api/board`): described in docs/reports.md."""

    now: IsoTime = Field(description="The server's time")
    now_ts: Number = Field(description="The same, Unix seconds (for timers in the browser)")
    day: str = Field(description="Today, `YYYY-MM-DD` in the center's zone")
    timezone: str = Field(description="The center's time zone")
    center_name: str = Field(description="The center's name")
    counters: list[dict[str, Any]] = Field(description="Every active counter: state and since when, officer, "
                                                       "ticket in hand and for how long, waiting")
    services: list[dict[str, Any]] = Field(description="Every active service: waiting, longest wait, ETA, "
                                                       "today's figures, counters")
    today: dict[str, Any] = Field(description="Today's figures, as the day's report computes them, and "
                                              "`waiting`")
    officers: list[dict[str, Any]] = Field(description="Today's figures per officer, with his counter")
    devices: list[dict[str, Any]] = Field(description="Every active device: online, last seen, last status "
                                                      "(printer, outbox, version, uptime)")
    alerts: list[dict[str, Any]] = Field(description="Open alerts, then today's closed ones")
    recent_calls: list[RecentCall] = Field(description="The last ten calls")
    thresholds: dict[str, Any] = Field(description="The alert thresholds and the rating labels")
    v: Version = _v("The state shown")


# -- /counter ------------------------------------------------------------------------------------

class Officer(OutModel):
    id: int = Field(description="User id")
    username: str = Field(description="User name")
    full_name: str | None = Field(description="Full name")


class HeldTicket(OutModel):
    id: str = Field(description="Ticket id")
    code: str = Field(description="Its number")
    service: str = Field(description="Service code")
    service_name: str = Field(description="Service name, Vietnamese")
    service_name_en: str = Field(description="Service name, English")
    state: Literal["called", "serving"] = Field(description="Called or being served")
    priority: bool = Field(description="A priority ticket")
    called_at: IsoTime | None = Field(description="When called")
    started_at: IsoTime | None = Field(description="When service started, or null")
    called_ts: Number | None = Field(description="`called_at` in Unix seconds, to the millisecond")
    started_ts: Number | None = Field(description="`started_at` in Unix seconds, or null")
    recalls: int = Field(description="How many times it was recalled")
    issued_at: IsoTime = Field(description="When issued")


class QueueHead(OutModel):
    code: str = Field(description="Number")
    priority: bool = Field(description="Priority")
    issued_at: IsoTime = Field(description="When issued")


class Queue(OutModel):
    service: str = Field(description="Service code")
    name: str = Field(description="Name, Vietnamese")
    name_en: str = Field(description="Name, English")
    waiting: int = Field(description="Today's waiting tickets")
    next: list[QueueHead] = Field(description="The next five, in calling order")


class ServiceName(OutModel):
    code: str = Field(description="Service code")
    name: str = Field(description="Name, Vietnamese")
    name_en: str = Field(description="Name, English")


class NoShow(OutModel):
    id: str = Field(description="Ticket id")
    code: str = Field(description="Its number")
    no_show_at: IsoTime = Field(description="When marked absent")


class OfficerToday(OutModel):
    served: int = Field(description="Tickets finished today")
    no_show: int = Field(description="No-shows today")
    avg_service_s: int | None = Field(description="Mean service time, seconds")
    ratings: Scores = Field(description="Counted ratings whose window has closed, by score")
    ratings_counted: int = Field(description="Their total")
    satisfaction_rate: Number | None = Field(description="(5 + 4) / counted × 100, one decimal, or null")


class CounterView(OutModel):
    """`counter` (and `GET /api/counters/<n>`'s `counter`): the console's view."""

    number: int = Field(description="The counter's number")
    name: str = Field(description="Its name")
    state: Literal["open", "paused"] = Field(description="Open or paused")
    services: list[str] = Field(description="Codes of the services it serves")
    ticket: HeldTicket | None = Field(description="The ticket in hand, or null")
    queues: list[Queue] = Field(description="Per service: waiting and the next numbers")
    officer: Officer | None = Field(description="The officer signed in, or null")
    waiting: int = Field(description="Waiting tickets of its services")
    now: IsoTime = Field(description="The server's time")
    now_ts: Number = Field(description="The same, Unix seconds")
    transfer_to: list[ServiceName] = Field(description="Services a ticket can be transferred to")
    no_shows: list[NoShow] = Field(description="Today's last five no-shows at this counter (for `requeue`)")
    today: OfficerToday | None = Field(description="The officer's figures for today, or null")
    v: Version = _v("The state shown")


class RatingReceived(OutModel):
    """`rating_received`: the officer's visible ratings grew (today's totals only)."""

    counter: int = Field(description="The counter")
    new: int = Field(ge=1, description="How many became visible since the last push")
    ratings: Scores = Field(description="Today's visible ratings, by score")
    ratings_counted: int = Field(description="Their total")
    satisfaction_rate: Number | None = Field(description="(5 + 4) / counted × 100, or null")


class PairAck(OutModel):
    """The acknowledgement of `pair`: the code to show until an administrator enters it, then,
    once, the display's device id and token."""

    ok: Literal[True] = Field(description="Always true")
    code: str | None = Field(None, description="The code to show (6 digits); absent once paired")
    device: str | None = Field(None, description="The new display device's id, once paired")
    token: str | None = Field(None, description="Its token, handed out once: the TV keeps it")


OUTGOING = (Version, ErrorBody, TicketInfo, TicketStatus, TicketAck, RatingAck, StatusAck, PrintFailedAck,
            Called, ActionResult, CounterActionAck, DisplaySnapshot, BoardSnapshot, CounterView, RatingReceived,
            DeviceConfig, PairAck)
