"""`python -m server`: init, demo, add-device, add-user. Secrets are random, printed once, and only
their hashes are stored; there is no default password."""

from __future__ import annotations

import json
import re
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from server import auth
from server.__main__ import cli

ROOT = Path(__file__).resolve().parents[2]


def run(*args) -> "click.testing.Result":  # noqa: F821
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def _db(instance: Path) -> sqlite3.Connection:
    return sqlite3.connect(instance / "qms.db")


def _raw_bytes(instance: Path) -> bytes:
    """Everything SQLite keeps on disk for the instance (database and WAL)."""
    return b"".join(p.read_bytes() for p in instance.glob("qms.db*"))


def test_init_creates_and_migrates(tmp_path):
    instance = tmp_path / "inst"
    result = run("init", "--instance", str(instance))
    assert result.exit_code == 0, result.output
    conn = _db(instance)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"services", "counters", "users", "devices", "tickets", "ratings", "audit", "_sqlite_migrations"} <= tables
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
    conn.close()
    assert run("init", "--instance", str(instance)).exit_code == 0  # again: nothing to do
    conn = _db(instance)
    assert conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == applied
    conn.close()


def test_demo_prints_each_secret_once_and_stores_only_hashes(tmp_path):
    instance = tmp_path / "inst"
    out_json = tmp_path / "secrets.json"
    result = run("demo", "--instance", str(instance), "--json-out", str(out_json))
    assert result.exit_code == 0, result.output
    users = re.findall(r"^user (\S+)\s+role (\S+)\s+password (\S+)(?:\s+api_token (\S+))?", result.output, re.M)
    devices = re.findall(r"^device (\S+)\s+roles (\S+)\s+counter (\S+)\s+token (\S+)", result.output, re.M)
    assert {u[1] for u in users} == {"officer", "supervisor", "admin"}
    assert {d[0] for d in devices} >= {"kiosk-1", "rate-1", "rate-2", "rate-3", "rate-4"}
    assert stat.S_IMODE(out_json.stat().st_mode) == 0o600
    saved = json.loads(out_json.read_text())
    assert {u["username"]: u["password"] for u in saved["users"]} == {u[0]: u[2] for u in users}

    secrets = [u[2] for u in users] + [u[3] for u in users if u[3]] + [d[3] for d in devices]
    assert len(set(secrets)) == len(secrets), "a secret is repeated"
    assert all(len(s) >= 12 for s in secrets)
    raw = _raw_bytes(instance)
    for secret in secrets:
        assert secret.encode() not in raw, "a secret is stored in clear"

    conn = _db(instance)
    conn.row_factory = sqlite3.Row
    first = conn.execute("SELECT password_hash FROM users WHERE username = ?", [users[0][0]]).fetchone()[0]
    assert not auth.check_password(first, users[0][2] + "x")
    for username, _role, password, api_token in users:
        row = conn.execute("SELECT * FROM users WHERE username = ?", [username]).fetchone()
        assert auth.check_password(row["password_hash"], password)
        if api_token:
            assert row["api_token_hash"] == auth.token_hash(api_token)
    for device_id, roles, counter, token in devices:
        assert auth.device_by_credentials(_Rows(conn), device_id, token, time.time())["id"] == device_id
    services = [r["name_vi"] for r in conn.execute("SELECT name_vi FROM services ORDER BY sort")]
    assert "Đất đai" in services and "Hộ tịch" in services and "Đăng ký kinh doanh" in services
    conn.close()

    # A second demo refuses, and prints no secret.
    again = CliRunner().invoke(cli, ["demo", "--instance", str(instance)])
    assert again.exit_code == 1
    assert "password" not in again.output and "token" not in again.output


class _Rows:
    """The bit of sqlite-utils' Database that auth.device_by_credentials uses, on a plain connection."""

    def __init__(self, conn):
        self.conn = conn

    def query(self, sql, params):
        cur = self.conn.execute(sql, params)
        keys = [d[0] for d in cur.description]
        return (dict(zip(keys, row)) for row in cur.fetchall())


def test_add_device_prints_a_working_token(tmp_path):
    instance = tmp_path / "inst"
    run("init", "--instance", str(instance))
    result = run("add-device", "--instance", str(instance), "kiosk-9", "--role", "ticket", "--role", "display",
                 "--name", "Máy lấy số tầng 2")
    assert result.exit_code == 0, result.output
    token = re.fullmatch(r"device kiosk-9 token (\S+)\n", result.output).group(1)
    conn = _db(instance)
    dev = auth.device_by_credentials(_Rows(conn), "kiosk-9", token, time.time())
    assert dev["roles"] == ["ticket", "display"] and dev["name"] == "Máy lấy số tầng 2"
    assert token.encode() not in _raw_bytes(instance)
    # Again: a new token replaces the old one.
    second = run("add-device", "--instance", str(instance), "kiosk-9", "--role", "ticket")
    token2 = second.output.split()[-1]
    assert token2 != token
    with pytest.raises(auth.Unauthorized):
        auth.device_by_credentials(_Rows(conn), "kiosk-9", token, time.time())
    assert auth.device_by_credentials(_Rows(conn), "kiosk-9", token2, time.time())
    conn.close()


def test_add_user_random_password_and_api_token(tmp_path):
    instance = tmp_path / "inst"
    run("init", "--instance", str(instance))
    outputs = [run("add-user", "--instance", str(instance), name, "--role", "officer", "--api-token").output
               for name in ("alice", "bob")]
    parsed = [re.fullmatch(r"user (\S+) password (\S+) api_token (\S+)\n", o).groups() for o in outputs]
    assert parsed[0][1] != parsed[1][1] and parsed[0][2] != parsed[1][2]
    conn = _db(instance)
    for username, password, _token in parsed:
        pw_hash = conn.execute("SELECT password_hash FROM users WHERE username = ?", [username]).fetchone()[0]
        assert auth.check_password(pw_hash, password)
    plain = run("add-user", "--instance", str(instance), "carol", "--role", "supervisor").output
    assert re.fullmatch(r"user carol password \S{12,}\n", plain)
    conn.close()


def test_cli_errors_are_clear_and_not_a_traceback(tmp_path):
    instance = tmp_path / "inst"
    run("init", "--instance", str(instance))
    run("add-user", "--instance", str(instance), "canbo1", "--role", "officer")

    def main(*args):
        return subprocess.run([sys.executable, "-m", "server", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=60)

    dup = main("add-user", "--instance", str(instance), "canbo1", "--role", "officer")
    assert dup.returncode == 2 and "Lỗi:" in dup.stderr and "canbo1" in dup.stderr
    assert "Traceback" not in dup.stderr and "password" not in dup.stdout
    unbound = main("add-device", "--instance", str(instance), "rate-x", "--role", "rating")
    assert unbound.returncode == 2 and "quầy" in unbound.stderr and "Traceback" not in unbound.stderr
    bad_role = CliRunner().invoke(cli, ["add-user", "--instance", str(instance), "dave", "--role", "king"])
    assert bad_role.exit_code == 2 and "king" in bad_role.output


def test_no_default_password_in_the_code():
    """Every place that creates a user draws a random password; none is written in the code."""
    source = "\n".join(p.read_text() for p in (ROOT / "server").rglob("*.py"))
    assert not re.search(r"password\s*=\s*['\"][^'\"]+['\"]", source)


def test_the_served_app_keeps_its_startup_objects_out_of_the_collector(tmp_path):
    """`python -m server run` builds the app with `serving_app`, which freezes what exists at
    start and raises the collector's thresholds (docs/benchmarks.md: full collections stalled
    every thread for 100-200 ms under load)."""
    import gc

    from server.__main__ import serving_app

    before = gc.get_threshold()
    try:
        app = serving_app(str(tmp_path / "inst"))
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == (2000, 20, 50)
        assert app.extensions["qms"].store.read().execute("SELECT 1").fetchone() == (1,)
        app.extensions["qms"].close()
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
