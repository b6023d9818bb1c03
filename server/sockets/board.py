"""The `/board` namespace: supervisors and admins only; a snapshot on connect and after changes.

Also the work behind the board's alerts, started by the board's page surface
(server/board_page.py) once the server serves requests: `check_alerts` after every commit
(coalesced by the broadcaster, so a rating that tips a counter over the threshold raises its
alert at once) and `ticker`, every `alert_check_s` seconds, for conditions that arise with time
alone (a device offline for a minute, a wait growing long). The ticker also rolls up a few
closed days for the reports when there are some, so that a year's report is fast from the first
time it is asked for.
"""

from __future__ import annotations

import logging
import time

from flask import request
from socketio.exceptions import ConnectionRefusedError as Refused

from .. import events
from ..engine import alerts, board
from ..errors import QmsError
from ..principal import current_principal
from ..reports import rollup

ROOM = "supervisors"
WARM_DAYS_PER_TICK = 30
log = logging.getLogger(__name__)


def snapshot(qms) -> dict:
    """The board's snapshot as of now, with its version `v` (read before it is built)."""
    v = qms.version()
    return board.snapshot(qms.store.read(), qms.cfg(), qms.now(), settings=qms.setting) | {"v": v}


def check_alerts(qms) -> dict | None:
    """Open and close alerts if their conditions changed; None when nothing had to change."""
    cfg, now = qms.cfg(), qms.now()
    th = alerts.thresholds(qms.setting)
    if not alerts.pending(qms.store.read(), cfg, now, th):
        return None
    return qms.write(alerts.evaluate, th=th)


def _warm_reports(qms) -> None:
    """Roll up a few of the closed days that are not rolled up yet (newest first)."""
    cfg, now = qms.cfg(), qms.now()
    today = cfg.day(now)
    db = qms.store.read()
    first = rollup.first_day(db)
    if first is None or first >= today:
        return
    # One day per write job (a few ms each): kiosks' writes go in between.
    rollup.ensure(qms.store, cfg.tz, today, now, first, today, limit=WARM_DAYS_PER_TICK, chunk=1)


def ticker(qms) -> None:
    """Check the alerts and warm the reports every `alert_check_s` seconds until the app closes."""
    while not qms.broadcaster.stopped:
        try:
            check_alerts(qms)
            _warm_reports(qms)
        except Exception:
            if qms.broadcaster.stopped:
                return
            log.exception("board ticker failed")
        deadline = time.monotonic() + float(qms.setting("alert_check_s"))
        while time.monotonic() < deadline and not qms.broadcaster.stopped:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def register(socketio, qms) -> None:
    @socketio.on("connect", namespace=events.BOARD)
    def on_connect(auth_payload=None):
        try:
            who = current_principal(auth_payload)
            who.require_role("supervisor", "admin")
        except QmsError:
            raise Refused(events.UNAUTHORIZED)
        from flask_socketio import join_room

        join_room(ROOM)
        socketio.emit(events.BOARD_UPDATE, snapshot(qms), namespace=events.BOARD, to=request.sid)

    @socketio.on(events.SNAPSHOT, namespace=events.BOARD)
    def on_snapshot_request(*_args):
        """A board that came back from sleep asks for the current state."""
        return snapshot(qms)

    qms.broadcaster.add(lambda: socketio.emit(events.BOARD_UPDATE, snapshot(qms), namespace=events.BOARD, to=ROOM),
                        events.BOARD)
