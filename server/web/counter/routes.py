"""The officer's counter console, `/counter`: pick a counter, then drive it.

The page itself is a shell; the live part (the ticket in hand, queues, today's figures) comes
over the `/counter` Socket.IO namespace (namespace.py), and the buttons call the
HTTP API (`POST /api/counters/<n>/<action>`, with a request id so a retry is applied once).
The forms here (take a counter, leave it, a supervisor freeing one) are CSRF-protected posts.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from ... import wire
from ...engine import catalog, counters
from ...errors import CounterBusy, QmsError
from ..common.pages import with_lang

SUPERVISORS = ("supervisor", "admin")


def counters_list(qms) -> list[dict]:
    """Every counter with its services' names and who holds it, for the picker."""
    db = qms.store.read()
    names = {s["code"]: s["name_vi"] for s in catalog.services(db, active_only=False)}
    names_en = {s["code"]: s["name_en"] or s["name_vi"] for s in catalog.services(db, active_only=False)}
    users = catalog.people(db)
    out = []
    for c in catalog.counters(db):
        holder = users.get(c["officer_id"])
        out.append({"number": c["number"], "name": c["name"] or f"Quầy {c['number']}", "state": c["state"],
                    "services": [names.get(s, s) for s in c["services"]],
                    "services_en": [names_en.get(s, s) for s in c["services"]],
                    "holder": (holder["full_name"] or holder["username"]) if holder else None,
                    "holder_id": holder["id"] if holder else None})
    return out


def refusal(qms, exc: QmsError, number: int) -> str:
    """The message for a refused sign-in, in the page's language; a busy counter names its holder."""
    if isinstance(exc, CounterBusy):
        holder = next((c["holder"] for c in counters_list(qms) if c["number"] == number), None)
        return _("Quầy %(n)s đang do %(who)s đăng nhập. Trưởng bộ phận có thể giải phóng quầy.",
                 n=number, who=holder or exc.params.get("holder", ""))
    return str(exc)


def register(app, socketio, qms, csrf) -> None:
    """Attach the console pages."""
    bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/static/console")

    def picker(status: int = 200, error: str | None = None):
        me = current_user.row
        return render_template("console/pick.html", counters=counters_list(qms), error=error,
                               me=me, bound=me["counter"], can_free=me["role"] in SUPERVISORS), status

    @bp.errorhandler(CSRFError)
    def _csrf_refused(exc):
        if not current_user.is_authenticated:
            return redirect(with_lang(url_for("login.login_page", next=request.path)))
        return picker(400, _("Phiên làm việc đã hết hạn hoặc thiếu mã bảo vệ. Vui lòng thử lại."))

    def console_page(number: int):
        db = qms.store.read()
        me = current_user.row
        try:
            counter = catalog.counter(db, number)
        except QmsError:
            abort(404)
        labels = qms.setting("rating_labels")
        boot = {
            "counter": number, "user": {"id": me["id"], "username": me["username"]},
            # Labels are configuration; the default ones have an English translation.
            "lang": str(get_locale()), "labels": {str(k): _(v) for k, v in labels.items()},
            "window_s": qms.cfg().rating_window_s,
        }
        default_name = not counter["name"] or counter["name"] == f"Quầy {number}"
        title = _("Quầy %(n)s", n=number) if default_name else counter["name"]
        return render_template("console/console.html", counter=counter, me=me, title=title,
                               boot=boot)

    @bp.get("/counter")
    @login_required
    def home():
        number = counters.held_by(qms.store.read(), current_user.row["id"])
        if number is None:
            return picker()
        return console_page(number)

    @bp.get("/counter/<int:number>")
    @login_required
    def at(number: int):
        held = counters.held_by(qms.store.read(), current_user.row["id"])
        if held != number:
            return render_template("console/refused.html", number=number, held=held), 403
        return console_page(number)

    @bp.post("/counter/sign-in")
    @login_required
    def take():
        """Take a counter; refused, naming the holder, if another officer is at it."""
        try:
            number = wire.integer(request.form.get("counter", ""), "counter")
        except QmsError:
            return picker(400, _("Chọn một quầy."))
        me = current_user.row
        try:
            qms.write(counters.sign_in, number=number, user=me, actor=f"user:{me['username']}")
        except QmsError as exc:
            return picker(exc.http_status, refusal(qms, exc, number))
        return redirect(with_lang(url_for("console.home")))

    @bp.post("/counter/sign-out")
    @login_required
    def leave():
        """Leave the counter (stay signed in, e.g. to take another one)."""
        me = current_user.row
        number = counters.held_by(qms.store.read(), me["id"])
        if number is not None:
            qms.write(counters.sign_out, number=number, user=me, actor=f"user:{me['username']}")
        return redirect(with_lang(url_for("console.home")))

    @bp.post("/counter/free")
    @login_required
    def free():
        """A supervisor frees a counter held by someone else."""
        me = current_user.row
        if me["role"] not in SUPERVISORS:
            return picker(403, _("Chỉ trưởng bộ phận mới giải phóng được quầy."))
        try:
            number = wire.integer(request.form.get("counter", ""), "counter")
        except QmsError:
            return picker(400, _("Chọn một quầy."))
        try:
            qms.write(counters.sign_out, number=number, user=me, actor=f"user:{me['username']}", force=True)
        except QmsError as exc:
            return picker(exc.http_status, str(exc))
        flash(_("Đã giải phóng quầy %(n)s.", n=number), "info")
        return redirect(with_lang(url_for("console.home")))

    app.register_blueprint(bp)
