"""Signing in and out for every page (officers, supervisors, admins): `GET/POST /login`,
`POST /logout`. The throttle on wrong passwords is the engine's (server/engine/logins.py).
"""

from __future__ import annotations

import functools
import math

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from ... import auth
from ...engine import catalog, counters, logins
from ...errors import CounterBusy, QmsError
from ..common.pages import with_lang
from ..common.principal import SESSION_KEY, User


@functools.cache
def _dummy_hash() -> str:
    """A real hash to check against when the user name is unknown, so both cases take as long."""
    return auth.hash_password("not-a-password")


def safe_next(value: str | None) -> str | None:
    """A local path to go back to after signing in; anything else (another site) is dropped."""
    if not value or not isinstance(value, str) or len(value) > 500:
        return None
    if not value.startswith("/") or value.startswith("//") or value.startswith("/\\"):
        return None
    if any(ch in value for ch in "\r\n\t"):
        return None
    return value


def landing(role: str) -> str:
    """Where a user goes after signing in when no page was asked for."""
    return {"officer": "/counter", "supervisor": "/board"}.get(role, "/")


def _render(status: int = 200, error: str | None = None, username: str = ""):
    return render_template("login/login.html", error=error, username=username,
                           next=safe_next(request.values.get("next")) or ""), status


def _take_bound_counter(qms, row: dict) -> None:
    """An officer the admin bound to a counter goes to it on signing in, if he is at none."""
    if row["role"] != "officer" or row["counter"] is None:
        return
    db = qms.store.read()
    if counters.held_by(db, row["id"]) is not None:
        return
    try:
        qms.write(counters.sign_in, number=row["counter"], user=row, actor=f"user:{row['username']}")
    except CounterBusy:
        holder = catalog.people(db).get(counters.officer_at(db, row["counter"]))
        flash(_("Quầy %(n)s đang do %(who)s đăng nhập. Trưởng bộ phận có thể giải phóng quầy.",
                n=row["counter"], who=(holder["full_name"] or holder["username"]) if holder else "?"), "error")
    except QmsError as exc:  # the bound counter was removed: he picks another
        flash(str(exc), "error")


def register(app, socketio, qms, csrf) -> None:
    """Attach /login and /logout, and point Flask-Login's redirects at /login."""
    bp = Blueprint("login", __name__, template_folder="templates")
    app.login_manager.login_view = "login.login_page"
    app.login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    app.login_manager.localize_callback = _
    app.login_manager.login_message_category = "info"

    @bp.after_request
    def _remember_language(response):
        # ?lang= on a sign-in page sticks, so the console and its API answers follow it.
        lang = request.args.get("lang")
        if lang in ("vi", "en"):
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="Lax")
        return response

    @bp.errorhandler(CSRFError)
    def _csrf_refused(exc):
        return _render(400, _("Phiên làm việc đã hết hạn hoặc thiếu mã bảo vệ. Vui lòng thử lại."))

    @bp.get("/login")
    def login_page():
        return _render()

    @bp.post("/login")
    def login_submit():
        username = (request.form.get("username") or "").strip()[:40]
        password = (request.form.get("password") or "")[:200]
        if not username or not password:
            return _render(400, _("Nhập tên đăng nhập và mật khẩu."), username)
        address = request.remote_addr or ""
        # Known and unknown names take the same steps: two writes and one password hash, and
        # the same answers (docs/security.md, "Sign-in throttle").
        attempt = qms.write(logins.reserve_attempt, username=username, address=address,
                            limit=int(qms.setting("login_throttle")),
                            address_limit=int(qms.setting("login_throttle_address")))
        if attempt["wait"] > 0:
            return _render(429, _("Sai mật khẩu nhiều lần. Vui lòng thử lại sau %(n)s giây.",
                                  n=math.ceil(attempt["wait"])), username)
        row = attempt["user"]
        ok = auth.check_password(row["password_hash"] if row else _dummy_hash(), password) and row is not None
        session_id = qms.write(logins.record_outcome, username=username, address=address, ok=ok,
                               user_id=row["id"] if ok else None, user_agent=request.user_agent.string)
        if not ok:
            return _render(401, _("Sai tên đăng nhập hoặc mật khẩu."), username)
        session[SESSION_KEY] = session_id
        login_user(User(row, session_id))
        target = safe_next(request.form.get("next")) or landing(row["role"])
        if target.startswith("/counter") or (row["role"] == "officer" and target == "/"):
            _take_bound_counter(qms, row)
        return redirect(target)

    @bp.post("/logout")
    def logout():
        """Sign out; an officer leaving also frees his counter for the next one."""
        if current_user.is_authenticated:
            qms.write(logins.logout, user=current_user.row, session_id=current_user.session_id)
            logout_user()
        session.pop(SESSION_KEY, None)
        return redirect(with_lang(url_for("login.login_page")))

    app.register_blueprint(bp)
