"""`/admin/devices/pair`: an administrator enters the code a waiting-room TV shows, and the TV
becomes a display device (server/engine/pairing.py; docs/display.md, "Pairing")."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...engine import pairing
from ...errors import QmsError
from ..common.pages import with_lang
from .routes import admin_only, message

FIELDS = ("code", "device_id", "name", "room")


def register(app, socketio, qms, csrf) -> None:
    bp = Blueprint("admin_pair", __name__, template_folder="templates")

    def page(who, status=200, error=None, v=None):
        return make_response(render_template("admin/display_pair.html", center_name=qms.setting("center_name"),
                                             tab="devices", error=error, v=v or {}), status)

    @bp.get("/admin/devices/pair")
    @admin_only
    def pair_form(who):
        return page(who)

    @bp.post("/admin/devices/pair")
    @admin_only
    def pair(who):
        v = {k: request.form.get(k, "") for k in FIELDS}
        try:
            made = qms.write(pairing.claim, code=v["code"], device_id=v["device_id"], name=v["name"], room=v["room"],
                             actor=f"user:{who.row['username']}")
        except QmsError as exc:
            return page(who, 400, message(exc), v)
        flash(_("Đã ghép màn hình %(id)s: màn hình tự nhận mã truy cập trong vài giây.", id=made["device"]), "ok")
        return redirect(with_lang(url_for("admin.devices")))

    app.register_blueprint(bp)
