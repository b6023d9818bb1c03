"""`python -m server doctor` on a healthy instance, and on each broken state it checks.

Every test starts from the same healthy instance (the test center, a fresh backup, every
device reporting, the machine's clock and zone right) and breaks one thing for real: a
damaged file, a stale backup, a device that stopped reporting, a printer out of paper... The
machine's own facts (the time, its zone, NTP) come in a `Host` the test sets.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from server import backup, doctor
from server.__main__ import cli
from server.engine import audit, devices, tickets
from tests.conftest import app_with_center, make_app

CERT = Path(__file__).parent / "data" / "tls-cert.pem"  # self-signed, notAfter 26/11/2036 16:03:55 GMT
CERT_EXPIRES = 2111328235.0


class Center:
    """A healthy center's instance in `tmp_path`, and the doctor's view of it."""

    def __init__(self, tmp_path: Path, **config):
        config.setdefault("backup_hour", 22)  # the tests' default is never
        self.tmp_path, self.config = tmp_path, config
        self.app = app_with_center(tmp_path, **config)
        self.qms = self.app.extensions["qms"]
        self.instance = self.qms.store.path.parent
        now = time.time()
        # A center that has run for days (the template was made today): its nights are past.
        self.qms.write(lambda db, cfg, t: audit.record(db, t - 3 * 86400, "test", "test.old", None))
        for d in ("kiosk-1", "rate-1", "rate-2", "rate-3", "pad-1"):
            self.qms.write(devices.set_online, device_id=d, online=True,
                           status={"printer": "ok" if d == "kiosk-1" else "none"})
        self.backup_of(now)
        self.host = doctor.Host(now=now, local_offset=self.qms.cfg().local(now).utcoffset(),
                                ntp_synchronized=True, disk_free_mb=10_000)

    def backup_of(self, ts: float) -> Path:
        day = self.qms.cfg().local(ts).date().isoformat()
        return backup.copy(self.qms.store.path, self.instance / "backups" / f"{backup.PREFIX}{day}.db")

    def diagnose(self, **host) -> list[doctor.Finding]:
        self.qms.close()  # as the doctor runs beside the server: it opens the database itself
        return doctor.diagnose(self.instance, lambda: app_with_center(self.tmp_path, **self.config).extensions["qms"],
                               dataclasses.replace(self.host, **host))

    def close(self):
        self.qms.close()


@pytest.fixture
def center(tmp_path):
    c = Center(tmp_path)
    yield c
    c.close()


def problems(findings) -> list[tuple[str, str, str]]:
    return [(f.check, f.level, f.text.format(**f.args)) for f in findings if f.level != doctor.OK]


def only_problem(findings, check: str, level: str) -> str:
    found = problems(findings)
    assert [(c, lv) for c, lv, _ in found] == [(check, level)], found
    assert doctor.exit_status(findings) == 1
    return found[0][2]


def test_a_healthy_center_has_nothing_to_fix(center):
    findings = center.diagnose()
    assert problems(findings) == []
    assert doctor.exit_status(findings) == 0
    assert {f.check for f in findings} == {doctor.DATABASE, doctor.DISK, doctor.CLOCK, doctor.TIMEZONE,
                                           doctor.BACKUPS, doctor.DEVICES, doctor.PRINTERS}


def test_the_command_exits_0_on_a_healthy_center_and_1_with_the_fix_in_vietnamese_or_english(center, monkeypatch):
    monkeypatch.setattr(doctor.Host, "probe", classmethod(lambda cls, instance: center.host))
    center.close()
    ok = CliRunner().invoke(cli, ["doctor", "--instance", str(center.instance)])
    assert ok.exit_code == 0, ok.output
    assert "[ĐẠT] Cơ sở dữ liệu: Toàn vẹn" in ok.output and "[LỖI]" not in ok.output

    for old in (center.instance / "backups").glob("*.db"):
        old.unlink()
    bad = CliRunner().invoke(cli, ["doctor", "--instance", str(center.instance)])
    assert bad.exit_code == 1
    assert f"[LỖI] Sao lưu: Chưa có bản sao lưu nào trong {center.instance / 'backups'}" in bad.output
    assert "journalctl -u qms-server" in bad.output
    en = CliRunner().invoke(cli, ["doctor", "--instance", str(center.instance), "--lang", "en"])
    assert en.exit_code == 1
    assert f"[ERROR] Backups: There is no backup in {center.instance / 'backups'} yet" in en.output
    assert "[OK] Database: Intact (integrity_check: ok)" in en.output


def test_no_database(tmp_path):
    findings = doctor.diagnose(tmp_path / "nowhere", lambda: pytest.fail("must not open the app"),
                               doctor.Host(time.time(), timedelta(0), True, 10_000))
    text = only_problem(findings, doctor.DATABASE, doctor.ERROR)
    assert text == f"Không có cơ sở dữ liệu {tmp_path / 'nowhere' / 'qms.db'}"


def test_a_damaged_database_is_reported_before_anything_opens_it(center):
    center.close()
    db = center.instance / "qms.db"
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    data = bytearray(db.read_bytes())
    page = 4096
    data[3 * page:3 * page + 2000] = b"\xff" * 2000  # one page of a table's b-tree: garbage
    db.write_bytes(bytes(data))
    findings = doctor.diagnose(center.instance, lambda: pytest.fail("must not open a damaged database"), center.host)
    text = only_problem(findings, doctor.DATABASE, doctor.ERROR)
    assert text.startswith("Cơ sở dữ liệu hỏng: ")
    assert "python -m server restore" in findings[0].fix


def test_low_disk(tmp_path):
    c = Center(tmp_path, disk_free_min_mb=20_000)  # the host has 10,000 MB free
    try:
        assert only_problem(c.diagnose(), doctor.DISK, doctor.ERROR) == \
            "Còn 10000 MB trống, dưới mức tối thiểu 20000 MB: máy chủ từ chối ghi"
        assert only_problem(c.diagnose(disk_free_mb=30_000), doctor.DISK, doctor.WARN) == \
            "Còn 30000 MB trống, gần mức tối thiểu 20000 MB"
    finally:
        c.close()


def test_a_clock_behind_the_latest_write(center):
    """A Pi has no battery clock: booted without NTP it can be hours behind what it wrote."""
    center.qms.write(tickets.issue, ticket_id=str(uuid.uuid4()), service="A", device_id="kiosk-1", actor="t")
    issued = center.qms.now()
    text = only_problem(center.diagnose(now=issued - 3600), doctor.CLOCK, doctor.ERROR)
    assert "chậm hơn lần ghi gần nhất" in text


def test_a_clock_not_synchronised(center):
    assert only_problem(center.diagnose(ntp_synchronized=False), doctor.CLOCK, doctor.WARN) == \
        "Đồng hồ chưa được đồng bộ qua mạng (NTP)"
    assert problems(center.diagnose(ntp_synchronized=None)) == []  # cannot tell: nothing said


def test_the_machine_in_another_time_zone(center):
    text = only_problem(center.diagnose(local_offset=timedelta(0)), doctor.TIMEZONE, doctor.WARN)
    assert text == ("Múi giờ của máy (UTC+00:00) khác múi giờ của trung tâm Asia/Ho_Chi_Minh (UTC+07:00): "
                    "giờ trong nhật ký sẽ lệch")


def test_no_backup(center):
    for old in (center.instance / "backups").glob("*.db"):
        old.unlink()
    assert only_problem(center.diagnose(), doctor.BACKUPS, doctor.ERROR).startswith("Chưa có bản sao lưu nào")


def test_a_center_set_up_today_has_its_first_backup_tonight(tmp_path):
    """A fresh instance (nothing written before last night's backup time) is not missing one."""
    app = make_app(tmp_path, backup_hour=22)
    qms = app.extensions["qms"]
    instance = qms.store.path.parent
    now = qms.now()
    qms.close()
    host = doctor.Host(now=now, local_offset=qms.cfg().local(now).utcoffset(), ntp_synchronized=True,
                       disk_free_mb=10_000)
    findings = doctor.diagnose(instance, lambda: make_app(tmp_path, backup_hour=22).extensions["qms"], host)
    assert problems(findings) == []
    assert [f.text for f in findings if f.check == doctor.BACKUPS] == ["Bản sao lưu đầu tiên sẽ được tạo sau {hour} giờ tối nay"]


def test_a_stale_backup(center):
    for old in (center.instance / "backups").glob("*.db"):
        old.unlink()
    three_days_ago = center.host.now - 3 * 86400
    center.backup_of(three_days_ago)
    day = center.qms.cfg().local(three_days_ago).strftime("%d/%m/%Y")
    text = only_problem(center.diagnose(), doctor.BACKUPS, doctor.ERROR)
    assert text.startswith(f"Bản sao lưu mới nhất là của ngày {day}, lẽ ra phải có bản ngày ")


def test_last_nights_backup_is_fresh_until_tonights_is_due(center):
    """Tomorrow at 08:00 the newest backup is today's: as it should be; at 23:30, past
    backup_hour (22), tomorrow's is missing."""
    tomorrow = center.qms.cfg().local(center.host.now) + timedelta(days=1)
    assert problems(center.diagnose(now=tomorrow.replace(hour=8, minute=0).timestamp())) == []
    late = tomorrow.replace(hour=23, minute=30).timestamp()
    assert only_problem(center.diagnose(now=late), doctor.BACKUPS, doctor.ERROR).startswith("Bản sao lưu mới nhất")


def test_a_damaged_newest_backup(center):
    newest = sorted((center.instance / "backups").glob("*.db"))[-1]
    newest.write_bytes(b"not a database" * 100)
    assert "không dùng được" in only_problem(center.diagnose(), doctor.BACKUPS, doctor.ERROR)


def test_backups_turned_off(tmp_path):
    c = Center(tmp_path, backup_hour=24)
    try:
        assert only_problem(c.diagnose(), doctor.BACKUPS, doctor.WARN) == "Sao lưu hằng đêm đang tắt (backup_hour = 24)"
    finally:
        c.close()


def test_a_device_that_stopped_reporting(center):
    center.qms.write(devices.set_online, device_id="rate-2", online=False)
    gone = center.qms.now()
    assert problems(center.diagnose(now=gone + 30)) == []  # within alert_offline_s (60 s): a blip
    text = only_problem(center.diagnose(now=gone + 600), doctor.DEVICES, doctor.ERROR)
    assert text.startswith("Thiết bị rate-2 (rate-2) ngừng báo cáo từ ")


def test_a_device_never_connected(center):
    from server.engine import admin

    center.qms.write(admin.add_device, device_id="kiosk-2", roles=["ticket"], actor="t")
    assert only_problem(center.diagnose(), doctor.DEVICES, doctor.WARN) == "Thiết bị kiosk-2 chưa kết nối lần nào"


@pytest.mark.parametrize("state, level, text", [
    ("paper_low", doctor.WARN, "Máy in của kiosk-1 (kiosk-1) sắp hết giấy"),
    ("paper_out", doctor.ERROR, "Máy in của kiosk-1 (kiosk-1) hết giấy"),
    ("offline", doctor.ERROR, "Thiết bị kiosk-1 (kiosk-1) không thấy máy in"),
])
def test_a_printer_with_paper_low_or_out(center, state, level, text):
    center.qms.write(devices.set_online, device_id="kiosk-1", online=True, status={"printer": state})
    assert only_problem(center.diagnose(), doctor.PRINTERS, level) == text


def tls(findings) -> list[tuple[str, str]]:
    return [(f.level, f.text.format(**f.args)) for f in findings if f.check == doctor.TLS]


def test_tls_certificate(tmp_path):
    """Checked against the machine's time; the other checks are not looked at (in 2036 the
    backups would be stale)."""
    c = Center(tmp_path, tls_cert=str(CERT))
    try:
        assert tls(c.diagnose(now=CERT_EXPIRES - 100 * 86400)) == [(doctor.OK, "Còn hạn đến 26/11/2036")]
        assert tls(c.diagnose(now=CERT_EXPIRES - 10.5 * 86400)) == \
            [(doctor.WARN, f"Chứng chỉ {CERT} hết hạn sau 10 ngày (26/11/2036)")]
        assert tls(c.diagnose(now=CERT_EXPIRES + 60)) == [(doctor.ERROR, f"Chứng chỉ {CERT} đã hết hạn ngày 26/11/2036")]
    finally:
        c.close()


def test_tls_certificate_unreadable(tmp_path):
    c = Center(tmp_path, tls_cert=str(tmp_path / "missing.pem"))
    try:
        assert only_problem(c.diagnose(), doctor.TLS, doctor.ERROR).startswith(
            f"Không đọc được chứng chỉ {tmp_path / 'missing.pem'}")
    finally:
        c.close()


def test_the_server_answering_or_not(tmp_path, live_server):
    """With --url: the running server's /healthz; refused (stopped), or 503 (cannot take writes)."""
    instance = live_server.store.path.parent

    def server_findings(url):
        findings = doctor.diagnose(instance, lambda: app_with_center(tmp_path).extensions["qms"],
                                   doctor.Host(time.time(), None, None, 10_000), url)
        return [(f.level, f.text.format(**f.args)) for f in findings if f.check == doctor.SERVER]

    assert server_findings(None) == []  # not asked
    assert server_findings(live_server.url) == [(doctor.OK, f"{live_server.url} đang chạy (0 lệnh ghi đang chờ)")]
    live_server.qms.values["disk_free_min_mb"] = 10 ** 12  # the disk is "full": /healthz says 503
    assert server_findings(live_server.url) == [
        (doctor.ERROR, f"Máy chủ {live_server.url} không nhận ghi được (low_disk)")]
    live_server.stop()
    [(level, text)] = server_findings(live_server.url)
    assert level == doctor.ERROR and text.startswith(f"Máy chủ {live_server.url} không trả lời (")
