"""What every audience shares: who is calling (`principal`), socket acknowledgements (`acks`),
the one JSON error shape (`errors`) and page helpers (`pages`)."""

from __future__ import annotations

from . import acks, clienterrors, errors, guard, http, pages, principal, sessions  # noqa: F401


def register(app, socketio, services, csrf) -> None:
    http.register(app)
    errors.register(app)
    pages.register(app)
    app.session_interface = sessions.CookieSessions()
    # Around the whole app (Flask-SocketIO's middleware included): refused before any work.
    services.guard = guard.ConnectionLimit(app.wsgi_app, per_address=int(services.setting("max_connections_per_address")),
                                           total=int(services.setting("max_connections")))
    app.wsgi_app = services.guard
    # A client's failing packets are logged once, then counted (not a traceback each).
    services.client_errors = clienterrors.ClientErrors()
    clienterrors.wrap_messages(socketio, services.client_errors)
    guard.drop_reserved_events(socketio)
    deadline = guard.JoinDeadline(socketio, services.runtime, float(services.setting("join_timeout_s")))
    services.join_deadline = deadline
    services.on_start(lambda: deadline.run(lambda: services.closed))

    @app.before_request
    def _start_background():
        # The server process starts the background tasks (alert ticker) at once; an app built
        # any other way (tests) at its first request; a CLI command's app never.
        services.start_background()
