"""The web layer: one package per audience, each with its Blueprint (routes, templates, static)
and its Socket.IO namespace class. `common` holds what every audience shares (who is calling,
the one JSON error shape, page helpers); no audience imports another.

| package | who | surfaces |
|---|---|---|
| `kiosk` | ticket kiosks, rating terminals, counter keypads | `/kiosk` namespace |
| `display` | waiting-room TVs | `/display` page, call audio, `/display` namespace |
| `counter` | officers | `/counter` console pages, `/counter` namespace |
| `login` | every person | `/login`, `/logout` |
| `board` | supervisors | `/board` page, `/api/board`, `/board` namespace, the alerts ticker |
| `reports` | supervisors, leaders | `/reports`, exports, `/api/reports` |
| `api` | devices, programs, pages | `/api/...`, `/healthz` |
| `home` | everyone | `/` |
| `setup` | the first administrator | `/setup/<token>` (one-time link) |
| `admin` | administrators | `/admin/...`: the center, services, counters, users, devices, rules, audit log |
"""

from __future__ import annotations

from flask_login import LoginManager
from flask_wtf import CSRFProtect

from . import admin, api, board, common, counter, display, home, kiosk, login, reports, setup

AUDIENCES = (common, api, home, login, display, counter, board, reports, admin, kiosk, setup)


def register(app, socketio, services) -> None:
    """Attach every audience's blueprint and namespace to the app."""
    manager = LoginManager(app)
    manager.user_loader(common.principal.load_user)
    csrf = CSRFProtect(app)
    for audience in AUDIENCES:
        audience.register(app, socketio, services, csrf)
