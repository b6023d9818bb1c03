"""The administrators' pages, `/admin/...`: the center, services, counters, users, devices,
ratings and queue rules, and the audit log (with a CSV export). Admins only.

Plain forms posted with Flask-WTF's CSRF token. Every change is one engine function of
server/engine/admin.py run by `qms.write` with the actor `user:<username>`: it validates
everything first, so a refused change changes nothing and its Vietnamese message names the field;
an accepted one takes effect at once (settings and devices are cached in memory and dropped on
change; snapshots are pushed after every commit). Secrets (a new password, a device's token) are
shown once, on the answer to the POST that made them, never stored in clear.
"""

from __future__ import annotations

import base64
import csv
import functools
import io
import json
import shutil
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _

from ...engine import admin, audit
from ...errors import BadRequest, QmsError
from ..common.pages import gate, to_sign_in, with_lang

CENTER_FIELDS = ("unit_name", "center_name", "timezone", "notice_text", "track_url", "report_place",
                 "report_signer_title", "report_signer_name", "report_doc_prefix")
# The official report's and the province push's: kept as they are by a form that lacks them.
REPORT_FIELDS = ("report_addressee", "report_recipients", "report_doc_first_number", "province_push_url",
                 "province_push_token")
ALERT_FIELDS = ("alert_wait_min", "alert_low_share", "alert_low_window_min", "alert_low_min_count",
                "alert_offline_s", "alert_unattributed_count", "alert_unattributed_window_min")
RULE_FIELDS = ("rating_window_s", "default_service_minutes", *ALERT_FIELDS)
BUTTON_FIELDS = ("rating_scores", "ticket_lockout_s", "rating_lockout_s", "keypad_lockout_s")  # sent to devices
SCORES = ("5", "4", "3", "2", "1")
MAX_SERVICE_CHOICES = 8
AUDIT_PAGE = 500
CSV_DANGER = ("=", "+", "-", "@", "\t", "\r")


def message(exc: QmsError) -> str:
    """The refusal in the page's language: the English of its template when there is one, else
    the Vietnamese (which names the field) rather than a generic English line."""
    if str(get_locale()) == "en" and exc.msgid:
        translations = get_translations()
        english = translations.gettext(exc.msgid)
        if english != exc.msgid:
            # Field names and days are Vietnamese words with translations of their own.
            params = {k: translations.gettext(v) if isinstance(v, str) and v else v for k, v in exc.params.items()}
            try:
                return english % params
            except (KeyError, TypeError, ValueError):
                pass
    return exc.message


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_DANGER) else text


def qr_svg(payload: str) -> str:
    """A QR code of `payload` as an SVG data URI (drawn on the server; no script needed)."""
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(payload, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# -- forms <-> rows ------------------------------------------------------------------------------

def role_names() -> dict:
    return {"officer": _("Cán bộ"), "supervisor": _("Trưởng bộ phận"), "admin": _("Quản trị")}


def device_role_names() -> dict:
    return {"ticket": _("Máy lấy số"), "rating": _("Máy đánh giá"), "counter": _("Bàn phím quầy"),
            "display": _("Màn hình")}


def hours_form(hours: list | None) -> dict:
    """Opening hours as the form's fields: always_open, or h<day><am|pm>_from/_to."""
    if hours is None:
        return {"always_open": "1"}
    out = {}
    for period in hours:
        for d in period["days"]:
            half = "am" if period["from"] < "12:00" and f"h{d}am_from" not in out else "pm"
            if f"h{d}{half}_from" in out:
                continue  # a third period on one day: the grid shows two
            out[f"h{d}{half}_from"], out[f"h{d}{half}_to"] = period["from"], period["to"]
    return out


def hours_from(form) -> list | None:
    """The form's grid as opening-hours periods (same times on several days grouped)."""
    if form.get("always_open"):
        return None
    periods: dict[tuple[str, str], list[int]] = {}
    for d, day in admin.WEEKDAYS.items():
        for half, session in (("am", "Buổi sáng"), ("pm", "Buổi chiều")):
            start, end = (form.get(f"h{d}{half}_{k}", "").strip() for k in ("from", "to"))
            if not start and not end:
                continue
            if not start or not end:
                raise BadRequest(msgid="%(day)s, %(session)s: nhập cả giờ bắt đầu và giờ kết thúc",
                                 day=day, session=session.lower())
            periods.setdefault((start, end), []).append(d)
    return [{"days": days, "from": start, "to": end} for (start, end), days in periods.items()]


def service_form(row: dict) -> dict:
    return {"code": row["code"], "name_vi": row["name_vi"], "name_en": row["name_en"], "prefix": row["prefix"],
            "first_number": row["first_number"], "digits": row["digits"],
            "daily_limit": "" if row["daily_limit"] is None else row["daily_limit"], "room": row["room"],
            "sort": row["sort"], **hours_form(row["hours"])}


def service_args(form) -> dict:
    args = {k: form.get(k, "") for k in ("name_vi", "name_en", "prefix", "first_number", "digits", "daily_limit",
                                         "room", "sort")} | {"hours": hours_from(form)}
    if not args["sort"].strip():
        del args["sort"]  # a new service goes last; a changed one keeps its place
    return args


def counter_form(row: dict) -> dict:
    out = {"number": row["number"], "name": row["name"], "room": row["room"]}
    out.update({f"svc{i + 1}": code for i, code in enumerate(row["services"])})
    return out


def counter_services(form) -> list[str]:
    return [form.get(f"svc{i}", "") for i in range(1, MAX_SERVICE_CHOICES + 1) if form.get(f"svc{i}")]


def day_bounds(cfg, start: str, end: str) -> tuple[float | None, float | None]:
    """Unix times of the start of `start` and the end of `end` (YYYY-MM-DD, local days)."""
    def at(text, plus):
        if not text:
            return None
        try:
            d = date.fromisoformat(text)
        except ValueError:
            raise BadRequest(msgid="Ngày '%(value)s' không đúng dạng năm-tháng-ngày", value=text) from None
        return datetime.combine(d + timedelta(days=plus), time(0), tzinfo=cfg.tz).timestamp()
    return at(start, 0), at(end, 1)


def admin_only(fn):
    """A page of the admins': the view gets the caller (`who`) first; anyone else is refused or
    sent to sign in (pages are for people signed in, as the board's)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        who, answer = gate("admin")
        if answer is not None:
            return answer
        if who.via != "session":
            return to_sign_in()
        return fn(who, *args, **kwargs)
    return wrapper


def audit_record(db, cfg, now, *, action: str, subject: str, who: str) -> None:
    audit.record(db, now, who, action, subject)


def register(app, socketio, qms, csrf) -> None:
    """Attach /admin/..."""
    bp = Blueprint("admin", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/static/admin")

    def actor(who) -> str:
        return f"user:{who.row['username']}"

    def render(template: str, status: int = 200, *, secret: bool = False, **ctx):
        ctx.setdefault("error", None)
        ctx.setdefault("v", {})
        response = make_response(render_template(
            template, center_name=qms.setting("center_name"), weekdays=admin.WEEKDAYS, **ctx), status)
        if secret:  # a password or token shown once: never kept by a cache
            response.headers["Cache-Control"] = "no-store"
        return response

    def done(text: str, endpoint: str, **values):
        flash(text, "ok")
        return redirect(with_lang(url_for(endpoint, **values)))

    def db():
        return qms.store.read()

    # -- the center ------------------------------------------------------------------------------
    @bp.get("/admin")
    @admin_only
    def home(who):
        return redirect(with_lang(url_for("admin.center")))

    def center_page(status=200, error=None, v=None):
        from zoneinfo import available_timezones

        if v is None:
            v = {name: qms.setting(name) for name in CENTER_FIELDS + REPORT_FIELDS}
            v |= hours_form(qms.setting("center_hours"))
            v["closed_days"] = "\n".join(f"{d['date'][8:]}/{d['date'][5:7]}/{d['date'][:4]} {d['name']}".strip()
                                          for d in qms.setting("closed_days") or [])
        return render("admin/center.html", status, error=error, v=v, tab="center",
                      zones=sorted(z for z in available_timezones() if "/" in z))

    @bp.get("/admin/center")
    @admin_only
    def center(who):
        return center_page()

    @bp.post("/admin/center")
    @admin_only
    def center_save(who):
        values = {name: request.form.get(name, "") for name in CENTER_FIELDS}
        values |= {name: request.form[name] for name in REPORT_FIELDS if name in request.form}
        # A form without the hours grid or the closed days (a script's POST) leaves them as they are.
        if "closed_days" in request.form:
            values["closed_days"] = request.form["closed_days"]
        if any(k == "always_open" or (k.startswith("h") and k[1:2].isdigit()) for k in request.form):
            try:
                values["center_hours"] = hours_from(request.form)
            except QmsError as exc:
                return center_page(400, message(exc), dict(request.form))
        return save_settings(who, values, center_page, "admin.center")

    def save_settings(who, values, page, endpoint):
        try:
            changed = qms.write(admin.set_settings, values=values, actor=actor(who),
                                effective={name: qms.setting(name) for name in values})
        except QmsError as exc:
            return page(400, message(exc), dict(request.form))
        return done(_("Đã lưu %(n)s thay đổi.", n=len(changed)) if changed else _("Không có gì thay đổi."), endpoint)

    # -- ratings and queue rules -----------------------------------------------------------------
    def rules_page(status=200, error=None, v=None):
        if v is None:
            labels = qms.setting("rating_labels")
            policy = qms.setting("priority_policy")
            v = {name: qms.setting(name) for name in RULE_FIELDS}
            v.update({f"label{s}": labels.get(s, "") for s in SCORES})
            v["policy"], _sep, v["interleave_n"] = policy.partition(":")
            v |= {name: qms.setting(name) for name in BUTTON_FIELDS}
            levels = dict(part.split("=", 1) for part in admin.check_three_levels(qms.setting("rating_three_levels"))
                          .split(";"))
            v |= {f"level{s}": levels[s] for s in SCORES}
            v["rating_scores"] = ",".join(str(s) for s in v["rating_scores"])
        return render("admin/rules.html", status, error=error, v=v, tab="rules", scores=SCORES,
                      three_levels=admin.THREE_LEVELS)

    @bp.get("/admin/rules")
    @admin_only
    def rules(who):
        return rules_page()

    @bp.post("/admin/rules")
    @admin_only
    def rules_save(who):
        form = request.form
        policy = form.get("policy", "")
        if policy == "interleave":
            policy = f"interleave:{form.get('interleave_n', '').strip()}"
        values = {"rating_labels": {s: form.get(f"label{s}", "") for s in SCORES}, "priority_policy": policy}
        values.update({name: form.get(name, "") for name in RULE_FIELDS})
        values.update({name: form[name] for name in BUTTON_FIELDS if name in form})
        if any(f"level{s}" in form for s in SCORES):
            values["rating_three_levels"] = {s: form.get(f"level{s}", "") for s in SCORES}
        return save_settings(who, values, rules_page, "admin.rules")

    # -- services --------------------------------------------------------------------------------
    def services_page(status=200, error=None, v=None):
        return render("admin/services.html", status, error=error, v=v or {"always_open": "1", "first_number": 1,
                                                                          "digits": 3},
                      tab="services", services=admin.all_services(db()))

    @bp.get("/admin/services")
    @admin_only
    def services(who):
        return services_page()

    @bp.post("/admin/services")
    @admin_only
    def service_add(who):
        try:
            row = qms.write(admin.create_service, code=request.form.get("code", ""), actor=actor(who),
                            **service_args(request.form))
        except QmsError as exc:
            return services_page(400, message(exc), dict(request.form))
        return done(_("Đã thêm lĩnh vực %(name)s.", name=row["name_vi"]), "admin.services")

    def service_page(code, status=200, error=None, v=None):
        row = admin.one(admin.all_services(db()), "code", code)
        return render("admin/service.html", status, error=error, v=v or service_form(row), row=row, tab="services")

    @bp.get("/admin/services/<code>")
    @admin_only
    def service(who, code):
        return service_page(code)

    @bp.post("/admin/services/<code>")
    @admin_only
    def service_save(who, code):
        try:
            row = qms.write(admin.change_service, code=code, actor=actor(who), **service_args(request.form))
        except QmsError as exc:
            return service_page(code, 400, message(exc), dict(request.form) | {"code": code})
        return done(_("Đã lưu lĩnh vực %(name)s.", name=row["name_vi"]), "admin.services")

    @bp.post("/admin/services/<code>/active")
    @admin_only
    def service_active(who, code):
        on = request.form.get("active") == "1"
        try:
            row = qms.write(admin.change_service, code=code, active=on, actor=actor(who))
        except QmsError as exc:
            return service_page(code, 400, message(exc))
        return done((_("Đã mở lại lĩnh vực %(name)s.") if on else _("Đã ngừng lĩnh vực %(name)s."))
                    % {"name": row["name_vi"]}, "admin.services")

    # -- counters --------------------------------------------------------------------------------
    def counter_ctx():
        return {"tab": "counters", "services": admin.all_services(db()), "choices": MAX_SERVICE_CHOICES}

    def counters_page(status=200, error=None, v=None):
        return render("admin/counters.html", status, error=error, v=v or {}, counters=admin.all_counters(db()),
                      **counter_ctx())

    @bp.get("/admin/counters")
    @admin_only
    def counters(who):
        return counters_page()

    @bp.post("/admin/counters")
    @admin_only
    def counter_add(who):
        f = request.form
        try:
            row = qms.write(admin.create_counter, number=f.get("number", ""), name=f.get("name", ""),
                            room=f.get("room", ""), services=counter_services(f), actor=actor(who))
        except QmsError as exc:
            return counters_page(400, message(exc), dict(f))
        return done(_("Đã thêm %(name)s.", name=row["name"]), "admin.counters")

    def counter_page(number, status=200, error=None, v=None):
        row = admin.one(admin.all_counters(db()), "number", number)
        return render("admin/counter.html", status, error=error, v=v or counter_form(row), row=row, **counter_ctx())

    @bp.get("/admin/counters/<int:number>")
    @admin_only
    def counter(who, number):
        return counter_page(number)

    @bp.post("/admin/counters/<int:number>")
    @admin_only
    def counter_save(who, number):
        f = request.form
        try:
            row = qms.write(admin.change_counter, number=number, name=f.get("name", ""), room=f.get("room", ""),
                            services=counter_services(f), actor=actor(who))
        except QmsError as exc:
            return counter_page(number, 400, message(exc), dict(f) | {"number": number})
        return done(_("Đã lưu %(name)s.", name=row["name"]), "admin.counters")

    @bp.post("/admin/counters/<int:number>/active")
    @admin_only
    def counter_active(who, number):
        on = request.form.get("active") == "1"
        try:
            row = qms.write(admin.change_counter, number=number, active=on, actor=actor(who))
        except QmsError as exc:
            return counter_page(number, 400, message(exc))
        return done((_("Đã mở lại %(name)s.") if on else _("Đã ngừng %(name)s.")) % {"name": row["name"]},
                    "admin.counters")

    # -- users -----------------------------------------------------------------------------------
    def user_ctx():
        return {"tab": "users", "counters": [c for c in admin.all_counters(db()) if c["active"]],
                "roles": admin.ROLES, "role_names": role_names()}

    def users_page(status=200, error=None, v=None, secret=None):
        return render("admin/users.html", status, error=error, v=v or {"role": "officer"},
                      users=admin.all_users(db()), secret=secret, **user_ctx())

    @bp.get("/admin/users")
    @admin_only
    def users(who):
        return users_page()

    @bp.post("/admin/users")
    @admin_only
    def user_add(who):
        f = request.form
        try:
            u = qms.write(admin.create_user, username=f.get("username", ""), full_name=f.get("full_name", ""),
                          role=f.get("role", ""), counter=f.get("counter", ""), actor=actor(who))
        except QmsError as exc:
            return users_page(400, message(exc), dict(f))
        return render("admin/secret.html", secret=True, tab="users", kind="password", username=u["username"],
                      password=u["password"])

    def user_page(who, username, status=200, error=None, v=None):
        row = admin.one(admin.all_users(db()), "username", username)
        return render("admin/user.html", status, error=error, v=v or row, row=row, me=who.row["username"],
                      **user_ctx())

    @bp.get("/admin/users/<username>")
    @admin_only
    def user(who, username):
        return user_page(who, username)

    @bp.post("/admin/users/<username>")
    @admin_only
    def user_save(who, username):
        f = request.form
        try:
            qms.write(admin.change_user, username=username, full_name=f.get("full_name", ""), role=f.get("role", ""),
                      counter=f.get("counter", ""), actor=actor(who))
        except QmsError as exc:
            return user_page(who, username, 400, message(exc), dict(f) | {"username": username})
        return done(_("Đã lưu người dùng %(name)s.", name=username), "admin.users")

    @bp.post("/admin/users/<username>/active")
    @admin_only
    def user_active(who, username):
        on = request.form.get("active") == "1"
        try:
            row = qms.write(admin.change_user, username=username, active=on, actor=actor(who))
        except QmsError as exc:
            return user_page(who, username, 400, message(exc))
        if not on:  # his pages are refused from now on; his open console is closed now
            qms.disconnect_user(row["id"])
        return done((_("Đã mở lại tài khoản %(name)s.") if on else _("Đã khoá tài khoản %(name)s."))
                    % {"name": username}, "admin.users")

    @bp.post("/admin/users/<username>/password")
    @admin_only
    def user_password(who, username):
        try:
            u = qms.write(admin.reset_password, username=username, actor=actor(who))
        except QmsError as exc:
            return user_page(who, username, 400, message(exc))
        return render("admin/secret.html", secret=True, tab="users", kind="password", username=username,
                      password=u["password"])

    # -- devices ---------------------------------------------------------------------------------
    def device_ctx():
        return {"tab": "devices", "counters": [c for c in admin.all_counters(db()) if c["active"]],
                "device_roles": admin.DEVICE_ROLES, "role_names": device_role_names()}

    def devices_page(status=200, error=None, v=None):
        return render("admin/devices.html", status, error=error, v=v or {"roles": ["ticket"]},
                      devices=admin.all_devices(db()), now=qms.now(), cfg=qms.cfg(), **device_ctx())

    def device_form(f) -> dict:
        return dict(f) | {"roles": f.getlist("roles")}

    def token_page(d: dict):
        payload = json.dumps({"server": request.host_url.rstrip("/"), "device": d["id"], "token": d["token"]},
                             separators=(",", ":"))
        return render("admin/secret.html", secret=True, tab="devices", kind="token", device=d, payload=payload,
                      qr=qr_svg(payload))

    @bp.get("/admin/devices")
    @admin_only
    def devices(who):
        return devices_page()

    @bp.post("/admin/devices")
    @admin_only
    def device_add(who):
        f = request.form
        try:
            d = qms.write(admin.register_device, device_id=f.get("device_id", ""), roles=f.getlist("roles"),
                          counter=f.get("counter", ""), name=f.get("name", ""), room=f.get("room", ""),
                          actor=actor(who))
        except QmsError as exc:
            return devices_page(400, message(exc), device_form(f))
        return token_page(d)

    def device_page(device_id, status=200, error=None, v=None):
        row = admin.one(admin.all_devices(db()), "id", device_id)
        return render("admin/device.html", status, error=error, v=v or row, row=row, cfg=qms.cfg(), **device_ctx())

    @bp.get("/admin/devices/<device_id>")
    @admin_only
    def device(who, device_id):
        return device_page(device_id)

    @bp.post("/admin/devices/<device_id>")
    @admin_only
    def device_save(who, device_id):
        f = request.form
        try:
            qms.write(admin.change_device, device_id=device_id, name=f.get("name", ""), room=f.get("room", ""),
                      roles=f.getlist("roles"), counter=f.get("counter", ""), actor=actor(who))
        except QmsError as exc:
            return device_page(device_id, 400, message(exc), device_form(f) | {"id": device_id})
        return done(_("Đã lưu thiết bị %(id)s.", id=device_id), "admin.devices")

    @bp.post("/admin/devices/<device_id>/rotate")
    @admin_only
    def device_rotate(who, device_id):
        try:
            d = qms.write(admin.rotate_device_token, device_id=device_id, actor=actor(who))
        except QmsError as exc:
            return device_page(device_id, 400, message(exc))
        return token_page(d)

    @bp.post("/admin/devices/<device_id>/revoke")
    @admin_only
    def device_revoke(who, device_id):
        try:
            qms.write(admin.revoke_device, device_id=device_id, actor=actor(who))
        except QmsError as exc:
            return device_page(device_id, 400, message(exc))
        return done(_("Đã thu hồi thiết bị %(id)s: mã của nó bị từ chối từ bây giờ.", id=device_id), "admin.devices")

    # -- the audit log ---------------------------------------------------------------------------
    @bp.get("/admin/backup.db")
    @admin_only
    def backup_download(who):
        """A consistent copy of the database, made now while the server runs (SQLite's backup
        API), as a file to keep elsewhere; the download is in the audit log."""
        cfg = qms.cfg()
        folder = Path(tempfile.mkdtemp(prefix="qms-backup-"))
        name = f"qms-{cfg.local(qms.now()).strftime('%Y-%m-%d-%H%M')}.db"
        path = qms.backup_now(folder / name)
        qms.write(audit_record, action="backup.download", subject=name, who=actor(who))
        data = path.read_bytes()
        shutil.rmtree(folder, ignore_errors=True)
        response = Response(data, mimetype="application/vnd.sqlite3",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/admin/audit")
    @admin_only
    def audit_log(who):
        cfg = qms.cfg()
        a = request.args
        v = {k: a.get(k, "").strip() for k in ("actor", "action", "subject", "start", "end")}
        error, rows = None, []
        try:
            start, end = day_bounds(cfg, v["start"], v["end"])
            csv_out = a.get("format") == "csv"
            rows = audit.search(db(), actor=v["actor"], action=v["action"], subject=v["subject"], start=start, end=end,
                                limit=None if csv_out else AUDIT_PAGE + 1)
        except QmsError as exc:
            error = message(exc)
            csv_out = False
        for r in rows:  # the page in Vietnamese dates; the CSV, a machine export, in ISO
            r["local"] = cfg.local(r["at"]).strftime("%Y-%m-%d %H:%M:%S" if csv_out else "%d/%m/%Y %H:%M:%S")
        if csv_out:
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["id", _("Thời gian"), _("Người thực hiện"), _("Thao tác"), _("Đối tượng"), _("Dữ liệu")])
            for r in rows:
                writer.writerow([r["id"], r["local"], *(csv_cell(r[k]) for k in ("actor", "action", "subject", "data"))])
            name = f"nhat-ky-{cfg.day(qms.now())}.csv"
            return Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f"attachment; filename={name}"})
        more = len(rows) > AUDIT_PAGE
        query = {k: val for k, val in v.items() if val}
        if request.args.get("lang"):
            query["lang"] = request.args["lang"]
        return render("admin/audit.html", 400 if error else 200, error=error, v=v, rows=rows[:AUDIT_PAGE], more=more,
                      actions=audit.actions(db()), tab="audit", query=query)

    app.register_blueprint(bp)
