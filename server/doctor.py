"""`python -m server doctor`: what is wrong with a center's server, and what to do about it.

Each check is a small function of a `Context` (the instance's settings and database, read through
the engine's own reads, and the facts of the machine gathered once in `Host`) returning
`Finding`s. A technician reads them in Vietnamese (English with `--lang en`, from the server's
catalog); the exit status says whether anything needs fixing, for a script or a timer.
The checks only read (opening the instance migrates it, as every command does).
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from sqlite_utils import Database

from . import backup
from .engine import admin
from .engine.config import EngineConfig
from .errors import BadRequest

OK, WARN, ERROR = "ok", "warning", "error"
# How far the clock may be behind the newest time the server wrote before it is called wrong
# (a Pi has no battery clock: without NTP it boots at the last time it saved).
CLOCK_BEHIND_S = 120
TLS_WARN_DAYS = 21


def N_(text: str) -> str:
    """Marks a message for the catalog; it is translated when shown (`render`)."""
    return text


@dataclass(frozen=True)
class Finding:
    check: str  # a title, Vietnamese source string
    level: str  # OK, WARN or ERROR
    text: str  # Vietnamese source string with {placeholders}
    args: dict = field(default_factory=dict)
    fix: str = ""  # what to do, Vietnamese source string with the same placeholders


@dataclass(frozen=True)
class Host:
    """The machine as the doctor found it (tests replace single fields)."""
    now: float
    local_offset: timedelta | None  # the system's UTC offset now (journald and `date` show it)
    ntp_synchronized: bool | None  # None: cannot tell (no timedatectl)
    disk_free_mb: float

    @classmethod
    def probe(cls, instance: Path) -> "Host":
        import time

        now = time.time()
        existing = next(p for p in (instance, *instance.parents) if p.exists())
        return cls(now=now, local_offset=datetime.fromtimestamp(now).astimezone().utcoffset(),
                   ntp_synchronized=_ntp_synchronized(), disk_free_mb=shutil.disk_usage(existing).free / 1e6)


def _ntp_synchronized() -> bool | None:
    try:
        out = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"], capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    value = out.stdout.strip()
    return {"yes": True, "no": False}.get(value) if out.returncode == 0 else None


@dataclass(frozen=True)
class Context:
    instance: Path
    db: Database
    setting: Callable[[str], Any]
    cfg: EngineConfig
    host: Host
    url: str | None = None  # the running server (its /healthz), when known


# -- the checks ------------------------------------------------------------------------------------

DATABASE, DISK, CLOCK, TIMEZONE, BACKUPS, DEVICES, PRINTERS, TLS, SERVER = (
    N_("Cơ sở dữ liệu"), N_("Dung lượng đĩa"), N_("Đồng hồ"), N_("Múi giờ"), N_("Sao lưu"), N_("Thiết bị"),
    N_("Máy in"), N_("Chứng chỉ TLS"), N_("Máy chủ"))


def check_database(database: Path) -> Finding:
    """The file is there, readable, passes `PRAGMA integrity_check` and holds our tables."""
    if not database.exists():
        return Finding(DATABASE, ERROR, N_("Không có cơ sở dữ liệu {path}"), {"path": str(database)},
                       N_("Kiểm tra thư mục --instance, hoặc tạo mới: python -m server init --instance {instance}"))
    try:
        backup.check(database)
    except BadRequest as exc:
        return Finding(DATABASE, ERROR, N_("Cơ sở dữ liệu hỏng: {error}"), {"error": exc.message},
                       N_("Dừng máy chủ và khôi phục bản sao lưu mới nhất: python -m server restore "
                          "--instance {instance} {instance}/backups/<tệp>"))
    return Finding(DATABASE, OK, N_("Toàn vẹn (integrity_check: ok)"))


def check_server(ctx: Context) -> list[Finding]:
    """The server answers /healthz with 200 (devices' online states below mean something only
    then)."""
    if not ctx.url:
        return []
    import urllib.error
    import urllib.request

    args = {"url": ctx.url}
    try:
        with urllib.request.urlopen(f"{ctx.url.rstrip('/')}/healthz", timeout=5) as r:
            body = json.loads(r.read())
    except urllib.error.HTTPError as exc:  # 503: the server runs but cannot take writes
        try:
            reason = json.loads(exc.read()).get("db", exc.code)
        except ValueError:
            reason = exc.code
        return [Finding(SERVER, ERROR, N_("Máy chủ {url} không nhận ghi được ({reason})"), {**args, "reason": reason},
                        N_("Xem các dòng khác của báo cáo này và nhật ký: journalctl -u qms-server"))]
    except (OSError, ValueError) as exc:
        return [Finding(SERVER, ERROR, N_("Máy chủ {url} không trả lời ({error})"),
                        {**args, "error": getattr(exc, "reason", exc)},
                        N_("Khởi động máy chủ: systemctl restart qms-server; nhật ký: journalctl -u qms-server"))]
    return [Finding(SERVER, OK, N_("{url} đang chạy ({writes} lệnh ghi đang chờ)"),
                    {**args, "writes": body.get("writes_waiting", 0)})]


def check_disk(ctx: Context) -> list[Finding]:
    free, least = ctx.host.disk_free_mb, float(ctx.setting("disk_free_min_mb"))
    args = {"free": round(free), "least": round(least)}
    if free < least:
        return [Finding(DISK, ERROR, N_("Còn {free} MB trống, dưới mức tối thiểu {least} MB: máy chủ từ chối ghi"),
                        args, N_("Xoá bớt tệp không cần (ví dụ bản sao lưu cũ) hoặc dùng thẻ nhớ lớn hơn"))]
    if free < 2 * least:
        return [Finding(DISK, WARN, N_("Còn {free} MB trống, gần mức tối thiểu {least} MB"), args,
                        N_("Xoá bớt tệp không cần (ví dụ bản sao lưu cũ) hoặc dùng thẻ nhớ lớn hơn"))]
    return [Finding(DISK, OK, N_("Còn {free} MB trống"), args)]


def _newest_write(db: Database) -> float | None:
    """The latest time the server wrote with its own clock."""
    row = db.execute("SELECT max(t) FROM (SELECT max(at) AS t FROM audit UNION ALL SELECT max(issued_at) FROM tickets "
                     "UNION ALL SELECT max(at) FROM calls)").fetchone()
    return row[0]


def check_clock(ctx: Context) -> list[Finding]:
    out = []
    newest = _newest_write(ctx.db)
    if newest is not None and ctx.host.now < newest - CLOCK_BEHIND_S:
        out.append(Finding(CLOCK, ERROR, N_("Đồng hồ máy chủ ({now}) chậm hơn lần ghi gần nhất ({newest}): "
                                            "giờ của máy sai"),
                           {"now": _when(ctx, ctx.host.now), "newest": _when(ctx, newest)},
                           N_("Cho máy chủ đồng bộ giờ qua mạng (timedatectl set-ntp true) hoặc đặt giờ đúng "
                              "(timedatectl set-time), rồi khởi động lại máy chủ")))
    if ctx.host.ntp_synchronized is False:
        out.append(Finding(CLOCK, WARN, N_("Đồng hồ chưa được đồng bộ qua mạng (NTP)"), {},
                           N_("Bật đồng bộ: timedatectl set-ntp true; trong mạng không có Internet, chỉ đến một "
                              "máy chủ NTP nội bộ trong /etc/systemd/timesyncd.conf")))
    if not out:
        out.append(Finding(CLOCK, OK, N_("Giờ máy: {now}"), {"now": _when(ctx, ctx.host.now)}))
    return out


def check_timezone(ctx: Context) -> list[Finding]:
    center = ctx.cfg.local(ctx.host.now).utcoffset()
    args = {"zone": ctx.cfg.tz.key, "center": _offset(center), "system": _offset(ctx.host.local_offset)}
    if ctx.host.local_offset is not None and ctx.host.local_offset != center:
        return [Finding(TIMEZONE, WARN, N_("Múi giờ của máy (UTC{system}) khác múi giờ của trung tâm {zone} "
                                           "(UTC{center}): giờ trong nhật ký sẽ lệch"), args,
                        N_("Đặt múi giờ của máy: timedatectl set-timezone {zone}"))]
    return [Finding(TIMEZONE, OK, N_("{zone} (UTC{center})"), args)]


def _backup_day(path: Path) -> date | None:
    try:
        return date.fromisoformat(path.stem[len(backup.PREFIX):])
    except ValueError:
        return None


def check_backups(ctx: Context) -> list[Finding]:
    hour = int(ctx.setting("backup_hour"))
    if hour >= 24:
        return [Finding(BACKUPS, WARN, N_("Sao lưu hằng đêm đang tắt (backup_hour = {hour})"), {"hour": hour},
                        N_("Đặt backup_hour (0-23) trong {instance}/config.toml rồi khởi động lại máy chủ"))]
    folder = ctx.instance / "backups"
    found = sorted((d, p) for p in folder.glob(f"{backup.PREFIX}*.db") if (d := _backup_day(p)) is not None)
    local = ctx.cfg.local(ctx.host.now)
    # The last night the backup was due (the server makes it within a minute of `hour`).
    due = local.date() if local.hour > hour else local.date() - timedelta(days=1)
    args = {"folder": str(folder), "hour": hour, "due": due.strftime("%d/%m/%Y")}
    if not found:
        first = ctx.db.execute("SELECT min(at) FROM audit").fetchone()[0]
        due_at = datetime.combine(due, datetime.min.time(), ctx.cfg.tz).replace(hour=hour).timestamp()
        if first is None or first > due_at:  # a center set up since: its first night is to come
            return [Finding(BACKUPS, OK, N_("Bản sao lưu đầu tiên sẽ được tạo sau {hour} giờ tối nay"), args)]
        return [Finding(BACKUPS, ERROR, N_("Chưa có bản sao lưu nào trong {folder}"), args,
                        N_("Máy chủ phải chạy qua {hour} giờ để tạo bản sao lưu; kiểm tra nhật ký: "
                           "journalctl -u qms-server"))]
    day, newest = found[-1]
    args.update(newest=newest.name, day=day.strftime("%d/%m/%Y"))
    try:
        backup.check(newest)
    except BadRequest as exc:
        return [Finding(BACKUPS, ERROR, N_("Bản sao lưu mới nhất {newest} không dùng được: {error}"),
                        {**args, "error": exc.message}, N_("Kiểm tra thẻ nhớ; xoá tệp hỏng, bản sao lưu đêm nay "
                                                            "sẽ được tạo lại"))]
    if day < due:
        return [Finding(BACKUPS, ERROR, N_("Bản sao lưu mới nhất là của ngày {day}, lẽ ra phải có bản ngày {due}"),
                        args, N_("Máy chủ phải chạy qua {hour} giờ để tạo bản sao lưu; kiểm tra nhật ký: "
                                 "journalctl -u qms-server"))]
    return [Finding(BACKUPS, OK, N_("Bản mới nhất: {newest}"), args)]


def check_devices(ctx: Context) -> list[Finding]:
    out = []
    limit = float(ctx.setting("alert_offline_s"))
    for d in admin.all_devices(ctx.db):
        if not d["active"]:
            continue
        args = {"device": d["id"], "name": d["name"] or d["id"]}
        if d["last_seen"] is None:
            out.append(Finding(DEVICES, WARN, N_("Thiết bị {device} chưa kết nối lần nào"), args,
                               N_("Cài đặt thiết bị theo docs/deploy.md, hoặc thu hồi nếu không dùng: "
                                  "python -m server device revoke {device}")))
        elif not d["online"] and ctx.host.now - d["last_seen"] > limit:
            out.append(Finding(DEVICES, ERROR, N_("Thiết bị {device} ({name}) ngừng báo cáo từ {since}"),
                               {**args, "since": _when(ctx, d["last_seen"])},
                               N_("Kiểm tra nguồn điện và mạng của thiết bị; trên thiết bị: "
                                  "journalctl -u kiosk")))
    return out or [Finding(DEVICES, OK, N_("Mọi thiết bị đang báo cáo"))]


PRINTER_PROBLEMS = {
    "paper_low": (WARN, N_("Máy in của {device} ({name}) sắp hết giấy"), N_("Chuẩn bị cuộn giấy để thay")),
    "paper_out": (ERROR, N_("Máy in của {device} ({name}) hết giấy"), N_("Thay cuộn giấy in nhiệt")),
    "offline": (ERROR, N_("Thiết bị {device} ({name}) không thấy máy in"),
                N_("Kiểm tra cáp USB và nguồn của máy in, và mã USB trong kiosk.toml (docs/deploy.md)")),
}


def check_printers(ctx: Context) -> list[Finding]:
    out = []
    for d in admin.all_devices(ctx.db):
        state = (d["last_status"] or {}).get("printer") if d["active"] else None
        if state in PRINTER_PROBLEMS:
            level, text, fix = PRINTER_PROBLEMS[state]
            out.append(Finding(PRINTERS, level, text, {"device": d["id"], "name": d["name"] or d["id"]}, fix))
    return out or [Finding(PRINTERS, OK, N_("Không máy in nào báo lỗi"))]


def check_tls(ctx: Context) -> list[Finding]:
    path = ctx.setting("tls_cert")
    if not path:
        return []
    args = {"path": str(path)}
    try:
        # The standard library's own PEM reader (what `ssl` uses for peers' certificates): no
        # extra package on the Pi for one date.
        not_after = ssl._ssl._test_decode_cert(str(path))["notAfter"]  # type: ignore[attr-defined]
    except (OSError, ssl.SSLError, KeyError) as exc:
        return [Finding(TLS, ERROR, N_("Không đọc được chứng chỉ {path}: {error}"), {**args, "error": exc.args[-1] if exc.args else exc},
                        N_("Kiểm tra đường dẫn trong thiết lập tls_cert"))]
    expires = ssl.cert_time_to_seconds(not_after)
    days = int((expires - ctx.host.now) // 86400)
    args.update(days=days, date=ctx.cfg.local(expires).strftime("%d/%m/%Y"))
    if expires <= ctx.host.now:
        return [Finding(TLS, ERROR, N_("Chứng chỉ {path} đã hết hạn ngày {date}"), args,
                        N_("Gia hạn chứng chỉ và khởi động lại máy chủ web"))]
    if days < TLS_WARN_DAYS:
        return [Finding(TLS, WARN, N_("Chứng chỉ {path} hết hạn sau {days} ngày ({date})"), args,
                        N_("Gia hạn chứng chỉ và khởi động lại máy chủ web"))]
    return [Finding(TLS, OK, N_("Còn hạn đến {date}"), args)]


CHECKS: tuple[Callable[[Context], list[Finding]], ...] = (
    check_server, check_disk, check_clock, check_timezone, check_backups, check_devices, check_printers, check_tls)


def _when(ctx: Context, ts: float) -> str:
    return ctx.cfg.local(ts).strftime("%H:%M:%S %d/%m/%Y")


def _offset(delta: timedelta | None) -> str:
    if delta is None:
        return "?"
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# -- running them ------------------------------------------------------------------------------------

def diagnose(instance: Path, open_services: Callable[[], Any], host: Host, url: str | None = None) -> list[Finding]:
    """Every finding about the instance. The database is checked before the app opens it (a
    broken file would fail there with a less useful message); `open_services()` gives the
    `Services` of an app on the instance, closed here."""
    first = check_database(instance / "qms.db")
    if first.level == ERROR:
        return [first]
    services = open_services()
    try:
        ctx = Context(instance=instance, db=services.store.read(), setting=services.setting, cfg=services.cfg(),
                      host=host, url=url)
        return [first, *(f for check in CHECKS for f in check(ctx))]
    finally:
        services.close()


def exit_status(findings: list[Finding]) -> int:
    """0: all well; 1: something to fix."""
    return 0 if all(f.level == OK for f in findings) else 1


LEVELS = {OK: N_("ĐẠT"), WARN: N_("CẢNH BÁO"), ERROR: N_("LỖI")}


def translator(lang: str) -> Callable[[str], str]:
    if lang == "vi":
        return lambda s: s
    from babel.support import Translations

    from .i18n import TRANSLATIONS, compile_catalogs

    compile_catalogs()
    return Translations.load(str(TRANSLATIONS), [lang]).gettext


def render(findings: list[Finding], instance: Path, lang: str = "vi") -> list[str]:
    """The report as lines of text: one per finding, then what to do."""
    _ = translator(lang)
    lines = []
    for f in findings:
        args = {"instance": str(instance), **f.args}
        lines.append(f"[{_(LEVELS[f.level])}] {_(f.check)}: {_(f.text).format(**args)}")
        if f.fix and f.level != OK:
            lines.append(f"    → {_(f.fix).format(**args)}")
    return lines

