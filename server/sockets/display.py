"""The `/display` namespace: public and read-only; a snapshot on connect, then live calls."""

from __future__ import annotations

from flask import request

from .. import events
from ..engine import views


def snapshot(qms) -> dict:
    """The display snapshot as of now, with its version `v` (read before it is built)."""
    v = qms.version()
    return views.display_snapshot(qms.store.read(), qms.cfg(), qms.now(),
                                  recent=int(qms.setting("recent_calls")),
                                  notice=qms.setting("notice_text")) | {
        "spotlight_seconds": qms.setting("spotlight_seconds"),
        "voice_repeat": qms.setting("voice_repeat"),
        "voice_displays": qms.setting("voice_displays"),
        "v": v,
    }


def register(socketio, qms) -> None:
    @socketio.on("connect", namespace=events.DISPLAY)
    def on_connect(auth_payload=None):
        socketio.emit(events.SNAPSHOT, snapshot(qms), namespace=events.DISPLAY, to=request.sid)

    @socketio.on(events.SNAPSHOT, namespace=events.DISPLAY)
    def on_snapshot_request(*_args):
        return snapshot(qms)

    qms.broadcaster.add(lambda: socketio.emit(events.SNAPSHOT, snapshot(qms), namespace=events.DISPLAY), events.DISPLAY)
