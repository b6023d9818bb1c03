"""The `/board` namespace: supervisors and admins only; a snapshot on connect and after changes.

Also the work behind the board's alerts: `check_alerts` after every commit (coalesced by the
broadcaster, so a rating that tips a counter over the threshold raises its alert at once) and
`ticker`, every `alert_check_s` seconds, for conditions that arise with time alone (a device
offline for a minute, a wait growing long). The ticker also rolls up a few closed days for the
reports when there are some, so that a year's report is fast from the first time it is asked
for, and looks for settings or devices changed by another process.
"""

from __future__ import annotations

import logging
import time

from flask import request
from flask_socketio import Namespace, join_room
from socketio.exceptions import ConnectionRefusedError as Refused

from ... import events
from ...engine import alerts
from ...errors import QmsError
from ...reports import board, rollup
from ..common.principal import current_principal, person_connection

ROOM = "supervisors"
ROLES = ("supervisor", "admin")
WARM_DAYS_PER_TICK = 30
AFTER_COMMIT_EVERY_S = 1.0
log = logging.getLogger(__name__)


def snapshot(services) -> dict:
    v = services.version()
    return {**board.snapshot(services.store.read(), services.cfg(), services.now(), settings=services.setting),
            "v": v}


def check_alerts(services) -> dict | None:
    """Open and close alerts if their conditions changed; None when nothing had to change."""
    cfg, now = services.cfg(), services.now()
    th = alerts.thresholds(services.setting)
    if not alerts.pending(services.store.read(), cfg, now, th):
        return None
    return services.write(alerts.evaluate, th=th)


def _warm_reports(services) -> None:
    """Roll up a few of the closed days that are not rolled up yet (newest first)."""
    cfg, now = services.cfg(), services.now()
    today = cfg.day(now)
    first = rollup.first_day(services.store.read())
    if first is None or first >= today:
        return
    # One day per write job (a few ms each): kiosks' writes go in between.
    rollup.ensure(services.store, cfg.tz, today, now, first, today, limit=WARM_DAYS_PER_TICK, chunk=1)


def ticker(services) -> None:
    """Every `alert_check_s` seconds until the app closes: alerts, report warm-up, and settings
    or devices changed by another process."""
    runtime = services.runtime
    while not services.closed:
        try:
            services.refresh()
            services.sync_presence()
            services.cut_ended_people()  # sessions past their maximum age
            check_alerts(services)
            _warm_reports(services)
        except Exception:
            if services.closed:
                return
            log.exception("board ticker failed")
        deadline = time.monotonic() + float(services.setting("alert_check_s"))
        while time.monotonic() < deadline and not services.closed:
            runtime.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


class BoardNamespace(Namespace):
    def __init__(self, services):
        super().__init__(events.BOARD)
        self.services = services

    def on_connect(self, auth_payload=None):
        try:
            who = current_principal(auth_payload)
            who.require_role(*ROLES)
        except QmsError:
            raise Refused(events.UNAUTHORIZED)
        join_room(ROOM)
        if who.kind == "user":  # cut when his session ends, he is disabled, or his token is revoked
            self.services.connections[request.sid] = {"namespace": events.BOARD, **person_connection(who)}
        self.emit(events.BOARD_UPDATE, snapshot(self.services), room=request.sid)

    def on_disconnect(self, *_reason):
        self.services.connections.pop(request.sid, None)

    def on_snapshot(self, *_args):
        """A board that came back from sleep asks for the current state."""
        return snapshot(self.services)

    def push(self) -> None:
        self.emit(events.BOARD_UPDATE, snapshot(self.services), room=ROOM)


def register(socketio, services) -> None:
    ns = BoardNamespace(services)
    socketio.on_namespace(ns)
    services.broadcaster.add(ns.push, events.BOARD)

    state = {"last": 0.0, "later": False}

    def check() -> None:
        state["last"], state["later"] = time.monotonic(), False
        try:
            check_alerts(services)
        except QmsError:
            log.exception("alert evaluation failed")

    def after_commit():
        # Only once the server serves (the ticker started): a CLI tool's app never evaluates.
        # At most once a second, the last commits of a burst included (a check is scheduled at
        # the end of the second): the check reads every device and the ratings of the last
        # minutes, and run after every flush under hundreds of writes a second it cost a tenth
        # of the server's CPU (docs/benchmarks.md). A rating that tips a counter over raises
        # its alert within a second.
        if not services.started or services.closed:
            return
        wait = state["last"] + AFTER_COMMIT_EVERY_S - time.monotonic()
        if wait <= 0:
            check()
        elif not state["later"]:
            state["later"] = True
            services.runtime.later(wait, lambda: None if services.closed else check())

    services.broadcaster.add(after_commit)
    services.on_start(lambda: ticker(services))
