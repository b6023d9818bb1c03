"""Every setting of the server, declared once: name, default, type and help.

Values come, last wins: the defaults below, the instance's `config.toml`, environment variables
`QMS_<NAME>` (upper case), the `config` dict given to `create_app`, and for settings marked
`live` the `settings` table that an administrator edits at run time.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    live: bool = False  # may be changed at run time from the settings table


SETTINGS: tuple[Setting, ...] = (
    Setting("center_name", "Trung tâm Phục vụ hành chính công", "Name of the center shown on pages and tickets.", live=True),
    Setting("unit_name", "UBND PHƯỜNG", "Name of the commune or ward printed above the center's name.", live=True),
    Setting("timezone", "Asia/Ho_Chi_Minh", "The center's time zone: the daily ticket sequence resets at its midnight.", live=True),
    Setting("language", "vi", "Default language of pages and messages (vi or en)."),
    Setting("priority_policy", "strict", "Priority tickets: 'strict' (always first) or 'interleave:N' (one after every N normal ones).", live=True),
    Setting("rating_window_s", 120, "Seconds after a ticket is finished during which a press at its counter's terminal rates it.", live=True),
    Setting("rating_labels", {"5": "Rất hài lòng", "4": "Hài lòng", "3": "Bình thường", "2": "Không hài lòng", "1": "Rất không hài lòng"}, "Label of each score, 1 to 5.", live=True),
    Setting("center_hours", None, "The center's working hours: a list of periods {\"days\": [1..7], \"from\": \"HH:MM\", \"to\": \"HH:MM\"} (1 is Monday); none: always open. Tickets are issued only inside them, and inside each service's own hours.", live=True),
    Setting("closed_days", [], "Days the center is closed (holidays): a list of {\"date\": \"YYYY-MM-DD\", \"name\": \"...\"}. No ticket is issued on them.", live=True),
    Setting("rating_scores", [5, 4, 3, 2], "The scores the rating terminals' buttons give, first button first (2 to 5 distinct scores of 1-5); sent to every terminal, overriding its own file.", live=True),
    Setting("ticket_lockout_s", 1.5, "After a ticket button press, a ticket kiosk ignores its buttons this many seconds (sent to every kiosk).", live=True),
    Setting("rating_lockout_s", 3.0, "After a rating press, a rating terminal ignores its buttons this many seconds (sent to every terminal).", live=True),
    Setting("keypad_lockout_s", 1.0, "After a press, a counter keypad ignores its buttons this many seconds (sent to every keypad).", live=True),
    Setting("default_service_minutes", 6.0, "Service time assumed for wait estimates before a service has history.", live=True),
    Setting("estimate_sample", 20, "How many recent services of a service the wait estimate averages."),
    Setting("notice_text", "Xin chào quý khách. Vui lòng lấy số thứ tự và chờ đến lượt.", "Ticker text on the waiting-room display.", live=True),
    Setting("track_url", "", "Base URL of the citizens' ticket-tracking page printed as a QR code; empty for none.", live=True),
    Setting("report_place", "", "Place name before the date on the official report (e.g. 'Phường Bến Thành').", live=True),
    Setting("report_signer_title", "GIÁM ĐỐC", "Title of the official report's signer, one line per line (e.g. 'KT. GIÁM ĐỐC' then 'PHÓ GIÁM ĐỐC').", live=True),
    Setting("report_signer_name", "", "Full name of the official report's signer.", live=True),
    Setting("report_doc_prefix", "BC-TTPVHCC", "Symbol after the number on the official report: 'Số: 12/BC-TTPVHCC'.", live=True),
    Setting("ping_interval", 10, "Socket.IO ping interval in seconds: how soon a dead link is noticed."),
    Setting("ping_timeout", 10, "Socket.IO ping timeout in seconds."),
    Setting("async_mode", "gevent", "How `python -m server run` serves connections: 'gevent' (one greenlet per connection; docs/benchmarks.md, \"Async mode\") or 'threading' (gunicorn, one thread per connection)."),
    Setting("max_request_bytes", 1_000_000, "Largest HTTP request body accepted (MAX_CONTENT_LENGTH); bigger ones get 413."),
    Setting("max_connections_per_address", 50, "Most Socket.IO connections open at once from one address (0: no limit); more are refused with busy."),
    Setting("max_connections", 3000, "Most Socket.IO connections open at once in all (0: no limit)."),
    Setting("join_timeout_s", 5.0, "A Socket.IO connection that has joined no namespace after this many seconds is closed."),
    Setting("backup_hour", 22, "Each day after this local hour (0-23; 24: never), a backup of the database is written to <instance>/backups (a consistent copy while the server runs)."),
    Setting("backup_keep", 14, "How many nightly backups are kept (the oldest are deleted)."),
    Setting("disk_free_min_mb", 200, "/healthz reports the server unhealthy (503) when the disk under the database has less free space than this."),
    Setting("busy_write_backlog", 2000, "Devices' writes are refused with busy while more than this many writes wait for the writer."),
    Setting("busy_write_wait_ms", 250, "Devices' writes are refused with busy while the last writes waited this many ms for their commit."),
    Setting("busy_lag_ms", 250, "Devices' writes are refused with busy while the server runs its tasks this many ms late."),
    Setting("max_payload_bytes", 2_000_000, "Largest Socket.IO message accepted; bigger ones drop the connection."),
    Setting("write_batch_max", 256, "Most writes committed together by the writer thread (group commit)."),
    Setting("sqlite_synchronous", "FULL", "SQLite synchronous mode: FULL makes every acknowledged write survive a power cut."),
    Setting("broadcast_interval_ms", 250, "Snapshots to displays and boards are coalesced to at most one per interval."),
    Setting("recent_calls", 8, "How many recent calls the display snapshot carries."),
    Setting("message_queue", None, "Socket.IO message queue URL (e.g. redis://) for running several server processes."),
    Setting("secret_key", None, "Flask secret key; generated once into the instance folder when not set."),
    Setting("login_throttle", 5, "Wrong passwords in a row for one user name from one address after which sign-in from there slows down (docs/security.md)."),
    Setting("login_throttle_address", 20, "Wrong passwords in a row from one address, whatever the names, after which sign-in from it slows down."),
    Setting("session_cookie_secure", False, "Send the session cookie over HTTPS only (set it when the center serves the pages over HTTPS; docs/security.md)."),
    Setting("session_idle_min", 480, "A sign-in session unused for this many minutes is ended."),
    Setting("session_max_hours", 12, "A sign-in session is ended this many hours after it began, used or not."),
    Setting("proxy_hops", 0, "How many reverse proxies (nginx, Caddy) stand in front of the server: the client's address is then read from X-Forwarded-For. 0 when clients connect directly."),
    Setting("device_events_per_s", 20.0, "Most events per second one device may send (token bucket); more are answered busy."),
    Setting("device_events_burst", 40, "How many events a device may send at once above its rate before busy."),
    Setting("voice_repeat", 2, "How many times the display says a call.", live=True),
    Setting("voice_mode", "number", "Read numbers in full ('number') or digit by digit ('digits').", live=True),
    Setting("voice_clips", None, "Folder of recorded clips; defaults to <instance>/voice/clips."),
    Setting("spotlight_seconds", 15, "How long the display's spotlight holds a call.", live=True),
    Setting("voice_displays", "all", "Which displays speak calls: 'all' (every display not opened with ?mute=1) or 'flagged' (only displays opened with ?voice=1).", live=True),
    Setting("alert_low_share", 0.5, "Alert when the share of ratings of 2 or less exceeds this...", live=True),
    Setting("alert_low_window_min", 15, "...within this many minutes...", live=True),
    Setting("alert_low_min_count", 4, "...counting at least this many ratings.", live=True),
    Setting("alert_wait_min", 30, "Alert when a citizen of a service has waited longer than this many minutes.", live=True),
    Setting("alert_offline_s", 60, "Alert when a device has been offline longer than this many seconds.", live=True),
    Setting("alert_unattributed_count", 5, "Alert when a terminal gets this many unattributed presses...", live=True),
    Setting("alert_unattributed_window_min", 10, "...within this many minutes.", live=True),
    Setting("alert_check_s", 5, "Seconds between checks of the alerts that arise with time alone (a device offline, a long wait)."),
    Setting("ranking_prior_weight", 20, "Officers' ranking: each officer counts as if he also had this many ratings at the center's rate (Bayesian average, docs/reports.md).", live=True),
    Setting("tls_cert", None, "Path of the TLS certificate (PEM) the center's pages are served with, if any (a reverse proxy's): `python -m server doctor` warns before it expires."),
    Setting("mdns_interfaces", "", "The server announces itself on the LAN by mDNS (_qms._tcp) so that kiosks and displays find it without an address: '' on every interface, 'off' not at all, or the local IPv4 addresses to announce on, comma-separated."),
    # Official reporting (issue 14): the report as an administrative document, and the push upward.
    Setting("report_addressee", "Ủy ban nhân dân phường", "Addressee of the official report, after 'Kính gửi:'.", live=True),
    Setting("report_recipients", "Như trên;\nLãnh đạo Trung tâm;\nLưu: VT.", "The official report's 'Nơi nhận', one recipient per line.", live=True),
    Setting("report_doc_first_number", 1, "First number of the year for official reports (to go on from numbers already given on paper): 'Số: 12/...'.", live=True),
    Setting("rating_three_levels", "5=Rất hài lòng;4=Hài lòng;3=Không hài lòng;2=Không hài lòng;1=Không hài lòng", "The 3-level mapping of official evaluations, score=label separated by ';' (exports and the push).", live=True),
    Setting("province_push_url", "", "URL of the province's one-stop software that receives each counted rating with a dossier code as JSON ('' = no push).", live=True),
    Setting("province_push_adapter", "json", "Adapter of the push: 'json' (POST the record as JSON), or 'package.module:Class', a subclass of server.push.adapter.JsonAdapter with the province's mapping."),
    Setting("province_push_token", "", "Bearer token sent to the province's URL, if it asks for one.", live=True),
    Setting("province_push_timeout_s", 10.0, "Seconds to wait for the province's answer before trying again later."),
    Setting("province_push_interval_s", 5.0, "Seconds between rounds of the push outbox (retries back off from this up to an hour)."),
    Setting("voice_number_style", "tư,linh,nghìn", "The center's number words, comma-separated: 4 after 'mươi' ('tư' or 'bốn'), a zero tens digit ('linh' or 'lẻ'), 1000 ('nghìn' or 'ngàn'). The calls and the voice studio's clip list follow it.", live=True),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, value: Any) -> Any:
    """Convert a value from an environment variable or the settings table to the default's type."""
    default = setting.default
    if value is None or not isinstance(value, str) or isinstance(default, str) or default is None:
        return value
    if isinstance(default, bool):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    import json

    return json.loads(value)


def load(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Resolve every setting from defaults, `config.toml`, `QMS_*` variables and `overrides`."""
    values = {s.name: s.default for s in SETTINGS}
    config_file = Path(instance_path) / "config.toml"
    if config_file.exists():
        with config_file.open("rb") as fh:
            data = tomllib.load(fh)
        unknown = sorted(set(data) - set(BY_NAME))
        if unknown:
            raise ValueError(f"{config_file}: unknown setting(s) {', '.join(unknown)}")
        values.update(data)
    for s in SETTINGS:
        env = os.environ.get("QMS_" + s.name.upper())
        if env is not None:
            values[s.name] = _coerce(s, env)
    for key, value in (overrides or {}).items():
        if key in BY_NAME:
            values[key] = value
    return values


def coerce(name: str, value: Any) -> Any:
    """Validate a value given for setting `name` at run time; raises KeyError or ValueError."""
    return _coerce(BY_NAME[name], value)
