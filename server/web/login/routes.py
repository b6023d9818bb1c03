"""Signing in and out for every page (officers, supervisors, admins): `GET/POST /login`,
`POST /logout`.

Wrong passwords are throttled per user: after `login_throttle` wrong tries in a row, the next
try is accepted only after a wait that doubles with each further wrong one (5 s, 10 s, ... up to
5 min). Each try is counted in the database *before* its password is checked, so parallel
guesses cannot slip past the count; a right password resets it.
"""

from __future__ import annotations

import functools
import math

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from . import auth
from .engine import audit, counters
from .errors import CounterBusy, QmsError
from .principal import User

FIRST_DELAY_S = 5
MAX_DELAY_S = 300


@functools.cache
def _dummy_hash() -> str:
    """A real hash to check against when the user name is unknown, so both cases take as long."""
    return auth.hash_password("not-a-password")


def throttle_delay(failed: int, limit: int) -> float:
    """Seconds to wait after the last wrong try before another is accepted (0: none)."""
    if failed < limit:
        return 0.0
    return float(min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** min(failed - limit, 16)))


def reserve_attempt(db, cfg, now, *, username: str, limit: int) -> dict:
    """Count a sign-in try before its password is checked; {"user": row|None, "wait": s}.

    A try that comes too soon is refused (`wait` > 0) and not counted, so a flood of guesses
    cannot push the wait out forever for the real user."""
    rows = list(db.query("SELECT * FROM users WHERE username = ? AND active = 1", [username]))
    if not rows:
        return {"user": None, "wait": 0}
    row = rows[0]
    if row["last_failed_at"] is not None:
        ready = row["last_failed_at"] + throttle_delay(row["failed_logins"], limit)
        if now < ready:
            audit.record(db, now, f"user:{username}", "user.login_throttled", username)
            return {"user": None, "wait": ready - now}
    db.execute("UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = ? WHERE id = ?",
               [now, row["id"]])
    return {"user": row, "wait": 0}


def record_outcome(db, cfg, now, *, user_id: int, ok: bool, username: str) -> None:
    """A right password clears the count of wrong tries; a wrong one stays counted."""
    if ok:
        db.execute("UPDATE users SET failed_logins = 0, last_failed_at = NULL WHERE id = ?", [user_id])
    audit.record(db, now, f"user:{username}", "user.login" if ok else "user.login_failed", username)


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


def with_lang(path: str) -> str:
    """`path` with the page's language kept when it was chosen with ?lang=."""
    lang = request.args.get("lang")
    if lang in ("vi", "en"):
        return f"{path}{'&' if '?' in path else '?'}lang={lang}"
    return path


def _render(status: int = 200, error: str | None = None, username: str = ""):
    return render_template("console/login.html", error=error, username=username,
                           next=safe_next(request.values.get("next")) or ""), status


def _take_bound_counter(qms, row: dict) -> None:
    """An officer the admin bound to a counter goes to it on signing in, if he is at none."""
    if row["role"] != "officer" or row["counter"] is None:
        return
    db = qms.store.read()
    if db["counters"].count_where("officer_id = ?", [row["id"]]):
        return
    try:
        qms.write(lambda db, cfg, now: counters.sign_in(db, now, row["counter"], row, actor=f"user:{row['username']}"))
    except CounterBusy:
        holder = next(qms.store.read().query(
            """SELECT u.full_name, u.username FROM counters c JOIN users u ON u.id = c.officer_id
               WHERE c.number = ?""", [row["counter"]]), None)
        flash(_("Quầy %(n)s đang do %(who)s đăng nhập. Trưởng bộ phận có thể giải phóng quầy.",
                n=row["counter"], who=(holder["full_name"] or holder["username"]) if holder else "?"), "error")
    except QmsError as exc:  # the bound counter was removed: he picks another
        flash(str(exc), "error")


def register(app, socketio, qms, csrf) -> None:
    """Attach /login and /logout, and point Flask-Login's redirects at /login."""
    bp = Blueprint("login", __name__)
    app.login_manager.login_view = "login.login_page"
    app.login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    app.login_manager.localize_callback = _
    app.login_manager.login_message_category = "info"

    @bp.context_processor
    def _locale():
        return {"get_locale": get_locale, "with_lang": with_lang}

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
        limit = int(qms.setting("login_throttle"))
        attempt = qms.write(reserve_attempt, username=username, limit=limit)
        if attempt["wait"] > 0:
            return _render(429, _("Sai mật khẩu nhiều lần. Vui lòng thử lại sau %(n)s giây.",
                                  n=math.ceil(attempt["wait"])), username)
        row = attempt["user"]
        ok = auth.check_password(row["password_hash"] if row else _dummy_hash(), password) and row is not None
        if row is not None:
            qms.write(record_outcome, user_id=row["id"], ok=ok, username=username)
        if not ok:
            return _render(401, _("Sai tên đăng nhập hoặc mật khẩu."), username)
        login_user(User(row))
        target = safe_next(request.form.get("next")) or landing(row["role"])
        if target.startswith("/counter") or (row["role"] == "officer" and target == "/"):
            _take_bound_counter(qms, row)
        return redirect(target)

    @bp.post("/logout")
    def logout():
        """Sign out; an officer leaving also frees his counter for the next one."""
        if current_user.is_authenticated:
            row = current_user.row
            actor = f"user:{row['username']}"

            def leave(db, cfg, now):
                for c in list(db.query("SELECT number FROM counters WHERE officer_id = ?", [row["id"]])):
                    counters.sign_out(db, now, c["number"], row, actor=actor)
                audit.record(db, now, actor, "user.logout", row["username"])

            qms.write(leave)
            logout_user()
        return redirect(with_lang(url_for("login.login_page")))

    app.register_blueprint(bp)
