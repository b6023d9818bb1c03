"""`python -m server set|service|counter|user|device`: the same engine functions as /admin, so
the same validation (a refusal exits 2 with its Vietnamese message and changes nothing) and the
same audit entries, with the actor `cli`."""

from __future__ import annotations

import json
import re
import sqlite3

from click.testing import CliRunner

from server import auth
from server.__main__ import cli, main


def run(instance, *args, ok=True):
    result = CliRunner().invoke(cli, [args[0], *args[1:2], "--instance", str(instance), *args[2:]]
                                if args[0] in ("service", "counter", "user", "device") else
                                [args[0], "--instance", str(instance), *args[1:]])
    if ok:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def refused(instance, capsys, monkeypatch, *args, match: str):
    """Run through `main()` as `python -m server` does: exit 2, 'Lỗi: <message>', nothing changed."""
    import sys

    before = dump(instance)
    argv = [args[0], *args[1:2], "--instance", str(instance), *args[2:]] \
        if args[0] in ("service", "counter", "user", "device") else [args[0], "--instance", str(instance), *args[1:]]
    monkeypatch.setattr(sys, "argv", ["python -m server", *argv])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and "Lỗi:" in err and match in err, (code, err)
    assert "Traceback" not in err
    assert dump(instance) == before


def dump(instance):
    conn = sqlite3.connect(instance / "qms.db")
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()
                for t in ("services", "counters", "users", "devices", "settings", "audit")}
    finally:
        conn.close()


def audit_rows(instance):
    conn = sqlite3.connect(instance / "qms.db")
    try:
        return [(a, s, actor) for a, s, actor in conn.execute("SELECT action, subject, actor FROM audit ORDER BY id")]
    finally:
        conn.close()


def test_setup_from_the_command_line(tmp_path, capsys, monkeypatch):
    inst = tmp_path / "inst"
    run(inst, "init")
    run(inst, "set", "center_name", "Trung tâm Phục vụ hành chính công phường Bến Thành")
    refused(inst, capsys, monkeypatch, "set", "timezone", "Asia/Hanoi2", match="Múi giờ 'Asia/Hanoi2' không tồn tại")
    refused(inst, capsys, monkeypatch, "set", "priority_policy", "fair", match="Chính sách ưu tiên")
    out = run(inst, "set", "rating_labels", json.dumps({"5": "Rất hài lòng", "4": "Hài lòng", "3": "Bình thường",
                                                          "2": "Chưa hài lòng", "1": "Rất không hài lòng"})).output
    assert "Chưa hài lòng" in out

    run(inst, "service", "add", "DD", "--name", "Đất đai", "--prefix", "A", "--hours",
        '[{"days": [1,2,3,4,5], "from": "07:30", "to": "11:30"}]')
    run(inst, "service", "add", "HT", "--name", "Hộ tịch", "--prefix", "B", "--daily-limit", "100")
    refused(inst, capsys, monkeypatch, "service", "add", "KD", "--name", "Kinh doanh", "--prefix", "A",
            match="Tiền tố 'A' đã dùng cho lĩnh vực Đất đai")
    refused(inst, capsys, monkeypatch, "service", "change", "HT", "--daily-limit", "-1",
            match="Giới hạn trong ngày phải là số nguyên dương")
    refused(inst, capsys, monkeypatch, "service", "change", "DD", "--hours",
            '[{"days": [1], "from": "17:00", "to": "13:00"}]', match="Buổi chiều kết thúc trước khi bắt đầu")
    assert "daily_limit" in run(inst, "service", "change", "HT", "--daily-limit", "none").output

    run(inst, "counter", "add", "1", "--service", "DD", "--service", "HT", "--room", "Tầng 1")
    refused(inst, capsys, monkeypatch, "counter", "add", "2", match="Quầy phải phục vụ ít nhất một lĩnh vực")
    run(inst, "counter", "add", "2", "--service", "HT")
    run(inst, "counter", "change", "2", "--name", "Quầy hộ tịch")

    out = run(inst, "user", "add", "canbo1", "--role", "officer", "--name", "Nguyễn Văn An", "--counter", "1").output
    password = re.fullmatch(r"user canbo1 password (\S+)\n", out).group(1)
    refused(inst, capsys, monkeypatch, "user", "add", "canbo1", "--role", "officer", "--name", "X",
            match="Tên đăng nhập 'canbo1' đã có")
    run(inst, "user", "change", "canbo1", "--counter", "2")
    new = re.fullmatch(r"user canbo1 password (\S+)\n", run(inst, "user", "reset-password", "canbo1").output).group(1)
    assert new != password
    run(inst, "user", "disable", "canbo1")

    out = run(inst, "device", "add", "rate-1", "--role", "rating", "--counter", "1",
              "--server", "http://192.168.1.10:5000").output
    token = re.match(r"device rate-1 token (\S+)\n", out).group(1)
    assert json.loads(out.splitlines()[1]) == {"server": "http://192.168.1.10:5000", "device": "rate-1", "token": token}
    refused(inst, capsys, monkeypatch, "device", "add", "rate-2", "--role", "rating",
            match="máy đánh giá hoặc bàn phím quầy phải gắn với một quầy")
    run(inst, "device", "change", "rate-1", "--counter", "2")
    token2 = run(inst, "device", "rotate", "rate-1").output.split()[-1]
    run(inst, "device", "revoke", "rate-1")

    conn = sqlite3.connect(inst / "qms.db")
    conn.row_factory = sqlite3.Row
    u = conn.execute("SELECT * FROM users WHERE username = 'canbo1'").fetchone()
    assert auth.check_password(u["password_hash"], new) and u["counter"] == 2 and u["active"] == 0
    d = conn.execute("SELECT * FROM devices WHERE id = 'rate-1'").fetchone()
    assert d["token_hash"] == auth.token_hash(token2) and d["active"] == 0 and d["counter"] == 2
    conn.close()

    entries = audit_rows(inst)
    assert all(actor == "cli" for _a, _s, actor in entries)
    for action, subject in (("setting.set", "center_name"), ("setting.set", "rating_labels"), ("service.add", "DD"),
                            ("service.change", "HT"), ("counter.add", "1"), ("counter.change", "2"),
                            ("user.add", "canbo1"), ("user.counter", "canbo1"), ("user.reset_password", "canbo1"),
                            ("user.disable", "canbo1"), ("device.save", "rate-1"), ("device.change", "rate-1"),
                            ("device.rotate", "rate-1"), ("device.revoke", "rate-1")):
        assert (action, subject, "cli") in entries, (action, subject)
