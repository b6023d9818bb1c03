"""The install scripts of deploy/{server,kiosk,display}/, run straight on this machine into a
temporary root (`ROOT=DIR`, `--no-system`: no apt-get, users or systemctl), as a technician runs
them on a blank Pi, only elsewhere:

- the units they install pass `systemd-analyze verify --root` (the root holds, besides what the
  scripts install, what Raspberry Pi OS has already: systemd's own units and /usr/bin/python3);
- the installed server starts from the root with the unit's own command line, answers /healthz,
  serves the first-admin link the script printed, and announces itself by mDNS;
- a second run changes no file, and keeps the data, the tokens and the settings.

The virtual environments are made with pip from the pinned requirements (pip's cache makes it
quick after the first time); the slow part is there, once per script.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kiosk.discovery import find_server
from tests.server.production import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
SYSTEMD = shutil.which("systemd-analyze")


def install(kind: str, root: Path, *args: str, src: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "ROOT": str(root), "PYTHON": PYTHON}
    result = subprocess.run(["bash", str(src / "deploy" / kind / "install.sh"), "--no-system", *args],
                            env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def lay_os(root: Path) -> None:
    """What the Pi has before the script runs and `systemd-analyze verify` looks for: systemd's
    own units (the targets the units order themselves after) and the Python the venv links to."""
    units = root / "usr/lib/systemd/system"
    if not units.exists():
        shutil.copytree("/usr/lib/systemd/system", units, symlinks=True)
    python = root / PYTHON.lstrip("/")
    if not python.exists():
        python.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(PYTHON), python)


def verify(root: Path, unit: str) -> None:
    result = subprocess.run([SYSTEMD, "verify", f"--root={root}", unit], capture_output=True, text=True, timeout=120)
    # verify exits 0 on mere warnings (an unknown key, a bad value): those count too.
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def installed_files(root: Path) -> dict[str, str]:
    """Hash of every file the scripts wrote (what the test laid itself and the databases aside)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("usr/lib/systemd/", "usr/bin/")) or re.search(r"qms\.db(-wal|-shm)?$", rel):
            continue
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def dump(db: Path) -> dict[str, list]:
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f"SELECT * FROM [{t}]").fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def exec_start(root: Path, unit: str) -> list[str]:
    line = next(s for s in (root / unit.lstrip("/")).read_text().splitlines() if s.startswith("ExecStart="))
    return line.removeprefix("ExecStart=").split()


def copy_of_the_code(dest: Path) -> Path:
    """The project's files as a technician copies them onto a Pi (no .git: the scripts then hash
    the tree themselves)."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.split(b"\0")
    for name in filter(None, files):
        path = ROOT / name.decode()
        if path.is_file() and not path.is_symlink():
            (dest / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / name.decode())
    return dest


class InstalledServer:
    """The installed server started as its unit starts it, its paths mapped into the root; mDNS
    on loopback only, no nightly backup."""

    def __init__(self, root: Path, log: Path):
        self.data = root / "var/lib/qms"
        argv = [a.replace("/opt/qms", str(root / "opt/qms")).replace("/var/lib/qms", str(self.data))
                for a in exec_start(root, "/etc/systemd/system/qms-server.service")]
        assert argv[0] == str(root / "opt/qms/current/.venv/bin/python")
        self.port = int(argv[argv.index("--port") + 1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(argv, cwd=root / "opt/qms/current", stdout=out, stderr=subprocess.STDOUT,
                                         env={"PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1",
                                              "QMS_MDNS_INTERFACES": "127.0.0.1", "QMS_BACKUP_HOUR": "24"})
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    assert r.status == 200
                    return
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            assert r.status == 200
            return r.read().decode()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


pytestmark = pytest.mark.skipif(SYSTEMD is None, reason="needs systemd-analyze (deploy/system-deps.sh test)")


# A virtual environment from pip takes a minute or more on a loaded machine: more than the
# suite's 120 s per test.
@pytest.mark.timeout(900)
def test_server_install_runs_serves_and_a_second_run_changes_nothing(tmp_path):
    src = copy_of_the_code(tmp_path / "src")
    root = tmp_path / "root"
    lay_os(root)
    port = free_port()
    started = time.monotonic()
    first = install("server", root, "--port", str(port), src=src)
    first_s = time.monotonic() - started
    link = re.search(r"http://\S+/setup/(\S+)", first.stdout)
    assert link, first.stdout
    verify(root, "/etc/systemd/system/qms-server.service")
    unit = (root / "etc/systemd/system/qms-server.service").read_text()
    assert "Restart=on-failure" in unit and "--async-mode gevent" in unit and "--threads" not in unit
    assert f"--port {port}" in unit

    server = InstalledServer(root, tmp_path / "server.log")
    try:
        # The server's own start made a new first-admin link (the journal has it) and voided the
        # script's; on a Pi the script prints its link after starting the service, as a run of
        # it now does (while there is no administrator, each run prints a working link).
        relink = re.search(r"http://\S+/setup/(\S+)", install("server", root, "--port", str(port), src=src).stdout)
        assert relink and relink.group(1) != link.group(1)
        assert "quản trị" in server.get(f"/setup/{relink.group(1)}")
        assert find_server(10, ["127.0.0.1"]) == server.url  # announced, with its port
    finally:
        server.stop()

    # An administrator and a device: data and tokens the second run must keep.
    data = root / "var/lib/qms"
    cli = [str(root / "opt/qms/current/.venv/bin/python"), "-m", "server"]
    for args in (["add-user", "admin", "--role", "admin"], ["add-device", "kiosk-1", "--role", "ticket"]):
        subprocess.run([*cli, *args, "--instance", str(data)], cwd=root / "opt/qms/current", check=True,
                       capture_output=True, timeout=60)
    before, rows = installed_files(root), dump(data / "qms.db")
    assert "var/lib/qms/secret_key" in before and "etc/systemd/system/qms-server.service" in before

    started = time.monotonic()
    second = install("server", root, "--port", str(port), src=src)
    second_s = time.monotonic() - started
    assert "Đã có quản trị viên" in second.stdout
    assert not re.search(r"^  /", second.stdout, re.M), second.stdout  # no file put
    assert installed_files(root) == before
    assert dump(data / "qms.db") == rows

    # Newer code: a new release beside the old one, the database copied first, data kept; then
    # the rollback of docs/deploy.md.
    old_release = os.readlink(root / "opt/qms/current")
    with (src / "server" / "__init__.py").open("a") as fh:
        fh.write("\n# a newer release\n")
    upgrade = install("server", root, "--port", str(port), src=src)
    new_release = os.readlink(root / "opt/qms/current")
    assert new_release != old_release and os.readlink(root / "opt/qms/previous") == old_release
    assert "chép từ bản đang chạy" in upgrade.stdout  # same requirements: the venv copied, not rebuilt
    assert list((data / "backups").glob("before-*.db"))
    assert dump(data / "qms.db") == rows
    server = InstalledServer(root, tmp_path / "server.log")
    try:
        assert "a newer release" in (root / "opt/qms/current/server/__init__.py").read_text()
        server.get("/healthz")
    finally:
        server.stop()
    (root / "opt/qms/current").unlink()
    (root / "opt/qms/current").symlink_to(os.readlink(root / "opt/qms/previous"))
    server = InstalledServer(root, tmp_path / "server.log")
    try:
        assert "a newer release" not in (root / "opt/qms/current/server/__init__.py").read_text()
        server.get("/healthz")
    finally:
        server.stop()
    print(f"server install: first run {first_s:.1f} s, second run {second_s:.1f} s")


@pytest.mark.timeout(900)
def test_kiosk_install_from_the_setup_code_and_a_second_run_asks_nothing(tmp_path):
    root = tmp_path / "root"
    lay_os(root)
    setup = '{"server": "http://192.168.1.10:8080", "device": "rate-2", "token": "s3cret-token"}'
    started = time.monotonic()
    out = install("kiosk", root, "--setup", setup).stdout
    first_s = time.monotonic() - started
    assert "roles: rating" in out  # the installed agent checked the config it was given
    verify(root, "/etc/systemd/system/kiosk.service")
    assert (root / "etc/kiosk/token").read_text() == "s3cret-token\n"
    assert oct((root / "etc/kiosk/token").stat().st_mode & 0o777) == "0o640"
    config = (root / "etc/kiosk/kiosk.toml").read_text()
    assert 'device = "rate-2"' in config and 'token_file = "token"' in config
    assert "\nurl" not in config  # found by mDNS
    assert (root / "etc/udev/rules.d/99-kiosk-printer.rules").exists()

    before = installed_files(root)
    started = time.monotonic()
    again = install("kiosk", root).stdout  # no token given, stdin not a terminal: it must not need one
    second_s = time.monotonic() - started
    assert not re.search(r"^  /", again, re.M), again
    assert installed_files(root) == before
    print(f"kiosk install: first run {first_s:.1f} s, second run {second_s:.1f} s")


def test_kiosk_install_without_a_token_says_what_it_needs(tmp_path):
    result = subprocess.run(["bash", str(ROOT / "deploy/kiosk/install.sh"), "--no-system"],
                            env={**os.environ, "ROOT": str(tmp_path)}, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "chưa có mã thiết bị" in result.stderr and "--setup" in result.stderr
    assert not (tmp_path / "opt").exists()  # nothing installed half-way


def test_display_install_finds_the_server_by_itself_and_a_second_run_changes_nothing(tmp_path):
    root = tmp_path / "root"
    install("display", root)
    conf = (root / "etc/qms-display.conf").read_text()
    assert "\nQMS_SERVER=\n" in conf  # empty: found by mDNS
    assert os.access(root / "usr/local/bin/qms-display.sh", os.X_OK)
    # A user unit: `verify --root` knows only the system scope, so the user scope checks it with
    # the launcher's path mapped into the root.
    unit = (root / "etc/systemd/user/qms-display.service").read_text()
    mapped = tmp_path / "qms-display.service"
    mapped.write_text(unit.replace("ExecStart=/usr/local/bin/", f"ExecStart={root}/usr/local/bin/"))
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    result = subprocess.run([SYSTEMD, "verify", "--user", str(mapped)], capture_output=True, text=True,
                            env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)}, timeout=120)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr

    before = installed_files(root)
    install("display", root)
    assert installed_files(root) == before
    install("display", root, "http://10.0.0.5:8080", "services=A,B&voice=1")  # a fixed address, later
    conf = (root / "etc/qms-display.conf").read_text()
    assert "\nQMS_SERVER=http://10.0.0.5:8080\n" in conf and "\nQMS_DISPLAY_QUERY='services=A,B&voice=1'\n" in conf
