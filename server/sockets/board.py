"""The `/board` namespace: supervisors and admins only; a snapshot on connect and after changes."""

from __future__ import annotations

from flask import request

from .. import events
from ..engine import board
from ..errors import QmsError
from ..principal import current_principal

ROOM = "supervisors"


def snapshot(qms) -> dict:
    return board.snapshot(qms.store.read(), qms.cfg(), qms.now(), settings=qms.setting)


def register(socketio, qms) -> None:
    @socketio.on("connect", namespace=events.BOARD)
    def on_connect(auth_payload=None):
        try:
            who = current_principal(auth_payload)
            who.require_role("supervisor", "admin")
        except QmsError:
            raise ConnectionRefusedError(events.UNAUTHORIZED)
        from flask_socketio import join_room

        join_room(ROOM)
        socketio.emit(events.BOARD_UPDATE, snapshot(qms), namespace=events.BOARD, to=request.sid)

    qms.broadcaster.add(lambda: socketio.emit(events.BOARD_UPDATE, snapshot(qms), namespace=events.BOARD, to=ROOM), events.BOARD)
