"""The page surfaces. Each module has `register(app, socketio, qms, csrf)`; add yours here."""

from __future__ import annotations


def registrations() -> list:
    from . import console, display_page, home, login

    from . import board_page, reports_page  # the supervisors' board and the reports

    return [home.register, display_page.register, login.register, console.register,
            board_page.register, reports_page.register]
