"""`GET/POST /setup/<token>`: create the first administrator through a one-time link."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...engine import admin
from ...errors import QmsError
from ...i18n import localized_message
from ..common.pages import with_lang


def register(app, socketio, services, csrf) -> None:
    bp = Blueprint("setup", __name__, template_folder="templates")

    def page(token: str, status: int = 200, error: str | None = None, v: dict | None = None):
        return render_template("setup/first_admin.html", token=token, error=error, v=v or {},
                               center_name=services.setting("center_name")), status

    @bp.get("/setup/<token>")
    def form(token: str):
        if not admin.setup_open(services.store.read(), services.now(), token):
            abort(404)
        return page(token)

    @bp.post("/setup/<token>")
    def create(token: str):
        f = request.form
        v = {"username": f.get("username", ""), "full_name": f.get("full_name", "")}
        try:
            services.write(admin.first_admin, token=token, username=v["username"], full_name=v["full_name"],
                           password=f.get("password", ""), repeat=f.get("repeat", ""))
        except QmsError as exc:
            if exc.http_status == 404:
                abort(404)
            return page(token, 400, localized_message(exc), v)
        flash(_("Đã tạo tài khoản quản trị. Hãy đăng nhập."), "info")
        return redirect(with_lang(url_for("login.login_page", next="/admin")))

    app.register_blueprint(bp)


def link(services, base_url: str) -> str | None:
    """A new first-start link if the center has no administrator, else None."""
    token = services.write(admin.setup_link)
    return None if token is None else f"{base_url.rstrip('/')}/setup/{token}"
