"""The Pi's display launcher (deploy/display/qms-display.sh), run with stand-ins for curl and
chromium: it must open the configured page in kiosk mode with sound allowed without a click."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "deploy" / "display" / "qms-display.sh"


def fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def run_launcher(tmp_path: Path, conf: str, curl_fails: int = 0,
                 bin_dir: Path | None = None) -> tuple[list[str], list[str]]:
    if bin_dir is None:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
    calls = tmp_path / "curl-calls"
    # curl fails `curl_fails` times (server not up yet), then succeeds.
    fake(bin_dir, "curl", f'echo "$@" >> {calls}; [ $(wc -l < {calls}) -gt {curl_fails} ]')
    fake(bin_dir, "chromium", f'printf "%s\\n" "$@" > {tmp_path / "chromium-args"}')
    fake(bin_dir, "sleep", "exit 0")  # the wait loop's pause, made instant
    (tmp_path / "qms-display.conf").write_text(conf)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "QMS_DISPLAY_CONF": str(tmp_path / "qms-display.conf"),
           "XDG_RUNTIME_DIR": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run(["bash", str(LAUNCHER)], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return (tmp_path / "chromium-args").read_text().splitlines(), calls.read_text().splitlines()


def test_launcher_opens_the_display_in_kiosk_mode_with_sound(tmp_path):
    args, curls = run_launcher(tmp_path, "QMS_SERVER=http://10.0.0.5:8080\nQMS_DISPLAY_QUERY='services=A,B&voice=1'\n")
    assert args[args.index("--kiosk") + 1] == "http://10.0.0.5:8080/display?services=A,B&voice=1"
    assert "--autoplay-policy=no-user-gesture-required" in args
    assert "--noerrdialogs" in args and "--disable-session-crashed-bubble" in args
    assert curls == ["-fsS -o /dev/null --max-time 3 http://10.0.0.5:8080/healthz"]


def test_launcher_waits_for_the_server(tmp_path):
    args, curls = run_launcher(tmp_path, "QMS_SERVER=http://10.0.0.5:8080\n", curl_fails=3)
    assert len(curls) == 4  # three failed health checks, then the page
    assert args[args.index("--kiosk") + 1] == "http://10.0.0.5:8080/display"


def test_service_restarts_chromium():
    unit = (ROOT / "deploy" / "display" / "qms-display.service").read_text()
    assert "Restart=always" in unit and "ExecStart=/usr/local/bin/qms-display.sh" in unit
    assert os.access(LAUNCHER, os.X_OK)


def test_launcher_finds_the_server_by_mdns_when_no_address_is_set(tmp_path):
    """avahi-browse (a stand-in printing what the real one prints for the server's announcement)
    finds nothing at first, then the server."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tries = tmp_path / "avahi-tries"
    fake(bin_dir, "avahi-browse",
         f'echo "$@" >> {tries}; [ $(wc -l < {tries}) -gt 1 ] || exit 0\n'
         'echo "+;eth0;IPv4;QMS\\032pi-server;_qms._tcp;local"\n'
         'echo "=;eth0;IPv6;QMS\\032pi-server;_qms._tcp;local;pi-server.local;fe80::1;8080;\\"path=/\\""\n'
         'echo "=;eth0;IPv4;QMS\\032pi-server;_qms._tcp;local;pi-server.local;192.168.1.10;8080;\\"path=/\\""')
    args, curls = run_launcher(tmp_path, "QMS_SERVER=\nQMS_DISPLAY_QUERY=room=2\n", bin_dir=bin_dir)
    assert tries.read_text().splitlines() == ["-rpt _qms._tcp", "-rpt _qms._tcp"]
    assert curls == ["-fsS -o /dev/null --max-time 3 http://192.168.1.10:8080/healthz"]
    assert args[args.index("--kiosk") + 1] == "http://192.168.1.10:8080/display?room=2"
