"""Backups: a consistent copy while writes go on, nightly copies kept N days, a restore that
checks the copy first, and the admin's download (issue: administration)."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from server import backup
from server.__main__ import cli
from server.engine import tickets
from server.errors import BadRequest
from tests.console.helpers import sign_in

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def count(path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_a_backup_taken_while_writes_go_on_holds_every_acknowledged_row(qms, tmp_path):
    """Kiosks keep issuing tickets while the copy is made: the copy passes integrity_check and
    holds every ticket acknowledged before the backup began."""
    stop, acked = threading.Event(), []

    def kiosk():
        while not stop.is_set():
            acked.append(qms.write(tickets.issue, ticket_id=str(uuid.uuid4()), service="A", device_id="kiosk-1",
                                   actor="t")["id"])

    workers = [threading.Thread(target=kiosk) for _ in range(4)]
    for w in workers:
        w.start()
    try:
        while len(acked) < 200:
            time.sleep(0.01)
        before = list(acked)  # acknowledged before the backup began
        path = qms.backup_now(tmp_path / "copy.db")
        while len(acked) < len(before) + 100:  # and writes went on meanwhile and after
            time.sleep(0.01)
    finally:
        stop.set()
        for w in workers:
            w.join(10)
    backup.check(path)
    conn = sqlite3.connect(path)
    ids = {r[0] for r in conn.execute("SELECT id FROM tickets")}
    conn.close()
    assert set(before) <= ids


def test_nightly_backups_once_a_day_after_the_hour_keeping_the_newest(qms, tmp_path):
    folder = tmp_path / "backups"
    source = qms.store.path
    day = datetime(2026, 3, 10, 21, 0, tzinfo=TZ)
    assert backup.nightly(source, folder, day.timestamp(), TZ, hour=22, keep=3) is None  # not yet
    for d in range(10, 16):
        at = datetime(2026, 3, d, 22, 30, tzinfo=TZ).timestamp()
        made = backup.nightly(source, folder, at, TZ, hour=22, keep=3)
        assert made is not None and made.name == f"qms-2026-03-{d}.db"
        assert backup.nightly(source, folder, at + 600, TZ, hour=22, keep=3) is None  # once a day
    assert sorted(p.name for p in folder.glob("*.db")) == ["qms-2026-03-13.db", "qms-2026-03-14.db",
                                                           "qms-2026-03-15.db"]


def test_restore_checks_the_backup_first_and_keeps_the_current_database(app, qms, tmp_path):
    instance = qms.store.path.parent
    good = qms.backup_now(tmp_path / "good.db")
    qms.write(tickets.issue, ticket_id=str(uuid.uuid4()), service="A", device_id="kiosk-1", actor="t")
    qms.close()
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(BadRequest):
        backup.restore(instance / "qms.db", broken)
    assert count(instance / "qms.db", "tickets") == 1  # nothing replaced
    result = CliRunner().invoke(cli, ["restore", "--instance", str(instance), str(good)])
    assert result.exit_code == 0, result.output
    assert count(instance / "qms.db", "tickets") == 0  # as the backup was
    kept = list(instance.glob("qms.db.before-restore-*"))
    assert len(kept) == 1 and count(kept[0], "tickets") == 1


def test_an_admin_downloads_a_backup_and_the_download_is_in_the_audit_log(app, client, qms, tmp_path):
    from server.engine import admin

    made = qms.write(admin.add_user, username="chief", role="admin", password="a-long-password")
    center = {"users": {**app.test_center["users"], "chief": made}}
    assert sign_in(client, center, "officer1").status_code == 302
    assert client.get("/admin/backup.db").status_code == 403  # an officer may not
    admin_client = app.test_client()
    assert sign_in(admin_client, center, "chief").status_code == 302
    r = admin_client.get("/admin/backup.db")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")
    path = tmp_path / "dl.db"
    path.write_bytes(r.data)
    backup.check(path)
    assert qms.store.read().execute("SELECT count(*) FROM audit WHERE action = 'backup.download' "
                                    "AND actor = 'user:chief'").fetchone()[0] == 1
