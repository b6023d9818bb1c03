"""A kiosk with no server address finds the server by mDNS (DNS-SD `_qms._tcp`) and prints a
ticket.

Both are real processes: `python -m server run` (gevent) announcing itself, and `python -m kiosk
--simulate` (mock pins, tickets as PNG files, keys on stdin) whose config has no `url`. mDNS runs
on loopback: both bind zeroconf to 127.0.0.1 (`mdns_interfaces`), which works without the
MULTICAST flag on `lo` (zeroconf sets IP_MULTICAST_IF and IP_MULTICAST_LOOP on its sockets), as
root or not; nothing in the machine's setup is changed.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import parse_config
from kiosk.demo_config import demo_config_text
from kiosk.discovery import find_server
from tests.conftest import app_with_center
from tests.kiosk.kiosk_helpers import wait_for
from tests.server.production import ROOT, Production

LOOPBACK = {"QMS_MDNS_INTERFACES": "127.0.0.1", "QMS_BACKUP_HOUR": "24"}


@pytest.fixture
def center(tmp_path):
    app = app_with_center(tmp_path)
    tokens = app.test_center["devices"]
    instance = app.extensions["qms"].store.path.parent
    app.extensions["qms"].close()
    return instance, tokens


def kiosk_config(tmp_path: Path, token: str) -> Path:
    text = demo_config_text(server="http://unused", device="kiosk-1", token=token, roles=["ticket"],
                            data_dir=str(tmp_path / "kiosk"))
    text = text.replace('url = "http://unused"\n', 'mdns_interfaces = ["127.0.0.1"]\nreconnect_max_s = 0.5\n')
    assert parse_config(text, file="t").server.url == ""
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_kiosk_without_an_address_finds_the_server_and_prints_a_ticket(tmp_path, center):
    instance, tokens = center
    server = Production(instance, env=LOOPBACK)
    kiosk = None
    try:
        # The announcement names the server's own port: what a kiosk will connect to.
        assert find_server(10, ["127.0.0.1"]) == server.url

        kiosk = subprocess.Popen([sys.executable, "-m", "kiosk", "--simulate", "--config",
                                  str(kiosk_config(tmp_path, tokens["kiosk-1"]))],
                                 cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=open(tmp_path / "kiosk.log", "wb"), text=True)
        log = tmp_path / "kiosk.log"
        wait_for(lambda: f"connected to {server.url} as kiosk-1" in log.read_text(), timeout=60,
                 message="the kiosk connected to the server it found")
        kiosk.stdin.write("1\n")  # the first ticket button (service A)
        kiosk.stdin.flush()
        tickets = tmp_path / "kiosk" / "tickets"
        pngs = wait_for(lambda: list(tickets.glob("*.png")), timeout=30, message="a ticket printed")
        assert len(pngs) == 1
        assert f"at {server.url}" in log.read_text() and "found the server 'QMS " in log.read_text()
    finally:
        if kiosk is not None:
            kiosk.kill()
            kiosk.wait(10)
        server.stop()
    db = sqlite3.connect(instance / "qms.db")
    try:
        assert db.execute("SELECT count(*) FROM tickets WHERE device_id = 'kiosk-1'").fetchone()[0] == 1
    finally:
        db.close()


def test_nothing_found_when_no_server_announces(tmp_path):
    assert find_server(1.5, ["127.0.0.1"]) is None


def test_the_config_may_leave_the_address_out_but_not_give_a_wrong_interface():
    from kiosk.config import ConfigError

    text = demo_config_text(server="http://unused", device="kiosk-1", token="t", roles=["ticket"])
    assert parse_config(text.replace('url = "http://unused"\n', ""), file="k.toml").server.url == ""
    with pytest.raises(ConfigError) as info:
        parse_config(text.replace('url = "http://unused"\n', 'mdns_interfaces = ["eth0"]\n'), file="k.toml")
    assert "server.mdns_interfaces" in str(info.value) and "IPv4" in str(info.value)
