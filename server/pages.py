"""The page surfaces. Each module has `register(app, socketio, qms, csrf)`; add yours here."""

from __future__ import annotations


def registrations() -> list:
    from . import home

    return [home.register]
