"""`python -m server`: init, demo, run, add-device, add-user, revoke-device, rotate-device,
revoke-token, rotate-token, end-sessions, set, service, counter, user, device."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import create_app
from .engine import admin, demo, logins


def _app(instance: str):
    # A command serves no connection: plain threads, whatever the server's async_mode.
    return create_app({"INSTANCE_PATH": instance, "async_mode": "threading"})


def _close(app):
    app.extensions["qms"].close()


@click.group()
def cli():
    """Máy chủ hệ thống xếp hàng và đánh giá hài lòng — queue and satisfaction server."""


instance_opt = click.option("--instance", default="instance", show_default=True, envvar="QMS_INSTANCE",
                            help="Instance folder (database, config); or the QMS_INSTANCE variable.")


@cli.command()
@instance_opt
def init(instance):
    """Create or migrate the database."""
    app = _app(instance)
    click.echo(f"Cơ sở dữ liệu sẵn sàng: {app.extensions['qms'].store.path}")
    _close(app)


@cli.command("demo")
@instance_opt
@click.option("--json-out", type=click.Path(), help="Also write the secrets as JSON here.")
@click.option("--hours/--always-open", default=False, help="Use real opening hours instead of always open.")
def demo_cmd(instance, json_out, hours):
    """Load the demo center and print its logins and device tokens (shown once)."""
    app = _app(instance)
    qms = app.extensions["qms"]
    if qms.store.read()["services"].count:
        click.echo("Đã có dữ liệu; bỏ qua (the database already has a center).", err=True)
        _close(app)
        sys.exit(1)
    secrets_ = qms.write(demo.load, always_open=not hours)
    for u in secrets_["users"]:
        click.echo(f"user {u['username']:10} role {u['role']:10} password {u['password']}"
                   + (f"  api_token {u['api_token']}" if u["api_token"] else ""))
    for d in secrets_["devices"]:
        click.echo(f"device {d['id']:10} roles {','.join(d['roles']):8} counter {d['counter'] or '-'}  token {d['token']}")
    if json_out:
        Path(json_out).write_text(json.dumps(secrets_, ensure_ascii=False, indent=2))
        Path(json_out).chmod(0o600)
    _close(app)


@cli.command()
@instance_opt
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=400, show_default=True, type=int,
              help="Threading mode only: worker threads. Every open websocket holds one for its whole life.")
@click.option("--async-mode", type=click.Choice(["gevent", "threading"]), default=None,
              help="Override the async_mode setting: 'gevent' (gevent's WSGI server, one greenlet per "
                   "connection) or 'threading' (gunicorn, gthread).")
def run(instance, host, port, threads, async_mode):
    """Serve: one process; gevent greenlets (default) or gunicorn threads."""
    from . import settings
    from .serve import run_gevent, run_gunicorn

    instance = str(Path(instance).resolve())
    app = _app(instance)  # migrate once in the foreground, so errors show here
    try:
        from .web.setup.routes import link

        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        first = link(app.extensions["qms"], f"http://{shown}:{port}")
        center = app.extensions["qms"].setting("center_name")
        if first:  # no administrator yet: a one-time link to create the first (no default password)
            click.echo(f"Chưa có quản trị viên. Tạo tài khoản quản trị đầu tiên (liên kết dùng một lần, trong 24 giờ):\n"
                       f"  {first}")
    finally:
        _close(app)
    values = settings.load(Path(instance))
    mode = async_mode or values["async_mode"]
    click.echo(f"Máy chủ: http://{host}:{port}/ ({mode})")
    announcement = _announce(values, host, port, center)
    try:
        if mode == "gevent":
            run_gevent(lambda: serving_app(instance, "gevent"), host, port)
        else:
            run_gunicorn(lambda: serving_app(instance, "threading"), host, port, threads)
    finally:
        if announcement is not None:
            announcement.close()


def _announce(values: dict, host: str, port: int, center: str):
    """Announce the server by mDNS unless `mdns_interfaces` is 'off' (server/discovery.py)."""
    from . import discovery

    chosen = discovery.interfaces(values["mdns_interfaces"])
    if chosen is None or host.startswith("127.") and not chosen:
        return None  # off, or serving this machine only
    announcement = discovery.Announcement(host, port, center=center, chosen=chosen).start()
    if announcement.announced:
        click.echo(f"Công bố trên mạng nội bộ (mDNS): {announcement.announced}")
    return announcement


def serving_app(instance: str, async_mode: str = "gevent"):
    """The app as the server process runs it (gevent's server, or gunicorn's worker, loads it)."""
    import gc

    app = create_app({"INSTANCE_PATH": instance, "async_mode": async_mode})
    # What exists now (modules, the app) lives as long as the process: keep it out of the cyclic
    # collector's full passes, and run them less often. Under load those passes stopped every
    # thread for 100-200 ms every few seconds, the worst of the acknowledgement latency
    # (docs/benchmarks.md, "Server load").
    gc.freeze()
    gc.set_threshold(2000, 20, 50)
    # Alerts are checked on a ticker even while no page is open (kiosks only).
    app.extensions["qms"].start_background()
    return app


expires_opt = click.option("--expires-days", type=click.FloatRange(min=0, min_open=True), default=None,
                           help="The token is refused after this many days (default: never).")


def _expires_text(at) -> str:
    if at is None:
        return ""
    from datetime import datetime, timezone

    return f" expires {datetime.fromtimestamp(at, timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}"


def _write(instance, fn, **args):
    """Run one engine write in the instance's database and return its result."""
    app = _app(instance)
    try:
        return app.extensions["qms"].write(fn, actor="cli", **args)
    finally:
        _close(app)


@cli.command("add-device")
@instance_opt
@click.argument("device_id")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(admin.DEVICE_ROLES))
@click.option("--counter", type=int)
@click.option("--name", default="")
@expires_opt
def add_device(instance, device_id, roles, counter, name, expires_days):
    """Add a device (or give it a new token); prints its token once."""
    app = _app(instance)
    try:
        d = app.extensions["qms"].write(admin.add_device, device_id=device_id, roles=list(roles),
                                        counter=counter, name=name, expires_days=expires_days, actor="cli")
        click.echo(f"device {d['id']} token {d['token']}" + _expires_text(d["expires_at"]))
    finally:
        _close(app)


@cli.command("add-user")
@instance_opt
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(admin.ROLES))
@click.option("--name", "full_name", default="")
@click.option("--counter", type=int)
@click.option("--api-token", is_flag=True, help="Also create an API token.")
@expires_opt
def add_user(instance, username, role, full_name, counter, api_token, expires_days):
    """Add a user; prints a random password (and API token) once."""
    app = _app(instance)
    try:
        u = app.extensions["qms"].write(admin.add_user, username=username, role=role, full_name=full_name,
                                        counter=counter, api_token=api_token, expires_days=expires_days, actor="cli")
        click.echo(f"user {u['username']} password {u['password']}" + (f" api_token {u['api_token']}" if u["api_token"] else ""))
    finally:
        _close(app)


@cli.command("revoke-device")
@instance_opt
@click.argument("device_id")
def revoke_device(instance, device_id):
    """Refuse a device's token from now on (a running server cuts its connections within
    alert_check_s seconds)."""
    _write(instance, admin.revoke_device, device_id=device_id)
    click.echo(f"device {device_id} revoked")


@cli.command("rotate-device")
@instance_opt
@click.argument("device_id")
@expires_opt
def rotate_device(instance, device_id, expires_days):
    """Give a device a new token (the old one is refused); prints it once."""
    d = _write(instance, admin.rotate_device, device_id=device_id, expires_days=expires_days)
    click.echo(f"device {d['id']} token {d['token']}" + _expires_text(d["expires_at"]))


@cli.command("revoke-token")
@instance_opt
@click.argument("username")
def revoke_token(instance, username):
    """Refuse a user's API token from now on."""
    _write(instance, admin.revoke_token, username=username)
    click.echo(f"user {username} api_token revoked")


@cli.command("rotate-token")
@instance_opt
@click.argument("username")
@expires_opt
def rotate_token(instance, username, expires_days):
    """Give a user a new API token (the old one is refused); prints it once."""
    u = _write(instance, admin.rotate_token, username=username, expires_days=expires_days)
    click.echo(f"user {u['username']} api_token {u['api_token']}" + _expires_text(u["expires_at"]))


@cli.command("end-sessions")
@instance_opt
@click.argument("username")
def end_sessions(instance, username):
    """End every sign-in session of a user: his browsers must sign in again."""
    n = _write(instance, logins.end_user_sessions, username=username)
    click.echo(f"user {username}: {n} session(s) ended")


# -- the same changes as the /admin pages: the same engine functions, validation and audit --------

def _write(instance: str, fn, **args):
    """Run one admin engine function as `cli` and return its result (a refusal exits with its message)."""
    app = _app(instance)
    try:
        return app.extensions["qms"].write(fn, actor="cli", **args)
    finally:
        _close(app)


def _given(**options) -> dict:
    """The options that were given (click leaves the others None)."""
    return {k: v for k, v in options.items() if v is not None}


def _none_or(value: str | None):
    """`--counter none` (or an empty string) clears a binding."""
    return None if value is None else ("" if value.lower() in ("", "none", "-") else value)


@cli.command("set")
@instance_opt
@click.argument("name")
@click.argument("value")
def set_cmd(instance, name, value):
    """Change a live setting (same validation as /admin); JSON for rating_labels."""
    from .settings import BY_NAME

    app = _app(instance)
    try:
        qms = app.extensions["qms"]
        changed = qms.write(admin.set_settings, values={name: value}, actor="cli",
                            effective={name: qms.setting(name)} if name in BY_NAME else None)
        click.echo(f"{name} = {json.dumps(qms.setting(name), ensure_ascii=False)}" + ("" if changed else " (không đổi)"))
    finally:
        _close(app)


@cli.group()
def service():
    """Services (lĩnh vực): add, change, disable."""


def _service_options(fn):
    for opt in reversed([
        click.option("--name", "name_vi", help="Tên tiếng Việt."),
        click.option("--name-en", help="English name."),
        click.option("--prefix", help="Ticket prefix, 1-3 letters or digits (unique among active services)."),
        click.option("--first-number", help="First number of the day."),
        click.option("--digits", help="Digits of the number."),
        click.option("--daily-limit", help="Most tickets a day; 'none' for no limit."),
        click.option("--hours", help='Opening hours as JSON [{"days": [1,2,3,4,5], "from": "07:30", "to": "11:30"}]; '
                                     "'none' for always open."),
        click.option("--room", help="Room."),
        click.option("--sort", help="Order on the kiosk."),
    ]):
        fn = opt(fn)
    return fn


def _service_args(options: dict) -> dict:
    args = _given(**options)
    if "daily_limit" in args:
        args["daily_limit"] = _none_or(args["daily_limit"])
    if "hours" in args:
        args["hours"] = None if args["hours"].lower() in ("", "none", "-") else args["hours"]
    return args


@service.command("add")
@instance_opt
@click.argument("code")
@_service_options
def service_add(instance, code, **options):
    """Add a service."""
    row = _write(instance, admin.create_service, code=code, **_service_args(options))
    click.echo(f"service {row['code']} prefix {row['prefix']} {row['name_vi']}")


@service.command("change")
@instance_opt
@click.argument("code")
@_service_options
@click.option("--active/--inactive", default=None)
def service_change(instance, code, **options):
    """Change the given fields of a service."""
    row = _write(instance, admin.change_service, code=code, **_service_args(options))
    click.echo(f"service {code} changed: {', '.join(row['changed']) or '-'}")


@service.command("disable")
@instance_opt
@click.argument("code")
def service_disable(instance, code):
    """Stop issuing numbers for a service."""
    _write(instance, admin.disable_service, code=code)
    click.echo(f"service {code} disabled")


@cli.group()
def counter():
    """Counters (quầy): add, change, disable."""


@counter.command("add")
@instance_opt
@click.argument("number")
@click.option("--service", "services", multiple=True, help="A service code; repeat, in order of preference.")
@click.option("--name", default="")
@click.option("--room", default="", help="Room: displays opened with ?room= show its counters.")
def counter_add(instance, number, services, name, room):
    """Add a counter serving the given services in order."""
    row = _write(instance, admin.create_counter, number=number, services=list(services), name=name, room=room)
    click.echo(f"counter {row['number']} services {','.join(row['services'])}")


@counter.command("change")
@instance_opt
@click.argument("number")
@click.option("--service", "services", multiple=True, help="Replaces the services; repeat, in order.")
@click.option("--name")
@click.option("--room")
@click.option("--active/--inactive", default=None)
def counter_change(instance, number, services, **options):
    """Change the given fields of a counter."""
    args = _given(**options)
    if services:
        args["services"] = list(services)
    row = _write(instance, admin.change_counter, number=number, **args)
    click.echo(f"counter {number} changed: {', '.join(row['changed']) or '-'}")


@counter.command("disable")
@instance_opt
@click.argument("number")
def counter_disable(instance, number):
    """Take a counter out of service."""
    _write(instance, admin.disable_counter, number=number)
    click.echo(f"counter {number} disabled")


@cli.group()
def user():
    """Users: add, change, disable, reset-password."""


@user.command("add")
@instance_opt
@click.argument("username")
@click.option("--role", required=True, help="officer, supervisor or admin.")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--counter", help="Default counter (officers).")
def user_add(instance, username, role, full_name, counter):
    """Add a user; prints a random password once."""
    u = _write(instance, admin.create_user, username=username, role=role, full_name=full_name,
               counter=_none_or(counter))
    click.echo(f"user {u['username']} password {u['password']}")


@user.command("change")
@instance_opt
@click.argument("username")
@click.option("--role")
@click.option("--name", "full_name")
@click.option("--counter", help="Default counter; 'none' for none.")
@click.option("--active/--inactive", default=None)
def user_change(instance, username, counter, **options):
    """Change the given fields of a user."""
    args = _given(**options)
    if counter is not None:
        args["counter"] = _none_or(counter)
    row = _write(instance, admin.change_user, username=username, **args)
    click.echo(f"user {username} changed: {', '.join(row['changed']) or '-'}")


@user.command("disable")
@instance_opt
@click.argument("username")
def user_disable(instance, username):
    """Refuse the user's sign-in, sessions and API token."""
    _write(instance, admin.disable_user, username=username)
    click.echo(f"user {username} disabled")


@user.command("reset-password")
@instance_opt
@click.argument("username")
def user_reset_password(instance, username):
    """A new random password, printed once."""
    u = _write(instance, admin.reset_password, username=username)
    click.echo(f"user {u['username']} password {u['password']}")


@cli.group()
def device():
    """Devices: add, change, revoke, rotate."""


def _device_echo(d: dict, server: str | None) -> None:
    click.echo(f"device {d['id']} token {d['token']}")
    if server:
        click.echo(json.dumps({"server": server.rstrip("/"), "device": d["id"], "token": d["token"]}))


server_opt = click.option("--server", help="Also print the setup JSON for this server URL.")


@device.command("add")
@instance_opt
@click.argument("device_id")
@click.option("--role", "roles", multiple=True, required=True, help="ticket, rating, counter or display; repeatable.")
@click.option("--counter", help="The counter of a rating terminal or keypad.")
@click.option("--name", default="")
@click.option("--room", default="")
@server_opt
def device_add(instance, device_id, roles, counter, name, room, server):
    """Register a new device; prints its token once."""
    d = _write(instance, admin.register_device, device_id=device_id, roles=list(roles), counter=_none_or(counter),
               name=name, room=room)
    _device_echo(d, server)


@device.command("change")
@instance_opt
@click.argument("device_id")
@click.option("--role", "roles", multiple=True, help="Replaces the roles; repeatable.")
@click.option("--counter", help="The counter it is bound to; 'none' for none.")
@click.option("--name")
@click.option("--room")
def device_change(instance, device_id, roles, counter, **options):
    """Change the given fields of a device (its token stays)."""
    args = _given(**options)
    if roles:
        args["roles"] = list(roles)
    if counter is not None:
        args["counter"] = _none_or(counter)
    row = _write(instance, admin.change_device, device_id=device_id, **args)
    click.echo(f"device {device_id} changed: {', '.join(row['changed']) or '-'}")


@device.command("revoke")
@instance_opt
@click.argument("device_id")
def device_revoke(instance, device_id):
    """Refuse the device's token from now on."""
    _write(instance, admin.revoke_device, device_id=device_id)
    click.echo(f"device {device_id} revoked")


@device.command("rotate")
@instance_opt
@click.argument("device_id")
@server_opt
def device_rotate(instance, device_id, server):
    """Give a device a new token (printed once); the old one is refused."""
    _device_echo(_write(instance, admin.rotate_device_token, device_id=device_id), server)


@cli.command("restore")
@instance_opt
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
def restore_cmd(instance, backup_file):
    """Replace the database by a backup (stop the server first). The backup is checked with
    PRAGMA integrity_check before anything is replaced; the current database is kept beside it."""
    from . import backup

    database = Path(instance).resolve() / "qms.db"
    kept = backup.restore(database, Path(backup_file).resolve())
    click.echo(f"Đã khôi phục từ {backup_file}; bản cũ giữ ở {kept}")
    _close(_app(instance))  # migrate it, should the backup be older than the code


@cli.command("doctor")
@instance_opt
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--url", envvar="QMS_URL", help="The running server, e.g. http://127.0.0.1:8080 (or QMS_URL): "
                                             "is it answering /healthz?")
def doctor_cmd(instance, lang, url):
    """Check a center's server (database, disk, clock, backups, devices, printers, TLS) and say
    what to fix; exit status 1 when something needs fixing."""
    from . import doctor

    path = Path(instance).resolve()
    findings = doctor.diagnose(path, lambda: _app(str(path)).extensions["qms"], doctor.Host.probe(path), url)
    for line in doctor.render(findings, path, lang):
        click.echo(line)
    sys.exit(doctor.exit_status(findings))


@cli.command("setup-link")
@instance_opt
@click.option("--url", required=True, help="The server's address as the administrator's browser reaches it.")
def setup_link_cmd(instance, url):
    """On a center with no administrator yet: a new one-time link to create the first (earlier
    links stop working); exit status 1 when there is an administrator already."""
    from .web.setup.routes import link

    app = _app(instance)
    try:
        first = link(app.extensions["qms"], url)
    finally:
        _close(app)
    if first is None:
        click.echo("Đã có quản trị viên (an administrator exists already).")
        sys.exit(1)
    click.echo(first)


from .demo.run import demo_run  # noqa: E402  (`make run`)

cli.add_command(demo_run)


def main():
    from .errors import QmsError

    try:
        cli(prog_name="python -m server")
    except QmsError as exc:
        click.echo(f"Lỗi: {exc.message}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
